"""Read the ShareGPT splits of an export folder and turn each item into Qwen2.5-VL chat messages.

Layout (see the export contract): OUT_DIR/sharegpt/{train,validation,test}.json are JSON arrays of
{"messages": [{"role", "content"}...], "images": ["images/<hash>.png", ...], ...}; image paths are
relative to OUT_DIR and each `<image>` placeholder in the user turns stands for the next entry of "images".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from torch.utils.data import Dataset

from training.errors import TrainingError

IMAGE_PLACEHOLDER = "<image>"
ROLES = ("system", "user", "assistant")


@dataclass(frozen=True)
class Conversation:
    """One training example: chat messages in the processor's format and the image files they show."""

    id: str
    messages: list[dict[str, Any]]
    images: list[Path]


def _content_parts(text: str) -> list[dict[str, str]]:
    """Split user text at each <image>: "<image>Q" -> [{"type": "image"}, {"type": "text", "text": "Q"}]."""
    parts: list[dict[str, str]] = []
    for i, piece in enumerate(text.split(IMAGE_PLACEHOLDER)):
        if i > 0:
            parts.append({"type": "image"})
        if piece:
            parts.append({"type": "text", "text": piece})
    return parts


def to_conversation(item: dict[str, Any], export_dir: Path, where: str) -> Conversation:
    messages_in = item.get("messages")
    if not isinstance(messages_in, list) or not messages_in:
        raise TrainingError(f"{where} has no messages; re-export the dataset with `remud export`.")
    images = [export_dir / p for p in item.get("images") or []]
    messages: list[dict[str, Any]] = []
    placeholders = 0
    for message in messages_in:
        role, content = message.get("role"), message.get("content")
        if role not in ROLES or not isinstance(content, str):
            raise TrainingError(f"{where} has a message with role {role!r}; only system, user and assistant "
                                "messages with text content can be trained on.")
        if role == "user":
            placeholders += content.count(IMAGE_PLACEHOLDER)
            messages.append({"role": role, "content": _content_parts(content)})
        else:
            messages.append({"role": role, "content": content})
    if placeholders != len(images):
        raise TrainingError(f"{where} has {placeholders} <image> placeholder(s) but {len(images)} image(s); "
                            "re-export the dataset with `remud export`.")
    if not any(m["role"] == "assistant" for m in messages):
        raise TrainingError(f"{where} has no assistant answer to learn from; re-export the dataset.")
    for image in images:
        if not image.is_file():
            raise TrainingError(f"The image {image} used by {where} is missing; copy the whole export folder, "
                                "images/ included.")
    return Conversation(id=str(item.get("id", where)), messages=messages, images=images)


def load_split(export_dir: str | Path, split: str) -> list[Conversation]:
    """All conversations of one split; an empty list when the split file holds an empty array."""
    export_dir = Path(export_dir)
    file = export_dir / "sharegpt" / f"{split}.json"
    if not file.is_file():
        raise TrainingError(f"{file} does not exist; pass the folder `remud export PROJECT OUT_DIR` wrote "
                            "as dataset_dir.")
    try:
        items = json.loads(file.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise TrainingError(f"{file} is not valid JSON (line {exc.lineno}); export the dataset again.") from exc
    if not isinstance(items, list):
        raise TrainingError(f"{file} must hold a JSON array of conversations; export the dataset again.")
    return [to_conversation(item, export_dir, f"{split}.json item {i}") for i, item in enumerate(items)]


class ConversationDataset(Dataset):
    """A map-style dataset of Conversation objects; the collator turns a list of them into tensors."""

    def __init__(self, conversations: list[Conversation]) -> None:
        self.conversations = conversations

    def __len__(self) -> int:
        return len(self.conversations)

    def __getitem__(self, index: int) -> Conversation:
        return self.conversations[index]

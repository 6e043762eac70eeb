"""A small multiple-choice test set on disk and a scripted OpenAI-compatible model for the eval tests.

The scripted model answers by question and sample: the eval backend sends `seed + sample
index`, so the server knows which sample it is asked for and answers the same on a resumed run.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path

from PIL import Image

from tests.servers.openai_compat import (
    RecordedRequest,
    ScriptedResponse,
    chat_completion,
)

SEED = 100

# stem -> (gold, options, answers by sample index)
QUESTIONS = {
    "Which organ is shown?": ("B", ["Liver", "Kidney", "Spleen", "Pancreas"],
                              ["<answer>B</answer>", "Answer: B", "I think A", "no idea"]),
    "Which echo pattern is this?": ("C", ["Anechoic", "Hypoechoic", "Hyperechoic", "Isoechoic"],
                                    ["<think>Maybe C?</think>\n\n<answer>D</answer>"] * 4),
    "What does the arrow point at?": ("A", ["Gallstone", "Polyp", "Sludge", "Air"], ["答案：A"] * 4),
}
IMAGE_STEM = "Which organ is shown?"


def write_testset(folder: Path) -> Path:
    """An export-like folder: images/ and eval/mcq_test.jsonl; returns the test file."""
    (folder / "images").mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (40, 30), (90, 90, 90)).save(folder / "images" / "kidney.png")
    lines = []
    for n, (stem, (gold, options, _)) in enumerate(QUESTIONS.items(), 1):
        item = {"id": f"q{n}", "question": stem, "options": dict(zip("ABCD", options)), "answer_label": gold,
                "answer": f"<answer>{gold}</answer>", "language": "en"}
        if stem == IMAGE_STEM:
            item["images"] = ["images/kidney.png"]
        lines.append(json.dumps(item))
    path = folder / "eval" / "mcq_test.jsonl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stem_of(req: RecordedRequest) -> str:
    text = req.text()
    return next(stem for stem in QUESTIONS if stem in text)


class ScriptedModel:
    """The server's responder: answers by (question, sample) and counts what it was asked."""

    def __init__(self) -> None:
        self.asked: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()

    def __call__(self, req: RecordedRequest) -> ScriptedResponse:
        stem, sample = stem_of(req), int(req.json["seed"]) - SEED
        with self._lock:
            self.asked[(stem, sample)] += 1
        text = QUESTIONS[stem][2][sample]
        return chat_completion(text, completion_tokens=40)


def expected_scores() -> dict[str, float]:
    return {"accuracy": (2 / 4 + 0 + 4 / 4) / 3, "pass_at_k": (1 + 0 + 1) / 3, "any_correct": 2 / 3, "unparseable": 1}

"""Records -> conversations: multi-turn regrouping and the ShareGPT / MCQ renderings."""

from __future__ import annotations

import re
from collections.abc import Sequence

from engine.export.errors import ExportError
from engine.i18n import tr
from engine.mcq import LETTERS, options_fit, parse_letter, question_prompt
from engine.store.export_queries import SelectedRecord
from engine.store.models import Record, RecordKind

CONVERSATION_PROMPT = "synth_conversation"
IMAGE_TOKEN = "<image>"
# Placeholders LLaMA-Factory counts against the media lists: one in a record's own text would
# make its count differ from the images, so such text is written as "[image]" etc. The thinking
# tags likewise: a literal <think> or </think> in a record's text would open or close the thinking
# section the export writes (and a model trained on it would learn to close it early), so they are
# written as "[think]" and "[/think]".
_RESERVED_TAG = re.compile(r"<(image|video|audio|think|/think)>")


def neutral(text: str) -> str:
    """`text` with every literal <image>, <video>, <audio>, <think> and </think> written as [image],
    [video], [audio], [think], [/think]."""
    return _RESERVED_TAG.sub(r"[\1]", text)


def mcq_letter(rec: Record) -> str | None:
    """The correct option's letter of an MCQ record (from `correct`, else from the start of the
    answer), or None when it names no option or the record has fewer than 2 or more than 5 options."""
    if not options_fit(len(rec.options)):
        return None
    if (rec.correct or "").strip():
        return parse_letter(rec.correct, len(rec.options))
    return parse_letter(rec.answer, len(rec.options))


def is_turn(rec: Record) -> bool:
    """A QA record written by a conversation prompt (it may continue the one before it)."""
    return (rec.kind in (RecordKind.QA, RecordKind.VQA) and rec.figure_id is not None
            and rec.prompt_version.startswith(CONVERSATION_PROMPT))


def user_text(rec: Record) -> str:
    """The user turn (without image placeholders): for an MCQ the stem and the lettered options,
    exactly as the evaluation prompts (engine.mcq.question_prompt)."""
    if rec.kind == RecordKind.MCQ:
        return neutral(question_prompt(rec.question, [str(o) for o in rec.options]))
    return neutral(rec.question)


def answer_text(rec: Record) -> str:
    """The answer part of the assistant turn; an MCQ without a usable letter raises ExportError
    (the plan leaves such records out, so this only happens to a record edited meanwhile)."""
    if rec.kind == RecordKind.MCQ:
        letter = mcq_letter(rec)
        if letter is None:
            raise ExportError(tr("Record {id} has no correct letter that names one of its options; fix it in "
                                 "the review and export again.").format(id=rec.id))
        return neutral(f"{letter}. {rec.options[LETTERS.index(letter)]}\n<answer>{letter}</answer>")
    return neutral(rec.answer)


def assistant_text(rec: Record) -> str:
    if rec.reasoning and rec.thinking.strip():
        return f"<think>\n{neutral(rec.thinking.strip())}\n</think>\n\n{answer_text(rec)}"
    return answer_text(rec)


def conversation_id(rows: Sequence[SelectedRecord]) -> str:
    return f"remud-{rows[0].record.id}"


def sharegpt_item(rows: Sequence[SelectedRecord], images: Sequence[str], split: str, system_prompt: str = "") -> dict:
    """One LLaMA-Factory ShareGPT item: one <image> per image, in the first user turn."""
    messages = [{"role": "system", "content": neutral(system_prompt)}] if system_prompt else []
    for n, row in enumerate(rows):
        prefix = IMAGE_TOKEN * len(images) if n == 0 else ""
        messages.append({"role": "user", "content": prefix + user_text(row.record)})
        messages.append({"role": "assistant", "content": assistant_text(row.record)})
    placeholders = sum(m["content"].count(IMAGE_TOKEN) for m in messages)
    if placeholders != len(images):  # LLaMA-Factory rejects such an item; never write one
        raise ExportError(tr("Conversation {id} has {placeholders} image placeholders for {images} images; please "
                             "report this.").format(id=conversation_id(rows), placeholders=placeholders,
                                                    images=len(images)))
    first = rows[0].record
    return {
        "messages": messages, "images": list(images), "id": conversation_id(rows), "kind": str(first.kind),
        "language": first.language, "reasoning": first.reasoning, "split": split,
        "record_ids": [r.record.id for r in rows],
    }


def mcq_line(row: SelectedRecord, image: str | None) -> dict:
    """One line of eval/mcq_test.jsonl (read by `remud eval`, ReMUD- and MedVLThinker-style)."""
    rec = row.record
    letter = mcq_letter(rec)
    return {
        "id": f"remud-{rec.id}", "question": neutral(rec.question),
        "options": {LETTERS[i]: neutral(str(opt)) for i, opt in enumerate(rec.options)},
        "answer_label": letter, "answer": f"<answer>{letter}</answer>",
        "image": image, "images": [image] if image else [],
        "language": rec.language, "figure_id": rec.figure_id, "doc_sha256": row.doc_sha256,
    }


def record_row(row: SelectedRecord, split: str, image: str | None, conversation: str) -> dict:
    """All fields and provenance of one record (the JSONL line and the Parquet row). `prompt` is the user
    turn as the conversations have it, with one <image> first when the record has an image."""
    rec = row.record
    return {
        "id": f"remud-{rec.id}", "record_id": rec.id, "split": split, "kind": str(rec.kind),
        "language": rec.language, "reasoning": rec.reasoning, "question": rec.question, "thinking": rec.thinking,
        "answer": rec.answer, "options": list(rec.options), "correct": rec.correct, "status": str(rec.status),
        "score": rec.score, "synthesizer": rec.synthesizer, "model": rec.model,
        "prompt_version": rec.prompt_version, "flags": list(rec.flags), "created_at": rec.created_at,
        "edited_at": rec.edited_at, "figure_id": rec.figure_id, "doc_id": row.doc_id,
        "doc_sha256": row.doc_sha256, "doc_title": row.doc_title, "page": row.page, "image": image,
        "images": [image] if image else [], "conversation": conversation,
        "prompt": (IMAGE_TOKEN if image else "") + user_text(rec), "response": assistant_text(rec),
    }

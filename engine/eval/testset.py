"""Reading a multiple-choice test file into EvalQuestions.

Accepted files: what engine.jsonfiles reads (a JSON array, an object holding lists of items
such as {"data": [...]}, or JSON Lines, one item a line). Each item is one of
- MedVLThinker style: `question`, `options` (a mapping {"A": "…"} or a list), `answer_label`;
- ReMUD style: `question` holding option lines ("A: …", "A. …", "(A) …"), `answer` holding
  `<answer>X</answer>` (or just the letter); "A、…" and "（A）…" lines are read too;
- a ShareGPT conversation (`messages` with role/content or `conversations` with from/value)
  whose user turn holds the options and whose assistant turn holds `<answer>X</answer>`.
Images (`images` list or `image`) are resolved against the file's folder, then up to two
parent folders, so both an export folder's eval/mcq_test.jsonl and a copied file work.
"""

from __future__ import annotations

import hashlib
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.eval.errors import TestSetError
from engine.i18n import tr
from engine.jsonfiles import JsonItemsError, parse_items
from engine.mcq import parse_letter, question_prompt

LETTERS = string.ascii_uppercase
IMAGE_TOKEN = "<image>"
_OPTION_LINE = re.compile(r"^\s*(?:[(（]([A-Z])[)）]|([A-Z])\s*[:.．：)、])\s*(.*\S)\s*$")
_WHERE = re.compile(r"^(Line|Item) (\d+)$")  # what engine.jsonfiles.parse_items yields
_ANSWER_TAG = re.compile(r"<answer>\s*\(?\s*([A-Za-z])\s*\)?\s*(?:[.:：)].*?)?</answer>", re.DOTALL)


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    question: str  # the stem, without option lines and without <image> placeholders
    options: dict[str, str]  # letter -> option text, in letter order
    answer: str  # the gold letter
    images: tuple[Path, ...] = ()
    language: str = ""

    @property
    def letters(self) -> tuple[str, ...]:
        return tuple(self.options)

    def prompt(self, instruction: str = "") -> str:
        """What the model is asked: the stem, a blank line, one "A. option" line per option,
        then the instruction (if any) — the exported training prompt, by the same function."""
        text = question_prompt(self.question, self.options)
        return f"{text}\n\n{instruction}" if instruction else text


@dataclass(frozen=True)
class TestSet:
    path: Path
    questions: tuple[EvalQuestion, ...]
    fingerprint: str  # sha256 of the file's bytes: a resumed run must use the same file

    __test__ = False

    def __len__(self) -> int:
        return len(self.questions)

    def limited(self, limit: int | None) -> TestSet:
        if limit is None:
            return self
        return TestSet(self.path, self.questions[: max(limit, 0)], self.fingerprint)


def load_testset(path: str | Path, *, limit: int | None = None) -> TestSet:
    """The questions of a test file; TestSetError (naming the line or item) for a bad one."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise TestSetError(tr("The test file {path} does not exist; check the path.").format(path=path)) from None
    except IsADirectoryError:
        raise TestSetError(tr("{path} is a folder; give the test file inside it (e.g. eval/mcq_test.jsonl).").format(
            path=path)) from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise TestSetError(tr("The test file {path} is not UTF-8 text; save it as UTF-8 JSON or JSON Lines.").format(
            path=path)) from None
    questions: list[EvalQuestion] = []
    seen: dict[str, str] = {}
    try:
        for where, item in parse_items(text, path.name):
            place = _place(where, path.name)
            q = _question(item, place, path.parent, where.lower().replace(" ", "-"))
            if q.id in seen:
                raise TestSetError(tr("{place} repeats the id '{id}' of {other}; ids must be unique.").format(
                    place=place, id=q.id, other=seen[q.id]))
            seen[q.id] = _place(where)
            questions.append(q)
    except JsonItemsError as exc:
        raise TestSetError(tr("{error} Fix or remove it.").format(error=exc)) from None
    if not questions:
        raise TestSetError(tr("The test file {path} holds no questions.").format(path=path))
    return TestSet(path.resolve(), tuple(questions), hashlib.sha256(data).hexdigest()).limited(limit)


def _place(where: str, file: str | None = None) -> str:
    """`where` of parse_items ("Line 3", "Item 3": data, the default id comes from it) in words:
    "Line 3 of test.jsonl", or "line 3" without `file`."""
    m = _WHERE.match(where)
    n = int(m.group(2)) if m else 0
    if m and m.group(1) == "Line":
        return tr("Line {n} of {file}").format(n=n, file=file) if file else tr("line {n}").format(n=n)
    if m:
        return tr("Item {n} of {file}").format(n=n, file=file) if file else tr("item {n}").format(n=n)
    # Translators: {where} says where in the file {file} an item is.
    return tr("{where} of {file}").format(where=where, file=file) if file else where.lower()


def _question(item: Any, where: str, folder: Path, default_id: str) -> EvalQuestion:
    """The question of one item; `where` names it in messages ("Line 3 of test.jsonl"), and
    `default_id` ("line-3") is its id when it has none."""

    def bad(why: str) -> TestSetError:
        return TestSetError(tr("{where} is not a usable multiple-choice question: {why}.").format(where=where, why=why))

    if not isinstance(item, dict):
        raise bad(tr("it is not a JSON object"))
    turns = item.get("messages") or item.get("conversations")
    gold_text: Any
    if turns is not None:
        stem, gold_text = _sharegpt(turns, bad)
        raw_options: Any = item.get("options")
    else:
        question = item.get("question")
        if not isinstance(question, str) or not question.strip():
            raise bad(tr("it has no 'question' text"))
        stem = question
        gold_text = item.get("answer_label") or item.get("answer")
        raw_options = item.get("options")
    stem = stem.replace(IMAGE_TOKEN, "").strip()
    if raw_options:
        options = _options(raw_options, bad)
    else:
        stem, options = split_options(stem)
    if len(options) < 2:
        raise bad(tr("it has fewer than two options (give 'options', or 'A. …' lines in the question)"))
    gold_text = item.get("answer_label") or gold_text
    if gold_text in (None, ""):
        raise bad(tr("it has no answer (give 'answer_label', or <answer>X</answer> in 'answer')"))
    gold = _gold(gold_text, options)
    if gold is None:
        raise bad(tr("its answer {answer} is not one of the option letters {letters}").format(
            answer=repr(str(gold_text)[:40]), letters=", ".join(options)))
    qid = item.get("id")
    return EvalQuestion(
        id=str(qid) if qid not in (None, "") else default_id,
        question=stem,
        options=options,
        answer=gold,
        images=tuple(_resolve(p, folder, bad) for p in _image_paths(item, bad)),
        language=str(item.get("language") or ""),
    )


def _sharegpt(turns: Any, bad) -> tuple[str, str]:
    if not isinstance(turns, list):
        raise bad(tr("'messages' is not a list"))
    user = assistant = None
    for turn in turns:
        if not isinstance(turn, dict):
            raise bad(tr("a turn of 'messages' is not an object"))
        role = turn.get("role") or {"human": "user", "gpt": "assistant"}.get(str(turn.get("from")), turn.get("from"))
        content = turn.get("content", turn.get("value"))
        if role == "user" and user is None:
            user = content
        elif role == "assistant" and user is not None and assistant is None:
            assistant = content
    if not isinstance(user, str) or not isinstance(assistant, str):
        raise bad(tr("it has no user turn followed by an assistant turn"))
    return user, assistant


def _options(raw: Any, bad) -> dict[str, str]:
    if isinstance(raw, dict):
        options = {str(k).strip().upper(): str(v).strip() for k, v in raw.items()}
        if any(len(k) != 1 or k not in LETTERS for k in options):
            raise bad(tr("the keys of 'options' must be single letters A, B, C, …"))
        return dict(sorted(options.items()))
    if isinstance(raw, list) and len(raw) <= len(LETTERS):
        return {LETTERS[i]: str(v).strip() for i, v in enumerate(raw)}
    if isinstance(raw, str):
        return split_options(raw)[1]
    raise bad(tr("'options' must be a mapping of letters to text or a list"))


def split_options(text: str) -> tuple[str, dict[str, str]]:
    """(stem, options) from a question whose options are lines "A: …", "A. …" or "(A) …".
    Option lines count only as a run A, B, C, … in order; anything else stays in the stem."""
    lines = text.splitlines()
    for start, line in enumerate(lines):
        m = _OPTION_LINE.match(line)
        if not m or (m.group(1) or m.group(2)) != "A":
            continue
        options: dict[str, str] = {}
        for follow in lines[start:]:
            m = _OPTION_LINE.match(follow)
            if m is None or (m.group(1) or m.group(2)) != LETTERS[len(options)]:
                if follow.strip() or not options:
                    break
                continue
            options[m.group(1) or m.group(2)] = m.group(3)
        if len(options) >= 2:
            return "\n".join(lines[:start]).strip(), options
    return text.strip(), {}


def _gold(value: Any, options: dict[str, str]) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    m = list(_ANSWER_TAG.finditer(value))
    if m:
        letter = m[-1].group(1).upper()
    else:  # "B", "(B)", "b", "B. Liver", "B) Liver", "B: Liver", else the option's own text
        letter = parse_letter(value, len(LETTERS)) or next(
            (k for k, v in options.items() if v.strip().lower() == value.lower()), "")
    return letter if letter in options else None


def _image_paths(item: dict, bad) -> list[str]:
    raw = item.get("images")
    if raw is None:
        raw = item.get("image")
    if raw in (None, "", []):
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and all(isinstance(p, str) for p in raw):
        return raw
    raise bad(tr("'images' must be a list of file paths"))


def _resolve(name: str, folder: Path, bad) -> Path:
    path = Path(name)
    if path.is_absolute():
        candidates = [path]
    else:
        candidates = [folder / path, folder.parent / path, folder.parent.parent / path]
    for candidate in candidates:
        if candidate.is_file():
            return candidate.resolve()
    raise bad(tr("its image {name} was not found next to the test file or in the two folders above it").format(
        name=name))

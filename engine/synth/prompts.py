"""Versioned prompt templates for synthesis (resources/prompts/synth_<template>_<lang>.md).

A template file starts with a header of "key: value" lines ended by a line "---":

    version: 1
    empty: (none)
    ---
    The prompt text, with {caption}, {context}, {burned_text} and {section} ...

`version` is required; each record keeps "<file stem>@<version>" as its prompt_version,
so editing a template means raising its version. `empty` is what an empty field is
replaced with. Blocks between [[reasoning]]...[[/reasoning]] are kept only for reasoning
requests, [[plain]]...[[/plain]] only for non-reasoning ones, [[page]]...[[/page]] only
when the page image is sent and [[nopage]]...[[/nopage]] only when it is not.

Which template a request uses follows from its kind and whether it has an image:

    image + vqa -> vqa       image + mcq -> mcq       image + qa -> conversation
    text  + qa  -> text_qa   text  + mcq -> text_mcq  (text + vqa is refused)

User-editable copies (e.g. in the project folder) are found first: pass their folders
as `search_dirs`; the shipped folder is always searched last.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from engine.i18n import tr
from engine.resources import resource
from engine.store.models import RecordKind
from engine.synth.base import LANGUAGES, SynthConfigError, SynthInput

FIELDS = ("caption", "context", "burned_text", "section")
_BLOCK = re.compile(r"\[\[(reasoning|plain|page|nopage)\]\](.*?)\[\[/\1\]\]", re.DOTALL)


def template_for(inp: SynthInput) -> str:
    """The template name (without language) a request uses."""
    kind = RecordKind(inp.kind)
    if inp.has_image:
        return {RecordKind.VQA: "vqa", RecordKind.MCQ: "mcq", RecordKind.QA: "conversation"}[kind]
    if kind is RecordKind.VQA:
        raise SynthConfigError(tr("A visual question (vqa) needs a figure image; use qa or mcq for text-only passages."))
    return {RecordKind.QA: "text_qa", RecordKind.MCQ: "text_mcq"}[kind]


def uses_reasoning(template: str, reasoning: bool) -> bool:
    """The multi-turn conversation about an image is always non-reasoning."""
    return reasoning and template != "conversation"


@dataclass(frozen=True)
class PromptTemplate:
    name: str  # file stem, e.g. "synth_vqa_en"
    version: str
    text: str
    empty: str = "(none)"

    @property
    def prompt_version(self) -> str:
        return f"{self.name}@{self.version}"

    def render(self, inp: SynthInput, *, reasoning: bool, with_page: bool) -> str:
        keep = {"reasoning": reasoning, "plain": not reasoning, "page": with_page, "nopage": not with_page}
        text = _BLOCK.sub(lambda m: m.group(2) if keep[m.group(1)] else "", self.text)
        for name in FIELDS:
            value = " ".join(str(getattr(inp, name) or "").split()) if name != "context" else str(inp.context or "").strip()
            text = text.replace("{" + name + "}", value or self.empty)
        return re.sub(r"\n{3,}", "\n\n", text).strip()

    @classmethod
    def parse(cls, name: str, raw: str) -> PromptTemplate:
        header, sep, body = raw.partition("\n---")
        if not sep:
            raise SynthConfigError(tr("The prompt template {name} has no header (version: ..., then a line ---).").format(
                name=name))
        meta = {}
        for line in header.splitlines():
            key, colon, value = line.partition(":")
            if colon and key.strip():
                meta[key.strip().lower()] = value.strip()
        version = meta.get("version", "")
        if not version:
            raise SynthConfigError(tr("The prompt template {name} has no version in its header.").format(name=name))
        body = body.partition("\n")[2].strip()
        if not body:
            raise SynthConfigError(tr("The prompt template {name} is empty.").format(name=name))
        return cls(name, version, body, meta.get("empty", "(none)"))


def template_path(template: str, language: str, search_dirs: Sequence[Path | str] = ()) -> Path:
    if language not in LANGUAGES:
        raise SynthConfigError(tr("Unknown language '{language}'; use one of: {languages}.").format(
            language=language, languages=", ".join(LANGUAGES)))
    file_name = f"synth_{template}_{language}.md"
    for folder in [*map(Path, search_dirs), resource("prompts")]:
        candidate = folder / file_name
        if candidate.is_file():
            return candidate
    raise SynthConfigError(tr("There is no prompt template {name}.").format(name=file_name))


_PARSED: dict[Path, tuple[tuple[int, int], PromptTemplate]] = {}
_PARSED_LOCK = threading.Lock()


def load_template(template: str, language: str, search_dirs: Sequence[Path | str] = ()) -> PromptTemplate:
    """The template file, parsed. Parsed files are kept per path and used again while the
    file's modification time and size are unchanged, so an edited user copy is read anew
    but a job does not read and parse the same file for every item."""
    path = template_path(template, language, search_dirs)
    try:
        st = path.stat()
        stamp = (st.st_mtime_ns, st.st_size)
        with _PARSED_LOCK:
            hit = _PARSED.get(path)
        if hit is not None and hit[0] == stamp:
            return hit[1]
        raw = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SynthConfigError(tr("The prompt template {name} could not be read ({error}).").format(
            name=path, error=exc)) from exc
    parsed = PromptTemplate.parse(path.stem, raw)
    with _PARSED_LOCK:
        _PARSED[path] = (stamp, parsed)
    return parsed


@dataclass(frozen=True)
class Prompt:
    """A rendered request: the text, the images in order, and what to expect back."""

    template: str
    prompt_version: str
    text: str
    images: tuple[bytes, ...]
    reasoning: bool


def build_prompt(inp: SynthInput, search_dirs: Sequence[Path | str] = ()) -> Prompt:
    template = template_for(inp)
    tpl = load_template(template, inp.language, search_dirs)
    reasoning = uses_reasoning(template, inp.reasoning)
    with_page = inp.has_image and bool(inp.page_image)
    images = tuple(b for b in ((inp.image, inp.page_image) if inp.has_image else ()) if b)
    return Prompt(template, tpl.prompt_version, tpl.render(inp, reasoning=reasoning, with_page=with_page), images, reasoning)

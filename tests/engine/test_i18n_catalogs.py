"""The translation catalogs: every string of the code is in them and translated, the committed
compiled files match their sources, and the translations keep what the program fills in.

Each test names the strings it finds wrong, so a failure says what to translate or fix
(scripts/i18n.py update, translate, compile)."""

from __future__ import annotations

import importlib.util
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from engine.i18n import LANGUAGES, SOURCE_LANGUAGE
from tests.i18n_checks import english_left

ROOT = Path(__file__).resolve().parents[2]
I18N = ROOT / "resources" / "i18n"
TRANSLATED = [code for code in LANGUAGES if code != SOURCE_LANGUAGE]

def load_script():
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def script():
    return load_script()


@pytest.fixture(scope="module")
def updated(script, tmp_path_factory) -> Path:
    """The committed catalogs brought up to date with today's code, in a scratch folder: a
    string added to the code without a translation shows up there as unfinished."""
    folder = tmp_path_factory.mktemp("i18n")
    for path in I18N.iterdir():
        if path.suffix in (".ts", ".po", ".pot"):
            shutil.copy(path, folder / path.name)
    script.update_gui(folder)
    script.update_engine(folder)
    return folder


def gui_messages(path: Path):
    """(context, source, [translations], numerus) of a .ts file."""
    for context in ET.parse(path).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            assert translation is not None
            if message.get("numerus") == "yes":
                forms = [form.text or "" for form in translation.iter("numerusform")]
            else:
                forms = [translation.text or ""]
            yield name, message.findtext("source") or "", forms, message.get("numerus") == "yes"


def engine_messages(path: Path):
    """(msgid, msgid_plural or None, [translations]) of a .po file."""
    with open(path, "rb") as fh:
        catalog = read_po(fh)
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, (list, tuple)):
            yield message.id[0], message.id[1], list(message.string)
        else:
            yield message.id, None, [message.string]


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_every_gui_string_is_translated(script, updated, language):
    missing = script.unfinished_gui(language, updated)
    assert not missing, f"{len(missing)} GUI strings without a {language} translation: {missing[:30]}"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_engine_string_is_translated(script, updated, language):
    missing = script.unfinished_engine(language, updated)
    assert not missing, f"{len(missing)} engine strings without a {language} translation: {missing[:30]}"


def test_there_is_a_catalog_for_every_language():
    for language in LANGUAGES:
        assert (I18N / f"gui_{language}.ts").is_file(), language
        assert (I18N / f"gui_{language}.qm").is_file(), language
    for language in TRANSLATED:
        assert (I18N / f"engine_{language}.po").is_file(), language
        assert (I18N / f"engine_{language}.mo").is_file(), language


def test_the_committed_compiled_catalogs_match_their_sources(script, tmp_path):
    stale = []
    for language in LANGUAGES:
        out = tmp_path / f"gui_{language}.qm"
        script.compile_gui(language, out)
        if out.read_bytes() != (I18N / out.name).read_bytes():
            stale.append(out.name)
    for language in TRANSLATED:
        if script.compile_engine(language) != (I18N / f"engine_{language}.mo").read_bytes():
            stale.append(f"engine_{language}.mo")
    assert not stale, f"run `python scripts/i18n.py compile`: {stale} are older than their .ts/.po"


FIELD = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*(?:[:!][^{}]*)?\}")
ACCELERATOR = re.compile(r"&(?=[^&\s])")


def placeholder_problems(source: str, forms: list[str], numerus: bool) -> list[str]:
    problems = []
    wanted = sorted(FIELD.findall(source))
    for form in forms:
        if sorted(FIELD.findall(form)) != wanted:
            problems.append(f"{source!r} -> {form!r}: fields {wanted} not kept")
        if numerus and "%n" in source and "%n" not in form and wanted == sorted(FIELD.findall(form)):
            problems.append(f"{source!r} -> {form!r}: %n not kept")
        if len(ACCELERATOR.findall(source.replace("&&", ""))) != len(ACCELERATOR.findall(form.replace("&&", ""))):
            problems.append(f"{source!r} -> {form!r}: the & accelerator not kept")
    return problems


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_gui_translations_keep_placeholders_and_accelerators(language):
    problems = []
    for _context, source, forms, numerus in gui_messages(I18N / f"gui_{language}.ts"):
        problems += placeholder_problems(source, [f for f in forms if f], numerus)
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("language", TRANSLATED)
def test_engine_translations_keep_placeholders(language):
    problems = []
    for msgid, plural, forms in engine_messages(I18N / f"engine_{language}.po"):
        singular = set(FIELD.findall(msgid))
        # a plural message's forms name the plural's fields (its singular may spell "one" out)
        allowed = [singular] if plural is None else [set(FIELD.findall(plural)), singular | set(FIELD.findall(plural))]
        problems += [f"{msgid!r} -> {form!r}: fields not kept" for form in forms
                     if form and set(FIELD.findall(form)) not in allowed]
    assert not problems, "\n".join(problems[:30])


def test_english_plurals_have_both_forms():
    problems = [source for _c, source, forms, numerus in gui_messages(I18N / "gui_en.ts")
                if numerus and (len(forms) != 2 or not all(forms))]
    assert not problems, problems


@pytest.mark.parametrize("language", [code for code in TRANSLATED if code.startswith("zh")])
def test_chinese_translations_leave_no_english(language):
    left = []
    for _context, source, forms, _n in gui_messages(I18N / f"gui_{language}.ts"):
        left += [f"{source!r} -> {form!r}: {english_left(form)}" for form in forms if english_left(form)]
    for msgid, _plural, forms in engine_messages(I18N / f"engine_{language}.po"):
        left += [f"{msgid!r} -> {form!r}: {english_left(form)}" for form in forms if english_left(form)]
    assert not left, f"{len(left)} translations keep English words:\n" + "\n".join(left[:40])

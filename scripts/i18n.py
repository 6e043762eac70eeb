"""Translation catalogs: extract, compile, check.

    python scripts/i18n.py update    # sources -> resources/i18n/*.ts and *.po (new strings unfinished)
    python scripts/i18n.py compile   # *.ts -> *.qm (pyside6-lrelease), *.po -> *.mo (Babel)
    python scripts/i18n.py check     # count unfinished or missing entries; exit 1 if any
    python scripts/i18n.py merge PART.ts PART.po ...   # update, take the finished translations of
                                                       # other files (a translator's copy), compile

The GUI's strings (self.tr / QCoreApplication.translate in remud_desktop/) are extracted by
pyside6-lupdate into gui_<lang>.ts; gui_en.ts holds only the plural forms English needs
("%n figure(s)" -> "1 figure" / "3 figures"). The engine's (tr / ntr / N_ from engine.i18n, plus the
titles and descriptions of the detector and synthesizer cards, and the app's launcher and
platform check, which speak before Qt is loaded) are extracted with Babel into
engine.pot and merged into engine_<lang>.po. The compiled .qm and .mo files are committed, so an
installed app needs no Qt tools and no Babel; tests/engine/test_i18n_catalogs.py fails when one is
out of date with its source or when an entry is unfinished.
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.i18n import LANGUAGES, SOURCE_LANGUAGE  # noqa: E402

I18N = ROOT / "resources" / "i18n"
GUI_SOURCES = ROOT / "remud_desktop"
ENGINE_SOURCES = ROOT / "engine"
# the app's code that runs before Qt is loaded (the launcher's --help, the missing-library sentence) speaks
# through engine.i18n too
ENGINE_SPEAKING_APP_FILES = ("remud_desktop/app.py", "remud_desktop/platform_check.py")
CARD_FILES = ("detectors.toml", "synthesizers.toml")
CARD_FIELDS = ("title", "description")
KEYWORDS = {"tr": None, "ntr": (1, 2), "N_": None}
TRANSLATOR_COMMENTS = ("Translators:",)


def qt_tool(name: str) -> str:
    """pyside6-<name> beside this Python (a virtualenv's bin/ or Scripts/), else on PATH."""
    here = Path(sys.executable).parent
    for candidate in (here / f"pyside6-{name}", here / f"pyside6-{name}.exe"):
        if candidate.is_file():
            return str(candidate)
    return f"pyside6-{name}"


def ts_path(language: str, folder: Path = I18N) -> Path:
    return folder / f"gui_{language}.ts"


def po_path(language: str, folder: Path = I18N) -> Path:
    return folder / f"engine_{language}.po"


def translated_languages() -> list[str]:
    return [code for code in LANGUAGES if code != SOURCE_LANGUAGE]


# -- extraction -------------------------------------------------------------------------------------

def update_gui(folder: Path = I18N) -> None:
    """Bring the .ts files in `folder` up to date with the GUI's sources (new strings unfinished)."""
    for language in LANGUAGES:
        # the files by name: given a folder, this lupdate finds no Python sources
        sources = sorted(str(path.relative_to(ROOT).as_posix()) for path in GUI_SOURCES.rglob("*.py"))
        sources = [path for path in sources if path not in ENGINE_SPEAKING_APP_FILES]
        args = [qt_tool("lupdate"), *sources, "-no-obsolete",
                "-locations", "none", "-source-language", SOURCE_LANGUAGE, "-target-language", language]
        if language == SOURCE_LANGUAGE:
            args.append("-pluralonly")  # English only needs "1 figure" / "3 figures"
        subprocess.run([*args, "-ts", str(ts_path(language, folder))], check=True, cwd=ROOT,
                       stdout=subprocess.DEVNULL)


def card_messages() -> Iterator[tuple[str, str]]:
    """(file name, text) of every title and description on the shipped cards."""
    for name in CARD_FILES:
        with open(ROOT / "resources" / name, "rb") as fh:
            cards = tomllib.load(fh)
        for entry in cards.values():
            if isinstance(entry, dict):
                for field in CARD_FIELDS:
                    if isinstance(entry.get(field), str) and entry[field]:
                        yield name, entry[field]


def engine_template():  # -> babel.messages.catalog.Catalog
    from babel.messages.catalog import Catalog
    from babel.messages.extract import extract_from_dir, extract_from_file

    template = Catalog(project="ReMUD Desktop", msgid_bugs_address="", fuzzy=False)
    found = extract_from_dir(str(ENGINE_SOURCES), method_map=[("**.py", "python")], keywords=KEYWORDS,
                             comment_tags=TRANSLATOR_COMMENTS, strip_comment_tags=True)
    for filename, lineno, message, comments, context in found:
        template.add(message, locations=[(f"engine/{filename}", lineno)], auto_comments=comments,
                     context=context)
    for filename in ENGINE_SPEAKING_APP_FILES:
        for lineno, message, comments, context in extract_from_file(
                "python", str(ROOT / filename), keywords=KEYWORDS, comment_tags=TRANSLATOR_COMMENTS,
                strip_comment_tags=True):
            template.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    for filename, text in card_messages():
        template.add(text, locations=[(f"resources/{filename}", 0)], auto_comments=["A card in Detect or Synthesize"])
    return template


def write_catalog(catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, no_location=True, omit_header=False, sort_output=True,
             ignore_obsolete=True)
    path.write_bytes(buffer.getvalue())


def update_engine(folder: Path = I18N) -> None:
    """Write engine.pot from the engine's sources and merge it into the .po files in `folder`."""
    from babel.messages.pofile import read_po

    template = engine_template()
    write_catalog(template, folder / "engine.pot")
    for language in translated_languages():
        path = po_path(language, folder)
        if path.is_file():
            with open(path, "rb") as fh:
                catalog = read_po(fh, locale=language)
        else:
            from babel.messages.catalog import Catalog

            catalog = Catalog(locale=language, project="ReMUD Desktop", fuzzy=False)
        catalog.update(template, no_fuzzy_matching=True)
        write_catalog(catalog, path)


# -- compiling --------------------------------------------------------------------------------------

def compile_gui(language: str, out: Path, folder: Path = I18N) -> None:
    subprocess.run([qt_tool("lrelease"), "-silent", "-nounfinished", str(ts_path(language, folder)),
                    "-qm", str(out)], check=True, cwd=ROOT)


def compile_engine(language: str, folder: Path = I18N) -> bytes:
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with open(po_path(language, folder), "rb") as fh:
        catalog = read_po(fh, locale=language)
    # Babel reads an unset PO-Revision-Date as "now": pin it, so the same .po always makes the same .mo
    catalog.revision_date = catalog.creation_date
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_all() -> None:
    for language in LANGUAGES:
        compile_gui(language, I18N / f"gui_{language}.qm")
    for language in translated_languages():
        (I18N / f"engine_{language}.mo").write_bytes(compile_engine(language))


# -- merging work done elsewhere --------------------------------------------------------------------

def _key(message: ET.Element, context: str) -> tuple[str, str, str]:
    return context, message.findtext("source") or "", message.findtext("comment") or ""


def merge_gui(part: Path) -> int:
    """Copy the finished translations of `part` (a .ts, e.g. a translator's copy) into the catalog
    of its language; returns how many were taken."""
    language = ET.parse(part).getroot().get("language") or ""
    if language not in LANGUAGES:
        raise SystemExit(f"{part}: set the TS element's language to one of {', '.join(LANGUAGES)}.")
    done: dict[tuple[str, str, str], ET.Element] = {}
    for context in ET.parse(part).getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            translation = message.find("translation")
            if translation is not None and translation.get("type") is None:
                done[_key(message, name)] = translation
    tree = ET.parse(ts_path(language))
    taken = 0
    for context in tree.getroot().iter("context"):
        name = context.findtext("name") or ""
        for message in context.iter("message"):
            key = _key(message, name)
            if key in done:
                old = message.find("translation")
                if old is not None:
                    message.remove(old)
                message.append(done[key])
                taken += 1
    tree.write(ts_path(language), encoding="utf-8", xml_declaration=True)
    return taken


def merge_engine(part: Path) -> int:
    from babel.messages.pofile import read_po

    with open(part, "rb") as fh:
        source = read_po(fh)
    language = source.locale_identifier or ""
    if language not in LANGUAGES:
        raise SystemExit(f"{part}: its header's Language must be one of {', '.join(LANGUAGES)}.")
    with open(po_path(language), "rb") as fh:
        catalog = read_po(fh, locale=language)
    taken = 0
    for message in source:
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if not message.id or message.fuzzy or not all(strings):
            continue
        target = catalog.get(message.id, message.context)
        if target is not None:
            target.string = message.string
            target.flags.discard("fuzzy")
            taken += 1
    write_catalog(catalog, po_path(language))
    return taken


# -- checking ---------------------------------------------------------------------------------------

def unfinished_gui(language: str, folder: Path = I18N) -> list[str]:
    """The source texts of `language`'s .ts that have no finished translation."""
    missing = []
    for message in ET.parse(ts_path(language, folder)).getroot().iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None or translation.get("type") in ("unfinished", "obsolete", "vanished"):
            missing.append(source)
            continue
        forms = [form.text or "" for form in translation.iter("numerusform")]
        texts = forms if message.get("numerus") == "yes" else [translation.text or ""]
        if not texts or not all(text.strip() for text in texts):
            missing.append(source)
    return missing


def unfinished_engine(language: str, folder: Path = I18N) -> list[str]:
    from babel.messages.pofile import read_po

    with open(po_path(language, folder), "rb") as fh:
        catalog = read_po(fh, locale=language)
    missing = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, (list, tuple)) else [message.string]
        if message.fuzzy or not all(s and s.strip() for s in strings):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def check() -> int:
    bad = 0
    for language in LANGUAGES:
        gui = unfinished_gui(language)
        engine = unfinished_engine(language) if language != SOURCE_LANGUAGE else []
        print(f"{language}: {len(gui)} GUI and {len(engine)} engine entries unfinished")
        for text in [*gui, *engine][:40]:
            print(f"  {text!r}")
        bad += len(gui) + len(engine)
    return 1 if bad else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("update", "compile", "check", "merge"))
    parser.add_argument("parts", nargs="*", type=Path, help="merge: .ts and .po files to take translations from")
    args = parser.parse_args(argv)
    I18N.mkdir(parents=True, exist_ok=True)
    if args.command == "update":
        update_gui()
        update_engine()
        return check()
    if args.command == "merge":
        update_gui()
        update_engine()
        for part in args.parts:
            taken = merge_gui(part) if part.suffix == ".ts" else merge_engine(part)
            print(f"{part}: {taken} translations taken")
        update_gui()  # lupdate writes the catalogs back in its own layout
        compile_all()
        check()
        return 0
    if args.command == "compile":
        compile_all()
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main())

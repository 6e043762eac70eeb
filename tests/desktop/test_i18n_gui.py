"""The interface in Simplified Chinese: every window, dialog, dock, menu and tooltip of the app is
walked under zh_CN and any English left in it fails the test, naming the widget and the text.

The project's own content (document names, captions, records, paths) is data, not interface:
it is taken out before the check. Names, units and key names may stay (tests/i18n_checks.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QTextDocumentFragment
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QGroupBox,
    QLabel,
    QLineEdit,
    QMenu,
    QPlainTextEdit,
    QSpinBox,
    QTabBar,
    QTableView,
    QTextEdit,
    QTreeView,
    QWidget,
)

from engine import i18n as engine_i18n
from engine import settings as engine_settings
from engine.detect import registry as detectors
from engine.sample import ensure_sample_project
from engine.store import chats, documents, figures, records
from engine.synth import registry as synthesizers
from remud_desktop import i18n
from remud_desktop.detection.dialog import DetectDialog
from remud_desktop.export.dialog import ExportDialog
from remud_desktop.settings.dialog import SettingsDialog
from remud_desktop.synthesis.dialog import SynthDialog
from remud_desktop.team import HandOutDialog, MergeDialog
from tests.desktop.gui_helpers import finish_jobs, make_window
from tests.i18n_checks import english_left


@pytest.fixture
def chinese(qapp) -> Iterator[None]:
    assert not i18n.install(qapp, "zh_CN"), "the zh_CN catalogs are missing (scripts/i18n.py compile)"
    yield
    i18n.install(qapp, "en")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return ensure_sample_project(tmp_path_factory.mktemp("sample") / "Sample atlas.remud")


def plain(text: str) -> str:
    """A label's text as read: rich text without its tags, code (<tt>) kept marked as `code`."""
    if "<" not in text:
        return text
    return QTextDocumentFragment.fromHtml(re.sub(r"<(tt|code)>(.*?)</\1>", r"`\2`", text)).toPlainText()


def texts_of(root: QWidget) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of interface text under `root`: titles, labels, buttons, group
    boxes, placeholders, tabs, column headers, combo entries, spin box affixes, tooltips, actions."""
    for w in [root, *root.findChildren(QWidget)]:
        where = f"{type(w).__name__} {w.objectName() or ''}".strip()
        if w.isWindow() or isinstance(w, QMenu):
            yield where, w.windowTitle()
        yield where, w.toolTip()
        yield where, w.statusTip()
        if isinstance(w, QLabel):
            yield where, plain(w.text())
        elif isinstance(w, QAbstractButton):
            yield where, w.text()
        elif isinstance(w, QGroupBox):
            yield where, w.title()
        elif isinstance(w, QLineEdit | QTextEdit | QPlainTextEdit):
            yield where, w.placeholderText()  # what is typed is the user's
        elif isinstance(w, QComboBox) and not w.isEditable():
            for i in range(w.count()):
                yield where, w.itemText(i)
        elif isinstance(w, QTabBar):
            for i in range(w.count()):
                yield where, w.tabText(i)
                yield where, w.tabToolTip(i)
        elif isinstance(w, QSpinBox | QDoubleSpinBox):
            yield where, w.prefix() + " " + w.suffix()
        if isinstance(w, QAbstractSpinBox):
            yield where, w.specialValueText()
        if isinstance(w, QMenu):
            yield where, w.title()
        if isinstance(w, QTableView | QTreeView) and w.model() is not None:
            model = w.model()
            for col in range(model.columnCount(QModelIndex())):
                yield f"{where} header", str(model.headerData(col, Qt.Orientation.Horizontal) or "")
    for action in root.findChildren(QAction):
        where = f"QAction {action.objectName() or action.text()!r}"
        yield where, action.text()
        yield where, action.toolTip()
        yield where, action.statusTip()


def interface_data() -> set[str]:
    """Names the interface shows as they are: languages in their own words, card identifiers."""
    data = set(engine_i18n.LANGUAGES.values())  # each language is named in itself ("English")
    # detector and synthesizer names are identifiers (`remud detect --detector auto`), shown beside their titles
    cards = [*detectors.available(), *synthesizers.available()]
    return data | {f"({card.name})" for card in cards} | {f"  {card.name}" for card in cards}


def project_data(project) -> set[str]:
    """Text that is the project's content."""
    data = interface_data() | {project.folder.name, str(project.folder)}
    for doc in documents.list_documents(project):
        data |= {doc.title, doc.file, doc.original_path, doc.original_path.rsplit("/", 1)[-1]}
    for fig in figures.list_figures(project):
        data |= {fig.label, fig.detector, *(str(v) for v in vars(fig.text).values())}
    for rec in records.list_records(project):
        data |= {rec.question, rec.answer, rec.thinking, *rec.options, rec.model, rec.synthesizer}
    for session in chats.list_sessions(project):
        data.add(session.title)
    return data


def english_in(root: QWidget, data: set[str]) -> list[str]:
    found = []
    longest_first = sorted((d for d in data if d and len(d) > 2), key=len, reverse=True)
    for where, text in texts_of(root):
        for item in longest_first:
            text = text.replace(item, " ")
        words = english_left(text)
        if words:
            found.append(f"{where}: {text!r} ({' '.join(words)})")
    return sorted(set(found))


def test_no_english_is_left_in_any_window_under_zh_cn(qtbot, isolated, chinese, sample, memory_keyring):
    window = make_window(qtbot, isolated)
    assert "ReMUD" in window.windowTitle()
    problems = [f"welcome screen — {p}" for p in english_in(window, interface_data())]
    assert window.open_project(sample)
    data = project_data(window.session.project)
    finish_jobs(qtbot, window)
    problems += [f"main window — {p}" for p in english_in(window, data)]
    window.show_chat()
    problems += [f"chat — {p}" for p in english_in(window, data)]

    session = window.session
    dialogs: list[QDialog] = [
        SettingsDialog(window),
        DetectDialog(page=session.page, page_count=session.page_count(), selected=[], detector="auto",
                     failed_pages=2, parent=window),
        SynthDialog(session, [f.id for f in figures.list_figures(session.project)][:2], window),
        ExportDialog(session, window.runner, isolated, window),
        HandOutDialog(session, window.runner, window),
        MergeDialog(session, window.runner, window),
    ]
    window.show_shortcuts()
    dialogs.append(window._shortcuts)
    for dialog in dialogs:
        qtbot.addWidget(dialog)
        dialog.show()
        QApplication.processEvents()
        problems += [f"{type(dialog).__name__} — {p}" for p in english_in(dialog, data)]
        dialog.close()
    finish_jobs(qtbot, window)
    assert not problems, f"{len(problems)} English texts under zh_CN:\n" + "\n".join(problems)


def test_switching_back_to_english_restores_the_english_interface(qtbot, isolated, qapp):
    i18n.install(qapp, "zh_CN")
    try:
        chinese_window = make_window(qtbot, isolated)
        assert engine_i18n.current_language() == "zh_CN"
        chinese_menus = [a.text() for a in chinese_window.menuBar().actions()]
    finally:
        i18n.install(qapp, "en")
    english_window = make_window(qtbot, isolated)
    english_menus = [a.text() for a in english_window.menuBar().actions()]
    assert engine_i18n.current_language() == "en"
    assert english_menus[0] == "&File"
    assert chinese_menus != english_menus and "文件" in chinese_menus[0]


def test_the_app_speaks_the_language_asked_for(qtbot, isolated, tmp_path, monkeypatch):
    """`remud-desktop --lang zh_CN` and the saved setting choose the language; an unknown one exits 2."""
    from remud_desktop import app as app_module

    monkeypatch.setenv("LANGUAGE", "en")
    assert i18n.language_for_start("zh_CN") == "zh_CN"
    assert i18n.language_for_start(None) == "en"
    engine_settings.set_appearance_options(language="zh_CN")
    assert i18n.language_for_start(None) == "zh_CN"
    assert app_module.main(["--lang", "klingon", "--screenshot", str(tmp_path / "x.png")]) == 2

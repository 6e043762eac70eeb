"""The main window's actions, menus and toolbar, built in one place.

Shortcuts are QActions with the window-wide context, so they work while the canvas
(or any other child without its own use for the key) has focus.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, QObject, Qt, Slot
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar
from shiboken6 import isValid

from remud_desktop.detection import DetectScope
from remud_desktop.window import review
from remud_desktop.window.shortcuts import plain_text

StdKey = QKeySequence.StandardKey


@dataclass
class Actions:
    all: dict[str, QAction] = field(default_factory=dict)
    recent_menu: QMenu | None = None
    docks_menu: QMenu | None = None

    def __getitem__(self, name: str) -> QAction:
        return self.all[name]


def _action(window, actions: Actions, name: str, text: str, slot=None, keys=(), tip: str = "",
            checkable: bool = False, icon=None) -> QAction:
    """`text` and `tip` come translated; the tooltip and status tip show the text without its
    accelerator ("&New project…", "新建项目…(&N)" -> "New project", "新建项目")."""
    action = QAction(text, window)
    action.setObjectName(name)
    if keys:
        action.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setCheckable(checkable)
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
    action.setIconText(plain_text(text))  # the toolbar's words: Qt strips "&" but not a translation's "(&O)"
    plain = tip or plain_text(text)
    action.setToolTip(QCoreApplication.translate("Actions", "{tip} ({keys})").format(tip=plain, keys=shown)
                      if shown else plain)
    action.setStatusTip(plain)
    if slot is not None:
        action.triggered.connect(slot)
    window.addAction(action)  # window-wide, even when the menu bar is hidden
    actions.all[name] = action
    return action


class StepName(QObject):
    """Names an Undo or Redo action after the step it acts on. A child of the action, so it goes with it;
    while a closing window takes its actions down, the stack (cleared as the project closes) may still
    say its text changed: a deleted action is then left alone."""

    def __init__(self, action: QAction, with_step: str, without: str) -> None:
        super().__init__(action)
        self.action, self.with_step, self.without = action, with_step, without

    @Slot(str)
    def name(self, step: str) -> None:
        if not isValid(self.action):
            return
        self.action.setText(self.with_step.format(step=step) if step else self.without)


def _undo_redo(window, a: Actions) -> None:
    """Undo and Redo, named after the step they act on ("&Undo Mark page reviewed"): the whole text
    is one translated sentence, so the language can put the step where it belongs."""
    stack = window.session.undo_stack
    undo = stack.createUndoAction(window, QCoreApplication.translate("Actions", "&Undo"))
    undo.setShortcuts([QKeySequence("Ctrl+Z")])
    redo = stack.createRedoAction(window, QCoreApplication.translate("Actions", "&Redo"))
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])

    # connected after the actions' own: these texts are the ones that stay
    name_undo = StepName(undo, QCoreApplication.translate("Actions", "&Undo {step}"),
                         QCoreApplication.translate("Actions", "&Undo"))
    name_redo = StepName(redo, QCoreApplication.translate("Actions", "&Redo {step}"),
                         QCoreApplication.translate("Actions", "&Redo"))
    stack.undoTextChanged.connect(name_undo.name)
    stack.redoTextChanged.connect(name_redo.name)
    name_undo.name(stack.undoText())
    name_redo.name(stack.redoText())
    for name, action in (("undo", undo), ("redo", redo)):
        action.setObjectName(name)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        a.all[name] = action


def build_actions(window) -> Actions:
    """Every action of the window, with its menu place, shortcut and slot."""
    a = Actions()
    s = window.session
    SP = QStyle.StandardPixmap
    # File
    _action(window, a, "new", QCoreApplication.translate("Actions", "&New project…"), window.new_project_dialog,
            [StdKey.New])
    _action(window, a, "open", QCoreApplication.translate("Actions", "&Open project…"), window.open_project_dialog,
            [StdKey.Open], icon=SP.SP_DialogOpenButton)
    _action(window, a, "import", QCoreApplication.translate("Actions", "&Import PDFs…"), window.import_dialog, ["Ctrl+I"],
            QCoreApplication.translate("Actions", "Import PDF files (or drop PDFs and folders on the window)"),
            icon=SP.SP_FileDialogNewFolder)
    _action(window, a, "export", QCoreApplication.translate("Actions", "&Export dataset…"), window.export_dialog, ["Ctrl+E"],
            QCoreApplication.translate("Actions", "Write the chosen records as a training dataset (counts per split shown first)"))
    _action(window, a, "handout", QCoreApplication.translate("Actions", "&Hand out…"), window.team.hand_out, (),
            QCoreApplication.translate("Actions", "Split this project into parts for several annotators: one project folder "
                                                  "each, merged back later"))
    _action(window, a, "merge", QCoreApplication.translate("Actions", "&Merge project…"), window.team.merge, (),
            QCoreApplication.translate("Actions", "Bring parts handed out (or another project) back into this one, with a "
                                                  "report of what changed"))
    _action(window, a, "close", QCoreApplication.translate("Actions", "&Close project"), window.close_project,
            [StdKey.Close])
    _action(window, a, "settings", QCoreApplication.translate("Actions", "&Settings…"), window.show_settings, ["Ctrl+,"])
    _action(window, a, "quit", QCoreApplication.translate("Actions", "&Quit"), window.close, [StdKey.Quit])
    # Edit
    _undo_redo(window, a)
    _action(window, a, "accept_proposals", QCoreApplication.translate("Actions", "&Accept all proposals on the page"),
            lambda: review.accept_page_proposals(window), ["Shift+Return", "Shift+Enter"],
            QCoreApplication.translate("Actions", "Accept every proposed box on show on this page, as one undo step "
                                                  "(those under the score threshold stay)"))
    # View
    _action(window, a, "zoom_in", QCoreApplication.translate("Actions", "Zoom &in"), lambda: window.canvas.zoom_in(),
            [StdKey.ZoomIn, "Ctrl+="])
    _action(window, a, "zoom_out", QCoreApplication.translate("Actions", "Zoom &out"), lambda: window.canvas.zoom_out(),
            [StdKey.ZoomOut])
    _action(window, a, "fit_page", QCoreApplication.translate("Actions", "Fit &page"), lambda: window.canvas.fit_page(),
            ["Ctrl+0"])
    _action(window, a, "fit_width", QCoreApplication.translate("Actions", "Fit &width"),
            lambda: window.canvas.fit_width(), ["Ctrl+9"])
    visibility = window.canvas.visibility
    _action(window, a, "show_tags", QCoreApplication.translate("Actions", "Show box &tags"), visibility.set_show_tags,
            ["T"], QCoreApplication.translate("Actions", "Show or hide the tags (sub-label, detector, score) next to the boxes"),
            checkable=True)
    _action(window, a, "show_rejected", QCoreApplication.translate("Actions", "Show &rejected boxes"),
            visibility.set_show_rejected, ["H"],
            QCoreApplication.translate("Actions", "Show or hide the rejected boxes on the page"), checkable=True)
    a["show_tags"].setChecked(visibility.show_tags)
    a["show_rejected"].setChecked(visibility.show_rejected)
    visibility.changed.connect(lambda: (a["show_tags"].setChecked(visibility.show_tags),
                                        a["show_rejected"].setChecked(visibility.show_rejected)))
    _action(window, a, "draw", QCoreApplication.translate("Actions", "&Draw box"), window.set_draw_mode, (),
            QCoreApplication.translate("Actions", "Draw a box: press W on the page, then drag; hold Shift to draw several (W)"),
            checkable=True)
    # Go
    _action(window, a, "prev", QCoreApplication.translate("Actions", "&Previous page"), lambda: s.step(-1), ["A"])
    _action(window, a, "next", QCoreApplication.translate("Actions", "&Next page"), lambda: s.step(1), ["D"])
    _action(window, a, "reviewed_next", QCoreApplication.translate("Actions", "Mark page &reviewed and next"),
            window.mark_reviewed_and_next, ["Space"])
    _action(window, a, "next_unreviewed", QCoreApplication.translate("Actions", "Next &unreviewed page"),
            window.next_unreviewed, ["Ctrl+Shift+D"])
    _action(window, a, "next_proposals", QCoreApplication.translate("Actions", "Next page with pr&oposals"),
            lambda: review.go_to_proposals(window, 1), ["N"],
            QCoreApplication.translate("Actions", "The next page that still has proposed boxes on show"))
    _action(window, a, "prev_proposals", QCoreApplication.translate("Actions", "Previous page with proposa&ls"),
            lambda: review.go_to_proposals(window, -1), ["Shift+N"],
            QCoreApplication.translate("Actions", "The previous page that still has proposed boxes on show"))
    # Detect
    _action(window, a, "detect_page", QCoreApplication.translate("Actions", "Detect on &current page"),
            lambda: window.detect(DetectScope.PAGE), ["Ctrl+Alt+D"])
    _action(window, a, "detect_selected", QCoreApplication.translate("Actions", "Detect on &selected pages"),
            lambda: window.detect(DetectScope.SELECTED))
    _action(window, a, "detect_document", QCoreApplication.translate("Actions", "Detect on &whole document"),
            lambda: window.detect(DetectScope.DOCUMENT))
    _action(window, a, "detect_dialog", QCoreApplication.translate("Actions", "&Detect…"), window.detect_dialog,
            ["Ctrl+Shift+E"], QCoreApplication.translate("Actions", "Find figures with a detector of your choice"),
            icon=SP.SP_FileDialogContentsView)
    _action(window, a, "cancel_job", QCoreApplication.translate("Actions", "C&ancel background job"), window.job_bar.cancel,
            ["Ctrl+."])
    # Synthesize
    _action(window, a, "synthesize", QCoreApplication.translate("Actions", "&Synthesize…"), window.synthesize_dialog,
            ["Ctrl+Shift+Y"],
            QCoreApplication.translate("Actions", "Write question / thinking / answer records about figures (count and "
                                                  "cost shown first)"))
    _action(window, a, "generate_now", QCoreApplication.translate("Actions", "&Generate now for selected figures"),
            window.generate_now, ["Ctrl+Alt+G"],
            QCoreApplication.translate("Actions", "Synthesize records for the selected figure(s) with the last-used kinds "
                                                  "and languages"))
    # Chat
    _action(window, a, "annotate_tab", QCoreApplication.translate("Actions", "&Annotate"),
            lambda: window.central_tabs.setCurrentWidget(window.canvas), ["Ctrl+1"],
            QCoreApplication.translate("Actions", "Show the page and its figures"))
    _action(window, a, "chat_tab", QCoreApplication.translate("Actions", "&Chat"), window.show_chat, ["Ctrl+3"],
            QCoreApplication.translate("Actions", "Chat offline with a local model"))
    _action(window, a, "send_to_chat", QCoreApplication.translate("Actions", "Send &figure to chat"),
            lambda: window.send_figure_to_chat(), ["Ctrl+Shift+C"],
            QCoreApplication.translate("Actions", "Attach the selected figure's crop to a chat question"))
    # Help
    _action(window, a, "shortcuts", QCoreApplication.translate("Actions", "&Keyboard shortcuts"), window.show_shortcuts,
            ["F1", "?"])
    _action(window, a, "about", QCoreApplication.translate("Actions", "&About ReMUD Desktop"), window.show_about)
    return a


def build_menus(window, a: Actions) -> None:
    bar = window.menuBar()
    file = bar.addMenu(QCoreApplication.translate("Actions", "&File"))
    file.addActions([a["new"], a["open"]])
    a.recent_menu = file.addMenu(QCoreApplication.translate("Actions", "Open &Recent"))
    a.recent_menu.aboutToShow.connect(window.fill_recent_menu)
    file.addSeparator()
    file.addActions([a["import"], a["export"]])
    file.addSeparator()
    file.addActions([a["handout"], a["merge"]])
    file.addSeparator()
    file.addActions([a["settings"], a["close"], a["quit"]])
    edit = bar.addMenu(QCoreApplication.translate("Actions", "&Edit"))
    edit.addActions([a["undo"], a["redo"]])
    edit.addSeparator()
    edit.addAction(a["accept_proposals"])
    view = bar.addMenu(QCoreApplication.translate("Actions", "&View"))
    view.addActions([a["zoom_in"], a["zoom_out"], a["fit_page"], a["fit_width"]])
    view.addSeparator()
    view.addActions([a["show_tags"], a["show_rejected"]])
    view.addSeparator()
    view.addActions([a["annotate_tab"], a["chat_tab"]])
    view.addSeparator()
    a.docks_menu = view.addMenu(QCoreApplication.translate("Actions", "&Panels"))
    go = bar.addMenu(QCoreApplication.translate("Actions", "&Go"))
    go.addActions([a["prev"], a["next"], a["reviewed_next"], a["next_unreviewed"], a["next_proposals"],
                   a["prev_proposals"]])
    detect = bar.addMenu(QCoreApplication.translate("Actions", "&Detect"))
    detect.addActions([a["detect_page"], a["detect_selected"], a["detect_document"]])
    detect.addSeparator()
    detect.addActions([a["detect_dialog"], a["cancel_job"]])
    synth = bar.addMenu(QCoreApplication.translate("Actions", "&Synthesize"))
    synth.addActions([a["synthesize"], a["generate_now"]])
    synth.addSeparator()
    synth.addAction(a["send_to_chat"])
    synth.addSeparator()
    synth.addAction(a["export"])
    helpm = bar.addMenu(QCoreApplication.translate("Actions", "&Help"))
    helpm.addActions([a["shortcuts"], a["about"]])


def build_toolbar(window, a: Actions) -> QToolBar:
    tools = QToolBar(QCoreApplication.translate("Actions", "Tools"), window)
    tools.setObjectName("toolbar")
    tools.setMovable(False)
    tools.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
    tools.addActions([a["open"], a["import"]])
    tools.addSeparator()
    tools.addActions([a["draw"]])
    tools.addSeparator()
    tools.addActions([a["zoom_out"], a["zoom_in"], a["fit_page"], a["fit_width"]])
    tools.addSeparator()
    tools.addAction(a["detect_dialog"])
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, tools)
    return tools

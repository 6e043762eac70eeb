"""The main window's actions, menus and toolbar, built in one place.

Shortcuts are QActions with the window-wide context, so they work while the canvas
(or any other child without its own use for the key) has focus.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu, QStyle, QToolBar

from remud_desktop.detection import DetectScope
from remud_desktop.window import review

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
    action = QAction(text, window)
    action.setObjectName(name)
    if keys:
        action.setShortcuts([k if isinstance(k, QKeySequence) else QKeySequence(k) for k in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.setCheckable(checkable)
    if icon is not None:
        action.setIcon(window.style().standardIcon(icon))
    shown = ", ".join(k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts())
    action.setToolTip(f"{tip or text.replace('…', '')}" + (f" ({shown})" if shown else ""))
    action.setStatusTip(tip or text.replace("…", ""))
    if slot is not None:
        action.triggered.connect(slot)
    window.addAction(action)  # window-wide, even when the menu bar is hidden
    actions.all[name] = action
    return action


def build_actions(window) -> Actions:
    """Every action of the window, with its menu place, shortcut and slot."""
    a = Actions()
    s = window.session
    SP = QStyle.StandardPixmap
    # File
    _action(window, a, "new", "&New project…", window.new_project_dialog, [StdKey.New])
    _action(window, a, "open", "&Open project…", window.open_project_dialog, [StdKey.Open], icon=SP.SP_DialogOpenButton)
    _action(window, a, "import", "&Import PDFs…", window.import_dialog, ["Ctrl+I"],
            "Import PDF files (or drop PDFs and folders on the window)", icon=SP.SP_FileDialogNewFolder)
    _action(window, a, "export", "&Export dataset…", window.export_dialog, ["Ctrl+E"],
            "Write the chosen records as a training dataset (counts per split shown first)")
    _action(window, a, "handout", "&Hand out…", window.team.hand_out, (),
            "Split this project into parts for several annotators: one project folder each, merged back later")
    _action(window, a, "merge", "&Merge project…", window.team.merge, (),
            "Bring parts handed out (or another project) back into this one, with a report of what changed")
    _action(window, a, "close", "&Close project", window.close_project, [StdKey.Close])
    _action(window, a, "settings", "&Settings…", window.show_settings, ["Ctrl+,"])
    _action(window, a, "quit", "&Quit", window.close, [StdKey.Quit])
    # Edit
    undo = s.undo_stack.createUndoAction(window, "&Undo")
    undo.setShortcuts([QKeySequence("Ctrl+Z")])
    redo = s.undo_stack.createRedoAction(window, "&Redo")
    redo.setShortcuts([QKeySequence("Ctrl+Shift+Z"), QKeySequence("Ctrl+Y")])
    for name, action in (("undo", undo), ("redo", redo)):
        action.setObjectName(name)
        action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        window.addAction(action)
        a.all[name] = action
    _action(window, a, "accept_proposals", "&Accept all proposals on the page", lambda: review.accept_page_proposals(window),
            ["Shift+Return", "Shift+Enter"],
            "Accept every proposed box on show on this page, as one undo step (those under the score threshold stay)")
    # View
    _action(window, a, "zoom_in", "Zoom &in", lambda: window.canvas.zoom_in(), [StdKey.ZoomIn, "Ctrl+="])
    _action(window, a, "zoom_out", "Zoom &out", lambda: window.canvas.zoom_out(), [StdKey.ZoomOut])
    _action(window, a, "fit_page", "Fit &page", lambda: window.canvas.fit_page(), ["Ctrl+0"])
    _action(window, a, "fit_width", "Fit &width", lambda: window.canvas.fit_width(), ["Ctrl+9"])
    visibility = window.canvas.visibility
    _action(window, a, "show_tags", "Show box &tags", visibility.set_show_tags, ["T"],
            "Show or hide the tags (sub-label, detector, score) next to the boxes", checkable=True)
    _action(window, a, "show_rejected", "Show &rejected boxes", visibility.set_show_rejected, ["H"],
            "Show or hide the rejected boxes on the page", checkable=True)
    a["show_tags"].setChecked(visibility.show_tags)
    a["show_rejected"].setChecked(visibility.show_rejected)
    visibility.changed.connect(lambda: (a["show_tags"].setChecked(visibility.show_tags),
                                        a["show_rejected"].setChecked(visibility.show_rejected)))
    _action(window, a, "draw", "&Draw box", window.set_draw_mode, (), "Draw a box: press W on the page, then drag; hold Shift to draw several (W)",
            checkable=True)
    # Go
    _action(window, a, "prev", "&Previous page", lambda: s.step(-1), ["A"])
    _action(window, a, "next", "&Next page", lambda: s.step(1), ["D"])
    _action(window, a, "reviewed_next", "Mark page &reviewed and next", window.mark_reviewed_and_next, ["Space"])
    _action(window, a, "next_unreviewed", "Next &unreviewed page", window.next_unreviewed, ["Ctrl+Shift+D"])
    _action(window, a, "next_proposals", "Next page with pr&oposals", lambda: review.go_to_proposals(window, 1), ["N"],
            "The next page that still has proposed boxes on show")
    _action(window, a, "prev_proposals", "Previous page with proposa&ls", lambda: review.go_to_proposals(window, -1),
            ["Shift+N"], "The previous page that still has proposed boxes on show")
    # Detect
    _action(window, a, "detect_page", "Detect on &current page", lambda: window.detect(DetectScope.PAGE), ["Ctrl+Alt+D"])
    _action(window, a, "detect_selected", "Detect on &selected pages", lambda: window.detect(DetectScope.SELECTED))
    _action(window, a, "detect_document", "Detect on &whole document", lambda: window.detect(DetectScope.DOCUMENT))
    _action(window, a, "detect_dialog", "&Detect…", window.detect_dialog, ["Ctrl+Shift+E"],
            "Find figures with a detector of your choice", icon=SP.SP_FileDialogContentsView)
    _action(window, a, "cancel_job", "C&ancel background job", window.job_bar.cancel, ["Ctrl+."])
    # Synthesize
    _action(window, a, "synthesize", "&Synthesize…", window.synthesize_dialog, ["Ctrl+Shift+Y"],
            "Write question / thinking / answer records about figures (count and cost shown first)")
    _action(window, a, "generate_now", "&Generate now for selected figures", window.generate_now, ["Ctrl+Alt+G"],
            "Synthesize records for the selected figure(s) with the last-used kinds and languages")
    # Chat
    _action(window, a, "annotate_tab", "&Annotate", lambda: window.central_tabs.setCurrentWidget(window.canvas),
            ["Ctrl+1"], "Show the page and its figures")
    _action(window, a, "chat_tab", "&Chat", window.show_chat, ["Ctrl+3"], "Chat offline with a local model")
    _action(window, a, "send_to_chat", "Send &figure to chat", lambda: window.send_figure_to_chat(), ["Ctrl+Shift+C"],
            "Attach the selected figure's crop to a chat question")
    # Help
    _action(window, a, "shortcuts", "&Keyboard shortcuts", window.show_shortcuts, ["F1", "?"])
    _action(window, a, "about", "&About ReMUD Desktop", window.show_about)
    return a


def build_menus(window, a: Actions) -> None:
    bar = window.menuBar()
    file = bar.addMenu("&File")
    file.addActions([a["new"], a["open"]])
    a.recent_menu = file.addMenu("Open &Recent")
    a.recent_menu.aboutToShow.connect(window.fill_recent_menu)
    file.addSeparator()
    file.addActions([a["import"], a["export"]])
    file.addSeparator()
    file.addActions([a["handout"], a["merge"]])
    file.addSeparator()
    file.addActions([a["settings"], a["close"], a["quit"]])
    edit = bar.addMenu("&Edit")
    edit.addActions([a["undo"], a["redo"]])
    edit.addSeparator()
    edit.addAction(a["accept_proposals"])
    view = bar.addMenu("&View")
    view.addActions([a["zoom_in"], a["zoom_out"], a["fit_page"], a["fit_width"]])
    view.addSeparator()
    view.addActions([a["show_tags"], a["show_rejected"]])
    view.addSeparator()
    view.addActions([a["annotate_tab"], a["chat_tab"]])
    view.addSeparator()
    a.docks_menu = view.addMenu("&Panels")
    go = bar.addMenu("&Go")
    go.addActions([a["prev"], a["next"], a["reviewed_next"], a["next_unreviewed"], a["next_proposals"],
                   a["prev_proposals"]])
    detect = bar.addMenu("&Detect")
    detect.addActions([a["detect_page"], a["detect_selected"], a["detect_document"]])
    detect.addSeparator()
    detect.addActions([a["detect_dialog"], a["cancel_job"]])
    synth = bar.addMenu("&Synthesize")
    synth.addActions([a["synthesize"], a["generate_now"]])
    synth.addSeparator()
    synth.addAction(a["send_to_chat"])
    synth.addSeparator()
    synth.addAction(a["export"])
    helpm = bar.addMenu("&Help")
    helpm.addActions([a["shortcuts"], a["about"]])


def build_toolbar(window, a: Actions) -> QToolBar:
    tools = QToolBar("Tools", window)
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

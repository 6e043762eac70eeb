"""The Merge report panel: what each merge brought in, and every conflict as a line to step through.

One heading per merged project (its counts), under it its conflicts (both versions, which was kept
and why), the records of paid items both sides made that were left out, and notes. Selecting a
conflict (click, arrow keys, or Previous / Next) asks the window to show that figure, record or
page (`show_conflict`); the full versions are in the tooltip.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from engine.store.merge import Conflict, MergeReport
from engine.team.report import conflict_line, count_lines, shown, where

CONFLICT_ROLE = Qt.ItemDataRole.UserRole


def counts_line(report: MergeReport) -> str:
    if not report.changed:
        return QCoreApplication.translate("MergeReportView", "nothing new")
    return QCoreApplication.translate("MergeReportView", "; ").join(count_lines(report))


class MergeReportView(QWidget):
    show_conflict = Signal(object)  # Conflict

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.reports: list[MergeReport] = []
        self.summary = QLabel(self.tr("No merge yet: File → Merge project…"))
        self.summary.setWordWrap(True)
        self.tree = QTreeWidget()
        self.tree.setObjectName("mergeReportTree")
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.prev_button = QPushButton(self.tr("◀ Previous conflict"))
        self.next_button = QPushButton(self.tr("Next conflict ▶"))
        self.prev_button.clicked.connect(lambda: self.step(-1))
        self.next_button.clicked.connect(lambda: self.step(1))
        self.position = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(self.prev_button)
        buttons.addWidget(self.next_button)
        buttons.addWidget(self.position, 1)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(4, 4, 4, 4)
        lay.addWidget(self.summary)
        lay.addWidget(self.tree, 1)
        lay.addLayout(buttons)
        self.tree.currentItemChanged.connect(self._current_changed)
        self._update_buttons()

    # -- content ---------------------------------------------------------------------------------
    def set_reports(self, reports: list[MergeReport]) -> None:
        self.reports = list(reports)
        self.tree.clear()
        bold = QFont(self.font())
        bold.setBold(True)
        conflicts = 0
        for report in reports:
            head = QTreeWidgetItem([self.tr("{project}: {counts}").format(project=report.source_name,
                                                                          counts=counts_line(report))])
            head.setFont(0, bold)
            head.setToolTip(0, report.source)
            self.tree.addTopLevelItem(head)
            for c in report.conflicts:
                item = QTreeWidgetItem(head, [conflict_line(c, report.source_name)])
                item.setData(0, CONFLICT_ROLE, c)
                item.setToolTip(0, _tooltip(c, report.source_name))
                conflicts += 1
            for d in report.duplicates:
                QTreeWidgetItem(head, [self.tr("left out (paid item made on both sides): {kind} {question}").format(
                    kind=d["kind"], question=shown(d["question"]))])
            for note in report.notes:
                QTreeWidgetItem(head, [note])
            if report.backup:
                QTreeWidgetItem(head, [self.tr("backup before the merge: {path}").format(path=report.backup)])
            head.setExpanded(True)
        changed = sum(r.changed for r in reports)
        summary = (self.tr("{projects} ({changed} with changes), {conflicts}: select one to see it, the version not "
                           "kept is in the edit log.") if conflicts
                   else self.tr("{projects} ({changed} with changes), {conflicts}."))
        self.summary.setText(summary.format(projects=self.tr("%n project(s) merged", "", len(reports)), changed=changed,
                                            conflicts=self.tr("%n conflict(s)", "", conflicts)))
        self._update_buttons()

    def conflict_items(self) -> list[QTreeWidgetItem]:
        out = []
        for n in range(self.tree.topLevelItemCount()):
            head = self.tree.topLevelItem(n)
            out += [head.child(i) for i in range(head.childCount()) if head.child(i).data(0, CONFLICT_ROLE) is not None]
        return out

    # -- stepping --------------------------------------------------------------------------------
    def step(self, delta: int) -> None:
        items = self.conflict_items()
        if not items:
            return
        current = self.tree.currentItem()
        index = items.index(current) if current in items else (-1 if delta > 0 else len(items))
        self.tree.setCurrentItem(items[max(0, min(len(items) - 1, index + delta))])

    def _current_changed(self, item: QTreeWidgetItem | None, _previous) -> None:
        self._update_buttons()
        conflict = item.data(0, CONFLICT_ROLE) if item is not None else None
        if isinstance(conflict, Conflict):
            self.show_conflict.emit(conflict)

    def _update_buttons(self) -> None:
        items = self.conflict_items()
        current = self.tree.currentItem()
        index = items.index(current) if current in items else None
        self.prev_button.setEnabled(bool(items) and index != 0)
        self.next_button.setEnabled(bool(items) and index != len(items) - 1)
        self.position.setText(self.tr("{index} of {count}").format(index=index + 1, count=len(items)) if index is not None
                              else (self.tr("%n conflict(s)", "", len(items)) if items else ""))


def _tooltip(c: Conflict, source_name: str) -> str:
    def full(value) -> str:
        return shown(value, width=600)

    here = QCoreApplication.translate("MergeReportView", "this project")
    source_at = f"  ({c.source_at})" if c.source_at else ""
    target_at = f"  ({c.target_at})" if c.target_at else ""
    return QCoreApplication.translate(
        "MergeReportView", "{where} · {field}\n{source}: {source_value}{source_at}\nthis project: "
        "{target_value}{target_at}\nkept: {kept}'s ({reason})").format(
        where=where(c), field=c.field, source=source_name, source_value=full(c.source_value), source_at=source_at,
        target_value=full(c.target_value), target_at=target_at, kept=source_name if c.kept == "source" else here,
        reason=c.reason)

"""The settings half of the Export dialog: which records (status, kind, language,
reasoning, minimum score, documents), how they are split, which formats are written and
the options of the writer. It turns its widgets into an engine ExportOptions, says in one
sentence what is missing, and keeps its last values in QSettings (as one JSON string)."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QSettings, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QWidget,
)

from engine.export import ExportOptions, Selection, SplitSettings
from engine.store.models import Document
from remud_desktop.synthesis.dialog import KINDS, kind_title, language_title

SETTINGS_KEY = "export/last"
# (key, English text, ...): the texts are translated where shown, in the context "ExportOptionsForm"
STATUSES = (("accepted", QT_TRANSLATE_NOOP("ExportOptionsForm", "Accepted")),
            ("draft", QT_TRANSLATE_NOOP("ExportOptionsForm", "Draft")),
            ("rejected", QT_TRANSLATE_NOOP("ExportOptionsForm", "Rejected")))
FORMATS = (("llamafactory", QT_TRANSLATE_NOOP("ExportOptionsForm", "LLaMA-Factory ShareGPT"),
            QT_TRANSLATE_NOOP("ExportOptionsForm", "sharegpt/*.json, dataset_info.json and a ready LoRA config")),
           ("jsonl", QT_TRANSLATE_NOOP("ExportOptionsForm", "JSONL"),
            QT_TRANSLATE_NOOP("ExportOptionsForm", "jsonl/*.jsonl: one record per line, with its provenance")),
           ("parquet", QT_TRANSLATE_NOOP("ExportOptionsForm", "Parquet"),
            QT_TRANSLATE_NOOP("ExportOptionsForm",
                              "parquet/*.parquet and a dataset card: datasets.load_dataset(folder) reads it")),
           ("mcq_test", QT_TRANSLATE_NOOP("ExportOptionsForm", "MCQ test set"),
            QT_TRANSLATE_NOOP("ExportOptionsForm", "eval/mcq_test.jsonl: the multiple-choice test split, for remud eval")))
REASONING = (("any", QT_TRANSLATE_NOOP("ExportOptionsForm", "Any")),
             ("yes", QT_TRANSLATE_NOOP("ExportOptionsForm", "With a thinking trace")),
             ("no", QT_TRANSLATE_NOOP("ExportOptionsForm", "Without a thinking trace")))
UNITS = (("document", QT_TRANSLATE_NOOP("ExportOptionsForm", "Whole documents")),
         ("page", QT_TRANSLATE_NOOP("ExportOptionsForm", "Pages")))


def shown(text: str) -> str:
    """One of the texts above in the current language."""
    return QCoreApplication.translate("ExportOptionsForm", text)


def language_name(code: str) -> str:
    return language_title(code)


def row(*widgets, stretch: bool = True) -> QWidget:
    w = QWidget()
    lay = QHBoxLayout(w)
    lay.setContentsMargins(0, 0, 0, 0)
    for x in widgets:
        lay.addWidget(x)
    if stretch:
        lay.addStretch(1)
    return w


class ExportOptionsForm(QObject):
    """Every choice of an export except the output folder, in three group boxes that the
    dialog lays out (records_group, splits_group, options_group). `plan_changed` on an edit
    that can change the counts (filters, splits, near-duplicates, decontamination file);
    `writer_changed` on one that only changes what is written (formats, dataset name,
    system prompt, largest image)."""

    plan_changed = Signal()
    writer_changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.widget = parent
        self.statuses = {k: QCheckBox(shown(text)) for k, text in STATUSES}
        self.statuses["accepted"].setChecked(True)
        self.kinds = {k: QCheckBox(kind_title(k)) for k, _ in KINDS}
        for box in self.kinds.values():
            box.setChecked(True)
        self.languages: dict[str, QCheckBox] = {}
        self.languages_row = QHBoxLayout()
        self.languages_row.setContentsMargins(0, 0, 0, 0)
        self.languages_hint = QLabel(self.tr("Looking…"))
        self.languages_hint.setEnabled(False)
        self.languages_row.addWidget(self.languages_hint)
        self.languages_row.addStretch(1)
        self._excluded_languages: set[str] = set()
        self.reasoning = QComboBox()
        for key, text in REASONING:
            self.reasoning.addItem(shown(text), key)
        self.min_score = QDoubleSpinBox(minimum=0.0, maximum=5.0, singleStep=0.5, decimals=1)
        self.min_score.setSpecialValueText(self.tr("any"))
        self.min_score.setToolTip(self.tr("Only records the judge scored at least this high (1–5); "
                                          "records without a score are left out when a minimum is set"))
        self.documents = QListWidget()
        self.documents.setMinimumHeight(84)
        self.documents.setToolTip(self.tr("Text-only records that belong to no document are always included"))

        self.validation = self._percent(5.0)
        self.test = self._percent(10.0)
        self.seed = QSpinBox(minimum=0, maximum=2_147_483_647)
        self.seed.setValue(13)
        self.unit = QComboBox()
        for key, text in UNITS:
            self.unit.addItem(shown(text), key)
        self.unit.setToolTip(self.tr("The unit that never straddles two splits: records of one document (or page) "
                                     "all go to the same split"))

        self.formats = {k: QCheckBox(shown(text)) for k, text, _ in FORMATS}
        for (_, _, tip), box in zip(FORMATS, self.formats.values()):
            box.setChecked(True)
            box.setToolTip(shown(tip))

        self.name = QLineEdit("remud")
        self.name.setValidator(QRegularExpressionValidator(r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"))
        self.name.setToolTip(self.tr("The dataset entries in dataset_info.json are <name>_train, <name>_validation, "
                                     "<name>_test"))
        self.system_prompt = QLineEdit()
        self.system_prompt.setPlaceholderText(self.tr("None"))
        self.max_pixels = QSpinBox(minimum=0, maximum=50_000_000, singleStep=100_352)
        self.max_pixels.setSpecialValueText(self.tr("native"))
        self.max_pixels.setSuffix(" px")  # a unit, the same in every language
        self.max_pixels.setGroupSeparatorShown(True)
        self.max_pixels.setToolTip(self.tr("Figure crops larger than this many pixels are scaled down (aspect kept)"))
        self.dedup = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, decimals=2)
        self.dedup.setSpecialValueText(self.tr("off"))
        self.dedup.setValue(0.8)
        self.dedup.setToolTip(self.tr("A record this similar (or more) to one in another split is dropped, so the "
                                      "validation and test splits hold nothing seen in training"))
        for spin in (self.min_score, self.max_pixels, self.dedup):
            spin.setMinimumWidth(110)
        self.decontaminate = QLineEdit()
        self.decontaminate.setPlaceholderText(self.tr("No test file"))
        self.decontaminate.setToolTip(self.tr("Training records sharing an 8-word n-gram with this JSON/JSONL test file "
                                              "are dropped"))
        self.decontaminate_browse = QPushButton(self.tr("Browse…"))
        self.decontaminate_browse.clicked.connect(self.choose_decontamination_file)

        self.records_group = self._records_group()
        self.splits_group = self._splits_group()
        self.options_group = self._options_group()

        for box in (*self.statuses.values(), *self.kinds.values()):
            box.toggled.connect(self.plan_changed)
        for combo in (self.reasoning, self.unit):
            combo.currentIndexChanged.connect(self.plan_changed)
        for spin in (self.min_score, self.validation, self.test, self.seed, self.dedup):
            spin.valueChanged.connect(self.plan_changed)
        self.decontaminate.textChanged.connect(self.plan_changed)
        self.documents.itemChanged.connect(self.plan_changed)
        for box in self.formats.values():
            box.toggled.connect(self.writer_changed)
        self.max_pixels.valueChanged.connect(self.writer_changed)
        for edit in (self.name, self.system_prompt):
            edit.textChanged.connect(self.writer_changed)

    # -- layout -------------------------------------------------------------------------------
    @staticmethod
    def _percent(value: float) -> QDoubleSpinBox:  # the suffix " %" is the same in every language
        spin = QDoubleSpinBox(minimum=0.0, maximum=45.0, singleStep=1.0, decimals=1, suffix=" %")
        spin.setValue(value)
        return spin

    def _records_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("Records"))
        form = QFormLayout(box)
        form.addRow(self.tr("Status"), row(*self.statuses.values()))
        form.addRow(self.tr("Kinds"), row(*self.kinds.values()))
        form.addRow(self.tr("Languages"), self.languages_row)
        form.addRow(self.tr("Reasoning"), row(self.reasoning))
        form.addRow(self.tr("Minimum score"), row(self.min_score))
        form.addRow(self.tr("Documents"), self.documents)
        return box

    def _splits_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("Splits"))
        grid = QGridLayout(box)
        grid.addWidget(QLabel(self.tr("Validation")), 0, 0)
        grid.addWidget(self.validation, 0, 1)
        grid.addWidget(QLabel(self.tr("Test")), 0, 2)
        grid.addWidget(self.test, 0, 3)
        grid.addWidget(QLabel(self.tr("Keep together")), 1, 0)
        grid.addWidget(self.unit, 1, 1)
        grid.addWidget(QLabel(self.tr("Seed")), 1, 2)
        grid.addWidget(self.seed, 1, 3)
        grid.setColumnStretch(4, 1)
        return box

    def _options_group(self) -> QGroupBox:
        box = QGroupBox(self.tr("Formats and options"))
        form = QFormLayout(box)
        formats = QGridLayout()
        formats.setContentsMargins(0, 0, 0, 0)
        for i, check in enumerate(self.formats.values()):
            formats.addWidget(check, i // 2, i % 2)
        form.addRow(self.tr("Write"), formats)
        form.addRow(self.tr("Dataset name"), self.name)
        form.addRow(self.tr("System prompt"), self.system_prompt)
        form.addRow(self.tr("Largest image"), row(self.max_pixels))
        form.addRow(self.tr("Near-duplicates"), row(self.dedup, QLabel(self.tr("similarity across splits drops a record"))))
        decontam = QHBoxLayout()
        decontam.setContentsMargins(0, 0, 0, 0)
        decontam.addWidget(self.decontaminate, 1)
        decontam.addWidget(self.decontaminate_browse)
        form.addRow(self.tr("Decontaminate"), decontam)
        return box

    # -- what the project holds ---------------------------------------------------------------
    def set_enabled(self, enabled: bool) -> None:
        for group in (self.records_group, self.splits_group, self.options_group):
            group.setEnabled(enabled)

    def set_documents(self, docs: list[Document]) -> None:
        self.documents.blockSignals(True)
        self.documents.clear()
        for doc in docs:
            item = QListWidgetItem(self.tr("{title}  (%n page(s))", "", doc.page_count).format(title=doc.title))
            item.setData(Qt.ItemDataRole.UserRole, doc.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.documents.addItem(item)
        if not docs:
            item = QListWidgetItem(self.tr("(no documents: text-only records only)"))
            item.setFlags(Qt.ItemFlag.NoItemFlags)
            self.documents.addItem(item)
        self.documents.blockSignals(False)

    def set_languages(self, codes: list[str]) -> None:
        """Check boxes for the languages the project's records are written in."""
        self.languages_hint.setText(self.tr("No records yet") if not codes else "")
        self.languages_hint.setVisible(not codes)
        for code in codes:
            box = QCheckBox(language_name(code))
            box.setChecked(code not in self._excluded_languages)
            box.toggled.connect(self.plan_changed)
            self.languages[code] = box
            self.languages_row.insertWidget(self.languages_row.count() - 1, box)
        if self._excluded_languages & set(codes):
            self.plan_changed.emit()

    def choose_decontamination_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.widget, self.tr("Test set to decontaminate against"),
                                              self.decontaminate.text(),
                                              self.tr("JSON or JSONL files (*.json *.jsonl);;All files (*)"))
        if path:
            self.decontaminate.setText(path)

    # -- reading the widgets ------------------------------------------------------------------
    @staticmethod
    def _chosen(boxes: dict[str, QCheckBox]) -> list[str]:
        return [k for k, box in boxes.items() if box.isChecked()]

    def _chosen_documents(self) -> tuple[list[int], int]:
        ids, total = [], 0
        for i in range(self.documents.count()):
            item = self.documents.item(i)
            doc_id = item.data(Qt.ItemDataRole.UserRole)
            if doc_id is None:
                continue
            total += 1
            if item.checkState() == Qt.CheckState.Checked:
                ids.append(int(doc_id))
        return ids, total

    def plan_problem(self) -> str:
        """What stops counting the records in one sentence, or ""."""
        if not self._chosen(self.statuses):
            return self.tr("Choose at least one record status.")
        if not self._chosen(self.kinds):
            return self.tr("Choose at least one kind of record.")
        if self.languages and not self._chosen(self.languages):
            return self.tr("Choose at least one language.")
        ids, total = self._chosen_documents()
        if total and not ids:
            return self.tr("Choose at least one document.")
        return ""

    def problem(self) -> str:
        """What stops an export in one sentence, or ""."""
        if problem := self.plan_problem():
            return problem
        if not self._chosen(self.formats):
            return self.tr("Choose at least one format to write.")
        if not self.name.text().strip():
            return self.tr("Give the dataset a name (letters, digits, “_”, “-” and “.”).")
        return ""

    def options(self) -> ExportOptions:
        kinds = self._chosen(self.kinds)
        languages = self._chosen(self.languages)
        ids, total = self._chosen_documents()
        reasoning = {"any": None, "yes": True, "no": False}[self.reasoning.currentData()]
        selection = Selection(
            statuses=tuple(self._chosen(self.statuses)),
            kinds=() if len(kinds) == len(self.kinds) else tuple(kinds),
            languages=() if len(languages) == len(self.languages) else tuple(languages),
            min_score=self.min_score.value() or None,
            doc_ids=() if len(ids) == total else tuple(ids),
            reasoning=reasoning,
        )
        splits = SplitSettings(validation=round(self.validation.value() / 100, 4),
                               test=round(self.test.value() / 100, 4), seed=self.seed.value(),
                               unit=str(self.unit.currentData()))
        decontaminate = self.decontaminate.text().strip()
        return ExportOptions(
            selection=selection, splits=splits, formats=tuple(self._chosen(self.formats)),
            name=self.name.text().strip() or "remud", system_prompt=self.system_prompt.text().strip(),
            max_pixels=self.max_pixels.value() or None, dedup_threshold=self.dedup.value() or None,
            decontaminate=Path(decontaminate).expanduser() if decontaminate else None,
        )

    # -- remembering ------------------------------------------------------------------------------
    def values(self) -> dict:
        return {
            "statuses": self._chosen(self.statuses), "kinds": self._chosen(self.kinds),
            "excluded_languages": sorted(self._excluded_languages | {k for k, b in self.languages.items()
                                                                     if not b.isChecked()}
                                         - {k for k, b in self.languages.items() if b.isChecked()}),
            "reasoning": self.reasoning.currentData(), "min_score": self.min_score.value(),
            "validation": self.validation.value(), "test": self.test.value(), "seed": self.seed.value(),
            "unit": self.unit.currentData(), "formats": self._chosen(self.formats), "name": self.name.text(),
            "system_prompt": self.system_prompt.text(), "max_pixels": self.max_pixels.value(),
            "dedup": self.dedup.value(), "decontaminate": self.decontaminate.text(),
        }

    def save(self, settings: QSettings) -> None:
        settings.setValue(SETTINGS_KEY, json.dumps(self.values()))

    def restore(self, settings: QSettings) -> None:
        """The values saved last time; anything missing or unreadable keeps its default."""
        try:
            saved = json.loads(str(settings.value(SETTINGS_KEY, "{}")))
        except ValueError:
            return
        if not isinstance(saved, dict):
            return
        self.blockSignals(True)
        for key, boxes in (("statuses", self.statuses), ("kinds", self.kinds), ("formats", self.formats)):
            if isinstance(saved.get(key), list):
                for k, box in boxes.items():
                    box.setChecked(k in saved[key])
        if isinstance(saved.get("excluded_languages"), list):
            self._excluded_languages = {str(k) for k in saved["excluded_languages"]}
        for key, combo in (("reasoning", self.reasoning), ("unit", self.unit)):
            index = combo.findData(saved.get(key))
            if index >= 0:
                combo.setCurrentIndex(index)
        for key, spin in (("min_score", self.min_score), ("validation", self.validation), ("test", self.test),
                          ("dedup", self.dedup)):
            if isinstance(saved.get(key), (int, float)):
                spin.setValue(float(saved[key]))
        for key, spin in (("seed", self.seed), ("max_pixels", self.max_pixels)):
            if isinstance(saved.get(key), int):
                spin.setValue(saved[key])
        for key, edit in (("name", self.name), ("system_prompt", self.system_prompt),
                          ("decontaminate", self.decontaminate)):
            if isinstance(saved.get(key), str):
                edit.setText(saved[key])
        self.blockSignals(False)

"""Screenshots for the README and the user guide, taken from the real app, offscreen.

Everything happens in a temporary folder: the generated sample project, a generated scanned
atlas imported through the window, a synthesis job run end to end against a local fake
OpenAI-compatible server (tests/servers/openai_compat.py) with a key in an in-memory keyring,
the Export dialog's live preview, and the Chat tab with a tiny llama.cpp model
(tests/tiny_gguf.py) and an example conversation. REMUD_CONFIG_DIR and REMUD_DATA_DIR point
into the temporary folder, so the user's settings, keyring and projects are never touched.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--only NAME ...]
        [--lang zh_CN] [--scale 1.5]

--only still runs the whole tour (each step needs the ones before it) but saves only those names.
--lang shoots the interface in that language (default English; the sample's own content stays as it
is: it is data), into docs/screenshots/<lang>/ unless --out says otherwise; --scale shoots at that
display scaling (QT_SCALE_FACTOR), into a folder named with the percentage (e.g. zh_CN@150).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring
from keyring.backend import KeyringBackend
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QApplication, QMessageBox

from engine import settings as user_settings
from engine.i18n import LANGUAGES
from engine.sample import ensure_sample_project
from engine.store import Project, chats, documents, figures, records
from engine.store.models import FigureStatus, RecordKind, RecordStatus
from engine.team import split_project
from remud_desktop.chat.figure_image import figure_png
from remud_desktop.detection import DetectScope
from remud_desktop.detection.dialog import DetectDialog
from remud_desktop.export.dialog import ExportDialog
from remud_desktop.i18n import install as install_language
from remud_desktop.settings.dialog import SettingsDialog
from remud_desktop.synthesis.dialog import SynthDialog
from remud_desktop.team import HandOutDialog, MergeDialog
from remud_desktop.theme import install_cjk_fallback
from remud_desktop.welcome.screen import WelcomeScreen
from remud_desktop.window.main_window import MainWindow
from tests.generators import make_scanned_test_pdf
from tests.servers.openai_compat import OpenAICompatServer, chat_completion
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj

ROOT = Path(__file__).resolve().parents[1]

WINDOW_SIZE = (1480, 920)
SYNTH_MODEL = "gpt-4o-mini"  # priced in resources/pricing.toml, so the dialog shows a cost
FAKE_KEY = "sk-screenshot-only-0000"  # accepted by the local fake server, kept in an in-memory keyring
SHOTS = ("welcome", "main-window", "inspector", "scanned-page", "detect", "synthesize", "records", "records-mcq",
         "export", "team-handout", "team-merge", "team-report", "chat", "settings-chat", "settings-appearance",
         "shortcuts")


# -- waiting ----------------------------------------------------------------------------------------
def wait_until(app, condition: Callable[[], bool], timeout_s: float = 120.0, what: str = "the window") -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} did not get ready in {timeout_s:.0f} s")
        app.processEvents()
        time.sleep(0.01)


def settle(app, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)


# -- what the fake synthesis server answers -----------------------------------------------------------
# Example content written for these screenshots (screenshot_examples.json), chosen by the figure's
# section (as the prompt states it); figures of the same section get the variants in turn.
EXAMPLES_FILE = Path(__file__).with_name("screenshot_examples.json")


class Example(NamedTuple):
    question: str
    thinking: str
    answer: str
    options: list[str]


TOPICS: dict[str, list[Example]] = {
    section: [Example(**example) for example in examples]
    for section, examples in json.loads(EXAMPLES_FILE.read_text(encoding="utf-8")).items()
}


class SynthesisAnswers:
    """Answers OpenAI chat.completions synthesis requests with the example content above."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._served: dict[tuple[str, str], int] = {}

    def __call__(self, req):
        text = req.text().lower()
        section = re.search(r"section: (.*)", text)
        where = section.group(1) if section else text
        key = next((k for k in TOPICS if k in where), "kidney")
        name = req.json["response_format"]["json_schema"]["name"].removeprefix("remud_")
        with self._lock:
            n = self._served.get((key, name), 0)
            self._served[(key, name)] = n + 1
        question, thinking, answer, options = TOPICS[key][n % len(TOPICS[key])]
        if name == "mcq":
            item = {"question": question, "thinking": thinking, "options": options, "correct": "A"}
        else:
            item = {"question": question, "thinking": thinking, "answer": answer}
        return chat_completion(json.dumps({"items": [item]}), prompt_tokens=1450, completion_tokens=260)


# -- the example conversation of the Chat screenshot ----------------------------------------------------
CHAT_QUESTION = "What is the round anechoic lesion in the upper pole of this kidney?"
CHAT_THINKING = (
    "The image shows a longitudinal view of the kidney. In the upper pole there is a round, well-defined "
    "lesion that is completely anechoic, with a thin smooth wall and posterior acoustic enhancement. Wait, I "
    "should check for septations or solid components: none are visible, and there is no calcification. "
    "These are the Bosniak I criteria of a simple cyst.")
CHAT_ANSWER = (
    "This is most likely a **simple renal cortical cyst** (Bosniak I):\n\n"
    "- round and **anechoic**, with a thin, smooth wall\n"
    "- posterior acoustic enhancement\n"
    "- no septa, solid parts or calcification\n\n"
    "No follow-up is needed when all criteria are met. If any wall thickening or internal echoes appear, "
    "characterise it with contrast-enhanced CT or CEUS.")

# The example conversation in each language the tour is shot in: titles, question, thinking, answer, follow-up
CHAT_EXAMPLE = {
    "en": (("Gallbladder wall thickening", "Thyroid nodule TI-RADS", "Renal lesion, upper pole"),
           CHAT_QUESTION, CHAT_THINKING, CHAT_ANSWER, "Could it be a calyceal diverticulum instead?"),
    "zh_CN": (("胆囊壁增厚", "甲状腺结节 TI-RADS 分级", "肾上极病灶"),
              "这个肾脏上极的圆形无回声病灶是什么？",
              "图像为肾脏纵切面。上极可见一个圆形、边界清楚的病灶，完全无回声，壁薄而光滑，后方回声增强。"
              "等等，我应该再看看有没有分隔或实性成分：都看不到，也没有钙化。这些符合 Bosniak I 级单纯囊肿的标准。",
              "最可能是**单纯性肾皮质囊肿**（Bosniak I 级）：\n\n"
              "- 圆形、**无回声**，壁薄而光滑\n"
              "- 后方回声增强\n"
              "- 无分隔、无实性成分、无钙化\n\n"
              "全部标准都符合时无需随访。若出现囊壁增厚或内部回声，应行增强 CT 或超声造影（CEUS）进一步评估。",
              "会不会是肾盏憩室？"),
}


class Shooter:
    """Drives one MainWindow through the tour and saves each screenshot."""

    def __init__(self, app, tmp: Path, out: Path, only: set[str], language: str = "en") -> None:
        self.app, self.tmp, self.out, self.only, self.language = app, tmp, out, only, language
        self.qsettings = QSettings(str(tmp / "window.ini"), QSettings.Format.IniFormat)
        self.window = MainWindow(self.qsettings)
        self.window.resize(*WINDOW_SIZE)
        self.window.show()
        self.saved: list[Path] = []

    def lay_out_docks(self) -> None:
        """The window's own first-start dock sizes (a second document or the records dock shift them)."""
        w = self.window
        w.resizeDocks([w.docks["library"], w.docks["figures"]], [290, 450], Qt.Orientation.Horizontal)

    def save(self, name: str, widget) -> None:
        if self.only and name not in self.only:
            return
        settle(self.app, 0.3)
        path = self.out / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise OSError(f"could not write {path}")
        self.saved.append(path)
        print(path)

    # -- the main window on the sample ---------------------------------------------------------------
    def main_window(self, folder: Path) -> None:
        w = self.window
        if not w.open_project(folder):
            raise RuntimeError(f"could not open {folder}")
        s = w.session
        per_page = figures.counts_per_page(s.project, s.doc_id)
        page = max(per_page, key=lambda p: (per_page[p], -p))  # the page with the most boxes
        s.go_to(s.doc_id, page)
        s.set_reviewed(s.doc_id, 0, True)
        figs = s.current_figures()
        s.set_status([figs[0].id], FigureStatus.ACCEPTED)
        if len(figs) > 2:
            s.set_status([figs[-1].id], FigureStatus.REJECTED)
        s.select([figs[0].id])
        self.lay_out_docks()
        w.canvas.fit_page()
        wait_until(self.app, lambda: w.canvas.page_ready)
        settle(self.app, 1.5)  # thumbnails and the inspector's crop render in workers
        self.save("main-window", w)
        inspector = w.docks["inspector"]  # floated (as a user can), so that it shows at a readable width
        inspector.setFloating(True)
        inspector.resize(440, 820)
        settle(self.app, 1.0)
        self.save("inspector", inspector)
        inspector.setFloating(False)
        w.tabifyDockWidget(inspector, w.docks["history"])
        inspector.raise_()

    # -- a scanned atlas: import, then the scanned detector on the whole document --------------------
    def scanned_atlas(self) -> int:
        w = self.window
        pdf = make_scanned_test_pdf(self.tmp / "Scanned kidney atlas.pdf",
                                    layout=["grid", "side_by_side", "stacked", "single", "distractors"], seed=3).path
        imported: list = []
        w.imports.finished.connect(imported.append)
        w.imports.import_paths([pdf])
        wait_until(self.app, lambda: bool(imported) and not w.runner.busy(), what="the import")
        doc = next(r.document for r in imported[0] if r.document is not None)
        w.session.go_to(doc.id, 0)
        outcomes: list = []
        w.detection.run_finished.connect(outcomes.append)
        w.detect(DetectScope.DOCUMENT, "scanned")  # the window's own path: worker, pages filled in, one undo step
        wait_until(self.app, lambda: bool(outcomes) and not w.runner.busy(), what="detection")
        figs = w.session.current_figures()
        if figs:
            w.session.select([figs[0].id])
        self.lay_out_docks()
        w.canvas.fit_page()
        wait_until(self.app, lambda: w.canvas.page_ready)
        settle(self.app, 1.5)
        self.save("scanned-page", w)
        return doc.id

    # -- synthesis against the local fake server, then review ---------------------------------------
    def synthesize(self, sample_doc: int, base_url: str) -> None:
        w = self.window
        s = w.session
        s.go_to(sample_doc, 0)
        s.set_status([f.id for f in figures.list_figures(s.project, sample_doc)], FigureStatus.ACCEPTED)
        s.select([])
        user_settings.set_synthesizer_params("openai", {"model": SYNTH_MODEL, "base_url": base_url})
        user_settings.set_synthesis_options(concurrency=1,  # one at a time: records in a stable order
                                            kinds=["vqa", "mcq"], languages=["en"], card="openai",
                                            reasoning=True)
        dialog = SynthDialog(s, [], w)
        dialog.show()
        dialog.resize(dialog.sizeHint())  # what a window manager does with a new dialog
        settle(self.app, 0.5)
        self.save("synthesize", dialog)
        finished: list = []
        w.synth.run_finished.connect(lambda job_id, report: finished.append(report))
        dialog.accept()
        job = dialog.job
        dialog.deleteLater()
        w._start_synth_job(job)
        wait_until(self.app, lambda: bool(finished) and not w.runner.busy(), what="the synthesis job")
        if finished[0].state != "done":
            raise RuntimeError(f"the synthesis job ended {finished[0].state}: {finished[0].message}")

    def records(self) -> None:
        w = self.window
        view = w.records_view
        dock = w.docks["records"]
        dock.show()
        dock.raise_()
        view.reload()
        wait_until(self.app, lambda: not view.loading and view.model.rowCount() > 0, what="the records")
        rows = view.model.rowCount()
        kinds = [view.model.row(r).kind for r in range(rows)]
        # a person's review: most accepted (A), one rejected (X), the last two still drafts
        for r in range(rows - 2):
            view.select_row(r)
            view.set_status(RecordStatus.REJECTED if r == 3 else RecordStatus.ACCEPTED)
        w.resizeDocks([dock], [600], Qt.Orientation.Vertical)
        view.splitter.setSizes([600, 520, 360])
        for name, kind in (("records", RecordKind.VQA), ("records-mcq", RecordKind.MCQ)):
            view.select_row(kinds.index(str(kind)))
            settle(self.app, 1.5)  # the record's figure renders in a worker
            self.save(name, dock)
        dock.hide()

    def export(self) -> None:
        w = self.window
        dialog = ExportDialog(w.session, w.runner, self.qsettings, w)
        dialog.output.setText(str(self.tmp / "exports" / "kidney-v1"))
        ready: list = []
        dialog.preview_ready.connect(ready.append)
        dialog.resize(1100, 780)
        dialog.show()
        wait_until(self.app, lambda: bool(ready), what="the export preview")
        # one document: split by pages, so that every split gets some (the dialog suggests it)
        ready.clear()
        form = dialog.form
        form.unit.setCurrentIndex(form.unit.findData("page"))
        form.validation.setValue(10.0)
        form.test.setValue(20.0)
        wait_until(self.app, lambda: bool(ready) and dialog.table.rowCount() > 0, what="the export preview")
        settle(self.app, 0.8)
        self.save("export", dialog)
        dialog.reject()
        dialog.deleteLater()

    # -- team work: hand out, merge back ---------------------------------------------------------------
    def team(self, sample_doc: int) -> None:
        """The Hand out dialog; then three parts (handed out by the engine), two annotators changing the
        same figures and record, the merge, and the report with its first conflict shown on the page."""
        w = self.window
        dialog = HandOutDialog(w.session, w.runner, w)
        dialog.set_assignees(["Dr. Chen", "Dr. Okafor", "Dr. Silva"])
        dialog.output.setText(str(self.tmp / "parts"))
        dialog.resize(860, 470)
        dialog.show()
        settle(self.app, 0.5)
        self.save("team-handout", dialog)
        dialog.reject()
        dialog.deleteLater()
        project = w.session.project
        pages = documents.get_document(project, sample_doc).page_count
        others = [d for d in self._doc_ids() if d != sample_doc]
        specs = [f"{sample_doc}:1-2", f"{sample_doc}:3-{pages - 1}", ";".join(map(str, others))]
        parts = split_project(project, self.tmp / "parts", assignees=["Chen", "Okafor", "Silva"], parts=specs)
        first = figures.list_figures(project, sample_doc, page=0)[0].uid  # Chen's page
        last = figures.list_figures(project, sample_doc, page=pages - 1)[0].uid  # nobody's page
        question = records.list_records(project, status=str(RecordStatus.ACCEPTED))[0].question
        for part, (caption, status, answer) in zip(parts[:2], (
                ("Liver, right lobe: subcostal oblique view", "proposed",
                 "A simple hepatic cyst: anechoic, thin-walled, with posterior enhancement."),
                ("Right lobe of the liver (oblique scan)", "rejected",
                 "Most likely a simple cyst; a hydatid cyst would show a double wall."))):
            time.sleep(0.05)  # the second annotator edits later
            with Project.open(part.folder) as q:
                by_uid = {f.uid: f.id for f in figures.list_figures(q)}
                figures.set_text_fields(q, by_uid[first], {"caption": caption})
                figures.set_status(q, by_uid[last], status)
                rec = next(r for r in records.list_records(q) if r.question == question)
                records.update_record(q, rec.id, answer=answer)
        merge = MergeDialog(w.session, w.runner, w)
        merge.show()
        settle(self.app, 0.5)
        self.save("team-merge", merge)
        merge.start()
        wait_until(self.app, lambda: merge.job is None, what="the merge")
        reports = merge.reports or []
        merge.deleteLater()
        w.team.merged(reports)
        w.team.report_view.step(1)
        wait_until(self.app, lambda: w.canvas.page_ready)
        settle(self.app, 1.5)
        self.save("team-report", w)
        w.docks["merge"].hide()

    # -- chat -------------------------------------------------------------------------------------
    def chat(self) -> None:
        w = self.window
        tab = w.chat
        models = self.tmp / "models"
        models.mkdir()
        model = write_tiny_qwen2_gguf(models / "tiny-qwen2vl-test.gguf", arch="qwen2vl")
        mmproj = write_tiny_qwen25vl_mmproj(models / "mmproj-tiny-qwen2vl-test.gguf")
        w.show_chat()
        project = tab.ensure_project()
        kidney = figures.list_figures(project, min(self._doc_ids()), page=3)[0]  # the sample's scanned kidney page
        image = figure_png(project.folder, kidney.id)
        titles, question, thinking, answer, follow_up = CHAT_EXAMPLE.get(self.language, CHAT_EXAMPLE["en"])
        for title in titles[:-1]:
            chats.create_session(project, title, model=model.name)
        session = chats.create_session(project, titles[-1], model=model.name)
        stored = chats.store_image(project, image)
        chats.add_message(project, session.id, "user", question, image_path=stored)
        budget = {"use_min": True, "use_max": True, "min_thinking_tokens": 96, "max_thinking_tokens": 1024,
                  "num_waits": 2}
        chats.add_message(project, session.id, "assistant", answer, thinking=thinking,
                          stats={"thinking_tokens": 412, "waits_inserted": 2, "answer_tokens": 96,
                                 "tokens_per_second": 14.2, "settings": {"model": model.name, "budget": budget}})

        user_settings.set_chat_options(budget={"use_min": True, "use_max": True, "min_thinking_tokens": 96,
                                               "max_thinking_tokens": 1024, "num_waits": 2})
        tab.controls.load_saved()  # as the tab reads them at start: minimum and maximum on
        tab.model_bar.model.set_path(str(model))
        tab.model_bar.mmproj.set_path(str(mmproj))
        tab.model_bar.load.click()
        wait_until(self.app, lambda: tab.model_bar.load.isEnabled() and tab.worker.model is not None,
                   what="the chat model")
        tab.conversations.refresh(select=session.id)  # shows the conversation, as a click on it would
        tab.composer.text.setPlainText(follow_up)
        settle(self.app, 1.5)
        self.save("chat", w)

    def _doc_ids(self) -> list[int]:
        return [d.id for d in documents.list_documents(self.window.session.project)]

    def settings_chat(self) -> None:
        for page, name, size in (("chat", "settings-chat", (780, 940)), ("appearance", "settings-appearance", (780, 600))):
            dialog = SettingsDialog(self.window)
            dialog.show_page(page)
            dialog.resize(*size)
            dialog.show()
            settle(self.app, 0.8)
            self.save(name, dialog)
            dialog.reject()
            dialog.deleteLater()

    def detect(self) -> None:
        """The Detect dialog on the current page, as Detect → Detect… opens it."""
        w, s = self.window, self.window.session
        dialog = DetectDialog(page=s.page, page_count=s.page_count(), selected=[], detector=w.detector,
                              chat_model="", chat_answering=False, failed_pages=0, parent=w)
        dialog.show()
        settle(self.app, 0.5)
        self.save("detect", dialog)
        dialog.reject()
        dialog.deleteLater()

    def shortcuts(self) -> None:
        w = self.window
        w.show_shortcuts()
        dialog = w._shortcuts
        settle(self.app, 0.5)
        self.save("shortcuts", dialog)
        dialog.close()

    # -- the welcome screen (no project open yet) ------------------------------------------------
    def welcome(self, recent: Path) -> None:
        """What the window shows before a project is open, with one recent project."""
        self.qsettings.setValue("recentProjects", [str(recent)])
        screen = getattr(self.window, "welcome", None)
        if screen is None:  # a window without the welcome screen: the widget itself, at the window's size

            screen = WelcomeScreen(self.qsettings, recent)
            screen.resize(*WINDOW_SIZE)
            screen.show()
        screen.refresh()
        wait_until(self.app, screen.key_check_done, what="the welcome screen's key check")
        settle(self.app, 1.0)
        self.save("welcome", self.window if screen.window() is self.window else screen)
        if screen.window() is not self.window:
            screen.close()

    def close(self) -> None:
        self.window.close()


def in_memory_keyring():
    """A keyring backend that lives in this process only, with the fake server's key."""
    class ScreenshotKeyring(KeyringBackend):
        priority = 1

        def __init__(self) -> None:
            super().__init__()
            self.store: dict[tuple[str, str], str] = {}

        def get_password(self, service, username):
            return self.store.get((service, username))

        def set_password(self, service, username, password):
            self.store[(service, username)] = password

        def delete_password(self, service, username):
            self.store.pop((service, username), None)

    backend = ScreenshotKeyring()
    keyring.set_keyring(backend)
    backend.set_password("ReMUD Desktop", "openai", FAKE_KEY)
    return backend


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="default: docs/screenshots[/LANG[@SCALE]]")
    parser.add_argument("--only", nargs="*", choices=SHOTS, default=[], help="only these screenshots (names without .png)")
    parser.add_argument("--lang", default="en", choices=list(LANGUAGES), help="the interface's language")
    parser.add_argument("--scale", type=float, default=1.0, help="display scaling, e.g. 1.5 for 150 %%")
    args = parser.parse_args(argv)
    if args.out is None:
        folder = "" if args.lang == "en" else args.lang
        if args.scale != 1.0:
            folder = f"{args.lang}@{round(args.scale * 100)}"
        args.out = ROOT / "docs" / "screenshots" / folder
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = f"{args.scale:g}"  # read when the QApplication is made

    with tempfile.TemporaryDirectory(prefix="remud-shots-") as tmp:
        tmp = Path(tmp)
        os.environ["REMUD_CONFIG_DIR"] = str(tmp / "config")  # never the user's settings
        os.environ["REMUD_DATA_DIR"] = str(tmp / "data")  # never the user's sample or personal chats
        for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "GEMINI_API_KEY", "GOOGLE_API_KEY"):
            os.environ.pop(name, None)
        in_memory_keyring()
        if args.lang != "en":  # as a user who chose it: Settings → Appearance shows it chosen
            user_settings.set_appearance_options(language=args.lang)

        app = QApplication.instance() or QApplication(sys.argv[:1])
        app.setFont(QFont("DejaVu Sans", 9))
        install_cjk_fallback(app)
        install_language(app, args.lang)
        # a dialog that would wait for a click (e.g. "re-detect corrected pages?") answers No at once
        QMessageBox.question = staticmethod(lambda *a, **k: QMessageBox.StandardButton.No)
        args.out.mkdir(parents=True, exist_ok=True)
        folder = ensure_sample_project(tmp / "Sample atlas.remud")
        with OpenAICompatServer(api_key=FAKE_KEY, models=(SYNTH_MODEL,), default=SynthesisAnswers()) as server:
            shooter = Shooter(app, tmp, args.out, set(args.only), args.lang)
            try:
                shooter.welcome(folder)
                shooter.main_window(folder)
                sample_doc = shooter.window.session.doc_id
                shooter.scanned_atlas()
                shooter.detect()
                shooter.synthesize(sample_doc, server.base_url)
                shooter.records()
                shooter.export()
                shooter.team(sample_doc)
                shooter.chat()
                shooter.settings_chat()
                shooter.shortcuts()
            finally:
                shooter.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

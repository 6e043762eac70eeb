"""The Detect dialog and qwen-vl-local: offered only with a Chat model; says what the run loads next to the Chat tab."""

from __future__ import annotations

import pytest

from engine import settings
from engine.detect import qwen_vl_local
from remud_desktop.detection.dialog import DetectDialog, detector_choices
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj


@pytest.fixture
def files(tmp_path, monkeypatch):
    monkeypatch.setenv(settings.ENV_DIR, str(tmp_path / "config"))
    return (write_tiny_qwen2_gguf(tmp_path / "tiny-vl.gguf", arch="qwen2vl"),
            write_tiny_qwen25vl_mmproj(tmp_path / "mmproj.gguf"))


def test_offered_only_when_a_model_is_set_in_chat_settings(files):
    model, mmproj = files
    assert qwen_vl_local.NAME not in [name for name, _ in detector_choices()]
    settings.set_chat_options(model_path=str(model))
    assert qwen_vl_local.NAME not in [name for name, _ in detector_choices()]  # it needs the vision projector too
    settings.set_chat_options(mmproj_path=str(mmproj))
    assert qwen_vl_local.NAME in [name for name, _ in detector_choices()]


def test_the_dialog_says_what_the_run_loads_next_to_the_chat_tab(qtbot, files, monkeypatch):
    model, mmproj = files
    settings.set_chat_options(model_path=str(model), mmproj_path=str(mmproj))
    dialog = DetectDialog(page=0, page_count=3, selected=[], detector=qwen_vl_local.NAME, chat_model=str(model),
                          chat_answering=True)
    qtbot.addWidget(dialog)
    assert dialog.request().detector == qwen_vl_local.NAME
    note = dialog.local_note.text()
    assert not dialog.local_note.isHidden()
    assert "its own copy of tiny-vl.gguf" in note and "GiB of memory is free" in note and "releases it" in note
    assert "The Chat tab holds this model too" in note and "writing an answer now" in note
    assert "Not enough memory" not in note

    dialog.detectors.setCurrentIndex(dialog.detectors.findData("embedded"))
    assert dialog.local_note.isHidden()
    monkeypatch.setattr(qwen_vl_local, "available_memory", lambda: 1 << 20)
    dialog.detectors.setCurrentIndex(dialog.detectors.findData(qwen_vl_local.NAME))
    assert "Not enough memory is free: unload the model in the Chat tab" in dialog.local_note.text()


def test_without_the_chat_tab_holding_it_the_note_is_shorter(qtbot, files):
    model, mmproj = files
    settings.set_chat_options(model_path=str(model), mmproj_path=str(mmproj))
    dialog = DetectDialog(page=0, page_count=3, selected=[], detector=qwen_vl_local.NAME)
    qtbot.addWidget(dialog)
    note = dialog.local_note.text()
    assert "its own copy" in note and "Chat tab" not in note

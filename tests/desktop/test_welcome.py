"""The welcome screen, driven with real clicks and keys: the three ways in, the recent
projects (missing ones greyed and inert), and the setup checklist (keys found in the
keyring or the environment off the GUI thread, the chat model chosen with a file dialog)."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog

from engine import settings
from engine.secrets import SERVICE
from engine.store import Project
from remud_desktop.welcome.screen import DONE, TODO, WelcomeScreen
from tests.desktop.gui_helpers import WAIT_MS
from tests.tiny_gguf import write_tiny_qwen2_gguf, write_tiny_qwen25vl_mmproj

KEY_VARS = ("OPENAI_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY")


@pytest.fixture
def no_env_keys(monkeypatch):
    for var in KEY_VARS:
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def projects(tmp_path):
    present = tmp_path / "Kidney atlas.remud"
    Project.create(present).close()
    return present, tmp_path / "gone" / "Liver guide.remud"


def make_screen(qtbot, qsettings, tmp_path) -> WelcomeScreen:
    screen = WelcomeScreen(qsettings, sample_folder=tmp_path / "Sample atlas.remud")
    qtbot.addWidget(screen)
    screen.resize(1200, 800)
    with qtbot.waitExposed(screen):
        screen.show()
    qtbot.waitUntil(screen.key_check_done, timeout=20000)
    return screen


def recheck(qtbot, screen: WelcomeScreen) -> None:
    screen.refresh()
    qtbot.waitUntil(screen.key_check_done, timeout=20000)


def double_click(qtbot, view, item) -> None:
    """Press, release, then the double-click event, as the platform sends them."""
    centre = view.visualItemRect(item).center()
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)
    qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=centre)


def test_the_three_actions_emit_their_signals(qtbot, isolated, memory_keyring, no_env_keys, tmp_path):
    screen = make_screen(qtbot, isolated, tmp_path)
    for button, signal in ((screen.sample_button, screen.open_sample_requested),
                           (screen.new_button, screen.new_project_requested),
                           (screen.open_button, screen.open_project_requested),
                           (screen.sample_row.button, screen.open_sample_requested)):
        with qtbot.waitSignal(signal, timeout=WAIT_MS):
            qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    with qtbot.waitSignal(screen.settings_requested, timeout=WAIT_MS) as page:
        qtbot.mouseClick(screen.keys_row.button, Qt.MouseButton.LeftButton)
    assert page.args == ["synthesis"]


def test_recent_projects_open_by_double_click_or_enter_and_missing_ones_are_greyed(qtbot, isolated, memory_keyring,
                                                                                 no_env_keys, projects, tmp_path):
    present, missing = projects
    isolated.setValue("recentProjects", [str(missing), str(present)])
    screen = make_screen(qtbot, isolated, tmp_path)
    items = [screen.recent.item(i) for i in range(screen.recent.count())]
    assert [i.text().splitlines()[0] for i in items] == ["Liver guide.remud — not found", "Kidney atlas.remud"]
    assert not items[0].flags() & Qt.ItemFlag.ItemIsEnabled and items[1].flags() & Qt.ItemFlag.ItemIsEnabled
    assert screen.recent.currentRow() == 1  # the first one that can be opened

    opened = []
    screen.open_recent_requested.connect(opened.append)
    screen.recent.setFocus()
    qtbot.keyClick(screen.recent, Qt.Key.Key_Return)
    assert opened == [str(present)]
    double_click(qtbot, screen.recent, items[1])
    assert opened == [str(present)] * 2
    double_click(qtbot, screen.recent, items[0])
    assert opened == [str(present)] * 2  # the missing folder does nothing

    isolated.setValue("recentProjects", [])
    recheck(qtbot, screen)
    assert screen.recent.count() == 1 and "No recent projects yet" in screen.recent.item(0).text()


def test_key_check_reads_keyring_and_environment(qtbot, isolated, memory_keyring, no_env_keys, monkeypatch, tmp_path):
    screen = make_screen(qtbot, isolated, tmp_path)
    assert screen.keys_row.mark.text() == TODO and "OpenAI: not set" in screen.keys_row.detail.text()

    memory_keyring.set_password(SERVICE, "gemini", "AIza-in-the-keyring-31337")
    recheck(qtbot, screen)
    assert screen.keys_row.mark.text() == DONE
    assert "Google Gemini: set in keyring" in screen.keys_row.detail.text()
    assert "31337" not in screen.keys_row.detail.text()

    memory_keyring.delete_password(SERVICE, "gemini")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-env-4242")
    recheck(qtbot, screen)
    assert screen.keys_row.mark.text() == DONE
    assert "OpenAI: from environment (OPENAI_API_KEY)" in screen.keys_row.detail.text()


def test_choose_model_saves_the_gguf_and_finds_its_mmproj(qtbot, isolated, memory_keyring, no_env_keys, monkeypatch,
                                                         tmp_path):
    screen = make_screen(qtbot, isolated, tmp_path)
    assert screen.chat_row.mark.text() == TODO and "No model chosen" in screen.chat_row.detail.text()
    models = tmp_path / "models"
    models.mkdir()
    model = write_tiny_qwen2_gguf(models / "remud-tiny.gguf")
    mmproj = write_tiny_qwen25vl_mmproj(models / "mmproj-remud-tiny.gguf")
    asked = []

    def pick(parent, title, folder, filters):
        asked.append((title, filters))
        return str(model), filters

    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(pick))
    assert not screen.open_chat_button.isVisible()
    with qtbot.waitSignal(screen.chat_model_changed, timeout=WAIT_MS):
        qtbot.mouseClick(screen.chat_row.button, Qt.MouseButton.LeftButton)
    assert asked and "GGUF" in asked[0][1]
    opts = settings.chat_options()
    assert opts["model_path"] == str(model) and opts["mmproj_path"] == str(mmproj)
    qtbot.waitUntil(screen.key_check_done, timeout=20000)
    assert screen.chat_row.mark.text() == DONE
    assert "remud-tiny.gguf" in screen.chat_row.detail.text() and "mmproj-remud-tiny.gguf" in screen.chat_row.detail.text()
    assert screen.open_chat_button.isVisible()
    with qtbot.waitSignal(screen.open_chat_requested, timeout=WAIT_MS):
        qtbot.mouseClick(screen.open_chat_button, Qt.MouseButton.LeftButton)

    model.unlink()
    recheck(qtbot, screen)
    assert screen.chat_row.mark.text() == TODO and "is not at" in screen.chat_row.detail.text()
    assert not screen.open_chat_button.isVisible()


def test_another_model_never_keeps_the_previous_models_projector(qtbot, isolated, memory_keyring, no_env_keys,
                                                                 monkeypatch, tmp_path):
    first, second, third = (tmp_path / name for name in ("first", "second", "third"))
    for folder in (first, second, third):
        folder.mkdir()
    old_model = write_tiny_qwen2_gguf(first / "old.gguf")
    old_mmproj = write_tiny_qwen25vl_mmproj(first / "mmproj-old.gguf")
    settings.set_chat_options(model_path=str(old_model), mmproj_path=str(old_mmproj))
    plain = write_tiny_qwen2_gguf(second / "plain.gguf")
    vision = write_tiny_qwen2_gguf(third / "vision.gguf")
    vision_mmproj = write_tiny_qwen25vl_mmproj(third / "mmproj-vision.gguf")
    screen = make_screen(qtbot, isolated, tmp_path)
    picks = [str(vision), str(plain), str(write_tiny_qwen2_gguf(third / "vision-2.gguf"))]
    monkeypatch.setattr(QFileDialog, "getOpenFileName", staticmethod(lambda *a: (picks.pop(0), "")))

    screen.choose_model()  # a folder with its own projector: that one replaces the old model's
    assert settings.chat_options()["mmproj_path"] == str(vision_mmproj)
    screen.choose_model()  # a folder with none: no projector (not the previous model's)
    assert settings.chat_options()["model_path"] == str(plain) and not settings.chat_options()["mmproj_path"]
    chosen = write_tiny_qwen25vl_mmproj(third / "projector.gguf")  # set by hand in Settings
    settings.set_chat_options(mmproj_path=str(chosen))
    screen.choose_model()  # the same folder: the projector chosen there is kept
    assert settings.chat_options()["mmproj_path"] == str(chosen)


def test_sample_row_is_checked_once_the_sample_exists(qtbot, isolated, memory_keyring, no_env_keys, tmp_path):
    screen = make_screen(qtbot, isolated, tmp_path)
    assert screen.sample_row.mark.text() == TODO
    Project.create(tmp_path / "Sample atlas.remud").close()
    recheck(qtbot, screen)
    assert screen.sample_row.mark.text() == DONE and "Ready in" in screen.sample_row.detail.text()

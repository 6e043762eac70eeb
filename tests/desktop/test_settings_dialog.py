"""The Settings dialog driven with real clicks and keys: the Chat page saves what
`remud settings` then reads back, API keys go to the keyring and never into the settings
file's bytes, the theme is saved and applied, the language is saved for the next start, and
every page can be opened by name."""

import json

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QLabel

from engine import settings
from engine.cli import main
from engine.detect import registry
from engine.i18n import LANGUAGES
from engine.secrets import SERVICE
from engine.synth.base import load_pricing
from remud_desktop.settings.dialog import PAGES, SettingsDialog
from remud_desktop.theme import apply_theme


@pytest.fixture
def dialog(qtbot, isolated, memory_keyring):
    d = SettingsDialog()
    qtbot.addWidget(d)
    with qtbot.waitExposed(d):
        d.show()
    return d


@pytest.fixture
def system_theme_after():
    yield
    apply_theme(QApplication.instance(), "system")  # the next test starts with the platform's look


def pick(qtbot, radio) -> None:
    """Click a radio button on its circle, where a person would."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))
    assert radio.isChecked()


def click_save(qtbot, dialog) -> None:
    box = dialog.findChild(QDialogButtonBox)
    qtbot.mouseClick(box.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)


def type_into(qtbot, widget, text: str) -> None:
    widget.clear()
    qtbot.keyClicks(widget, text)


def test_chat_page_saves_what_the_cli_reads_back(qtbot, dialog, capsys, tmp_path):
    dialog.show_page("chat")
    assert dialog.current_page() == "chat"
    page = dialog.chat
    type_into(qtbot, page.model.edit, str(tmp_path / "ReMUD-7B-Q4_K_M.gguf"))
    type_into(qtbot, page.mmproj.edit, str(tmp_path / "mmproj-ReMUD-7B-f16.gguf"))
    page.fields.n_ctx.setValue(16384)
    page.fields.n_threads.setValue(6)
    page.fields.n_gpu_layers.setValue(-1)
    page.max_image_pixels.setValue(28 * 28 * 512)
    page.fields.mode.setCurrentIndex(3)  # minimum and maximum
    assert page.fields.max_tokens.isEnabled() and page.fields.answer_prefix.isEnabled()
    page.fields.min_tokens.setValue(128)
    page.fields.max_tokens.setValue(2048)
    assert [page.fields.wait.itemText(i) for i in range(2)] == ["Wait,", "等等，"]
    page.fields.wait.setCurrentIndex(1)
    page.fields.num_waits.setValue(3)
    type_into(qtbot, page.fields.answer_prefix.lineEdit(), "Answer:")
    page.fields.temperature.setValue(0.3)
    page.fields.top_p.setValue(0.9)
    page.fields.max_answer.setValue(512)
    qtbot.keyClicks(page.fields.system_prompt, "You are a sonographer.")
    click_save(qtbot, dialog)
    assert dialog.result() == dialog.DialogCode.Accepted

    expected = {
        "model_path": str(tmp_path / "ReMUD-7B-Q4_K_M.gguf"), "mmproj_path": str(tmp_path / "mmproj-ReMUD-7B-f16.gguf"),
        "n_ctx": 16384, "n_threads": 6, "n_gpu_layers": -1, "max_image_pixels": 28 * 28 * 512,
        "system_prompt": "You are a sonographer.",
        "budget": {"use_min": True, "use_max": True, "min_thinking_tokens": 128, "max_thinking_tokens": 2048,
                   "wait": "等等，", "num_waits": 3, "answer_prefix": "Answer:"},
        "sampling": {"temperature": 0.3, "top_p": 0.9, "max_answer_tokens": 512},
    }
    assert settings.chat_options() == expected
    assert main(["settings", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["chat"] == expected

    again = SettingsDialog()  # a new dialog shows what was saved
    qtbot.addWidget(again)
    assert again.chat.values() == expected


def test_chat_page_refuses_a_minimum_above_the_maximum(qtbot, dialog, messages):
    dialog.show_page("appearance")
    page = dialog.chat
    page.fields.mode.setCurrentIndex(3)
    page.fields.min_tokens.setValue(900)
    page.fields.max_tokens.setValue(300)
    click_save(qtbot, dialog)
    assert dialog.isVisible() and dialog.current_page() == "chat"
    assert messages.texts("warning") == ["The minimum thinking length must not be larger than the maximum."]
    assert settings.chat_options()["budget"]["min_thinking_tokens"] == 96  # nothing saved


def test_api_keys_go_to_the_keyring_never_to_the_settings_file(qtbot, dialog, memory_keyring, tmp_path):
    gemini_key, qwen_key = "AIza-typed-gemini-7777777", "sk-typed-qwen-8888888"
    dialog.show_page("synthesis")
    synth = dialog.synthesis
    synth.card.setCurrentIndex(synth.card.findData("gemini"))
    type_into(qtbot, synth.model, "gemini-2.5-pro")
    qtbot.keyClicks(synth.key, gemini_key)
    synth.concurrency.setValue(12)
    dialog.show_page("detection")
    qtbot.keyClicks(dialog.key, qwen_key)
    click_save(qtbot, dialog)
    assert not dialog.buttons.isEnabled()  # the keys are stored in the thread pool; the dialog waits
    qtbot.waitUntil(lambda: dialog.result() == dialog.DialogCode.Accepted and not dialog.isVisible(), timeout=10000)

    assert memory_keyring.store[(SERVICE, "gemini")] == gemini_key
    assert memory_keyring.store[(SERVICE, "qwen-vl")] == qwen_key
    raw = settings.settings_path().read_bytes()
    saved = json.loads(raw)
    assert saved["synthesizers"]["gemini"]["model"] == "gemini-2.5-pro" and saved["synthesis"]["concurrency"] == 12
    for secret in (gemini_key, qwen_key):
        for needle in (secret, secret[:12], secret[-7:]):
            assert needle.encode() not in raw
    for f in tmp_path.rglob("*"):  # nor in QSettings or any other file
        assert not f.is_file() or (gemini_key.encode() not in f.read_bytes() and qwen_key.encode() not in f.read_bytes())


def test_appearance_theme_is_saved_and_applied(qtbot, dialog, system_theme_after):
    app = QApplication.instance()
    dialog.show_page("appearance")
    assert dialog.appearance.radios["system"].isChecked()
    pick(qtbot, dialog.appearance.radios["dark"])
    click_save(qtbot, dialog)
    assert settings.appearance_options() == {"theme": "dark", "language": "system"}
    assert app.palette().color(QPalette.ColorRole.Window).lightness() < 80
    probe = QLabel("probe")
    qtbot.addWidget(probe)
    assert probe.palette().color(QPalette.ColorRole.Window).lightness() < 80
    assert probe.palette().color(QPalette.ColorRole.WindowText).lightness() > 180

    light = SettingsDialog()
    qtbot.addWidget(light)
    assert light.appearance.radios["dark"].isChecked()
    light.show()
    light.show_page("appearance")
    pick(qtbot, light.appearance.radios["light"])
    light.accept()
    assert settings.appearance_options() == {"theme": "light", "language": "system"}
    assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
    assert app.palette().color(QPalette.ColorRole.WindowText).lightness() < 80


def test_language_choice_is_saved_for_the_next_start_and_shown_when_reopened(qtbot, isolated, memory_keyring,
                                                                            messages, monkeypatch):
    monkeypatch.setenv("LANGUAGE", "zh_CN")  # the system speaks Chinese; the tests' app speaks English
    d = SettingsDialog()
    qtbot.addWidget(d)
    with qtbot.waitExposed(d):
        d.show()
    d.show_page("appearance")
    page = d.appearance
    radios = page.language_radios
    assert list(radios) == ["system", *LANGUAGES]
    assert radios["system"].isChecked() and radios["system"].text() == "Same as the system (简体中文)"
    assert [radios[code].text() for code in LANGUAGES] == ["English", "简体中文"]  # each in its own language
    assert page.restart_note.isVisible()  # "system" means Chinese here: it needs a restart
    assert page.restart_note.text() == "Restart ReMUD Desktop to see it in 简体中文."
    assert any("takes effect when ReMUD Desktop is restarted" in label.text() for label in d.findChildren(QLabel))
    pick(qtbot, radios["en"])
    assert not page.restart_note.isVisible()  # the language the app speaks now
    pick(qtbot, radios["zh_CN"])
    assert page.restart_note.isVisible()
    assert page.radios["system"].isChecked()  # the theme is left as it was
    click_save(qtbot, d)
    assert d.result() == d.DialogCode.Accepted
    assert settings.appearance_options() == {"theme": "system", "language": "zh_CN"}
    assert messages.texts("information") == ["The language is saved: restart ReMUD Desktop to see it in 简体中文."]

    again = SettingsDialog()  # reopened: the saved choice is the one shown
    qtbot.addWidget(again)
    again.show()
    again.show_page("appearance")
    assert again.appearance.language_radios["zh_CN"].isChecked() and again.appearance.language() == "zh_CN"
    assert again.appearance.restart_note.isVisible()  # saved, but not in use until the restart
    pick(qtbot, again.appearance.language_radios["en"])
    click_save(qtbot, again)
    assert settings.appearance_options()["language"] == "en"
    assert len(messages.texts("information")) == 1  # back to the language in use: nothing to restart for

    third = SettingsDialog()
    qtbot.addWidget(third)
    assert third.appearance.language() == "en" and third.appearance.language_radios["en"].isChecked()


def test_pages_by_name_prices_and_detectors(qtbot, dialog):
    for name in PAGES:
        dialog.show_page(name)
        assert dialog.current_page() == name and dialog.tabs.tabText(dialog.tabs.currentIndex()).lower() == name
    with pytest.raises(ValueError):
        dialog.show_page("network")
    pricing = load_pricing(dialog.prices.path)
    table = dialog.prices.table
    assert [table.item(r, 0).text() for r in range(table.rowCount())] == list(pricing.prices)
    row = list(pricing.prices).index("gpt-4o")
    assert (table.item(row, 1).text(), table.item(row, 2).text()) == ("$2.50", "$10.00")
    notes = [label.text() for label in dialog.findChildren(QLabel)]
    assert any(str(dialog.prices.path) in text for text in notes)
    assert dialog.detectors.names == [card.name for card in registry.available()]


def test_saved_keys_are_checked_off_the_gui_thread_then_shown_and_forgotten(qtbot, isolated, memory_keyring):
    memory_keyring.store[(SERVICE, "qwen-vl")] = "sk-saved-before-0000000000"
    memory_keyring.store[(SERVICE, "gemini")] = "AIza-saved-before"
    d = SettingsDialog()
    qtbot.addWidget(d)
    d.show()
    qtbot.waitUntil(lambda: d.forget_key.isEnabled(), timeout=10000)
    assert "saved in the system keyring" in d.key.placeholderText()
    synth = d.synthesis
    synth.card.setCurrentIndex(synth.card.findData("gemini"))
    assert "saved in the system keyring as “gemini”" in synth.key.placeholderText()
    synth.card.setCurrentIndex(synth.card.findData("openai"))
    assert "saved" not in synth.key.placeholderText() and "“openai”" in synth.key.placeholderText()
    qtbot.mouseClick(d.forget_key, Qt.MouseButton.LeftButton)
    assert not d.forget_key.isEnabled()
    click_save(qtbot, d)
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert (SERVICE, "qwen-vl") not in memory_keyring.store and (SERVICE, "gemini") in memory_keyring.store


def test_a_keyring_that_fails_keeps_the_dialog_open_with_the_reason(qtbot, dialog, memory_keyring, messages):
    def broken(service, username, password):
        raise OSError("locked")

    memory_keyring.set_password = broken
    qtbot.keyClicks(dialog.key, "sk-typed-qwen-8888888888888888")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: dialog.buttons.isEnabled(), timeout=10000)
    assert dialog.isVisible() and dialog.result() != dialog.DialogCode.Accepted
    assert "could not be saved in the system keyring (OSError)" in dialog.status.text()
    assert messages.texts("warning") == [dialog.status.text()]


def test_a_connection_test_that_ends_after_closing_is_dropped(qtbot, dialog):
    from tests.servers.openai_compat import closed_port_url

    dialog.base_url.setText(closed_port_url())
    dialog.synthesis.base_url.setText(closed_port_url())
    arrived = []
    for test in (dialog.test_connection(), dialog.synthesis.test_connection()):
        test.signals.done.connect(lambda *_: arrived.append(1))
        test.signals.failed.connect(lambda *_: arrived.append(1))
    dialog.reject()  # before the event loop can deliver either result
    qtbot.waitUntil(lambda: len(arrived) == 2, timeout=20000)
    assert dialog.test_result.text() == "Connecting…" and not dialog.test_button.isEnabled()
    assert dialog.synthesis.test_result.text() == "Connecting…"

"""engine.i18n: which language is chosen (flag, setting, environment, desktop), and the engine's
sentences in it, read from the real compiled catalog."""

from __future__ import annotations

import pytest

from engine import i18n, settings


@pytest.fixture
def restore_language():
    before = i18n.current_language()
    yield
    i18n.set_language(before)


@pytest.mark.parametrize(("tag", "expected"), [
    ("zh_CN.UTF-8", "zh_CN"), ("zh-Hans-CN", "zh_CN"), ("zh", "zh_CN"), ("zh_TW.Big5", "zh_CN"),
    ("ZH_cn", "zh_CN"), ("en_US.UTF-8", "en"), ("en-GB", "en"), ("C", "en"), ("POSIX", "en"),
    ("C.UTF-8", "en"), ("fr_FR.UTF-8", None), ("", None), ("de_DE@euro", None),
])
def test_normalize(tag, expected):
    assert i18n.normalize(tag) == expected


@pytest.mark.parametrize(("env", "ui", "expected"), [
    ({"LANG": "zh_CN.UTF-8"}, [], "zh_CN"),
    ({"LANGUAGE": "en", "LANG": "zh_CN.UTF-8"}, [], "en"),  # LANGUAGE comes first, as in gettext
    ({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"}, [], "zh_CN"),  # its first known language
    ({"LANGUAGE": "fr", "LANG": "zh_CN.UTF-8"}, [], "zh_CN"),  # none known there: the locale counts
    ({"LC_ALL": "zh_CN.UTF-8", "LANG": "en_US.UTF-8"}, [], "zh_CN"),
    ({"LC_MESSAGES": "en_US.UTF-8", "LANG": "zh_CN.UTF-8"}, [], "en"),
    ({"LANG": "fr_FR.UTF-8"}, ["zh-Hans-CN"], "en"),  # a locale is set: an unknown language is English
    ({}, ["fr-FR", "zh-Hans-CN"], "zh_CN"),  # Windows and macOS: what the desktop says
    ({}, [], "en"),
])
def test_system_language(env, ui, expected):
    assert i18n.system_language(env, ui) == expected


def test_a_flag_beats_the_setting_which_beats_the_system():
    env = {"LANG": "zh_CN.UTF-8"}
    assert i18n.chosen_language(None, saved="system", env=env) == "zh_CN"
    assert i18n.chosen_language(None, saved="en", env=env) == "en"
    assert i18n.chosen_language("zh-CN", saved="en", env=env) == "zh_CN"
    assert i18n.chosen_language("system", saved="en", env={"LANG": "en_US.UTF-8"}) == "en"
    assert i18n.chosen_language(None, saved="klingon", env=env) == "zh_CN"  # a bad saved value: the system's


def test_an_unknown_language_is_refused_with_the_choices():
    with pytest.raises(i18n.LanguageError, match="system, en, zh_CN"):
        i18n.parse_choice("fr")


def test_the_setting_is_saved_and_read_back(monkeypatch, tmp_path):
    monkeypatch.setenv("REMUD_CONFIG_DIR", str(tmp_path))
    assert settings.appearance_options()["language"] == "system"
    settings.set_appearance_options(language="zh-CN")
    assert settings.appearance_options() == {"theme": "system", "language": "zh_CN"}
    assert i18n.chosen_language(None, env={"LANG": "en_US.UTF-8"}) == "zh_CN"
    with pytest.raises(settings.SettingsError, match="not a language"):
        settings.set_appearance_options(language="fr")
    assert settings.appearance_options()["language"] == "zh_CN"  # nothing written


def test_engine_sentences_come_from_the_compiled_catalog(restore_language):
    message = "“{value}” is not a language the app speaks; choose one of {choices}."
    i18n.set_language("zh_CN")
    translated = i18n.tr(message)
    assert translated != message and "{value}" in translated and "{choices}" in translated
    assert i18n.tr("a sentence no catalog has") == "a sentence no catalog has"
    i18n.set_language("en")
    assert i18n.tr(message) == message
    assert i18n.ntr("{n} page", "{n} pages", 1) == "{n} page"
    assert i18n.ntr("{n} page", "{n} pages", 3) == "{n} pages"


def test_a_missing_catalog_leaves_english(restore_language, monkeypatch, tmp_path):
    monkeypatch.setenv("REMUD_RESOURCES", str(tmp_path))
    i18n.set_language("zh_CN")
    assert i18n.current_language() == "zh_CN"
    assert i18n.tr("Scanned page analysis") == "Scanned page analysis"
    with pytest.raises(i18n.LanguageError):
        i18n.set_language("xx")

"""`remud --lang`: the language is chosen before the parser is built, so output, errors and argparse's
own help are in it; flag > Settings → Appearance → Language > the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from engine.cli import lang_flag

REPO = Path(__file__).resolve().parents[2]
LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def remud(tmp_path: Path, *argv, **env: str) -> subprocess.CompletedProcess[str]:
    """`remud argv` in a fresh process whose language comes only from `env` (and its own empty settings)."""
    base = {k: v for k, v in os.environ.items() if k not in LOCALE_VARS}  # conftest sets LANGUAGE=en
    base.update(PYTHONPATH=str(REPO), PYTHONIOENCODING="utf-8", REMUD_CONFIG_DIR=str(tmp_path / "config"), **env)
    return subprocess.run([sys.executable, "-m", "engine.cli", *map(str, argv)], cwd=REPO, env=base,
                          capture_output=True, text=True, encoding="utf-8")


def test_lang_flag_is_read_before_the_command_only():
    assert lang_flag(["--lang", "zh_CN", "info", "P"]) == "zh_CN"
    assert lang_flag(["--lang=en", "info"]) == "en"
    assert lang_flag(["--la", "zh_CN", "info"]) == "zh_CN"  # a prefix argparse accepts
    assert lang_flag(["records", "list", "P", "--lang", "zh"]) is None  # that command's own language filter
    assert lang_flag(["info", "P"]) is None


def test_flag_speaks_chinese(tmp_path):
    done = remud(tmp_path, "--lang", "zh_CN", "info", tmp_path / "nothing")
    assert done.returncode == 1 and done.stderr.startswith("错误：") and "不是 ReMUD 项目" in done.stderr
    done = remud(tmp_path, "--lang", "zh_CN", "new", tmp_path / "P.remud")
    assert done.returncode == 0 and done.stdout.startswith("已创建项目")
    done = remud(tmp_path, "--lang=zh_CN", "figures", tmp_path / "P.remud")
    assert done.returncode == 0 and done.stdout.strip() == "没有图。"


def test_argparse_errors_and_help_in_chinese(tmp_path):
    done = remud(tmp_path, "--lang", "zh_CN", "figures")
    assert done.returncode == 2
    assert "用法：" in done.stderr and "错误：缺少以下必需参数：project" in done.stderr
    done = remud(tmp_path, "--lang", "zh_CN", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("用法：") and "显示此帮助信息并退出" in done.stdout
    assert "ReMUD Desktop 的命令行工具。" in done.stdout and "创建空的项目文件夹" in done.stdout
    done = remud(tmp_path, "--lang", "zh_CN", "export", "--help")
    assert "按类型 × 语言 × 划分计数" in done.stdout and "选项" in done.stdout


def test_environment_speaks_chinese_without_the_flag(tmp_path):
    done = remud(tmp_path, "info", tmp_path / "nothing", LANG="zh_CN.UTF-8")
    assert done.returncode == 1 and done.stderr.startswith("错误：")
    done = remud(tmp_path, "--help", LANG="zh_CN.UTF-8")
    assert done.stdout.startswith("用法：")


def test_the_flag_beats_the_environment(tmp_path):
    done = remud(tmp_path, "--lang", "en", "info", tmp_path / "nothing", LANG="zh_CN.UTF-8", LANGUAGE="zh_CN")
    assert done.returncode == 1 and done.stderr.startswith("error: ") and "is not a ReMUD project" in done.stderr
    done = remud(tmp_path, "--lang", "en", "--help", LANG="zh_CN.UTF-8")
    assert done.stdout.startswith("usage: ") and "show this help message and exit" in done.stdout


def test_the_saved_setting_beats_the_environment(tmp_path):
    assert remud(tmp_path, "settings", "set", "appearance.language=zh_CN").returncode == 0
    done = remud(tmp_path, "info", tmp_path / "nothing", LANG="en_US.UTF-8")
    assert done.stderr.startswith("错误：")
    done = remud(tmp_path, "--lang", "system", "info", tmp_path / "nothing", LANG="en_US.UTF-8")
    assert done.stderr.startswith("error: ")


@pytest.mark.parametrize("value", ["xx", ""])
def test_a_language_the_app_does_not_speak_is_refused(tmp_path, value):
    done = remud(tmp_path, f"--lang={value}" if value else "--lang", "info", tmp_path / "nothing")
    assert done.returncode == 2 and done.stdout == ""
    if value:
        assert done.stderr.strip() == (f"error: “{value}” is not a language the app speaks; choose one of system, en, "
                                       "zh_CN.")

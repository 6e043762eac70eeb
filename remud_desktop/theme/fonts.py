"""Fonts the UI needs whatever the system has."""

from __future__ import annotations

import pymupdf
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication


def install_cjk_fallback(app: QApplication) -> str | None:
    """Chinese text needs a CJK font; where the system has none (bare Linux), use the one
    that ships inside PyMuPDF as a fallback for the UI font. Returns the family added."""
    if any(QFontDatabase.writingSystems(f) and QFontDatabase.WritingSystem.SimplifiedChinese in
           QFontDatabase.writingSystems(f) for f in QFontDatabase.families()):
        return None
    font_id = QFontDatabase.addApplicationFontFromData(bytes(pymupdf.Font("cjk").buffer))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if not families:
        return None
    base = app.font().family()
    QFont.insertSubstitutions(base, [families[0]])
    return families[0]

"""Text on pages: lines from the text layer or OCR, reading order, and which text
belongs to which figure (caption, context, section, sub-label, burned-in text)."""

from engine.text.captions import FoundText, associate_document, normalize_number
from engine.text.lines import (
    Block,
    extract_lines,
    group_blocks,
    page_lines,
    reading_order,
    text_layer_lines,
)
from engine.text.ocr import OcrEngine, RapidOcrEngine, TextLine, merge_ocr_boxes

__all__ = [
    "Block",
    "FoundText",
    "OcrEngine",
    "RapidOcrEngine",
    "TextLine",
    "associate_document",
    "extract_lines",
    "group_blocks",
    "merge_ocr_boxes",
    "normalize_number",
    "page_lines",
    "reading_order",
    "text_layer_lines",
]

"""Small real PDFs for tests: text, embedded images, encryption, damage."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf


def dark_png(width: int = 320, height: int = 240, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    arr = (rng.random((height, width)) * 60).astype(np.uint8)
    pix = pymupdf.Pixmap(pymupdf.csGRAY, width, height, arr.tobytes(), False)
    return pix.tobytes("png")


def text_pdf(path: Path, pages: int = 3, *, title: str = "Test book") -> Path:
    doc = pymupdf.open()
    for i in range(pages):
        page = doc.new_page()
        page.insert_text((72, 72), f"Page {i + 1} of the liver chapter", fontsize=12)
    doc.set_metadata({"title": title})
    doc.save(str(path))
    return path


def image_pdf(path: Path, rects: list[tuple[float, float, float, float]], *, rotate: int = 0) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 60), "Figure page", fontsize=12)
    for n, r in enumerate(rects):
        page.insert_image(pymupdf.Rect(*r), stream=dark_png(seed=n))
    if rotate:
        page.set_rotation(rotate)
    doc.save(str(path))
    return path


def encrypted_pdf(path: Path, password: str = "secret") -> Path:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Confidential atlas", fontsize=12)
    doc.save(str(path), encryption=pymupdf.PDF_ENCRYPT_AES_256, user_pw=password, owner_pw=password + "-owner")
    return path


def zero_page_pdf(path: Path) -> Path:
    body = [
        b"%PDF-1.4\n",
        b"1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n",
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n",
    ]
    offsets, pos = [], 0
    for chunk in body:
        offsets.append(pos)
        pos += len(chunk)
    xref = b"xref\n0 3\n0000000000 65535 f \n" + b"".join(b"%010d 00000 n \n" % o for o in offsets[1:])
    trailer = b"trailer << /Size 3 /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % pos
    path.write_bytes(b"".join(body) + xref + trailer)
    return path


def many_pages_pdf(path: Path, pages: int) -> Path:
    doc = pymupdf.open()
    for i in range(pages):
        doc.new_page(width=420, height=595).insert_text((50, 60), f"Page {i + 1}", fontsize=11)
    doc.save(str(path), garbage=1)
    return path


def cut_short_pdf(path: Path, pages: int = 30) -> Path:
    """A PDF (objects in compressed object streams, as many writers save them) cut off halfway,
    as an interrupted download leaves it: MuPDF repairs it but finds no page."""
    full = path.with_name(f"full-{path.name}")
    doc = pymupdf.open()
    for i in range(pages):
        doc.new_page().insert_text((72, 72), f"Page {i + 1} " * 20, fontsize=8)
    doc.save(str(full), garbage=3, deflate=True, use_objstms=1)
    data = full.read_bytes()
    full.unlink()
    path.write_bytes(data[: len(data) // 2])
    return path

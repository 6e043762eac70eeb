"""Figure <-> caption / context / section association on real PDFs built here."""

from __future__ import annotations

import re
from difflib import SequenceMatcher

import numpy as np
import pymupdf
import pytest

from engine.geometry import Rect
from engine.text import (
    RapidOcrEngine,
    associate_document,
    normalize_number,
    page_lines,
    reading_order,
)
from engine.text.lines import text_layer_lines

CJK = pymupdf.Font("cjk")
W, H = 595.0, 842.0


# --- building pages -----------------------------------------------------------------------


def put(page: pymupdf.Page, x: float, top: float, text: str, size: float = 10.0, color=(0, 0, 0)) -> None:
    """One line of text whose glyph box starts at `top`."""
    tw = pymupdf.TextWriter(page.rect)
    tw.append((x, top + size * 0.9), text, font=CJK, fontsize=size)
    tw.write_text(page, color=color)


def wrap(text: str, width: float, size: float) -> list[str]:
    tokens = re.findall(r"[A-Za-z0-9.,;:()'%\-]+\s*|\s+|.", text)
    lines, cur = [], ""
    for tok in tokens:
        if cur.strip() and CJK.text_length((cur + tok).rstrip(), size) > width:
            lines.append(cur.rstrip())
            cur = tok.lstrip()
        else:
            cur += tok
    if cur.strip():
        lines.append(cur.rstrip())
    return lines


def paragraph(page: pymupdf.Page, x: float, top: float, width: float, text: str, size: float = 10.0) -> float:
    """Wrapped text; returns the y below its last line."""
    for line in wrap(text, width, size):
        put(page, x, top, line, size)
        top += size * 1.45
    return top


def noise_png(width: int = 320, height: int = 240, seed: int = 0) -> bytes:
    rng = np.random.default_rng(seed)
    arr = (rng.random((height, width)) * 70).astype(np.uint8)
    return pymupdf.Pixmap(pymupdf.csGRAY, width, height, arr.tobytes(), False).tobytes("png")


def labelled_png(labels: list[tuple[float, float, str]], width: float = 240, height: float = 180, size: float = 16) -> bytes:
    """A dark 'ultrasound frame' with white text burned into its pixels."""
    d = pymupdf.open()
    p = d.new_page(width=width, height=height)
    p.draw_rect(p.rect, color=None, fill=(0.12, 0.12, 0.12))
    p.draw_oval(pymupdf.Rect(width * 0.3, height * 0.35, width * 0.75, height * 0.8), color=None, fill=(0.35, 0.35, 0.35))
    for x, y, text in labels:
        put(p, x, y, text, size, color=(1, 1, 1))
    return p.get_pixmap(dpi=200).tobytes("png")


def picture(page: pymupdf.Page, rect: Rect, seed: int = 0, png: bytes | None = None) -> Rect:
    page.insert_image(pymupdf.Rect(*rect.as_tuple()), stream=png or noise_png(seed=seed), keep_proportion=False)
    return rect


def similar(a: str, b: str) -> float:
    return SequenceMatcher(None, re.sub(r"\s+", "", a), re.sub(r"\s+", "", b)).ratio()


# --- (a) two-column atlas -----------------------------------------------------------------

EXPLAIN_ARTERY = "图解要点：A、B图显示肾动脉主干及其分支，彩色多普勒可见血流信号充盈良好，频谱呈低阻型。"
EXPLAIN_VEIN = "图解要点：图示肾静脉汇入下腔静脉，管腔内为无回声，未见血栓。"
EXPLAIN_CYST = "图解要点：A图示肾囊肿呈圆形无回声区，后方回声增强。"
BODY_ARTERY = "肾动脉起自腹主动脉两侧，右肾动脉较长，走行于下腔静脉后方。检查时患者取仰卧位。"


def atlas_doc() -> tuple[pymupdf.Document, dict[int, list[Rect]]]:
    doc = pymupdf.open()
    p0 = doc.new_page(width=W, height=H)
    heading = "16-1-3 肾动脉"
    put(p0, (W - CJK.text_length(heading, 14)) / 2, 50, heading, 14)  # centred over both columns
    fig_a = picture(p0, Rect(50, 80, 285, 240), 1)
    put(p0, 164, 246, "A")
    fig_b = picture(p0, Rect(50, 270, 285, 430), 2)
    put(p0, 164, 436, "B")
    paragraph(p0, 50, 470, 235, BODY_ARTERY)
    put(p0, 310, 80, "16-1-4 肾静脉", 12)
    fig_c = picture(p0, Rect(310, 100, 545, 260), 3)
    put(p0, 424, 266, "A")
    y = paragraph(p0, 310, 300, 235, EXPLAIN_ARTERY)
    paragraph(p0, 310, y + 12, 235, "肾静脉位于肾动脉前方，左肾静脉跨越腹主动脉前方汇入下腔静脉。")
    fig_e = picture(p0, Rect(310, 600, 545, 780), 5)

    p1 = doc.new_page(width=W, height=H)
    paragraph(p1, 50, 50, 235, EXPLAIN_VEIN)
    put(p1, 50, 110, "16-1-5 肾囊肿", 12)
    fig_d = picture(p1, Rect(50, 130, 285, 290), 4)
    put(p1, 164, 296, "A")
    paragraph(p1, 50, 320, 235, EXPLAIN_CYST)
    paragraph(p1, 310, 50, 235, "单纯性肾囊肿多为单发，边界清晰，壁薄而光滑。" * 3)
    return doc, {0: [fig_a, fig_b, fig_c, fig_e], 1: [fig_d]}


def test_atlas_sections_sublabels_and_explanations() -> None:
    doc, figs = atlas_doc()
    res = associate_document(doc, figs)
    a, b, c, e = (res[(0, i)] for i in range(4))
    d = res[(1, 0)]
    assert (a.section, b.section) == ("16-1-3 肾动脉", "16-1-3 肾动脉")
    assert (c.section, e.section) == ("16-1-4 肾静脉", "16-1-4 肾静脉")
    assert d.section == "16-1-5 肾囊肿"
    assert (a.sublabel, b.sublabel, c.sublabel, e.sublabel, d.sublabel) == ("A", "B", "A", "", "A")
    # one paragraph explains A and B, although it sits in the other column below a later figure
    assert a.context == b.context == EXPLAIN_ARTERY
    # the explanation of 16-1-4 is on the next page, before the next heading
    assert c.context == e.context == EXPLAIN_VEIN
    assert d.context == EXPLAIN_CYST
    for ft in (a, b, c, d, e):
        assert ft.caption == "" and ft.figure_number == "" and ft.burned_text == ""
        assert BODY_ARTERY not in ft.context


def test_explanation_does_not_cross_the_next_heading() -> None:
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    put(p, 50, 50, "3-1 肝脏", 14)
    fig = picture(p, Rect(50, 80, 285, 240), 1)
    put(p, 50, 300, "3-2 胆囊", 14)
    fig2 = picture(p, Rect(50, 330, 285, 490), 2)
    paragraph(p, 50, 510, 480, "图解要点：胆囊壁光滑，腔内无回声。")
    res = associate_document(doc, {0: [fig, fig2]})
    assert res[(0, 0)].section == "3-1 肝脏" and res[(0, 0)].context == ""
    assert res[(0, 1)].section == "3-2 胆囊" and res[(0, 1)].context.startswith("图解要点：胆囊壁")


def test_section_heading_carries_over_pages_and_chapter_headings() -> None:
    doc = pymupdf.open()
    p0 = doc.new_page(width=W, height=H)
    put(p0, 50, 50, "第三章 肝脏超声", 16)
    put(p0, 50, 90, "3.2 Liver", 13)
    paragraph(p0, 50, 120, 480, "The liver is scanned in the supine position with a convex probe. " * 4)
    p1 = doc.new_page(width=W, height=H)
    fig = picture(p1, Rect(100, 100, 400, 300), 1)
    put(p1, 100, 306, "(a)")
    res = associate_document(doc, {1: [fig]})
    assert res[(1, 0)].section == "3.2 Liver"
    assert res[(1, 0)].sublabel == "(a)"


def test_reading_order_two_columns_with_spanning_heading() -> None:
    doc, _ = atlas_doc()
    texts = [ln.text for ln in page_lines(doc[0])]

    def at(prefix: str) -> int:
        return next(i for i, t in enumerate(texts) if t.startswith(prefix))

    order = [at(t) for t in ("16-1-3 肾动脉", "A", "B", "肾动脉起自", "16-1-4 肾静脉", "图解要点：A、B", "肾静脉位于")]
    assert order == sorted(order)


def test_reading_order_full_width_banner_between_column_bands() -> None:
    rects = {
        "title": Rect(50, 40, 545, 60),
        "l1": Rect(50, 80, 280, 92), "l2": Rect(50, 96, 280, 108),
        "r1": Rect(310, 80, 545, 92), "r2": Rect(310, 96, 545, 108),
        "banner": Rect(50, 130, 545, 142),
        "l3": Rect(50, 160, 280, 172), "r3": Rect(310, 160, 545, 172),
    }
    got = reading_order(list(rects), lambda k: rects[k])
    assert got == ["title", "l1", "l2", "r1", "r2", "banner", "l3", "r3"]


# --- (b) papers, tables, bilingual captions ---------------------------------------------------


def paper_doc() -> tuple[pymupdf.Document, dict[int, list[Rect]]]:
    doc = pymupdf.open()
    p0 = doc.new_page(width=W, height=H)
    put(p0, 72, 50, "3.2 Liver", 13)
    paragraph(p0, 72, 75, 450, "The right lobe was measured in the midclavicular line in all 120 volunteers.")
    fig3 = picture(p0, Rect(150, 110, 445, 290), 1)
    paragraph(p0, 150, 298, 295, "Figure 3. Longitudinal scan of the right liver lobe showing a homogeneous echotexture.", 9)
    paragraph(p0, 72, 345, 450, "The parenchyma of the liver is slightly more echogenic than the renal cortex in healthy adults.")
    paragraph(p0, 150, 395, 295, "Table 2. Normal liver dimensions in adults", 9)
    table = Rect(150, 412, 445, 520)
    p0.draw_rect(pymupdf.Rect(*table.as_tuple()), color=(0, 0, 0), width=0.8)
    for y in (448, 484):
        p0.draw_line((150, y), (445, y), color=(0, 0, 0), width=0.5)
    paragraph(p0, 72, 528, 450, "Figure 3 shows that the echotexture does not change with age, while the size does.")
    fig4 = picture(p0, Rect(150, 580, 445, 740), 2)
    paragraph(p0, 72, 748, 450, "The portal vein enters the liver at the porta hepatis and divides into two branches.")

    p1 = doc.new_page(width=W, height=H)
    paragraph(p1, 72, 60, 450, "Normal values are listed in Table 2 for men and women separately.")
    paragraph(p1, 72, 110, 450, "As shown in Figure 3, the liver has a smooth surface and sharp inferior edge.")
    return doc, {0: [fig3, table, fig4]}


def test_paper_caption_below_figure_and_context_by_number() -> None:
    doc, figs = paper_doc()
    res = associate_document(doc, figs)
    f3, tab, f4 = res[(0, 0)], res[(0, 1)], res[(0, 2)]
    assert f3.caption == "Figure 3. Longitudinal scan of the right liver lobe showing a homogeneous echotexture."
    assert f3.figure_number == "3"
    # same-page reference first: the paragraph under the table names Figure 3
    assert f3.context.startswith("Figure 3 shows that the echotexture")
    assert f3.section == "3.2 Liver"
    assert tab.caption == "Table 2. Normal liver dimensions in adults"  # above: a table
    assert tab.figure_number == "2"
    assert tab.context == "Normal values are listed in Table 2 for men and women separately."
    # the body line right under the table or under figure 4 is not a caption
    assert f4.caption == "" and f4.figure_number == "" and f4.context == ""


def test_context_falls_back_to_nearest_page() -> None:
    doc, figs = paper_doc()
    page = doc[0]
    hit = page.search_for("Figure 3 shows")[0]
    page.add_redact_annot(hit.include_rect((hit.x0, hit.y0, 540, hit.y1 + 14)))
    page.apply_redactions()
    res = associate_document(doc, figs)
    assert res[(0, 0)].context == "As shown in Figure 3, the liver has a smooth surface and sharp inferior edge."


def bilingual_page(doc: pymupdf.Document) -> Rect:
    p = doc.new_page(width=W, height=H)
    put(p, 72, 50, "3-1 肝脏", 14)
    paragraph(p, 72, 80, 450, "肝右叶位于右季肋区，超声可见其实质回声均匀（图3－1），肝静脉走行自然。")
    fig = picture(p, Rect(150, 130, 445, 330), 3)
    put(p, 150, 338, "图 3-1 肝右叶", 9)
    put(p, 150, 351, "Figure 3-1 Right liver lobe", 9)
    paragraph(p, 72, 390, 450, "肝左叶体积较小，位于剑突下方。")
    return fig


def test_bilingual_caption_and_fullwidth_dash_reference() -> None:
    doc = pymupdf.open()
    fig = bilingual_page(doc)
    res = associate_document(doc, {0: [fig]})[(0, 0)]
    assert res.caption == "图 3-1 肝右叶\nFigure 3-1 Right liver lobe"
    assert res.figure_number == "3-1"
    assert res.context.startswith("肝右叶位于右季肋区")
    assert res.section == "3-1 肝脏"


@pytest.mark.parametrize("raw", ["3-1", "3－1", "3.1", "3 - 1", "３-１", "3–1"])
def test_normalize_number(raw: str) -> None:
    assert normalize_number(raw) == "3-1"


def test_body_lines_next_to_figure_are_not_captions() -> None:
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    fig = picture(p, Rect(150, 100, 445, 280), 1)
    put(p, 72, 288, "The gallbladder wall is thickened and, as described in")
    put(p, 72, 302.5, "Figure 5. Longitudinal views were obtained in all patients.")
    paragraph(p, 72, 330, 450, "图5显示胆囊壁增厚，腔内可见强回声团伴声影，随体位改变而移动。")
    res = associate_document(doc, {0: [fig]})[(0, 0)]
    assert (res.caption, res.figure_number, res.context) == ("", "", "")


# --- (c) scanned pages, (d) burned-in text --------------------------------------------------


@pytest.fixture(scope="module")
def ocr() -> RapidOcrEngine:
    return RapidOcrEngine()


class CountingOcr:
    """The real engine, counting the pages and crops it is asked to read."""

    def __init__(self, engine: RapidOcrEngine) -> None:
        self.engine, self.calls = engine, []

    def ocr_image(self, image):
        return self.engine.ocr_image(image)

    def ocr_page(self, page, dpi=200, clip=None):
        self.calls.append((page.number, clip))
        return self.engine.ocr_page(page, dpi=dpi, clip=clip)


SCAN_FIG = Rect(150, 140, 445, 340)


def scanned_doc() -> pymupdf.Document:
    """A born-digital page rasterized at 170 dpi and placed as the only content of a page."""
    born = pymupdf.open()
    src = born.new_page(width=W, height=H)
    put(src, 72, 50, "5-1 胆囊疾病", 15)
    paragraph(src, 72, 85, 450, "胆囊结石表现为胆囊腔内强回声团，后方伴声影（见图5-2），可随体位改变而移动。", 11)
    picture(src, SCAN_FIG, png=labelled_png([(12, 10, "GB: 胆囊")]))
    put(src, 150, 350, "图 5-2 胆囊结石", 11)
    put(src, 150, 366, "Figure 5-2 Gallbladder stone", 11)
    paragraph(src, 72, 410, 450, "As shown in Figure 5-2, the stone casts a clean acoustic shadow.", 11)
    scan = pymupdf.open()
    scan.new_page(width=W, height=H).insert_image(pymupdf.Rect(0, 0, W, H), pixmap=src.get_pixmap(dpi=170))
    return scan


def test_scanned_page_association_through_ocr(ocr: RapidOcrEngine) -> None:
    doc = scanned_doc()
    assert text_layer_lines(doc[0]) == []
    counting = CountingOcr(ocr)
    res = associate_document(doc, {0: [SCAN_FIG]}, ocr=counting)[(0, 0)]
    assert counting.calls == [(0, None)]  # one page read; the figure inside came with it
    zh, en = res.caption.split("\n")
    assert similar(zh, "图 5-2 胆囊结石") >= 0.8, res.caption
    assert similar(en, "Figure 5-2 Gallbladder stone") >= 0.8, res.caption
    assert res.figure_number == "5-2"
    assert similar(res.section, "5-1 胆囊疾病") >= 0.8
    assert similar(res.context, "胆囊结石表现为胆囊腔内强回声团，后方伴声影（见图5-2），可随体位改变而移动。") >= 0.8
    assert similar(res.burned_text, "GB: 胆囊") >= 0.7, res.burned_text
    for field_text in (res.caption, res.context, res.section):
        assert "GB" not in field_text


def test_burned_text_from_text_layer_and_from_pixels(ocr: RapidOcrEngine) -> None:
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    vector = Rect(72, 80, 282, 240)  # born-digital figure: its labels are in the text layer
    p.draw_rect(pymupdf.Rect(*vector.as_tuple()), color=None, fill=(0.15, 0.15, 0.15))
    put(p, 80, 88, "IVC", 9, color=(1, 1, 1))
    put(p, 200, 220, "图 9 腹主动脉", 9, color=(1, 1, 1))  # looks like a caption, but it is inside
    put(p, 72, 250, "图 6 下腔静脉长轴切面", 9)
    image = picture(p, Rect(312, 80, 522, 240), png=labelled_png([(12, 10, "LK: 左肾"), (150, 150, "RK")]))
    put(p, 312, 250, "图 7 双肾横切面", 9)
    paragraph(p, 72, 300, 450, "下腔静脉位于脊柱右前方（图6），双肾位于脊柱两侧（图7）。")
    counting = CountingOcr(ocr)
    res = associate_document(doc, {0: [vector, image]}, ocr=counting)
    vec, img = res[(0, 0)], res[(0, 1)]
    assert vec.burned_text == "IVC\n图 9 腹主动脉"
    assert vec.caption == "图 6 下腔静脉长轴切面" and vec.figure_number == "6"
    assert img.caption == "图 7 双肾横切面" and img.figure_number == "7"
    assert vec.context == img.context == "下腔静脉位于脊柱右前方（图6），双肾位于脊柱两侧（图7）。"
    assert counting.calls == [(0, Rect(312, 80, 522, 240))]  # only the picture without words
    first, *rest = img.burned_text.split("\n")
    assert similar(first, "LK: 左肾") >= 0.7, img.burned_text
    assert rest and similar(rest[-1], "RK") >= 0.5, img.burned_text
    for ft in (vec, img):
        assert "IVC" not in ft.caption + ft.context and "LK" not in ft.caption + ft.context
    # without an engine, the picture's own pixels stay unread
    assert associate_document(doc, {0: [vector, image]})[(0, 1)].burned_text == ""


def test_running_headers_are_not_sections_and_broken_paragraphs_rejoin() -> None:
    doc = pymupdf.open()
    for n in range(3):
        p = doc.new_page(width=W, height=H)
        put(p, 200, 18, "第十六章 泌尿系统超声", 9)  # running header: looks like a chapter heading
        put(p, W / 2, H - 30, str(101 + n), 9)  # page number
    p0, p1, p2 = doc[0], doc[1], doc[2]
    put(p0, 50, 60, "16-2-1 膀胱结石", 14)
    fig = picture(p0, Rect(50, 90, 285, 250), 1)
    put(p0, 164, 256, "A")
    put(p1, 50, 60, "16-2-2 膀胱肿瘤", 14)
    fig2 = picture(p1, Rect(50, 90, 285, 250), 2)
    put(p1, 164, 256, "A")
    put(p1, 50, 700, "图解要点：A图示膀胱后壁乳头状")  # the sentence goes on over the page
    put(p2, 50, 60, "高回声，基底较宽，不随体位移动。")
    fig3 = picture(p2, Rect(50, 100, 285, 260), 3)
    res = associate_document(doc, {0: [fig], 1: [fig2], 2: [fig3]})
    assert res[(0, 0)].section == "16-2-1 膀胱结石" and res[(0, 0)].context == ""
    assert res[(1, 0)].section == res[(2, 0)].section == "16-2-2 膀胱肿瘤"
    assert res[(1, 0)].context == "图解要点：A图示膀胱后壁乳头状高回声，基底较宽，不随体位移动。"


def test_english_key_points_and_unit_lines_are_not_headings() -> None:
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    put(p, 72, 50, "4-2 Thyroid nodules", 13)
    put(p, 72, 72, "3-4 cm deep nodules")  # numbers, but not headings
    put(p, 72, 92, "2-3 次/年随访")
    fig = picture(p, Rect(72, 110, 300, 270), 1)
    put(p, 180, 276, "(a)")
    fig2 = picture(p, Rect(320, 110, 540, 270), 2)
    put(p, 425, 276, "(b)")
    paragraph(p, 72, 310, 450, "Key points: (a) and (b) show a solid hypoechoic nodule with microcalcifications.")
    res = associate_document(doc, {0: [fig, fig2]})
    for key, lab in (((0, 0), "(a)"), ((0, 1), "(b)")):
        assert res[key].section == "4-2 Thyroid nodules"
        assert res[key].sublabel == lab
        assert res[key].context.startswith("Key points: (a) and (b) show")


def test_without_headings_each_figure_group_takes_the_explanation_after_it() -> None:
    doc = pymupdf.open()
    p = doc.new_page(width=W, height=H)
    f1 = picture(p, Rect(72, 60, 290, 200), 1)
    put(p, 178, 206, "A")
    f2 = picture(p, Rect(310, 60, 528, 200), 2)
    put(p, 416, 206, "B")
    # single-column text under a row of two figures (full-width lines: not two columns)
    explain1 = "图解要点：A、B图示肝内胆管扩张，呈“双管征”，胆总管上段内径增宽，管壁光滑，周围未见明显肿块。"
    paragraph(p, 72, 230, 456, explain1)
    f3 = picture(p, Rect(72, 280, 290, 420), 3)
    paragraph(p, 72, 440, 456, "图解要点：图示胆总管结石。")
    res = associate_document(doc, {0: [f1, f2, f3]})
    assert res[(0, 0)].context == res[(0, 1)].context == explain1
    assert res[(0, 2)].context == "图解要点：图示胆总管结石。"
    assert (res[(0, 0)].sublabel, res[(0, 1)].sublabel, res[(0, 2)].section) == ("A", "B", "")


def test_a_block_of_frames_in_rows_shares_the_caption_under_it() -> None:
    """Five frames in two columns (the last row holds one): the caption centred under the block
    names all five; a picture beside a captioned one that the caption does not reach keeps none."""
    doc = pymupdf.open()
    page = doc.new_page(width=W, height=H)
    put(page, 40, 40, "10-1 肾脏 Kidney", 13)
    frames = [picture(page, Rect(x, y, x + 236, y + 130), seed=i)
              for i, (x, y) in enumerate([(47, 70), (312, 70), (47, 208), (312, 208), (47, 346)])]
    put(page, 150, 486, "图 10-1 肾脏声像图 A.肾盂 B.肾窦 C.回声 D.声影 E.包膜", 9)
    paragraph(page, 40, 520, 500, "探头置于肾区，可见肾盂呈低回声，后方伴声影。The kidney is scanned in the long axis.")
    other = doc.new_page(width=W, height=H)
    fig = picture(other, Rect(72, 100, 300, 260), 7)
    put(other, 72, 268, "Figure 2. A longitudinal scan of the right kidney.", 9)
    logo = picture(other, Rect(320, 100, 520, 260), 8)
    res = associate_document(doc, {0: frames, 1: [fig, logo]})
    for i in range(5):
        assert res[(0, i)].caption.startswith("图 10-1 肾脏声像图"), i
    assert res[(1, 0)].caption.startswith("Figure 2.") and res[(1, 1)].caption == ""

"""Ruled tables on scanned pages (their grid recovered from the rules: wrapped cells joined,
merged cells repeated on their rows), the structure step on OCR'd table rows, and the OCR
confidence shown where OCR text is cited. The real page is from shared/sources_new/scans
beside the repository: a failing test, not a skipped one, when it is missing."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from assistant.documents import ocr
from assistant.documents.chunking import Chunk
from assistant.documents.structure import parse_sections
from assistant.question.cite import Citation

SCANS = Path(__file__).resolve().parents[2].parent / "shared" / "sources_new" / "scans"
GUANGDONG = "guangdong_2015_yuejiaokao14_migrant_children_gaokao_notice_scan.pdf"
PANYU = "panyu_2015_public_primary_enrolment_plan_zones_scan.pdf"


def _line(text: str, x0: float, y0: float, x1: float, y1: float) -> ocr.Line:
    return ocr.Line(text, 0.99, (x0, y0, x1, y1))


def _ruled_table() -> Image.Image:
    """Header row and three rows; the first column's cell is merged over the three rows (its
    row rules stop at the second column)."""
    image = Image.new("RGB", (600, 300), "white")
    draw = ImageDraw.Draw(image)
    for y in (20, 80, 260):
        draw.line((20, y, 580, y), fill="black", width=2)
    for y in (140, 200):
        draw.line((120, y, 580, y), fill="black", width=2)
    for x in (20, 120, 300, 580):
        draw.line((x, 20, x, 260), fill="black", width=2)
    return image


def test_ruled_table_rows_join_wrapped_cells_and_repeat_merged_ones() -> None:
    lines = [
        _line("类别", 40, 40, 100, 60),
        _line("序号", 180, 40, 240, 60),
        _line("说明", 400, 40, 460, 60),
        _line("居住认定", 30, 160, 110, 180),  # the merged cell, in the middle of its rows
        _line("1", 200, 100, 210, 115),
        _line("第一行", 310, 88, 400, 103),  # a cell wrapped over two lines
        _line("续行", 310, 110, 370, 125),
        _line("2", 200, 160, 210, 175),
        _line("短", 310, 160, 330, 175),
        _line("3", 200, 220, 210, 235),
        _line("长长的说明", 310, 220, 420, 235),
        _line("表格下方的说明文字", 20, 270, 300, 290),
    ]

    text = ocr.layout(lines, 600, _ruled_table())

    assert text.split("\n") == [
        "类别 | 序号 | 说明",
        "居住认定 | 1 | 第一行续行",
        "居住认定 | 2 | 短",
        "居住认定 | 3 | 长长的说明",
        "表格下方的说明文字",
    ]
    # Without rules on the page the lines are read as before, row by row.
    assert ocr.layout(lines, 600, Image.new("RGB", (600, 300), "white")) == ocr.layout(lines, 600)


def _table_with_a_remark_column() -> Image.Image:
    """Header row and four rows; the last column's cell is merged over the first three rows
    (its row rules stop at the third column) and a rule closes the fourth row's cell."""
    image = Image.new("RGB", (800, 320), "white")
    draw = ImageDraw.Draw(image)
    for y in (20, 80, 260, 300):
        draw.line((20, y, 780, y), fill="black", width=2)
    for y in (140, 200):
        draw.line((20, y, 600, y), fill="black", width=2)
    for x in (20, 200, 300, 600, 780):
        draw.line((x, 20, x, 300), fill="black", width=2)
    return image


def test_long_remark_merged_over_rows_follows_the_table_named_by_its_column_and_rows() -> None:
    remark = "由于学校招生人数基本固定，届时各校实际招生地段可能有适当微调"
    lines = [
        _line("学校", 40, 40, 100, 60),
        _line("班数", 220, 40, 280, 60),
        _line("地段", 320, 40, 380, 60),
        _line("备注", 640, 40, 700, 60),
        _line("甲小学", 40, 100, 120, 115),
        _line("6", 240, 100, 250, 115),
        _line("东湖街道", 320, 100, 400, 115),
        _line(remark[:16], 610, 120, 775, 135),  # the remark, wrapped in its narrow column
        _line(remark[16:], 610, 150, 775, 165),
        _line("乙小学", 40, 160, 120, 175),
        _line("4", 240, 160, 250, 175),
        _line("桂园街道", 320, 160, 400, 175),
        _line("丙小学", 40, 220, 120, 235),
        _line("2", 240, 220, 250, 235),
        _line("黄贝街道", 320, 220, 400, 235),
        _line("丁小学", 40, 270, 120, 285),
        _line("1", 240, 270, 250, 285),
        _line("翠竹街道", 320, 270, 400, 285),
        _line("见说明", 620, 270, 700, 285),
    ]

    text = ocr.layout(lines, 800, _table_with_a_remark_column())

    assert text.split("\n") == [
        "学校 | 班数 | 地段 | 备注",
        "甲小学 | 6 | 东湖街道 |",
        "乙小学 | 4 | 桂园街道 |",
        "丙小学 | 2 | 黄贝街道 |",
        "丁小学 | 1 | 翠竹街道 | 见说明",
        f"备注（甲小学至丙小学）：{remark}",
    ]


def test_label_beside_a_centred_title_is_a_line_of_its_own() -> None:
    title = "2015年某区公办小学招生计划、招生地段及条件"
    lines = [
        _line("附件5", 60, 40, 130, 62),
        _line(title, 250, 40, 750, 62),
        _line("第一段正文", 60, 90, 400, 110),
    ]

    assert ocr.layout(lines, 1000).split("\n") == ["附件5", title, "第一段正文"]
    # Two cells of a table row, neither centred on the page, stay one row.
    row = [_line("序号", 60, 40, 130, 62), _line("学校名称", 600, 40, 900, 62)]
    assert ocr.layout(row, 1000) == "序号 | 学校名称"


def test_real_scanned_table_page_comes_out_row_by_row_and_is_a_table_section() -> None:
    import pypdfium2 as pdfium

    from benchmarks.ocr_scans import cer, transcript_pages

    path = SCANS / GUANGDONG
    assert path.is_file(), f"{path} missing: the real scans sit in shared/ beside the repository"
    page = pdfium.PdfDocument(str(path))[7]  # page 8: a landscape table stored upright under /Rotate
    image = page.render(scale=200 / 72).to_pil()

    read = ocr.read_page(image)

    assert read.angle == 90
    rows = read.text.split("\n")
    # The 处理指引 cell merged over rows 3 and 4 belongs to both.
    fourth = next(row for row in rows if "未满3年" in row)
    assert fourth.startswith("居住证有效期认定 | 4 | ") and fourth.endswith("属于有效状态的予以认定。")
    assert sum(row.startswith("社会保险缴费年限认定 | ") for row in rows) == 3
    errors, chars = cer(transcript_pages(path.with_suffix(".transcript.txt"))[8][1], read.text)
    assert errors / chars <= 0.05
    # The structure step takes the rows as one table, none of its cells as a heading.
    sections = parse_sections(read.text, title="指引")
    tables = [s for s in sections if s.kind == "table"]
    assert len(tables) == 1 and tables[0].text.count("\n") >= 8
    cells = {cell.strip() for row in rows for cell in row.split("|")}
    assert not any(part in cells for s in sections for part in s.path)


def test_real_annex_table_title_stands_alone_and_its_long_remark_follows_the_rows() -> None:
    import pypdfium2 as pdfium

    from benchmarks.ocr_scans import cer, transcript_pages

    path = SCANS / PANYU
    assert path.is_file(), f"{path} missing: the real scans sit in shared/ beside the repository"
    image = pdfium.PdfDocument(str(path))[0].render(scale=200 / 72).to_pil()  # page 1, odd

    rows = ocr.read_page(image).text.split("\n")

    # The annex label beside the centred title is a line of its own, so is the title.
    assert rows[:2] == ["附件5", "2015年番禺区公办小学招生计划、招生地段及条件"]
    # The 辖区 label is repeated on its rows, the 备注 merged over eleven rows is not.
    first = next(row for row in rows if "市桥实验小学" in row)
    assert first.startswith("市桥 | 市桥实验小学 | 6 | ") and first.endswith("|")
    note = [row for row in rows if row.startswith("备注（")]
    assert len(note) == 1 and note[0].startswith("备注（市桥实验小学至市桥东兴小学）：由于学校招生人数")
    assert rows.index(note[0]) > max(i for i, row in enumerate(rows) if "市桥南新小学" in row)
    errors, chars = cer(transcript_pages(path.with_suffix(".transcript.txt"))[1][1], "\n".join(rows))
    assert errors / chars <= 0.08  # 14.9 % with the remark in the first row


def test_citation_shows_the_ocr_confidence_and_warns_when_it_is_low() -> None:
    fields = dict(number=1, doc_id="d", title="通知", issuer="", date="", status="current", section="一、",
                  text="…", quote="…", score=1.0, chunk_id="d:0", ocr_pages="3")  # fmt: skip

    sure = Citation(**fields, ocr_confidence="0.97")
    unsure = Citation(**fields, ocr_confidence="0.62")

    assert sure.label == "《通知》 一、（第3页，本段由扫描件识别，识别置信度 0.97，可能有误）"
    assert sure.to_json()["ocr_confidence"] == "0.97"
    assert unsure.ocr_note == "第3页，本段由扫描件识别，识别置信度较低（0.62），请核对原件"
    assert ocr.document_note("0.97") == "扫描件，识别置信度 0.97"
    assert ocr.document_note("") == ""


def test_passages_carry_the_lowest_confidence_of_their_pages() -> None:
    scan = ocr.ScanInfo(
        pages=((1, "第一页的文字内容在这里出现一次"), (2, "第二页另有一段不同的文字内容")),
        confidence={1: 0.991, 2: 0.874},
        whole=True,
    )
    base = dict(id="d:0", doc_id="d", title="t", issuer="", date="", status="current", section="", position=0)
    chunks = [
        Chunk(**base, text="第一页的文字内容在这里出现一次"),  # type: ignore[arg-type]
        Chunk(**base, text="第一页的文字内容在这里出现一次。第二页另有一段不同的文字内容"),  # type: ignore[arg-type]
    ]

    marked = ocr.mark_scan_pages(chunks, scan)

    assert [(c.ocr_pages, c.ocr_confidence) for c in marked] == [("1", "0.99"), ("1-2", "0.87")]
    assert marked[1].metadata()["ocr_confidence"] == "0.87"

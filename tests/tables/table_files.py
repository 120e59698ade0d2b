"""Small table files made by code, one per trap of real bureau tables."""

from __future__ import annotations

import io
from pathlib import Path

import docx
import xlsxwriter
from docx.oxml import OxmlElement
from docx.oxml.ns import qn

ZONING_HEADER = ["学校", "招生地段", "班数"]


def zoning_xlsx(path: Path) -> Path:
    """Merged title and district cells, a hidden sheet, a formula, 36.0, house-number ranges."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("2025年招生地段")
    hidden = book.add_worksheet("草稿")
    hidden.write_row(0, 0, ["学校", "招生地段"])
    hidden.write_row(1, 0, ["草稿小学", "隐藏花园"])
    hidden.hide()
    sheet.merge_range("A1:C1", "罗湖区2025年小学招生地段表")
    sheet.write_row(1, 0, ZONING_HEADER)
    sheet.write_row(2, 0, ["翠竹小学", "翠竹园、翠竹北苑、人民路1-99号（单号）", 4])
    sheet.write_row(3, 0, ["人民小学", "人民路2-100号（双号）、东门街道", 36.0])
    sheet.write(4, 0, "红岭小学")
    sheet.write(4, 1, "红岭花园、人民路101-199号")
    sheet.write_formula(4, 2, "=2*3", None, 6)
    sheet.write_row(5, 0, ["合计", "", 46])
    book.close()
    return path


def multi_header_xlsx(path: Path) -> Path:
    """A two-row header: 学位 over 小学 | 初中."""
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("学位")
    sheet.merge_range("A1:A2", "街道")
    sheet.merge_range("B1:C1", "学位")
    sheet.write_row(1, 1, ["小学", "初中"])
    sheet.write_row(2, 0, ["桂园街道", 120, 80])
    sheet.write_row(3, 0, ["东门街道", 90, 45])
    book.close()
    return path


def empty_xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    book.add_worksheet("Sheet1")
    book.close()
    return path


def encrypted_xlsx(path: Path) -> Path:
    """A workbook with an opening password (the OLE container Excel writes)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = io.BytesIO()
    book = xlsxwriter.Workbook(plain, {"in_memory": True})
    book.add_worksheet("Sheet1").write_row(0, 0, ["学校", "地段"])
    book.close()
    plain.seek(0)
    with path.open("wb") as out:
        OOXMLFile(plain).encrypt("secret", out)
    return path


def big_xlsx(path: Path, rows: int) -> Path:
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, ["学校", "招生地段", "班数"])
    for i in range(1, rows + 1):
        sheet.write_row(i, 0, [f"第{i}小学", f"测试{i}花园", i % 9 + 1])
    book.close()
    return path


def headerless_xlsx(path: Path) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("名单")
    sheet.write_row(0, 0, ["翠竹小学", 4, "翠竹园"])
    sheet.write_row(1, 0, ["人民小学", 6, "人民花园"])
    book.close()
    return path


def long_cell_xlsx(path: Path, chars: int = 30_000) -> Path:
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("说明")
    sheet.write_row(0, 0, ["学校", "说明"])
    sheet.write_row(1, 0, ["翠竹小学", "长" * chars])
    sheet.write_row(2, 0, ["人民小学", "短说明"])
    book.close()
    return path


def _smart_tag(paragraph: docx.text.paragraph.Paragraph, text: str) -> None:
    """Wrap a run in <w:smartTag> (Word does this to dates and numbers)."""
    tag = OxmlElement("w:smartTag")
    tag.set(qn("w:uri"), "urn:schemas-microsoft-com:office:smarttags")
    tag.set(qn("w:element"), "chsdate")
    run = OxmlElement("w:r")
    t = OxmlElement("w:t")
    t.text = text
    run.append(t)
    tag.append(run)
    paragraph._p.append(tag)


def timetable_docx(path: Path) -> Path:
    """A timetable whose dates sit in smart tags, with a vertically merged cell."""
    document = docx.Document()
    document.add_paragraph("2025年小学一年级招生工作日程安排")
    table = document.add_table(rows=4, cols=3)
    for cell, text in zip(table.rows[0].cells, ["阶段", "工作内容", "时间"], strict=True):
        cell.text = text
    table.cell(1, 0).merge(table.cell(2, 0))
    table.cell(1, 0).text = "报名"
    table.cell(1, 1).text = "网上报名"
    _smart_tag(table.cell(1, 2).paragraphs[0], "5月10日")
    table.cell(2, 1).text = "材料审核"
    _smart_tag(table.cell(2, 2).paragraphs[0], "5月20日")
    table.cell(3, 0).text = "录取"
    table.cell(3, 1).text = "公布结果"
    _smart_tag(table.cell(3, 2).paragraphs[0], "7月1日")
    paragraph = document.add_paragraph("报名截止日期为")
    _smart_tag(paragraph, "2025年5月15日")
    document.save(str(path))
    return path


SPANS_HTML = """<html><head><meta charset="utf-8"><title>学区划分</title></head><body>
<table border="1">
<tr><th>街道</th><th>学校</th><th colspan="2">招生范围</th></tr>
<tr><td rowspan="2">桂园街道</td><td>桂园小学</td><td>桂花苑</td><td><span>3</span><span>0</span> 个班</td></tr>
<tr><td>松园小学</td><td colspan="2">松园新村、宝安南路1-50号</td></tr>
<tr><td>东门街道</td><td>东门小学</td><td>东门花园</td><td>2个班</td></tr>
</table></body></html>"""


def spans_html(path: Path) -> Path:
    path.write_text(SPANS_HTML, encoding="utf-8")
    return path

"""Loader tests on real files generated in tmp_path (reportlab PDFs, python-docx files)."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader, PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate

from assistant.documents.encoding import decode_bytes
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import SUPPORTED_SUFFIXES, LoadedText, load_bytes, load_document

FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))

TITLE = "第一章 总体要求"
LONG_SENTENCE = (
    "为进一步推动罗湖区基础教育高质量发展，全面提升教育教学质量，满足人民群众对优质教育资源的"
    "需求，结合本区实际情况，制定本行动计划。到2025年，全区新增公办学位0.8万个，"
    "教育投入达到1.5亿元。"
)
SECOND_PARAGRAPH = "第二条 主要目标如下。"
PAGE_TWO = "第二章 保障措施"

PDF_ENCRYPTED = "PDF 文件已加密，无法读取，请提供未加密的版本。"
PDF_CORRUPT = "PDF 文件已损坏或格式不正确，无法读取。"


def _error(path: Path) -> DocumentError:
    with pytest.raises(DocumentError) as info:
        load_document(path)
    return info.value


def _chinese_pdf(path: Path) -> Path:
    style = ParagraphStyle("zh", fontName=FONT, fontSize=12, leading=18, wordWrap="CJK")
    story = [
        Paragraph(TITLE, style),
        Paragraph(LONG_SENTENCE, style),
        Paragraph(SECOND_PARAGRAPH, style),
        PageBreak(),
        Paragraph(PAGE_TWO, style),
    ]
    SimpleDocTemplate(str(path), pagesize=A4).build(story)
    return path


def _canvas_pdf(path: Path, lines: list[str], **canvas_kwargs: object) -> Path:
    pdf = canvas.Canvas(str(path), **canvas_kwargs)
    pdf.setFont(FONT, 12)
    for number, line in enumerate(lines):
        pdf.drawString(72, 750 - 20 * number, line)
    pdf.save()
    return path


# --- PDF -------------------------------------------------------------------------------


def test_chinese_pdf_paragraph_is_recovered_without_hard_wraps(tmp_path: Path) -> None:
    path = _chinese_pdf(tmp_path / "plan.pdf")
    raw = PdfReader(path).pages[0].extract_text()
    assert LONG_SENTENCE not in raw  # the PDF really wrapped the sentence over several lines

    loaded = load_document(path)

    assert loaded == LoadedText(
        text=f"{TITLE}\n{LONG_SENTENCE}\n{SECOND_PARAGRAPH}\n\n{PAGE_TWO}",
        format="pdf",
        encoding=None,
    )


def test_pdf_justification_spaces_and_radicals_are_repaired(tmp_path: Path) -> None:
    lines = ["罗 湖 区 教 育 局 通 知", "\u2f08\u2ea0政府和\u2ed4户网站 open data"]
    path = _canvas_pdf(tmp_path / "spaced.pdf", lines)

    assert load_document(path).text == "罗湖区教育局通知\n人民政府和门户网站 open data"


def test_pdf_with_user_password_is_rejected(tmp_path: Path) -> None:
    path = _canvas_pdf(tmp_path / "locked.pdf", ["加密文件内容测试，不应被读取。"], encrypt="secret")

    error = _error(path)

    assert error.user_message == PDF_ENCRYPTED
    assert "encrypted" in str(error)


def test_pdf_with_only_owner_password_is_read(tmp_path: Path) -> None:
    writer = PdfWriter(clone_from=_chinese_pdf(tmp_path / "plain.pdf"))
    # RC4 works without the optional `cryptography` package (AES would need it).
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    path = tmp_path / "restricted.pdf"
    writer.write(path)

    assert LONG_SENTENCE in load_document(path).text


def test_pdf_without_text_layer_is_read_by_ocr_and_refused_when_it_holds_no_text(tmp_path: Path) -> None:
    path = tmp_path / "scan.pdf"
    pdf = canvas.Canvas(str(path))
    pdf.rect(100, 100, 300, 400, fill=1)
    pdf.save()

    error = _error(path)

    assert error.user_message == "扫描件共 1 页，均未识别出文字（可能是空白页或图片过于模糊）。"
    assert str(error) == "scan.pdf: OCR found no text on 1 pages"


def test_random_bytes_named_pdf_do_not_match_extension(tmp_path: Path) -> None:
    path = tmp_path / "random.pdf"
    path.write_bytes(os.urandom(2048).replace(b"%PDF-", b""))

    assert _error(path).user_message == "文件内容与扩展名 .pdf 不符。"


def test_garbage_after_pdf_header_is_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "garbage.pdf"
    path.write_bytes(b"%PDF-1.4\n" + os.urandom(2048))

    assert _error(path).user_message == PDF_CORRUPT


@pytest.mark.parametrize("keep", [0.1, 0.5, 0.95])
def test_truncated_pdf_is_corrupt(tmp_path: Path, keep: float) -> None:
    data = _chinese_pdf(tmp_path / "full.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: int(len(data) * keep)])

    error = _error(path)

    assert error.user_message == PDF_CORRUPT
    assert str(error).startswith("corrupt PDF")


# --- text files --------------------------------------------------------------------------

GBK_TEXT = "深圳市罗湖区教育局关于印发行动计划的通知\n\n各学校：现将计划印发给你们，请认真贯彻执行。"


def test_gbk_txt(tmp_path: Path) -> None:
    path = tmp_path / "notice.txt"
    path.write_bytes(GBK_TEXT.encode("gbk"))

    assert load_document(path) == LoadedText(text=GBK_TEXT, format="txt", encoding="gb18030")


def test_gb18030_txt_with_characters_outside_gbk(tmp_path: Path) -> None:
    text = "罗湖区𠮷祥路小学、䶮光学校新增学位，请各单位认真组织实施。"
    with pytest.raises(UnicodeEncodeError):
        text.encode("gbk")
    path = tmp_path / "gb18030.txt"
    path.write_bytes(text.encode("gb18030"))

    assert load_document(path) == LoadedText(text=text, format="txt", encoding="gb18030")


def test_utf16_le_with_bom_txt(tmp_path: Path) -> None:
    path = tmp_path / "utf16.txt"
    path.write_bytes(b"\xff\xfe" + "罗湖区教育局\r\n第二行".encode("utf-16-le"))

    assert load_document(path) == LoadedText(text="罗湖区教育局\n第二行", format="txt", encoding="utf-16-le")


def test_utf8_md_keeps_headings_and_normalises_width(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# 行动计划\n\n## 一、目标\n\n到２０２５年新增学位０.８万个。\n", encoding="utf-8")

    assert load_document(path) == LoadedText(
        text="# 行动计划\n\n## 一、目标\n\n到2025年新增学位0.8万个。", format="md", encoding="utf-8"
    )


def test_whitespace_only_txt_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.txt"
    path.write_bytes("  \n\u3000\n\t\n".encode())

    error = _error(path)

    assert error.user_message == "文件中没有可读取的文字内容。"
    assert str(error) == "document has no text"


# --- HTML -------------------------------------------------------------------------------

HTML_PAGE = """<!DOCTYPE html>
<html><head>
<meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<title>罗湖区教育局</title><style>p { color: red; }</style>
</head><body>
<!-- 页面注释 -->
<h1>关于学位建设的通知</h1>
<script>var notice = "脚本里的文字";</script>
<p>各学校：现将学位建设
   计划印发给你们。</p>
<table>
  <thead><tr><th>学校</th><th>新增学位</th></tr></thead>
  <tbody><tr><td>翠竹小学</td><td>1,200</td></tr><tr><td>罗湖中学</td><td>800</td></tr></tbody>
</table>
<p>第一行<br>第二行</p>
<noscript>请启用脚本</noscript>
</body></html>
"""


def test_gbk_html_with_table_and_script(tmp_path: Path) -> None:
    path = tmp_path / "notice.html"
    path.write_bytes(HTML_PAGE.encode("gbk"))

    loaded = load_document(path)

    assert loaded == LoadedText(
        text=(
            "关于学位建设的通知\n\n"
            "各学校：现将学位建设计划印发给你们。\n\n"
            "学校 | 新增学位\n翠竹小学 | 1,200\n罗湖中学 | 800\n\n"
            "第一行\n第二行"
        ),
        format="html",
        encoding="gb18030",
        title="罗湖区教育局",  # the <title>, kept apart for metadata detection
    )


def test_html_with_wrong_meta_charset_falls_back_to_detection(tmp_path: Path) -> None:
    page = (
        '<html><head><meta charset="utf-8"></head><body><p>罗湖区教育局发布学位建设计划。</p></body></html>'
    )
    path = tmp_path / "liar.htm"
    path.write_bytes(page.encode("gbk"))

    assert load_document(path) == LoadedText(
        text="罗湖区教育局发布学位建设计划。", format="html", encoding="gb18030"
    )


def test_html_blocks_inside_table_cells_stay_on_the_row_line() -> None:
    page = "<table><tr><td><p>学段</p><p>小学</p></td><td>学位<br>1,200</td></tr></table>"

    assert load_bytes(page.encode("utf-8"), "cells.html").text == "学段 小学 | 学位 1,200"


# --- DOCX -------------------------------------------------------------------------------


def _word_document(path: Path) -> Path:
    document = docx.Document()
    document.add_heading("罗湖区基础教育行动计划", level=1)
    document.add_paragraph("一、总体目标：到2025年新增公办学位0.8万个。")
    table = document.add_table(rows=3, cols=3)
    for column, text in enumerate(["类别", "指标", "目标值"]):
        table.cell(0, column).text = text
    for column, text in enumerate(["学位", "新增公办学位", "0.8万个"]):
        table.cell(1, column).text = text
    merged = table.cell(2, 0).merge(table.cell(2, 1))
    merged.text = "合计说明"
    table.cell(2, 2).text = "见附件"
    document.add_paragraph("二、保障措施：加强经费保障。")
    document.save(str(path))
    return path


def test_docx_keeps_tables_in_document_order(tmp_path: Path) -> None:
    loaded = load_document(_word_document(tmp_path / "plan.docx"))

    assert loaded == LoadedText(
        text=(
            "罗湖区基础教育行动计划\n\n"
            "一、总体目标：到2025年新增公办学位0.8万个。\n\n"
            "类别 | 指标 | 目标值\n"
            "学位 | 新增公办学位 | 0.8万个\n"
            "合计说明 | 见附件\n\n"
            "二、保障措施：加强经费保障。"
        ),
        format="docx",
        encoding=None,
    )


def test_zip_that_is_not_a_docx_is_corrupt(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "不是 Word 文件")
    path = tmp_path / "fake.docx"
    path.write_bytes(buffer.getvalue())

    error = _error(path)

    assert error.user_message == "Word 文件已损坏或不是有效的 .docx 文件。"
    assert str(error).startswith("corrupt docx")


def test_truncated_docx_is_corrupt(tmp_path: Path) -> None:
    data = _word_document(tmp_path / "full.docx").read_bytes()
    path = tmp_path / "truncated.docx"
    path.write_bytes(data[: len(data) // 2])

    assert _error(path).user_message == "Word 文件已损坏或不是有效的 .docx 文件。"


def test_damaged_legacy_doc_renamed_to_docx(tmp_path: Path) -> None:
    path = tmp_path / "old.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512))

    error = _error(path)

    assert (
        error.user_message
        == "旧版 Word 文件《old.docx》已损坏或无法读取，请在 Word 中另存为 .docx 后重新上传。"
    )
    assert "unreadable .doc" in str(error)


# --- generic checks ---------------------------------------------------------------------


@pytest.mark.parametrize("suffix", SUPPORTED_SUFFIXES)
def test_zero_byte_file(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"empty{suffix}"
    path.write_bytes(b"")

    error = _error(path)

    assert error.user_message == "文件为空（0 字节），请检查后重新上传。"
    assert str(error) == "empty file"


def test_unsupported_suffix(tmp_path: Path) -> None:
    path = tmp_path / "data.xyz"
    path.write_text("罗湖区", encoding="utf-8")

    assert (
        _error(path).user_message
        == "不支持的文件类型 .xyz，支持：.txt .md .html .mht .pdf .docx .doc .rtf .xlsx .xls .png .jpg .jpeg .tif .tiff"
    )


def test_pdf_bytes_with_txt_extension(tmp_path: Path) -> None:
    path = tmp_path / "actually_pdf.txt"
    path.write_bytes(_chinese_pdf(tmp_path / "real.pdf").read_bytes())

    assert _error(path).user_message == "文件内容与扩展名 .txt 不符。"


def test_docx_bytes_with_pdf_extension(tmp_path: Path) -> None:
    path = tmp_path / "actually_docx.pdf"
    path.write_bytes(_word_document(tmp_path / "real.docx").read_bytes())

    assert _error(path).user_message == "文件内容与扩展名 .pdf 不符。"


def test_load_bytes_matches_load_document_and_suffix_case(tmp_path: Path) -> None:
    path = tmp_path / "NOTICE.TXT"
    path.write_bytes(GBK_TEXT.encode("gbk"))

    assert load_bytes(path.read_bytes(), "upload.Txt") == load_document(path)


# --- encoding detection -----------------------------------------------------------------


def test_decode_bytes_gbk_sentences() -> None:
    text = "深圳市罗湖区教育局关于印发行动计划的通知。各学校：现将计划印发给你们，请认真贯彻执行。"
    assert decode_bytes(text.encode("gbk")) == (text, "gb18030")


def test_decode_bytes_short_gbk_text() -> None:
    # Some 2-byte GBK pairs are valid UTF-8 ("学位" reads as "ѧλ"); "教育" is not.
    assert decode_bytes("教育".encode("gbk")) == ("教育", "gb18030")


def test_decode_bytes_big5_is_not_mistaken_for_gbk() -> None:
    text = "為進一步推動羅湖區基礎教育高質量發展，制定本行動計劃。"
    assert decode_bytes(text.encode("big5")) == (text, "big5")


def test_decode_bytes_boms() -> None:
    text = "罗湖区教育局"
    assert decode_bytes(b"\xef\xbb\xbf" + text.encode("utf-8")) == (text, "utf-8-sig")
    assert decode_bytes(text.encode("utf-16")) == (text, "utf-16-le")  # CPython writes LE
    assert decode_bytes(b"\xfe\xff" + text.encode("utf-16-be")) == (text, "utf-16-be")
    assert decode_bytes(text.encode("utf-32")) == (text, "utf-32-le")


def test_decode_bytes_utf16_without_bom() -> None:
    text = "罗湖区教育局发布通知。"
    assert decode_bytes(text.encode("utf-16-le")) == (text, "utf_16_le")


def test_decode_bytes_rejects_binary() -> None:
    with pytest.raises(DocumentError) as info:
        decode_bytes(bytes(range(256)) * 4)
    assert info.value.user_message == "无法识别文件编码，请另存为 UTF-8 后重新上传。"


def test_a_reader_crash_is_a_document_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parser bug on an odd page is that file's failure, with a message, not a crash."""
    import assistant.documents.loaders as loaders

    def crash(data: bytes) -> tuple[str, str]:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(loaders, "_load_html", crash)
    with pytest.raises(DocumentError) as caught:
        load_bytes("<p>罗湖区通知</p>".encode(), "deep.html")
    assert caught.value.user_message.startswith("读取文件时出错（RecursionError）")
    assert "RecursionError" in str(caught.value)


def test_docx_page_laid_out_in_a_table_is_read_as_text() -> None:
    """A body inside a 1×1 layout table, with the annex schedule nested in it: paragraphs
    stay paragraphs and the nested table stays a table (rows of cells)."""
    document = docx.Document()
    document.add_paragraph("市教育局关于规范新生入学管理工作的通知")
    cell = document.add_table(rows=1, cols=1).cell(0, 0)
    cell.text = "一、依法做好新生入学工作"
    cell.add_paragraph("各区教育局要在本区人民政府领导下做好工作。")
    cell.add_paragraph("附件")
    schedule = cell.add_table(rows=2, cols=2)
    for column, text in enumerate(["时\u00a0 间", "工 作 项 目"]):
        schedule.cell(0, column).text = text
    for column, text in enumerate(["4月底以前", "报送实施方案"]):
        schedule.cell(1, column).text = text
    buffer = io.BytesIO()
    document.save(buffer)
    text = load_bytes(buffer.getvalue(), "layout.docx").text
    assert text.split("\n\n") == [
        "市教育局关于规范新生入学管理工作的通知",
        "一、依法做好新生入学工作",
        "各区教育局要在本区人民政府领导下做好工作。",
        "附件",
        "时间 | 工作项目\n4月底以前 | 报送实施方案",
    ]


def test_html_layout_tables_are_read_as_text_and_data_tables_as_rows() -> None:
    body = "为进一步规范我市城区小学招生工作，现将有关事项通告如下：" * 5
    page = (
        "<html><body><table><tr><td>■ 城区小学招生通告</td></tr><tr><td>"
        f"<table><tr><td>{body}<br>一、招生对象<br>城区常住人口适龄子女。</td></tr></table>"
        "<p>积分表</p><table><tr><th>项目</th><th>分 值</th></tr><tr><td>独生子女</td><td>10分</td></tr></table>"
        "</td></tr></table></body></html>"
    )
    text = load_bytes(page.encode(), "notice.html").text
    lines = [line for line in text.split("\n") if line]
    assert lines == [
        "■ 城区小学招生通告",
        body,
        "一、招生对象",
        "城区常住人口适龄子女。",
        "积分表",
        "项目 | 分值",
        "独生子女 | 10分",
    ]

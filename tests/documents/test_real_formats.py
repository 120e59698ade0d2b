"""Real formats: the traps of real bureau files, reproduced by small fixtures (run everywhere)
and checked on the ten real files of `shared/sources_extra` beside the repository (as CI lays it
out; ASSISTANT_SOURCES_EXTRA overrides). Without that folder these tests fail rather than skip."""

from __future__ import annotations

import datetime as dt
import io
import logging
import os
import re
from pathlib import Path

import pytest
from reportlab.lib.pagesizes import A4
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

from assistant.documents.cleaning import clean_web_text
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_bytes, load_document
from assistant.documents.manifest import DocumentMeta, doc_id_for
from assistant.documents.metadata import detect_metadata, is_garbled
from assistant.documents.pipeline import prepare_document

FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_formats"
REPO = Path(__file__).resolve().parents[2]
SOURCES_EXTRA = Path(os.environ.get("ASSISTANT_SOURCES_EXTRA", REPO.parent / "shared" / "sources_extra"))
TODAY = dt.date(2026, 12, 1)
FONT = "STSong-Light"
pdfmetrics.registerFont(UnicodeCIDFont(FONT))


def _unlisted(path: Path) -> DocumentMeta:
    """The metadata a file without a manifest entry starts with."""
    return DocumentMeta(
        doc_id=doc_id_for(path),
        path=path,
        title=path.stem,
        short_title=path.stem,
        issuer="",
        date="",
        status="current",
        in_manifest=False,
    )


# --- fixtures that reproduce one trap each ----------------------------------------------


def test_gbk_page_without_charset_or_title() -> None:
    loaded = load_document(FIXTURES / "gbk_page_without_charset.html")
    assert loaded.encoding == "gb18030"
    assert loaded.title == "2015学年某市城区小学招生通告"  # set by its script
    cleaned = clean_web_text(loaded.text)
    assert "2009年8月31日前（含8月31日）出生" in cleaned
    for furniture in ("首页", "机构概况", "第[1]页", "关闭当前浏览窗口", "17:20:46"):
        assert furniture not in cleaned
    assert cleaned.rstrip().endswith("某市城区小学招生领导小组(代章)\n\n2015年4月23日")
    meta = detect_metadata(loaded.text, loaded.title, today=TODAY)
    assert (meta.title, meta.issuer, meta.date) == (
        "2015学年某市城区小学招生通告",
        "某市城区小学招生领导小组",
        "2015-04-23",  # the 落款, not the page's 2015-04-24 17:20:46
    )
    assert meta.status == "historical"


def test_docx_body_inside_a_layout_table() -> None:
    loaded = load_document(FIXTURES / "docx_body_in_layout_table.docx")
    text = clean_web_text(loaded.text)
    assert "各区教育局要继续做好登记造册工作" in text  # stray web spaces removed
    assert "时间 | 工作内容\n6月12日 | 小学毕业考试\n7月15日 | 民办初中电脑派位" in text
    assert text.startswith("市教育局关于进一步规范2016年义务教育阶段新生入学管理工作的通知")


def test_portal_page_loses_menus_and_keeps_the_annex_table() -> None:
    loaded = load_document(FIXTURES / "portal_page_with_annex_table.html")
    cleaned = clean_web_text(loaded.text)
    for furniture in (
        "Skip to content",
        "移动客户端",
        "机构职能",
        "当前位置",
        "索引号",
        "【收藏】",
        "ICP备",
        "网站地图",
    ):
        assert furniture not in cleaned, furniture
    assert (
        "积分项目 | 分值 | 说明\n连续暂住每满一年 | 2分 | 最高12分\n参加社会保险每满一年 | 3分 | 最高30分"
        in cleaned
    )
    assert "某市教育局\n\n2016年1月11日" in cleaned
    meta = detect_metadata(loaded.text, loaded.title, today=TODAY)
    assert meta.title == "某市教育局关于印发某市随迁子女小学积分入学办法的通知"  # site name stripped
    assert (meta.issuer, meta.date, meta.doc_number) == ("某市教育局", "2016-01-11", "某教基〔2016〕1号")
    assert (meta.valid_until, meta.status_reason) == ("2021-01-11", "有效期至2021年，已过期")


def _pdf(pages: list[list[str]]) -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    for lines in pages:
        y = 800
        for line in lines:
            pdf.setFont(FONT, 12)
            pdf.drawString(60, y, line)
            y -= 20
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_pdf_page_numbers_inside_a_sentence_are_dropped_and_the_sentence_joined() -> None:
    data = _pdf(
        [
            [
                "津招委高发〔2016〕8 号",
                "考生所在中学或单位应对考生的政治态度、思想品德做出全面鉴定，并对",
                "- 2 -",
            ],
            ["其真实性负责。鉴定内容完整、准确地反映在考生综合素质评价表中。", "- 3 -"],
        ]
    )
    text = load_bytes(data, "rules.pdf").text
    assert "- 2 -" not in text and "- 3 -" not in text
    assert "做出全面鉴定，并对其真实性负责。" in text


def test_pdf_bare_page_numbers_that_count_with_the_pages_are_dropped() -> None:
    # A manual's page number is a bare "1", "2" above its text; the cover's title must not
    # start with it, and a table cell of one figure is no page number.
    data = _pdf(
        [
            ["1", "小学入学服务系统使用手册", "（非本市户籍适龄儿童）"],
            ["2", "一、注册", "登录页后点击“注册”。"],
            ["3", "二、信息采集", "班额 | 人数", "一年级 | 45", "45"],
        ]
    )
    loaded = load_bytes(data, "manual.pdf")
    lines = [line for line in loaded.text.splitlines() if line.strip()]
    assert lines[0].startswith("小学入学服务系统使用手册")
    assert not any(line.strip() in ("1", "2", "3") for line in lines)
    assert lines[-1].strip() == "45"  # bottom numbers that do not count with the pages stay
    meta = detect_metadata(loaded.text, loaded.title, today=TODAY)
    assert meta.title == "小学入学服务系统使用手册（非本市户籍适龄儿童）"


def test_garbled_lines_are_dropped_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    text = (
        "฿ࣃ൧ᅱള຾ჴ߶໓ࡱ\n\n津招委高发〔2016〕8号\n\n关于印发招生考试工作规定的通知\n\n各单位：现将规定印发给你们。"
    )
    with caplog.at_level(logging.WARNING):
        cleaned = clean_web_text(text, "rules.pdf")
    assert "฿" not in cleaned and "关于印发招生考试工作规定的通知" in cleaned
    assert "rules.pdf: dropped 1 garbled line(s)" in caplog.text


def test_a_page_saved_under_a_text_name_is_read_as_the_page_it_is() -> None:
    """A real news item saved from a code host's file viewer under its file's .txt name: its
    text is the article, not the markup around it."""
    path = FIXTURES / "dongguan_2016_points_scheme_viewer_page.txt"
    loaded = load_document(path)
    assert loaded.format == "html" and loaded.saved_as == ".txt"
    prepared = prepare_document(_unlisted(path), today=TODAY)
    text = "\n".join(c.text for c in prepared.chunks)
    assert "将原积分方案中的10个积分项目整合优化为6个积分项目" in text
    for markup in ("<meta", "<div", "class=", "Permalink", "Raw Blame History"):
        assert markup not in text
    # The viewer's own lines around the article (Latin words, no Chinese) are no part of it.
    for chrome in ("Branch: master", "forked from", "Contact GitHub", "© 2016 GitHub", "Jump to Line"):
        assert chrome not in text
    assert all(re.search(r"[\u4e00-\u9fff]", chunk.text) for chunk in prepared.chunks)
    assert prepared.meta.title == "2016年东莞市义务教育阶段进城务工人员随迁子女积分制入学积分方案"


def test_a_file_viewer_page_saved_under_a_pdf_name_is_refused_by_name() -> None:
    """A real code host's viewer page saved as the PDF it shows holds none of the PDF: the
    user is told so in Chinese, the log in English, and nothing of the page is indexed."""
    path = FIXTURES / "file_viewer_page_saved_as.pdf"
    with pytest.raises(DocumentError) as caught:
        prepare_document(_unlisted(path), today=TODAY)
    assert "其实是一个网页" in caught.value.user_message and "请下载原始文件" in caught.value.user_message
    assert "web page saved as .pdf without the document" in str(caught.value)
    # The same bytes under an HTML name are the page they are: read, not refused as a PDF.
    assert "Sorry, we cannot display this file." in load_bytes(path.read_bytes(), "viewer.html").text


def test_letter_through_the_whole_pipeline(tmp_path: Path) -> None:
    path = tmp_path / "letter.txt"
    path.write_bytes((FIXTURES / "letter_with_closing_and_number.txt").read_bytes())
    prepared = prepare_document(_unlisted(path), today=TODAY)
    assert prepared.meta.title == "市教委关于印发2016年某市小学招生入学工作指导意见的通知"
    assert prepared.meta.doc_number == "某教委〔2016〕12号"
    text = "\n".join(c.text for c in prepared.chunks)
    assert "某市教育委员会文件" not in text and "____" not in text  # masthead and rule line
    assert "小学招生坚持免试就近入学的原则" in text


# --- the ten real files -----------------------------------------------------------------

# file: (title, issuer, date, status) as PROVENANCE.md gives them (the date the file itself
# shows: the signing date where there is one).
EXPECTED = {
    "tianjin_2016_college_entrance_exam_admission_rules.pdf": (
        "市招委关于印发《2016年天津市普通高等学校招生考试工作规定》的通知",
        "天津市招生委员会",
        "2016-04-13",
        "historical",
    ),
    "shenzhen_2010_children_and_students_medical_insurance_notice.pdf": (
        "关于将深圳市少年儿童及大学生医疗保险纳入住院医疗保险的通知",
        "深圳市人民政府",
        "2010-09-01",
        "historical",
    ),
    "tianjin_2016_primary_school_admission_guidance.docx": (
        "市教委关于印发2016年天津市小学招生入学工作指导意见的通知",
        "天津市教育委员会",
        "2016-04-01",
        "historical",
    ),
    "chongqing_2016_compulsory_education_admission_opinion.docx": (
        "重庆市教育委员会关于做好2016年义务教育招生入学工作的意见",
        "重庆市教育委员会",
        "2016-04-08",
        "historical",
    ),
    "wuhan_2016_compulsory_education_new_student_admission_notice.docx": (
        "市教育局关于进一步规范2016年义务教育阶段新生入学管理工作的通知",
        "武汉市教育局",
        "2016",
        "historical",
    ),
    "moe_2016_urban_compulsory_education_admission_notice.html": (
        "教育部办公厅关于做好2016年城市义务教育招生入学工作的通知",
        "教育部办公厅",
        "2016-01-26",
        "historical",
    ),
    "xiamen_2016_migrant_children_primary_points_admission.htm": (
        "厦门市教育局关于印发厦门市进城务工人员随迁子女小学积分入学办法指导意见的通知",
        "厦门市教育局",
        "2016-01-11",
        "historical",
    ),
    "foshan_2012_non_hukou_children_public_school_admission_measures.html": (
        "佛山市非户籍常住人口子女入读义务教育公办学校实施办法",
        "佛山市教育局",  # the page names no signing organ; 由市教育局负责解释
        "2014-08-27",  # the only date the page shows
        "historical",
    ),
    "zhongshan_2015_urban_primary_school_admission_notice.html": (
        "2015学年中山市城区小学招生通告",
        "中山市城区小学招生领导小组",
        "2015-04-23",
        "historical",
    ),
    "prc_minors_protection_law_2024.md": (
        "中华人民共和国未成年人保护法",
        "全国人民代表大会常务委员会",
        "2024-04-26",
        "current",
    ),
}


@pytest.fixture
def needs_sources() -> None:
    assert SOURCES_EXTRA.is_dir(), f"the real files of other bureaus are missing: {SOURCES_EXTRA}"


@pytest.mark.usefixtures("needs_sources")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_real_file_metadata_and_text(name: str) -> None:
    prepared = prepare_document(_unlisted(SOURCES_EXTRA / name), today=TODAY)
    meta = prepared.meta
    assert (meta.title, meta.issuer, meta.date, meta.status) == EXPECTED[name]
    if meta.status == "historical":
        assert meta.status_reason
    text = "\n".join(c.text for c in prepared.chunks)
    assert not any(is_garbled(line) for line in text.split("\n"))
    for furniture in ("当前位置", "ICP备", "【收藏】", "扫一扫", "打印本页", "第1页共2页", "Skip to content"):
        assert furniture not in text, furniture
    assert not re.search(r"^\s*-\s*\d+\s*-\s*$", text, re.M)  # PDF page numbers


@pytest.mark.usefixtures("needs_sources")
def test_a_masthead_set_in_a_font_without_a_unicode_map_is_read_by_ocr() -> None:
    # The text layer gives "฿ࣃ൧ᅱള…" for the red masthead; OCR reads that page and its
    # lines between the neighbours the text layer does read are put in their place.
    loaded = load_document(SOURCES_EXTRA / "tianjin_2016_college_entrance_exam_admission_rules.pdf")
    assert "天津市招生委员会文件\n津招委高发〔2016〕8号" in loaded.text
    assert not any(is_garbled(line) for line in loaded.text.split("\n"))


@pytest.mark.usefixtures("needs_sources")
def test_wuhan_body_in_its_layout_table_is_read_in_full() -> None:
    text = load_document(
        SOURCES_EXTRA / "wuhan_2016_compulsory_education_new_student_admission_notice.docx"
    ).text
    assert len(text) > 5000  # python-docx's Document.paragraphs alone gives 45 characters
    assert "7月15日 | 全市民办初中学校新生入学电脑派位" in text


def _site_page(body: str) -> str:
    """A page of one site: its menu items stand alone between sentences, which no
    run-of-short-lines rule catches; only the other pages of the site show they are a menu."""
    return (
        '<html><head><meta charset="utf-8"><title>通知 - 某教育网</title></head><body>'
        "<p>欢迎访问某市教育局网站，今天是星期二，请注意防范电信诈骗。</p>"
        '<p><a href="http://www.jyj.example.gov.cn/">微言教育</a></p>'
        "<p>本网站所载政策文件均以正式印发的文本为准，转载请注明出处。</p>"
        f"{body}"
        "<p>一、总体要求</p><p>某市教育局</p><p>2016年3月1日</p></body></html>"
    )


def _cleaned(path: Path) -> str:
    from assistant.documents.pipeline import site_boilerplate

    return clean_web_text(load_document(path).text, path.name, site_boilerplate(path))


def test_navigation_repeated_across_pages_of_one_site_is_removed(tmp_path: Path) -> None:
    first = tmp_path / "first.html"
    second = tmp_path / "second.html"
    first.write_text(_site_page("<p>各学校：现将学位申请工作通知如下，请遵照执行。</p>"), encoding="utf-8")
    assert "微言教育" in _cleaned(first)  # one page alone cannot tell

    second.write_text(_site_page("<p>各学校：现将转学工作通知如下，请遵照执行。</p>"), encoding="utf-8")
    text = _cleaned(first)
    assert "微言教育" not in text
    # What the bureau repeats in every document of its own is kept.
    for kept in ("一、总体要求", "某市教育局", "2016年3月1日", "现将学位申请工作通知如下"):
        assert kept in text, kept
    assert "微言教育" not in "\n".join(c.text for c in prepare_document(_unlisted(first), today=TODAY).chunks)


COLUMN = (
    REPO.parent / "shared" / "sources_new" / "site" / "www.szpl.gov.cn" / "xxgk" / "zcfg" / "fgk" / "csghl"
)


def test_a_menu_typed_with_bars_is_no_table_and_goes_as_the_sites_navigation(tmp_path: Path) -> None:
    """Real saved pages of one bureau's column: the banner "RSS信息订阅 | 繁体 | 简体" is
    links with a typed bar between them. It is no table row, and as every page repeats it,
    it is navigation; a bar typed inside a cell does not split the cell."""
    pages = sorted(COLUMN.glob("2016*/*.htm"))
    assert len(pages) >= 2, "the saved column of sources_new/site is missing"
    for page in pages:
        (tmp_path / page.name).write_bytes(page.read_bytes())
    first = tmp_path / pages[0].name
    assert "RSS信息订阅 ｜ 繁体 ｜ 简体" in load_document(first).text
    chunks = prepare_document(_unlisted(first), today=TODAY).chunks
    assert chunks and not any("RSS信息订阅" in c.text or "繁体" in c.text for c in chunks)
    assert not any(c.metadata().get("section") == "表格" for c in chunks)
    assert "试点期限两年" in "\n".join(c.text for c in chunks)

    cell = load_bytes("<table><tr><td>甲 | 乙</td><td>丙</td></tr></table>".encode(), "t.html").text
    assert "甲｜乙 | 丙" in cell


def test_a_new_page_of_the_site_changes_the_hash_of_the_others(tmp_path: Path) -> None:
    from assistant.documents.pipeline import content_hash

    first = tmp_path / "first.html"
    first.write_text(_site_page("<p>各学校：现将学位申请工作通知如下，请遵照执行。</p>"), encoding="utf-8")
    before = content_hash(_unlisted(first), "model")
    page = _site_page("<p>各学校：现将转学工作通知如下，请遵照执行。</p>")
    (tmp_path / "second.html").write_text(page, encoding="utf-8")
    assert content_hash(_unlisted(first), "model") != before


def test_a_table_header_is_never_a_documents_title(tmp_path: Path) -> None:
    """A page of notes and a table, with no title line: the header row names columns."""
    page = tmp_path / "points_items.html"
    page.write_text(
        "<html><body><p>一、积分监护人根据实际情况选择本表所列项目参加积分，积分结果可累积计算。</p>"
        "<table><tr><td>序号</td><td>项目</td><td>积分</td></tr>"
        "<tr><td>1</td><td>计划生育</td><td>5分</td></tr></table></body></html>",
        encoding="utf-8",
    )
    prepared = prepare_document(_unlisted(page), today=TODAY)
    assert "|" not in prepared.meta.title
    assert prepared.meta.title == "points_items"

"""Word files of earlier years, read from real bureau files (tests/fixtures/real_formats,
see PROVENANCE.md there): a Word 97–2003 .doc with a table, the same file renamed .docx,
an RTF file in GB2312, and the pages and damaged files bureau sites serve under a .doc name."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from scan_images import unlisted

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_bytes, load_document
from assistant.documents.metadata.title import detect_title
from assistant.documents.pipeline import prepare_document

FIXTURES = Path(__file__).parent.parent / "fixtures" / "real_formats"
POINTS_DOC = FIXTURES / "tianjin_residence_permit_points_table.doc"
DRAFT_RTF = FIXTURES / "shaanxi_2016_floating_population_measures_draft.rtf"
HEADER = "类别 | 序号 | 指标 | 指标内容及分值 | 负责部门 | 备注"


def _prepared(path: Path):
    return prepare_document(unlisted(path), today=dt.date(2026, 12, 1))


def test_binary_doc_reads_its_table_row_by_row() -> None:
    loaded = load_document(POINTS_DOC)

    assert loaded.format == "doc"
    lines = loaded.text.splitlines()
    assert HEADER in lines
    row = next(line for line in lines if "受教育程度" in line)
    assert row.startswith("基本分 | 2 | 受教育程度 | 1．本科及以上学历（40分）")
    assert row.endswith("| 市教委 | 只计最高分， 不累计加分。")


def test_binary_doc_goes_through_the_document_path() -> None:
    prepared = _prepared(POINTS_DOC)

    assert prepared.meta.title == "天津市居住证积分指标及分值表"
    # Each piece of the long table is led by the table's own header row, not its first row.
    assert len(prepared.chunks) > 1
    assert all(chunk.text.startswith(HEADER + "\n") for chunk in prepared.chunks)
    assert any("市国土房管局" in chunk.text for chunk in prepared.chunks)


def test_binary_doc_renamed_docx_is_read_as_what_it_is() -> None:
    data = POINTS_DOC.read_bytes()

    renamed = load_bytes(data, "积分指标.docx")

    assert renamed.text == load_document(POINTS_DOC).text


def test_rtf_in_gb2312_reads_as_chinese() -> None:
    loaded = load_document(DRAFT_RTF)

    assert loaded.format == "rtf"
    assert loaded.encoding == "gb18030"
    assert "第一条〔立法目的和依据〕" in loaded.text
    assert "本办法自2012年10月1日起施行。" in loaded.text
    prepared = _prepared(DRAFT_RTF)
    assert prepared.meta.title == "陕西省流动人口服务管理办法（修订征求意见稿）"


def test_rtf_saved_under_a_doc_name_is_read_as_rtf() -> None:
    loaded = load_bytes(DRAFT_RTF.read_bytes(), "流动人口服务管理办法.doc")

    assert loaded.format == "rtf"
    assert "第二条〔适用范围〕" in loaded.text


def test_page_saved_under_a_doc_name_is_read_as_a_page() -> None:
    page = (
        "<html><head><meta charset='gb2312'><title>招生工作通知</title></head><body>"
        "<p>关于做好2016年小学招生工作的通知</p><p>各小学：报名时间为6月1日至6月3日。</p></body></html>"
    ).encode("gb18030")

    loaded = load_bytes(page, "通知.doc")

    assert loaded.format == "html"
    assert "报名时间为6月1日至6月3日。" in loaded.text


def test_damaged_doc_names_the_file_and_says_what_to_do() -> None:
    data = POINTS_DOC.read_bytes()

    with pytest.raises(DocumentError) as caught:
        load_bytes(data[:20000], "积分指标.doc")

    assert caught.value.user_message == (
        "旧版 Word 文件《积分指标.doc》已损坏或无法读取，请在 Word 中另存为 .docx 后重新上传。"
    )
    assert str(caught.value).startswith("积分指标.doc: unreadable .doc")


def test_text_under_a_doc_name_does_not_match_its_extension() -> None:
    with pytest.raises(DocumentError) as caught:
        load_bytes("罗湖区教育局通知".encode(), "通知.doc")

    assert caught.value.user_message == "文件内容与扩展名 .doc 不符。"


@pytest.mark.parametrize(
    ("lines", "title"),
    [
        (
            ["附件1", "", "2015年郑州市市区普通高中招生工作意见", "", "根据……精神，现提出如下意见。"],
            "2015年郑州市市区普通高中招生工作意见",
        ),
        (
            ["附件二：", "建设项目环境保护管理条例", "（修订草案征求意见稿）"],
            "建设项目环境保护管理条例（修订草案征求意见稿）",
        ),
    ],
)
def test_annex_label_above_a_title_is_not_part_of_it(lines: list[str], title: str) -> None:
    assert detect_title(lines) == title

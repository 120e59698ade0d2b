"""Point 1 and 6: every table format, each trap of real tables reproduced by a small file
made here, and bad tables (empty, password, 100,000 rows, no header, 30,000-char cell)."""

from __future__ import annotations

import logging
import tracemalloc
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from table_files import (
    big_xlsx,
    empty_xlsx,
    encrypted_xlsx,
    headerless_xlsx,
    long_cell_xlsx,
    multi_header_xlsx,
    spans_html,
    timetable_docx,
    zoning_xlsx,
)

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import load_document
from assistant.tables.model import TableError
from assistant.tables.readers import read_html_tables, read_tables, read_workbook


def test_xlsx_merged_hidden_formula_and_integral_floats(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = zoning_xlsx(tmp_path / "zoning.xlsx")
    with caplog.at_level(logging.INFO):
        tables = read_workbook(path.read_bytes(), path.name)
    assert len(tables) == 1
    table = tables[0]
    assert table.caption == "罗湖区2025年小学招生地段表"  # the merged title row
    assert table.sheet == "2025年招生地段"
    assert table.header == ["学校", "招生地段", "班数"]
    assert [r[0] for r in table.rows] == ["翠竹小学", "人民小学", "红岭小学", "合计"]
    assert table.rows[1][2] == "36"  # 36.0 shown as 36
    assert table.rows[2][2] == "6"  # the formula's value, not "=2*3"
    assert table.subtotal == [False, False, False, True]
    assert table.row_numbers == [3, 4, 5, 6]
    assert "草稿" in caplog.text and not any("草稿小学" in " ".join(r) for r in table.rows)


def test_multi_row_header_is_joined(tmp_path: Path) -> None:
    path = multi_header_xlsx(tmp_path / "places.xlsx")
    (table,) = read_workbook(path.read_bytes(), path.name)
    assert table.header == ["街道", "学位小学", "学位初中"]
    assert table.rows == [["桂园街道", "120", "80"], ["东门街道", "90", "45"]]


def test_html_rowspan_colspan_and_split_numbers(tmp_path: Path) -> None:
    path = spans_html(tmp_path / "zones.html")
    (table,) = read_html_tables(BeautifulSoup(path.read_bytes(), "html.parser"), path.name)
    assert table.header[:2] == ["街道", "学校"]
    assert table.rows[1][:2] == ["桂园街道", "松园小学"]  # rowspan filled down
    assert table.rows[0][-1] == "30个班"  # "3" and "0" in their own spans
    assert "松园新村、宝安南路1-50号" in table.rows[1]  # colspan read once per column


def test_docx_smart_tags_and_merged_cells_are_kept(tmp_path: Path) -> None:
    path = timetable_docx(tmp_path / "timetable.docx")
    (table,) = read_tables(path)
    assert table.header == ["阶段", "工作内容", "时间"]
    assert table.rows == [
        ["报名", "网上报名", "5月10日"],
        ["报名", "材料审核", "5月20日"],
        ["录取", "公布结果", "7月1日"],
    ]
    text = load_document(path).text  # the document path keeps them too
    assert "5月20日" in text and "报名截止日期为2025年5月15日" in text


def test_workbook_text_for_the_document_path(tmp_path: Path) -> None:
    loaded = load_document(zoning_xlsx(tmp_path / "zoning.xlsx"))
    assert loaded.format == "sheet"
    assert "人民小学 | 人民路2-100号（双号）、东门街道 | 36" in loaded.text


def test_empty_workbook_is_refused_by_name(tmp_path: Path) -> None:
    path = empty_xlsx(tmp_path / "空表.xlsx")
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    assert "《空表.xlsx》" in caught.value.user_message and "没有可读取的数据" in caught.value.user_message


def test_password_protected_workbook_is_refused(tmp_path: Path) -> None:
    path = encrypted_xlsx(tmp_path / "加密.xlsx")
    with pytest.raises(DocumentError) as caught:
        load_document(path)
    assert "《加密.xlsx》" in caught.value.user_message and "密码" in caught.value.user_message


def test_table_without_header_gets_column_numbers(tmp_path: Path) -> None:
    path = headerless_xlsx(tmp_path / "nohead.xlsx")
    (table,) = read_workbook(path.read_bytes(), path.name)
    assert not table.has_header
    assert table.header == ["第1列", "第2列", "第3列"]
    assert table.rows[0] == ["翠竹小学", "4", "翠竹园"]


def test_long_cell_is_cut_and_named(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = long_cell_xlsx(tmp_path / "long.xlsx")
    with caplog.at_level(logging.WARNING):
        (table,) = read_workbook(path.read_bytes(), path.name)
    assert len(table.rows[0][1]) <= 2001 and table.rows[1] == ["人民小学", "短说明"]
    assert "long.xlsx › 说明" in caplog.text and "30000" in caplog.text


def test_hundred_thousand_rows_read_in_bounded_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = big_xlsx(tmp_path / "big.xlsx", 100_000)
    tracemalloc.start()
    (table,) = read_workbook(path.read_bytes(), path.name)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(table.rows) == 100_000 and table.rows[-1] == ["第100000小学", "测试100000花园", "2"]
    assert peak < 400 * 1024 * 1024
    # Over the row limit, the sheet is cut and the rest of the file still read.
    monkeypatch.setenv("ASSISTANT_MAX_TABLE_ROWS", "1000")
    (cut,) = read_workbook(path.read_bytes(), path.name)
    assert len(cut.rows) == 999  # the header is one of the 1,000 rows read


def test_corrupt_workbook_message(tmp_path: Path) -> None:
    with pytest.raises(TableError) as caught:
        read_workbook(b"PK\x03\x04 not really a zip", "坏.xlsx")
    assert "《坏.xlsx》" in caught.value.user_message


def test_bad_workbooks_fail_alone_in_an_ingest(tmp_path: Path) -> None:
    from fakes import small_assistant

    from assistant.chain import Assistant

    settings, index, _ = small_assistant(tmp_path)
    before = index.active_name()
    encrypted_xlsx(settings.knowledge_dir / "加密.xlsx")
    empty_xlsx(settings.knowledge_dir / "空表.xlsx")
    zoning_xlsx(settings.knowledge_dir / "地段.xlsx")
    report = index.ingest()
    assert "密码" in report.failed["加密.xlsx"] and "没有可读取的数据" in report.failed["空表.xlsx"]
    assert len(report.added) == 1 and index.active_name() != before
    assert Assistant(settings, index).ask("翠竹北苑对口哪所学校？").answer.startswith("学校：翠竹小学")

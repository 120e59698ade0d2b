"""Point 1 on the five real tables of other bureaus (`shared/sources_new/tables`, beside the
repository), read in place. Without that folder these tests fail: they are the proof."""

from __future__ import annotations

import os
from pathlib import Path

from assistant.documents.loaders import load_document
from assistant.documents.manifest import DocumentMeta
from assistant.documents.pipeline import prepare_document
from assistant.documents.table_rows import row_chunks
from assistant.tables.lookup import RowIndex
from assistant.tables.model import record_from_metadata
from assistant.tables.readers import read_tables

REPO = Path(__file__).resolve().parents[2]
TABLES = Path(os.environ.get("ASSISTANT_SOURCES_NEW", REPO.parent / "shared" / "sources_new")) / "tables"


def _index_of_all_tables() -> RowIndex:
    ids, metas = [], []
    for path in sorted(TABLES.iterdir()):
        meta = DocumentMeta(path.stem, path, path.stem, path.stem, "", "2015", "historical")
        for chunk in row_chunks(meta):
            ids.append(chunk.id)
            metas.append(chunk.metadata())
    return RowIndex([record_from_metadata(m) for m in metas], ids, metas)


def _file(name: str) -> Path:
    path = TABLES / name
    assert path.is_file(), f"the real table {path} is missing (shared/ must sit beside the repository)"
    return path


def test_side_by_side_blocks_with_merged_districts_and_subtotals() -> None:
    tables = read_tables(_file("panyu_2015_migrant_children_school_places.xls"))
    primary = [t for t in tables if t.caption.endswith("公办小学")]
    junior = [t for t in tables if t.caption.endswith("公办初中")]
    assert len(primary) == 4 and len(junior) == 1  # four column groups of primary schools
    assert all(t.header == ["辖区", "学校", "学位"] for t in tables)
    rows = [r for t in primary for r, sub in zip(t.rows, t.subtotal, strict=True) if not sub]
    assert ["市桥街东环街沙头街桥南街(市桥城区教育指导中心)", "市桥草河小学", "15"] in rows
    nancun = [r for r in rows if r[0].startswith("南村镇")]
    assert len(nancun) == 13  # the district continues into the next column group
    subtotals = [r for t in tables for r, sub in zip(t.rows, t.subtotal, strict=True) if sub]
    assert subtotals == [["小学小计", "小学小计", "1065"], ["初一小计", "初一小计", "684"]]


def test_title_and_date_in_one_cell_and_address_with_phone() -> None:
    (table,) = read_tables(_file("panyu_2015_private_schools_list.xls"))
    assert table.caption == "番禺区民办中小学一览表 2015年3月5日"
    assert table.header == ["所属地", "编号", "办学机构名称", "办学层次", "地址及联系电话"]
    assert ["钟村", "1", "祈福英语实验小学", "小学", "钟村街祈福新邨内 34714836"] in table.rows
    assert sum(1 for r in table.rows if r[0] == "南村") == 8  # 所属地 merged down


def test_eight_stacked_sub_tables_each_with_its_caption() -> None:
    tables = read_tables(_file("panyu_2016_points_admission_contact_directory.xls"))
    assert len(tables) == 8
    centres = next(t for t in tables if t.caption == "各学区教育指导中心（招生咨询）")
    assert centres.header == ["单位（服务区域）", "地址", "联系电话"]
    assert ["石碁教育指导中心（石碁镇、大龙街）", "石碁镇岐山南路15号", "84854715 34560203"] in centres.rows
    assert not any(c.endswith(".0") for t in tables for r in t.rows for c in r)  # 84691533.0


def test_html_table_with_rowspan_colspan_and_split_numbers() -> None:
    (table,) = read_tables(_file("panyu_2016_points_items_and_standards.html"))
    assert "积分" in table.header and "条件和标准" in table.header
    row = next(r for r in table.rows if "自有产权房" in "".join(r))
    assert "住房保障（最高得分25分）" in row and any("25分" in c for c in row)


def test_pdf_table_cells_read_by_their_ruling() -> None:
    (table,) = read_tables(_file("guangdong_2016_compulsory_education_funding_subsidy_ratios.pdf"))
    assert table.header[0] == "地区" and table.header[1] == "城乡义务教育公用经费省财政补助比例"
    dongguan = next(r for r in table.rows if "东莞市" in r[0])
    assert dongguan[1] == "50%" and dongguan[-1] == "由市县财政承担"


def test_legacy_xls_is_indexed_as_text_too() -> None:
    loaded = load_document(_file("panyu_2015_private_schools_list.xls"))
    assert "祈福英语实验小学 | 小学 | 钟村街祈福新邨内 34714836" in loaded.text


def test_every_text_chunk_of_a_table_starts_with_its_header_row() -> None:
    # The header row (five short cells, no digit) looks like a menu's link row; the row of
    # as many cells under it makes it a table's header, which cleaning keeps.
    path = _file("panyu_2015_private_schools_list.xls")
    chunks = prepare_document(
        DocumentMeta(path.stem, path, path.stem, path.stem, "", "2015", "historical")
    ).chunks
    assert len(chunks) > 1
    assert all(
        c.text.startswith("所属地 | 编号 | 办学机构名称 | 办学层次 | 地址及联系电话\n") for c in chunks
    )


def test_lookups_on_the_real_tables() -> None:
    index = _index_of_all_tables()
    found = index.match("我家住大龙街，招生问题该去问哪个教育指导中心？")
    assert found is not None and index.names[found.rows[0]] == "石碁教育指导中心（石碁镇、大龙街）"
    counted = index.match("石楼镇有几所公办初中？")
    assert counted is not None and counted.kind == "count" and len(counted.rows) == 4
    assert index.match("祈福英语实验小学一年的学费是多少钱？") is None


ABSENT = ["钟村花园", "翠竹苑", "东环花园", "洛溪花园", "南村家园", "石楼山庄", "沙湾新苑", "大石名苑"]


def test_absent_places_are_not_found_with_closest_names() -> None:
    index = _index_of_all_tables()
    schools = {name for name in index.names if name}
    for place in ABSENT:
        question = f"我家住在{place}，对口哪所学校？"
        match = index.match(question)
        assert match is not None and match.kind == "not_found", place
        assert match.names == [place] and match.suggestions, place
        assert not set(match.suggestions) & schools, place


def test_a_list_by_a_category_cell_lists_the_rows_holding_it() -> None:
    # "哪几所民办学校办了高中" names no row: the private schools list's 办学层次 sorts them.
    path = _file("panyu_2015_private_schools_list.xls")
    meta = DocumentMeta(path.stem, path, path.stem, path.stem, "", "2015", "historical")
    chunks = row_chunks(meta)
    metas = [c.metadata() for c in chunks]
    index = RowIndex([record_from_metadata(m) for m in metas], [c.id for c in chunks], metas)
    found = index.match("番禺区2015年民办中小学一览表里，哪几所民办学校办了高中？")
    assert found is not None and found.kind in {"list", "count"}
    assert sorted(index.names[i] for i in found.rows) == ["华师附中番禺学校", "祈福英语实验学校"]
    # A category value may open a word the segmenter cut otherwise (有高中部: 高 | 中部),
    # and the table's own title words (民办中小学) sort no rows.
    for asked in ("番禺哪几所民办学校有高中部？", "番禺区的民办中小学里面，有办高中部的学校一共有几间？"):
        upper = index.match(asked)
        assert upper is not None and upper.kind in {"list", "count"}, asked
        assert sorted(index.names[i] for i in upper.rows) == ["华师附中番禺学校", "祈福英语实验学校"], asked
    junior = index.match("番禺有哪些民办学校有初中？")
    assert junior is not None and junior.kind == "list"
    levels = [index.records[i].value("办学层次") for i in junior.rows]
    assert levels and all("初" in level for level in levels)
    assert len(junior.rows) < len([r for r in index.records if not r.subtotal])
    # A kind word that heads a longer noun (公办|小学, 实验|小学) is no category value.
    assert index.match("番禺区2015年公办小学招生说的“人户一致”对房产份额有什么要求？") is None
    assert index.match("番禺区2015学年，市桥实验小学提供几个积分入学学位？") is None


def test_a_number_of_the_question_sorts_no_rows() -> None:
    # The seats table has rows of 50 seats: "补助50%的是哪几个市" asks no list of them.
    index = _index_of_all_tables()
    assert (
        index.match("广东2016年义务教育经费保障机制里，城乡义务教育公用经费省财政只补助50%的是哪几个市？")
        is None
    )


def test_of_sibling_rows_the_one_holding_the_questions_rarer_words_is_chosen() -> None:
    # 番禺 stands in many rows of the points table; 连续办满5年 in one of 居住年限's three.
    index = _index_of_all_tables()
    found = index.match("番禺区2016年积分入学，我的居住证在番禺连续办满5年了，居住年限这项能得多少分？")
    assert found is not None and found.kind == "lookup"
    assert [index.records[i].value("积分") for i in found.rows] == ["28分"]


def test_a_count_of_what_a_table_lists_counts_its_rows_when_it_has_no_total_row() -> None:
    index = _index_of_all_tables()
    counted = index.match("番禺区2015年民办中小学一览表总共列了多少所民办学校？")
    assert counted is not None and counted.kind == "count" and len(counted.rows) == 34
    # A table with total rows answers with them, as before.
    total = index.match("2015学年番禺区公办小学一共为外来务工人员子女提供了多少个学位？")
    assert total is not None and total.kind == "total"
    # A town also a county's name elsewhere (沙湾县) is the table's town.
    town = index.match("沙湾镇（沙湾教育指导中心）2015学年一共有几所公办小学给外来务工人员子女提供学位？")
    assert town is not None and town.kind == "count" and len(town.rows) == 8

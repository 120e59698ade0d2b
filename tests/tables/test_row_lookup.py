"""Points 2-4: rows as records, address matching (house-number ranges with 单号/双号),
answers led by the value, two rows with their conditions, not found with the closest
names, lists and counts, on a zoning table made by code."""

from __future__ import annotations

from pathlib import Path

import pytest
from table_files import zoning_xlsx

from assistant.answering.rows import answer_rows
from assistant.documents.manifest import DocumentMeta
from assistant.documents.table_rows import row_chunks
from assistant.tables.lookup import RowIndex
from assistant.tables.model import record_from_metadata
from assistant.tables.places import house_number, house_ranges, place_keys, place_spans


def _meta(path: Path, status: str = "current", date: str = "2025-03-01") -> DocumentMeta:
    return DocumentMeta(
        doc_id=path.stem,
        path=path,
        title="罗湖区2025年小学招生地段表",
        short_title="招生地段表",
        issuer="罗湖区教育局",
        date=date,
        status=status,
    )


@pytest.fixture
def zoning(tmp_path: Path) -> RowIndex:
    chunks = row_chunks(_meta(zoning_xlsx(tmp_path / "zoning.xlsx")))
    metas = [c.metadata() for c in chunks]
    return RowIndex([record_from_metadata(m) for m in metas], [c.id for c in chunks], metas)


def test_rows_are_records_with_their_source(tmp_path: Path) -> None:
    chunks = row_chunks(_meta(zoning_xlsx(tmp_path / "zoning.xlsx")))
    first = chunks[0]
    assert first.text == "学校：翠竹小学；招生地段：翠竹园、翠竹北苑、人民路1-99号（单号）；班数：4"
    meta = first.metadata()
    assert (meta["kind"], meta["sheet"], meta["row"]) == ("row", "2025年招生地段", 3)
    assert meta["section"] == "罗湖区2025年小学招生地段表 > 2025年招生地段 > 第3行"
    assert chunks[-1].metadata()["subtotal"] is True


def test_places_and_ranges_of_a_zoning_cell() -> None:
    assert {"翠竹园", "翠竹北苑", "人民路"} <= place_keys("翠竹园、翠竹北苑、人民路1-99号（单号）")
    assert {"南村镇", "南村"} <= place_keys("南村镇 （南村教育指导中心）")
    (odd,) = house_ranges("人民路1-99号（单号）")
    assert (odd.road, odd.low, odd.high, odd.parity) == ("人民路", 1, 99, "odd")
    assert odd.holds(37) and not odd.holds(38) and not odd.holds(101)
    (side,) = house_ranges("解放路10-20号以东")
    assert side.condition == "以东"
    assert house_number("我家住人民路37号") == ("我家住人民路", 37)


def test_compound_lookup_leads_with_the_school(zoning: RowIndex) -> None:
    question = "我家住翠竹北苑，对口哪所小学？"
    match = zoning.match(question)
    assert match is not None and match.kind == "lookup"
    text, passages, rows = answer_rows(match, zoning, question)
    assert text.startswith("学校：翠竹小学。")
    assert "第3行" in text and rows[0]["row"] == 3 and passages[0].metadata["kind"] == "row"


@pytest.mark.parametrize(
    ("number", "school"), [(37, "翠竹小学"), (38, "人民小学"), (150, "红岭小学"), (101, "红岭小学")]
)
def test_house_number_finds_the_range_on_the_right_side(zoning: RowIndex, number: int, school: str) -> None:
    question = f"我家住人民路{number}号，对口哪所学校？"
    match = zoning.match(question)
    assert match is not None and match.kind == "lookup"
    text, _, _ = answer_rows(match, zoning, question)
    assert text.startswith(f"学校：{school}") and "门牌范围" in text


def test_house_number_outside_every_range_is_not_found(zoning: RowIndex) -> None:
    match = zoning.match("人民路300号对口哪所学校？")
    assert match is not None and match.kind == "not_found"
    text, passages, _ = answer_rows(match, zoning, "人民路300号对口哪所学校？")
    assert "没有找到“人民路300号”" in text and "人民路1-99号（单号）" in text and not passages


def test_absent_place_gets_closest_names_never_a_school(zoning: RowIndex) -> None:
    question = "我家住在翠竹苑，对口哪所学校？"
    match = zoning.match(question)
    assert match is not None and match.kind == "not_found"
    text, passages, _ = answer_rows(match, zoning, question)
    assert text.startswith("表格中没有找到“翠竹苑”；相近的有：")
    assert "翠竹园" in text and "翠竹北苑" in text
    assert "小学" not in text and not passages


def test_a_question_asking_when_is_no_failed_lookup_of_a_place(zoning: RowIndex) -> None:
    # "划片" makes it sound like a lookup, but it asks the day a range was published: the
    # text answers it, and a place no row lists is not reported missing.
    assert zoning.match("翠竹苑的招生划片范围是哪一天公布的？") is None
    assert zoning.match("翠竹苑划片在哪所学校？") is not None


def test_place_in_two_rows_gives_both(zoning: RowIndex) -> None:
    question = "人民路对口哪所学校？"
    match = zoning.match(question)
    assert match is not None
    text, _, rows = answer_rows(match, zoning, question)
    assert [r["cells"]["学校"] for r in rows] == ["翠竹小学", "人民小学", "红岭小学"]
    assert "（单号）" in text and "（双号）" in text


def test_list_count_and_total(zoning: RowIndex) -> None:
    match = zoning.match("翠竹园有哪些学校？")
    assert match is not None and match.kind == "list"
    total = zoning.match("全区一共有多少个班？")
    assert total is not None and total.kind == "total"
    text, _, _ = answer_rows(total, zoning, "全区一共有多少个班？")
    assert "46" in text


def test_a_question_about_another_place_is_not_answered_from_this_table(zoning: RowIndex) -> None:
    # The table is 罗湖区's: a total, a list or a lookup asked of 郑州二七区 or of 福田区 goes
    # to the text path; the table's own district, or its city, still reads it.
    assert zoning.match("郑州二七区2015年小学一共计划招多少个班？") is None
    assert zoning.match("福田区翠竹园有哪些学校？") is None
    total = zoning.match("罗湖区全区一共有多少个班？")
    assert total is not None and total.kind == "total"
    listed = zoning.match("深圳翠竹园有哪些学校？")
    assert listed is not None and listed.kind == "list"


def test_a_junk_span_is_no_place_to_report_missing(zoning: RowIndex) -> None:
    # "…打工的住铁路以东": the words before 住 are no part of a place's name, and 铁路 alone
    # is too short to report as a place the tables do not list.
    assert place_spans("我们是外地来郑州打工的住铁路以东孩子去哪个学校报名") == []
    assert place_spans("我家住在翠竹苑，读哪个学校") == ["翠竹苑"]
    assert zoning.match("我们是外地来打工的住铁路以东孩子去哪个学校报名") is None
    # No name runs across a clause's punctuation: "小升初，进城务工人员…" holds none.
    question = "郑州市2015年小升初，进城务工人员随迁子女住的区和父母上班单位不在同一个区，应该在哪个区入学？"
    assert place_spans(question) == []
    assert zoning.match(question) is None


def test_row_named_but_value_not_in_table_goes_to_text_path(zoning: RowIndex) -> None:
    assert zoning.match("翠竹小学的学费是多少钱？") is None
    assert zoning.match("积分入学怎么申请？") is None


def test_historical_table_is_labelled(tmp_path: Path) -> None:
    chunks = row_chunks(_meta(zoning_xlsx(tmp_path / "old.xlsx"), status="historical", date="2016-03-01"))
    metas = [c.metadata() for c in chunks]
    index = RowIndex([record_from_metadata(m) for m in metas], [c.id for c in chunks], metas)
    match = index.match("翠竹北苑对口哪所学校？")
    assert match is not None
    text, _, _ = answer_rows(match, index, "翠竹北苑对口哪所学校？")
    assert "2016年的历史表格" in text


def test_row_index_survives_a_save_and_load(zoning: RowIndex, tmp_path: Path) -> None:
    zoning.save(tmp_path / "rows.jsonl")
    loaded = RowIndex.load(tmp_path / "rows.jsonl")
    assert loaded is not None and len(loaded) == len(zoning)
    assert loaded.records == zoning.records


def test_an_area_run_on_into_a_longer_name_is_not_the_area(zoning: RowIndex) -> None:
    listed = zoning.match("东门有哪些学校？")
    assert listed is not None and listed.kind == "list"
    # "东门海伦堡" is a compound inside the area that no row lists: never the area's schools.
    for question in ("东门海伦堡对口哪所学校？", "东门实验学校对口哪个地段？"):
        match = zoning.match(question)
        assert match is None or (match.kind == "not_found" and not match.rows), (question, match)


def test_a_place_no_row_lists_but_a_passage_names_goes_to_the_text_path() -> None:
    from types import SimpleNamespace

    from assistant.answering.rows import _text_mentions

    passages = {"p1": "市桥街：榄塘村、东沙村的适龄儿童入读市桥中心小学。", "p2": "学位申请时间为四月。"}
    snapshot = SimpleNamespace(
        lexical=SimpleNamespace(search=lambda tokens, k: [("p1", 2.0), ("p2", 1.0)]),
        chunks=SimpleNamespace(
            fetch=lambda ids: {i: SimpleNamespace(text=passages[i]) for i in ids if i in passages}
        ),
    )
    assert _text_mentions(snapshot, ["榄塘村"])  # type: ignore[arg-type]
    assert _text_mentions(snapshot, ["桥榄塘村"])  # a character run on from the area in front
    assert _text_mentions(snapshot, ["市桥街榄塘村"])  # the whole area in front
    assert not _text_mentions(snapshot, ["翠竹苑"])  # type: ignore[arg-type]


def _points_table(tmp_path: Path) -> RowIndex:
    html = tmp_path / "points.html"
    html.write_text(
        "<html><body><p>积分项目及标准一览表</p><table>"
        "<tr><td>项目</td><td>内容</td><td>分值</td></tr>"
        "<tr><td>学历</td><td>本科学历</td><td>80分</td></tr>"
        "<tr><td>在莞参保年限</td><td>包括城镇基本养老保险、失业保险、工伤保险</td><td>每满1年1.5分</td></tr>"
        "<tr><td>在莞居住时间</td><td>持有效居住证</td><td>每满1年2分</td></tr>"
        "</table></body></html>",
        encoding="utf-8",
    )
    chunks = row_chunks(_meta(html))
    # The name cell as a PDF's text layer spaces it (pdfplumber keeps the spaces).
    metas = [
        {
            k: v.replace("在莞参保年限", "四 、在 莞参 保年限") if isinstance(v, str) else v
            for k, v in c.metadata().items()
        }
        for c in chunks
    ]
    return RowIndex([record_from_metadata(m) for m in metas], [c.id for c in chunks], metas)


def test_a_list_of_what_one_row_holds_is_no_list_of_rows(tmp_path: Path) -> None:
    points = _points_table(tmp_path)
    # 险种 are not what the rows are (项目): the question asks what that one row holds.
    match = points.match("社保年限那一项是按哪些险种来算分的？")
    assert match is None or match.kind != "list"
    # (A list of the rows themselves stays a list, even of one: test_list_count_and_total.)


def test_a_yes_no_question_is_a_rows_only_when_its_asking_clause_names_the_column(zoning: RowIndex) -> None:
    from assistant.answering.rows import _asks_of_column
    from assistant.question.slots import slot_of

    # Asks whether the school may take more: the row's 班数 is no verdict on that.
    question = "翠竹小学能不能多招几个学位？"
    match = zoning.match(question)
    assert match is not None and match.kind == "lookup"
    assert not _asks_of_column(match, question, slot_of(question))
    # The clause that asks names the column: the row answers it.
    question = "我家住翠竹北苑，能不能读翠竹小学的招生地段？"
    match = zoning.match(question)
    assert match is not None and match.kind == "lookup" and match.asked == ["招生地段"]
    assert _asks_of_column(match, question, slot_of(question))


def test_a_compound_named_after_its_area_is_not_the_area(zoning: RowIndex) -> None:
    # "东门" + a compound's own name of up to four characters + its ending: a compound no
    # row lists, reported by its whole name, never the 东门 row's school.
    for question, name in (
        ("我们在东门锦绣生态园买的房，对口哪所学校？", "东门锦绣生态园"),
        ("我家住东门新花园，对口哪所学校？", "东门新花园"),
    ):
        match = zoning.match(question)
        assert match is not None and match.kind == "not_found" and not match.rows, (question, match)
        assert match.names[0] == name
    # Words of the question between the area and a compound word keep the area.
    match = zoning.match("东门有几个花园小区的孩子读人民小学？")
    assert match is not None and match.kind != "not_found"


def _html_table(
    path: Path, caption: str, header: tuple[str, ...], rows: list[tuple[str, ...]], own_caption: str = ""
) -> RowIndex:
    """A row index over one HTML table of three columns, read as an uploaded page is (with a
    <caption> of its own when `own_caption` is given)."""
    cells = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in [header, *rows])
    named = f"<caption>{own_caption}</caption>" if own_caption else ""
    path.write_text(
        f"<html><body><p>{caption}</p><table>{named}{cells}</table></body></html>", encoding="utf-8"
    )
    chunks = row_chunks(_meta(path))
    metas = [c.metadata() for c in chunks]
    return RowIndex([record_from_metadata(m) for m in metas], [c.id for c in chunks], metas)


def _grades_table(tmp_path: Path) -> RowIndex:
    rows = [
        ("技能职称（最高得分25分）", "（1）副高级以上职称", "25分"),
        ("技能职称（最高得分25分）", "（2）博士", "25分"),
        ("技能职称（最高得分25分）", "（3）中级职称", "20分"),
        ("技能职称（最高得分25分）", "（4）大学本科", "20分"),
        ("居住年限", "在本区居住满1年", "2分"),
    ]
    return _html_table(tmp_path / "grades.html", "积分项目及标准", ("项目", "条件和标准", "积分"), rows)


def test_a_list_of_the_named_rows_holding_a_stated_value(tmp_path: Path) -> None:
    grades = _grades_table(tmp_path)
    question = "技能职称项目里，哪几种情况可以拿到25分？"
    match = grades.match(question)
    assert match is not None and match.kind == "list" and len(match.rows) == 2
    text, passages, _ = answer_rows(match, grades, question)
    # The rows share their name (a merged cell): each is told apart by the column that differs.
    assert "（1）副高级以上职称" in text and "（2）博士" in text
    assert "中级职称" not in text and len(passages) == 2
    # A value no row holds, or one every named row holds, sorts nothing.
    for other in ("技能职称项目里，哪几种情况可以拿到30分？", "技能职称有哪几种情况？"):
        match = grades.match(other)
        assert match is None or match.kind != "list" or len(match.rows) != 2, (other, match)


def test_a_count_takes_every_row_of_the_area_the_question_names(tmp_path: Path) -> None:
    # The same area written as two groups: with its service centre, then without it.
    rows = [
        ("钟村街 石壁街 （西片教育指导中心）", "谢村小学", "7"),
        ("钟村街 石壁街 （西片教育指导中心）", "石壁小学", "7"),
        ("钟村街 石壁街", "钟一小学", "13"),
        ("钟村街 石壁街", "钟村育英小学", "27"),
        ("南村镇 （南村教育指导中心）", "南村小学", "5"),
    ]
    index = _html_table(
        tmp_path / "places.html", "外来务工人员子女学位一览表", ("辖区", "学校", "学位"), rows
    )
    match = index.match("钟村街、石壁街（西片教育指导中心）一共有几所小学提供学位？")
    assert match is not None and match.kind == "count"
    assert sorted(index.names[i] for i in match.rows) == ["石壁小学", "谢村小学", "钟一小学", "钟村育英小学"]
    # The centre alone names only its own rows.
    match = index.match("西片教育指导中心一共有几所小学提供学位？")
    assert match is not None and sorted(index.names[i] for i in match.rows) == ["石壁小学", "谢村小学"]


def test_a_count_of_what_the_rows_are_counts_them_beside_a_total_row(tmp_path: Path) -> None:
    rows = [
        ("市桥街", "市桥象圣中学", "10"),
        ("市桥街", "沙头中学", "15"),
        ("钟村街", "钟村中学", "25"),
        ("初一小计", "初一小计", "50"),
    ]
    caption = "外来务工人员子女学位一览表 公办初中"
    index = _html_table(
        tmp_path / "junior.html", caption, ("辖区", "学校", "学位"), rows, own_caption=caption
    )
    question = "这个一览表里，全区一共有多少所公办初中提供初一学位？"
    match = index.match(question)
    assert match is not None and match.kind == "count"
    assert sorted(index.names[i] for i in match.rows) == ["市桥象圣中学", "沙头中学", "钟村中学"]
    text, _, _ = answer_rows(match, index, question)
    assert "共有3所" in text
    # The count is given in the measure word the question uses.
    rooms = "这个一览表里，全区一共有几间公办初中提供初一学位？"
    assert "共有3间" in answer_rows(index.match(rooms) or match, index, rooms)[0]
    # The total row sums what a column holds: a count of that is its total.
    for total in ("全区一共有多少个学位？", "公办初中一共提供多少学位？"):
        match = index.match(total)
        assert match is not None and match.kind == "total", (total, match)
        assert "50" in answer_rows(match, index, total)[0]

"""A number in a table row is read with the unit its column's name gives ("拟招生班数 | 7"
answers 几个班, not 多少分), and the answer leads with the row's cells named by the header:
real code, on a made-up table and on a real bureau's spreadsheet read by the real loader."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from assistant.answering.base import AnswerContext
from assistant.answering.extractive import ExtractiveAnswerer
from assistant.documents.manifest import DocumentMeta
from assistant.documents.pipeline import prepare_document
from assistant.grammar.table_rows import cells, header_of, unit_note, with_units
from assistant.question.cite import Citation
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import filling_passage, slot_of

REPO = Path(__file__).resolve().parents[1]
TABLES = Path(os.environ.get("ASSISTANT_SOURCES_NEW", REPO.parent / "shared" / "sources_new")) / "tables"

PLAN = (
    "附件5\n"
    "辖区 | 学校 | 拟招生班数 | 拟招生服务地段及条件 | 备注\n"
    "西片 | 钟村中心小学 | 4 | 钟村墟镇原户籍居民适龄子女；钟四村户籍村民适龄子女。 |\n"
    "西片 | 钟村毓秀小学 | 7 | 祈福新村符合“人户一致”条件的业主适龄子女。 |\n"
    " | 市桥草河小学 | 2 | 草河村户籍村民适龄子女；水韵南湾小区业主适龄子女。 |"
)


def test_the_header_is_the_first_row_that_names_rather_than_counts() -> None:
    assert header_of(PLAN) == ["辖区", "学校", "拟招生班数", "拟招生服务地段及条件", "备注"]
    assert header_of("西片 | 钟村毓秀小学 | 7 | 祈福新村 |") == []  # a data row names nothing
    assert header_of("第一条 本办法自公布之日起施行。") == []
    assert cells(" | 市桥草河小学 | 2 | 草河村") == ["", "市桥草河小学", "2", "草河村"]


def test_a_bare_number_takes_its_columns_unit_and_a_labelled_one_its_labels() -> None:
    header = header_of(PLAN)

    def classes(name: str) -> str:
        return "个班" if "班" in name else ""

    assert (
        with_units("西片 | 钟村毓秀小学 | 7 | 祈福新村 |", header, classes)
        == "西片 | 钟村毓秀小学 | 7个班 | 祈福新村 | "
    )
    assert with_units("计划招生班数：6，每班45人。", [], classes) == "计划招生班数：6个班，每班45人。"
    # A number that carries its own unit, and a row wider than the header, are left alone.
    assert with_units("时间：7月3日", [], classes) == "时间：7月3日"
    assert with_units("a | b | c | d | e | 7", header, classes) == "a | b | c | d | e | 7"


def test_a_count_of_classes_is_not_read_from_a_class_size() -> None:
    question = "实验小学一年级计划招几个班？"
    slot = slot_of(question)
    assert slot.filled_by("一年级每班人数：45", question) is None  # 45 pupils a class
    assert slot.filled_by("一年级招生班数：6", question) is not None


@pytest.mark.parametrize(
    ("question", "stated"),
    [
        ("祈福新村的业主，孩子对口的钟村毓秀小学计划招几个班？", True),
        ("市桥草河小学2015年积分入学的录取分数线是多少分？", False),  # 2 is a count of classes
        ("钟村毓秀小学一年级每个班招多少人？", False),  # so is 7: no count of pupils
    ],
)
def test_a_table_states_the_value_its_column_names(question: str, stated: bool) -> None:
    assert (filling_passage(slot_of(question), question, [PLAN]) == 0) is stated


def test_a_tables_unit_note_in_its_heading_path_reads_its_numbers() -> None:
    # Districts and their pupils side by side, the unit in the caption above the table.
    quota = "鼓楼 | 9580 | 台江 | 4170 | 仓山 | 13400\n福清 | 20600 | 闽侯 | 7800 | 闽清 | 3300"
    section = "附件1 > 福州市2016年小学招生计划 > （单位：人）"
    people, fee = "福清的小学招生计划是多少人？", "福清的小学学费是多少钱？"
    assert filling_passage(slot_of(people), people, [quota], [section]) == 0
    assert filling_passage(slot_of(people), people, [quota]) is None  # no note, no unit
    assert filling_passage(slot_of(fee), fee, [quota], [section]) is None  # 人 is no 元
    assert unit_note("（单位：万元）") == "万元" and unit_note("学位安排") == ""


def test_a_real_spreadsheets_row_answers_with_its_cells_named_by_the_header() -> None:
    path = TABLES / "panyu_2015_migrant_children_school_places.xls"
    assert path.is_file(), f"the real table {path} is missing (shared/ must sit beside the repository)"
    meta = DocumentMeta(path.stem, path, path.stem, path.stem, "", "2015", "historical")
    chunks = prepare_document(meta).chunks
    chunk = next(c for c in chunks if "| 富豪山庄小学 |" in c.text)
    question = "番禺区2015年富豪山庄小学给外来务工人员子女提供多少个学位？"
    citation = Citation(
        1,
        chunk.doc_id,
        chunk.title,
        "",
        "2015",
        "current",
        chunk.section,
        chunk.text,
        chunk.text,
        1.0,
        chunk.id,
    )
    lexical = LexicalIndex([c.id for c in chunks], [c.text for c in chunks])
    slot = slot_of(question)
    assert filling_passage(slot, question, [chunk.text]) == 0
    context = AnswerContext(question, question, "hans", [citation], slot=slot, lexical=lexical)
    answer = ExtractiveAnswerer().answer(context)
    lead = answer.splitlines()[0]
    assert lead.startswith(
        "辖区：市桥街东环街沙头街桥南街(市桥城区教育指导中心)；学校：富豪山庄小学；学位：12"
    ), answer
    # Without the header the same row states no count of seats.
    assert not slot.filled_by("市桥街东环街沙头街桥南街(市桥城区教育指导中心) | 富豪山庄小学 | 12", question)


def test_a_which_school_question_on_a_table_leads_with_the_row_named_by_the_header() -> None:
    question = "孩子户口在钟四村，上小学去哪所学校？"
    slot = slot_of(question)
    assert slot.kind == "named"
    citation = Citation(1, "plan", "招生计划", "", "2015", "current", "附件5", PLAN, PLAN, 1.0, "c1")
    lexical = LexicalIndex(["c1"], [PLAN])
    context = AnswerContext(question, question, "hans", [citation], slot=slot, lexical=lexical)
    lead = ExtractiveAnswerer().answer(context).splitlines()[0]
    assert lead.startswith("辖区：西片；学校：钟村中心小学"), lead


def test_a_rows_bare_number_leads_with_the_unit_its_column_names() -> None:
    question = "祈福新村的业主，孩子对口的钟村毓秀小学计划招几个班？"
    citation = Citation(1, "plan", "招生计划", "", "2015", "current", "附件5", PLAN, PLAN, 1.0, "plan:0001:x")
    lexical = LexicalIndex(["plan:0001:x"], [PLAN])
    context = AnswerContext(question, question, "hans", [citation], slot=slot_of(question), lexical=lexical)
    lead = ExtractiveAnswerer().answer(context).splitlines()[0]
    assert lead.startswith("辖区：西片；学校：钟村毓秀小学；拟招生班数：7个班"), lead

"""The plan's hierarchy, statutes by article, outlines of official texts, and chunking."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from assistant.documents.chunking import MAX_CHUNK_CHARS, chunk_sections
from assistant.documents.manifest import read_manifest
from assistant.documents.pipeline import prepare_document
from assistant.documents.structure import GOAL_LABEL, TASKS_LABEL, parse_sections

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
METAS = {m.doc_id: m for m in read_manifest(KNOWLEDGE)}


@pytest.fixture(scope="module")
def plan_chunks() -> list:
    return prepare_document(METAS["luohu-action-plan"]).chunks


def test_plan_actions_and_measures(plan_chunks: list) -> None:
    actions = Counter(c.section.split(" > ")[0] for c in plan_chunks if " > " in c.section)
    named_actions = {a: n for a, n in actions.items() if a.endswith("行动")}
    assert len(named_actions) == 18
    assert sum(named_actions.values()) == 62
    assert named_actions["教学改革创新行动"] == 7
    assert named_actions["学位建设攻坚行动"] == 4
    # The first task's two measures have their own headings, not "…行动".
    assert "武装教育战线 > 以习近平新时代中国特色社会主义思想武装教育战线" in {c.section for c in plan_chunks}
    assert sum(1 for c in plan_chunks if " > " in c.section) == 64  # one chunk per measure


def test_plan_goal_tasks_and_implementation(plan_chunks: list) -> None:
    by_section = {c.section: c.text for c in plan_chunks}
    assert by_section[GOAL_LABEL].startswith("到2023年,基本形成幼有善育、学有优教")
    tasks = by_section[TASKS_LABEL].rstrip("。").split("；")
    assert tasks == [
        "加强党对教育工作的全面领导",
        "落实全面育人,提升综合素质",
        "深化课堂变革,提升教学质量",
        "激发校园活力,提高办学水平",
        "加强师资建设,提高育人水平",
        "强化资源支撑,推进创新发展",
    ]
    assert by_section["组织领导"] == "成立领导小组 设立领导小组办公室 组建行动小组"
    assert by_section["运行机制"] == "建立主体责任机制 建立专家会商机制 启动奖惩问责机制"
    assert by_section["实施要求"] == "统一思想认识 完善工作机制 落实推进措施 做好总结宣传"
    assert len(plan_chunks) == 69


def test_measure_chunk_carries_metadata_and_path(plan_chunks: list) -> None:
    chunk = next(c for c in plan_chunks if c.section == "学位建设攻坚行动 > 保障义务教育学位供给")
    assert "新增公办义务教育学位3.3万座" in chunk.text
    assert chunk.doc_id == "luohu-action-plan"
    assert chunk.status == "current"
    assert chunk.issuer == "深圳市罗湖区人民政府"
    assert chunk.embed_text.startswith(
        "罗湖区基础教育高质量发展行动方案（2021—2023年） > 学位建设攻坚行动 > 保障义务教育学位供给\n"
    )
    meta = chunk.metadata()
    assert set(meta) == {
        "doc_id",
        "title",
        "issuer",
        "date",
        "status",
        "section",
        "position",
        "doc_number",
        "valid_until",
        "status_reason",
    }


def test_statute_split_by_chapter_and_article() -> None:
    chunks = prepare_document(METAS["compulsory-education-law-2018"]).chunks
    articles = [c for c in chunks if c.section.split(" > ")[-1].startswith("第") and c.section.endswith("条")]
    assert len(articles) == 63
    second = next(c for c in chunks if c.section == "第一章 总则 > 第二条")
    assert second.text.startswith("第二条 国家实行九年义务教育制度。")
    assert "义务教育是国家统一实施的所有适龄儿童、少年必须接受的教育" in second.text  # later paragraph kept
    last = next(c for c in chunks if c.section == "第八章 附则 > 第六十三条")
    assert last.text == "第六十三条 本法自2006年9月1日起施行。"


def test_official_outline_headings() -> None:
    chunks = prepare_document(METAS["labor-education-opinion-2020"]).chunks
    sections = {c.section for c in chunks}
    assert "一、充分认识新时代培养社会主义建设者和接班人对加强劳动教育的新要求 > （一）重大意义" in sections
    weekly = next(c for c in chunks if "每周不少于1课时" in c.text)
    assert weekly.section.endswith("（六）设置劳动教育课程")


def test_historical_status_from_manifest() -> None:
    chunks = prepare_document(METAS["luohu-primary1-admission-2016"]).chunks
    assert {c.status for c in chunks} == {"historical"}
    assert all(c.date == "2016-03-15" for c in chunks)


def test_long_sections_are_split_on_sentences() -> None:
    meta = METAS["luohu-action-plan"]
    long_text = "。".join(f"第{i}项工作要按期完成并接受督导检查" for i in range(80)) + "。"
    from assistant.documents.structure import Section

    chunks = chunk_sections(meta, [Section(("测试",), long_text)])
    assert len(chunks) > 1
    assert all(len(c.text) <= MAX_CHUNK_CHARS for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)


def test_parse_sections_generic_markdown() -> None:
    sections = parse_sections(
        "# 某条例\n\n## 第一章 总 则\n\n第一条 为了规范管理，制定本条例。\n\n第二条 本条例适用于本市。",
        title="某条例",
    )
    assert [s.path for s in sections] == [("第一章 总则", "第一条"), ("第一章 总则", "第二条")]


def test_a_list_item_read_as_a_heading_goes_back_into_the_list() -> None:
    # "（2）…的：" looks like a heading (numbered, no full stop); with nothing under it and a
    # sibling item that is a sentence after it, it is an item of the list.
    text = (
        "二、学位申请方法\n\n"
        "下列情况之一者，学校不予受理学位申请：\n"
        "（1）申请材料不齐或虚假的；\n"
        "（2）非本市义务教育阶段小学新生招生对象的：\n"
        "（3）家长提供的证件内容和网上预报名填报的信息不一致的；\n"
        "（4）申请学位的住房材料地址不在招生地段范围内；"
    )
    sections = parse_sections(text)
    assert [s.path for s in sections] == [("二、学位申请方法",)]
    lines = sections[0].text.split("\n")
    assert [line[:3] for line in lines[1:]] == ["（1）", "（2）", "（3）", "（4）"]
    # A titled item that opens a list of its own is still a heading.
    titled = parse_sections("（一）加强领导。各街道要成立工作小组。\n（二）明确责任。各学校要落实责任。")
    assert [s.path for s in titled] == [("（一）加强领导",), ("（二）明确责任",)]

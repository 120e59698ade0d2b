"""Retrieval quality over the real knowledge base with the real embedding model.

Questions written for this file from the plan and the other documents (not taken from the
dev evaluation set): exact figures, paraphrases, Traditional Chinese, English, colloquial
wording and follow-ups with history. Each must put the passage that answers it in the top
three citations of `Assistant.ask(...).to_json()`, and must not be refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from assistant.chain import Assistant

pytestmark = pytest.mark.model

PLAN = "luohu-action-plan"
TOP = 3


@dataclass(frozen=True)
class Case:
    id: str
    question: str
    sections: tuple[str, ...]  # any of these in a top-3 citation's section counts
    doc_id: str = PLAN
    history: list[tuple[str, str]] = field(default_factory=list)
    figure: str = ""  # a figure the answer itself must carry


CASES = [
    # exact figures
    Case("figure-1200", "深圳市第十九高级中学新增多少学位？", ("提升优质高中学位供给",), figure="1200"),
    Case(
        "figure-34", "十四五期间要新改扩建多少所公办义务教育学校？", ("保障义务教育学位供给",), figure="34所"
    ),
    Case("figure-60", "领鹰计划里雄鹰计划要培养多少名校长？", ("提升校长专业能力",), figure="60名"),
    Case("figure-5-8", "品牌特色学校要打造几所？", ("深化学校特色创建",), figure="5-8所"),
    # paraphrase
    Case("para-ethics", "老师的师德在考核里排第几位？", ("完善教师考评体系",)),
    Case("para-researchers", "教研员要不要定期到中小学任教？", ("加强教研队伍建设",)),
    Case(
        "para-preschool-exam",
        "普惠性幼儿园招生要不要考试？",
        ("第五十四条",),
        doc_id="shenzhen-preschool-regulations-2022",
    ),
    # Traditional Chinese
    Case("hant-art", "每個學生至少要掌握幾項藝術技能？", ("提高学生艺术素养",)),
    Case("hant-pe", "義務教育階段學校每天安排幾節體育與健康課？", ("提高学生健康素质",)),
    # English
    Case(
        "en-kindergarten",
        "How many new kindergarten places will Luohu add during the 14th Five-Year Plan?",
        ("增加学前教育学位供给",),
    ),
    Case("en-teachers", "What is the first criterion for evaluating teachers?", ("完善教师考评体系",)),
    Case(
        "en-hk-school",
        "Will Luohu set up a school for children of Hong Kong residents?",
        ("保障义务教育学位供给",),
    ),
    # colloquial
    Case("colloquial-homework", "娃作业太多了怎么办", ("全面推进作业创新",)),
    Case("colloquial-psychology", "孩子有心理问题学校能帮忙吗？", ("加强心理健康教育",)),
    # follow-ups
    Case(
        "followup-stage",
        "那高中呢？",
        ("提升优质高中学位供给",),
        history=[("义务教育学位十四五期间新增多少？", "新增公办义务教育学位3.3万座。")],
    ),
    Case(
        "followup-pronoun",
        "它要新增多少学位？",
        ("提升优质高中学位供给",),
        history=[("深圳市第十九高级中学是什么工程？", "新建工程。")],
        figure="1200",
    ),
    Case(
        "followup-subject",
        "那劳动教育呢？",
        ("创新落实劳动教育", "设置劳动教育课程"),
        doc_id="",  # the plan's measure or the national opinion's course requirement
        history=[("义务教育阶段学校每天安排几节体育课？", "每天1节体育与健康课。")],
    ),
]


def _hit(result: dict[str, Any], case: Case) -> int | None:
    for rank, c in enumerate(result["citations"][:TOP]):
        if (not case.doc_id or c["doc_id"] == case.doc_id) and any(s in c["section"] for s in case.sections):
            return rank
    return None


def _describe(result: dict[str, Any]) -> str:
    top = [f"{c['number']}:{c['doc_id']}|{c['section']}" for c in result["citations"][:5]]
    return (
        f"standalone={result['standalone_question']!r} refused={result['refused']} "
        f"reason={result['refusal_reason']!r} top={top}"
    )


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_expected_passage_in_top_three_and_answered(real_assistant: Assistant, case: Case) -> None:
    result = real_assistant.ask(case.question, case.history).to_json()
    assert _hit(result, case) is not None, _describe(result)
    assert result["refused"] is False, _describe(result)
    assert "[" in result["answer"]
    if case.figure:
        assert case.figure in result["answer"], result["answer"]


def test_follow_up_standalone_questions(real_assistant: Assistant) -> None:
    stage = real_assistant.ask("那高中呢？", [("义务教育学位十四五期间新增多少？", "3.3万座。")])
    assert "高中" in stage.standalone and "义务教育" not in stage.standalone
    pronoun = real_assistant.ask("它要新增多少学位？", [("深圳市第十九高级中学是什么工程？", "新建工程。")])
    assert "深圳市第十九高级中学" in pronoun.standalone


def test_traditional_and_simplified_retrieve_the_same_passage(real_assistant: Assistant) -> None:
    hant = real_assistant.ask("每個學生至少要掌握幾項藝術技能？").to_json()
    hans = real_assistant.ask("每个学生至少要掌握几项艺术技能？").to_json()
    assert [c["chunk_id"] for c in hant["citations"]] == [c["chunk_id"] for c in hans["citations"]]

"""The eval metrics on a hand-made fixture with a fake ask function (no model)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from assistant.evaluation.run import Metrics, evaluate, facts_present, format_table, gold_rank, load_items


def _cite(*texts: str) -> list[dict[str, Any]]:
    return [
        {"doc_id": "plan", "title": "方案", "section": f"s{i}", "text": t, "score": 1.0 - i / 10, "number": i}
        for i, t in enumerate(texts, start=1)
    ]


FILLER = "无关的内容。"

ITEMS: list[dict[str, Any]] = [
    # a: gold at rank 0, fact present
    {
        "id": "a",
        "question": "深圳市第十九高级中学新增多少学位？",
        "gold": ["新增学位1200座"],
        "facts": [["1200"]],
        "refuse": False,
    },
    # b: gold at rank 2, written with "," where the passage has "，"; fact missing from the answer
    {
        "id": "b",
        "question": "十四五期间新改扩建多少所学校？",
        "gold": ["新改扩建公办义务教育学校34所,新增公办义务教育学位3.3万座"],
        "facts": [["34所"], ["3.3万"]],
        "refuse": False,
    },
    # c: answerable but the system refused it and retrieved nothing useful
    {"id": "c", "question": "娃作业太多了怎么办", "gold": ["全面推进作业创新"], "facts": [], "refuse": False},
    # d: gold at rank 4 (in top 5, not top 3), fact present in Traditional script
    {
        "id": "d",
        "question": "學生每天有幾節體育課？",
        "gold": ["每天1节体育与健康课"],
        "facts": [["每天1節", "每天一节"]],
        "refuse": False,
        "history": [["上一个问题", "上一个回答"]],
    },
    # e: to refuse, refused
    {"id": "e", "question": "今天深圳天气怎么样？", "refuse": True},
    # f: to refuse, answered
    {"id": "f", "question": "罗湖区教育局局长叫什么名字？", "refuse": True},
]

RESULTS: dict[str, dict[str, Any]] = {
    "a": {
        "answer": "加快深圳市第十九高级中学新建工程，新增学位1200座。 [1]",
        "refused": False,
        "citations": _cite("加快深圳市第十九高级中学新建工程,新增学位1200座。", FILLER),
    },
    "b": {
        "answer": "新增公办义务教育学位3.3万座 [3]",
        "refused": False,
        "citations": _cite(
            FILLER, FILLER, "“十四五”期间新改扩建公办义务教育学校34所，新增公办义务教育学位3.3万座。"
        ),
    },
    "c": {"answer": "抱歉……", "refused": True, "citations": _cite(FILLER, FILLER, FILLER)},
    "d": {
        "answer": "義務教育階段學校設置每天1節體育與健康課。 [5]",
        "refused": False,
        "citations": _cite(FILLER, FILLER, FILLER, FILLER, "义务教育阶段学校设置每天1节体育与健康课。"),
    },
    "e": {"answer": "抱歉……", "refused": True, "citations": []},
    "f": {"answer": "某某某", "refused": False, "citations": _cite(FILLER)},
}


class FakeAsk:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[tuple[str, str]]]] = []
        self._by_question = {item["question"]: item["id"] for item in ITEMS}

    def __call__(self, question: str, history: list[tuple[str, str]]) -> dict[str, Any]:
        self.calls.append((question, history))
        item_id = self._by_question[question]
        return {"question": question, "standalone_question": question, **RESULTS[item_id]}


@pytest.fixture
def metrics() -> Metrics:
    return evaluate(ITEMS, FakeAsk(), "fake")


def test_hit_at_k(metrics: Metrics) -> None:
    assert metrics.ranks == [0, 2, None, 4]  # answerable items only
    assert metrics.hit_at(1) == pytest.approx(1 / 4)
    assert metrics.hit_at(3) == pytest.approx(2 / 4)
    assert metrics.hit_at(5) == pytest.approx(3 / 4)


def test_mrr(metrics: Metrics) -> None:
    assert metrics.mrr == pytest.approx((1 + 1 / 3 + 0 + 1 / 5) / 4)


def test_fact_recall(metrics: Metrics) -> None:
    # a: yes; b: "34所" missing; c: refused (never a fact hit); d: Traditional answer matches
    assert metrics.fact_hits == [True, False, False, True]
    assert metrics.fact_recall == pytest.approx(0.5)


def test_refusal_precision_and_recall(metrics: Metrics) -> None:
    assert metrics.refuse_pred == [False, False, True, False, True, False]
    assert metrics.refuse_gold == [False, False, False, False, True, True]
    precision, recall = metrics.refusal()
    assert precision == pytest.approx(1 / 2)  # c was a false refusal
    assert recall == pytest.approx(1 / 2)  # f was not refused


def test_row_and_table(metrics: Metrics) -> None:
    row = metrics.row()
    assert list(row) == [
        "hit@1",
        "hit@3",
        "hit@5",
        "MRR",
        "fact recall",
        "refusal P",
        "refusal R",
        "p50 ms",
        "p95 ms",
    ]
    assert row["hit@3"] == pytest.approx(0.5)
    assert len(metrics.latencies) == len(ITEMS)
    table = format_table([metrics])
    lines = table.splitlines()
    assert lines[0].startswith("| system | hit@1 | hit@3 | hit@5 | MRR |")
    assert lines[2].startswith("| fake | 0.250 | 0.500 | 0.750 | 0.383 | 0.500 | 0.500 | 0.500 |")


def test_history_is_passed_as_tuples() -> None:
    ask = FakeAsk()
    evaluate(ITEMS, ask, "fake")
    assert [q for q, _ in ask.calls] == [item["question"] for item in ITEMS]
    assert ask.calls[3][1] == [("上一个问题", "上一个回答")]
    assert ask.calls[0][1] == []


def test_no_refusals_at_all_counts_as_perfect() -> None:
    m = Metrics("empty")
    assert m.refusal() == (1.0, 1.0)
    assert m.hit_at(1) == 0.0 and m.mrr == 0.0 and m.latency(0.5) == 0.0


# --- gold_rank -------------------------------------------------------------------------


def test_gold_rank_folds_punctuation() -> None:
    passages = ["无关。", "开展教学设计评比活动，提高教师教学设计质量。"]
    assert gold_rank(["开展教学设计评比活动,提高教师教学设计质量"], passages) == 1
    assert gold_rank(["开展教学设计评比活动，提高教师教学设计质量"], passages) == 1
    # and the other way round: the passage has the half-width comma
    assert gold_rank(["评比活动，提高"], ["评比活动,提高教师"]) == 0


def test_gold_rank_any_gold_first_passage_wins() -> None:
    passages = ["甲乙丙", "丁戊己", "甲乙丙丁"]
    assert gold_rank(["丁戊", "甲乙"], passages) == 0
    assert gold_rank(["丙丁"], passages) == 2
    assert gold_rank(["庚辛"], passages) is None
    assert gold_rank([], passages) is None
    assert gold_rank([""], passages) is None  # an empty gold string never matches


def test_gold_rank_keeps_decimals() -> None:
    assert gold_rank(["0.8万座学位"], ["新增23所幼儿园和0.8万座学位。"]) == 0


# --- facts_present ---------------------------------------------------------------------


def test_facts_present_with_traditional_alternatives() -> None:
    assert facts_present([["體育與健康課"]], "义务教育阶段学校设置每天1节体育与健康课。")
    assert facts_present([["体育与健康课"]], "義務教育階段學校設置每天1節體育與健康課。")
    assert facts_present([["每天两节", "每天1節"]], "每天1节体育与健康课")


def test_facts_present_needs_every_group() -> None:
    answer = "新改扩建公办义务教育学校34所，新增公办义务教育学位3.3万座。"
    assert facts_present([["34所"], ["3.3万", "三万三千"]], answer)
    assert not facts_present([["34所"], ["2.5万"]], answer)
    assert facts_present([], answer)


def test_facts_present_is_case_and_punctuation_insensitive() -> None:
    assert facts_present([["steam"]], "落实STEAM科技教育理念")
    assert facts_present([["唯考试,唯分数"]], "坚决扭转唯考试、唯分数、唯升学的评价导向".replace("、", "，"))


# --- --out ------------------------------------------------------------------------------


def test_out_file_has_one_line_per_item_with_id_and_result_fields(tmp_path: Path) -> None:
    out = tmp_path / "results.jsonl"
    evaluate(ITEMS, FakeAsk(), "fake", out=out)
    lines = out.read_text(encoding="utf-8").splitlines()
    assert len(lines) == len(ITEMS)
    rows = [json.loads(line) for line in lines]
    assert [r["id"] for r in rows] == [item["id"] for item in ITEMS]
    for row, item in zip(rows, ITEMS, strict=True):
        expected = RESULTS[item["id"]]
        assert row["question"] == item["question"]
        assert row["answer"] == expected["answer"]
        assert row["refused"] == expected["refused"]
        assert row["citations"] == expected["citations"]
        assert row["standalone_question"] == item["question"]
    assert "1200" in lines[0]  # written as UTF-8 text, not \\u escapes
    assert "深圳市第十九高级中学" in lines[0]


def test_load_items_skips_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "set.jsonl"
    path.write_text(
        "\n".join(json.dumps(i, ensure_ascii=False) for i in ITEMS[:2]) + "\n\n", encoding="utf-8"
    )
    assert load_items(path) == ITEMS[:2]

"""Answers by meaning: the sentence closest to the question leads (sentence vectors of the
real model), a list comes with its items, a yes/no verdict comes from the modal verb of
the asked action, and answer/refuse comes from the fitted decision model."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest

from assistant.answering.base import AnswerContext
from assistant.answering.extractive import (
    ExtractiveAnswerer,
    asked_action,
    governs,
    rank_sentences,
)
from assistant.answering.quote import LIST_MAX, list_items
from assistant.chain import Assistant
from assistant.evaluation import fit_decision
from assistant.question.cite import Citation
from assistant.question.continuation import following_texts
from assistant.question.decide import FEATURES, answer_probability, decision_features
from assistant.question.lexical import LexicalIndex
from assistant.question.retrieve import Passage
from assistant.question.slots import fact_verdict, slot_of
from assistant.question.snapshot import SearchSnapshot, StoredChunk
from assistant.question.terms import search_tokens

# --- lists ------------------------------------------------------------------------------

ANNOUNCED = (
    "第八十条 幼儿园教师有下列情形之一的，由所在幼儿园给予处分；",
    "构成犯罪的，依法追究刑事责任：",
    "（一）体罚或者变相体罚儿童；",
    "（二）歧视、侮辱、恐吓儿童；",
    "（三）其他损害儿童身心健康的行为。",
    "第八十一条 另一条的内容。",
)


def test_a_list_comes_with_every_item_up_to_its_end() -> None:
    items = list_items(ANNOUNCED, 0)
    assert items == list(ANNOUNCED[1:5])  # the rest of the announcement, then (一)…(三)
    assert list_items(ANNOUNCED, 5) == []  # a sentence that announces nothing


def test_a_list_longer_than_the_limit_names_every_item_cut_short() -> None:
    long = ("有以下情形的：", *(f"{i}. {'很长的条目内容' * 20}；" for i in range(1, 9)))
    items = list_items(long, 0)
    assert len(items) == 8 and all(
        i.endswith("……") and long[n + 1].startswith(i[:-2]) for n, i in enumerate(items)
    )
    assert sum(map(len, (long[0], *items))) <= LIST_MAX


def test_a_list_too_long_to_name_every_item_ends_with_an_ellipsis() -> None:
    long = ("有以下情形的：", *(f"{i}. {'很长的条目内容' * 20}；" for i in range(1, 80)))
    items = list_items(long, 0)
    assert items[-1] == "……" and 1 <= len(items) - 1 < 79


# A list announced at the end of one chunk, its items in the next chunks of the document.
SPLIT = {
    "guide:0007:aaa": ("三、申请材料", "申请人应向学校交验如下证明材料原件："),
    "guide:0008:bbb": ("三、申请材料 > （1）户籍证明", "（1）户籍证明材料：儿童出生证、全家户口本。"),
    "guide:0009:ccc": ("三、申请材料 > （2）住址证明", "（2）住址证明材料：房产证或租赁合同。"),
    "guide:0010:ddd": ("四、学位安排", "学位按类别安排。"),
    "other:0008:eee": ("三、申请材料", "（1）别的文件的条目。"),
}


class _Chunks:
    def fetch(self, ids: list[str]) -> dict[str, StoredChunk]:
        return {
            cid: StoredChunk(cid, SPLIT[cid][1], {"section": SPLIT[cid][0]}) for cid in ids if cid in SPLIT
        }


def _split_snapshot() -> SearchSnapshot:
    return SearchSnapshot("c", _Chunks(), LexicalIndex(list(SPLIT), [t for _, t in SPLIT.values()]))  # type: ignore[arg-type]


def test_the_chunks_after_a_chunk_are_its_documents_next_ones_in_its_section() -> None:
    following = following_texts(_split_snapshot())
    assert following("guide:0007:aaa", "三、申请材料") == [
        SPLIT["guide:0008:bbb"][1],
        SPLIT["guide:0009:ccc"][1],
    ]
    assert following("guide:0009:ccc", "三、申请材料 > （2）住址证明") == []  # the next is another section


def test_a_list_announced_at_a_chunks_end_brings_its_items_from_the_next_chunks() -> None:
    question = "申请学位要交验哪些证明材料？"
    text = SPLIT["guide:0007:aaa"][1]
    citation = Citation(
        1, "guide", "指南", "", "2016", "current", "三、申请材料", text, text, 1.0, "guide:0007:aaa"
    )
    lexical = LexicalIndex(list(SPLIT), [t for _, t in SPLIT.values()])
    context = AnswerContext(question, question, "hans", [citation], slot=slot_of(question), lexical=lexical)
    alone = ExtractiveAnswerer().answer(context)
    assert "户籍证明材料" not in alone  # without the next chunks the list stops at the colon
    answer = ExtractiveAnswerer().answer(
        AnswerContext(**{**context.__dict__, "following": following_texts(_split_snapshot())})
    )
    lines = answer.splitlines()
    assert lines[0] == text
    assert lines[1].startswith("（1）户籍证明材料") and lines[2].startswith("（2）住址证明材料"), answer
    assert "学位按类别安排" not in answer and "别的文件" not in answer


# --- yes/no: the modal verb of the asked action ------------------------------------------


def test_a_modal_about_another_action_gives_no_verdict() -> None:
    question = "我家娃明年上小学，罗湖学位够不够啊，要新建学校吗"
    action = asked_action(question, slot_of(question))
    assert "新建" in action and "学校" in action
    assert not governs("应由出租人（业主）签署《申请学位业主知情书》交申请学校", action)
    assert governs("应当新建学校以满足学位需求", action)


def test_the_modal_before_the_asked_action_counts() -> None:
    question = "普惠性幼儿园招生要不要考试？"
    action = asked_action(question, slot_of(question))
    assert governs("幼儿园招生不得组织任何形式的考试或者测试", action)
    assert not governs("考试结束后，家长可以查询", action)


def test_a_question_about_a_fact_is_answered_yes_or_no_only_by_the_whole_asked_action() -> None:
    def verdict(question: str, sentence: str) -> str:
        slot = slot_of(question)
        return fact_verdict(question, slot, sentence, asked_action(question, slot))

    asked = "学院是否实施双选认证制度？"
    assert verdict(asked, "同时，学校鼓励学生跨专业选修课程，实施双选认证制度。") == "是。"
    assert verdict(asked, "学院暂不实施双选认证制度。") == "否。"
    assert verdict(asked, "学院实施学分制度。") == ""  # not the whole action
    # Another negation in the sentence leaves the answer to the quote.
    assert verdict("学校是否组织集体补课？", "学校并非每学期都组织集体补课。") == ""
    assert verdict("会不会开设舞蹈课？", "学校开设舞蹈课和戏剧课。") == "会。"
    # Need and permission are the modal's to answer (yes_no), not this.
    assert verdict("幼儿园是否可以收取赞助费？", "幼儿园收取赞助费的，责令退还。") == ""


# --- sentence ranking ------------------------------------------------------------------


def _citation(number: int, text: str, dense: dict[str, float]) -> Citation:
    return Citation(
        number, "d", "文件", "", "2021", "current", f"s{number}", text, "", 1.0, f"c{number}",
        sentence_dense=tuple(dense.items()),
    )  # fmt: skip


def test_the_sentence_closest_in_meaning_leads_even_with_fewer_keywords() -> None:
    question = "孩子作业太多了，学校有规定吗？"
    near, far = "严控书面作业总量，作业限时、限量。", "学校作业管理应当纳入教学常规，规定作业的检查办法。"
    citations = [_citation(1, far + near, {far: 0.40, near: 0.75})]
    ranked = rank_sentences(
        citations, question, slot_of(question), search_tokens(question), LexicalIndex([], [])
    )
    assert ranked[0].sentence == near


# --- the fitted decision ---------------------------------------------------------------


def test_the_decision_model_reads_every_feature_it_was_fitted_on() -> None:
    passage = Passage("c1", "学位建设：新增学位3.3万座。", {"doc_id": "d", "status": "current"}, score=2.0)
    passage.dense = 0.7
    passage.sentence_dense = {"学位建设：新增学位3.3万座。": 0.8}
    features = decision_features("罗湖新增多少学位？", [passage], LexicalIndex([], []))
    assert set(FEATURES) <= set(features)
    strong = answer_probability(features)
    weak = answer_probability({**features, "sentence_dense": 0.2, "passage_dense": 0.2, "coverage": 0.0})
    assert 0.0 < weak < strong < 1.0


def test_the_subject_feature_says_whether_the_best_passages_name_the_asked_subject() -> None:
    passage = Passage("c1", "翠竹小学新增学位600座。", {"doc_id": "d", "title": "学位建设方案"}, score=2.0)
    lexical = LexicalIndex(["c1"], ["翠竹小学新增学位600座。"])
    named = decision_features("翠竹小学新增多少学位？", [passage], lexical)
    other = decision_features("红岭中学新增多少学位？", [passage], lexical)
    unnamed = decision_features("罗湖新增多少学位？", [passage], lexical)
    assert (named["subject_missing"], other["subject_missing"], unnamed["subject_missing"]) == (0.0, 1.0, 0.0)


def test_fit_command_cross_validates_and_writes_the_coefficients(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rows: list[dict[str, Any]] = []
    for i in range(40):
        answer = i % 4 != 0
        base = 0.7 if answer else 0.35
        features = {name: base + (i % 7) / 100 for name in fit_decision.FIT_FEATURES}
        rows.append({"id": str(i), "question": f"问{i}", "answer": answer, "features": features})
    data = tmp_path / "features.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    written = tmp_path / "decision.toml"
    monkeypatch.setattr(fit_decision, "DECISION_FILE", written)
    assert fit_decision.main(["fit", str(data), "--write"]) == 0
    out = capsys.readouterr().out
    assert "| answer | 1.000 | 1.000 | 30 |" in out and "| not answer | 1.000 | 1.000 | 10 |" in out
    model = tomllib.loads(written.read_text(encoding="utf-8"))
    assert list(model["features"]) == list(fit_decision.FIT_FEATURES)
    assert model["features"]["sentence_dense"]["coef"] > 0  # more similar, more likely answered


def test_compare_reports_cross_validated_errors_per_part_for_each_candidate_model(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    names = (*fit_decision.FIT_FEATURES, *fit_decision.CANDIDATE_FEATURES)
    rows: list[dict[str, Any]] = []
    for i in range(40):
        answer = i % 4 != 0
        base = 0.7 if answer else 0.35
        # one unanswerable question of the confirming part looks answerable: let through
        if i == 4:
            base = 0.7
        features = {name: base + (i % 7) / 100 for name in names}
        part = "choose" if i % 2 == 0 and i != 4 else "confirm"
        rows.append(
            {"id": str(i), "question": f"问{i}", "answer": answer, "part": part, "features": features}
        )
    data = tmp_path / "features.jsonl"
    data.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    assert fit_decision.main(["compare", str(data)]) == 0
    lines = capsys.readouterr().out.splitlines()
    expected = 2 + len(fit_decision.CANDIDATE_FEATURES)  # base, each candidate, all together
    assert len(lines) == 2 + expected * len(fit_decision.CANDIDATE_C) * len(fit_decision.CANDIDATE_THRESHOLDS)
    assert "| base | 0.3 | 0.6 | 0 / 0 | 0 / 1 |" in lines
    assert any(line.startswith("| + subject_missing | ") for line in lines)


# --- the real assistant (real model) ---------------------------------------------------


@pytest.mark.model
def test_list_question_quotes_every_item(real_assistant: Assistant) -> None:
    result = real_assistant.ask("家庭教育促进法建议父母用哪些方式方法教育孩子？")
    assert not result.refused
    lines = result.answer.splitlines()
    assert any(line.startswith("（一）亲自养育") for line in lines), result.answer
    assert any(line.startswith("（九）") for line in lines), result.answer
    assert "严慈相济" in result.answer


@pytest.mark.model
def test_a_list_split_across_chunks_is_quoted_with_its_items(real_assistant: Assistant) -> None:
    # The 2016 guide announces its materials at the end of one chunk; each item is a chunk
    # of its own under a heading below it.
    result = real_assistant.ask("罗湖申请小一学位需要提交哪些证明材料？")
    lines = result.answer.splitlines()
    assert lines[0].endswith("如下证明材料原件（不用提交复印件）："), result.answer
    assert lines[1].startswith("（1）户籍证明材料"), result.answer


@pytest.mark.model
def test_a_modal_about_another_action_gives_a_parent_no_verdict(real_assistant: Assistant) -> None:
    # The best passages speak of 应由出租人签署… (who signs a form), not of building schools:
    # no 需要 / 不需要 may lead, whatever is quoted.
    result = real_assistant.ask("我家娃明年上小学，罗湖学位够不够啊，要新建学校吗")
    first = result.answer.splitlines()[0]
    assert not first.startswith(("需要", "不需要", "可以", "不可以")), result.answer

"""List-style questions are answered from the targets table, through the same ask path and
JSON contract, with every row cited."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.model


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("街道办负责什么？", "街道办"),
        ("2025年前要完成哪些目标？", "3.3万座"),
        ("有哪些每周的要求？", "每周"),
    ],
)
def test_list_question_answered_from_table_with_citations(
    real_assistant: object, question: str, expected: str
) -> None:
    result = real_assistant.ask(question).to_json()  # type: ignore[attr-defined]
    assert result["refused"] is False
    assert result["answer"].startswith("根据目标与时限表")
    assert expected in result["answer"]
    numbers = {c["number"] for c in result["citations"]}
    cited = {int(n) for n in re.findall(r"\[(\d+)\]", result["answer"])}
    assert cited and cited <= numbers
    for citation in result["citations"]:
        assert {"doc_id", "title", "section", "text", "score"} <= set(citation)
        assert citation["quote"][:20] in citation["text"]


def test_single_fact_question_still_goes_to_retrieval(real_assistant: object) -> None:
    result = real_assistant.ask("罗湖区要新增多少公办义务教育学位？").to_json()  # type: ignore[attr-defined]
    assert not result["answer"].startswith("根据目标与时限表")
    assert "3.3万" in result["answer"]


def test_table_is_built_only_for_list_style_questions() -> None:
    from assistant.targets.answers import answer_list_question

    calls: list[int] = []

    def load() -> list:
        calls.append(1)
        return []

    assert answer_list_question("罗湖区要新增多少公办义务教育学位？", load) is None
    assert calls == []
    assert answer_list_question("2025年前要完成哪些目标？", load) == []
    assert calls == [1]

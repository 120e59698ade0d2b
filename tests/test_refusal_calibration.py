"""The refusal decision on its calibration list (answerable and unanswerable questions kept
apart from the evaluation questions): the bar it was set to meet."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.model

CALIBRATION = Path(__file__).parent / "fixtures" / "refusal_calibration.jsonl"


def test_refusal_accuracy_on_calibration_list(real_assistant: object) -> None:
    items = [json.loads(line) for line in CALIBRATION.read_text(encoding="utf-8").splitlines() if line]
    wrong = [
        item["question"]
        for item in items
        if real_assistant.ask(item["question"]).refused != item["refuse"]  # type: ignore[attr-defined]
    ]
    accuracy = 1 - len(wrong) / len(items)
    assert accuracy >= 0.9, wrong
    answerable_refused = [q for q in wrong if not next(i for i in items if i["question"] == q)["refuse"]]
    assert len(answerable_refused) <= 2, answerable_refused

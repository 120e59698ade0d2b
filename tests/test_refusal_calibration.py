"""The refusal decision on its calibration list (answerable and unanswerable questions on
subjects no evaluation question asks about), part by part: the lines that chose the
decision's threshold and the lines kept out of every choice to confirm it."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from assistant.evaluation.calibration import refusal_by_part
from assistant.evaluation.halves import CHOOSE, CONFIRM, part_of

CALIBRATION = Path(__file__).parent / "fixtures" / "refusal_calibration.jsonl"
DEV_SETS = ("dev.jsonl", "dev2.jsonl", "dev_extra.jsonl")
SHARED = Path(os.environ.get("ASSISTANT_SHARED_DIR", Path(__file__).resolve().parents[2] / "shared"))


def _items(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def test_every_line_names_its_part_and_no_line_is_a_dev_question() -> None:
    items = _items(CALIBRATION)
    parts = [part_of(item, line) for line, item in enumerate(items)]
    assert all("part" in item for item in items)
    for part in (CHOOSE, CONFIRM):  # each part has questions to answer and to refuse
        assert {bool(i["refuse"]) for i, p in zip(items, parts, strict=True) if p == part} == {True, False}
    questions = [str(i["question"]) for i in items]
    assert len(set(questions)) == len(questions)
    # Subjects were compared by reading (docs/answers.md lists the lines dropped for it);
    # this keeps a dev question from coming back word for word.
    dev = {str(i["question"]) for name in DEV_SETS for i in _items(SHARED / "eval" / name)}
    assert len(dev) > 150 and not dev & set(questions)


def test_refusal_figures_are_counted_per_part() -> None:
    items = [
        {"question": "a", "refuse": False, "part": CHOOSE},
        {"question": "b", "refuse": True, "part": CHOOSE},
        {"question": "c", "refuse": False, "part": CONFIRM},
        {"question": "d", "refuse": True, "part": CONFIRM},
        {"question": "e", "refuse": True, "part": CONFIRM},
    ]
    figures = refusal_by_part(items, [False, True, True, True, False])
    assert figures[CHOOSE] == {
        "answerable": 1,
        "unanswerable": 1,
        "precision": 1.0,
        "recall": 1.0,
        "answerable_refused": 0,
    }
    assert figures[CONFIRM]["precision"] == 0.5 and figures[CONFIRM]["recall"] == 0.5
    assert figures[CONFIRM]["answerable_refused"] == 1


@pytest.mark.model
@pytest.mark.parametrize("part", [CHOOSE, CONFIRM])
def test_refusal_accuracy_on_each_part(real_assistant: object, part: str) -> None:
    """The bar the threshold was set to meet on the choosing part, met again on the
    confirming part: at least 90 % decided right, at most two answerable questions refused."""
    items = [i for line, i in enumerate(_items(CALIBRATION)) if part_of(i, line) == part]
    wrong = [
        item
        for item in items
        if real_assistant.ask(item["question"]).refused != item["refuse"]  # type: ignore[attr-defined]
    ]
    accuracy = 1 - len(wrong) / len(items)
    assert accuracy >= 0.9, wrong
    answerable_refused = [i["question"] for i in wrong if not i["refuse"]]
    assert len(answerable_refused) <= 2, answerable_refused

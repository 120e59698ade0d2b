"""Answers list-style questions ("2025年前要完成哪些目标？", "街道办负责什么？") from the
targets table, each row cited to the passage its sentence comes from."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistant.question.retrieve import Passage
from assistant.targets.model import Target

MAX_ROWS = 12


def _row_text(target: Target) -> str:
    parts = [target.what]
    amount = target.quantity.strip()
    if amount:
        parts.append(amount)
    when = "，".join(x for x in (target.deadline, target.recurrence) if x)
    if when:
        parts.append(f"（{when}）")
    if target.responsible:
        parts.append(f"责任主体：{'、'.join(target.responsible)}")
    return " ".join(parts)


def table_answer(
    rows: Sequence[Target], find: Callable[[Target], Passage | None]
) -> tuple[str, list[Passage]]:
    """The answer text and the cited passages (numbered in order of first use)."""
    passages: list[Passage] = []
    numbers: dict[str, int] = {}
    lines = [
        f"根据目标与时限表，共有 {len(rows)} 项相关内容"
        + ("（列出前 12 项）：" if len(rows) > MAX_ROWS else "：")
    ]
    for target in rows[:MAX_ROWS]:
        passage = find(target)
        ref = ""
        if passage is not None:
            if passage.id not in numbers:
                passages.append(passage)
                numbers[passage.id] = len(passages)
            ref = f" [{numbers[passage.id]}]"
        lines.append(f"- {_row_text(target)}{ref}")
    return "\n".join(lines), passages

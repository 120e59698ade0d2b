"""`python -m assistant.evaluation.halves QUESTIONS.jsonl ANSWERS.jsonl [...]`: the eval
figures of saved answers (`eval --out`) by half and by kind.

Even-numbered lines (0, 2, …) are the half that chooses a constant, odd ones the half that
confirms it, unless a line names its part (`"part": "choose"` or `"confirm"`, as the refusal
calibration list does): `part_of`, the one rule the fitted decision and its tests use too.
Each row gives hit@3, fact recall, answerable questions refused (false refusals) and
unanswerable questions refused or answered partially.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from assistant.evaluation.run import facts_present, gold_rank, load_items

CHOOSE = "choose"
CONFIRM = "confirm"


def part_of(item: dict[str, Any], line: int) -> str:
    """The half a question is in: the part its line names, else even lines choose and odd
    lines confirm."""
    part = item.get("part")
    if part is None:
        return CHOOSE if line % 2 == 0 else CONFIRM
    if part not in (CHOOSE, CONFIRM):
        raise ValueError(f"line {line}: part {part!r} is neither {CHOOSE!r} nor {CONFIRM!r}")
    return str(part)


@dataclass
class Row:
    name: str
    answerable: int = 0
    hits3: int = 0
    facts: int = 0
    false_refusals: int = 0
    unanswerable: int = 0
    refused_or_partial: int = 0

    def add(self, item: dict[str, Any], result: dict[str, Any]) -> None:
        if item.get("refuse"):
            self.unanswerable += 1
            self.refused_or_partial += bool(result["refused"])
            return
        self.answerable += 1
        rank = gold_rank(item.get("gold", []), [c["text"] for c in result["citations"]])
        self.hits3 += rank is not None and rank < 3
        self.false_refusals += bool(result["refused"])
        self.facts += not result["refused"] and facts_present(item.get("facts", []), result["answer"])

    def cells(self) -> list[str]:
        n = self.answerable or 1
        return [
            self.name,
            f"{self.answerable}+{self.unanswerable}",
            f"{self.hits3 / n:.3f}",
            f"{self.facts / n:.3f}",
            str(self.false_refusals),
            f"{self.refused_or_partial}/{self.unanswerable}",
        ]


def rows(items: list[dict[str, Any]], results: list[dict[str, Any]], by_kind: bool) -> list[Row]:
    # Results are matched by id, or by line when the questions have none.
    by_id = {r.get("id"): r for r in results}
    table: dict[str, Row] = {}

    def row(name: str) -> Row:
        return table.setdefault(name, Row(name))

    for line, item in enumerate(items):
        result = by_id.get(item["id"]) if "id" in item else results[line] if line < len(results) else None
        if result is None:
            continue
        row("all").add(item, result)
        if "part" in item:
            row(part_of(item, line)).add(item, result)
        else:
            row("even (choose)" if part_of(item, line) == CHOOSE else "odd (confirm)").add(item, result)
        if by_kind:
            row(f"kind {item.get('kind', '?')}").add(item, result)
    return list(table.values())


def format_rows(table: Iterable[Row]) -> str:
    header = ["rows", "n", "hit@3", "fact recall", "false refusals", "unanswerable refused/partial"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(r.cells()) + " |" for r in table)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions")
    parser.add_argument("answers", nargs="+", help="eval --out files (several: one column each)")
    parser.add_argument("--kinds", action="store_true", help="a row per question kind too")
    args = parser.parse_args(argv)
    items = load_items(Path(args.questions))
    for path in args.answers:
        results = [json.loads(x) for x in Path(path).read_text(encoding="utf-8").splitlines() if x.strip()]
        print(f"{Path(path).name}:")
        print(format_rows(rows(items, results, args.kinds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

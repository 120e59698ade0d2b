"""`python -m assistant.evaluation.calibration [QUESTIONS.jsonl] [--answers ANSWERS.jsonl]`:
precision and recall of the refusal on each part of the refusal calibration list.

The list (`tests/fixtures/refusal_calibration.jsonl`) names each line's part: `choose`,
the lines the fitted decision's threshold was chosen on (with the even lines of the dev
sets), and `confirm`, lines no choice has seen, kept to confirm it (halves.part_of). No
line asks about the subject of a dev question. Without `--answers` the assistant the
settings name answers each question; with it, saved answers (`eval --out`) are read.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from assistant.evaluation.halves import CHOOSE, CONFIRM, part_of
from assistant.evaluation.run import load_items

CALIBRATION = Path("tests") / "fixtures" / "refusal_calibration.jsonl"


def refusal_by_part(items: list[dict[str, Any]], refused: list[bool]) -> dict[str, dict[str, float]]:
    """Per part: questions to answer and to refuse, refusal precision and recall, and the
    answerable questions refused."""
    figures: dict[str, dict[str, float]] = {}
    for part in (CHOOSE, CONFIRM):
        pairs = [
            (said, bool(item["refuse"]))
            for line, (item, said) in enumerate(zip(items, refused, strict=True))
            if part_of(item, line) == part
        ]
        hits = sum(said and should for said, should in pairs)
        said_no = sum(said for said, _ in pairs)
        to_refuse = sum(should for _, should in pairs)
        figures[part] = {
            "answerable": len(pairs) - to_refuse,
            "unanswerable": to_refuse,
            "precision": hits / said_no if said_no else 1.0,
            "recall": hits / to_refuse if to_refuse else 1.0,
            "answerable_refused": sum(said and not should for said, should in pairs),
        }
    return figures


def _ask_all(items: list[dict[str, Any]]) -> list[bool]:
    from assistant.chain import build_assistant
    from assistant.settings import get_settings

    assistant = build_assistant(get_settings())
    return [assistant.ask(item["question"]).refused for item in items]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", default=str(CALIBRATION))
    parser.add_argument("--answers", help="saved answers (eval --out), one a line, in question order")
    args = parser.parse_args(argv)
    items = load_items(Path(args.questions))
    if args.answers:
        lines = Path(args.answers).read_text(encoding="utf-8").splitlines()
        refused = [bool(json.loads(x)["refused"]) for x in lines if x.strip()]
    else:
        refused = _ask_all(items)
    print("| part | questions (answer + refuse) | refusal precision | refusal recall | answerable refused |")
    print("|---|---|---|---|---|")
    for part, f in refusal_by_part(items, refused).items():
        print(
            f"| {part} | {f['answerable']:.0f} + {f['unanswerable']:.0f} | {f['precision']:.2f} "
            f"| {f['recall']:.2f} | {f['answerable_refused']:.0f} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

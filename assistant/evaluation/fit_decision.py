"""Fit the answer/refuse decision (question/decide.py) as a logistic regression.

    python -m assistant.evaluation.fit_decision collect QUESTIONS.jsonl --out F.jsonl
    python -m assistant.evaluation.fit_decision fit F1.jsonl F2.jsonl … [--write]

`collect` runs each question through the assistant's path up to the decision (with the
index and knowledge folder the settings name) and saves its named features and whether it
should be answered (`refuse` false). Questions the intent guards or the time rule decide,
and questions answered from the targets table, are left out: the model does not decide
them. `fit` reports k-fold cross-validated precision and recall of each outcome (answer,
not answer), then fits on all rows; `--write` stores the coefficients in
question/data/decision.toml.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.halves import CHOOSE, CONFIRM, part_of
from assistant.evaluation.logistic import coefficient_rows, coefficients_toml, standardised_logistic
from assistant.evaluation.run import load_items

FOLDS = 5
SEED = 0
# Chosen by `compare` on the choosing part (the calibration list's `choose` lines and the
# even lines of dev, dev2 and dev_extra), false refusals first, then unanswerables let
# through, then the fewest features and the threshold nearest the middle: C = 0.3 and
# 0.6 give 0 false refusals and 1 let through there (C = 1, the default, 1 and 1); the
# margin to the next document, the count of unknown topic words and the subject's absence
# from the best passages tie or do worse, so the model leaves them out. Read again on the
# confirming part: 1 false refusal, 3 let through (docs/answers.md). Which lines choose
# and which confirm is halves.part_of's rule.
C = 0.3
THRESHOLD = 0.6
# The features the model reads, of those `decision_features` computes.
FIT_FEATURES = (
    "passage_dense",
    "sentence_dense",
    "coverage",
    "unknown_asked",
    "value_missing",
    "historical",
)
# Tried by `compare` beside FIT_FEATURES, one at a time and all together.
CANDIDATE_FEATURES = ("margin", "unknown_words", "subject_missing")
CANDIDATE_C = (0.3, 1.0, 3.0)
CANDIDATE_THRESHOLDS = (0.5, 0.6, 0.7)
DECISION_FILE = Path(__file__).resolve().parent.parent / "question" / "data" / "decision.toml"


def collect(path: Path, out: Path) -> int:
    from assistant.chain import build_assistant
    from assistant.question.decide import decision_features
    from assistant.settings import get_settings

    assistant = build_assistant(get_settings())
    kept = 0
    with out.open("w", encoding="utf-8") as sink:
        for line, item in enumerate(load_items(path)):
            history = [(q, a) for q, a in item.get("history", [])]
            state = assistant._prepared(item["question"], history)
            decision = state.decision
            if (
                state.table_answer is not None
                or not state.passages
                or decision is None
                or decision.reason in {"injection", "harmful", "person", "historical"}
                or state.normalized is None
                or state.normalized.script == "en"
            ):
                continue
            features = decision_features(state.standalone, state.passages, state.snapshot.lexical)
            row = {
                "id": item.get("id", ""),
                "question": item["question"],
                "answer": not item.get("refuse"),
                "part": part_of(item, line),  # of the question file: the lines skipped here count
            }
            sink.write(json.dumps({**row, "features": features}, ensure_ascii=False) + "\n")
            kept += 1
    print(f"{path.name}: {kept} questions with features -> {out}")
    return 0


def _lines(path: Path) -> list[str]:
    return [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]


def _rows(paths: list[Path]) -> tuple[list[str], np.ndarray, np.ndarray]:
    rows: list[dict[str, Any]] = []
    for path in paths:
        rows.extend(json.loads(x) for x in _lines(path))
    names = [n for n in FIT_FEATURES if n in rows[0]["features"]]
    x = np.array([[float(r["features"][n]) for n in names] for r in rows])
    y = np.array([bool(r["answer"]) for r in rows], dtype=int)
    return names, x, y


def _per_outcome(y: np.ndarray, predicted: np.ndarray) -> dict[str, tuple[float, float, int]]:
    figures = {}
    for label, name in ((1, "answer"), (0, "not answer")):
        tp = int(((predicted == label) & (y == label)).sum())
        said = int((predicted == label).sum())
        actual = int((y == label).sum())
        figures[name] = (tp / said if said else 1.0, tp / actual if actual else 1.0, actual)
    return figures


def _model(c: float = C) -> Any:
    return standardised_logistic(c)


def _cross_validated(x: np.ndarray, y: np.ndarray, c: float = C) -> np.ndarray:
    """P(answer) of each row from a model that did not see it (k-fold)."""
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    return cross_val_predict(_model(c), x, y, cv=folds, method="predict_proba")[:, 1]


def _parts(paths: list[Path]) -> np.ndarray:
    """The part each row is in (halves.part_of): collected rows carry their question's;
    rows collected before that are taken by their line in the features file."""
    return np.array([part_of(json.loads(x), i) for path in paths for i, x in enumerate(_lines(path))])


def _errors(y: np.ndarray, predicted: np.ndarray, chosen: np.ndarray) -> tuple[int, int]:
    """(answerable refused, unanswerable answered) among the rows `chosen`."""
    return (
        int(((predicted == 0) & (y == 1) & chosen).sum()),
        int(((predicted == 1) & (y == 0) & chosen).sum()),
    )


def compare(paths: list[Path]) -> int:
    """Cross-validated errors per part for each candidate feature set, C and threshold:
    the choice is made on the choosing part and read again on the confirming part."""
    rows = [json.loads(x) for path in paths for x in _lines(path)]
    y = np.array([bool(r["answer"]) for r in rows], dtype=int)
    parts = _parts(paths)
    print("| features | C | threshold | choose: refused / let through | confirm: refused / let through |")
    print("|---|---|---|---|---|")
    for extra in ((), *((name,) for name in CANDIDATE_FEATURES), CANDIDATE_FEATURES):
        names = [*FIT_FEATURES, *extra]
        x = np.array([[float(r["features"][n]) for n in names] for r in rows])
        for c in CANDIDATE_C:
            probability = _cross_validated(x, y, c)
            for threshold in CANDIDATE_THRESHOLDS:
                predicted = (probability >= threshold).astype(int)
                a, b = _errors(y, predicted, parts == CHOOSE)
                d, e = _errors(y, predicted, parts == CONFIRM)
                label = "+ " + ", ".join(extra) if extra else "base"
                print(f"| {label} | {c:g} | {threshold:g} | {a} / {b} | {d} / {e} |")
    return 0


def fit(paths: list[Path], write: bool) -> int:
    names, x, y = _rows(paths)
    probability = _cross_validated(x, y)
    predicted = (probability >= THRESHOLD).astype(int)
    parts = _parts(paths)
    print(f"{len(y)} questions ({int(y.sum())} answerable); {FOLDS}-fold cross-validated:")
    print("| outcome | precision | recall | questions |")
    print("|---|---|---|---|")
    for name, (p, r, n) in _per_outcome(y, predicted).items():
        print(f"| {name} | {p:.3f} | {r:.3f} | {n} |")
    for part, half in ((CHOOSE, "choosing part"), (CONFIRM, "confirming part")):
        chosen = parts == part
        wrong_refusals, let_through = _errors(y, predicted, chosen)
        figures = _per_outcome(y[chosen], predicted[chosen])
        print(
            f"{half}: {wrong_refusals} answerable refused, {let_through} unanswerable answered; "
            + "; ".join(f"{n} P {p:.3f} R {r:.3f} ({k})" for n, (p, r, k) in figures.items())
        )
    questions = [json.loads(x) for path in paths for x in _lines(path)]
    for i in np.flatnonzero(predicted != y):
        said = "refused" if predicted[i] == 0 else "answered"
        row = questions[i]
        print(f"  {parts[i]}: {said} {row.get('id', '')} {row['question']} (P {probability[i]:.2f})")
    fitted = _model().fit(x, y)
    scaler, regression = fitted[0], fitted[1]
    print("| feature | mean | scale | coefficient (per scale unit) |")
    print("|---|---|---|---|")
    for i, name in enumerate(names):
        print(f"| {name} | {scaler.mean_[i]:.4f} | {scaler.scale_[i]:.4f} | {regression.coef_[0][i]:+.3f} |")
    print(f"intercept {regression.intercept_[0]:+.3f}")
    if write:
        DECISION_FILE.write_text(_toml(names, fitted, [p.name for p in paths]), encoding="utf-8")
        print(f"written: {DECISION_FILE}")
    return 0


def _toml(names: list[str], fitted: Any, sources: list[str]) -> str:
    head = [
        "# The answer/refuse decision (question/decide.py): a logistic regression over named",
        "# features, standardised by the mean and scale below. Written by",
        "# `python -m assistant.evaluation.fit_decision fit … --write`; do not edit by hand.",
        f"# Fitted on: {', '.join(sources)}; cross-validated figures in docs/answers.md.",
        f"threshold = {THRESHOLD}",
    ]
    return coefficients_toml(head, coefficient_rows(names, fitted), fitted[1].intercept_[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fit the answer/refuse decision")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("collect", help="features of a question set")
    p.add_argument("questions")
    p.add_argument("--out", required=True)
    p = sub.add_parser("fit", help="cross-validate and fit")
    p.add_argument("features", nargs="+")
    p.add_argument("--write", action="store_true", help="store the coefficients")
    p = sub.add_parser("compare", help="cross-validated errors per part of candidate models")
    p.add_argument("features", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "collect":
        return collect(Path(args.questions), Path(args.out))
    if args.command == "compare":
        return compare([Path(f) for f in args.features])
    return fit([Path(f) for f in args.features], args.write)


if __name__ == "__main__":
    raise SystemExit(main())

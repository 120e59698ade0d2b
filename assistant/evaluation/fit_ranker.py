"""Fit the sentence ranker (answering/ranker.py) as a logistic regression.

    python -m assistant.evaluation.fit_ranker collect QUESTIONS.jsonl --out C.jsonl
    python -m assistant.evaluation.fit_ranker compare C1.jsonl C2.jsonl …
    python -m assistant.evaluation.fit_ranker fit C1.jsonl C2.jsonl … [--write]
    python -m assistant.evaluation.fit_ranker confirm C1.jsonl … --on OUTSIDE.jsonl …

`collect` runs each answerable question through the assistant's path up to the answer
(with the index and knowledge folder the settings name) and saves, for every candidate
sentence of the best passages, its named features and how many of the question's fact
groups it holds (the matching of `eval`'s fact recall), and whether the quote built from it
holds them all. Questions answered from tables or refused by an intent guard are left out.

A sentence is a positive when it holds at least one fact group. Folds are whole questions.
`compare` reads the hand-set fusion and candidate models (features added one at a time,
forward, while the choosing part gains; then C), each by its cross-validated top-1 figures
per part: the lead holds a fact, and the lead's quote holds every fact. Which lines choose
and which confirm is halves.part_of's rule. `fit` reports the chosen model's figures and
fits it on all rows; `--write` stores the coefficients in answering/data/ranker.toml.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.halves import CHOOSE, CONFIRM, part_of
from assistant.evaluation.logistic import coefficients_toml
from assistant.evaluation.run import facts_present, load_items

FOLDS = 5
SEED = 0
# Chosen by `compare` on the choosing part (docs/answers.md, "Ranking sentences").
C = 1.0
FIT_FEATURES: tuple[str, ...] = ("dense", "coverage", "holds", "rank")
CANDIDATE_C = (0.1, 0.3, 1.0, 3.0)
# The fusion the model replaces: 1.0 × dense + 0.5 × coverage + 0.15 × slot fit − 0.05 × rank.
HAND_SET = {"dense": 1.0, "coverage": 0.5, "holds": 0.15, "rank": -0.05}
RANKER_FILE = Path(__file__).resolve().parent.parent / "answering" / "data" / "ranker.toml"


def collect(path: Path, out: Path) -> int:
    from assistant.answering.extractive import quoted_sentences, rank_sentences
    from assistant.answering.ranker import sentence_features
    from assistant.chain import build_assistant
    from assistant.question.terms import search_tokens
    from assistant.settings import get_settings

    assistant = build_assistant(get_settings())
    kept = 0
    with out.open("w", encoding="utf-8") as sink:
        for line, item in enumerate(load_items(path)):
            facts = item.get("facts", [])
            if item.get("refuse") or not facts:
                continue
            history = [(q, a) for q, a in item.get("history", [])]
            state = assistant._prepared(item["question"], history)
            decision = state.decision
            if (
                state.table_answer is not None
                or not state.citations
                or decision is None
                or decision.reason in {"injection", "harmful", "person"}
            ):
                continue
            question, slot, lexical = state.standalone, decision.slot, state.snapshot.lexical
            tokens = search_tokens(question)
            ranked = rank_sentences(state.citations, question, slot, tokens, lexical)
            rows = sentence_features(ranked, question, slot, tokens, lexical)
            candidates = []
            for c, features in zip(ranked, rows, strict=True):
                quote = " ".join(quoted_sentences(c, slot, question, tokens, lexical))
                candidates.append(
                    {
                        "number": c.citation.number,
                        "at": c.at,
                        "held": sum(facts_present([group], c.sentence) for group in facts),
                        "quote_all": facts_present(facts, quote),
                        "features": features,
                    }
                )
            row = {
                "id": item.get("id", ""),
                "question": item["question"],
                "part": part_of(item, line),  # of the question file: the lines skipped here count
                "groups": len(facts),
                "candidates": candidates,
            }
            sink.write(json.dumps(row, ensure_ascii=False) + "\n")
            kept += 1
    print(f"{path.name}: {kept} questions with candidate sentences -> {out}")
    return 0


class Data:
    """Candidate rows of every question, with the question each belongs to."""

    def __init__(self, paths: list[Path]) -> None:
        self.questions: list[dict[str, Any]] = []
        for path in paths:
            lines = [x for x in path.read_text(encoding="utf-8").splitlines() if x.strip()]
            self.questions.extend({**json.loads(x), "source": path.name} for x in lines)
        self.questions = [q for q in self.questions if q["candidates"]]
        self.source = np.array([q["source"] for q in self.questions])
        rows = [(i, c) for i, q in enumerate(self.questions) for c in q["candidates"]]
        self.group = np.array([i for i, _ in rows])
        self.label = np.array([c["held"] > 0 for _, c in rows], dtype=int)
        self.quote_all = np.array([bool(c["quote_all"]) for _, c in rows])
        # Ties fall to the earlier passage, then the earlier sentence, as in rank_sentences.
        self.order = np.array([(c["number"], c["at"]) for _, c in rows], dtype=float)
        self.features = [c["features"] for _, c in rows]
        self.part = np.array([q["part"] for q in self.questions])

    def x(self, names: tuple[str, ...]) -> np.ndarray:
        return np.array([[float(f[n]) for n in names] for f in self.features])

    def folds(self) -> np.ndarray:
        """A fold per row: whole questions, shuffled with a fixed seed."""
        fold_of = np.random.default_rng(SEED).permutation(len(self.questions)) % FOLDS
        return fold_of[self.group]

    def top(self, score: np.ndarray) -> np.ndarray:
        """The row each question leads with under `score`."""
        leads = np.empty(len(self.questions), dtype=int)
        for q in range(len(self.questions)):
            rows = np.flatnonzero(self.group == q)
            best = min(rows, key=lambda r: (-score[r], self.order[r][0], self.order[r][1]))
            leads[q] = best
        return leads

    def figures(self, score: np.ndarray, source: str | None = None) -> dict[str, tuple[int, int, int]]:
        """Per part (of one source file, or all): (questions whose lead holds a fact, whose
        lead's quote holds every fact, questions with any candidate holding a fact)."""
        leads = self.top(score)
        reachable = np.array([self.label[self.group == q].any() for q in range(len(self.questions))])
        out = {}
        for part in (CHOOSE, CONFIRM):
            chosen = (self.part == part) & ((self.source == source) if source else True)
            out[part] = (
                int((self.label[leads] & chosen).sum()),
                int((self.quote_all[leads] & chosen).sum()),
                int((reachable & chosen).sum()),
            )
        return out


class Ranker:
    """A conditional (listwise) logistic regression: a question's candidates compete in a
    softmax of a linear score over standardised features, fitted to put the weight on the
    sentences that hold a fact (L2 penalty 1/C). A one-feature logistic regression of that
    score over all candidates (Platt) turns it into P(holds a fact)."""

    def __init__(self, c: float) -> None:
        self.c = c

    def fit(self, x: np.ndarray, label: np.ndarray, group: np.ndarray) -> Ranker:
        from scipy.optimize import minimize
        from sklearn.linear_model import LogisticRegression

        self.mean, self.scale = x.mean(axis=0), np.maximum(x.std(axis=0), 1e-9)
        z = (x - self.mean) / self.scale
        lists = [
            rows for q in np.unique(group) if 0 < label[rows := np.flatnonzero(group == q)].sum() < len(rows)
        ]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            value, gradient = 0.5 * w @ w / self.c, w / self.c
            for rows in lists:
                s = z[rows] @ w
                p = np.exp(s - s.max())
                p /= p.sum()
                target = label[rows] / label[rows].sum()
                value -= float(target @ np.log(p + 1e-12))
                gradient = gradient - z[rows].T @ (target - p)
            return value, gradient

        self.coef = minimize(loss, np.zeros(x.shape[1]), jac=True, method="L-BFGS-B").x
        self.calibration = LogisticRegression().fit(self.linear(x)[:, None], label)
        return self

    def linear(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.coef

    def probability(self, x: np.ndarray) -> np.ndarray:
        return self.calibration.predict_proba(self.linear(x)[:, None])[:, 1]


def cross_validated(data: Data, names: tuple[str, ...], c: float) -> np.ndarray:
    """Each row's P(holds a fact) from a model that did not see its question."""
    x, folds = data.x(names), data.folds()
    score = np.zeros(len(x))
    for k in range(FOLDS):
        held_out = folds == k
        model = Ranker(c).fit(x[~held_out], data.label[~held_out], data.group[~held_out])
        score[held_out] = model.probability(x[held_out])
    return score


def hand_set(data: Data) -> np.ndarray:
    return data.x(tuple(HAND_SET)) @ np.array(list(HAND_SET.values()))


def _cells(figures: dict[str, tuple[int, int, int]]) -> str:
    return " | ".join(f"{figures[p][0]} / {figures[p][1]} of {figures[p][2]}" for p in (CHOOSE, CONFIRM))


def _key(figures: dict[str, tuple[int, int, int]], names: tuple[str, ...]) -> tuple[int, int, int]:
    """The choice: most leads holding a fact on the choosing part, then most whole quotes,
    then the fewest features."""
    return (figures[CHOOSE][0], figures[CHOOSE][1], -len(names))


def compare(paths: list[Path]) -> int:
    """The hand-set fusion, the fitted model over its four features, then features added
    one at a time (the one that gains most on the choosing part, while one gains), then C."""
    from assistant.answering.ranker import FEATURE_NAMES

    data = Data(paths)
    positive = int(data.label.sum())
    print(f"{len(data.questions)} questions, {len(data.label)} candidate sentences ({positive} hold a fact)")
    print(
        "top-1 (cross-validated): lead holds a fact / its quote holds every fact, of questions where one can"
    )
    print("| model | C | choose | confirm |")
    print("|---|---|---|---|")
    print(f"| hand-set fusion | – | {_cells(data.figures(hand_set(data)))} |")
    chosen: tuple[str, ...] = tuple(HAND_SET)
    figures = data.figures(cross_validated(data, chosen, 1.0))
    print(f"| {' + '.join(chosen)} | 1 | {_cells(figures)} |")
    best = _key(figures, chosen)
    while True:
        trials = []
        for name in FEATURE_NAMES:
            if name in chosen:
                continue
            names = (*chosen, name)
            figures = data.figures(cross_validated(data, names, 1.0))
            print(f"| {' + '.join(names)} | 1 | {_cells(figures)} |")
            # Ties fall to the feature listed first (ranker.FEATURE_NAMES).
            trials.append((_key(figures, names), -FEATURE_NAMES.index(name), names))
        if not trials or max(trials)[0][:2] <= best[:2]:
            break
        best, _, chosen = max(trials)
    print(f"chosen features: {', '.join(chosen)}")
    by_c = []
    for c in CANDIDATE_C:
        figures = data.figures(cross_validated(data, chosen, c))
        print(f"| {' + '.join(chosen)} | {c:g} | {_cells(figures)} |")
        by_c.append(((*_key(figures, chosen)[:2], -abs(np.log(c))), c))
    print(f"chosen C: {max(by_c)[1]:g}")
    return 0


def confirm(train: list[Path], outside: list[Path]) -> int:
    """The hand-set fusion and models fitted on all of `train`'s rows, each read on the
    `outside` files (question sets never fitted on, such as `answer_bench --candidates`
    of an outside benchmark): top-1 lead holds a fact / its quote holds every fact."""
    from assistant.answering.ranker import FEATURE_NAMES

    fitted_on, data = Data(train), Data(outside)
    print(f"fitted on {len(fitted_on.questions)} questions; read on {len(data.questions)}")
    print("| model | " + " | ".join(p.name for p in outside) + " |")
    print("|---|" + "---|" * len(outside))

    def row(name: str, score: np.ndarray) -> None:
        cells = []
        for path in outside:
            figures = data.figures(score, path.name)
            lead, quote, reachable = (sum(figures[p][i] for p in (CHOOSE, CONFIRM)) for i in range(3))
            cells.append(f"{lead} / {quote} of {reachable}")
        print(f"| {name} | " + " | ".join(cells) + " |")

    row("hand-set fusion", hand_set(data))
    for names in (FIT_FEATURES, FEATURE_NAMES):
        for c in CANDIDATE_C:
            model = Ranker(c).fit(fitted_on.x(names), fitted_on.label, fitted_on.group)
            row(f"fitted {' + '.join(names)}, C {c:g}", model.linear(data.x(names)))
    return 0


def fit(paths: list[Path], write: bool, hand: bool = False) -> int:
    """Cross-validated figures of the hand-set fusion and the fitted model, per part and per
    file; then the model fitted on all rows (`hand`: the hand-set weights, only calibrated)."""
    from sklearn.linear_model import LogisticRegression

    data = Data(paths)
    print(
        f"{len(data.questions)} questions, {len(data.label)} candidate sentences; {FOLDS}-fold by question:"
    )
    print("| model | choose | confirm |")
    print("|---|---|---|")
    fitted, hand_scores = cross_validated(data, FIT_FEATURES, C), hand_set(data)
    print(f"| hand-set fusion | {_cells(data.figures(hand_scores))} |")
    print(f"| fitted ({', '.join(FIT_FEATURES)}; C {C:g}) | {_cells(data.figures(fitted))} |")
    for path in paths:
        print(f"| {path.name}: hand-set | {_cells(data.figures(hand_scores, path.name))} |")
        print(f"| {path.name}: fitted | {_cells(data.figures(fitted, path.name))} |")
    if hand:
        names = tuple(HAND_SET)
        mean, scale = np.zeros(len(names)), np.ones(len(names))
        weights = np.array(list(HAND_SET.values()))
        calibration = LogisticRegression().fit(hand_scores[:, None], data.label)
        note = "the hand-set fusion's weights, calibrated (fit --hand-set)"
    else:
        names = FIT_FEATURES
        model = Ranker(C).fit(data.x(names), data.label, data.group)
        mean, scale, weights, calibration = model.mean, model.scale, model.coef, model.calibration
        note = f"a listwise logistic regression, C {C:g}"
    # The calibration's slope folded into the coefficients: P = sigmoid(intercept + Σ coef·z).
    slope, intercept = float(calibration.coef_[0][0]), float(calibration.intercept_[0])
    coefs = slope * weights
    print(f"{note}:")
    print("| feature | mean | scale | coefficient (per scale unit) |")
    print("|---|---|---|---|")
    for i, name in enumerate(names):
        print(f"| {name} | {mean[i]:.4f} | {scale[i]:.4f} | {coefs[i]:+.3f} |")
    print(f"intercept {intercept:+.3f}")
    if write:
        rows = [(n, mean[i], scale[i], coefs[i]) for i, n in enumerate(names)]
        RANKER_FILE.write_text(_toml(rows, intercept, note, [p.name for p in paths]), encoding="utf-8")
        print(f"written: {RANKER_FILE}")
    return 0


def _toml(
    rows: list[tuple[str, float, float, float]], intercept: float, note: str, sources: list[str]
) -> str:
    head = [
        "# The sentence ranker (answering/ranker.py): a logistic regression over named features,",
        "# standardised by the mean and scale below, calibrated to P(the sentence holds a fact).",
        "# Written by `python -m assistant.evaluation.fit_ranker fit … --write`; do not edit by hand.",
        f"# This one: {note}.",
        f"# Fitted on: {', '.join(sources)}; cross-validated figures in docs/answers.md.",
    ]
    return coefficients_toml(head, rows, intercept)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fit the sentence ranker")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("collect", help="candidate sentences of a question set, with features and labels")
    p.add_argument("questions")
    p.add_argument("--out", required=True)
    p = sub.add_parser("compare", help="cross-validated top-1 figures per part of candidate models")
    p.add_argument("candidates", nargs="+")
    p = sub.add_parser("confirm", help="models fitted on some candidate files, read on others")
    p.add_argument("candidates", nargs="+", help="the files to fit on")
    p.add_argument("--on", nargs="+", required=True, help="the files to read the models on")
    p = sub.add_parser("fit", help="cross-validate and fit")
    p.add_argument("candidates", nargs="+")
    p.add_argument("--write", action="store_true", help="store the coefficients")
    p.add_argument("--hand-set", action="store_true", help="store the hand-set weights, calibrated")
    args = parser.parse_args(argv)
    if args.command == "collect":
        return collect(Path(args.questions), Path(args.out))
    if args.command == "compare":
        return compare([Path(f) for f in args.candidates])
    if args.command == "confirm":
        return confirm([Path(f) for f in args.candidates], [Path(f) for f in args.on])
    return fit([Path(f) for f in args.candidates], args.write, args.hand_set)


if __name__ == "__main__":
    raise SystemExit(main())

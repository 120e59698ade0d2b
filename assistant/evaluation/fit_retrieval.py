"""Fit the passage ranking (question/passage_rank.py) as a logistic regression.

    python -m assistant.evaluation.fit_retrieval collect QUESTIONS.jsonl --out F.jsonl
    python -m assistant.evaluation.fit_retrieval compare F1.jsonl F2.jsonl …
    python -m assistant.evaluation.fit_retrieval fit F1.jsonl F2.jsonl … [--write]

`collect` puts each answerable question through the assistant's path up to the search
(normalising, follow-ups condensed with their history, typos corrected) against the index
and knowledge folder the settings name, and saves the named features of every fused
candidate with whether it holds one of the question's gold passages. `compare` reads each
candidate model on the choosing part (5-fold cross-validation grouped by question) and on
the confirming part (fitted on the whole choosing part), beside the settings' weights:
hit@1, hit@3 and mean reciprocal rank of the first gold passage. `fit` fits the chosen
model on every question and `--write` stores it in question/data/passage_rank.toml. Which
lines choose and which confirm is halves.part_of's rule.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evaluation.halves import CHOOSE, CONFIRM, part_of
from assistant.evaluation.logistic import coefficient_rows, coefficients_toml, standardised_logistic
from assistant.evaluation.run import load_items

FOLDS = 5
SEED = 0
# Chosen by `compare` on the choosing part of dev, dev2, dev_extra, dev_new (tables and
# scans) and DomainRAG together: highest hit@3, then hit@1, then the fewest features
# (docs/retrieval.md has the table, read again on the confirming part).
C = 1.0
FIT_FEATURES: tuple[str, ...] = (
    "rrf",
    "dense",
    "keyword",
    "unseen_dense",
    "dense_gap",
    "keyword_gap",
    "sentence_dense",
    "sentence_gap",
)
_BASE = ("rrf", "dense", "keyword", "unseen_dense")
_GAPS = ("dense_gap", "keyword_gap")
_SENTENCE = ("sentence_dense", "sentence_gap")
CANDIDATE_SETS: tuple[tuple[str, ...], ...] = (
    _BASE,
    (*_BASE, *_GAPS),
    (*_BASE, "sentence_dense"),
    (*_BASE, *_SENTENCE),
    (*_BASE, *_GAPS, *_SENTENCE),
)
CANDIDATE_C = (0.1, 1.0, 10.0)
RANKING_FILE = Path(__file__).resolve().parent.parent / "question" / "data" / "passage_rank.toml"


def collect(path: Path, out: Path) -> int:
    from assistant.chain import build_assistant
    from assistant.evaluation.run import gold_rank
    from assistant.question.condense import condense
    from assistant.question.normalize import normalize_question
    from assistant.settings import get_settings

    assistant = build_assistant(get_settings())
    searcher = assistant.searcher
    kept = 0
    with out.open("w", encoding="utf-8") as sink:
        for line, item in enumerate(load_items(path)):
            if item.get("refuse") or not item.get("gold"):
                continue
            history = [(q, a) for q, a in item.get("history", [])]
            normalized = normalize_question(item["question"])
            standalone = condense(normalized.original, history, None)
            query = searcher.correct_typos(normalize_question(standalone).text)
            found = searcher.search(query, k=1_000_000)
            candidates = [
                {"features": p.features, "gold": gold_rank(item["gold"], [p.text]) is not None}
                for p in found.passages
            ]
            row = {"id": item.get("id", ""), "question": item["question"], "part": part_of(item, line)}
            sink.write(json.dumps({**row, "candidates": candidates}, ensure_ascii=False) + "\n")
            kept += 1
    print(f"{path.name}: {kept} questions with their candidates -> {out}")
    return 0


def collect_bench(directory: Path, out: Path) -> int:
    """The same rows for a BEIR-style retrieval set (bench-retrieval's format): gold is a
    passage its qrels name; queries sorted by id, even places choose, odd confirm."""
    from assistant.evaluation.retrieval_bench import bench_searcher
    from assistant.question.normalize import normalize_question
    from assistant.settings import get_settings

    bench, searcher, _, _ = bench_searcher(directory, get_settings())
    queries = sorted(bench.queries)
    with out.open("w", encoding="utf-8") as sink:
        for place, (qid, text) in enumerate(queries):
            found = searcher.search(normalize_question(text).text, k=1_000_000)
            relevant = bench.qrels.get(qid, set())
            candidates = [{"features": p.features, "gold": p.id in relevant} for p in found.passages]
            row = {"id": qid, "question": text, "part": CHOOSE if place % 2 == 0 else CONFIRM}
            sink.write(json.dumps({**row, "candidates": candidates}, ensure_ascii=False) + "\n")
    print(f"{bench.name}: {len(queries)} queries with their candidates -> {out}")
    return 0


@dataclass
class Question:
    part: str
    x: dict[str, np.ndarray]  # feature name → value per candidate
    gold: np.ndarray  # bool per candidate

    def matrix(self, names: tuple[str, ...]) -> np.ndarray:
        return np.column_stack([self.x[n] for n in names]) if len(self.gold) else np.zeros((0, len(names)))


def _questions(paths: list[Path]) -> list[Question]:
    found = []
    for path in paths:
        for text in path.read_text(encoding="utf-8").splitlines():
            if not text.strip():
                continue
            row = json.loads(text)
            candidates = row["candidates"]
            names = list(candidates[0]["features"]) if candidates else []
            x = {n: np.array([float(c["features"][n]) for c in candidates]) for n in names}
            found.append(Question(row["part"], x, np.array([bool(c["gold"]) for c in candidates])))
    return found


def _rank_of_gold(scores: np.ndarray, gold: np.ndarray) -> int | None:
    """Place of the first gold candidate when sorted by score (ties: the worse place)."""
    if not gold.any():
        return None
    best_gold = scores[gold].max()
    return int((scores > best_gold).sum() + (scores[~gold] == best_gold).sum())


@dataclass
class Figures:
    n: int = 0
    hit1: int = 0
    hit3: int = 0
    rr: float = 0.0

    def add(self, rank: int | None) -> None:
        self.n += 1
        if rank is not None:
            self.hit1 += rank == 0
            self.hit3 += rank < 3
            self.rr += 1.0 / (rank + 1)

    def cells(self) -> str:
        n = self.n or 1
        return f"{self.hit1 / n:.3f} / {self.hit3 / n:.3f} / {self.rr / n:.3f}"

    def key(self) -> tuple[float, float]:
        return (self.hit3 / (self.n or 1), self.hit1 / (self.n or 1))


def _fit(questions: list[Question], names: tuple[str, ...], c: float) -> Any:
    x = np.vstack([q.matrix(names) for q in questions])
    y = np.concatenate([q.gold for q in questions]).astype(int)
    return standardised_logistic(c).fit(x, y)


def _score(model: Any, question: Question, names: tuple[str, ...]) -> np.ndarray:
    return model.decision_function(question.matrix(names))


def _weights(question: Question, dense_weight: float = 0.8, sentence_weight: float = 2.0) -> np.ndarray:
    x = question.x
    return x["rrf"] + dense_weight * x["dense"] + sentence_weight * (x["keyword"] + x["unseen_dense"])


def _cross_validated(questions: list[Question], names: tuple[str, ...], c: float) -> Figures:
    """Each question ranked by a model fitted on the other folds (folds by question)."""
    figures = Figures()
    order = np.random.default_rng(SEED).permutation(len(questions))
    for fold in range(FOLDS):
        held = {int(i) for i in order[fold::FOLDS]}
        model = _fit([q for i, q in enumerate(questions) if i not in held], names, c)
        for i in held:
            q = questions[i]
            figures.add(_rank_of_gold(_score(model, q, names), q.gold) if len(q.gold) else None)
    return figures


def compare(paths: list[Path]) -> int:
    questions = _questions(paths)
    choose = [q for q in questions if q.part == CHOOSE]
    confirm = [q for q in questions if q.part == CONFIRM]
    print(f"{len(choose)} choosing and {len(confirm)} confirming questions")
    print("hit@1 / hit@3 / MRR of the first gold passage")
    print("| ranking | C | choose (5-fold) | confirm (fitted on choose) |")
    print("|---|---|---|---|")
    baseline_choose, baseline_confirm = Figures(), Figures()
    for q in choose:
        baseline_choose.add(_rank_of_gold(_weights(q), q.gold) if len(q.gold) else None)
    for q in confirm:
        baseline_confirm.add(_rank_of_gold(_weights(q), q.gold) if len(q.gold) else None)
    print(f"| settings' weights | - | {baseline_choose.cells()} | {baseline_confirm.cells()} |")
    best: tuple[tuple[float, float, int], tuple[str, ...], float] | None = None
    for names in CANDIDATE_SETS:
        for c in CANDIDATE_C:
            chosen = _cross_validated(choose, names, c)
            model = _fit(choose, names, c)
            confirmed = Figures()
            for q in confirm:
                confirmed.add(_rank_of_gold(_score(model, q, names), q.gold) if len(q.gold) else None)
            print(f"| {', '.join(names)} | {c:g} | {chosen.cells()} | {confirmed.cells()} |")
            key = (*chosen.key(), -len(names))
            if best is None or key > best[0]:
                best = (key, names, c)
    if best is not None:
        print(f"chosen on the choosing part: {', '.join(best[1])}, C = {best[2]:g}")
    return 0


def fit(paths: list[Path], write: bool) -> int:
    questions = _questions(paths)
    model = _fit(questions, FIT_FEATURES, C)
    scaler, regression = model[0], model[1]
    print("| feature | mean | scale | coefficient (per scale unit) |")
    print("|---|---|---|---|")
    for i, name in enumerate(FIT_FEATURES):
        print(f"| {name} | {scaler.mean_[i]:.4f} | {scaler.scale_[i]:.4f} | {regression.coef_[0][i]:+.3f} |")
    print(f"intercept {regression.intercept_[0]:+.3f}")
    if write:
        RANKING_FILE.write_text(_toml(model, [p.name for p in paths]), encoding="utf-8")
        print(f"written: {RANKING_FILE}")
    return 0


def _toml(fitted: Any, sources: list[str]) -> str:
    head = [
        "# The passage ranking (question/passage_rank.py): a logistic regression over named",
        "# features of each fused candidate, standardised by the mean and scale below. Written",
        "# by `python -m assistant.evaluation.fit_retrieval fit … --write`; do not edit by hand.",
        f"# Fitted on: {', '.join(sources)}; figures in docs/retrieval.md.",
    ]
    return coefficients_toml(head, coefficient_rows(FIT_FEATURES, fitted), fitted[1].intercept_[0])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="fit the passage ranking")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("collect", help="candidates and their features for a question set")
    p.add_argument("questions")
    p.add_argument("--out", required=True)
    p = sub.add_parser("collect-bench", help="the same for a BEIR-style retrieval set")
    p.add_argument("dir")
    p.add_argument("--out", required=True)
    p = sub.add_parser("compare", help="hit@1 / hit@3 / MRR per part of candidate models")
    p.add_argument("features", nargs="+")
    p = sub.add_parser("fit", help="fit on every question")
    p.add_argument("features", nargs="+")
    p.add_argument("--write", action="store_true", help="store the coefficients")
    args = parser.parse_args(argv)
    if args.command == "collect":
        return collect(Path(args.questions), Path(args.out))
    if args.command == "collect-bench":
        return collect_bench(Path(args.dir), Path(args.out))
    if args.command == "compare":
        return compare([Path(f) for f in args.features])
    return fit([Path(f) for f in args.features], args.write)


if __name__ == "__main__":
    raise SystemExit(main())

"""The fitted sentence ranker: which sentence of the best passages leads an answer.

Each candidate sentence (`extractive.rank_sentences`) gets named features, and a logistic
regression over them gives the probability that it states a fact the question asks for.
Its coefficients, with the mean and scale each feature is standardised by, are in
data/ranker.toml, written by `python -m assistant.evaluation.fit_ranker fit --write`: the
fitted model, or the hand-set weights with a fitted calibration (`--hand-set`), whichever
measured better; the figures are in docs/answers.md ("Ranking sentences").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Protocol

from assistant.answering.quote import Located, announces_list
from assistant.question.coverage import coverage
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import WRITTEN_FORM_SLOTS, Slot, polarity_clash, yes_no
from assistant.question.terms import search_tokens
from assistant.vocab import compile_pattern, table

_CASE = compile_pattern(table("assistant.answering", "sentences.toml")["case"]["pattern"])


class Sentence(Located, Protocol):
    """What the ranker reads of a candidate (extractive.Candidate): a sentence in its
    passage, with its scores."""

    @property
    def dense(self) -> float: ...
    @property
    def coverage(self) -> float: ...
    @property
    def holds(self) -> bool: ...


# Every feature `sentence_features` computes; the model reads those data/ranker.toml names.
FEATURE_NAMES = (
    "dense",  # cosine of the question and sentence vectors
    "dense_gap",  # dense minus the best dense of all candidates (≤ 0)
    "dense_margin",  # dense minus the best dense of its own passage (≤ 0)
    "coverage",  # idf-weighted share of the question's keywords in heading path + sentence
    "coverage_alone",  # the same in the sentence alone
    "coverage_gap",  # coverage minus the best coverage of all candidates (≤ 0)
    "holds",  # states a value of the asked kind (yes/no: a modal verb gives a verdict)
    "verdict",  # a yes/no question whose verdict this sentence's modal gives
    "rank",  # the passage's place in the retrieval ranking (0 = first)
    "passage_score",  # the passage's retrieval score
    "position",  # the sentence's place in its passage, 0 (first) to 1 (last)
    "length",  # log of the sentence's length in characters
    "historical",  # the document is historical
    "announces",  # the sentence announces a list (its items follow)
    "neighbour_dense",  # the best dense of the sentences before and after it (0 when none)
    "neighbour_holds",  # a sentence before or after it states a value of the asked kind
    "case_match",  # share of the keyword weight of the rule's case ("…的，") the question holds
    "polarity_clash",  # share of the shared keyword weight negated in one text and not the other
    "holds_written",  # holds, for a value known by its written form (a figure, a date, a period)
)


def sentence_features(
    candidates: Sequence[Sentence], question: str, slot: Slot, tokens: list[str], lexical: LexicalIndex
) -> list[dict[str, float]]:
    """The named features of each candidate (all the candidates of one question)."""
    if not candidates:
        return []
    # Passages are numbered best first (question/cite.py), whatever order is given here.
    ranks = {number: r for r, number in enumerate(sorted({c.citation.number for c in candidates}))}
    best_dense = max(c.dense for c in candidates)
    best_coverage = max(c.coverage for c in candidates)
    in_passage: dict[int, float] = {}
    for c in candidates:
        in_passage[id(c.citation)] = max(in_passage.get(id(c.citation), -1.0), c.dense)
    by_place = {(id(c.citation), c.at): c for c in candidates}
    rows = []
    for c in candidates:
        neighbours = [n for i in (c.at - 1, c.at + 1) if (n := by_place.get((id(c.citation), i)))]
        sentence = c.sentences[c.at]
        rows.append(
            {
                "dense": c.dense,
                "dense_gap": c.dense - best_dense,
                "dense_margin": c.dense - in_passage[id(c.citation)],
                "coverage": c.coverage,
                "coverage_alone": coverage(tokens, sentence, lexical.idf),
                "coverage_gap": c.coverage - best_coverage,
                "holds": float(c.holds),
                "verdict": float(slot.kind == "yesno" and bool(yes_no(question, sentence))),
                "rank": float(ranks[c.citation.number]),
                "passage_score": c.citation.score,
                "position": c.at / max(1, len(c.sentences) - 1),
                "length": math.log(max(1, len(sentence))),
                "historical": float(c.citation.historical),
                "announces": float(announces_list(sentence)),
                "neighbour_dense": max((n.dense for n in neighbours), default=0.0),
                "neighbour_holds": float(any(n.holds for n in neighbours)),
                "case_match": case_match(sentence, question, lexical),
                "polarity_clash": polarity_clash(question, sentence, tokens, lexical.idf),
                "holds_written": float(c.holds and slot.kind in WRITTEN_FORM_SLOTS),
            }
        )
    return rows


def case_match(sentence: str, question: str, lexical: LexicalIndex) -> float:
    """How much of the case a rule's sentence is written for the question states: "拿不出
    有效证件的…还能注册吗" holds 有效 and 证件 of "对不能提供有效证件的，暂不予以学籍注册";
    0 for a sentence that states no case."""
    found = _CASE.search(sentence)
    if not found:
        return 0.0
    return coverage(search_tokens(found["case"]), question, lexical.idf)


class RankerModel:
    """A logistic regression over standardised named features."""

    def __init__(self, model: dict) -> None:
        self.intercept = float(model["intercept"])
        self.features = {
            name: (float(spec["mean"]), float(spec["scale"]), float(spec["coef"]))
            for name, spec in model["features"].items()
        }
        unknown = set(self.features) - set(FEATURE_NAMES)
        if unknown:
            raise ValueError(f"ranker model reads features nobody computes: {sorted(unknown)}")

        # The constant of the linear predictor over the raw (unstandardised) features.
        self.offset = self.intercept - sum(
            coef * mean / scale for mean, scale, coef in self.features.values()
        )

    def fusion(self, row: dict[str, float]) -> float:
        """The linear predictor without its constant: a weighted sum of the raw features,
        zero when they all are, as the hand-set fusion was (extractive.py's SUPPORT_RATIO
        compares two sentences' scores as a ratio)."""
        return sum(coef * row[name] / scale for name, (_, scale, coef) in self.features.items())

    def probability(self, row: dict[str, float]) -> float:
        """P(the sentence states an asked-for fact): the calibrated model."""
        return 1.0 / (1.0 + math.exp(-(self.offset + self.fusion(row))))


MODEL = RankerModel(table("assistant.answering", "ranker.toml"))


def scores(
    candidates: Sequence[Sentence], question: str, slot: Slot, tokens: list[str], lexical: LexicalIndex
) -> list[float]:
    """Each candidate's score by the fitted model: its fusion of the features, which
    orders the candidates as their probability of stating an asked-for fact does."""
    rows = sentence_features(candidates, question, slot, tokens, lexical)
    return [MODEL.fusion(row) for row in rows]

"""How the fused candidates of a search are ranked: a linear score over named features of
each passage, either the fitted model of data/passage_rank.toml (a logistic regression,
written by `python -m assistant.evaluation.fit_retrieval fit … --write`) or the weights of
the settings (`ASSISTANT_PASSAGE_RANKING=weights`: RRF + dense weight × cosine + sentence
weight × keyword coverage, docs/retrieval.md).

The features are relative to the other candidates of the same question where that is what
tells passages apart: a colloquial question's keywords cover every passage poorly, and its
dense similarities are all lower, so the gap to the best candidate says more than the value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from assistant.vocab import table

# Every feature `passage_features` computes; a model reads those it was fitted on.
FEATURES: tuple[str, ...] = (
    "rrf",  # reciprocal-rank fusion of the dense and keyword lists, top candidate = 1
    "dense",  # cosine of the passage's vector to the question's
    "dense_gap",  # dense − the best dense of the candidates
    "sentence_dense",  # cosine of the passage's best sentence (sentence vectors)
    "sentence_gap",  # sentence_dense − the best of the candidates
    "keyword",  # keyword reach × max(best sentence coverage, passage coverage)
    "keyword_gap",  # keyword − the best of the candidates
    "unseen_dense",  # (1 − keyword reach) × dense: what only the dense side can judge
)


# Each relative feature and the feature it is the gap of.
_GAPS = (
    ("dense", "dense_gap"),
    ("sentence_dense", "sentence_gap"),
    ("keyword", "keyword_gap"),
)


class Scored(Protocol):
    score: float
    dense: float
    coverage: float
    sentence_coverage: float
    features: dict[str, float]


@dataclass(frozen=True)
class LinearRanker:
    """score = intercept + Σ coef × (value − mean) / scale over `names`."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    coef: tuple[float, ...]
    intercept: float = 0.0
    source: str = "fitted"

    def score(self, features: dict[str, float]) -> float:
        """The weights' sum as it is; the fitted model's as a probability, so a score stays
        positive and between 0 and 1 like the fused scores it replaces."""
        total = self.intercept
        for name, mean, scale, coef in zip(self.names, self.mean, self.scale, self.coef, strict=True):
            total += coef * (features[name] - mean) / scale
        return total if self.source == "weights" else 1.0 / (1.0 + math.exp(-total))


def weights_ranker(dense_weight: float, sentence_weight: float) -> LinearRanker:
    """The settings' formula in feature terms: rrf + (dense weight + (1 − reach) × sentence
    weight) × dense + reach × sentence weight × coverage."""
    names = ("rrf", "dense", "keyword", "unseen_dense")
    return LinearRanker(
        names, (0.0,) * 4, (1.0,) * 4, (1.0, dense_weight, sentence_weight, sentence_weight), source="weights"
    )


def fitted_ranker() -> LinearRanker:
    data = table("assistant.question", "passage_rank.toml")
    features = data["features"]
    names = tuple(features)
    return LinearRanker(
        names,
        tuple(float(features[n]["mean"]) for n in names),
        tuple(float(features[n]["scale"]) for n in names),
        tuple(float(features[n]["coef"]) for n in names),
        float(data["intercept"]),
    )


def passage_features(
    passages: Sequence[Scored],
    reach: float,
    sentence_dense: Callable[[Scored], float | None],
) -> None:
    """Fills each passage's `features` (its `score` holds the fused RRF)."""
    if not passages:
        return
    top_rrf = max(p.score for p in passages) or 1.0
    rows = []
    for p in passages:
        best_sentence = sentence_dense(p)
        rows.append(
            {
                "rrf": p.score / top_rrf,
                "dense": p.dense,
                "sentence_dense": p.dense if best_sentence is None else best_sentence,
                "keyword": reach * max(p.sentence_coverage, p.coverage),
                "unseen_dense": (1.0 - reach) * p.dense,
            }
        )
    for name, gap in _GAPS:
        best = max(row[name] for row in rows)
        for row in rows:
            row[gap] = row[name] - best
    for p, row in zip(passages, rows, strict=True):
        p.features = row

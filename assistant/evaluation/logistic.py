"""What the fitting commands share: a standardised logistic regression, and the TOML its
coefficients are stored in (read back by question/decide.py and question/passage_rank.py)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def standardised_logistic(c: float) -> Any:
    """Features scaled to mean 0 and unit variance, then an L2 logistic regression."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))


def coefficient_rows(names: Sequence[str], fitted: Any) -> list[tuple[str, float, float, float]]:
    """(name, mean, scale, coefficient) of each feature of a `standardised_logistic` fit."""
    scaler, regression = fitted[0], fitted[1]
    return [
        (name, scaler.mean_[i], max(scaler.scale_[i], 1e-9), regression.coef_[0][i])
        for i, name in enumerate(names)
    ]


def coefficients_toml(
    head: Sequence[str], rows: Sequence[tuple[str, float, float, float]], intercept: float
) -> str:
    """`head` (comments and top-level keys), the intercept, then one table per feature."""
    lines = [*head, f"intercept = {intercept:.6f}"]
    for name, mean, scale, coef in rows:
        lines += [
            "",
            f"[features.{name}]",
            f"mean = {mean:.6f}",
            f"scale = {scale:.6f}",
            f"coef = {coef:.6f}",
        ]
    return "\n".join(lines) + "\n"

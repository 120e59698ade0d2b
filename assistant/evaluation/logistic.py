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


def coefficients_toml(head: Sequence[str], names: Sequence[str], fitted: Any) -> str:
    """`head` (comments and top-level keys), the intercept, then one table per feature."""
    scaler, regression = fitted[0], fitted[1]
    lines = [*head, f"intercept = {regression.intercept_[0]:.6f}"]
    for i, name in enumerate(names):
        lines += [
            "",
            f"[features.{name}]",
            f"mean = {scaler.mean_[i]:.6f}",
            f"scale = {max(scaler.scale_[i], 1e-9):.6f}",
            f"coef = {regression.coef_[0][i]:.6f}",
        ]
    return "\n".join(lines) + "\n"

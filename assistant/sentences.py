"""Chinese sentence splitting and the keyword coverage of a sentence by a question."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.lexical import tokenize_cached

# Split after sentence-final punctuation (and a closing quote that follows it), and at
# line breaks; list-like lines ("成立领导小组 设立…") stay whole.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])(?![”’」』）)])|(?<=[。！？!?；;][”’」』）)])|\n+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def coverage(query_tokens: list[str], text: str, idf: Callable[[str], float]) -> float:
    """Share of the question's keyword weight (idf) that appears in `text`."""
    if not query_tokens:
        return 0.0
    present = set(tokenize_cached(text))
    weights = {t: max(idf(t), 0.1) for t in set(query_tokens)}
    total = sum(weights.values())
    hit = sum(w for t, w in weights.items() if t in present or t in text)
    return hit / total if total else 0.0

"""Sentences of Chinese text: the unit that citations quote and target rows come from."""

from __future__ import annotations

import re

# Split after sentence-final punctuation (and a closing quote that follows it), and at
# line breaks; list-like lines ("成立领导小组 设立…") stay whole.
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])(?![”’」』）)])|(?<=[。！？!?；;][”’」』）)])|\n+")


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]

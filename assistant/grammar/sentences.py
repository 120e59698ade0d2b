"""Sentences of Chinese text: their end marks and the splitting that citations quote
and target rows come from. The marks are data (`data/sentences.toml`)."""

from __future__ import annotations

import re

from assistant.vocab import table

_DATA = table("assistant.grammar", "sentences.toml")

ENDS: str = _DATA["ends"]  # 。！？!?；;
CLOSING_QUOTES: str = _DATA["closing_quotes"]  # ”’」』
CLOSING_BRACKETS: str = _DATA["closing_brackets"]  # ）)
CLOSERS = CLOSING_QUOTES + CLOSING_BRACKETS
COLONS: str = _DATA["colons"]  # ：:
CLAUSE_MARKS: str = _DATA["clause_marks"]  # ，,、
# What a line that does not run on into the next ends with: a sentence end, a colon that
# leads a list, a closing quote.
LINE_ENDS = ENDS + COLONS + CLOSING_QUOTES

_ENDS_CLASS = re.escape(ENDS)
_CLOSERS_CLASS = re.escape(CLOSERS)
# A sentence end, or any punctuation that a heading or a title never holds.
SENTENCE_END = re.compile(f"[{_ENDS_CLASS}]")
PUNCTUATION = re.compile(f"[{re.escape(ENDS + COLONS + '，,')}]")
# Split after an end mark (and the closing quotes that follow it), and at line breaks;
# list-like lines ("成立领导小组 设立…") stay whole.
_SPLIT = re.compile(rf"(?<=[{_ENDS_CLASS}])(?![{_CLOSERS_CLASS}])|(?<=[{_ENDS_CLASS}][{_CLOSERS_CLASS}])|\n+")


def split_sentences(text: str) -> list[str]:
    """The sentences of `text`, stripped, in order; empty pieces are dropped."""
    return [s.strip() for s in _SPLIT.split(text) if s and s.strip()]


def ends_line(line: str, brackets: bool = False) -> bool:
    """The line ends a sentence, a list's lead or a quote: the next line does not continue
    it. `brackets`: a closing bracket ends it too (the last line of a page)."""
    text = line.rstrip()
    return bool(text) and text[-1] in LINE_ENDS + (CLOSING_BRACKETS if brackets else "")

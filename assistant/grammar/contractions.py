"""Contracted forms of a Chinese phrase: 新改扩建 for 新建改扩建.

A contraction keeps characters of the full form in their order, its first and last ones
among them (新建、改建、扩建 → 新改扩建), and leaves out no numeral or particle
(data/contractions.toml). Documents and askers each use either form, so a phrase is named
by a text that holds it contracted or in full. Three characters at least: shorter pairs
(北大) are too often an accident of two unrelated words."""

from __future__ import annotations

import re

from assistant.vocab import compile_pattern, table

_KEPT = compile_pattern(table("assistant.grammar", "contractions.toml")["kept"])
MIN_CHARS = 3
# How many times longer than its contraction a full form may be: 住建部 is 住房城乡建设部,
# 教科院 教育科学研究院 (seven characters for three).
EXPANSION = 3
_HAN = re.compile(r"[\u4e00-\u9fff]+")


def contracts(full: str, short: str) -> bool:
    """Whether `short` is a contraction of `full`."""
    if not MIN_CHARS <= len(short) < len(full) or short[0] != full[0] or short[-1] != full[-1]:
        return False
    dropped: list[str] = []
    at = 0
    for char in short:
        found = full.find(char, at)
        if found < 0:
            return False
        dropped.append(full[at:found])
        at = found + 1
    dropped.append(full[at:])
    return not _KEPT.search("".join(dropped))


def names_contracted(phrase: str, text: str) -> bool:
    """Whether `text` holds `phrase` contracted, or in full where `phrase` is the contraction."""
    if len(phrase) < MIN_CHARS or not _HAN.fullmatch(phrase):
        return False
    for run in _HAN.findall(text):
        for start in (i for i, char in enumerate(run) if char == phrase[0]):
            for end in range(start + MIN_CHARS, min(len(run), start + EXPANSION * len(phrase)) + 1):
                window = run[start:end]
                if window[-1] == phrase[-1] and (contracts(phrase, window) or contracts(window, phrase)):
                    return True
    return False

"""Normalise a question for retrieval: Unicode and width, Traditional → Simplified, and
which script the user wrote in (answers go back in that script)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import opencc

from assistant.documents.text_repair import fold_punctuation

Script = Literal["hans", "hant", "en"]

_CJK = re.compile(r"[\u3400-\u9fff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
_CONTROL = re.compile(r"[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]")
_INVISIBLE = re.compile(r"[\u200b-\u200f\u202a-\u202e\u2060\ufeff]")  # zero-width: removed, not spaced


@lru_cache(maxsize=1)
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def _s2t() -> opencc.OpenCC:
    return opencc.OpenCC("s2t")


def to_simplified(text: str) -> str:
    return _t2s().convert(text)


def to_traditional(text: str) -> str:
    return _s2t().convert(text)


def detect_script(text: str) -> Script:
    """'en' when the question is mostly Latin words; 'hant' when converting to Simplified
    changes enough characters to be deliberate Traditional writing."""
    cjk = _CJK.findall(text)
    if len(_LATIN_WORD.findall(text)) >= 2 and len(cjk) <= 2:
        return "en"
    if not cjk:
        return "hans"
    simplified = to_simplified(text)
    changed = sum(1 for a, b in zip(text, simplified, strict=False) if a != b)
    return "hant" if changed >= max(1, len(cjk) // 12) else "hans"


@dataclass(frozen=True)
class NormalizedQuestion:
    original: str
    text: str  # NFKC, folded punctuation, Simplified: what retrieval sees
    script: Script


def clean_input(text: str) -> str:
    """Strip control characters and collapse whitespace; keeps the user's wording."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def normalize_question(text: str) -> NormalizedQuestion:
    cleaned = clean_input(text)
    script = detect_script(cleaned)
    searchable = unicodedata.normalize("NFKC", cleaned)
    searchable = fold_punctuation(to_simplified(searchable))
    return NormalizedQuestion(original=cleaned, text=searchable, script=script)


def in_script(text: str, script: Script) -> str:
    """Render an answer in the script of the question (English answers keep Chinese
    quotes Simplified: they are quotations)."""
    return to_traditional(text) if script == "hant" else text

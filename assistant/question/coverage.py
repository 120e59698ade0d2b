"""The keyword coverage of a sentence by a question, and the kind of fact it asks for."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from assistant.documents.text_repair import fold_punctuation
from assistant.grammar.numerals import with_digits
from assistant.vocab import compile_pattern, table


def coverage(query_tokens: list[str], text: str, idf: Callable[[str], float]) -> float:
    """Share of the question's keyword weight (idf) that appears in `text`.

    A token appears when it is a substring of the text in the form tokens are made from
    (width and punctuation folded, lower case): every jieba token of the text is one, so
    no tokenising is needed, and scoring stays flat as the corpus grows."""
    if not query_tokens:
        return 0.0
    folded = matching_form(text)
    weights = {t: max(idf(t), 0.1) for t in set(query_tokens)}
    total = sum(weights.values())
    hit = sum(w for t, w in weights.items() if t in text or t in folded or _same_number(t, folded))
    return hit / total if total else 0.0


def _same_number(token: str, folded: str) -> bool:
    """A token holding a number the text writes the other way ("一个月" in "每满1个月")."""
    digits = with_digits(token)
    if digits == token and not any(c.isdigit() for c in token):
        return False
    return digits in with_digits(folded)


@lru_cache(maxsize=16384)
def matching_form(text: str) -> str:
    """The text as tokens are made from it (`lexical.tokenize`)."""
    return fold_punctuation(text).lower()


_SLOTS = table("assistant.question", "slots.toml")
_ASKS_TIME = compile_pattern(_SLOTS["asks"]["time"])
_ASKS_QUANTITY = compile_pattern(_SLOTS["asks"]["quantity"])
_HAS_DATE = compile_pattern(_SLOTS["holds"]["date"])
_HAS_QUANTITY = compile_pattern(_SLOTS["holds"]["quantity"])
_YEAR_IN_QUESTION = compile_pattern(_SLOTS["holds"]["question_year"])
KIND_BONUS = 0.25


def answer_kind(question: str) -> str | None:
    """What a question asks for, when it asks for a date or a number."""
    if _ASKS_TIME.search(question):
        return "time"
    if _ASKS_QUANTITY.search(question):
        return "quantity"
    return None


def kind_bonus(kind: str | None, sentence: str, question: str = "") -> float:
    """A sentence that holds the kind of fact asked for (a date, a figure) is preferred.
    Years the question itself names ("2016年…什么时间") are not the date it asks for."""
    for year in _YEAR_IN_QUESTION.findall(question):
        sentence = sentence.replace(year, "")
    if kind == "time" and _HAS_DATE.search(sentence):
        return KIND_BONUS
    if kind == "quantity" and _HAS_QUANTITY.search(sentence):
        return KIND_BONUS
    return 0.0

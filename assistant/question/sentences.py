"""Chinese sentence splitting and the keyword coverage of a sentence by a question."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.question.lexical import tokenize_cached

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


_ASKS_TIME = re.compile(r"什么时间|什么时候|何时|几号|哪天|哪一天|日期|几月|哪一年|哪年|截止|\bwhen\b", re.I)
_ASKS_QUANTITY = re.compile(r"多少|几[所个座节项名万次课天年周]|数量|how many|how much", re.I)
_HAS_DATE = re.compile(r"\d{1,2}月\d{1,2}日|\d{4}年|\d{4}[/-]\d{1,2}|\d{1,2}[—-]\d{1,2}日|[至到]\d{4}")
_HAS_QUANTITY = re.compile(
    r"\d+(\.\d+)?\s*(万|千|百)?\s*[所座个节项名次课时周天%％人班]|[一二两三四五六七八九十]+[所座个节项名]"
)
_YEAR_IN_QUESTION = re.compile(r"\d{4}年?")
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

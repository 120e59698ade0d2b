"""Everyday words parents use, mapped to the words policy documents use for the same thing
(the maps are data: data/terms.toml).

Expansion terms are added to the keyword side of retrieval (BM25 and coverage) only; the
question itself is unchanged. Entries are general vocabulary, not answers to questions.
"""

from __future__ import annotations

import re

from assistant.vocab import table

_TERMS = table("assistant.question", "terms.toml")
COLLOQUIAL: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _TERMS["colloquial"].items()}
# English questions: the embedder is multilingual, and these terms let keyword search and
# the coverage checks take part too.
ENGLISH: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _TERMS["english"].items()}


_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_WORD = re.compile(r"[a-z]{3,}")


def keyword_reach(text: str) -> float:
    """How much of the question the keyword side can see: 1 for Chinese; for English, the
    share of its content words that an [english] entry translates. What it cannot see,
    only the multilingual dense side can judge."""
    if _CJK.search(text):
        return 1.0
    from assistant.question.lexical import STOPWORDS

    lowered = text.lower()
    words = [m.start() for m in _LATIN_WORD.finditer(lowered) if m.group() not in STOPWORDS]
    if not words:
        return 0.0
    covered: set[int] = set()
    for key in ENGLISH:
        for m in re.finditer(rf"\b{re.escape(key)}", lowered):
            covered.update(range(m.start(), m.end()))
    return sum(1 for start in words if start in covered) / len(words)


def expansions(text: str, keep_present: bool = False) -> list[str]:
    """Policy-language terms for the colloquial (or English) words found in `text`; terms
    already in the text are left out unless `keep_present`."""
    found: list[str] = []
    lowered = text.lower()
    for word, terms in ENGLISH.items():
        if re.search(rf"\b{re.escape(word)}", lowered):
            found.extend(t for t in terms if t not in found)
    for word, terms in COLLOQUIAL.items():
        if word in text:
            found.extend(t for t in terms if (keep_present or t not in text) and t not in found)
    return found


def search_tokens(text: str) -> list[str]:
    """The question's keywords with colloquial words replaced by their policy-language
    terms: '娃作业太多了' → 作业, 学生, 儿童, 负担, 减轻."""
    from assistant.question.lexical import tokenize

    keys = [word for word in COLLOQUIAL if word in text]
    tokens = [t for t in tokenize(text) if not any(t in key for key in keys)]
    if not _CJK.search(text):
        tokens = []  # an English question is matched through its Chinese policy terms only
    # A key's terms come back even when the text holds them: a key that maps to itself
    # (家长 → 家长, 家庭) was removed from the tokens above.
    for term in expansions(text, keep_present=True):
        tokens.extend(t for t in tokenize(term) if t not in tokens)
    return tokens

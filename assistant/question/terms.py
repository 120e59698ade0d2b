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


def expansions(text: str) -> list[str]:
    """Policy-language terms for the colloquial (or English) words found in `text`."""
    found: list[str] = []
    lowered = text.lower()
    for word, terms in ENGLISH.items():
        if re.search(rf"\b{re.escape(word)}", lowered):
            found.extend(t for t in terms if t not in found)
    for word, terms in COLLOQUIAL.items():
        if word in text:
            found.extend(t for t in terms if t not in text and t not in found)
    return found


def search_tokens(text: str) -> list[str]:
    """The question's keywords with colloquial words replaced by their policy-language
    terms: '娃作业太多了' → 作业, 学生, 儿童, 负担, 减轻."""
    from assistant.question.lexical import tokenize

    keys = [word for word in COLLOQUIAL if word in text]
    tokens = [t for t in tokenize(text) if not any(t in key for key in keys)]
    if not re.search(r"[\u4e00-\u9fff]", text):
        tokens = []  # an English question is matched through its Chinese policy terms only
    for term in expansions(text):
        tokens.extend(t for t in tokenize(term) if t not in tokens)
    return tokens

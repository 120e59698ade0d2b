"""The asking clauses of a question that asks more than one thing ("录取通知书几号发？没按时
报到会怎样？"): the answer quotes a sentence for each (`answering/quote.py`). The grammar
is data: data/clauses.toml."""

from __future__ import annotations

from assistant.question.slots import slot_of
from assistant.question.terms import search_tokens
from assistant.vocab import compile_pattern, table

_DATA = table("assistant.question", "clauses.toml")
_SPLIT = compile_pattern(_DATA["split"])
_ASKS = compile_pattern(_DATA["asks"])
CLAUSE_WORDS: int = _DATA["words"]


def asking_clauses(question: str) -> list[str]:
    """The clauses of a question that each ask something ("入学通知书哪天领？领了不按时
    注册会怎样？" → two): split after question marks and before a lead to another question
    (还有, 另外); a clause asks when it ends as a question or has a slot's question form.
    One clause (or none) when the question asks one thing."""
    parts = [p.strip() for p in _SPLIT.split(question) if p and p.strip()]
    return [
        p for p in parts if (_ASKS.search(p) or slot_of(p).kind) and len(search_tokens(p)) >= CLAUSE_WORDS
    ]

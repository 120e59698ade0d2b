"""The asking clauses of a question that asks more than one thing ("录取通知书几号发？没按时
报到会怎样？"): the answer quotes a sentence for each (`answering/quote.py`). The grammar
is data: data/clauses.toml."""

from __future__ import annotations

import jieba

from assistant.question.slots import slot_of
from assistant.question.terms import search_tokens
from assistant.vocab import compile_pattern, table

_DATA = table("assistant.question", "clauses.toml")
_SPLIT = compile_pattern(_DATA["split"])
_COMMA = compile_pattern(_DATA["comma"])
_ASKS = compile_pattern(_DATA["asks"])
_PREMISE = compile_pattern(_DATA["premise"])
CLAUSE_WORDS: int = _DATA["words"]
_DISTRIBUTIVE = compile_pattern(_DATA["distributive"])
_JOINERS = frozenset(_DATA["joiners"])


def asking_clauses(question: str) -> list[str]:
    """The clauses of a question that each ask something ("入学通知书哪天领？领了不按时
    注册会怎样？" → two): split after question marks and before a lead to another question
    (还有, 另外); a clause asks when it ends as a question or has a slot's question form.
    One clause (or none) when the question asks one thing."""
    parts = [clause for part in _asked_parts(question) for clause in _comma_clauses(part)]
    asking = [p for p in parts if asks(p) and len(search_tokens(p)) >= CLAUSE_WORDS]
    return [one for clause in asking for one in _distributed(clause)]


def asks_more(question: str) -> bool:
    """Whether `question` asks something after its first asking part, however short
    ("由哪个部门处理？怎么处理？"): the part asked first is then no whole answer."""
    return sum(1 for p in _asked_parts(question) if asks(p)) >= 2


def _parts(question: str) -> list[str]:
    """`question` split after its question marks and before a lead to another question."""
    return [p.strip() for p in _SPLIT.split(question) if p and p.strip()]


def _asked_parts(question: str) -> list[str]:
    """The parts of `question` less a premise put as a rhetorical question ("不是说要成立
    …吗") when another part asks something: the asker states it, the other part asks."""
    parts = _parts(question)
    premises = [p for p in parts if _PREMISE.search(p)]
    if premises and any(asks(p) for p in parts if p not in premises):
        return [p for p in parts if p not in premises]
    return parts


def asks(text: str) -> bool:
    """Whether `text` asks something: it ends as a question, holds a question word or an
    A-not-A form, or has a slot's question form."""
    return bool(_ASKS.search(text) or slot_of(text).kind)


def _comma_clauses(part: str) -> list[str]:
    """`part` split at the commas where what comes before already asks something and what
    follows asks something else ("网上报名是几号到几号，材料啥时候去学校交"); a comma
    before which nothing is asked yet only sets the scene ("低保家庭的小孩参加医保，保费由
    谁承担") and stays inside the clause."""
    pieces = _COMMA.split(part)
    clauses = [pieces[0]]
    for piece in pieces[1:]:
        if asks(clauses[-1]) and asks(piece) and len(search_tokens(piece)) >= CLAUSE_WORDS:
            clauses.append(piece)
        else:
            clauses[-1] = f"{clauses[-1]}，{piece}"
    return clauses


def _distributed(clause: str) -> list[str]:
    """A clause asking the same of things joined before its distributive word, once for
    each thing ("在编班和学籍上分别要怎么做" → "在编班上…", "在学籍上…"); else the clause."""
    words = jieba.lcut(clause)
    at = next((i for i, w in enumerate(words) if _DISTRIBUTIVE.fullmatch(w)), None)
    if at is None:
        return [clause]
    # The run "A 和 B (、 C …)" closest before the distributive word.
    for end in range(at - 1, 0, -1):
        start = end
        while start >= 2 and words[start - 1] in _JOINERS:
            start -= 2
        if start < end:
            things = words[start : end + 1 : 2]
            before, after = "".join(words[:start]), "".join(words[end + 1 :])
            return [f"{before}{thing}{after}" for thing in things]
    return [clause]

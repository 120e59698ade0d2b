"""Decide whether the documents answer a question.

Not a bare similarity threshold: the decision combines
1. intent guards: attempts to change the rules or extract the prompt, requests for help
   with fraud, and questions whose answer is a person's name (the documents name no one);
2. time sensitivity: a procedural question (dates, applications, points, scores) that only
   a historical document supports is not answered as if it were current;
3. evidence: how much of the question's keyword weight the best passages cover, whether a
   topic noun of the question never occurs in the whole knowledge base, and the dense
   similarity of the best passage — combined into one support score.
The constants were set on a calibration list of answerable and unanswerable questions
kept apart from the evaluation questions (tests/fixtures/refusal_calibration.jsonl,
checked by tests/test_refusal_calibration.py).
"""

from __future__ import annotations

from dataclasses import dataclass

import jieba.posseg as pseg

from assistant.question.lexical import STOPWORDS, LexicalIndex
from assistant.question.retrieve import Passage
from assistant.question.sentences import coverage
from assistant.question.terms import search_tokens
from assistant.vocab import compile_pattern, table

_INTENTS = table("assistant.question", "intents.toml")
_INJECTION = compile_pattern(_INTENTS["guards"]["injection"])
_HARMFUL = compile_pattern(_INTENTS["guards"]["harmful"])
_PERSON_NAME = compile_pattern(_INTENTS["guards"]["person"])
_CURRENT = compile_pattern(_INTENTS["time"]["current"])
_PROCEDURAL = compile_pattern(_INTENTS["time"]["procedural"])
_PAST_MARKERS = compile_pattern(_INTENTS["time"]["past"])
_NOUN_FLAGS = {"n", "nr", "ns", "nt", "nz", "j", "vn", "nrt", "ng"}

# Support-score constants (see module docstring).
DENSE_WEIGHT = 1.0
COVERAGE_WEIGHT = 0.5
SUPPORT_THRESHOLD = 0.56
OOV_PENALTY = 0.1
ENGLISH_DENSE_THRESHOLD = 0.36
# Ranking scores closer than this are a tie: the accepted embedding backends move a
# passage's score by up to 0.02 (p95 over the dev, dev2 and calibration questions, onnx-int8
# against onnx-fp32), so which of two such passages comes first is noise, and a decision
# must not turn on it.
SCORE_TIE = 0.02


@dataclass(frozen=True)
class Decision:
    refuse: bool
    # machine-readable: "injection", "harmful", "person", "historical", "no_support",
    # "prompt_leak" (the answer quoted an instruction prompt and was withdrawn), ""
    reason: str
    support: float = 0.0


def _topic_nouns(question: str) -> list[str]:
    return [
        w.word
        for w in pseg.cut(question)
        if w.flag in _NOUN_FLAGS and len(w.word) >= 2 and w.word not in STOPWORDS
    ]


def unknown_nouns(question: str, lexical: LexicalIndex) -> list[str]:
    """Topic nouns of the question that occur nowhere in the knowledge base."""
    return [n for n in _topic_nouns(question) if lexical.idf(n) >= lexical.max_idf]


def guard(question: str) -> Decision | None:
    """Refusals that depend on what is asked, whatever the documents say."""
    if _INJECTION.search(question):
        return Decision(True, "injection")
    if _HARMFUL.search(question):
        return Decision(True, "harmful")
    if _PERSON_NAME.search(question):
        return Decision(True, "person")
    return None


def decide(
    question: str,
    passages: list[Passage],
    lexical: LexicalIndex,
    script: str = "hans",
) -> Decision:
    """`question` is the normalised (Simplified) standalone question."""
    guarded = guard(question)
    if guarded is not None:
        return guarded
    if not passages:
        return Decision(True, "no_support")
    top = passages[0]
    tied = [p for p in passages[:3] if top.score - p.score <= SCORE_TIE]
    if any(_is_stale(question, p) for p in tied):
        return Decision(True, "historical")
    if script == "en":
        ok = top.dense >= ENGLISH_DENSE_THRESHOLD
        return Decision(not ok, "" if ok else "no_support", top.dense)
    # Coverage over all the question's words, including those no document contains.
    tokens = search_tokens(question)
    best_cov = max(
        max(
            coverage(tokens, p.searchable, lexical.idf),
            coverage(tokens, p.best_sentence, lexical.idf),
        )
        for p in passages[:3]
    )
    support = DENSE_WEIGHT * top.dense + COVERAGE_WEIGHT * best_cov
    if unknown_nouns(question, lexical):
        support -= OOV_PENALTY
    if support < SUPPORT_THRESHOLD:
        return Decision(True, "no_support", support)
    return Decision(False, "", support)


def _is_stale(question: str, top: Passage) -> bool:
    """A current, procedural question whose best evidence is a historical document."""
    if top.metadata.get("status") != "historical":
        return False
    year = str(top.metadata.get("date", ""))[:4]
    if (year and year in question) or _PAST_MARKERS.search(question):
        return False  # the user asks about that time: answer, labelled with the year
    return bool(_PROCEDURAL.search(question) or _CURRENT.search(question))

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

import re
from dataclasses import dataclass

import jieba.posseg as pseg

from assistant.question.lexical import STOPWORDS, LexicalIndex
from assistant.question.retrieve import Passage
from assistant.question.sentences import coverage
from assistant.question.terms import search_tokens

_INJECTION = re.compile(
    r"(忽略|无视|忘记|忘掉|跳过).{0,8}(指令|指示|提示|规则|设定|要求|限制)|"
    r"(系统|初始|原始|隐藏)(提示|指令|设定|prompt)|提示词|system\s*prompt|ignore (all|previous|the)|"
    r"越狱|jailbreak|开发者模式|developer mode|没有(任何)?限制|不受(任何)?限制|DAN\b|"
    r"(你现在是|扮演|假装你是|角色扮演)",
    re.IGNORECASE,
)
_HARMFUL = re.compile(r"伪造|造假|假证|作弊|代考|买卖学位|贿赂|走后门|篡改|盗取|黑进|破解")
_PERSON_NAME = re.compile(
    r"(局长|校长|园长|区长|主任|书记|部长|负责人|老师|委员|市长)(是谁|叫什么|姓什么|的名字|姓名)|"
    r"(谁是|叫什么名字).{0,6}(局长|校长|园长|区长|主任|书记|部长|负责人)"
)
_CURRENT = re.compile(r"今年|本年度|明年|下学期|最新|目前|现在|这学期|今天|本周|近期|20[2-3]\d年")
_PROCEDURAL = re.compile(r"报名|积分|录取|分数|时间|日期|什么时候|几号|截止|排位|派位|名额")
_PAST_MARKERS = re.compile(r"当年|以前|过去|历史|曾经|旧")
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

"""Rewrite a follow-up ("那幼儿园呢？", "它的学位有多少？") into a standalone question.

By rules when no LLM is configured: a follow-up is short or leans on a pronoun; its new
topic replaces the earlier question's topic of the same kind (a school stage for a school
stage, a subject for a subject), and a pronoun is replaced by the earlier topic. With an
LLM, the condense prompt in prompts/ does the rewrite.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import jieba.posseg as pseg

Turn = tuple[str, str]  # (question, answer)

_FOLLOW_UP_LEAD = re.compile(
    r"^(那么?|那如果|如果是|还有|另外|再问一下|那对于|对于|至于|and|what about|how about)", re.I
)
_FOLLOW_UP_TAIL = re.compile(r"(呢|的呢|怎么样|如何)[？?。.!！]*$")
_PRONOUN = re.compile(
    r"(它们?的?|其|该校|该园|这所学校|这个学校|这些|这项|这个|上述|他们的?|them|it|its|they)"
)
_PUNCT_END = re.compile(r"[？?。.!！\s]+$")

# Interchangeable topics: a follow-up naming one swaps out its sibling in the earlier question.
TOPIC_GROUPS: tuple[tuple[str, ...], ...] = (
    (
        "幼儿园",
        "学前教育",
        "托育",
        "小学",
        "初中",
        "高中",
        "中学",
        "义务教育",
        "中小学",
        "高级中学",
        "学校",
    ),
    (
        "体育",
        "美育",
        "艺术",
        "音乐",
        "美术",
        "劳动教育",
        "劳动",
        "德育",
        "心理健康",
        "阅读",
        "科技",
        "英语",
        "书法",
    ),
    ("每周", "每天", "每学年", "每学期", "每年"),
    ("校长", "教师", "老师", "学生", "家长", "班主任", "教研员"),
    ("街道办", "教育局", "教科院", "国土规划部门", "领导小组"),
)
SHORT_FOLLOW_UP = 10


def is_follow_up(question: str) -> bool:
    q = question.strip()
    core = _PUNCT_END.sub("", q)
    return bool(
        _FOLLOW_UP_LEAD.search(core)
        or (_FOLLOW_UP_TAIL.search(q) and len(core) <= SHORT_FOLLOW_UP + 4)
        or (_PRONOUN.search(core) and len(core) <= 20)
        or len(core) <= 4
    )


def _new_topic(question: str) -> str:
    core = _PUNCT_END.sub("", question.strip())
    core = _FOLLOW_UP_LEAD.sub("", core)
    core = re.sub(r"(的话)?(呢|的呢|怎么样|如何)$", "", core)
    return core.strip(" ，,")


def _group_of(term: str) -> tuple[str, ...] | None:
    for group in TOPIC_GROUPS:
        if any(member in term or term in member for member in group):
            return group
    return None


_INSTITUTION = re.compile(
    r"[\u4e00-\u9fff0-9]{0,16}(高级中学|中学|小学|学校|幼儿园|中心|教育局|教科院|委员会|街道办)"
)


def _main_topic(question: str) -> str:
    """What a pronoun most likely refers to: a named institution, else the longest noun."""
    institutions = [m.group(0) for m in _INSTITUTION.finditer(question)]
    if institutions:
        return max(institutions, key=len)
    nouns = [w.word for w in pseg.cut(question) if w.flag.startswith(("n", "j")) and len(w.word) >= 2]
    return max(nouns, key=len) if nouns else ""


def condense_by_rules(question: str, history: Sequence[Turn]) -> str:
    if not history or not is_follow_up(question):
        return question
    previous = _PUNCT_END.sub("", history[-1][0])
    core = _PUNCT_END.sub("", question.strip())
    if _PRONOUN.search(core) and not _FOLLOW_UP_TAIL.search(question):
        topic = _main_topic(previous)
        if topic:
            return _PRONOUN.sub(topic + "的", core, count=1).replace("的的", "的") + "？"
    topic = _new_topic(question)
    if not topic:
        return previous + "？"
    group = _group_of(topic)
    if group:
        for member in sorted(group, key=len, reverse=True):
            if member in previous and member not in topic:
                return previous.replace(member, topic, 1) + "？"
    return f"{topic}：{previous}？"


def condense(
    question: str,
    history: Sequence[Turn],
    llm_rewrite: Callable[[str, Sequence[Turn]], str] | None = None,
) -> str:
    """The standalone form of `question`; unchanged when it does not depend on history."""
    if not history:
        return question
    if llm_rewrite is not None:
        rewritten = llm_rewrite(question, history).strip()
        return rewritten or question
    return condense_by_rules(question, history)

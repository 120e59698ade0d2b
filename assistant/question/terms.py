"""Everyday words parents use, mapped to the words policy documents use for the same thing.

Expansion terms are added to the keyword side of retrieval (BM25 and coverage) only; the
question itself is unchanged. Entries are general vocabulary, not answers to questions.
"""

from __future__ import annotations

import re

COLLOQUIAL: dict[str, tuple[str, ...]] = {
    "娃": ("学生", "儿童"),
    "孩子": ("学生", "儿童"),
    "小孩": ("学生", "儿童"),
    "娃娃": ("儿童", "幼儿"),
    "小朋友": ("儿童", "幼儿"),
    "太多": ("负担", "减轻"),
    "太重": ("负担", "减轻"),
    "太累": ("负担", "减轻"),
    "补课": ("课外辅导", "校外培训"),
    "补习": ("课外辅导", "校外培训"),
    "上学": ("入学", "就读"),
    "读书": ("入学", "就读"),
    "学费": ("收费", "费用"),
    "交钱": ("收费", "费用"),
    "多少钱": ("收费", "费用"),
    "体育课": ("体育与健康课",),
    "学区房": ("学区", "住房"),
    "没学位": ("学位", "供给"),
    "学位紧张": ("学位", "供给"),
    "新学校": ("新建", "学校"),
    "建学校": ("新建", "学校"),
    "排名": ("排名", "等级"),
    "老师": ("教师",),
    "家长": ("家长", "家庭"),
    "幼儿园老师": ("幼儿园教师",),
    "托班": ("托育",),
    "放学后": ("课后服务",),
    "课后托管": ("课后服务",),
    "近视": ("视力",),
    "心理问题": ("心理健康",),
    "干活": ("劳动",),
    "家务": ("家务劳动", "劳动"),
}


# English questions: the embedder is multilingual, and these terms let keyword search and
# the coverage checks take part too.
ENGLISH: dict[str, tuple[str, ...]] = {
    "hong kong": ("香港", "港人"),
    "international school": ("国际学校",),
    "international": ("国际",),
    "kindergarten": ("幼儿园",),
    "preschool": ("学前教育",),
    "primary school": ("小学",),
    "middle school": ("中学",),
    "high school": ("高中", "高级中学"),
    "school places": ("学位",),
    "school seats": ("学位",),
    "places": ("学位",),
    "seats": ("学位",),
    "homework": ("作业",),
    "labour education": ("劳动教育",),
    "labor education": ("劳动教育",),
    "physical education": ("体育",),
    "pe class": ("体育",),
    "mental health": ("心理健康",),
    "reading": ("阅读",),
    "teacher": ("教师",),
    "principal": ("校长",),
    "exam": ("考试",),
    "admission": ("入学", "招生"),
    "enrol": ("入学", "招生"),
    "enroll": ("入学", "招生"),
    "class size": ("班额",),
    "oversized classes": ("超班额",),
    "new schools": ("新建", "学校"),
    "build": ("新建",),
    "built": ("新建",),
    "new": ("新增",),
    "family education": ("家庭教育",),
    "art": ("艺术",),
    "science": ("科技",),
    "sports": ("体育",),
    "school": ("学校",),
    "children": ("儿童",),
    "students": ("学生",),
    "parents": ("家长",),
    "street office": ("街道办",),
    "education bureau": ("教育局",),
}


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

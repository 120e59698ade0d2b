"""The subject a value question is about, and whether a sentence is about it.

"深圳市第十九高级中学的学费是多少钱？" asks for a figure (`slots.py`) of one named school: a
figure from a sentence about another school, or about a city-wide rule, does not answer
it. The subject is read from the question's grammar (jieba's parts of speech), not from a
list of names: the noun phrase before the question form that holds a proper name, an
ordinal (第十九) or a quoted name; the asked thing is the noun phrase after its 的 (学费).
A phrase naming only a kind of subject (公办幼儿园) or only a place (深圳, the question's
scope) is no specific subject. Forms and tags are data: data/subject.toml.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

import jieba
import jieba.posseg as pseg

from assistant.grammar.contractions import names_contracted
from assistant.grammar.places import areas_named, bare_area, is_origin, is_place_name, is_short_division_name
from assistant.grammar.sentences import PROSE_MARKS
from assistant.question.coverage import coverage
from assistant.question.slots import PHONE, Slot
from assistant.question.terms import COLLOQUIAL, search_tokens
from assistant.vocab import alternation, table

_DATA = table("assistant.question", "subject.toml")
_NOUN = frozenset(_DATA["tags"]["noun"])
_NAME = frozenset(_DATA["tags"]["name"])
_PLACE = frozenset(_DATA["tags"]["place"])
_ORDINAL = re.compile(_DATA["forms"]["ordinal"])
_QUOTED = re.compile(_DATA["forms"]["quoted"])
_COPULA = re.compile(_DATA["forms"]["copula"])
_FORM = re.compile(_DATA["forms"]["question_form"])
_DEED_LEAD = re.compile(_DATA["forms"]["deed_lead"])
_JOINERS = frozenset(_DATA["forms"]["joiners"])
_DOCUMENT = re.compile(_DATA["forms"]["document"])
_CATEGORY = re.compile(_DATA["forms"]["category"])
_REFERENCES = tuple((word, re.compile(pattern)) for word, pattern in _DATA["references"].items())
_CLAUSE_BREAK = re.compile(rf"[{re.escape(PROSE_MARKS)}\s]|{_DATA['forms']['conditional']}")
_OF = "的"
# Sentence-final particles after the asked action ("哪一年创办的" → 创办).
_PARTICLES = re.compile(_DATA["forms"]["final_particles"])
_TIME = _DATA["forms"]["time_modifier"]
_LABEL = re.compile(_DATA["forms"]["letter_label"])
_LEVEL = re.compile(_DATA["forms"]["level"])
_HAN = re.compile(r"[\u4e00-\u9fff]+")
LEVEL_HEAD = 2  # characters of the thing read after a level ("省|财政")
AREAS_SET_OUT = 2  # other areas a text names for it to be set out area by area
_LABEL_TAG = "nz"  # a name of the language's own kind: a proper name of a category

# Share of the subject name's keyword weight (idf) a sentence with its heading path and
# document title must hold to be about the subject (chosen on the even lines of dev,
# dev2 and dev_extra, confirmed on the odd ones; docs/answers.md).
SUBJECT_COVERAGE = 1.0
MIN_THING = 2  # characters
LEADING_WORDS_MIN = 2  # words of a noun phrase read from the start of a running clause
# A dictionary entry seen fewer times than this in the segmenter's corpus is no word of
# the language for made_up_verb_phrase (会扣: 3; 学费 950, 会议 28,363).
RARE_WORD = 10
BODY = "body"  # the slot kind of a question asking who (slots.toml)


@dataclass(frozen=True)
class Subject:
    name: str  # the named subject ("深圳市第十九高级中学"), "" when the question names none
    thing: str  # what of it is asked for ("学费"), "" when the question does not say
    explicit: bool = False  # the thing is named as such (…的学费, …什么时候开学)
    action: bool = False  # the thing is the asked action after the question form (开学)
    # For a body question ("区里会派谁来协助"), what the asked body does (协助): a sentence
    # that states a body and this deed names the body asked for.
    deed: str = ""

    @property
    def reference(self) -> str:
        """How an answer refers back to the subject: 该校, 该园, 该单位… or its name."""
        return next((word for word, form in _REFERENCES if form.search(self.name)), self.name)

    def missing(self, label: str, names_thing: bool = True) -> str:
        """What the documents do not state: "该校的学费", "学费", or the slot's label.
        Without `names_thing` the question's nouns name what is located, not the value,
        and the label alone says what is missing ("具体地址", "查询的网站或平台")."""
        if not names_thing:
            return label
        if self.name and self.action and self.thing:
            return f"{self.reference}{self.thing}的{label}"  # 该校开学的具体时间
        if self.name:
            return f"{self.reference}的{self.thing or label}"
        return self.thing if self.explicit and self.thing else label

    def named_in(self, text: str, idf: Callable[[str], float]) -> bool:
        """Whether `text` (a sentence with its heading path and title) names the subject;
        True when the question names none."""
        name = _DOCUMENT.sub("", self.name)
        return _names(name, text, idf) or (
            (bare := _CATEGORY.sub("", name)) != name and _names(bare, text, idf)
        )

    def states_thing(self, text: str, idf: Callable[[str], float]) -> bool:
        """Whether `text` speaks of the asked thing (学费); True when none is known."""
        return _names(self.thing, text, idf)

    def states_deed(self, text: str, idf: Callable[[str], float]) -> bool:
        """Whether `text` speaks of what the asked body does; False when it is unknown."""
        return bool(self.deed) and _names(self.deed, text, idf)


NO_SUBJECT = Subject("", "")

_STAGES = {stage: re.compile(pattern) for stage, pattern in _DATA["stages"].items()}
_TRANSITIONS = re.compile(alternation(_DATA["stage_transitions"]["words"]))
_STAGE_COVER = {word: frozenset(stages) for word, stages in _DATA["stage_cover"].items()}


def other_level(question: str, clause: str) -> str:
    """The thing at a level of government the question asks about ("省财政") when `clause`
    names that thing only at other levels ("其余由市财政负担50%"); "" otherwise."""
    asked = [
        (m.group(1), head, m.end())
        for m in _LEVEL.finditer(question)
        if len(head := question[m.end() : m.end() + LEVEL_HEAD]) == LEVEL_HEAD and _HAN.fullmatch(head)
    ]
    if any(re.search(rf"{level}级?{re.escape(head)}", clause) for level, head, _ in asked):
        return ""
    for level, head, at in asked:
        if any(m.group(1) != level for m in re.finditer(rf"{_LEVEL.pattern}{re.escape(head)}", clause)):
            # Named by the word the thing starts ("区县|教育局" → 县教育局, not 县教育).
            word = next(iter(jieba.cut(question[at:])), head)
            return f"{level}{word if word.startswith(head) else head}"
    return ""


def other_area(question: str, text: str) -> str:
    """The area below a city the question asks about ("火炬开发区") when `text`, a quote with
    its heading path and title, names two or more other areas and not that one: the
    documents are set out area by area, and the asked one is not among them."""
    asked = [area for area in areas_named(question) if not is_origin(area, question)]
    if not asked:
        return ""  # read the text (a tagging pass over whole passages) only when it matters
    named = [area for area in areas_named(text) if area not in asked]
    if len(named) < AREAS_SET_OUT:
        return ""
    if any(area in text or bare_area(area) in text for area in asked):
        return ""
    return asked[0]


def stages_named(text: str) -> frozenset[str]:
    """The school stages `text` names, by a stage's own words or a level covering it."""
    named: set[str] = set()
    spans: list[tuple[int, int]] = []
    for stage, pattern in _STAGES.items():
        for match in pattern.finditer(text):
            named.add(stage)
            spans.append(match.span())
    for word, covered in _STAGE_COVER.items():
        # A level's word read across a stage's ("高中学业" holds 中学) names no level.
        starts = (m.start() for m in re.finditer(re.escape(word), text))
        if any(not any(lo < at < hi for lo, hi in spans) for at in starts):
            named |= covered
    return frozenset(named)


def other_stage(question: str, text: str) -> str:
    """The stages a question asks about ("初中", "小学、初中" for 小升初) when `text` names
    only other stages, else ""."""
    asked = stages_named(question)
    # "小升初，初中是什么时候报名": the stage named besides the transition is the one asked.
    explicit = stages_named(_TRANSITIONS.sub("", question)) if _TRANSITIONS.search(question) else frozenset()
    asked = explicit or asked
    named = stages_named(text)
    if not asked or not named or named & asked:
        return ""
    return "、".join(stage for stage in _STAGES if stage in asked)


def _names(phrase: str, text: str, idf: Callable[[str], float]) -> bool:
    """`text` holds `phrase` as written or contracted (新建改扩建 → 新改扩建), or enough of
    its keywords (with the terms map's forms, any one of a word's: 学费 → 收费); an empty
    phrase is named everywhere."""
    if not phrase or phrase in text or names_contracted(phrase, text):
        return True
    if _LABEL.fullmatch(phrase):
        # A letter label is named as written: its keyword (类) is any category's.
        return phrase in unicodedata.normalize("NFKC", text)
    tokens = search_tokens(phrase)
    # A colloquial word's document forms are alternatives: 小升初 is named by 初中 or by
    # 招生, not only by both.
    for word, forms in COLLOQUIAL.items():
        if word in phrase and any(form in text for form in forms):
            tokens = [t for t in tokens if t not in forms or t in text]
    return not tokens or coverage(tokens, text, idf) >= SUBJECT_COVERAGE - 1e-9


@lru_cache(maxsize=2048)
def tagged(text: str) -> tuple[tuple[str, str], ...]:
    """`text`'s words with their parts of speech (jieba), cached. A category's letter label
    ("A类", "B档"), which the segmenter cuts into a letter and a classifier, is one name."""
    words: list[tuple[str, str]] = []
    for w in pseg.cut(text):
        if words and _LABEL.fullmatch(words[-1][0] + w.word):
            words[-1] = (words[-1][0] + w.word, _LABEL_TAG)
        else:
            words.append((w.word, w.flag))
    return tuple(words)


def asked_subject(question: str, slot: Slot) -> Subject:
    """The subject and asked thing of a value question, from the clause holding its
    question form."""
    if slot.at < 0:
        return NO_SUBJECT
    start = max((m.end() for m in _CLAUSE_BREAK.finditer(question, 0, slot.at)), default=0)
    end = next((m.start() for m in _CLAUSE_BREAK.finditer(question, slot.at)), len(question))
    head = question[start : slot.at]
    explicit = _OF in head
    if explicit:
        head, _, after = head.rpartition(_OF)
        # "…的课后服务一个学期要交多少钱": the noun phrase right after 的 is the thing.
        thing = _noun_phrase(after) or _leading_nouns(after)
        if thing and any(thing.endswith(j) for j in _JOINERS):
            # "地址和联系电话是什么": the things joined run into the question form.
            thing += question[slot.at : slot.until]
    else:
        thing = _trailing_nouns(head)
    quoted = _QUOTED.search(head)
    name = quoted.group(1) if quoted else _named_phrase(head)
    if name and thing and (thing in name or name in thing):
        thing = ""
    action = False
    if name and not thing:
        # "…什么时候开学": the asked thing follows the question form.
        asked = _FORM.sub("", question[slot.at : end])
        thing = _trailing_nouns(_PARTICLES.sub("", asked), verbs=True)
        explicit = action = True
    if len(thing) < MIN_THING:  # a unit (班, 分) is no thing: the slot's label says it better
        thing = ""
    deed = ""
    if slot.kind == BODY and slot.until > slot.at:
        # "谁来协助": the body asked for is the one that does what follows the form.
        deed = _trailing_nouns(_DEED_LEAD.sub("", question[slot.until : end]), verbs=True)
    return Subject(name, thing, explicit, action, deed if len(deed) >= MIN_THING else "")


def owner_asked(question: str, slot: Slot) -> Subject:
    """The subject of a question asking a phone number: the one its asking clause names, or
    else the institution the question names anywhere ("…服务中心在哪里办公 有没有咨询电话"):
    a number is the number of whom it is listed under."""
    subject = asked_subject(question, slot)
    if subject.name or slot.kind != PHONE:
        return subject
    name = _named_phrase(question)
    return replace(subject, name=name) if name and _INSTITUTION.search(name) else subject


def made_up_verb_phrase(word: str) -> bool:
    """A segment the segmenter made up (in no dictionary, or a rare entry of it) that opens
    with a copula or modal verb (能罚 = 能 + 罚, 会扣 = 会 + 扣): a verb phrase, not a noun."""
    tag = pseg.dt.word_tag_tab.get(word)
    freq = jieba.dt.FREQ.get(word, 0)
    rare = tag is None or freq < RARE_WORD
    if rare:
        return any(_COPULA.fullmatch(word[:n]) for n in range(1, len(word)))
    # A name in the dictionary that is a copula or preposition before a commoner word
    # ("在城镇" = 在 + 城镇, tagged a transliterated name): a phrase, not a name.
    return str(tag).startswith("nr") and any(
        _COPULA.fullmatch(word[:n]) and jieba.dt.FREQ.get(word[n:], 0) > freq for n in range(1, len(word))
    )


def _content(text: str) -> list[tuple[str, str]]:
    """The tagged words of `text` without the copulas and adverbs that end it (是, 要…)."""
    words = list(tagged(text))
    while words and _COPULA.fullmatch(words[-1][0]):
        words.pop()
    return words


def _noun_phrase(text: str) -> str:
    """`text` when it is all noun phrase (学费, 住宿费和伙食费), else ""."""
    words = _content(text)
    if words and all(
        (flag in _NOUN and not made_up_verb_phrase(word)) or word in _JOINERS for word, flag in words
    ):
        return "".join(word for word, _ in words)
    return ""


def _trailing_nouns(text: str, verbs: bool = False) -> str:
    """The run of noun words that ends `text` (录取分数线是 → 分数线); with `verbs`, the
    asked action after a question form counts too (开学)."""
    run: list[str] = []
    for word, flag in reversed(_content(text)):
        if (flag not in _NOUN or made_up_verb_phrase(word)) and not (verbs and flag.startswith("v")):
            break
        run.insert(0, word)
    return "".join(run)


def _leading_nouns(text: str) -> str:
    """The run of noun words that opens `text` (课后服务一个学期要交 → 课后服务)."""
    run: list[tuple[str, str]] = []
    for word, flag in tagged(text):
        if (flag not in _NOUN and flag != _TIME) or made_up_verb_phrase(word):
            break
        run.append((word, flag))
    while run and run[-1][1] == _TIME:
        run.pop()
    # One word alone is too weak a reading of a clause that runs on ("基础|分是",
    # "老师|能拿…奖金"): only a compound (课后|服务) is taken for the thing.
    return "".join(word for word, _ in run) if len(run) >= LEADING_WORDS_MIN else ""


def _unknown_noun(word: str) -> bool:
    """A noun of two or more characters the segmenter found in no dictionary (市桥 of
    市桥实验小学, 笋岗): a name it does not know, where a kind of subject (公办, 民办) is a
    word of the language."""
    return len(word) > 1 and word not in pseg.dt.word_tag_tab and not jieba.dt.FREQ.get(word)


def _is_place(word: str, flag: str) -> bool:
    """A division's name is a place whatever its tag (jieba tags 建邺区 as a person's name)."""
    return flag in _PLACE or is_place_name(word) or is_short_division_name(word)


# A school, kindergarten or office ([references] 该校, 该园, 该单位): an unknown word names one.
_INSTITUTION = re.compile("|".join(f"(?:{form.pattern})" for word, form in _REFERENCES if word != "该项目"))


def _named_phrase(head: str) -> str:
    """The last run of noun words in `head` that holds a proper name or an ordinal and
    is more than a place name."""
    runs: list[list[tuple[str, str]]] = [[]]
    for word, flag in tagged(head):
        if (flag in _NOUN and not made_up_verb_phrase(word)) or _ORDINAL.match(word):
            runs[-1].append((word, flag))
        elif runs[-1]:
            runs.append([])
    for run in reversed(runs):
        # A one-character name is a place's short form after a verb ("来宁务工人员": come
        # to Nanjing), never what makes a phrase a name.
        # A place names a subject only as the start of an institution's or a document's
        # name (深圳中学, 罗湖计划), not of a phrase that goes on in common nouns (罗湖|计划|
        # 重点 of "罗湖计划重点打造…": 罗湖 plans to focus on).
        text = "".join(word for word, _ in run)
        institution = _INSTITUTION.search(text) is not None or _DOCUMENT.search(text) is not None
        places = [_is_place(word, flag) for word, flag in run]
        named = any(
            (flag in _NAME and len(word) > 1 and not place) or _ORDINAL.match(word)
            for (word, flag), place in zip(run, places, strict=True)
        ) or (
            institution
            and any(place or _unknown_noun(word) for (word, _), place in zip(run, places, strict=True))
        )
        if named and not all(places):
            return "".join(word for word, _ in run)
    return ""

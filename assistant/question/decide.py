"""Decide how the documents answer a question: answer, partial, or refuse.

Not a bare similarity threshold: the decision combines
1. intent guards aimed at the assistant: instructions to change its rules, reveal its
   prompt or play another part, and requests for help doing harm; a question whose answer
   is a person's name (the documents name no one) is refused too;
2. evidence: a logistic regression over named features (`decision_features`: the dense
   similarity of the best passage and of the best sentence, the margin to the next
   document, keyword coverage, topic words the knowledge base never uses, the asked-for
   value found, document status) gives the probability that the documents answer; its
   coefficients are fitted with k-fold cross-validation by
   `python -m assistant.evaluation.fit_decision` and read from data/decision.toml;
3. the asked-for slot (`slots.py`): a question asking for a figure, a date, a duration or
   a body whose best passages state none is a **partial** answer (reason "not_stated"):
   the documents cover the subject but not the value;
4. time: a question about now or a coming year whose only evidence is a historical
   document is not answered from it: the answer is partial (reason "historical"), saying
   that the documents do not state this year's value and quoting the closest, labelled
   with its document's year; any other question answered from a historical document is
   answered with that document's year.
The fitted figures are in docs/answers.md.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

import jieba.posseg as pseg

from assistant.grammar.contractions import names_contracted
from assistant.grammar.places import asked_places, narrowest, place_codes, same_scope
from assistant.grammar.sentences import CLAUSE_MARKS, ENDS
from assistant.question.coverage import coverage
from assistant.question.lexical import STOPWORDS, LexicalIndex
from assistant.question.retrieve import Passage, asked_now
from assistant.question.slots import NO_SLOT, SLOT_PASSAGES, VALUE_WORD, Slot, filling_passage, slot_of
from assistant.question.subject import asked_subject, made_up_verb_phrase
from assistant.question.terms import expansions, search_tokens
from assistant.vocab import compile_pattern, table

_INTENTS = table("assistant.question", "intents.toml")
_INJECTION = compile_pattern(_INTENTS["guards"]["injection"])
_HARMFUL = compile_pattern(_INTENTS["guards"]["harmful"])
_ASKED_YEAR = compile_pattern(_INTENTS["time"]["asked_year"])
_TITLE_YEARS = compile_pattern(_INTENTS["time"]["title_years"])
_NOUN_FLAGS = {"n", "nr", "ns", "nt", "nz", "j", "vn", "nrt", "ng"}

# The fitted decision model (data/decision.toml): feature means and scales, coefficients,
# intercept, and the probability above which a question is answered.
_MODEL = table("assistant.question", "decision.toml")
FEATURES: tuple[str, ...] = tuple(_MODEL["features"])
ENGLISH_DENSE_THRESHOLD = 0.36
# Ranking scores closer than this are a tie: the accepted embedding backends move a
# passage's score by up to 0.02 (p95 over the dev, dev2 and calibration questions, onnx-int8
# against onnx-fp32), so which of two such passages comes first is noise, and a decision
# must not turn on it.
SCORE_TIE = 0.02
# A long question told in clauses (spaces or commas between them) is also judged by its
# best-covered clause of at least CLAUSE_MIN characters.
_CLAUSE_BREAK = re.compile(rf"[{re.escape(ENDS + CLAUSE_MARKS)}\s]+")
CLAUSE_MIN = 4

# Characters before the question form where the thing asked about is named (分数线|多少分).
HEAD_WINDOW = 4
# The thing whose value is asked stands right before the form, or before a copula or modal
# (分数线多少分, 学费是多少, 分数线要多少分). A noun that a time clause or a preposition
# follows is not it: "在落户后多长时间内" (the event the period runs from), "新房要在哪天
# 之前住进去" (the subject of the clause whose time is asked).
_THING_LINK = re.compile("(?:是|为|有|要|需要|的)?")

# A district is named unambiguously by a name of at least this many characters (福田区, not
# 西区).
DISTRICT_NAME_MIN = 3

# Values set anew each year (dates, scores, quotas, periods): a historical document does not
# give this year's.
YEARLY_SLOTS = frozenset({"date", "day", "month", "figure", "duration"})


# Partial outcomes: the documents cover the subject, not the asked-for value
# ("not_stated"), or cover it only for another year than the one asked ("other_year", or
# "historical": this year's is asked and only a past year's document gives one), or only
# for other places than the one asked ("other_place").
PARTIAL_REASONS = frozenset({"not_stated", "other_year", "historical", "other_place"})


@dataclass(frozen=True)
class Decision:
    refuse: bool
    # machine-readable: "injection", "harmful", "person", "no_support", the partial ones
    # (PARTIAL_REASONS: "not_stated", "other_year", "historical", "other_place"),
    # "prompt_leak" (the answer quoted an instruction prompt and was withdrawn),
    # "llm_declined" (the LLM said the documents do not answer), ""
    reason: str
    support: float = 0.0
    slot: Slot = NO_SLOT

    @property
    def partial(self) -> bool:
        return self.reason in PARTIAL_REASONS


def _topic_nouns(question: str) -> list[str]:
    return [
        w.word
        for w in pseg.cut(question)
        if w.flag in _NOUN_FLAGS
        and len(w.word) >= 2
        and w.word not in STOPWORDS
        and not made_up_verb_phrase(w.word)
    ]


def unknown_nouns(question: str, lexical: LexicalIndex, passages: Sequence[Passage] = ()) -> list[str]:
    """Topic nouns of the question that occur nowhere in the knowledge base, in their own
    form or in a policy-language form the term maps give them (房子 → 住房, 居所), nor, in
    `passages`, contracted with the characters before it: "住建部" is cut 住|建部, and
    建部 is no word the documents lack when they write 住房城乡建设部."""
    return [
        n
        for n in _topic_nouns(question)
        if lexical.idf(n) >= lexical.max_idf
        and all(lexical.idf(term) >= lexical.max_idf for term in expansions(n, keep_present=True))
        and not _contracted_in(question, n, passages)
    ]


CONTRACTION_LEAD = 2  # characters before a noun that may begin the contraction it ends


def _contracted_in(question: str, noun: str, passages: Sequence[Passage]) -> bool:
    at = question.find(noun)
    forms = [question[at - k : at + len(noun)] for k in range(CONTRACTION_LEAD + 1) if at - k >= 0]
    texts = [f"{p.title} {p.section} {p.text}" for p in passages[:SLOT_PASSAGES]]
    return any(names_contracted(form, text) for form in forms for text in texts)


def guard(question: str) -> Decision | None:
    """Refusals that depend on what is asked, whatever the documents say."""
    if _INJECTION.search(question):
        return Decision(True, "injection")
    if _HARMFUL.search(question):
        return Decision(True, "harmful")
    if slot_of(question).kind == "person":
        return Decision(True, "person", slot=slot_of(question))
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
    passages = keyword_led(passages)
    slot = slot_of(question)
    top = passages[0]
    tied = [p for p in passages[:3] if _led(top) - _led(p) <= SCORE_TIE]
    if slot.kind in YEARLY_SLOTS and _now_asked(question, slot) and any(_is_stale(question, p) for p in tied):
        # "今年小一几号报名" answered by the 2016 guide: a past year's value must not read as
        # this year's. What the documents would answer is quoted, labelled with its
        # document's year; what they would not is refused as any other question.
        found = _by_evidence(question, passages, lexical, slot, script)
        if found.refuse:
            return found
        when = re.sub(r"\s+", "", asked_now(question))
        return Decision(
            True, "historical", found.support, replace(slot, label=f"{when}的{slot.label or '安排'}")
        )
    if of_other_year := other_year(question, slot, tied):
        # "2016学年…几月几号" answered by the 2015学年 notice: the value asked is that year's,
        # and the documents give another year's; the closest is quoted, marked as partial.
        return of_other_year
    if place := _other_place(question, tied):
        # "广州的娃买少儿医保…" answered by Shenzhen's notice: the documents cover the subject
        # for another place; the closest is quoted, marked as not about the asked place.
        label = f"{place}的{slot.label or '规定'}"
        label_en = f"{slot.label_en or 'the rules'} for {place}"
        return Decision(True, "other_place", slot=replace(slot, label=label, label_en=label_en))
    return _by_evidence(question, passages, lexical, slot, script)


def _by_evidence(
    question: str, passages: list[Passage], lexical: LexicalIndex, slot: Slot, script: str
) -> Decision:
    """Answer, partial (not_stated) or refuse by the fitted model over the evidence;
    `passages` keyword-led."""
    top = passages[0]
    if script == "en":
        if top.dense < ENGLISH_DENSE_THRESHOLD:
            return Decision(True, "no_support", top.dense, slot)
        if (
            slot.asks_value
            and filling_passage(slot, question, *_texts_and_sections(passages[:SLOT_PASSAGES])) is None
        ):
            # As for a Chinese question: the subject is covered, a value of the asked kind
            # (a fee in 元, a count of people) is not.
            return Decision(True, "not_stated", top.dense, slot)
        return Decision(False, "", top.dense, slot)
    unknown = unknown_nouns(question, lexical, passages)
    features = decision_features(question, passages, lexical, slot, unknown)
    support = answer_probability(features)
    threshold = float(_MODEL["threshold"])
    if support < threshold:
        # Refused only because the asked-for value is not there (the same evidence with the
        # value found would be answered): the subject is covered, so the answer is partial.
        covered = answer_probability({**features, "value_missing": 0.0, "unknown_asked": 0.0})
        if slot.asks_value and covered >= threshold:
            return Decision(True, "not_stated", support, slot)
        return Decision(True, "no_support", support, slot)
    if slot.asks_value and (
        _asks_about_unknown(question, slot, unknown)
        or filling_passage(slot, question, *_texts_and_sections(passages[:SLOT_PASSAGES])) is None
    ):
        # The subject is covered, the value is not: the thing whose value is asked for is a
        # word the documents never use (分数线多少分), or no sentence of the best passages
        # states a value of that kind.
        return Decision(True, "not_stated", support, slot)
    return Decision(False, "", support, slot)


def decision_features(
    question: str,
    passages: list[Passage],
    lexical: LexicalIndex,
    slot: Slot | None = None,
    unknown: list[str] | None = None,
) -> dict[str, float]:
    """The named evidence the decision model reads (passages best first, not empty)."""
    slot = slot if slot is not None else slot_of(question)
    unknown = unknown if unknown is not None else unknown_nouns(question, lexical, passages)
    passages = keyword_led(passages)
    top = passages[0]
    other_doc = [_led(p) for p in passages[1:] if p.doc_id != top.doc_id]
    sentence_dense = [v for p in passages[:3] for v in p.sentence_dense.values()]
    filled = filling_passage(slot, question, *_texts_and_sections(passages[:SLOT_PASSAGES])) is not None
    return {
        "passage_dense": top.dense,
        "sentence_dense": max(sentence_dense, default=top.dense),
        "coverage": _coverage(question, passages, lexical),
        "margin": _led(top) - (other_doc[0] if other_doc else _led(top) - 1.0),
        "unknown_words": float(len(unknown)),
        "unknown_asked": float(slot.asks_value and _asks_about_unknown(question, slot, unknown)),
        "value_missing": float(slot.asks_value and not filled),
        "historical": float(top.metadata.get("status") == "historical"),
        "subject_missing": _subject_missing(question, slot, passages, lexical),
    }


def _led(passage: Passage) -> float:
    return passage.score if passage.keyword_led is None else passage.keyword_led


def keyword_led(passages: list[Passage]) -> list[Passage]:
    """The passages in the order of the settings' weights (keyword-led), which the decision
    model was fitted on: whichever ranking orders the answer's evidence, whether the
    documents cover the question is judged on the same evidence as in the fit."""
    return sorted(passages, key=lambda p: -_led(p))


def _subject_missing(question: str, slot: Slot, passages: list[Passage], lexical: LexicalIndex) -> float:
    """1 when the question names a subject (a school, body or programme: subject.py)
    and none of the best passages, with its title, issuer and heading path, names it."""
    subject = asked_subject(question, slot)
    if not subject.name:
        return 0.0
    best = passages[:SLOT_PASSAGES]
    texts = (f"{p.context} {p.text}" for p in best)
    return float(not any(subject.named_in(t, lexical.idf) for t in texts))


def answer_probability(features: dict[str, float]) -> float:
    """The fitted logistic regression: P(the documents answer the question)."""
    z = float(_MODEL["intercept"])
    for name in FEATURES:
        spec = _MODEL["features"][name]
        z += float(spec["coef"]) * (features[name] - float(spec["mean"])) / float(spec["scale"])
    return 1.0 / (1.0 + math.exp(-z))


def _coverage(question: str, passages: list[Passage], lexical: LexicalIndex) -> float:
    """How much of the question's keyword weight the best passages cover: over all its
    words (including those no document contains), or, for a question told in several
    clauses (a parent's run-on message), over its best-covered clause, so that the
    story around the question does not dilute it."""
    texts = [t for p in passages[:3] for t in (p.searchable, p.best_sentence)]

    def covered(text: str) -> float:
        tokens = search_tokens(text)
        return max(coverage(tokens, t, lexical.idf) for t in texts) if tokens else 0.0

    clauses = [c for c in _CLAUSE_BREAK.split(question) if len(c) >= CLAUSE_MIN]
    best = covered(question)
    if len(clauses) >= 2:
        best = max(best, max(covered(c) for c in clauses))
    return best


def _asks_about_unknown(question: str, slot: Slot, unknown: list[str]) -> bool:
    """Whether a word the knowledge base never uses stands right before the question
    form, as the thing whose value is asked for ("分数线多少分", "学费是多少"); a slot whose
    form is not preceded by its thing ("消息去哪里看": where, not what) has none."""
    if not slot.names_thing:
        return False
    window = question[max(0, slot.at - HEAD_WINDOW) : slot.at]
    return any(
        noun in window
        and not VALUE_WORD.match(noun)
        and _THING_LINK.fullmatch(window, window.rfind(noun) + len(noun)) is not None
        for noun in unknown
    )


def asked_year(question: str, slot: Slot) -> str:
    """The year whose value `question` asks for: the last one named before the question
    form ("2015学年只有2个学位，那2016学年给多少个？" → 2016学年), else the first; "" when
    the question names none."""
    years = list(_ASKED_YEAR.finditer(question))
    before = [m for m in years if slot.at < 0 or m.start() < slot.at]
    found = before[-1] if before else (years[0] if years else None)
    return re.sub(r"\s+", "", found.group(0)) if found else ""


def other_year(question: str, slot: Slot, passages: Sequence[Passage]) -> Decision | None:
    """A partial outcome when `question` asks a value of one year and every one of
    `passages` is of other years (`_other_year`); None otherwise."""
    year = asked_year(question, slot)
    if slot.asks_value and year and passages and all(_other_year(year, p) for p in passages):
        return Decision(True, "other_year", slot=replace(slot, label=f"{year}的{slot.label}"))
    return None


def _other_year(asked: str, passage: Passage) -> bool:
    """Whether `passage` is of other years than the one asked: its document's title names a
    year or a span of years, and not that one, and the passage does not name it either (a
    2021—2023 plan sets targets 至2025年)."""
    year = int(asked[:4])
    spans = [(int(a), int(b or a)) for a, b in _TITLE_YEARS.findall(passage.title)]
    return bool(spans) and not any(a <= year <= b for a, b in spans) and str(year) not in passage.text


def _texts_and_sections(passages: list[Passage]) -> tuple[list[str], list[str]]:
    return [p.text for p in passages], [p.section for p in passages]


def _other_place(question: str, passages: list[Passage]) -> str:
    """The city or province the question asks about (not as someone's origin: "香港户籍的
    孩子") when every one of `passages` is of documents of other places: its title or
    issuer names a place, neither the asked one nor one containing or inside it, and its
    text does not name the asked place either (a Shenzhen notice on Hong Kong pupils covers
    香港). "" otherwise, and for documents naming no place (a national law applies
    everywhere). `passages` come in the order `in_scope` gave them, documents of the asked
    place first when there are any."""
    asked = asked_places(question)
    if not asked or not passages:
        return ""

    # A place named unambiguously: a city, a province, or a district by a name of its own
    # (福田区, 海淀区); a district's short name (西区, 城区) is shared by districts of many
    # cities, and the city it lies in is often left unsaid ...
    every = frozenset(code for _, codes in asked for code in codes)
    asked = tuple(
        (name, codes)
        for name, codes in asked
        if len(codes) == 1
        and (
            len(next(iter(codes))) <= 4
            or len(name) >= DISTRICT_NAME_MIN
            # ... or by its short name after the city it lies in (深圳宝安)
            or any(c != o and c.startswith(o) for c in codes for o in every)
        )
    )
    # A city and a district in it ("深圳宝安"): the district is the place asked about.
    wanted = narrowest(frozenset(code for _, codes in asked for code in codes))
    asked = tuple((name, codes) for name, codes in asked if codes & wanted)
    if not asked:
        return ""
    for p in passages:
        # The heading path narrows the document's place: a city's file of its districts'
        # rules ("北京各区幼升小政策汇总 > 顺义区") speaks of one district in each part.
        scope = narrowest(place_codes(p.context))
        # The text covers the asked place when it names it or a place inside it; a Luohu
        # guide naming 深圳 says nothing of 福田区.
        named = place_codes(p.text)
        if not scope or same_scope(wanted, scope) or any(n.startswith(w) for n in named for w in wanted):
            return ""
    return asked[0][0]


def _now_asked(question: str, slot: Slot) -> bool:
    """The word of now (今年, 明年) stands in the clause that asks the slot's value:
    "今年天津小学是几号报名" asks this year's date; "我家娃今年武汉中考 … 最多能降多少" tells
    when the child sits the exam and asks the rule."""
    now = asked_now(question)
    if not now or slot.at < 0:
        return bool(now)
    start = max((m.end() for m in _CLAUSE_BREAK.finditer(question, 0, slot.at)), default=0)
    end = next((m.start() for m in _CLAUSE_BREAK.finditer(question, slot.at)), len(question))
    return bool(asked_now(question[start:end]))


def _is_stale(question: str, top: Passage) -> bool:
    """A question about now or a coming year whose evidence is a historical document."""
    if top.metadata.get("status") != "historical":
        return False
    year = str(top.metadata.get("date", ""))[:4]
    if year and year in question:
        return False  # the user asks about that time: answer, labelled with the year
    return bool(asked_now(question))

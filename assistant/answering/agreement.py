"""The outcome checked against the sentence it would quote, before the answer is sent.

A quote that only sends the reader to another document ("具体方案见《…》。"), or leaves
the asked detail to a later text ("具体办法另文通知"), makes any answer partial: the
documents say where or that the answer will be, not what it is. Two checks on a
question asking for a value (a figure, a date, a period, a body):
- **subject gate**: an answer whose quoted value comes from a sentence that does not name
  the question's subject (the named school, body, programme or group; the sentence with
  its heading path and document title) is a partial answer that names what is missing
  ("文件没有写明该校的学费"), not an answer with another subject's value;
- **a partial answer never quotes the asked value**: when the sentence a partial answer
  would quote states a value of the asked kind, about the asked subject and the asked
  thing, the outcome is an answer that leads with it.
The subject is read from the question (`question/subject.py`); the quoted sentences are
the extractive answerer's own (`extractive.rank_sentences`, `quoted_sentences`).
"""

from __future__ import annotations

from dataclasses import replace

from assistant.answering.document_facts import asks_issue_date, issue_date_form
from assistant.answering.extractive import rank_sentences
from assistant.answering.names import asked_kind, lists_names
from assistant.answering.quote import clause_quotes, defers, only_refers, quoted_sentences
from assistant.question.cite import Citation
from assistant.question.clauses import asking_clauses
from assistant.question.decide import Decision
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import TIME_SLOTS, WRITTEN_FORM_SLOTS, asked_roles, slot_of, table_header
from assistant.question.subject import (
    NO_SUBJECT,
    asked_subject,
    other_area,
    other_level,
    other_stage,
    owner_asked,
)
from assistant.question.terms import search_tokens

# Outcomes the check may change: an answer, and a partial answer for a missing value.
_CHECKED = frozenset({"", "not_stated"})
# An answer about a named subject whose quote states no value of the asked kind stands
# (False: it becomes partial). Chosen on the even lines of dev, dev2 and dev_extra.
NAMED_QUOTE_ANSWERS = False
# The same for a question naming no subject, asking for a value known by its written form
# (a figure, a date, a period: WRITTEN_FORM_SLOTS). A body or a name is open vocabulary
# ("由谁全面领导" → 党): a quote without one the slot knows may still state it.
QUOTE_WITHOUT_VALUE_ANSWERS = False
# Slots whose value a quote states or does not by its written form: a figure, a date, a
# period, a phone number (digits) and an address (路, 号, 大厦…).
STATED_FORM_SLOTS = WRITTEN_FORM_SLOTS | {"phone", "address"}
# A partial answer's quote that states the asked value and covers this much of the
# question's keyword weight (with its heading path) answers it, whatever the asked thing.
PROMOTE_COVERAGE = 0.7
# What a partial answer says is missing when the quote only refers to another document.
REFERENCE_LABEL = "具体内容"
REFERENCE_LABEL_EN = "the details"
# What a partial answer says is missing when a question asks which schools or places by
# name and the quote names fewer than two.
NAMES_LABEL = "具体名单"
NAMES_LABEL_EN = "the list of names"
# What a partial answer says is missing when the quote is about another school stage and
# the question asks for no value of a kind.
STAGE_LABEL = "相关规定"
# The same when the quote is set out for other areas than the one asked.
AREA_LABEL = STAGE_LABEL


def settle(
    decision: Decision, question: str, citations: list[Citation], lexical: LexicalIndex, script: str = "hans"
) -> Decision:
    """The decision after checking the quoted value against the asked subject."""
    slot = decision.slot
    answered = not decision.refuse and not decision.reason
    # An English question's words name no subject in the Chinese text, but the slot's
    # written form (a figure, a date) is read in the quote all the same.
    english = script == "en"
    checks_value = (
        decision.reason in _CHECKED
        and slot.asks_value
        and slot.fill is not None
        and (decision.refuse or not decision.reason)
    )
    if not answered and not checks_value:
        return decision
    # The sentences the answer would quote, ranked once for both checks.
    tokens = search_tokens(question)
    ranked = rank_sentences(citations, question, slot, tokens, lexical)
    if not ranked:
        return decision
    best = ranked[0]
    if answered and (only_refers(best.sentence, question) or defers(best.sentence, slot, question)):
        # "具体方案见《…》", "具体办法另文通知": the documents say where or that the answer
        # will be, not what it is.
        label, label_en = slot.label or REFERENCE_LABEL, slot.label_en or REFERENCE_LABEL_EN
        return Decision(True, "not_stated", decision.support, replace(slot, label=label, label_en=label_en))
    quoted = quoted_sentences(best, slot, question, tokens, lexical)
    where = best.citation.context
    clauses = asking_clauses(question)
    kind = asked_kind(clauses[0]) if clauses else asked_kind(question)
    if answered and kind and not lists_names(" ".join(quoted), kind):
        # "有哪些一般初中…请列出学校名单" answered by the rule that such schools exist: the
        # documents do not list them. So when the names are what is asked first ("具体是哪
        # 几所学校在试点啊 我家孩子读的那所算不算"), whatever a later clause may be answered by.
        return Decision(
            True, "not_stated", decision.support, replace(slot, label=NAMES_LABEL, label_en=NAMES_LABEL_EN)
        )
    # The quote with the other passages cited of its document: a notice setting out where
    # each of its areas registers sets the date of its time section for those areas alone.
    own = [c.text for c in citations if c.doc_id == best.citation.doc_id and c is not best.citation]
    area = (
        other_area(question, " ".join([where, *quoted, *own]))
        if (answered or decision.partial) and not english
        else ""
    )
    if area:
        # "中山火炬开发区…去哪个学校登记" answered from the 石岐区 and 南区 sections, "小榄镇的小学
        # 现场报名是哪天" from the time section of a notice whose other sections name four
        # districts and never 小榄镇: the document sets the rule out for other areas.
        return Decision(
            True, "not_stated", decision.support, replace(slot, label=f"{area}的{slot.label or AREA_LABEL}")
        )
    if not checks_value:
        stage = other_stage(question, " ".join([where, *quoted])) if answered else ""
        if stage and not asked_subject(question, slot).name:
            # "东城区幼儿园报名要带什么材料" answered by the 小学 enrolment rules: what the
            # quote says is of another school stage, whatever the question asks for.
            label = f"{stage}的{slot.label or STAGE_LABEL}"
            return Decision(True, "not_stated", decision.support, replace(slot, label=label))
        return decision
    header = table_header(best.citation.text, best.citation.section)
    holding = [s for s in quoted if slot.filled_by(s, question, header)]
    subject = NO_SUBJECT if english else owner_asked(question, slot)
    about = [s for s in holding if subject.named_in(f"{where} {s}", lexical.idf)]
    stage = "" if subject.name or english else other_stage(question, " ".join([where, *quoted]))
    if stage and holding:
        # The value is of another school stage: 小学's quota is no answer for 初中. (A
        # named school is judged by its name below: 翠竹小学 is no stage asked about.)
        return Decision(True, "not_stated", decision.support, replace(slot, label=f"{stage}的{slot.label}"))
    if decision.partial:
        # The quote states the asked value about the asked subject and of the asked
        # thing: it names the thing (学费), or covers the question's keywords as a whole,
        # or, for a body asked for by what it does (谁来协助), states a body and that deed
        # (组建…专家团队，…协助学校…). Then it answers.
        if about and (
            best.coverage >= PROMOTE_COVERAGE
            # The value of a named subject with no other thing asked ("本科学历能积多少分"):
            # a sentence naming the subject and stating the value states it.
            or (subject.name and not subject.thing)
            or (subject.thing and any(subject.states_thing(f"{where} {s}", lexical.idf) for s in about))
            or any(subject.states_deed(s, lexical.idf) for s in about)
        ):
            return Decision(False, "", decision.support, slot)
        return replace(decision, slot=replace(slot, label=subject.missing(slot.label, slot.names_thing)))
    if subject.name and not about and (holding or not NAMED_QUOTE_ANSWERS):
        # The value would come from a sentence about another subject, or the sentence
        # about the subject states none (the value found is another subject's).
        named = replace(slot, label=subject.missing(slot.label, slot.names_thing))
        return Decision(True, "not_stated", decision.support, named)
    if (
        slot.kind in TIME_SLOTS
        and subject.thing
        and not subject.name
        and holding
        and not subject.states_thing(where, lexical.idf)
    ):
        # The quote names the asked event, but each date it states is of another one: "即从
        # 6月20日起，公办小学开始报名审核，公办初中待小学毕业考试后进行报名审核" dates the 报名
        # 审核, not the 毕业考试 asked about; "…派位结果向社会公布。…本意见自发布之日起正式执行"
        # dates the 意见, not the 结果.
        near = [c for s in holding for c in slot.value_clauses(s, question, header)]
        if any(subject.states_thing(s, lexical.idf) for s in quoted) and not any(
            subject.states_thing(c, lexical.idf) for c in near
        ):
            return Decision(
                True, "not_stated", decision.support, replace(slot, label=f"{subject.thing}的{slot.label}")
            )
    if holding and not english:
        near = [c for s in holding for c in slot.value_clauses(s, question, header)]
        levels = [other_level(question, c) for c in near]
        if near and all(levels):
            # "省财政补助比例是多少" answered by "…其余由市财政负担50%": each value the quote
            # states is of the same thing at another level of government.
            return Decision(
                True, "not_stated", decision.support, replace(slot, label=f"{levels[0]}的{slot.label}")
            )
    asked = asked_roles(question) if slot.kind in TIME_SLOTS and holding else frozenset()
    if asked:
        roles = [role for s in holding for role in slot.date_roles(s, question)]
        if roles and all(roles) and not asked & set(roles):
            # "几月几号之前要收齐" answered by "从2016年3月1日起…全面推开": every date the
            # quote states starts what it dates, and the question asks an end (or the reverse).
            return Decision(True, "not_stated", decision.support, slot)
    issued = issue_date_form(best.citation.date) if slot.kind in TIME_SLOTS and holding else None
    if (
        issued is not None
        and not asks_issue_date(question)
        and not any(slot.filled_by(issued.sub("", s), question, header) for s in holding)
    ):
        # "要求各地在什么时间之前完成编制" answered by the notice's 落款 "2015年11月18日": the
        # only date the quote states is the document's own, which dates its issue, not
        # what it asks for.
        return Decision(True, "not_stated", decision.support, slot)
    if (
        not holding
        and not QUOTE_WITHOUT_VALUE_ANSWERS
        and slot.kind in STATED_FORM_SLOTS
        and len(clauses) < 2
    ):
        # The sentence the answer would quote states no value of the asked kind: another
        # passage's value ("2016年" of a cover letter) is no answer to "几号开始".
        return Decision(True, "not_stated", decision.support, slot)
    if not QUOTE_WITHOUT_VALUE_ANSWERS and len(clauses) >= 2:
        slots = [slot_of(clause) for clause in clauses]
        # What is asked first, by its written form, and each clause asking a value by its
        # form: read against the sentences the answer would quote, its own and each clause's
        # (found once, and only when either check applies).
        first = slots[0]
        main_asks = not holding and slot.kind in STATED_FORM_SLOTS
        first_asks = main_asks and first.kind in STATED_FORM_SLOTS and first.fill is not None
        all_forms = all(s.kind in STATED_FORM_SLOTS and s.fill is not None for s in slots)
        if main_asks or all_forms:
            texts = [*quoted, *(sentence for _, sentence in clause_quotes(ranked, quoted, question, lexical))]
            if first_asks and not any(first.filled_by(text, clauses[0]) for text in texts):
                # "几号开始报名啊，是要带齐资料去学校现场报吗" answered by the school's zoning
                # row: what is asked first is not stated, whatever a later clause may be
                # answered by. The answer says so, of each value asked, and quotes the closest.
                label = "、".join(dict.fromkeys(s.label for s in (first, slot)))
                return Decision(True, "not_stated", decision.support, replace(slot, label=label))
            if all_forms and not any(
                s.filled_by(text, clause) for s, clause in zip(slots, clauses, strict=True) for text in texts
            ):
                # "在哪个位置啊 电话多少" answered by the sentence setting the centre up: no
                # quoted sentence states an address or a number, whichever clause it answers.
                label = "、".join(dict.fromkeys(s.label for s in slots))
                return Decision(True, "not_stated", decision.support, replace(slot, label=label))
            if main_asks and not any(slot.filled_by(text, question, header) for text in texts):
                # "按什么师生比来配？一所学校最少要配几个？" answered by "配齐配足…专职教师": no
                # sentence the answer would quote, for any clause, states the value asked.
                return Decision(True, "not_stated", decision.support, slot)
    return decision

"""Rows of the targets table: quantified targets, deadlines, recurring requirements and
who is responsible, pulled out of the policy texts by rules.

Precision over recall: a quantity becomes a row only with a unit and a target cue (a
qualifier such as 不少于, a recurrence such as 每周, a deadline, or a target verb such as
新增/打造/培养); a row without a quantity needs a deadline, a recurrence or an explicit
responsible body that is the subject of its clause. Dates, article numbers, citation
numbers, phone numbers, ages, money and everything in legal-liability clauses are never
targets. Text that looks like scraped web junk (long runs without punctuation) is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from assistant.documents.cleaning import is_run_on
from assistant.grammar.sentences import COMMAS, ENDS, split_sentences
from assistant.targets.bodies import subject_of
from assistant.targets.deadlines import Deadline, find_deadlines, years_in
from assistant.targets.model import Target
from assistant.targets.quantities import (
    Quantity,
    ends_with_verb,
    find_quantities,
    named_institution,
    pos_tags,
    shorten,
    strip_fillers,
    strip_lead_verbs,
    what_after,
    what_before,
)
from assistant.targets.vocabulary import (
    ACTION_VERBS,
    ADVERBIAL,
    ADVERBIAL_END,
    CLAUSE_SPLIT,
    CONDITION_AFTER_DEADLINE,
    CUE_VERBS,
    DEADLINE_PREFIX,
    GENERIC_WHAT,
    JUNK_RUN,
    MODAL,
    NOT_MAIN_VERBS,
    NOUN_PHRASE_WHAT,
    NUMBERING,
    OTHER_SUBJECT,
    PERIODIC_EVENT,
    PERIODIC_VERBS,
    PERMISSIVE,
    RECURRENCE,
    SKIP_SECTION,
    SKIP_SENTENCE,
    WHAT_MAX,
)


def looks_like_junk(text: str) -> bool:
    """Scraped web junk (SEO spam, headline lists) runs on without punctuation."""
    return bool(JUNK_RUN.search(text)) or is_run_on(text)


def _clauses(sentence: str) -> list[tuple[int, int]]:
    """(start, end) offsets of the comma/colon-separated clauses of a sentence."""
    spans, start = [], 0
    for m in CLAUSE_SPLIT.finditer(sentence):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(sentence)))
    return spans


@dataclass
class _Context:
    doc_id: str
    section: str
    year: str = ""  # the last full year named in the paragraph, for "7月底前"
    paragraph_deadline: str = ""
    rows: list[Target] = field(default_factory=list)


def _section_leaf(section: str) -> str:
    return section.split(" > ")[-1].strip() if section else ""


def _make(ctx: _Context, sentence: str, **fields: Any) -> Target:
    defaults: dict[str, Any] = {"value": "", "unit": "", "deadline": "", "recurrence": ""}
    defaults["responsible"] = ()
    defaults.update(fields)
    return Target(doc_id=ctx.doc_id, section=ctx.section, sentence=sentence, **defaults)


def _quantity_rows(sentence: str, ctx: _Context, deadlines: list[Deadline]) -> list[Target]:
    rows: list[Target] = []
    quantities = find_quantities(sentence)
    clauses = _clauses(sentence)
    dl_spans = [(d.start, d.end) for d in deadlines]
    first_subject, _ = subject_of(NUMBERING.sub("", sentence[clauses[0][0] : clauses[0][1]]))
    previous: Quantity | None = None
    previous_what, previous_post = "", ""
    for q in quantities:
        c_start, c_end = next((a, b) for a, b in clauses if a <= q.start <= b)
        clause = sentence[c_start:c_end]
        recurrence = RECURRENCE.search(sentence[c_start : q.start])
        deadline = _deadline_for(q.start, deadlines) or ctx.paragraph_deadline
        if not (q.qualified or recurrence or deadline or CUE_VERBS.search(clause)):
            continue
        floor = c_start
        if previous and previous.end > c_start:
            floor = previous.end
        paren = max(sentence.rfind("(", floor, q.start), sentence.rfind("（", floor, q.start))
        floor = max(floor, paren + 1)
        before = what_before(sentence, q.start, floor, dl_spans)
        before = NUMBERING.sub("", before)
        if previous_post and before.startswith(previous_post):
            # "…23所幼儿园和0.8万座学位": the text between is the previous row's noun
            before = strip_fillers(re.sub("^(?:和|及|与)", "", before[len(previous_post) :]))
        body_in_clause, after_body = subject_of(before)
        if body_in_clause:
            before = strip_fillers(after_body)
        post = ""
        if before and not ends_with_verb(before):
            what = strip_lead_verbs(before)
        else:
            what = post = what_after(sentence, q.end)
        if not what and previous and previous.unit == q.unit:
            what = previous_what  # "最多不得超过50人" continues "每班一般45人以下"
        what = strip_fillers(what)
        if not what or len(what) < 2:
            continue
        if what in GENERIC_WHAT or len(what) <= 2:
            school = named_institution(sentence)
            if school:
                what = f"{school}{what}"
        responsible = body_in_clause or subject_of(clause)[0] or first_subject
        rows.append(
            _make(
                ctx,
                sentence,
                what=shorten(what),
                value=q.value,
                unit=q.unit,
                deadline=deadline,
                recurrence=recurrence.group(0) if recurrence else "",
                responsible=responsible,
            )
        )
        previous, previous_what, previous_post = q, what, post
    return rows


def _deadline_for(pos: int, deadlines: list[Deadline]) -> str:
    """The nearest deadline phrase before `pos`, else the first one in the sentence."""
    before = [d for d in deadlines if d.end <= pos]
    if before:
        return before[-1].label
    return deadlines[0].label if deadlines else ""


def _clause_rows(sentence: str, ctx: _Context, deadlines: list[Deadline]) -> list[Target]:
    """Rows without a quantity: a goal after a deadline phrase, a recurring duty, or a
    duty of a named body."""
    rows: list[Target] = []
    clauses = _clauses(sentence)
    quantity_spans = [(q.start, q.end) for q in find_quantities(sentence)]
    pending_deadline = sentence_deadline = ""
    sentence_subject: list[str] = []
    for index, (c_start, c_end) in enumerate(clauses):
        raw = sentence[c_start:c_end]
        clause = NUMBERING.sub("", raw) if index == 0 else raw.strip()
        offset = c_start + (len(raw) - len(clause))
        deadline, rest = _leading_deadline(clause, offset, deadlines)
        if index == 0 and not rest.rstrip().endswith("的"):
            sentence_deadline = deadline  # "6月10日前，完成…，市、区教育部门…" covers both
        if deadline and not rest.strip():
            pending_deadline = deadline  # "至2025年," — the goal is the next clause
            continue
        deadline = deadline or pending_deadline
        pending_deadline = ""
        if any(c_start <= a < c_end for a, _ in quantity_spans):
            continue  # the quantity rows cover this clause
        bodies, rest = subject_of(rest)
        if index == 0:
            sentence_subject = bodies
        rest = _strip_modal(rest)
        if PERMISSIVE.match(rest):
            continue  # "可以…": an option, not a duty
        recurrence, rest = _leading_recurrence(rest)
        if not (deadline or recurrence or bodies):
            continue
        if not bodies and recurrence:
            bodies = sentence_subject  # "幼儿园应当…，每周向家长公示…": same subject
        core = strip_fillers(_strip_modal(rest).rstrip(ENDS))
        if NOUN_PHRASE_WHAT.search(core):
            continue  # "县级以上人民政府负责妇女儿童工作的机构": a name, not a duty
        periodic = PERIODIC_EVENT.fullmatch(core) if recurrence else None
        if periodic:  # "每学年设立劳动周": one labour week each school year
            what, value, unit = periodic.group(1), "1", periodic.group(1)[-1]
        else:
            what = _goal_text(core, sentence, clauses[index + 1 :], quantity_spans, deadlines)
            value = unit = ""
        if not what or what.endswith("的") or CONDITION_AFTER_DEADLINE.match(what):
            continue  # "…前能入伙的": a condition, not a goal
        if NOUN_PHRASE_WHAT.search(what):
            continue  # "…，县级人民政府为主管理的体制": describes a system, not a duty
        leaf = _section_leaf(ctx.section)
        if deadline and leaf.endswith("目标") and not what.startswith(leaf):
            what = f"{leaf}：{what}"
        rows.append(
            _make(
                ctx,
                sentence,
                what=what,
                value=value,
                unit=unit,
                deadline=deadline or _inherited_deadline(ctx, sentence_deadline, recurrence, bodies),
                recurrence=recurrence,
                responsible=bodies,
            )
        )
    return rows


def _inherited_deadline(ctx: _Context, sentence_deadline: str, recurrence: str, bodies: list[str]) -> str:
    """A duty with no deadline of its own takes the one opening its sentence or paragraph."""
    if not (recurrence or bodies):
        return ""
    return sentence_deadline or ctx.paragraph_deadline


def _strip_modal(text: str) -> str:
    return MODAL.sub("", text.strip())


def _leading_deadline(clause: str, offset: int, deadlines: list[Deadline]) -> tuple[str, str]:
    """A deadline phrase at the very start of the clause, and the text after it."""
    prefix = DEADLINE_PREFIX.match(clause)
    skip = prefix.end() if prefix else 0
    for d in deadlines:
        if offset <= d.start <= offset + skip:
            return d.label, clause[d.end - offset :]
    return "", clause


def _leading_recurrence(text: str) -> tuple[str, str]:
    """ "每学年设立劳动周" → ("每学年", "设立劳动周"): a recurrence that governs an action."""
    m = RECURRENCE.search(text[:8])
    if not m:
        return "", text
    rest = _strip_modal(text[m.end() :])
    verb = PERIODIC_VERBS.search(rest)
    if not verb or verb.start() > 12:
        return "", text
    return m.group(0), rest[verb.start() :]


def _is_adverbial(clause: str) -> bool:
    """A clause that is only a prepositional phrase (根据办学理念, 以游戏为基本活动) — it
    starts with a preposition and ends like one, or has no main verb."""
    if not ADVERBIAL.match(clause):
        return False
    if re.fullmatch(rf"以[^{COMMAS}]{{1,20}}为[^{COMMAS}]{{1,12}}", clause):
        return True  # 以游戏为基本活动
    return bool(ADVERBIAL_END.search(clause)) or not _has_main_verb(clause[2:])


def _has_main_verb(text: str) -> bool:
    """A verb that is not a modifier ("提交的材料" does not count)."""
    for m in ACTION_VERBS.finditer(text):
        if not text[m.end() :].startswith("的"):
            return True
    position = 0
    for word, flag in pos_tags(text):
        position += len(word)
        if flag == "v" and word not in NOT_MAIN_VERBS and not text[position:].startswith("的"):
            return True
    return False


def _goal_text(
    core: str,
    sentence: str,
    following: list[tuple[int, int]],
    quantity_spans: list[tuple[int, int]],
    deadlines: list[Deadline],
) -> str:
    """The duty or goal: its clause, past leading adverbials (根据…, 在…基础上), plus short
    follow-on clauses that share its subject."""
    what = core
    queue = list(following)

    def blocked(start: int, end: int) -> bool:
        # a clause with its own quantity or deadline is a row of its own
        spans = quantity_spans + [(d.start, d.end) for d in deadlines]
        return any(start <= a < end for a, _ in spans)

    while _is_adverbial(what) and queue and not blocked(*queue[0]):
        c_start, c_end = queue.pop(0)
        what = _strip_modal(sentence[c_start:c_end].strip().rstrip(ENDS))
    for c_start, c_end in queue:
        nxt = sentence[c_start:c_end].strip().rstrip(ENDS)
        if blocked(c_start, c_end) or subject_of(nxt)[0] or OTHER_SUBJECT.match(nxt):
            break  # another row's clause, or another body's duty (家长委员会可以…)
        if _is_adverbial(nxt):
            continue  # "编制预算，除…外，应当均衡安排…": skip the aside, keep the duty
        nxt = _strip_modal(nxt)
        if PERMISSIVE.match(nxt):
            break
        limit = 50 if len(what) < 10 else WHAT_MAX  # a very short duty needs its sequel
        if len(what) + 1 + len(nxt) > limit:
            break
        what = f"{what}，{nxt}"
    return shorten(what, 50) if len(what) >= 3 else ""


def _sentence_rows(sentence: str, ctx: _Context) -> list[Target]:
    deadlines = find_deadlines(sentence, ctx.year)
    return _quantity_rows(sentence, ctx, deadlines) + _clause_rows(sentence, ctx, deadlines)


def _chunk_rows(text: str, metadata: Mapping[str, Any]) -> list[Target]:
    ctx = _Context(doc_id=str(metadata.get("doc_id", "")), section=str(metadata.get("section", "")))
    if SKIP_SECTION.search(ctx.section):
        return []
    rows: list[Target] = []
    for line in text.split("\n"):
        if looks_like_junk(line):
            continue
        for index, sentence in enumerate(split_sentences(line)):
            if SKIP_SENTENCE.search(sentence) or looks_like_junk(sentence):
                continue
            years = years_in(sentence)
            if years:
                ctx.year = years[0]
            sentence_rows = _sentence_rows(sentence, ctx)
            if index == 0 and not ctx.paragraph_deadline:
                # "到2023年,基本形成…" opening a paragraph governs the whole paragraph.
                lead = find_deadlines(sentence, "")
                body = NUMBERING.sub("", sentence)
                if lead and body.startswith(sentence[lead[0].start : lead[0].end].strip()):
                    ctx.paragraph_deadline = lead[0].label
            rows.extend(sentence_rows)
    return rows


def extract_targets(chunks: Iterable[tuple[str, Mapping[str, Any]]]) -> list[Target]:
    """Targets from (text, metadata) pairs, in order, without duplicates."""
    rows: list[Target] = []
    seen: set[tuple[str, ...]] = set()
    for text, metadata in chunks:
        for row in _chunk_rows(text, metadata or {}):
            key = (row.doc_id, row.what, row.value, row.unit, row.deadline, row.recurrence)
            if key in seen:
                continue  # chunk overlap repeats sentences
            seen.add(key)
            rows.append(row)
    return rows

"""The default answerer: no LLM, deterministic. The answer is made of the documents' own
sentences: a short lead line with what was asked (the figure, the date, the body, 可以/
不可以), taken from the quoted text; then the best-matching sentence(s) and where they
stand; then supporting measures from other passages. A partial answer (the documents
cover the subject, not the asked-for value) says which value they do not state, then
quotes the closest sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from itertools import pairwise

from assistant.answering import ranker
from assistant.answering.base import AnswerContext, historical_note
from assistant.answering.names import asked_kind, lists_names
from assistant.answering.quote import (
    ITEM,
    announces_list,
    announcing_heading,
    asks_itself,
    clause_quotes,
    continuation,
    enacting,
    is_caption,
    labels,
    quoted_sentences,
    runs_on,
    whole_passage,
    written_sentence,
)
from assistant.grammar import outline, thresholds
from assistant.grammar.sentences import PROSE_MARKS, split_sentences, without_remarks
from assistant.grammar.sentences import clauses as clauses_of
from assistant.grammar.table_rows import CELL, aligned, header_of
from assistant.question.cite import Citation
from assistant.question.coverage import coverage
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import in_script
from assistant.question.retrieve import about_now
from assistant.question.slots import FIGURE, Slot, asked_verb, fact_verdict, slot_of, table_header, yes_no
from assistant.question.subject import BODY, asked_subject, other_stage, tagged
from assistant.question.terms import search_tokens
from assistant.vocab import compile_pattern, table

_GRAMMAR = table("assistant.answering", "sentences.toml")
_MODAL_WORD = compile_pattern(_GRAMMAR["yesno"]["modal"])
_GLUED_MODAL = compile_pattern(_GRAMMAR["yesno"]["glued"])
_QUESTION_BREAK = re.compile(rf"[{re.escape(PROSE_MARKS)}\s]+")

# Sentence ranking: the sentences of this many of the best passages are candidates, scored
# by the ranker's logistic regression (answering/ranker.py, data/ranker.toml; docs/answers.md).
CANDIDATE_PASSAGES = 5
HEADING_COVERAGE = True
MIN_SENTENCE = 4  # shorter "sentences" are headings or numbering left alone
SUPPORT_RATIO = 0.6  # another passage is quoted when its best sentence scores nearly as well
MAX_SUPPORT = 2
LEAD_MAX = 60  # a lead line longer than this is no summary: the quote follows anyway
BODY_NAME_REACH = 2  # characters before a body's kind (部门, 局) that name it
OPENING_CLAUSE_MAX = 14  # a clause this short that states the value opens the next one
# A list question naming a value is answered by the items stating it when at least this
# many of one passage do, at most MAX_SHARED_ITEMS of them.
SHARED_VALUE_ITEMS = 2
MAX_SHARED_ITEMS = 10
_LEAD_OPENING = compile_pattern(_GRAMMAR["lead"]["opening"])
_LEAD_CLOSING = compile_pattern(_GRAMMAR["lead"]["closing"])
_NUMBERING = re.compile(rf"^\s*(?:{outline.MARKER})\s*")


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, lexical: LexicalIndex | None = None) -> None:
        """`lexical` gives idf; a context's own (its search snapshot's) wins over it."""
        self._lexical = lexical if lexical is not None else LexicalIndex([], [])

    def stream(self, context: AnswerContext) -> Iterator[str]:
        yield self.answer(context)

    def answer(self, context: AnswerContext) -> str:
        english = context.script == "en"
        question = context.standalone or context.question
        found = choose_evidence(context, self._lexical)
        ranked, lead, lead_sentences = found.ranked, found.citation, found.quote
        lines = []
        if context.partial:
            lines.append(_not_stated(found.slot, english, lead))
        elif not english and found.lead:  # English answers open with the quote
            lines.append(found.lead)
        if not context.partial and not found.shared:
            # A question asking for no value is answered by the whole measure it cites.
            lead_sentences = whole_passage(lead_sentences, lead, found.slot, question)
        lines.append(_fact_line(lead_sentences, lead, english))
        # A question asking two things: the sentence answering its other clause, cited.
        lines.extend(_fact_line([sentence], c, english) for c, sentence in found.more)
        supports: list[tuple[Citation, str]] = []
        for candidate in ranked[1:]:
            c = candidate.citation
            if len(supports) >= MAX_SUPPORT or candidate.score < SUPPORT_RATIO * ranked[0].score:
                break
            if c is lead or c.section == lead.section or any(c is s for s, _ in [*supports, *found.more]):
                continue
            # A rule split at ； is related as written: its condition with its outcome.
            lo, hi = written_sentence(candidate.sentences, candidate.at, found.slot, question)
            supports.append((c, join_quote(list(candidate.sentences[lo : hi + 1]))))
        if supports:
            lines.append("Related:" if english else "相关规定：")
            lines.extend(f"- {_where(c, english)}：{s} [{c.number}]" for c, s in supports)
        note = historical_note([lead] + [c for c, _ in supports], context.script)
        if note:
            lines.append(note)
        return in_script("\n".join(lines), context.script)


@dataclass(frozen=True)
class Evidence:
    """What an answer is built from, the same for every answerer: the ranked sentences,
    the passage the quote comes from, the quote (the best sentence with what completes it:
    its list items, read on into later chunks, its neighbour or the sentence stating the
    asked value) and the lead line taken from it ("" when none)."""

    ranked: list[Candidate]
    citation: Citation
    quote: list[str]
    lead: str
    slot: Slot
    # For a question asking two things, the sentences of other passages that answer the
    # clauses the quote does not (one of the quote's own passage joins the quote).
    more: tuple[tuple[Citation, str], ...] = ()
    # The quote is the items of a list stating the value the question names, chosen from
    # their passage ("哪些考生可以加10分").
    shared: bool = False


def choose_evidence(context: AnswerContext, lexical: LexicalIndex | None = None) -> Evidence:
    """The evidence of `context` (citations not empty); `lexical` when the context has none."""
    question = context.standalone or context.question
    lexical = context.lexical if context.lexical is not None else (lexical or LexicalIndex([], []))
    tokens = search_tokens(question)
    slot = context.slot if context.slot is not None else slot_of(question)
    ranked = rank_sentences(context.citations, question, slot, tokens, lexical)
    if not ranked:
        citation, quote = context.citations[0], [context.citations[0].text]
    else:
        citation = ranked[0].citation
        after = continuation(ranked[0], context.following, slot, question)
        quote = quoted_sentences(ranked[0], slot, question, tokens, lexical, after)
    shared = items_sharing_value(ranked, question) if slot.kind == "list" and ranked else None
    if shared:
        # "哪些考生可以降5分录取": the items or rows stating the value the question names
        # answer it together, each as written.
        citation, quote = shared
    lead = "" if context.partial else _lead_line(slot, question, quote, tokens, lexical, citation)
    more = [] if context.partial else clause_quotes(ranked, quote, question, lexical)
    quote = quote + [sentence for c, sentence in more if c is citation]
    others = tuple((c, sentence) for c, sentence in more if c is not citation)
    return Evidence(ranked, citation, quote, lead, slot, others, shared is not None)


@dataclass(frozen=True)
class Candidate:
    citation: Citation
    sentences: tuple[str, ...]  # all sentences of the passage
    at: int  # this one's place among them
    score: float
    dense: float
    coverage: float
    holds: bool  # states a value of the asked-for kind (for yes/no a modal verb, for a list its announcement)

    @property
    def sentence(self) -> str:
        return self.sentences[self.at]


def items_sharing_value(ranked: list[Candidate], question: str) -> tuple[Citation, list[str]] | None:
    """The list items or table rows of one passage that state a figure the question names
    ("降5分" in "哪些考生可以降5分录取"), in the passage's order: the passage with the most
    of them, when it has at least two; None otherwise."""
    values = {re.sub(r"\s+", "", m.group(0)) for m in FIGURE.finditer(question)}
    if not values:
        return None
    stating = [re.compile(rf"(?<![\d.]){re.escape(v)}") for v in values]
    by_passage: dict[int, list[Candidate]] = {}
    for c in ranked:
        sentence = re.sub(r"\s+", "", c.sentence)
        if (ITEM.match(c.sentence) or CELL in c.sentence) and any(p.search(sentence) for p in stating):
            group = by_passage.setdefault(c.citation.number, [])
            if all(other.sentence != c.sentence for other in group):
                group.append(c)
    best = max(by_passage.values(), key=len, default=[])
    if len(best) < SHARED_VALUE_ITEMS:
        return None
    best.sort(key=lambda c: c.at)
    return best[0].citation, [c.sentence for c in best[:MAX_SHARED_ITEMS]]


def _meets(cases: list[thresholds.Quantity], candidate: Candidate) -> int:
    """0: the sentence states an asked-for value under a condition the case meets; 1: it
    sets no condition on the case's quantities; 2: the case fails its condition."""
    verdict = thresholds.fit(cases, candidate.sentence)
    if verdict > 0:
        return 0 if candidate.holds else 1
    return 2 if verdict < 0 else 1


def rank_sentences(
    citations: list[Citation], question: str, slot: Slot, tokens: list[str], lexical: LexicalIndex
) -> list[Candidate]:
    """The sentences of the best passages, best first, by the ranker's model over their
    dense similarity to the question (sentence vectors), keyword coverage, slot fit and
    passage rank (answering/ranker.py)."""
    found: list[Candidate] = []
    # Items whose value their list's heading states, with how much of the question the
    # item's own words cover: items of one list differ only by whom they name.
    listed: dict[tuple[int, int], float] = {}
    # A question asking which schools or places by name: a sentence naming several fills it.
    names_kind = asked_kind(question) if slot.kind == "list" else ""
    for citation in citations[:CANDIDATE_PASSAGES]:
        sentences = tuple(split_sentences(citation.text)) or (citation.text,)
        header = table_header(citation.text, citation.section)
        dense = dict(citation.sentence_dense)
        for i, sentence in enumerate(sentences):
            if (
                len(sentence) < MIN_SENTENCE
                or enacting(sentence, question)
                or asks_itself(sentence)
                or is_caption(sentences, i)
            ):
                continue
            # The heading path counts with the sentence: "实施要求" names what its bare
            # lines are, the article heading the subject of its sentences; so does the label
            # just before it ("办学理念：" names "高水平、有特色、国际性。").
            label = sentences[i - 1] if i and labels(sentences[i - 1]) else ""
            cov = coverage(
                tokens,
                f"{citation.section} {label}{sentence}" if HEADING_COVERAGE else sentence,
                lexical.idf,
            )
            d = dense.get(sentence, 0.0)
            # A list question's value is a list: a sentence announcing one holds it (its
            # items are quoted with it).
            own = bool(slot.filled_by(sentence, question, header))
            # A list item whose value its announcing heading states ("加20分…：1.烈士子女").
            heading = announcing_heading(citation, sentence) if slot.fill is not None and not own else ""
            by_heading = bool(heading and slot.filled_by(heading, question))
            holds = (
                own
                or by_heading
                or (slot.kind == "yesno" and bool(yes_no(question, sentence)))
                or (slot.kind == "list" and announces_list(sentence))
                # An item of the list its heading announces ("三、…须提供以下材料：" above
                # "（二）…暂住证…；"): the item is part of the asked list.
                or (slot.kind == "list" and bool(announcing_heading(citation, sentence)))
                or bool(names_kind and lists_names(sentence, names_kind))
            )
            found.append(Candidate(citation, sentences, i, 0.0, d, cov, holds))
            if by_heading:
                listed[(citation.number, i)] = coverage(tokens, sentence, lexical.idf)
    # The model's score orders the sentences as P(states an asked-for fact) does.
    scored = ranker.scores(found, question, slot, tokens, lexical)
    found = [replace(c, score=s) for c, s in zip(found, scored, strict=True)]
    # A question about now or a coming year is answered from a document in force when one
    # is cited; a historical document's sentences then follow (retrieve.with_current).
    now = about_now(question) and any(not c.citation.historical for c in found)
    # A question about one school stage is answered from a sentence of another stage (the
    # 小学 rules for "初一…") only when no cited sentence is left: those follow too.
    other = {id(c): bool(other_stage(question, f"{c.citation.context} {c.sentence}")) for c in found}
    # A value asked of a named subject ("本科学历能积多少分") comes from a sentence that
    # states a value of the asked kind and names the subject ("3．本科学历，80分；"), however
    # short and unlike the question it reads: such sentences lead.
    subject = asked_subject(question, slot) if slot.asks_value else None
    stating = {
        id(c): bool(subject and subject.name and c.holds)
        and subject.named_in(where := f"{c.citation.context} {c.sentence}", lexical.idf)
        and subject.states_thing(where, lexical.idf)
        for c in found
    }
    # A rule whose condition the asker's stated quantity meets ("5年以上的，40分" for a house
    # lived in six years) answers before one whose condition it fails ("5年以内…30分").
    # Only alternatives are reordered: when no cited rule's condition is met, the rule the
    # case fails may be the very one asked about ("做了三年…园长要几年").
    cases = thresholds.case_quantities(question)
    meets = {id(c): _meets(cases, c) for c in found} if cases else {}
    if 0 not in meets.values():
        meets = {}
    # The item that names the most of the question leads its list's items.
    named = max(listed.values(), default=0.0)
    naming = {key for key, cov in listed.items() if named > 0 and cov >= named}
    found.sort(
        key=lambda c: (
            now and c.citation.historical,
            not stating[id(c)],
            (c.citation.number, c.at) not in naming,
            other[id(c)],
            meets.get(id(c), 1),
            -c.score,
            c.citation.number,
            c.at,
        )
    )
    return found


def _lead_line(
    slot: Slot,
    question: str,
    sentences: list[str],
    tokens: list[str],
    lexical: LexicalIndex,
    citation: Citation,
) -> str:
    """What was asked, in one short line taken from the quoted sentences: the clause that
    states the value, or the yes/no word the rule's modal verb gives."""
    line = ""
    by_sentence = [clauses_of(sentence) for sentence in sentences]
    clauses = [c for own in by_sentence for c in own]
    # A short clause that only states the value ("即从2016年6月20日起") opens the clause it
    # belongs to ("公办小学开始报名审核"): it is judged, and led, with that clause.
    following = {
        c: nxt
        for own in by_sentence
        for c, nxt in pairwise(own)
        if len(c) <= OPENING_CLAUSE_MAX and not slot.filled_by(nxt, question)
    }

    # A body is the subject of the clauses after it in its sentence ("各级公安部门要加强…，
    # 建立…登记制度，…提供相关人员名册"): they are what it does, and judge it. The sentence
    # is the written one: a rule split at ； runs on ("由教育部门责令其限期退出；逾期不退出的，
    # 吊销…").
    governed: dict[str, str] = {}
    if slot.kind == BODY:
        written: list[list[str]] = []
        for i, own in enumerate(by_sentence):
            if i and runs_on(sentences[i - 1]):
                written[-1].extend(own)
            else:
                written.append(list(own))
        governed = {c: "".join(run[k:]) for run in written for k, c in enumerate(run)}

    def relevance(clause: str) -> float:
        return coverage(tokens, governed.get(clause) or f"{clause}{following.get(clause, '')}", lexical.idf)

    if slot.fill is not None:
        # Of the clauses that state a value of the asked kind, the one about the question
        # (34所 and 3.3万座 are both figures; the question asks for 学位).
        # A value the question itself states is not the one it asks for ("学校…派谁来协助":
        # 学校 is no answer): a clause holding only such values does not lead.
        holding = [c for c in clauses if _states_new(slot, c, question)]
        header = header_of(citation.text)
        if header:
            # A table row: its cells named by the header, up to the cell that states the
            # value ("学校：钟村毓秀小学；拟招生班数：7"), read with its column's unit when bare.
            rows = [r for c in sentences if (r := _named_row(slot, c, question, header))]
            if rows:
                line = max(rows, key=relevance)
        if holding and not line:
            best = max(holding, key=relevance)
            if best in following and relevance(best) > coverage(tokens, best, lexical.idf):
                best = f"{best}，{following[best]}"
            line = _as_sentence(best)
    elif slot.kind == "yesno":
        # The modal verb that governs the asked action: of the clauses whose modal is
        # followed by a word of that action, the most relevant one. A modal about another
        # action (可以 申请 where the question asks about 收费) gives no verdict.
        action = asked_action(question, slot)
        ruled = [(c, yes_no(question, c)) for c in clauses if governs(c, action)]
        ruled = [(c, word) for c, word in ruled if word]
        if ruled:
            line = max(ruled, key=lambda cw: relevance(cw[0]))[1]
        else:
            # A question about a fact (是否实施…): the first quoted sentence that holds
            # the whole asked action says yes or no.
            line = next((v for s in sentences if (v := fact_verdict(question, slot, s, action))), "")
    if len(line) > LEAD_MAX + 8 and (slot.fill is None or slot.filled_by(without_remarks(line), question)):
        # A clause that a bracketed remark makes long leads without it.
        line = without_remarks(line)
    if not line or len(line) > LEAD_MAX + 8:
        return ""
    if citation.historical and (citation.status_reason or citation.year):
        caveat = citation.status_reason or f"{citation.year}年的规定，可能已更新"
        line = f"{line.rstrip('。')}（{caveat}）。"
    return line


def _named_row(slot: Slot, row: str, question: str, header: list[str]) -> str:
    """`row`'s cells named by their columns, up to the last one that states the asked
    value when read with its column's unit; "" when none does or `row` is no table row."""
    named = [(name, cell) for name, cell in aligned(row, header) if cell]
    stating = [i for i, (name, cell) in enumerate(named) if slot.filled_by(f"{name}：{cell}", question)]
    if not stating:
        return ""
    # The value is shown as it was read: a bare number with the unit its column names
    # ("拟招生班数：4个班" for "计划招几个班").
    cells = [f"{name}：{cell}" for name, cell in named[: stating[-1] + 1]]
    cells[-1] = slot.read(cells[-1], (), question)
    return "；".join(cells) + "。"


def _states_new(slot: Slot, clause: str, question: str) -> bool:
    """Whether `clause` states a value of the asked kind that the question does not."""
    if not slot.filled_by(clause, question) or slot.fill is None:
        return False
    # A body is named by the words before its kind ("公安部门" where the question says
    # "向教育部门…由哪个部门"): the kind alone is no value.
    reach = BODY_NAME_REACH if slot.kind == BODY else 0
    return any(
        clause[max(0, m.start() - reach) : m.end()] not in question for m in slot.fill.finditer(clause)
    )


def asked_action(question: str, slot: Slot) -> list[str]:
    """The content words the question's yes/no form governs, from the form to the end of
    its clause ("要新建学校吗" → 新建, 学校; "要不要考试" → 考试), without modal words."""
    start = max(0, slot.at)
    end = next((m.start() for m in _QUESTION_BREAK.finditer(question) if m.start() > start), len(question))
    words = [t for t in search_tokens(question[start:end]) if not _MODAL_WORD.search(t)]
    if words:
        return words
    # "能收吗": the verb glued to its modal, or "还要再查吗": a verb of one character after
    # it, which the search words leave out.
    for word, flag in tagged(question[start:end]):
        verb = _GLUED_MODAL.sub("", word)
        if flag.startswith("v") and verb and not _MODAL_WORD.search(verb):
            return [verb]
    return []


def governs(clause: str, action: list[str]) -> bool:
    """Whether a modal verb of `clause` governs the asked action: the action's first word
    (its verb) stands after the modal; a one-character word before a longer one is a
    preposition ("到幼儿园任教" → 幼儿园), not the verb. No action words known: any modal counts."""
    if not action:
        return True
    modal = _MODAL_WORD.search(clause)
    first = asked_verb(action) or action[0]
    return modal is not None and first in clause[modal.start() :]


def _as_sentence(clause: str) -> str:
    """A clause as a lead line: without its numbering or a leading conjunction, with a stop."""
    clause = _LEAD_CLOSING.sub("", _LEAD_OPENING.sub("", _NUMBERING.sub("", clause))).strip()
    return f"{clause}。" if clause else ""


def _not_stated(slot: Slot, english: bool, quoted: Citation) -> str:
    """The partial answer's first line; the closest provision's year first when its
    document is historical, so that its value never reads as this year's."""
    year = quoted.year if quoted.historical else ""
    if english:
        closest = f" (a historical document of {year})" if year else ""
        return f"The documents do not state {slot.label_en or 'this'}. The closest provision{closest}:"
    closest = f"相关内容（{year}年的历史文件）" if year else "相关内容"
    return f"文件没有写明{slot.label or '这一点'}；{closest}："


def _where(citation: Citation, english: bool) -> str:
    section = citation.section or citation.title
    if english:
        return f"《{citation.title}》 ({section})"
    return f"《{citation.title}》“{section}”" if citation.section else f"《{citation.title}》"


def join_quote(sentences: list[str]) -> str:
    """The quoted sentences as one text, the items of a list each on a line of their own."""
    return "".join(s if not (ITEM.match(s) or CELL in s) else f"\n{s}" for s in sentences).strip()


def _fact_line(sentences: list[str], citation: Citation, english: bool) -> str:
    quote = join_quote(sentences)
    if english:
        return f"According to {_where(citation, english)}: “{quote}” [{citation.number}]"
    return f"{quote} [{citation.number}]\n——出自{_where(citation, english)}"

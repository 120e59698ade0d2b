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

from assistant.answering import ranker
from assistant.answering.base import AnswerContext, historical_note
from assistant.grammar import outline
from assistant.grammar.sentences import PROSE_MARKS, split_sentences
from assistant.grammar.sentences import clauses as clauses_of
from assistant.question.cite import Citation
from assistant.question.coverage import KIND_BONUS, coverage
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import in_script
from assistant.question.slots import Slot, slot_of, yes_no
from assistant.question.terms import search_tokens
from assistant.vocab import compile_pattern, table

_GRAMMAR = table("assistant.answering", "sentences.toml")
_ANNOUNCE = compile_pattern(_GRAMMAR["list"]["announce"])
_ITEM = re.compile(rf"^\s*(?:{outline.ITEM})")  # the numbering that opens a list item
_MODAL_WORD = compile_pattern(_GRAMMAR["yesno"]["modal"])
_QUESTION_BREAK = re.compile(rf"[{re.escape(PROSE_MARKS)}\s]+")

# Sentence ranking: the sentences of this many of the best passages are candidates, scored
# by the ranker's logistic regression (answering/ranker.py, data/ranker.toml; docs/answers.md).
CANDIDATE_PASSAGES = 5
HEADING_COVERAGE = True
MIN_SENTENCE = 4  # shorter "sentences" are headings or numbering left alone
SHORT_SENTENCE = 28  # a short best sentence usually needs its neighbour to carry the fact
NEIGHBOUR_COVERAGE = 0.3  # a neighbour that covers this much of the question joins
LIST_MAX = 600  # characters of a quoted list; longer lists end with ……
SUPPORT_RATIO = 0.6  # another passage is quoted when its best sentence scores nearly as well
MAX_SUPPORT = 2
LEAD_MAX = 60  # a lead line longer than this is no summary: the quote follows anyway
_LEAD_JUNK = re.compile(r"^(并且|并|且|同时|另外|其中|以及)")
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
        found = choose_evidence(context, self._lexical)
        ranked, lead, lead_sentences = found.ranked, found.citation, found.quote
        lines = []
        if context.partial:
            lines.append(_not_stated(found.slot, english))
        elif not english and found.lead:  # English answers open with the quote
            lines.append(found.lead)
        lines.append(_fact_line(lead_sentences, lead, english))
        supports: list[tuple[Citation, str]] = []
        for candidate in ranked[1:]:
            c = candidate.citation
            if len(supports) >= MAX_SUPPORT or candidate.score < SUPPORT_RATIO * ranked[0].score:
                break
            if c is lead or c.section == lead.section or any(c is s for s, _ in supports):
                continue
            supports.append((c, candidate.sentence))
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
        after = _continuation(ranked[0], context)
        quote = quoted_sentences(ranked[0], slot, question, tokens, lexical, after)
    lead = "" if context.partial else _lead_line(slot, question, quote, tokens, lexical, citation)
    return Evidence(ranked, citation, quote, lead, slot)


@dataclass(frozen=True)
class Candidate:
    citation: Citation
    sentences: tuple[str, ...]  # all sentences of the passage
    at: int  # this one's place among them
    score: float
    dense: float
    coverage: float
    holds: bool  # states a value of the asked-for kind (or, for yes/no, a modal verb)

    @property
    def sentence(self) -> str:
        return self.sentences[self.at]


def rank_sentences(
    citations: list[Citation], question: str, slot: Slot, tokens: list[str], lexical: LexicalIndex
) -> list[Candidate]:
    """The sentences of the best passages, best first, by the ranker's model over their
    dense similarity to the question (sentence vectors), keyword coverage, slot fit and
    passage rank (answering/ranker.py)."""
    found: list[Candidate] = []
    for citation in citations[:CANDIDATE_PASSAGES]:
        sentences = tuple(split_sentences(citation.text)) or (citation.text,)
        dense = dict(citation.sentence_dense)
        for i, sentence in enumerate(sentences):
            if len(sentence) < MIN_SENTENCE:
                continue
            # The heading path counts with the sentence: "实施要求" names what its bare
            # lines are, the article heading the subject of its sentences.
            cov = coverage(
                tokens, f"{citation.section} {sentence}" if HEADING_COVERAGE else sentence, lexical.idf
            )
            d = dense.get(sentence, 0.0)
            holds = bool(slot.filled_by(sentence, question)) or (
                slot.kind == "yesno" and bool(yes_no(question, sentence))
            )
            found.append(Candidate(citation, sentences, i, 0.0, d, cov, holds))
    # The model's score orders the sentences as P(states an asked-for fact) does.
    scored = ranker.scores(found, question, slot, tokens, lexical)
    found = [replace(c, score=s) for c, s in zip(found, scored, strict=True)]
    found.sort(key=lambda c: (-c.score, c.citation.number, c.at))
    return found


def quoted_sentences(
    best: Candidate,
    slot: Slot,
    question: str,
    tokens: list[str],
    lexical: LexicalIndex,
    after: tuple[str, ...] = (),
) -> list[str]:
    """The best sentence with what completes it: the items of a list it announces (read
    on into `after`, the sentences of the chunks that follow), or the neighbour that
    continues it (a short sentence, or the next clause of the rule), or the nearest
    sentence stating the asked-for value when it states none."""
    sentences, at = best.sentences, best.at
    items = _list_items(sentences + after, at)
    if items:
        return [sentences[at], *items]
    chosen = {at}
    neighbours = [i for i in (at - 1, at + 1) if 0 <= i < len(sentences)]
    if neighbours:
        n_index = max(neighbours, key=lambda i: (coverage(tokens, sentences[i], lexical.idf), i))
        short = len(sentences[at]) < SHORT_SENTENCE
        if short or _joins(sentences[n_index], slot, question, tokens, lexical):
            chosen.add(n_index)
    if slot.fill is not None and not any(slot.filled_by(sentences[i], question) for i in chosen):
        holders = [i for i in range(len(sentences)) if slot.filled_by(sentences[i], question)]
        if holders:
            chosen.add(min(holders, key=lambda i: abs(i - at)))
    # Document order, except that a value asked for is stated first.
    order = sorted(chosen, key=lambda i: (not (slot.fill is not None and i == at), i))
    return [sentences[i] for i in order]


def _continuation(best: Candidate, context: AnswerContext) -> tuple[str, ...]:
    """The sentences of the chunks after the best one's, when it announces a list that
    runs to its chunk's end (the list goes on in the next chunk); else ()."""
    sentences, at = best.sentences, best.at
    if context.following is None or not _ANNOUNCE.search(sentences[at]):
        return ()
    items = _list_items(sentences, at)
    if at + len(items) != len(sentences) - 1 or (items and items[-1] == "……"):
        return ()
    texts = context.following(best.citation.chunk_id, best.citation.section)
    return tuple(s for text in texts for s in split_sentences(text))


def _joins(neighbour: str, slot: Slot, question: str, tokens: list[str], lexical: LexicalIndex) -> bool:
    """A neighbour joins the quote when it covers the question too, or continues it with a
    value of the asked-for kind."""
    holds = KIND_BONUS if slot.filled_by(neighbour, question) else 0.0
    return coverage(tokens, neighbour, lexical.idf) + holds > NEIGHBOUR_COVERAGE


def _list_items(sentences: tuple[str, ...], at: int) -> list[str]:
    """The items a sentence announces (下列情形之一的：（一）…（二）…), as written, up to
    the list's end or LIST_MAX characters; [] when it announces none."""
    if not _ANNOUNCE.search(sentences[at]):
        return []
    items: list[str] = []
    size = len(sentences[at])
    for i in range(at + 1, len(sentences)):
        sentence = sentences[i]
        # A sentence without numbering belongs to the list only when an item follows it
        # (the rest of the announcement, or the second sentence of an item).
        if not _ITEM.match(sentence) and not (i + 1 < len(sentences) and _ITEM.match(sentences[i + 1])):
            break
        if size + len(sentence) > LIST_MAX:
            items.append("……")
            break
        items.append(sentence)
        size += len(sentence)
    return items if any(_ITEM.match(item) for item in items) else []


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
    clauses = [c for sentence in sentences for c in clauses_of(sentence)]

    def relevance(clause: str) -> float:
        return coverage(tokens, clause, lexical.idf)

    if slot.fill is not None:
        # Of the clauses that state a value of the asked kind, the one about the question
        # (34所 and 3.3万座 are both figures; the question asks for 学位).
        # A value the question itself states is not the one it asks for ("学校…派谁来协助":
        # 学校 is no answer): a clause holding only such values does not lead.
        holding = [c for c in clauses if _states_new(slot, c, question)]
        if holding:
            line = _as_sentence(max(holding, key=relevance))
    elif slot.kind == "yesno":
        # The modal verb that governs the asked action: of the clauses whose modal is
        # followed by a word of that action, the most relevant one. A modal about another
        # action (可以 申请 where the question asks about 收费) gives no verdict.
        action = asked_action(question, slot)
        ruled = [(c, yes_no(question, c)) for c in clauses if governs(c, action)]
        ruled = [(c, word) for c, word in ruled if word]
        if ruled:
            line = max(ruled, key=lambda cw: relevance(cw[0]))[1]
    if not line or len(line) > LEAD_MAX + 8:
        return ""
    if citation.historical and (citation.status_reason or citation.year):
        caveat = citation.status_reason or f"{citation.year}年的规定，可能已更新"
        line = f"{line.rstrip('。')}（{caveat}）。"
    return line


def _states_new(slot: Slot, clause: str, question: str) -> bool:
    """Whether `clause` states a value of the asked kind that the question does not."""
    if not slot.filled_by(clause, question) or slot.fill is None:
        return False
    return any(m.group(0) not in question for m in slot.fill.finditer(clause))


def asked_action(question: str, slot: Slot) -> list[str]:
    """The content words the question's yes/no form governs, from the form to the end of
    its clause ("要新建学校吗" → 新建, 学校; "要不要考试" → 考试), without modal words."""
    start = max(0, slot.at)
    end = next((m.start() for m in _QUESTION_BREAK.finditer(question) if m.start() > start), len(question))
    return [t for t in search_tokens(question[start:end]) if not _MODAL_WORD.search(t)]


def governs(clause: str, action: list[str]) -> bool:
    """Whether a modal verb of `clause` governs the asked action: the action's first word
    (its verb) stands after the modal. No action words known: any modal counts."""
    if not action:
        return True
    modal = _MODAL_WORD.search(clause)
    return modal is not None and action[0] in clause[modal.start() :]


def _as_sentence(clause: str) -> str:
    """A clause as a lead line: without its numbering or a leading conjunction, with a stop."""
    clause = _LEAD_JUNK.sub("", _NUMBERING.sub("", clause)).strip()
    return f"{clause}。" if clause else ""


def _not_stated(slot: Slot, english: bool) -> str:
    if english:
        return f"The documents do not state {slot.label_en or 'this'}. The closest provision:"
    return f"文件没有写明{slot.label or '这一点'}；相关内容："


def _where(citation: Citation, english: bool) -> str:
    section = citation.section or citation.title
    if english:
        return f"《{citation.title}》 ({section})"
    return f"《{citation.title}》“{section}”" if citation.section else f"《{citation.title}》"


def join_quote(sentences: list[str]) -> str:
    """The quoted sentences as one text, the items of a list each on a line of their own."""
    return "".join(s if not _ITEM.match(s) else f"\n{s}" for s in sentences).strip()


def _fact_line(sentences: list[str], citation: Citation, english: bool) -> str:
    quote = join_quote(sentences)
    if english:
        return f"According to {_where(citation, english)}: “{quote}” [{citation.number}]"
    return f"{quote} [{citation.number}]\n——出自{_where(citation, english)}"

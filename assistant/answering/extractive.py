"""The default answerer: no LLM, deterministic. The answer is made of the documents' own
sentences: a short lead line with what was asked (the figure, the date, the body, 可以/
不可以), taken from the quoted text; then the best-matching sentence(s) and where they
stand; then supporting measures from other passages. A partial answer (the documents
cover the subject, not the asked-for value) says which value they do not state, then
quotes the closest sentence."""

from __future__ import annotations

import re
from collections.abc import Iterator

from assistant.answering.base import AnswerContext, historical_note
from assistant.question.cite import Citation
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import in_script
from assistant.question.sentences import KIND_BONUS, coverage, split_sentences
from assistant.question.slots import SLOT_PASSAGES, Slot, filling_passage, slot_of, yes_no
from assistant.question.terms import search_tokens

MAX_LEAD_SENTENCES = 2
SHORT_SENTENCE = 28  # a short best sentence usually needs its neighbour to carry the fact
SUPPORT_RATIO = 0.6  # a second passage is quoted when it covers the question nearly as well
MAX_SUPPORT = 2
LEAD_MAX = 60  # a lead line longer than this is no summary: the quote follows anyway
_CLAUSE = re.compile(r"[^，,；;：:。！？!?]+")
_LEAD_JUNK = re.compile(r"^(并且|并|且|同时|另外|其中|以及)")
_NUMBERING = re.compile(
    r"^\s*(第[一二三四五六七八九十百千\d]+条|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．]|[一二三四五六七八九十]+、)\s*"
)


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, lexical: LexicalIndex | None = None) -> None:
        """`lexical` gives idf; a context's own (its search snapshot's) wins over it."""
        self._lexical = lexical if lexical is not None else LexicalIndex([], [])

    def stream(self, context: AnswerContext) -> Iterator[str]:
        yield self.answer(context)

    def answer(self, context: AnswerContext) -> str:
        question = context.standalone
        lexical = context.lexical if context.lexical is not None else self._lexical
        tokens = search_tokens(question)
        slot = context.slot if context.slot is not None else slot_of(question)
        english = context.script == "en"
        lead = self._lead_citation(context.citations, slot, question)
        lead_sentences, lead_score = self._best_sentences(lead, tokens, slot, question, lexical)
        lines = []
        if context.partial:
            lines.append(_not_stated(slot, english))
        elif not english:  # the lead line is the quoted Chinese: English answers open with the quote
            first = _lead_line(slot, question, lead_sentences, tokens, lexical, lead)
            if first:
                lines.append(first)
        lines.append(_fact_line(lead_sentences, lead, english))
        supports = [
            (c, sentences)
            for c in context.citations
            if c is not lead
            for sentences, score in [self._best_sentences(c, tokens, slot, question, lexical, limit=1)]
            if score >= SUPPORT_RATIO * lead_score and score > 0 and c.section != lead.section
        ][:MAX_SUPPORT]
        if supports:
            lines.append("Related:" if english else "相关规定：")
            lines.extend(f"- {_where(c, english)}：{''.join(s)} [{c.number}]" for c, s in supports)
        note = historical_note([lead] + [c for c, _ in supports], context.script)
        if note:
            lines.append(note)
        return in_script("\n".join(lines), context.script)

    def _lead_citation(self, citations: list[Citation], slot: Slot, question: str) -> Citation:
        """The best passage, unless it does not state the asked-for value and one of the
        next ones does."""
        at = filling_passage(slot, question, [c.text for c in citations[:SLOT_PASSAGES]])
        return citations[at] if at is not None else citations[0]

    def _best_sentences(
        self,
        citation: Citation,
        tokens: list[str],
        slot: Slot,
        question: str,
        lexical: LexicalIndex,
        limit: int = MAX_LEAD_SENTENCES,
    ) -> tuple[list[str], float]:
        sentences = split_sentences(citation.text)
        if not sentences:
            return [citation.text], 0.0

        def holds(i: int) -> bool:
            return bool(slot.filled_by(sentences[i], question))

        scored = [
            (coverage(tokens, s, lexical.idf) + (KIND_BONUS if holds(i) else 0.0), i)
            for i, s in enumerate(sentences)
        ]
        best_score, best = max(scored, key=lambda x: (x[0], -x[1]))
        chosen = {best}
        if limit > 1:
            # The neighbour that covers the question best, or simply the next sentence when
            # the best one is too short to carry the fact on its own.
            neighbours = [(s, i) for s, i in scored if abs(i - best) == 1]
            if neighbours:
                n_score, n_index = max(neighbours)
                if n_score > 0.3 or len(sentences[best]) < SHORT_SENTENCE:
                    chosen.add(n_index)
            if slot.fill is not None and not any(holds(i) for i in chosen):
                # The question asks for a value: bring in the nearest sentence of this
                # passage that states one, so the fact comes first.
                holders = [i for i in range(len(sentences)) if holds(i)]
                if holders:
                    chosen.add(min(holders, key=lambda i: abs(i - best)))
        # Document order, except that a value asked for is stated first.
        order = sorted(chosen, key=lambda i: (not (slot.fill is not None and i == best), i))
        return [sentences[i] for i in order], best_score


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
    clauses = [c for sentence in sentences for c in _CLAUSE.findall(sentence)]

    def relevance(clause: str) -> float:
        return coverage(tokens, clause, lexical.idf)

    if slot.fill is not None:
        # Of the clauses that state a value of the asked kind, the one about the question
        # (34所 and 3.3万座 are both figures; the question asks for 学位).
        holding = [c for c in clauses if slot.filled_by(c, question)]
        if holding:
            line = _as_sentence(max(holding, key=relevance))
    elif slot.kind == "yesno":
        # The modal verb of the clause that answers: the most relevant clause with one.
        ruled = [(c, yes_no(question, c)) for c in clauses]
        ruled = [(c, word) for c, word in ruled if word]
        if ruled:
            line = max(ruled, key=lambda cw: relevance(cw[0]))[1]
    if not line or len(line) > LEAD_MAX + 8:
        return ""
    if citation.historical and (citation.status_reason or citation.year):
        caveat = citation.status_reason or f"{citation.year}年的规定，可能已更新"
        line = f"{line.rstrip('。')}（{caveat}）。"
    return line


def _as_sentence(clause: str) -> str:
    """A clause as a lead line: without its numbering or a leading conjunction, with a stop."""
    clause = _LEAD_JUNK.sub("", _NUMBERING.sub("", clause)).strip()
    return f"{clause}。" if clause else ""


def _not_stated(slot: Slot, english: bool) -> str:
    if english:
        return f"The documents do not state {slot.label_en or 'this'}. The closest provision:"
    return f"文件没有写明{slot.label or '这一点'}。最接近的规定："


def _where(citation: Citation, english: bool) -> str:
    section = citation.section or citation.title
    if english:
        return f"《{citation.title}》 ({section})"
    return f"《{citation.title}》“{section}”" if citation.section else f"《{citation.title}》"


def _fact_line(sentences: list[str], citation: Citation, english: bool) -> str:
    quote = "".join(sentences)
    if english:
        return f"According to {_where(citation, english)}: “{quote}” [{citation.number}]"
    return f"{quote} [{citation.number}]\n——出自{_where(citation, english)}"

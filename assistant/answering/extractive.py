"""The default answerer: no LLM, deterministic. The answer is made of the documents' own
sentences: the best-matching sentence(s) first, then where they stand, then supporting
measures from other passages."""

from __future__ import annotations

from collections.abc import Iterator

from assistant.answering.base import AnswerContext, historical_note
from assistant.question.cite import Citation
from assistant.question.lexical import LexicalIndex
from assistant.question.normalize import in_script
from assistant.question.sentences import answer_kind, coverage, kind_bonus, split_sentences
from assistant.question.terms import search_tokens

MAX_LEAD_SENTENCES = 2
SHORT_SENTENCE = 28  # a short best sentence usually needs its neighbour to carry the fact
SUPPORT_RATIO = 0.6  # a second passage is quoted when it covers the question nearly as well
MAX_SUPPORT = 2


class ExtractiveAnswerer:
    name = "extractive"

    def __init__(self, lexical: LexicalIndex) -> None:
        self._lexical = lexical

    def stream(self, context: AnswerContext) -> Iterator[str]:
        yield self.answer(context)

    def answer(self, context: AnswerContext) -> str:
        tokens = search_tokens(context.standalone)
        kind = answer_kind(context.standalone)
        lead = context.citations[0]
        lead_sentences, lead_score = self._best_sentences(lead, tokens, kind, context.standalone)
        english = context.script == "en"
        lines = [_fact_line(lead_sentences, lead, english)]
        supports = [
            (c, sentences)
            for c in context.citations[1:]
            for sentences, score in [self._best_sentences(c, tokens, kind, context.standalone, limit=1)]
            if score >= SUPPORT_RATIO * lead_score and score > 0 and c.section != lead.section
        ][:MAX_SUPPORT]
        if supports:
            lines.append("Related:" if english else "相关规定：")
            lines.extend(f"- {_where(c, english)}：{''.join(s)} [{c.number}]" for c, s in supports)
        note = historical_note([lead] + [c for c, _ in supports], context.script)
        if note:
            lines.append(note)
        return in_script("\n".join(lines), context.script)

    def _best_sentences(
        self,
        citation: Citation,
        tokens: list[str],
        kind: str | None,
        question: str,
        limit: int = MAX_LEAD_SENTENCES,
    ) -> tuple[list[str], float]:
        sentences = split_sentences(citation.text)
        if not sentences:
            return [citation.text], 0.0
        scored = [
            (coverage(tokens, s, self._lexical.idf) + kind_bonus(kind, s, question), i)
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
            if kind and not any(kind_bonus(kind, sentences[i], question) for i in chosen):
                # The question asks for a date or a figure: bring in the nearest sentence
                # of this passage that holds one, so the fact comes first.
                holders = [i for i in range(len(sentences)) if kind_bonus(kind, sentences[i], question)]
                if holders:
                    chosen.add(min(holders, key=lambda i: abs(i - best)))
        # Document order, except that a date or figure asked for is stated first.
        order = sorted(chosen, key=lambda i: (not (kind and i == best), i))
        return [sentences[i] for i in order], best_score


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

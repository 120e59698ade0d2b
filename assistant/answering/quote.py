"""What the quote of an answer holds besides its best sentence: the items of a list it
announces (read on into the chunks that follow), the neighbour that continues it, or the
nearest sentence stating the asked-for value. The grammar (how a sentence announces a
list, how an item is numbered) is data: data/sentences.toml and grammar/outline.py."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Protocol

from assistant.grammar import outline
from assistant.grammar.sentences import split_sentences
from assistant.question.cite import Citation
from assistant.question.coverage import KIND_BONUS, coverage
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import Slot
from assistant.vocab import compile_pattern, table

_GRAMMAR = table("assistant.answering", "sentences.toml")
_ANNOUNCE = compile_pattern(_GRAMMAR["list"]["announce"])
ITEM = re.compile(rf"^\s*(?:{outline.ITEM})")  # the numbering that opens a list item

SHORT_SENTENCE = 28  # a short best sentence usually needs its neighbour to carry the fact
NEIGHBOUR_COVERAGE = 0.3  # a neighbour that covers this much of the question joins
LIST_MAX = 600  # characters of a quoted list; longer lists end with ……


class Located(Protocol):
    """A sentence in its passage: the passage's sentences and its place among them."""

    @property
    def citation(self) -> Citation: ...

    @property
    def sentences(self) -> tuple[str, ...]: ...

    @property
    def at(self) -> int: ...


def quoted_sentences(
    best: Located,
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
    items = list_items(sentences + after, at)
    if items:
        return [sentences[at], *items]
    chosen = {at}
    neighbours = [i for i in (at - 1, at + 1) if 0 <= i < len(sentences)]
    if neighbours:
        n_index = max(neighbours, key=lambda i: (coverage(tokens, sentences[i], lexical.idf), i))
        short = len(sentences[at]) < SHORT_SENTENCE
        if short or joins(sentences[n_index], slot, question, tokens, lexical):
            chosen.add(n_index)
    if slot.fill is not None and not any(slot.filled_by(sentences[i], question) for i in chosen):
        holders = [i for i in range(len(sentences)) if slot.filled_by(sentences[i], question)]
        if holders:
            chosen.add(min(holders, key=lambda i: abs(i - at)))
    # Document order, except that a value asked for is stated first.
    order = sorted(chosen, key=lambda i: (not (slot.fill is not None and i == at), i))
    return [sentences[i] for i in order]


def continuation(best: Located, following: Callable[[str, str], list[str]] | None) -> tuple[str, ...]:
    """The sentences of the chunks after the best one's, when it announces a list that
    runs to its chunk's end (the list goes on in the next chunk); else ()."""
    sentences, at = best.sentences, best.at
    if following is None or not _ANNOUNCE.search(sentences[at]):
        return ()
    items = list_items(sentences, at)
    if at + len(items) != len(sentences) - 1 or (items and items[-1] == "……"):
        return ()
    texts = following(best.citation.chunk_id, best.citation.section)
    return tuple(s for text in texts for s in split_sentences(text))


def joins(neighbour: str, slot: Slot, question: str, tokens: list[str], lexical: LexicalIndex) -> bool:
    """A neighbour joins the quote when it covers the question too, or continues it with a
    value of the asked-for kind."""
    holds = KIND_BONUS if slot.filled_by(neighbour, question) else 0.0
    return coverage(tokens, neighbour, lexical.idf) + holds > NEIGHBOUR_COVERAGE


def list_items(sentences: tuple[str, ...], at: int) -> list[str]:
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
        if not ITEM.match(sentence) and not (i + 1 < len(sentences) and ITEM.match(sentences[i + 1])):
            break
        if size + len(sentence) > LIST_MAX:
            items.append("……")
            break
        items.append(sentence)
        size += len(sentence)
    return items if any(ITEM.match(item) for item in items) else []

"""What the quote of an answer holds besides its best sentence: the items of a list it
announces (read on into the chunks that follow), the neighbour that continues it, or the
nearest sentence stating the asked-for value. The grammar (how a sentence announces a
list, how an item is numbered) is data: data/sentences.toml and grammar/outline.py."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Protocol

from assistant.documents.chunking import PATH_SEPARATOR
from assistant.grammar import outline
from assistant.grammar.sentences import (
    CLAUSE_MARKS,
    ENDS,
    OPENING_BRACKETS,
    QUOTATION_MARKS,
    SEMICOLONS,
    TITLE_MARKS,
    opening_clauses,
    split_sentences,
)
from assistant.grammar.table_rows import header_of
from assistant.question.cite import Citation
from assistant.question.clauses import asking_clauses, asks_more
from assistant.question.coverage import KIND_BONUS, coverage
from assistant.question.lexical import LexicalIndex
from assistant.question.slots import WRITTEN_FORM_SLOTS, Slot, slot_of, table_header
from assistant.question.terms import search_tokens
from assistant.question.typos import general_noun
from assistant.vocab import compile_pattern, table

# Where the items of a long list are left out of a quote.
ELIDED = "……"

_GRAMMAR = table("assistant.answering", "sentences.toml")
_ANNOUNCE = compile_pattern(
    {
        "alternatives": [
            a.replace("{nouns}", _GRAMMAR["list"]["nouns"])
            for a in _GRAMMAR["list"]["announce"]["alternatives"]
        ]
    }
)
_ENACTING = compile_pattern(_GRAMMAR["enacting"]["sentence"])
_LABEL = compile_pattern(_GRAMMAR["list"]["label"])
_QUESTION_LINE = compile_pattern(_GRAMMAR["list"]["question_line"])
_ASKS_PURPOSE = compile_pattern(_GRAMMAR["enacting"]["asks"])
ITEM = outline.ITEM_START  # the numbering that opens a list item
_ITEM_STYLES = outline.ORDER[outline.ORDER.index("article") + 1 :]
LIST = "list"  # the slot of a question asking which items (question/data/slots.toml)

SHORT_SENTENCE = 28  # a short best sentence usually needs its neighbour to carry the fact
NEIGHBOUR_COVERAGE = 0.3  # a neighbour that covers this much of the question joins
LIST_MAX = 600  # characters of a quoted list; longer lists end with ……
ITEM_HEAD_MIN = 12  # a list cut to fewer characters per item than this names no item
# What an item cut short does not end with: an opening bracket, a clause mark, a quote.
_CUT_END = re.compile(rf"[{re.escape(OPENING_BRACKETS + CLAUSE_MARKS + TITLE_MARKS + QUOTATION_MARKS)}\s]+$")
_QUOTE = _GRAMMAR["quote"]
SENTENCE_MAX: int = _QUOTE["sentence_max"]
_QUESTION = _GRAMMAR["question"]
CLAUSE_COVERAGE: float = _QUESTION["clause_coverage"]
CLAUSE_RANKED: int = _QUESTION["clause_ranked"]
CLAUSE_MEANING_MARGIN: float = _QUESTION["clause_meaning_margin"]


class Located(Protocol):
    """A sentence in its passage: the passage's sentences and its place among them."""

    @property
    def citation(self) -> Citation: ...

    @property
    def sentences(self) -> tuple[str, ...]: ...

    @property
    def at(self) -> int: ...


def labels(sentence: str) -> bool:
    """Whether `sentence` is a label ("办学理念：") whose value follows it, when no numbered
    items do."""
    return bool(_LABEL.search(sentence))


_CAPTION = compile_pattern(_GRAMMAR["caption"]["pattern"])


_REFERENCE = compile_pattern(_GRAMMAR["reference"]["pattern"])
_ASKS_REFERENCE = compile_pattern(_GRAMMAR["reference"]["asks"])
_DEFERRAL = compile_pattern(_GRAMMAR["deferral"]["pattern"])


def only_refers(sentence: str, question: str = "") -> bool:
    """The sentence only sends the reader to another document ("具体方案见《…》。"), and
    the question does not ask which document applies ("按什么规定执行")."""
    return bool(_REFERENCE.search(sentence.strip())) and not _ASKS_REFERENCE.search(question)


def defers(sentence: str, slot: Slot, question: str) -> bool:
    """The sentence leaves its details to a later or separate text ("具体办法另文通知") and
    does not itself state what `question` asks: a value of the asked kind, or a verdict."""
    if slot.kind == "yesno" or not _DEFERRAL.search(sentence):
        return False
    return slot.fill is None or not slot.filled_by(sentence, question)


def is_caption(sentences: Sequence[str], at: int) -> bool:
    """Whether sentence `at` is a table's, a list's or a document's name standing alone,
    or the first line of one set on two lines: it states no fact."""
    line = sentences[at].strip()
    if _CAPTION.search(line):
        return True
    following = sentences[at + 1].strip() if at + 1 < len(sentences) else ""
    return bool(following) and bool(_CAPTION.search(line + following))


def asks_itself(sentence: str) -> bool:
    """Whether `sentence` is itself a question (a FAQ's "…是什么？"): it never answers one;
    the sentences after it do."""
    return bool(_QUESTION_LINE.search(sentence))


def enacting(sentence: str, question: str) -> bool:
    """Whether `sentence` enacts its document ("…，制定本办法。") and `question` does not ask
    why or on what basis: such a sentence neither leads nor joins the answer."""
    return bool(_ENACTING.search(sentence)) and not _ASKS_PURPOSE.search(question)


def whole_passage(quote: list[str], citation: Citation, slot: Slot, question: str) -> list[str]:
    """The quote, then the rest of the passage it comes from, for a question asking for no
    value (what a measure requires, which items, whether one may): such a question is
    answered by the whole measure or article, not by its best sentence alone, which may be
    the neighbour of the one holding the asked requirement. A passage is one chunk (at most
    chunking.MAX_CHUNK_CHARS), cut at headings, so this quotes one measure or a few short
    ones. A value (a figure, a date, a body) is answered by the sentence that states it.
    The rest keeps its document order; an enacting sentence, a caption or a question line
    of the passage is left out, as it never leads."""
    if slot.fill is not None or ELIDED in quote:
        return quote  # (a long list already quoted with the asked items: it stays short)
    sentences = split_sentences(citation.text)
    rest = [
        s
        for i, s in enumerate(sentences)
        if s not in quote
        and not enacting(s, question)
        and not asks_itself(s)
        and not is_caption(sentences, i)
    ]
    return [*quote, *rest]


def quoted_sentences(
    best: Located,
    slot: Slot,
    question: str,
    tokens: list[str],
    lexical: LexicalIndex,
    after: tuple[str, ...] = (),
) -> list[str]:
    """The best sentence with what completes it: the rest of its written sentence (the
    clauses before and after it up to the full stops, when it is one clause of a rule split
    at ；and does not answer alone), the items of a list it announces (read on into
    `after`, the sentences of the chunks that follow), or the neighbour that continues it
    (a short sentence, or the next clause of the rule), or the nearest sentence stating the
    asked-for value when it states none."""
    sentences, at = best.sentences, best.at
    header = table_header(best.citation.text, best.citation.section)
    heading = announcing_heading(best.citation, sentences[at])
    if (
        slot.fill is not None
        and heading
        and not slot.filled_by(sentences[at], question, header)
        and slot.filled_by(heading, question)
    ):
        # "1.烈士子女。" under "（一）…升学成绩总分加20分参加录取": the value is the heading's.
        return [heading, sentences[at]]
    if slot.kind == LIST:
        # A question asking which items, answered by one item: the list it belongs to.
        siblings = sibling_items(sentences, at, lambda item: coverage(tokens, item, lexical.idf))
        if siblings:
            return siblings
    lo, hi = written_sentence(sentences, at, slot, question)
    items = list_items(
        sentences + after,
        hi,
        announced=_announces(sentences[lo : hi + 1]),
        relevance=lambda item: coverage(tokens, item, lexical.idf),
    )
    if items:
        return [*sentences[lo : hi + 1], *items]
    if labels(sentences[hi]) and hi + 1 < len(sentences):
        # "办学理念：" with no numbered items after it: its value is the next sentence.
        return [*sentences[lo : hi + 2]]
    chosen = set(range(lo, hi + 1))
    neighbours = [
        i for i in (lo - 1, hi + 1) if 0 <= i < len(sentences) and not enacting(sentences[i], question)
    ]
    if neighbours:
        n_index = max(neighbours, key=lambda i: (coverage(tokens, sentences[i], lexical.idf), i))
        if sum(len(sentences[i]) for i in chosen) < SHORT_SENTENCE:
            chosen.add(n_index)
        # Each neighbour that covers the question joins, before and after.
        chosen.update(i for i in neighbours if joins(sentences[i], slot, question, tokens, lexical))
    if slot.fill is not None and not any(slot.filled_by(sentences[i], question, header) for i in chosen):
        holders = [i for i in range(len(sentences)) if slot.filled_by(sentences[i], question, header)]
        if holders:
            chosen.add(min(holders, key=lambda i: abs(i - at)))
    # Document order, except that the sentence asked about comes first when a value is asked.
    order = sorted(chosen, key=lambda i: (not (slot.fill is not None and lo <= i <= hi), i))
    return [sentences[i] for i in order]


def written_sentence(sentences: tuple[str, ...], at: int, slot: Slot, question: str) -> tuple[int, int]:
    """The clauses quoted for clause `at`: its whole written sentence, unless it answers
    alone a question that asks one thing (the next clause of the rule, "逾期不退出的，吊销
    …", answers what a question asks next: "由哪个部门处理？怎么处理？")."""
    alone = answers_alone(sentences[at], slot, question) and not asks_more(question)
    return (at, at) if alone else sentence_span(sentences, at)


def answers_alone(sentence: str, slot: Slot, question: str) -> bool:
    """Whether a clause answers without the rest of its sentence: it states a value of the
    asked-for kind. The other clauses would only bring values the question did not ask
    about (and could take the lead line)."""
    return slot.fill is not None and bool(slot.filled_by(sentence, question))


def sentence_span(sentences: tuple[str, ...], at: int) -> tuple[int, int]:
    """The first and last clause of the written sentence that clause `at` belongs to.
    Sentences are split at ；, so one rule ("…的，由街道办事处责令限期改正；逾期未改正的，
    没收违法所得…。") is several clauses: a clause ending in ；runs on into the next up to
    the full stop (or the colon that announces a list), within SENTENCE_MAX characters. A
    list item is a sentence of its own, and so is a clause that no ；joins to another."""
    if ITEM.match(sentences[at]):
        return at, at
    lo, hi, size = at, at, len(sentences[at])
    while (
        hi + 1 < len(sentences)
        and runs_on(sentences[hi])
        and not ITEM.match(sentences[hi + 1])
        and size + len(sentences[hi + 1]) <= SENTENCE_MAX
    ):
        hi += 1
        size += len(sentences[hi])
    while (
        lo > 0
        and runs_on(sentences[lo - 1])
        and not ITEM.match(sentences[lo - 1])
        and size + len(sentences[lo - 1]) <= SENTENCE_MAX
    ):
        lo -= 1
        size += len(sentences[lo])
    return lo, hi


def runs_on(sentence: str) -> bool:
    """The clause ends in ；: its sentence goes on in the next one."""
    return sentence.rstrip()[-1:] in SEMICOLONS


def announces_list(sentence: str) -> bool:
    """The sentence announces a list (持以下证明材料…, 有下列情形之一的：)."""
    return bool(_ANNOUNCE.search(sentence))


def announcing_heading(citation: Citation, sentence: str) -> str:
    """The heading that announces the list a numbered item stands in ("（一）符合下列条件之一
    的考生，升学成绩总分加20分参加录取" above "1.烈士子女。"): the item says what that rule is
    about, the heading what the rule is. "" when `sentence` is no item or no heading above
    it announces a list."""
    item = sentence.strip().rstrip(ENDS)
    if not item or not ITEM.match(item):
        return ""
    for part in reversed(citation.section.split(PATH_SEPARATOR)):
        part = part.strip()
        if not part or item.startswith(part) or part.startswith(item):
            continue  # the item is its own heading
        return part if announces_list(part) else ""
    return ""


def _announces(clauses: tuple[str, ...]) -> bool:
    """The written sentence announces a list: one of its clauses names it (下列情形之一),
    or it ends in a colon."""
    return any(announces_list(clause) for clause in clauses)


def continuation(
    best: Located, following: Callable[[str, str], list[str]] | None, slot: Slot, question: str
) -> tuple[str, ...]:
    """The sentences of the chunks after the best one's, when its written sentence
    announces a list that runs to its chunk's end (the list goes on in the next chunk);
    else ()."""
    sentences, at = best.sentences, best.at
    if following is None:
        return ()
    lo, hi = written_sentence(sentences, at, slot, question)
    if not _announces(sentences[lo : hi + 1]):
        return ()
    items = list_items(sentences, hi, announced=True)
    if hi + len(items) != len(sentences) - 1 or (items and items[-1] == ELIDED):
        return ()
    texts = following(best.citation.chunk_id, best.citation.section)
    # Chunks overlap: each opens with the last sentences of the one before.
    seen, after = set(sentences), []
    for sentence in (s for text in texts for s in split_sentences(text)):
        if sentence not in seen:
            seen.add(sentence)
            after.append(sentence)
    return tuple(after)


def joins(neighbour: str, slot: Slot, question: str, tokens: list[str], lexical: LexicalIndex) -> bool:
    """A neighbour joins the quote when it covers the question too, or continues it with a
    value of the asked-for kind."""
    holds = KIND_BONUS if slot.filled_by(neighbour, question) else 0.0
    return coverage(tokens, neighbour, lexical.idf) + holds > NEIGHBOUR_COVERAGE


def list_items(
    sentences: tuple[str, ...],
    at: int,
    announced: bool | None = None,
    relevance: Callable[[str], float] | None = None,
) -> list[str]:
    """The items a sentence announces (下列情形之一的：（一）…（二）…), as written, up to
    the list's end or LIST_MAX characters; [] when it announces none. `announced`: whether
    it does, when its written sentence began in an earlier clause (None: read it). A list
    longer than LIST_MAX keeps, with `relevance`, the items most relevant to the question
    (in their order, "……" where items are left out); without it, its first items."""
    if not (announces_list(sentences[at]) if announced is None else announced):
        return []
    run: list[str] = []
    depth: int | None = None  # the rank of the items' numbering, once the first is seen
    for i in range(at + 1, len(sentences)):
        sentence = sentences[i]
        # A sentence without numbering belongs to the list only when an item follows it
        # (the rest of the announcement, or the second sentence of an item).
        if not ITEM.match(sentence) and not (i + 1 < len(sentences) and ITEM.match(sentences[i + 1])):
            break
        style = outline.style_of(sentence.lstrip(), _ITEM_STYLES)
        if style is not None:
            # Numbering of a level above the items' ("（二）" after "1.", "2.") is the next
            # part of the text the list stood in: the list has ended.
            if depth is not None and outline.rank(style) < depth:
                break
            depth = outline.rank(style) if depth is None else depth
        run.append(sentence)
    if not any(ITEM.match(item) for item in run):
        return []
    room = LIST_MAX - len(sentences[at])
    if sum(map(len, run)) <= room:
        return run
    # Too long to quote whole: every item by its opening clauses first, so that no item
    # is left out; the most relevant items whole, when even that is too long.
    heads = _item_heads(run, room, relevance)
    if heads:
        return heads
    if relevance is None:
        return _first_items(run, room)
    return _relevant_items(run, room, relevance)


def _item_heads(
    run: list[str], room: int, relevance: Callable[[str], float] | None = None, style: str | None = None
) -> list[str]:
    """The list's items each cut to its opening clauses ("1.父母双方均为现役军人…工作……"),
    within the same share of `room` for each (a first clause longer than that is cut
    short); then, with `relevance`, the items most relevant to the question whole again,
    as long as the list stays within `room`. [] when the share is too small to name an
    item. The rest of the announcement before the first item stays; an item's own
    unnumbered lines are left out. With `style`, an item is a sentence of that numbering
    and the deeper ones are left out with it."""

    first = next(i for i, s in enumerate(run) if _opens(s, style))
    lead, items = run[:first], [s for s in run[first:] if _opens(s, style)]
    room -= sum(map(len, lead))
    share = room // len(items) - len(ELIDED)
    if share < ITEM_HEAD_MIN:
        return []
    heads = [s if len(s) <= share else _cut(s, share) for s in items]
    if relevance is not None:
        spare = room - sum(map(len, heads))
        for i in sorted(range(len(items)), key=lambda i: (-relevance(items[i]), i)):
            grows = len(items[i]) - len(heads[i])
            if 0 < grows <= spare:
                heads[i], spare = items[i], spare - grows
    return [*lead, *heads]


def _opens(sentence: str, style: str | None) -> bool:
    """Whether `sentence` opens a list item: any item numbering, or with `style`, that one."""
    return bool(ITEM.match(sentence)) if style is None else outline.style_of(sentence.lstrip()) == style


def _cut(item: str, share: int) -> str:
    """`item` cut to its opening clauses within `share` characters, marked with ……"""
    return f"{_CUT_END.sub('', opening_clauses(item, share)[:share])}……"


def sibling_items(
    sentences: tuple[str, ...], at: int, relevance: Callable[[str], float] | None = None
) -> list[str]:
    """For a question asking which items, when sentence `at` is one numbered item of a list
    ("(三)居住在城区的非户籍儿童还需交验…"): the whole list as written, from its first item
    of that numbering to its last, each with its sub-items and unnumbered lines, within
    LIST_MAX characters (the items most relevant to the question, in their order); [] when
    the sentence is no item or the list has no other item."""
    style = outline.style_of(sentences[at].lstrip(), _ITEM_STYLES)
    if style is None:
        return []
    depth = outline.rank(style)

    def inside(sentence: str) -> bool:
        # An item of the same numbering, or a line below one (deeper numbering, or none).
        other = outline.style_of(sentence.lstrip())
        return other is None or outline.rank(other) >= depth

    first = at
    while first > 0 and inside(sentences[first - 1]):
        first -= 1
    last = at
    while last + 1 < len(sentences) and inside(sentences[last + 1]):
        last += 1
    # The lines before the list's first item of this numbering belong to what precedes it.
    while first < at and outline.style_of(sentences[first].lstrip()) != style:
        first += 1
    run = list(sentences[first : last + 1])
    if sum(outline.style_of(s.lstrip()) == style for s in run) < 2:
        return []
    if sum(map(len, run)) <= LIST_MAX:
        return run
    heads = _item_heads(run, LIST_MAX, relevance, style)
    if heads:
        return heads
    if relevance is None:
        return _first_items(run, LIST_MAX)
    return _relevant_items(run, LIST_MAX, relevance, style)


def _first_items(run: list[str], room: int) -> list[str]:
    items: list[str] = []
    for sentence in run:
        if len(sentence) > room:
            return [*items, ELIDED]
        items.append(sentence)
        room -= len(sentence)
    return items


def _relevant_items(
    run: list[str], room: int, relevance: Callable[[str], float], style: str | None = None
) -> list[str]:
    """The items (a numbered sentence with the unnumbered ones after it) that fit in `room`,
    most relevant first, given in document order; the sentences before the first item
    (the rest of the announcement) always come. With `style`, an item is a sentence of that
    numbering and the deeper ones belong to it."""

    first = next(i for i, s in enumerate(run) if _opens(s, style))
    head, groups = run[:first], []
    for sentence in run[first:]:
        if _opens(sentence, style):
            groups.append([sentence])
        else:
            groups[-1].append(sentence)
    room -= sum(map(len, head))
    kept: set[int] = set()
    for g in sorted(range(len(groups)), key=lambda g: (-relevance("".join(groups[g])), g)):
        size = sum(map(len, groups[g]))
        if size <= room:
            kept.add(g)
            room -= size
    items = list(head)
    for g, group in enumerate(groups):
        if g in kept:
            items.extend(group)
        elif not items or items[-1] != ELIDED:
            items.append(ELIDED)
    return items


class Ranked(Located, Protocol):
    @property
    def dense(self) -> float: ...


def clause_quotes(
    ranked: Sequence[Ranked], quoted: list[str], question: str, lexical: LexicalIndex
) -> list[tuple[Citation, str]]:
    """For a question asking more than one thing, the sentence that answers each asking
    clause the quote does not: of the ranked sentences, the one covering most of the
    clause's keywords (with its heading path; a value of the kind the clause asks for
    counts, ties go to the sentence closer in meaning to the question), when it covers at
    least CLAUSE_COVERAGE and more than the quote does. Only the CLAUSE_RANKED sentences
    ranked best for the whole question are looked at: the clause's few words alone would
    pick a stray line (a timetable row) that names them. In the order the question asks."""
    clauses = asking_clauses(question)
    if len(clauses) < 2:
        return []
    quote = "".join(quoted)
    found: list[tuple[Citation, str]] = []
    # A word no document uses can be covered by no sentence: a made-up segment of spoken
    # words (娃吵, 多大才) or a verb only weighs the share the others must reach. A noun of
    # the language the documents do not use (菜单 for 食谱) stays: the thing is asked, by
    # another name, and meaning decides; so does a single character (签 inside 签订).
    words = [_meant(search_tokens(clause), lexical) for clause in clauses]
    # Beside the sentences ranked best for the whole question, every sentence of the quoted
    # passage: a second ask is most often answered next to the first ("公示多久？有异议怎么
    # 处理？" → the sentence after the quote), where the clause's words alone rank low.
    pool = list(ranked[:CLAUSE_RANKED])
    if ranked:
        pool += [c for c in ranked[CLAUSE_RANKED:] if c.citation is ranked[0].citation]

    def covers(text: str, tokens: list[str]) -> float:
        return coverage(tokens, text, lexical.idf)

    for n, clause in enumerate(clauses):
        slot = slot_of(clause)
        # What the clause asks of its own: its words that no other clause holds ("领了没按时
        # 去学校注册会怎么样" after "通知书几号去领": 按时, 注册), all of them when none is.
        others = {t for m, w in enumerate(words) if m != n for t in w}
        tokens = [t for t in words[n] if t not in others] or words[n]
        if not ranked:
            break

        def fit(c: Ranked, tokens: list[str] = tokens, slot: Slot = slot, clause: str = clause) -> float:
            sentence = c.sentences[c.at]
            header = table_header(c.citation.text, c.citation.section)
            holds = KIND_BONUS if slot.filled_by(sentence, clause, header) else 0.0
            return coverage(tokens, f"{_heading(c.citation)} {sentence}", lexical.idf) + holds

        # A value of the kind the clause asks for counts in `fit`, but is not required: the
        # slot's vocabulary does not know every answer ("由哪一级财政拨付" → 市财政).
        best = max(pool, key=lambda c: (fit(c), c.dense))
        sentence = best.sentences[best.at]
        quoted, candidate = f"{_heading(ranked[0].citation)} {quote}", f"{_heading(best.citation)} {sentence}"
        if sentence in quote or any(sentence == s for _, s in found):
            candidate = quoted  # nothing said beyond the quote: only meaning may add one

        # It says more than the quote of what the clause alone asks and no less of the whole
        # clause, and covers CLAUSE_COVERAGE of either (the clause's own words may be mostly
        # ones no document uses: "这笔补贴由哪一级财政拨付" → 这笔, 一级, 拨付).
        own, whole = covers(candidate, tokens), covers(candidate, words[n])
        if (
            own > covers(quoted, tokens)
            and whole >= covers(quoted, words[n])
            and max(own, whole) >= CLAUSE_COVERAGE
        ):
            found.append((best.citation, sentence))
            continue
        # Else by meaning: the sentence closest to the clause alone (its own query vector),
        # when it is CLAUSE_MEANING_MARGIN closer than any sentence of the quote and states
        # a value of the written form the clause asks for.
        meant = _by_meaning(ranked, clause, slot, quote)
        if meant is None:
            meant = _beside_quote(ranked[0], quoted, slot, clause)
        if meant is not None and not any(meant[1] == s for _, s in found):
            found.append(meant)
    return found


BESIDE_REACH = 2  # sentences after the quote's last (and one before its first) looked at


def _beside_quote(lead: Ranked, quoted: list[str], slot: Slot, clause: str) -> tuple[Citation, str] | None:
    """The sentence next to the quote that states the value a clause asks by its written
    form (a date, a period, a figure), when the quote states none: "思想品德…考试时间为70
    分钟。…考试定于2016年5月28日举行。" answers "哪天考？考多长时间？" in one paragraph, and
    the date's sentence shares no word with the clause but 考."""
    if slot.kind not in WRITTEN_FORM_SLOTS or any(slot.filled_by(q, clause) for q in quoted):
        return None
    places = [i for i, sentence in enumerate(lead.sentences) if sentence in quoted]
    if not places:
        return None
    first, last = min(places), max(places)
    near = [*range(last + 1, last + 1 + BESIDE_REACH), first - 1]
    header = table_header(lead.citation.text, lead.citation.section)
    for i in near:
        if 0 <= i < len(lead.sentences) and slot.filled_by(lead.sentences[i], clause, header):
            return lead.citation, lead.sentences[i]
    return None


def _meant(tokens: list[str], lexical: LexicalIndex) -> list[str]:
    """`tokens` that are words of the documents, single characters (签 inside 签订) or nouns of
    the language; all of them when none is."""
    return [t for t in tokens if t in lexical.vocabulary or len(t) < 2 or general_noun(t)] or tokens


def _clause_similarity(citation: Citation, clause: str) -> dict[str, float]:
    return dict(dict(citation.clause_dense).get(clause, ()))


def _by_meaning(ranked: Sequence[Ranked], clause: str, slot: Slot, quote: str) -> tuple[Citation, str] | None:
    """The sentence answering `clause` by meaning (see `clause_quotes`), or None. Only for a
    clause asking a value known by its written form (a figure, a date, a period), whose
    presence confirms what meaning found: for a clause asking a rule or a verdict ("罗湖有没有
    说法", "老师之间到底流不流动") the closest sentence was as often another subject's."""
    if slot.kind not in WRITTEN_FORM_SLOTS:
        return None
    quoted = -1.0
    for citation in {id(c.citation): c.citation for c in ranked}.values():
        for sentence, value in _clause_similarity(citation, clause).items():
            if sentence in quote:
                quoted = max(quoted, value)
    scored = [
        (value, c)
        for c in ranked[:CLAUSE_RANKED]
        if (value := _clause_similarity(c.citation, clause).get(c.sentences[c.at])) is not None
    ]
    if not scored:
        return None
    value, best = max(scored, key=lambda vc: vc[0])
    sentence = best.sentences[best.at]
    if sentence in quote or value - quoted < CLAUSE_MEANING_MARGIN:
        return None
    if slot.asks_value and not slot.filled_by(
        sentence, clause, table_header(best.citation.text, best.citation.section)
    ):
        return None
    return best.citation, sentence


def _heading(citation: Citation) -> str:
    """What names a sentence's subject besides the sentence: its document and heading path,
    and for a table's rows the names of its columns."""
    return " ".join([citation.title, citation.section, *header_of(citation.text)])

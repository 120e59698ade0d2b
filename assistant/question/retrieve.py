"""Hybrid retrieval: dense search by Chroma (HNSW) + BM25 over jieba tokens, fused by
reciprocal rank, then re-scored by how well each candidate's best sentence covers the
question. Every search reads one `SearchSnapshot` from start to end."""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.grammar.places import narrowest, place_codes, same_scope
from assistant.grammar.sentences import PROSE_MARKS, char_pairs, split_sentences
from assistant.question.clauses import asking_clauses
from assistant.question.coverage import answer_kind, coverage, kind_bonus
from assistant.question.lexical import LexicalIndex
from assistant.question.passage_rank import fitted_ranker, passage_features, weights_ranker
from assistant.question.slots import WRITTEN_FORM_SLOTS, slot_of
from assistant.question.snapshot import Index, SearchSnapshot, SnapshotHolder, searchable_text
from assistant.question.terms import keyword_reach, search_tokens
from assistant.settings import Settings
from assistant.vocab import compile_pattern, table

log = logging.getLogger(__name__)

__all__ = ["HybridSearcher", "Passage", "SearchResult", "searchable_text"]


@dataclass
class Passage:
    id: str
    text: str
    metadata: dict[str, Any]
    score: float = 0.0
    dense: float = 0.0  # cosine similarity to the question
    lexical: float = 0.0  # BM25 score
    coverage: float = 0.0  # keyword coverage of the whole passage (with its heading path)
    best_sentence: str = ""
    sentence_coverage: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)
    # cosine similarity of each of its sentences to the question (sentence vectors)
    sentence_dense: dict[str, float] = field(default_factory=dict)
    # for a question asking several things: each asking clause → its sentences' similarity
    clause_dense: dict[str, dict[str, float]] = field(default_factory=dict)
    # the named figures the ranking read (question/passage_rank.py)
    features: dict[str, float] = field(default_factory=dict)
    # the score by the settings' weights (keyword-led), which the refusal decision reads
    keyword_led: float | None = None

    @property
    def doc_id(self) -> str:
        return str(self.metadata.get("doc_id", ""))

    @property
    def section(self) -> str:
        return str(self.metadata.get("section", ""))

    @property
    def title(self) -> str:
        return str(self.metadata.get("title", ""))

    @property
    def context(self) -> str:
        """What names the passage's subject and place besides its text: its document's
        title and issuer, and its heading path (as `Citation.context`)."""
        return f"{self.title} {self.metadata.get('issuer', '')} {self.section}"

    @property
    def searchable(self) -> str:
        return searchable_text(self.title, self.section, self.text)


@dataclass
class SearchResult:
    query: str
    tokens: list[str]
    passages: list[Passage]
    snapshot: SearchSnapshot | None = None


_TIME = table("assistant.question", "intents.toml")["time"]
_ABOUT_NOW = compile_pattern(_TIME["current"])
_ABOUT_THEN = compile_pattern(_TIME["past"])
HISTORICAL = "historical"


def about_now(question: str) -> bool:
    """The question is about now or a coming year (明年, 现在, 2025年), not the past on
    purpose (当年, 以前): intents.toml [time]."""
    return bool(asked_now(question))


def asked_now(question: str) -> str:
    """The words that ask about now or a coming year ("今年", "2026年"); "" when the
    question asks about neither, or about the past on purpose."""
    found = _ABOUT_NOW.search(question)
    return found.group(0) if found and not _ABOUT_THEN.search(question) else ""


def with_current(question: str, passages: list[Passage], k: int) -> list[Passage]:
    """The first k of `passages` (best first). For a question about now or a coming year
    (明年, 现在) whose k are all from historical documents, the best passage of a current
    document that is at least as close in meaning (dense) as the closest of them takes the
    last place: a 2016 guide's keywords must not hide the plan in force."""
    top = passages[:k]
    if not top or not about_now(question):
        return top
    if any(p.metadata.get("status") != HISTORICAL for p in top):
        return top
    closest = max(p.dense for p in top)
    current = next(
        (p for p in passages[k:] if p.metadata.get("status") != HISTORICAL and p.dense >= closest), None
    )
    return top if current is None else [*top[:-1], current]


def _sentence_similarities(
    snapshot: SearchSnapshot, passage: Passage, vector: np.ndarray, whole: float | None
) -> dict[str, float]:
    """Each sentence of `passage` with its stored vector's cosine to `vector`; a passage of
    one sentence has no sentence vector, and its chunk's cosine (`whole`) stands for it."""
    sentences = split_sentences(passage.text)
    if len(sentences) == 1:
        return {} if whole is None else {sentences[0]: whole}
    scores = snapshot.sentences.similarities(passage.id, sentences, vector)
    return {s: v for s, v in zip(sentences, scores, strict=True) if v is not None}


def in_scope(question: str, passages: list[Passage]) -> list[Passage]:
    """`passages` with those of documents about the place the question names first. A
    question naming a place (在重庆…, 天津小学…) whose passages include a document of that
    place, or of a place it lies in, is answered from those and from documents naming no
    place (a national law); documents of other places (a Shenzhen guide for a Chongqing
    question) follow, in their order. Places are read from the question and from each
    passage's document title, issuer and heading path (grammar/places.py)."""
    asked = narrowest(place_codes(question))
    if not asked:
        return passages
    # The heading path narrows a document's place (a city's file of its districts' rules:
    # "北京各区幼升小政策汇总 > 东城区"), and the narrowest place asked is the one asked about.
    scopes = [narrowest(place_codes(p.context)) for p in passages]
    if not any(same_scope(asked, scope) for scope in scopes if scope):
        return passages  # no document of the asked place: nothing to prefer
    return _first(passages, [not scope or same_scope(asked, scope) for scope in scopes])


_DOCUMENT = table("assistant.question", "intents.toml")["document"]
_NAMED_KIND = re.compile(
    _DOCUMENT["reference"].replace("{kinds}", "|".join(map(re.escape, _DOCUMENT["kinds"])))
)


def named_kind(question: str) -> str:
    """The kind of document the question speaks of ("方案里…" → 方案), or ""."""
    m = _NAMED_KIND.search(question)
    return (m.group("kind") or m.group("within")) if m else ""


def of_named_kind(question: str, passages: list[Passage]) -> list[Passage]:
    """`passages` with those of documents of the kind the question speaks of first ("方案里
    有没有说要少考点": the action plan, before a guide whose points table says 分数), when
    some passage is of that kind; the others follow, in their order."""
    kind = named_kind(question)
    if not kind:
        return passages
    named = [kind in p.title for p in passages]
    if not any(named):
        return passages
    # A document the question names more fully by its title's other words ("罗湖区城市更新
    # 改革试点的实施意见" of a page titled "…在罗湖区开展城市更新工作改革试点的决定") is the one
    # meant, whatever kind its title gives it.
    phrase = _named_phrase(question)
    shared = [len(phrase & char_pairs(p.title)) for p in passages]
    of_kind = max(n for n, keep in zip(shared, named, strict=True) if keep)
    if max(shared) > of_kind:
        return passages
    return _first(passages, named)


_CLAUSE_BREAK = re.compile(rf"[{re.escape(PROSE_MARKS)}\s]")


def _named_phrase(question: str) -> set[str]:
    """The bigrams of the clause that names a document by its kind."""
    m = _NAMED_KIND.search(question)
    if m is None:
        return set()
    start = max((b.end() for b in _CLAUSE_BREAK.finditer(question, 0, m.start())), default=0)
    return char_pairs(question[start : m.end()])


def _first(passages: list[Passage], preferred: list[bool]) -> list[Passage]:
    """The preferred passages, then the others, each in their order."""
    return [p for p, keep in zip(passages, preferred, strict=True) if keep] + [
        p for p, keep in zip(passages, preferred, strict=True) if not keep
    ]


# Chunks of the asked place's documents added when the search found fewer of them.
SCOPED_CANDIDATES = 8
_places_of = functools.lru_cache(maxsize=4096)(place_codes)  # a document's title and issuer


class HybridSearcher:
    """Searches the current snapshot of the active collection.

    `embed_query` defaults to the index's embedder; a server passes its shared batcher."""

    def __init__(
        self,
        index: Index,
        settings: Settings,
        embed_query: Callable[[str], np.ndarray] | None = None,
    ) -> None:
        self.index = index
        self.settings = settings
        self._embed_query = embed_query
        self.snapshots = SnapshotHolder(index, settings)
        self.ranker = (
            fitted_ranker()
            if settings.passage_ranking == "fitted"
            else weights_ranker(settings.dense_weight, settings.sentence_weight)
        )
        self.weights = weights_ranker(settings.dense_weight, settings.sentence_weight)

    def snapshot(self) -> SearchSnapshot:
        """The snapshot a request should read throughout."""
        return self.snapshots.current

    def refresh(self, force: bool = False) -> SearchSnapshot:
        """Swap in the active collection's snapshot if it changed (after an ingest)."""
        return self.snapshots.refresh(force)

    @property
    def lexical(self) -> LexicalIndex:
        return self.snapshot().lexical

    def embed_query(self, text: str) -> np.ndarray:
        if self._embed_query is not None:
            return self._embed_query(text)
        return self.index.embedder.embed_query(text)  # type: ignore[attr-defined]

    def find_passage(
        self, doc_id: str, section: str, sentence: str, snapshot: SearchSnapshot | None = None
    ) -> Passage | None:
        """The chunk of a document section that holds `sentence` (for table citations)."""
        snapshot = snapshot or self.snapshot()
        for chunk in snapshot.chunks.in_section(doc_id, section):
            if sentence[:20] in chunk.text:
                passage = Passage(
                    id=chunk.id, text=chunk.text, metadata=chunk.metadata, best_sentence=sentence
                )
                passage.score = 1.0
                return passage
        return None

    def correct_typos(self, query: str, snapshot: SearchSnapshot | None = None) -> str:
        """`query` with homophone typos replaced by the corpus words they stand for."""
        return (snapshot or self.snapshot()).typos.correct(query)

    def search(
        self, query: str, k: int | None = None, snapshot: SearchSnapshot | None = None
    ) -> SearchResult:
        """`query` is already normalised (Simplified, folded punctuation)."""
        snapshot = snapshot or self.snapshot()
        k = k or self.settings.top_k
        tokens = search_tokens(query)
        kind = answer_kind(query)
        query_vector = np.asarray(self.embed_query(query), dtype=np.float32)
        dense_hits = snapshot.chunks.nearest(
            query_vector, min(self.settings.dense_candidates, len(snapshot.lexical))
        )
        lexical_hits = snapshot.lexical.search(tokens, self.settings.lexical_candidates)
        # The keyword side counts as much as it can see of the question (an English
        # question's keywords are a glossary's partial translation); the dense side,
        # multilingual, always reads all of it.
        reach = keyword_reach(query)
        dense_hits += self._scoped_hits(snapshot, query, query_vector, dense_hits + lexical_hits)
        passages = self._fuse(snapshot, dense_hits, lexical_hits, reach)
        self._fill_dense(snapshot, passages, query_vector)
        # Words no passage contains cannot tell passages apart; they matter to refusal only.
        known = snapshot.lexical.known(tokens)
        for passage in passages:
            self._score_sentences(snapshot.lexical, passage, known, kind, query)
        # Each candidate's sentences are scored against the question, so the ranking can
        # read its best sentence's meaning as well as its keywords.
        snapshot.sentences.prepare([split_sentences(p.text) for p in passages])
        for p in passages:
            p.sentence_dense = _sentence_similarities(snapshot, p, query_vector, p.dense)
        passage_features(passages, reach, lambda p: max(p.sentence_dense.values(), default=None))
        ranker, weights = self.ranker, self.weights
        for p in passages:
            p.score = ranker.score(p.features)
            p.keyword_led = weights.score(p.features)
        # Ties (equal scores) fall back to the chunk id, so rankings repeat across processes.
        passages.sort(key=lambda p: (-p.score, p.id))
        # The asked place comes first, then the asked kind of document within it.
        passages = with_current(query, in_scope(query, of_named_kind(query, passages)), k)
        self._score_clauses(snapshot, passages, query)
        return SearchResult(query=query, tokens=tokens, passages=passages, snapshot=snapshot)

    def _scoped_hits(
        self,
        snapshot: SearchSnapshot,
        query: str,
        vector: np.ndarray,
        hits: list[tuple[str, float]],
    ) -> list[tuple[str, float]]:
        """The nearest chunks of the documents of the place the question names, when few
        of `hits` are of such a document: a parent who names 惠城区 asks about its rules,
        however the question's words rank the other cities' rules."""
        asked = place_codes(query)
        if not asked or not hits:
            return []
        documents = snapshot.chunks.documents()
        scoped = [
            doc
            for doc, named in documents.items()
            if (codes := _places_of(named)) and same_scope(asked, codes)
        ]
        if not scoped:
            return []
        seen = {cid for cid, _ in hits}
        wanted = set(scoped)
        if sum(1 for cid in seen if cid.split(":", 1)[0] in wanted) >= SCOPED_CANDIDATES:
            return []
        extra = snapshot.chunks.nearest_in(vector, SCOPED_CANDIDATES, scoped)
        return [(cid, score) for cid, score in extra if cid not in seen]

    def _score_clauses(self, snapshot: SearchSnapshot, passages: list[Passage], query: str) -> None:
        """For a question asking several things, each asking clause's meaning against the
        passages' sentences: the sentence answering a clause may share few of its words
        ("运动项目有没有数量上的指标" → "至少拥有2项以上体育特长"). One more query
        embedding per clause asking a figure, a date or a period, only for such questions."""
        clauses = asking_clauses(query)
        if len(clauses) < 2 or not passages:
            return
        # Only a clause asking a value of a written form is ever quoted by meaning
        # (answering/quote.py): no embedding for the others.
        for clause in (c for c in clauses if slot_of(c).kind in WRITTEN_FORM_SLOTS):
            vector = np.asarray(self.embed_query(clause), dtype=np.float32)
            whole = snapshot.chunks.similarities([p.id for p in passages], vector)
            for p in passages:
                p.clause_dense[clause] = _sentence_similarities(snapshot, p, vector, whole.get(p.id))

    def _fuse(
        self,
        snapshot: SearchSnapshot,
        dense_hits: list[tuple[str, float]],
        lexical_hits: list[tuple[str, float]],
        lexical_share: float = 1.0,
    ) -> list[Passage]:
        rrf_k = self.settings.rrf_k
        stored = snapshot.chunks.fetch([cid for cid, _ in dense_hits] + [cid for cid, _ in lexical_hits])
        by_id: dict[str, Passage] = {}
        for name, hits in (("dense", dense_hits), ("lexical", lexical_hits)):
            for rank, (cid, score) in enumerate(hits):
                chunk = stored.get(cid)
                if chunk is None:
                    continue
                passage = by_id.setdefault(cid, Passage(id=cid, text=chunk.text, metadata=chunk.metadata))
                passage.ranks[name] = rank
                passage.score += (1.0 if name == "dense" else lexical_share) / (rrf_k + rank + 1)
                if name == "dense":
                    passage.dense = score
                else:
                    passage.lexical = score
        return list(by_id.values())

    def _fill_dense(
        self, snapshot: SearchSnapshot, passages: list[Passage], query_vector: np.ndarray
    ) -> None:
        """Keyword-only candidates get their exact dense similarity (their stored vectors,
        fetched by id), so the blend compares like with like: a strong keyword match outside
        the dense top-k is not penalised."""
        missing = [p for p in passages if "dense" not in p.ranks]
        if not missing:
            return
        scores = snapshot.chunks.similarities([p.id for p in missing], query_vector)
        for p in missing:
            p.dense = scores.get(p.id, 0.0)

    def _score_sentences(
        self, lexical: LexicalIndex, passage: Passage, tokens: list[str], kind: str | None, query: str
    ) -> None:
        idf = lexical.idf
        passage.coverage = coverage(tokens, passage.searchable, idf)
        best, best_score = "", -1.0
        for sentence in split_sentences(passage.text):
            score = coverage(tokens, sentence, idf) + kind_bonus(kind, sentence, query)
            if score > best_score:
                best, best_score = sentence, score
        passage.best_sentence = best
        passage.sentence_coverage = max(best_score, 0.0)

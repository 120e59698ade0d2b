"""Hybrid retrieval: dense search in Chroma + BM25 over jieba tokens, fused by reciprocal
rank, then re-scored by how well each candidate's best sentence covers the question."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from assistant.index import KnowledgeIndex
from assistant.question.lexical import LexicalIndex
from assistant.question.sentences import answer_kind, coverage, kind_bonus, split_sentences
from assistant.question.terms import keyword_reach, search_tokens
from assistant.question.typos import TypoCorrector
from assistant.settings import Settings

log = logging.getLogger(__name__)


def searchable_text(title: str, section: str, text: str) -> str:
    """What keyword search and coverage read of a chunk: where it sits, then the text."""
    return f"{title} > {section}\n{text}"


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
    def searchable(self) -> str:
        return searchable_text(self.title, self.section, self.text)


@dataclass
class SearchResult:
    query: str
    tokens: list[str]
    passages: list[Passage]


class HybridSearcher:
    """Holds the keyword index in step with the active Chroma collection."""

    def __init__(self, index: KnowledgeIndex, settings: Settings) -> None:
        self.index = index
        self.settings = settings
        self._lock = threading.Lock()
        self._collection: str | None = None
        self._lexical = LexicalIndex([], [])
        self._chunks: dict[str, tuple[str, dict[str, Any]]] = {}
        self._vectors = np.zeros((0, 0), dtype=np.float32)
        self._vector_row: dict[str, int] = {}
        self._vector_ids: list[str] = []
        self._typos: TypoCorrector | None = None
        self.refresh()

    def refresh(self, force: bool = False) -> None:
        """Rebuild the BM25 side if the active collection changed (after an ingest)."""
        active = self.index.active_name()
        if not force and active == self._collection:
            return
        with self._lock:
            ids, texts, metas = self.index.all_chunks()
            chunks = {i: (t, m) for i, t, m in zip(ids, texts, metas, strict=True)}
            searchable = [
                searchable_text(str(m.get("title", "")), str(m.get("section", "")), t)
                for t, m in zip(texts, metas, strict=True)
            ]
            self._lexical = LexicalIndex(ids, searchable)
            self._chunks = chunks
            vector_ids, matrix = self.index.all_vectors()
            self._vectors = matrix
            self._vector_ids = vector_ids
            self._vector_row = {cid: i for i, cid in enumerate(vector_ids)}
            self._typos = None  # its vocabulary is the new collection's
            self._collection = active
        log.info("keyword index rebuilt: %d chunks from %s", len(ids), active)

    def find_passage(self, doc_id: str, section: str, sentence: str) -> Passage | None:
        """The chunk of a document section that holds `sentence` (for table citations)."""
        for cid, (text, meta) in self._chunks.items():
            if meta.get("doc_id") == doc_id and meta.get("section") == section and sentence[:20] in text:
                passage = Passage(id=cid, text=text, metadata=meta, best_sentence=sentence)
                passage.score = 1.0
                return passage
        return None

    def correct_typos(self, query: str) -> str:
        """`query` with homophone typos replaced by the corpus words they stand for."""
        self.refresh()
        with self._lock:
            if self._typos is None:
                self._typos = TypoCorrector(self._lexical.vocabulary)
            corrector = self._typos
        return corrector.correct(query)

    @property
    def lexical(self) -> LexicalIndex:
        return self._lexical

    def search(self, query: str, k: int | None = None) -> SearchResult:
        """`query` is already normalised (Simplified, folded punctuation)."""
        self.refresh()
        k = k or self.settings.top_k
        tokens = search_tokens(query)
        kind = answer_kind(query)
        query_vector = self.index.embedder.embed_query(query)
        dense_hits = self._dense(query_vector, self.settings.dense_candidates)
        lexical_hits = self._lexical.search(tokens, self.settings.lexical_candidates)
        # The keyword side counts as much as it can see of the question (an English
        # question's keywords are a glossary's partial translation); the dense side,
        # multilingual, always reads all of it.
        reach = keyword_reach(query)
        passages = self._fuse(dense_hits, lexical_hits, reach)
        self._fill_dense(passages, query_vector)
        # Words no passage contains cannot tell passages apart; they matter to refusal only.
        known = self._lexical.known(tokens)
        for passage in passages:
            self._score_sentences(passage, known, kind, query)
        # The weight the keyword coverage cannot use goes to the dense similarity.
        dense_weight = self.settings.dense_weight + (1.0 - reach) * self.settings.sentence_weight
        if passages:
            top_rrf = max(p.score for p in passages) or 1.0
            for p in passages:
                p.score = (
                    p.score / top_rrf
                    + dense_weight * p.dense
                    + reach * self.settings.sentence_weight * max(p.sentence_coverage, p.coverage)
                )
        passages.sort(key=lambda p: p.score, reverse=True)
        return SearchResult(query=query, tokens=tokens, passages=passages[:k])

    def _fuse(
        self,
        dense_hits: list[tuple[str, float]],
        lexical_hits: list[tuple[str, float]],
        lexical_share: float = 1.0,
    ) -> list[Passage]:
        rrf_k = self.settings.rrf_k
        by_id: dict[str, Passage] = {}
        for name, hits in (("dense", dense_hits), ("lexical", lexical_hits)):
            for rank, (cid, score) in enumerate(hits):
                if cid not in self._chunks:
                    continue
                text, meta = self._chunks[cid]
                passage = by_id.setdefault(cid, Passage(id=cid, text=text, metadata=meta))
                passage.ranks[name] = rank
                passage.score += (1.0 if name == "dense" else lexical_share) / (rrf_k + rank + 1)
                if name == "dense":
                    passage.dense = score
                else:
                    passage.lexical = score
        return list(by_id.values())

    def _dense(self, query_vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        """Exact cosine top-k over the vectors read from Chroma.

        Chroma's HNSW search is approximate and, for a small collection, not repeatable
        across processes; an exact product over the same vectors costs a few milliseconds
        even at 100k chunks and makes rankings (and so refusals) deterministic."""
        if self._vectors.size == 0 or k <= 0:
            return []
        scores = self._vectors @ query_vector.astype(np.float32)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(self._vector_ids[i], float(scores[i])) for i in top]

    def _fill_dense(self, passages: list[Passage], query_vector: np.ndarray) -> None:
        """Keyword-only candidates get their true dense similarity, so the blend compares
        like with like (a strong keyword match outside the dense top-k is not penalised)."""
        missing = [p for p in passages if "dense" not in p.ranks]
        if not missing:
            return
        query = np.asarray(query_vector, dtype=np.float32)
        for p in missing:
            row = self._vector_row.get(p.id)
            if row is not None:
                p.dense = float(self._vectors[row] @ query)

    def _score_sentences(self, passage: Passage, tokens: list[str], kind: str | None, query: str) -> None:
        idf = self._lexical.idf
        passage.coverage = coverage(tokens, passage.searchable, idf)
        best, best_score = "", -1.0
        for sentence in split_sentences(passage.text):
            score = coverage(tokens, sentence, idf) + kind_bonus(kind, sentence, query)
            if score > best_score:
                best, best_score = sentence, score
        passage.best_sentence = best
        passage.sentence_coverage = max(best_score, 0.0)

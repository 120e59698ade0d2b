"""The hybrid search as a LangChain retriever (`BaseRetriever`).

The answer chain reads its passages through it, and any LangChain application can use it
as it would any retriever (`retriever | format_docs | prompt | model`). Each `Document`
carries the citation metadata of its chunk (doc_id, title, issuer, date, 文号, section,
status, validity, url, ocr_pages…), the index version it was read from, and the search's
own figures, from which `passage_of` gives back the exact `Passage` the chain scores.
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, SkipValidation

from assistant.question.normalize import normalize_question
from assistant.question.retrieve import HybridSearcher, Passage
from assistant.question.snapshot import SearchSnapshot

INDEX_VERSION = "index_version"  # the collection (index version) a document was read from
CHUNK_ID = "chunk_id"
SEARCH = "search"  # the search's figures of the passage (scores, best sentence, ranks)
_ADDED = (INDEX_VERSION, CHUNK_ID, SEARCH)


class HybridRetriever(BaseRetriever):
    """Dense (Chroma) + BM25 search fused and re-scored by sentence coverage.

    Every call reads one index version: `snapshot` when the retriever is pinned to one
    (`pinned`, as the chain does for each question), else the active one at the call.
    `prepare_query` puts a user's question in the form the index is searched with
    (Simplified script, folded punctuation, homophone typos corrected); the chain has
    done that already and turns it off."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    # Objects of the search, taken as they are (a snapshot holds locks and open indexes).
    searcher: SkipValidation[HybridSearcher]
    k: int | None = None  # passages returned (ASSISTANT_TOP_K when None)
    snapshot: SkipValidation[SearchSnapshot | None] = None
    prepare_query: bool = True

    def pinned(
        self, snapshot: SearchSnapshot, k: int | None = None, prepare_query: bool = False
    ) -> HybridRetriever:
        """This retriever reading `snapshot` only (one question's index version)."""
        update = {"snapshot": snapshot, "prepare_query": prepare_query, "k": k or self.k}
        return self.model_copy(update=update)

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        snapshot = self.snapshot or self.searcher.snapshot()
        if self.prepare_query:
            query = self.searcher.correct_typos(normalize_question(query).text, snapshot)
        found = self.searcher.search(query, self.k, snapshot=snapshot)
        return [document_of(p, snapshot.name or "") for p in found.passages]


def document_of(passage: Passage, index_version: str) -> Document:
    figures: dict[str, Any] = {
        "score": passage.score,
        "dense": passage.dense,
        "lexical": passage.lexical,
        "coverage": passage.coverage,
        "best_sentence": passage.best_sentence,
        "sentence_coverage": passage.sentence_coverage,
        "ranks": passage.ranks,
        "sentence_dense": passage.sentence_dense,
        "clause_dense": passage.clause_dense,
        "features": passage.features,
        "keyword_led": passage.keyword_led,
    }
    metadata = {**passage.metadata, INDEX_VERSION: index_version, CHUNK_ID: passage.id, SEARCH: figures}
    return Document(id=passage.id, page_content=passage.text, metadata=metadata)


def passage_of(document: Document) -> Passage:
    """The `Passage` a document of `HybridRetriever` was made from."""
    metadata = {k: v for k, v in document.metadata.items() if k not in _ADDED}
    figures = document.metadata.get(SEARCH, {})
    return Passage(
        id=str(document.metadata.get(CHUNK_ID) or document.id),
        text=document.page_content,
        metadata=metadata,
        **figures,
    )

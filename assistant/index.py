"""The Chroma index: embedded or server, built incrementally and switched atomically.

Every ingest that changes anything writes a *new* collection (unchanged documents'
vectors are copied, changed ones re-embedded), then flips a pointer kept in a small
registry collection. A killed or failed ingest therefore never touches what queries read:
the previous collection stays active until the flip. After the flip the previous
collection is kept until the next ingest, so searches that started on it (in this process
or in another replica) finish on it; older ones are dropped.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function

from assistant.backends.loader import get_embedder
from assistant.documents.loaders import unsupported_type
from assistant.documents.manifest import DocumentMeta, unsupported_files
from assistant.embeddings import Embedder
from assistant.indexing.ingest import run_ingest
from assistant.indexing.plan import IngestReport
from assistant.settings import Settings
from assistant.sync.catalog import knowledge_metas

log = logging.getLogger(__name__)

# Chroma's SQLite back end binds one variable per record on an unlimited get(); SQLite refuses
# more than 32,766, so large indexes are read in pages.
READ_PAGE = 5000
INGEST_LOCK = threading.RLock()


class IndexUnavailableError(RuntimeError):
    """The index cannot be reached or read. `user_message` is Chinese for users."""

    def __init__(self, log_message: str, user_message: str) -> None:
        super().__init__(log_message)
        self.user_message = user_message


@register_embedding_function
class AssistantEmbeddingFunction(EmbeddingFunction[Documents]):
    """Registered with Chroma so a collection records which model made its vectors and a
    reopened collection never falls back to Chroma's downloading default."""

    def __init__(self, model: str, embedder: Embedder | None = None) -> None:
        self.model = model
        self._embedder = embedder

    def _get(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(Settings(embedding_model=self.model))
        return self._embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._get().embed_documents(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._get().embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "luohu-assistant"

    def get_config(self) -> dict[str, Any]:
        return {"model": self.model}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> AssistantEmbeddingFunction:
        return AssistantEmbeddingFunction(model=config["model"])

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"


def make_client(settings: Settings) -> ClientAPI:
    chroma_settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if settings.server_mode:
        try:
            return chromadb.HttpClient(
                host=settings.chroma_host or "127.0.0.1",
                port=settings.chroma_port,
                settings=chroma_settings,
            )
        except Exception as exc:
            raise IndexUnavailableError(
                f"Chroma server {settings.chroma_host}:{settings.chroma_port} unreachable: {exc}",
                "知识库服务器暂时无法连接，请稍后再试或联系管理员。",
            ) from exc
    settings.index_dir.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(settings.index_dir), settings=chroma_settings)


@dataclass(frozen=True)
class IndexedDocument:
    doc_id: str
    title: str
    issuer: str
    date: str
    status: str
    chunks: int
    doc_number: str = ""
    valid_until: str = ""
    status_reason: str = ""
    url: str = ""
    superseded_by: str = ""
    ocr_confidence: str = ""  # a scan's lowest page confidence among its passages ("0.97")


class KnowledgeIndex:
    """Reads and writes the active collection of the knowledge base."""

    def __init__(
        self,
        settings: Settings,
        embedder: Embedder | None = None,
        before_switch: Callable[[Collection], object] | None = None,
    ) -> None:
        """`before_switch` runs on a freshly built collection before it becomes active
        (the keyword index is saved then, so readers find it ready); if it fails, the
        ingest fails and the previous collection stays active."""
        self.settings = settings
        self._embedder = embedder
        self._before_switch = before_switch
        self._documents: dict[str, list[IndexedDocument]] = {}
        self.client = make_client(settings)
        self._registry_name = f"{settings.collection_prefix}-registry"

    # --- embedder is loaded only when something must be embedded
    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = get_embedder(self.settings)
        return self._embedder

    @property
    def embedder_name(self) -> str:
        return self._embedder.name if self._embedder else self.settings.embedding_model

    # --- the pointer
    def _registry(self) -> Collection:
        return self.client.get_or_create_collection(self._registry_name, metadata={"active": ""})

    def _pointers(self) -> dict[str, Any]:
        try:
            return dict(self._registry().metadata or {})
        except Exception as exc:
            raise IndexUnavailableError(
                f"cannot read the index registry: {exc}",
                "知识库暂时无法读取，请稍后再试或联系管理员。",
            ) from exc

    def active_name(self) -> str | None:
        name = self._pointers().get("active") or None
        return str(name) if name else None

    def previous_name(self) -> str | None:
        """The collection active before the last switch, kept for searches still on it."""
        name = self._pointers().get("previous") or None
        return str(name) if name else None

    def active(self) -> Collection | None:
        name = self.active_name()
        if not name:
            return None
        return self.client.get_collection(
            name,
            embedding_function=self.embedding_function(),  # type: ignore[arg-type]
        )

    def embedding_function(self) -> AssistantEmbeddingFunction:
        return AssistantEmbeddingFunction(self.settings.embedding_model, self._embedder)

    def doc_hashes(self) -> dict[str, str]:
        collection = self.active()
        if collection is None:
            return {}
        return json.loads(str((collection.metadata or {}).get("doc_hashes", "{}")))

    def is_ready(self) -> bool:
        collection = self.active()
        return collection is not None and collection.count() > 0

    # --- reading
    def all_chunks(self) -> tuple[list[str], list[str], list[dict[str, Any]]]:
        """ids, texts and metadata of every chunk in the active collection."""
        collection = self.active()
        if collection is None:
            return [], [], []
        ids: list[str] = []
        texts: list[str] = []
        metas: list[dict[str, Any]] = []
        for got in _pages(collection, ["documents", "metadatas"]):
            ids.extend(got["ids"])
            texts.extend(got["documents"] or [])
            metas.extend(dict(m) for m in got["metadatas"] or [])
        return ids, texts, metas

    def documents(self) -> list[IndexedDocument]:
        """The indexed documents; read once per collection (collections never change)."""
        name = self.active_name()
        cached = self._documents.get(name) if name else None
        if cached is not None:
            return cached
        listed = self._read_documents()
        if name:
            self._documents = {name: listed}
        return listed

    def _read_documents(self) -> list[IndexedDocument]:
        _, _, metas = self.all_chunks()
        counts: dict[str, int] = {}
        first: dict[str, dict[str, Any]] = {}
        ocr: dict[str, str] = {}  # the lowest, compared as "0.97" strings of one format
        for meta in metas:
            doc_id = str(meta["doc_id"])
            counts[doc_id] = counts.get(doc_id, 0) + 1
            first.setdefault(doc_id, meta)
            if meta.get("ocr_confidence"):
                ocr[doc_id] = min(ocr.get(doc_id, "9"), str(meta["ocr_confidence"]))
        return [
            IndexedDocument(
                doc_id=doc_id,
                title=str(first[doc_id]["title"]),
                issuer=str(first[doc_id]["issuer"]),
                date=str(first[doc_id]["date"]),
                status=str(first[doc_id]["status"]),
                chunks=counts[doc_id],
                doc_number=str(first[doc_id].get("doc_number", "")),
                valid_until=str(first[doc_id].get("valid_until", "")),
                status_reason=str(first[doc_id].get("status_reason", "")),
                url=str(first[doc_id].get("url", "")),
                superseded_by=str(first[doc_id].get("superseded_by", "")),
                ocr_confidence=ocr.get(doc_id, ""),
            )
            for doc_id in sorted(counts)
        ]

    def all_vectors(self) -> tuple[list[str], np.ndarray]:
        """ids and stored vectors of every chunk (read once per index version)."""
        collection = self.active()
        if collection is None:
            return [], np.zeros((0, 0), dtype=np.float32)
        ids: list[str] = []
        blocks: list[np.ndarray] = []
        for got in _pages(collection, ["embeddings"]):
            ids.extend(got["ids"])
            if got["embeddings"] is not None and len(got["embeddings"]):
                blocks.append(np.asarray(got["embeddings"], dtype=np.float32))
        if not blocks:
            return ids, np.zeros((0, 0), dtype=np.float32)
        return ids, np.concatenate(blocks)

    # --- writing (the steps: assistant/indexing/)
    def ingest(
        self,
        metas: list[DocumentMeta] | None = None,
        rebuild: bool = False,
        progress: Callable[[float, str], None] | None = None,
    ) -> IngestReport:
        """Bring the index in line with the knowledge folder (or the given documents). One
        ingest at a time per process: a scheduled sync and an admin upload never interleave
        (each would drop the other's collection under construction as an orphan)."""
        with INGEST_LOCK:
            started = time.perf_counter()
            unsupported: dict[str, str] = {}
            if metas is None:
                metas = knowledge_metas(self.settings, progress)
                for path in unsupported_files(self.settings.knowledge_dir):
                    unsupported[path.name] = unsupported_type(path.name).user_message
            return run_ingest(self, metas, unsupported, rebuild, progress, started)

    def before_switch(self, collection: Collection) -> None:
        """The hook given to the constructor, on a built collection not yet active."""
        if self._before_switch is not None:
            self._before_switch(collection)

    def activate(self, name: str, previous: str) -> None:
        """Flip the pointer: `name` is read from now on, `previous` kept for searches on it."""
        self._registry().modify(metadata={"active": name, "previous": previous})

    def drop_orphans(self) -> None:
        """Remove collections other than the active and the previous one: those of older
        ingests, and those left by an ingest killed before its flip."""
        pointers = self._pointers()
        keep = {self._registry_name, pointers.get("active"), pointers.get("previous")}
        prefix = f"{self.settings.collection_prefix}-"
        for collection in self.client.list_collections():
            name = collection if isinstance(collection, str) else collection.name
            if name.startswith(prefix) and name not in keep:
                self.safe_delete(name)

    def safe_delete(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # already gone, or server down: the next ingest retries
            log.warning("could not delete collection %s: %s", name, exc)


def _pages(collection: Collection, include: list[Any]) -> Iterator[Any]:
    """collection.get() in pages of READ_PAGE records, in storage order."""
    total = collection.count()
    for offset in range(0, total, READ_PAGE):
        yield collection.get(include=include, limit=READ_PAGE, offset=offset)

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
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import chromadb
import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.config import Settings as ChromaSettings
from chromadb.utils.embedding_functions import register_embedding_function
from tqdm import tqdm

from assistant.documents.chunking import Chunk
from assistant.documents.errors import DocumentError
from assistant.documents.loaders import check_size, unsupported_type
from assistant.documents.manifest import DocumentMeta, unsupported_files
from assistant.documents.pipeline import content_hash, prepare_document
from assistant.documents.scans import ocr_settings
from assistant.embeddings import Embedder, get_embedder
from assistant.settings import Settings

log = logging.getLogger(__name__)

ADD_BATCH = 256
# Chroma's SQLite back end binds one variable per record on an unlimited get(); SQLite refuses
# more than 32,766, so large indexes are read in pages.
READ_PAGE = 5000
KEPT_PREVIOUS = "已保留上次收录的版本。"
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


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # file name -> Chinese message
    notes: dict[str, str] = field(default_factory=dict)  # file name -> pages of a scan skipped
    chunks: int = 0
    seconds: float = 0.0
    collection: str = ""

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


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


def knowledge_metas(
    settings: Settings, progress: Callable[[float, str], None] | None = None
) -> list[DocumentMeta]:
    """The knowledge folder's documents and those synced from websites, with the
    documents a newer one replaced marked historical (assistant/sync/catalog.py).

    Supersession reads every document's text, so a scan's pages are read by OCR here,
    into the cache the document's own preparation then reads them from."""
    from assistant.sync.catalog import index_metas

    with ocr_settings(settings, progress):
        return index_metas(settings)


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
            embedding_function=self._ef(),  # type: ignore[arg-type]
        )

    def _ef(self) -> AssistantEmbeddingFunction:
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

    # --- writing
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
            return self._ingest(metas, rebuild, progress)

    def _ingest(
        self,
        metas: list[DocumentMeta] | None,
        rebuild: bool,
        progress: Callable[[float, str], None] | None,
    ) -> IngestReport:
        started = time.perf_counter()
        report = IngestReport()
        if metas is None:
            metas = knowledge_metas(self.settings, progress)
            for path in unsupported_files(self.settings.knowledge_dir):
                report.failed[path.name] = unsupported_type(path.name).user_message
        old = self.active()
        if not metas and old is not None and old.count():
            # A mistyped --knowledge folder would otherwise prune every document.
            folder = self.settings.knowledge_dir
            raise DocumentError(
                f"no readable documents in {folder}; the index was left as it is",
                f"目录 {folder} 中没有可读取的文件，现有索引未作改动。请检查知识库目录。",
            )
        old_hashes = {} if rebuild else self.doc_hashes()
        new_hashes: dict[str, str] = {}
        refused: dict[str, DocumentError] = {}  # too big, or unreadable, before any stage
        for meta in metas:
            try:
                check_size(meta.path.stat().st_size, self.settings.max_upload_mb)
                new_hashes[meta.doc_id] = content_hash(meta, self.settings.embedding_model)
            except DocumentError as exc:
                refused[meta.doc_id] = exc
            except OSError as exc:  # deleted or locked since the folder was listed
                refused[meta.doc_id] = DocumentError(
                    f"{meta.path.name}: cannot read: {exc!r}", "无法读取该文件（可能已被删除或无读取权限）。"
                )
        self._drop_orphans()
        if not rebuild and old is not None and not refused and new_hashes == old_hashes:
            report.unchanged = sorted(new_hashes)
            report.chunks = old.count()
            report.collection = old.name
            report.seconds = time.perf_counter() - started
            return report

        prepared: dict[str, list[Chunk]] = {}
        for meta in metas:
            if meta.doc_id not in refused and old_hashes.get(meta.doc_id) == new_hashes[meta.doc_id]:
                report.unchanged.append(meta.doc_id)
                continue
            try:
                if meta.doc_id in refused:
                    raise refused[meta.doc_id]
                with ocr_settings(self.settings, progress):
                    document = prepare_document(meta)
                prepared[meta.doc_id] = document.chunks + document.rows
                if document.notes:
                    report.notes[meta.path.name] = document.notes
            except DocumentError as exc:  # prepare_document raises nothing else
                log.warning("skipping %s: %s", meta.path.name, exc)
                report.failed[meta.path.name] = exc.user_message
                if meta.doc_id in old_hashes:  # keep the last good version
                    report.failed[meta.path.name] += KEPT_PREVIOUS
                    report.unchanged.append(meta.doc_id)
                    new_hashes[meta.doc_id] = old_hashes[meta.doc_id]
                else:
                    new_hashes.pop(meta.doc_id, None)
                continue
            (report.updated if meta.doc_id in old_hashes else report.added).append(meta.doc_id)
        report.removed = sorted(set(old_hashes) - set(new_hashes))
        if not rebuild and old is not None and not report.changed:
            report.chunks = old.count()
            report.collection = old.name
            report.seconds = time.perf_counter() - started
            return report

        name = f"{self.settings.collection_prefix}-{time.strftime('%Y%m%d%H%M%S')}-{uuid.uuid4().hex[:6]}"
        new = self.client.create_collection(
            name,
            embedding_function=self._ef(),  # type: ignore[arg-type]
            configuration={"hnsw": {"space": "cosine", "ef_search": self.settings.hnsw_ef_search}},
            metadata={"embedding_model": self.settings.embedding_model, "building": True},
        )
        try:
            backends: set[str] = set()
            if old is not None:
                self._copy_unchanged(old, new, report.unchanged)
                if report.unchanged:
                    backends |= set(json.loads(str((old.metadata or {}).get("embedding_backends", "[]"))))
            if old is not None and not rebuild and self._reuse_vectors(old, new, prepared):
                backends |= set(json.loads(str((old.metadata or {}).get("embedding_backends", "[]"))))
            if self._embed_and_add(new, prepared, progress):
                backends.add(str(getattr(self.embedder, "backend", self.embedder.name)))
            new.modify(
                metadata={
                    "embedding_model": self.settings.embedding_model,
                    # Which backends made these vectors (accepted backends agree with
                    # float32, so a mixture answers like one; `doctor` shows it).
                    "embedding_backends": json.dumps(sorted(backends)),
                    "doc_hashes": json.dumps(new_hashes, sort_keys=True),
                    "building": False,
                }
            )
            if self._before_switch is not None:
                self._before_switch(new)
            self._registry().modify(metadata={"active": name, "previous": old.name if old else ""})
        except BaseException:
            # The old collection stays active; the half-built one is removed (or, if this
            # process is killed right here, dropped as an orphan by the next ingest).
            self._safe_delete(name)
            raise
        self._drop_orphans()  # the one before the previous
        report.chunks = new.count()
        report.collection = name
        report.seconds = time.perf_counter() - started
        return report

    def _copy_unchanged(self, old: Collection, new: Collection, doc_ids: list[str]) -> None:
        for doc_id in doc_ids:
            got = old.get(where={"doc_id": doc_id}, include=["embeddings", "documents", "metadatas"])
            for start in range(0, len(got["ids"]), ADD_BATCH):
                end = start + ADD_BATCH
                new.add(
                    ids=got["ids"][start:end],
                    embeddings=got["embeddings"][start:end],  # type: ignore[index]
                    documents=got["documents"][start:end],  # type: ignore[index]
                    metadatas=got["metadatas"][start:end],  # type: ignore[index]
                )

    def _reuse_vectors(self, old: Collection, new: Collection, prepared: dict[str, list[Chunk]]) -> bool:
        """A document whose chunks are all unchanged (only its status or reason changed:
        superseded, withdrawn from its site) keeps its stored vectors: its chunks are added
        to `new` with the new metadata and removed from `prepared`. True when any was."""
        reused = False
        for doc_id, chunks in prepared.items():
            got = old.get(ids=[c.id for c in chunks], include=["embeddings", "metadatas"])
            stored = dict(zip(got["ids"], zip(got["embeddings"], got["metadatas"], strict=True), strict=True))  # type: ignore[arg-type]
            same = [
                (c, stored[c.id][0])
                for c in chunks
                if c.id in stored
                and stored[c.id][1].get("title") == c.title
                and stored[c.id][1].get("section") == c.section
            ]
            if len(same) != len(chunks):
                continue  # the text changed: the whole document is embedded anew
            for start in range(0, len(same), ADD_BATCH):
                part = same[start : start + ADD_BATCH]
                new.add(
                    ids=[c.id for c, _ in part],
                    embeddings=[v for _, v in part],  # type: ignore[arg-type]
                    documents=[c.text for c, _ in part],
                    metadatas=[c.metadata() for c, _ in part],  # type: ignore[misc]
                )
            prepared[doc_id] = []
            reused = reused or bool(same)
        return reused

    def _embed_and_add(
        self,
        collection: Collection,
        prepared: dict[str, list[Chunk]],
        progress: Callable[[float, str], None] | None,
    ) -> bool:
        """Embed and add the prepared chunks; False when there were none."""
        # Similar lengths in one batch waste less padding: ~2x faster on CPU.
        chunks = sorted(
            (c for doc_chunks in prepared.values() for c in doc_chunks),
            key=lambda c: len(c.embed_text),
        )
        if not chunks:
            return False
        # An embedding server takes larger requests than a local forward pass wants.
        batch = max(1, getattr(self.embedder, "request_batch", self.settings.embedding_batch_size))
        with tqdm(total=len(chunks), desc="建立索引", unit="段") as bar:
            for start in range(0, len(chunks), batch):
                part = chunks[start : start + batch]
                vectors = self.embedder.embed_documents([c.embed_text for c in part])
                collection.add(
                    ids=[c.id for c in part],
                    embeddings=vectors,  # type: ignore[arg-type]
                    documents=[c.text for c in part],
                    metadatas=[c.metadata() for c in part],  # type: ignore[misc]
                )
                bar.update(len(part))
                if progress:
                    progress(min(1.0, (start + len(part)) / len(chunks)), "建立索引")
        return True

    def _drop_orphans(self) -> None:
        """Remove collections other than the active and the previous one: those of older
        ingests, and those left by an ingest killed before its flip."""
        pointers = self._pointers()
        keep = {self._registry_name, pointers.get("active"), pointers.get("previous")}
        prefix = f"{self.settings.collection_prefix}-"
        for collection in self.client.list_collections():
            name = collection if isinstance(collection, str) else collection.name
            if name.startswith(prefix) and name not in keep:
                self._safe_delete(name)

    def _safe_delete(self, name: str) -> None:
        try:
            self.client.delete_collection(name)
        except Exception as exc:  # already gone, or server down: the next ingest retries
            log.warning("could not delete collection %s: %s", name, exc)


def _pages(collection: Collection, include: list[Any]) -> Iterator[Any]:
    """collection.get() in pages of READ_PAGE records, in storage order."""
    total = collection.count()
    for offset in range(0, total, READ_PAGE):
        yield collection.get(include=include, limit=READ_PAGE, offset=offset)

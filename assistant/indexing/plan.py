"""The plan of an ingest, decided before any document is read: which documents are
unchanged (their stored vectors are copied), which are to be prepared (new or changed),
which are refused (too big, or gone since the folder was listed) and which were removed
from the folder. Only file sizes and content hashes are read here; nothing is embedded.

`IngestReport` is what the whole ingest tells the admin, filled once from the plan and
what the embed step did (assistant/indexing/ingest.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import check_size
from assistant.documents.manifest import DocumentMeta
from assistant.documents.pipeline import content_hash
from assistant.settings import Settings


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
class IngestPlan:
    metas: list[DocumentMeta]  # every document of this ingest, in folder order
    old_hashes: dict[str, str]  # doc id -> hash, as the active collection holds them ({} to rebuild)
    hashes: dict[str, str]  # doc id -> hash, of the documents that could be read
    refused: dict[str, DocumentError]  # doc id -> why it is refused before any stage

    @property
    def unchanged(self) -> list[str]:
        """Documents whose stored chunks and vectors are kept as they are (folder order)."""
        return [
            m.doc_id
            for m in self.metas
            if m.doc_id in self.hashes and self.old_hashes.get(m.doc_id) == self.hashes[m.doc_id]
        ]

    @property
    def to_prepare(self) -> list[DocumentMeta]:
        """New or changed documents: read, chunked and embedded (or their vectors re-used)."""
        return [
            m
            for m in self.metas
            if m.doc_id in self.hashes and self.old_hashes.get(m.doc_id) != self.hashes[m.doc_id]
        ]

    @property
    def removed(self) -> list[str]:
        """Indexed documents no longer among this ingest's documents."""
        return sorted(set(self.old_hashes) - {m.doc_id for m in self.metas})


def plan_ingest(metas: list[DocumentMeta], old_hashes: dict[str, str], settings: Settings) -> IngestPlan:
    """Hash every document (its bytes, fields and the embedding model: pipeline.content_hash)
    and refuse those too big to take or that cannot be read any more."""
    hashes: dict[str, str] = {}
    refused: dict[str, DocumentError] = {}
    for meta in metas:
        try:
            check_size(meta.path.stat().st_size, settings.max_upload_mb)
            hashes[meta.doc_id] = content_hash(meta, settings.embedding_model)
        except DocumentError as exc:
            refused[meta.doc_id] = exc
        except OSError as exc:  # deleted or locked since the folder was listed
            refused[meta.doc_id] = DocumentError(
                f"{meta.path.name}: cannot read: {exc!r}", "无法读取该文件（可能已被删除或无读取权限）。"
            )
    return IngestPlan(metas=list(metas), old_hashes=dict(old_hashes), hashes=hashes, refused=refused)

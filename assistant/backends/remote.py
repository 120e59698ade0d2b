"""Document (and optionally query) embeddings from an OpenAI-compatible `/embeddings`
server that serves the same model: Infinity, text-embeddings-inference or vLLM on a
bigger machine, for collections too large to embed on two cores.

The server is sent the model's own prompts ("title: none | text: …" for documents,
"task: search result | query: …" for queries), read from the local model folder, so its
vectors are the ones the local model would make. It is used only after its vectors of
the backend probe (`data/backend_probe.toml`) agree with the local float32 model's by
the rule every local backend passes (`selection.MIN_COSINE`, `MIN_TOP1_AGREEMENT`):
an index mixing vectors of two different models would rank by noise.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from assistant import model_fetch
from assistant.backends import selection
from assistant.embeddings import Embedder, EmbedderError, embed_queries

log = logging.getLogger(__name__)

PROBE_REFERENCE = "probe-reference-{rule}.npz"  # float32 vectors of the probe, in the model cache


def model_prompts(model_dir: Path) -> tuple[str, str]:
    """(query prompt, document prompt) of a sentence-transformers model folder."""
    try:
        config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return "", ""
    prompts = config.get("prompts") or {}
    return str(prompts.get("query", "")), str(prompts.get("document", ""))


class RemoteEngineError(EmbedderError):
    """The embedding server failed or was refused; `user_message` says so in Chinese."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message, user_message)


class RemoteEmbedder:
    """Texts embedded by an OpenAI-compatible server; vectors L2-normalised here."""

    def __init__(
        self,
        base_url: str,
        model: str,
        prompts: tuple[str, str],
        api_key: str = "unused",
        batch_size: int = 64,
        timeout: float = 120.0,
        name: str | None = None,
    ) -> None:
        from openai import OpenAI

        self.base_url = base_url.rstrip("/")
        self.model = model
        self.query_prompt, self.document_prompt = prompts
        self.batch_size = max(1, batch_size)
        self.request_batch = self.batch_size  # chunks per ingest step (see KnowledgeIndex)
        self.name = name or model
        self.backend = f"remote:{self.base_url}"
        self._client = OpenAI(
            base_url=self.base_url, api_key=api_key or "unused", timeout=timeout, max_retries=2
        )
        self.dim = 0

    def _embed(self, texts: list[str]) -> np.ndarray:
        rows: list[np.ndarray] = []
        for start in range(0, len(texts), self.batch_size):
            part = texts[start : start + self.batch_size]
            try:
                reply = self._client.embeddings.create(model=self.model, input=part, encoding_format="float")
            except Exception as exc:  # connection, HTTP status, bad JSON: all mean "no vectors"
                raise RemoteEngineError(
                    f"embedding server {self.base_url} failed: {type(exc).__name__}: {exc}",
                    f"嵌入服务 {self.base_url} 无法使用（{type(exc).__name__}），索引未作任何改动；"
                    "请检查 ASSISTANT_EMBEDDING_URL 与该服务的状态。",
                ) from exc
            data = sorted(reply.data, key=lambda d: d.index)
            if len(data) != len(part):
                raise RemoteEngineError(
                    f"embedding server {self.base_url} returned {len(data)} vectors for {len(part)} texts",
                    f"嵌入服务 {self.base_url} 返回的向量数与文本数不符，索引未作任何改动。",
                )
            rows.append(np.asarray([d.embedding for d in data], dtype=np.float32))
        if not rows:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = np.concatenate(rows)
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
        self.dim = int(vectors.shape[1])
        return vectors

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.document_prompt + t for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._embed([self.query_prompt + text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._embed([self.query_prompt + t for t in texts])


class SplitEmbedder:
    """Documents from one embedder (the server), queries from another (the local model,
    so a question does not wait on the network); both make the same model's vectors."""

    def __init__(self, documents: Embedder, queries: Embedder) -> None:
        self._documents = documents
        self._queries = queries
        self.name = queries.name
        self.dim = queries.dim
        self.backend = getattr(documents, "backend", documents.name)
        self.request_batch = getattr(documents, "batch_size", 16)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._documents.embed_documents(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries.embed_query(text)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return embed_queries(self._queries, texts)


@dataclass
class Agreement:
    min_cosine: float
    mean_cosine: float
    top1_agreement: float
    top3_overlap: float
    accepted: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def reference_vectors(cache_dir: Path, threads: int) -> tuple[np.ndarray, np.ndarray]:
    """The local float32 model's vectors of the probe (queries, passages), computed once
    per probe rule and kept in the model cache."""
    path = cache_dir / PROBE_REFERENCE.format(rule=selection.rule_id())
    if path.is_file():
        with np.load(path) as saved:
            return saved["queries"], saved["passages"]
    queries, passages = selection.probe_texts()
    reference = selection.load(cache_dir, selection.REFERENCE, threads)
    q = embed_queries(reference, queries)
    p = reference.embed_documents(passages)
    del reference
    partial = path.with_suffix(f".{threading.get_ident()}.part.npz")
    np.savez(partial, queries=q, passages=p)
    partial.replace(path)
    return q, p


def check_agreement(remote: RemoteEmbedder, reference: tuple[np.ndarray, np.ndarray]) -> Agreement:
    """The server's vectors of the probe against the local float32 model's."""
    queries, passages = selection.probe_texts()
    figures = selection.agreement(
        reference[0], reference[1], remote.embed_queries(queries), remote.embed_documents(passages)
    )
    accepted = (
        figures["min_cosine"] >= selection.MIN_COSINE
        and figures["top1_agreement"] >= selection.MIN_TOP1_AGREEMENT
    )
    return Agreement(**figures, accepted=accepted)


class RemoteEngineRejected(RemoteEngineError):
    """The server's vectors do not agree with the local model's: nothing is embedded."""


_accepted: dict[tuple[str, str], Agreement] = {}
_accepted_lock = threading.Lock()


def remote_embedder(
    base_url: str,
    model: str,
    api_key: str,
    cache_dir: Path,
    local: Embedder,
    threads: int,
    queries_remote: bool,
    batch_size: int,
) -> Embedder:
    """The split embedder for `base_url`, after its agreement check (once per process)."""
    model_dir = model_fetch.model_dir(cache_dir)
    remote = RemoteEmbedder(
        base_url, model, model_prompts(model_dir), api_key=api_key, batch_size=batch_size, name=local.name
    )
    key = (remote.base_url, model)
    with _accepted_lock:
        agreement = _accepted.get(key)
        if agreement is None:
            agreement = check_agreement(remote, reference_vectors(cache_dir, threads))
            log.info("embedding server %s (%s) against local float32: %s", base_url, model, agreement)
            if not agreement.accepted:
                raise RemoteEngineRejected(
                    f"embedding server {base_url} (model {model!r}) does not make the local model's "
                    f"vectors: min cosine {agreement.min_cosine:.4f} (needs ≥ {selection.MIN_COSINE}), "
                    f"top-1 agreement {agreement.top1_agreement:.2f} (needs "
                    f"{selection.MIN_TOP1_AGREEMENT:.2f}); nothing was embedded",
                    f"嵌入服务 {base_url} 的向量与本机模型不一致（最小余弦相似度 "
                    f"{agreement.min_cosine:.3f}），未使用该服务，索引未作任何改动；请确认它运行的是"
                    " EmbeddingGemma-300m。",
                )
            _accepted[key] = agreement
    remote.agreement = agreement  # type: ignore[attr-defined]
    return remote if queries_remote else SplitEmbedder(remote, local)

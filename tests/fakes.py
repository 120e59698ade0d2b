"""Test doubles: a tiny deterministic embedder and a knowledge-folder builder."""

from __future__ import annotations

import hashlib
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from assistant.chain import Assistant
    from assistant.index import KnowledgeIndex
    from assistant.settings import Settings

HASH_DIM = 64


def _bucket(gram: str) -> tuple[int, float]:
    digest = hashlib.blake2b(gram.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % HASH_DIM, 1.0 if (value >> 32) & 1 else -1.0


def hash_vector(text: str) -> np.ndarray:
    """Character bigrams hashed (with a sign) into HASH_DIM buckets, L2-normalised."""
    vector = np.zeros(HASH_DIM, dtype=np.float32)
    grams = [text[i : i + 2] for i in range(len(text) - 1)] or [text]
    for gram in grams:
        index, sign = _bucket(gram)
        vector[index] += sign
    norm = float(np.linalg.norm(vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return (vector / norm).astype(np.float32)


class HashEmbedder:
    """Deterministic Embedder for unit tests; counts calls and embedded texts.

    `delay` sleeps that many seconds per `embed_documents` call (to make an ingest slow
    enough to kill); `fail_on_call=N` raises RuntimeError on the N-th call (1-based).
    """

    name = "hash-test"
    dim = HASH_DIM

    def __init__(self, delay: float = 0.0, fail_on_call: int | None = None) -> None:
        self.delay = delay
        self.fail_on_call = fail_on_call
        self.calls = 0
        self.embedded: list[str] = []
        self.queries = 0
        self._lock = threading.Lock()

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            self.calls += 1
            call = self.calls
        if self.fail_on_call is not None and call >= self.fail_on_call:
            raise RuntimeError(f"HashEmbedder: simulated failure on call {call}")
        if self.delay:
            time.sleep(self.delay)
        self.embedded.extend(texts)
        if not texts:
            return np.zeros((0, HASH_DIM), dtype=np.float32)
        return np.stack([hash_vector(text) for text in texts]).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        self.queries += 1
        return hash_vector(text)

    def reset(self) -> None:
        self.calls = 0
        self.queries = 0
        self.embedded = []


# Small Chinese documents, each with a distinctive vocabulary so nearest-neighbour search
# on a sentence of one of them finds that document.
SAMPLE_DOCS: dict[str, str] = {
    "admission-guide": (
        "罗湖区小学一年级入学申请指南\n\n"
        "第一条 适龄儿童应当由法定监护人在网上提交学位申请，并上传户籍和房产证明材料。\n\n"
        "第二条 学位申请时间为每年四月，逾期未申请的，由教育局统筹安排学位。\n\n"
        "第三条 非深户籍儿童须提供居住证和社会保险缴交证明，按积分顺序录取。"
    ),
    "labor-education": (
        "关于全面加强新时代劳动教育的意见\n\n"
        "一、劳动教育是中国特色社会主义教育制度的重要内容，直接决定社会主义建设者的劳动精神面貌。\n\n"
        "二、中小学每周课外校外劳动时间不少于二小时，学校要组织学生参加家务劳动和校园劳动。\n\n"
        "三、职业院校要以实习实训课为主要载体开展劳动教育，培育工匠精神。"
    ),
    "preschool-law": (
        "中华人民共和国学前教育法\n\n"
        "第一条 为了保障适龄儿童接受学前教育，规范幼儿园的设置和管理，制定本法。\n\n"
        "第二条 幼儿园保育教育应当以游戏为基本活动，严禁教授小学阶段的课程内容。\n\n"
        "第三条 地方各级人民政府应当合理配置普惠性幼儿园资源，减轻家庭保育费用负担。"
    ),
}


def _toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def make_knowledge(directory: Path, docs: dict[str, str]) -> Path:
    """Write `<doc_id>.txt` for each entry of `docs` plus a manifest.toml describing them.

    The manifest uses the format of the repository's knowledge/manifest.toml: one
    `[documents.<id>]` table a file with file/title/short_title/issuer/date/status/kind/
    source. Returns `directory`.
    """
    directory.mkdir(parents=True, exist_ok=True)
    tables: list[str] = ["# Test knowledge folder, written by tests/fakes.py."]
    for doc_id, text in docs.items():
        file_name = f"{doc_id}.txt"
        (directory / file_name).write_text(text, encoding="utf-8")
        first_line = text.strip().split("\n", 1)[0].strip() or doc_id
        fields = {
            "file": file_name,
            "title": first_line,
            "short_title": first_line[:10],
            "issuer": "深圳市罗湖区教育局",
            "date": "2024-01-01",
            "status": "current",
            "kind": "document",
            "source": "单元测试",
        }
        body = "\n".join(f"{key} = {_toml_string(value)}" for key, value in fields.items())
        tables.append(f"[documents.{doc_id}]\n{body}")
    (directory / "manifest.toml").write_text("\n\n".join(tables) + "\n", encoding="utf-8")
    return directory


def small_assistant(root: Path, **overrides: Any) -> tuple[Settings, KnowledgeIndex, Assistant]:
    """An Assistant over SAMPLE_DOCS in a folder of its own under `root` (HashEmbedder,
    embedded Chroma), already ingested: fast, and separate from the real knowledge base.
    Keyword arguments override Settings fields (admin_password, max_upload_mb, …)."""
    from assistant.chain import Assistant
    from assistant.index import KnowledgeIndex
    from assistant.settings import Settings

    fields: dict[str, Any] = {
        "data_dir": root / "data",
        "knowledge_dir": root / "knowledge",
        "embedding_model": "hash-test",
        "chroma_host": None,
    }
    settings = Settings(**(fields | overrides))
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    assert not index.ingest().failed
    return settings, index, Assistant(settings, index)


def nearest_chunks(index: Any, vector: list[float], k: int) -> list[tuple[str, float]]:
    """(chunk id, cosine similarity) of the k nearest chunks of the active collection,
    straight from Chroma: what the index holds, whatever retrieval does with it."""
    collection = index.active()
    if collection is None or k <= 0:
        return []
    k = min(k, collection.count())
    if k == 0:
        return []
    res = collection.query(query_embeddings=[vector], n_results=k, include=["distances"])
    return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0], strict=True)]


def decide_by_coverage(monkeypatch: Any) -> None:
    """The answer/refuse model is fitted on the real embedding model's similarities; hash
    vectors carry no meaning, so tests of the chain's plumbing over a HashEmbedder index
    decide by keyword coverage alone."""
    from assistant.question import decide

    monkeypatch.setattr(decide, "answer_probability", lambda features: features["coverage"])

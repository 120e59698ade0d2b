"""KnowledgeIndex on a real embedded Chroma (PersistentClient in tmp_path) with HashEmbedder:
incremental ingest, atomic switch, failures, and a SIGKILL in the middle of an ingest."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge, nearest_chunks

from assistant.documents.chunking import Chunk
from assistant.documents.manifest import read_manifest
from assistant.documents.pipeline import prepare_document
from assistant.index import KnowledgeIndex
from assistant.settings import Settings

ALL_IDS = sorted(SAMPLE_DOCS)
CJK = re.compile(r"[\u4e00-\u9fff]")
REPO_ROOT = Path(__file__).resolve().parent.parent

CHANGED_ADMISSION = (
    SAMPLE_DOCS["admission-guide"]
    + "\n\n第四条 随迁子女入学实行网上统一登记，学校不得以任何名义收取择校费和赞助费。"
)
FAMILY_DOC = (
    "中华人民共和国家庭教育促进法\n\n"
    "第一条 父母或者其他监护人应当树立家庭是第一个课堂、家长是第一任老师的责任意识。\n\n"
    "第二条 居民委员会和村民委员会可以依托城乡社区公共服务设施，设立社区家长学校。"
)


# --- helpers ---------------------------------------------------------------------------


def expected_chunks(settings: Settings) -> dict[str, list[Chunk]]:
    """What the document pipeline makes of each file in the knowledge folder."""
    return {m.doc_id: prepare_document(m).chunks for m in read_manifest(settings.knowledge_dir)}


def chunk_counts(index: KnowledgeIndex) -> dict[str, int]:
    return {d.doc_id: d.chunks for d in index.documents()}


def collection_names(index: KnowledgeIndex) -> set[str]:
    return {c if isinstance(c, str) else c.name for c in index.client.list_collections()}


def stored(index: KnowledgeIndex, doc_id: str) -> dict[str, list[float]]:
    """chunk id -> stored vector, for one document of the active collection."""
    collection = index.active()
    assert collection is not None
    got = collection.get(where={"doc_id": doc_id}, include=["embeddings"])
    vectors = got["embeddings"]
    assert vectors is not None
    return {cid: [float(x) for x in vec] for cid, vec in zip(got["ids"], vectors, strict=True)}


def top_hit(index: KnowledgeIndex, text: str, k: int = 3) -> list[tuple[str, float]]:
    return nearest_chunks(index, HashEmbedder().embed_query(text).tolist(), k)


@pytest.fixture
def settings(settings_factory: Callable[..., Settings]) -> Settings:
    s = settings_factory(embedding_batch_size=2)
    make_knowledge(s.knowledge_dir, SAMPLE_DOCS)
    return s


@pytest.fixture
def indexed(settings: Settings) -> KnowledgeIndex:
    """An index after one successful ingest of SAMPLE_DOCS."""
    index = KnowledgeIndex(settings, embedder=HashEmbedder())
    report = index.ingest()
    assert report.added == ALL_IDS
    return index


# --- first ingest and queries ------------------------------------------------------------


def test_first_ingest_adds_every_document(settings: Settings) -> None:
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    assert index.active_name() is None
    assert not index.is_ready()
    assert index.documents() == []

    report = index.ingest()
    expected = expected_chunks(settings)
    total = sum(len(chunks) for chunks in expected.values())

    assert report.added == ALL_IDS
    assert (report.updated, report.unchanged, report.removed, report.failed) == ([], [], [], {})
    assert report.changed
    assert report.chunks == total
    assert report.collection == index.active_name()
    assert report.collection.startswith(f"{settings.collection_prefix}-")
    assert index.is_ready()
    # every chunk embedded exactly once, with its heading path in front
    assert sorted(embedder.embedded) == sorted(c.embed_text for chunks in expected.values() for c in chunks)
    assert collection_names(index) == {f"{settings.collection_prefix}-registry", report.collection}
    assert set(index.doc_hashes()) == set(ALL_IDS)
    # everything is under the tmp data dir
    assert settings.index_dir.is_dir()
    assert str(settings.index_dir).startswith(str(settings.data_dir))


def test_documents_lists_chunk_counts_and_metadata(indexed: KnowledgeIndex) -> None:
    expected = expected_chunks(indexed.settings)
    assert chunk_counts(indexed) == {doc_id: len(chunks) for doc_id, chunks in expected.items()}
    assert sum(chunk_counts(indexed).values()) == indexed.active().count()  # type: ignore[union-attr]
    by_id = {d.doc_id: d for d in indexed.documents()}
    assert by_id["preschool-law"].title == "中华人民共和国学前教育法"
    assert by_id["admission-guide"].issuer == "深圳市罗湖区教育局"
    assert by_id["labor-education"].date == "2024-01-01"
    assert {d.status for d in by_id.values()} == {"current"}


def test_query_returns_the_nearest_chunk(indexed: KnowledgeIndex) -> None:
    expected = expected_chunks(indexed.settings)
    for doc_id, chunks in expected.items():
        for chunk in chunks:
            hits = top_hit(indexed, chunk.embed_text)
            assert hits[0][0] == chunk.id, doc_id
            assert hits[0][1] == pytest.approx(1.0, abs=1e-4)
            assert len(hits) == min(3, sum(len(c) for c in expected.values()))
            assert hits[0][1] >= hits[1][1] >= hits[2][1]
    # a sentence quoted from one document finds a chunk of that document
    hits = top_hit(indexed, "幼儿园保育教育应当以游戏为基本活动，严禁教授小学阶段的课程内容。")
    assert hits[0][0].startswith("preschool-law:")
    assert nearest_chunks(indexed, HashEmbedder().embed_query("劳动").tolist(), 0) == []
    assert len(nearest_chunks(indexed, HashEmbedder().embed_query("劳动").tolist(), 1000)) == sum(
        len(c) for c in expected.values()
    )


def test_reads_are_paged_and_complete(indexed: KnowledgeIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """Large indexes are read in pages (SQLite's variable limit); paging loses nothing."""
    import assistant.index as index_module

    whole_ids, whole_texts, whole_metas = indexed.all_chunks()
    whole_vector_ids, whole_matrix = indexed.all_vectors()
    monkeypatch.setattr(index_module, "READ_PAGE", 2)
    ids, texts, metas = indexed.all_chunks()
    vector_ids, matrix = indexed.all_vectors()
    assert len(whole_ids) > 4  # several pages
    assert (ids, texts, metas) == (whole_ids, whole_texts, whole_metas)
    assert len(set(ids)) == len(ids) == indexed.active().count()  # type: ignore[union-attr]
    assert vector_ids == whole_vector_ids and sorted(vector_ids) == sorted(ids)
    assert matrix.shape == whole_matrix.shape == (len(ids), HashEmbedder.dim)
    assert (matrix == whole_matrix).all()


# --- incremental re-ingest ---------------------------------------------------------------


def test_reingest_unchanged_does_nothing(indexed: KnowledgeIndex, settings: Settings) -> None:
    name = indexed.active_name()
    counts = chunk_counts(indexed)
    embedder = HashEmbedder()
    again = KnowledgeIndex(settings, embedder=embedder)  # as a new process would

    report = again.ingest()

    assert report.unchanged == ALL_IDS
    assert (report.added, report.updated, report.removed, report.failed) == ([], [], [], {})
    assert not report.changed
    assert report.collection == name
    assert again.active_name() == name
    assert indexed.active_name() == name
    assert embedder.calls == 0
    assert embedder.embedded == []
    assert chunk_counts(again) == counts
    assert collection_names(again) == {"luohu-registry", name}


def test_changed_file_reembedded_others_copied(indexed: KnowledgeIndex, settings: Settings) -> None:
    old_name = indexed.active_name()
    labor_before = stored(indexed, "labor-education")
    preschool_ids = set(stored(indexed, "preschool-law"))
    assert preschool_ids

    make_knowledge(
        settings.knowledge_dir,
        {
            "admission-guide": CHANGED_ADMISSION,
            "labor-education": SAMPLE_DOCS["labor-education"],
            "family-education": FAMILY_DOC,
        },
    )
    (settings.knowledge_dir / "preschool-law.txt").unlink()
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)

    report = index.ingest()

    expected = expected_chunks(settings)
    assert report.updated == ["admission-guide"]
    assert report.added == ["family-education"]
    assert report.unchanged == ["labor-education"]
    assert report.removed == ["preschool-law"]
    assert report.failed == {}
    # only the changed and the new document went through the embedder
    assert sorted(embedder.embedded) == sorted(
        c.embed_text for d in ("admission-guide", "family-education") for c in expected[d]
    )
    # the unchanged one was copied: same ids, same vectors
    assert stored(index, "labor-education") == labor_before
    # the removed one is gone
    ids, _, metas = index.all_chunks()
    assert not preschool_ids & set(ids)
    assert "preschool-law" not in {m["doc_id"] for m in metas}
    assert chunk_counts(index) == {d: len(c) for d, c in expected.items()}
    assert report.chunks == sum(len(c) for c in expected.values())
    # a new collection is active; the old one is kept (as "previous") for searches still on it
    assert report.collection == index.active_name() != old_name
    assert index.previous_name() == old_name
    assert collection_names(index) == {"luohu-registry", report.collection, old_name}
    assert set(index.doc_hashes()) == {"admission-guide", "labor-education", "family-education"}
    # the changed text is searchable, the removed one no longer is
    new_chunk = expected["admission-guide"][-1]
    assert "择校费" in new_chunk.text
    assert top_hit(index, new_chunk.embed_text)[0][0] == new_chunk.id
    assert all(not cid.startswith("preschool-law:") for cid, _ in top_hit(index, "幼儿园", 10))


def test_rebuild_reembeds_everything(indexed: KnowledgeIndex, settings: Settings) -> None:
    old_name = indexed.active_name()
    counts = chunk_counts(indexed)
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)

    report = index.ingest(rebuild=True)

    expected = expected_chunks(settings)
    assert sorted(report.added + report.updated) == ALL_IDS
    assert report.unchanged == []
    assert report.removed == []
    assert sorted(embedder.embedded) == sorted(c.embed_text for chunks in expected.values() for c in chunks)
    assert report.collection == index.active_name() != old_name
    assert collection_names(index) == {"luohu-registry", report.collection, old_name}
    assert chunk_counts(index) == counts

    # a further ingest drops the one before the previous, keeps the previous
    third = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest(rebuild=True)
    assert collection_names(index) == {"luohu-registry", third.collection, report.collection}
    assert index.previous_name() == report.collection


# --- bad files ---------------------------------------------------------------------------


def test_bad_files_are_reported_and_index_unchanged(indexed: KnowledgeIndex, settings: Settings) -> None:
    name = indexed.active_name()
    counts = chunk_counts(indexed)
    (settings.knowledge_dir / "empty.txt").write_bytes(b"")
    (settings.knowledge_dir / "broken.pdf").write_bytes(b"%PDF-1.7\n" + bytes(range(256)) * 8)
    (settings.knowledge_dir / "fake.pdf").write_bytes("这不是PDF文件".encode() * 20)
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)

    for _ in range(2):  # and again: still reported, still nothing changes
        report = index.ingest()

        assert set(report.failed) == {"empty.txt", "broken.pdf", "fake.pdf"}
        assert all(CJK.search(message) for message in report.failed.values())
        assert "0 字节" in report.failed["empty.txt"]
        assert "PDF" in report.failed["broken.pdf"] and "损坏" in report.failed["broken.pdf"]
        assert ".pdf" in report.failed["fake.pdf"] and "不符" in report.failed["fake.pdf"]
        assert report.unchanged == ALL_IDS
        assert (report.added, report.updated, report.removed) == ([], [], [])
        assert report.collection == name
        assert index.active_name() == name
        assert chunk_counts(index) == counts
        assert embedder.calls == 0
        assert collection_names(index) == {"luohu-registry", name}


def test_bad_file_next_to_a_real_change(indexed: KnowledgeIndex, settings: Settings) -> None:
    (settings.knowledge_dir / "empty.txt").write_bytes(b"")
    make_knowledge(settings.knowledge_dir, {**SAMPLE_DOCS, "family-education": FAMILY_DOC})
    index = KnowledgeIndex(settings, embedder=HashEmbedder())

    report = index.ingest()

    assert report.added == ["family-education"]
    assert list(report.failed) == ["empty.txt"]
    assert "empty" not in index.doc_hashes()
    assert set(chunk_counts(index)) == {*ALL_IDS, "family-education"}


def test_corrupted_document_keeps_its_old_chunks(indexed: KnowledgeIndex, settings: Settings) -> None:
    name = indexed.active_name()
    admission_before = stored(indexed, "admission-guide")
    hashes_before = indexed.doc_hashes()
    counts = chunk_counts(indexed)
    admission = settings.knowledge_dir / "admission-guide.txt"
    admission.write_bytes(b"")
    index = KnowledgeIndex(settings, embedder=HashEmbedder())

    report = index.ingest()

    assert list(report.failed) == ["admission-guide.txt"]
    assert "0 字节" in report.failed["admission-guide.txt"]
    assert "admission-guide" in report.unchanged
    assert not report.changed
    assert index.active_name() == name
    assert stored(index, "admission-guide") == admission_before
    assert chunk_counts(index) == counts

    # another document changes: a new collection, the corrupt one's last good chunks copied
    make_knowledge(
        settings.knowledge_dir,
        {**SAMPLE_DOCS, "labor-education": SAMPLE_DOCS["labor-education"] + "\n\n四、补充条款。"},
    )
    admission.write_bytes(b"")  # make_knowledge rewrote it; keep it corrupt
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    report = index.ingest()

    assert report.updated == ["labor-education"]
    assert list(report.failed) == ["admission-guide.txt"]
    assert index.active_name() != name
    assert stored(index, "admission-guide") == admission_before
    assert all(not t.startswith("罗湖区小学一年级") for t in embedder.embedded)
    assert index.doc_hashes()["admission-guide"] == hashes_before["admission-guide"]

    # the file is repaired to the indexed version: nothing to re-embed
    admission.write_text(SAMPLE_DOCS["admission-guide"], encoding="utf-8")
    embedder = HashEmbedder()
    report = KnowledgeIndex(settings, embedder=embedder).ingest()
    assert report.failed == {}
    assert report.unchanged == ALL_IDS
    assert embedder.calls == 0


# --- failures in the middle of an ingest -------------------------------------------------


def test_ingest_failing_halfway_keeps_previous_collection(
    indexed: KnowledgeIndex, settings: Settings
) -> None:
    name = indexed.active_name()
    counts = chunk_counts(indexed)
    probe = expected_chunks(settings)["preschool-law"][0]
    hits_before = top_hit(indexed, probe.embed_text)
    make_knowledge(
        settings.knowledge_dir,
        {**SAMPLE_DOCS, "admission-guide": CHANGED_ADMISSION, "family-education": FAMILY_DOC},
    )
    failing = HashEmbedder(fail_on_call=2)
    index = KnowledgeIndex(settings, embedder=failing)

    with pytest.raises(RuntimeError, match="simulated failure"):
        index.ingest()

    assert failing.calls == 2  # one batch went in before the failure
    assert len(failing.embedded) == settings.embedding_batch_size
    for reader in (index, indexed, KnowledgeIndex(settings, embedder=HashEmbedder())):
        assert reader.active_name() == name
        assert chunk_counts(reader) == counts
        assert top_hit(reader, probe.embed_text) == hits_before
    assert "admission-guide:0003" not in " ".join(index.all_chunks()[0])

    # the next ingest succeeds; the half-built collection is gone, the last good one kept
    report = KnowledgeIndex(settings, embedder=HashEmbedder()).ingest()
    assert report.updated == ["admission-guide"]
    assert report.added == ["family-education"]
    assert collection_names(index) == {"luohu-registry", report.collection, name}
    assert index.active_name() == report.collection != name


KILL_SCRIPT = """
import sys
from pathlib import Path

sys.path[:0] = [sys.argv[1], str(Path(sys.argv[1]).parent)]
from fakes import HashEmbedder

from assistant.index import KnowledgeIndex
from assistant.settings import Settings

data_dir, knowledge_dir, marker = (Path(arg) for arg in sys.argv[2:5])


class MarkingEmbedder(HashEmbedder):
    def embed_documents(self, texts):
        marker.write_text(str(self.calls), encoding="utf-8")
        return super().embed_documents(texts)


settings = Settings(
    data_dir=data_dir,
    knowledge_dir=knowledge_dir,
    embedding_model="hash-test",
    embedding_batch_size=1,
    chroma_host=None,
)
KnowledgeIndex(settings, embedder=MarkingEmbedder(delay=60.0)).ingest()
print("ingest finished", flush=True)
"""


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


@pytest.mark.timeout(180)
def test_sigkill_during_ingest_leaves_previous_index_serving(
    indexed: KnowledgeIndex, settings: Settings, tmp_path: Path
) -> None:
    name = indexed.active_name()
    counts = chunk_counts(indexed)
    probe = expected_chunks(settings)["labor-education"][0]
    hits_before = top_hit(indexed, probe.embed_text)
    make_knowledge(
        settings.knowledge_dir,
        {**SAMPLE_DOCS, "admission-guide": CHANGED_ADMISSION, "family-education": FAMILY_DOC},
    )
    marker = tmp_path / "embedding-started"
    log_path = tmp_path / "ingest-child.log"
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir)}
    env.pop("ASSISTANT_CHROMA_HOST", None)
    args = [str(Path(__file__).parent), str(settings.data_dir), str(settings.knowledge_dir)]
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [sys.executable, "-c", KILL_SCRIPT, *args, str(marker)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:

        def started() -> bool:
            if child.poll() is not None:
                raise AssertionError(
                    f"ingest child exited early ({child.returncode}):\n"
                    + log_path.read_text(encoding="utf-8", errors="replace")
                )
            return marker.exists()

        _wait_for(started, 90, "the child ingest to start embedding")
        # the child has created its new collection and is embedding into it
        building = {n for n in collection_names(indexed) if n.startswith("luohu-")}
        building -= {"luohu-registry", name}
        assert len(building) == 1
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=30)
    assert "ingest finished" not in log_path.read_text(encoding="utf-8", errors="replace")

    # the previous index still answers, in this process and in a fresh one
    for reader in (indexed, KnowledgeIndex(settings, embedder=HashEmbedder())):
        assert reader.active_name() == name
        assert chunk_counts(reader) == counts
        assert top_hit(reader, probe.embed_text) == hits_before
    orphan = building.pop()
    assert orphan in collection_names(indexed)  # left behind by the killed ingest

    # the next ingest completes and removes the orphan
    embedder = HashEmbedder()
    index = KnowledgeIndex(settings, embedder=embedder)
    report = index.ingest()
    assert report.updated == ["admission-guide"]
    assert report.added == ["family-education"]
    assert report.unchanged == ["labor-education", "preschool-law"]
    assert collection_names(index) == {"luohu-registry", report.collection, name}
    assert orphan not in collection_names(indexed)
    expected = expected_chunks(settings)
    assert chunk_counts(index) == {d: len(c) for d, c in expected.items()}
    assert top_hit(index, probe.embed_text)[0][0] == probe.id


def test_folder_without_documents_leaves_the_index_alone(
    indexed: KnowledgeIndex, settings_factory: Callable[..., Settings], tmp_path: Path
) -> None:
    """A mistyped knowledge folder must not prune every document."""
    from assistant.documents.errors import DocumentError

    before = indexed.all_chunks()
    empty = tmp_path / "elsewhere"
    empty.mkdir()
    (empty / "notes.xyz").write_text("不是文档")
    wrong = KnowledgeIndex(
        settings_factory(knowledge_dir=empty, data_dir=indexed.settings.data_dir), embedder=HashEmbedder()
    )
    with pytest.raises(DocumentError) as caught:
        wrong.ingest()
    assert "没有可读取的文件" in caught.value.user_message and str(empty) in caught.value.user_message
    assert indexed.all_chunks() == before

"""The search snapshot: one consistent index version per question, swapped once per
re-index; the keyword index saved beside the collection and reused at start-up."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

import pytest
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge

from assistant.chain import Assistant
from assistant.index import KnowledgeIndex
from assistant.question import snapshot as snapshot_module
from assistant.question.lexical import LexicalIndex
from assistant.question.snapshot import keyword_dir, keyword_hook
from assistant.settings import Settings

QUESTIONS = [
    "学位申请时间是什么时候？",
    "中小学每周课外劳动时间不少于多少？",
    "幼儿园可以教授小学课程吗？",
    "非深户籍儿童入学要提供什么材料？",
]


def version_docs(tag: str) -> dict[str, str]:
    """SAMPLE_DOCS with every paragraph marked by `tag`, so a chunk shows its version."""
    return {doc_id: text.replace("。", f"（{tag}）。") for doc_id, text in SAMPLE_DOCS.items()}


def collection_chunks(index: KnowledgeIndex) -> dict[str, str]:
    ids, texts, _ = index.all_chunks()
    return dict(zip(ids, texts, strict=True))


@pytest.fixture
def settings(settings_factory: Any) -> Settings:
    # refresh_seconds=0: every question looks at the pointer, the hardest case for the swap
    return settings_factory(refresh_seconds=0.0)


def ingest(settings: Settings, docs: dict[str, str]) -> tuple[KnowledgeIndex, str]:
    make_knowledge(settings.knowledge_dir, docs)
    index = KnowledgeIndex(settings, embedder=HashEmbedder(), before_switch=keyword_hook(settings))
    report = index.ingest()
    assert not report.failed
    return index, report.collection


def test_questions_during_two_reindexes_each_read_one_snapshot(settings: Settings) -> None:
    index, first = ingest(settings, version_docs("甲版"))
    assistant = Assistant(settings, index)
    versions = {first: collection_chunks(index)}
    assert assistant.searcher.snapshots.rebuilds == 1

    results: list[Any] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def ask_until_stopped(offset: int) -> None:
        i = offset
        while not stop.is_set():
            try:
                results.append(assistant.ask(QUESTIONS[i % len(QUESTIONS)]))
            except BaseException as exc:  # any failure is the test's failure
                errors.append(exc)
                return
            i += 1

    threads = [threading.Thread(target=ask_until_stopped, args=(n,)) for n in range(32)]
    for thread in threads:
        thread.start()
    try:
        for tag in ("乙版", "丙版"):
            # the admin's re-index, in this process, while 32 threads ask
            _, name = ingest(settings, version_docs(tag))
            versions[name] = collection_chunks(KnowledgeIndex(settings, embedder=HashEmbedder()))
            done = len(results)
            while len(results) < done + 64 and not errors:  # questions on the new version
                threading.Event().wait(0.05)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)

    assert not errors, errors[:3]
    assert len(versions) == 3
    # exactly one snapshot per swap, however many requests noticed it at once
    assert assistant.searcher.snapshots.rebuilds == 3
    seen = {r.index_version for r in results}
    assert seen == set(versions), "every version answered questions"
    for result in results:
        chunks = versions[result.index_version]
        tag = {v: t for v, t in zip(versions, ("甲版", "乙版", "丙版"), strict=True)}[result.index_version]
        for citation in result.citations:
            # the cited chunk is that version's, text and all
            assert chunks[citation.chunk_id] == citation.text
            assert tag in citation.text


def test_keyword_index_is_saved_at_ingest_and_read_at_start(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    index, name = ingest(settings, SAMPLE_DOCS)
    saved = keyword_dir(settings, name)
    assert (saved / "keyword.json").is_file()
    built_fresh = Assistant(settings, index).searcher.search("学位申请时间").passages

    # a new process: the saved index is memory-mapped, the corpus is not read
    def no_reading(*_: Any) -> LexicalIndex:
        raise AssertionError("the corpus was read although a keyword index was saved")

    monkeypatch.setattr(snapshot_module, "build_lexical", no_reading)
    restarted = Assistant(settings, KnowledgeIndex(settings, embedder=HashEmbedder()))
    assert len(restarted.searcher.lexical) == len(collection_chunks(index))
    again = restarted.searcher.search("学位申请时间").passages
    assert [(p.id, round(p.score, 6)) for p in again] == [(p.id, round(p.score, 6)) for p in built_fresh]


def test_keyword_index_is_built_once_when_missing_and_pruned_with_its_collection(
    settings: Settings,
) -> None:
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    plain = KnowledgeIndex(settings, embedder=HashEmbedder())  # no before_switch hook
    first = plain.ingest().collection
    assert not keyword_dir(settings, first).exists()
    Assistant(settings, plain)  # the first process to see the collection builds and saves it
    assert (keyword_dir(settings, first) / "keyword.json").is_file()

    _, second = ingest(settings, version_docs("乙版"))
    _, third = ingest(settings, version_docs("丙版"))
    Assistant(settings, KnowledgeIndex(settings, embedder=HashEmbedder()))
    kept = {p.name for p in (settings.data_dir / "derived").iterdir() if not p.name.startswith(".")}
    assert kept == {third, second}  # the active and the previous; the first is gone with its collection


def test_a_saved_index_of_another_format_is_rebuilt(settings: Settings) -> None:
    index, name = ingest(settings, SAMPLE_DOCS)
    meta = keyword_dir(settings, name) / "keyword.json"
    meta.write_text(
        meta.read_text(encoding="utf-8").replace('"format": "', '"format": "old-'), encoding="utf-8"
    )
    assert LexicalIndex.load(keyword_dir(settings, name)) is None
    searcher = Assistant(settings, index).searcher
    assert len(searcher.lexical) == len(collection_chunks(index))
    assert LexicalIndex.load(keyword_dir(settings, name)) is not None  # saved again, in this format


def test_dense_candidates_come_from_the_collection_search(settings: Settings) -> None:
    index, _ = ingest(settings, SAMPLE_DOCS)
    searcher = Assistant(settings, index).searcher
    collection = index.active()
    assert collection is not None
    question = "适龄儿童应当由法定监护人在网上提交学位申请"
    vector = HashEmbedder().embed_query(question)
    direct = collection.query(query_embeddings=[vector], n_results=collection.count(), include=["distances"])
    ranked, distances = direct["ids"][0], direct["distances"][0]
    found = searcher.search(question).passages
    assert found[0].id == ranked[0]
    for passage in found:
        if "dense" in passage.ranks:  # its rank and similarity are the collection's own
            rank = passage.ranks["dense"]
            assert ranked[rank] == passage.id
            assert passage.dense == pytest.approx(1.0 - distances[rank], abs=1e-5)
        else:  # a keyword-only candidate: its exact similarity from its stored vector
            rank = ranked.index(passage.id)
            assert passage.dense == pytest.approx(1.0 - distances[rank], abs=1e-5)


def test_a_request_that_waited_for_the_swap_does_not_reopen_the_version_it_replaced(
    settings: Settings,
) -> None:
    """A request reads the active name (v2), then waits for the lock while another request
    swaps in v3; when it gets the lock it must keep v3, not open v2 again."""

    class Pointer:
        name = "v1"
        read = threading.Event()

        def active_name(self) -> str:
            self.read.set()
            return self.name

    def opener(_index: Any, _settings: Settings, name: str | None) -> Any:
        return dataclasses.replace(snapshot_module.EMPTY, name=name)

    pointer = Pointer()
    holder = snapshot_module.SnapshotHolder(pointer, settings, opener=opener)  # type: ignore[arg-type]
    pointer.name = "v2"
    pointer.read.clear()
    holder._lock.acquire()  # the other request holds the lock while it swaps
    waiting = threading.Thread(target=holder.refresh, kwargs={"force": True})
    waiting.start()
    assert pointer.read.wait(timeout=10)  # the waiting request has read "v2"; the lock stops it
    pointer.name = "v3"
    holder._current = opener(pointer, settings, "v3")
    holder.rebuilds += 1
    holder._lock.release()
    waiting.join(timeout=10)
    assert holder._current.name == "v3"
    assert holder.rebuilds == 2

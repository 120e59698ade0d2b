"""KnowledgeIndex against a real Chroma server (`chroma run`) started for each test."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import chromadb
import httpx
import pytest
from chromadb.config import Settings as ChromaSettings
from fakes import SAMPLE_DOCS, HashEmbedder, make_knowledge, nearest_chunks
from gradio_client import Client
from gradio_client.exceptions import AppError

from assistant.chain import Assistant
from assistant.documents.manifest import read_manifest
from assistant.documents.pipeline import prepare_document
from assistant.index import IndexUnavailableError, KnowledgeIndex
from assistant.settings import Settings
from tests.serving import free_port

pytestmark = [pytest.mark.server, pytest.mark.timeout(300)]

HOST = "127.0.0.1"
ALL_IDS = sorted(SAMPLE_DOCS)
CJK = re.compile(r"[\u4e00-\u9fff]")
STARTUP_TIMEOUT = 60.0
UNAVAILABLE = "知识库暂时无法读取，请稍后再试或联系管理员。"


def chroma_executable() -> str:
    beside = Path(sys.executable).parent / "chroma"
    if beside.is_file():
        return str(beside)
    found = shutil.which("chroma")
    assert found, "the `chroma` command (from the chromadb package) is not installed"
    return found


def heartbeat(port: int) -> bool:
    try:
        client = chromadb.HttpClient(
            host=HOST, port=port, settings=ChromaSettings(anonymized_telemetry=False)
        )
        client.heartbeat()
    except Exception:
        return False
    return True


class ChromaServer:
    """`chroma run --path <path>` on a fixed port; can be stopped and started again."""

    def __init__(self, path: Path, port: int, log_path: Path) -> None:
        self.path = path
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert self.process is None
        command = [chroma_executable(), "run", "--path", str(self.path)]
        command += ["--host", HOST, "--port", str(self.port)]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not heartbeat(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise AssertionError(
                    f"chroma server on port {self.port} did not come up:\n"
                    + self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
                )
            time.sleep(0.2)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=20)
        deadline = time.monotonic() + 20
        while heartbeat(self.port):  # the port is really free before a restart
            assert time.monotonic() < deadline, "chroma server still answers after stop"
            time.sleep(0.2)


@pytest.fixture
def chroma_server(tmp_path: Path) -> Iterator[ChromaServer]:
    server = ChromaServer(tmp_path / "chroma-server", free_port(), tmp_path / "chroma.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def server_settings(settings_factory: Callable[..., Settings], chroma_server: ChromaServer) -> Settings:
    settings = settings_factory(chroma_host=HOST, chroma_port=chroma_server.port)
    make_knowledge(settings.knowledge_dir, SAMPLE_DOCS)
    return settings


def expected_counts(settings: Settings) -> dict[str, int]:
    return {m.doc_id: len(prepare_document(m).chunks) for m in read_manifest(settings.knowledge_dir)}


def nearest(index: KnowledgeIndex, text: str) -> list[tuple[str, float]]:
    return nearest_chunks(index, HashEmbedder().embed_query(text).tolist(), 3)


def test_ingest_query_and_unchanged_reingest_through_server(
    server_settings: Settings, chroma_server: ChromaServer
) -> None:
    assert server_settings.server_mode
    embedder = HashEmbedder()
    index = KnowledgeIndex(server_settings, embedder=embedder)
    assert index.active_name() is None

    report = index.ingest()

    counts = expected_counts(server_settings)
    assert report.added == ALL_IDS
    assert report.failed == {}
    assert report.chunks == sum(counts.values()) == len(embedder.embedded)
    assert index.active_name() == report.collection
    assert {d.doc_id: d.chunks for d in index.documents()} == counts
    chunk = prepare_document(read_manifest(server_settings.knowledge_dir)[-1]).chunks[0]
    hits = nearest(index, chunk.embed_text)
    assert hits[0][0] == chunk.id
    assert hits[0][1] == pytest.approx(1.0, abs=1e-4)

    # the data lives in the server, not in the local data dir
    assert not server_settings.index_dir.exists()
    direct = chromadb.HttpClient(host=HOST, port=chroma_server.port)
    names = {c if isinstance(c, str) else c.name for c in direct.list_collections()}
    assert names == {"luohu-registry", report.collection}
    assert direct.get_collection(report.collection).count() == report.chunks

    # a second client (as another process would be) finds nothing to do
    second_embedder = HashEmbedder()
    second = KnowledgeIndex(server_settings, embedder=second_embedder)
    again = second.ingest()
    assert again.unchanged == ALL_IDS
    assert not again.changed
    assert again.collection == report.collection
    assert second.active_name() == report.collection
    assert second_embedder.calls == 0
    assert nearest(second, chunk.embed_text) == hits


def test_server_down_raises_index_unavailable_then_recovers(
    server_settings: Settings, chroma_server: ChromaServer
) -> None:
    index = KnowledgeIndex(server_settings, embedder=HashEmbedder())
    report = index.ingest()
    name = report.collection
    counts = {d.doc_id: d.chunks for d in index.documents()}
    probe = prepare_document(read_manifest(server_settings.knowledge_dir)[0]).chunks[0]
    hits = nearest(index, probe.embed_text)

    chroma_server.stop()

    with pytest.raises(IndexUnavailableError) as info:
        KnowledgeIndex(server_settings, embedder=HashEmbedder())
    assert CJK.search(info.value.user_message)
    assert "服务器" in info.value.user_message
    for call in (index.active_name, index.documents, lambda: nearest(index, probe.embed_text)):
        with pytest.raises(IndexUnavailableError) as info:
            call()
        assert CJK.search(info.value.user_message)
    with pytest.raises(IndexUnavailableError):
        index.ingest()

    chroma_server.start()  # same path, same port

    assert index.active_name() == name  # the old client reconnects
    assert {d.doc_id: d.chunks for d in index.documents()} == counts
    assert nearest(index, probe.embed_text) == hits
    embedder = HashEmbedder()
    fresh = KnowledgeIndex(server_settings, embedder=embedder)
    assert fresh.active_name() == name
    again = fresh.ingest()
    assert again.unchanged == ALL_IDS
    assert again.collection == name
    assert embedder.calls == 0


def test_app_gives_a_clear_message_while_the_server_is_down_and_recovers(
    server_settings: Settings, chroma_server: ChromaServer, serve_app: Any
) -> None:
    """The whole app in server mode: answers, then the specific Chinese message on every
    route while Chroma is down, then answers again once it is back (no restart)."""
    index = KnowledgeIndex(server_settings, embedder=HashEmbedder())
    assert not index.ingest().failed
    running = serve_app(Assistant(server_settings, index), server_settings)
    body = {"messages": [{"role": "user", "content": "幼儿园可以教授小学阶段的课程内容吗？"}]}
    url = f"{running.url}/v1/chat/completions"
    try:
        before = httpx.post(url, json=body, timeout=60)
        assert before.status_code == 200 and "[1]" in before.json()["choices"][0]["message"]["content"]

        chroma_server.stop()

        down = httpx.post(url, json=body, timeout=60)
        assert down.status_code == 503
        assert down.json()["error"]["message"] == UNAVAILABLE
        streamed = httpx.post(url, json={**body, "stream": True}, timeout=60)
        assert streamed.status_code == 200 and UNAVAILABLE in streamed.text and "[DONE]" in streamed.text
        client = Client(running.url, verbose=False)
        with pytest.raises(AppError, match=UNAVAILABLE):
            client.predict("幼儿园可以教授小学阶段的课程内容吗？", "[]", api_name="/ask")
        _, messages = client.predict("幼儿园可以教授小学阶段的课程内容吗？", api_name="/chat")
        assert UNAVAILABLE in str(messages[-1]["content"])

        chroma_server.start()  # same path, same port

        after = httpx.post(url, json=body, timeout=60)
        assert after.status_code == 200
        assert (
            after.json()["choices"][0]["message"]["content"]
            == before.json()["choices"][0]["message"]["content"]
        )
        assert client.predict("幼儿园可以教授小学阶段的课程内容吗？", "[]", api_name="/ask")["citations"]
    finally:
        running.stop()

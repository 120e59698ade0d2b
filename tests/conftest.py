"""Shared fixtures. Tests never read or write the user's real data directory."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings, get_settings

ServeApp = Callable[[Any, Settings], Any]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """With several workers (`make test`), each takes whole files: files with more tests on
    the real model, a real server or the session's real index go first, so that none of
    them is handed out last to a worker that then runs alone. The order inside a file is
    kept, and a run on one process keeps the collection order."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    heavy = Counter(
        item.path
        for item in items
        if item.get_closest_marker("model")
        or item.get_closest_marker("server")
        or {"real_index", "real_assistant"} & set(getattr(item, "fixturenames", ()))
    )
    items.sort(key=lambda item: -heavy[item.path])  # a stable sort


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point ASSISTANT_DATA_DIR into tmp_path and drop any configured Chroma server, so a
    test that builds Settings() from the environment stays inside its own folder."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("ASSISTANT_DATA_DIR", str(data_dir))
    monkeypatch.delenv("ASSISTANT_CHROMA_HOST", raising=False)
    get_settings.cache_clear()
    yield data_dir
    get_settings.cache_clear()


@pytest.fixture
def settings_factory(tmp_path: Path) -> Callable[..., Settings]:
    """Build Settings rooted in tmp_path: data in tmp_path/data, knowledge in
    tmp_path/knowledge, the HashEmbedder's model name, embedded Chroma. Keyword
    arguments override any field."""

    def make(**overrides: Any) -> Settings:
        fields: dict[str, Any] = {
            "data_dir": tmp_path / "data",
            "knowledge_dir": tmp_path / "knowledge",
            "embedding_model": "hash-test",
            "chroma_host": None,
        }
        fields.update(overrides)
        return Settings(**fields)

    return make


@pytest.fixture(scope="session")
def real_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real knowledge base and the real embedding model, indexed once per test run
    into a temporary data directory: with several workers (`pytest -n`), one directory
    all of them share, in the run's own temporary root."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # each worker's base is a folder of the run's root
    data_dir = root / "real-kb"
    data_dir.mkdir(exist_ok=True)
    return Settings(data_dir=data_dir, chroma_host=None)


@pytest.fixture(scope="session")
def real_index(real_settings: Settings) -> Any:
    """Built as `python -m assistant ingest` builds it: the keyword index and the sentence
    vectors are saved before the collection becomes active, so an app.py started over this
    data dir (or a scale-out seeded from it) serves at once instead of embedding them again."""
    from filelock import FileLock

    from assistant.index import KnowledgeIndex
    from assistant.question.snapshot import keyword_hook

    # The first worker builds it; the others wait, then find every document unchanged.
    with FileLock(f"{real_settings.data_dir}.lock"):
        index = KnowledgeIndex(real_settings, before_switch=keyword_hook(real_settings))
        report = index.ingest()
    assert not report.failed, report.failed
    return index


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings, real_index: Any) -> Any:
    """The default (extractive) assistant over the real index."""
    from assistant.chain import Assistant

    return Assistant(real_settings, real_index)


@pytest.fixture(scope="session")
def serve_app() -> Iterator[ServeApp]:
    """Start the whole web app (UI, /ask and /v1 on one port) for an Assistant and Settings
    with uvicorn on a free loopback port; returns the RunningServer. Every server started
    through it is stopped at the end of the session (callers may stop theirs earlier)."""
    from assistant.web.ui import create_server
    from tests.serving import free_port, serve_in_thread

    started: list[Any] = []

    def serve(assistant: Any, settings: Settings) -> Any:
        port = free_port()
        running = serve_in_thread(create_server(assistant, settings, port=port), "127.0.0.1", port)
        started.append(running)
        return running

    yield serve
    for running in started:
        running.stop()


@pytest.fixture(scope="module")
def public_settings(real_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The real knowledge base and index, no admin password, app data (feedback) in a
    folder of the module's own."""
    return real_settings.model_copy(
        update={"data_dir": tmp_path_factory.mktemp("public-data"), "admin_password": None}
    )


@pytest.fixture(scope="module")
def server(real_assistant: Any, public_settings: Settings, serve_app: ServeApp) -> Iterator[Any]:
    """The public app over the real index, as users reach it; one per test module."""
    running = serve_app(real_assistant, public_settings)
    yield running
    running.stop()


# An OpenAI-compatible server on loopback (tests/openai_stub_server.py), one per test module;
# `fresh_stub` is the same server with the requests of earlier tests forgotten.
@pytest.fixture(scope="module")
def stub() -> Iterator[Any]:
    from openai_stub_server import StubServer, StubState

    server = StubServer(StubState()).start()
    yield server
    server.stop()


@pytest.fixture
def fresh_stub(stub: Any) -> Any:
    stub.state.clear()
    return stub

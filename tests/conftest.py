"""Shared fixtures. Tests never read or write the user's real data directory."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from assistant.settings import Settings, get_settings


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
    """The real knowledge base and the real embedding model, indexed once per test session
    into a temporary data directory."""
    data_dir = tmp_path_factory.mktemp("real-kb")
    return Settings(data_dir=data_dir, chroma_host=None)


@pytest.fixture(scope="session")
def real_index(real_settings: Settings) -> Any:
    from assistant.index import KnowledgeIndex

    index = KnowledgeIndex(real_settings)
    report = index.ingest()
    assert not report.failed, report.failed
    return index


@pytest.fixture(scope="session")
def real_assistant(real_settings: Settings, real_index: Any) -> Any:
    """The default (extractive) assistant over the real index."""
    from assistant.chain import Assistant

    return Assistant(real_settings, real_index)

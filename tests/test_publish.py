"""Index folders are swapped into place whole: a reader sees the old folder or the new one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.indexing.publish import publish_directory


def _writer(text: str) -> Callable[[Path], None]:
    def write(staging: Path) -> None:
        staging.mkdir()
        (staging / "f.txt").write_text(text, encoding="utf-8")

    return write


def test_a_new_folder_replaces_the_one_there_and_leaves_no_staging(tmp_path: Path) -> None:
    target = tmp_path / "index"
    publish_directory(target, _writer("old"))
    publish_directory(target, _writer("new"))
    assert (target / "f.txt").read_text(encoding="utf-8") == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_a_folder_another_writer_made_first_is_kept_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "index"
    publish_directory(target, _writer("first"))
    publish_directory(target, _writer("second"), keep_existing=lambda d: (d / "f.txt").is_file())
    assert (target / "f.txt").read_text(encoding="utf-8") == "first"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]


def test_a_failed_write_leaves_the_previous_folder_and_no_staging(tmp_path: Path) -> None:
    target = tmp_path / "index"
    publish_directory(target, _writer("old"))

    def fail(staging: Path) -> None:
        staging.mkdir()
        (staging / "f.txt").write_text("half", encoding="utf-8")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        publish_directory(target, fail)
    assert (target / "f.txt").read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["index"]

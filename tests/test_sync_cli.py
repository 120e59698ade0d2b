"""`python -m assistant sync` as users run it: a real subprocess, the real embedding model,
a column served on loopback (the second list page of tests/sync_site.py: one notice and
its attachment, so the embedding stays small)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes import SAMPLE_DOCS, make_knowledge
from tests.sync_site import EDU_COLUMN, build_site, serve

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[1]


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def test_sync_command_adds_sources_syncs_and_reports(tmp_path: Path) -> None:
    root = build_site(tmp_path / "www")
    make_knowledge(tmp_path / "knowledge", {"labor-education": SAMPLE_DOCS["labor-education"]})
    env = {
        "ASSISTANT_DATA_DIR": str(tmp_path / "data"),
        "ASSISTANT_KNOWLEDGE_DIR": str(tmp_path / "knowledge"),
        "ASSISTANT_SYNC_ALLOW_PRIVATE": "1",
        "ASSISTANT_SYNC_DELAY_SECONDS": "0",
    }
    empty = _run(env, "sync")
    assert empty.returncode == 1 and "没有要同步的网站" in empty.stdout
    bad = _run(env, "sync", "file:///etc/")
    assert bad.returncode == 2 and "不是有效的网址" in bad.stderr
    with serve(root) as site:
        column = site.base + EDU_COLUMN + "index_1.html"
        first = _run(env, "sync", column)
        assert first.returncode == 0, first.stderr
        assert "新增 2" in first.stdout and "（附件：materials）" in first.stdout
        docs = _run(env, "docs")
        assert docs.returncode == 0 and site.base + "/jyj/tzgg/201605/materials.txt" in docs.stdout
        again = _run(env, "sync")
        assert again.returncode == 0, again.stderr
        assert "新增 0，更新 0，未变 3" in again.stdout  # the list page, the notice, the file
    assert (tmp_path / "data" / "sync" / "sources.txt").read_text(encoding="utf-8").splitlines()[-1] == column

"""The command line, run as users run it (a real subprocess, the real model and index)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assistant.settings import Settings

pytestmark = pytest.mark.model
ROOT = Path(__file__).resolve().parents[1]


def _run(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_ask_json_contract(real_settings: Settings, real_index: object) -> None:
    proc = _run(real_settings, "ask", "--json", "罗湖区要新增多少公办义务教育学位？")
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout)
    assert {"question", "answer", "refused", "citations"} <= set(result)
    assert result["refused"] is False
    first = result["citations"][0]
    assert {"doc_id", "title", "section", "text", "score"} <= set(first)
    assert first["doc_id"] == "luohu-action-plan"
    assert first["section"] == "学位建设攻坚行动 > 保障义务教育学位供给"
    assert "新增公办义务教育学位3.3万座" in first["text"]
    assert "3.3万" in result["answer"]
    scores = [c["score"] for c in result["citations"]]
    assert scores == sorted(scores, reverse=True)


def test_docs_and_unchanged_ingest(real_settings: Settings, real_index: object) -> None:
    proc = _run(real_settings, "docs", "--json")
    assert proc.returncode == 0, proc.stderr
    docs = {d["doc_id"]: d for d in json.loads(proc.stdout)}
    assert len(docs) == 9
    assert docs["luohu-action-plan"]["chunks"] == 69
    assert docs["luohu-primary1-admission-2016"]["status"] == "historical"
    proc = _run(real_settings, "ingest")
    assert proc.returncode == 0, proc.stderr
    assert "未变 9" in proc.stdout


def test_bad_knowledge_dir_gives_chinese_error(real_settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "empty.txt").write_bytes(b"")
    env_settings = Settings(data_dir=tmp_path / "data")
    proc = _run(env_settings, "ingest", "--knowledge", str(tmp_path / "kb"))
    assert proc.returncode == 1
    assert "文件为空" in proc.stderr


def test_ask_and_eval_on_an_empty_index_say_so(tmp_path: Path) -> None:
    """Without an index every question would be refused; the commands say what to run."""
    empty = Settings(data_dir=tmp_path / "data")
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "q1", "question": "学位有多少？"}\n', encoding="utf-8")
    for args in (("ask", "罗湖区要新增多少学位？"), ("eval", str(questions))):
        proc = _run(empty, *args)
        assert proc.returncode == 1, args
        assert "知识库为空，请先运行：python -m assistant ingest" in proc.stderr
        assert "is empty" in proc.stderr  # the English log line
        assert proc.stdout == ""

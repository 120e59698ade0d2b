"""A small run of the load test (scripts/load_test.py): 8 clients ask 80 questions at
once through the OpenAI-compatible API of a real `app.py`; no errors, and the server's
memory does not grow beyond noise. The full run is `make load-test` (32 clients, 1,000
questions). Also the script's own checks, and a fix the full run led to."""

from __future__ import annotations

import http.server
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "load_test.py"


@pytest.mark.model
@pytest.mark.timeout(600)
def test_small_load_run_has_no_errors_and_flat_memory(
    real_settings: Settings, real_index: object, tmp_path: Path
) -> None:
    figures = tmp_path / "load.json"
    options = ["--clients", "8", "--questions", "80", "--data-dir", str(real_settings.data_dir)]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *options, "--json", str(figures)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=540,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(figures.read_text(encoding="utf-8"))
    assert report["clients"] == 8 and report["questions"] == 80 and report["errors"] == 0
    assert 0 < report["p50_s"] <= report["p95_s"] <= report["max_s"]
    assert report["rss_after_warmup_mb"] > 200  # the serving process, with the model loaded
    assert report["rss_growth_mb"] <= 100 and report["rss_growth_pct"] <= 10
    assert len(report["rss_during_mb"]) == 5
    assert "latency p50 / p95" in done.stdout and "server RSS" in done.stdout


def test_load_test_reads_questions_and_fails_on_errors(tmp_path: Path) -> None:
    """Against a server that refuses everything, the script exits 1 and counts each error."""
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import load_test
    finally:
        sys.path.remove(str(SCRIPT.parent))
    lines = tmp_path / "q.jsonl"
    lines.write_text(
        '{"question": "那高中呢？", "history": [["幼儿园学位会增加多少？", "新增0.8万座。"]]}\n普通问题？\n',
        encoding="utf-8",
    )
    items = load_test.read_questions(lines)
    assert items[1] == {"question": "普通问题？", "history": []}
    assert [m["role"] for m in load_test.messages_for(items[0])] == ["user", "assistant", "user"]
    assert load_test.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5

    class Refuse(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(503)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        def log_message(self, *args: object) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        options = ["--clients", "3", "--questions", "7", "--questions-file", str(lines)]
        code = load_test.main(
            ["--url", url, "--pid", str(os.getpid()), *options, "--json", str(tmp_path / "r.json")]
        )
    finally:
        server.shutdown()
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert code == 1 and report["errors"] == 7 and report["questions"] == 7
    assert report["error_samples"] == ["HTTP 503: no"]


def test_season_mix_repeats_a_few_questions_often_and_files_merge_without_duplicates(
    tmp_path: Path,
) -> None:
    sys.path.insert(0, str(SCRIPT.parent))
    try:
        import load_season
        import load_test
    finally:
        sys.path.remove(str(SCRIPT.parent))
    first, second = tmp_path / "a.jsonl", tmp_path / "b.txt"
    first.write_text("".join(f'{{"question": "问题{n}？"}}\n' for n in range(100)), encoding="utf-8")
    second.write_text("问题0？\n另一个问题？\n", encoding="utf-8")
    items = load_test.read_question_files([first, second])
    assert len(items) == 101  # 问题0？ once, though both files have it
    mix = load_season.skewed_mix(items, 1000, skew=1.0)
    assert mix == load_season.skewed_mix(items, 1000, skew=1.0)  # seeded: every run the same
    shape = load_season.mix_shape(mix)
    # 1/r over 101 questions: the most asked about 19 % of the askings, the top five ~44 %.
    assert 0.12 < shape["top1_share"] < 0.26 and 0.35 < shape["top5_share"] < 0.55
    assert shape["distinct"] < 101 and shape["repeat_share"] > 0.9
    flat = load_season.mix_shape(load_season.skewed_mix(items, 1000, skew=0.0))
    assert flat["top1_share"] < 0.05  # no skew: every question about as often


class _RecordingModel:
    """Stands in for a SentenceTransformer: records the keyword arguments of each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, object]] = []

    def encode_query(self, texts: list[str], **kwargs: object) -> list[list[float]]:
        self.calls.append(kwargs)
        return [[1.0, 0.0]]

    def encode_document(self, texts: list[str], **kwargs: object) -> list[list[float]]:
        self.calls.append(kwargs)
        return [[1.0, 0.0] for _ in texts]


def test_embedder_draws_no_progress_bars_from_serving_threads(caplog: pytest.LogCaptureFixture) -> None:
    """At INFO logging the library would draw a tqdm bar per question; 32 threads doing so at
    once made tqdm fail (one error in a 1,000-question run). Every call turns them off."""
    from assistant.embeddings import SentenceTransformerEmbedder

    caplog.set_level(logging.INFO)
    embedder = object.__new__(SentenceTransformerEmbedder)
    model = _RecordingModel()
    embedder._model = model  # type: ignore[assignment]
    embedder._batch_size = 4
    embedder._lock = threading.Lock()
    embedder.embed_query("罗湖区要新增多少学位？")
    embedder.embed_documents(["一", "二"])
    assert [call["show_progress_bar"] for call in model.calls] == [False, False]

"""Load test: many clients at once on the OpenAI-compatible API, as on enrolment day.

    .venv/bin/python scripts/load_test.py [--clients 32] [--questions 1000]
        [--questions-file FILE ...] [--url http://127.0.0.1:7860 --pid PID] [--json OUT]
        [--season [--skew 1.0]]

Without --url it starts `app.py` itself on a free loopback port (the index in
ASSISTANT_DATA_DIR or --data-dir must be built, or app.py builds it first) and stops it at
the end. `--season` (what `make load-test` runs) measures distinct questions with 1 and
with --clients clients, then an enrolment-season mix where a few questions repeat often
(scripts/load_season.py; the client side is scripts/load_client.py, matrix mode
scripts/load_matrix.py). Questions are taken in turn from the FILEs (JSON lines with a
"question" field and an optional "history" of [question, answer] pairs, or one question per
line; each distinct question once), cycling until --questions have been asked; `--clients`
threads ask them at once through their own HTTP connections. A warm-up round (one question
per client, not counted) comes first.

The serving process's resident memory (VmRSS, psutil when installed) is sampled every
second. Printed: clients, questions, errors, latency p50/p95/max, throughput, and memory
at start, after warm-up, at the end and at its peak, and the CPU seconds the server and
the clients used during the run (on shared cores, what the questions cost whatever else
ran), with the machine's load average. Exit status 1 on any error, or when
memory grew from after warm-up to the end by more than --max-growth-mb or
--max-growth-pct (what counts as noise).

Matrix mode measures every replica count × client count in one run:

    .venv/bin/python scripts/load_test.py --matrix [--clients-list 1,8,32]
        [--replicas-list 1,2] [--questions 200] [--threads-per-replica T] [--reindex N] [--json OUT]

Each replica count is started once with scripts/scale_out.py (its own Chroma server, seeded
from the embedded index in --data-dir or the local one of `make index`; HAProxy in front
even of a single replica, so every cell pays the same extra hop), then each client count
runs against it: a warm-up round, then --questions questions (per cell). One table row per
cell: throughput, latency p50/p95, errors, resident memory of the replicas plus the Chroma
server at the end, how many questions each replica answered (X-Served-By) and the
machine's 1-minute load average before the cell (other work on the machine shows there).
With --reindex N, after the cells of each replica count the most clients ask again, without
pause, while a document is updated and `python -m assistant ingest` runs, N times, against
the same Chroma server: the line printed counts the answers per index version (every rebuilt one must
answer) and the errors (there must be none). Exit status 1 on any error.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the modules beside this script

from load_client import (
    ROOT,
    load_test,
    messages_for,
    percentile,
    read_question_files,
    read_questions,
    start_app,
)
from load_matrix import MATRIX_QUESTIONS, int_list, matrix_main

__all__ = ["load_test", "messages_for", "percentile", "read_question_files", "read_questions", "start_app"]

DEFAULT_QUESTIONS = ROOT / "tests" / "fixtures" / "refusal_calibration.jsonl"
SINGLE_RUN_QUESTIONS = 1000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load test of the OpenAI-compatible API")
    parser.add_argument("--clients", type=int, default=32, help="concurrent clients (default 32)")
    parser.add_argument(
        "--questions",
        type=int,
        help=f"questions in all (default {SINGLE_RUN_QUESTIONS}); with --matrix, per cell "
        f"(default {MATRIX_QUESTIONS})",
    )
    parser.add_argument(
        "--questions-file",
        type=Path,
        nargs="+",
        default=[DEFAULT_QUESTIONS],
        help="JSON lines or one question per line; several files are merged, each question once",
    )
    parser.add_argument(
        "--season",
        action="store_true",
        help="distinct questions with 1 and --clients clients (no query-vector cache), then an "
        "enrolment-season mix with the cache as shipped; both printed",
    )
    parser.add_argument(
        "--skew", type=float, default=1.0, help="season mix: the r-th most asked question has weight 1/r^skew"
    )
    parser.add_argument(
        "--query-cache",
        action="store_true",
        help="keep the servers' cache of repeated questions' vectors (enrolment-season repetition); "
        "by default the servers started here run without it, so repeated questions still cost work",
    )
    parser.add_argument("--url", help="a running server (default: start app.py on a free port)")
    parser.add_argument("--pid", type=int, help="process id of the --url server, for its memory")
    parser.add_argument("--data-dir", type=Path, help="ASSISTANT_DATA_DIR for the app.py started here")
    parser.add_argument("--max-growth-mb", type=float, default=100.0, help="memory growth taken as noise")
    parser.add_argument("--max-growth-pct", type=float, default=10.0, help="the same, in percent")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds one request may take")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    matrix = parser.add_argument_group("matrix mode (scripts/scale_out.py: replicas behind HAProxy)")
    matrix.add_argument(
        "--matrix", action="store_true", help="measure every replica count × client count in one run"
    )
    matrix.add_argument(
        "--clients-list", type=int_list, default=[1, 8, 32], help="client counts (default 1,8,32)"
    )
    matrix.add_argument("--replicas-list", type=int_list, default=[1, 2], help="replica counts (default 1,2)")
    matrix.add_argument(
        "--threads-per-replica", type=int, help="embedding threads per replica (default cores // replicas)"
    )
    matrix.add_argument(
        "--reindex",
        type=int,
        default=0,
        help="after each replica count's cells: the most clients again while the index is rebuilt N times",
    )
    args = parser.parse_args(argv)
    if args.matrix and args.url:
        parser.error("--matrix starts its own clusters; it takes no --url")
    if not args.matrix and args.url and not args.pid:
        parser.error("--url needs --pid (the server's process id) to measure its memory")
    if args.season:
        if args.matrix or args.url:
            parser.error("--season starts its own servers; it takes no --matrix or --url")
        here = str(Path(__file__).resolve().parent)
        if here not in sys.path:
            sys.path.insert(0, here)
        import load_season

        items = read_question_files(args.questions_file)
        return int(load_season.season_main(sys.modules[__name__], args, items))
    if args.query_cache:
        return _run(args)
    # Inherited by every server process this script starts (app.py, scale-out replicas);
    # restored afterwards, for a caller in the same process.
    before = os.environ.get("ASSISTANT_QUERY_CACHE_SIZE")
    os.environ["ASSISTANT_QUERY_CACHE_SIZE"] = "0"
    try:
        return _run(args)
    finally:
        if before is None:
            del os.environ["ASSISTANT_QUERY_CACHE_SIZE"]
        else:
            os.environ["ASSISTANT_QUERY_CACHE_SIZE"] = before


def _run(args: argparse.Namespace) -> int:
    if args.matrix:
        return matrix_main(args, read_question_files(args.questions_file))
    if args.questions is None:
        args.questions = SINGLE_RUN_QUESTIONS

    items = read_question_files(args.questions_file)
    proc = None
    if args.url:
        url, pid = args.url.rstrip("/"), args.pid
    else:
        log_path = Path(os.environ.get("TMPDIR", "/tmp")) / f"load-test-app-{os.getpid()}.log"
        print(f"starting app.py (log: {log_path}) …", flush=True)
        proc, url = start_app(args.data_dir, log_path)
        pid = proc.pid
    try:
        print(
            f"{args.clients} clients, {args.questions} questions from {args.questions_file} "
            f"({len(items)} distinct) against {url}",
            flush=True,
        )
        report = load_test(url, pid, items, args.clients, args.questions, args.timeout)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                proc.kill()
    print("\n".join(report.lines()), flush=True)
    if args.json:
        figures = json.dumps(asdict(report), ensure_ascii=False, indent=2)
        args.json.write_text(figures + "\n", encoding="utf-8")
    too_much = report.rss_growth_mb > args.max_growth_mb or report.rss_growth_pct > args.max_growth_pct
    if report.errors:
        print(f"FAILED: {report.errors} errors", file=sys.stderr)
    if too_much:
        print(
            f"FAILED: memory grew {report.rss_growth_mb:.0f} MB ({report.rss_growth_pct:.1f} %), more than "
            f"{args.max_growth_mb:.0f} MB or {args.max_growth_pct:.0f} %",
            file=sys.stderr,
        )
    return 1 if report.errors or too_much else 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m benchmarks [--quick] [--sizes news,1000,10000,100000] [--out docs/benchmarks.md]`"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from benchmarks import REPO_ROOT
from benchmarks.runner import Options, run, write

FULL_SIZES = "news,1000,10000,100000"
QUICK_SIZES = "1000"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="size 1000 only, one pass, one cold start")
    parser.add_argument(
        "--sizes",
        help=f"distractor counts, comma-separated; 'news' = all 484 news articles (default {FULL_SIZES})",
    )
    parser.add_argument("--out", default=str(REPO_ROOT / "docs" / "benchmarks.md"))
    parser.add_argument(
        "--real", type=int, help="distractors with real embeddings (default: all news chunks)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary data dirs")
    parser.add_argument(
        "--reuse-index", help="development: serve an existing data dir instead of timing a cold ingest"
    )
    parser.add_argument(
        "--backends",
        help="embedding backends to compare side by side (default: every candidate; 'none' to skip)",
    )
    return parser


def _backends(value: str | None) -> list[str]:
    from assistant.backends.selection import candidates

    if value == "none":
        return []
    return [b.strip() for b in (value or ",".join(candidates())).split(",") if b.strip()]


def options_from(args: argparse.Namespace, argv: list[str]) -> Options:
    sizes = (args.sizes or (QUICK_SIZES if args.quick else FULL_SIZES)).split(",")
    options = Options(
        sizes=[s.strip() for s in sizes if s.strip()],
        quick=args.quick,
        out=Path(args.out),
        real=args.real,
        keep=args.keep,
        reuse_index=Path(args.reuse_index) if args.reuse_index else None,
        command=" ".join(["python -m benchmarks", *argv]),
        backends=_backends(args.backends),
    )
    if args.quick:
        options.reps, options.scale_reps, options.cold_runs, options.blas_check = 1, 1, 1, None
    return options


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    for noisy in ("bm25s", "chromadb", "sentence_transformers", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    options = options_from(args, argv)
    write(run(options), options.out, options.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())

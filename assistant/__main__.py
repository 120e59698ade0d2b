"""Command line: `python -m assistant {fetch-model,doctor,ingest,docs,sync,ask,eval,bench-retrieval,
targets}`."""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from pathlib import Path
from typing import Any

from assistant.settings import Settings, get_settings

log = logging.getLogger("assistant")


def _cmd_fetch_model(args: argparse.Namespace, settings: Settings) -> int:
    from assistant import model_fetch
    from assistant.backends import selection as eb

    started = time.perf_counter()
    measuring = settings.embedding_model == "embeddinggemma" and (
        args.force or args.remeasure or eb.stored_choice(settings.model_cache_dir) is None
    )
    # The download waits on the network; the measurement's libraries load meanwhile, and
    # the download then runs in a process of its own (the imports hold this one's GIL).
    preload = eb.import_in_background() if measuring else None
    fetch = model_fetch.fetch_in_child if preload is not None else model_fetch.fetch
    folder = fetch(settings.model_cache_dir, force=args.force)
    print(f"模型已就绪：{folder}（用时 {time.perf_counter() - started:.0f} 秒）")
    if preload is not None:
        preload.join()
    if settings.embedding_model != "embeddinggemma":
        return 0
    started = time.perf_counter()
    choice = eb.choose(settings.model_cache_dir, force=args.force or args.remeasure, say=print)
    backend, source = eb.resolve_backend(settings)
    eb.ensure_files(settings.model_cache_dir, backend)
    print(
        f"本机最快且与 float32 一致的后端：{choice.backend}；使用：{backend}（{source}；"
        f"用时 {time.perf_counter() - started:.0f} 秒）"
    )
    return 0


def _cmd_doctor(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.backends.doctor import doctor
    from assistant.index import KnowledgeIndex

    return doctor(
        settings,
        remeasure=args.remeasure,
        as_json=args.json,
        active_collection=lambda: KnowledgeIndex(settings).active(),
    )


def _cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index import KnowledgeIndex
    from assistant.question.snapshot import keyword_hook

    if args.knowledge:
        settings = settings.model_copy(update={"knowledge_dir": Path(args.knowledge)})
    report = KnowledgeIndex(settings, before_switch=keyword_hook(settings)).ingest(
        rebuild=args.rebuild, progress=_print_ocr_progress
    )
    print(
        f"索引完成：新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，"
        f"删除 {len(report.removed)}，失败 {len(report.failed)}；共 {report.chunks} 段，"
        f"用时 {report.seconds:.1f} 秒"
    )
    for name, message in report.failed.items():
        print(f"  未收录 {name}：{message}", file=sys.stderr)
    for name, note in report.notes.items():
        print(f"  {name}：{note}", file=sys.stderr)
    return 1 if report.failed else 0


def _print_ocr_progress(fraction: float, desc: str) -> None:
    """Scanned pages take seconds each: say which one is being read ("识别《…》第 3/12 页")."""
    if desc.startswith("识别"):
        print(desc, file=sys.stderr, flush=True)


EMPTY_INDEX = "知识库为空，请先运行：python -m assistant ingest"


def _index_is_empty(settings: Settings) -> bool:
    """An empty index would refuse every question; say so instead of answering. (The model
    is checked first: a damaged model file is the more urgent message.)"""
    from assistant.backends.loader import check_model
    from assistant.index import KnowledgeIndex

    check_model(settings)
    if KnowledgeIndex(settings).is_ready():
        return False
    log.error("the index in %s is empty; run `python -m assistant ingest`", settings.data_dir)
    print(EMPTY_INDEX, file=sys.stderr)
    return True


def _cmd_docs(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.documents.ocr import document_note
    from assistant.index import KnowledgeIndex

    docs = KnowledgeIndex(settings).documents()
    if args.json:
        print(json.dumps([d.__dict__ for d in docs], ensure_ascii=False, indent=2))
        return 0
    if not docs:
        print(EMPTY_INDEX)
        return 1
    for d in docs:
        badge = "（历史文件）" if d.status == "historical" else ""
        fields = (d.doc_number, d.status_reason, d.url, document_note(d.ocr_confidence))
        extra = "\t".join(x for x in fields if x)
        print(
            f"{d.doc_id}\t{d.chunks} 段\t{d.date}\t{d.issuer}\t{d.title}{badge}"
            + (f"\t{extra}" if extra else "")
        )
    return 0


def _cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.chain import build_assistant

    if _index_is_empty(settings):
        return 1
    assistant = build_assistant(settings)
    if args.question:
        result = assistant.ask(" ".join(args.question))
        print(json.dumps(result.to_json(), ensure_ascii=False, indent=2) if args.json else result.render())
        return 0
    # Interactive loop with conversation memory.
    history: list[tuple[str, str]] = []
    print("罗湖区基础教育政策助手。输入问题，回车提问；输入 exit 退出。")
    while True:
        try:
            question = input("问：").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return 0
        if question.lower() in {"exit", "quit", "退出"}:
            return 0
        if not question:
            continue
        result = assistant.ask(question, history=history)
        print(result.render())
        history.append((question, result.answer))


def _cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.run import run_eval

    if _index_is_empty(settings):
        return 1
    return run_eval(
        Path(args.file), settings, out=Path(args.out) if args.out else None, baseline=args.baseline
    )


def _cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.evaluation.retrieval_bench import run_bench

    return run_bench(Path(args.dir), settings, limit=args.limit, with_date=not args.no_date)


def _cmd_sync(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.index import KnowledgeIndex
    from assistant.question.snapshot import keyword_hook
    from assistant.sync.run import render_report, run_sync
    from assistant.sync.state import SourceError, read_sources

    if not args.urls and not read_sources(settings):
        sources = settings.sync_dir / "sources.txt"
        print(f"没有要同步的网站。请运行 python -m assistant sync URL，或在 {sources} 中每行写一个栏目网址。")
        return 1
    try:
        index = KnowledgeIndex(settings, before_switch=keyword_hook(settings))
        report = run_sync(settings, add=args.urls, index=index)
    except SourceError as exc:
        log.error("sync refused: %s", exc)
        print(f"错误：{exc.user_message}", file=sys.stderr)
        return 2
    print(json.dumps(report, ensure_ascii=False, indent=1) if args.json else render_report(report))
    return 1 if report["ingest_error"] else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m assistant", description="罗湖区基础教育政策助手")
    parser.add_argument("-v", "--verbose", action="store_true", help="detailed logs")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("fetch-model", help="下载并校验嵌入模型")
    p.add_argument("--force", action="store_true", help="重新下载（并重新测量后端）")
    p.add_argument("--remeasure", action="store_true", help="重新测量本机各嵌入后端的速度")
    p.set_defaults(func=_cmd_fetch_model)

    p = sub.add_parser("doctor", help="本机 CPU、嵌入后端的测量结果与当前选择")
    p.add_argument("--remeasure", action="store_true", help="重新测量各后端")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_doctor)

    p = sub.add_parser("ingest", help="建立或更新知识库索引（增量）")
    p.add_argument("--rebuild", action="store_true", help="全部重建")
    p.add_argument("--knowledge", help="文档目录（默认 knowledge/）")
    p.set_defaults(func=_cmd_ingest)

    p = sub.add_parser("docs", help="列出已索引的文件")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_docs)

    p = sub.add_parser("sync", help="同步网站栏目（网址会加入同步列表），然后更新索引")
    p.add_argument("urls", nargs="*", metavar="URL")
    p.add_argument("--json", action="store_true", help="输出本次同步报告（JSON）")
    p.set_defaults(func=_cmd_sync)

    p = sub.add_parser("ask", help="提问（不带问题则进入对话模式）")
    p.add_argument("question", nargs="*")
    p.add_argument("--json", action="store_true", help="输出 JSON")
    p.set_defaults(func=_cmd_ask)

    p = sub.add_parser("eval", help="在评测集上评估")
    p.add_argument("file")
    p.add_argument("--out")
    p.add_argument("--baseline", action="store_true", help="同时运行朴素 LangChain 基线")
    p.set_defaults(func=_cmd_eval)

    p = sub.add_parser("bench-retrieval", help="BEIR 格式检索基准")
    p.add_argument("dir")
    p.add_argument("--limit", type=int, default=0, help="只用前 N 个问题（0 为全部）")
    p.add_argument("--no-date", action="store_true", help="不把问题的 date 字段（年份）写进问题")
    p.set_defaults(func=_cmd_bench)

    from assistant.targets.cli import register as register_targets

    register_targets(sub, open_index=_open_index)
    return parser


def _open_index(settings: Settings) -> Any:
    from assistant.index import KnowledgeIndex

    return KnowledgeIndex(settings)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("bm25s", "httpx", "chromadb", "sentence_transformers", "jieba"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    settings = get_settings()
    try:
        return int(args.func(args, settings))
    except Exception as exc:
        from assistant.errors import user_message_for

        log.error("%s failed: %s", args.command, exc, exc_info=args.verbose)
        print(f"错误：{user_message_for(exc)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

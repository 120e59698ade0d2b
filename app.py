"""Start the assistant's web interface: `python app.py [--host H] [--port P]`.

Brings the index up to date first (incremental: unchanged documents are skipped), then
serves one server on 127.0.0.1:7860 unless told otherwise (ASSISTANT_HOST / ASSISTANT_PORT
or the flags): the Gradio UI at /, the `/ask` Gradio endpoint, and OpenAI-compatible
routes at /v1/chat/completions and /v1/models.
"""

from __future__ import annotations

import argparse
import logging
import sys

import assistant  # noqa: F401  (sets the offline environment before the UI libraries load)
from assistant.settings import get_settings

log = logging.getLogger("assistant.app")


def main() -> int:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="罗湖区基础教育政策助手（网页界面与 OpenAI 兼容接口）")
    parser.add_argument("--host", default=settings.host, help=f"监听地址（默认 {settings.host}）")
    parser.add_argument("--port", type=int, default=settings.port, help=f"端口（默认 {settings.port}）")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from assistant.backends.loader import check_model
    from assistant.embeddings import EmbedderError
    from assistant.errors import user_message_for
    from assistant.index import IndexUnavailableError, KnowledgeIndex
    from assistant.question.snapshot import keyword_hook

    try:
        check_model(settings)  # a missing or corrupted model file stops the start here
    except EmbedderError as exc:
        print(f"无法启动：{user_message_for(exc)}", file=sys.stderr)
        return 1
    print("检查知识库索引……", flush=True)
    try:
        # tqdm inside ingest shows the embedding progress on the console.
        # Sentence vectors are left to the serving process when deferred (settings.py).
        hook = keyword_hook(settings, sentences=not settings.sentence_vectors_deferred)
        report = KnowledgeIndex(settings, before_switch=hook).ingest()
    except Exception as exc:
        log.exception("ingest failed")
        print(f"索引建立失败：{user_message_for(exc)}", file=sys.stderr)
        return 1
    for name, message in report.failed.items():
        print(f"  跳过 {name}：{message}", file=sys.stderr)
    print(
        f"索引就绪：{report.chunks} 段（新增 {len(report.added)}，更新 {len(report.updated)}，"
        f"删除 {len(report.removed)}，未变 {len(report.unchanged)}；{report.seconds:.1f} 秒）",
        flush=True,
    )

    import uvicorn

    from assistant.chain import build_assistant
    from assistant.web.api import warm_up
    from assistant.web.ui import create_server

    print("加载模型……", flush=True)
    try:
        bot = build_assistant(settings)
        print(f"模型就绪（{warm_up(bot):.1f} 秒）", flush=True)
    except (EmbedderError, IndexUnavailableError) as exc:
        print(f"无法启动：{user_message_for(exc)}", file=sys.stderr)
        return 1
    from assistant.sync.schedule import start_scheduler

    start_scheduler(settings, bot)  # only with ASSISTANT_SYNC_INTERVAL_HOURS set
    server = create_server(bot, settings, port=args.port)
    print(f"打开 http://{args.host}:{args.port} 使用助手；OpenAI 兼容接口：http://{args.host}:{args.port}/v1")
    uvicorn.run(server, host=args.host, port=args.port, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

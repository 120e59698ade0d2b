"""Start the assistant's web interface: `python app.py [--host H] [--port P]`.

Builds the index first when it is missing or stale, then serves a Gradio chat bound to
127.0.0.1 unless told otherwise (ASSISTANT_HOST / ASSISTANT_PORT or the flags).
"""

from __future__ import annotations

import argparse
import html
import logging
from collections.abc import Iterator

import assistant  # noqa: F401  (sets the offline environment before the UI libraries load)
from assistant.chain import AskResult, build_assistant
from assistant.index import KnowledgeIndex
from assistant.settings import get_settings

log = logging.getLogger("assistant.app")

EXAMPLES = [
    "罗湖区要新增多少公办义务教育学位？",
    "“十四五”期间新增多少幼儿园？",
    "劳动教育每周至少几课时？",
    "娃作业太多了怎么办？",
    "超班额什么时候消除？",
]


def _citations_markdown(result: AskResult) -> str:
    if not result.citations:
        return ""
    lines = ["", "<details><summary>出处</summary>", ""]
    for c in result.citations:
        quote = html.escape(c.quote or c.text[:80])
        lines.append(f"**[{c.number}] {html.escape(c.label)}**  \n> {quote}")
    lines.append("</details>")
    return "\n".join(lines)


def main() -> None:
    settings = get_settings()
    parser = argparse.ArgumentParser(description="罗湖区基础教育政策助手")
    parser.add_argument("--host", default=settings.host)
    parser.add_argument("--port", type=int, default=settings.port)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    report = KnowledgeIndex(settings).ingest()  # incremental: a no-op when nothing changed
    log.info("index ready: %d chunks (%.1fs)", report.chunks, report.seconds)
    bot = build_assistant(settings)

    import gradio as gr

    def respond(message: str, history: list[dict[str, str]]) -> Iterator[str]:
        turns: list[tuple[str, str]] = []
        pending = ""
        for item in history:
            if item.get("role") == "user":
                pending = str(item.get("content", ""))
            elif pending:
                turns.append((pending, str(item.get("content", "")).split("<details>")[0].strip()))
                pending = ""
        if not message.strip():
            yield "请输入您的问题。"
            return
        if len(message) > settings.max_question_chars:
            yield f"问题太长了（超过 {settings.max_question_chars} 字），请精简后再问。"
            return
        text = ""
        for piece in bot.stream(message, turns):
            if isinstance(piece, AskResult):
                yield html.escape(piece.answer) + _citations_markdown(piece)
            else:
                text += piece
                yield html.escape(text)

    demo = gr.ChatInterface(
        respond,
        title="罗湖区基础教育政策助手",
        description="依据《罗湖区基础教育高质量发展行动方案》及相关政策文件回答问题，并注明出处。",
        examples=EXAMPLES,
        api_name="chat",
    )
    demo.queue().launch(server_name=args.host, server_port=args.port)


if __name__ == "__main__":
    main()

"""Measure the served app on loopback: first-page load and time to the first streamed token.

    .venv/bin/python scripts/measure_ui.py [--runs 3] [--question "…"]

Uses the configured settings (ASSISTANT_DATA_DIR etc.), brings the index up to date like
app.py (including its model warm-up), serves the app on a free loopback port in this
process, then prints:
- GET / until the body is complete, and / plus /config plus every script and stylesheet
  the page links (what a browser must fetch before it can render);
- with /usr/bin/chromium and playwright present, a real browser's `load` event and the
  moment the question box is visible;
- POST /v1/chat/completions with stream=true: time to the first content token and to the
  end, for the first question after start-up and for repeats.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urljoin

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import assistant  # noqa: F401  (offline environment first)

QUESTIONS = [
    "罗湖区要新增多少公办义务教育学位？",
    "劳动教育每周至少安排几课时？",
    "什么时候基本消除超班额、超规模办学？",
]
_ASSET = re.compile(r"""<(?:script[^>]+src|link[^>]+href)=["']([^"']+\.(?:js|css))["']""")


def _page_load(url: str) -> tuple[float, float, int]:
    import httpx

    with httpx.Client(timeout=60) as http:
        started = time.perf_counter()
        page = http.get(url + "/")
        page.raise_for_status()
        html_seconds = time.perf_counter() - started
        assets = sorted(set(_ASSET.findall(page.text)))
        http.get(url + "/config").raise_for_status()
        for asset in assets:
            http.get(urljoin(url + "/", asset)).raise_for_status()
        return html_seconds, time.perf_counter() - started, len(assets)


def _browser_load(url: str) -> tuple[float, float] | None:
    if not Path("/usr/bin/chromium").exists():
        return None
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return None
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]
    args += ["--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page(locale="zh-CN")
        started = time.perf_counter()
        page.goto(url, wait_until="load")
        loaded = time.perf_counter() - started
        page.wait_for_selector("#question textarea", timeout=60_000)
        ready = time.perf_counter() - started
        browser.close()
    return loaded, ready


def _first_token(url: str, question: str) -> tuple[float, float]:
    import httpx

    body = {"model": "luohu-assistant", "stream": True, "messages": [{"role": "user", "content": question}]}
    started = time.perf_counter()
    first = None
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=600) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            has_text = '"content": "' in line and '"content": ""' not in line
            if first is None and line.startswith("data: {") and has_text:
                first = time.perf_counter() - started
    total = time.perf_counter() - started
    return first if first is not None else total, total


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3, help="warm repeats per measurement")
    parser.add_argument("--question", action="append", help="question(s) for the streaming test")
    args = parser.parse_args()

    from assistant.chain import build_assistant
    from assistant.index import KnowledgeIndex
    from assistant.settings import get_settings
    from assistant.web.api import warm_up
    from assistant.web.ui import create_server
    from tests.serving import free_port, serve_in_thread

    settings = get_settings()
    started = time.perf_counter()
    report = KnowledgeIndex(settings).ingest()
    print(f"index: {report.chunks} chunks, up to date in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    bot = build_assistant(settings)
    built = time.perf_counter() - started
    print(f"assistant built in {built:.1f} s; warm-up as in app.py: {warm_up(bot):.1f} s")
    started = time.perf_counter()
    port = free_port()
    server = serve_in_thread(create_server(bot, settings, port=port), "127.0.0.1", port)
    print(f"app built and serving on {server.url} in {time.perf_counter() - started:.1f} s")
    try:
        loads = [_page_load(server.url) for _ in range(max(1, args.runs))]
        html_times = [x[0] for x in loads]
        full_times = [x[1] for x in loads]
        print(
            f"first page, GET / complete: first {html_times[0] * 1000:.0f} ms, "
            f"median {statistics.median(html_times) * 1000:.0f} ms"
        )
        print(
            f"first page, GET / + /config + {loads[0][2]} scripts/stylesheets: "
            f"first {full_times[0] * 1000:.0f} ms, "
            f"median {statistics.median(full_times) * 1000:.0f} ms"
        )
        browser = _browser_load(server.url)
        if browser:
            print(
                f"chromium: load event {browser[0] * 1000:.0f} ms, "
                f"question box visible {browser[1] * 1000:.0f} ms"
            )
        else:
            print("chromium: not measured (/usr/bin/chromium or playwright missing)")

        questions = args.question or QUESTIONS
        cold_first, cold_total = _first_token(server.url, questions[0])
        print(
            f"stream, first question after start: first token {cold_first:.2f} s, complete {cold_total:.2f} s"
        )
        warm = [_first_token(server.url, q) for _ in range(max(1, args.runs)) for q in questions]
        firsts = [w[0] for w in warm]
        totals = [w[1] for w in warm]
        print(
            f"stream, warm ({len(warm)} requests): first token median {statistics.median(firsts):.2f} s "
            f"(min {min(firsts):.2f}, max {max(firsts):.2f}); "
            f"complete median {statistics.median(totals):.2f} s"
        )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

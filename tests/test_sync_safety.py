"""What the sync refuses to fetch, and the bounds it keeps (a loopback server only)."""

from __future__ import annotations

import http.server
import itertools
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from assistant.settings import Settings
from assistant.sync.fetch import BudgetExhausted, Fetcher, FetchRefused
from assistant.sync.state import SourceError, add_sources

PAGE = "<html><head><meta charset='utf-8'></head><body><p>关于做好招生入学工作的通知</p></body></html>"


@contextmanager
def server(routes: dict[str, tuple[int, dict[str, str], bytes]]) -> Iterator[tuple[str, list[float]]]:
    """Serve fixed responses on 127.0.0.1; yields the base URL and request times."""
    times: list[float] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            times.append(time.monotonic())
            status, headers, body = routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", times
    finally:
        httpd.shutdown()
        httpd.server_close()


def _settings(tmp_path: Path, **overrides: object) -> Settings:
    fields: dict[str, object] = {
        "data_dir": tmp_path / "data",
        "sync_allow_private": True,
        "sync_delay_seconds": 0.0,
        "sync_timeout_seconds": 2.0,
    }
    return Settings(**(fields | overrides))  # type: ignore[arg-type]


HTML = {"Content-Type": "text/html; charset=utf-8"}


def test_loopback_is_refused_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ASSISTANT_SYNC_ALLOW_PRIVATE", raising=False)
    with server({"/a.html": (200, HTML, PAGE.encode())}) as (base, times):
        refusing = Fetcher(_settings(tmp_path, sync_allow_private=False), {"127.0.0.1"})
        with pytest.raises(FetchRefused) as refused:
            refusing.get(base + "/a.html")
        assert "内网或本机" in refused.value.reason
        assert times == []  # nothing was sent
        monkeypatch.setenv("ASSISTANT_SYNC_ALLOW_PRIVATE", "1")
        allowed = Fetcher(Settings(data_dir=tmp_path / "data", sync_delay_seconds=0.0), {"127.0.0.1"})
        assert allowed.get(base + "/a.html").ok


def test_only_http_urls_of_listed_hosts(tmp_path: Path) -> None:
    fetcher = Fetcher(_settings(tmp_path), {"127.0.0.1"})
    with pytest.raises(FetchRefused, match="scheme"):
        fetcher.get("file:///etc/passwd")
    with pytest.raises(FetchRefused, match="not a listed source"):
        fetcher.get("http://localhost/x.html")
    with pytest.raises(SourceError) as bad:
        add_sources(_settings(tmp_path), ["file:///etc/"])
    assert "不是有效的网址" in bad.value.user_message
    assert fetcher.requests == 0


def test_redirects_stay_on_the_same_host(tmp_path: Path) -> None:
    routes = {
        "/away": (302, {"Location": "http://example.com/x"}, b""),
        "/file": (302, {"Location": "file:///etc/passwd"}, b""),
        "/moved": (301, {"Location": "/a.html"}, b""),
        "/a.html": (200, HTML, PAGE.encode()),
    }
    with server(routes) as (base, times):
        fetcher = Fetcher(_settings(tmp_path), {"127.0.0.1"})
        away = fetcher.get(base + "/away")
        assert not away.ok and "重定向到其他网站" in away.error
        to_file = fetcher.get(base + "/file")
        assert not to_file.ok and "非 http" in to_file.error
        moved = fetcher.get(base + "/moved")
        assert moved.ok and moved.url.endswith("/a.html") and "招生" in moved.body.decode()
        assert len(times) == 5  # robots.txt, /away, /file, /moved, /a.html: example.com never


def test_size_and_type_are_checked_before_parsing(tmp_path: Path) -> None:
    big = b"%PDF-1.4 " + b"0" * (1024 * 1024 + 10)
    routes = {
        "/big.pdf": (200, {"Content-Type": "application/pdf"}, big),
        "/page.pdf": (200, HTML, PAGE.encode()),
    }
    with server(routes) as (base, _times):
        fetcher = Fetcher(_settings(tmp_path, sync_max_file_mb=1), {"127.0.0.1"})
        too_big = fetcher.get(base + "/big.pdf", accept=("application/pdf",))
        assert not too_big.ok and "过大" in too_big.error and too_big.body == b""
        wrong = fetcher.get(base + "/page.pdf", accept=("application/pdf",))
        assert not wrong.ok and "内容类型" in wrong.error


def test_robots_txt_is_obeyed(tmp_path: Path) -> None:
    routes = {
        "/robots.txt": (200, {"Content-Type": "text/plain"}, b"User-agent: *\nDisallow: /private/\n"),
        "/private/a.html": (200, HTML, PAGE.encode()),
    }
    with server(routes) as (base, times):
        fetcher = Fetcher(_settings(tmp_path), {"127.0.0.1"})
        with pytest.raises(FetchRefused) as refused:
            fetcher.get(base + "/private/a.html")
        assert "robots.txt" in refused.value.reason
        assert len(times) == 1  # robots.txt only


def test_one_request_at_a_time_with_the_delay_and_a_request_budget(tmp_path: Path) -> None:
    routes = {f"/{i}.html": (200, HTML, PAGE.encode()) for i in range(5)}
    with server(routes) as (base, times):
        fetcher = Fetcher(_settings(tmp_path, sync_delay_seconds=0.2, sync_max_pages=4), {"127.0.0.1"})
        for i in range(3):
            assert fetcher.get(f"{base}/{i}.html").ok
        with pytest.raises(BudgetExhausted):
            fetcher.get(f"{base}/3.html")
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert len(times) == 4 and min(gaps) >= 0.19  # robots.txt + 3 pages, 0.2 s apart


def test_conditional_request_headers_are_sent(tmp_path: Path) -> None:
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(PAGE.encode())))
            self.end_headers()
            self.wfile.write(PAGE.encode())

        def log_message(self, format: str, *args: object) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{httpd.server_address[1]}/n.html"
        fetcher = Fetcher(_settings(tmp_path), {"127.0.0.1"})
        first = fetcher.get(url)
        assert first.ok and first.etag == '"v1"'
        again = fetcher.get(url, etag=first.etag)
        assert again.not_modified and again.body == b""
    finally:
        httpd.shutdown()
        httpd.server_close()

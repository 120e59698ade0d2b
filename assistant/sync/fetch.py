"""One polite, bounded HTTP client for the website sync.

Only http(s) URLs of the listed hosts are fetched; a redirect is followed only to the same
host; loopback, private and link-local addresses are refused unless the settings allow
them; robots.txt is obeyed; one request at a time with a pause between requests; every
response is checked for its size and content type before anything parses it.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
import time
import urllib.robotparser
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

import httpx

from assistant.settings import Settings

log = logging.getLogger(__name__)

USER_AGENT = "luohu-assistant-sync/1.0 (+policy assistant; polite crawler)"
MAX_REDIRECTS = 5
_CHUNK = 64 * 1024


class FetchRefused(Exception):
    """A URL the sync must not fetch; `reason` is Chinese for the report."""

    def __init__(self, log_message: str, reason: str) -> None:
        super().__init__(log_message)
        self.reason = reason


class BudgetExhausted(Exception):
    """The run's limit of requests or time is reached."""


@dataclass
class Response:
    url: str
    status: int  # 0 when no response came (timeout, connection error)
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""
    error: str = ""  # Chinese reason when status is not 200/304
    location: str = ""  # a redirect's target

    @property
    def ok(self) -> bool:
        return self.status == 200 and not self.error

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _address_allowed(host: str, allow_private: bool) -> None:
    """Refuse hosts that resolve to loopback, private, link-local or reserved addresses."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise FetchRefused(f"cannot resolve {host}: {exc}", f"无法解析域名 {host}") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        internal = (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_reserved
            or address.is_multicast
            or address.is_unspecified
        )
        if internal and not allow_private:
            raise FetchRefused(
                f"{host} resolves to internal address {address}",
                f"{host} 指向内网或本机地址，出于安全原因未访问",
            )


@dataclass
class Fetcher:
    """Fetches within the run's bounds; `requests` counts what was sent."""

    settings: Settings
    allowed_hosts: set[str]
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    _last: float = 0.0
    _robots: dict[str, urllib.robotparser.RobotFileParser | None] = field(default_factory=dict)
    _client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        if self._client is None:
            self._client = httpx.Client(
                follow_redirects=False,
                timeout=httpx.Timeout(self.settings.sync_timeout_seconds),
                headers={"User-Agent": USER_AGENT},
                trust_env=False,  # no proxy from the environment: the listed host only
            )
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()

    def check_url(self, url: str) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchRefused(
                f"scheme {parts.scheme!r} refused: {url}", f"只抓取 http/https 网址（{parts.scheme}:）"
            )
        host = host_of(url)
        if host not in self.allowed_hosts:
            raise FetchRefused(f"host {host} is not a listed source: {url}", f"{host} 不在同步网站列表中")
        _address_allowed(host, self.settings.sync_allow_private)

    def _budget(self) -> None:
        if self.requests >= self.settings.sync_max_pages:
            raise BudgetExhausted(f"request limit {self.settings.sync_max_pages} reached")
        if time.monotonic() - self.started > self.settings.sync_max_run_seconds:
            raise BudgetExhausted(f"time limit {self.settings.sync_max_run_seconds:.0f} s reached")

    def _pause(self) -> None:
        wait = self._last + self.settings.sync_delay_seconds - time.monotonic()
        if wait > 0:
            time.sleep(wait)

    def allowed_by_robots(self, url: str) -> bool:
        parts = urlsplit(url)
        root = f"{parts.scheme}://{parts.netloc}"
        if root not in self._robots:
            parser: urllib.robotparser.RobotFileParser | None = urllib.robotparser.RobotFileParser()
            got = self._get(urljoin(root, "/robots.txt"), {}, robots=True)
            if got.status == 200:
                parser.parse(got.body.decode("utf-8", "replace").splitlines())  # type: ignore[union-attr]
            elif got.status in (401, 403):
                parser.disallow_all = True  # type: ignore[union-attr]
            else:
                parser = None  # no robots.txt (404, error): everything is allowed
            self._robots[root] = parser
        parser = self._robots[root]
        return parser is None or parser.can_fetch(USER_AGENT, url)

    def get(
        self, url: str, etag: str = "", last_modified: str = "", accept: tuple[str, ...] = ()
    ) -> Response:
        """GET with conditional headers; raises FetchRefused for URLs that must not be
        fetched and BudgetExhausted at the run's limits; other failures are a Response
        with status 0 or the HTTP status and a Chinese `error`."""
        self.check_url(url)
        if not self.allowed_by_robots(url):
            raise FetchRefused(f"robots.txt disallows {url}", "网站的 robots.txt 不允许抓取")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        response = self._get(url, headers)
        if response.ok and accept and not _type_accepted(response.content_type, accept):
            response.error = f"内容类型 {response.content_type or '未知'} 不符合预期"
        return response

    def _get(self, url: str, headers: dict[str, str], robots: bool = False) -> Response:
        for _ in range(MAX_REDIRECTS + 1):
            self.check_url(url)
            self._budget()
            self._pause()
            self.requests += 1
            try:
                response = self._stream(url, headers)
            finally:
                self._last = time.monotonic()
            if response.location:
                target = urljoin(url, response.location)
                if urlsplit(target).scheme not in ("http", "https"):
                    return Response(url, response.status, error="重定向到非 http 网址，未跟随")
                if host_of(target) != host_of(url):
                    return Response(
                        url, response.status, error=f"重定向到其他网站（{host_of(target)}），未跟随"
                    )
                url = target
                continue
            return response
        return Response(url, 0, error="重定向次数过多")

    def _stream(self, url: str, headers: dict[str, str]) -> Response:
        limit = self.settings.sync_max_file_mb * 1024 * 1024
        try:
            with self.client.stream("GET", url, headers=headers) as r:
                if r.is_redirect:
                    return Response(
                        url, r.status_code, location=r.headers.get("location", ""), error="重定向"
                    )
                common = {
                    "content_type": r.headers.get("content-type", "").split(";")[0].strip().lower(),
                    "etag": r.headers.get("etag", ""),
                    "last_modified": r.headers.get("last-modified", ""),
                }
                if r.status_code == 304:
                    return Response(url, 304, **common)
                if r.status_code != 200:
                    return Response(url, r.status_code, error=_status_reason(r.status_code), **common)
                declared = r.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > limit:
                    return Response(url, 200, error=f"文件过大（{int(declared) // 1024} KB）", **common)
                body = bytearray()
                for piece in r.iter_bytes(_CHUNK):
                    body += piece
                    if len(body) > limit:
                        return Response(
                            url, 200, error=f"文件超过 {self.settings.sync_max_file_mb} MB 上限", **common
                        )
                return Response(url, 200, body=bytes(body), **common)
        except httpx.TimeoutException as exc:
            log.warning("timeout fetching %s: %s", url, exc)
            return Response(url, 0, error=f"请求超时（{self.settings.sync_timeout_seconds:.0f} 秒）")
        except httpx.HTTPError as exc:
            log.warning("error fetching %s: %r", url, exc)
            return Response(url, 0, error=f"连接失败（{type(exc).__name__}）")


def _status_reason(status: int) -> str:
    if status in (404, 410):
        return f"网页不存在（{status}）"
    if status >= 500:
        return f"网站服务器错误（{status}）"
    return f"网站返回错误（{status}）"


def _type_accepted(content_type: str, accept: tuple[str, ...]) -> bool:
    return not content_type or any(content_type.startswith(a) for a in accept)

"""What the links of a column's pages are: notices, further list pages, attachments.

A column (通知公告, 政策文件 …) is a list page whose items link to notice pages under the
column's own path; its further pages are links named like list pages or labelled 下一页 /
a page number; a notice links its attachments by file type. Links are resolved with the
standard library and normalised with courlan; other hosts are never followed.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit

from bs4 import BeautifulSoup
from courlan import normalize_url

from assistant.documents.encoding import decode_bytes
from assistant.grammar.dates import parse_dates

DATA_FILE = Path(__file__).parent / "data" / "sync.toml"
_PAGE_SUFFIXES = ("", ".htm", ".html", ".shtml", ".jsp", ".php", ".asp", ".aspx")


@lru_cache(maxsize=1)
def rules() -> dict[str, Any]:
    with DATA_FILE.open("rb") as fh:
        return tomllib.load(fh)


@dataclass(frozen=True)
class Link:
    url: str
    text: str
    date: str = ""  # the date printed beside a list item (the document's own date, usually)


@dataclass(frozen=True)
class ListPage:
    items: list[Link]
    pages: list[str]  # further list pages of the same column


def canonical(url: str) -> str:
    """Absolute, normalised, without fragment."""
    url = urldefrag(url)[0]
    try:
        return normalize_url(url, strict=False)
    except ValueError:
        return url


def resolve(base: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.startswith(("javascript:", "mailto:", "tel:", "#")):
        return None
    url = urljoin(base, href)
    if urlsplit(url).scheme not in ("http", "https"):
        return None
    return canonical(url)


def suffix_of(url: str) -> str:
    name = urlsplit(url).path.rsplit("/", 1)[-1]
    return ("." + name.rsplit(".", 1)[-1].lower()) if "." in name else ""


def column_prefix(source: str) -> str:
    """The path a column's notices live under: the list page's folder."""
    path = urlsplit(source).path or "/"
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def _soup(body: bytes, content_type: str = "") -> BeautifulSoup:
    text, _encoding = _decode(body)
    return BeautifulSoup(text, "html.parser")


def _decode(body: bytes) -> tuple[str, str]:
    declared = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", body[:4096], re.I)
    if declared:
        name = declared.group(1).decode("ascii").lower()
        name = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030"}.get(name, name)
        try:
            return body.decode(name), name
        except (LookupError, UnicodeDecodeError):
            pass
    decoded = decode_bytes(body)
    return decoded.text, decoded.encoding


def _row_date(anchor: Any) -> str:
    """The date printed in the list row of a link (its table row or list item)."""
    row = anchor.find_parent(["tr", "li", "dd", "p"]) or anchor.parent
    text = re.sub(r"\s+", "", row.get_text(" ")) if row is not None else ""
    dates = [iso for iso, _s, _e in parse_dates(text) if len(iso) == 10]
    return dates[-1] if dates else ""


def parse_list(body: bytes, url: str, source: str) -> ListPage:
    """Notice links (under the column's path, on the same host) and further list pages."""
    cfg = rules()["links"]
    soup = _soup(body)
    host = urlsplit(source).netloc
    prefix = column_prefix(source)
    name_rx = re.compile(cfg["pagination_name"])
    text_rx = re.compile(cfg["pagination_text"])
    items: dict[str, Link] = {}
    pages: list[str] = []
    for anchor in soup.find_all("a", href=True):
        target = resolve(url, str(anchor["href"]))
        if not target or urlsplit(target).netloc != host:
            continue
        path = urlsplit(target).path
        text = re.sub(r"\s+", " ", anchor.get_text(" ")).strip()
        if not path.startswith(prefix) or target == canonical(url):
            continue
        if name_rx.search(target) or (text_rx.match(text) and suffix_of(target) in _PAGE_SUFFIXES):
            if target not in pages and target != canonical(source):
                pages.append(target)
            continue
        if target.rstrip("/") + "/" == prefix or path == prefix:
            continue
        if target not in items and text:
            items[target] = Link(target, text, _row_date(anchor))
    return ListPage(items=list(items.values()), pages=pages)


def parse_attachments(body: bytes, url: str) -> list[Link]:
    """Links of a notice page to files on the same host (by file type)."""
    cfg = rules()["links"]
    suffixes = tuple(cfg["attachment_suffixes"])
    soup = _soup(body)
    host = urlsplit(url).netloc
    found: dict[str, Link] = {}
    for anchor in soup.find_all("a", href=True):
        target = resolve(url, str(anchor["href"]))
        if not target or urlsplit(target).netloc != host or suffix_of(target) not in suffixes:
            continue
        text = re.sub(r"\s+", " ", anchor.get_text(" ")).strip()
        found.setdefault(target, Link(target, text))
    return list(found.values())

"""One sync run: crawl every source column, write what changed into the synced folder,
ingest through the same document path and atomic switch, and write the run's report.

A page or file that fails (error status, timeout, wrong type, too big, unreadable) changes
nothing already indexed: its previous file and metadata stay. An unchanged page costs one
conditional request, and nothing is re-embedded (its bytes, so its content hash, are the
same). A page that is gone (404/410) stays indexed, marked 已从网站撤下 with the date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from assistant.documents.errors import DocumentError
from assistant.documents.loaders import SUPPORTED_SUFFIXES, load_bytes
from assistant.documents.metadata import detect_metadata
from assistant.settings import Settings
from assistant.sync import state as st
from assistant.sync.catalog import knowledge_metas
from assistant.sync.fetch import BudgetExhausted, Fetcher, FetchRefused, Response, host_of
from assistant.sync.links import Link, canonical, parse_attachments, parse_list, rules, suffix_of
from assistant.sync.supersede import squeeze

log = logging.getLogger(__name__)

# One run at a time per process (the scheduler, the admin button and the CLI share it).
RUN_LOCK = threading.Lock()
_CJK = re.compile(r"[\u4e00-\u9fff]")
FAILED_SHOWN = 5  # failures of one reason listed one by one in the text report
_TYPE_SUFFIX = {"application/pdf": ".pdf", "text/html": ".html", "text/plain": ".txt"}
_TYPE_SUFFIX["application/vnd.openxmlformats-officedocument.wordprocessingml.document"] = ".docx"


@dataclass
class Outcomes:
    new: list[dict[str, str]] = field(default_factory=list)
    changed: list[dict[str, str]] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    removed: list[dict[str, str]] = field(default_factory=list)
    duplicates: list[dict[str, str]] = field(default_factory=list)
    skipped: list[dict[str, str]] = field(default_factory=list)


def doc_id_for_url(url: str) -> str:
    name = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    slug = re.sub(r"[^a-zA-Z0-9_-]+", "-", name).strip("-").lower()[:40] or "page"
    return f"web-{slug}-{hashlib.sha1(url.encode()).hexdigest()[:6]}"


class SyncRun:
    def __init__(self, settings: Settings, sources: list[str], fetcher: Fetcher | None = None) -> None:
        self.settings = settings
        self.sources = sources
        self.fetcher = fetcher or Fetcher(settings, {host_of(u) for u in sources})
        self.urls = st.load_state(settings)
        self.out = Outcomes()
        self.today = dt.date.today().isoformat()
        self.stopped = ""  # why the run stopped early (limits)
        self._texts: dict[str, str] = {}  # loaded text of pages fetched this run

    # --- crawling
    def crawl(self) -> None:
        try:
            for source in self.sources:
                items = self._list_items(source)
                seen = {item.url for item in items}
                # Pages synced before but no longer listed are checked too: gone, or kept.
                earlier = [
                    Link(url, e.get("meta", {}).get("title", ""), e.get("list_date", ""))
                    for url, e in self.urls.items()
                    if e.get("source") == source and e.get("kind") == "page" and url not in seen
                ]
                for item in [*items, *earlier]:
                    self._page(item, source)
        except BudgetExhausted as exc:
            log.warning("sync stopped: %s", exc)
            self.stopped = "已达到本次同步的请求数或时间上限，其余网页留待下次同步。"

    def _list_items(self, source: str) -> list[Link]:
        queue, done, items = [canonical(source)], set(), {}
        while queue:
            url = queue.pop(0)
            if url in done:
                continue
            done.add(url)
            entry = self.urls.setdefault(url, {"kind": "list", "source": source})
            got = self._fetch(url, entry, rules()["links"]["page_types"])
            if got is None or got.not_modified:
                cached = entry.get("items", [])
                queue.extend(p for p in entry.get("pages", []) if p not in done)
            else:
                page = parse_list(got.body, url, source)
                cached = [[i.url, i.text, i.date] for i in page.items]
                entry.update(items=cached, pages=page.pages, status="ok", error="")
                self._remember(entry, got)
                queue.extend(p for p in page.pages if p not in done)
            for u, text, date in cached:
                items.setdefault(u, Link(u, text, date))
        return list(items.values())

    def _fetch(self, url: str, entry: dict[str, Any], accept: list[str]) -> Response | None:
        """A conditional GET; None (and a report line) when it failed or was refused."""
        try:
            got = self.fetcher.get(url, entry.get("etag", ""), entry.get("last_modified", ""), tuple(accept))
        except FetchRefused as exc:
            self.out.skipped.append({"url": url, "reason": exc.reason})
            return None
        if got.not_modified:
            self.out.unchanged.append(url)
            return got
        if got.ok:
            return got
        if got.status in (404, 410) and entry.get("file"):
            if not entry.get("removed_at"):
                entry["removed_at"] = self.today
                self.out.removed.append({"url": url, "title": entry.get("meta", {}).get("title", "")})
            else:
                self.out.unchanged.append(url)
            return None
        self.out.failed.append({"url": url, "reason": got.error or f"HTTP {got.status}"})
        entry["error"] = got.error
        return None

    @staticmethod
    def _remember(entry: dict[str, Any], got: Response) -> None:
        entry["etag"], entry["last_modified"] = got.etag, got.last_modified

    def _page(self, item: Link, source: str) -> None:
        entry = self.urls.setdefault(item.url, {"kind": "page", "source": source})
        entry.update(
            kind="page", source=source, list_text=item.text, list_date=item.date or entry.get("list_date", "")
        )
        got = self._fetch(item.url, entry, rules()["links"]["page_types"])
        if got is None:
            return
        if got.ok and self._store(item.url, entry, got, parent=None):
            body = got.body
        elif entry.get("file") and (self.settings.synced_dir / entry["file"]).is_file():
            body = (self.settings.synced_dir / entry["file"]).read_bytes()
        else:
            return
        notice = entry.get("meta", {})
        attachments = parse_attachments(body, item.url)
        entry["attachments"] = [a.url for a in attachments]
        for link in attachments:
            self._attachment(link, item.url, notice, source)

    def _attachment(self, link: Link, parent: str, notice: dict[str, str], source: str) -> None:
        suffix = suffix_of(link.url)
        if suffix not in SUPPORTED_SUFFIXES:
            self.out.skipped.append({"url": link.url, "reason": f"附件类型 {suffix} 暂不能读取"})
            return
        entry = self.urls.setdefault(link.url, {"kind": "attachment", "source": source})
        entry.update(parent=parent, list_text=link.text)
        allowed = rules()["links"]["binary_types"] + [
            t for t, s in _TYPE_SUFFIX.items() if s == suffix or (suffix == ".htm" and s == ".html")
        ]
        got = self._fetch(link.url, entry, allowed)
        if got is not None and got.ok:
            self._store(link.url, entry, got, parent=notice)

    # --- one fetched body
    def _store(self, url: str, entry: dict[str, Any], got: Response, parent: dict[str, str] | None) -> bool:
        """Check, detect and write one fetched document; False when it is not usable."""
        digest = hashlib.sha256(got.body).hexdigest()
        self._remember(entry, got)
        if digest == entry.get("sha256") and entry.get("file"):
            entry.pop("removed_at", None)
            self.out.unchanged.append(url)
            return False
        suffix = suffix_of(url)
        if suffix not in SUPPORTED_SUFFIXES or suffix == ".shtml":
            # A page is stored as .html whatever its URL ends with, so a page synced before
            # keeps its one file.
            suffix = _TYPE_SUFFIX.get(got.content_type, ".html")
        doc_id = entry.get("doc_id") or doc_id_for_url(url)
        name = f"{doc_id}{suffix}"
        try:
            loaded = load_bytes(got.body, name)  # type and content checked before anything is written
        except DocumentError as exc:
            self.out.failed.append({"url": url, "reason": exc.user_message})
            return False
        if entry.get("file") and len(_CJK.findall(loaded.text)) < rules()["pages"]["min_chinese_chars"]:
            self.out.failed.append({"url": url, "reason": "网页内容像是错误页，保留上次收录的版本"})
            return False
        meta = self._metadata(loaded.text, loaded.title, entry, parent)
        duplicate = self._duplicate_of(url, meta["title"], loaded.text)
        if duplicate:
            entry.update(status="duplicate", duplicate_of=duplicate, sha256=digest)
            self.out.duplicates.append({"url": url, "of": duplicate, "title": meta["title"]})
            return False
        st.write_atomic(self.settings.synced_dir / name, got.body)
        known = bool(entry.get("file"))
        entry.update(
            doc_id=doc_id, file=name, sha256=digest, meta=meta, fetched=self.today, status="ok", error=""
        )
        entry.pop("removed_at", None)
        self._texts[url] = loaded.text
        (self.out.changed if known else self.out.new).append({"url": url, "title": meta["title"]})
        return True

    def _metadata(
        self, text: str, html_title: str, entry: dict[str, Any], parent: dict[str, str] | None
    ) -> dict[str, str]:
        found = detect_metadata(text, html_title=html_title)
        link_text = re.sub(r"\.[A-Za-z0-9]{2,5}$", "", entry.get("list_text", "")).strip()
        title = found.title
        if not title and parent is not None:
            # An attachment without a title of its own is named after its notice.
            title = (
                f"{parent.get('title', '')}（附件：{link_text}）" if link_text else parent.get("title", "")
            )
        title = title or link_text.rstrip(".…") or entry.get("doc_id", "")
        date = found.date
        listed = entry.get("list_date", "")
        if listed and (not date or listed < date):
            date = listed  # the list's date is the 成文 date; a page's own may be its posting date
        inherit = parent or {}
        meta = {
            "title": title,
            "short_title": title,
            "issuer": found.issuer or inherit.get("issuer", ""),
            "date": date or inherit.get("date", ""),
            "doc_number": found.doc_number or inherit.get("doc_number", ""),
            "valid_until": found.valid_until,
            "status": found.status,
            "status_reason": found.status_reason,
            "kind": "attachment" if parent is not None else "web",
            "source": host_of(entry.get("source", "")),
        }
        return meta

    def _duplicate_of(self, url: str, title: str, text: str) -> str:
        """An earlier-synced URL carrying the same notice (same title, same lines)."""
        lines = {squeeze(line) for line in text.split("\n") if squeeze(line)}
        for other, entry in self.urls.items():
            if (
                other == url
                or entry.get("status") == "duplicate"
                or entry.get("meta", {}).get("title") != title
            ):
                continue
            other_text = self._texts.get(other)
            if other_text is None:
                path = self.settings.synced_dir / entry.get("file", "")
                if not entry.get("file") or not path.is_file():
                    continue
                try:
                    other_text = load_bytes(path.read_bytes(), path.name).text
                except DocumentError:
                    continue
            others = {squeeze(line) for line in other_text.split("\n") if squeeze(line)}
            overlap = len(lines & others) / max(1, len(lines | others))
            if overlap >= rules()["pages"]["duplicate_overlap"]:
                return other
        return ""


def run_sync(settings: Settings, add: list[str] | None = None, *, index: Any) -> dict[str, Any]:
    """Sync every source (after adding `add`), ingest into `index` (the caller's
    KnowledgeIndex: sync sits below the index and never opens one), and return the saved
    report."""
    with RUN_LOCK:
        started = time.time()
        sources = st.add_sources(settings, add or []) if add else st.read_sources(settings)
        run = SyncRun(settings, sources)
        try:
            run.crawl()
        finally:
            run.fetcher.close()
            # What was fetched is kept even if the crawl broke off: the next ingest uses it.
            st.save_state(settings, run.urls)
            st.write_manifest(settings, run.urls)
        before = {d.doc_id: d for d in _documents(index)}
        ingest_error = ""
        report_ingest: dict[str, Any] = {}
        try:
            ingest = index.ingest(metas=knowledge_metas(settings))
            report_ingest = {
                "added": ingest.added,
                "updated": ingest.updated,
                "unchanged": len(ingest.unchanged),
                "removed": ingest.removed,
                "failed": ingest.failed,
                "chunks": ingest.chunks,
                "collection": ingest.collection,
            }
        except Exception as exc:  # the previous index keeps answering
            log.exception("ingest after sync failed")
            ingest_error = str(getattr(exc, "user_message", "") or exc)
        after = _documents(index)
        superseded = [
            {"doc_id": d.doc_id, "title": d.title, "reason": d.status_reason, "by": d.superseded_by}
            for d in after
            if d.superseded_by
            and (d.doc_id not in before or before[d.doc_id].superseded_by != d.superseded_by)
        ]
        out = run.out
        report = {
            "started": dt.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
            "seconds": round(time.time() - started, 2),
            "sources": sources,
            "requests": run.fetcher.requests,
            "new": out.new,
            "changed": out.changed,
            "unchanged": len(out.unchanged),
            "failed": out.failed,
            "removed": out.removed,
            "duplicates": out.duplicates,
            "skipped": out.skipped,
            "superseded": superseded,
            "stopped": run.stopped,
            "ingest": report_ingest,
            "ingest_error": ingest_error,
        }
        st.save_report(settings, report)
        return report


def _documents(index: Any) -> list[Any]:
    try:
        return list(index.documents())
    except Exception as exc:
        log.warning("cannot list documents: %s", exc)
        return []


def render_report(report: dict[str, Any]) -> str:
    """The report as Chinese text (CLI and admin section)."""
    lines = [
        f"同步时间 {report['started']}，用时 {report['seconds']} 秒，请求 {report['requests']} 次；"
        f"新增 {len(report['new'])}，更新 {len(report['changed'])}，未变 {report['unchanged']}，"
        f"失败 {len(report['failed'])}，撤下 {len(report['removed'])}，被取代 {len(report['superseded'])}。"
    ]
    for key, label in (("new", "新增"), ("changed", "更新"), ("removed", "已从网站撤下")):
        lines += [f"  {label}：《{x['title']}》 {x['url']}" for x in report[key]]
    by_reason: dict[str, list[str]] = {}
    for x in report["failed"]:
        by_reason.setdefault(x["reason"], []).append(x["url"])
    for reason, urls in by_reason.items():
        if len(urls) <= FAILED_SHOWN:
            lines += [f"  失败：{url}：{reason}" for url in urls]
        else:  # a column linking many pages the site never had: one line, not hundreds
            lines.append(f"  失败：{len(urls)} 个网址{reason}，如 {urls[0]}")
    lines += [f"  重复：{x['url']} 与 {x['of']} 内容相同，未重复收录" for x in report["duplicates"]]
    lines += [f"  跳过：{x['url']}：{x['reason']}" for x in report["skipped"]]
    lines += [f"  被取代：《{x['title']}》：{x['reason']}" for x in report["superseded"]]
    if report.get("stopped"):
        lines.append(f"  {report['stopped']}")
    ingest = report.get("ingest") or {}
    if ingest:
        lines.append(
            f"索引：新增 {len(ingest['added'])}，更新 {len(ingest['updated'])}，未变 {ingest['unchanged']}，"
            f"共 {ingest['chunks']} 段。"
        )
    if report.get("ingest_error"):
        lines.append(f"索引未更新（仍使用上次的索引）：{report['ingest_error']}")
    return "\n".join(lines)

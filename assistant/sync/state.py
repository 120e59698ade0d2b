"""What the sync keeps in the data dir: the sources list, per-URL state, run reports, and
the synced documents' manifest.

- `<data>/sync/sources.txt`: one column URL a line (`#` starts a comment), edited by hand,
  by `python -m assistant sync URL`, or in the admin section;
- `<data>/sync/state.json`: per URL its ETag, Last-Modified, content hash, file, metadata
  and what happened last;
- `<data>/sync/reports/<time>.json` and `last.json`: one report a run;
- `<data>/synced/`: the fetched files and their `manifest.toml` (indexed with knowledge/).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from assistant.settings import Settings

SOURCES_NAME = "sources.txt"
SOURCES_HEADER = (
    "# Website columns to keep in sync (通知公告 / 政策文件 / 信息公开 list pages), one URL a line.\n"
    "# `python -m assistant sync` and the admin section read this file.\n"
)


class SourceError(ValueError):
    """A URL that cannot be a source; `user_message` says why in Chinese."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


def write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".part")
    partial.write_bytes(data)
    os.replace(partial, path)


def read_sources(settings: Settings) -> list[str]:
    path = settings.sync_dir / SOURCES_NAME
    if not path.is_file():
        return []
    lines = (line.split("#", 1)[0].strip() for line in path.read_text(encoding="utf-8").splitlines())
    return list(dict.fromkeys(line for line in lines if line))


def check_source(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise SourceError(
            f"not an http(s) URL: {url!r}", f"“{url}”不是有效的网址（应以 http:// 或 https:// 开头）。"
        )
    return url


def write_sources(settings: Settings, urls: list[str]) -> None:
    body = SOURCES_HEADER + "".join(f"{check_source(u)}\n" for u in dict.fromkeys(urls))
    write_atomic(settings.sync_dir / SOURCES_NAME, body.encode("utf-8"))


def add_sources(settings: Settings, urls: list[str]) -> list[str]:
    """Add URLs to the sources file (kept once); returns the whole list."""
    current = read_sources(settings)
    merged = list(dict.fromkeys([*current, *(check_source(u) for u in urls)]))
    if merged != current or not (settings.sync_dir / SOURCES_NAME).is_file():
        write_sources(settings, merged)
    return merged


def load_state(settings: Settings) -> dict[str, dict[str, Any]]:
    path = settings.sync_dir / "state.json"
    if not path.is_file():
        return {}
    return dict(json.loads(path.read_text(encoding="utf-8")).get("urls", {}))


def save_state(settings: Settings, urls: dict[str, dict[str, Any]]) -> None:
    data = json.dumps({"urls": urls}, ensure_ascii=False, indent=1, sort_keys=True)
    write_atomic(settings.sync_dir / "state.json", data.encode("utf-8"))


def save_report(settings: Settings, report: dict[str, Any]) -> Path:
    folder = settings.sync_dir / "reports"
    data = json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")
    stamp = report["started"].replace(":", "").replace("-", "")
    path = folder / f"{stamp}.json"
    write_atomic(path, data)
    write_atomic(folder / "last.json", data)
    return path


def last_report(settings: Settings) -> dict[str, Any] | None:
    path = settings.sync_dir / "reports" / "last.json"
    if not path.is_file():
        return None
    return dict(json.loads(path.read_text(encoding="utf-8")))


_MANIFEST_FIELDS = ("title", "short_title", "issuer", "date", "status", "kind", "source", "doc_number")
_MANIFEST_FIELDS += ("valid_until", "status_reason", "url", "fetched")


def write_manifest(settings: Settings, urls: dict[str, dict[str, Any]]) -> None:
    """The synced folder's manifest.toml: one entry per fetched document with a file."""
    blocks = [
        "# Documents fetched by the website sync (assistant/sync). Written by each run;\n"
        "# edit the sources list instead of this file.\n"
    ]
    for url, entry in sorted(urls.items(), key=lambda kv: kv[1].get("doc_id", "")):
        meta = entry.get("meta")
        if not entry.get("file") or not meta or entry.get("status") == "duplicate":
            continue
        lines = [
            f"[documents.{json.dumps(entry['doc_id'])}]",
            f"file = {json.dumps(entry['file'], ensure_ascii=False)}",
        ]
        values = dict(meta, url=url, fetched=entry.get("fetched", ""))
        if entry.get("removed_at"):
            values["status"] = "historical"
            values["status_reason"] = f"已从网站撤下（{entry['removed_at']}）"
        for key in _MANIFEST_FIELDS:
            if values.get(key):
                lines.append(f"{key} = {json.dumps(str(values[key]), ensure_ascii=False)}")
        blocks.append("\n".join(lines) + "\n")
    write_atomic(settings.synced_dir / "manifest.toml", "\n".join(blocks).encode("utf-8"))

"""Document metadata from `knowledge/manifest.toml`, with a best guess for files it omits."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from assistant.documents.loaders import SUPPORTED_SUFFIXES

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.toml"
STATUSES = ("current", "historical")


@dataclass(frozen=True)
class DocumentMeta:
    doc_id: str
    path: Path
    title: str
    short_title: str
    issuer: str
    date: str  # ISO date or year, as precise as known
    status: str  # "current" or "historical"
    kind: str = "document"
    source: str = ""
    doc_number: str = ""  # 文号, e.g. 津教委〔2016〕12号
    valid_until: str = ""  # ISO date the document stops being in force, when known
    status_reason: str = ""  # why it is historical, in Chinese ("有效期至2021年，已过期")
    # The fields taken from the document's own text rather than the manifest ("" = none).
    detected: str = ""
    # False for a file without a manifest entry: its metadata is detected from its text.
    in_manifest: bool = True
    # Website documents: the page or file it was fetched from, and when (ISO date).
    url: str = ""
    fetched: str = ""
    # The document that replaced this one (its URL or doc_id), when it is superseded.
    superseded_by: str = ""

    @property
    def year(self) -> str:
        m = re.match(r"\d{4}", self.date)
        return m.group(0) if m else ""


def doc_id_for(path: Path) -> str:
    """A stable, Chroma-safe id from a file name. A name with other than ASCII characters
    ("2016年滨海新区小学招生入学工作方案.docx") keeps its ASCII part as a hint and adds a hash
    of the whole name: two bureau files of one year must not both become "2016"."""
    stem = re.sub(r"[^a-zA-Z0-9._-]+", "-", path.stem).strip("-._").lower()
    if len(stem) >= 3 and path.stem.isascii():
        return stem[:64]
    digest = hashlib.sha1(path.name.encode()).hexdigest()[:10]
    return f"{stem[:40]}-{digest}" if len(stem) >= 3 else f"doc-{digest}"


def _guess(path: Path, doc_id: str) -> DocumentMeta:
    year = re.search(r"(19|20)\d{2}", path.stem)
    return DocumentMeta(
        doc_id=doc_id,
        path=path,
        title=path.stem,
        short_title=path.stem,
        issuer="",
        date=year.group(0) if year else "",
        status="current",
        in_manifest=False,
    )


def read_manifest(knowledge_dir: Path) -> list[DocumentMeta]:
    """All ingestible files in the folder, with manifest metadata where given."""
    manifest_path = knowledge_dir / MANIFEST_NAME
    entries: dict[str, dict[str, str]] = {}
    if manifest_path.is_file():
        with manifest_path.open("rb") as fh:
            entries = tomllib.load(fh).get("documents", {})
    by_file = {entry["file"]: (doc_id, entry) for doc_id, entry in entries.items()}
    metas: list[DocumentMeta] = []
    for path in sorted(knowledge_dir.iterdir()):
        if not path.is_file() or path.suffix.lower() not in SUPPORTED_SUFFIXES:
            continue
        if path.name.startswith("."):  # hidden files, such as the "._通知.doc" a Mac archive adds
            continue
        if path.name in by_file:
            doc_id, entry = by_file[path.name]
            status = entry.get("status", "current")
            if status not in STATUSES:
                raise ValueError(f"{manifest_path}: {doc_id} has status {status!r}")
            metas.append(
                DocumentMeta(
                    doc_id=doc_id,
                    path=path,
                    title=entry.get("title", path.stem),
                    short_title=entry.get("short_title", entry.get("title", path.stem)),
                    issuer=entry.get("issuer", ""),
                    date=str(entry.get("date", "")),
                    status=status,
                    kind=entry.get("kind", "document"),
                    source=entry.get("source", ""),
                    doc_number=entry.get("doc_number", ""),
                    valid_until=str(entry.get("valid_until", "")),
                    status_reason=entry.get("status_reason", ""),
                    url=entry.get("url", ""),
                    fetched=str(entry.get("fetched", "")),
                    superseded_by=entry.get("superseded_by", ""),
                )
            )
        else:
            metas.append(_guess(path, doc_id_for(path)))
    return metas


def unsupported_files(knowledge_dir: Path) -> list[Path]:
    """Files in the folder the assistant cannot read (not the manifest, hidden files or
    uploads still being written), so that an ingest can say it left them out."""
    return [
        path
        for path in sorted(knowledge_dir.iterdir())
        if path.is_file()
        and path.suffix.lower() not in SUPPORTED_SUFFIXES
        and path.name != MANIFEST_NAME
        and not path.name.startswith(".")
        and not path.name.endswith(".part")
    ]


# What an administrator may set for a document, in the order it is written.
EDITABLE_FIELDS = ("title", "issuer", "date", "doc_number", "status", "status_reason")
_DATE = re.compile(r"^((19|20)\d{2})(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")
_HEADER = re.compile(r'^\[documents\.("?)([^\]"]+)\1\]\s*$')


class ManifestError(ValueError):
    """A correction the manifest cannot take; `user_message` says why, in Chinese."""

    def __init__(self, message: str, user_message: str) -> None:
        super().__init__(message)
        self.user_message = user_message


def save_entry(knowledge_dir: Path, doc_id: str, file: str, fields: dict[str, str]) -> None:
    """Write (or replace) the manifest entry of one document, keeping every other entry
    and comment as it is; the file is replaced atomically."""
    status = fields.get("status", "current")
    if status not in STATUSES:
        raise ManifestError(f"status {status!r}", "状态只能是“现行”或“历史文件”。")
    date = fields.get("date", "").strip()
    if date and not _DATE.match(date):
        raise ManifestError(f"date {date!r}", "日期格式应为 2016、2016-04 或 2016-04-13。")
    if not fields.get("title", "").strip():
        raise ManifestError("empty title", "标题不能为空。")
    path = knowledge_dir / MANIFEST_NAME
    old_text = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = old_text.splitlines()
    existing = tomllib.loads(old_text).get("documents", {}).get(doc_id, {}) if old_text else {}
    # Fields the form does not edit (kind, source) stay; a short title stays with its title.
    kept_fields = {
        k: str(v)
        for k, v in existing.items()
        if k not in (*EDITABLE_FIELDS, "file")
        and not (k == "short_title" and existing.get("title") != fields["title"])
    }
    kept: list[str] = []
    skipping = False
    for line in lines:
        header = _HEADER.match(line.strip())
        if header:
            skipping = header.group(2) == doc_id
        if not skipping:
            kept.append(line)
    while kept and not kept[-1].strip():
        kept.pop()
    # A TOML basic string is a JSON string (escapes included).
    key = doc_id if re.fullmatch(r"[A-Za-z0-9_-]+", doc_id) else json.dumps(doc_id)
    block = [f"[documents.{key}]", f"file = {json.dumps(file, ensure_ascii=False)}"]
    block += [
        f"{key} = {json.dumps(fields[key].strip(), ensure_ascii=False)}"
        for key in EDITABLE_FIELDS
        if fields.get(key, "").strip()
    ]
    block += [f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in kept_fields.items()]
    text = "\n".join([*kept, "", *block]).lstrip("\n") + "\n"
    tomllib.loads(text)  # never write a manifest that would not load
    tmp = path.with_name(f".{MANIFEST_NAME}.part")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)

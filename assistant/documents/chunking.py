"""Turn sections into chunks: one chunk per section where it fits, long sections split on
Chinese sentence punctuation, long tables split between rows with the header row repeated.
Each chunk carries its document's metadata and the heading path, and the path is part of
the text that gets embedded and keyword-indexed."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from assistant.documents.manifest import DocumentMeta
from assistant.documents.structure import Section
from assistant.grammar.sentences import COMMAS, FULL_STOPS, SEMICOLONS

MAX_CHUNK_CHARS = 520
CHUNK_OVERLAP = 40
PATH_SEPARATOR = " > "

_splitter = RecursiveCharacterTextSplitter(
    chunk_size=MAX_CHUNK_CHARS,
    chunk_overlap=CHUNK_OVERLAP,
    # Paragraphs, lines, sentences, clauses, then anywhere.
    separators=["\n\n", "\n", *FULL_STOPS, *SEMICOLONS, *COMMAS, ""],
    keep_separator="end",
)


@dataclass(frozen=True)
class Chunk:
    id: str
    doc_id: str
    title: str
    issuer: str
    date: str
    status: str
    section: str  # heading path joined with " > "
    position: int  # order of the chunk in its document
    text: str  # the passage as it stands in the document (what citations quote)
    doc_number: str = ""
    valid_until: str = ""
    status_reason: str = ""
    url: str = ""  # where a website document was fetched from
    superseded_by: str = ""  # the URL or doc_id of the document that replaced this one
    ocr_pages: str = ""  # "3" or "3-4" when the passage was read from a scan by OCR
    ocr_confidence: str = ""  # "0.87": the lowest OCR confidence of those pages

    @property
    def embed_text(self) -> str:
        """What is embedded and keyword-indexed: where the passage sits, then the passage."""
        head = f"{self.title}" + (f"{PATH_SEPARATOR}{self.section}" if self.section else "")
        return f"{head}\n{self.text}"

    def metadata(self) -> dict[str, str | int]:
        data = asdict(self)
        data.pop("text")
        data.pop("id")
        for key in ("url", "superseded_by", "ocr_pages", "ocr_confidence"):  # stored only when set: text and
            if not data[key]:  # local documents keep the metadata they always had
                data.pop(key)
        return data


def document_fields(meta: DocumentMeta) -> dict[str, str]:
    """What every chunk of a document carries of the document (text chunks and table rows)."""
    return {
        "doc_id": meta.doc_id,
        "title": meta.title,
        "issuer": meta.issuer,
        "date": meta.date,
        "status": meta.status,
        "doc_number": meta.doc_number,
        "valid_until": meta.valid_until,
        "status_reason": meta.status_reason,
        "url": meta.url,
        "superseded_by": meta.superseded_by,
    }


def chunk_sections(meta: DocumentMeta, sections: list[Section]) -> list[Chunk]:
    chunks: list[Chunk] = []
    for section in sections:
        pieces = _pieces(section)
        for piece in pieces:
            position = len(chunks)
            digest = hashlib.sha1(f"{meta.doc_id}|{position}|{piece}".encode()).hexdigest()[:12]
            chunks.append(
                Chunk(
                    id=f"{meta.doc_id}:{position:04d}:{digest}",
                    section=PATH_SEPARATOR.join(section.path),
                    position=position,
                    text=piece,
                    **document_fields(meta),
                )
            )
    return chunks


def _pieces(section: Section) -> list[str]:
    if len(section.text) <= MAX_CHUNK_CHARS:
        return [section.text]
    if section.kind == "table":
        return [p for piece in _split_table(section.text) for p in _split_long(piece)]
    return _split(section.text)


def _split_table(text: str) -> list[str]:
    """Whole rows per piece, each piece led by the header row so its cells keep their names."""
    header, *rows = text.split("\n")
    pieces: list[str] = []
    current = [header]
    for row in rows:
        if len(current) > 1 and len("\n".join([*current, row])) > MAX_CHUNK_CHARS:
            pieces.append("\n".join(current))
            current = [header]
        current.append(row)
    pieces.append("\n".join(current))
    return pieces


def _split_long(piece: str) -> list[str]:
    return [piece] if len(piece) <= MAX_CHUNK_CHARS else _split(piece)


def _split(text: str) -> list[str]:
    return [p.strip() for p in _splitter.split_text(text) if p.strip()]

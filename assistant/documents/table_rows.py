"""Rows as records, and records as the chunks stored in Chroma beside the text chunks.

A row chunk's text is the record ("学校：…；地段：…"), its metadata say `kind="row"`, the
table, sheet and row number, and the cells as JSON, so the lookup index of a collection
can be rebuilt from the collection alone (like the keyword index and the targets table).
Text search leaves row chunks out (`kind != "row"`): they are read by the row lookup.
"""

from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from assistant.documents.chunking import PATH_SEPARATOR, Chunk, document_fields
from assistant.documents.manifest import DocumentMeta
from assistant.tables.model import ROW_KIND, Record, Table, TableError
from assistant.tables.readers import read_tables

log = logging.getLogger(__name__)

MAX_ROWS_PER_DOCUMENT = 200_000


@dataclass(frozen=True)
class RowChunk(Chunk):
    kind: str = ROW_KIND
    table: str = ""
    sheet: str = ""
    row: int = 0
    subtotal: bool = False
    cells: str = "{}"  # JSON object: column name → value, in column order

    @property
    def embed_text(self) -> str:
        return f"{self.title}{PATH_SEPARATOR}{self.table}\n{self.text}"


def records_of(meta: DocumentMeta, tables: list[Table]) -> list[Record]:
    records: list[Record] = []
    for table in tables:
        for cells, number, subtotal in zip(table.rows, table.row_numbers, table.subtotal, strict=True):
            pairs: list[tuple[str, str]] = []
            for column, value in zip(table.header, cells, strict=True):
                if value and (column, value) not in pairs:
                    pairs.append((column, value))
            if pairs:
                records.append(
                    Record(
                        doc_id=meta.doc_id,
                        title=meta.title,
                        table=table.caption,
                        sheet=table.sheet,
                        row=number,
                        cells=tuple(pairs),
                        subtotal=subtotal,
                        status=meta.status,
                        date=meta.date,
                    )
                )
    return records[:MAX_ROWS_PER_DOCUMENT]


def section_of(record: Record) -> str:
    """How a citation names a row: table › sheet › 第N行."""
    return PATH_SEPARATOR.join(x for x in (record.table, record.sheet, f"第{record.row}行") if x)


def row_chunks(meta: DocumentMeta, page: bool = False) -> list[Chunk]:
    """The row chunks of a document (`page`: read as the web page it is, whatever its name);
    a table that cannot be read costs only its rows (its text is still indexed), except for
    workbooks, whose loader reports the error."""
    try:
        tables = read_tables(meta.path, page)
    except TableError as exc:
        log.warning("%s", exc)
        return []
    chunks: list[Chunk] = []
    for i, record in enumerate(records_of(meta, tables)):
        text = record.text()
        digest = hashlib.sha1(f"{meta.doc_id}|row|{i}|{text}".encode()).hexdigest()[:12]
        chunks.append(
            RowChunk(
                id=f"{meta.doc_id}:row{i:06d}:{digest}",
                section=section_of(record),
                position=i,
                text=text,
                **document_fields(meta),
                table=record.table,
                sheet=record.sheet,
                row=record.row,
                subtotal=record.subtotal,
                cells=json.dumps(dict(record.cells), ensure_ascii=False),
            )
        )
    return chunks

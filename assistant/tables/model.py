"""What a table reader returns and what a row becomes."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

ROW_KIND = "row"  # a row chunk's `kind` in the index


@dataclass
class Table:
    """One table of a file: its caption, sheet (workbooks), header and data rows.

    `rows[i]` has one cell per header column; `row_numbers[i]` is its 1-based row in the
    sheet or table as a reader would count it; `subtotal[i]` marks 小计/合计 rows."""

    source: str  # file name
    caption: str
    sheet: str
    header: list[str]
    rows: list[list[str]] = field(default_factory=list)
    row_numbers: list[int] = field(default_factory=list)
    subtotal: list[bool] = field(default_factory=list)
    has_header: bool = True

    def label(self) -> str:
        """How a citation names the table: caption › sheet."""
        parts = [p for p in (self.caption, self.sheet) if p]
        return " > ".join(parts) or "表格"


@dataclass(frozen=True)
class Record:
    """One data row: header → cell, with where it came from."""

    doc_id: str
    title: str  # the document's title
    table: str  # the table's caption
    sheet: str
    row: int
    cells: tuple[tuple[str, str], ...]  # (column name, value), empty values left out
    subtotal: bool = False
    status: str = ""
    date: str = ""

    def text(self) -> str:
        """The row as stored and shown: 学校：…；地段：…"""
        return "；".join(f"{k}：{v}" for k, v in self.cells)

    def value(self, column: str) -> str:
        return next((v for k, v in self.cells if k == column), "")

    def to_json(self) -> dict[str, Any]:
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "table": self.table,
            "sheet": self.sheet,
            "row": self.row,
            "cells": dict(self.cells),
            "subtotal": self.subtotal,
            "status": self.status,
            "date": self.date,
        }

    @staticmethod
    def from_json(data: dict[str, Any]) -> Record:
        return Record(
            doc_id=data["doc_id"],
            title=data["title"],
            table=data["table"],
            sheet=data["sheet"],
            row=int(data["row"]),
            cells=tuple((str(k), str(v)) for k, v in data["cells"].items()),
            subtotal=bool(data.get("subtotal")),
            status=str(data.get("status", "")),
            date=str(data.get("date", "")),
        )


class TableError(Exception):
    """A table that cannot be read; `user_message` is Chinese and names file and sheet."""

    def __init__(self, log_message: str, user_message: str) -> None:
        super().__init__(log_message)
        self.user_message = user_message


@lru_cache(maxsize=1)
def vocabulary() -> dict[str, Any]:
    with (Path(__file__).parent / "data" / "tables.toml").open("rb") as f:
        return tomllib.load(f)


def record_from_metadata(metadata: dict[str, Any]) -> Record:
    """The record a row chunk's metadata hold (the inverse of a row chunk's fields)."""
    return Record(
        doc_id=str(metadata.get("doc_id", "")),
        title=str(metadata.get("title", "")),
        table=str(metadata.get("table", "")),
        sheet=str(metadata.get("sheet", "")),
        row=int(metadata.get("row", 0)),
        cells=tuple((str(k), str(v)) for k, v in json.loads(str(metadata.get("cells", "{}"))).items()),
        subtotal=bool(metadata.get("subtotal", False)),
        status=str(metadata.get("status", "")),
        date=str(metadata.get("date", "")),
    )

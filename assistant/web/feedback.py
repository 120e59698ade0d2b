"""👍/👎 feedback on answers, kept in SQLite under the data directory.

Questions are typed by parents and staff and sometimes carry personal numbers; mobile
phone numbers and resident ID numbers are masked before anything is written.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.question.privacy import mask_personal_numbers
from assistant.settings import Settings

__all__ = ["FeedbackRecord", "FeedbackStore", "mask_personal_numbers"]

FEEDBACK_FILE = "feedback.sqlite3"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    vote TEXT NOT NULL,
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citations TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class FeedbackRecord:
    id: int
    created_at: str
    vote: str  # "up" | "down" | any custom option
    question: str
    answer: str
    citations: list[dict[str, Any]]


class FeedbackStore:
    """One SQLite file; a connection per call so any server thread, or another replica on
    the same host, may write."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as db:
            # Several app processes on one host may share this file (scale-out): with WAL
            # a reader never blocks a writer, and writers wait (timeout) for each other.
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(_SCHEMA)

    @classmethod
    def for_settings(cls, settings: Settings) -> FeedbackStore:
        return cls(settings.data_dir / FEEDBACK_FILE)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        db = sqlite3.connect(self.path, timeout=10)
        try:
            with db:  # commits, or rolls back on error
                yield db
        finally:
            db.close()

    def add(self, question: str, answer: str, citations: Sequence[dict[str, Any]], vote: str) -> int:
        cited = mask_personal_numbers(json.dumps(list(citations), ensure_ascii=False))
        row = (
            datetime.now(UTC).isoformat(timespec="seconds"),
            vote,
            mask_personal_numbers(question),
            mask_personal_numbers(answer),
            cited,
        )
        with self._lock, self._connect() as db:
            cur = db.execute(
                "INSERT INTO feedback (created_at, vote, question, answer, citations) VALUES (?, ?, ?, ?, ?)",
                row,
            )
            return int(cur.lastrowid or 0)

    def all(self) -> list[FeedbackRecord]:
        with self._connect() as db:
            rows = db.execute(
                "SELECT id, created_at, vote, question, answer, citations FROM feedback ORDER BY id"
            ).fetchall()
        return [FeedbackRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5])) for r in rows]

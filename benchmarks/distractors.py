"""Distractor chunks for the scale runs, in a fixed order:

1. the 484 CRUD-RAG education-news articles, split into ~300-character chunks;
2. the CMRC 2018 dev passages (Chinese Wikipedia), split the same way;
3. beyond those (~2.6k chunks of real text), synthetic chunks made of real sentences drawn
   at random from 1 and 2, so BM25 sees a realistic vocabulary at 10k and 100k.

Which chunks get real embeddings and which get random filler vectors is decided by the
caller (`real` count); the text is always there for BM25.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TARGET_CHARS = 300
MIN_CHARS = 150
FILLER_SEED = 20261201
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|\n+")


@dataclass(frozen=True)
class DistractorChunk:
    id: str
    doc_id: str
    title: str
    position: int
    text: str
    source: str  # "news", "cmrc" or "filler-text"

    @property
    def embed_text(self) -> str:
        """As the knowledge base embeds a chunk without a section: title line, then text."""
        return f"{self.title}\n{self.text}"

    def metadata(self) -> dict[str, Any]:
        """The keys `assistant.documents.chunking.Chunk.metadata()` writes."""
        return {
            "doc_id": self.doc_id,
            "title": self.title,
            "issuer": "",
            "date": "",
            "status": "current",
            "section": "",
            "position": self.position,
        }


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def split_text(text: str, target: int = TARGET_CHARS) -> list[str]:
    """Whole sentences packed into pieces of about `target` characters; an over-long
    sentence is cut; a short tail joins the piece before it."""
    pieces: list[str] = []
    current = ""
    for sentence in sentences(text):
        while len(sentence) > target:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(sentence[:target])
            sentence = sentence[target:]
        if current and len(current) + len(sentence) > target:
            pieces.append(current)
            current = ""
        current += sentence
    if current:
        if pieces and len(current) < MIN_CHARS:
            pieces[-1] += current
        else:
            pieces.append(current)
    return pieces


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _chunks(source: str, doc_id: str, title: str, text: str, first: int) -> list[DistractorChunk]:
    return [
        DistractorChunk(
            id=f"bench-{source}-{first + i:06d}",
            doc_id=doc_id,
            title=title,
            position=i,
            text=piece,
            source=source,
        )
        for i, piece in enumerate(split_text(text))
    ]


def news_chunks(path: Path) -> list[DistractorChunk]:
    out: list[DistractorChunk] = []
    for n, row in enumerate(_read_jsonl(path)):
        title = f"教育新闻 {row.get('date_prefix', '')}".strip()
        out.extend(_chunks("news", f"bench-news-{n:04d}", title, str(row["text"]), len(out)))
    return out


def cmrc_chunks(path: Path) -> list[DistractorChunk]:
    out: list[DistractorChunk] = []
    for n, row in enumerate(_read_jsonl(path)):
        title = str(row.get("title") or "维基百科")
        out.extend(_chunks("cmrc", f"bench-cmrc-{n:04d}", title, str(row["text"]), len(out)))
    return out


def filler_chunks(pool: list[DistractorChunk], count: int, seed: int = FILLER_SEED) -> list[DistractorChunk]:
    """`count` chunks of ~300 characters of real sentences drawn at random from `pool`."""
    bank = [s for chunk in pool for s in sentences(chunk.text) if len(s) >= 8]
    rng = random.Random(seed)
    out: list[DistractorChunk] = []
    for i in range(count):
        text = ""
        while len(text) < TARGET_CHARS - 40:
            text += rng.choice(bank)
        out.append(
            DistractorChunk(
                id=f"bench-filler-{i:06d}",
                doc_id=f"bench-filler-{i // 50:05d}",
                title="填充文本",
                position=i % 50,
                text=text[: TARGET_CHARS + 60],
                source="filler-text",
            )
        )
    return out


@dataclass(frozen=True)
class DistractorSources:
    news: Path
    cmrc: Path


def distractors(sources: DistractorSources, count: int) -> list[DistractorChunk]:
    """The first `count` distractor chunks in the fixed order described above."""
    real = news_chunks(sources.news) + cmrc_chunks(sources.cmrc)
    if count <= len(real):
        return real[:count]
    return real + filler_chunks(real, count - len(real))

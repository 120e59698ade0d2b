"""Keyword search: BM25 (bm25s) over jieba tokens of the active collection's chunks.

The index is built once per collection and saved beside it (`save`/`load`): bm25s
memory-maps its arrays, so a process starting on a saved index reads no chunk text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

import bm25s
import jieba
import numpy as np

from assistant.documents.text_repair import fold_punctuation
from assistant.indexing.publish import publish_directory
from assistant.vocab import word_list

log = logging.getLogger(__name__)

# jieba writes its dictionary cache to /tmp by default; keep it in the user's temp dir.
jieba.dt.tmp_dir = tempfile.gettempdir()
jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9.]")
# Function words and question words carry no topic; dropping them sharpens BM25 and the
# coverage test that decides refusals (data/stopwords.txt).
STOPWORDS = frozenset(word_list("assistant.question", "stopwords.txt"))


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), lower-cased, no stopwords."""
    text = fold_punctuation(text).lower()
    tokens = []
    for token in jieba.lcut_for_search(text):
        token = token.strip()
        if token and token not in STOPWORDS and _KEEP.search(token):
            tokens.append(token)
    return tokens


_META = "keyword.json"


def _format() -> str:
    """Identifies how tokens were made: a saved index made otherwise is rebuilt."""
    words = "\n".join(sorted(STOPWORDS)) + f"|jieba {jieba.__version__}|bm25s {bm25s.__version__}"
    return "1:" + hashlib.sha256(words.encode("utf-8")).hexdigest()[:16]


FORMAT = _format()


class LexicalIndex:
    """BM25 over a fixed list of chunk ids and texts."""

    def __init__(self, ids: list[str], texts: Iterable[str]) -> None:
        self.ids = list(ids)
        corpus_tokens = [tokenize(t) for t in texts]
        self._df = _document_frequencies(corpus_tokens)
        self._bm25 = bm25s.BM25()
        if self.ids:
            # bm25s needs at least one token per document
            self._bm25.index([t or ["∅"] for t in corpus_tokens], show_progress=False)

    @classmethod
    def _restored(cls, ids: list[str], df: dict[str, int], bm25: bm25s.BM25) -> LexicalIndex:
        self = cls.__new__(cls)
        self.ids, self._df, self._bm25 = ids, df, bm25
        return self

    def save(self, directory: Path) -> None:
        """Write the index to `directory` atomically: built in a sibling folder, then
        renamed, so a reader never sees half of it (a second writer's rename loses)."""

        def write(staging: Path) -> None:
            if self.ids:
                self._bm25.save(str(staging), show_progress=False)
            staging.mkdir(parents=True, exist_ok=True)
            meta = {"format": FORMAT, "ids": self.ids, "df": self._df}
            (staging / _META).write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

        # An index already there stays when another process saved the same collection's
        # index first; one of an older format is replaced.
        publish_directory(directory, write, keep_existing=lambda d: LexicalIndex.load(d) is not None)

    @classmethod
    def load(cls, directory: Path) -> LexicalIndex | None:
        """The index saved in `directory`, memory-mapped; None when absent or of another format."""
        try:
            meta = json.loads((directory / _META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("format") != FORMAT:
            return None
        ids = list(meta["ids"])
        bm25 = bm25s.BM25.load(str(directory), mmap=True, show_progress=False) if ids else bm25s.BM25()
        return cls._restored(ids, dict(meta["df"]), bm25)

    def __len__(self) -> int:
        return len(self.ids)

    def idf(self, token: str) -> float:
        """BM25's idf; a token the corpus never uses gets the highest idf (it is the most
        telling sign that a question is about something the documents do not cover)."""
        df = self._df.get(token, 0)
        n = len(self.ids)
        return float(np.log(1 + (n - df + 0.5) / (df + 0.5)))

    @property
    def max_idf(self) -> float:
        """The idf of a token no chunk contains."""
        return self.idf("\x00")

    @property
    def vocabulary(self) -> Mapping[str, int]:
        """Every token of the corpus with its document frequency."""
        return self._df

    def known(self, tokens: list[str]) -> list[str]:
        return [t for t in tokens if t in self._df]

    def search(self, query_tokens: list[str], k: int) -> list[tuple[str, float]]:
        known = [t for t in query_tokens if t in self._df]
        if not known or not self.ids:
            return []
        docs, scores = self._bm25.retrieve([known], k=min(k, len(self.ids)), show_progress=False)
        return [(self.ids[int(i)], float(s)) for i, s in zip(docs[0], scores[0], strict=True) if s > 0]


def _document_frequencies(corpus_tokens: list[list[str]]) -> dict[str, int]:
    df: dict[str, int] = {}
    for tokens in corpus_tokens:
        for token in set(tokens):
            df[token] = df.get(token, 0) + 1
    return df

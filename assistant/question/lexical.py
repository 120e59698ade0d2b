"""Keyword search: BM25 (bm25s) over jieba tokens, built from the active Chroma collection."""

from __future__ import annotations

import logging
import re
import tempfile
from collections.abc import Iterable
from functools import lru_cache

import bm25s
import jieba
import numpy as np

from assistant.documents.text_repair import fold_punctuation

log = logging.getLogger(__name__)

# jieba writes its dictionary cache to /tmp by default; keep it in the user's temp dir.
jieba.dt.tmp_dir = tempfile.gettempdir()
jieba.setLogLevel(logging.WARNING)

_KEEP = re.compile(r"[\u4e00-\u9fffA-Za-z0-9.]")
# Function words and question words carry no topic; dropping them sharpens BM25 and the
# coverage test that decides refusals.
STOPWORDS = frozenset(
    [
        "的",
        "了",
        "是",
        "在",
        "和",
        "与",
        "及",
        "或",
        "等",
        "对",
        "为",
        "把",
        "被",
        "将",
        "由",
        "从",
        "向",
        "于",
        "以",
        "之",
        "其",
        "这",
        "那",
        "哪",
        "哪些",
        "哪个",
        "什么",
        "怎么",
        "怎样",
        "如何",
        "多少",
        "几",
        "几个",
        "吗",
        "呢",
        "吧",
        "啊",
        "呀",
        "么",
        "有",
        "有没有",
        "没有",
        "会",
        "要",
        "能",
        "可以",
        "应该",
        "需要",
        "是否",
        "还是",
        "一个",
        "一些",
        "我",
        "我们",
        "你",
        "你们",
        "他",
        "她",
        "它",
        "们",
        "请问",
        "请",
        "问",
        "告诉",
        "一下",
        "目前",
        "现在",
        "有关",
        "关于",
        "方面",
        "情况",
        "怎么办",
        "为什么",
        "什么样",
        "哪里",
        "哪儿",
        "谁",
        "都",
        "也",
        "就",
        "还",
        "又",
        "再",
        "很",
        "更",
        "最",
        "个",
        "些",
        "位",
        "上",
        "下",
        "中",
        "内",
        "后",
        "前",
        "时",
        "年",
        "月",
        "日",
        "吗",
        "嘛",
        "啦",
        "呐",
        "the",
        "a",
        "an",
        "of",
        "to",
        "in",
        "is",
        "are",
        "what",
        "which",
        "how",
        "do",
        "does",
        "for",
        "and",
        "or",
        "on",
        "几条",
        "哪几",
        "哪几条",
        "几项",
        "哪几项",
        "哪一年",
        "哪年",
        "一年",
        "几年",
        "哪些方面",
        "是不是",
        "能不能",
        "会不会",
        "时候",
        "什么时候",
        "何时",
        "几号",
        "哪天",
        "哪一天",
    ]
)


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), lower-cased, no stopwords."""
    text = fold_punctuation(text).lower()
    tokens = []
    for token in jieba.lcut_for_search(text):
        token = token.strip()
        if token and token not in STOPWORDS and _KEEP.search(token):
            tokens.append(token)
    return tokens


@lru_cache(maxsize=4096)
def tokenize_cached(text: str) -> tuple[str, ...]:
    return tuple(tokenize(text))


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

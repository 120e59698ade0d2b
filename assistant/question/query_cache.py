"""Vectors of recently asked standalone questions, so a question many people ask (in
enrolment season: 学位够不够, 什么时候报名) is embedded once.

Keyed by the index version and the normalised standalone question exactly as it is
embedded: a vector depends on nothing else, and keying by version lets a re-index age the
old entries out. Least recently used entries go first; the size is a setting (0 = off).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

import numpy as np


class QueryVectorCache:
    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._items: OrderedDict[tuple[str, str], np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, version: str, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        """The cached vector of `text`, or `embed(text)` (then cached). Two threads asking
        the same new question at once may both embed it; the vectors are the same."""
        if self.size == 0:
            return embed(text)
        key = (version, text)
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return vector
            self.misses += 1
        vector = np.array(embed(text), dtype=np.float32)
        vector.flags.writeable = False  # shared by every request that hits it
        with self._lock:
            self._items[key] = vector
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return vector

    def __len__(self) -> int:
        return len(self._items)

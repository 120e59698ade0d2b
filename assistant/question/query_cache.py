"""Vectors of recently asked standalone questions, so a question many people ask (in
enrolment season: 学位够不够, 什么时候报名) is embedded once.

Keyed by the index version and the normalised standalone question exactly as it is
embedded: a vector depends on nothing else, and keying by version lets a re-index age the
old entries out. Least recently used entries go first; the size is a setting (0 = off).
Requests that ask the same new question at once wait for one forward pass rather than
each queueing their own (on enrolment day the same question arrives in bursts).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future

import numpy as np

_Key = tuple[str, str]


class QueryVectorCache:
    def __init__(self, size: int) -> None:
        self.size = max(0, size)
        self._items: OrderedDict[_Key, np.ndarray] = OrderedDict()
        self._pending: dict[_Key, Future[np.ndarray]] = {}
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, version: str, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        """The cached vector of `text`, or `embed(text)` (then cached). A failed `embed`
        raises in every request waiting for it and caches nothing."""
        if self.size == 0:
            return embed(text)
        key = (version, text)
        with self._lock:
            vector = self._items.get(key)
            if vector is not None:
                self._items.move_to_end(key)
                self.hits += 1
                return vector
            waiting = self._pending.get(key)
            if waiting is None:
                self.misses += 1
                future: Future[np.ndarray] = Future()
                self._pending[key] = future
            else:
                self.hits += 1
        if waiting is not None:
            return waiting.result()
        try:
            vector = np.array(embed(text), dtype=np.float32)
        except BaseException as exc:
            with self._lock:
                del self._pending[key]
            future.set_exception(exc)
            raise
        vector.flags.writeable = False  # shared by every request that hits it
        with self._lock:
            del self._pending[key]
            self._items[key] = vector
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        future.set_result(vector)
        return vector

    def __len__(self) -> int:
        return len(self._items)

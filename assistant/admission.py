"""One limit on questions answered at once, shared by the chat, `/ask` and `/v1`.

At most `concurrent` questions run; up to `waiting` more wait for a turn; beyond that a
request is turned away at once with `ServerBusyError` (HTTP 503 + Retry-After), rather
than queueing without end while every answer gets slower.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque

WAIT_TIMEOUT = 60.0  # seconds a waiting question waits for a turn before it is turned away
_EWMA = 0.1  # weight of the newest answer's duration in the mean used for Retry-After


class ServerBusyError(RuntimeError):
    """Too many questions at once; `retry_after` seconds is a fair wait."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many questions at once; retry after {retry_after} s")
        self.retry_after = retry_after
        self.user_message = f"现在提问的人较多，请约 {retry_after} 秒后再试。"


class Ticket:
    """A question's turn; `release` (or leaving the `with`) gives it back, once."""

    def __init__(self, gate: AdmissionGate) -> None:
        self._gate = gate
        self._started = time.monotonic()
        self._released = False

    def release(self) -> None:
        if not self._released:
            self._released = True
            self._gate._leave(time.monotonic() - self._started)

    def __enter__(self) -> Ticket:
        return self

    def __exit__(self, *_: object) -> None:
        self.release()


class AdmissionGate:
    """First come, first served: a freed turn goes to the longest-waiting question, never to
    one that just arrived (otherwise a busy server starves its waiting room)."""

    def __init__(self, concurrent: int, waiting: int, wait_timeout: float = WAIT_TIMEOUT) -> None:
        self.concurrent = max(1, concurrent)
        self.max_waiting = max(0, waiting)
        self.wait_timeout = wait_timeout
        self._lock = threading.Lock()
        self._queue: deque[threading.Event] = deque()
        self._active = 0
        self._mean_seconds = 0.1
        self.turned_away = 0

    @property
    def active(self) -> int:
        """Questions being answered now."""
        return self._active

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def enter(self) -> Ticket:
        """A turn now, or after waiting; ServerBusyError when the waiting room is full."""
        with self._lock:
            if self._active < self.concurrent and not self._queue:
                self._active += 1
                return Ticket(self)
            if len(self._queue) >= self.max_waiting:
                self.turned_away += 1
                raise ServerBusyError(self._retry_after())
            turn = threading.Event()
            self._queue.append(turn)
        if turn.wait(self.wait_timeout):
            return Ticket(self)  # the leaving question counted this one in
        with self._lock:
            if turn.is_set():  # handed over just as the wait ran out
                return Ticket(self)
            self._queue.remove(turn)
            self.turned_away += 1
            raise ServerBusyError(self._retry_after())

    def retry_after(self) -> int:
        with self._lock:
            return self._retry_after()

    def _retry_after(self) -> int:
        """Seconds until the questions ahead are likely answered (at least 1)."""
        ahead = len(self._queue) + self._active
        return max(1, math.ceil(self._mean_seconds * ahead / self.concurrent))

    def _leave(self, seconds: float) -> None:
        with self._lock:
            self._mean_seconds += _EWMA * (seconds - self._mean_seconds)
            if self._queue:
                self._queue.popleft().set()  # the turn passes on: active stays the same
            else:
                self._active -= 1

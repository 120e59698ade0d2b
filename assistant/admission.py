"""One limit on questions answered at once, shared by the chat, `/ask` and `/v1`.

At most `concurrent` questions run; up to `waiting` more wait for a turn; beyond that a
request is turned away at once with `ServerBusyError` (HTTP 503 + Retry-After), rather
than queueing without end while every answer gets slower.
"""

from __future__ import annotations

import math
import threading
import time

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
    def __init__(self, concurrent: int, waiting: int, wait_timeout: float = WAIT_TIMEOUT) -> None:
        self.concurrent = max(1, concurrent)
        self.max_waiting = max(0, waiting)
        self.wait_timeout = wait_timeout
        self._slots = threading.Semaphore(self.concurrent)
        self._lock = threading.Lock()
        self._waiting = 0
        self._active = 0
        self._mean_seconds = 0.1
        self.turned_away = 0

    @property
    def active(self) -> int:
        """Questions being answered now."""
        return self._active

    @property
    def waiting(self) -> int:
        return self._waiting

    def enter(self) -> Ticket:
        """A turn now, or after waiting; ServerBusyError when the waiting room is full."""
        if not self._slots.acquire(blocking=False):
            with self._lock:
                if self._waiting >= self.max_waiting:
                    self.turned_away += 1
                    raise ServerBusyError(self.retry_after())
                self._waiting += 1
            try:
                admitted = self._slots.acquire(timeout=self.wait_timeout)
            finally:
                with self._lock:
                    self._waiting -= 1
            if not admitted:
                with self._lock:
                    self.turned_away += 1
                raise ServerBusyError(self.retry_after())
        with self._lock:
            self._active += 1
        return Ticket(self)

    def retry_after(self) -> int:
        """Seconds until the questions ahead are likely answered (at least 1)."""
        ahead = self._waiting + self._active
        return max(1, math.ceil(self._mean_seconds * ahead / self.concurrent))

    def _leave(self, seconds: float) -> None:
        with self._lock:
            self._active -= 1
            self._mean_seconds += _EWMA * (seconds - self._mean_seconds)
        self._slots.release()

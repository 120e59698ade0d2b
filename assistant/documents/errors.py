"""Errors raised while ingesting documents."""

from __future__ import annotations


class DocumentError(Exception):
    """A document that cannot be ingested.

    `user_message` is Chinese and shown to users; `str(exc)` is English for logs.
    """

    def __init__(self, log_message: str, user_message: str) -> None:
        super().__init__(log_message)
        self.user_message = user_message

"""Printed page numbers ("- 3 -", "第1页 共2页", "3/24"); the pattern is `data/pages.toml`."""

from __future__ import annotations

import re

from assistant.vocab import table

_DATA = table("assistant.grammar", "pages.toml")
PAGE_NUMBER = re.compile(_DATA["page_number"])
_BARE_NUMBER = re.compile(_DATA["bare_number"])


def is_page_number(line: str) -> bool:
    """The line is only a page number or a print line."""
    return bool(PAGE_NUMBER.match(line))


def bare_number(line: str) -> int | None:
    """The number a line holds and nothing else ("3"), else None."""
    match = _BARE_NUMBER.match(line)
    return int(match.group(1)) if match else None

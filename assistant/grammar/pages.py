"""Printed page numbers ("- 3 -", "第1页 共2页", "3/24"); the pattern is `data/pages.toml`."""

from __future__ import annotations

import re

from assistant.vocab import table

PAGE_NUMBER = re.compile(table("assistant.grammar", "pages.toml")["page_number"])


def is_page_number(line: str) -> bool:
    """The line is only a page number or a print line."""
    return bool(PAGE_NUMBER.match(line))

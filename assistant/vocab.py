"""Vocabularies and patterns kept as data: `<package>/data/*.toml` and `*.txt` files.

Product knowledge (stop words, term maps, intent and slot patterns, target vocabulary)
lives in data files beside the code that uses it, so it can be reviewed and changed as
data. Each file is read once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any


@cache
def table(package: str, name: str) -> dict[str, Any]:
    """A TOML data file of `package`, e.g. table("assistant.question", "intents.toml")."""
    return tomllib.loads(resources.files(package).joinpath("data", name).read_text("utf-8"))


@cache
def word_list(package: str, name: str) -> tuple[str, ...]:
    """A plain-text list: one entry per line; blank lines and `#` comments are skipped."""
    text = resources.files(package).joinpath("data", name).read_text("utf-8")
    entries = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return tuple(entry for entry in entries if entry)


def alternation(words: Iterable[str]) -> str:
    """A regex alternative of literal words, in the given order (earlier entries win, so
    a longer word must come before a word that is its prefix)."""
    return "|".join(re.escape(word) for word in words)


def compile_pattern(spec: str | dict[str, Any]) -> re.Pattern[str]:
    """A pattern entry: a regex string, or a table with `pattern` (a regex) or
    `alternatives` (regexes joined with "|"), and optionally `ignore_case = true`."""
    if isinstance(spec, str):
        return re.compile(spec)
    source = spec["pattern"] if "pattern" in spec else "|".join(spec["alternatives"])
    return re.compile(source, re.IGNORECASE if spec.get("ignore_case") else 0)

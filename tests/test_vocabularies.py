"""The vocabulary data files: each loads, says what it is for, and has no dead entry (one
that can never match once the question or the text has been normalised, a duplicate, or a
word hidden behind an earlier word that is its prefix in a list tried in order)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest

import assistant
from assistant.question.normalize import normalize_question
from assistant.question.terms import COLLOQUIAL, ENGLISH, expansions
from assistant.vocab import compile_pattern, table, word_list

PACKAGE_ROOT = Path(assistant.__file__).parent
DATA_FILES = sorted(p for p in PACKAGE_ROOT.glob("*/data/*") if p.suffix in {".toml", ".txt"})


def _normalised(text: str) -> str:
    return normalize_question(text).text


def test_every_data_file_is_found() -> None:
    names = {f"{p.parent.parent.name}/{p.name}" for p in DATA_FILES}
    assert {
        "question/stopwords.txt",
        "question/terms.toml",
        "question/intents.toml",
        "question/follow_ups.toml",
        "question/slots.toml",
        "targets/vocabulary.toml",
        "backends/backend_probe.toml",
    } <= names


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_each_data_file_loads_and_opens_with_a_comment_saying_what_it_is_for(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    header = [line for line in text.splitlines()[:3] if line.startswith("#")]
    assert len(header) >= 2, f"{path.name} must open with a comment on its purpose"
    if path.suffix == ".toml":
        assert tomllib.loads(text)
    else:
        assert word_list(f"assistant.{path.parent.parent.name}", path.name)


def _patterns(node: Any) -> list[tuple[str, Any]]:
    """Every pattern entry of a TOML table: a table with `pattern` or `alternatives`."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        if "pattern" in node or "alternatives" in node:
            return [("", node)]
        for key, value in node.items():
            found.extend((f"{key}.{name}".strip("."), spec) for name, spec in _patterns(value))
    return found


@pytest.mark.parametrize("name", ["intents.toml", "follow_ups.toml", "slots.toml"])
def test_pattern_files_compile_and_each_alternative_is_a_regex_of_its_own(name: str) -> None:
    entries = _patterns(table("assistant.question", name))
    assert entries
    for key, spec in entries:
        assert compile_pattern(spec).pattern, key
        for alternative in spec.get("alternatives", []):
            re.compile(alternative)  # a stray "|" or bracket would break the join
            assert alternative, f"{name}: {key} has an empty alternative (it matches everything)"


def test_stop_words_are_unique_and_already_in_normalised_form() -> None:
    words = word_list("assistant.question", "stopwords.txt")
    assert len(words) == len(set(words)), "duplicate stop word"
    # Tokens are lower-cased Simplified text: a stop word in any other form never matches.
    assert [w for w in words if _normalised(w).lower() != w] == []


def test_colloquial_keys_survive_normalisation() -> None:
    """The map is applied to the normalised question: a Traditional or full-width key
    would never be found."""
    assert [k for k in COLLOQUIAL if _normalised(k) != k] == []
    assert all(COLLOQUIAL.values()), "a key must map to at least one document term"


def test_english_keys_are_lower_case_and_match_their_own_phrase() -> None:
    for key, terms in ENGLISH.items():
        assert key == key.lower(), key
        assert set(terms) <= set(expansions(f"what about {key}?")), key


def test_each_colloquial_key_adds_a_term_the_question_lacks() -> None:
    """An entry whose terms are all in the key itself adds nothing and only removes the
    word from the keyword query."""
    useless = [k for k, terms in COLLOQUIAL.items() if all(t in k for t in terms)]
    assert useless == []


def _ordered_lists(node: Any, prefix: str = "") -> list[tuple[str, list[str]]]:
    found: list[tuple[str, list[str]]] = []
    for key, value in node.items():
        if isinstance(value, dict):
            found.extend(_ordered_lists(value, f"{prefix}{key}."))
        elif isinstance(value, list) and all(isinstance(v, str) for v in value):
            found.append((f"{prefix}{key}", value))
    return found


TARGET_LISTS = _ordered_lists(table("assistant.targets", "vocabulary.toml"))


@pytest.mark.parametrize("name,words", TARGET_LISTS, ids=[n for n, _ in TARGET_LISTS])
def test_target_word_lists_have_no_duplicate_and_no_entry_hidden_by_its_prefix(
    name: str, words: list[str]
) -> None:
    assert words, name
    assert len(words) == len(set(words)), f"{name}: duplicate entry"
    hidden = [(w, p) for i, w in enumerate(words) for p in words[:i] if w != p and w.startswith(p)]
    assert hidden == [], f"{name}: put the longer word first"


SOURCES = "\n".join(p.read_text(encoding="utf-8") for p in PACKAGE_ROOT.rglob("*.py"))


def _keys(node: dict[str, Any], prefix: str = "") -> list[str]:
    """The keys of a TOML file's tables, down to the entries (a pattern table is one entry)."""
    found: list[str] = []
    for key, value in node.items():
        found.append(f"{prefix}{key}")
        if isinstance(value, dict) and not ({"pattern", "alternatives", "ask"} & value.keys()):
            found.extend(_keys(value, f"{prefix}{key}."))
    return found


# Tables whose keys are data themselves (a question word, a slot name), read by iterating.
_ITERATED = ("asks.", "slots.", "units.", "polarity.", "topics.", "map.", "colloquial.", "english.", "kinds.")
_ITERATED += ("questions.same_recurrence.", "references.", "facts.verdicts.", "stages.", "stage_cover.")
_ITERATED += ("condition_before.", "condition_after.", "added.")


@pytest.mark.parametrize(
    "path", [p for p in DATA_FILES if p.suffix == ".toml"], ids=lambda p: f"{p.parent.parent.name}/{p.name}"
)
def test_every_key_of_a_data_file_is_read_by_the_code(path: Path) -> None:
    """A key no module names is a vocabulary nothing uses: it would be edited in vain."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    unread = [
        key
        for key in _keys(data)
        if not key.startswith(_ITERATED)
        and not re.search(rf"""["']{re.escape(key.rsplit(".", 1)[-1])}["']""", SOURCES)
    ]
    assert unread == [], f"{path.name}: keys no module reads"

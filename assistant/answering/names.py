"""Names of schools and places in a quote, for a question asking which ones by name.

"东城区有哪些一般初中可以就近登记入学？请列出学校名单" is answered by a list of names; a
quote that only says the schools exist ("全区所有初中学校都可选择填报") or names schools
where streets are asked lists none. The kinds of name, the question's form and the words
that describe rather than name are data (`data/sentences.toml`, [names]).
"""

from __future__ import annotations

import re

from assistant.grammar.sentences import CLOSING_BRACKETS, ENUMERATION_COMMA, OPENING_BRACKETS, PUNCTUATION
from assistant.question.subject import tagged
from assistant.vocab import table

_SENTENCES = table("assistant.answering", "sentences.toml")
_NAMES = _SENTENCES["names"]
# A kind's words run together are one ("初中学校"); those a stage's people follow are none.
_KINDS = {
    kind: re.compile(f"(?:{words})+(?!{_NAMES['generic']['not_after']})")
    for kind, words in _NAMES["kinds"].items()
}
_WORDS = {kind: re.compile(f"(?:{words})") for kind, words in _NAMES["kinds"].items()}
# Any kind's word: a name followed by one is part of a longer name (京广路 of 京广路小学).
_ANY_KIND = re.compile("|".join(_NAMES["kinds"].values()))
_PLACE_BEFORE = re.compile(_NAMES["generic"]["place_before"])
_CLAUSE_TAGS = frozenset(_NAMES["generic"]["clause_tags"])
_ENUMERATION_END = re.compile(_NAMES["generic"]["enumeration_end"])
# Clauses end at commas, colons and sentence ends; a bracketed remark is no part of a name.
_CLAUSE = re.compile(f"{PUNCTUATION.pattern}|\n")
_REMARK = re.compile(
    rf"[{re.escape(OPENING_BRACKETS)}][^{re.escape(CLOSING_BRACKETS)}]*[{re.escape(CLOSING_BRACKETS)}]"
)
_ASKS = re.compile(_NAMES["asks"].replace("{kinds}", "|".join(_NAMES["kinds"].values())))
_GENERIC = re.compile(f"(?:{_NAMES['generic']['words']})")
# "哪些情况学校不予受理" asks which cases: the noun after 哪些 is a list's, not a name's.
_LIST_NOUN = re.compile(_SENTENCES["list"]["nouns"])
# What ends the words before a name: a mark, a space, or a word that links a name to the
# clause it stands in ("到德化街小学报名" → 德化街).
_BEFORE_NAME = re.compile(rf"[^\u4e00-\u9fff]|{_NAMES['generic']['linking']}")
NAME_MIN = 2  # characters of a name before its kind's word, descriptions left out
LIST_MIN = 2  # names that make a list
_REACH = 10  # characters read before a kind's word


def asked_kind(question: str) -> str:
    """The kind of name a question asks a list of ("school", "place"), or ""."""
    for match in _ASKS.finditer(question):
        if match["gap"] and any(flag in _CLAUSE_TAGS for _, flag in tagged(match["gap"])):
            continue
        if match["gap"] and _LIST_NOUN.match(match["gap"]):
            continue
        if match["schools"]:
            return "school"
        asked = match["kind"] or match["named"]
        return next((kind for kind, words in _WORDS.items() if words.fullmatch(asked)), "")
    return ""


def names_in(text: str, kind: str) -> set[str]:
    """The names of `kind` that `text` holds: a kind's word after at least NAME_MIN
    characters that describe nothing generic and make no clause ("福州实验小学", "德化街
    小学"; not "公办小学", "全区所有初中学校", "就近登记就读一般初中")."""
    words = _KINDS[kind]
    found: set[str] = set()
    for match in words.finditer(text):
        if _ANY_KIND.match(text, match.end()):
            continue
        before = text[max(0, match.start() - _REACH) : match.start()]
        cut = max((m.end() for m in _BEFORE_NAME.finditer(before)), default=0)
        head = before[cut:]
        own = _WORDS[kind].sub("", _GENERIC.sub("", head))
        if (
            len(own) >= NAME_MIN
            and not _PLACE_BEFORE.search(head)
            and not any(flag in _CLAUSE_TAGS for _, flag in tagged(head))
        ):
            found.add(head + match.group())
    return found | _enumerated(text, words)


def _enumerated(text: str, words: re.Pattern[str]) -> set[str]:
    """The items of the enumerations of `kind` in `text`: items joined by 、 each ending in
    a kind's word, or items before 等 and a count of the kind."""
    found: set[str] = set()
    for clause in _CLAUSE.split(_REMARK.sub("", text)):
        items = [item.strip() for item in clause.split(ENUMERATION_COMMA)]
        if len(items) < LIST_MIN:
            continue
        ends = [words.search(item) for item in items]
        if all(end and end.end() == len(item) for end, item in zip(ends, items, strict=True)):
            found.update(items)
            continue
        last = ends[-1]
        if last and _ENUMERATION_END.search(items[-1][: last.start()]):
            items[-1] = _ENUMERATION_END.sub("", items[-1][: last.start()])
            found.update(item for item in items if item)
    return found


def lists_names(text: str, kind: str) -> bool:
    """Whether `text` names at least LIST_MIN of `kind`."""
    return len(names_in(text, kind)) >= LIST_MIN

"""The patterns the targets rules match: word lists from data/vocabulary.toml, built on
the grammar of numerals, numbering and deadlines (`assistant.grammar`)."""

from __future__ import annotations

import re

from assistant.grammar import numerals, outline
from assistant.grammar.sentences import ALL_MARKS, COLONS, COMMAS, ENUMERATION_COMMA
from assistant.vocab import alternation, table

_VOCAB = table("assistant.targets", "vocabulary.toml")
_Q, _V, _B, _C, _D = (_VOCAB[k] for k in ("quantities", "verbs", "bodies", "clauses", "deadlines"))


def _any(words: list[str]) -> str:
    return alternation(words)


# ---------------------------------------------------------------------------- numbers

CN_NUM = f"[{numerals.CHARACTERS}]+"
AR_NUM = r"\d+(?:\.\d+)?"
NUM = rf"(?:{AR_NUM}|{CN_NUM})"
QUALIFIERS: tuple[str, ...] = tuple(_Q["qualifiers"])
QTY = re.compile(
    rf"(?P<num>{NUM})(?:\s*(?P<sep>[-—–~～至到])\s*(?P<num2>{NUM}))?(?P<mult>万|千)?\s*"
    rf"(?P<unit>{_any(_Q['units'])})(?P<tail>以上|以下)?"
)
# The qualifier nearest the number, at most four characters before it (至少拥有2项).
QUALIFIER_BEFORE = re.compile(
    rf"({_any(_Q['qualifiers'])})(?:(?!{_any(_Q['qualifiers'])})[\u4e00-\u9fff]){{0,4}}$"
)
GENERIC_WHAT = frozenset(_Q["generic_what"])
INSTITUTION_END: tuple[str, ...] = tuple(_Q["institution_end"])
# jieba tags of words that may precede an institution word in its proper name.
NAME_FLAGS = ("ns", "nr", "nz", "nt", "m")

# ---------------------------------------------------------------------------- verbs

RECURRENCE = re.compile(rf"每(?:{_any(_D['recurrence_units'])})")
CUE_VERBS = re.compile(_any(_V["cue"]))
LEAD_VERBS: tuple[str, ...] = tuple(_V["lead"])
FILLERS: tuple[str, ...] = tuple(_V["fillers"])
TRAILING_ADVERBS = re.compile(rf"(?:{_any(_V['trailing_adverbs'])})$")
ACTION_VERBS = re.compile(_any(_V["action"]))
NOT_MAIN_VERBS = frozenset(_V["not_main"])
PERIODIC_VERBS = re.compile(_any(_V["periodic"]))
PERIODIC_EVENT = re.compile(r"(?:设立|设置|举办|安排)?([\u4e00-\u9fff]{1,8}[周月节])")

# ---------------------------------------------------------------------------- bodies

BODY_SUFFIXES: tuple[str, ...] = tuple(_B["suffixes"])
BODY_RE = re.compile(_any(_B["suffixes"]))
AFTER_SUBJECT = re.compile(_any(_B["after_subject"]))
NOT_A_SUBJECT_START = re.compile(rf"^(?:{_any(_B['not_a_subject_start'])})")
ADMIN_WORDS: tuple[str, ...] = tuple(_B["admin_words"])
PERSON_WORDS = re.compile(_any(_B["person_words"]))
MODAL = re.compile(rf"^(?:{_any(_B['modal_start'])})")
PERMISSIVE = re.compile("^(?:可以|可(?!持续|视|靠|行|能))")
NOUN_PHRASE_WHAT = re.compile("的(?:机构|部门|单位|人员|体制)$")
# A clause whose subject is some other body: "家长委员会可以…", "区教育局应当…".
OTHER_SUBJECT = re.compile(
    rf"^[\u4e00-\u9fff{ENUMERATION_COMMA}]{{0,12}}?(?:{_any(_B['suffixes'])}|委员会)(?:应当|应|要|须|必须|可以|可|负责|不得)"
)

# ---------------------------------------------------------------------------- clauses

ADVERBIAL = re.compile(rf"^(?:{_any(_C['adverbial_start'])})")
# How a clause that is only an adverbial ends (根据办学理念, 在…的基础上, 按照国家有关规定).
ADVERBIAL_END = re.compile(rf"(?:{_any(_C['adverbial_end'])})$")
SKIP_SENTENCE = re.compile(_any(_C["skip_sentence"]))
SKIP_SECTION = re.compile(_any(_C["skip_section"]))
CLAUSE_SPLIT = re.compile(f"[{re.escape(COMMAS + COLONS)}]")
# Numbering and bullets that open a clause ("（一）", "第三条 ", "1. ", "● ").
NUMBERING = re.compile(rf"^(?:\s|(?:{outline.MARKER})\s*|[●•·◆■—]+)+")
PUNCT = re.escape(ALL_MARKS)
# Scraped web junk (SEO spam, headline lists) runs on without punctuation.
JUNK_RUN = re.compile(rf"[^{PUNCT}\n]{{80,}}")
WHAT_MAX = 30
POST_MAX = 24

# ---------------------------------------------------------------------------- deadlines

DEADLINE_PREFIX = re.compile(rf"^(?:{_any(_D['prefix'])})")
CONDITION_AFTER_DEADLINE = re.compile(r"^\s*(?:未|不|没|出生|以后|之后|起|后)")

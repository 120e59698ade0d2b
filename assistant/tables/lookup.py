"""The row lookup of one collection: which rows a question names, and what it asks of them.

A question is answered from rows when it names a row's place or name (a key found in the
question, the longest ones kept), a road and house number inside a row's range, or asks a
total; among rows found, the table whose caption and columns share most words with the
rest of the question wins, and a row whose own text the question covers best is chosen
over its siblings. A question naming no row, but asking which school or centre a place
belongs to, gets "not found" with the closest names. Anything else goes to the text path.
"""

from __future__ import annotations

import json
import logging
import math
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jieba.posseg as pseg
from rapidfuzz import fuzz, process

from assistant.grammar.places import asked_places, place_codes, same_scope
from assistant.grammar.sentences import ALL_MARKS, CLAUSE_MARKS, SEMICOLONS, char_pairs
from assistant.tables.model import Record, record_from_metadata, vocabulary
from assistant.tables.places import (
    HouseRange,
    area_parts,
    house_number,
    house_ranges,
    place_keys,
    place_spans,
)

log = logging.getLogger(__name__)

ROWS_FILE = "rows.jsonl"
MAX_KEY_CHARS = 20
MAX_LOOKUP_ROWS = 5
MAX_LIST_ROWS = 60
COMPOUND_TAIL = 4  # characters a compound's name may add before its ending ("钟村锦绣生态园")
ASKED_SHARE = 0.6  # a column sharing this share of the best column's words is asked too
SUGGESTIONS = 3
SPAN_MARGIN = 10.0  # a longer place span within this much of the closest one's score is preferred
SUGGESTION_SCORE = 50.0  # rapidfuzz ratio (0-100) of a name offered as "相近的有"
_PUNCT = re.compile(rf"[\s{re.escape(ALL_MARKS)}]+")


def _thing_after(question: str, word: str) -> str | None:
    """The words after a list or count form up to a verb or particle ("哪些学校是…" →
    学校); None when the form is not in `question`."""
    at = question.find(word)
    return None if at < 0 else _THING_END.split(question[at + len(word) :], maxsplit=1)[0]


_THING_END = re.compile(r"[是的有要在\s]")
# A figure a question states with its unit ("25分", "3年"), not one it asks ("几分").
_STATED_FIGURE = re.compile(r"(?<![\d.])(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[\u4e00-\u9fff%％]?)")
_WORD = re.compile(r"[\u4e00-\u9fff]+")  # a category's words are words, not numbers
# The items of a category cell: "小学、初中、高中", "初、高中", "小学/初中".
_ITEMS = re.compile(rf"[{re.escape(CLAUSE_MARKS + SEMICOLONS)}/／\s]+")


def bigrams(text: str) -> set[str]:
    return char_pairs(_PUNCT.sub("", text))


@dataclass
class TableMatch:
    kind: str  # "lookup", "list", "count", "total", "not_found"
    rows: list[int] = field(default_factory=list)  # indexes into RowIndex.records
    asked: list[str] = field(default_factory=list)  # column names the question asks for
    names: list[str] = field(default_factory=list)  # what was looked up (keys found)
    suggestions: list[str] = field(default_factory=list)
    condition: str = ""  # a house number's range, when that decided
    total: int = 0  # rows found before the answer's limit


NAME_HEADER_CHARS = 10  # a longer column name describes a value, not the row's name


def name_column_of(header: list[str]) -> str:
    for word in vocabulary()["reader"]["name_headers"]:
        for column in header:
            if word in column and len(column) <= NAME_HEADER_CHARS:
                return column
    return header[0] if header else ""


def fold(text: str) -> str:
    return _PUNCT.sub("", text)


def is_place_column(column: str) -> bool:
    return any(w in column for w in vocabulary()["reader"]["place_headers"])


class RowIndex:
    """Records with their chunk ids and metadata, and the key → rows map over them."""

    def __init__(
        self,
        records: list[Record],
        ids: list[str],
        metas: list[dict[str, Any]],
        maps: dict[str, Any] | None = None,
    ) -> None:
        """`maps`: the key maps saved with the index (computing them is most of a build)."""
        self.records = records
        self.ids = ids
        self.metas = metas
        self.keys: dict[str, set[int]] = defaultdict(set)
        self.name_keys: dict[str, set[int]] = defaultdict(set)
        self.roads: dict[str, list[tuple[int, HouseRange]]] = defaultdict(list)
        self.names: list[str] = []
        self._doc_places: dict[str, frozenset[str]] = {}  # doc_id → the places its title names
        self._grams: dict[tuple[str, str], tuple[int, dict[str, int]]] = {}  # built on first use
        self._table_rows: dict[tuple[str, str], list[int]] | None = None  # built on first use
        if maps is not None:
            self._restore(maps)
        else:
            for i, record in enumerate(records):
                self._add(i, record)
        # Suggestions for a place not found are places (never a school's name).
        self._choices = [k for k, rows in self.keys.items() if rows - self.name_keys.get(k, set())]
        self._by_char: dict[str, list[str]] | None = None  # character → names, built on first use

    def _add(self, i: int, record: Record) -> None:
        header = [k for k, _ in record.cells]
        name_column = name_column_of(header)
        self.names.append(record.value(name_column))
        for column, value in record.cells:
            is_name = column == name_column
            if not (is_name or is_place_column(column)):
                continue
            for key in {fold(k) for k in place_keys(value, name=is_name)}:
                if 2 <= len(key) <= MAX_KEY_CHARS:
                    self.keys[key].add(i)
                    if is_name:
                        self.name_keys[key].add(i)
            for found in house_ranges(value):
                self.roads[found.road].append((i, found))

    def _maps(self) -> dict[str, Any]:
        return {
            "rows": len(self.records),
            "names": self.names,
            "keys": {k: sorted(v) for k, v in self.keys.items()},
            "name_keys": {k: sorted(v) for k, v in self.name_keys.items()},
            "roads": {
                road: [[i, r.low, r.high, r.parity, r.condition] for i, r in found]
                for road, found in self.roads.items()
            },
        }

    def _restore(self, maps: dict[str, Any]) -> None:
        self.names = list(maps["names"])
        self.keys.update((k, set(v)) for k, v in maps["keys"].items())
        self.name_keys.update((k, set(v)) for k, v in maps["name_keys"].items())
        for road, found in maps["roads"].items():
            self.roads[road] = [
                (i, HouseRange(road, low, high, parity, cond)) for i, low, high, parity, cond in found
            ]

    def __len__(self) -> int:
        return len(self.records)

    # --- persistence: one JSON line per row (id, metadata), then the key maps beside it
    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        maps_path = path.with_suffix(".keys.json")
        for target, write in ((maps_path, self._write_maps), (path, self._write_rows)):
            partial = target.with_suffix(f".{os.getpid()}.tmp")
            with partial.open("w", encoding="utf-8") as f:
                write(f)
            partial.replace(target)  # the maps first: rows without maps are rebuilt, not wrong

    def _write_rows(self, f: Any) -> None:
        for cid, meta in zip(self.ids, self.metas, strict=True):
            f.write(json.dumps({"id": cid, "meta": meta}, ensure_ascii=False) + "\n")

    def _write_maps(self, f: Any) -> None:
        json.dump(self._maps(), f, ensure_ascii=False)

    @staticmethod
    def load(path: Path) -> RowIndex | None:
        try:
            ids, metas = [], []
            with path.open(encoding="utf-8") as f:
                for line in f:
                    item = json.loads(line)
                    ids.append(item["id"])
                    metas.append(item["meta"])
        except (OSError, ValueError, KeyError):
            return None
        maps: dict[str, Any] | None = None
        try:
            maps = json.loads(path.with_suffix(".keys.json").read_text(encoding="utf-8"))
            if maps.get("rows") != len(ids):
                maps = None  # maps of another version of the rows: rebuild them
        except (OSError, ValueError):
            maps = None
        return RowIndex([record_from_metadata(m) for m in metas], ids, metas, maps)

    # --- matching
    def _keys_in(self, question: str) -> list[tuple[int, int, str]]:
        """Every key `question` holds, with where it stands."""
        hits = []
        for start in range(len(question)):
            for end in range(start + 2, min(len(question), start + MAX_KEY_CHARS) + 1):
                if question[start:end] in self.keys:
                    hits.append((start, end, question[start:end]))
        return hits

    def found_keys(self, question: str) -> list[tuple[int, int, str]]:
        hits = self._keys_in(question)
        # A key inside a longer key found at the same place is part of it ("南村" in "南村镇").
        hits = [h for h in hits if not any(o != h and o[0] <= h[0] and h[1] <= o[1] for o in hits)]
        return [
            h
            for h in hits
            if not self._starts_compound(question, h[1], h[2]) and not self._starts_name(question, h[1], h[2])
        ]

    def _starts_name(self, question: str, end: int, key: str) -> bool:
        """An area label (a key that names no row) run on into more of a name: the
        question names a place or school inside the area that no row lists."""
        places = vocabulary()["places"]
        if key.endswith(tuple(places["suffixes"])):
            return False  # a whole name with its ending ("大龙街", "南村镇")
        following = question[end : end + 1]
        if not following or not ("\u4e00" <= following <= "\u9fff"):
            return False
        if following in places["joins"] or any(x.startswith(following) for x in places["suffixes"]):
            return False  # "南村有…", or the area's own ending ("乐昌" + "市")
        return not any(self._names_row(i, key) for i in self.keys[key])

    @staticmethod
    def _starts_compound(question: str, end: int, key: str) -> bool:
        """A street's short name followed by a compound ending ("东门" + "花园"): the
        question names a compound the tables do not list, not the street."""
        places = vocabulary()["places"]
        compounds = places["compounds"]
        if key.endswith(tuple(x for x in places["suffixes"] if x not in compounds)):
            return False  # a whole town, street or city ("乐昌市城乡…", "大龙街花园…")
        tail = question[end : end + COMPOUND_TAIL + 2]
        joins = set(places["joins"])
        for x in compounds:
            at = tail.find(x, 0, COMPOUND_TAIL + len(x))
            # The name between is the compound's own ("钟村" + "锦绣生态" + "园"), not words
            # of the question ("东门有几个花园").
            if at >= 0 and all("\u4e00" <= c <= "\u9fff" and c not in joins for c in tail[:at]):
                return True
        return False

    def match(self, question: str) -> TableMatch | None:
        words = vocabulary()["question"]
        q = _PUNCT.sub("", question)
        listing = any(w in q for w in words["list"])
        counting = any(w in q for w in words["count"])
        hits = self.found_keys(q)
        asked = frozenset(code for _, codes in asked_places(question) for code in codes)
        rows: dict[int, float] = defaultdict(float)
        for _, _, key in hits:
            for i in self.keys[key]:
                if self._of_place(i, asked):
                    rows[i] += len(key)
        condition = ""
        numbered = house_number(q)
        if numbered:
            road_text, number = numbered
            road = self.road_of(road_text)
            if road:
                inside = [(i, r) for i, r in self.roads[road] if r.holds(number)]
                if not inside:
                    known = "、".join(dict.fromkeys(r.describe() for _, r in self.roads[road]))
                    return TableMatch("not_found", names=[f"{road}{number}号"], suggestions=[known])
                rows = defaultdict(float, {i: rows.get(i, 0.0) + 100.0 for i, _ in inside})
                condition = "、".join(dict.fromkeys(r.describe() for _, r in inside))
        rest = q
        for _, _, key in sorted(hits, key=lambda h: -len(h[2])):
            rest = rest.replace(key, " ")
        rest_grams = bigrams(rest)
        if not rows and (listing or counting):
            valued = self._rows_by_value(q, rest_grams)
            if valued:
                return TableMatch("count" if counting else "list", rows=valued[:MAX_LIST_ROWS], names=[])
        if not rows:
            whole, summed = self._whole_table(rest_grams, asked) if counting else ([], False)
            if whole and self._lists_rows(q, whole, forms="row_count" if summed else "count"):
                # "民办中小学一览表总共列了多少所民办学校": the rows are counted. A table with a
                # total row is counted only by a measure word naming what its rows are.
                return TableMatch("count", rows=whole[:MAX_LIST_ROWS], names=[], total=len(whole))
            if any(w in q for w in words["total"]):
                totals = {
                    i: 0.0 for i, r in enumerate(self.records) if r.subtotal and self._of_place(i, asked)
                }
                best_doc = {
                    self.records[i].doc_id for i in self._best_tables(totals, rest_grams, keep_all=True)
                }
                # Every total of that document: "小学一共…？初一一共…？" asks two.
                chosen = [i for i in totals if self.records[i].doc_id in best_doc]
                if chosen:
                    return TableMatch("total", rows=chosen, asked=self._asked(chosen, rest))
            return self._not_found(question)  # its punctuation bounds the names
        best = max(rows.values())
        # (Not when the question names a row itself: "象骏中学…多少个初一学位" asks its value.)
        area_asked = (listing or counting) and not any(
            self._names_row(i, key) for _, _, key in hits for i in self.keys[key]
        )
        if area_asked:
            # Rows found by a key inside a longer one the question names (钟村街 inside the
            # cell "钟村街石壁街西片教育指导中心") may have their whole area named too.
            for _, _, key in self._keys_in(q):
                rows.update((i, 0.0) for i in self.keys[key] if i not in rows and self._of_place(i, asked))
        # A list or count also takes the rows whose area the question names in full, though
        # it names another row's label too: "钟村街、石壁街（西片教育指导中心）" is the area of
        # rows under "钟村街 石壁街 （西片教育指导中心）" and of those under "钟村街 石壁街".
        rows = {i: s for i, s in rows.items() if s >= best or (area_asked and self._area_named(i, q))}
        chosen = self._best_tables(rows, rest_grams, keep_all=listing or counting)
        names = [h[2] for h in hits]
        if listing or counting:
            valued = self._holding_value(q, chosen)
            if valued:
                # "技能职称项目里，哪几种情况可以拿到25分": the named rows with that value.
                return TableMatch("count" if counting else "list", rows=valued[:MAX_LIST_ROWS], names=names)
        # The question names the row itself (its name cell), not a place the row serves.
        named = any(self._names_row(i, k) for k in names for i in chosen)
        if (listing or counting) and not named:
            rows_listed = [i for i in chosen if not self.records[i].subtotal][:MAX_LIST_ROWS]
            # One row, and the listed thing is not what the rows are ("社保年限…哪些险种"
            # in a table of 项目): the question asks what that row holds.
            if counting or len(rows_listed) > 1 or self._lists_rows(q, rows_listed):
                return TableMatch(
                    "count" if counting else "list", rows=rows_listed, names=names, condition=condition
                )
        chosen = self._closest_rows(chosen, rest_grams)
        total = len(chosen)
        chosen = chosen[:MAX_LOOKUP_ROWS]
        asked = self._asked(chosen, rest)
        which = any(w in q for w in vocabulary()["asks"]["which"])
        if which and not named:
            name_column = name_column_of([k for k, _ in self.records[chosen[0]].cells])
            asked = [name_column, *[a for a in asked if a != name_column]]
        if not asked and not condition:
            return None  # the row is named but the question asks what it does not hold
        return TableMatch("lookup", rows=chosen, asked=asked, names=names, condition=condition, total=total)

    def _whole_table(self, rest: set[str], asked: frozenset[str]) -> tuple[list[int], bool]:
        """The rows of the one table whose title, caption and columns share most words with
        the question (its total rows left out), and whether it has a total row; ([], False)
        when no one table shares most."""
        tables = self._tables()
        scored = {
            key: len(rest & self._described_by(rows[0]))
            for key, rows in tables.items()
            if self._of_place(rows[0], asked)
        }
        if not scored:
            return [], False
        top = max(scored.values())
        best = [key for key, score in scored.items() if score == top]
        if top == 0 or len(best) > 1:
            return [], False
        rows = [i for i in tables[best[0]] if not self.records[i].subtotal]
        return rows, len(rows) < len(tables[best[0]])

    def _rows_by_value(self, question: str, rest: set[str]) -> list[int]:
        """For a list or count question naming no row ("哪几所民办学校办了高中"): the rows of
        the table the question is about (its caption and columns) with a category cell
        holding a word of the question as one of its items ("初、高中", "小学、初中、高中"),
        where other rows' cells of that column do not. [] when no word sorts the rows so."""
        nouns = frozenset(vocabulary()["question"]["noun_tags"])
        tagged = [(w.word, w.flag) for w in pseg.cut(question)]
        # Where a word not after a noun starts: an item of a category cell opens such a
        # word, or a word the segmenter cut otherwise ("有高中部" → 高 | 中部 holds 高中), never
        # one inside a word (中小学's 小学) or after a noun (公办|小学 is a kind of school).
        starts, at = [], 0
        for (_, before), (word, _) in zip([("", "x"), *tagged], tagged, strict=False):
            if before not in nouns:
                starts.append(question[at:])
            at += len(word)

        @cache
        def named(item: str) -> bool:  # the same few items stand in every row of a column
            return (
                len(item) >= 2
                and _WORD.fullmatch(item) is not None
                and any(s.startswith(item) for s in starts)
            )

        by_word: dict[int, float] = {}
        for i, record in enumerate(self.records):
            if record.subtotal:
                continue
            name_column = name_column_of([k for k, _ in record.cells])
            for column, value in record.cells:
                if column == name_column or is_place_column(column):
                    continue
                items = {fold(item) for item in _ITEMS.split(value)}
                if any(named(item) for item in items):
                    by_word[i] = 1.0
        chosen = self._best_tables(by_word, rest, keep_all=True)
        if not chosen:
            return []
        if not any(_WORD.fullmatch(gram) for gram in rest & self._described_by(chosen[0])):
            return []  # the question speaks of nothing of that table
        first = self.records[chosen[0]]
        in_table = [i for i in self._tables()[(first.doc_id, first.table)] if not self.records[i].subtotal]
        return chosen if len(chosen) < len(in_table) else []

    def _area_named(self, i: int, question: str) -> bool:
        """Whether `question` names every place of one of row `i`'s area cells."""
        cells = self.records[i].cells
        name_column = name_column_of([k for k, _ in cells])
        for column, value in cells:
            if column != name_column and is_place_column(column):
                parts = [fold(part) for part in area_parts(value)]
                if parts and all(part in question for part in parts):
                    return True
        return False

    def _holding_value(self, question: str, rows: list[int]) -> list[int]:
        """The rows among `rows` with a cell that is a figure the question states ("25分"
        in "哪几种情况可以拿到25分"), when at least two do and not all; else []."""
        values = [(m["number"], m["unit"]) for m in _STATED_FIGURE.finditer(question)]
        if not values or len(rows) < 2:
            return []
        forms = [re.compile(rf"{re.escape(n)}\s*(?:{re.escape(u)})?") for n, u in values]
        held = [
            i
            for i in rows
            if any(form.fullmatch(fold(value)) for _, value in self.records[i].cells for form in forms)
        ]
        return held if 2 <= len(held) < len(rows) else []

    def _tables(self) -> dict[tuple[str, str], list[int]]:
        """Each table (document, caption) with its rows, built on first use."""
        if self._table_rows is None:
            self._table_rows = defaultdict(list)
            for i, record in enumerate(self.records):
                self._table_rows[(record.doc_id, record.table)].append(i)
        return self._table_rows

    def _described_by(self, i: int) -> set[str]:
        """The bigrams of row `i`'s document title, table caption and column names."""
        record = self.records[i]
        return bigrams(record.title + record.table + "".join(k for k, _ in record.cells))

    def _of_place(self, i: int, asked: frozenset[str]) -> bool:
        """Whether row `i` may answer a question about the places `asked`: its document
        (title and issuer) names no place, or one that lies in or holds an asked one. A
        Fuzhou table does not answer "郑州二七区…一共招多少人"."""
        if not asked:
            return True
        doc_id = self.records[i].doc_id
        if doc_id not in self._doc_places:
            meta = self.metas[i]
            self._doc_places[doc_id] = place_codes(f"{self.records[i].title} {meta.get('issuer', '')}")
        scope = self._doc_places[doc_id]
        return not scope or same_scope(asked, scope)

    def _lists_rows(self, question: str, rows: list[int], forms: str = "list") -> bool:
        """Whether the thing a list question asks for ("哪些学校") is what the rows are: a
        word of it in the name column's header or the table's caption. With `forms`
        "count", the thing a count asks for ("多少所民办学校"), which must be named; with
        "row_count", the same by a measure word only, and not a column's name."""
        if not rows:
            return False
        record = self.records[rows[0]]
        named_by = name_column_of([k for k, _ in record.cells]) + record.table
        vocab = vocabulary()["question"]
        if forms in ("count", "row_count"):
            # A count by its measure word names what it counts; 一共, 总共 name nothing.
            counts = [w for w in vocab[forms] if w not in vocab["total"]]
            named_by += record.title  # a table captioned by its document's title only
            # Beside a total row, a count of what a column holds ("多少个学位") is its sum.
            columns = [k for k, _ in record.cells] if forms == "row_count" else []
            return any(
                listed and char_pairs(listed) & char_pairs(named_by) and not listed.startswith(tuple(columns))
                for w in counts
                if (listed := _thing_after(question, w)) is not None
            )
        for word in vocab["list"]:
            listed = _thing_after(question, word)
            if listed is not None:
                return not listed or bool(char_pairs(listed) & char_pairs(named_by))
        return True

    def road_of(self, text: str) -> str:
        """The longest known road `text` ends with ("我家住人民路" → "人民路")."""
        for start in range(len(text) - 1):
            if text[start:] in self.roads:
                return text[start:]
        return ""

    def _names_row(self, i: int, key: str) -> bool:
        name = fold(self.names[i])
        return key == name or (
            len(key) >= 4 and name.startswith(key) and not fold(self.records[i].table).startswith(key)
        )

    def _best_tables(self, rows: dict[int, float], rest: set[str], keep_all: bool = True) -> list[int]:
        """Rows of the table(s) whose caption and columns share most words with the question."""
        scored: dict[tuple[str, str], float] = {}
        for i in rows:
            r = self.records[i]
            table = (r.doc_id, r.table)
            if table not in scored:
                scored[table] = len(rest & bigrams(r.table + "".join(k for k, _ in r.cells)))
        if not scored:
            return []
        top = max(scored.values())
        kept = [
            i
            for i in sorted(
                rows,
                key=lambda i: (
                    self.records[i].doc_id,
                    self.records[i].table,
                    self.records[i].sheet,
                    self.records[i].row,
                ),
            )
            if scored[(self.records[i].doc_id, self.records[i].table)] == top
        ]
        return kept

    def _closest_rows(self, rows: list[int], rest: set[str]) -> list[int]:
        """Among sibling rows, those whose own text the question covers best (a question
        on 大学本科 picks that row, not 大学本科并具有中级职称)."""
        if len(rows) <= 1:
            return rows
        texts = {i: "".join(v for _, v in self.records[i].cells) for i in rows}
        shared = set.intersection(*(bigrams(t) for t in texts.values()))
        # A word many rows of the table hold (番禺 in a 番禺 table) tells its rows apart
        # less than one few rows hold (连续办满5年): each counts by its rarity there.
        size, held = self._table_bigrams(rows[0])
        scores = {}
        for i, text in texts.items():
            own = bigrams(text) - shared
            found = sum(math.log(1 + size / held[gram]) for gram in rest & own)
            scores[i] = found / math.sqrt(len(own)) if own else 0.0
        top = max(scores.values())
        return [i for i in rows if scores[i] >= top] if top > 0 else rows

    def _table_bigrams(self, i: int) -> tuple[int, dict[str, int]]:
        """The rows of row `i`'s table, and in how many of them each bigram stands."""
        key = (self.records[i].doc_id, self.records[i].table)
        if key not in self._grams:
            held: dict[str, int] = defaultdict(int)
            rows = self._tables()[key]
            for j in rows:
                for gram in bigrams("".join(v for _, v in self.records[j].cells)):
                    held[gram] += 1
            self._grams[key] = (len(rows), held)
        return self._grams[key]

    def _asked(self, rows: list[int], rest: str) -> list[str]:
        """Columns the question asks for: sharing a word with it, or named by an ask word."""
        asks = vocabulary()["asks"]
        grams = bigrams(rest)
        header = [k for k, _ in self.records[rows[0]].cells] if rows else []
        name_column = name_column_of(header)
        scores: dict[str, float] = {}
        for column in header:
            if column == name_column:
                continue
            plain = fold(column)
            score = float(len(grams & bigrams(plain)))
            if len(plain) == 2 and all(c in rest for c in plain):
                score = max(score, 1.0)
            if any(w in rest and any(x in column for x in xs) for w, xs in asks.items() if w != "which"):
                score = max(score, 1.0)
            if score:
                scores[column] = score
        if not scores:
            return []
        top = max(scores.values())
        return [c for c, v in scores.items() if v >= ASKED_SHARE * top]

    def closest(self, text: str) -> list[tuple[str, float]]:
        """Names closest to `text`, among those sharing a character with its name part
        (a place suffix alone, 苑 or 路, shares nothing worth suggesting)."""
        if self._by_char is None:
            by_char: dict[str, list[str]] = defaultdict(list)
            for choice in self._choices:
                for char in set(choice):
                    by_char[char].append(choice)
            self._by_char = by_char
        suffix_chars = set("".join(vocabulary()["places"]["suffixes"]))
        pool = {c for char in set(text) - suffix_chars for c in self._by_char.get(char, ())}
        if not pool:
            return []
        found = process.extract(
            text, list(pool), scorer=fuzz.ratio, limit=SUGGESTIONS * 3, score_cutoff=SUGGESTION_SCORE
        )
        return sorted(((name, score) for name, score, _ in found), key=lambda x: (-x[1], x[0]))

    def _not_found(self, q: str) -> TableMatch | None:
        if not any(w in q for w in vocabulary()["asks"]["which"]):
            return None
        if any(w in q for w in vocabulary()["question"]["when"]):
            return None
        spans = place_spans(q)
        if not spans or not self._choices:
            return None
        scored = []
        for span in spans:
            found = self.closest(span)
            if found:
                scored.append((span, found))
        best_span, best = "", []
        if scored:
            # The longest span about as close as the closest one: "东环花园", not "环花园".
            top = max(found[0][1] for _, found in scored)
            best_span, best = max(
                ((span, found) for span, found in scored if found[0][1] >= top - SPAN_MARGIN),
                key=lambda item: len(item[0]),
            )
        if not best_span:
            # Every reading, the longest first: "市桥东方花园" is named, not "方花园".
            return TableMatch("not_found", names=sorted(spans, key=len, reverse=True))
        names = list(dict.fromkeys(n for n, _ in best))[:SUGGESTIONS]
        return TableMatch("not_found", names=[best_span], suggestions=names)

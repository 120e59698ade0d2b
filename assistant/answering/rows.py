"""The table step of a question's path: the rows that answer it (or None for the text
path), and the answer from them: the asked value first, then the row quoted and cited."""

from __future__ import annotations

import logging
import re
from typing import Any

from assistant.question.lexical import tokenize
from assistant.question.retrieve import Passage
from assistant.question.slots import TIME_SLOTS, Slot, asking_clause, slot_of
from assistant.question.snapshot import SearchSnapshot
from assistant.settings import Settings
from assistant.tables.lookup import RowIndex, TableMatch, name_column_of
from assistant.tables.model import Record, vocabulary
from assistant.tables.store import row_index

log = logging.getLogger(__name__)

LONG_NAME = 20
# The measure word a count question uses ("几所", "几间", "多少个"): the answer counts in it.
_UNIT = re.compile(r"(?:几|多少)([所个家项条名间座位种类])")


def _passage(index: RowIndex, i: int) -> Passage:
    record = index.records[i]
    text = record.text()
    passage = Passage(id=index.ids[i], text=text, metadata=dict(index.metas[i]), best_sentence=text)
    passage.score = 1.0
    return passage


def _historical(records: list[Record]) -> str:
    years = sorted({r.date[:4] for r in records if r.status == "historical" and r.date})
    if not years:
        return ""
    return f"注意：以上内容出自{'、'.join(years)}年的历史表格，可能已不再适用，请以最新政策为准。"


def _source(record: Record) -> str:
    where = " › ".join(x for x in (record.table, record.sheet, f"第{record.row}行") if x)
    return f"——出自《{record.title}》 › {where}"


def row_json(index: RowIndex, i: int, number: int) -> dict[str, Any]:
    return {**index.records[i].to_json(), "number": number, "chunk_id": index.ids[i]}


def answer_rows(
    match: TableMatch, index: RowIndex, question: str
) -> tuple[str, list[Passage], list[dict[str, Any]]]:
    """The answer text, the passages it cites ([1]… in order) and the rows as JSON."""
    if match.kind == "not_found":
        name = match.names[0] if match.names else ""
        text = f"表格中没有找到“{name}”"
        if match.suggestions:
            text += f"；相近的有：{'、'.join(match.suggestions)}"
        return text + "。请核对名称或门牌号后再查。", [], []
    records = [index.records[i] for i in match.rows]
    passages = [_passage(index, i) for i in match.rows]
    rows = [row_json(index, i, n) for n, i in enumerate(match.rows, start=1)]
    lines: list[str] = []
    if match.kind in ("list", "count"):
        unit_match = _UNIT.search(question)
        unit = unit_match.group(1) if unit_match else "项"
        names = [index.names[i] or records[k].text() for k, i in enumerate(match.rows)]
        if len(set(names)) < len(names):
            names = _telling_apart(records, names)
        scope = "、".join(match.names)
        lead = f"{scope}：" if scope else ""
        tables = list(dict.fromkeys((r.title, r.table) for r in records))
        if len(tables) == 1:
            lines.append(f"{lead}《{records[0].title}》“{records[0].table}”中共有{len(names)}{unit}：")
            lines.extend(f"- {name} [{n}]" for n, name in enumerate(names, start=1))
        else:  # rows of several tables: each under its table
            lines.append(f"{lead}共有{len(names)}{unit}，分属{len(tables)}个表格：")
            for title, caption in tables:
                lines.append(f"《{title}》“{caption}”：")
                lines.extend(
                    f"- {name} [{n}]"
                    for n, (name, r) in enumerate(zip(names, records, strict=True), start=1)
                    if (r.title, r.table) == (title, caption)
                )
    else:
        if match.total > len(match.rows):
            lines.append(f"找到 {match.total} 行，列出前 {len(match.rows)} 行：")
        for n, (i, record) in enumerate(zip(match.rows, records, strict=True), start=1):
            name = index.names[i]
            if len(name) > LONG_NAME:  # a cell listing 30 counties: name the one asked about
                name = (
                    "、".join(k for k in match.names if k in name.replace(" ", "")) or name[:LONG_NAME] + "…"
                )
            header = [k for k, _ in record.cells]
            asked = [c for c in match.asked if c in header] or header[-1:]
            parts = [f"{c}：{record.value(c)}" for c in asked if record.value(c)]
            lead = "；".join(parts)
            if name and name_column_of(header) not in asked:
                lead = f"{name}——{lead}"
            if match.condition:
                lead += f"（门牌范围：{match.condition}）"
            lines.append(f"{lead}。")
            lines.append(f"“{record.text()}” [{n}]")
            lines.append(_source(record))
    note = _historical(records)
    if note:
        lines.append(note)
    return "\n".join(lines), passages, rows


def _telling_apart(records: list[Record], names: list[str]) -> list[str]:
    """Names for rows sharing one (a merged cell: "技能职称" over its grades): each with the
    first column whose cells tell the rows apart ("（1）副高级以上职称…")."""
    for column, _ in records[0].cells:
        values = [r.value(column) for r in records]
        if all(values) and len(set(values)) == len(values):
            return [f"{name}：{value}" for name, value in zip(names, values, strict=True)]
    return names


def answer_from_rows(
    settings: Settings, snapshot: SearchSnapshot, question: str, previous: str = ""
) -> tuple[str, list[Passage], list[dict[str, Any]], bool] | None:
    """(answer, cited passages, rows as JSON, not found) when the rows answer `question`.
    A follow-up that names no row ("那他们的电话是多少？") asks about the row the previous
    question named: it is matched with that question in front of it."""
    try:
        index = row_index(settings, snapshot.name, snapshot.chunks.collection)
    except Exception as exc:  # the rows are an extra: the question still goes to retrieval
        log.warning("row index unavailable: %s", exc)
        return None
    if index is None or not len(index):
        return None
    match = index.match(question)
    if (match is None or match.kind == "not_found") and previous:
        match = index.match(f"{previous}{question}")
        if match is not None and match.kind == "not_found":
            match = None  # the earlier question's miss is not this one's
    if match is None:
        return None
    slot = slot_of(question)
    if match.kind == "not_found" and slot.kind in vocabulary()["question"]["no_row_slots"]:
        return None  # "…阶段进城务工人员…由哪个部门建立": asks a body, not a place's row
    if match.kind == "lookup" and slot.kind == "yesno" and not _asks_of_column(match, question, slot):
        return None  # "…还能不能读小区配套的公办小学？": a rule's verdict, not the row's 学位 count
    if match.kind == "not_found" and _text_mentions(snapshot, match.names):
        return None  # no row lists the place, but a passage does (a scanned zoning table)
    if match.kind == "lookup" and slot.kind in TIME_SLOTS and not _rows_state(match, index, question, slot):
        return None  # "平时几点到几点上班" of a row of names, addresses and phone numbers
    text, passages, rows = answer_rows(match, index, question)
    return text, passages, rows, match.kind == "not_found"


def _rows_state(match: TableMatch, index: RowIndex, question: str, slot: Slot) -> bool:
    """Whether a row found states a value of the kind the question asks (a day, an hour)."""
    return any(slot.filled_by(index.records[i].text(), question) for i in match.rows)


def _asks_of_column(match: TableMatch, question: str, slot: Slot) -> bool:
    """Whether the clause that asks yes or no names a column the row answers with
    ("富豪山庄小学还能不能申请学位"): a yes/no question is a row's only then."""
    clause = asking_clause(question, slot)
    return bool(match.condition) or any(column in clause for column in match.asked)


MENTION_PASSAGES = 5  # passages read for a place no row lists


def _text_mentions(snapshot: SearchSnapshot, names: list[str]) -> bool:
    """Whether a passage of the documents' text holds one of `names` or an ending of one
    of three characters or more: the name may be run together with a place before it
    ("市桥榄塘村" is read as "桥榄塘村"; "大石富庭华园" is written "富庭华园")."""
    for name in names:
        if len(name) < 2:
            continue
        hits = snapshot.lexical.search(tokenize(name), MENTION_PASSAGES)
        texts = [c.text for c in snapshot.chunks.fetch([cid for cid, _ in hits]).values()]
        forms = [name[i:] for i in range(len(name) - 2)] or [name]
        if any(form in text for text in texts for form in forms):
            return True
    return False

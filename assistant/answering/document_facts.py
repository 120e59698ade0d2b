"""Questions about a document itself: when it was issued (the date of its 落款) and by
whom. The text path reads sentences, and a 落款 is no sentence about anything, so such a
question was answered with a neighbouring rule or refused; the index knows each document's
issuer and date (read from its text or set by the administrator, documents/manifest.py).

The question must name the document: most of its title's character pairs are in the
question. The answer leads with the asked fact and quotes the document's own line that
states it when a retrieved passage holds that line; the forms of asking are data
(`data/document_facts.toml`)."""

from __future__ import annotations

import re

from assistant.grammar.sentences import char_pairs
from assistant.question.clauses import asking_clauses
from assistant.question.retrieve import Passage
from assistant.vocab import compile_pattern, table

_ASKS = table("assistant.answering", "document_facts.toml")["asks"]
_ASKS_DATE = compile_pattern(_ASKS["date"])
_ASKS_ISSUER = compile_pattern(_ASKS["issuer"])
# Share of a title's character pairs a question must hold to name that document: a title
# named with a word left out or reworded ("教育部2016年城市义务教育招生入学的通知" for
# "教育部办公厅关于做好2016年城市义务教育招生入学工作的通知") is named.
NAMED_SHARE = 0.6
READ_PASSAGES = 5  # the best passages read for the document named and its line
_ISO = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


def document_answer(question: str, passages: list[Passage]) -> tuple[str, list[Passage]] | None:
    """(answer text, the passages it cites) when `question` asks a named document's issue
    date or issuer and the index knows it; None sends the question to the text path."""
    asks_date, asks_issuer = asks_issue_date(question), bool(_ASKS_ISSUER.search(question))
    if not (asks_date or asks_issuer):
        return None
    if not all(_ASKS_DATE.search(c) or _ASKS_ISSUER.search(c) for c in asking_clauses(question)):
        return None  # it asks something of the text as well ("…是哪天印发的？80万的城市算哪一类？")
    named = _named_document(question, passages[:READ_PASSAGES])
    if not named:
        return None
    meta = named[0].metadata
    title, issuer, date = str(meta.get("title", "")), str(meta.get("issuer", "")), str(meta.get("date", ""))
    written = _written_date(date)
    if (asks_date and not written) or (asks_issuer and not issuer):
        return None  # the index does not know it: the text may still say it
    facts = []
    if asks_issuer:
        facts.append(f"发布单位为{issuer}")
    if asks_date:
        facts.append(f"落款日期为{written}")
    number = str(meta.get("doc_number", ""))
    lines = [f"《{title}》{'，'.join(facts)}" + (f"（{number}）。" if number else "。")]
    wanted = [w for w, asked in ((written, asks_date), (issuer, asks_issuer)) if asked]
    quoted = _line_stating(named, wanted)
    cited = quoted[0] if quoted else named[0]
    if quoted:
        lines.append(f"“{quoted[1]}” [1]")
        lines.append(f"——出自《{title}》" + (f"“{cited.section}”" if cited.section else ""))
    else:
        lines.append(f"（据文件信息：《{title}》，{issuer or '发布单位不详'}，{written or date}） [1]")
    if meta.get("status") == "historical" and date[:4]:
        lines.append(f"注意：这是{date[:4]}年的历史文件，可能已不再适用，请以最新政策为准。")
    return "\n".join(lines), [cited]


def _named_document(question: str, passages: list[Passage]) -> list[Passage]:
    """The passages of the document the question names best (its title's character pairs
    in the question, at least NAMED_SHARE of them), or []."""
    asked = char_pairs(question)
    best, best_share = "", 0.0
    for p in passages:
        pairs = char_pairs(p.title)
        share = len(pairs & asked) / len(pairs) if pairs else 0.0
        if share > best_share:
            best, best_share = p.doc_id, share
    if best_share < NAMED_SHARE:
        return []
    return [p for p in passages if p.doc_id == best]


def _written_date(date: str) -> str:
    """ "2016-01-26" as a document writes it, "2016年1月26日"; "" for a year alone."""
    found = _ISO.match(date)
    if not found or not found.group(3):
        return ""
    year, month, day = found.groups()
    return f"{year}年{int(month)}月{int(day)}日"


def asks_issue_date(question: str) -> bool:
    """Whether `question` asks when a document was issued ("是哪天印发的")."""
    return bool(_ASKS_DATE.search(question))


def issue_date_form(date: str) -> re.Pattern[str] | None:
    """How a document writes its own issue date "2015-11-18" in its text ("2015年11月18日",
    spaces and leading zeros aside); None for a date without its day."""
    found = _ISO.match(date)
    if not found or not found.group(3):
        return None
    year, month, day = found.groups()
    return re.compile(rf"{year}\s*年\s*0?{int(month)}\s*月\s*0?{int(day)}\s*日")


def _line_stating(passages: list[Passage], wanted: list[str]) -> tuple[Passage, str] | None:
    """The first line of `passages` holding every one of `wanted` (spaces and a date's
    leading zeros aside), with its passage."""
    for p in passages:
        for line in p.text.split("\n"):
            plain = re.sub(r"\s+", "", line)
            plain = re.sub(r"(?<=[年月])0(?=\d)", "", plain)
            if all(w in plain for w in wanted):
                return p, line.strip()
    return None

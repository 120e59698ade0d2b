"""Chat messages as Markdown: answers, citations with the quoted sentence highlighted.

Everything a user or a document supplies is HTML-escaped before it reaches the chatbot's
Markdown renderer: the renderer's sanitiser is a second line of defence, not the first.
"""

from __future__ import annotations

import html
import re
from typing import Any

from assistant.grammar.sentences import ENDS
from assistant.question.decide import PARTIAL_REASONS

Record = dict[str, Any]  # one exchange: question, answer, citations, refused, notice


_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~#$])")


_MD_ORDERED = re.compile(r"^(\s*\d+)([.)])", re.M)


# "- " bullets (the answerer's list of related measures) stay lists; a line of only - or =
# would underline the line above into a heading.
_MD_RULE = re.compile(r"^(\s*)([-=*_+])(?=[-=*_+\s]*$)", re.M)


def escape_text(text: str) -> str:
    """Plain text for the chatbot's Markdown: HTML escaped, Markdown syntax neutralised
    (answers quote documents, whose 1. / * / # must not turn into lists or headings)."""
    text = html.escape(text, quote=False)
    text = _MD_SPECIAL.sub(r"\\\1", text)
    text = _MD_ORDERED.sub(r"\1\\\2", text)
    return _MD_RULE.sub(r"\1\\\2", text)


def _one_line(text: str) -> str:
    """Escaped HTML on one line: a blank line would end the HTML block in Markdown."""
    return "<br>".join(html.escape(line) for line in text.splitlines() if line.strip())


def highlight(passage: str, quote: str) -> str:
    """The passage, escaped, with the quoted sentence in <mark>."""
    quote = (quote or "").strip()
    for candidate in (quote, quote.rstrip(ENDS)):
        at = passage.find(candidate) if candidate else -1
        if at >= 0:
            end = at + len(candidate)
            return _one_line(passage[:at]) + f"<mark>{_one_line(candidate)}</mark>" + _one_line(passage[end:])
    marked = f"<mark>{_one_line(quote)}</mark><br>" if quote else ""
    return marked + _one_line(passage)


def render_citation(c: dict[str, Any]) -> str:
    badge = ' <span class="luohu-badge">历史文件</span>' if c.get("status") == "historical" else ""
    meta = " · ".join(html.escape(str(c[k])) for k in ("issuer", "date") if c.get(k))
    meta_html = f' <span class="luohu-meta">{meta}</span>' if meta else ""
    passage = highlight(str(c.get("text", "")), str(c.get("quote", "")))
    section = f'<div class="luohu-section">{html.escape(c["section"])}</div>' if c.get("section") else ""
    if str(c.get("url", "")).startswith(("http://", "https://")):
        url = html.escape(str(c["url"]))
        section += f'<div class="luohu-url"><a href="{url}" target="_blank" rel="noopener">{url}</a></div>'
    if c.get("ocr_note"):  # read from a scan by OCR: said with its page
        section += f'<div class="luohu-meta">{html.escape(str(c["ocr_note"]))}</div>'
    return (
        f'<details class="luohu-cite"><summary>[{int(c.get("number", 0))}] '
        f"《{html.escape(str(c.get('title', '')))}》{badge}{meta_html}</summary>"
        f'{section}<div class="luohu-passage">{passage}</div></details>'
    )


# Where a refusal's text starts listing the nearest passages (chain._refusal_text): the UI
# shows them once, as cards with their sentence, instead of as a second plain list.
_NEAREST_HEADS = ("与问题最接近的相关内容", "與問題最接近的相關內容", "The nearest relevant provisions")
OPENING_MAX = 80  # characters of a nearest passage's sentence shown without clicking


def _without_nearest_list(answer: str) -> str:
    cut = min((at for head in _NEAREST_HEADS if (at := answer.find(head)) >= 0), default=-1)
    return answer[:cut].rstrip() if cut >= 0 else answer


def _opening(c: dict[str, Any]) -> str:
    sentence = str(c.get("quote") or "").strip() or str(c.get("text", "")).strip().split("\n")[0]
    return sentence if len(sentence) <= OPENING_MAX else sentence[: OPENING_MAX - 1] + "…"


def render_nearest(c: dict[str, Any]) -> str:
    """A passage a refusal points to: source and sentence in view, the passage one click away."""
    badge = ' <span class="luohu-badge">历史文件</span>' if c.get("status") == "historical" else ""
    section = f" {html.escape(str(c['section']))}" if c.get("section") else ""
    passage = highlight(str(c.get("text", "")), str(c.get("quote", "")))
    return (
        f'<details class="luohu-cite luohu-nearest"><summary>[{int(c.get("number", 0))}] '
        f"《{html.escape(str(c.get('title', '')))}》{badge}{section}"
        f'<div class="luohu-opening">{_one_line(_opening(c))}</div></summary>'
        f'<div class="luohu-passage">{passage}</div></details>'
    )


def render_answer(record: Record) -> str:
    citations = record.get("citations") or []
    refused = bool(record.get("refused")) and record.get("reason") not in PARTIAL_REASONS
    if not citations:
        return escape_text(record["answer"])
    if refused:
        text = escape_text(_without_nearest_list(record["answer"]))
        block = '<div class="luohu-sources">最接近的相关内容</div>' + "".join(
            render_nearest(c) for c in citations
        )
        return f"{text}\n\n{block}"
    heading = "最接近的相关内容" if record.get("refused") else "出处"
    block = f'<div class="luohu-sources">{heading}</div>' + "".join(render_citation(c) for c in citations)
    return f"{escape_text(record['answer'])}\n\n{block}"


def render_messages(records: list[Record]) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for record in records:
        question = record["question"] or "（未输入内容）"
        messages.append({"role": "user", "content": escape_text(question)})
        messages.append({"role": "assistant", "content": render_answer(record) or "…"})
    return messages

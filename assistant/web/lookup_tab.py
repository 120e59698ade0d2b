"""The 查学区/查学校 tab: type a compound, a road and number, a street or a school, see the
matching table rows with their source, current tables first."""

from __future__ import annotations

import html

import gradio as gr

from assistant.chain import Assistant
from assistant.tables.lookup import RowIndex
from assistant.tables.search import search_rows
from assistant.tables.store import row_index
from assistant.web.i18n import t

LOOKUP_HEADERS = ["名称", "表格行", "来源", "状态"]
_CURRENT, _HISTORICAL = "现行", "历史"


def _index(assistant: Assistant) -> RowIndex | None:
    snapshot = assistant.searcher.snapshot()
    return row_index(assistant.settings, snapshot.name, snapshot.chunks.collection)


def lookup_rows(assistant: Assistant, text: str) -> tuple[str, list[list[str]]]:
    """(a one-line summary, the rows as shown)."""
    text = (text or "").strip()
    if not text:
        return "请输入小区、道路门牌、街道或学校名称。", []
    index = _index(assistant)
    if index is None or not len(index):
        return "知识库中还没有表格。", []
    match = search_rows(index, text)
    if match.kind == "not_found":
        near = f"；相近的有：{'、'.join(match.suggestions)}" if match.suggestions else ""
        return f"表格中没有找到“{text}”{near}。", []
    rows = []
    for i in match.rows:
        record = index.records[i]
        where = " › ".join(x for x in (record.table, record.sheet, f"第{record.row}行") if x)
        status = _HISTORICAL if record.status == "historical" else _CURRENT
        year = f"（{record.date[:4]}年）" if record.status == "historical" and record.date else ""
        rows.append([index.names[i], record.text(), f"《{record.title}》 › {where}", status + year])
    condition = f"（门牌范围：{match.condition}）" if match.condition else ""
    return f"找到 {len(rows)} 行{condition}：", rows


def lookup_tab(assistant: Assistant) -> None:
    with gr.Row():
        query = gr.Textbox(
            label=t("lookup_input"), placeholder="翠竹园 / 人民路37号 / 东门街道", elem_id="lookup-input"
        )
        button = gr.Button(t("lookup_button"), variant="primary", elem_id="lookup-button")
    summary = gr.Markdown(elem_id="lookup-summary")
    table = gr.Dataframe(headers=LOOKUP_HEADERS, interactive=False, wrap=True, elem_id="lookup-rows")

    def run(text: str) -> tuple[str, list[list[str]]]:
        line, rows = lookup_rows(assistant, text)
        return html.escape(line), rows

    for trigger in (button.click, query.submit):
        trigger(run, query, [summary, table], api_visibility="undocumented")

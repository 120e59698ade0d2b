"""The 目标与时限 tab: the targets table with filters, CSV download and the timeline."""

from __future__ import annotations

import csv
import hashlib
import tempfile
from pathlib import Path
from typing import Any

import gradio as gr
import pandas as pd

from assistant.chain import Assistant
from assistant.targets.model import Target, deadline_years, filter_targets
from assistant.targets.store import load_targets
from assistant.web.i18n import t

_TARGET_HEADERS = ["截止/周期", "事项", "数量", "责任主体", "所属行动", "原句", "来源文件", "状态"]
_CURRENT, _HISTORICAL = "现行", "历史"
# The timeline's columns: one bar per deadline year or recurrence, split by action.
TIMELINE_COLUMNS = ["期限", "目标数", "所属行动", "文件状态"]
KEY_DEADLINES = 3  # the most frequent deadlines of current documents, named above the chart


def _table_order(target: Target) -> tuple[int, int, str]:
    """Dated rows first (by year), then recurring ones, then quantities, then the rest."""
    span = deadline_years(target.deadline)
    if span:
        return (0, span[1], target.deadline)
    return (1 if target.recurrence else 2 if target.unit else 3, 0, "")


def target_rows(
    targets: list[Target], titles: dict[str, str] | None = None, statuses: dict[str, str] | None = None
) -> list[list[str]]:
    titles, statuses = titles or {}, statuses or {}
    return [
        [
            " ".join(x for x in (t_.deadline, t_.recurrence) if x) or "—",
            t_.what,
            t_.quantity or "—",
            "、".join(t_.responsible) or "—",
            t_.section or "—",
            t_.sentence,
            titles.get(t_.doc_id, t_.doc_id),
            statuses.get(t_.doc_id, _CURRENT),
        ]
        for t_ in targets
    ]


def _lane(target: Target) -> str:
    span = deadline_years(target.deadline)
    if span:
        return target.deadline if "期间" in target.deadline else str(span[1])
    return target.recurrence


def timeline_frame(targets: list[Target], statuses: dict[str, str]) -> pd.DataFrame:
    """Targets per deadline (year, plan period or recurrence) and action: the data of the
    interactive chart. Dated lanes come first, in year order."""
    counts: dict[tuple[str, str, str], int] = {}
    for t_ in targets:
        lane = _lane(t_)
        if not lane:
            continue
        action = (t_.section.split(" > ")[0].strip() if t_.section else "") or t_.doc_id
        key = (lane, action, statuses.get(t_.doc_id, _CURRENT))
        counts[key] = counts.get(key, 0) + 1

    def order(lane: str) -> tuple[int, int, str]:
        span = deadline_years(lane)
        return (0, span[1], lane) if span else (1, 0, lane)

    rows = sorted(counts.items(), key=lambda kv: (order(kv[0][0]), kv[0][1]))
    return pd.DataFrame(
        [[lane, n, action, status] for (lane, action, status), n in rows], columns=TIMELINE_COLUMNS
    )


def key_deadlines(targets: list[Target], statuses: dict[str, str]) -> str:
    """The deadlines most targets of current documents share (the plan's own milestones)."""
    counts: dict[str, int] = {}
    for t_ in targets:
        lane = _lane(t_) if deadline_years(t_.deadline) else ""
        if lane and statuses.get(t_.doc_id, _CURRENT) == _CURRENT:
            counts[lane] = counts.get(lane, 0) + 1
    top = sorted(counts, key=lambda lane: -counts[lane])[:KEY_DEADLINES]
    if not top:
        return ""
    listed = "、".join(
        f"**{lane}**（{counts[lane]}项）" for lane in sorted(top, key=lambda x: deadline_years(x) or (0, 0))
    )
    return f"主要节点：{listed}"


def write_csv(targets: list[Target], path: Path) -> Path:
    # utf-8-sig: Excel opens Chinese CSV correctly only with the BOM.
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(
            ["deadline", "recurrence", "what", "value", "unit", "responsible", "section", "doc_id"]
        )
        for t_ in targets:
            writer.writerow(
                [
                    t_.deadline,
                    t_.recurrence,
                    t_.what,
                    t_.value,
                    t_.unit,
                    "、".join(t_.responsible),
                    t_.section,
                    t_.doc_id,
                ]
            )
    return path


class TargetsView:
    """Filtered table, CSV and chart; files are cached by filter and index version."""

    def __init__(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self.folder = Path(tempfile.mkdtemp(prefix="luohu-ui-"))

    def all(self) -> list[Target]:
        snapshot = self.assistant.searcher.snapshot()  # the index version that answers
        return load_targets(self.assistant.settings, snapshot.name, snapshot.chunks.pages)

    def choices(self) -> tuple[list[str], list[str], list[str]]:
        targets = self.all()
        years = sorted({str(span[1]) for t_ in targets if (span := deadline_years(t_.deadline))})
        actions = sorted({t_.section.split(" > ")[0] for t_ in targets if t_.section})
        counts: dict[str, int] = {}
        for t_ in targets:
            for body in t_.responsible:
                counts[body] = counts.get(body, 0) + 1
        bodies = sorted(counts, key=lambda b: (-counts[b], b))[:80]
        return years, actions, bodies

    def filter(
        self, year: str | None, action: str | None, body: str | None, historical: bool = False
    ) -> tuple[list[list[str]], str, pd.DataFrame, str]:
        """Rows of current documents first; rows of historical documents only on request."""
        statuses = self._statuses()
        rows = filter_targets(self.all(), year=year or None, action=action or None, body=body or None)
        if not historical:
            rows = [r for r in rows if statuses.get(r.doc_id, _CURRENT) == _CURRENT]
        # stable: document order within a group
        rows.sort(key=lambda r: (statuses.get(r.doc_id, _CURRENT) != _CURRENT, *_table_order(r)))
        version = self._version()
        key = hashlib.sha1(f"{version}|{year}|{action}|{body}|{historical}".encode()).hexdigest()[:12]
        csv_path = self.folder / f"targets-{key}.csv"
        if not csv_path.exists():
            write_csv(rows, csv_path)
        frame = timeline_frame(rows, statuses)
        return (
            target_rows(rows, self._titles(), statuses),
            str(csv_path),
            frame,
            key_deadlines(rows, statuses),
        )

    def _documents(self) -> list[Any]:
        try:
            return list(self.assistant.index.documents())
        except Exception:
            return []

    def _titles(self) -> dict[str, str]:
        return {d.doc_id: d.title for d in self._documents()}

    def _statuses(self) -> dict[str, str]:
        """现行, or 历史 with the document's year."""
        return {
            d.doc_id: (f"{_HISTORICAL}（{d.date[:4]}年）" if d.date[:4] else _HISTORICAL)
            if d.status == "historical"
            else _CURRENT
            for d in self._documents()
        }

    def _version(self) -> str:
        try:
            return self.assistant.index.active_name() or ""
        except Exception:
            return ""


def targets_tab(view: TargetsView) -> None:
    gr.Markdown(t("targets_intro"))
    years, actions, bodies = view.choices()
    rows, csv_path, frame, nodes = view.filter("", "", "")
    with gr.Row():
        year = gr.Dropdown(
            [(t("all"), ""), *[(y, y) for y in years]],
            value="",
            label=t("filter_year"),
            elem_id="targets-year",
        )
        action = gr.Dropdown(
            [(t("all"), ""), *[(a, a) for a in actions]],
            value="",
            label=t("filter_action"),
            elem_id="targets-action",
        )
        body = gr.Dropdown(
            [(t("all"), ""), *[(b, b) for b in bodies]],
            value="",
            label=t("filter_body"),
            elem_id="targets-body",
            allow_custom_value=True,  # any part of a name: 街道办 matches 各街道办事处
        )
        historical = gr.Checkbox(False, label=t("include_historical"), elem_id="targets-historical")
    table = gr.Dataframe(
        value=rows,
        headers=_TARGET_HEADERS,
        label=t("targets_table"),
        elem_id="targets-table",
        interactive=False,
        wrap=True,
        max_height=520,
        column_widths=["9%", "17%", "7%", "12%", "14%", "24%", "11%", "6%"],
    )
    download = gr.DownloadButton(t("download_csv"), value=csv_path, elem_id="targets-csv")
    milestones = gr.Markdown(nodes, elem_id="targets-milestones")
    # A native, interactive chart (hover for counts; rendered by the browser, so it stays
    # readable at any width): targets per deadline, stacked by action.
    chart = gr.BarPlot(
        value=frame,
        x="期限",
        y="目标数",
        color="所属行动",
        tooltip=["期限", "所属行动", "目标数", "文件状态"],
        sort=None,
        title=t("timeline"),
        x_label_angle=-30,
        height=420,
        elem_id="targets-timeline",
    )
    for control in (year, action, body, historical):
        control.change(
            view.filter,
            [year, action, body, historical],
            [table, download, chart, milestones],
            api_visibility="undocumented",
            show_progress="minimal",
        )

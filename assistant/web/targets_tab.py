"""The 目标与时限 tab: the targets table with filters, CSV download and the timeline."""

from __future__ import annotations

import csv
import hashlib
import tempfile
from pathlib import Path

import gradio as gr

from assistant.chain import Assistant
from assistant.targets.model import Target, deadline_years, filter_targets
from assistant.targets.store import load_targets
from assistant.web.i18n import t

_TARGET_HEADERS = ["截止/周期", "事项", "数量", "责任主体", "所属行动", "原句", "来源文件"]


def _table_order(target: Target) -> tuple[int, int, str]:
    """Dated rows first (by year), then recurring ones, then quantities, then the rest."""
    span = deadline_years(target.deadline)
    if span:
        return (0, span[1], target.deadline)
    return (1 if target.recurrence else 2 if target.unit else 3, 0, "")


def target_rows(targets: list[Target], titles: dict[str, str] | None = None) -> list[list[str]]:
    titles = titles or {}
    return [
        [
            " ".join(x for x in (t_.deadline, t_.recurrence) if x) or "—",
            t_.what,
            t_.quantity or "—",
            "、".join(t_.responsible) or "—",
            t_.section or "—",
            t_.sentence,
            titles.get(t_.doc_id, t_.doc_id),
        ]
        for t_ in targets
    ]


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
        return load_targets(self.assistant.settings)  # the index that answers

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
        self, year: str | None, action: str | None, body: str | None
    ) -> tuple[list[list[str]], str, str]:
        rows = filter_targets(self.all(), year=year or None, action=action or None, body=body or None)
        rows.sort(key=_table_order)  # stable: document order within a group
        version = self._version()
        key = hashlib.sha1(f"{version}|{year}|{action}|{body}".encode()).hexdigest()[:12]
        csv_path = self.folder / f"targets-{key}.csv"
        chart_path = self.folder / f"timeline-{key}.png"
        if not csv_path.exists():
            write_csv(rows, csv_path)
        if not chart_path.exists():
            from assistant.targets.chart import render_timeline  # matplotlib: loaded when first drawn

            # A timeline: rows with a deadline or a recurrence (undated ones would bury them).
            render_timeline([r for r in rows if _table_order(r)[0] < 2], chart_path)
        return target_rows(rows, self._titles()), str(csv_path), str(chart_path)

    def _titles(self) -> dict[str, str]:
        try:
            return {d.doc_id: d.title for d in self.assistant.index.documents()}
        except Exception:
            return {}

    def _version(self) -> str:
        try:
            return self.assistant.index.active_name() or ""
        except Exception:
            return ""


def targets_tab(view: TargetsView) -> None:
    gr.Markdown(t("targets_intro"))
    years, actions, bodies = view.choices()
    rows, csv_path, chart_path = view.filter("", "", "")
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
    table = gr.Dataframe(
        value=rows,
        headers=_TARGET_HEADERS,
        label=t("targets_table"),
        elem_id="targets-table",
        interactive=False,
        wrap=True,
        max_height=520,
        column_widths=["9%", "18%", "7%", "13%", "15%", "25%", "13%"],
    )
    download = gr.DownloadButton(t("download_csv"), value=csv_path, elem_id="targets-csv")
    chart = gr.Image(value=chart_path, label=t("timeline"), type="filepath", format="png", interactive=False)
    for control in (year, action, body):
        control.change(
            view.filter,
            [year, action, body],
            [table, download, chart],
            api_visibility="undocumented",
            show_progress="minimal",
        )

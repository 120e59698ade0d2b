"""`python -m assistant targets`: print the targets table (or JSON), optionally filtered,
optionally drawn as a timeline PNG. `register` adds the subcommand to the main parser."""

from __future__ import annotations

import argparse
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path
from typing import Any

from assistant.settings import Settings

_COLUMNS = ("截止/周期", "事项", "数量", "责任主体", "所属行动", "来源")
_WIDTHS = (22, 40, 12, 24, 30, 0)  # display columns; 0 = no limit


def register(subparsers: Any, open_index: Callable[[Settings], Any] | None = None) -> argparse.ArgumentParser:
    """`open_index` opens the knowledge index whose targets table is read (the files are
    read through the document pipeline without it, or when it is not ready)."""
    p = subparsers.add_parser("targets", help="目标任务表（数量、期限、周期、责任主体）")
    p.add_argument("--json", action="store_true", help="输出 JSON 列表")
    p.add_argument("--year", help="只看该年到期的目标（含以该年结束的时期，如“十四五”对应 2025）")
    p.add_argument("--action", help="只看某项行动（匹配所属章节，如“学位建设”）")
    p.add_argument("--body", help="只看某责任主体（如“街道办”）")
    p.add_argument("--chart", metavar="FILE.png", help="同时把时间表画成 PNG")
    p.set_defaults(func=run, open_index=open_index)
    return p


def run(args: argparse.Namespace, settings: Settings) -> int:
    from assistant.targets.model import filter_targets
    from assistant.targets.store import load_targets

    index = _opened(getattr(args, "open_index", None), settings)
    rows = load_targets(settings, index=index)
    rows = filter_targets(rows, year=args.year, action=args.action, body=args.body)
    if args.chart:
        from assistant.targets.chart import render_timeline

        render_timeline(rows, Path(args.chart))
    if args.json:
        print(json.dumps([t.to_json() for t in rows], ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print("没有符合条件的目标。")
        return 0
    print(_table(rows))
    print(f"\n共 {len(rows)} 条。")
    if args.chart:
        print(f"时间表已保存：{args.chart}")
    return 0


def _table(rows: list[Any]) -> str:
    lines = [_line(_COLUMNS), _line(tuple("-" * max(4, w) if w else "----" for w in _WIDTHS))]
    for t in rows:
        when = " ".join(x for x in (t.deadline, t.recurrence) if x) or "—"
        cells = (
            when,
            t.what,
            t.quantity or "—",
            "、".join(t.responsible) or "—",
            t.section or "—",
            t.doc_id,
        )
        lines.append(_line(cells))
    return "\n".join(lines)


def _line(cells: tuple[str, ...]) -> str:
    return "  ".join(_fit(cell, width) for cell, width in zip(cells, _WIDTHS, strict=True)).rstrip()


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _fit(text: str, width: int) -> str:
    """Pad (or cut, with …) to `width` display columns."""
    if not width:
        return text
    if _width(text) > width:
        while _width(text) > width - 1:
            text = text[:-1]
        text += "…"
    return text + " " * (width - _width(text))


def _opened(open_index: Callable[[Settings], Any] | None, settings: Settings) -> Any:
    if open_index is None:
        return None
    try:
        return open_index(settings)
    except Exception:  # no index yet, or the server is down: the files are read instead
        return None

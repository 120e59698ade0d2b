"""A timeline PNG of the targets table: deadline year (or a recurring lane) across, the
plan's action down, each point labelled "what value+unit". Drawn on a bare Figure (Agg
canvas, no pyplot), so it never touches a display or global figure state."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import matplotlib
from matplotlib import font_manager
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from assistant.targets.model import Target, deadline_years

_PREFERRED_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Droid Sans Fallback",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
)
_FONT_HINTS = ("CJK", "SC", "Hei", "Song", "Kai", "Ming", "Fallback")
_NO_DEADLINE = "未定期限"
_LABEL_MAX = 22


def cjk_font() -> str | None:
    """An installed font that can draw Chinese, if any (nothing is downloaded)."""
    names = {f.name for f in font_manager.fontManager.ttflist}
    for name in _PREFERRED_FONTS:
        if name in names:
            return name
    return next((n for n in sorted(names) if any(h in n for h in _FONT_HINTS)), None)


def _lane(target: Target) -> str:
    """The column a row sits in: its deadline's last year, its recurrence, or no deadline."""
    span = deadline_years(target.deadline)
    if span:
        return str(span[1])
    return target.recurrence or _NO_DEADLINE


def _action(target: Target) -> str:
    return (target.section.split(" > ")[0].strip() if target.section else "") or target.doc_id


def _label(target: Target) -> str:
    what = target.what if len(target.what) <= _LABEL_MAX else target.what[: _LABEL_MAX - 1] + "…"
    quantity = f" {target.quantity}" if target.unit else ""
    return f"{what}{quantity}"


def _lanes(targets: Sequence[Target]) -> list[str]:
    lanes = {_lane(t) for t in targets}
    years = sorted(lane for lane in lanes if lane.isdigit())
    recurring = sorted(lane for lane in lanes if not lane.isdigit() and lane != _NO_DEADLINE)
    return years + recurring + ([_NO_DEADLINE] if _NO_DEADLINE in lanes else [])


def render_timeline(targets: Sequence[Target], path: Path) -> Path:
    """Write the timeline to `path` (PNG) and return it. An empty table still gives a chart
    that says so."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    font = cjk_font()
    rc = {"font.family": [font, "DejaVu Sans"]} if font else {}
    lanes = _lanes(targets)
    rows_of = _rows_per_action(targets, lanes)
    with matplotlib.rc_context(rc), warnings.catch_warnings():
        # Without a CJK font, Chinese glyphs are drawn as boxes; the chart is still valid.
        warnings.filterwarnings("ignore", message=".*Glyph.*missing.*")
        warnings.filterwarnings("ignore", message=".*missing from font.*")
        height = max(3.0, 0.28 * sum(rows_of.values()) + 0.3 * len(rows_of) + 1.5)
        width = max(6.0, 3.2 * len(lanes) + 3.0)
        fig = Figure(figsize=(width, height), dpi=100)
        _draw(fig.subplots(), targets, lanes, rows_of)
        fig.tight_layout()
        fig.savefig(path, format="png")
    return path


def _rows_per_action(targets: Sequence[Target], lanes: list[str]) -> dict[str, int]:
    """How many label lines each action needs: its fullest lane."""
    cells: dict[tuple[str, str], int] = {}
    for t in targets:
        key = (_action(t), _lane(t))
        cells[key] = cells.get(key, 0) + 1
    rows: dict[str, int] = {}
    for (action, _), count in cells.items():
        rows[action] = max(rows.get(action, 0), count)
    return dict(sorted(rows.items()))


def _draw(ax: Axes, targets: Sequence[Target], lanes: list[str], rows_of: dict[str, int]) -> None:
    if not targets:
        ax.text(0.5, 0.5, "没有符合条件的目标 (no targets)", ha="center", va="center")
        ax.set_axis_off()
        return
    # Each action gets a band tall enough for its fullest cell, so labels never overlap.
    base: dict[str, float] = {}
    top = 0.0
    for action, count in rows_of.items():
        base[action] = top
        top += count + 0.8
    stacked: dict[tuple[str, str], int] = {}
    for target in targets:
        action, lane = _action(target), _lane(target)
        n = stacked.get((action, lane), 0)
        stacked[(action, lane)] = n + 1
        x, y = lanes.index(lane), base[action] + n
        ax.plot(x, y, "o", color="tab:blue" if target.unit else "tab:orange")
        ax.annotate(
            _label(target), (x, y), xytext=(6, 0), textcoords="offset points", fontsize=7, va="center"
        )
    ax.set_xticks(range(len(lanes)), lanes)
    ax.set_yticks(list(base.values()), list(base))
    ax.set_xlim(-0.5, len(lanes) - 0.2)
    ax.set_ylim(top - 0.5, -0.8)
    ax.grid(axis="x", linestyle=":", alpha=0.5)
    ax.set_xlabel("截止年份 / 周期")
    ax.set_title("目标任务时间表")

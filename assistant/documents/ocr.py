"""OCR of one page image: RapidOCR (PP-OCR detection + recognition on ONNX Runtime, the
models ship inside the wheel), the page's orientation, and its reading order (rows, table
cells, two columns). Which pages need OCR and how they are rendered is `scans.py`."""

from __future__ import annotations

import contextlib
import itertools
import logging
import statistics
import threading
import tomllib
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

from assistant.documents.ocr_engine import Engine
from assistant.documents.ocr_models import FP32_REC, recognition_model
from assistant.documents.table_grid import Line, find_grid, table_rows
from assistant.documents.text_repair import PARAGRAPH_INDENT, normalize_width

log = logging.getLogger(__name__)

_DATA = Path(__file__).parent / "data" / "ocr.toml"
# Bump when recognition, orientation or layout changes: cached page results are then redone.
OCR_VERSION = "6"
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@lru_cache(maxsize=1)
def config() -> dict[str, Any]:
    with _DATA.open("rb") as fh:
        return tomllib.load(fh)


def message(key: str, **fields: object) -> str:
    return str(config()["messages"][key]).format(**fields)


@dataclass(frozen=True)
class PageText:
    """What OCR read on one page: its text in reading order, the mean confidence of its
    characters, and the clockwise rotation (degrees) applied to the image to read it."""

    text: str
    confidence: float
    angle: int
    chars: int


@dataclass(frozen=True)
class ScanInfo:
    """Which pages of a loaded document were read by OCR (number, text), and the pages
    that could not be read (number, Chinese reason): for citations and the ingest report."""

    pages: tuple[tuple[int, str], ...]
    confidence: dict[int, float]
    skipped: tuple[tuple[int, str], ...] = ()
    whole: bool = False  # every page with text was read by OCR (an image, a scanned PDF)


_WINDOW = 8  # characters: long enough to be rare within a document, short enough to survive OCR's joins


def _letters(text: str) -> str:
    return "".join(ch for ch in normalize_width(text) if ch.isalnum())


def mark_scan_pages(chunks: list[Any], scan: ScanInfo) -> list[Any]:
    """Each chunk read from OCR'd pages gets their numbers ("3", "3-4"): the pages holding
    those runs of its letters that occur on one page only (cleaning and line joins change
    punctuation and breaks, so letters are compared; a table's repeated header row or a
    phrase found on several pages says nothing)."""
    pages = [(number, _letters(text)) for number, text in scan.pages]
    everywhere = f"{pages[0][0]}-{pages[-1][0]}" if len(pages) > 1 else str(pages[0][0]) if pages else ""
    out = []
    for chunk in chunks:
        letters = _letters(chunk.text)
        unique: list[int] = []
        seen: Counter[int] = Counter()
        for start in range(0, max(len(letters) - _WINDOW, 0) + 1, _WINDOW):
            where = [n for n, page in pages if letters[start : start + _WINDOW] in page]
            seen.update(where)
            if len(where) == 1:
                unique.append(where[0])
        if unique:
            label = f"{min(unique)}" if min(unique) == max(unique) else f"{min(unique)}-{max(unique)}"
        elif seen:  # only shared phrases: the page holding most of them
            label = str(seen.most_common(1)[0][0])
        elif scan.whole:  # a wholly scanned file's passage, changed beyond matching
            label = everywhere
        else:
            label = ""
        if label:
            first, _, last = label.partition("-")
            numbers = range(int(first), int(last or first) + 1)
            scores = [scan.confidence[n] for n in numbers if n in scan.confidence]
            shown = f"{min(scores):.2f}" if scores else ""
            chunk = replace(chunk, ocr_pages=label, ocr_confidence=shown)
        out.append(chunk)
    return out


def citation_note(pages: str, confidence: str = "") -> str:
    """ "第3页，本段由扫描件识别，识别置信度 0.97，可能有误"; below the low mark, a warning to
    check the original instead."""
    if not confidence:
        return message("citation_note", pages=pages)
    low = float(confidence) < float(config()["confidence"]["low"])
    key = "citation_note_low" if low else "citation_note_confidence"
    return message(key, pages=pages, confidence=confidence)


def document_note(confidence: str) -> str:
    """What the document list says of a scanned file: "扫描件，识别置信度 0.97"."""
    if not confidence:
        return ""
    low = float(confidence) < float(config()["confidence"]["low"])
    return message("document_note_low" if low else "document_note", confidence=confidence)


_engine_lock = threading.Lock()
_engine: Engine | None = None  # the first engine built (tests look at it)
# Engines not reading a page now, by their thread count; pages read at once each take one.
_idle: dict[int, list[Engine]] = {}


def engine_name() -> str:
    """The engine and its recogniser (float32, or the int8 copy where it is faster): the
    OCR cache's key, so that pages are read again when either changes."""
    from importlib.metadata import version

    rec = recognition_model()
    int8 = "" if rec.name == FP32_REC else "-" + rec.stem.partition(".")[2]  # "-int8-<key>"
    return f"rapidocr-{version('rapidocr')}{int8}"


def index_key() -> str:
    """What a scanned file's passages depend on besides its bytes (pipeline.content_hash):
    the reading's version and, with the int8 recogniser, which one read it; so switching
    the recogniser re-indexes scans, and float32's key is OCR_VERSION alone."""
    rec = recognition_model()
    return OCR_VERSION if rec.name == FP32_REC else f"{OCR_VERSION} {rec.stem.partition('.')[2]}"


def _get_engine(threads: int) -> Engine:
    """The process's first engine, built at first use with the models inside the wheel,
    so nothing is looked up or fetched at run time."""
    global _engine
    with _engine_lock:
        if _engine is None:
            _engine = _build(threads)
            _idle.setdefault(threads, []).append(_engine)
        return _engine


def _build(threads: int) -> Engine:
    settings = config()["engine"]
    return Engine(settings, float(settings["min_line_score"]), threads, bool(settings["spin"]))


@contextlib.contextmanager
def _engine_for(threads: int) -> Iterator[Engine]:
    """An engine of `threads` threads for this page alone: an idle one, else a new one (so
    two pages read at once run two engines, and an engine never serves two at once)."""
    _get_engine(threads)
    with _engine_lock:
        idle = _idle.setdefault(threads, [])
        engine = idle.pop() if idle else None
    if engine is None:
        engine = _build(threads)
    try:
        yield engine
    finally:
        with _engine_lock:
            _idle.setdefault(threads, []).append(engine)


def release_memory() -> None:
    """After a file's pages are read: the OCR sessions' shared arena gives its free blocks
    back (an idle engine runs it; when every engine is busy, another file is being read
    and its own end releases them)."""
    with _engine_lock:
        idle: list[Engine] = next((engines for engines in _idle.values() if engines), [])
        engine = idle.pop() if idle else None
    if engine is None:
        return
    try:
        engine.release_memory()
    except Exception as exc:  # memory kept is no failure of the file just read
        log.warning("OCR memory not released: %r", exc)
    finally:
        with _engine_lock:
            idle.append(engine)


def _as_lines(found: list[tuple[str, float, np.ndarray]]) -> list[Line]:
    lines = []
    for text, score, box in found:
        points = np.asarray(box, dtype=float)
        bounds = (points[:, 0].min(), points[:, 1].min(), points[:, 0].max(), points[:, 1].max())
        lines.append(Line(text, score, tuple(float(v) for v in bounds)))  # type: ignore[arg-type]
    return lines


def _detect(engine: Engine, array: np.ndarray, side: int) -> np.ndarray:
    """The page's text-line boxes, without the boxes too high to be a line of text."""
    boxes = engine.detect(array, side)
    if not len(boxes):
        return boxes
    short = np.minimum(np.ptp(boxes[:, :, 0], axis=1), np.ptp(boxes[:, :, 1], axis=1))
    limit = float(config()["engine"]["max_line_share"]) * max(array.shape[:2])
    return boxes[short <= limit]


def recognise(image: Image.Image, threads: int = 0) -> list[Line]:
    """Text lines of an upright image, with their boxes and confidences."""
    array = np.asarray(image.convert("RGB"))
    with _engine_for(threads) as engine:
        boxes = _detect(engine, array, int(config()["engine"]["det_side"]))
        return _as_lines(engine.read(array, boxes))


def _weight(lines: list[Line]) -> float:
    """Confident characters: what the right orientation maximises."""
    return sum(line.score * len(line.text) for line in lines)


def _confidence(lines: list[Line]) -> float:
    chars = sum(len(line.text) for line in lines)
    return _weight(lines) / chars if chars else 0.0


def _sideways(lines: list[Line]) -> bool:
    """Most text boxes taller than wide: lines of text run down the page."""
    sized = [ln for ln in lines if max(ln.width, ln.height) > 1.8 * min(ln.width, ln.height)]
    if not sized:
        return False
    tall = sum(1 for ln in sized if ln.height > ln.width)
    return tall / len(sized) >= float(config()["orientation"]["sideways_share"])


def read_page(image: Image.Image, threads: int = 0) -> PageText:
    """OCR one page image, choosing its orientation: as given when it reads well, else the
    rotation (90/180/270) whose reading has the most confident characters."""
    settings = config()["orientation"]
    side = int(config()["engine"]["det_side"])
    array = np.asarray(image.convert("RGB"))
    with _engine_for(threads) as engine:
        # The page's text boxes say whether it lies sideways (most of them taller than
        # wide); an upright page is then read from this same detection.
        boxes = _detect(engine, array, side)
        start = 90 if _sideways(_as_lines([("", 1.0, box) for box in boxes])) else 0
        if start:
            array = np.asarray(image.convert("RGB").rotate(-start, expand=True))
            boxes = _detect(engine, array, side)
        first = _as_lines(engine.read(array, boxes))
    tried: dict[int, list[Line]] = {start: first}
    # No text found at all (a picture, a blank scan): turning the page would not find any.
    upright = not first or (
        not _sideways(first) and _confidence(first) >= float(settings["accept_confidence"])
    )
    if not upright:
        order = (90, 270, 180) if _sideways(first) else (180, 90, 270)
        order = tuple((start + a) % 360 for a in order) + ((0,) if start else ())
        for angle in [a for a in order if a not in tried]:
            # PIL rotates counter-clockwise; angle is the clockwise turn that reads the page.
            tried[angle] = recognise(image.rotate(-angle, expand=True), threads)
            good = tried[angle]
            if not _sideways(good) and _confidence(good) >= float(settings["accept_confidence"]):
                break
    angle = max(tried, key=lambda a: _weight(tried[a]))
    lines = tried[angle]
    upright_image = image.rotate(-angle, expand=True) if angle else image
    return PageText(
        text=layout(lines, upright_image.width, upright_image),
        confidence=round(_confidence(lines), 4),
        angle=angle,
        chars=sum(len(line.text) for line in lines),
    )


# --- reading order -----------------------------------------------------------------------


def layout(lines: list[Line], page_width: float, image: Image.Image | None = None) -> str:
    """Lines in reading order: a ruled table's rows from its grid (text above and below it
    around them), two columns of running text one after the other, else rows top to
    bottom, a row's boxes left to right, far-apart boxes as table cells ("a | b")."""
    if not lines:
        return ""
    grid = find_grid(image, config()["table"]) if image is not None else None
    if grid is not None:
        x0, y0, x1, y1 = grid.box
        inside = [ln for ln in lines if x0 <= (ln.box[0] + ln.box[2]) / 2 <= x1 and y0 <= ln.cy <= y1]
        if len(inside) >= int(config()["table"]["min_lines"]):
            above = [ln for ln in lines if ln.cy < y0 and ln not in inside]
            below = [ln for ln in lines if ln.cy >= y0 and ln not in inside]
            parts = [
                layout(above, page_width),
                "\n".join(table_rows(grid, inside, config()["table"], _joiner)),
                layout(below, page_width),
            ]
            return "\n".join(part for part in parts if part)
    columns = _split_columns(lines, page_width)
    return "\n".join(_rows_text(column, page_width) for column in columns if column)


def _split_columns(lines: list[Line], page_width: float) -> list[list[Line]]:
    settings = config()["layout"]
    left_edge = min(ln.box[0] for ln in lines)
    right_edge = max(ln.box[2] for ln in lines)
    span = right_edge - left_edge
    if span <= 0 or len(lines) < 6:
        return [lines]
    best: tuple[int, float] | None = None
    for step in range(35, 66):
        x = left_edge + span * step / 100
        crossing = sum(1 for ln in lines if ln.box[0] < x < ln.box[2])
        if best is None or crossing < best[0]:
            best = (crossing, x)
    assert best is not None
    crossing, gutter = best
    if crossing > float(settings["gutter_crossing_share"]) * len(lines):
        return [lines]
    left = [ln for ln in lines if ln.box[2] <= gutter]
    right = [ln for ln in lines if ln.box[0] >= gutter]
    middle = [ln for ln in lines if ln.box[0] < gutter < ln.box[2]]  # a heading over both
    fill = float(settings["column_fill"])
    if len(left) < 3 or len(right) < 3:
        return [lines]
    # Prose columns have long lines; a table's cells are short, and must stay in rows.
    left_wide = statistics.median(ln.width for ln in left) >= fill * (gutter - left_edge)
    right_wide = statistics.median(ln.width for ln in right) >= fill * (right_edge - gutter)
    if not (left_wide and right_wide):
        return [lines]
    return [middle, left, right] if middle else [left, right]


def _centred_heading(row: list[Line], page_width: float) -> bool:
    """A row of two boxes whose wider one is centred on the page and the other a short
    label at its left ("附件5" beside the annex's title): a label and a heading, not two
    cells of a table row."""
    if len(row) != 2 or page_width <= 0:
        return False
    label, heading = row
    centre = (heading.box[0] + heading.box[2]) / 2
    off = abs(centre - page_width / 2) / page_width
    return off <= float(config()["layout"]["centred"]) and label.width * 2 <= heading.width


def _rows_text(lines: list[Line], page_width: float = 0.0) -> str:
    settings = config()["layout"]
    height = statistics.median(ln.height for ln in lines) or 1.0
    rows: list[list[Line]] = []
    for line in sorted(lines, key=lambda ln: ln.cy):
        if (
            rows
            and abs(line.cy - statistics.fmean(r.cy for r in rows[-1])) <= settings["row_tolerance"] * height
        ):
            rows[-1].append(line)
        else:
            rows.append([line])
    starts = _paragraph_starts(rows, height)
    out = []
    for row in rows:
        row.sort(key=lambda ln: ln.box[0])
        if _centred_heading(row, page_width):
            out.extend(line.text for line in row)
            continue
        text = row[0].text
        for before, line in itertools.pairwise(row):
            gap = line.box[0] - before.box[2]
            text += " | " if gap > settings["cell_gap"] * height else _joiner(text, line.text)
            text += line.text
        # Written indented as the page shows it: the wrap repair never joins a paragraph's
        # first line to the line before it.
        out.append(PARAGRAPH_INDENT + text if id(row) in starts else text)
    return "\n".join(out)


def _paragraph_starts(rows: list[list[Line]], height: float) -> set[int]:
    """Rows that open a paragraph: one line set in from the column's left margin (a
    Chinese paragraph's first line is indented two characters) that runs on to the right
    margin. A heading above it, a wrapped line before it, is then never joined to it; a
    centred title line reaches neither edge."""
    settings = config()["layout"]
    single = [row[0] for row in rows if len(row) == 1]
    if len(single) < int(settings["paragraph_min_lines"]):
        return set()
    lefts = sorted(line.box[0] for line in single)
    rights = sorted(line.box[2] for line in single)
    left = lefts[len(lefts) // 10]
    right = rights[len(rights) * 9 // 10]
    indent = float(settings["paragraph_indent"]) * height
    reach = float(settings["paragraph_reach"]) * height
    return {
        id(row)
        for row in rows[1:]
        if len(row) == 1 and row[0].box[0] - left >= indent and right - row[0].box[2] <= reach
    }


def _joiner(left: str, right: str) -> str:
    """Nothing between CJK characters; a space between two words of Latin script or digits."""
    return " " if left[-1:].isascii() and right[:1].isascii() and left[-1:].isalnum() else ""

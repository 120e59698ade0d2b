"""Scanned documents: which PDF pages need OCR, page images (PDF pages rendered by PDFium,
image files and TIFF frames), blank pages found without OCR, per-page progress, and the
results cached by the file's content hash, so re-indexing never reads a page twice.

A page that fails is named and skipped; the rest of the file is read. Memory is bounded
by one page image at a time (each page's result goes to the cache as it is read)."""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from PIL import Image, ImageOps, UnidentifiedImageError
from pypdf import PdfReader

from assistant.documents.errors import DocumentError
from assistant.documents.loaded import LoadedText, tidy
from assistant.documents.metadata import is_garbled
from assistant.documents.ocr import (
    OCR_VERSION,
    PageText,
    ScanInfo,
    config,
    engine_name,
    message,
    read_page,
    release_memory,
)
from assistant.documents.pdf_text import join_pages, strip_page_numbers
from assistant.documents.text_repair import normalize_width, repair_pdf_text
from assistant.grammar.sentences import char_pairs

if TYPE_CHECKING:
    from assistant.settings import Settings

log = logging.getLogger(__name__)

Progress = Callable[[float, str], None]
# PDFium is not thread-safe: one document is read at a time in a process.
_pdfium_lock = threading.Lock()


@dataclass(frozen=True)
class OcrContext:
    """Where results are cached and where progress goes; set by the ingest around its
    documents. Without one, OCR still works (no cache, no progress)."""

    cache_dir: Path | None = None
    progress: Progress | None = None
    enabled: bool = True
    threads: int = 0
    pages: int = 0  # pages read at once (0: one per core)


_context: ContextVar[OcrContext] = ContextVar("ocr_context", default=OcrContext())  # noqa: B039


@contextlib.contextmanager
def ocr_context(
    cache_dir: Path | None,
    progress: Progress | None = None,
    enabled: bool = True,
    threads: int = 0,
    pages: int = 0,
) -> Iterator[None]:
    token = _context.set(OcrContext(cache_dir, progress, enabled, threads, pages))
    try:
        yield
    finally:
        _context.reset(token)


def ocr_settings(
    settings: Settings, progress: Progress | None = None
) -> contextlib.AbstractContextManager[None]:
    """`ocr_context` as the settings say: their cache folder, switch, threads and pages."""
    return ocr_context(
        settings.ocr_cache_dir, progress, settings.ocr_enabled, settings.ocr_threads, settings.ocr_pages
    )


# --- which PDF pages need OCR ------------------------------------------------------------


def _garbage_share(text: str) -> float:
    chars = [ch for ch in text if not ch.isspace()]
    if not chars:
        return 0.0
    odd = sum(1 for ch in chars if "\ue000" <= ch <= "\uf8ff" or ch == "\ufffd" or ord(ch) < 32)
    return odd / len(chars)


def scanned_pages(data: bytes) -> list[int] | None:
    """0-based indices of the PDF's pages that need OCR (almost no text layer, or a
    garbage one: scanned pages, text drawn as curves); None when PDFium cannot open the
    file (the text reader then reports it). Blank ones are found before any OCR."""
    import pypdfium2 as pdfium

    detect = config()["detect"]
    with _pdfium_lock:
        try:
            document = pdfium.PdfDocument(data)
        except Exception:  # encrypted, corrupt: said by the text reader with its own message
            return None
        try:
            out = []
            for index in range(len(document)):
                page = document[index]
                text = page.get_textpage().get_text_range()
                chars = len("".join(text.split()))
                garbage = _garbage_share(text) >= float(detect["garbage_share"])
                if garbage or chars < int(detect["min_text_chars"]):
                    out.append(index)
            return out
        finally:
            document.close()


# --- reading ----------------------------------------------------------------------------


def read_pdf_scan(
    data: bytes, filename: str, text_pages: list[str], scanned: list[int]
) -> tuple[list[str], ScanInfo]:
    """Every page's text: the text layer's where it has one, OCR's for `scanned` pages."""
    texts, info = _read_pages(data, filename, len(text_pages), scanned, _pdf_page_images(data))
    # A short text layer (a page with one line) stays unless OCR read more than it holds.
    used = {i: t for i, t in texts.items() if len("".join(t.split())) > len("".join(text_pages[i].split()))}
    pages = [used.get(i, text) for i, text in enumerate(text_pages)]
    kept = tuple((number, text) for number, text in info.pages if number - 1 in used)
    confidence = {n: c for n, c in info.confidence.items() if n - 1 in used}
    whole = all(i in used or not text.strip() for i, text in enumerate(text_pages))
    return pages, ScanInfo(kept, confidence, info.skipped, whole=whole)


def _pdf_page_images(data: bytes) -> Callable[[int], Image.Image | None]:
    """A page's image for OCR, rendered by PDFium (None for a blank page)."""
    import pypdfium2 as pdfium

    render = config()["render"]

    def image_of(index: int) -> Image.Image | None:
        with _pdfium_lock:
            document = pdfium.PdfDocument(data)
            try:
                page = document[index]
                if _is_blank(page):
                    return None
                width, height = page.get_size()  # points, /Rotate applied
                scale = float(render["dpi"]) / 72
                scale = min(scale, (int(render["max_page_pixels"]) / max(width * height, 1.0)) ** 0.5)
                return page.render(scale=scale).to_pil()
            finally:
                document.close()

    return image_of


# --- garbled lines of a text layer ---------------------------------------------------------

SPLICE_MAX_LINES = 4  # OCR lines that may stand for one run of garbled lines
SPLICE_MATCH = 0.5  # share of a text-layer line's character pairs an OCR line must hold
_READABLE = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]")  # a line OCR can be matched on


def garbled_pages(text_pages: list[str]) -> list[int]:
    """0-based indices of pages whose text layer has a garbled line (a title set in a font
    without a Unicode map) while the rest of the page reads."""
    return [i for i, text in enumerate(text_pages) if any(is_garbled(line) for line in text.split("\n"))]


def _pairs(text: str) -> set[str]:
    return char_pairs("".join(text.split()))


def _match(line: str, ocr_lines: list[str], start: int) -> int:
    """The OCR line from `start` on that reads as `line` (-1 when none does)."""
    want = _pairs(line)
    if not want:
        return -1
    best, at = 0.0, -1
    for k in range(start, len(ocr_lines)):
        share = len(want & _pairs(ocr_lines[k])) / len(want)
        if share > best:
            best, at = share, k
    return at if best >= SPLICE_MATCH else -1


def splice_garbled(text_page: str, ocr_text: str) -> str:
    """`text_page` with each run of garbled lines replaced by the OCR lines read between
    its two neighbours (the lines are dropped, as before, when they cannot be placed)."""
    ocr_lines = [line for line in ocr_text.split("\n") if line.strip()]
    lines = text_page.split("\n")
    out: list[str] = []
    cursor, i = 0, 0
    while i < len(lines):
        if not is_garbled(lines[i]):
            out.append(lines[i])
            i += 1
            continue
        j = i
        while j < len(lines) and (is_garbled(lines[j]) or not lines[j].strip()):
            j += 1
        before = next((line for line in reversed(out) if _READABLE.search(line)), "")
        lo = _match(before, ocr_lines, cursor) if before else cursor - 1
        hi = _match(lines[j], ocr_lines, max(lo + 1, cursor)) if j < len(lines) else len(ocr_lines)
        if (before and lo < 0) or hi < 0:
            i = j
            continue
        between = ocr_lines[lo + 1 : hi]
        if 0 < len(between) <= SPLICE_MAX_LINES and not any(is_garbled(x) for x in between):
            out.extend(between)
            cursor = hi
        i = j
    return "\n".join(out)


def _is_blank(page: object) -> bool:
    """A page with (almost) no dark pixels at low resolution: blank, no OCR needed."""
    dpi = float(config()["blank"]["dpi"])
    return is_blank_image(page.render(scale=dpi / 72, grayscale=True).to_pil())  # type: ignore[attr-defined]


def is_blank_image(image: Image.Image) -> bool:
    """Few pixels much darker than the paper (the median): no text on it."""
    blank = config()["blank"]
    gray = image.convert("L")
    histogram = gray.histogram()
    total = max(gray.width * gray.height, 1)
    seen, paper = 0, 255
    for level, count in enumerate(histogram):
        seen += count
        if seen * 2 >= total:
            paper = level
            break
    dark = sum(histogram[: max(paper - int(blank["contrast"]), 0)])
    return dark / total < float(blank["max_dark_share"])


def read_image_scan(data: bytes, filename: str) -> tuple[list[str], ScanInfo]:
    """Every frame of an image file (a TIFF may hold several pages) read by OCR."""
    render = config()["render"]
    limit = int(render["max_image_pixels"])
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as exc:  # PIL's own guard, far above ours
        claimed = re.search(r"\((\d+) pixels\)", str(exc))
        pixels = int(claimed.group(1)) // 10_000 if claimed else "数亿"
        raise DocumentError(
            f"{filename}: decompression bomb: {exc}",
            message("image_too_large", pixels=pixels, limit=limit // 10_000),
        ) from exc
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise DocumentError(f"{filename}: unreadable image: {exc!r}", message("image_corrupt")) from exc
    width, height = image.size
    if width * height > limit:
        # Refused from the header, before any pixel is decoded.
        raise DocumentError(
            f"{filename}: image of {width}x{height} pixels is over the {limit} pixel limit",
            message("image_too_large", pixels=width * height // 10_000, limit=limit // 10_000),
        )
    frames = getattr(image, "n_frames", 1)
    # A TIFF's frames share one file handle: pages read at once take turns to decode theirs.
    frame_lock = threading.Lock()

    def image_of(index: int) -> Image.Image | None:
        with frame_lock:
            image.seek(index)  # a TIFF's page; decoded here, so a truncated one fails as its page
            frame = image.copy()
        # A phone photo is stored sideways with an EXIF orientation: turn it as viewers do.
        upright = ImageOps.exif_transpose(frame).convert("RGB")
        # The blank test at about the resolution used for PDF pages (A4 width at its dpi).
        small = upright.reduce(max(1, upright.width * 72 // (int(config()["blank"]["dpi"]) * 595)))
        return None if is_blank_image(small) else upright

    texts, info = _read_pages(data, filename, frames, list(range(frames)), image_of)
    return [texts.get(i, "") for i in range(frames)], replace(info, whole=True)


def _read_pages(
    data: bytes,
    filename: str,
    pages: int,
    scanned: list[int],
    image_of: Callable[[int], Image.Image | None],
) -> tuple[dict[int, str], ScanInfo]:
    context = _context.get()
    cache = _cache_dir(context, data)
    texts: dict[int, str] = {}
    confidence: dict[int, float] = {}
    skipped: list[tuple[int, str]] = []
    todo = [index for index in scanned if _cached(cache, index) is None]
    workers, threads = _plan(context, len(todo))

    def work(index: int) -> PageText:
        image = image_of(index)
        result = read_page(image, threads) if image is not None else PageText("", 1.0, 0, 0)
        del image  # at most one page image per worker in memory
        _store(cache, index, result)
        return result

    waiting = iter(todo)
    pending: dict[int, Future[PageText]] = {}
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="ocr-page") as pool:

        def top_up() -> None:  # the next pages in order, as many as there are workers
            while len(pending) < workers and (index := next(waiting, None)) is not None:
                pending[index] = pool.submit(work, index)

        for done, index in enumerate(scanned, start=1):
            number = index + 1
            if context.progress:
                context.progress(
                    done / max(len(scanned), 1), message("progress", name=filename, page=number, pages=pages)
                )
            try:
                top_up()
                result = pending.pop(index).result() if index in pending else _cached(cache, index)
                top_up()
                if result is None:  # its cache entry vanished since: read it here
                    result = work(index)
            except Exception as exc:  # one page's failure is that page's, not the file's
                reason = _reason(exc)
                log.warning("%s: page %d not read by OCR: %r", filename, number, exc)
                skipped.append((number, message("page_failed", page=number, reason=reason)))
                continue
            if result.text.strip():
                texts[index] = result.text
                confidence[number] = result.confidence
            log.info(
                "%s: OCR page %d/%d: %d characters, confidence %.3f, rotated %d°",
                filename,
                number,
                pages,
                result.chars,
                result.confidence,
                result.angle,
            )
    if todo:
        release_memory()
    info = ScanInfo(
        pages=tuple((i + 1, texts[i]) for i in sorted(texts)), confidence=confidence, skipped=tuple(skipped)
    )
    return texts, info


def _plan(context: OcrContext, pages: int) -> tuple[int, int]:
    """Pages read at once and each one's threads: by default as many pages as cores, one
    thread each (two engines on two cores read two pages in about the time one engine
    reads one with two threads), and all cores on a file's only page."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    workers = max(1, min(context.pages or cores, pages))
    return workers, context.threads or max(1, cores // workers)


def _reason(exc: Exception) -> str:
    if isinstance(exc, Image.DecompressionBombError):
        return "图片尺寸过大"
    if isinstance(exc, (OSError, SyntaxError, ValueError, UnidentifiedImageError)):
        return "图片损坏"
    return type(exc).__name__


# --- cache -----------------------------------------------------------------------------


def _cache_dir(context: OcrContext, data: bytes) -> Path | None:
    if context.cache_dir is None:
        return None
    digest = hashlib.sha256(data).hexdigest()
    # The engine and the rendering settings are part of the key: change either and the
    # pages are read again.
    key = hashlib.sha256(
        f"{engine_name()}|{OCR_VERSION}|{json.dumps(config()['render'], sort_keys=True)}".encode()
    ).hexdigest()[:10]
    return context.cache_dir / f"{digest}-{key}"


def _cached(cache: Path | None, index: int) -> PageText | None:
    if cache is None:
        return None
    path = cache / f"page-{index + 1:04d}.json"
    try:
        return PageText(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # not read yet, or a torn write: read the page again


def _store(cache: Path | None, index: int, result: PageText) -> None:
    if cache is None:
        return
    try:
        cache.mkdir(parents=True, exist_ok=True)
        path = cache / f"page-{index + 1:04d}.json"
        partial = path.with_suffix(".part")
        payload = {
            "text": result.text,
            "confidence": result.confidence,
            "angle": result.angle,
            "chars": result.chars,
        }
        partial.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)
    except OSError as exc:  # a full disk costs a re-read next time, not this file
        log.warning("OCR cache not written in %s: %r", cache, exc)


# --- as a loaded document ---------------------------------------------------------------


def load_scan(data: bytes, filename: str, fmt: str) -> LoadedText | None:
    """An image file, or a PDF with pages that need OCR, as a loaded document; None for a
    PDF whose pages all have a text layer (the text reader reads it)."""
    try:
        return _load_scan(data, filename, fmt)
    except DocumentError:
        raise
    except Exception as exc:  # an engine's or renderer's bug on an odd file: that file's failure
        raise DocumentError(
            f"{filename}: unexpected OCR error: {exc!r}",
            f"识别扫描件时出错（{type(exc).__name__}），该文件可能格式异常，请另存后重新上传。",
        ) from exc


def _load_scan(data: bytes, filename: str, fmt: str) -> LoadedText | None:
    context = _context.get()
    if fmt == "image":
        if not context.enabled:
            raise DocumentError(f"{filename}: image needs OCR, which is off", message("image_ocr_disabled"))
        pages, info = read_image_scan(data, filename)
        fmt_name = "image"
    else:
        scanned = scanned_pages(data) if context.enabled else None
        if scanned is None:
            return None
        text_pages = _text_layer(data)
        garbled = [i for i in garbled_pages(text_pages) if i not in scanned]
        if garbled:
            text_pages = _splice_pages(data, filename, text_pages, garbled)
        if not scanned:
            if not garbled:
                return None
            return LoadedText(text=_as_text(text_pages), format="pdf", encoding=None)
        pages, info = read_pdf_scan(data, filename, text_pages, scanned)
        if not garbled and not info.pages and not info.skipped and any(page.strip() for page in pages):
            return None  # OCR added nothing: the text reader's result, exactly as before
        fmt_name = "pdf"
    text = _as_text(pages)
    if not text.strip():
        reasons = "；".join(reason for _, reason in info.skipped)
        if fmt == "image" and info.skipped:
            raise DocumentError(f"{filename}: no page could be read: {reasons}", message("image_corrupt"))
        raise DocumentError(
            f"{filename}: OCR found no text on {len(pages)} pages", message("no_text", pages=len(pages))
        )
    return LoadedText(text=text, format=fmt_name, encoding=None, scan=info)


def _as_text(pages: list[str]) -> str:
    text = repair_pdf_text(join_pages(strip_page_numbers(pages)))
    # The indent of a paragraph's first line has told the wrap repair where it starts.
    return tidy(normalize_width("\n".join(line.lstrip(" ") for line in text.split("\n"))))


def _splice_pages(data: bytes, filename: str, text_pages: list[str], garbled: list[int]) -> list[str]:
    """The text layer with its garbled lines read by OCR where they can be placed."""
    texts, _ = _read_pages(data, filename, len(text_pages), garbled, _pdf_page_images(data))
    out = list(text_pages)
    for index in garbled:
        if index in texts:
            out[index] = splice_garbled(text_pages[index], texts[index])
            log.info("%s: page %d: garbled line(s) read by OCR", filename, index + 1)
    return out


def _text_layer(data: bytes) -> list[str]:
    """Each page's text layer as the PDF reader gives it (mixed files keep theirs)."""
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        reader.decrypt("")
    return [page.extract_text() or "" for page in reader.pages]

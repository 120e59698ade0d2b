"""OCR engines on the real scans: character error rate against the hand transcriptions,
seconds per page, peak memory.

    python -m benchmarks.ocr_scans [--engine rapidocr|tesseract|both] [--dpi 200] [--json OUT]
                                   [--threads N] [--pages N]

`--pages 2 --threads 1` reads two pages at once, each on an engine of one thread (as the
ingest reads a scan of several pages on two cores): seconds per page are then each page's
own latency, and pages per minute the throughput.

Each engine runs in its own process (peak RSS is that process's, or for Tesseract its
child processes'). Pages are rendered by PDFium exactly as the ingest renders them; the
orientation is the one `assistant.documents.ocr` chooses (for Tesseract too, so that both
engines read the same upright image and only recognition is compared). CER is the edit
distance over characters with whitespace, table bars and seal marks removed, divided by
the transcript's length. The Panyu transcript covers pages 1-2 and the 说明 block of page 6
only; that block is compared with the OCR text from its heading on.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SCANS = REPO_ROOT.parent / "shared" / "sources_new" / "scans"
_PAGE_HEAD = re.compile(r"^=== 第(\d+)页(.*?)===\s*$", re.M)
_DROP = re.compile(r"[\s|]|\[印章\]|\[[^\]]*未转录[^\]]*\]")


def normalise(text: str) -> str:
    from assistant.documents.text_repair import normalize_width

    return _DROP.sub("", normalize_width(text))


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def cer(reference: str, hypothesis: str) -> tuple[int, int]:
    ref, hyp = normalise(reference), normalise(hypothesis)
    return edit_distance(ref, hyp), len(ref)


def bag_errors(reference: str, hypothesis: str) -> int:
    """Characters missing or extra, in any order: recognition apart from reading order
    (a table's cells read row by row where the transcript repeats merged cells)."""
    ref, hyp = Counter(normalise(reference)), Counter(normalise(hypothesis))
    return max(sum((ref - hyp).values()), sum((hyp - ref).values()))


def transcript_pages(path: Path) -> dict[int, tuple[str, str]]:
    """Page number → (kind, text): kind "page" for a whole page, "notes" for a block."""
    text = path.read_text(encoding="utf-8")
    heads = list(_PAGE_HEAD.finditer(text))
    out: dict[int, tuple[str, str]] = {}
    for head, following in zip(heads, [*heads[1:], None], strict=False):
        body = text[head.end() : following.start() if following else len(text)]
        if "未转录" in body or "至" in head.group(2):
            continue
        kind = "notes" if "说明" in head.group(2) else "page"
        out[int(head.group(1))] = (kind, body.strip())
    return out


def render_pages(pdf: Path, dpi: int) -> list:
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(pdf))
    return [document[i].render(scale=dpi / 72).to_pil() for i in range(len(document))]


def tesseract(image, angle: int) -> str:
    upright = image.rotate(-angle, expand=True) if angle else image
    with tempfile.NamedTemporaryFile(suffix=".png") as fh:
        upright.save(fh.name)
        done = subprocess.run(
            ["tesseract", fh.name, "-", "-l", "chi_sim", "--psm", "3"],
            capture_output=True,
            text=True,
            check=True,
        )
    return done.stdout


def _cpu_seconds() -> float:
    """CPU time of this process's threads and of finished child processes (Tesseract)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _read(image, threads: int) -> tuple:
    """One page read by RapidOCR: (page, wall seconds, CPU seconds). With one thread the
    engine computes on the calling thread, so its CPU time is this thread's; with more, the
    process's (only one page is read at a time then)."""
    from assistant.documents.ocr import read_page

    started = time.perf_counter()
    cpu = time.thread_time() if threads == 1 else _cpu_seconds()
    page = read_page(image, threads)
    spent = (time.thread_time() if threads == 1 else _cpu_seconds()) - cpu
    return page, time.perf_counter() - started, spent


def run_engine(
    engine: str, dpi: int, angles: dict[str, list[int]] | None, threads: int = 0, pages: int = 1
) -> dict:
    from concurrent.futures import ThreadPoolExecutor

    rows = []
    started_all = time.perf_counter()
    for pdf in sorted(SCANS.glob("*.pdf")):
        reference = transcript_pages(pdf.with_suffix(".transcript.txt"))
        images = render_pages(pdf, dpi)
        if engine == "rapidocr":
            # `pages` pages at once, each on an engine of its own (as the ingest reads a file).
            with ThreadPoolExecutor(max_workers=pages) as pool:
                read = list(pool.map(lambda image: _read(image, threads), images))
        for number, image in enumerate(images, start=1):
            if engine == "rapidocr":
                page, seconds, cpu_seconds = read[number - 1]
                text, angle, confidence = page.text, page.angle, page.confidence
            else:
                started, cpu = time.perf_counter(), _cpu_seconds()
                angle = angles[pdf.name][number - 1] if angles else 0
                text, confidence = tesseract(image, angle), None
                seconds, cpu_seconds = time.perf_counter() - started, _cpu_seconds() - cpu
            row = {
                "file": pdf.name,
                "page": number,
                "seconds": round(seconds, 2),
                "cpu_seconds": round(cpu_seconds, 2),
                "text": text,
                "angle": angle,
                "confidence": confidence,
                "chars": len(normalise(text)),
            }
            if number in reference:
                kind, ref = reference[number]
                hyp = text[text.find("说明") :] if kind == "notes" and "说明" in text else text
                row["errors"], row["ref_chars"] = cer(ref, hyp)
                row["bag_errors"] = bag_errors(ref, hyp)
                row["kind"] = kind
                row["table"] = " | " in ref  # the transcript writes table rows as "a | b"
            rows.append(row)
            shown = {k: v for k, v in row.items() if k != "text"}
            print(json.dumps(shown, ensure_ascii=False), file=sys.stderr)
    usage = resource.getrusage(resource.RUSAGE_SELF if engine == "rapidocr" else resource.RUSAGE_CHILDREN)
    return {
        "engine": engine,
        "dpi": dpi,
        "threads": threads,
        "pages_at_once": pages,
        "rows": rows,
        "wall_seconds": round(time.perf_counter() - started_all, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
    }


def _rate(rows: list[dict], key: str = "errors") -> str:
    return f"{sum(r[key] for r in rows) / max(sum(r['ref_chars'] for r in rows), 1):.2%}"


def _by_kind(rows: list[dict]) -> list[str]:
    """CER of text pages (odd / even) and of table pages (reading order / any order), and
    seconds per page of each kind."""
    scored = [r for r in rows if "errors" in r]
    text = [r for r in scored if not r.get("table")]
    tables = [r for r in scored if r.get("table")]
    out = []
    if text:
        odd, even = [r for r in text if r["page"] % 2], [r for r in text if not r["page"] % 2]
        out.append(f"  text pages: CER {_rate(text)} (odd {_rate(odd)} / even {_rate(even)})")
    if tables:
        odd, even = [r for r in tables if r["page"] % 2], [r for r in tables if not r["page"] % 2]
        out.append(
            f"  table pages: CER {_rate(tables)} in reading order (odd {_rate(odd)} / even {_rate(even)}), "
            f"{_rate(tables, 'bag_errors')} in any order"
        )
    for label, part in (("text", text), ("table", tables)):
        if part:
            seconds, cpu = [r["seconds"] for r in part], [r["cpu_seconds"] for r in part]
            out.append(
                f"  seconds per {label} page: median {statistics.median(seconds):.2f}, "
                f"max {max(seconds):.2f}; CPU seconds median {statistics.median(cpu):.2f}, max {max(cpu):.2f}"
            )
    return out


def summary(result: dict) -> str:
    rows = result["rows"]
    seconds = sorted(r["seconds"] for r in rows)
    lines = [
        f"engine {result['engine']} at {result['dpi']} dpi, {result.get('pages_at_once', 1)} page(s) at "
        f"once, {result.get('threads', 0) or 'all'} thread(s) each, peak RSS {result['peak_rss_mb']} MB"
    ]
    by_file: dict[str, list[dict]] = {}
    for row in rows:
        if "errors" in row:
            by_file.setdefault(row["file"], []).append(row)
    for name, got in by_file.items():
        errors, chars = sum(r["errors"] for r in got), sum(r["ref_chars"] for r in got)
        unordered = sum(r["bag_errors"] for r in got) / chars
        odd = [r for r in got if r["page"] % 2]
        even = [r for r in got if not r["page"] % 2]
        half = "; ".join(
            f"{label} {sum(r['errors'] for r in part) / max(sum(r['ref_chars'] for r in part), 1):.2%}"
            for label, part in (("odd pages", odd), ("even pages", even))
            if part
        )
        lines.append(
            f"  {name}: CER {errors / chars:.2%} over {chars} characters ({half}); "
            f"in any order {unordered:.2%}"
        )
    lines.extend(_by_kind(rows))
    errors = sum(r.get("errors", 0) for r in rows)
    chars = sum(r.get("ref_chars", 0) for r in rows)
    lines.append(f"  all transcribed pages: CER {errors / max(chars, 1):.2%} over {chars} characters")
    lines.append(
        f"  seconds per page: median {statistics.median(seconds):.2f}, min {seconds[0]:.2f}, "
        f"p90 {seconds[int(0.9 * (len(seconds) - 1))]:.2f}, max {seconds[-1]:.2f} ({len(seconds)} pages)"
    )
    cpu = sorted(r["cpu_seconds"] for r in rows)
    lines.append(
        f"  CPU seconds per page (all threads): median {statistics.median(cpu):.2f}, max {cpu[-1]:.2f}"
    )
    if result.get("wall_seconds"):  # rendering included
        lines.append(
            f"  {len(rows)} pages in {result['wall_seconds']:.1f} s: "
            f"{60 * len(rows) / result['wall_seconds']:.1f} pages per minute"
        )
    lines.append(
        "  angles: " + ", ".join(f"{r['file'][:9]} p{r['page']}={r['angle']}" for r in rows if r["angle"])
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--engine", choices=["rapidocr", "tesseract", "both"], default="both")
    parser.add_argument("--dpi", type=int, default=200)
    parser.add_argument("--json", help="write every page's row here")
    parser.add_argument("--threads", type=int, default=0, help="threads of each engine (0: every core)")
    parser.add_argument("--pages", type=int, default=1, help="pages read at once, an engine each")
    parser.add_argument("--angles", help=argparse.SUPPRESS)  # internal: rapidocr's angles for tesseract
    args = parser.parse_args(argv)
    if not SCANS.is_dir():
        print(f"missing {SCANS}", file=sys.stderr)
        return 2
    if args.engine != "both":
        angles = json.loads(Path(args.angles).read_text()) if args.angles else None
        result = run_engine(args.engine, args.dpi, angles, args.threads, args.pages)
        if args.json:
            Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
        print(summary(result))
        return 0
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        for engine in ("rapidocr", "tesseract"):
            out = Path(tmp) / f"{engine}.json"
            command = [
                sys.executable,
                "-m",
                "benchmarks.ocr_scans",
                "--engine",
                engine,
                "--dpi",
                str(args.dpi),
                "--json",
                str(out),
            ]
            if engine == "tesseract":
                angles: dict[str, list[int]] = {}
                for row in results[0]["rows"]:
                    angles.setdefault(row["file"], []).append(row["angle"])
                (Path(tmp) / "angles.json").write_text(json.dumps(angles))
                command += ["--angles", str(Path(tmp) / "angles.json")]
            subprocess.run(command, check=True, cwd=REPO_ROOT)
            results.append(json.loads(out.read_text(encoding="utf-8")))
    if args.json:
        Path(args.json).write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    for result in results:
        print(summary(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

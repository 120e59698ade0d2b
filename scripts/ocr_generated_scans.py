"""Generated scans: real text documents rendered to page images, read back by OCR.

    python scripts/ocr_generated_scans.py OUT_DIR [--docs NAME,...] [--variants 300-clean,...]
        [--knowledge-out DIR]

Each document of `../shared/sources_extra` named by --docs is loaded as the ingest loads it,
laid out on A4 pages (12-point WenQuanYi Micro Hei, 2.5 cm margins) and drawn at 150 and
300 dpi, clean or with noise (Gaussian grain, speckles) and a 0.8° skew; every variant is
saved as an image-only PDF in OUT_DIR/<variant>/ and read by the ingest's OCR path. It
prints, per variant, the character error rate against the text drawn on each page and the
seconds per page. With --knowledge-out, it also writes, per variant, a knowledge folder
(the repository's knowledge/ plus all of sources_extra, the named documents replaced by
their scans), to ask the dev_extra questions over scans and over the text originals:

    ASSISTANT_KNOWLEDGE_DIR=DIR/<variant> python -m assistant ingest
    python -m assistant eval QUESTIONS.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import sys
import time
from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter, ImageFont

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from benchmarks.ocr_scans import cer  # noqa: E402

EXTRA = REPO_ROOT.parent / "shared" / "sources_extra"
FONT_FILE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
DEFAULT_DOCS = (
    "moe_2016_urban_compulsory_education_admission_notice.html",
    "zhongshan_2015_urban_primary_school_admission_notice.html",
    "shenzhen_2010_children_and_students_medical_insurance_notice.pdf",
)
VARIANTS = ("300-clean", "300-noisy", "150-clean", "150-noisy")
A4_INCHES = (8.27, 11.69)
MARGIN_INCHES = 1.0
POINTS = 12


def paginate(text: str, dpi: int) -> list[list[str]]:
    """Lines wrapped to the text width (a CJK character is one em, Latin half), per page."""
    em = POINTS / 72 * dpi
    width = (A4_INCHES[0] - 2 * MARGIN_INCHES) * dpi
    per_page = int((A4_INCHES[1] - 2 * MARGIN_INCHES) * dpi // (em * 1.6))
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line, used = "", 0.0
        for ch in paragraph.strip():
            step = em * (0.55 if ch.isascii() else 1.0)
            if used + step > width:
                lines.append(line)
                line, used = "", 0.0
            line += ch
            used += step
        if line:
            lines.append(line)
    return [lines[i : i + per_page] for i in range(0, len(lines), per_page)]


def draw_page(lines: list[str], dpi: int, noisy: bool, rng: random.Random) -> Image.Image:
    size = (int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = ImageFont.truetype(str(FONT_FILE), round(POINTS / 72 * dpi))
    top = MARGIN_INCHES * dpi
    for number, line in enumerate(lines):
        draw.text((MARGIN_INCHES * dpi, top + number * POINTS / 72 * dpi * 1.6), line, fill=0, font=font)
    if noisy:
        image = image.rotate(0.8, resample=Image.Resampling.BICUBIC, fillcolor=255)
        # Grain: paper at about 236 ± 6, ink at about 19 ± 6.
        image = Image.blend(image, Image.effect_noise(size, 40), 0.15)
        draw = ImageDraw.Draw(image)
        for _ in range(size[0] * size[1] // 20_000):  # speckles
            x, y = rng.randrange(size[0]), rng.randrange(size[1])
            draw.point((x, y), fill=rng.choice((0, 90)))
        image = image.filter(ImageFilter.GaussianBlur(0.4))
    return image.convert("RGB")


def main(argv: list[str] | None = None) -> int:
    from assistant.documents.loaders import load_bytes, load_document
    from assistant.documents.scans import ocr_context

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--docs", default=",".join(DEFAULT_DOCS))
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--knowledge-out", type=Path)
    parser.add_argument("--cache", type=Path, help="OCR cache folder (an ingest's data dir/ocr-cache)")
    args = parser.parse_args(argv)
    rng = random.Random(23)
    docs = [EXTRA / name for name in args.docs.split(",")]
    results = []
    for variant in args.variants.split(","):
        dpi, noisy = int(variant.split("-")[0]), variant.endswith("noisy")
        folder = args.out_dir / variant
        folder.mkdir(parents=True, exist_ok=True)
        errors = chars = 0
        seconds: list[float] = []
        for doc in docs:
            pages = paginate(load_document(doc).text, dpi)
            images = [draw_page(lines, dpi, noisy, rng) for lines in pages]
            pdf = folder / f"{doc.stem}.pdf"
            images[0].save(pdf, save_all=True, append_images=images[1:], resolution=dpi)
            del images
            started = time.perf_counter()
            with ocr_context(args.cache):
                loaded = load_bytes(pdf.read_bytes(), pdf.name)
            seconds.append((time.perf_counter() - started) / len(pages))
            read = dict(loaded.scan.pages) if loaded.scan else {}
            for number, lines in enumerate(pages, start=1):
                e, n = cer("".join(lines), read.get(number, ""))
                errors, chars = errors + e, chars + n
            print(f"{variant} {doc.name}: {len(pages)} pages", file=sys.stderr, flush=True)
        results.append({"variant": variant, "cer": errors / max(chars, 1), "chars": chars,
                        "seconds_per_page": statistics.median(seconds)})  # fmt: skip
        print(json.dumps(results[-1]), flush=True)
        if args.knowledge_out:
            target = args.knowledge_out / variant
            shutil.copytree(REPO_ROOT / "knowledge", target, dirs_exist_ok=True)
            for path in EXTRA.iterdir():
                if path in docs:
                    shutil.copy(folder / f"{path.stem}.pdf", target / f"{path.stem}.pdf")
                elif path.name != "PROVENANCE.md":
                    shutil.copy(path, target / path.name)
    print("\n| variant | CER | characters | s/page (median per document) |\n|---|---|---|---|")
    for row in results:
        print(f"| {row['variant']} | {row['cer']:.2%} | {row['chars']} | {row['seconds_per_page']:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

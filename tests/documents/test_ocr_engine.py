"""The OCR engine's own steps: recognition batches of lines of nearly one width (no column
of padding to a common width), detection on a reduced copy of the page with the lines cut
from the page itself. The real page is from shared/sources_new/scans beside the
repository: a failing test, not a skipped one, when it is missing."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest

from assistant.documents import ocr
from assistant.documents.ocr_engine import width_batches

SCANS = Path(__file__).resolve().parents[2].parent / "shared" / "sources_new" / "scans"
PANYU = "panyu_2015_public_primary_enrolment_plan_zones_scan.pdf"


def _padded(ratios: list[float], batches: list[list[int]], floor: float) -> float:
    return sum(len(batch) * max(max(ratios[i] for i in batch), floor) for batch in batches)


def test_batches_hold_lines_of_nearly_one_width_and_every_line_once() -> None:
    # Widths of a table page's lines in line heights: single figures, short cells, long rows.
    ratios = [0.8, 46.0, 1.0, 4.3, 1.1, 23.0, 4.0, 0.9, 51.0, 4.4, 24.0, 1.6]

    batches = width_batches(ratios, floor=0.0, waste=0.1, largest=3)

    assert sorted(i for batch in batches for i in batch) == list(range(len(ratios)))
    assert all(len(batch) <= 3 for batch in batches)
    for batch in batches:  # each batch pads its lines by at most a tenth of their own columns
        own = sum(ratios[i] for i in batch)
        assert len(batch) * max(ratios[i] for i in batch) <= 1.1 * own + 1e-9
    assert [sorted(ratios[i] for i in batch) for batch in batches[:3]] == [[0.8, 0.9], [1.0, 1.1], [1.6]]
    # Six to a batch, narrowest first, every line at least 320/48 wide: RapidOCR's own
    # batching, which pads these lines to 1.6 times their columns.
    rapid = [sorted(range(len(ratios)), key=lambda i: ratios[i])[k : k + 6] for k in (0, 6)]
    assert _padded(ratios, rapid, 320 / 48) > 1.5 * _padded(ratios, batches, 0.0)


def test_a_floor_pads_short_lines_to_it_and_no_padding_at_all_gives_single_lines() -> None:
    ratios = [1.0, 2.0, 3.0]

    assert width_batches(ratios, floor=6.0, waste=0.0, largest=8) == [[0, 1, 2]]  # all as wide as the floor
    assert width_batches(ratios, floor=0.0, waste=0.0, largest=8) == [[0], [1], [2]]


@pytest.fixture(scope="module")
def panyu_page() -> np.ndarray:
    document = pdfium.PdfDocument(str(SCANS / PANYU))
    return np.asarray(document[0].render(scale=200 / 72).to_pil().convert("RGB"))


def test_real_table_page_is_recognised_without_padding_columns(
    panyu_page: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = ocr._get_engine(0)
    settings = ocr.config()["engine"]
    boxes = engine.detect(panyu_page, int(settings["det_side"]))
    fed: list[tuple[int, ...]] = []
    run = engine.rec.session

    def counting(batch: np.ndarray) -> np.ndarray:
        fed.append(batch.shape)
        return run(batch)

    monkeypatch.setattr(engine.rec, "session", counting)
    lines = engine.read(panyu_page, boxes)

    # The page is read: its heading, a school of its first rows and a 招生地段 cell's street.
    text = "".join(text for text, _, _ in lines)
    assert "招生计划" in text and "市桥" in text and len(lines) > 80
    columns = sum(shape[0] * shape[3] for shape in fed)
    from rapidocr.utils.process_img import get_rotate_crop_image

    own = sum(
        max(float(settings["rec_min_ratio"]), crop.shape[1] / crop.shape[0]) * 48
        for crop in (get_rotate_crop_image(panyu_page, box.copy()) for box in boxes)
    )
    assert columns <= (1 + float(settings["rec_waste"])) * own + 48 * len(fed)  # whole columns per batch


def test_pages_of_a_scan_are_read_two_at_once_on_engines_of_their_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scan_images import SCANNED_SENTENCE, squeeze, text_image
    from test_ocr import _image_pdf

    from assistant.documents import scans
    from assistant.documents.loaders import load_bytes

    sentences = [SCANNED_SENTENCE, "网上报名时间为5月6日至5月12日。", "招生计划以区教育局公布为准。"]
    data = _image_pdf([text_image([s]) for s in sentences])
    at_once: list[int] = []
    busy: list[int] = []
    real = ocr._engine_for

    def watched(threads: int):  # type: ignore[no-untyped-def]
        class Watch:
            def __enter__(self) -> object:
                busy.append(threads)
                at_once.append(len(busy))
                self.inner = real(threads)
                return self.inner.__enter__()

            def __exit__(self, *exc: object) -> None:
                self.inner.__exit__(*exc)
                busy.pop()

        return Watch()

    monkeypatch.setattr(ocr, "_engine_for", watched)
    shown: list[str] = []
    with scans.ocr_context(tmp_path / "cache", lambda fraction, desc: shown.append(desc), pages=2):
        loaded = load_bytes(data, "scan.pdf")

    assert [squeeze(sentence) in squeeze(loaded.text) for sentence in sentences] == [True, True, True]
    assert shown == [f"识别《scan.pdf》第 {n}/3 页" for n in (1, 2, 3)]  # progress in page order
    assert max(at_once) == 2 and set(busy) == set()  # two pages read at the same time
    assert len(ocr._idle[1]) >= 2  # each on an engine of one thread, kept for the next file

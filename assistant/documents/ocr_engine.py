"""The OCR engine's steps on one upright page image: text detection on a reduced copy of
the page, each detected line cut from the full-resolution page, and recognition of the
lines in batches of similar width. RapidOCR (PP-OCR on ONNX Runtime, models inside the
wheel) supplies the models, pre- and post-processing; this module calls its detector and
recogniser directly rather than its all-in-one `__call__`, for three reasons measured on
the real scans (docs/ocr.md, "Speed"):

- detection's cost grows with the square of its input side, recognition's does not depend
  on the page's resolution at all (every line is scaled to 48 pixels high), so detection
  runs on a smaller copy and the lines are cut from the page itself;
- recognition costs the same per input column in a batch of one as in a batch of six, so
  every column of padding is lost time: RapidOCR pads each batch of six to its widest line
  and every line to at least 320 columns, which on a table page of short cells is a third
  of the work; here lines are batched only with lines of nearly their width;
- the per-line 0/180 classifier is not run: the page's orientation is chosen as a whole
  (ocr.py)."""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.documents.ocr_models import ocr_session, recognition_model

log = logging.getLogger(__name__)

_HEIGHT = 48  # the recogniser's input height (PP-OCRv6 rec)


def width_batches(ratios: Sequence[float], floor: float, waste: float, largest: int) -> list[list[int]]:
    """Indices of lines grouped into recognition batches. Each line is `ratio` times as wide
    as high once scaled to the recogniser's height, and at least `floor` wide; a batch is
    padded to its widest line. Lines are taken narrowest first, and a batch takes the next
    line only while its padding stays at most `waste` of its lines' own columns and it
    holds fewer than `largest` lines."""
    order = sorted(range(len(ratios)), key=lambda i: ratios[i])
    out: list[list[int]] = []
    own = 0.0
    for i in order:
        width = max(ratios[i], floor)
        if out and len(out[-1]) < largest and width * (len(out[-1]) + 1) <= (1 + waste) * (own + width):
            out[-1].append(i)
            own += width
        else:
            out.append([i])
            own = width
    return out


class Engine:
    """One detector and one recogniser (ONNX Runtime sessions with `threads` threads each).
    Not for two threads at once: a process reading pages in parallel makes one per worker."""

    def __init__(self, settings: dict[str, Any], min_line_score: float, threads: int, spin: bool) -> None:
        import rapidocr
        from rapidocr import RapidOCR

        models = Path(rapidocr.__file__).parent / "models"
        rec = recognition_model()
        params = {
            "Global.log_level": "warning",
            "Global.text_score": min_line_score,
            "Det.model_path": str(models / "PP-OCRv6_det_small.onnx"),
            "Rec.model_path": str(rec),
            "Cls.model_path": str(models / "ch_ppocr_mobile_v2.0_cls_mobile.onnx"),
            "EngineConfig.onnxruntime.intra_op_num_threads": threads if threads > 0 else -1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        }
        for key in ("Det.model_path", "Rec.model_path"):
            if not Path(params[key]).is_file():
                raise FileNotFoundError(f"OCR model missing from the rapidocr package: {params[key]}")
        self.rapid = RapidOCR(params=params)
        logging.getLogger("RapidOCR").setLevel(logging.WARNING)
        self.det = self.rapid._load_det_model()
        self.rec = self.rapid._load_rec_model()
        # RapidOCR's config can neither stop its threads spinning (a quarter more CPU
        # seconds per page where other work shares the cores) nor share one memory arena
        # between sessions, so its sessions are replaced (its `.session` holder, 3.10).
        self.det.session.session = ocr_session(Path(params["Det.model_path"]), threads, spin)
        self.rec.session.session = ocr_session(rec, threads, spin)
        self.settings = settings
        self.min_line_score = min_line_score

    def release_memory(self) -> None:
        """Give the shared arena's free blocks back to the system: one run of a blank line
        with ONNX Runtime's arena shrinking after it. Called when a file's pages are read,
        so a serving process keeps no more than its models between scans (0.65 GB against
        1.95 GB after the three real scans; docs/ocr.md)."""
        import onnxruntime as ort

        options = ort.RunOptions()
        options.add_run_config_entry("memory.enable_memory_arena_shrinkage", "cpu:0")
        session = self.rec.session.session
        blank = np.zeros((1, 3, _HEIGHT, _HEIGHT), dtype=np.float32)
        session.run(None, {session.get_inputs()[0].name: blank}, options)

    def detect(self, array: np.ndarray, side: int) -> np.ndarray:
        """Quadrilaterals (n, 4, 2) of the text lines of an RGB page, in its pixels, from
        detection on a copy at most `side` pixels on its longer side (a multiple of 32)."""
        height, width = array.shape[:2]
        scale = min(1.0, side / max(height, width))
        small_h = max(32, round(height * scale / 32) * 32)
        small_w = max(32, round(width * scale / 32) * 32)
        import cv2

        small = cv2.resize(array, (small_w, small_h), interpolation=cv2.INTER_AREA)
        # The detector's own resize then leaves it as it is (its limit is the copy's side).
        self.det.limit_type, self.det.limit_side_len = "max", max(small_h, small_w)
        found = self.det(small)
        if found.boxes is None or len(found.boxes) == 0:
            return np.zeros((0, 4, 2), dtype=np.float32)
        boxes = np.asarray(found.boxes, dtype=np.float32).copy()
        boxes[:, :, 0] *= width / small_w
        boxes[:, :, 1] *= height / small_h
        return boxes

    def read_lines(self, crops: list[np.ndarray]) -> list[tuple[str, float]]:
        """Text and confidence of each line image, batched by width (`width_batches`)."""
        settings = self.settings
        ratios = [crop.shape[1] / max(crop.shape[0], 1) for crop in crops]
        floor = float(settings["rec_min_ratio"])
        out: list[tuple[str, float]] = [("", 0.0)] * len(crops)
        batches = width_batches(ratios, floor, float(settings["rec_waste"]), int(settings["rec_batch"]))
        for batch in batches:
            widest = max(max(ratios[i] for i in batch), floor)
            # Whole columns: the recogniser's input is `int(48 × widest)` wide.
            widest = math.ceil(_HEIGHT * widest) / _HEIGHT
            inputs = np.stack([self.rec.resize_norm_img(crops[i], widest) for i in batch]).astype(np.float32)
            preds = self.rec.session(inputs)
            lines, _ = self.rec.postprocess_op(
                preds, False, wh_ratio_list=[ratios[i] for i in batch], max_wh_ratio=widest
            )
            for i, (text, score) in zip(batch, lines, strict=True):
                out[i] = (text, float(score))
        return out

    def read(self, array: np.ndarray, boxes: np.ndarray) -> list[tuple[str, float, np.ndarray]]:
        """The lines in `boxes`, cut from the page and read: (text, confidence, box), lines
        with no text or under the confidence floor left out."""
        from rapidocr.utils.process_img import get_rotate_crop_image

        crops = [get_rotate_crop_image(array, box.copy()) for box in boxes]
        texts = self.read_lines(crops) if crops else []
        return [
            (text.strip(), score, box)
            for (text, score), box in zip(texts, boxes, strict=True)
            if text.strip() and score >= self.min_line_score
        ]

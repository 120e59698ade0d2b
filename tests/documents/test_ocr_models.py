"""The int8 text recogniser: made once from the wheel's float32 model, calibrated on the
shipped sheet, kept only where it measures faster on this CPU, and reading as float32 reads.
Quantisation and the timing run for real (about half a minute)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import rapidocr

from assistant.documents import ocr_models

FP32 = Path(rapidocr.__file__).parent / "models" / "PP-OCRv6_rec_small.onnx"


def _argmax(model: Path, batches: list[np.ndarray]) -> list[np.ndarray]:
    import onnxruntime as ort

    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    return [session.run(None, {"x": batch})[0].argmax(axis=-1) for batch in batches]


def test_int8_recogniser_is_made_once_measured_and_reads_as_float32_reads(tmp_path: Path) -> None:
    chosen = ocr_models.int8_or_fp32(FP32, tmp_path)

    made = list(tmp_path.glob("*.int8-*.onnx"))
    decisions = list(tmp_path.glob("*.int8-*.json"))
    assert len(made) == 1 and len(decisions) == 1
    import onnx

    ops = [node.op_type for node in onnx.load(str(made[0])).graph.node]
    assert ops.count("Conv") == 7 and ops.count("QLinearConv") >= 40  # stem and neck stay float32
    # The choice is what was measured here: int8 only when clearly faster.
    import json

    measured = json.loads(decisions[0].read_text(encoding="utf-8"))
    assert measured["int8"] == (measured["int8_cpu_s"] <= 0.85 * measured["fp32_cpu_s"])
    assert chosen == (made[0] if measured["int8"] else FP32)
    # The calibration lines read the same, character slot by character slot, to 98 %.
    batches = ocr_models._inputs(ocr_models.calibration_lines())
    same = total = 0
    for a, b in zip(_argmax(FP32, batches), _argmax(made[0], batches), strict=True):
        same += int((a == b).sum())
        total += a.size
    assert same / total >= 0.98
    # Made once: a second call reads the decision and touches no model.
    stamp = made[0].stat().st_mtime_ns
    assert ocr_models.int8_or_fp32(FP32, tmp_path) == chosen
    assert made[0].stat().st_mtime_ns == stamp


def test_float32_is_kept_where_int8_is_not_faster(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # An AVX2-only CPU without VNNI may run QLinearConv no faster than float32 convolutions.
    monkeypatch.setattr(ocr_models, "cpu_seconds", lambda model, batches, repeats=2: 1.0)

    assert ocr_models.int8_or_fp32(FP32, tmp_path) == FP32
    assert list(tmp_path.glob("*.int8-*.onnx"))  # made, measured, and left unused


def test_engine_runs_the_chosen_recogniser_with_threads_that_sleep_on_one_shared_arena(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from assistant.documents import ocr

    monkeypatch.setattr(ocr, "_engine", None)  # a fresh engine, built as the ingest builds it
    engine = ocr._get_engine(2)

    for model in (engine.det, engine.rec):
        options = model.session.session.get_session_options()
        assert options.get_session_config_entry("session.intra_op.allow_spinning") == "0"
        assert options.get_session_config_entry("session.use_env_allocators") == "1"
        assert options.intra_op_num_threads == 2
    assert Path(engine.rec.session.session._model_path) == ocr_models.recognition_model()
    # The OCR cache key names the recogniser, so a page read by the other one is read again.
    rec = ocr_models.recognition_model()
    assert ("int8" in ocr.engine_name()) == (rec.name != ocr_models.FP32_REC)


def test_switching_the_recogniser_re_indexes_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from assistant.documents import ocr
    from assistant.documents.manifest import DocumentMeta
    from assistant.documents.pipeline import content_hash

    scan = tmp_path / "scan.pdf"
    scan.write_bytes(b"%PDF-1.4 a scanned page")
    meta = DocumentMeta("scan", scan, "scan", "scan", "", "2016", "current")
    monkeypatch.setattr(ocr, "recognition_model", lambda: FP32)
    with_float32 = content_hash(meta, "embedder")
    monkeypatch.setattr(
        ocr, "recognition_model", lambda: Path("/x/PP-OCRv6_rec_small.int8-0123456789ab.onnx")
    )

    assert content_hash(meta, "embedder") != with_float32
    assert ocr.index_key() == f"{ocr.OCR_VERSION} int8-0123456789ab"


def test_sessions_go_without_an_arena_where_the_shared_one_could_not_be_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ocr_models, "_arena", [False])  # as after a failed registration

    options = ocr_models.ocr_session(FP32, 1, spin=True).get_session_options()

    assert options.enable_cpu_mem_arena is False
    assert options.get_session_config_entry("session.intra_op.allow_spinning") == "1"
    with pytest.raises(Exception, match="use_env_allocators"):
        options.get_session_config_entry("session.use_env_allocators")

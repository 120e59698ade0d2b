"""The ONNX export's graph optimiser: the rewrite rules it leaves out never match the
pipeline's graph, so leaving them out changes nothing but the time.

Exported here: a two-layer Gemma 3 (one sliding-window and one full-attention layer, the
real model's tokenizer, prompts and pipeline with small random weights), so the graph has
every kind of node the real one has at a fraction of its export time."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from assistant import model_fetch
from assistant.backends import onnx as onnx_backend
from assistant.settings import Settings

pytest.importorskip("onnxscript")

HIDDEN, INNER = 64, 128


def _small_gemma(folder: Path) -> Path:
    import torch
    from safetensors.torch import save_file
    from transformers import Gemma3TextConfig, Gemma3TextModel

    source = model_fetch.check_cached(Settings().model_cache_dir)
    big = {"model.safetensors", "notebook.ipynb"}
    shutil.copytree(source, folder, ignore=lambda _d, names: big & set(names))
    config = json.loads((source / "config.json").read_text(encoding="utf-8"))
    config.update(
        num_hidden_layers=2,
        layer_types=["sliding_attention", "full_attention"],
        hidden_size=HIDDEN,
        intermediate_size=INNER,
        head_dim=16,
        num_attention_heads=2,
        num_key_value_heads=1,
    )
    torch.manual_seed(0)
    skip = {"architectures", "model_type", "transformers_version"}
    model = Gemma3TextModel(Gemma3TextConfig(**{k: v for k, v in config.items() if k not in skip}))
    model.save_pretrained(folder, safe_serialization=True)
    (folder / "config.json").write_text(json.dumps(config), encoding="utf-8")
    # The two Dense layers, resized to the small hidden size.
    for name, (width_in, width_out) in {"2_Dense": (HIDDEN, INNER), "3_Dense": (INNER, HIDDEN)}.items():
        dense = json.loads((folder / name / "config.json").read_text(encoding="utf-8"))
        dense.update(in_features=width_in, out_features=width_out)
        (folder / name / "config.json").write_text(json.dumps(dense), encoding="utf-8")
        save_file(
            {"linear.weight": torch.randn(width_out, width_in) * 0.1}, folder / name / "model.safetensors"
        )
    return folder


def test_the_rewrite_rules_left_out_of_the_export_never_match_its_graph(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from onnxscript.rewriter import _rewrite_rule

    fired: Counter[str] = Counter()
    tried: Counter[str] = Counter()
    try_rewrite = _rewrite_rule.RewriteRule.try_rewrite

    def counted(self: _rewrite_rule.RewriteRule, *args: object, **kwargs: object) -> object:
        tried[str(self.name)] += 1
        delta = try_rewrite(self, *args, **kwargs)
        if delta is not None:
            fired[str(self.name)] += 1
        return delta

    idle = onnx_backend.IDLE_REWRITE_RULES
    monkeypatch.setattr(_rewrite_rule.RewriteRule, "try_rewrite", counted)
    monkeypatch.setattr(onnx_backend, "IDLE_REWRITE_RULES", frozenset())  # every rule runs
    model_dir = _small_gemma(tmp_path / "small")
    onnx_backend.export_fp32(model_dir, tmp_path / "export")

    assert fired, "the optimiser rewrote nothing: the counting saw no rule at work"
    assert idle
    for name in idle:
        assert tried[name] > 0, f"{name} is not among the optimiser's rules any more"
        assert fired[name] == 0, f"{name} rewrote the graph {fired[name]} times: it is not idle"

    # The exported graph embeds as the torch pipeline it came from.
    from sentence_transformers import SentenceTransformer

    texts = ["学校怎么招生？", "义务教育阶段学校招生入学。" * 3]
    torch_vectors = SentenceTransformer(str(model_dir), device="cpu").encode_document(texts)
    embedder = onnx_backend.OnnxEmbedder(tmp_path / "export" / "model.onnx", model_dir, threads=1)
    onnx_vectors = np.asarray(embedder.embed_documents(texts))
    assert np.allclose(onnx_vectors, torch_vectors, atol=1e-4)

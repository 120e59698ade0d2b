"""EmbeddingGemma through ONNX Runtime: export once from the verified weights, then run.

The exported graph is the whole sentence-transformers pipeline (transformer, mean
pooling, the two Dense layers, L2 normalisation): token ids and mask in, the normalised
768-d vector out. Tokenising and the query/document prompts stay in Python, read from
the model folder, so the vectors match `SentenceTransformer.encode_query/encode_document`.
The int8 file is the float32 graph with its weights dynamically quantised
(onnxruntime.quantization), made once from the float32 export.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

MAX_TOKENS = 2048  # the model's own max_seq_length
# Passages per run. Smaller batches stay in cache: on the shipped chunks (2 cores, AVX2)
# batch 4 took 18.4 s for every 5th chunk against 22.5 s at 16 and 31.5 s at 32, and
# 45.5 s against 52.9 s at 16 for every 2nd chunk.
BATCH = 4


def _prompts(model_dir: Path) -> dict[str, str]:
    config = json.loads((model_dir / "config_sentence_transformers.json").read_text(encoding="utf-8"))
    return dict(config.get("prompts", {}))


def export_fp32(model_dir: Path, out_dir: Path) -> Path:
    """Export the float32 pipeline of `model_dir` to `out_dir/model.onnx` (+ external data)."""
    import torch
    from sentence_transformers import SentenceTransformer

    class Pipeline(torch.nn.Module):
        def __init__(self, st: Any) -> None:
            super().__init__()
            self.transformer = st[0].auto_model
            self.dense1 = st[2].linear
            self.dense2 = st[3].linear

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
            hidden = self.transformer(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return torch.nn.functional.normalize(self.dense2(self.dense1(pooled)), p=2, dim=-1)

    st = SentenceTransformer(str(model_dir), device="cpu", model_kwargs={"attn_implementation": "eager"})
    st.eval()
    _check_pipeline_shape(st)
    model = Pipeline(st).eval()
    sample = st.tokenizer(
        [
            "task: search result | query: 学校怎么招生？",
            "title: none | text: " + "义务教育阶段学校招生入学。" * 6,
        ],
        padding=True,
        return_tensors="pt",
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / "model.onnx"
    batch = torch.export.Dim("batch", min=1, max=1024)
    seq = torch.export.Dim("seq", min=2, max=MAX_TOKENS)
    with torch.no_grad():
        program = torch.onnx.export(
            model,
            (sample["input_ids"], sample["attention_mask"]),
            dynamo=True,
            opset_version=18,
            input_names=["input_ids", "attention_mask"],
            output_names=["sentence_embedding"],
            dynamic_shapes={"input_ids": {0: batch, 1: seq}, "attention_mask": {0: batch, 1: seq}},
            external_data=True,
            optimize=True,
            verify=False,
        )
    program.save(str(target), external_data=True)
    return target


def _check_pipeline_shape(st: Any) -> None:
    """The export hard-codes EmbeddingGemma's pipeline; refuse anything else loudly."""
    kinds = [type(module).__name__ for module in st]
    if kinds[:4] != ["Transformer", "Pooling", "Dense", "Dense"]:
        raise RuntimeError(f"unexpected sentence-transformers pipeline {kinds}; cannot export")
    pooling = st[1]
    if getattr(pooling, "pooling_mode_mean_tokens", True) is not True:
        raise RuntimeError("the ONNX export assumes mean pooling")


def down_projections(fp32_file: Path, model_dir: Path) -> list[str]:
    """The MatMul nodes of each layer's MLP down-projection, found by their weight shape
    (intermediate → hidden), not by the exporter's node names."""
    import onnx

    config = json.loads((model_dir / "config.json").read_text(encoding="utf-8"))
    shape = [int(config["intermediate_size"]), int(config["hidden_size"])]
    graph = onnx.load(str(fp32_file), load_external_data=False).graph
    dims = {init.name: list(init.dims) for init in graph.initializer}
    return [
        node.name
        for node in graph.node
        if node.op_type == "MatMul" and any(dims.get(name) == shape for name in node.input)
    ]


def quantize_int8(fp32_file: Path, out_file: Path, model_dir: Path) -> Path:
    """Weights of the MatMuls to int8, activations quantised at run time, except the MLP
    down-projections: their inputs carry outliers that int8 rounds away (cosine to float32
    0.96 with them, 0.99 without; see docs/backends.md)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    keep_float = down_projections(fp32_file, model_dir)
    if not keep_float:
        raise RuntimeError("no MLP down-projection found in the exported graph; refusing to quantise it")
    quantize_dynamic(
        str(fp32_file),
        str(out_file),
        weight_type=QuantType.QInt8,
        nodes_to_exclude=keep_float,
    )
    return out_file


class OnnxEmbedder:
    """EmbeddingGemma as an ONNX Runtime session; same vectors' meaning as the torch model."""

    def __init__(
        self,
        onnx_file: Path,
        model_dir: Path,
        threads: int,
        batch_size: int = BATCH,
        name: str | None = None,
    ) -> None:
        import onnxruntime as ort
        from transformers import AutoTokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning: on a small machine the spin takes
        # the core that the other requests' Python work (and Chroma) need. Measured on 2
        # cores with 32 concurrent questions: 11.0 q/s without spinning, 7.1 with.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        self._tokenizer = AutoTokenizer.from_pretrained(str(model_dir))
        prompts = _prompts(model_dir)
        self._query_prompt = prompts.get("query", "")
        self._document_prompt = prompts.get("document", "")
        self._batch_size = batch_size
        self._lock = threading.Lock()
        self.name = name or onnx_file.stem
        self.dim = int(self._session.get_outputs()[0].shape[-1] or 768)

    def _run(self, texts: list[str]) -> np.ndarray:
        encoded = self._tokenizer(
            texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np"
        )
        feeds = {
            "input_ids": encoded["input_ids"].astype(np.int64),
            "attention_mask": encoded["attention_mask"].astype(np.int64),
        }
        with self._lock:
            (vectors,) = self._session.run(None, feeds)
        return np.asarray(vectors, dtype=np.float32)

    def embed_documents(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        prompted = [self._document_prompt + t for t in texts]
        # Similar lengths in one batch waste less padding; results go back in input order.
        order = sorted(range(len(prompted)), key=lambda i: len(prompted[i]))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(order), self._batch_size):
            part = order[start : start + self._batch_size]
            out[part] = self._run([prompted[i] for i in part])
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([self._query_prompt + text])[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one forward pass (what concurrent requests share)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._run([self._query_prompt + t for t in texts])

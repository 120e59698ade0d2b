"""Where an ingest's embedding time goes, per backend, and how far it is from the CPU's limit:

    python -m benchmarks.ingest_speed [--backends onnx-int8,onnx-fp32,torch-fp32] [--every N]

On the shipped folder's chunks (every Nth with --every) and their sentences, in one
process per call: tokenising; the chunk vectors the previous way (texts sorted by
characters, 4 per run padded to the longest, every core on one run; torch: its own
batches of 16); the same in the layout measured on this CPU (token-sorted batches, bounded
padding, runs in parallel); the sentence vectors each on its own (previous way and new
layout) and pooled from the chunks' forward pass. Each row gives wall seconds, CPU
seconds of the whole process, tokens per second and tokens per CPU-second × cores (what a
quiet machine gets; the cores are shared while measuring).

The limit: FLOPs per token of the transformer (2 × its weights' multiply-adds plus
attention at the chunks' mean length; the token-embedding table is a lookup) at the rate
ONNX Runtime's own float32 and int8 matrix kernels reach per CPU-second on this CPU, ×
cores (the int8 graph keeps the MLP down-projections and attention in float32); torch-bf16
against torch's own bfloat16 matrix kernel, which its whole graph runs in. quiet
tokens/s = tokens / CPU-seconds × cores.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from assistant.backends.cpu import cpu_info
from assistant.settings import Settings

Row = dict[str, Any]


def _texts(every: int) -> tuple[list[str], list[str], list[list[str]]]:
    from assistant.documents.pipeline import prepare_document
    from assistant.index import knowledge_metas
    from assistant.indexing.sentence_vectors import chunk_sentences

    chunks = [c for meta in knowledge_metas(Settings()) for c in prepare_document(meta).chunks]
    chunks = chunks[::every]
    own = [chunk_sentences(c.text) for c in chunks]
    sentences = list(dict.fromkeys(s for row in own for s in row))
    return [c.embed_text for c in chunks], sentences, own


def _timed(name: str, tokens: int, cores: int, work: Callable[[], object]) -> Row:
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    row = {
        "step": name,
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "tokens": tokens,
        "tokens_per_s": round(tokens / wall),
        "quiet_tokens_per_s": round(tokens / max(cpu, 1e-9) * cores),
    }
    print(json.dumps(row, ensure_ascii=False), file=sys.stderr, flush=True)
    return row


def flops_per_token(mean_tokens: float) -> tuple[float, float]:
    """FLOPs of one token through the transformer layers (the embedding table is a lookup):
    (in the MatMuls the int8 graph quantises, in those it keeps float32: the MLP
    down-projections and attention)."""
    from assistant import model_fetch

    config = json.loads((model_fetch.model_dir(Settings().model_cache_dir) / "config.json").read_text())
    hidden, inter = int(config["hidden_size"]), int(config["intermediate_size"])
    heads, kv = int(config["num_attention_heads"]), int(config["num_key_value_heads"])
    head_dim = int(config.get("head_dim") or hidden // heads)
    layers = int(config["num_hidden_layers"])
    quantised = hidden * head_dim * (2 * heads + 2 * kv) + 2 * hidden * inter
    kept = hidden * inter + 2 * heads * head_dim * mean_tokens  # down-projection; QK^T and AV
    return 2.0 * layers * quantised, 2.0 * layers * kept


def gemm_rates() -> tuple[float, float]:
    """(float32, int8) multiply FLOP per CPU-second of ONNX Runtime's own kernels (MatMul,
    MatMulInteger) at the model's MLP shape, one thread; the best of five runs (another
    process only ever slows one down)."""
    import onnx
    import onnxruntime as ort
    from onnx import TensorProto, helper

    rows, hidden, inter = 512, 768, 3072
    rng = np.random.default_rng(0)

    def rate(op: str, x_type: int, w_type: int, y_type: int, x: np.ndarray, w: np.ndarray) -> float:
        graph = helper.make_graph(
            [helper.make_node(op, ["x", "w"], ["y"])],
            "gemm",
            [helper.make_tensor_value_info("x", x_type, [rows, hidden])],
            [helper.make_tensor_value_info("y", y_type, [rows, inter])],
            [onnx.numpy_helper.from_array(w, "w")],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
        session.run(None, {"x": x})
        best = float("inf")
        for _ in range(5):
            started = time.process_time()
            for _ in range(10):
                session.run(None, {"x": x})
            best = min(best, time.process_time() - started)
        return 10 * 2 * rows * hidden * inter / best

    fp32 = rate(
        "MatMul",
        TensorProto.FLOAT,
        TensorProto.FLOAT,
        TensorProto.FLOAT,
        rng.standard_normal((rows, hidden), dtype=np.float32),
        rng.standard_normal((hidden, inter), dtype=np.float32),
    )
    int8 = rate(
        "MatMulInteger",
        TensorProto.UINT8,
        TensorProto.INT8,
        TensorProto.INT32,
        rng.integers(0, 255, (rows, hidden), dtype=np.uint8),
        rng.integers(-127, 127, (hidden, inter), dtype=np.int8),
    )
    return fp32, int8


def bf16_rate() -> float:
    """bfloat16 multiply FLOP per CPU-second of torch's own matrix kernel (oneDNN: AMX or
    AVX-512 BF16 where the CPU has them) at the same MLP shape, one thread; best of five.
    torch-bf16 runs its whole graph in bfloat16, so this alone bounds it."""
    import torch

    rows, hidden, inter = 512, 768, 3072
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        x = torch.randn(rows, hidden, dtype=torch.bfloat16)
        w = torch.randn(hidden, inter, dtype=torch.bfloat16)
        with torch.inference_mode():
            x @ w
            best = float("inf")
            for _ in range(5):
                started = time.process_time()
                for _ in range(10):
                    x @ w
                best = min(best, time.process_time() - started)
    finally:
        torch.set_num_threads(threads)
    return 10 * 2 * rows * hidden * inter / best


def _chroma_add(chunks: list[str], cores: int) -> Row:
    """Adding the chunks with ready vectors to a new persistent Chroma collection, in the
    ingest's batches of 16."""
    import tempfile

    import chromadb

    vectors = np.random.default_rng(0).standard_normal((len(chunks), 768)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        client = chromadb.PersistentClient(path=folder)
        collection = client.create_collection("bench", configuration={"hnsw": {"space": "cosine"}})

        def add() -> None:
            for start in range(0, len(chunks), 16):
                end = start + 16
                ids = [str(i) for i in range(start, min(end, len(chunks)))]
                collection.add(ids=ids, embeddings=vectors[start:end], documents=chunks[start:end])

        return _timed(f"Chroma add of {len(chunks)} chunks (not tokens)", 0, cores, add)


def run_backend(backend: str, every: int) -> list[Row]:
    from assistant.backends import layout as layouts
    from assistant.backends.selection import load

    settings = Settings()
    cores = settings.threads
    embedder: Any = load(settings.model_cache_dir, backend, cores, token_states=True)
    chunks, sentences, own = _texts(every)
    rows: list[Row] = []
    if not hasattr(embedder, "embed_ids"):  # torch: its own batching only
        tokenizer = embedder._model.tokenizer
        prompt = embedder._model.prompts.get("document", "")
        ctok = sum(len(x) for x in tokenizer([prompt + t for t in chunks])["input_ids"])
        stok = sum(len(x) for x in tokenizer([prompt + t for t in sentences])["input_ids"])
        rows.append(_timed("chunks (batches of 16)", ctok, cores, lambda: embedder.embed_documents(chunks)))
        rows.append(_timed("sentences alone", stok, cores, lambda: embedder.embed_documents(sentences)))
        return rows
    layout = layouts.apply(settings.model_cache_dir, backend, embedder)
    ids: list[list[int]] = []
    rows.append(
        _timed(
            "tokenise chunks", 0, cores, lambda: ids.extend(embedder.tokenize_documents(chunks)["input_ids"])
        )
    )
    sids = list(embedder.tokenize_documents(sentences)["input_ids"])
    ctok, stok = sum(map(len, ids)), sum(map(len, sids))

    def previous(texts: list[str]) -> None:
        prompted = [embedder._document_prompt + t for t in texts]
        order = sorted(range(len(texts)), key=lambda i: len(prompted[i]))
        for start in range(0, len(order), 4):
            embedder._run([prompted[i] for i in order[start : start + 4]])

    rows.append(_timed("chunks, previous (4 per run, all cores)", ctok, cores, lambda: previous(chunks)))
    rows.append(_chroma_add(chunks, cores))
    rows.append(
        _timed(
            f"chunks, measured layout {layout.threads}x{layout.streams}/{layout.batch_tokens}",
            ctok,
            cores,
            lambda: embedder.embed_ids(ids),
        )
    )
    rows.append(_timed("sentences alone, previous", stok, cores, lambda: previous(sentences)))
    rows.append(_timed("sentences alone, measured layout", stok, cores, lambda: embedder.embed_ids(sids)))
    if embedder.pools_sentences:
        rows.append(
            _timed(
                "chunks + pooled sentences",
                ctok,
                cores,
                lambda: embedder.embed_documents_with_sentences(chunks, own),
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ingest_speed", description=__doc__)
    parser.add_argument("--backends", default="onnx-int8,onnx-fp32")
    parser.add_argument("--every", type=int, default=1, help="every Nth chunk (default: all)")
    args = parser.parse_args(argv)
    cpu = cpu_info()
    chunks, _, _ = _texts(args.every)
    print(f"CPU {cpu.model}, {cpu.cores} cores, flags {' '.join(cpu.flags)}")
    fp32_rate, int8_rate = gemm_rates()
    print(
        f"ONNX Runtime MatMul 512x768x3072, one thread: float32 {fp32_rate / 1e9:.0f}, "
        f"int8 {int8_rate / 1e9:.0f} GFLOP per CPU-second"
    )
    bf16 = bf16_rate() if any("bf16" in b for b in args.backends.split(",")) else 0.0
    if bf16:
        print(f"torch matmul 512x768x3072 bfloat16, one thread: {bf16 / 1e9:.0f} GFLOP per CPU-second")
    results: dict[str, list[Row]] = {}
    for backend in [b.strip() for b in args.backends.split(",") if b.strip()]:
        results[backend] = run_backend(backend, args.every)
    mean = np.mean([len(t) for t in chunks])  # characters ≈ tokens for Chinese: close enough for attention
    quantised, kept = flops_per_token(float(mean))
    limits = {
        "float32": cpu.cores / ((quantised + kept) / fp32_rate),
        "int8": cpu.cores / (quantised / int8_rate + kept / fp32_rate),
    }
    if bf16:
        limits["bf16"] = cpu.cores / ((quantised + kept) / bf16)
    print(
        f"{(quantised + kept) / 1e9:.3f} GFLOP per token "
        f"({kept / (quantised + kept):.0%} kept float32 in int8); "
        f"limits on {cpu.cores} cores: "
        + ", ".join(f"{kind} {value:.0f}" for kind, value in limits.items())
        + " tokens/s"
    )
    print("| backend | step | tokens | wall s | CPU s | tokens/s | quiet tokens/s | of its limit |")
    print("|---|---|---|---|---|---|---|---|")
    for backend, rows in results.items():
        limit = limits[next((k for k in ("int8", "bf16") if k in backend), "float32")]
        for r in rows:
            share = f"{r['quiet_tokens_per_s'] / limit:.2f}" if r["tokens"] else "–"
            print(
                f"| {backend} | {r['step']} | {r['tokens']} | {r['wall_s']} | {r['cpu_s']} | "
                f"{r['tokens_per_s']} | {r['quiet_tokens_per_s']} | {share} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

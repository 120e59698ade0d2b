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
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from assistant.backends.batching import Layout, default_layout, plan_batches
from assistant.backends.spans import STATES, DenseHead, char_spans, states_file, token_span

log = logging.getLogger(__name__)

MAX_TOKENS = 2048  # the model's own max_seq_length
# Texts per run for queries asked together; documents follow the measured layout
# (assistant/backends/batching.py).
BATCH = 4
# Rewrite rules of the export's graph optimiser that never match EmbeddingGemma's graph
# (counted over a full export; tests/test_onnx_export.py checks it on a small Gemma 3).
IDLE_REWRITE_RULES = frozenset({"SlicesSplit"})


def load_tokenizer(model_dir: Path) -> Any:
    """The model's fast tokenizer read straight from its tokenizer.json, truncating at the
    model's length: the same ids and offsets as transformers' AutoTokenizer (the file's
    template adds <bos> and <eos>), without importing transformers and torch (about 2.5 s
    of every start)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.no_padding()
    return tokenizer


def _pad_id(model_dir: Path, tokenizer: Any) -> int:
    """The id of the padding token tokenizer_config.json names (0 when it names none)."""
    try:
        config = json.loads((model_dir / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return 0
    pad = config.get("pad_token")
    if isinstance(pad, dict):
        pad = pad.get("content")
    found = tokenizer.token_to_id(pad) if isinstance(pad, str) else None
    return int(found) if found is not None else 0


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
    with torch.no_grad(), _rewrite_rules_without(IDLE_REWRITE_RULES):
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


@contextmanager
def _rewrite_rules_without(names: frozenset[str]) -> Iterator[None]:
    """onnxscript's graph optimiser (run by the export) with the rewrite rules `names` left
    out. A rule that never matches this model's graph changes nothing when left out, but
    still tries every node: SlicesSplit alone took 24 of the optimiser's 32 s and 1/4 of
    the export on a 2-core AVX2 CPU. The optimiser reads the rule list when it runs, so
    the list is swapped for the export only and put back after."""
    from onnxscript import rewriter

    rules = rewriter._DEFAULT_REWRITE_RULES
    rewriter._DEFAULT_REWRITE_RULES = tuple(rule for rule in rules if rule.name not in names)
    try:
        yield
    finally:
        rewriter._DEFAULT_REWRITE_RULES = rules


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
    """EmbeddingGemma as an ONNX Runtime session; same vectors' meaning as the torch model.

    Queries run on one session with every core given. Documents run in the measured
    `layout` (its own session when its thread count differs), batched by token count; with
    `dense_dir` (the model folder holding 2_Dense and 3_Dense) the session also returns the
    token states, and `embed_documents_with_sentences` pools sentence vectors from them."""

    def __init__(
        self,
        onnx_file: Path,
        model_dir: Path,
        threads: int,
        batch_size: int = BATCH,
        name: str | None = None,
        layout: Layout | None = None,
        dense_dir: Path | None = None,
    ) -> None:
        self._graph: Path | bytes = onnx_file
        self._head: DenseHead | None = None
        if dense_dir is not None:
            try:
                self._graph = states_file(onnx_file)
                self._head = DenseHead(dense_dir)
            except (OSError, ValueError, KeyError) as exc:  # standalone sentence vectors then
                log.warning("no token states from %s: %s", onnx_file, exc)
                self._graph, self._head = onnx_file, None
        self._threads = threads
        # Only the session the documents run on is opened now (the recorded layout's
        # threads); the all-cores one opens with the first query, so an ingest with a
        # one-thread layout neither waits for it nor holds its copy of the weights.
        first = layout.threads if layout is not None else threads
        self._sessions = {first: self._new_session(first)}
        self._sessions_lock = threading.Lock()
        self._tokenizer = load_tokenizer(model_dir)
        self._pad = _pad_id(model_dir, self._tokenizer)
        prompts = _prompts(model_dir)
        self._query_prompt = prompts.get("query", "")
        self._document_prompt = prompts.get("document", "")
        self._batch_size = batch_size
        self.layout = layout or default_layout(threads)
        self._lock = threading.Lock()
        self.name = name or onnx_file.stem
        self.dim = int(self._sessions[first].get_outputs()[0].shape[-1] or 768)

    @property
    def pools_sentences(self) -> bool:
        return self._head is not None

    # embed_documents(texts, done) reports each run as it ends, so a caller can hand it
    # thousands of texts at once and still show progress (indexing/ingest.py).
    reports_runs = True

    def _new_session(self, threads: int) -> Any:
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        # Idle worker threads sleep instead of spinning: on a small machine the spin takes
        # the core that the other requests' Python work (and Chroma) need. Measured on 2
        # cores with 32 concurrent questions: 11.0 q/s without spinning, 7.1 with.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        graph = str(self._graph) if isinstance(self._graph, Path) else self._graph
        return ort.InferenceSession(graph, options, providers=["CPUExecutionProvider"])

    def _session_for(self, threads: int) -> Any:
        with self._sessions_lock:
            if threads not in self._sessions:
                self._sessions[threads] = self._new_session(threads)
            return self._sessions[threads]

    def _feeds(self, texts: list[str]) -> dict[str, np.ndarray]:
        ids = [e.ids for e in self._tokenizer.encode_batch(texts)]
        input_ids, mask = self._padded(ids)
        return {"input_ids": input_ids, "attention_mask": mask}

    def _padded(self, ids: list[list[int]]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids padded to the longest, and the attention mask."""
        width = max(len(row) for row in ids)
        input_ids = np.full((len(ids), width), self._pad, dtype=np.int64)
        mask = np.zeros((len(ids), width), dtype=np.int64)
        for r, row in enumerate(ids):
            input_ids[r, : len(row)] = row
            mask[r, : len(row)] = 1
        return input_ids, mask

    def _run(self, texts: list[str]) -> np.ndarray:
        feeds = self._feeds(texts)
        session = self._session_for(self._threads)
        with self._lock:
            (vectors,) = session.run(["sentence_embedding"], feeds)
        return np.asarray(vectors, dtype=np.float32)

    def _run_ids(self, session: Any, ids: list[list[int]], states: bool) -> tuple[np.ndarray, Any]:
        """One run over token ids padded to the longest; (vectors, token states or None)."""
        input_ids, mask = self._padded(ids)
        names = ["sentence_embedding", STATES] if states else ["sentence_embedding"]
        out = session.run(names, {"input_ids": input_ids, "attention_mask": mask})
        return np.asarray(out[0], dtype=np.float32), (out[1] if states else None)

    def tokenize_documents(self, texts: list[str], offsets: bool = False) -> Any:
        """Token ids (and character offsets) of the prompted texts; the fast tokenizer does
        the shipped folder in about 0.1 s, so it stays on the caller's thread."""
        encoded = self._tokenizer.encode_batch([self._document_prompt + t for t in texts])
        out: dict[str, list[Any]] = {"input_ids": [e.ids for e in encoded]}
        if offsets:
            out["offset_mapping"] = [e.offsets for e in encoded]
        return out

    def embed_ids(
        self,
        ids: list[list[int]],
        layout: Layout | None = None,
        on_states: Any = None,
        done: Callable[[int], None] | None = None,
    ) -> np.ndarray:
        """Vectors of tokenised documents in the layout's batches and parallel runs;
        `on_states(index, states)` sees each text's token states when given, and
        `done(count)` hears of each run's texts as it ends (from the run's thread)."""
        layout = layout or self.layout
        out = np.zeros((len(ids), self.dim), dtype=np.float32)
        if not ids:
            return out
        session = self._session_for(layout.threads)
        batches = plan_batches([len(row) for row in ids], layout.batch_tokens)

        def run(batch: list[int]) -> None:
            vectors, states = self._run_ids(session, [ids[i] for i in batch], on_states is not None)
            out[batch] = vectors
            if on_states is not None:
                for r, i in enumerate(batch):
                    on_states(i, states[r, : len(ids[i])])
            if done is not None:
                done(len(batch))

        if layout.streams <= 1:
            with self._lock:
                for batch in batches:
                    run(batch)
        else:
            with self._lock, ThreadPoolExecutor(layout.streams) as pool:
                list(pool.map(run, batches))
        return out

    def embed_documents(self, texts: list[str], done: Callable[[int], None] | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self.embed_ids(list(self.tokenize_documents(texts)["input_ids"]), done=done)

    def embed_documents_with_sentences(
        self, texts: list[str], sentences: list[list[str]]
    ) -> tuple[np.ndarray, list[list[np.ndarray | None]]]:
        """Each text's vector, and a vector for each of its `sentences` pooled from the
        same forward pass (None for one not found in the text or cut at the model's
        length: embed it on its own)."""
        if self._head is None:
            raise RuntimeError("this session has no token states")
        encoded = self.tokenize_documents(texts, offsets=True)
        shift = len(self._document_prompt)
        spans: list[list[tuple[int, int] | None]] = []
        for text, offsets, own in zip(texts, encoded["offset_mapping"], sentences, strict=True):
            table = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
            chars = char_spans(text, own)
            spans.append(
                [None if c is None else token_span(table, c[0] + shift, c[1] + shift) for c in chars]
            )
        pooled: list[list[np.ndarray | None]] = [[None] * len(own) for own in sentences]

        def keep(i: int, states: np.ndarray) -> None:
            for k, span in enumerate(spans[i]):
                if span is not None:
                    pooled[i][k] = states[span[0] : span[1]].mean(axis=0)

        vectors = self.embed_ids(list(encoded["input_ids"]), on_states=keep)
        flat = [(i, k) for i, row in enumerate(pooled) for k, v in enumerate(row) if v is not None]
        if flat:
            dense = self._head(np.stack([pooled[i][k] for i, k in flat]))  # type: ignore[misc]
            for (i, k), vector in zip(flat, dense, strict=True):
                pooled[i][k] = vector
        return vectors, pooled

    def embed_query(self, text: str) -> np.ndarray:
        return self._run([self._query_prompt + text])[0]

    @property
    def query_streams(self) -> int:
        """One-thread query runs that may go side by side: one per core given."""
        return max(1, self._threads)

    def prepare_narrow(self) -> None:
        """Open the one-thread session now (a new session's first run allocates), not in
        the first request that needs it. It holds its own copy of the packed weights:
        about 0.35-0.45 GB more resident for int8 (docs/serving.md)."""
        self.embed_query_narrow("学位")

    def embed_query_narrow(self, text: str) -> np.ndarray:
        """One query on a one-thread session, on the caller's thread and beside other such
        runs: no embedder lock (ONNX Runtime's Run is thread-safe). Same graph and weights
        as the all-cores run, and one text per run, so the same vector."""
        session = self._session_for(1)
        (vectors,) = session.run(["sentence_embedding"], self._feeds([self._query_prompt + text]))
        return np.asarray(vectors, dtype=np.float32)[0]

    def embed_queries(self, texts: list[str]) -> np.ndarray:
        """Several queries in one forward pass (what concurrent requests share)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._run([self._query_prompt + t for t in texts])

"""Sentence vectors from a chunk's own forward pass.

EmbeddingGemma's pipeline is: token states of the transformer, their mean over the
attention mask, two Dense layers, L2 normalisation. A sentence's vector is here that same
pipeline with the mean taken over the sentence's tokens inside the chunk, so the sentence
vectors cost the Dense layers (a few MFLOP each) instead of a forward pass each.

The exported ONNX graph outputs only the final vector; `with_token_states` adds the
pooling's input tensor as a second output (a graph edit, no re-export). The Dense weights
are read from the model folder (2_Dense, 3_Dense) and applied in float32 numpy.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

STATES = "token_states"


def with_token_states(onnx_file: Path) -> bytes:
    """The graph of `onnx_file` with the token states (the input of the mean pooling's
    masked product) as an extra output named `token_states`, serialised. For a graph whose
    weights live in an external file, the weights stay there: the caller saves the bytes
    beside it (see `states_file`)."""
    import onnx

    model = onnx.load(str(onnx_file), load_external_data=False)
    graph = model.graph
    made_by = {out: node for node in graph.node for out in node.output}
    final = made_by.get(graph.output[0].name)
    # sentence_embedding = dense(sum(states * mask) / count) normalised: walk back from the
    # first Dense input (a Div of the ReduceSum by the count) to the masked product.
    pooled = _find_pooled(graph, made_by)
    if final is None or pooled is None:
        raise ValueError(f"{onnx_file}: mean pooling not found; no token states")
    total = made_by[made_by[pooled].input[0]]  # the ReduceSum
    product = made_by[total.input[0]]
    states = [i for i in product.input if made_by.get(i) is not None and made_by[i].op_type != "Cast"]
    if product.op_type != "Mul" or len(states) != 1:
        raise ValueError(f"{onnx_file}: unexpected pooling shape; no token states")
    identity = onnx.helper.make_node("Identity", [states[0]], [STATES], name="token_states_out")
    graph.node.append(identity)
    graph.output.append(onnx.helper.make_tensor_value_info(STATES, onnx.TensorProto.FLOAT, None))
    return model.SerializeToString()


def _find_pooled(graph: object, made_by: dict[str, object]) -> str | None:
    """The Div whose numerator is a ReduceSum of a Mul: sum(states * mask) / count."""
    for node in graph.node:  # type: ignore[attr-defined]
        if node.op_type != "Div" or not node.input:
            continue
        total = made_by.get(node.input[0])
        if total is not None and total.op_type == "ReduceSum":  # type: ignore[attr-defined]
            product = made_by.get(total.input[0])  # type: ignore[attr-defined]
            if product is not None and product.op_type == "Mul":  # type: ignore[attr-defined]
                return str(node.output[0])
    return None


def states_file(onnx_file: Path) -> Path | bytes:
    """What an ONNX Runtime session loads to get the token states too: the edited graph's
    bytes, or, when its weights are in an external file, a small graph file saved beside
    that file (made once)."""
    external = onnx_file.with_name(onnx_file.name + ".data")
    edited = with_token_states(onnx_file)
    if not external.exists():
        return edited
    target = onnx_file.with_name(onnx_file.stem + ".states.onnx")
    if not target.exists() or target.read_bytes() != edited:
        partial = target.with_name(target.name + ".part")
        partial.write_bytes(edited)
        partial.replace(target)
    return target


class DenseHead:
    """The pipeline after pooling: Dense 768→3072, Dense 3072→768 (no bias, identity
    activation, as `_check_pipeline_shape` verifies at export), L2 normalisation."""

    def __init__(self, model_dir: Path) -> None:
        from safetensors.numpy import load_file

        self.first = load_file(str(model_dir / "2_Dense" / "model.safetensors"))["linear.weight"].T.copy()
        self.second = load_file(str(model_dir / "3_Dense" / "model.safetensors"))["linear.weight"].T.copy()

    def __call__(self, pooled: np.ndarray) -> np.ndarray:
        out = (pooled.astype(np.float32) @ self.first) @ self.second
        return out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)


def token_span(offsets: np.ndarray, start: int, end: int) -> tuple[int, int] | None:
    """Tokens [first, last) whose characters overlap [start, end); None when none do (the
    text was cut at the model's length). Special tokens have empty offsets (0, 0)."""
    lo, hi = offsets[:, 0], offsets[:, 1]
    inside = np.nonzero((hi > lo) & (lo < end) & (hi > start))[0]
    if not len(inside):
        return None
    return int(inside[0]), int(inside[-1]) + 1


def char_spans(text: str, sentences: list[str]) -> list[tuple[int, int] | None]:
    """Where each sentence sits in `text`, searched in order; None if it is not found
    verbatim (it is then embedded on its own)."""
    spans: list[tuple[int, int] | None] = []
    cursor = 0
    for sentence in sentences:
        at = text.find(sentence, cursor)
        if at < 0:
            at = text.find(sentence)
        spans.append(None if at < 0 else (at, at + len(sentence)))
        if at >= 0:
            cursor = at + len(sentence)
    return spans

"""Embedding backends: what the CPU can do, the ONNX export, the measured choice."""

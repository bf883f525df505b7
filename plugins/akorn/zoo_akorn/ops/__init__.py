"""Fused ops of the AKOrN plugin (Triton kernel for CUDA tensors, PyTorch reference otherwise)."""

from zoo_akorn.ops.kuramoto_step import kuramoto_step

__all__ = ["kuramoto_step"]

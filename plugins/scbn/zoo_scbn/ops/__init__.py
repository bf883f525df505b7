"""Fused ops of zoo-scbn: a PyTorch reference (the spec) and Triton kernels for CUDA.

* :func:`spatial_conditional_batch_norm` -- sCBN: per-pixel gamma/beta from class maps times
  the CBN tables, fused with the normalisation (built on zoo-sngan's conditional BN op).
"""

from zoo_scbn.ops.spatial_conditional_batch_norm import spatial_conditional_batch_norm

__all__ = ["spatial_conditional_batch_norm"]

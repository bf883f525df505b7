"""Fused ops of zoo-sngan: a PyTorch reference (the spec) and Triton kernels for CUDA.

* :func:`conditional_batch_norm` -- batch normalization with per-sample affine parameters
  (the categorical conditional BN of the generators), forward and backward fused per channel.
"""

from zoo_sngan.ops.conditional_batch_norm import conditional_batch_norm

__all__ = ["conditional_batch_norm"]

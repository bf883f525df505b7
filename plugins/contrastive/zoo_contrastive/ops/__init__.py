"""Fused ops of zoo-contrastive (PyTorch reference + Triton kernel, the core's op form)."""

from zoo_contrastive.ops.group_lasso_infonce import group_lasso_infonce

__all__ = ["group_lasso_infonce"]

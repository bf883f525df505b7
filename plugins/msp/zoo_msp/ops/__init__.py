"""Fused ops of zoo-msp (Triton kernel + PyTorch reference, dispatched by device)."""

from zoo_msp.ops.lstsq_transition import lstsq_transition

__all__ = ["lstsq_transition"]

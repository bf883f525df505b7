"""CUDA-backed ops: a PyTorch reference (the spec) + a Triton kernel for CUDA tensors.

Each op lives in ``<op>/{reference,kernels,function,checks,__init__}.py`` and is declared once
with ``Op`` (core and plugins alike); ``choose_impl`` picks the path (``impl=`` > env
``ZOO_OPS_IMPL`` > CUDA + supported arguments + Triton > reference). Importing this package
imports torch but never Triton; kernels load on first Triton call.

Helpers: ``zoo_core.ops.launch`` (block sizes), ``zoo_core.ops.testing`` (kernel vs reference
under ``TRITON_INTERPRET=1``), ``zoo_core.ops.bench`` (timings), ``zoo_core.ops.scaffold``
(a new op folder in this form).

Shared ops: ``rotate_blocks`` (per-token block-diagonal rotation, or its transpose) and
``apply_representation`` (a whole representation: identity and block segments of mixed sizes, one launch),
``representation_attention`` (GTA's attention: the representation fused into a flash-attention forward).
"""

from zoo_core.ops.dispatch import ENV_VAR, IMPLS, OpDispatchError, TritonUnavailableError, choose_impl
from zoo_core.ops.op import Op
from zoo_core.ops.representation import apply_representation
from zoo_core.ops.representation_attention import representation_attention
from zoo_core.ops.rotate_blocks import rotate_blocks

__all__ = ["ENV_VAR", "IMPLS", "Op", "OpDispatchError", "TritonUnavailableError", "apply_representation",
           "choose_impl", "representation_attention", "rotate_blocks"]

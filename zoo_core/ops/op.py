"""``Op``: one name, a PyTorch reference and a lazily imported Triton implementation.

A plugin declares its op once and wraps it in a documented public function:

    >>> from zoo_core.ops import Op
    >>> def scale_reference(x, s):
    ...     return x * s
    >>> SCALE = Op("scale", reference=scale_reference, triton="my_plugin.ops.scale.function:scale_triton")
    >>> import torch
    >>> SCALE(torch.ones(2), 3.0)            # CPU tensors: the reference runs, Triton is not imported
    tensor([3., 3.])

The Triton side is a ``"module:function"`` string so that the kernel module (and Triton) is
imported only when the Triton path is chosen. Both functions take the same arguments; the
Triton one usually wraps ``torch.autograd.Function.apply`` (which takes no keywords).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoo_core.ops.dispatch import choose_impl

__all__ = ["Op"]


@dataclass(frozen=True)
class Op:
    """A CUDA-backed op. Calling it dispatches with ``choose_impl``.

    Args:
        name: the op's name, used in messages.
        reference: pure PyTorch function, the spec.
        triton: ``"module:function"`` of the Triton implementation (same signature).
    """

    name: str
    reference: Callable[..., Any]
    triton: str
    _loaded: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        module, _, attr = self.triton.partition(":")
        if not module or not attr:
            raise ValueError(f"Op {self.name!r}: triton={self.triton!r} must be 'module:function'.")

    def resolve(self, impl: str) -> Callable[..., Any]:
        """The function for ``impl`` (``"reference"`` or ``"triton"``), importing the Triton one on first use.

        Raises:
            ValueError: ``impl`` is neither.
            ImportError: the Triton implementation cannot be imported (the message names it).
        """
        if impl == "reference":
            return self.reference
        if impl != "triton":
            raise ValueError(f"Op {self.name!r}: impl={impl!r} is not allowed; use 'reference' or 'triton'.")
        if "fn" not in self._loaded:
            module, _, attr = self.triton.partition(":")
            try:
                self._loaded["fn"] = getattr(importlib.import_module(module), attr)
            except (ImportError, AttributeError) as exc:
                raise ImportError(f"Op {self.name!r}: cannot import its Triton implementation {self.triton!r}: {exc}") from exc
        return self._loaded["fn"]

    def __call__(self, *args: Any, impl: str | None = None, **kwargs: Any) -> Any:
        """Run the op; tensor arguments (top-level positional or keyword) decide the device dispatch."""
        tensors = [a for a in (*args, *kwargs.values()) if hasattr(a, "is_cuda")]
        return self.resolve(choose_impl(impl, *tensors))(*args, **kwargs)

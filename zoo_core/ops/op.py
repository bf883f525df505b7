"""``Op``: the one way to declare a CUDA-backed op (a PyTorch reference + a lazily imported Triton kernel).

A plugin's op folder ``<package>/ops/<op>/`` holds ``reference.py`` (the spec, and the input
check), ``kernels.py`` (Triton), ``function.py`` (launchers, the ``torch.autograd.Function`` and
``<op>_triton``), ``checks.py`` (kernel-vs-reference checks for ``zoo_core.ops.testing``) and an
``__init__.py`` with one ``Op(...)`` declaration and the documented public function:

    >>> from zoo_core.ops import Op
    >>> def scale_reference(x, s):
    ...     return x * s
    >>> def scale_check(x, s):
    ...     if not x.dtype.is_floating_point:
    ...         raise TypeError(f"scale needs a floating-point x, got {x.dtype}.")
    >>> SCALE = Op("scale", reference=scale_reference, triton="my_plugin.ops.scale.function:scale_triton",
    ...            validate=scale_check)
    >>> import torch
    >>> SCALE(torch.ones(2), 3.0)            # CPU tensors: the reference runs, Triton is not imported
    tensor([3., 3.])

Calling the op validates the arguments (``validate``, both paths), picks the path with
``zoo_core.ops.dispatch.choose_impl`` and runs it. ``zoo_core.ops.scaffold.render_op`` writes
such a folder for a new op.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from zoo_core.ops.dispatch import Impl, choose_impl

__all__ = ["Op"]


@dataclass(frozen=True)
class Op:
    """A CUDA-backed op. Calling it validates, dispatches with ``choose_impl`` and runs the chosen path.

    Args:
        name: the op's name, used in messages.
        reference: pure PyTorch function, the spec.
        triton: ``"module:function"`` of the Triton implementation, with the reference's
            signature (usually wrapping ``torch.autograd.Function.apply``). Imported on first
            Triton call, so neither the kernel module nor Triton loads on the reference path.
        validate: called with the op's arguments before dispatch; raises a clear error
            (``TypeError`` / ``ValueError`` saying what is wrong and what to do) on bad input.
            The one place inputs are checked: neither implementation checks again.
        triton_unsupported: called with the (validated) arguments; returns why the kernel
            cannot take them (dtype, size limits), or None. Automatic dispatch then runs the
            reference; forcing Triton raises ``OpDispatchError`` quoting the reason.
        example: returns ``(args, kwargs)`` of a small valid CPU call; the core's tests run
            every op's dispatch rules on it.
    """

    name: str
    reference: Callable[..., Any]
    triton: str
    validate: Callable[..., None] | None = None
    triton_unsupported: Callable[..., str | None] | None = None
    example: Callable[[], tuple[tuple, dict[str, Any]]] | None = None
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

    def choose(self, *args: Any, impl: str | None = None, **kwargs: Any) -> Impl:
        """Which implementation a call with these (valid) arguments runs; see ``choose_impl``.

        Tensor arguments (top-level positional or keyword) decide the device dispatch.
        """
        tensors = [a for a in (*args, *kwargs.values()) if hasattr(a, "is_cuda")]
        unsupported = self.triton_unsupported(*args, **kwargs) if self.triton_unsupported else None
        return choose_impl(impl, *tensors, op=self.name, unsupported=unsupported)

    def __call__(self, *args: Any, impl: str | None = None, **kwargs: Any) -> Any:
        """Validate the arguments, then run the implementation ``choose`` picks."""
        if self.validate is not None:
            self.validate(*args, **kwargs)
        return self.resolve(self.choose(*args, impl=impl, **kwargs))(*args, **kwargs)

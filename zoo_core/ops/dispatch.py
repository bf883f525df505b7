"""Choose between an op's PyTorch reference and its Triton kernel.

Rule (``choose_impl``): an explicit ``impl=`` wins; else the environment variable
``ZOO_OPS_IMPL``; else ``"triton"`` when every tensor argument is on CUDA and Triton
imports; else ``"reference"``. This module imports neither torch nor Triton at import.

Example:
    >>> from zoo_core.ops.dispatch import choose_impl
    >>> choose_impl("reference")
    'reference'
"""

from __future__ import annotations

import functools
import importlib
import os
from typing import Any, Literal

__all__ = ["ENV_VAR", "IMPLS", "Impl", "TritonUnavailableError", "choose_impl", "interpreter_enabled", "triton_available"]

Impl = Literal["reference", "triton"]
IMPLS: tuple[str, ...] = ("reference", "triton")
ENV_VAR = "ZOO_OPS_IMPL"


class TritonUnavailableError(ImportError):
    """The Triton path was forced (``impl="triton"`` or ``ZOO_OPS_IMPL=triton``) but Triton does not import."""


@functools.cache
def _import_triton() -> str | None:
    """Import Triton once; return None on success, else the reason it failed."""
    try:
        importlib.import_module("triton")
    except Exception as exc:  # ImportError, or a broken install raising something else
        return f"{type(exc).__name__}: {exc}"
    return None


def triton_available() -> bool:
    """Whether ``import triton`` succeeds (imports Triton: call only on the way to the kernel path)."""
    return _import_triton() is None


def interpreter_enabled() -> bool:
    """Whether ``TRITON_INTERPRET`` is set to a true value (Triton then runs kernels on CPU tensors)."""
    return os.environ.get("TRITON_INTERPRET", "").strip().lower() in {"1", "true", "yes", "on"}


def _validate(value: str, source: str) -> str:
    if value not in IMPLS:
        raise ValueError(f"{source}={value!r} is not an op implementation; allowed values: {', '.join(map(repr, IMPLS))}.")
    return value


def choose_impl(impl: str | None, *tensors: Any) -> Impl:
    """Return which implementation of an op runs for these tensor arguments.

    Args:
        impl: ``"reference"``, ``"triton"`` or ``None`` (automatic).
        *tensors: the op's tensor arguments (``None`` entries are ignored).

    Returns:
        ``"reference"`` or ``"triton"``.

    Raises:
        ValueError: ``impl`` or ``ZOO_OPS_IMPL`` is not an allowed value, or the Triton path is
            forced for tensors that are not on CUDA while the Triton interpreter is off.
        TritonUnavailableError: the Triton path is forced but Triton does not import.
    """
    tensors = tuple(t for t in tensors if t is not None)
    if impl is not None:
        chosen = _validate(impl, "impl")
        source = f"impl={impl!r}"
    elif os.environ.get(ENV_VAR, ""):
        chosen = _validate(os.environ[ENV_VAR], ENV_VAR)
        source = f"{ENV_VAR}={chosen}"
    else:
        on_cuda = bool(tensors) and all(getattr(t, "is_cuda", False) for t in tensors)
        return "triton" if on_cuda and triton_available() else "reference"

    if chosen == "triton":
        reason = _import_triton()
        if reason is not None:
            raise TritonUnavailableError(
                f"{source} forces the Triton kernel, but Triton does not import ({reason}). "
                f"Install triton, or use impl='reference' / unset {ENV_VAR}."
            )
        off_cuda = sorted({str(getattr(t, "device", "?")) for t in tensors if not getattr(t, "is_cuda", False)})
        if off_cuda and not interpreter_enabled():
            raise ValueError(
                f"{source} forces the Triton kernel, but tensors are on {', '.join(off_cuda)}: Triton kernels need "
                "CUDA tensors. To run kernels on the CPU for testing, set TRITON_INTERPRET=1 before the kernel "
                "module is imported (zoo_core.ops.testing.run_interpreted does this in a subprocess); "
                "otherwise use impl='reference'."
            )
    return chosen  # type: ignore[return-value]

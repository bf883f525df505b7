"""Choose between an op's PyTorch reference and its Triton kernel.

Rule (``choose_impl``): an explicit ``impl=`` wins; else the environment variable
``ZOO_OPS_IMPL``; else ``"triton"`` when every tensor argument is on CUDA, the kernel takes
these arguments and Triton imports; else ``"reference"``. A forced ``"triton"`` that cannot
run is an error that says why, never a silent fallback. This module imports neither torch
nor Triton at import.

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

from zoo_core.errors import ZooError

__all__ = ["ENV_VAR", "IMPLS", "Impl", "OpDispatchError", "TritonUnavailableError", "choose_impl",
           "interpreter_enabled", "triton_available"]

Impl = Literal["reference", "triton"]
IMPLS: tuple[str, ...] = ("reference", "triton")
ENV_VAR = "ZOO_OPS_IMPL"


class TritonUnavailableError(ZooError, ImportError):
    """The Triton path was forced (``impl="triton"`` or ``ZOO_OPS_IMPL=triton``) but Triton does not import."""


class OpDispatchError(ZooError, ValueError):
    """An op cannot run as asked: ``impl`` / ``ZOO_OPS_IMPL`` is not an implementation, or the
    Triton kernel is forced for arguments it cannot take (off CUDA without the interpreter, or
    outside the kernel's limits)."""


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


def _validate(value: str, source: str, prefix: str) -> str:
    if value not in IMPLS:
        raise OpDispatchError(f"{prefix}{source}={value!r} is not an op implementation; allowed values: "
                              f"{', '.join(map(repr, IMPLS))} (or None for automatic dispatch).")
    return value


def choose_impl(impl: str | None, *tensors: Any, op: str | None = None, unsupported: str | None = None) -> Impl:
    """Return which implementation of an op runs for these tensor arguments.

    Args:
        impl: ``"reference"``, ``"triton"`` or ``None`` (automatic).
        *tensors: the op's tensor arguments (``None`` entries are ignored).
        op: the op's name, for messages.
        unsupported: why the Triton kernel cannot take these arguments (None: it can), e.g.
            ``"it computes in float32 and H0 is torch.float64"``. Automatic dispatch then picks the
            reference; forcing Triton raises ``OpDispatchError`` quoting it.

    Returns:
        ``"reference"`` or ``"triton"``.

    Raises:
        OpDispatchError (a ValueError): ``impl`` or ``ZOO_OPS_IMPL`` is not an allowed value, or the
            Triton path is forced for tensors that are not on CUDA while the Triton interpreter
            is off, or for arguments the kernel does not support.
        TritonUnavailableError (an ImportError): the Triton path is forced but Triton does not import.
    """
    tensors = tuple(t for t in tensors if t is not None)
    prefix = f"{op}: " if op else ""
    if impl is not None:
        chosen = _validate(impl, "impl", prefix)
        source, instead = f"impl={impl!r}", "use impl='reference'"
    elif os.environ.get(ENV_VAR, ""):
        chosen = _validate(os.environ[ENV_VAR], ENV_VAR, prefix)
        source, instead = f"{ENV_VAR}={chosen}", f"set {ENV_VAR}=reference or unset it"
    else:
        on_cuda = bool(tensors) and all(getattr(t, "is_cuda", False) for t in tensors)
        return "triton" if on_cuda and unsupported is None and triton_available() else "reference"

    if chosen == "triton":
        reason = _import_triton()
        if reason is not None:
            raise TritonUnavailableError(
                f"{prefix}{source} forces the Triton kernel, but Triton does not import ({reason}). "
                f"Install triton, or {instead}."
            )
        off_cuda = sorted({str(getattr(t, "device", "?")) for t in tensors if not getattr(t, "is_cuda", False)})
        if off_cuda and not interpreter_enabled():
            raise OpDispatchError(
                f"{prefix}{source} forces the Triton kernel, but tensors are on {', '.join(off_cuda)}: Triton kernels "
                "need CUDA tensors. To run kernels on the CPU for testing, set TRITON_INTERPRET=1 before the kernel "
                "module is imported (zoo_core.ops.testing.run_interpreted does this in a subprocess); "
                f"otherwise {instead}."
            )
        if unsupported is not None:
            raise OpDispatchError(f"{prefix}{source} forces the Triton kernel, but {unsupported}. For these arguments, {instead}.")
    return chosen  # type: ignore[return-value]

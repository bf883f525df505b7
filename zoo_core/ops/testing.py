"""Check a Triton kernel against its PyTorch reference on the CPU, under Triton's interpreter.

Two pieces:

* ``check_op(op, cases)`` compares ``op``'s Triton path with its reference: forward values,
  gradients of every floating input (float32 / bfloat16 / ... with per-dtype tolerances; where
  they disagree, the kernel still passes if it is no further from the float64 truth than ~2x
  the reference's own error),
  the same on non-contiguous copies of the inputs, and ``torch.autograd.gradcheck`` in float64
  (reference and, where the kernel supports float64, kernel). Put odd and empty sizes in
  ``cases``. It raises ``OpCheckError`` listing every mismatch.
* ``run_interpreted("pkg.module:function", ...)`` runs such check functions in a fresh Python
  with ``TRITON_INTERPRET=1``. Triton reads that variable when ``@triton.jit`` decorates a
  kernel, so it must be set before the kernel module is imported; a subprocess makes that
  true whatever the test session imported before.

From pytest (a plugin's ``tests/``)::

    # my_plugin/ops/scale/checks.py: plain functions, run inside the interpreter process
    def check_scale():
        from zoo_core.ops.testing import check_op
        import torch
        from my_plugin.ops.scale import OP
        check_op(OP, [(torch.randn(7), 2.0), (torch.randn(0), 2.0)], dtypes=(torch.float32,))

    # tests/test_scale.py
    def test_scale_kernel_matches_reference():
        from zoo_core.ops.testing import run_interpreted
        run_interpreted("my_plugin.ops.scale.checks:check_scale")   # raises OpCheckError on failure

Alternatively set ``TRITON_INTERPRET=1`` in a ``conftest.py`` before anything imports a
kernel module and call ``check_op`` directly. Start one process for many checks (pass them
all to one ``run_interpreted`` call): each process pays for importing torch and Triton.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from zoo_core.ops.op import Op

__all__ = ["DEFAULT_TOLERANCES", "InterpretedResult", "OpCheckError", "check_op", "non_contiguous", "run_interpreted"]

DEFAULT_TOLERANCES: dict[torch.dtype, tuple[float, float]] = {
    torch.float64: (1e-10, 1e-8),
    torch.float32: (1e-5, 1e-5),
    torch.float16: (1e-3, 1e-3),
    torch.bfloat16: (1e-2, 1.6e-2),
}
"""(atol, rtol) per dtype for kernel-vs-reference comparisons."""


class OpCheckError(AssertionError):
    """A kernel disagrees with its reference (or an interpreted check failed); the message lists each mismatch."""


# --- inputs -------------------------------------------------------------------------------------


def non_contiguous(t: torch.Tensor) -> torch.Tensor:
    """A non-contiguous tensor equal to ``t`` (a strided view into a buffer twice as large)."""
    buf = torch.empty(*t.shape, 2, dtype=t.dtype, device=t.device)
    buf[..., 0] = t
    return buf[..., 0]


def _is_float_tensor(a: Any) -> bool:
    return isinstance(a, torch.Tensor) and a.dtype.is_floating_point


def _prepare(case: Sequence[Any], dtype: torch.dtype, *, grad: bool, strided: bool, upcast: bool = False) -> list[Any]:
    """Round floating tensors to ``dtype`` (then to float64 if ``upcast``), make them leaves, optionally strided."""
    out = []
    for a in case:
        if _is_float_tensor(a):
            a = a.detach().to(dtype)
            a = a.double() if upcast else a
            a = non_contiguous(a) if strided else a.clone()
            a.requires_grad_(grad)
        elif isinstance(a, torch.Tensor) and strided:
            a = non_contiguous(a)
        out.append(a)
    return out


def _describe(case: Sequence[Any]) -> str:
    return ", ".join(f"{a.dtype}{list(a.shape)}" if isinstance(a, torch.Tensor) else repr(a) for a in case)


def _as_tuple(out: Any) -> tuple[torch.Tensor, ...]:
    return tuple(out) if isinstance(out, (tuple, list)) else (out,)


# --- comparison ---------------------------------------------------------------------------------


def _mismatch(name: str, got: torch.Tensor | None, want: torch.Tensor | None, truth: torch.Tensor | None,
              atol: float, rtol: float) -> str | None:
    """None if ``got`` (kernel) matches ``want`` (reference), else a one-line description of the worst element.

    An element matches if it is within ``atol + rtol * |want|`` of the reference, or, when the
    float64 ``truth`` is given, if the kernel's error against it is at most
    ``atol + rtol * |truth| + 2 * |want - truth|``: in low precision a reduction can make the
    reference itself inexact, and a kernel no worse than that is correct.
    """
    if got is None or want is None:
        return None if got is None and want is None else f"{name}: triton gave {'None' if got is None else 'a tensor'}, reference {'None' if want is None else 'a tensor'}"
    if got.shape != want.shape or got.dtype != want.dtype:
        return f"{name}: triton {got.dtype}{list(got.shape)} vs reference {want.dtype}{list(want.shape)}"
    if got.numel() == 0:
        return None
    g, w = got.detach().double(), want.detach().double()
    bad = ~torch.isclose(g, w, atol=atol, rtol=rtol, equal_nan=True)
    if truth is not None and bad.any():
        t = truth.detach().double()
        bad &= ~((g - t).abs() <= atol + rtol * t.abs() + 2 * (w - t).abs())
    if not bad.any():
        return None
    excess = torch.where(bad, (g - w).abs() - rtol * w.abs(), torch.zeros_like(g))
    idx = tuple(int(i) for i in torch.unravel_index(excess.argmax(), g.shape))
    exact = "" if truth is None else f", float64 truth {truth[idx].item():.6g}"
    return (f"{name}: {int(bad.sum())}/{g.numel()} elements off, worst at {idx}: triton {g[idx].item():.6g} "
            f"vs reference {w[idx].item():.6g}{exact} (atol={atol:g}, rtol={rtol:g})")


def _run(fn: Any, args: list[Any], cotangent_seed: int, grad: bool, cot_dtype: torch.dtype):
    """Outputs and (if ``grad``) gradients of all floating inputs for fixed random cotangents (rounded to ``cot_dtype``)."""
    outs = _as_tuple(fn(*args))
    if not grad:
        return outs, ()
    inputs = [a for a in args if _is_float_tensor(a)]
    gen = torch.Generator().manual_seed(cotangent_seed)
    pairs = [(o, torch.randn(o.shape, generator=gen, dtype=torch.float64).to(cot_dtype).to(o)) for o in outs if o.requires_grad]
    if not pairs:
        return outs, tuple(None for _ in inputs)
    grads = torch.autograd.grad([o for o, _ in pairs], inputs, [c for _, c in pairs], allow_unused=True)
    return outs, grads


def check_op(
    op: Op,
    cases: Iterable[Sequence[Any]],
    *,
    dtypes: Iterable[torch.dtype] = (torch.float32,),
    tolerances: Mapping[torch.dtype, tuple[float, float]] | None = None,
    grad: bool = True,
    strided: bool = True,
    gradcheck: Iterable[str] = ("reference", "triton"),
    gradcheck_max_numel: int = 256,
    seed: int = 0,
) -> list[str]:
    """Compare ``op``'s Triton path with its reference; raise ``OpCheckError`` listing every mismatch.

    Call it where Triton can run the kernels: on CUDA tensors, or on the CPU under
    ``TRITON_INTERPRET=1`` (see ``run_interpreted``).

    Args:
        op: the op (its ``resolve("reference")`` and ``resolve("triton")`` are compared).
        cases: argument tuples for ``op``. Floating tensors are cast to each dtype and receive
            gradients; other arguments pass through. Include odd and empty sizes.
        dtypes: dtypes to compare at, each with its ``tolerances`` entry (default ``DEFAULT_TOLERANCES``).
        tolerances: ``{dtype: (atol, rtol)}`` overriding the defaults.
        grad: also compare gradients of every floating input (random cotangents).
        strided: also run the kernel on non-contiguous copies of every tensor input.
        gradcheck: implementations to ``torch.autograd.gradcheck`` in float64 (drop ``"triton"``
            for a kernel without float64 support), on the cases with 0 < numel <= ``gradcheck_max_numel``;
            the kernel uses gradcheck's ``fast_mode`` (interpreted launches are slow).
        seed: seeds the cotangents.

    Returns:
        Descriptions of the checks that passed.

    Raises:
        OpCheckError: any mismatch, error in either path, or gradcheck failure (all listed).
        ValueError: ``gradcheck`` names an unknown impl, a dtype has no tolerance, or no case is
            small enough for gradcheck.
    """
    tol = {**DEFAULT_TOLERANCES, **(tolerances or {})}
    cases = [tuple(c) for c in cases]
    dtypes = tuple(dtypes)
    gradcheck = tuple(gradcheck)
    for impl in gradcheck:
        if impl not in ("reference", "triton"):
            raise ValueError(f"gradcheck={gradcheck!r}: entries must be 'reference' or 'triton'.")
    for dtype in dtypes:
        if dtype not in tol:
            raise ValueError(f"no tolerance for {dtype}; pass tolerances={{{dtype}: (atol, rtol)}}.")
    ref_fn, tri_fn = op.resolve("reference"), op.resolve("triton")
    passed: list[str] = []
    failures: list[str] = []

    for c, case in enumerate(cases):
        for dtype in dtypes:
            atol, rtol = tol[dtype]
            try:
                want_out, want_grads = _run(ref_fn, _prepare(case, dtype, grad=grad, strided=False), seed + c, grad, dtype)
                truth_out, truth_grads = (
                    ((None,) * len(want_out), (None,) * len(want_grads)) if dtype == torch.float64 else
                    _run(ref_fn, _prepare(case, dtype, grad=grad, strided=False, upcast=True), seed + c, grad, dtype)
                )
            except Exception as exc:
                failures.append(f"case {c} ({_describe(case)}) {dtype}: reference raised {type(exc).__name__}: {exc}")
                continue
            for layout in ("contiguous", "strided") if strided else ("contiguous",):
                label = f"case {c} ({_describe(case)}) {dtype} {layout}"
                try:
                    got_out, got_grads = _run(tri_fn, _prepare(case, dtype, grad=grad, strided=layout == "strided"), seed + c, grad, dtype)
                except Exception as exc:
                    failures.append(f"{label}: triton raised {type(exc).__name__}: {exc}")
                    continue
                problems = [_mismatch("forward" if len(want_out) == 1 else f"forward output {i}", g, w, t, atol, rtol)
                            for i, (g, w, t) in enumerate(zip(got_out, want_out, truth_out))]
                if len(got_out) != len(want_out):
                    problems.append(f"forward: triton returned {len(got_out)} outputs, reference {len(want_out)}")
                float_inputs = [i for i, a in enumerate(case) if _is_float_tensor(a)]
                problems += [_mismatch(f"grad of input {i}", g, w, t, atol, rtol)
                             for i, g, w, t in zip(float_inputs, got_grads, want_grads, truth_grads)]
                problems = [p for p in problems if p]
                if problems:
                    failures.extend(f"{label}: {p}" for p in problems)
                else:
                    passed.append(f"{label}: forward{' + grads' if grad else ''} match")

    if gradcheck:
        small = [case for case in cases
                 if 0 < sum(a.numel() for a in case if _is_float_tensor(a)) <= gradcheck_max_numel]
        if not small:
            raise ValueError(f"gradcheck needs a case with 0 < total input numel <= {gradcheck_max_numel}; add a small case.")
        for impl in gradcheck:
            fn = op.resolve(impl)
            for case in small:
                label = f"gradcheck float64 {impl} ({_describe(case)})"
                args = _prepare(case, torch.float64, grad=True, strided=False)
                try:
                    # fast_mode (random projections) for the kernel: a few launches instead of two per input element.
                    torch.autograd.gradcheck(fn, tuple(args), eps=1e-6, atol=1e-5, rtol=1e-3, fast_mode=impl == "triton")
                except Exception as exc:
                    failures.append(f"{label}: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
                else:
                    passed.append(f"{label}: ok")

    if failures:
        raise OpCheckError(f"op {op.name!r}: {len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
    return passed


# --- running checks under the interpreter --------------------------------------------------------


@dataclass(frozen=True)
class InterpretedResult:
    """Outcome of one check function run by ``run_interpreted``: ``detail`` is its return value or traceback."""

    target: str
    ok: bool
    detail: str


def run_interpreted(
    *targets: str,
    pythonpath: Iterable[str] = (),
    timeout: float = 600.0,
    check: bool = True,
) -> dict[str, InterpretedResult]:
    """Run check functions in a fresh Python with ``TRITON_INTERPRET=1`` (one process for all targets).

    Args:
        *targets: ``"module:function"``; each function is called without arguments and fails by
            raising. Its return value (e.g. ``check_op``'s list) is reported in ``detail``.
        pythonpath: extra ``sys.path`` entries for the child (the parent's ``sys.path`` is passed on too).
        timeout: seconds for the whole process.
        check: raise ``OpCheckError`` if any target failed (else just return the results).

    Returns:
        ``{target: InterpretedResult}`` in the order given.

    Raises:
        OpCheckError: (with ``check=True``) a target failed; the message holds each traceback.
        RuntimeError: the child process died or timed out before reporting (stderr is quoted).
        ValueError: a target is not ``"module:function"``.
    """
    for t in targets:
        if ":" not in t:
            raise ValueError(f"run_interpreted target {t!r} must be 'module:function'.")
    env = dict(os.environ, TRITON_INTERPRET="1")
    env["PYTHONPATH"] = os.pathsep.join([*pythonpath, *(p for p in sys.path if p), env.get("PYTHONPATH", "")]).strip(os.pathsep)
    with tempfile.TemporaryDirectory(prefix="zoo-ops-") as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [sys.executable, "-c", "from zoo_core.ops.testing import _child_main; _child_main()", report, *targets]
        try:
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise RuntimeError(f"run_interpreted timed out after {timeout:g} s running {list(targets)}.") from exc
        if not os.path.exists(report):
            raise RuntimeError(
                f"run_interpreted: the interpreter process exited with code {proc.returncode} before reporting.\n"
                f"stderr (last 3000 chars):\n{proc.stderr[-3000:]}"
            )
        with open(report) as f:
            raw = json.load(f)
    results = {t: InterpretedResult(t, raw[t]["ok"], raw[t]["detail"]) for t in targets}
    failed = [r for r in results.values() if not r.ok]
    if check and failed:
        raise OpCheckError("\n\n".join(f"{r.target} failed under TRITON_INTERPRET=1:\n{r.detail}" for r in failed))
    return results


def _child_main() -> None:
    """Entry point of ``run_interpreted``'s process: argv = [report path, *targets]."""
    import importlib

    import triton.knobs

    report, targets = sys.argv[1], sys.argv[2:]
    results: dict[str, dict[str, Any]] = {}
    if not triton.knobs.runtime.interpret:
        raise SystemExit("TRITON_INTERPRET is not active in the interpreter process")
    for target in targets:
        module, _, attr = target.partition(":")
        try:
            value = getattr(importlib.import_module(module), attr)()
            detail = "\n".join(value) if isinstance(value, list) else ("" if value is None else str(value))
            results[target] = {"ok": True, "detail": detail}
        except BaseException as exc:  # noqa: BLE001 - report everything, including assert/SystemExit
            results[target] = {"ok": False, "detail": "".join(traceback.format_exception(exc))}
    with open(report, "w") as f:
        json.dump(results, f)

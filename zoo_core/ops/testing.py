"""Check a Triton kernel against its PyTorch reference on the CPU, under Triton's interpreter.

Three pieces:

* ``check_op(op, cases)`` compares ``op``'s Triton path with its reference: forward values,
  gradients of every floating input (float32 / bfloat16 / ... with per-dtype tolerances; where
  they disagree, the kernel still passes if it is no further from the float64 truth than ~2x
  the reference's own error),
  the same on non-contiguous copies of the inputs, and ``torch.autograd.gradcheck`` in float64
  (reference and, where the kernel supports float64, kernel). Put odd and empty sizes in
  ``cases``; ``case(*args, **kwargs)`` adds keyword arguments and ``constant(t)`` marks a tensor
  that gets no gradient (compared after the call instead). It raises ``OpCheckError`` listing
  every mismatch.
* ``run_interpreted("pkg.module:function", ...)`` runs such check functions in a fresh Python
  with ``TRITON_INTERPRET=1``. Triton reads that variable when ``@triton.jit`` decorates a
  kernel, so it must be set before the kernel module is imported; a subprocess makes that
  true whatever the test session imported before.
* ``check_dispatch(op)`` checks the core's dispatch rules on ``op.example()`` (plain pytest,
  no interpreter, no GPU); the core runs it for every op it finds.

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

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import torch

from zoo_core.ops.op import Op

__all__ = ["DEFAULT_TOLERANCES", "Case", "Constant", "InterpretedResult", "OpCheckError", "case", "check_dispatch",
           "check_op", "constant", "non_contiguous", "run_interpreted"]

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


@dataclass(frozen=True)
class Case:
    """One call of the op: positional and keyword arguments. Build it with ``case(...)``."""

    args: tuple
    kwargs: dict[str, Any]


def case(*args: Any, **kwargs: Any) -> Case:
    """A ``check_op`` case with keyword arguments: ``case(x, y, n=4, gamma=torch.tensor([0.5]))``.

    Floating tensors among the keywords are cast and differentiated like positional ones; a plain
    tuple is a case of positional arguments only.
    """
    return Case(args, kwargs)


@dataclass(frozen=True)
class Constant:
    """A floating tensor argument that receives no gradient (see ``constant``)."""

    value: torch.Tensor


def constant(t: torch.Tensor) -> Constant:
    """Mark a tensor argument as a constant: cast to each dtype and cloned for every call, but
    given no gradient, and compared between the paths *after* the call (an op may update it in
    place, like batch norm's running statistics)."""
    return Constant(t)


def non_contiguous(t: torch.Tensor) -> torch.Tensor:
    """A non-contiguous tensor equal to ``t`` (a strided view into a buffer twice as large)."""
    buf = torch.empty(*t.shape, 2, dtype=t.dtype, device=t.device)
    buf[..., 0] = t
    return buf[..., 0]


def _is_float_tensor(a: Any) -> bool:
    return isinstance(a, torch.Tensor) and a.dtype.is_floating_point


def _as_case(c: Case | Sequence[Any]) -> Case:
    return c if isinstance(c, Case) else Case(tuple(c), {})


def _leaf_numel(c: Case) -> int:
    return sum(a.numel() for a in (*c.args, *c.kwargs.values()) if _is_float_tensor(a))


@dataclass
class _Call:
    """A case prepared for one call: its arguments, the differentiated inputs and the constants,
    keyed by position (int) or keyword (str)."""

    args: tuple
    kwargs: dict[str, Any]
    leaves: dict[int | str, torch.Tensor]
    constants: dict[int | str, torch.Tensor]

    def run(self, fn: Any, replace: Mapping[int | str, Any] | None = None) -> Any:
        sub = replace or {}
        return fn(*(sub.get(i, a) for i, a in enumerate(self.args)), **{k: sub.get(k, a) for k, a in self.kwargs.items()})


def _prepare(c: Case, dtype: torch.dtype, *, grad: bool, strided: bool, upcast: bool = False) -> _Call:
    """Round floating tensors to ``dtype`` (then to float64 if ``upcast``), make them leaves, optionally strided."""
    call = _Call((), {}, {}, {})

    def prep(key: int | str, a: Any) -> Any:
        is_constant = isinstance(a, Constant)
        a = a.value if is_constant else a
        if _is_float_tensor(a):
            a = a.detach().to(dtype)
            a = a.double() if upcast else a
        if isinstance(a, torch.Tensor):
            a = non_contiguous(a) if strided else a.clone()
        if is_constant:
            call.constants[key] = a
        elif _is_float_tensor(a):
            call.leaves[key] = a.requires_grad_(grad)
        return a

    call.args = tuple(prep(i, a) for i, a in enumerate(c.args))
    call.kwargs = {k: prep(k, a) for k, a in c.kwargs.items()}
    return call


def _label(key: int | str) -> str:
    return f"input {key}" if isinstance(key, int) else key


def _describe(c: Case) -> str:
    def one(a: Any) -> str:
        a = a.value if isinstance(a, Constant) else a
        return f"{a.dtype}{list(a.shape)}" if isinstance(a, torch.Tensor) else repr(a)

    return ", ".join([*map(one, c.args), *(f"{k}={one(a)}" for k, a in c.kwargs.items())])


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


def _run(fn: Any, call: _Call, cotangent_seed: int, grad: bool, cot_dtype: torch.dtype):
    """Outputs, gradients of the leaves (if ``grad``) for fixed random cotangents (rounded to
    ``cot_dtype``), and the constants after the call."""
    outs = _as_tuple(call.run(fn))
    grads: dict[int | str, torch.Tensor | None] = {}
    if grad and call.leaves:
        gen = torch.Generator().manual_seed(cotangent_seed)
        pairs = [(o, torch.randn(o.shape, generator=gen, dtype=torch.float64).to(cot_dtype).to(o))
                 for o in outs if isinstance(o, torch.Tensor) and o.requires_grad]
        found = (torch.autograd.grad([o for o, _ in pairs], list(call.leaves.values()), [c for _, c in pairs],
                                     allow_unused=True) if pairs else (None,) * len(call.leaves))
        grads = dict(zip(call.leaves, found))
    return outs, grads, dict(call.constants)


def check_op(
    op: Op,
    cases: Iterable[Case | Sequence[Any]],
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
        cases: argument tuples for ``op``, or ``case(*args, **kwargs)`` for keyword arguments.
            Floating tensors are cast to each dtype and receive gradients (except those wrapped
            in ``constant``); other arguments pass through. Include odd and empty sizes.
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
    cases = [_as_case(c) for c in cases]
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

    for n, c in enumerate(cases):
        for dtype in dtypes:
            atol, rtol = tol[dtype]
            try:
                want = _run(ref_fn, _prepare(c, dtype, grad=grad, strided=False), seed + n, grad, dtype)
                truth = (None if dtype == torch.float64 else
                         _run(ref_fn, _prepare(c, dtype, grad=grad, strided=False, upcast=True), seed + n, grad, dtype))
            except Exception as exc:
                failures.append(f"case {n} ({_describe(c)}) {dtype}: reference raised {type(exc).__name__}: {exc}")
                continue
            for layout in ("contiguous", "strided") if strided else ("contiguous",):
                label = f"case {n} ({_describe(c)}) {dtype} {layout}"
                try:
                    got = _run(tri_fn, _prepare(c, dtype, grad=grad, strided=layout == "strided"), seed + n, grad, dtype)
                except Exception as exc:
                    failures.append(f"{label}: triton raised {type(exc).__name__}: {exc}")
                    continue
                problems = _compare(got, want, truth, atol, rtol)
                if problems:
                    failures.extend(f"{label}: {p}" for p in problems)
                else:
                    passed.append(f"{label}: forward{' + grads' if grad else ''} match")

    if gradcheck:
        small = [c for c in cases if 0 < _leaf_numel(c) <= gradcheck_max_numel]
        if not small:
            raise ValueError(f"gradcheck needs a case with 0 < total input numel <= {gradcheck_max_numel}; add a small case.")
        for impl in gradcheck:
            fn = op.resolve(impl)
            for c in small:
                label = f"gradcheck float64 {impl} ({_describe(c)})"
                call = _prepare(c, torch.float64, grad=True, strided=False)

                def flat(*leaves: torch.Tensor, call: _Call = call, fn: Any = fn) -> tuple[torch.Tensor, ...]:
                    out = call.run(fn, dict(zip(call.leaves, leaves)))
                    return tuple(o for o in _as_tuple(out) if isinstance(o, torch.Tensor))

                try:
                    # fast_mode (random projections) for the kernel: a few launches instead of two per input element.
                    torch.autograd.gradcheck(flat, tuple(call.leaves.values()), eps=1e-6, atol=1e-5, rtol=1e-3,
                                             fast_mode=impl == "triton")
                except Exception as exc:
                    failures.append(f"{label}: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}")
                else:
                    passed.append(f"{label}: ok")

    if failures:
        raise OpCheckError(f"op {op.name!r}: {len(failures)} check(s) failed:\n  " + "\n  ".join(failures))
    return passed


def _compare(got: tuple, want: tuple, truth: tuple | None, atol: float, rtol: float) -> list[str]:
    """Mismatches between the kernel's ``(outputs, grads, constants)`` and the reference's."""
    (got_out, got_grads, got_const), (want_out, want_grads, want_const) = got, want
    truth_out, truth_grads, truth_const = truth or ((None,) * len(want_out), {}, {})
    problems = [_mismatch("forward" if len(want_out) == 1 else f"forward output {i}", g, w, t, atol, rtol)
                for i, (g, w, t) in enumerate(zip(got_out, want_out, truth_out))]
    if len(got_out) != len(want_out):
        problems.append(f"forward: triton returned {len(got_out)} outputs, reference {len(want_out)}")
    problems += [_mismatch(f"grad of {_label(k)}", got_grads[k], w, truth_grads.get(k), atol, rtol)
                 for k, w in want_grads.items()]
    problems += [_mismatch(f"{_label(k)} after the call", got_const[k], w, truth_const.get(k), atol, rtol)
                 for k, w in want_const.items()]
    return [p for p in problems if p]


# --- dispatch rules -----------------------------------------------------------------------------


class _FakeCuda(torch.Tensor):
    """A CPU tensor that reports ``is_cuda``: lets ``check_dispatch`` take the CUDA branch without a GPU."""

    @property
    def is_cuda(self) -> bool:  # type: ignore[override]
        return True


@contextlib.contextmanager
def _dispatch_world(*, triton: bool, interpret: bool = False, env: str | None = None) -> Iterator[None]:
    """Pretend Triton imports (or not), set ``TRITON_INTERPRET`` and ``ZOO_OPS_IMPL``; restore all after."""
    from zoo_core.ops import dispatch

    saved = {k: os.environ.pop(k, None) for k in ("TRITON_INTERPRET", dispatch.ENV_VAR)}
    real = dispatch._import_triton
    dispatch._import_triton = (lambda: None) if triton else (lambda: "ModuleNotFoundError: No module named 'triton'")
    os.environ.update({**({"TRITON_INTERPRET": "1"} if interpret else {}), **({dispatch.ENV_VAR: env} if env else {})})
    try:
        yield
    finally:
        dispatch._import_triton = real
        for k, v in saved.items():
            os.environ.pop(k, None)
            if v is not None:
                os.environ[k] = v


def check_dispatch(op: Op) -> list[str]:
    """Check the core's dispatch rules on ``op.example()`` (CPU only: no kernel runs, Triton is faked).

    The rules: on CPU the reference runs; on CUDA (faked) the kernel is chosen when Triton
    imports and the reference when it does not; ``impl=`` beats ``ZOO_OPS_IMPL``, which beats
    the device; an unknown value, forcing Triton on CPU without ``TRITON_INTERPRET=1`` and
    forcing it without Triton raise errors that name the op and say what to do.

    Returns:
        The rules that held.

    Raises:
        OpCheckError: a rule is broken (all broken ones listed).
        ValueError: ``op`` has no ``example``.
    """
    from zoo_core.ops.dispatch import ENV_VAR, OpDispatchError, TritonUnavailableError

    if op.example is None:
        raise ValueError(f"op {op.name!r} declares no example=; give its Op a small valid CPU call to check dispatch on.")

    def example(cuda: bool = False) -> tuple[tuple, dict[str, Any]]:
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(0)
            args, kwargs = op.example()
        fake = (lambda a: a.as_subclass(_FakeCuda) if cuda and isinstance(a, torch.Tensor) else a)
        return tuple(map(fake, args)), {k: fake(v) for k, v in kwargs.items()}

    def choice(cuda: bool, want: str, impl: str | None = None) -> str | None:
        args, kwargs = example(cuda)
        try:
            got = op.choose(*args, impl=impl, **kwargs)
        except Exception as exc:  # noqa: BLE001 - an error where a choice is due is a broken rule
            return f"raised {type(exc).__name__}: {exc}"
        why = op.triton_unsupported(*args, **kwargs) if op.triton_unsupported else None
        return None if got == want else f"chose {got!r}" + (f" (triton_unsupported: {why})" if why else "")

    def runs_reference() -> str | None:
        got, want = op(*example()[0], **example()[1]), op.reference(*example()[0], **example()[1])
        same = all(torch.equal(g, w) if isinstance(w, torch.Tensor) else g == w
                   for g, w in zip(_as_tuple(got), _as_tuple(want), strict=True))
        return None if same else "the result differs from the reference's"

    def error(kind: type[Exception], *must: str, impl: str | None = "triton") -> str | None:
        try:
            op(*example()[0], impl=impl, **example()[1])
        except kind as exc:
            missing = [m for m in (op.name, *must) if m not in str(exc)]
            return f"the message lacks {missing}: {exc}" if missing else None
        except Exception as exc:  # noqa: BLE001 - the wrong error is a broken rule
            return f"raised {type(exc).__name__} instead of {kind.__name__}: {exc}"
        return f"raised nothing instead of {kind.__name__}"

    rules: dict[str, str | None] = {}
    with _dispatch_world(triton=True):
        rules["CPU tensors run the reference"] = choice(False, "reference") or runs_reference()
        rules["CUDA tensors run the kernel"] = choice(True, "triton")
        rules["impl='reference' beats CUDA"] = choice(True, "reference", impl="reference")
        rules["forcing Triton on CPU without TRITON_INTERPRET=1 is an error"] = error(
            OpDispatchError, "TRITON_INTERPRET=1", "impl='reference'")
        rules["impl='cuda' is an error"] = error(OpDispatchError, "impl='cuda'", "'reference', 'triton'", impl="cuda")
    with _dispatch_world(triton=False):
        rules["CUDA tensors without Triton run the reference"] = choice(True, "reference")
        rules["forcing Triton without Triton is an error"] = error(TritonUnavailableError, "Install triton")
    with _dispatch_world(triton=True, interpret=True):
        rules["TRITON_INTERPRET=1 lets impl='triton' take CPU tensors"] = choice(False, "triton", impl="triton")
    with _dispatch_world(triton=True, env="reference"):
        rules[f"{ENV_VAR}=reference beats CUDA"] = choice(True, "reference")
    with _dispatch_world(triton=True, env="triton"):
        rules[f"{ENV_VAR}=triton forces the kernel"] = choice(True, "triton")
        rules[f"impl='reference' beats {ENV_VAR}"] = choice(True, "reference", impl="reference")
    with _dispatch_world(triton=True, env="fast"):
        rules[f"{ENV_VAR}=fast is an error"] = error(OpDispatchError, f"{ENV_VAR}='fast'", impl=None)

    broken = [f"{rule}: {problem}" for rule, problem in rules.items() if problem]
    if broken:
        raise OpCheckError(f"op {op.name!r}: {len(broken)} dispatch rule(s) broken:\n  " + "\n  ".join(broken))
    return list(rules)


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

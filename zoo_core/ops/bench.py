"""Time an op's implementations: reference eager, reference ``torch.compile``d, Triton (CUDA only),
and any baselines given (e.g. the naive code the op replaces).

Median of ``runs`` timed calls after ``warmup`` calls (which also absorb compilation), forward
alone and forward + backward. Ratios are speed-ups over the eager reference (> 1 = faster).
A provider that fails (no compiler, kernel error) gets a row with the error, not a crash.

Example:
    >>> import torch
    >>> from zoo_core.ops import rotate_blocks
    >>> from zoo_core.ops.bench import bench_op, format_table
    >>> from zoo_core.ops.rotate_blocks import OP
    >>> cases = {"T=64 D=32": lambda: (torch.randn(64, 32), torch.randn(64, 16, 2, 2))}
    >>> rows = bench_op(OP, cases, runs=5, warmup=1, compile=False)
    >>> print(format_table(rows))  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import torch

from zoo_core.ops.op import Op

__all__ = ["BenchRow", "bench_op", "bench_parser", "format_table", "start_bench", "time_call"]


@dataclass(frozen=True)
class BenchRow:
    """One timing: ``ratio`` = eager reference median / this median (None if either failed).

    ``min_ms`` is reported beside the median: on a shared machine it is the steadier estimate.
    """

    case: str
    provider: str
    mode: str            # "forward" or "forward+backward"
    device: str
    median_ms: float | None
    ratio: float | None
    error: str | None = None
    min_ms: float | None = None


def time_call(fn: Callable[[], Any], *, warmup: int = 3, runs: int = 20, device: str | torch.device = "cpu") -> list[float]:
    """Wall times of ``fn()`` in seconds for ``runs`` calls, after ``warmup`` calls (CUDA synchronised)."""
    cuda = torch.device(device).type == "cuda"
    sync = torch.cuda.synchronize if cuda else (lambda: None)
    for _ in range(warmup):
        fn()
    sync()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return times


def _step(fn: Callable[..., Any], args: tuple, backward: bool, kwargs: Mapping[str, Any]) -> Callable[[], Any]:
    """A closure running ``fn(*args, **kwargs)`` (and a backward pass with fixed cotangents for
    every floating-point output, when the op returns several)."""
    if not backward:
        return lambda: fn(*args, **kwargs)
    leaves = [a for a in args if isinstance(a, torch.Tensor) and a.dtype.is_floating_point]
    cot: list[torch.Tensor] = []

    def run():
        for a in leaves:
            a.grad = None
        out = fn(*args, **kwargs)
        outs = [o for o in (out if isinstance(out, (tuple, list)) else (out,))
                if isinstance(o, torch.Tensor) and o.requires_grad]
        if not cot:
            cot.extend(torch.randn_like(o) for o in outs)
        torch.autograd.backward(outs, cot)

    return run


def bench_op(
    op: Op,
    cases: Mapping[str, Callable[[], tuple]],
    *,
    device: str | torch.device | None = None,
    backward: bool = True,
    compile: bool = True,
    warmup: int = 3,
    runs: int = 20,
    kwargs: Mapping[str, Any] | None = None,
    baselines: Mapping[str, Callable[..., Any]] | None = None,
) -> list[BenchRow]:
    """Time ``op``'s providers on each case.

    Args:
        op: the op.
        cases: label -> function returning the argument tuple (CPU tensors; moved to ``device``).
        device: ``"cpu"`` or ``"cuda"``; default CUDA when available.
        backward: also time forward + backward.
        compile: include ``torch.compile(op.reference)``.
        warmup, runs: calls before timing and timed calls (median reported).
        kwargs: keyword arguments passed to every call (non-tensor settings such as ``n=4``).
        baselines: name -> another implementation with the op's signature, timed like the
            others (its ratio, too, is against the eager reference: below 1 = slower).

    Returns:
        Rows for ``format_table``. Providers: ``reference``, ``reference+compile``, the
        baselines and, on CUDA with Triton installed, ``triton``.
    """
    device = torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))
    providers: dict[str, Callable[[], Callable[..., Any]]] = {"reference": lambda: op.reference}
    if compile:
        compiled = torch.compile(op.reference, dynamic=False)
        providers["reference+compile"] = lambda: compiled
    for name, fn in (baselines or {}).items():
        providers[name] = lambda fn=fn: fn
    if device.type == "cuda":
        providers["triton"] = lambda: op.resolve("triton")
    modes = ("forward", "forward+backward") if backward else ("forward",)
    rows: list[BenchRow] = []
    for label, make in cases.items():
        base_args = tuple(a.to(device) if isinstance(a, torch.Tensor) else a for a in make())
        for mode in modes:
            baseline = None
            for name, get_fn in providers.items():
                args = tuple(
                    a.detach().clone().requires_grad_(mode != "forward" and a.dtype.is_floating_point)
                    if isinstance(a, torch.Tensor) else a
                    for a in base_args
                )
                try:
                    ctx = torch.no_grad() if mode == "forward" else torch.enable_grad()
                    with ctx:
                        times = time_call(_step(get_fn(), args, mode != "forward", kwargs or {}), warmup=warmup,
                                          runs=runs, device=device)
                except Exception as exc:  # report, keep benchmarking the rest
                    rows.append(BenchRow(label, name, mode, device.type, None, None, f"{type(exc).__name__}: {str(exc).splitlines()[0][:120]}"))
                    continue
                median = statistics.median(times)
                baseline = median if name == "reference" else baseline
                ratio = baseline / median if baseline else None
                rows.append(BenchRow(label, name, mode, device.type, median * 1e3, ratio, min_ms=min(times) * 1e3))
    return rows


def format_table(rows: list[BenchRow]) -> str:
    """A Markdown table: case, mode, provider, median and min ms, median speed-up over the eager reference."""
    lines = ["| case | mode | device | provider | median ms | min ms | speed-up vs reference |",
             "|---|---|---|---|---:|---:|---:|"]
    for r in rows:
        ms = f"{r.median_ms:.3f}" if r.median_ms is not None else "-"
        low = f"{r.min_ms:.3f}" if r.min_ms is not None else "-"
        ratio = f"{r.ratio:.2f}x" if r.ratio is not None else (f"failed: {r.error}" if r.error else "-")
        lines.append(f"| {r.case} | {r.mode} | {r.device} | {r.provider} | {ms} | {low} | {ratio} |")
    return "\n".join(lines)


def bench_parser(description: str) -> argparse.ArgumentParser:
    """The options every op benchmark script takes (add your own before parsing):
    ``--runs``, ``--warmup``, ``--device``, ``--no-compile``, ``--threads``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    return parser


def start_bench(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """Apply ``--threads`` and seed 0, print the header line for op ``name``, and return the
    timing options of :func:`bench_op` (``device``, ``compile``, ``warmup``, ``runs``)."""
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"{name} | torch {torch.__version__} | {platform.processor() or platform.machine()} | "
          f"threads {torch.get_num_threads()} | median of {args.runs} runs after {args.warmup} warmup")
    return {"device": args.device, "compile": not args.no_compile, "warmup": args.warmup, "runs": args.runs}

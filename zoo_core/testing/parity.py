"""Helpers for parity harnesses that run official code beside a port.

``perturb_parameters``: give every parameter of a model its own storage and move it off its
initial value, so that a state-dict mapping is really tested. Official code sometimes builds
several ``nn.Parameter``s from one tensor (AKOrN's GTA ``mat_q``, ``mat_k``, ``mat_v`` share a
storage and ``mat_o`` is its transpose, until ``.to("cuda")`` copies them apart); on the CPU an
in-place perturbation then keeps them equal, and a port that mixes them up still matches.

``interleaved_cpu_times``: the speed side of a parity run. The official and the port's step are
timed in turns (one of each per round) so that a machine that gets busier during the run slows
both alike, and by process CPU time, which other processes on the machine do not inflate.

``operator_shares``: where a step's CPU time goes, by operator (``torch.profiler``), to show
when most of it is a library call the official code and the port share.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

__all__ = ["untie_parameters", "perturb_parameters", "interleaved_cpu_times", "operator_shares"]


def untie_parameters(model: nn.Module) -> int:
    """Replace each parameter whose storage another parameter already uses by a copy of its own
    (same values, same ``requires_grad``). Returns how many were untied."""
    seen: set[int] = set()
    untied = 0
    for module in model.modules():
        for name, p in list(module._parameters.items()):
            if p is None:
                continue
            ptr = p.untyped_storage().data_ptr()
            if ptr in seen:
                module._parameters[name] = nn.Parameter(p.detach().clone(), requires_grad=p.requires_grad)
                untied += 1
            else:
                seen.add(ptr)
    return untied


@torch.no_grad()
def perturb_parameters(model: nn.Module, scale: float, *, generator: torch.Generator | None = None) -> nn.Module:
    """Untie shared storages, then add ``scale * N(0, 1)`` noise to every floating parameter with
    more than one element, each its own draw."""
    untie_parameters(model)
    for p in model.parameters():
        if p.dtype.is_floating_point and p.numel() > 1:
            p.add_(scale * torch.randn(p.shape, generator=generator, dtype=p.dtype))
    return model


def interleaved_cpu_times(fns: dict[str, Callable[[], object]], reps: int, *, warmup: int = 1
                          ) -> dict[str, float]:
    """Median process CPU seconds of each function in ``fns`` over ``reps`` rounds; every round
    calls each function once, in the dict's order, after ``warmup`` untimed calls of each.

    The ratio of two entries is the speed ratio a parity benchmark reports (CPU time counts all
    threads of this process: set ``torch.set_num_threads`` before timing).
    """
    if reps < 1 or warmup < 0:
        raise ValueError(f"reps must be >= 1 and warmup >= 0; got reps={reps}, warmup={warmup}")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    cpu: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(reps):
        for k, fn in fns.items():
            c0 = time.process_time()
            fn()
            cpu[k].append(time.process_time() - c0)
    return {k: statistics.median(v) for k, v in cpu.items()}


def operator_shares(step: Callable[[], object], *, reps: int = 3, top: int = 8) -> list[tuple[str, float]]:
    """The ``top`` operators by self CPU time over ``reps`` calls of ``step`` (after one untimed
    call), as ``(name, percent of the total self CPU time)``, largest first."""
    from torch.profiler import ProfilerActivity, profile

    if reps < 1 or top < 1:
        raise ValueError(f"reps and top must be >= 1; got reps={reps}, top={top}")
    step()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(reps):
            step()
    events = prof.key_averages()
    total = sum(e.self_cpu_time_total for e in events) or 1
    ranked = sorted(events, key=lambda e: -e.self_cpu_time_total)[:top]
    return [(e.key, 100.0 * e.self_cpu_time_total / total) for e in ranked]

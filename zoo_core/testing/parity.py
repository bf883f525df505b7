"""Helpers for parity harnesses that run official code beside a port.

``perturb_parameters``: give every parameter of a model its own storage and move it off its
initial value, so that a state-dict mapping is really tested. Official code sometimes builds
several ``nn.Parameter``s from one tensor (AKOrN's GTA ``mat_q``, ``mat_k``, ``mat_v`` share a
storage and ``mat_o`` is its transpose, until ``.to("cuda")`` copies them apart); on the CPU an
in-place perturbation then keeps them equal, and a port that mixes them up still matches.
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["untie_parameters", "perturb_parameters"]


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

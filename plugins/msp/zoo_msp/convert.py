"""Convert official MSP checkpoints (takerum/meta_sequential_prediction) to zoo-msp state dicts.

The official training script saves ``torch.save(model.state_dict())`` through
pytorch-pfn-extras (``snapshot_model_iter_<N>``); the manager snapshot
(``snapshot_manager_iter_<N>``) holds it under ``["models"]["main"]``. Both are read with
``torch.load(weights_only=True)`` only.

Key mapping (everything else is identical, because our modules keep the official names and
``nn.Sequential`` indices):

    <conv>.parametrizations.weight.original  ->  <conv>.weight   (weight-standardised convs)
    module.<key>                             ->  <key>           (DataParallel prefix, if any)

Example::

    state = from_official("snapshot_model_iter_50000")["model"]
    model = zoo_msp.models.MSP(dim_a=16, dim_m=256, ch_x=3, k=2.0)
    model.load_state_dict(state)
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import torch

__all__ = ["from_official", "convert_state_dict", "to_official"]

_WS_OFFICIAL = ".parametrizations.weight.original"
_WS_OURS = ".weight"
# Convs stored with a weight-standardisation parametrisation in the official code.
_WS_LEAVES = (".c1", ".c2")


def convert_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Rename official keys to ours (see the module docstring). Tensors are not copied.

    Raises:
        ValueError: a tensor is not materialised (an official lazy module that never ran),
            or two keys map to the same name.
    """
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        new = key[len("module."):] if key.startswith("module.") else key
        if new.endswith(_WS_OFFICIAL):
            new = new[: -len(_WS_OFFICIAL)] + _WS_OURS
        if isinstance(value, torch.nn.parameter.UninitializedParameter) or (
                torch.is_tensor(value) and value.is_meta):
            raise ValueError(f"official checkpoint entry {key!r} is an uninitialised lazy "
                             "parameter; run the official model on one batch before saving it")
        if new in out:
            raise ValueError(f"official keys collide after renaming: {key!r} -> {new!r}")
        out[new] = value
    return out


def to_official(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Inverse of ``convert_state_dict``: our keys -> the official ones (for the parity benchmark)."""
    out = {}
    for key, value in state.items():
        stem = key[: -len(_WS_OURS)] if key.endswith(_WS_OURS) else None
        if stem is not None and stem.endswith(_WS_LEAVES) and value.dim() >= 3:
            key = stem + _WS_OFFICIAL
        out[key] = value
    return out


def from_official(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """Read an official model or manager snapshot; return ``{"model": state_dict}`` in our keys.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a state dict (nor a manager snapshot holding one).
    """
    from zoo_core.convert import read_snapshot_state_dict

    return {"model": convert_state_dict(read_snapshot_state_dict(path, what="MSP", example="snapshot_model_iter_50000"))}

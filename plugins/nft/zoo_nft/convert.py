"""Convert official 1-D / compression NFT checkpoints (masomatics/NFTPublic) to zoo-nft state dicts.

The official runners save ``torch.save(model.state_dict())`` through pytorch-pfn-extras
(``snapshot_model_iter_<N>`` beside ``config.yml``); the manager snapshot
(``snapshot_manager_iter_<N>``) holds it under ``["models"]["main"]``. Both are read with
``torch.load(weights_only=True)`` only.

Key mapping (``zoo_nft.unft.NFTSeqAE`` keeps the official module names):

    enc.lin1.*, enc.lin2.*   dropped: aliases of enc.phi.0.* / enc.phi.2.* in the 1-D encoder
                             (the same tensors registered twice; checked equal)
    module.<key>             -> <key>  (DataParallel prefix, if any)
    everything else          unchanged (enc.phi.*, enc.linear.*, dec.net.*, change_of_basis)

Example::

    state = from_official("snapshot_model_iter_100000")["model"]
    model = zoo.create("nft-1d-timewarp-f1"); model.load_state_dict(state)
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping

import torch

__all__ = ["from_official", "convert_state_dict", "to_official"]

_ALIASES = {"enc.lin1.": "enc.phi.0.", "enc.lin2.": "enc.phi.2."}


def convert_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Official keys -> ours (see the module docstring). Tensors are not copied.

    Raises:
        ValueError: an alias differs from the tensor it should alias, or keys collide.
    """
    state = {(k[len("module."):] if k.startswith("module.") else k): v for k, v in state.items()}
    out: dict[str, torch.Tensor] = {}
    for key, value in state.items():
        alias = next((a for a in _ALIASES if key.startswith(a)), None)
        if alias is not None:
            target = _ALIASES[alias] + key[len(alias):]
            if target in state and not torch.equal(state[target], value):
                raise ValueError(f"official checkpoint: {key!r} should alias {target!r} but differs")
            if target in state:
                continue
            key = target
        if key in out:
            raise ValueError(f"official keys collide after renaming: {key!r}")
        out[key] = value
    return out


def to_official(state: Mapping[str, torch.Tensor], *, oned: bool = True) -> dict[str, torch.Tensor]:
    """Our keys -> the official ones (adds the ``enc.lin1``/``enc.lin2`` aliases of the 1-D
    encoder when ``oned``), for the parity benchmark and the converter test."""
    out = dict(state)
    if oned:
        for alias, target in _ALIASES.items():
            for key, value in state.items():
                if key.startswith(target):
                    out[alias + key[len(target):]] = value
    return out


def from_official(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """Read an official model or manager snapshot; return ``{"model": state_dict}`` in our keys.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not a state dict (nor a manager snapshot holding one).
    """
    from zoo_core.convert import read_snapshot_state_dict

    return {"model": convert_state_dict(read_snapshot_state_dict(path, what="NFT", example="snapshot_model_iter_100000"))}

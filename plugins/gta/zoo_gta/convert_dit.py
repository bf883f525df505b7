"""Convert DiT-branch checkpoints (autonomousvision/gta, branch ``DiT``) to zoo-gta state dicts.

The branch's ``train.py`` saves ``torch.save({"model", "ema", "opt", "args", "status"})``;
sampling uses ``checkpoint["ema"]`` (``download.find_model``), and so do we. A bare state dict
(what ``find_model`` returns) is accepted too. Our :class:`zoo_gta.models.dit.DiT` keeps the
official module names, so the keys are used as they are (``x_embedder.proj.*``, ``t_embedder.mlp.{0,2}.*``,
``y_embedder.embedding_table.weight``, ``blocks.{i}.attn.{qkv,proj}.*``, ``blocks.{i}.attn.{q,k}_norm.scale``,
``blocks.{i}.mlp.fc{1,2}.*``, ``blocks.{i}.adaLN_modulation.1.*``, ``final_layer.{linear,adaLN_modulation.1}.*``);
a ``module.`` prefix (DDP) is stripped.

The file is read with ``torch.load(weights_only=True)``: only tensors and plain containers, plus
``argparse.Namespace`` (the ``args`` entry), are unpickled; no code from the file runs.

License: the DiT-branch weights inherit DiT's CC-BY-NC 4.0 (non-commercial). Convert them for
your own use; this project does not redistribute them.

Example::

    zoo convert gta-dit-b2-imagenet256 results/GTA/checkpoints/2500000.pt --out dit-gta/
    state = from_official("2500000.pt")["model"]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

__all__ = ["from_official", "read_checkpoint"]


def read_checkpoint(path: str | Path) -> dict:
    """The unpickled checkpoint (tensors, containers and ``argparse.Namespace`` only)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DiT-branch checkpoint not found: {path} (expected e.g. "
                                "results/GTA/checkpoints/2500000.pt from the branch's train.py)")
    with torch.serialization.safe_globals([argparse.Namespace]):
        return torch.load(path, map_location="cpu", weights_only=True)


def from_official(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """``{"model": state_dict}`` from a DiT-branch checkpoint (its ``ema``) or a bare state dict.

    Raises:
        FileNotFoundError: no such file.
        ValueError: the file holds neither an ``ema`` state dict nor a state dict of tensors.
    """
    obj = read_checkpoint(path)
    if isinstance(obj, dict) and "ema" in obj:
        state = obj["ema"]
    elif isinstance(obj, dict) and obj and all(torch.is_tensor(v) for v in obj.values()):
        state = obj
    else:
        keys = sorted(obj)[:8] if isinstance(obj, dict) else type(obj).__name__
        raise ValueError(f"{path}: not a DiT-branch checkpoint (expected a dict with 'ema', as train.py "
                         f"saves, or a state dict of tensors); found {keys}")
    if not isinstance(state, dict) or not all(torch.is_tensor(v) for v in state.values()):
        raise ValueError(f"{path}: its 'ema' entry is not a state dict of tensors")
    return {"model": {k.removeprefix("module."): v for k, v in state.items()}}

"""Convert official GTA ``main`` checkpoints (``model.pt``, ``model_best.pt``, ``model_<it>.pt``).

The official ``source/checkpoint.py`` saves one torch pickle::

    {"encoder": encoder.state_dict(), "decoder": decoder.state_dict(), "optimizer": ...,
     "epoch_it": int, "it": int, "t": float, "loss_val_best": float, "run_id": str}

Our modules keep the official names, so the ``encoder`` and ``decoder`` dicts load as they
are (a DataParallel/DDP ``module.`` prefix is dropped). The file is read with
``torch.load(weights_only=True)``; the one non-tensor object an official file may hold, a
NumPy scalar (``loss_val_best`` from a validation metric), is allowed by name and nothing else.

Example::

    zoo convert gta-srt-clevrtr model_best.pt --out converted/     # or in Python:
    parts = from_official("model_best.pt")
    model = zoo.create("gta-srt-clevrtr")
    model.encoder.load_state_dict(parts["encoder"]); model.decoder.load_state_dict(parts["decoder"])
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Mapping

import torch

__all__ = ["from_official"]


def _load(path: Path):
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        import numpy as np

        core = np._core if hasattr(np, "_core") else np.core
        scalar = core.multiarray.scalar  # pickled as numpy.core.* by NumPy 1, numpy._core.* by NumPy 2
        allowed = [scalar, (scalar, "numpy.core.multiarray.scalar"), np.dtype, type(np.dtype("float64"))]
        with torch.serialization.safe_globals(allowed):
            return torch.load(path, map_location="cpu", weights_only=True)


def _strip(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in state.items()}


def from_official(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """``{"encoder": state_dict, "decoder": state_dict}`` from an official checkpoint.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: the file is not an official checkpoint (no ``encoder``/``decoder`` dicts).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"official GTA checkpoint not found: {path} (expected model.pt or "
                                "model_best.pt from the official run directory)")
    try:
        obj = _load(path)
    except pickle.UnpicklingError as e:
        raise ValueError(f"{path} holds objects other than tensors, numbers and strings, so it is not read "
                         f"(weights_only loading refused: {str(e).splitlines()[0]})") from None
    parts = {}
    for name in ("encoder", "decoder"):
        state = obj.get(name) if isinstance(obj, Mapping) else None
        if not isinstance(state, Mapping) or not all(torch.is_tensor(v) for v in state.values()):
            raise ValueError(f"{path} is not an official GTA main checkpoint: it has no {name!r} state dict "
                             f"(keys: {sorted(obj)[:8] if isinstance(obj, Mapping) else type(obj).__name__})")
        parts[name] = _strip(state)
    return parts

"""Convert the official image experiments' Lightning checkpoints (``log/<exp>/.../checkpoints/*.ckpt``).

A Lightning ``.ckpt`` is one torch pickle ``{"state_dict": ..., "hyper_parameters": ...,
"epoch": ..., "optimizer_states": ..., ...}``. ``LitEquivariantAE`` (and ``LitAutoEnc``) keep
their modules as attributes, and ours use the same names and layer indices (``encoder.net.0``,
``pre_adapter.1``, ``post_adapter.3`` ...), so ``state_dict`` loads as it is.

Reading: ``torch.load(weights_only=True)`` first. The hyper-parameters of a Hydra run may hold
objects of packages not installed here (OmegaConf containers); then the file is read again with
an unpickler that rebuilds tensors and plain containers only and replaces every other object by
an inert placeholder (nothing from the file is imported or called), and only ``state_dict`` is kept.

Example::

    zoo convert nft-rotmnist epoch=99.ckpt --out converted/     # or in Python:
    model = zoo.create("nft-rotmnist"); model.load_state_dict(from_official("epoch=99.ckpt")["model"])
"""

from __future__ import annotations

import pickle
from pathlib import Path

import torch

from zoo_core.errors import CheckpointError

__all__ = ["from_official"]

_TORCH_OK = ("_rebuild_tensor", "_rebuild_tensor_v2", "_rebuild_parameter", "_rebuild_parameter_with_state",
             "_rebuild_from_type_v2", "Size", "FloatStorage", "HalfStorage", "LongStorage", "IntStorage",
             "BoolStorage", "ByteStorage", "DoubleStorage", "BFloat16Storage", "UntypedStorage", "TypedStorage")
_BUILTINS_OK = ("dict", "list", "tuple", "set", "frozenset", "int", "float", "str", "bool", "slice", "complex")


class _Inert(dict):
    """Stands in for any object the unpickler will not rebuild (it takes items, appends and state, and drops them)."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def __setstate__(self, state):
        pass

    def append(self, item):
        pass

    def extend(self, items):
        pass


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if module == "collections" and name == "OrderedDict":
            return super().find_class(module, name)
        if module == "builtins" and name in _BUILTINS_OK:
            return super().find_class(module, name)
        if module.startswith("torch") and (name in _TORCH_OK or name.endswith("dtype") or
                                           (module == "torch" and isinstance(getattr(torch, name, None), torch.dtype))):
            return super().find_class(module, name)
        return _Inert


class _PickleModule:
    Unpickler = _Unpickler
    load = staticmethod(lambda f, **kw: _Unpickler(f, **kw).load())
    __name__ = "zoo_nft_inert_pickle"


def _load(path: Path) -> dict:
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_PickleModule)


def from_official(path: str | Path) -> dict[str, dict[str, torch.Tensor]]:
    """``{"model": state_dict}`` from an official Lightning checkpoint.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        CheckpointError: the file is not a Lightning checkpoint of the image experiments.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"official NFT image checkpoint not found: {path} (expected a Lightning .ckpt from "
                                "log/<expname>/.../checkpoints/)")
    try:
        ckpt = _load(path)
    except Exception as exc:  # noqa: BLE001 - any failure to read is the same user error
        raise CheckpointError(f"{path}: not a readable torch checkpoint ({type(exc).__name__}: {exc})") from exc
    state = ckpt.get("state_dict") if isinstance(ckpt, dict) else None
    if not isinstance(state, dict) or not state:
        raise CheckpointError(f"{path}: no 'state_dict' in the file; expected a Lightning .ckpt of the official "
                              "image experiments (keys 'state_dict', 'epoch', 'hyper_parameters')")
    bad = [k for k, v in state.items() if not isinstance(v, torch.Tensor)]
    if bad:
        raise CheckpointError(f"{path}: state_dict entries that are not tensors: {bad[:3]}")
    if not any(k.startswith("encoder.") for k in state):
        raise CheckpointError(f"{path}: the state_dict has no 'encoder.*' keys (got {sorted(state)[:4]} ...); "
                              "is this a checkpoint of the image experiments' models?")
    return {"model": dict(state)}

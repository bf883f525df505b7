"""Official neural-collage encoder snapshots (Chainer ``.npz`` of ``enc_models/resnetenc_small``
or ``resnetenc_256`` ``ResNetEncoder``) as :class:`~zoo_scbn.projection.CollageEncoder` state dicts.

Reads with ``numpy.load(allow_pickle=False)``; Chainer is not needed. Key mapping (Chainer ->
ours): stem ``l1`` (``block1`` in the 256-px encoder) -> ``l1``; ``block{k}`` -> ``blocks.{k-2}``
with ``c1``, ``c2``, ``c_sc`` (``W``/``b`` -> ``weight``/``bias``) and conditional BN ``b1``,
``b2`` (``gammas/W``, ``betas/W``, ``avg_mean``, ``avg_var``, ``N``); the last linear ``l7``
(``l8_enc``) -> ``fc``; ``prelu_out/W`` -> ``prelu.weight``. The small encoder's declared but
unused BN ``b7`` is dropped. A trainer snapshot's ``updater/model:enc/`` prefix is removed.

    config, state = encoder_from_arrays(np.load("ResNetEncoder_50000.npz"))
    enc = CollageEncoder(**config); enc.load_state_dict(state)

``zoo convert NAME FILE --converter collage-encoder-official`` writes a Hub-layout folder.
"""

from __future__ import annotations

import re
from os import PathLike
from typing import Mapping

import numpy as np
import torch

__all__ = ["from_official", "encoder_from_arrays", "OfficialEncoderFormatError"]

_PARAM = {"W": "weight", "b": "bias"}
_BN = {"gammas/W": "gammas", "betas/W": "betas", "avg_mean": "running_mean", "avg_var": "running_var",
       "N": "num_batches_tracked"}


class OfficialEncoderFormatError(ValueError):
    """The file is not an official neural-collage encoder snapshot."""


def encoder_from_arrays(arrays: Mapping[str, np.ndarray]) -> tuple[dict, dict[str, torch.Tensor]]:
    """``(config, state_dict)`` of the encoder the arrays hold; widths, classes, latent size and
    image size are read off the shapes."""
    arrays = {k.removeprefix("updater/model:enc/"): v for k, v in arrays.items()}
    stem = "l1" if "l1/W" in arrays else "block1"
    head = "l7" if "l7/W" in arrays else "l8_enc"
    for key in (f"{stem}/W", f"{head}/W", "prelu_out/W"):
        if key not in arrays:
            raise OfficialEncoderFormatError(
                f"not an official neural-collage encoder snapshot: no {key!r} (keys start with "
                f"{sorted(arrays)[:6]}); expected ResNetEncoder_<iter>.npz of enc_models/resnetenc_*.py")
    blocks = sorted({int(m.group(1)) for k in arrays if (m := re.match(r"block(\d+)/", k)) and k.split("/")[0] != stem})
    if blocks != list(range(2, 2 + len(blocks))) or not blocks:
        raise OfficialEncoderFormatError(f"encoder blocks must be block2..blockN, found {blocks}")
    state: dict[str, torch.Tensor] = {}
    used: set[str] = set()

    def take(src: str, dst: str, names: Mapping[str, str]) -> None:
        for theirs, ours in names.items():
            key = f"{src}/{theirs}"
            if key in arrays:
                v = np.asarray(arrays[key])
                state[f"{dst}.{ours}"] = torch.from_numpy(v.astype(np.int64) if theirs == "N" else v.copy())
                used.add(key)

    take(stem, "l1", _PARAM)
    for i, k in enumerate(blocks):
        for conv in ("c1", "c2", "c_sc"):
            take(f"block{k}/{conv}", f"blocks.{i}.{conv}", _PARAM)
        for bn in ("b1", "b2"):
            take(f"block{k}/{bn}", f"blocks.{i}.{bn}", _BN)
            state.setdefault(f"blocks.{i}.{bn}.num_batches_tracked", torch.zeros((), dtype=torch.int64))
    take(head, "fc", _PARAM)
    take("prelu_out", "prelu", {"W": "weight"})
    used |= {k for k in arrays if k.startswith("b7/")}
    left = sorted(set(arrays) - used)
    if left:
        raise OfficialEncoderFormatError(f"unexpected keys in the encoder snapshot: {left[:10]}")
    if f"blocks.0.b1.gammas" not in state:
        raise OfficialEncoderFormatError("the encoder has no class-conditional BN (n_classes = 0); "
                                         "CollageEncoder is the conditional encoder")
    channels = [int(state["l1.weight"].shape[0])] + [int(state[f"blocks.{i}.c2.weight"].shape[0])
                                                     for i in range(len(blocks))]
    in_features = int(state["fc.weight"].shape[1])
    side = int(round((in_features / channels[-1]) ** 0.5))
    if side * side * channels[-1] != in_features:
        raise OfficialEncoderFormatError(f"the linear layer's {in_features} inputs are not "
                                         f"{channels[-1]} x side^2")
    config = {"channels": channels, "n_classes": int(state["blocks.0.b1.gammas"].shape[0]),
              "dim_z": int(state["fc.weight"].shape[0]), "image_size": side * 2 ** len(blocks)}
    return config, state


def from_official(path: str | PathLike) -> dict[str, dict[str, torch.Tensor]]:
    """The converter hook: ``{"model": state_dict}`` of an official encoder ``.npz``."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return {"model": encoder_from_arrays(arrays)[1]}

"""Convert official Chainer ``.npz`` snapshots of pfnet-research/ssdrl to Zoo state dicts.

Reads with ``numpy.load(allow_pickle=False)``; Chainer is not needed. Inputs:

* ``snapshot_object`` files (``MNISTClassifier_50000.npz``, ``SVHNClassifier_48000.npz``,
  ``CIFAR10Classifier_48000.npz``): keys are link paths, ``c0/W``, ``b0_1/avg_mean`` ...;
* trainer snapshots (``snapshot_iter_<n>``): the same under ``updater/model:main/``
  (optimizer state is ignored).

Chainer conv/linear weights have PyTorch's layouts, so the mapping is by name: ``W`` ->
``weight``, ``b`` -> ``bias``; BN ``gamma/beta/avg_mean/avg_var/N`` -> ``weight/bias/
running_mean/running_var/num_batches_tracked``. MNISTClassifier keeps its names (``c0`` ..
``l3``, ``b0`` .. ``b2``); conv-large's ``c{i}_{j}`` / ``b{i}_{j}`` -> ``convs.{3i+j}`` /
``bns.{3i+j}``, ``l3`` -> ``l3`` and SVHN's logit BN ``b3`` -> ``b3``.

Example::

    state = from_official("MNISTClassifier_50000.npz")["model"]
    zoo.create("ssdrl-mnist-g0.1").load_state_dict(state)
"""

from __future__ import annotations

import re
from os import PathLike
from typing import Mapping

import numpy as np
import torch

__all__ = ["from_official", "convert_arrays", "OfficialFormatError"]

_TRAINER_PREFIX = "updater/model:main/"
_PARAM = {"W": "weight", "b": "bias"}
_BN = {"gamma": "weight", "beta": "bias", "avg_mean": "running_mean", "avg_var": "running_var",
       "N": "num_batches_tracked"}


class OfficialFormatError(ValueError):
    """The file is not an official SSDRL classifier snapshot this converter understands."""


def from_official(path: str | PathLike) -> dict[str, dict[str, torch.Tensor]]:
    """``{"model": state_dict}`` of an official ``.npz`` (either kind above)."""
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return convert_arrays(arrays)


def _link(name: str) -> str:
    """Chainer link name -> our module path."""
    if m := re.fullmatch(r"([cb])(\d)_(\d)", name):
        kind, i, j = m.group(1), int(m.group(2)), int(m.group(3))
        return f"{'convs' if kind == 'c' else 'bns'}.{3 * i + j}"
    if re.fullmatch(r"[cb][0-2]|l3|b3", name):
        return name
    raise OfficialFormatError(f"unknown link {name!r}: expected MNISTClassifier (c0-c2, b0-b2, l3) or "
                              f"conv-large (c0_0-c2_2, b0_0-b2_2, b3, l3) names")


def convert_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, torch.Tensor]]:
    """Like :func:`from_official`, on a loaded ``{chainer_key: array}`` mapping."""
    if any(k.startswith("updater/") for k in arrays):
        arrays = {k[len(_TRAINER_PREFIX):]: v for k, v in arrays.items() if k.startswith(_TRAINER_PREFIX)}
        if not arrays:
            raise OfficialFormatError(f"trainer snapshot without {_TRAINER_PREFIX!r} entries")
    if not arrays:
        raise OfficialFormatError("the file holds no arrays")
    state: dict[str, torch.Tensor] = {}
    for key, value in arrays.items():
        parts = key.strip("/").split("/")
        if len(parts) != 2:
            raise OfficialFormatError(f"unexpected key {key!r} (expected LINK/PARAM)")
        link, param = parts
        names = _BN if link.startswith("b") and param in _BN else _PARAM
        if param not in names:
            raise OfficialFormatError(f"unexpected parameter {key!r}")
        ours = f"{_link(link)}.{names[param]}"
        value = np.asarray(value)
        state[ours] = torch.from_numpy(np.ascontiguousarray(
            value.astype(np.int64) if param == "N" else value))
    for key in [k for k in state if k.endswith(".running_mean") and not k.replace("running_mean", "num_batches_tracked") in state]:
        state[key.replace("running_mean", "num_batches_tracked")] = torch.tensor(0, dtype=torch.int64)
    return {"model": state}

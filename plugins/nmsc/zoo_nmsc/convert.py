"""Official nms-comp snapshots (Chainer ``.npz``) as zoo-nmsc state dicts.

The official ``train_lossless.py`` writes ``model_all`` (``LosslessModel``: ``model_lossy/`` with
the analyzer and synthesizer, ``model_lossless/`` with the context model); ``train_lossy.py``
writes ``model_lossy`` (the autoencoder alone, no coder: not enough for a compressor). Read with
``numpy.load(allow_pickle=False)``; Chainer is not needed.

Three things differ from a key-for-key copy:

* **space-to-depth order.** Chainer's ``space2depth`` puts the offset first (channel
  ``(dy r + dx) C + c``), ``pixel_unshuffle`` the channel first (``c r^2 + dy r + dx``): every
  layer that reads a space-to-depth tensor (the analyzer's stem conv, the BN and conv of blocks
  b1..b4) gets its input channels permuted, every layer whose output goes through
  depth-to-space (the synthesizer's b5..b2 and its last conv) its output channels.
* **colour order.** The official code reads images with OpenCV (BGR); ours are RGB: the stem's
  input and the last conv's output channels are reversed in colour, so the converted model takes
  and gives RGB.
* **names.** ``analyzer/conv`` -> ``stem.0``, ``analyzer/b0`` -> ``stem.1``, ``analyzer/bn{k}`` ->
  ``norms.{k-1}``; ``synthesizer/b{5,4,3,2}`` -> ``b{4,3,2,1}``, ``b1`` -> ``head.0``, ``conv`` ->
  ``head.1``; the coder's ``b{4,8,16}_{0,1}`` -> ``blocks.{4,8,16}.{0,1}``, ``b32{a,b,c}_{0,1}``
  -> ``blocks.{32,64,128}.{0,1}``, ``d_pred`` -> ``final_logits``; in a block ``conv{0..3}`` and
  ``bn{0..2}`` -> ``body.{0,3,6,9}`` and ``body.{1,4,7}``.

The official widths are fixed (``width`` 64, ``ctx_width`` 512): the registry's
``nmsc-msssim-*`` entries have them, e.g.
``zoo convert nmsc-msssim-0-0-4-32-q7 result/model_all --out converted/``.
"""

from __future__ import annotations

import zipfile
from os import PathLike
from typing import Mapping

import numpy as np
import torch

__all__ = ["from_official", "state_from_arrays", "OfficialSnapshotError", "s2d_order"]

_CONV = {"W": "weight", "b": "bias"}
_BN = {"gamma": "weight", "beta": "bias", "avg_mean": "running_mean", "avg_var": "running_var",
       "N": "num_batches_tracked"}


class OfficialSnapshotError(ValueError):
    """The file is not an official nms-comp ``model_all`` snapshot."""


def s2d_order(channels: int, r: int = 2) -> np.ndarray:
    """``idx`` with ``ours[..., k] = theirs[..., idx[k]]`` for a space-to-depth tensor of
    ``channels`` input channels: ours ``c r^2 + p``, Chainer's ``p channels + c``."""
    return np.arange(r * r * channels).reshape(r * r, channels).T.reshape(-1)


def _bgr(channels: int) -> np.ndarray:
    """``idx`` reversing the colour of a space-to-depth'd RGB tensor in our order (``c r^2 + p``)."""
    per = channels // 3
    return np.concatenate([np.arange(per) + per * c for c in (2, 1, 0)])


def state_from_arrays(arrays: Mapping[str, np.ndarray]) -> dict[str, dict[str, torch.Tensor]]:
    """``{"analyzer", "synthesizer", "context_model"}`` state dicts of a ``model_all`` snapshot."""
    arrays = {k.removeprefix("updater/model:main/"): np.asarray(v) for k, v in arrays.items()}
    if not any(k.startswith("model_lossless/") for k in arrays):
        hint = (" (this looks like model_lossy, the autoencoder alone: convert the model_all that "
                "train_lossless.py writes)" if "analyzer/conv/W" in arrays else "")
        raise OfficialSnapshotError(f"not an official nms-comp model_all snapshot: no 'model_lossless/' keys "
                                    f"(keys start with {sorted(arrays)[:4]}){hint}")
    used: set[str] = set()

    def take(src: str, names: Mapping[str, str], dst: str, out: dict, *, rows=None, cols=None) -> None:
        found = False
        for theirs, ours in names.items():
            key = f"{src}/{theirs}"
            if key not in arrays:
                continue
            v = arrays[key]
            if theirs == "N":
                out[f"{dst}.{ours}"] = torch.tensor(int(v), dtype=torch.int64)
            else:
                if rows is not None:
                    v = v[rows]
                if cols is not None and v.ndim > 1:
                    v = v[:, cols]
                out[f"{dst}.{ours}"] = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float32))
            used.add(key)
            found = True
        if not found:
            raise OfficialSnapshotError(f"the snapshot has no {src!r} (expected {src}/W or {src}/avg_mean)")

    def channels(key: str, axis: int) -> int:
        if key not in arrays:
            raise OfficialSnapshotError(f"the snapshot has no {key!r}")
        return int(arrays[key].shape[axis])

    # analyzer: layers reading a space-to-depth tensor get their inputs reordered
    a, lossy = {}, "model_lossy/analyzer"
    stem_in = s2d_order(3)[_bgr(12)]   # BGR pixels, space-to-depth by 2, into RGB and our order
    take(f"{lossy}/conv", _CONV, "stem.0", a, cols=stem_in)
    take(f"{lossy}/b0/bn", _BN, "stem.1.0", a)
    take(f"{lossy}/b0/conv", _CONV, "stem.1.2", a)
    for k in (1, 2, 3, 4):
        order = s2d_order(channels(f"{lossy}/b{k}/bn/avg_mean", 0) // 4)
        take(f"{lossy}/b{k}/bn", _BN, f"b{k}.0", a, rows=order)
        take(f"{lossy}/b{k}/conv", _CONV, f"b{k}.2", a, cols=order)
    for k in (1, 2, 3, 4):
        if f"{lossy}/bn{k}/avg_mean" in arrays:
            take(f"{lossy}/bn{k}", _BN, f"norms.{k - 1}", a)

    # synthesizer: layers feeding depth-to-space get their outputs reordered
    s, lossy = {}, "model_lossy/synthesizer"
    for theirs, ours in ((5, "b4"), (4, "b3"), (3, "b2"), (2, "b1")):
        order = s2d_order(channels(f"{lossy}/b{theirs}/conv/W", 0) // 4)
        take(f"{lossy}/b{theirs}/conv", _CONV, f"{ours}.0", s, rows=order)
        take(f"{lossy}/b{theirs}/bn", _BN, f"{ours}.1", s, rows=order)
    take(f"{lossy}/b1/conv", _CONV, "head.0.0", s)
    take(f"{lossy}/b1/bn", _BN, "head.0.1", s)
    take(f"{lossy}/conv", _CONV, "head.1", s, rows=s2d_order(3)[_bgr(12)])

    # context model: same layout, other names
    c = {}
    blocks = {"b4": "4", "b8": "8", "b16": "16", "b32a": "32", "b32b": "64", "b32c": "128"}
    for theirs, ours in blocks.items():
        for half in (0, 1):
            src = f"model_lossless/{theirs}_{half}"
            if f"{src}/conv0/W" not in arrays:
                continue
            for i in range(4):
                take(f"{src}/conv{i}", _CONV, f"blocks.{ours}.{half}.body.{3 * i}", c)
            for i in range(3):
                take(f"{src}/bn{i}", _BN, f"blocks.{ours}.{half}.body.{3 * i + 1}", c)
    if "model_lossless/d_pred" not in arrays:
        raise OfficialSnapshotError("the snapshot has no 'model_lossless/d_pred' (the static final level)")
    c["final_logits"] = torch.from_numpy(np.ascontiguousarray(arrays["model_lossless/d_pred"], dtype=np.float32))
    used.add("model_lossless/d_pred")

    left = sorted(set(arrays) - used)
    if left:
        raise OfficialSnapshotError(f"unexpected keys in the snapshot: {left[:8]}")
    return {"analyzer": a, "synthesizer": s, "context_model": c}


def from_official(path: str | PathLike) -> dict[str, dict[str, torch.Tensor]]:
    """The converter hook: the components of an official ``model_all`` ``.npz``."""
    if not zipfile.is_zipfile(path):
        raise OfficialSnapshotError(f"{path} is not a Chainer .npz snapshot (not a zip archive); pass the "
                                    "model_all file the official train_lossless.py writes")
    try:
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except (ValueError, OSError) as exc:  # not an npz, or one holding pickled objects
        raise OfficialSnapshotError(f"{path} is not a Chainer .npz snapshot ({exc})") from exc
    return state_from_arrays(arrays)

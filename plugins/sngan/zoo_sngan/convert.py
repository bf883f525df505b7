"""Convert official Chainer ``.npz`` snapshots of SN-GAN / the projection cGAN to Zoo state dicts.

Reads with ``numpy.load(allow_pickle=False)``; Chainer is not needed. Supported inputs:

* ``snapshot_object`` files of ``pfnet-research/sngan_projection``
  (``ResNetGenerator_<iter>.npz``, ``SNResNetProjectionDiscriminator_<iter>.npz``,
  ``SNResNetConcatDiscriminator_<iter>.npz``): keys are attribute paths such as
  ``block2/b1/gammas/W`` or ``block3/c_sc/u``;
* trainer snapshots (``snapshot_iter_<n>``), whose keys start with ``updater/model:gen/`` and
  ``updater/model:dis/`` (optimizer state is ignored);
* ``pfnet-research/chainer-gan-lib`` standard-CNN nets (``DCGANGenerator``,
  ``SNDCGANDiscriminator``; their ``u`` is not saved: see ``missing_u``).

Mapping (Chainer -> ours): ``W`` -> ``weight``, ``b`` -> ``bias``, SN ``u`` ``(1, rows)`` ->
``u`` ``(rows,)``; BN ``gamma/beta/avg_mean/avg_var/N`` -> ``weight/bias/running_mean/
running_var/num_batches_tracked``; CBN ``gammas/W``, ``betas/W`` -> ``gammas``, ``betas``;
``l1`` -> ``fc``, ``block{k}`` -> ``blocks.{k-2}`` (generator) / ``blocks.{k-1}``
(discriminator), final ``b*`` -> ``bn_out``, final ``l*``/``c*`` -> ``conv_out`` (generator)
or ``fc`` (discriminator), ``l_y`` -> ``embed``.

Example::

    parts = from_official("ResNetGenerator_850000.npz")        # {"generator": state_dict}
    gan = zoo.create("sngan-projection-imagenet128")
    gan.generator.load_state_dict(parts["generator"])
"""

from __future__ import annotations

import re
from os import PathLike
from typing import Literal, Mapping

import numpy as np
import torch

__all__ = ["from_official", "convert_arrays", "OfficialFormatError"]

_TRAINER_PREFIXES = {"updater/model:gen/": "generator", "updater/model:dis/": "discriminator"}
_BN_NAMES = {"gamma": "weight", "beta": "bias", "avg_mean": "running_mean",
             "avg_var": "running_var", "N": "num_batches_tracked"}
_CNN_D_CONVS = ["c0_0", "c0_1", "c1_0", "c1_1", "c2_0", "c2_1", "c3_0"]


class OfficialFormatError(ValueError):
    """The file is not an official SN-GAN Chainer snapshot this converter understands."""


def from_official(path: str | PathLike, *, sn_semantics: Literal["chainer", "torch"] = "chainer",
                  missing_u: Literal["svd", "error"] = "svd") -> dict[str, dict[str, torch.Tensor]]:
    """Read an official Chainer ``.npz`` and return ``{component: state_dict}``.

    Args:
        path: the ``.npz`` file (one network, or a trainer snapshot holding both).
        sn_semantics: the semantics of the model the weights go into. ``"chainer"`` keeps
            ``u``; ``"torch"`` stores ``(u', v)`` after one Chainer step from ``u``, so that a
            torch-semantics model in eval mode reproduces the Chainer eval output.
        missing_u: what to do when an SN layer has no saved ``u`` (chainer-gan-lib does not
            save it): ``"svd"`` sets it to the top left-singular vector, ``"error"`` raises.

    Returns:
        ``{"generator": ...}``, ``{"discriminator": ...}`` or both, with our key names.

    Raises:
        FileNotFoundError: no such file.
        OfficialFormatError: unknown key layout (the message lists the unexpected keys).
    """
    with np.load(path, allow_pickle=False) as npz:
        arrays = {k: npz[k] for k in npz.files}
    return convert_arrays(arrays, sn_semantics=sn_semantics, missing_u=missing_u)


def convert_arrays(arrays: Mapping[str, np.ndarray], *,
                   sn_semantics: Literal["chainer", "torch"] = "chainer",
                   missing_u: Literal["svd", "error"] = "svd") -> dict[str, dict[str, torch.Tensor]]:
    """Like :func:`from_official`, on an already loaded ``{chainer_key: array}`` mapping."""
    if sn_semantics not in ("chainer", "torch"):
        raise ValueError(f"sn_semantics must be 'chainer' or 'torch', got {sn_semantics!r}")
    if missing_u not in ("svd", "error"):
        raise ValueError(f"missing_u must be 'svd' or 'error', got {missing_u!r}")
    parts: dict[str, dict[str, np.ndarray]] = {}
    if any(k.startswith("updater/") for k in arrays):
        for prefix, component in _TRAINER_PREFIXES.items():
            sub = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
            if sub:
                parts[component] = sub
        if not parts:
            raise OfficialFormatError("Trainer snapshot without 'updater/model:gen/' or "
                                      "'updater/model:dis/' entries")
    else:
        parts[_guess_component(arrays)] = dict(arrays)
    out = {}
    for component, sub in parts.items():
        convert = _convert_generator if component == "generator" else _convert_discriminator
        state = convert(sub)
        out[component] = _finish_sn(state, sn_semantics, missing_u) \
            if component == "discriminator" else state
    return {c: {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
            for c, sd in out.items()}


# ----------------------------------------------------------------------------- helpers

def _guess_component(arrays: Mapping[str, np.ndarray]) -> str:
    """Discriminators have SN layers (``*/u``) or ``block1``; generators have ``l0``/``l1``."""
    keys = set(arrays)
    if any(k.startswith("block1/") for k in keys) or "c0_0/W" in keys:
        return "discriminator"
    if "l1/W" in keys or "l0/W" in keys:
        return "generator"
    raise OfficialFormatError(f"Cannot tell generator from discriminator; keys start with "
                              f"{sorted({k.split('/')[0] for k in keys})[:10]}")


def _top_level_names(arrays: Mapping[str, np.ndarray]) -> set[str]:
    return {k.split("/")[0] for k in arrays}


def _unexpected(arrays: Mapping[str, np.ndarray], used: set[str], what: str) -> None:
    extra = sorted(set(arrays) - used)
    if extra:
        raise OfficialFormatError(f"Unexpected keys in the official {what} snapshot: {extra[:12]}"
                                  f"{' ...' if len(extra) > 12 else ''}")


def _linear_like(arrays, src: str, dst: str, out: dict, used: set, extra=("W", "b", "u")) -> None:
    mapping = {"W": "weight", "b": "bias", "u": "u"}
    for name in extra:
        key = f"{src}/{name}"
        if key in arrays:
            value = arrays[key]
            out[f"{dst}.{mapping[name]}"] = value.reshape(-1) if name == "u" else value
            used.add(key)


def _bn(arrays, src: str, dst: str, out: dict, used: set) -> None:
    if f"{src}/gammas/W" in arrays:  # categorical conditional BN
        for ours, theirs in (("gammas", "gammas/W"), ("betas", "betas/W")):
            out[f"{dst}.{ours}"] = arrays[f"{src}/{theirs}"]
            used.add(f"{src}/{theirs}")
    for theirs, ours in _BN_NAMES.items():
        key = f"{src}/{theirs}"
        if key in arrays:
            value = np.asarray(arrays[key])
            out[f"{dst}.{ours}"] = value.astype(np.int64) if theirs == "N" else value
            used.add(key)
    if f"{dst}.num_batches_tracked" not in out:
        out[f"{dst}.num_batches_tracked"] = np.zeros((), dtype=np.int64)


def _block_indices(arrays: Mapping[str, np.ndarray]) -> list[int]:
    found = {int(m.group(1)) for k in arrays if (m := re.match(r"block(\d+)/", k))}
    return sorted(found)


def _convert_generator(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()
    if "l0/W" in arrays:  # chainer-gan-lib DCGANGenerator
        _linear_like(arrays, "l0", "fc", out, used)
        _bn(arrays, "bn0", "bn0", out, used)
        for i in (1, 2, 3, 4):
            _linear_like(arrays, f"dc{i}", f"dc{i}", out, used)
        for i in (1, 2, 3):
            _bn(arrays, f"bn{i}", f"bn{i}", out, used)
        _unexpected(arrays, used, "DCGANGenerator")
        return out
    _linear_like(arrays, "l1", "fc", out, used)
    blocks = _block_indices(arrays)
    if not blocks or blocks != list(range(2, 2 + len(blocks))):
        raise OfficialFormatError(f"Generator blocks must be block2..blockN, found {blocks}")
    for i, k in enumerate(blocks):
        for conv in ("c1", "c2", "c_sc"):
            _linear_like(arrays, f"block{k}/{conv}", f"blocks.{i}.{conv}", out, used)
        for bn in ("b1", "b2"):
            _bn(arrays, f"block{k}/{bn}", f"blocks.{i}.{bn}", out, used)
    rest = _top_level_names(arrays) - {"l1"} - {f"block{k}" for k in blocks}
    bns = [n for n in rest if re.fullmatch(r"b\d+", n)]
    convs = [n for n in rest if re.fullmatch(r"[lc]\d+", n)]
    if len(bns) != 1 or len(convs) != 1:
        raise OfficialFormatError(f"Expected one final BN (b*) and one final conv (l*/c*) in the "
                                  f"generator, found {sorted(rest)}")
    _bn(arrays, bns[0], "bn_out", out, used)
    _linear_like(arrays, convs[0], "conv_out", out, used)
    _unexpected(arrays, used, "ResNetGenerator")
    return out


def _convert_discriminator(arrays: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    used: set[str] = set()
    if "c0_0/W" in arrays:  # chainer-gan-lib SNDCGANDiscriminator
        for i, name in enumerate(_CNN_D_CONVS):
            _linear_like(arrays, name, f"convs.{i}", out, used)
        _linear_like(arrays, "l4", "fc", out, used)
        _unexpected(arrays, used, "SNDCGANDiscriminator")
        return out
    blocks = _block_indices(arrays)
    if not blocks or blocks != list(range(1, 1 + len(blocks))):
        raise OfficialFormatError(f"Discriminator blocks must be block1..blockN, found {blocks}")
    for i, k in enumerate(blocks):
        for conv in ("c1", "c2", "c_sc"):
            _linear_like(arrays, f"block{k}/{conv}", f"blocks.{i}.{conv}", out, used)
    rest = _top_level_names(arrays) - {f"block{k}" for k in blocks} - {"l_y"}
    heads = [n for n in rest if re.fullmatch(r"l\d+", n)]
    if len(heads) != 1:
        raise OfficialFormatError(f"Expected one linear head (l*) in the discriminator, found "
                                  f"{sorted(rest)}")
    _linear_like(arrays, heads[0], "fc", out, used)
    _linear_like(arrays, "l_y", "embed", out, used)
    _unexpected(arrays, used, "discriminator")
    return out


def _weight_matrix(w: np.ndarray) -> np.ndarray:
    return w.reshape(w.shape[0], -1).astype(np.float64)


def _finish_sn(state: dict[str, np.ndarray], semantics: str, missing_u: str) -> dict[str, np.ndarray]:
    """Fill missing ``u`` and, for torch semantics, replace ``u`` by ``(u', v)``."""
    eps = 1e-12
    for key in [k for k in state if k.endswith(".weight")]:
        prefix = key[: -len("weight")]
        w = _weight_matrix(state[key])
        if prefix + "u" not in state:
            if missing_u == "error":
                raise OfficialFormatError(f"No power-iteration vector u for {prefix[:-1]!r}")
            u_svd = np.linalg.svd(w, full_matrices=False)[0][:, 0]
            state[prefix + "u"] = (u_svd * np.sign(u_svd.sum() or 1.0)).astype(np.float32)
        if semantics == "torch":
            u = state[prefix + "u"].astype(np.float64)
            v = u @ w
            v = v / (np.linalg.norm(v) + eps)
            u = w @ v
            u = u / (np.linalg.norm(u) + eps)
            state[prefix + "u"], state[prefix + "v"] = u.astype(np.float32), v.astype(np.float32)
    return state

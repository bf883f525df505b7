"""Geometric Transform Attention (GTA; Miyato et al., ICLR 2024, arXiv:2310.10375), ``main`` branch.

Each token i carries a group element g_i (its camera pose, its image position). GTA attends in
relative frames, Eq. (5):

    O_i = sum_j softmax_j(q_i^T rho(g_i g_j^-1) k_j) rho(g_i g_j^-1) v_j,

computed token-wise through the homomorphism rho(g_i g_j^-1) = rho(g_i) rho(g_j)^-1, Eq. (6):

    O = rho(g) * Attn(rho(g)^T * Q, rho(g)^-1 * K, rho(g)^-1 * V)      (* = per-token matmul).

rho is block-diagonal per head. Each head's channels are cut contiguously into the segments
[triv | se3 | so3 | so2 | t2] (sizes ``f_dims``, official order whatever the dict order):

* ``triv``: identity.
* ``se3``: copies of the 4x4 world->camera extrinsic E of the token's view (4-d chunks), its
  translation column scaled by the layer's learnable ``trans_coeff`` (Sec. 3.2 / App.).
* ``so3``: copies of diag(D_1, D_2) (8-d chunks), the real Wigner-D of the view's rotation,
  rho = D(R_c2w)^T, constant (detached).
* ``so2``: rho = R(theta)^T on channel pairs, multi-frequency angles of the image position.
* ``t2``: 3x3 homogeneous image translations (3-d chunks), rho = T(x)^-1 (official layout).

``euclid_sim=True``: se3 chunks are 3-d points, homogenised, mapped by rho^-1 on both q and k
and dehomogenised, and the logits are -1/2 ||q - k||^2 (the corrected version of 1dcbd37).
``v_transform=False``: only q and k are transformed (RoPE-like "QK only").

Representations come in a :class:`GTAReps`, built with :func:`gta_reps` (or the builders
:func:`se3_reps`, :func:`so3_reps`, :func:`so2_reps`, :func:`t2_reps`, :func:`image_coords`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Mapping

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo_core.errors import ZooError
from zoo_core.ops import rotate_blocks
from zoo_gta.wigner import wigner_d

__all__ = ["BLOCKS", "GTAInputError", "GTAReps", "geometric_transform_attention", "gta_reps",
           "image_coords", "se3_reps", "so2_reps", "so3_reps", "t2_reps"]

BLOCKS = ("triv", "se3", "so3", "so2", "t2")
"""Segment order inside each head (the official order)."""

_CHUNK = {"triv": 1, "se3": 4, "so3": 8, "so2": 2, "t2": 3}


class GTAInputError(ZooError, ValueError):
    """Shapes, ``f_dims`` or representations that do not fit together; the message says which."""


@dataclass(frozen=True)
class GTAReps:
    """Representations rho(g) of the tokens of one attention side (queries, or keys/values).

    Per-view matrices are ``[B, V, b, b]``, shared by the ``T / V`` consecutive tokens of each
    view (tokens are ordered view-major, as in the official code); ``V = T`` gives one matrix per
    token. ``B`` may be 1 (shared by the batch). Only the kinds named in ``f_dims`` are needed.

    Attributes:
        se3: ``[B, V, 4, 4]`` rho = E, the world->camera extrinsic of each view.
        se3_inv: ``[B, V, 4, 4]`` E^-1 (camera->world).
        so3: ``[B, V, 8, 8]`` rho = diag(D_1, D_2)(R_c2w)^T (orthogonal, detached).
        so2: ``[B, T, P, 2, 2]`` rho = R(theta)^T for each of the P channel pairs of a token.
        t2: ``[B, T, 3, 3]`` rho = T(x)^-1; ``t2_inv``: T(x).
    """

    se3: Tensor | None = None
    se3_inv: Tensor | None = None
    so3: Tensor | None = None
    so2: Tensor | None = None
    t2: Tensor | None = None
    t2_inv: Tensor | None = None

    def to(self, *args, **kwargs) -> "GTAReps":
        """A copy with every tensor moved/cast by ``Tensor.to(*args, **kwargs)``."""
        return replace(self, **{f: getattr(self, f).to(*args, **kwargs) for f in self.__dataclass_fields__
                                if getattr(self, f) is not None})


# --- builders ---------------------------------------------------------------------------------

def image_coords(height: int, width: int, downsample: int = 0) -> Tensor:
    """``[H', W', 2]`` normalised pixel coordinates (row / H, col / W) in [0, 1).

    ``downsample = s`` keeps every ``2**s``-th pixel starting at ``2**s // 2`` (the official
    token grid of a conv encoder that halves the resolution s times).
    """
    stride = 2 ** downsample
    rows = torch.arange(height, dtype=torch.float32)[stride // 2::stride] / height
    cols = torch.arange(width, dtype=torch.float32)[stride // 2::stride] / width
    return torch.stack(torch.meshgrid(rows, cols, indexing="ij"), -1)


def se3_reps(extrinsics: Tensor) -> tuple[Tensor, Tensor]:
    """(rho, rho^-1) = (E, E^-1) for world->camera extrinsics ``[..., 4, 4]`` (Sec. 3.2)."""
    return extrinsics, torch.linalg.inv(extrinsics)


def so3_reps(extrinsics: Tensor) -> Tensor:
    """rho = diag(D_1, D_2)(R_c2w)^T, ``[..., 8, 8]``, R_c2w = (E^-1)[:3, :3] (detached)."""
    R = torch.linalg.inv(extrinsics.detach())[..., :3, :3]
    D1, D2 = wigner_d(R, 1), wigner_d(R, 2)
    rho_t = torch.zeros(*R.shape[:-2], 8, 8, dtype=R.dtype, device=R.device)
    rho_t[..., :3, :3], rho_t[..., 3:, 3:] = D1, D2           # D(R_c2w) = rho^T
    return rho_t.mT


def so2_reps(coords: Tensor, n_freqs: int, max_freqs=(1.0, 1.0), shared_freqs: bool = False) -> Tensor:
    """rho = R(theta)^T, ``[..., T, 2F, 2, 2]``, for image coordinates ``[..., T, 2]``.

    theta[k, d] = max_freq_d * 2 pi * coord_d * f_k with f_k = 2^k / 2^F, k = 1..F (all 1 when
    ``shared_freqs``); pair index k * 2 + d (frequency-major), as ``make_SO2mats`` (Sec. 3.2).
    """
    if shared_freqs:
        freqs = coords.new_ones(n_freqs)
    else:
        freqs = 2.0 ** torch.arange(1, n_freqs + 1, dtype=coords.dtype, device=coords.device) / 2.0 ** n_freqs
    scale = 2 * math.pi * torch.as_tensor(max_freqs, dtype=coords.dtype, device=coords.device)
    theta = (freqs[:, None] * (scale * coords)[..., None, :]).flatten(-2)   # [..., T, F*2], k-major
    c, s = torch.cos(theta), torch.sin(theta)
    return torch.stack([torch.stack([c, s], -1), torch.stack([-s, c], -1)], -2)  # R(theta)^T


def t2_reps(coords: Tensor) -> tuple[Tensor, Tensor]:
    """(rho, rho^-1) = (T(-x), T(x)), ``[..., T, 3, 3]``, T(x) = [[1,0,0],[0,1,0],[x0,x1,1]]."""
    def translation(x: Tensor) -> Tensor:
        T = torch.zeros(*x.shape[:-1], 3, 3, dtype=x.dtype, device=x.device)
        T[..., 0, 0] = T[..., 1, 1] = T[..., 2, 2] = 1
        T[..., 2, :2] = x
        return T
    return translation(-coords), translation(coords)


def gta_reps(f_dims: Mapping[str, int], *, extrinsics: Tensor | None = None, coords: Tensor | None = None,
             max_freqs=(1.0, 1.0), shared_freqs: bool = False) -> GTAReps:
    """The :class:`GTAReps` that ``f_dims`` needs.

    Args:
        f_dims: per-head segment sizes, e.g. ``{"se3": 32, "so2": 32}``.
        extrinsics: ``[B, V, 4, 4]`` world->camera (for se3, so3), one per view (or per token).
        coords: ``[B, T, 2]`` image coordinates of the tokens (for so2, t2), e.g. :func:`image_coords`.
        max_freqs, shared_freqs: the so2 frequency settings; F = ``f_dims["so2"] // 4``.
    """
    dims = _check_f_dims(f_dims)
    need = {k for k, d in dims.items() if d}
    if need & {"se3", "so3"} and extrinsics is None:
        raise GTAInputError(f"f_dims {dict(f_dims)} uses se3/so3: pass extrinsics [B, V, 4, 4].")
    if need & {"so2", "t2"} and coords is None:
        raise GTAInputError(f"f_dims {dict(f_dims)} uses so2/t2: pass coords [B, T, 2].")
    out = {}
    if "se3" in need:
        out["se3"], out["se3_inv"] = se3_reps(extrinsics)
    if "so3" in need:
        out["so3"] = so3_reps(extrinsics)
    if "so2" in need:
        if dims["so2"] % 4:
            raise GTAInputError(f"f_dims so2={dims['so2']} must be 4 * n_freqs (2 axes x 2 channels per frequency).")
        out["so2"] = so2_reps(coords, dims["so2"] // 4, max_freqs, shared_freqs)
    if "t2" in need:
        out["t2"], out["t2_inv"] = t2_reps(coords)
    return GTAReps(**out)


# --- the attention ----------------------------------------------------------------------------

def geometric_transform_attention(q: Tensor, k: Tensor, v: Tensor, reps_q: GTAReps, reps_k: GTAReps,
                                  f_dims: Mapping[str, int], *, trans_coeff: Tensor | float = 1.0,
                                  v_transform: bool = True, euclid_sim: bool = False,
                                  attn_mask: Tensor | None = None, scale: float | None = None) -> Tensor:
    """GTA, Eq. (6): ``rho_q * softmax((rho_q^T q)(rho_k^-1 k)^T * scale) (rho_k^-1 v)``.

    Args:
        q: ``[B, H, Tq, C]``; k, v: ``[B, H, Tk, C]`` (heads split, C = head dim).
        reps_q, reps_k: :class:`GTAReps` of the query and key/value tokens (the same object for
            self-attention).
        f_dims: per-head segment sizes over ``triv, se3, so3, so2, t2``; they must sum to C.
        trans_coeff: scale of the se3 translations (the layer's learnable scalar).
        v_transform: transform v and the output (False: QK only).
        euclid_sim: logits -1/2 ||q - k||^2 with homogenised 3-d se3 chunks.
        attn_mask: optional mask broadcastable to ``[B, H, Tq, Tk]`` (bool: True = attend; or
            additive float), as ``torch.nn.functional.scaled_dot_product_attention``.
        scale: logit scale, default ``C ** -0.5``.

    Returns:
        ``[B, H, Tq, C]``.

    Raises:
        GTAInputError (a ValueError): shapes, f_dims or reps that do not fit; the message names
        the expected sizes.
    """
    segments = _segments(q, k, v, reps_q, reps_k, f_dims, euclid_sim)
    scale = q.shape[-1] ** -0.5 if scale is None else scale
    se3_q = se3_q_inv = se3_k_inv = None
    if "se3" in segments:   # translation scaled by trans_coeff (a conjugation: still a homomorphism)
        se3_q, se3_q_inv, se3_k_inv = (_scale_translation(M, trans_coeff)
                                       for M in (reps_q.se3, reps_q.se3_inv, reps_k.se3_inv))

    def transform(x: Tensor, side: str) -> Tensor:
        parts = []
        for name, (lo, hi) in segments.items():
            xs = x[..., lo:hi]
            if name == "se3" and euclid_sim:
                xs = _affine(xs, se3_q_inv if side == "q" else se3_k_inv)    # rho^-1 [x; 1]
            elif name == "se3":
                xs = _grouped(xs, se3_q.mT if side == "q" else se3_k_inv)    # rho^T q, rho^-1 k
            elif name == "so3":
                xs = _grouped(xs, (reps_q if side == "q" else reps_k).so3.mT)  # rho^T = rho^-1
            elif name == "so2":
                R = (reps_q if side == "q" else reps_k).so2.mT                # rho^T = rho^-1
                xs = rotate_blocks(xs, R.unsqueeze(1))
            elif name == "t2":
                xs = _grouped(xs, reps_q.t2.mT if side == "q" else reps_k.t2_inv)
            parts.append(xs)
        return parts[0] if len(parts) == 1 else torch.cat(parts, -1)

    qt = transform(q, "q")
    kt = transform(k, "k")
    vt = transform(v, "k") if v_transform else v
    if euclid_sim:
        # -1/2||q-k||^2 = q.k - |k|^2/2 - |q|^2/2; the last term is constant over keys and cancels
        # in the softmax, so append a channel: [q, 1] . [k, -|k|^2/2].
        qt = torch.cat([qt, torch.ones_like(qt[..., :1])], -1)
        kt = torch.cat([kt, -0.5 * kt.pow(2).sum(-1, keepdim=True)], -1)
    out = F.scaled_dot_product_attention(qt, kt, vt, attn_mask=attn_mask, scale=scale)   # Eq. (6), Attn
    if not v_transform:
        return out
    parts = []
    for name, (lo, hi) in segments.items():
        xs = out[..., lo:hi]
        if name == "se3" and euclid_sim:
            xs = _affine(xs, se3_q)                                  # rho [o; 1]
        elif name == "se3":
            xs = _grouped(xs, se3_q)                                 # rho o
        elif name == "so3":
            xs = _grouped(xs, reps_q.so3)
        elif name == "so2":
            xs = rotate_blocks(xs, reps_q.so2.unsqueeze(1))
        elif name == "t2":
            xs = _grouped(xs, reps_q.t2)
        parts.append(xs)
    return parts[0] if len(parts) == 1 else torch.cat(parts, -1)


# --- internals --------------------------------------------------------------------------------

def _grouped(x: Tensor, M: Tensor) -> Tensor:
    """x ``[B, H, T, D]``, M ``[B', V, b, b]`` shared by T/V consecutive tokens: each b-chunk -> M @ chunk.

    A matrix shared by a group of tokens is one batched GEMM (per-token distinct blocks, the so2
    case, go through ``zoo_core.ops.rotate_blocks``).
    """
    B, H, T, D = x.shape
    V, b = M.shape[-3], M.shape[-1]
    xb = x.reshape(B, H, V, (T // V) * (D // b), b)
    return (xb @ M.unsqueeze(1).mT).reshape(B, H, T, D)


def _affine(x: Tensor, M: Tensor) -> Tensor:
    """Homogenise 3-d chunks, apply the 4x4 M, dehomogenise: chunk -> M[:3,:3] chunk + M[:3, 3]."""
    B, H, T, D = x.shape
    V = M.shape[-3]
    xb = x.reshape(B, H, V, (T // V) * (D // 3), 3)
    M = M.unsqueeze(1)
    return (xb @ M[..., :3, :3].mT + M[..., None, :3, 3]).reshape(B, H, T, D)


def _scale_translation(M: Tensor, c: Tensor | float) -> Tensor:
    """M * mask with mask = [[1,1,1,c]]*3 + [[0,0,0,1]] (the official ``scale_mask``)."""
    if isinstance(c, (int, float)) and c == 1.0:
        return M
    mask = torch.ones(4, 4, dtype=M.dtype, device=M.device)
    mask[3, :3] = 0
    col = torch.zeros(4, 4, dtype=M.dtype, device=M.device)
    col[:3, 3] = 1
    c = torch.as_tensor(c, dtype=M.dtype, device=M.device).reshape(())
    return M * (mask + (c - 1) * col)


def _check_f_dims(f_dims: Mapping[str, int]) -> dict[str, int]:
    if not isinstance(f_dims, Mapping):
        raise GTAInputError(f"f_dims must be a mapping like {{'se3': 32, 'so2': 32}}, got {type(f_dims).__name__}.")
    unknown = sorted(set(f_dims) - set(BLOCKS))
    if unknown:
        raise GTAInputError(f"f_dims has unknown keys {unknown}; allowed: {list(BLOCKS)}.")
    dims = {}
    for key in BLOCKS:
        d = f_dims.get(key, 0) or 0
        if not isinstance(d, int) or d < 0:
            raise GTAInputError(f"f_dims[{key!r}] must be a non-negative int, got {d!r}.")
        dims[key] = d
    return dims


def _segments(q, k, v, reps_q: GTAReps, reps_k: GTAReps, f_dims, euclid_sim: bool) -> dict[str, tuple[int, int]]:
    """Validate everything; return {kind: (start, end)} of the non-empty segments in order."""
    for name, x in (("q", q), ("k", k), ("v", v)):
        if not isinstance(x, Tensor) or x.ndim != 4:
            raise GTAInputError(f"{name} must be [B, H, T, C] (heads split), got {_shape(x)}.")
    B, H, Tq, C = q.shape
    Tk = k.shape[2]
    if k.shape != (B, H, Tk, C) or v.shape != (B, H, Tk, C):
        raise GTAInputError(f"k and v must be [B={B}, H={H}, Tk, C={C}] with the same Tk; "
                            f"got q {list(q.shape)}, k {list(k.shape)}, v {list(v.shape)}.")
    dims = _check_f_dims(f_dims)
    if sum(dims.values()) != C:
        raise GTAInputError(f"f_dims {dims} sum to {sum(dims.values())} but the head dim is C={C}; "
                            f"the per-head sizes of {list(BLOCKS)} must add up to C.")
    chunk = dict(_CHUNK, se3=3 if euclid_sim else 4)
    segments, start = {}, 0
    for key in BLOCKS:
        d = dims[key]
        if not d:
            continue
        if d % chunk[key]:
            raise GTAInputError(f"f_dims[{key!r}]={d} must be a multiple of {chunk[key]} "
                                f"({key} acts on {chunk[key]}-d chunks{' with euclid_sim' if key == 'se3' else ''}).")
        segments[key] = (start, start + d)
        start += d
    for side, reps, T in (("reps_q", reps_q, Tq), ("reps_k", reps_k, Tk)):
        if not isinstance(reps, GTAReps):
            raise GTAInputError(f"{side} must be a GTAReps (see gta_reps), got {type(reps).__name__}.")
        needed = {"se3": ["se3", "se3_inv"] if side == "reps_q" else ["se3_inv"],
                  "so3": ["so3"], "so2": ["so2"], "t2": ["t2"] if side == "reps_q" else ["t2_inv"]}
        for key in segments:
            for field in needed.get(key, []):
                M = getattr(reps, field)
                b = {"se3": 4, "so3": 8, "so2": 2, "t2": 3}[key]
                if key == "so2":
                    P = dims["so2"] // 2
                    ok = M is not None and M.ndim == 5 and M.shape[1] == T and M.shape[2:] == (P, 2, 2)
                    want = f"[B, T={T}, P={P}, 2, 2]"
                else:
                    ok = M is not None and M.ndim == 4 and M.shape[1] > 0 and T % M.shape[1] == 0 \
                        and M.shape[2:] == (b, b)
                    want = f"[B, V, {b}, {b}] with V dividing T={T}" if key != "t2" else f"[B, T={T}, 3, 3]"
                if ok and M.shape[0] not in (1, B):
                    ok, want = False, f"batch 1 or B={B}"
                if not ok:
                    raise GTAInputError(f"{side}.{field} must be {want} for f_dims {key}={dims[key]}; "
                                        f"got {_shape(M)}.")
    return segments


def _shape(x) -> str:
    return "None" if x is None else str(list(x.shape)) if isinstance(x, Tensor) else type(x).__name__

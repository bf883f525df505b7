"""The multi-scale latent pyramid the lossless coder walks (paper section 3.2).

Latent ``z_k`` lives at stride ``n_k`` (4, 8, 16, 32 pixels of the padded image). The
*state at stride t* is every latent resampled to that grid: latents at least as fine are
subsampled (``z[::t/n, ::t/n]``), coarser ones repeated (nearest). A level at stride ``s``
codes the map ``M_s`` (the latents with ``n_k <= s``, subsampled to ``s``) given the state at
stride ``2s``, which already holds ``M_s[::2, ::2]``: the unknown three quarters are the
polyphase parts 11, then 01 and 10 together.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

STRIDES = (4, 8, 16, 32)  # native strides of z1..z4 (H/4 ... H/32)


def resample(z: torch.Tensor, n: int, t: int) -> torch.Tensor:
    """A latent at stride ``n`` on the grid of stride ``t`` (subsample or repeat)."""
    if t >= n:
        f = t // n
        return z[..., ::f, ::f]
    f = n // t
    return z.repeat_interleave(f, dim=-2).repeat_interleave(f, dim=-1)


def state(zs: list[torch.Tensor], t: int) -> torch.Tensor:
    """All latents (channel order z1..z4) on the grid of stride ``t``."""
    return torch.cat([resample(z, n, t) for z, n in zip(zs, STRIDES)], dim=1).contiguous()


def level_map(zs: list[torch.Tensor], s: int) -> torch.Tensor:
    """``M_s``: the latents with native stride <= ``s``, subsampled to stride ``s``."""
    return torch.cat([resample(z, n, s) for z, n in zip(zs, STRIDES) if n <= s], dim=1)


def split(m: torch.Tensor) -> dict[str, torch.Tensor]:
    """The polyphase parts of a map: ``00`` (even rows, even columns), ``01``, ``10``, ``11``."""
    return {"00": m[..., ::2, ::2], "01": m[..., ::2, 1::2], "10": m[..., 1::2, ::2], "11": m[..., 1::2, 1::2]}


def part_shape(h: int, w: int, part: str) -> tuple[int, int]:
    """Height and width of a polyphase part of an ``h x w`` map (ceil for 0, floor for 1)."""
    return ((h + 1) // 2 if part[0] == "0" else h // 2, (w + 1) // 2 if part[1] == "0" else w // 2)


def pad_to(t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """Zero-pad the last two dims of ``t`` (bottom, right) to those of ``like``."""
    return F.pad(t, (0, like.shape[-1] - t.shape[-1], 0, like.shape[-2] - t.shape[-2]))


def merge(parts: dict[str, torch.Tensor], h: int, w: int) -> torch.Tensor:
    """The inverse of :func:`split` for an ``h x w`` map."""
    x00 = parts["00"]
    out = x00.new_zeros(*x00.shape[:-2], h, w)
    out[..., ::2, ::2] = x00
    out[..., ::2, 1::2] = parts["01"]
    out[..., 1::2, ::2] = parts["10"]
    out[..., 1::2, 1::2] = parts["11"]
    return out


def pack(zs: list[torch.Tensor]) -> torch.Tensor:
    """All latents space-to-depth packed at stride 32 (the analyzer's single output tensor)."""
    h, w = zs[-1].shape[-2:]
    return torch.cat([F.pixel_unshuffle(z, 32 // n) if z.shape[1] else z.new_zeros(z.shape[0], 0, h, w)
                      for z, n in zip(zs, STRIDES)], dim=1)


def unpack(y: torch.Tensor, c_list: tuple[int, ...]) -> list[torch.Tensor]:
    """The inverse of :func:`pack`."""
    sizes = [c * (32 // n) ** 2 for c, n in zip(c_list, STRIDES)]
    h, w = y.shape[-2:]
    return [F.pixel_shuffle(p, 32 // n) if p.shape[1] else p.new_zeros(p.shape[0], 0, h * 32 // n, w * 32 // n)
            for p, n in zip(torch.split(y, sizes, dim=1), STRIDES)]

"""Label collage (spatial conditional batch norm, sCBN) and feature collage (feature
blending) on zoo-sngan's class-conditional ResNet generators, without retraining.

Paper: R. Suzuki, M. Koyama, T. Miyato, T. Yonetsuji, H. Zhu, "Spatially Controllable Image
Synthesis with Internal Representation Collaging", arXiv:1811.10153. Official code (Chainer,
MIT): https://github.com/pfnet-research/neural-collage (``gen_models/resnet_*_scbn.py``,
``source/links/spatial_categorical_conditional_batch_normalization.py``).

sCBN (paper Eq. 2): every conditional BN ``l`` of the generator gets a per-pixel class map
``W_l`` ``(B, K, H_l, W_l)``; its affine parameters become
``gamma(c, i, j) = sum_k W_l(k, i, j) gamma[k, c]`` (likewise ``beta``). One map per CBN,
two per block (:attr:`~zoo_sngan.models.resnet.ResNetGenerator.layer_sizes`), the final
unconditional BN untouched. This runs through zoo-sngan's public forward
(``layer_labels=``), so any of its conditional generators takes it.

Feature blending (paper Sec. 3.2): streams of the generator run for latents ``z_0 .. z_{S-1}``
plus one output stream; at each blend point (after the linear layer, after each block) the
output features become ``sum_i M_i * f(z_i) + M_out * f_out`` with per-pixel weights
``(B, S + 1, H, W)`` (last channel = the output stream). As in the official code the output
stream starts from zeros at point 0, so its weights there must come from the sources;
``M_out = 1`` elsewhere means "no blending at this point". Streams are stacked along the
batch, which is exact in eval mode (per-sample BN statistics): blending requires ``.eval()``.

Example::

    >>> import torch
    >>> from zoo_sngan.models.resnet import ResNetGenerator
    >>> g = ResNetGenerator(channels=[8, 8, 8, 8], n_classes=10).eval()
    >>> z = torch.randn(2, 128)
    >>> maps = label_maps(g, base=3, masks={7: torch.ones(32, 32)}, batch=2)
    >>> torch.allclose(scbn(g, z, maps), g(z, torch.tensor([7, 7])), atol=1e-6)
    True
"""

from __future__ import annotations

from typing import Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor

__all__ = ["resize_mask", "label_maps", "pair_maps", "scbn", "blend_weights", "feature_blend", "blend_sizes",
           "RESAMPLE"]

# The official scripts resize one mask per class with PIL ``Image.resize((s, s))``; Pillow's
# default filter for that call is bicubic (Pillow >= 7; the 2019 scripts ran on older Pillow
# where it was nearest). "bilinear" / "nearest" / "area" are offered too.
RESAMPLE = ("bicubic", "bilinear", "nearest", "area")


def _check_generator(generator) -> None:
    if not int(getattr(generator, "n_classes", 0) or 0) or not hasattr(generator, "layer_sizes"):
        raise ValueError("sCBN and feature blending need a class-conditional zoo-sngan ResNet "
                         "generator (n_classes > 0), e.g. zoo.load('sngan-projection-fontdigits32')"
                         ".generator")


def resize_mask(mask: Tensor, size: int, *, resample: str = "bicubic") -> Tensor:
    """``mask`` ``(H, W)`` or ``(B, H, W)`` in [0, 1] resized to ``size x size``, clipped to [0, 1].

    ``"bicubic"`` (antialiased when shrinking, ``torch.nn.functional.interpolate``) is the
    filter of PIL's ``Image.resize``, which the official scripts call on 8-bit masks (values
    agree up to that 8-bit rounding).
    """
    if resample not in RESAMPLE:
        raise ValueError(f"Unknown resample {resample!r}; use one of {RESAMPLE}")
    mask = torch.as_tensor(mask, dtype=torch.float32)
    if mask.dim() not in (2, 3) or mask.numel() == 0:
        raise ValueError(f"A mask is (H, W) or (B, H, W) with values in [0, 1]; got shape "
                         f"{tuple(mask.shape)}")
    if float(mask.min()) < 0 or float(mask.max()) > 1:
        raise ValueError(f"Mask values must lie in [0, 1]; got [{float(mask.min())}, "
                         f"{float(mask.max())}]")
    m = mask if mask.dim() == 3 else mask[None]
    if tuple(m.shape[1:]) == (size, size):
        out = m.clone()
    elif resample == "nearest":
        out = F.interpolate(m[:, None], size=(size, size), mode="nearest")[:, 0]
    elif resample == "area":
        out = F.interpolate(m[:, None], size=(size, size), mode="area")[:, 0]
    else:
        out = F.interpolate(m[:, None], size=(size, size), mode=resample, align_corners=False,
                            antialias=True)[:, 0]
    out = out.clamp(0, 1)
    return out if mask.dim() == 3 else out[0]


def _strengths(strength: float | Sequence[float], n: int) -> list[float]:
    if isinstance(strength, (int, float)):
        return [float(strength)] * n
    strength = [float(t) for t in strength]
    if len(strength) != n:
        raise ValueError(f"Give one strength per layer ({n}), or one number; got {len(strength)}")
    return strength


def label_maps(generator, *, base: int | Tensor, masks: Mapping[int, Tensor] | None = None,
               strength: float | Sequence[float] = 1.0, batch: int = 1,
               resample: str = "bicubic") -> list[Tensor]:
    """Per-layer sCBN class maps ``(B, K, H_l, W_l)`` from ``{class: mask}`` (the official
    scripts' construction).

    Every pixel starts as one-hot ``base``; each ``(class, mask)`` then moves weight
    ``t_l * mask`` from the base class to ``class`` at layer ``l``
    (``W[base] = 1 - t sum masks``, ``W[class] += t * mask``), the mask resized to each layer's
    resolution. Masks should not overlap by more than 1 in total.

    Args:
        generator: a conditional zoo-sngan ResNet generator.
        base: the base class (int), or ``(B,)`` base classes.
        masks: ``{class: mask}``, masks ``(H, W)`` or ``(B, H, W)`` in [0, 1] at any size.
        strength: ``t`` for every layer, or one per CBN layer (``len(layer_sizes)``; 0 leaves
            a layer as the base class: coarse layers move shape, fine ones texture).
        batch: ``B`` when neither ``base`` nor the masks carry a batch.
        resample: mask resizing filter (:data:`RESAMPLE`).
    """
    _check_generator(generator)
    k = int(generator.n_classes)
    sizes = generator.layer_sizes
    ts = _strengths(strength, len(sizes))
    base = torch.as_tensor(base, dtype=torch.long)
    masks = dict(masks or {})
    batch = max([batch, base.numel()] + [m.shape[0] for m in map(torch.as_tensor, masks.values())
                                         if m.dim() == 3])
    base = base.expand(batch) if base.dim() == 0 else base
    for c in [*base.tolist(), *masks]:
        if not 0 <= int(c) < k:
            raise ValueError(f"Classes must lie in [0, {k}); got {int(c)}")
    maps = []
    for size, t in zip(sizes, ts):
        w = F.one_hot(base, k).float()[:, :, None, None].repeat(1, 1, size, size)
        for c, mask in masks.items():
            m = resize_mask(mask, size, resample=resample).expand(batch, size, size) * t
            w[torch.arange(batch), base] -= m
            w[:, int(c)] += m
        maps.append(w)
    return maps


def pair_maps(generator, base: Tensor, target: Tensor, mask: Tensor, *,
              strength: float | Sequence[float] = 1.0, resample: str = "bicubic") -> list[Tensor]:
    """Per-layer maps for a batch of (base, target) pairs: sample ``b`` is class ``base[b]``
    with ``target[b]`` mixed in at ``t_l * mask`` (``mask`` ``(H, W)`` or ``(B, H, W)``)."""
    _check_generator(generator)
    k, n = int(generator.n_classes), base.shape[0]
    if target.shape != base.shape or base.dim() != 1:
        raise ValueError(f"base and target must be (B,) class tensors; got {tuple(base.shape)} "
                         f"and {tuple(target.shape)}")
    for c in (base, target):
        if c.numel() and (int(c.min()) < 0 or int(c.max()) >= k):
            raise ValueError(f"Classes must lie in [0, {k})")
    rows = torch.arange(n)
    maps = []
    for size, t in zip(generator.layer_sizes, _strengths(strength, len(generator.layer_sizes))):
        w = F.one_hot(base, k).float()[:, :, None, None].repeat(1, 1, size, size)
        m = resize_mask(mask, size, resample=resample).expand(n, size, size) * t
        w[rows, base] -= m
        w[rows, target] += m
        maps.append(w)
    return maps


def _check_maps(generator, maps: Sequence[Tensor], batch: int) -> list[Tensor]:
    sizes = generator.layer_sizes
    maps = list(maps)
    if len(maps) != len(sizes):
        raise ValueError(f"Give one class map per conditional BN: {len(sizes)} maps of sizes "
                         f"{sizes}; got {len(maps)}")
    for m, s in zip(maps, sizes):
        if m.shape != (batch, generator.n_classes, s, s):
            raise ValueError(f"Class maps must be (B, K, H, W) = ({batch}, {generator.n_classes}, "
                             f"{s}, {s}) at this layer (sizes {sizes}); got {tuple(m.shape)}")
    return maps


def scbn(generator, z: Tensor, maps: Sequence[Tensor]) -> Tensor:
    """Label collage: ``G(z)`` with per-pixel class maps at every conditional BN (sCBN).

    Args:
        generator: a conditional zoo-sngan ResNet generator (use eval mode for editing, as
            the official scripts do).
        z: latents ``(B, dim_z)``.
        maps: one ``(B, K, H_l, W_l)`` map per CBN layer (:func:`label_maps` builds them).

    Returns:
        Images ``(B, 3, S, S)`` in [-1, 1].
    """
    _check_generator(generator)
    maps = _check_maps(generator, maps, z.shape[0])
    return generator(z, layer_labels=maps)


def blend_sizes(generator) -> list[int]:
    """Resolution of each blend point: after the linear layer, then after each block."""
    _check_generator(generator)
    return [generator.bottom_width] + generator.layer_sizes[1::2]


def blend_weights(generator, mask: Tensor, *, strength: float | Sequence[float] = 1.0,
                  batch: int = 1, resample: str = "bicubic") -> list[Tensor]:
    """Two-stream blend weights ``(B, 3, H_p, W_p)`` per blend point: reference ``z_1`` pasted
    into source ``z_0`` inside ``mask`` with per-point strength ``lambda_p`` (the official
    demo's construction: at point 0 ``[1 - l m, l m, 0]``; later ``[0, l m, 1 - l m]``, so
    ``lambda_p = 0`` leaves point ``p`` unblended)."""
    sizes = blend_sizes(generator)
    lams = _strengths(strength, len(sizes))
    out = []
    for p, (size, lam) in enumerate(zip(sizes, lams)):
        m = resize_mask(mask, size, resample=resample).expand(batch, size, size) * lam
        rest = 1 - m
        zero = torch.zeros_like(m)
        out.append(torch.stack([rest, m, zero] if p == 0 else [zero, m, rest], dim=1))
    return out


def feature_blend(generator, zs: Sequence[Tensor], blends: Sequence[Tensor], *,
                  y: Tensor | None = None, maps: Sequence[Tensor] | None = None) -> Tensor:
    """Feature collage: the output stream of blended generator streams.

    Args:
        generator: a conditional zoo-sngan ResNet generator in eval mode.
        zs: ``S`` latents, each ``(B, dim_z)`` (source first, then references).
        blends: one ``(B, S + 1, H_p, W_p)`` weight map per blend point
            (:func:`blend_sizes`; channel ``S`` = the output stream; :func:`blend_weights`).
        y: labels ``(B,)`` of every stream; or
        maps: sCBN class maps (as :func:`scbn`) applied to every stream (both together).

    Returns:
        Images ``(B, 3, S, S)``.
    """
    _check_generator(generator)
    if generator.training:
        raise ValueError("Feature blending stacks the streams in one batch, which is exact only "
                         "with running BN statistics: call generator.eval() first")
    zs = list(zs)
    if not zs or any(z.shape != zs[0].shape for z in zs):
        raise ValueError(f"zs must be one or more latents of one shape (B, dim_z); got "
                         f"{[tuple(z.shape) for z in zs]}")
    n_streams, batch = len(zs) + 1, zs[0].shape[0]
    sizes = blend_sizes(generator)
    blends = list(blends)
    if len(blends) != len(sizes):
        raise ValueError(f"Give one blend map per blend point: {len(sizes)} of sizes {sizes}; "
                         f"got {len(blends)}")
    for b, s in zip(blends, sizes):
        if b.shape != (batch, n_streams, s, s):
            raise ValueError(f"Blend maps must be (B, S + 1, H, W) = ({batch}, {n_streams}, {s}, "
                             f"{s}) at this point (sizes {sizes}); got {tuple(b.shape)}")
    if (y is None) == (maps is None):
        raise ValueError("Give either labels y or sCBN class maps")
    z_all = torch.cat(zs + [torch.zeros_like(zs[0])])  # the output stream's z is unused

    def hook(p: int, h: Tensor) -> Tensor:
        hs = h.view(n_streams, batch, *h.shape[1:])
        if p == 0:  # the output stream starts from zeros (official ``zeros_like`` dummy)
            hs = torch.cat([hs[:-1], torch.zeros_like(hs[-1:])])
        w = blends[p].to(h.dtype).transpose(0, 1)[:, :, None]  # (S + 1, B, 1, H, W)
        out = (w * hs).sum(0)
        return torch.cat([hs[:-1], out[None]]).flatten(0, 1)

    if maps is not None:
        maps = _check_maps(generator, maps, batch)
        labels = [m.repeat(n_streams, 1, 1, 1) for m in maps]
        images = generator(z_all, layer_labels=labels, feature_hook=hook)
    else:
        images = generator(z_all, y.repeat(n_streams), feature_hook=hook)
    return images[-batch:]

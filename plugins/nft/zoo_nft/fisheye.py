"""Fisheye-deformed shifting images: the law of the official ``Shift_cifar`` (NFT experiment C).

Official ``oned_experiments/fisheye/datasets/shift_img.py`` with ``vit.yaml``'s arguments
(``T 4, max_hshift 16, max_vshift 0, deform True``; defaults ``fov 180, pfov 140,
scale_at_deform 1``). Per sequence a velocity ``v ~ U[-16, 16)`` px/frame (and a vertical one,
``U[0, 0)`` = 0); frame ``t`` is the image cyclically shifted by ``floor(v t)`` px (``x_t[i, j] =
x[(i + floor(v_y t)) % H, (j + floor(v_x t)) % W]``), then warped by the PyPI package
``defisheye`` (``dtype linear, format fullframe``), optionally at ``scale`` x the resolution
(nearest upsampling, warp, keep every ``scale``-th pixel: the official ``scale_and_deform``).
Note: ``vit.yaml`` does not set ``scale_at_deform``, so the paper configuration warps at scale 1
(the x20 of ``scale_and_deform``'s default and of ``deform_batch`` is not what ``Shift_cifar`` runs).

The warp is reimplemented here (no OpenCV): ``defisheye``'s map (for output pixel ``p`` at
distance ``r`` from the centre ``c = (n - 1) // 2``, it reads the input at ``c + (p - c) R(r) / r``
with ``R(r) = ifoc atan(r / ofoc)``, ``ofoc = d / (2 tan(pfov / 2))``, ``ifoc = d / fov`` (radians),
``d = sqrt(2) n``), read bilinearly as ``cv2.remap(INTER_LINEAR, BORDER_CONSTANT 0)`` does: the
coordinates rounded to 1/32 px (OpenCV 4; ``subpixel=None``: exact, as OpenCV 5), outside taps zero. It is linear in the image, so it is stored
once as 4 taps and weights per output pixel (``FisheyeWarp``) and applied by a gather; the
official upsampling is folded into the tap indices. Its quirk is kept: the exact centre pixel
(``r = 0``) reads the input's top-left pixel (``defisheye`` sets that map entry to ``(0, 0)``).
``benchmarks/nft_fisheye_warp.py`` compares it with ``defisheye`` 1.4.1 + OpenCV.
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["FisheyeWarp", "shift_frames", "ShiftedFisheyeImages"]

_TAB = 32  # cv2.remap's INTER_TAB_SIZE: bilinear coordinates are kept in 1/32 px


class FisheyeWarp:
    """``defisheye``'s linear full-frame warp of square ``size`` px images, as taps and weights.

    Args:
        size: image side (32 for CIFAR).
        fov, pfov: fisheye and perspective fields of view in degrees (official 180, 140).
        scale: warp at ``scale`` x the resolution (nearest up, every ``scale``-th pixel back).
        subpixel: bilinear coordinates rounded to 1/``subpixel`` px: 32 is OpenCV 4's ``remap`` (what
            the official code ran; equal to ``defisheye`` + opencv 4.8 to the last bit); ``None``
            reads at the exact coordinates, as OpenCV 5's ``remap`` does for float maps.

    ``warp(images)`` takes ``(..., H, W)`` float images and returns the same shape.
    """

    def __init__(self, size: int, *, fov: float = 180.0, pfov: float = 140.0, scale: int = 1,
                 subpixel: int | None = _TAB):
        if not isinstance(size, int) or size < 2:
            raise ValueError(f"size must be an integer >= 2, got {size!r}")
        if not isinstance(scale, int) or scale < 1:
            raise ValueError(f"scale must be a positive integer, got {scale!r}")
        if not (0 < fov and 0 < pfov < 180):
            raise ValueError(f"need fov > 0 and 0 < pfov < 180 degrees, got fov {fov}, pfov {pfov}")
        if subpixel is not None and (not isinstance(subpixel, int) or subpixel < 1):
            raise ValueError(f"subpixel must be a positive integer or None, got {subpixel!r}")
        self.size, self.fov, self.pfov, self.scale, self.subpixel = size, fov, pfov, scale, subpixel
        self.index, self.weight = self._taps()

    def _taps(self) -> tuple[torch.Tensor, torch.Tensor]:
        n, s = self.size * self.scale, self.scale
        c = (n - 1) // 2
        d = math.sqrt(2.0 * n * n)                         # fullframe: the diagonal
        ofocinv = 1.0 / (d / (2 * math.tan(self.pfov * math.pi / 360)))
        ifoc = d * 180 / (self.fov * math.pi)              # linear: R = ifoc * angle
        kept = torch.arange(self.size, dtype=torch.float64) * s    # the pixels the downsampling keeps
        yd, xd = (t - c for t in torch.meshgrid(kept, kept, indexing="ij"))
        r = torch.hypot(xd, yd)
        ratio = ifoc * torch.atan(ofocinv * r) / r
        centre = r == 0
        xs = torch.where(centre, 0.0, ratio * xd + c).float()   # the map is float32, as defisheye's
        ys = torch.where(centre, 0.0, ratio * yd + c).float()
        if self.subpixel:   # rounded half to even, as cvRound
            q = self.subpixel
            X, Y = torch.round(xs * q).long(), torch.round(ys * q).long()
            x0, y0 = torch.div(X, q, rounding_mode="floor"), torch.div(Y, q, rounding_mode="floor")
            fx, fy = (X - x0 * q).float() / q, (Y - y0 * q).float() / q
        else:
            x0, y0 = torch.floor(xs), torch.floor(ys)
            fx, fy, x0, y0 = xs - x0, ys - y0, x0.long(), y0.long()
        index, weight = [], []
        for dy, wy in ((0, 1 - fy), (1, fy)):
            for dx, wx in ((0, 1 - fx), (1, fx)):
                tx, ty = x0 + dx, y0 + dy
                inside = (tx >= 0) & (tx < n) & (ty >= 0) & (ty < n)
                src = torch.div(ty, s, rounding_mode="floor") * self.size + torch.div(tx, s, rounding_mode="floor")
                index.append(torch.where(inside, src, 0))
                weight.append(torch.where(inside, wy * wx, 0.0))
        return torch.stack(index, -1).reshape(-1, 4), torch.stack(weight, -1).reshape(-1, 4)

    def __call__(self, images: torch.Tensor) -> torch.Tensor:
        if images.shape[-2:] != (self.size, self.size) or not images.is_floating_point():
            raise ValueError(f"expected float images (..., {self.size}, {self.size}); got "
                             f"{images.dtype} {tuple(images.shape)}")
        flat = images.reshape(*images.shape[:-2], self.size * self.size)
        idx, w = self.index.to(images.device), self.weight.to(images.device, images.dtype)
        out = (flat[..., idx] * w).sum(-1)
        return out.reshape(images.shape)


def shift_frames(image: torch.Tensor, h_velocity: float, v_velocity: float, T: int) -> torch.Tensor:
    """``(C, H, W) -> (T, C, H, W)``: frame ``t`` reads ``image[(i + floor(v_v t)) % H, (j + floor(v_h t)) % W]``."""
    frames = [torch.roll(image, shifts=(-math.floor(v_velocity * t), -math.floor(h_velocity * t)), dims=(-2, -1))
              for t in range(T)]
    return torch.stack(frames)


class ShiftedFisheyeImages(torch.utils.data.Dataset):
    """Sequences of shifting, fisheye-warped images (the official ``Shift_cifar`` law).

    Args:
        images: ``(n, H, W, C)`` uint8 (CIFAR's ``data`` array) or ``(n, C, H, W)`` float in [0, 1].
        T: frames per sequence (official 4).
        max_hshift, max_vshift: velocities ``U[-max, max)`` px/frame (official 16, 0).
        deform: warp each frame (official True); fov, pfov, scale: the warp (``FisheyeWarp``).
        seed: sequence ``k``'s velocities come from ``numpy.random.default_rng([seed, k])`` (horizontal,
            then vertical, as the official draws), so any item is reproducible on its own.
        length: items (default ``n``); item ``k`` shows image ``k % n`` with its own velocity, so
            a long run sees fresh velocities, as the official loader's fresh draws per access.

    Items: ``(frames (T, C, H, W) float32 in [0, 1], g)``, ``g = 2 pi v_h / W`` the horizontal
    velocity as an angle on the ``W``-px circle (radians per frame; the character analysis's shift).
    """

    def __init__(self, images, *, T: int = 4, max_hshift: float = 16, max_vshift: float = 0,
                 deform: bool = True, fov: float = 180.0, pfov: float = 140.0, scale: int = 1,
                 seed: int = 0, length: int | None = None):
        images = torch.as_tensor(np.asarray(images)) if not torch.is_tensor(images) else images
        if images.dim() != 4:
            raise ValueError(f"images must be (n, H, W, C) uint8 or (n, C, H, W) float; got {tuple(images.shape)}")
        if images.dtype == torch.uint8:   # kept as bytes (CIFAR's 50,000 images: 150 MB, not 600 MB of floats)
            images = images.permute(0, 3, 1, 2)
        if not (images.is_floating_point() or images.dtype == torch.uint8) or images.shape[-1] != images.shape[-2] \
                or len(images) == 0:
            raise ValueError(f"need a non-empty set of square images, got {images.dtype} {tuple(images.shape)}")
        if not isinstance(T, int) or T < 1:
            raise ValueError(f"T must be a positive integer, got {T!r}")
        self.images, self.T, self.seed = images, T, seed
        self.h_range, self.v_range = (-max_hshift, max_hshift), (-max_vshift, max_vshift)
        self.warp = FisheyeWarp(images.shape[-1], fov=fov, pfov=pfov, scale=scale) if deform else None
        self.length = len(images) if length is None else int(length)

    def __len__(self) -> int:
        return self.length

    def velocity(self, k: int) -> tuple[float, float]:
        rng = np.random.default_rng([self.seed, k])
        return float(rng.uniform(*self.h_range)), float(rng.uniform(*self.v_range))

    def sequence(self, image: torch.Tensor, h_velocity: float, v_velocity: float = 0.0) -> torch.Tensor:
        """The ``T`` frames of one ``(C, H, W)`` image at the given velocities."""
        frames = shift_frames(image, h_velocity, v_velocity, self.T)
        return self.warp(frames) if self.warp is not None else frames

    def __getitem__(self, k: int):
        if not 0 <= k < self.length:
            raise IndexError(f"item {k} out of range for {self.length} sequences")
        h, v = self.velocity(k)
        image = self.images[k % len(self.images)]
        image = image.float() / 255 if image.dtype == torch.uint8 else image.float()   # official: float32(x) / 255
        frames = self.sequence(image, h, v)
        return frames, torch.tensor(2 * math.pi * h / self.images.shape[-1], dtype=torch.float32)

    def tensors(self, start: int = 0, stop: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Items ``start..stop-1`` stacked: ``(n, T, C, H, W)`` frames and ``(n,)`` shift angles."""
        items = [self[k] for k in range(start, min(self.length if stop is None else stop, self.length))]
        return torch.stack([f for f, _ in items]), torch.stack([g for _, g in items])

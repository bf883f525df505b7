"""Cameras and rays for the NVS models: rays from intrinsics + extrinsics, the SRT encodings.

Conventions (the zoo-scenes contract, OpenCV axes: x right, y down, z forward):

* ``extrinsics`` are world->camera 4x4 matrices ``E = [R | t]``; the camera sits at ``-R^T t``.
* pixel (row r, col c) has the centre ray ``d_cam = K^-1 [c + 0.5, r + 0.5, 1]``, in world
  coordinates ``R^T d_cam``, normalised to unit length (the official CLEVR-TR rays are unit too).
* image coordinates of a pixel are ``(r / H, c / W)`` in [0, 1) (official ``make_2dcoord``);
  an encoder token of the ÷8 grid sits at its patch centre ``((8 i + 4) / H, (8 j + 4) / W)``
  (official ``downsample(coord, 3)``).

The ray/position encodings are the official SRT ones (``layers.py: PositionalEncoding``,
``RayPosEncoder``): sines then cosines of ``x * 2^o * pi`` for octaves ``o`` in
``[start, start + n)``, flattened coordinate-major.

Example::

    K = torch.tensor([[32., 0, 16], [0, 32., 16], [0, 0, 1]])
    E = torch.eye(4)
    rays = pixel_rays(K, E, 32, 32)          # [32, 32, 3] unit world directions
    pos = camera_positions(E)                # [3]
"""

from __future__ import annotations

import math

import torch

__all__ = ["camera_positions", "pixel_rays", "rays_at", "image_coords", "patch_coords",
           "relative_to", "positional_encoding", "ray_encoding"]


def camera_positions(extrinsics: torch.Tensor) -> torch.Tensor:
    """World positions ``-R^T t`` of cameras with world->camera ``extrinsics [..., 4, 4]``: ``[..., 3]``."""
    R, t = extrinsics[..., :3, :3], extrinsics[..., :3, 3:]
    return -(R.transpose(-1, -2) @ t)[..., 0]


def rays_at(intrinsics: torch.Tensor, extrinsics: torch.Tensor, rows: torch.Tensor,
            cols: torch.Tensor) -> torch.Tensor:
    """Unit world directions of the pixel centres ``(rows, cols)`` (each ``[..., P]``) of cameras
    ``[..., 3, 3]``/``[..., 4, 4]``: ``[..., P, 3]``."""
    pix = torch.stack([cols + 0.5, rows + 0.5, torch.ones_like(rows)], -1)  # [..., P, 3]
    d_cam = pix @ torch.linalg.inv(intrinsics).transpose(-1, -2)
    d_world = d_cam @ extrinsics[..., :3, :3]  # R^T d for row vectors
    return d_world / d_world.norm(dim=-1, keepdim=True)


def pixel_rays(intrinsics: torch.Tensor, extrinsics: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Rays of every pixel of an ``height x width`` image: ``[..., H, W, 3]``."""
    r, c = torch.meshgrid(torch.arange(height, dtype=intrinsics.dtype),
                          torch.arange(width, dtype=intrinsics.dtype), indexing="ij")
    shape = intrinsics.shape[:-2]
    rows = r.reshape(-1).expand(*shape, -1)
    cols = c.reshape(-1).expand(*shape, -1)
    return rays_at(intrinsics, extrinsics, rows, cols).reshape(*shape, height, width, 3)


def image_coords(rows: torch.Tensor, cols: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Official image coordinates ``(r / H, c / W)`` of pixels: ``[..., 2]``."""
    return torch.stack([rows / height, cols / width], -1)


def patch_coords(height: int, width: int, stride: int = 8, dtype=torch.float32) -> torch.Tensor:
    """Coordinates of the patch centres of the ÷``stride`` token grid: ``[H/s * W/s, 2]``."""
    r = torch.arange(stride // 2, height, stride, dtype=dtype)
    c = torch.arange(stride // 2, width, stride, dtype=dtype)
    rr, cc = torch.meshgrid(r, c, indexing="ij")
    return image_coords(rr.reshape(-1), cc.reshape(-1), height, width)


def relative_to(extrinsics: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """``E_i E_ref^-1``: the cameras in the frame of camera ``reference [..., 4, 4]`` (official
    ``canonical_view``); ``extrinsics [..., N, 4, 4]``."""
    return extrinsics @ torch.linalg.inv(reference)[..., None, :, :]


def positional_encoding(x: torch.Tensor, octaves: int, start_octave: int = 0) -> torch.Tensor:
    """Official SRT ``PositionalEncoding``: ``[..., D] -> [..., 2 D octaves]`` (sines, then cosines)."""
    mult = (2.0 ** torch.arange(start_octave, start_octave + octaves, dtype=x.dtype, device=x.device)) * math.pi
    scaled = (x[..., None] * mult).flatten(-2)
    return torch.cat([torch.sin(scaled), torch.cos(scaled)], -1)


def ray_encoding(positions: torch.Tensor, rays: torch.Tensor, pos_octaves: int = 15,
                 pos_start_octave: int = 0, ray_octaves: int = 15) -> torch.Tensor:
    """Official ``RayPosEncoder``: encoded camera position then encoded ray direction (180-d at 15 octaves)."""
    return torch.cat([positional_encoding(positions, pos_octaves, pos_start_octave),
                      positional_encoding(rays, ray_octaves, 0)], -1)

"""Pinhole cameras around the scene centre, looking at it.

Conventions (the contract zoo-gta codes against):

- intrinsics ``K`` in pixels, ``[[f, 0, S/2], [0, f, S/2], [0, 0, 1]]`` with
  ``f = (S/2) / tan(fov/2)``; pixel (row r, col c) has its centre at ``(c + 0.5, r + 0.5)``.
- extrinsics ``E`` world -> camera, ``x_cam = R x_world + t``, OpenCV axes (x right, y down,
  z forward); the camera sits at ``-R^T t``.
- The ray through pixel (r, c) has direction ``R^T K^-1 [c + 0.5, r + 0.5, 1]`` in the world;
  a point at parameter ``s`` along that (unnormalised) direction has camera depth ``z = s``.

Poses: a camera at azimuth ``a`` (about z, from +x), elevation ``e`` (above the ground) and
distance ``d`` sits at ``d (cos e cos a, cos e sin a, sin e)`` and looks at ``target``
(default the origin) with the world z axis up. ``poses="train"`` draws ``e`` from
``TRAIN_ELEVATION`` and ``poses="heldout"`` from ``HELDOUT_ELEVATION``, two disjoint bands,
so a model trained on one can be measured on camera poses it never saw.
"""

from __future__ import annotations

import numpy as np

from zoo_scenes.errors import SceneConfigError

TRAIN_ELEVATION = (25.0, 45.0)    # degrees, training and validation poses
HELDOUT_ELEVATION = (52.0, 70.0)  # degrees, held-out poses: disjoint from the training band
RADIUS = (8.5, 10.5)              # distance from the target
FOV = 40.0                        # horizontal = vertical field of view, degrees
AZIMUTH_JITTER = 20.0             # degrees, on the "ring" layout
LAYOUTS = ("ring", "hemisphere")


def intrinsics(size: int, fov: float = FOV) -> np.ndarray:
    """The ``[3, 3]`` pixel intrinsics of a square ``size`` image with field of view ``fov`` degrees."""
    f = (size / 2.0) / np.tan(np.radians(fov) / 2.0)
    return np.array([[f, 0.0, size / 2.0], [0.0, f, size / 2.0], [0.0, 0.0, 1.0]])


def look_at(position, target=(0.0, 0.0, 0.0), up=(0.0, 0.0, 1.0)) -> np.ndarray:
    """World -> camera ``[4, 4]`` extrinsics of a camera at ``position`` looking at ``target``.

    OpenCV axes: z towards the target, x to the right, y down (``up`` points up in the image).
    """
    position, target, up = (np.asarray(v, dtype=np.float64) for v in (position, target, up))
    forward = target - position
    forward /= np.linalg.norm(forward)
    right = np.cross(forward, up)
    norm = np.linalg.norm(right)
    if norm < 1e-9:
        raise SceneConfigError("look_at: the camera looks straight along `up`; "
                               "keep the elevation below 90 degrees")
    right /= norm
    down = np.cross(forward, right)
    rotation = np.stack([right, down, forward])
    extrinsics = np.eye(4)
    extrinsics[:3, :3] = rotation
    extrinsics[:3, 3] = -rotation @ position
    return extrinsics


def positions_on_sphere(azimuth, elevation, radius) -> np.ndarray:
    """Camera positions ``[V, 3]`` from azimuth and elevation (radians) and distance."""
    azimuth, elevation, radius = np.broadcast_arrays(azimuth, elevation, radius)
    return radius[:, None] * np.stack([np.cos(elevation) * np.cos(azimuth),
                                       np.cos(elevation) * np.sin(azimuth), np.sin(elevation)], 1)


def sample_cameras(rng: np.random.Generator, views: int, size: int, *, poses: str = "train",
                   layout: str = "ring", radius=RADIUS, elevation=None, fov: float = FOV,
                   azimuth_jitter: float = AZIMUTH_JITTER, target=(0.0, 0.0, 0.0)) -> dict:
    """Draw ``views`` cameras looking at ``target``.

    ``layout="ring"``: azimuths evenly spaced from a random start, each jittered by up to
    ``azimuth_jitter`` degrees; ``"hemisphere"``: independent uniform azimuths. Elevations
    (degrees) are uniform in ``elevation`` (default: the band of ``poses``) and distances in
    ``radius``. Returns ``intrinsics [V, 3, 3]``, ``extrinsics [V, 4, 4]`` (world -> camera)
    and ``camera_positions [V, 3]``.
    """
    if poses not in ("train", "heldout"):
        raise SceneConfigError(f"poses={poses!r} is unknown; pass 'train' or 'heldout'")
    if layout not in LAYOUTS:
        raise SceneConfigError(f"layout={layout!r} is unknown; pass one of {', '.join(map(repr, LAYOUTS))}")
    if elevation is None:
        elevation = TRAIN_ELEVATION if poses == "train" else HELDOUT_ELEVATION
    if layout == "ring":
        start = rng.uniform(0, 2 * np.pi)
        jitter = np.radians(azimuth_jitter) * rng.uniform(-1, 1, views)
        azimuth = start + 2 * np.pi * np.arange(views) / views + jitter
    else:
        azimuth = rng.uniform(0, 2 * np.pi, views)
    elev = np.radians(rng.uniform(elevation[0], elevation[1], views))
    dist = rng.uniform(radius[0], radius[1], views)
    target = np.asarray(target, dtype=np.float64)
    positions = positions_on_sphere(azimuth, elev, dist) + target
    extrinsics = np.stack([look_at(p, target) for p in positions])
    return {"intrinsics": np.repeat(intrinsics(size, fov)[None], views, 0),
            "extrinsics": extrinsics, "camera_positions": positions}

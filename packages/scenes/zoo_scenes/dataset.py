"""``MultiViewScenes``: the "multiview-scenes" data set, deterministic from ``(seed, split, index)``.

Each item is one scene seen from ``views`` cameras, as a dict of numpy arrays (no torch)::

    images [V, S, S, 3] float32 in [0, 1]    masks [V, S, S] int64 (0 ground, 1..n objects)
    depth [V, S, S] float32 (camera z)       intrinsics [V, 3, 3] float32 (pixels)
    extrinsics [V, 4, 4] float32 (world -> camera, OpenCV axes)
    camera_positions [V, 3] float32 (world)  n_objects [] int64

Splits draw from disjoint seed streams; ``poses="heldout"`` renders the same scenes from the
held-out elevation band (``cameras.HELDOUT_ELEVATION``) instead of the training one.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import numpy as np

from zoo_scenes import cameras as cam
from zoo_scenes.errors import SceneConfigError
from zoo_scenes.render import render
from zoo_scenes.scene import Scene, sample_scene

NAME = "multiview-scenes"
SPLITS = {"train": 0, "val": 1, "test": 2}
MAX_OBJECTS = 20
_VERSION = 1  # bump when a change alters the rendered arrays (invalidates caches)


def _int(name: str, value, lo: int, hi: int | None = None, hint: str = "") -> int:
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < lo or (hi is not None and value > hi):
        span = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise SceneConfigError(f"{name}={value!r} is invalid: pass an integer {span}{hint}")
    return int(value)


def _range(name: str, value, lo: float, hi: float, unit: str = "") -> tuple[float, float]:
    try:
        a, b = (float(x) for x in value)
    except (TypeError, ValueError):
        raise SceneConfigError(f"{name}={value!r} is invalid: pass a pair (low, high)") from None
    if not (lo <= a <= b <= hi):
        raise SceneConfigError(f"{name}={value!r} is invalid: pass (low, high) with "
                               f"{lo} <= low <= high <= {hi}{unit}")
    return a, b


class MultiViewScenes:
    """The multiview-scenes data set: ``len(ds) == n_scenes``, ``ds[i]`` a dict of arrays.

    Args:
        split: "train", "val" or "test" (disjoint seed streams).
        n_scenes: number of scenes.
        views: cameras per scene (e.g. 2 input + 3 target views = 5).
        size: image side in pixels (>= 8).
        seed: base seed; item i depends only on (seed, split, i) and the settings.
        poses: "train" (elevations in ``TRAIN_ELEVATION``) or "heldout" (``HELDOUT_ELEVATION``).
        objects: (min, max) objects per scene, inclusive.
        textured: procedural patterns on objects and ground ("clevrtex-style").
        supersample: k x k rays per pixel for the image (anti-aliasing; 1 = off).
        layout: "ring" (evenly spaced azimuths, jittered) or "hemisphere" (random azimuths).
        radius, elevation, fov, azimuth_jitter: camera ranges (elevation overrides the band
            of ``poses``), see ``zoo_scenes.cameras``.
        area: objects lie in ``|x|, |y| <= area``.
        cache_dir: if given, each item is stored as ``<cache_dir>/<settings hash>/<split>-<i>.npz``
            on first use and read back (``allow_pickle=False``) afterwards.
    """

    def __init__(self, split: str = "train", n_scenes: int = 1000, views: int = 5, size: int = 32,
                 seed: int = 0, poses: str = "train", *, objects=(3, 10), textured: bool = False,
                 supersample: int = 1, layout: str = "ring", radius=cam.RADIUS, elevation=None,
                 fov: float = cam.FOV, azimuth_jitter: float = cam.AZIMUTH_JITTER,
                 area: float = 3.0, cache_dir: str | os.PathLike | None = None):
        if split not in SPLITS:
            raise SceneConfigError(f"split={split!r} is unknown; pass one of {', '.join(map(repr, SPLITS))}")
        if poses not in ("train", "heldout"):
            raise SceneConfigError(f"poses={poses!r} is unknown; pass 'train' or 'heldout'")
        if layout not in cam.LAYOUTS:
            raise SceneConfigError(f"layout={layout!r} is unknown; pass one of {', '.join(map(repr, cam.LAYOUTS))}")
        self.split, self.poses, self.layout = split, poses, layout
        self.n_scenes = _int("n_scenes", n_scenes, 1)
        self.views = _int("views", views, 1)
        self.size = _int("size", size, 8, hint=" (image side in pixels)")
        self.seed = _int("seed", seed, 0)
        self.supersample = _int("supersample", supersample, 1, 4)
        lo, hi = _range("objects", objects, 0, MAX_OBJECTS)
        if lo != int(lo) or hi != int(hi):
            raise SceneConfigError(f"objects={objects!r} is invalid: pass whole numbers (min, max)")
        self.objects = (int(lo), int(hi))
        self.textured = bool(textured)
        self.radius = _range("radius", radius, 1e-3, 1e6)
        if elevation is None:
            elevation = cam.TRAIN_ELEVATION if poses == "train" else cam.HELDOUT_ELEVATION
        self.elevation = _range("elevation", elevation, -89.0, 89.0, " degrees")
        if not 1.0 <= float(fov) <= 170.0:
            raise SceneConfigError(f"fov={fov!r} is invalid: pass a field of view in 1..170 degrees")
        self.fov, self.azimuth_jitter = float(fov), float(azimuth_jitter)
        if not float(area) > 0:
            raise SceneConfigError(f"area={area!r} is invalid: pass a positive half-width")
        self.area = float(area)
        self.cache_dir = None if cache_dir is None else Path(cache_dir) / self._key()

    def config(self) -> dict:
        """The settings that determine every item (JSON-able)."""
        return {"name": NAME, "version": _VERSION, "split": self.split, "n_scenes": self.n_scenes,
                "views": self.views, "size": self.size, "seed": self.seed, "poses": self.poses,
                "objects": list(self.objects), "textured": self.textured,
                "supersample": self.supersample, "layout": self.layout, "radius": list(self.radius),
                "elevation": list(self.elevation), "fov": self.fov,
                "azimuth_jitter": self.azimuth_jitter, "area": self.area}

    def _key(self) -> str:
        settings = {k: v for k, v in self.config().items() if k not in ("split", "n_scenes")}
        return hashlib.sha1(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:12]

    def __len__(self) -> int:
        return self.n_scenes

    def _index(self, i) -> int:
        if not isinstance(i, (int, np.integer)) or isinstance(i, bool):
            raise TypeError(f"index must be an integer, got {type(i).__name__}")
        j = int(i) + self.n_scenes if i < 0 else int(i)
        if not 0 <= j < self.n_scenes:
            raise IndexError(f"index {i} is out of range for {self.n_scenes} scenes")
        return j

    def _rng(self, i: int, stream: int) -> np.random.Generator:
        return np.random.default_rng([self.seed, SPLITS[self.split], i, stream])

    def scene(self, i: int) -> Scene:
        """The geometry and materials of scene ``i``."""
        return sample_scene(self._rng(self._index(i), 0), self.objects, area=self.area,
                            textured=self.textured)

    def cameras(self, i: int) -> dict:
        """Scene ``i``'s cameras: ``intrinsics``, ``extrinsics``, ``camera_positions`` (float64)."""
        return cam.sample_cameras(self._rng(self._index(i), 1), self.views, self.size,
                                  poses=self.poses, layout=self.layout, radius=self.radius,
                                  elevation=self.elevation, fov=self.fov,
                                  azimuth_jitter=self.azimuth_jitter)

    def render_item(self, i: int) -> dict:
        """Render item ``i`` (ignoring the cache)."""
        scene, cams = self.scene(i), self.cameras(i)
        out = render(scene, cams["intrinsics"], cams["extrinsics"], self.size,
                     supersample=self.supersample)
        out.update({k: v.astype(np.float32) for k, v in cams.items()})
        out["n_objects"] = np.array(scene.n_objects, dtype=np.int64)
        return out

    def __getitem__(self, i) -> dict:
        i = self._index(i)
        if self.cache_dir is None:
            return self.render_item(i)
        path = self.cache_dir / f"{self.split}-{i:07d}.npz"
        if path.exists():
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in f.files}
        item = self.render_item(i)
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp.npz")
        np.savez(tmp, **item)
        os.replace(tmp, path)  # atomic: parallel workers never read half a file
        return item

    def __iter__(self):
        return (self[i] for i in range(self.n_scenes))

    def __repr__(self) -> str:
        return (f"MultiViewScenes(split={self.split!r}, n_scenes={self.n_scenes}, views={self.views}, "
                f"size={self.size}, seed={self.seed}, poses={self.poses!r}, objects={self.objects}, "
                f"textured={self.textured})")


def multiview_nvs(split: str = "train", n_scenes: int = 1000, *, size: int = 32, views: int = 5,
                  seed: int = 0, poses: str = "train", **kwargs) -> MultiViewScenes:
    """Novel-view-synthesis default: 5 views (2 input + 3 target) at 32 px, 3..10 objects."""
    return MultiViewScenes(split, n_scenes, views, size, seed, poses, **kwargs)


def clevr_style(split: str = "train", n_scenes: int = 1000, *, size: int = 128,
                textured: bool = False, seed: int = 0, **kwargs) -> MultiViewScenes:
    """Object-discovery default: one 128 px CLEVR-style view of 3..10 objects per scene
    (``textured=True``: clevrtex-style), anti-aliased 2x2; ``masks[0]`` is the instance mask."""
    kwargs.setdefault("supersample", 2)
    return MultiViewScenes(split, n_scenes, 1, size, seed, "train", textured=textured, **kwargs)

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
from zoo_scenes.errors import SceneConfigError, check_choice, check_int, check_range
from zoo_scenes.raycast import render
from zoo_scenes.scene import MAX_OBJECTS, Scene, sample_scene

NAME = "multiview-scenes"
SPLITS = {"train": 0, "val": 1, "test": 2}
REDRAWS = 50  # scene draws tried per item for ``min_visible``
_VERSION = 1  # bump when a change alters the rendered arrays (invalidates caches)


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
        min_visible: redraw the scene (up to ``REDRAWS`` times, then keep the draw whose least
            visible object shows most) until every object covers at least this many pixels in
            every view; 0 = off. For single views where every object must be in frame.
        cache_dir: if given, each item is stored as ``<cache_dir>/<settings hash>/<split>-<i>.npz``
            on first use and read back (``allow_pickle=False``) afterwards.
    """

    def __init__(self, split: str = "train", n_scenes: int = 1000, views: int = 5, size: int = 32,
                 seed: int = 0, poses: str = "train", *, objects=(3, 10), textured: bool = False,
                 supersample: int = 1, layout: str = "ring", radius=cam.RADIUS, elevation=None,
                 fov: float = cam.FOV, azimuth_jitter: float = cam.AZIMUTH_JITTER,
                 area: float = 3.0, min_visible: int = 0,
                 cache_dir: str | os.PathLike | None = None):
        self.split = check_choice("split", split, tuple(SPLITS))
        self.n_scenes = check_int("n_scenes", n_scenes, 1)
        self.size = check_int("size", size, 8, hint=" (image side in pixels)")
        self.views, self.elevation, self.radius = cam.check_settings(
            views, size, poses, layout, radius, elevation, fov)
        self.poses, self.layout, self.fov = poses, layout, float(fov)
        self.azimuth_jitter = float(azimuth_jitter)
        self.seed = check_int("seed", seed, 0)
        self.supersample = check_int("supersample", supersample, 1, 4)
        self.objects = check_range("objects", objects, 0, MAX_OBJECTS, integers=True)
        self.min_visible = check_int("min_visible", min_visible, 0, size * size,
                                     hint=" (pixels each object must cover in every view)")
        self.textured = bool(textured)
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
                "azimuth_jitter": self.azimuth_jitter, "area": self.area,
                "min_visible": self.min_visible}

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

    def _rng(self, i: int, *stream: int) -> np.random.Generator:
        """Independent streams per (seed, split, item, purpose[, draw]): 0 scenes, 1 cameras."""
        return np.random.default_rng([self.seed, SPLITS[self.split], i, *stream])

    def _sample_scene(self, rng: np.random.Generator) -> Scene:
        return sample_scene(rng, self.objects, area=self.area, textured=self.textured)

    def cameras(self, i: int) -> dict:
        """Scene ``i``'s cameras: ``intrinsics``, ``extrinsics``, ``camera_positions`` (float64)."""
        return cam.sample_cameras(self._rng(self._index(i), 1), self.views, self.size,
                                  poses=self.poses, layout=self.layout, radius=self.radius,
                                  elevation=self.elevation, fov=self.fov,
                                  azimuth_jitter=self.azimuth_jitter)

    def _draw(self, i: int) -> tuple[Scene, dict, dict]:
        """Scene, cameras and render of item ``i`` (with the ``min_visible`` redraws)."""
        i, cams, best = self._index(i), self.cameras(i), None
        for attempt in range(REDRAWS if self.min_visible else 1):
            # one stream per draw: the textured variant redraws exactly like the plain one
            scene = self._sample_scene(self._rng(i, 0, attempt))
            out = render(scene, cams["intrinsics"], cams["extrinsics"], self.size,
                         supersample=self.supersample)
            if not self.min_visible or not scene.n_objects:
                return scene, cams, out
            counts = np.stack([np.bincount(m.ravel(), minlength=scene.n_objects + 1)[1:]
                               for m in out["masks"]])
            least = int(counts.min())
            if best is None or least > best[0]:
                best = (least, scene, out)
            if least >= self.min_visible:
                break
        return best[1], cams, best[2]

    def scene(self, i: int) -> Scene:
        """The geometry and materials of scene ``i`` (renders it when ``min_visible`` is set)."""
        if self.min_visible:
            return self._draw(i)[0]
        return self._sample_scene(self._rng(self._index(i), 0, 0))

    def render_item(self, i: int) -> dict:
        """Render item ``i`` (ignoring the cache)."""
        scene, cams, out = self._draw(i)
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
    """Object-discovery default: one CLEVR-style view of 3..10 objects per scene at 128 px
    (``textured=True``: clevrtex-style), anti-aliased 2x2; ``masks[0]`` is the instance mask.

    Cameras see the whole object area (``area=2.7``, ``fov=45``, elevation 30..50 degrees) and
    every object covers at least ``20 * (size / 128)**2`` pixels (``min_visible``).
    """
    settings = dict(supersample=2, area=2.7, fov=45.0, elevation=(30.0, 50.0),
                    min_visible=max(1, round(20 * (size / 128) ** 2)))
    settings.update(kwargs)
    return MultiViewScenes(split, n_scenes, 1, size, seed, "train", textured=textured, **settings)

"""zoo-scenes: the "multiview-scenes" procedural renderer shared by Zoo plugins (numpy only).

Spheres, cubes and cylinders of random sizes, colours and materials on a ground plane, seen
from cameras on a ring or hemisphere with known intrinsics and extrinsics, rendered by
analytic ray casting with shadows; images, instance masks and depth. Example::

    from zoo_scenes import MultiViewScenes
    ds = MultiViewScenes(split="train", n_scenes=100, views=5, size=32, seed=0)
    item = ds[0]   # images [5, 32, 32, 3], masks, depth, intrinsics, extrinsics, camera_positions

Lower level: ``sample_scene``, ``sample_cameras``, ``render``; presets ``multiview_nvs`` and
``clevr_style``.
"""

from zoo_scenes.cameras import (HELDOUT_ELEVATION, TRAIN_ELEVATION, intrinsics, look_at,
                                sample_cameras)
from zoo_scenes.dataset import NAME, MultiViewScenes, clevr_style, multiview_nvs
from zoo_scenes.errors import SceneConfigError
from zoo_scenes.render import render
from zoo_scenes.scene import KINDS, PATTERNS, Scene, sample_scene

__all__ = ["NAME", "MultiViewScenes", "multiview_nvs", "clevr_style", "sample_scene",
           "sample_cameras", "render", "look_at", "intrinsics", "Scene", "KINDS", "PATTERNS",
           "TRAIN_ELEVATION", "HELDOUT_ELEVATION", "SceneConfigError"]

"""CLEVR-style and clevrtex-style scenes at 128 px for object discovery, from zoo-scenes.

The renderer is the project's procedural multi-view scene renderer (``zoo_scenes.clevr_style``:
one view of 3..10 spheres, cubes and cylinders of random sizes and colours, rubber or metal,
on a ground plane, a random light direction, camera elevation 30-50 degrees with jitter,
occlusions and shadows, 2x2 anti-aliasing, every object covering at least 20 pixels);
``textured`` adds procedural patterns (stripes, checker, waves) to the objects and the ground.
Regenerated data, not CLEVR or CLEVRTex: the models trained on it carry ``-style`` in their names.

Items are ``(image [3, H, W] float in [0, 1], mask [H, W] int64)``, mask 0 the ground and
1..n the objects (the layout of the other object-discovery sets). Rendering takes about 50 ms a
scene on one CPU thread; each item is kept in memory (uint8) after its first render.

    scenes = ClevrStyleScenes("train", 5000)
    image, mask = scenes[0]
"""

from __future__ import annotations

import numpy as np
import torch


class ClevrStyleScenes(torch.utils.data.Dataset):
    """``n_scenes`` scenes of zoo-scenes' ``split`` (train / val / test: disjoint seed streams)."""

    textured = False

    def __init__(self, split: str = "train", n_scenes: int = 1000, *, seed: int = 0,
                 image_size: int = 128) -> None:
        from zoo_scenes import clevr_style

        self.scenes = clevr_style(split, n_scenes, size=image_size, textured=self.textured, seed=seed)
        self._kept: list[tuple[np.ndarray, np.ndarray] | None] = [None] * n_scenes

    def __len__(self) -> int:
        return len(self.scenes)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        n = len(self)
        if not -n <= int(i) < n:
            raise IndexError(f"scene {i} is out of range for {n} scenes")
        i = int(i) % n
        if self._kept[i] is None:
            item = self.scenes[i]
            image = np.round(item["images"][0] * 255).astype(np.uint8)   # [H, W, 3]
            self._kept[i] = (image, item["masks"][0].astype(np.uint8))   # at most 10 objects
        image, mask = self._kept[i]
        return (torch.from_numpy(image).permute(2, 0, 1).float() / 255,
                torch.from_numpy(mask).long())


class ClevrTexStyleScenes(ClevrStyleScenes):
    """The textured variant ("clevrtex-style")."""

    textured = True


__all__ = ["ClevrStyleScenes", "ClevrTexStyleScenes"]

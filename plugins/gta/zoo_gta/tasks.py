"""Task ``novel-view-synthesis/multiview-scenes``: render held-out views of procedural scenes.

Data come from zoo-scenes (``MultiViewScenes``: shaded spheres, cubes and cylinders on a
ground plane, cameras on a ring looking at the centre, known intrinsics and extrinsics),
deterministic from a seed, so nothing is downloaded. Each test scene has 5 views at 32 px:
the first 2 are the input views, the other 3 the targets, rendered in full (as the official
``evaluate.py``: each target view on its own, at full scale).

* held-out scenes: the ``test`` split (scenes never seen in training), training camera
  elevations (``psnr``, ``ssim``);
* held-out camera poses: the ``test`` split with ``poses="heldout"`` (elevations outside the
  training range; ``psnr_heldout_poses``, ``ssim_heldout_poses``).

As in the official data loaders (``canonical_view``), every pose is expressed relative to the
first input camera before it reaches the model (``zoo_gta.cameras.relative_to``).

Example::

    import zoo
    from zoo_gta.tasks import MultiviewScenesTask
    MultiviewScenesTask().evaluate(zoo.load("gta-srt-multiview-scenes"), limit=10)
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from zoo_gta.cameras import image_coords, pixel_rays, rays_at, relative_to
from zoo_gta.metrics import lpips_vgg, psnr, ssim

__all__ = ["MultiviewScenesTask", "scene_batch", "model_inputs", "render_views", "TrainDraws",
           "SIZE", "VIEWS_IN", "VIEWS_OUT"]

SIZE, VIEWS_IN, VIEWS_OUT = 32, 2, 3
SCENES = {"objects": (2, 4), "area": 2.0, "radius": (6.5, 8.0)}
"""zoo-scenes settings of this task: 2-4 objects within |x|, |y| <= 2, cameras 6.5-8 units away,
so each object covers tens of pixels at 32 px (with the renderer's default 3-10 objects in
|x|, |y| <= 3 seen from 8.5-10.5, both small models stayed on the mean image for 3,000 steps)."""
N_TEST = 100


def scene_batch(items: list[dict]) -> dict[str, torch.Tensor]:
    """zoo-scenes items -> ``images [B, V, 3, S, S]``, ``extrinsics [B, V, 4, 4]``, ``intrinsics``."""
    return {"images": torch.from_numpy(np.stack([it["images"] for it in items])).permute(0, 1, 4, 2, 3),
            "extrinsics": torch.from_numpy(np.stack([it["extrinsics"] for it in items])),
            "intrinsics": torch.from_numpy(np.stack([it["intrinsics"] for it in items]))}


def model_inputs(images, extrinsics, intrinsics, n_in: int, rows=None, cols=None, canonical: bool = True):
    """The model's keyword inputs for views ``[:n_in]`` -> ``[n_in:]``, and the true colours.

    ``rows``/``cols`` ``[B, Nt, P]``: the target pixels (default: every pixel). Returns
    ``(inputs, colours [B, Nt, P, 3])``.
    """
    B, V, _, H, W = images.shape
    E = relative_to(extrinsics, extrinsics[:, 0]) if canonical else extrinsics
    if rows is None:
        r, c = torch.meshgrid(torch.arange(H, dtype=images.dtype), torch.arange(W, dtype=images.dtype), indexing="ij")
        rows = r.reshape(1, 1, -1).expand(B, V - n_in, -1)
        cols = c.reshape(1, 1, -1).expand(B, V - n_in, -1)
    K_t, E_t = intrinsics[:, n_in:], E[:, n_in:]
    inputs = {"input_images": images[:, :n_in], "input_extrinsics": E[:, :n_in],
              "input_rays": pixel_rays(intrinsics[:, :n_in], E[:, :n_in], H, W),
              "target_extrinsics": E_t, "target_rays": rays_at(K_t, E_t, rows, cols),
              "target_coords": image_coords(rows, cols, H, W)}
    flat = images[:, n_in:].flatten(3)  # [B, Nt, 3, H*W]
    idx = (rows * W + cols).long()
    colours = torch.gather(flat, 3, idx[:, :, None].expand(-1, -1, 3, -1)).transpose(2, 3)
    return inputs, colours


@torch.no_grad()
def render_views(model, images, extrinsics, intrinsics, n_in: int = VIEWS_IN, chunk: int = 4096) -> torch.Tensor:
    """Every pixel of the target views ``[n_in:]``: ``[B, Nt, 3, H, W]`` (rays in chunks)."""
    B, V, _, H, W = images.shape
    r, c = torch.meshgrid(torch.arange(H, dtype=images.dtype), torch.arange(W, dtype=images.dtype), indexing="ij")
    rows, cols = r.reshape(-1), c.reshape(-1)
    per_view = max(1, chunk // (V - n_in))
    out = []
    for s in range(0, H * W, per_view):
        rr = rows[s:s + per_view].expand(B, V - n_in, -1)
        cc = cols[s:s + per_view].expand(B, V - n_in, -1)
        inputs, _ = model_inputs(images, extrinsics, intrinsics, n_in, rr, cc)
        out.append(model(**inputs))
    return torch.cat(out, 2).transpose(2, 3).reshape(B, V - n_in, 3, H, W)


class TrainDraws(torch.utils.data.Dataset):
    """Training draws from pre-rendered scenes: draw ``j`` picks (from a generator seeded by
    ``(seed, j)``) a scene, ``n_in`` input and ``n_out`` target views among its views, and
    ``pixels`` random pixels of each target view (the official 2560 target pixels per scene,
    split over the target views, sampled anew each time)."""

    def __init__(self, scenes: dict[str, torch.Tensor], length: int, seed: int, n_in: int = VIEWS_IN,
                 n_out: int = VIEWS_OUT, pixels: int = 128):
        self.scenes, self.length, self.seed = scenes, length, seed
        self.n_in, self.n_out, self.pixels = n_in, n_out, pixels

    def __len__(self):
        return self.length

    def __getitem__(self, j: int) -> dict[str, torch.Tensor]:
        rng = np.random.default_rng([self.seed, j])
        N, V, _, H, W = self.scenes["images"].shape
        i = int(rng.integers(N))
        views = torch.from_numpy(rng.permutation(V)[:self.n_in + self.n_out])
        pix = torch.from_numpy(np.stack([rng.choice(H * W, self.pixels, replace=False) for _ in range(self.n_out)]))
        rows, cols = (pix // W).float()[None], (pix % W).float()[None]
        inputs, colours = model_inputs(*(self.scenes[k][i:i + 1, views] for k in ("images", "extrinsics", "intrinsics")),
                                       self.n_in, rows, cols)
        return {**{k: v[0] for k, v in inputs.items()}, "target": colours[0]}


class MultiviewScenesTask:
    """Held-out scenes and held-out camera poses of zoo-scenes' multiview-scenes at 32 px."""

    name = "novel-view-synthesis/multiview-scenes"

    def dataset(self, split: str, *, poses: str = "train", n_scenes: int | None = None, views: int = 5,
                size: int = SIZE):
        """zoo-scenes ``MultiViewScenes`` (``split`` train/val/test); the test split has 100 scenes."""
        from zoo_scenes import MultiViewScenes

        if split not in ("train", "val", "test"):
            raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
        n = n_scenes if n_scenes is not None else {"train": 2000, "val": N_TEST, "test": N_TEST}[split]
        return MultiViewScenes(split=split, n_scenes=n, views=views, size=size, seed=0, poses=poses, **SCENES)

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, batch_size: int = 10,
                 lpips: bool = False, split: str = "test") -> dict[str, Any]:
        """PSNR and SSIM (and LPIPS-VGG when ``lpips`` and its weights are local) of the rendered
        target views of the first ``limit`` test scenes (all 100 by default), at training poses
        and at held-out poses. ``seed`` is unused: the evaluation is deterministic."""
        model.eval()
        lp = lpips_vgg() if lpips else None
        results: dict[str, Any] = {}
        for poses, suffix in (("train", ""), ("heldout", "_heldout_poses")):
            ds = self.dataset(split, poses=poses)
            n = len(ds) if limit is None else min(limit, len(ds))
            scores: dict[str, list] = {"psnr": [], "ssim": [], "lpips": []}
            for s in range(0, n, batch_size):
                b = scene_batch([ds[i] for i in range(s, min(n, s + batch_size))])
                pred = render_views(model, b["images"], b["extrinsics"], b["intrinsics"]).flatten(0, 1)
                true = b["images"][:, VIEWS_IN:].flatten(0, 1)
                scores["psnr"].append(psnr(pred, true))
                scores["ssim"].append(ssim(pred, true))
                if lp:
                    scores["lpips"].append(lp(pred, true))
            for key, vals in scores.items():
                if vals:
                    results[key + suffix] = round(torch.cat(vals).mean().item(), 4)
        return results

"""The paper's NVS datasets from a local copy: CLEVR-TR (read here) and MSN-Hard (needs TFDS).

``novel-view-synthesis/clevr-tr`` reads the official layout (``$ZOO_DATA/clevr-tr/``)::

    test/imgs/img_<scene>_<view>.png       240x320 RGB(A), 5 views per scene
    test/metadata/<scene>.json             {"camera": {"quaternions": [[w,x,y,z] x5], "positions": [[x,y,z] x5]}}
    train/...                              (the same; the official code splits it 90/10 into train/val)

and evaluates as the official ``evaluate.py``: per test scene 2 input views (at 120x160, the
official ``downsample: 1``) and the other 3 as targets at full 240x320, every pixel rendered,
PSNR and SSIM per target image. The input views are drawn per scene from
``RandomState(seed + scene)`` (official: unseeded ``np.random``). Cameras follow the official
``CLEVRTR`` loader: Kubric quaternions to world->camera extrinsics with the loader's camera
basis (``kubric_basis``: True in the SRT/RePAST configs, False in the GTA ones — a quirk kept
so that official weights see what they were trained on), rays through pixel centres of a
35 mm lens on a 32 mm sensor, everything relative to the first input camera.

``novel-view-synthesis/msn-hard`` is Kubric's ``multi_shapenet_conditional/2.8.0``, which the
official code reads with ``sunds`` + TensorFlow Datasets; neither is a dependency of the zoo,
so the task explains what is needed and stops.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import torch

from zoo_core.data import DatasetSpec, dataset_root, reading, require
from zoo_core.errors import ZooError
from zoo_gta.metrics import psnr, ssim

__all__ = ["CLEVR_TR", "MSN_HARD", "ClevrTRTask", "MSNHardTask", "clevrtr_cameras"]

CLEVR_TR = DatasetSpec(
    name="clevr-tr", title="CLEVR-TR (Miyato et al., ICLR 2024: CLEVR with translated and rotated cameras)",
    url="https://github.com/autonomousvision/gta (README: Google Drive link)",
    layout=("test/imgs/img_*_0.png", "test/metadata/*.json"),
    note="unpack the download so that train/ and test/ (each with imgs/, masks/, metadata/) sit in this folder")

MSN_HARD = DatasetSpec(
    name="msn-hard", title="MSN-Hard (Kubric multi_shapenet_conditional 2.8.0, Sajjadi et al. 2022)",
    url="gs://kubric-public/tfds/multi_shapenet_conditional/2.8.0",
    layout=("multi_shapenet_conditional/2.8.0/*",),
    note="read by the official code with sunds and tensorflow-datasets (gsutil -m cp -r the folder); "
         "the zoo does not depend on TensorFlow, so this task cannot run without a converted copy")

H, W, FOCAL, SENSOR_WIDTH = 240, 320, 0.035, 0.032


def _basis(kubric_basis: bool) -> np.ndarray:
    """Official ``camera_basis``: rows right, up, front of the loader's camera convention."""
    right = [1, 0, 0] if kubric_basis else [-1, 0, 0]
    up = [0, -1, 0] if kubric_basis else [0, 1, 0]
    return np.array([right, up, [0, 0, -1]], dtype=np.float64)


def clevrtr_cameras(quaternions, positions, kubric_basis: bool) -> tuple[np.ndarray, np.ndarray]:
    """World->camera extrinsics ``[V, 4, 4]`` and unit world rays ``[V, H, W, 3]`` of a scene."""
    from scipy.spatial.transform import Rotation

    q = np.asarray(quaternions, dtype=np.float64)
    Rs = Rotation.from_quat(q[:, [1, 2, 3, 0]]).as_matrix()  # Kubric stores [w, x, y, z]
    pos = np.asarray(positions, dtype=np.float64)
    E = np.tile(np.eye(4), (len(q), 1, 1))
    E[:, :3, :3] = _basis(kubric_basis).T[None] @ Rs.transpose(0, 2, 1)
    E[:, :3, 3] = -(E[:, :3, :3] @ pos[..., None])[..., 0]
    sensor_h = SENSOR_WIDTH / W * H
    h = ((np.arange(W) + 0.5) / W * 2 - 1) * SENSOR_WIDTH / 2
    v = ((np.arange(H) + 0.5) / H * 2 - 1) * sensor_h / 2
    right, up, front = E[:, 0, :3], E[:, 1, :3], E[:, 2, :3]
    rays = (front[:, None, None] * FOCAL + h[None, None, :, None] * right[:, None, None]
            + v[None, :, None, None] * up[:, None, None])
    return E, rays / np.linalg.norm(rays, axis=-1, keepdims=True)


class ClevrTRTask:
    """CLEVR-TR test split from the user's copy; official full-scale evaluation."""

    name = "novel-view-synthesis/clevr-tr"
    datasets = ("clevr-tr",)

    def dataset(self, split: str):
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        root = dataset_root(CLEVR_TR)
        files = sorted((root / split / "metadata").glob("*.json"), key=lambda p: int(p.stem))
        require(bool(files), root / split / "metadata", "holds no <scene>.json files", CLEVR_TR)
        return files

    def scene(self, meta: Path, *, seed: int, kubric_basis: bool, n_in: int = 2, n_out: int = 3) -> dict:
        """Model inputs and true target images ``[Nt, 3, H, W]`` of one scene (batch of 1)."""
        from PIL import Image

        with reading(meta, CLEVR_TR):
            cam = json.loads(meta.read_text())["camera"]
            E, rays = clevrtr_cameras(cam["quaternions"], cam["positions"], kubric_basis)
            idx = int(meta.stem)
            imgs = np.stack([np.asarray(Image.open(meta.parent.parent / "imgs" / f"img_{idx}_{v}.png").convert("RGB"))
                             for v in range(len(E))]).astype(np.float32) / 255
        require(imgs.shape[1:3] == (H, W), meta, f"images must be {H}x{W}, got {imgs.shape[1:3]}", CLEVR_TR)
        rng = np.random.RandomState(seed + idx)
        views_in = rng.choice(len(E), n_in, replace=False)
        views_out = rng.choice(sorted(set(range(len(E))) - set(views_in)), n_out, replace=False)
        E0 = E[views_in[0]]
        E_rel = E @ np.linalg.inv(E0)
        rays = rays @ E0[:3, :3].T  # directions in the first input camera's frame
        t = lambda a: torch.from_numpy(np.ascontiguousarray(a)).float()[None]
        r, c = np.meshgrid(np.arange(H), np.arange(W), indexing="ij")
        coords = np.stack([r / H, c / W], -1).reshape(-1, 2)
        inputs = {"input_images": t(imgs[views_in][:, 1::2, 1::2].transpose(0, 3, 1, 2)),
                  "input_extrinsics": t(E_rel[views_in]), "input_rays": t(rays[views_in][:, 1::2, 1::2]),
                  "target_extrinsics": t(E_rel[views_out]), "target_rays": t(rays[views_out].reshape(n_out, -1, 3)),
                  "target_coords": t(np.broadcast_to(coords, (n_out, H * W, 2)))}
        return {"inputs": inputs, "target": t(imgs[views_out].transpose(0, 3, 1, 2))[0]}

    @torch.no_grad()
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, kubric_basis: bool | None = None,
                 chunk: int = 19200) -> dict[str, Any]:
        """PSNR / SSIM over the test scenes (the first ``limit``). ``kubric_basis`` defaults to the
        official config's: True for SRT/RePAST (``model_type: srt``), False for TransformingSRT."""
        if kubric_basis is None:
            kubric_basis = getattr(model, "model_type", "tsrt") == "srt"
        files = self.dataset("test")[:limit]
        ps, ss = [], []
        for meta in files:
            s = self.scene(meta, seed=seed, kubric_basis=kubric_basis)
            inp = s["inputs"]
            z, scene = model.encoder(inp["input_images"], inp["input_extrinsics"], inp["input_rays"])
            parts = []
            for a in range(0, H * W, chunk):
                rgb = model.decoder(z, inp["target_extrinsics"], inp["target_rays"][:, :, a:a + chunk],
                                    inp["target_coords"][:, :, a:a + chunk], scene)
                parts.append(rgb.reshape(1, inp["target_extrinsics"].shape[1], -1, 3))
            pred = torch.cat(parts, 2)[0].transpose(1, 2).reshape(-1, 3, H, W)
            ps.append(psnr(pred, s["target"]))
            ss.append(ssim(pred, s["target"]))
        return {"psnr": round(torch.cat(ps).mean().item(), 4), "ssim": round(torch.cat(ss).mean().item(), 4)}


class MSNHardTask:
    """MSN-Hard needs TensorFlow Datasets + sunds, which the zoo does not use: a clear stop."""

    name = "novel-view-synthesis/msn-hard"
    datasets = ("msn-hard",)

    def dataset(self, split: str):
        raise ZooError("MSN-Hard (Kubric multi_shapenet_conditional 2.8.0) is stored as TFDS records read by "
                       "sunds + tensorflow-datasets in the official code; the zoo does not depend on TensorFlow. "
                       "Install them and export the scenes to arrays yourself, or evaluate on "
                       "novel-view-synthesis/clevr-tr or multiview-scenes. " + MSN_HARD.describe().replace("\n", " "))

    def evaluate(self, model, **kwargs):
        return self.dataset("test")

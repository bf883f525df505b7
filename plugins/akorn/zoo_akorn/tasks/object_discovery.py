"""Object discovery: the official evaluation protocol (``eval_obj.py``) on regenerated scenes
(:class:`ObjectDiscovery`, which the paper-dataset tasks in ``object_discovery_paper`` reuse).

Protocol, per image: feature map from ``model.features`` (AKOrN: last readout; ItrSA:
final LayerNorm), L2-normalised over channels; optional up-tiling ("saccades", factor
``r``: bicubic resize by ``psize - psize/r`` pixels, ``r^2`` shifted crops, feature maps
interleaved); PCA to 128 components when there are more channels; agglomerative
clustering with average linkage on Euclidean distances cut at ``K`` clusters; labels
nearest-upsampled to the image size; FG-ARI (background and ignore excluded) and MBO.

Example::

    task = ObjectDiscoveryTetrominoes()
    scores = task.evaluate(model, limit=32)      # {"fg_ari": ..., "mbo": ...}
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from scipy.cluster.hierarchy import fcluster, linkage
from torch import Tensor, nn

from zoo_akorn.metrics import FGARI, MBO


def uptiled_features(model: nn.Module, images: Tensor, *, r: int = 1, generator: torch.Generator | None = None) -> Tensor:
    """Channel-normalised feature maps ``[B, C, r*h, r*w]`` with up-tiling factor ``r`` (official ``gen_saccade_imgs``)."""
    psize = model.psize
    stride = psize // r
    H, W = images.shape[-2:]
    if r > 1:
        big = F.interpolate(images, (H + psize - stride, W + psize - stride), mode="bicubic")
        crops = [big[:, :, h:h + H, w:w + W] for h in range(0, psize, stride) for w in range(0, psize, stride)]
    else:
        crops = [images]
    feats = [F.normalize(model.features(c, generator=generator), dim=1) for c in crops]
    n = int(round(len(feats) ** 0.5))
    B, C, h, w = feats[0].shape
    grid = torch.stack(feats, 0).view(n, n, B, C, h, w)           # [nh, nw, B, C, h, w]
    return grid.permute(2, 3, 4, 0, 5, 1).reshape(B, C, h * n, w * n)


def pca(x: Tensor, n_components: int = 128) -> Tensor:
    """Per-image PCA of a feature map ``[B, C, H, W]`` (no-op when ``C <= n_components``)."""
    B, C, H, W = x.shape
    if n_components >= C:
        return x
    z = x.permute(0, 2, 3, 1).reshape(B, H * W, C)
    z = z - z.mean(1, keepdim=True)
    cov = z.transpose(1, 2) @ z / (H * W - 1)
    _, vecs = torch.linalg.eigh(cov)
    top = vecs.flip(-1)[:, :, :n_components]
    return (z @ top).transpose(1, 2).reshape(B, n_components, H, W)


def cluster(feature: Tensor, k: int) -> np.ndarray:
    """Average-linkage agglomerative clustering of one map ``[C, h, w]`` into at most ``k`` labels (1..k)."""
    C, h, w = feature.shape
    pts = feature.reshape(C, -1).T.double().cpu().numpy()
    return fcluster(linkage(pts, method="average", metric="euclidean"), t=k, criterion="maxclust").reshape(h, w)


class ObjectDiscovery:
    """The official protocol on the ``(image, mask)`` scenes of ``dataset(split)``, ``n_clusters`` = K."""

    name: str
    n_clusters: int
    source: str  # what the training split is, for the model card

    def __init__(self, *, seed: int = 0) -> None:
        self.seed = seed

    def dataset(self, split: str):
        raise NotImplementedError

    def _scenes_class(self, split: str, sizes: dict):
        """The generator class ``self.scenes`` names (``"module:Class"``, imported on first use),
        after checking ``split`` is one of ``sizes``."""
        import importlib

        if split not in sizes:
            raise ValueError(f"unknown split {split!r}; expected one of {sorted(sizes)}")
        module, _, cls = self.scenes.partition(":")
        return getattr(importlib.import_module(module), cls)

    @torch.no_grad()
    def segment(self, model: nn.Module, images: Tensor, *, generator: torch.Generator | None = None,
                saccade_r: int = 1, use_pca: bool = True) -> Tensor:
        """Predicted segment labels ``[B, H, W]`` (1..K) of images ``[B, 3, H, W]``: features,
        up-tiling, PCA, clustering, nearest upsampling (the official protocol)."""
        dev = next(model.parameters()).device
        feats = uptiled_features(model, images.to(dev), r=saccade_r,
                                 generator=generator if dev.type == "cpu" else None).cpu()
        if use_pca:
            feats = pca(feats, 128)
        H, W = images.shape[-2:]
        preds = []
        for f in feats:
            lab = torch.from_numpy(cluster(f, self.n_clusters)).float()[None, None]
            preds.append(F.interpolate(lab, size=(H, W), mode="nearest")[0, 0].long())
        return torch.stack(preds)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, *, limit: int | None = None, seed: int = 0, split: str = "test",
                 batch_size: int = 64, saccade_r: int = 1, use_pca: bool = True,
                 uptiled_r: int | None = None) -> dict[str, float]:
        """FG-ARI and MBO (in [0, 1]) of ``model`` on the first ``limit`` scenes of ``split``
        (all test scenes by default); the oscillators' random start is seeded by ``seed``.
        With ``uptiled_r`` the same scenes are also scored with up-tiling x ``uptiled_r``
        (keys ``fg_ari_up{r}``, ``mbo_up{r}``: the paper's "+ up-tiling" rows beside the plain ones)."""
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be a positive number of scenes, got {limit}")
        if uptiled_r is not None and (uptiled_r < 2 or model.psize % uptiled_r):
            raise ValueError(f"uptiled_r must be a factor >= 2 that divides the patch size {model.psize}, "
                             f"got {uptiled_r}")
        ds = self.dataset(split)
        n = len(ds) if limit is None else min(limit, len(ds))
        model.eval()
        factors = {"": saccade_r} | ({f"_up{uptiled_r}": uptiled_r} if uptiled_r else {})  # key suffix -> r
        scores = {suffix: (FGARI(), MBO(), torch.Generator().manual_seed(seed)) for suffix in factors}
        for start in range(0, n, batch_size):
            items = [ds[i] for i in range(start, min(n, start + batch_size))]
            images = torch.stack([im for im, _ in items])
            gt = torch.stack([m for _, m in items])
            for suffix, r in factors.items():
                fg, mbo, g = scores[suffix]
                preds = self.segment(model, images, generator=g, saccade_r=r, use_pca=use_pca)
                fg.update((gt > 0).long() * gt, preds)
                mbo.update(gt, preds)
        out = {}
        for suffix, (fg, mbo, _) in scores.items():
            out |= {f"fg_ari{suffix}": round(fg.compute(), 6), f"mbo{suffix}": round(mbo.compute(), 6)}
        return out


class ObjectDiscoveryTetrominoes(ObjectDiscovery):
    """Object discovery on tetrominoes-style (regenerated) 32x32 scenes, K = 4 clusters."""

    name = "object-discovery/tetrominoes-style"
    n_clusters = 4
    source = "tetrominoes-style scenes regenerated by zoo_akorn.data.tetrominoes (32x32)"
    scenes = "zoo_akorn.data.tetrominoes:TetrominoesStyle"  # the generator, imported when used

    def dataset(self, split: str):
        """``train`` (60k scenes), ``val`` (1k) or ``test`` (320, the official test size); disjoint seeds."""
        sizes = {"train": (60_000, 0), "val": (1_000, 1), "test": (320, 2)}
        scenes = self._scenes_class(split, sizes)
        size, offset = sizes[split]
        return scenes(size=size, seed=1000 * self.seed + offset)


class ObjectDiscoveryDSprites(ObjectDiscoveryTetrominoes):
    """Object discovery on dsprites-style (regenerated) 64x64 scenes, K = 5 clusters
    (up to 4 sprites and the background)."""

    name = "object-discovery/dsprites-style"
    n_clusters = 5
    source = "dsprites-style scenes regenerated by zoo_akorn.data.dsprites (64x64)"
    scenes = "zoo_akorn.data.dsprites:DSpritesStyle"


class ObjectDiscoveryClevrStyle(ObjectDiscovery):
    """Object discovery on CLEVR-style 128 px scenes rendered by zoo-scenes, K = 11 (the official
    CLEVR / CLEVRTex K: up to 10 objects and the ground)."""

    name = "object-discovery/clevr-style"
    n_clusters = 11
    source = "CLEVR-style scenes rendered by zoo-scenes (clevr_style preset, 128x128), not CLEVR"
    scenes = "zoo_akorn.data.clevr_style:ClevrStyleScenes"
    sizes = {"train": 5_000, "val": 100, "test": 320}

    def dataset(self, split: str):
        """``train`` (5,000 scenes), ``val`` (100) or ``test`` (320); zoo-scenes' disjoint split streams."""
        return self._scenes_class(split, self.sizes)(split, self.sizes[split], seed=self.seed)


class ObjectDiscoveryClevrTexStyle(ObjectDiscoveryClevrStyle):
    """The textured variant: procedural patterns on objects and ground (clevrtex-style), K = 11."""

    name = "object-discovery/clevrtex-style"
    source = ("clevrtex-style scenes rendered by zoo-scenes (clevr_style preset, textured, 128x128), "
              "not CLEVRTex")
    scenes = "zoo_akorn.data.clevr_style:ClevrTexStyleScenes"


__all__ = ["ObjectDiscovery", "ObjectDiscoveryTetrominoes", "ObjectDiscoveryDSprites", "ObjectDiscoveryClevrStyle",
           "ObjectDiscoveryClevrTexStyle", "uptiled_features", "pca", "cluster"]

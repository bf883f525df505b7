"""Object discovery on the paper datasets, read from the user's local copy (``--data`` / ``ZOO_DATA``).

The protocol is the official ``eval_obj.py`` one (:class:`ObjectDiscovery`: features,
optional up-tiling ``saccade_r``, PCA to 128, average-linkage clustering into K, FG-ARI and
MBO) with the official K and test splits:

* CLEVRTex: K = 11; ``test`` is the first 10 % of ``clevrtex_full``, ``ood`` all of
  ``clevrtex_outd``, ``camo`` the first 10 % of ``clevrtex_camo``; ``split="all"`` (the
  default) reports the three, as the paper's table does (``fg_ari``, ``ood_fg_ari``, ...).
* CLEVR6 (K = 11), Tetrominoes (K = 4), Multi-dSprites (K = 7): the 320-scene ``*_test.npz``.

Example::

    os.environ["ZOO_DATA"] = "/data"          # /data/clevrtex/clevrtex_full/...
    scores = ObjectDiscoveryCLEVRTex().evaluate(model, limit=100)
"""

from __future__ import annotations

from zoo_core.data import DatasetSpec, dataset_root

from zoo_akorn import datasets as specs
from zoo_akorn.tasks.object_discovery import ObjectDiscovery


class _NpzObjectDiscovery(ObjectDiscovery):
    """A multi-object set in the official npz layout: ``{prefix}_{split}.npz`` under the dataset folder."""

    spec: DatasetSpec
    prefix: str
    imsize: int
    splits = ("train", "val", "test", "eval")

    def __init_subclass__(cls, **kw) -> None:
        super().__init_subclass__(**kw)
        cls.datasets = (cls.spec.name,)
        cls.source = f"{cls.spec.title}, {cls.prefix}_train.npz"

    def dataset(self, split: str):
        """``train``, ``val``, ``test`` (320 scenes) or ``eval`` (64) as the official conversion wrote them."""
        from zoo_akorn.data.paper import NpzScenes

        if split not in self.splits:
            raise ValueError(f"unknown split {split!r}; expected one of {list(self.splits)}")
        return NpzScenes(dataset_root(self.spec) / f"{self.prefix}_{split}.npz", self.spec, imsize=self.imsize)


class ObjectDiscoveryTetrominoesPaper(_NpzObjectDiscovery):
    """DeepMind Tetrominoes (32x32, cropped from 35x35 by the conversion), K = 4."""

    name = "object-discovery/tetrominoes"
    spec, prefix, imsize, n_clusters = specs.TETROMINOES, "tetrominoes", 32, 4


class ObjectDiscoveryDSpritesPaper(_NpzObjectDiscovery):
    """Multi-dSprites colored_on_grayscale (64x64), K = 7."""

    name = "object-discovery/dsprites"
    spec, prefix, imsize, n_clusters = specs.DSPRITES, "colored_on_grayscale", 64, 7


class ObjectDiscoveryCLEVR(_NpzObjectDiscovery):
    """CLEVR6 (CLEVR with masks, at most 6 objects, 128x128), K = 11."""

    name = "object-discovery/clevr"
    spec, prefix, imsize, n_clusters = specs.CLEVR, "clevr", 128, 11


class ObjectDiscoveryCLEVRTex(ObjectDiscovery):
    """CLEVRTex full / OOD / CAMO, centre crop 0.8 x the short side, 128 px, K = 11."""

    name = "object-discovery/clevrtex"
    datasets = (specs.CLEVRTEX.name,)
    n_clusters = 11
    source = ("CLEVRTex clevrtex_full, train split (images 20-100 %), centre crop 0.8 x the short "
              "side, 128 px")
    variants = {"train": ("full", "train"), "val": ("full", "val"), "test": ("full", "test"),
                "ood": ("outd", "test"), "camo": ("camo", "test")}
    reported = {"test": "", "ood": "ood_", "camo": "camo_"}  # split="all": metric name prefixes

    def dataset(self, split: str):
        """``train``, ``val``, ``test`` (clevrtex_full), ``ood`` (clevrtex_outd) or ``camo``."""
        from zoo_akorn.data.paper import CLEVRTexScenes

        if split not in self.variants:
            raise ValueError(f"unknown split {split!r}; expected one of {list(self.variants)}")
        variant, part = self.variants[split]
        return CLEVRTexScenes(dataset_root(specs.CLEVRTEX), specs.CLEVRTEX, variant=variant, split=part)

    def evaluate(self, model, *, split: str = "all", **kwargs) -> dict[str, float]:
        """FG-ARI and MBO on ``split``; ``"all"``: on test, ood and camo (``limit`` scenes of each)."""
        if split != "all":
            return super().evaluate(model, split=split, **kwargs)
        scores = {}
        for part, prefix in self.reported.items():
            scores.update({prefix + k: v for k, v in super().evaluate(model, split=part, **kwargs).items()})
        return scores


__all__ = ["ObjectDiscoveryCLEVRTex", "ObjectDiscoveryCLEVR", "ObjectDiscoveryTetrominoesPaper",
           "ObjectDiscoveryDSpritesPaper"]

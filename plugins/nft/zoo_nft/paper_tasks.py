"""The paper's image datasets, from the user's local copy in the official layout (nothing is downloaded).

* Rotated MNIST (``representation/rotated-mnist``; ``-occluded``: the official ``occ_rotmnist``):
  MNIST (zoo-msp's ``mnist`` dataset: torchvision's ``MNIST/raw`` idx files) at its native 28 px,
  out of domain FashionMNIST (``ood``) and KMNIST (``ood2``) test sets, each image rotated by
  ``U[0, 2 pi)`` (``zoo_nft.rotdigits.RotatedViews``), the same probe / angle error / PSNR as
  rotated digits.
* ModelNet10-SO3 (``novel-view-synthesis/modelnet10-so3``): the official tensors
  ``{split}_imgs.pt`` (uint8 ``[n, 3, 64, 64]``), ``_labels.pt``, ``_quats.pt`` (w, x, y, z),
  ``_label_index.pt`` (per orbit, its item indices), ``_len_index.pt``; inputs normalised by
  mean 0.9175 and std 0.1404 as officially.
* Complex BRDFs and ABO-Material: the folders as the official code leaves them after its first
  run (``meta.json`` and ``same_orbit_indexes.json`` (ABO: ``same_orbit_env_indexes.json``),
  which it writes with a random split, plus the images they list); rows ``[path, angle, class]``
  (BRDFs: 24 views on a circle, angle = view / 24 * 2 pi) and ``[path, quat, class, view, env]`` (ABO).

The novel-view tasks report the official validation numbers: ``psnr`` (``-10 log10`` of the
prediction MSE on the normalised images, ``mse2psnr``) and ``angle_err`` from the frequency-1
block, predicting one view from another of the same object.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path

import numpy as np
import torch

from zoo_core.data import DatasetSpec, dataset_root, reading, require
from zoo_nft.rotdigits import RotatedViewsTask

__all__ = ["FASHION_MNIST", "KMNIST", "MODELNET10_SO3", "COMPLEX_BRDFS", "ABO_MATERIAL", "read_idx",
           "RotatedMNISTTask", "OccludedRotatedMNISTTask", "ModelNet10SO3Task", "ComplexBRDFsTask", "ABOMaterialTask"]


def _idx_layout(folder: str) -> tuple[str, ...]:
    return tuple(f"{folder}/raw/{f}" for f in ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
                                               "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"))


FASHION_MNIST = DatasetSpec(
    name="fashion-mnist", title="Fashion-MNIST (Xiao et al., 2017)", url="https://github.com/zalandoresearch/fashion-mnist",
    layout=_idx_layout("FashionMNIST"), note="the folder torchvision.datasets.FashionMNIST(root) reads: the four "
                                             "idx files, uncompressed, under FashionMNIST/raw/")
KMNIST = DatasetSpec(
    name="kmnist", title="Kuzushiji-MNIST (Clanuwat et al., 2018)", url="https://github.com/rois-codh/kmnist",
    layout=_idx_layout("KMNIST"), note="the folder torchvision.datasets.KMNIST(root) reads: the four idx files, "
                                       "uncompressed, under KMNIST/raw/")
MODELNET10_SO3 = DatasetSpec(
    name="modelnet10-so3", title="ModelNet10-SO3 (Liao et al., 2019), 64 px, as the NFT authors' tensors",
    url="https://github.com/leoshine/Spherical_Regression#modelnet10-so3-dataset",
    layout=tuple(f"{s}_{f}.pt" for s in ("train", "test") for f in ("imgs", "labels", "quats", "label_index",
                                                                      "len_index")),
    note="per split the tensors the official SO3_ModelNet10 loads: imgs uint8 [n, 3, 64, 64], labels [n] "
         "(the object/orbit), quats [n, 4] (w, x, y, z), label_index (per object its item indices), len_index")
COMPLEX_BRDFS = DatasetSpec(
    name="complex-brdfs", title="Kubric complex BRDFs (24 views per object on a circle)",
    url="https://github.com/google-research/kubric/tree/main/challenges/complex_brdf",
    layout=("meta.json", "same_orbit_indexes.json"),
    note="class folders <id>/rgba_<view>.png plus the meta.json / same_orbit_indexes.json the official "
         "Complex_BRDFs writes on its first run (its random split; run it once, or write them in that format)")
ABO_MATERIAL = DatasetSpec(
    name="abo-material", title="ABO-Material (Collins et al., 2022)", url="https://amazon-berkeley-objects.s3.amazonaws.com/index.html",
    layout=("meta.json", "same_orbit_env_indexes.json"),
    note="the ABO material renders <class>/render/<env>/*_<view>.jpg with <class>/metadata.json, plus the meta.json "
         "/ same_orbit_env_indexes.json the official ABO_Material writes on its first run")


def read_idx(path: Path, spec: DatasetSpec) -> np.ndarray:
    """An uncompressed idx file (MNIST format) as a uint8 array."""
    with reading(path, spec):
        data = path.read_bytes()
        ndim = data[3]
        shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
        require(data[2] == 0x08 and len(data) == 4 + 4 * ndim + int(np.prod(shape)), path,
                f"expected a uint8 idx file of shape {shape}", spec)
        return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@lru_cache(maxsize=6)
def _idx_images(spec_name: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    from zoo_msp.datasets import MNIST

    spec, folder = {"mnist": (MNIST, "MNIST"), "fashion-mnist": (FASHION_MNIST, "FashionMNIST"),
                    "kmnist": (KMNIST, "KMNIST")}[spec_name]
    raw = dataset_root(spec) / folder / "raw"
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(raw / f"{prefix}-images-idx3-ubyte", spec)
    labels = read_idx(raw / f"{prefix}-labels-idx1-ubyte", spec)
    require(images.ndim == 3 and images.shape[1:] == (28, 28) and len(labels) == len(images),
            raw, f"expected 28x28 images with one label each, got {images.shape} and {labels.shape}", spec)
    return torch.from_numpy(images.copy()).float().div(255)[:, None], torch.from_numpy(labels.astype(np.int64))


class RotatedMNISTTask(RotatedViewsTask):
    """Official ``experiment=rot_mnist``: MNIST in domain, FashionMNIST (``ood``) and KMNIST (``ood2``) out of it."""

    name = "representation/rotated-mnist"
    datasets = ("mnist", "fashion-mnist", "kmnist")
    domains = ("in", "ood", "ood2")
    train_copies = 1

    def upright(self, domain: str, split: str):
        return _idx_images({"in": "mnist", "ood": "fashion-mnist", "ood2": "kmnist"}[domain], split)


class OccludedRotatedMNISTTask(RotatedMNISTTask):
    """Official ``experiment=occ_rotmnist``: the input views lose their top 14 rows and left 14 columns."""

    name = "representation/rotated-mnist-occluded"
    occlusion = True


def _psnr_of_mse(mse: torch.Tensor) -> float:
    return float(-10 * torch.log10(mse))


class _NovelViewTask:
    """Predict one view of an object from another; ``items(split)`` gives ``(images loader, params, orbits)``."""

    name = ""
    datasets: tuple[str, ...] = ()

    def pairs(self, split: str, limit: int | None, seed: int):
        """``(load, params, pairs)``: ``load(i)`` an image, ``params[i]`` its group parameter, pairs of the same orbit."""
        raise NotImplementedError

    def dataset(self, split: str):
        load, params, pairs = self.pairs(split, None, 0)
        return [((load(i), load(j)), (params[i], params[j])) for i, j in pairs]

    @torch.no_grad()
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, batch_size: int = 16) -> dict[str, float]:
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        model.eval()
        load, params, pairs = self.pairs("test", limit, seed)
        sq, n, err = 0.0, 0, 0.0
        for b in range(0, len(pairs), batch_size):
            chunk = pairs[b:b + batch_size]
            x0 = torch.stack([load(i) for i, _ in chunk])
            x1 = torch.stack([load(j) for _, j in chunk])
            g0 = torch.stack([torch.as_tensor(params[i], dtype=torch.float32) for i, _ in chunk])
            g1 = torch.stack([torch.as_tensor(params[j], dtype=torch.float32) for _, j in chunk])
            r = model.test_outputs([x0, x1], [g0, g1])
            sq += float(r["mse"]) * len(chunk)
            err += float(r["angle_err"]) * len(chunk)
            n += len(chunk)
        return {"psnr": round(_psnr_of_mse(torch.tensor(sq / n)), 3), "angle_err": round(err / n, 4)}


def _orbit_pairs(orbits: dict, limit: int | None, seed: int) -> list[tuple[int, int]]:
    rng = random.Random(seed)
    pairs = [(i, rng.choice(members)) for members in orbits.values() for i in members]
    rng.shuffle(pairs)
    return pairs[:limit] if limit else pairs


class ModelNet10SO3Task(_NovelViewTask):
    """Official ``experiment=modelnet``: ModelNet10-SO3 at 64 px, SO(3) poses as quaternions."""

    name = "novel-view-synthesis/modelnet10-so3"
    datasets = ("modelnet10-so3",)
    MEAN, STD = 0.9175, 0.1404

    def pairs(self, split, limit, seed):
        root = dataset_root(MODELNET10_SO3)
        split = "train" if split == "train" else "test"
        with reading(root / f"{split}_imgs.pt", MODELNET10_SO3) as p:
            imgs = torch.load(p, map_location="cpu", weights_only=True)
        with reading(root / f"{split}_quats.pt", MODELNET10_SO3) as p:
            quats = torch.load(p, map_location="cpu", weights_only=True)
        with reading(root / f"{split}_labels.pt", MODELNET10_SO3) as p:
            labels = torch.load(p, map_location="cpu", weights_only=True)
        require(imgs.ndim == 4 and imgs.shape[1] == 3 and len(quats) == len(imgs) == len(labels) and
                quats.shape[-1] == 4, root, f"expected imgs [n, 3, H, W], quats [n, 4] and labels [n], got "
                f"{list(imgs.shape)}, {list(quats.shape)}, {list(labels.shape)}", MODELNET10_SO3)
        orbits: dict = {}
        for i, y in enumerate(labels.tolist()):
            orbits.setdefault(y, []).append(i)
        return (lambda i: (imgs[i].float() / 255 - self.MEAN) / self.STD), quats, _orbit_pairs(orbits, limit, seed)


class _MetaTask(_NovelViewTask):
    """Datasets listed by the official ``meta.json``: rows ``[path, param, class, ...]`` per split."""

    spec: DatasetSpec
    orbit_file = "same_orbit_indexes.json"
    MEAN: tuple = ()
    STD: tuple = ()

    def image(self, path: Path) -> torch.Tensor:
        raise NotImplementedError

    def pairs(self, split, limit, seed):
        root = dataset_root(self.spec)
        with reading(root / "meta.json", self.spec) as p:
            rows = json.loads(p.read_text())[split]
        with reading(root / self.orbit_file, self.spec) as p:
            orbits = json.loads(p.read_text())[split]
        mean, std = torch.tensor(self.MEAN)[:, None, None], torch.tensor(self.STD)[:, None, None]

        def load(i):
            path = root / rows[i][0].split(f"{self.spec.name}/")[-1]
            with reading(path if path.exists() else root / rows[i][0], self.spec) as p:
                return (self.image(p) - mean) / std
        return load, [r[1] for r in rows], _orbit_pairs(orbits, limit, seed)


class ComplexBRDFsTask(_MetaTask):
    """Official ``experiment=complex_brdfs``: 224 px centre crop, SO(2) angle of the view on its circle."""

    name = "novel-view-synthesis/complex-brdfs"
    datasets = ("complex-brdfs",)
    spec = COMPLEX_BRDFS
    MEAN = (0.5309793427511269, 0.5324581989949121, 0.5237872483632515)
    STD = (0.07268445847356028, 0.05977585285135131, 0.07597311825112561)

    def image(self, path):
        from PIL import Image
        from torchvision.transforms.functional import center_crop, to_tensor

        return center_crop(to_tensor(Image.open(path).convert("RGB")), [224, 224])


class ABOMaterialTask(_MetaTask):
    """Official ``experiment=abo_material``: renders resized to 224 px, SO(3) camera rotation as a quaternion."""

    name = "novel-view-synthesis/abo-material"
    datasets = ("abo-material",)
    spec = ABO_MATERIAL
    orbit_file = "same_orbit_env_indexes.json"
    MEAN = (0.4805061522282336, 0.43533766334187535, 0.3734930638441261)
    STD = (0.25286933313903676, 0.24991655845206148, 0.24874472049456617)

    def image(self, path):
        from PIL import Image
        from torchvision.transforms.functional import resize, to_tensor

        return to_tensor(resize(Image.open(path).convert("RGB"), 224))

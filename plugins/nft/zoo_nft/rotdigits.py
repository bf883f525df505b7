"""Rotated digits: the procedural stand-in for the official rotated MNIST (``Rot_MNIST``), and its task.

Data (offline): zoo-msp's public ``zoo_msp.data.digit_images`` (scikit-learn's 1,797 bundled
8x8 digits upsampled to 24x24 and padded to 32x32; its split: index % 5 == 0 is test), centre
cropped to 28x28 (the digit keeps a 2-pixel margin), so the official ``conv28`` backbone fits.
Each item is ``num_views + 1`` copies of one digit, each rotated counter-clockwise by its own
angle ``U[0, 2 pi)`` (official ``num_views = 1``: an input view and a target view), the angles in
radians, and the label. Rotation: bilinear resampling about the image centre with zero fill
(the official ``TF.rotate`` uses nearest-neighbour). ``occlusion`` zeroes the top 14 rows and
the left 14 columns of the input views, not of the target (official ``occ_rotmnist``);
``stationary`` draws MSP-style angles ``(i + 1) * base``, ``base ~ U[-pi/2, pi/2]`` (for MSP-AE).

Out-of-domain set (our choice; the official one is rotated FashionMNIST / KMNIST, i.e. unseen
image classes): the encoders are trained on the digits 0-4 only (``classes="in"``), and
``ood`` is the rotated digits 5-9, which they never saw. The probe for ``ood`` is fitted on
the train-split digits 5-9 and tested on the test-split ones.

Angles and (for the fixed splits) item order are drawn from a seed, so a split is the same every run.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

__all__ = ["rotate", "digits", "RotatedViews", "RotatedDigits", "RotatedViewsTask", "RotatedDigitsTask", "IN_CLASSES", "OOD_CLASSES", "SIZE",
           "features_of", "probe_accuracy", "psnr"]

SIZE = 28
IN_CLASSES = (0, 1, 2, 3, 4)
OOD_CLASSES = (5, 6, 7, 8, 9)
CLASSES = {"in": IN_CLASSES, "ood": OOD_CLASSES, "all": tuple(range(10))}
OCCLUSION = 14


def rotate(images: torch.Tensor, angles: torch.Tensor) -> torch.Tensor:
    """Rotate ``[B, C, H, W]`` images counter-clockwise (as displayed) by ``angles`` ``[B]`` radians, bilinear, zero fill."""
    c, s = torch.cos(angles), torch.sin(angles)
    # affine_grid maps output coords to input coords: rotating the content by +a samples at R(-a) (y axis down).
    theta = torch.stack([torch.stack([c, -s, torch.zeros_like(c)], -1), torch.stack([s, c, torch.zeros_like(c)], -1)], -2)
    grid = F.affine_grid(theta.to(images.dtype), list(images.shape), align_corners=False)
    return F.grid_sample(images, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def digits(split: str, classes: str = "all") -> tuple[torch.Tensor, torch.Tensor]:
    """Upright 28x28 digits ``[n, 1, 28, 28]`` in [0, 1] and labels of ``split`` (train/test) and ``classes``."""
    from zoo_msp.data import digit_images

    if classes not in CLASSES:
        raise ValueError(f"classes must be one of {sorted(CLASSES)}, got {classes!r}")
    images, labels = digit_images(split)
    keep = torch.isin(labels, torch.tensor(CLASSES[classes]))
    return images[keep][:, None, 2:30, 2:30].contiguous(), labels[keep]


class RotatedViews(torch.utils.data.Dataset):
    """``(views [V+1, C, H, W], angles [V+1], label)``: one upright image seen at ``num_views + 1`` angles.

    Args:
        images, labels: the upright images ``[n, C, H, W]`` in [0, 1] and their labels.
        num_views: input views per item (the target view comes last).
        copies: items per image (each with its own angles).
        occlusion, stationary: see the module doc.
        seed: the angles' seed.
    """

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, *, num_views: int = 1, copies: int = 1,
                 occlusion: bool = False, stationary: bool = False, seed: int = 0):
        if num_views < 1 or copies < 1:
            raise ValueError(f"num_views and copies must be >= 1, got {num_views}, {copies}")
        if images.ndim != 4 or len(images) != len(labels) or len(images) == 0:
            raise ValueError(f"images must be [n >= 1, C, H, W] with one label each, got {list(images.shape)} "
                             f"and {len(labels)} labels")
        self.images, self.labels = images, labels
        self.num_views, self.occlusion = num_views, occlusion
        n = len(self.labels) * copies
        g = torch.Generator().manual_seed(seed)
        self.index = torch.arange(n) % len(self.labels)
        if stationary:
            base = (torch.rand(n, 1, generator=g) - 0.5) * math.pi
            self.angles = base * torch.arange(1, num_views + 2)
        else:
            self.angles = torch.rand(n, num_views + 1, generator=g) * 2 * math.pi

    def __len__(self) -> int:
        return len(self.index)

    def views(self, idx: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Items ``idx`` stacked: ``[n, V+1, C, H, W]``, ``[n, V+1]``, ``[n]``."""
        base, angles = self.images[self.index[idx]], self.angles[idx]
        n, V = angles.shape
        x = rotate(base.repeat_interleave(V, 0), angles.reshape(-1)).reshape(n, V, *base.shape[1:])
        if self.occlusion:
            x = x.clone()
            x[:, :-1, :, :OCCLUSION, :] = 0
            x[:, :-1, :, :, :OCCLUSION] = 0
        return x, angles, self.labels[self.index[idx]]

    def __getitem__(self, i: int):
        x, a, y = self.views(torch.tensor([i]))
        return x[0], a[0], y[0]

    def tensors(self, limit: int | None = None):
        n = len(self) if limit is None else min(limit, len(self))
        return self.views(torch.arange(n))


class RotatedDigits(RotatedViews):
    """Rotated digits of ``split`` (``"train"``/``"test"``) and ``classes`` (``"in"`` 0-4, ``"ood"`` 5-9, ``"all"``);
    the other arguments are ``RotatedViews``'s."""

    def __init__(self, split: str = "train", classes: str = "in", **kwargs):
        super().__init__(*digits(split, classes), **kwargs)


@torch.no_grad()
def features_of(model, images: torch.Tensor, *, invariant: bool = False, batch_size: int = 512) -> torch.Tensor:
    """The model's probe features of ``images`` (``features``, or ``invariant_features`` where asked and defined)."""
    model.eval()
    fn = model.invariant_features if invariant and hasattr(model, "invariant_features") else model.features
    return torch.cat([fn(images[i:i + batch_size]) for i in range(0, len(images), batch_size)])


def probe_accuracy(model, train: RotatedViews, test: RotatedViews, *, invariant: bool = False,
                   limit: int | None = None) -> float:
    """Linear probe (zoo_core.probe: StandardScaler + LogisticRegression C 0.1) on the first view of each item."""
    from zoo_core.probe import linear_probe

    (xtr, _, ytr), (xte, _, yte) = train.tensors(limit), test.tensors(limit)
    return linear_probe(features_of(model, xtr[:, 0], invariant=invariant), ytr,
                        features_of(model, xte[:, 0], invariant=invariant), yte)


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR in dB of images in [0, 1] over the whole batch (torchmetrics; official ``mse2psnr`` of the mean MSE)."""
    from torchmetrics.functional.image import peak_signal_noise_ratio

    return float(peak_signal_noise_ratio(pred.clamp(0, 1), target, data_range=1.0))


class RotatedViewsTask:
    """Probe in and out of domain, angle error and view PSNR; a subclass says where the upright images come from.

    ``upright(domain, split)`` returns ``(images [n, C, H, W], labels)`` for a domain of ``domains``
    (the first is the training domain) and split ``train``/``test``.
    """

    name = ""
    domains: tuple[str, ...] = ("in", "ood")
    train_copies = 20
    occlusion = False

    def upright(self, domain: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def dataset(self, split: str) -> RotatedViews:
        """``train`` (training domain, ``train_copies`` angle draws per image), ``test`` (its test images,
        4 draws), and one test split per out-of-domain set (``ood``, ...)."""
        if split == "train":
            return RotatedViews(*self.upright(self.domains[0], "train"), copies=self.train_copies,
                                occlusion=self.occlusion, seed=0)
        domain = self.domains[0] if split == "test" else split
        if domain not in self.domains:
            raise ValueError(f"split must be one of {['train', 'test', *self.domains[1:]]}, got {split!r}")
        return RotatedViews(*self.upright(domain, "test"), copies=4, occlusion=self.occlusion,
                            seed=1 + self.domains.index(domain))

    def _probe(self, model, domain: str, *, invariant: bool, seed: int, limit: int | None) -> float:
        train = RotatedViews(*self.upright(domain, "train"), occlusion=self.occlusion, seed=100 + seed)
        test = RotatedViews(*self.upright(domain, "test"), occlusion=self.occlusion, seed=200 + seed)
        return probe_accuracy(model, train, test, invariant=invariant, limit=limit)

    @torch.no_grad()
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        """``probe_acc`` (training domain) and ``probe_acc_<ood>`` per out-of-domain set, on flattened features
        (the official protocol), the same on invariant features where the model has them (``*_invariant``),
        and for models that predict views (g-NFT): ``psnr`` / ``psnr_<ood>`` of the predicted target view and
        ``angle_err`` / ``angle_err_<ood>`` (mean ``1 - cos(theta - theta_hat)``, theta_hat from the
        frequency-1 block). A probe is fitted on a domain's train images and scored on its test images."""
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be >= 1, got {limit}")
        model.eval()
        out = {}
        for i, domain in enumerate(self.domains):
            suffix = "" if i == 0 else f"_{domain}"
            out["probe_acc" + suffix] = round(self._probe(model, domain, invariant=False, seed=seed, limit=limit), 4)
            if hasattr(model, "invariant_features"):
                out[f"probe_acc{suffix}_invariant"] = round(
                    self._probe(model, domain, invariant=True, seed=seed, limit=limit), 4)
            if hasattr(model, "test_outputs"):
                x, a, _ = self.dataset("test" if i == 0 else domain).tensors(limit)
                r = model.test_outputs(list(x.unbind(1)), list(a.unbind(1)))
                out["psnr" + suffix] = round(psnr(r["prediction"], x[:, -1]), 3)
                out["angle_err" + suffix] = round(float(r["angle_err"]), 4)
        return out


class RotatedDigitsTask(RotatedViewsTask):
    """Rotated digits: train on digits 0-4, out of domain = the unseen digits 5-9 (see the module doc)."""

    name = "representation/rotated-digits"

    def upright(self, domain: str, split: str):
        return digits(split, domain)

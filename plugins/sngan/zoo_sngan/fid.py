"""Frechet distance between feature statistics, and a digits-FID metric.

The Frechet distance between Gaussians N(mu1, S1) and N(mu2, S2) (Heusel et al., 2017) is::

    d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))

computed here in float64 with ``scipy.linalg.sqrtm`` (the pytorch-fid formulation,
including its small diagonal offset when the product is near singular). Inception weights
cannot be downloaded on the project machines, so the digits metric uses a small CNN
(:class:`DigitsFeatureNet`) trained on the digits train split by
:func:`train_digits_feature_net`; its 64-d penultimate layer gives the features. Numbers
computed this way are **digits-FID**, not comparable to Inception FID.

Example::

    >>> import torch
    >>> metric = FrechetDistance(torch.nn.Flatten())
    >>> metric.update(torch.randn(100, 2, 2, 2), real=True)
    >>> metric.update(torch.randn(100, 2, 2, 2) + 1, real=False)
    >>> float(metric.compute()) > 4
    True
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

__all__ = ["frechet_distance", "FrechetDistance", "InceptionFeatures", "load_inception", "DigitsFeatureNet",
           "train_feature_net", "train_digits_feature_net", "train_fontdigits_feature_net",
           "digits_fid"]


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray,
                     *, eps: float = 1e-6) -> float:
    """Frechet distance between N(mu1, sigma1) and N(mu2, sigma2) (float64, scipy sqrtm).

    Raises:
        ValueError: shapes disagree, or the matrix square root has a large imaginary part.
    """
    from scipy import linalg

    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1 = np.atleast_2d(np.asarray(sigma1, np.float64))
    sigma2 = np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (mu1.size,) * 2:
        raise ValueError(f"Shapes disagree: mu {mu1.shape} vs {mu2.shape}, "
                         f"sigma {sigma1.shape} vs {sigma2.shape}")
    diff = mu1 - mu2
    covmean = linalg.sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(sigma1.shape[0]) * eps
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"Imaginary component {np.max(np.abs(covmean.imag))} in the matrix "
                             f"square root; use more samples")
        covmean = covmean.real
    return float(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * np.trace(covmean))


class FrechetDistance(nn.Module):
    """Frechet distance between features of real and generated images (update/compute/reset,
    torchmetrics-compatible).

    Args:
        feature_extractor: maps an image batch to ``(B, D)`` features (run under no_grad
            in eval mode).
    """

    def __init__(self, feature_extractor: nn.Module) -> None:
        super().__init__()
        self.feature_extractor = feature_extractor
        self.reset()

    def reset(self) -> None:
        """Forget all accumulated statistics."""
        self._stats = {True: None, False: None}

    @torch.no_grad()
    def update(self, images: Tensor, real: bool) -> None:
        """Accumulate feature sums of a batch of real (``real=True``) or generated images."""
        self.feature_extractor.eval()
        f = self.feature_extractor(images).double().flatten(1)
        n, s, ss = self._stats[real] or (0, 0.0, 0.0)
        self._stats[real] = (n + f.shape[0], s + f.sum(0), ss + f.T @ f)

    def _moments(self, real: bool) -> tuple[np.ndarray, np.ndarray]:
        if self._stats[real] is None or self._stats[real][0] < 2:
            raise ValueError(f"Need at least 2 {'real' if real else 'generated'} samples; "
                             f"call update(..., real={real}) first")
        n, s, ss = self._stats[real]
        mu = s / n
        cov = (ss - n * torch.outer(mu, mu)) / (n - 1)
        return mu.cpu().numpy(), cov.cpu().numpy()

    def compute(self) -> Tensor:
        """The Frechet distance (float64 scalar tensor)."""
        return torch.tensor(frechet_distance(*self._moments(True), *self._moments(False)),
                            dtype=torch.float64)


class InceptionFeatures(nn.Module):
    """Pool features (2048-d) of torchvision's Inception-v3, for real FID/IS on natural images.

    The project machines cannot download Inception weights, so the caller passes a local file:
    torchvision's ``inception_v3_google-0cc3c7bd.pth`` (or that state dict as safetensors; read
    with ``torch.load(weights_only=True)``). Images in [-1, 1] are resized to 299x299
    bilinearly and fed as they are: [-1, 1] is the input these Google weights were trained on
    (what torchvision's ``transform_input=True`` makes of ImageNet-normalised input).
    Note: the TF-Inception weights behind the published FID numbers differ slightly from
    torchvision's, so values are comparable with each other, not with papers.

    Args:
        weights: the local weights file.
        logits: return ``(pool features, 1000 logits)`` instead of the features alone.

    Example::

        fid = FrechetDistance(InceptionFeatures("inception_v3_google-0cc3c7bd.pth"))
    """

    num_features = 2048

    def __init__(self, weights: str, *, logits: bool = False) -> None:
        super().__init__()
        from pathlib import Path

        from torchvision.models import inception_v3

        path = Path(weights)
        if not path.is_file():
            raise FileNotFoundError(f"Inception-v3 weights not found at {path}; save torchvision's "
                                    "inception_v3 state dict there (safetensors or .pth)")
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(str(path))
        else:
            state = torch.load(str(path), map_location="cpu", weights_only=True)
        self.net = inception_v3(weights=None, aux_logits=True, init_weights=False, transform_input=False)
        self.net.load_state_dict(state)
        self.fc, self.net.fc = self.net.fc, nn.Identity()
        self.logits = logits
        self.eval()

    def forward(self, images: Tensor) -> Tensor | tuple[Tensor, Tensor]:
        x = F.interpolate(images, size=(299, 299), mode="bilinear", align_corners=False)
        out = self.net(x)
        pool = out.logits if hasattr(out, "logits") else out
        return (pool, self.fc(pool)) if self.logits else pool


def load_inception(path: str | Path) -> nn.Module:
    """The Inception network in the user's local file, as a module mapping images in [-1, 1]
    to ``(pool features (B, D), logits (B, K))``, in eval mode.

    ``*.pt``: a TorchScript module with that signature (``torch.jit.save``; any port of the
    Inception network, e.g. the TF-FID weights, can be wrapped so). Otherwise: torchvision's
    Inception-v3 state dict (:class:`InceptionFeatures`).
    """
    path = Path(path)
    if path.suffix == ".pt":
        return torch.jit.load(str(path), map_location="cpu").eval()
    return InceptionFeatures(str(path), logits=True)


class DigitsFeatureNet(nn.Module):
    """Small CNN classifier of 32x32 digit images; ``forward`` returns 64-d features,
    ``classify`` the 10 logits. Input in [-1, 1], 3 channels."""

    num_features = 64

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(3, 32, 3, 2, 1), nn.ReLU(),     # 16x16
            nn.Conv2d(32, 64, 3, 2, 1), nn.ReLU(),    # 8x8
            nn.Conv2d(64, 64, 3, 2, 1), nn.ReLU(),    # 4x4
            nn.AdaptiveAvgPool2d(1), nn.Flatten())
        self.head = nn.Linear(64, 10)

    def forward(self, x: Tensor) -> Tensor:
        return self.body(x)

    def classify(self, x: Tensor) -> Tensor:
        """Class logits ``(B, 10)``."""
        return self.head(self.body(x))


def train_feature_net(images: Tensor, labels: Tensor, *, epochs: int, seed: int = 0,
                      batch_size: int = 64, lr: float = 2e-3) -> DigitsFeatureNet:
    """Train a :class:`DigitsFeatureNet` classifier on ``images`` (B, 3, 32, 32) in [-1, 1]
    (Adam, cross-entropy, seeded)."""
    g = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    net = DigitsFeatureNet()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    for _ in range(epochs):
        for idx in torch.randperm(len(labels), generator=g).split(batch_size):
            loss = F.cross_entropy(net.classify(images[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return net.eval()


def train_digits_feature_net(*, epochs: int = 30, seed: int = 0) -> DigitsFeatureNet:
    """Train :class:`DigitsFeatureNet` on the digits train split (seeded; ~seconds on CPU)."""
    from zoo_sngan.data import digits32_tensors

    return train_feature_net(*digits32_tensors("train"), epochs=epochs, seed=seed)


def train_fontdigits_feature_net(*, epochs: int = 4, seed: int = 0) -> DigitsFeatureNet:
    """Train :class:`DigitsFeatureNet` on the fontdigits32 train split (seeded; ~half a minute)."""
    from zoo_sngan.fontdigits import font_digits32_tensors

    return train_feature_net(*font_digits32_tensors("train"), epochs=epochs, seed=seed)


@torch.no_grad()
def digits_fid(model, feature_net: DigitsFeatureNet, *, n_fake: int = 1000,
               split: str = "test", batch_size: int = 250, seed: int = 0) -> float:
    """Digits-FID of ``model.sample`` (eval mode) against a real digits split."""
    from zoo_sngan.data import digits32_tensors

    metric = FrechetDistance(feature_net)
    real, _ = digits32_tensors(split)
    for chunk in real.split(batch_size):
        metric.update(chunk, real=True)
    model.eval()
    gen = torch.Generator().manual_seed(seed)
    for start in range(0, n_fake, batch_size):
        metric.update(model.sample(min(batch_size, n_fake - start), generator=gen), real=False)
    return float(metric.compute())

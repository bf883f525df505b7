"""The "standard CNN" of SN-GAN (arXiv:1802.05957, Table 3 / Appendix B): a DCGAN-style
generator and the SN-DCGAN discriminator.

Official code: https://github.com/pfnet-research/chainer-gan-lib (``common/net.py``:
``DCGANGenerator``, ``SNDCGANDiscriminator``; MIT), the code the SN-GAN authors point to for
the standard-CNN CIFAR-10 results. Details kept from that code:

* all weights N(0, 0.02), zero biases; batch norm ``eps = 2e-5`` (Chainer), the first BN
  acting on the flat linear output (``bottom_width^2 * ch`` features);
* z ~ U(-1, 1) (``z_distribution="uniform"``, the code's default);
* Chainer ``leaky_relu`` default slope 0.2 in the discriminator (the paper's table says
  0.1; ``leaky_slope`` selects either).

Generator::

    z -> fc -> BN -> ReLU -> (B, ch, w, w) -> [deconv4x4 s2 -> BN -> ReLU] x3 -> deconv3x3 -> tanh

Discriminator (every conv spectrally normalized, LeakyReLU after each)::

    conv3x3 (ch/8) conv4x4s2 (ch/4) conv3x3 (ch/4) conv4x4s2 (ch/2) conv3x3 (ch/2)
    conv4x4s2 (ch) conv3x3 (ch) -> flatten -> SNLinear(w*w*ch -> 1)
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_core.interfaces import Model

from zoo_sngan.layers import CHAINER_BN_EPS, SNConv2d, SNLinear
from zoo_sngan.layers.spectral_norm import Semantics
from zoo_sngan.models.resnet import _check_z_distribution, check_labels

__all__ = ["DCGANGenerator", "SNDCGANDiscriminator"]


def _normal(module: nn.Module, std: float) -> nn.Module:
    nn.init.normal_(module.weight, 0.0, std)
    if module.bias is not None:
        nn.init.zeros_(module.bias)
    return module


class DCGANGenerator(Model):
    """Standard-CNN generator (official ``DCGANGenerator``).

    Args:
        dim_z: latent size (128).
        bottom_width: spatial size after the linear layer (4 -> 32 px, 6 -> 48 px).
        ch: width after the linear layer (512); halves at each up-sampling.
        n_classes: must be 0 (the standard CNN is unconditional).
        bn_eps: batch-norm epsilon (2e-5).
        init_std: std of the N(0, std) weight init (0.02).
        z_distribution: ``"uniform"`` (official) or ``"normal"``.
    """

    def __init__(self, *, dim_z: int = 128, bottom_width: int = 4, ch: int = 512,
                 n_classes: int = 0, bn_eps: float = CHAINER_BN_EPS, init_std: float = 0.02,
                 z_distribution: str = "uniform") -> None:
        super().__init__()
        if n_classes != 0:
            raise ValueError("The standard-CNN generator is unconditional: n_classes must be 0")
        if ch % 8:
            raise ValueError(f"ch must be divisible by 8, got {ch}")
        _check_z_distribution(z_distribution)
        self.dim_z, self.bottom_width, self.ch, self.n_classes = dim_z, bottom_width, ch, 0
        self.z_distribution = z_distribution
        self.fc = _normal(nn.Linear(dim_z, bottom_width ** 2 * ch), init_std)
        self.bn0 = nn.BatchNorm1d(bottom_width ** 2 * ch, eps=bn_eps)
        self.dc1 = _normal(nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1), init_std)
        self.bn1 = nn.BatchNorm2d(ch // 2, eps=bn_eps)
        self.dc2 = _normal(nn.ConvTranspose2d(ch // 2, ch // 4, 4, 2, 1), init_std)
        self.bn2 = nn.BatchNorm2d(ch // 4, eps=bn_eps)
        self.dc3 = _normal(nn.ConvTranspose2d(ch // 4, ch // 8, 4, 2, 1), init_std)
        self.bn3 = nn.BatchNorm2d(ch // 8, eps=bn_eps)
        self.dc4 = _normal(nn.ConvTranspose2d(ch // 8, 3, 3, 1, 1), init_std)

    @property
    def image_size(self) -> int:
        """Side of the generated images."""
        return self.bottom_width * 8

    def forward(self, z: Tensor, y: Tensor | None = None) -> Tensor:
        """Images in [-1, 1], ``(B, 3, 8w, 8w)``, from ``z`` ``(B, dim_z)``."""
        if z.dim() != 2 or z.shape[1] != self.dim_z:
            raise ValueError(f"z must have shape (B, {self.dim_z}), got {tuple(z.shape)}")
        check_labels(y, 0, z.shape[0])
        h = F.relu(self.bn0(self.fc(z))).view(-1, self.ch, self.bottom_width, self.bottom_width)
        h = F.relu(self.bn1(self.dc1(h)))
        h = F.relu(self.bn2(self.dc2(h)))
        h = F.relu(self.bn3(self.dc3(h)))
        return torch.tanh(self.dc4(h))


class SNDCGANDiscriminator(Model):
    """Standard-CNN discriminator with spectral normalization (official ``SNDCGANDiscriminator``).

    Args:
        bottom_width: spatial size before the linear head (4 for 32 px, 6 for 48 px).
        ch: widest channel count (512).
        n_classes: must be 0.
        leaky_slope: LeakyReLU slope (0.2 = Chainer default used by the official code).
        init_std: N(0, std) init (0.02).
        sn_semantics: ``"chainer"``, ``"torch"`` or ``"none"`` (no SN: ablation).
    """

    def __init__(self, *, bottom_width: int = 4, ch: int = 512, n_classes: int = 0,
                 leaky_slope: float = 0.2, init_std: float = 0.02,
                 sn_semantics: Semantics = "chainer") -> None:
        super().__init__()
        if n_classes != 0:
            raise ValueError("The standard-CNN discriminator is unconditional: n_classes must be 0")
        self.n_classes, self.leaky_slope = 0, leaky_slope
        widths = [3, ch // 8, ch // 4, ch // 4, ch // 2, ch // 2, ch, ch]
        shapes = [(3, 1, 1), (4, 2, 1)] * 3 + [(3, 1, 1)]
        self.convs = nn.ModuleList(
            _normal(SNConv2d(cin, cout, k, s, p, semantics=sn_semantics), init_std)
            for cin, cout, (k, s, p) in zip(widths[:-1], widths[1:], shapes))
        self.fc = _normal(SNLinear(bottom_width ** 2 * ch, 1, semantics=sn_semantics), init_std)
        for m in [*self.convs, self.fc]:
            m.reset_spectral_norm()

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Logits ``(B, 1)``."""
        check_labels(y, 0, x.shape[0])
        h = x
        for conv in self.convs:
            h = F.leaky_relu(conv(h), self.leaky_slope)
        return self.fc(h.flatten(1))

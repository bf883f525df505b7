"""ResNet generator and SN discriminator of SN-GAN and the projection-discriminator cGAN.

Papers: T. Miyato, T. Kataoka, M. Koyama, Y. Yoshida, "Spectral Normalization for Generative
Adversarial Networks", ICLR 2018, arXiv:1802.05957 (Appendix B.4, ResNet architectures);
T. Miyato, M. Koyama, "cGANs with Projection Discriminator", ICLR 2018, arXiv:1802.05637
(Eq. 3, the projection head). Official code (Chainer, MIT):
https://github.com/pfnet-research/sngan_projection (``gen_models/``, ``dis_models/``).

Faithful details of the official code kept here:

* batch norm ``eps = 2e-5`` (Chainer default), conditional BN per class in every generator
  block, unconditional BN before the RGB convolution;
* nearest-neighbour x2 upsampling inside the generator blocks;
* discriminator blocks with ``hidden = in_channels``, 2x2 average pooling after the second
  conv, and **global sum pooling** (not mean) before the linear head;
* Glorot-uniform init with gain sqrt(2) for residual convs, gain 1 for shortcuts and heads,
  zero biases.

Dataflow (generator)::

    z (B, dim_z) -> fc -> reshape (B, C0, w, w) -> blocks[0..] (x2 each) -> bn_out -> ReLU
      -> conv_out -> tanh -> image (B, 3, w * 2^n, w * 2^n)

Dataflow (discriminator, projection head of Eq. 3 in arXiv:1802.05637)::

    x -> blocks (first is the "optimized" block) -> ReLU -> sum over H, W -> h
    D(x, y) = fc(h) + <embed(y), h>
"""

from __future__ import annotations

import math
from typing import Callable, Literal, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from zoo_core.interfaces import Model

from zoo_sngan.layers import CHAINER_BN_EPS, CategoricalConditionalBatchNorm2d, SNConv2d
from zoo_sngan.layers import SNEmbedding, SNLinear
from zoo_sngan.layers.spectral_norm import Semantics

__all__ = ["GBlock", "DBlock", "DOptimizedBlock", "ResNetGenerator", "ResNetDiscriminator",
           "sample_z", "check_labels"]

_SQRT2 = math.sqrt(2.0)


# ----------------------------------------------------------------------------- helpers

def _glorot(module: nn.Module, gain: float) -> nn.Module:
    """Chainer ``GlorotUniform(scale=gain)`` == ``xavier_uniform_(gain=gain)``; zero bias."""
    nn.init.xavier_uniform_(module.weight, gain=gain)
    if getattr(module, "bias", None) is not None:
        nn.init.zeros_(module.bias)
    return module


def _upsample(x: Tensor) -> Tensor:
    """Nearest-neighbour x2 (Chainer ``unpooling_2d(ksize=2)``)."""
    return F.interpolate(x, scale_factor=2, mode="nearest")


def _downsample(x: Tensor) -> Tensor:
    """2x2 average pooling."""
    return F.avg_pool2d(x, 2)


Z_DISTRIBUTIONS = ("normal", "uniform")


def _check_z_distribution(name: str) -> None:
    if name not in Z_DISTRIBUTIONS:
        raise ValueError(f"Unknown z distribution {name!r}; use one of {Z_DISTRIBUTIONS}")


def sample_z(n: int, dim_z: int, *, distribution: str = "normal", device=None,
             dtype=None, generator: torch.Generator | None = None) -> Tensor:
    """Latent codes ``(n, dim_z)``: N(0, I) (``"normal"``) or U(-1, 1) (``"uniform"``)."""
    if distribution == "normal":
        return torch.randn(n, dim_z, device=device, dtype=dtype, generator=generator)
    if distribution == "uniform":
        return torch.rand(n, dim_z, device=device, dtype=dtype, generator=generator) * 2 - 1
    _check_z_distribution(distribution)
    raise AssertionError("unreachable")


def check_labels(y: Tensor | None, n_classes: int, batch: int) -> None:
    """Validate integer class labels for a model with ``n_classes`` classes (0 = none)."""
    if n_classes == 0:
        if y is not None:
            raise ValueError("This model is unconditional (n_classes=0); do not pass labels")
        return
    if y is None:
        raise ValueError(f"This model is class-conditional (n_classes={n_classes}); "
                         f"pass labels y of shape ({batch},)")
    if y.shape[0] != batch:
        raise ValueError(f"Got {y.shape[0]} labels for a batch of {batch}")
    if y.is_floating_point() or y.is_meta or y.numel() == 0:
        return  # class mixtures are validated by the CBN layer
    lo, hi = int(y.min()), int(y.max())
    if lo < 0 or hi >= n_classes:
        raise ValueError(f"Labels must lie in [0, {n_classes}); got values in [{lo}, {hi}]")


# ----------------------------------------------------------------------------- blocks

class GBlock(nn.Module):
    """Generator residual block (official ``gen_models/resblocks.py:Block``).

    residual: BN(in) -> ReLU -> up x2 -> conv3x3(in->hidden) -> BN(hidden) -> ReLU
    -> conv3x3(hidden->out); shortcut: up x2 -> conv1x1(in->out). BNs are categorical
    conditional when ``n_classes > 0``.
    """

    def __init__(self, in_channels: int, out_channels: int, *, hidden_channels: int | None = None,
                 upsample: bool = True, n_classes: int = 0, bn_eps: float = CHAINER_BN_EPS) -> None:
        super().__init__()
        hidden = out_channels if hidden_channels is None else hidden_channels
        self.upsample = upsample
        self.conditional = n_classes > 0
        self.b1 = self._bn(in_channels, n_classes, bn_eps)
        self.c1 = _glorot(nn.Conv2d(in_channels, hidden, 3, padding=1), _SQRT2)
        self.b2 = self._bn(hidden, n_classes, bn_eps)
        self.c2 = _glorot(nn.Conv2d(hidden, out_channels, 3, padding=1), _SQRT2)
        self.c_sc = None
        if in_channels != out_channels or upsample:
            self.c_sc = _glorot(nn.Conv2d(in_channels, out_channels, 1), 1.0)

    @staticmethod
    def _bn(channels: int, n_classes: int, eps: float) -> nn.Module:
        if n_classes > 0:
            return CategoricalConditionalBatchNorm2d(channels, n_classes=n_classes, eps=eps)
        return nn.BatchNorm2d(channels, eps=eps)

    def _norm(self, bn: nn.Module, h: Tensor, y: Tensor | None, weights: Tensor | None) -> Tensor:
        return bn(h, y, weights) if self.conditional else bn(h)

    def forward(self, x: Tensor, y: Tensor | None = None, weights: Tensor | None = None, *,
                y2: Tensor | None = None) -> Tensor:
        """``y`` conditions both BNs; ``y2``, when given, the second one (b2, after the
        upsampling) instead: per-layer labels, e.g. per-pixel class maps of two resolutions."""
        h = F.relu(self._norm(self.b1, x, y, weights))
        if self.upsample:
            h = _upsample(h)
        h = self.c1(h)
        h = F.relu(self._norm(self.b2, h, y if y2 is None else y2, weights))
        h = self.c2(h)
        sc = x
        if self.c_sc is not None:
            # conv1x1 then upsample == upsample then conv1x1 (pointwise conv), 4x cheaper
            sc = self.c_sc(x)
            if self.upsample:
                sc = _upsample(sc)
        return h + sc


class DBlock(nn.Module):
    """Discriminator residual block (official ``dis_models/resblocks.py:Block``).

    residual: ReLU -> SNconv3x3(in->hidden) -> ReLU -> SNconv3x3(hidden->out) -> [avgpool];
    shortcut: SNconv1x1(in->out) -> [avgpool] when the shape changes, identity otherwise.
    ``hidden = in_channels`` in the official code (``hidden="in"``).
    """

    def __init__(self, in_channels: int, out_channels: int, *, downsample: bool,
                 hidden: Literal["in", "out"] = "in", sn_semantics: Semantics = "chainer") -> None:
        super().__init__()
        if hidden not in ("in", "out"):
            raise ValueError(f"hidden must be 'in' or 'out', got {hidden!r}")
        mid = in_channels if hidden == "in" else out_channels
        sn = dict(semantics=sn_semantics)
        self.downsample = downsample
        self.c1 = _glorot(SNConv2d(in_channels, mid, 3, padding=1, **sn), _SQRT2)
        self.c2 = _glorot(SNConv2d(mid, out_channels, 3, padding=1, **sn), _SQRT2)
        self.c_sc = None
        if in_channels != out_channels or downsample:
            self.c_sc = _glorot(SNConv2d(in_channels, out_channels, 1, **sn), 1.0)
        for m in (self.c1, self.c2, self.c_sc):
            if m is not None:
                m.reset_spectral_norm()  # warm-up (torch semantics) uses the final weights

    def forward(self, x: Tensor) -> Tensor:
        h = self.c2(F.relu(self.c1(F.relu(x))))
        sc = x if self.c_sc is None else self.c_sc(x)
        if self.downsample:
            h, sc = _downsample(h), (_downsample(sc) if self.c_sc is not None else sc)
        return h + sc


class DOptimizedBlock(nn.Module):
    """First discriminator block (official ``OptimizedBlock``): no pre-activation.

    residual: SNconv3x3 -> ReLU -> SNconv3x3 -> avgpool; shortcut: avgpool -> SNconv1x1.
    """

    def __init__(self, in_channels: int, out_channels: int, *,
                 sn_semantics: Semantics = "chainer") -> None:
        super().__init__()
        sn = dict(semantics=sn_semantics)
        self.c1 = _glorot(SNConv2d(in_channels, out_channels, 3, padding=1, **sn), _SQRT2)
        self.c2 = _glorot(SNConv2d(out_channels, out_channels, 3, padding=1, **sn), _SQRT2)
        self.c_sc = _glorot(SNConv2d(in_channels, out_channels, 1, **sn), 1.0)
        for m in (self.c1, self.c2, self.c_sc):
            m.reset_spectral_norm()

    def forward(self, x: Tensor) -> Tensor:
        h = _downsample(self.c2(F.relu(self.c1(x))))
        return h + self.c_sc(_downsample(x))


# ----------------------------------------------------------------------------- models

class ResNetGenerator(Model):
    """SN-GAN / projection-cGAN ResNet generator.

    Args:
        channels: ``[C0, C1, ..., Cn]``: ``C0`` is the width after the linear layer, each
            following entry the output width of one up-sampling block (e.g. ImageNet 128:
            ``[1024, 1024, 512, 256, 128, 64]``; CIFAR-10: ``[256, 256, 256, 256]``).
        dim_z: latent size (128).
        bottom_width: spatial size after the linear layer (4 for 32/128 px, 6 for 48 px).
        n_classes: 0 for unconditional; else every block BN is categorical conditional.
        bn_eps: batch-norm epsilon (Chainer's 2e-5).
        z_distribution: ``"normal"`` (official ResNets) or ``"uniform"``.
    """

    def __init__(self, *, channels: Sequence[int], dim_z: int = 128, bottom_width: int = 4,
                 n_classes: int = 0, bn_eps: float = CHAINER_BN_EPS,
                 z_distribution: str = "normal") -> None:
        super().__init__()
        channels = [int(c) for c in channels]
        if len(channels) < 2:
            raise ValueError(f"channels needs at least 2 entries (linear width + one block), "
                             f"got {channels}")
        _check_z_distribution(z_distribution)
        self.dim_z, self.bottom_width, self.n_classes = dim_z, bottom_width, n_classes
        self.z_distribution = z_distribution
        self.fc = _glorot(nn.Linear(dim_z, bottom_width ** 2 * channels[0]), 1.0)
        self.blocks = nn.ModuleList(
            GBlock(cin, cout, upsample=True, n_classes=n_classes, bn_eps=bn_eps)
            for cin, cout in zip(channels[:-1], channels[1:]))
        self.bn_out = nn.BatchNorm2d(channels[-1], eps=bn_eps)
        self.conv_out = _glorot(nn.Conv2d(channels[-1], 3, 3, padding=1), 1.0)

    @property
    def image_size(self) -> int:
        """Side of the generated images."""
        return self.bottom_width * 2 ** len(self.blocks)

    @property
    def layer_sizes(self) -> list[int]:
        """Resolution of each conditional BN, in order (block k: b1 at its input size, b2 after
        its upsampling), e.g. ``[4, 8, 8, 16, 16, 32]`` for 32 px: the sizes of per-layer
        class maps (``layer_labels``)."""
        sizes = []
        for k, block in enumerate(self.blocks):
            s = self.bottom_width * 2 ** k
            sizes += [s, s * 2 if block.upsample else s]
        return sizes

    def forward(self, z: Tensor, y: Tensor | None = None, weights: Tensor | None = None, *,
                layer_labels: Sequence[Tensor] | None = None,
                feature_hook: Callable[[int, Tensor], Tensor] | None = None) -> Tensor:
        """Images in [-1, 1] of shape ``(B, 3, S, S)`` from latents ``z`` ``(B, dim_z)``.

        Args:
            y: labels ``(B,)`` (required iff ``n_classes > 0``), or a class mixture as
                accepted by :class:`CategoricalConditionalBatchNorm2d` (with ``weights``),
                including per-pixel mixtures ``(B, n_classes, H, W)``.
            layer_labels: one label argument per conditional BN (``2 * len(blocks)``, in the
                order of :attr:`layer_sizes`), replacing ``y`` layer by layer: per-pixel class
                maps of each resolution give spatial CBN (sCBN, arXiv:1811.10153).
            feature_hook: called as ``h = feature_hook(i, h)`` on the features after the
                linear layer (``i = 0``) and after block ``i`` (``i = 1..len(blocks)``); its
                return value continues (feature blending edits features here).
        """
        if z.dim() != 2 or z.shape[1] != self.dim_z:
            raise ValueError(f"z must have shape (B, {self.dim_z}), got {tuple(z.shape)}")
        if layer_labels is not None:
            layer_labels = list(layer_labels)
            if not self.n_classes or len(layer_labels) != 2 * len(self.blocks):
                raise ValueError(f"layer_labels needs one entry per conditional BN "
                                 f"({2 * len(self.blocks)} for this conditional generator), got "
                                 f"{len(layer_labels)}" + ("" if self.n_classes else
                                                           " (the generator is unconditional)"))
            for label in layer_labels:
                check_labels(label, self.n_classes, z.shape[0])
        else:
            check_labels(y, self.n_classes, z.shape[0])
        h = self.fc(z).view(z.shape[0], -1, self.bottom_width, self.bottom_width)
        if feature_hook is not None:
            h = feature_hook(0, h)
        for k, block in enumerate(self.blocks):
            if layer_labels is None:
                h = block(h, y, weights)
            else:
                h = block(h, layer_labels[2 * k], weights, y2=layer_labels[2 * k + 1])
            if feature_hook is not None:
                h = feature_hook(k + 1, h)
        return torch.tanh(self.conv_out(F.relu(self.bn_out(h))))


class ResNetDiscriminator(Model):
    """SN-GAN ResNet discriminator with optional projection (or concat) class conditioning.

    Args:
        channels: output width of each block; the first block is the optimized block.
            ImageNet 128: ``[64, 128, 256, 512, 1024, 1024]``; CIFAR-10: ``[128]*4``.
        downsample: one flag per block (the first must be True).
        n_classes: 0 for unconditional.
        conditioning: ``"projection"`` (Eq. 3: ``fc(h) + <embed(y), h>``) or ``"concat"``
            (the ImageNet baseline ``SNResNetConcatDiscriminator``: a broadcast
            ``concat_dim``-d class embedding is concatenated to the input of block
            ``concat_index``; no projection term).
        head_bias: bias in the final SN linear layer (False for the CIFAR-10 nets).
        hidden: ``"in"`` (official sngan_projection) or ``"out"`` (neural-collage 256 px).
        concat_dim, concat_index: see ``conditioning``.
        sn_semantics: ``"chainer"`` (official), ``"torch"``, or ``"none"`` (no SN: ablation); see
            :mod:`zoo_sngan.layers.spectral_norm`.
    """

    def __init__(self, *, channels: Sequence[int], downsample: Sequence[bool], n_classes: int = 0,
                 conditioning: Literal["projection", "concat"] = "projection",
                 head_bias: bool = True, hidden: Literal["in", "out"] = "in",
                 concat_dim: int = 128, concat_index: int = 3,
                 sn_semantics: Semantics = "chainer") -> None:
        super().__init__()
        channels, downsample = [int(c) for c in channels], [bool(d) for d in downsample]
        if len(channels) != len(downsample) or not channels:
            raise ValueError(f"channels and downsample need the same non-zero length; got "
                             f"{len(channels)} and {len(downsample)}")
        if not downsample[0]:
            raise ValueError("The first (optimized) block always downsamples: downsample[0] "
                             "must be True")
        if conditioning not in ("projection", "concat"):
            raise ValueError(f"conditioning must be 'projection' or 'concat', got {conditioning!r}")
        if conditioning == "concat" and not (n_classes > 0 and 1 <= concat_index < len(channels)):
            raise ValueError(f"concat conditioning needs n_classes > 0 and 1 <= concat_index < "
                             f"{len(channels)}; got n_classes={n_classes}, "
                             f"concat_index={concat_index}")
        self.n_classes, self.conditioning = n_classes, conditioning
        self.concat_index = concat_index if conditioning == "concat" else None
        sn = dict(sn_semantics=sn_semantics)
        blocks: list[nn.Module] = [DOptimizedBlock(3, channels[0], **sn)]
        for i in range(1, len(channels)):
            cin = channels[i - 1] + (concat_dim if i == self.concat_index else 0)
            blocks.append(DBlock(cin, channels[i], downsample=downsample[i], hidden=hidden, **sn))
        self.blocks = nn.ModuleList(blocks)
        self.fc = _glorot(SNLinear(channels[-1], 1, bias=head_bias, semantics=sn_semantics), 1.0)
        self.embed = None
        if n_classes > 0:
            dim = concat_dim if conditioning == "concat" else channels[-1]
            self.embed = _glorot(SNEmbedding(n_classes, dim, semantics=sn_semantics), 1.0)
        for m in (self.fc, self.embed):
            if m is not None:
                m.reset_spectral_norm()

    def features(self, x: Tensor, y: Tensor | None = None, *, pool: bool = True) -> Tensor:
        """``h``: ReLU then global **sum** pooling of the last block, ``(B, C)``; with
        ``pool=False`` the ReLU'd last-block map ``(B, C, H, W)`` (the official
        ``feature_vector`` of neural-collage, used for manifold projection)."""
        h = x
        for i, block in enumerate(self.blocks):
            if i == self.concat_index:
                if y is None:
                    raise ValueError("The concat discriminator needs labels y")
                e = self.embed(y)[:, :, None, None].expand(-1, -1, *h.shape[2:])
                h = torch.cat([h, e], dim=1)
            h = block(h)
        h = F.relu(h)
        return h.sum(dim=(2, 3)) if pool else h

    def forward(self, x: Tensor, y: Tensor | None = None) -> Tensor:
        """Logits ``(B, 1)``. With ``y=None`` the projection term is left out (as official)."""
        if y is not None:
            check_labels(y, self.n_classes, x.shape[0])
        h = self.features(x, y)
        out = self.fc(h)
        if y is not None and self.conditioning == "projection":
            out = out + (self.embed(y) * h).sum(dim=1, keepdim=True)  # Eq. 3
        return out

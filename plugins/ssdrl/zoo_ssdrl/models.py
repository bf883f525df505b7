"""The classifiers of pfnet-research/ssdrl (``classifiers/*.py``), and a small MLP for two-moons.

* :class:`MNISTClassifier` (``classifiers/mnistcnn.py``): three 4x4 stride-2 convolutions
  (1 -> ch -> 2ch -> 4ch), ELU in the paper's runs ("the assumption in DRL requires
  smoothness"), no batch norm, global average pooling, a linear layer to the logits. The
  pooling makes it take any input size: the paper feeds 28x28 MNIST, the digits task 8x8.
* :class:`ConvLarge` (``svhncnn.py`` / ``cifar10cnn.py``): the 9-layer "conv-large" net
  (3x[3x3 ch] - max-pool - dropout 0.5 - 3x[3x3 2ch] - max-pool - dropout 0.5 - 3x3 4ch valid -
  1x1 2ch - 1x1 ch - GAP - linear), every conv followed by BN and ReLU. ``bn_logits=True`` is
  the SVHN net (a BN on the 10 logits); CIFAR-10's has none.
* :class:`MoonsMLP`: the two-moons picture's classifier (not from the paper; ELU, as above).

Kept from Chainer: weights Glorot-uniform, biases zero; BN ``eps=2e-5`` and running averages
with decay 0.9 (PyTorch ``momentum=0.1``); dropout only in training mode. Chainer keeps a BN's
running variance at zero before training, PyTorch at one: a converted snapshot carries its own.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.interfaces import Model

__all__ = ["MNISTClassifier", "ConvLarge", "MoonsMLP", "ACTIVATIONS"]

ACTIVATIONS = {"relu": F.relu, "elu": F.elu, "lrelu": lambda x: F.leaky_relu(x, 0.1)}


def _activation(name: str):
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def _glorot(module: nn.Module) -> None:
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)


def _bn(channels: int) -> nn.BatchNorm2d:
    return nn.BatchNorm2d(channels, eps=2e-5, momentum=0.1)


class _Classifier(Model):
    """Shared input check: ``[B, channels, H, W]`` float images, B >= 1."""

    in_channels = 1
    n_classes = 10

    def _check(self, x: torch.Tensor) -> None:
        if not torch.is_tensor(x) or x.dim() != 4 or x.shape[1] != self.in_channels or x.shape[0] == 0:
            shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"{type(self).__name__} expects a non-empty batch of images "
                             f"[B, {self.in_channels}, H, W], got {shape}")
        if not x.is_floating_point():
            raise ValueError(f"{type(self).__name__} expects float images (the official x/128 - 1 "
                             f"scaling, values in [-1, 1]), got {x.dtype}")


class MNISTClassifier(_Classifier):
    """Logits ``[B, n_classes]`` of grey images ``[B, 1, H, W]`` in [-1, 1] (H, W >= 2)."""

    def __init__(self, *, ch: int = 64, n_classes: int = 10, activation: str = "elu",
                 bn: bool = False, example_size: int = 28):
        super().__init__()
        self.n_classes, self.example_size = n_classes, example_size
        self.act = _activation(activation)
        self.c0 = nn.Conv2d(1, ch, 4, 2, 1)
        self.c1 = nn.Conv2d(ch, ch * 2, 4, 2, 1)
        self.c2 = nn.Conv2d(ch * 2, ch * 4, 4, 2, 1)
        self.l3 = nn.Linear(ch * 4, n_classes)
        # The official bn=True uses Chainer's stock BN (not the one that honours frozen stats).
        self.b0, self.b1, self.b2 = ((_bn(ch), _bn(ch * 2), _bn(ch * 4)) if bn
                                     else (nn.Identity(), nn.Identity(), nn.Identity()))
        _glorot(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        h = self.act(self.b0(self.c0(x)))
        h = self.act(self.b1(self.c1(h)))
        h = self.act(self.b2(self.c2(h)))
        return self.l3(h.mean(dim=(2, 3)))

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, 1, self.example_size, self.example_size) * 2 - 1,)


class ConvLarge(_Classifier):
    """Logits ``[B, n_classes]`` of colour images ``[B, 3, 32, 32]`` (SVHN: [-1, 1]; CIFAR-10: ZCA)."""

    in_channels = 3

    def __init__(self, *, ch: int = 128, n_classes: int = 10, activation: str = "relu",
                 bn: bool = True, bn_logits: bool = False, dropout: float = 0.5):
        super().__init__()
        self.n_classes, self.dropout = n_classes, dropout
        self.act = _activation(activation)
        widths = [(3, ch, 3, 1), (ch, ch, 3, 1), (ch, ch, 3, 1),
                  (ch, 2 * ch, 3, 1), (2 * ch, 2 * ch, 3, 1), (2 * ch, 2 * ch, 3, 1),
                  (2 * ch, 4 * ch, 3, 0), (4 * ch, 2 * ch, 1, 0), (2 * ch, ch, 1, 0)]
        self.convs = nn.ModuleList(nn.Conv2d(i, o, k, 1, p) for i, o, k, p in widths)
        self.bns = nn.ModuleList(_bn(o) if bn else nn.Identity() for _, o, _, _ in widths)
        self.l3 = nn.Linear(ch, n_classes)
        self.b3 = nn.BatchNorm1d(n_classes, eps=2e-5, momentum=0.1) if bn and bn_logits else nn.Identity()
        _glorot(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x)
        h = x
        for i, (conv, bn) in enumerate(zip(self.convs, self.bns)):
            h = self.act(bn(conv(h)))
            if i in (2, 5):
                h = F.dropout(F.max_pool2d(h, 2), self.dropout, self.training)
        return self.b3(self.l3(h.mean(dim=(2, 3))))

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, 3, 32, 32) * 2 - 1,)


class MoonsMLP(Model):
    """Logits ``[B, 2]`` of points ``[B, 2]``: two hidden ELU layers."""

    n_classes = 2

    def __init__(self, *, hidden: int = 64, n_classes: int = 2):
        super().__init__()
        self.n_classes = n_classes
        self.net = nn.Sequential(nn.Linear(2, hidden), nn.ELU(), nn.Linear(hidden, hidden), nn.ELU(),
                                 nn.Linear(hidden, n_classes))
        _glorot(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not torch.is_tensor(x) or x.dim() != 2 or x.shape[1] != 2 or x.shape[0] == 0 or not x.is_floating_point():
            shape = tuple(x.shape) if torch.is_tensor(x) else type(x).__name__
            raise ValueError(f"MoonsMLP expects a non-empty float batch of points [B, 2], got {shape}")
        return self.net(x)

    def example_inputs(self, batch_size: int = 2):
        return (torch.randn(batch_size, 2),)

"""AKOrN for image classification (CIFAR-10; official ``models/classification/knet.py``).

Dataflow (attribute names in brackets)::

    image in [0, 1] --(x - .5) / .5--> [conv0] 3x3 --> c      x_0 ~ N(0, I) (``generator``)
    for l in 0..L-1:  (l >= 1) x, c = [blocks.l.transition](x), [blocks.l.transition](c)
                                      (ONE stride-2 conv applied to both, as in the official code)
                      states = [blocks.l.kuramoto](x, c; T_l, [gamma])   conv J, global Omega, GroupNorm c
                      x = states[-1]
                      c = readout block: [readout] (ro_N, 3x3) -> c + FF(c) -> BN-ReLU-conv
    logits = [out](avgpool(c))

The official state dict stores the shared transition conv twice; ``zoo_akorn.convert``
keeps one copy (after checking both are equal).
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from zoo_core.interfaces import Model

from zoo_akorn.models.kuramoto import KuramotoLayer
from zoo_akorn.models.layers import ReadOut, conv_nhwc


def _per_layer(value: Any, L: int) -> list:
    """Official ``_expand_param``: a list of length L is kept, any other list gives [first] * L."""
    if isinstance(value, (list, tuple)):
        return list(value) if len(value) == L else [value[0]] * L
    return [value] * L


class NormReLUConv(nn.Module):
    """``conv(relu(norm(x)))`` on channel-last maps (official ``BNReLUConv2d``)."""

    def __init__(self, *, inch: int, outch: int, kernel_size: int, norm: str | None) -> None:
        super().__init__()
        if norm == "bn":
            self.norm = nn.BatchNorm2d(inch)
        elif norm == "gn":
            self.norm = nn.GroupNorm(8, inch)
        elif norm is None or norm == "none":
            self.norm = None
        else:
            raise ValueError(f"norm must be 'bn', 'gn' or None, got {norm!r}")
        self.conv = nn.Conv2d(inch, outch, kernel_size, 1, kernel_size // 2)

    def forward(self, x: Tensor) -> Tensor:
        if self.norm is not None:
            x = self.norm(x.permute(0, 3, 1, 2)).permute(0, 2, 3, 1)
        return conv_nhwc(F.relu(x), self.conv.weight, self.conv.bias, padding=self.conv.padding[0])


class ClassifierBlock(nn.Module):
    """Transition conv, Kuramoto layer and readout block of one stage."""

    def __init__(self, *, transition: nn.Conv2d | None, kuramoto: KuramotoLayer, ch: int, ro_N: int,
                 ro_ksize: int, norm: str | None) -> None:
        super().__init__()
        self.transition, self.kuramoto = transition, kuramoto
        self.readout = ReadOut(inch=ch, outch=ch, M=ro_N, kernel_size=ro_ksize)
        self.ff1 = NormReLUConv(inch=ch, outch=ch, kernel_size=ro_ksize, norm=norm)
        self.ff2 = NormReLUConv(inch=ch, outch=ch, kernel_size=ro_ksize, norm=norm)
        self.proj = NormReLUConv(inch=ch, outch=ch, kernel_size=ro_ksize, norm=norm)

    def transit(self, z: Tensor) -> Tensor:
        """The shared stride-2 transition conv (identity in the first stage), channel-last."""
        if self.transition is None:
            return z
        t = self.transition
        return conv_nhwc(z, t.weight, t.bias, stride=t.stride[0], padding=t.padding[0])

    def read(self, x: Tensor) -> Tensor:
        """Readout block: ReadOut -> c + FF(c) -> norm-ReLU-conv."""
        c = self.readout(x)
        c = c + self.ff2(self.ff1(c))
        return self.proj(c)


class AKOrNClassifier(Model):
    """AKOrN image classifier; keyword arguments match the official constructor.

    Example::

        model = AKOrNClassifier(n=2, ch=8, L=2, T=1, ksizes=[3, 3])
        logits = model(torch.rand(2, 3, 32, 32), generator=torch.Generator().manual_seed(0))
    """

    zoo_stochastic = True

    def __init__(
        self,
        *,
        n: int | list[int] = 4,
        ch: int = 64,
        out_classes: int = 10,
        L: int = 3,
        T: int | list[int] = 3,
        J: str | list[str] = "conv",
        ksizes: int | list[int] = (9, 7, 5),
        ro_ksize: int = 3,
        ro_N: int | list[int] = 2,
        norm: str | None = "bn",
        c_norm: str | None = "gn",
        gamma: float = 1.0,
        use_omega: bool = True,
        init_omg: float = 1.0,
        global_omg: bool = True,
        learn_omg: bool = True,
        ensemble: int = 1,
    ) -> None:
        super().__init__()
        self.L, self.ensemble = L, ensemble
        self.ns, self.T = _per_layer(n, L), _per_layer(T, L)
        Js, ks, roNs = _per_layer(J, L), _per_layer(ksizes, L), _per_layer(ro_N, L)
        strides = [2, 2, 2] + [1] * (L - 3)
        chs = [ch * 2 ** i for i in range(L)]
        hws = [(32 // 2 ** i, 32 // 2 ** i) if i < 3 else (8, 8) for i in range(L)]
        self.gamma = nn.Parameter(torch.tensor([float(gamma)]), requires_grad=False)
        self.conv0 = nn.Conv2d(3, chs[0], 3, 1, 1, bias=False)
        self.blocks = nn.ModuleList()
        for l in range(L):
            transition = None if l == 0 else nn.Conv2d(chs[l - 1], chs[l], ro_ksize, strides[l], ro_ksize // 2)
            kuramoto = KuramotoLayer(n=self.ns[l], ch=chs[l], J=Js[l], c_norm=c_norm, use_omega=use_omega,
                                     init_omg=init_omg, global_omg=global_omg, learn_omg=learn_omg,
                                     ksize=ks[l], hw=hws[l])
            self.blocks.append(ClassifierBlock(transition=transition, kuramoto=kuramoto, ch=chs[l], ro_N=roNs[l],
                                               ro_ksize=ro_ksize, norm=norm))
        self.out = nn.Linear(chs[-1], out_classes)

    def example_inputs(self, batch_size: int = 2) -> dict:
        """A small valid input: ``{"images": [B, 3, 32, 32]}`` in [0, 1] (the oscillators then start from the global RNG; pass ``generator=`` to fix them)."""
        g = torch.Generator().manual_seed(0)
        return {"images": torch.rand(batch_size, 3, 32, 32, generator=g)}

    def run(self, images: Tensor, *, generator: torch.Generator | None = None, x0: Tensor | None = None) -> dict[str, Any]:
        """All outputs of one pass: ``logits``, ``states``, ``energies`` (per block ``[T + 1, B]``)."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"AKOrNClassifier expects images [B, 3, H, W] in [0, 1], got {tuple(images.shape)}")
        c = self.conv0((images - 0.5) / 0.5)
        x = torch.randn(c.shape, generator=generator, device=c.device, dtype=c.dtype) if x0 is None else x0
        c, x = c.permute(0, 2, 3, 1).contiguous(), x.permute(0, 2, 3, 1).contiguous()
        states, energies = [], []
        for l, block in enumerate(self.blocks):
            x, c = block.transit(x), block.transit(c)
            xs, es = block.kuramoto(x, c, T=self.T[l], gamma=self.gamma)
            states.append(xs)
            energies.append(es)
            x = xs[-1]
            c = block.read(x)
        return {"logits": self.out(c.mean(dim=(1, 2))), "states": states, "energies": energies}

    def forward(self, images: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """Class logits ``[B, out_classes]``; averaged over ``ensemble`` random initial states."""
        if self.ensemble == 1:
            return self.run(images, generator=generator)["logits"]
        return torch.stack([self.run(images, generator=generator)["logits"] for _ in range(self.ensemble)]).mean(0)


__all__ = ["AKOrNClassifier", "ClassifierBlock", "NormReLUConv"]

"""AKOrN for unsupervised object discovery (arXiv:2410.13821; official ``models/objs/knet.py``).

Dataflow (attribute names in brackets)::

    image in [0, 1] --(x - .5) / .5--> [patchify] conv psize/psize --> c_0        [B, C, h, w]
    x_0 ~ N(0, I) (the ``generator`` argument)                                    [B, C, h, w]
    (gta=False: c_0 += [pos_c], x_0 += [pos_x], learnable sin/cos codes)
    for l in 1..L:   states = [blocks.l.kuramoto](x, c; T, [gamma])    Kuramoto steps
                     x = states[-1];  c = [blocks.l.readout](x)         invariant readout
                     x = [blocks.l.lin_x](x)   (use_ro_x, not after the last block)
    features = c  (the map used for clustering)
    out = [head](maxpool(c))   MLP used for the SimCLR objective

Keys differ from the official state dict only by name (see ``zoo_akorn.convert``).
"""

from __future__ import annotations

from typing import Any, Literal

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from zoo_core.interfaces import Model

from zoo_akorn.models.kuramoto import KuramotoLayer
from zoo_akorn.models.layers import ReadOut, conv_nhwc, positional_encoding_2d


class AKOrNBlock(nn.Module):
    """One AKOrN block: Kuramoto layer, readout and optional linear map of ``x``."""

    def __init__(self, *, kuramoto: KuramotoLayer, readout: nn.Module | None, lin_x: nn.Module | None) -> None:
        super().__init__()
        self.kuramoto, self.readout, self.lin_x = kuramoto, readout, lin_x


class AKOrN(Model):
    """AKOrN object-discovery model; keyword arguments match the official constructor.

    Args:
        n: oscillator dimension N.
        ch: channels C.
        L: number of blocks.
        T: Kuramoto steps per block (int or one per block).
        psize: patch size of the patchify convolution.
        gta: learnable GTA in the attention connectivity (else absolute sin/cos codes).
        J: connectivity, ``"attn"`` or ``"conv"`` (or one per block).
        ksize: conv connectivity kernel size.
        c_norm: ``"gn"``, ``"sandb"`` or ``"none"``.
        gamma: step size (a frozen parameter).
        imsize: training image size (sets the token grid of GTA and position codes).
        use_omega, init_omg, global_omg, learn_omg: natural frequencies.
        maxpool: max (True) or average pooling before the head.
        project: tangent-space projection.
        heads: attention heads.
        use_ro_x: a 1x1 conv on ``x`` between blocks.
        no_ro: ablation without readout (``c = x``).
        autorescale: resize inputs to ``imsize`` bilinearly.

    Example::

        model = AKOrN(n=4, ch=32, L=1, T=2, psize=4, imsize=16, heads=4, c_norm="none")
        emb = model(torch.rand(2, 3, 16, 16), generator=torch.Generator().manual_seed(0))
    """

    zoo_stochastic = True

    def __init__(
        self,
        *,
        n: int = 4,
        ch: int = 256,
        L: int = 1,
        T: int | list[int] = 8,
        psize: int = 4,
        gta: bool = True,
        J: str | list[str] = "attn",
        ksize: int = 1,
        c_norm: str | None = "gn",
        gamma: float = 1.0,
        imsize: int = 128,
        use_omega: bool = False,
        init_omg: float = 1.0,
        global_omg: bool = False,
        maxpool: bool = True,
        project: bool = True,
        heads: int = 8,
        use_ro_x: bool = False,
        learn_omg: bool = True,
        no_ro: bool = False,
        autorescale: bool = True,
    ) -> None:
        super().__init__()
        self.n, self.ch, self.L, self.psize, self.imsize = n, ch, L, psize, imsize
        self.autorescale, self.maxpool = autorescale, maxpool
        self.T = [T] * L if isinstance(T, int) else list(T)
        Js = [J] * L if isinstance(J, str) else list(J)
        if len(self.T) != L or len(Js) != L:
            raise ValueError(f"AKOrN: T and J must be one value or a list of L={L} values, got T={T!r}, J={J!r}")
        hw = imsize // psize
        self.patchify = nn.Conv2d(3, ch, psize, psize)
        if not gta:
            self.pos_x = nn.Parameter(positional_encoding_2d(ch, hw, hw))
            self.pos_c = nn.Parameter(positional_encoding_2d(ch, hw, hw))
        self.gamma = nn.Parameter(torch.tensor([float(gamma)]), requires_grad=False)
        self.blocks = nn.ModuleList()
        for l in range(L):
            kuramoto = KuramotoLayer(n=n, ch=ch, J=Js[l], c_norm=c_norm, use_omega=use_omega, init_omg=init_omg,
                                     global_omg=global_omg, learn_omg=learn_omg, ksize=ksize, gta=gta,
                                     hw=(hw, hw), heads=heads, project=project)
            readout = None if no_ro else ReadOut(inch=ch, outch=ch, M=n)
            lin_x = nn.Conv2d(ch, ch, 1) if use_ro_x and l < L - 1 else None
            self.blocks.append(AKOrNBlock(kuramoto=kuramoto, readout=readout, lin_x=lin_x))
        self.head = nn.Sequential(nn.Linear(ch, 4 * ch), nn.ReLU(), nn.Linear(4 * ch, ch))

    def example_inputs(self, batch_size: int = 2) -> dict:
        """A small valid input: ``{"images": [B, 3, imsize, imsize]}`` in [0, 1] (the oscillators
        then start from the global RNG; pass ``generator=`` to fix them)."""
        g = torch.Generator().manual_seed(0)
        return {"images": torch.rand(batch_size, 3, self.imsize, self.imsize, generator=g)}

    def initial_state(self, shape: tuple[int, ...], *, like: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Random oscillators ``x_0 ~ N(0, I)`` of NCHW ``shape`` (drawn as the official ``randn_like``)."""
        return torch.randn(shape, generator=generator, device=like.device, dtype=like.dtype)

    def run(self, images: Tensor, *, generator: torch.Generator | None = None, x0: Tensor | None = None) -> dict[str, Any]:
        """All outputs: ``out`` (head), ``features`` (last readout ``[B, C, h, w]``),
        ``x`` (last state ``[B, C, h, w]``), ``states`` (per block, the T states, NHWC)
        and ``energies`` (per block ``[T + 1, B]``)."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"AKOrN expects images [B, 3, H, W] in [0, 1], got shape {tuple(images.shape)}")
        if self.autorescale and images.shape[-2:] != (self.imsize, self.imsize):
            images = F.interpolate(images, (self.imsize, self.imsize), mode="bilinear")
        c = self.patchify((images - 0.5) / 0.5)                                   # c_0, NCHW
        x = self.initial_state(tuple(c.shape), like=c, generator=generator) if x0 is None else x0
        if hasattr(self, "pos_c"):
            c, x = c + self.pos_c, x + self.pos_x
        c, x = c.permute(0, 2, 3, 1).contiguous(), x.permute(0, 2, 3, 1).contiguous()  # NHWC
        states, energies = [], []
        for l, block in enumerate(self.blocks):
            xs, es = block.kuramoto(x, c, T=self.T[l], gamma=self.gamma)
            x = xs[-1]
            c = block.readout(x) if block.readout is not None else x
            if block.lin_x is not None:
                x = conv_nhwc(x, block.lin_x.weight, block.lin_x.bias)
            states.append(xs)
            energies.append(es)
        pooled = c.amax(dim=(1, 2)) if self.maxpool else c.mean(dim=(1, 2))
        return {"out": self.head(pooled), "features": c.permute(0, 3, 1, 2), "x": x.permute(0, 3, 1, 2),
                "states": states, "energies": energies}

    def forward(self, images: Tensor, *, generator: torch.Generator | None = None, x0: Tensor | None = None) -> Tensor:
        """The SimCLR embedding ``[B, C]`` of images ``[B, 3, H, W]`` in ``[0, 1]``."""
        return self.run(images, generator=generator, x0=x0)["out"]

    def features(self, images: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """The per-patch feature map ``[B, C, h, w]`` used for object discovery (last readout)."""
        return self.run(images, generator=generator)["features"]


__all__ = ["AKOrN", "AKOrNBlock"]

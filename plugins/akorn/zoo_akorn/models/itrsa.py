"""ItrSA / ViT baselines of the AKOrN paper (official ``models/objs/vit.py`` and
``models/sudoku/transformer.py``).

ItrSA ("iterative self-attention") repeats ``x <- x + Attn(LN(x))`` ``T`` times with shared
weights inside each block, then applies one MLP (``x <- x + MLP(LN(x))``). ``T = 1`` is a
plain ViT / Transformer. Attention uses the same interleaved head split as AKOrN.
"""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from zoo_core.interfaces import Model

from zoo_akorn.models.attention import Attention
from zoo_akorn.models.layers import positional_encoding_2d
from zoo_akorn.models.sudoku import onehot_to_digits


class ItrSABlock(nn.Module):
    """``T`` shared-weight pre-norm attention updates, then one pre-norm MLP (hidden ``mlp_dim``, GELU)."""

    def __init__(self, *, ch: int, heads: int, mlp_dim: int, gta: bool = False, hw: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.norm1 = nn.LayerNorm(ch)
        self.attn = Attention(ch=ch, heads=heads, gta=gta, hw=hw)
        self.norm2 = nn.LayerNorm(ch)
        self.mlp = nn.Sequential(nn.Linear(ch, mlp_dim), nn.GELU(), nn.Linear(mlp_dim, ch))

    def forward(self, x: Tensor, *, T: int, hw: tuple[int, int]) -> tuple[Tensor, list[Tensor]]:
        """Tokens ``[B, S, C]`` -> (tokens, the T intermediate states)."""
        prep = self.attn.prepare(hw if self.attn.gta else None)
        states = []
        for _ in range(T):
            x = x + self.attn(self.norm1(x), prep)
            states.append(x)
        return x + self.mlp(self.norm2(x)), states


class ItrSA(Model):
    """ItrSA / ViT for object discovery; keyword arguments match the official ``ViT`` constructor.

    The feature map used for clustering is the final LayerNorm output (official ``out[0]``).

    Example::

        model = ItrSA(imsize=16, psize=4, ch=32, blocks=1, heads=4, mlp_dim=64, T=2)
        emb = model(torch.rand(2, 3, 16, 16))
    """

    def __init__(
        self,
        *,
        imsize: int = 128,
        psize: int = 8,
        ch: int = 128,
        blocks: int = 1,
        heads: int = 4,
        mlp_dim: int = 256,
        T: int = 8,
        maxpool: bool = False,
        gta: bool = False,
        autorescale: bool = False,
    ) -> None:
        super().__init__()
        self.imsize, self.psize, self.ch, self.T, self.autorescale = imsize, psize, ch, T, autorescale
        self.maxpool = maxpool  # the official head max-pools in both cases
        hw = imsize // psize
        self.patchify = nn.Conv2d(3, ch, psize, psize)
        if not gta:
            self.pos_embed = nn.Parameter(positional_encoding_2d(ch, hw, hw))
        self.blocks = nn.ModuleList(ItrSABlock(ch=ch, heads=heads, mlp_dim=mlp_dim, gta=gta, hw=(hw, hw))
                                    for _ in range(blocks))
        self.out_norm = nn.LayerNorm(ch)
        self.head = nn.Sequential(nn.Linear(ch, 4 * ch), nn.ReLU(), nn.Linear(4 * ch, ch))

    def example_inputs(self, batch_size: int = 2) -> dict:
        """A small valid input: ``{"images": [B, 3, imsize, imsize]}`` in [0, 1]."""
        g = torch.Generator().manual_seed(0)
        return {"images": torch.rand(batch_size, 3, self.imsize, self.imsize, generator=g)}

    def run(self, images: Tensor) -> dict[str, Any]:
        """All outputs: ``out`` (head), ``features`` (``[B, C, h, w]``), ``states``."""
        if images.dim() != 4 or images.shape[1] != 3:
            raise ValueError(f"ItrSA expects images [B, 3, H, W] in [0, 1], got shape {tuple(images.shape)}")
        if self.autorescale and images.shape[-2:] != (self.imsize, self.imsize):
            images = F.interpolate(images, (self.imsize, self.imsize), mode="bilinear")
        x = self.patchify((images - 0.5) / 0.5)
        if hasattr(self, "pos_embed"):
            x = x + self.pos_embed
        B, C, h, w = x.shape
        x = x.flatten(2).transpose(1, 2)
        states = []
        for block in self.blocks:
            x, xs = block(x, T=self.T, hw=(h, w))
            states.append(xs)
        z = self.out_norm(x)
        return {"out": self.head(z.amax(1)), "features": z.transpose(1, 2).reshape(B, C, h, w), "states": states}

    def forward(self, images: Tensor) -> Tensor:
        """The SimCLR embedding ``[B, C]``."""
        return self.run(images)["out"]

    def features(self, images: Tensor, *, generator: torch.Generator | None = None) -> Tensor:
        """The per-patch feature map ``[B, C, h, w]`` (``generator`` is accepted and unused: deterministic)."""
        return self.run(images)["features"]


class SudokuItrSA(Model):
    """ItrSA / Transformer for Sudoku (official ``SudokuTransformer``; ``T=1, blocks=8`` = Transformer).

    Example::

        model = SudokuItrSA(ch=32, blocks=1, heads=4, mlp_dim=64, T=2)
        logits = model(torch.zeros(1, 9, 9, 9))   # [1, 9, 9, 9]
    """

    def __init__(self, *, ch: int = 64, blocks: int = 6, heads: int = 4, mlp_dim: int = 1024, T: int = 16,
                 gta: bool = False) -> None:
        super().__init__()
        self.T = T
        self.embedding = nn.Embedding(10, ch)
        if not gta:
            self.pos_embed = nn.Parameter(positional_encoding_2d(ch, 9, 9).flatten(1).transpose(0, 1))
        self.blocks = nn.ModuleList(ItrSABlock(ch=ch, heads=heads, mlp_dim=mlp_dim, gta=gta, hw=(9, 9))
                                    for _ in range(blocks))
        self.out_norm = nn.LayerNorm(ch)
        self.out = nn.Linear(ch, 9)

    def example_inputs(self, batch_size: int = 2) -> dict:
        """A small valid input: random one-hot boards ``[B, 9, 9, 9]`` with about 35% given cells."""
        g = torch.Generator().manual_seed(0)
        digits = torch.randint(0, 9, (batch_size, 9, 9), generator=g)
        given = torch.rand(batch_size, 9, 9, 1, generator=g) < 0.35
        return {"board": F.one_hot(digits, 9).float() * given}

    def forward(self, board: Tensor, is_input: Tensor | None = None, *, T: int | None = None) -> Tensor:
        """Digit logits ``[B, 9, 9, 9]`` for a one-hot board ``[B, 9, 9, 9]`` (``is_input`` unused, as officially)."""
        if board.dim() != 4 or board.shape[1:] != (9, 9, 9):
            raise ValueError(f"SudokuItrSA expects a one-hot board [B, 9, 9, 9], got shape {tuple(board.shape)}")
        B = board.shape[0]
        x = self.embedding(onehot_to_digits(board)).view(B, 81, -1)
        if hasattr(self, "pos_embed"):
            x = x + self.pos_embed
        for block in self.blocks:
            x, _ = block(x, T=self.T if T is None else T, hw=(9, 9))
        return self.out(self.out_norm(x)).view(B, 9, 9, 9)


__all__ = ["ItrSA", "SudokuItrSA", "ItrSABlock"]

"""The encoder of lasso-type contrastive learning (arXiv:2210.07413): an MLP from observations to
a latent split into ``n_blocks`` blocks of ``block_dim`` coordinates.

Which similarity it is trained with (group lasso, cosine, squared Euclidean) is a recipe setting
(``zoo_contrastive.recipes_lasso``), not part of the architecture; the blocks are the unit the
group-lasso distance sums over and the unit the evaluation reads (``zoo_contrastive.evaluation``).
"""

from __future__ import annotations

import torch
from torch import nn

from zoo_core.interfaces import Model

__all__ = ["BlockEncoder"]


class BlockEncoder(Model):
    """``x [B, obs_dim] -> z [B, n_blocks * block_dim]``: ``depth`` hidden layers of width
    ``hidden`` with leaky ReLU (slope 0.2), then a linear map (``depth=0``: a linear encoder).

    The constructor's keyword-only arguments are exactly the catalog entry's ``config``.
    """

    def __init__(self, *, obs_dim: int = 8, hidden: int = 64, depth: int = 2, n_blocks: int = 4, block_dim: int = 2):
        super().__init__()
        for key, v, low in (("obs_dim", obs_dim, 1), ("hidden", hidden, 1), ("depth", depth, 0),
                            ("n_blocks", n_blocks, 1), ("block_dim", block_dim, 1)):
            if isinstance(v, bool) or not isinstance(v, int) or v < low:
                raise ValueError(f"BlockEncoder: {key} must be an int >= {low}, got {v!r}")
        self.obs_dim, self.n_blocks, self.block_dim = obs_dim, n_blocks, block_dim
        layers, width = [], obs_dim
        for _ in range(depth):
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        self.net = nn.Sequential(*layers, nn.Linear(width, n_blocks * block_dim))

    @property
    def latent_dim(self) -> int:
        return self.n_blocks * self.block_dim

    @property
    def loss_blocks(self) -> int:
        """How many blocks the contrastive loss splits ``z`` into (``GroupedEncoder``: one per coordinate)."""
        return self.n_blocks

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 2 or x.shape[1] != self.obs_dim:
            raise ValueError(f"BlockEncoder expects observations of shape [B, {self.obs_dim}], got {tuple(x.shape)}")
        if not x.dtype.is_floating_point:
            raise TypeError(f"BlockEncoder expects floating-point observations, got {x.dtype}")
        return self.net(x)

    def blocks(self, z: torch.Tensor) -> torch.Tensor:
        """``z [B, n_blocks * block_dim] -> [B, n_blocks, block_dim]``."""
        return z.reshape(len(z), self.n_blocks, self.block_dim)

    def example_inputs(self, batch_size: int = 2):
        """A valid input for the conformance kit's forward pass."""
        return (torch.randn(batch_size, self.obs_dim),)

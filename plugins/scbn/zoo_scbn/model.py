"""The model of zoo-scbn: a two-layer MLP over 8x8 grey images."""

import torch
from torch import nn

from zoo_core.interfaces import Model


class QuadrantMLP(Model):
    """Logits over the 4 quadrants of a ``size x size`` image (``[B, 1, size, size]``).

    The constructor's keyword-only arguments are exactly the catalog entry's ``config``.
    """

    def __init__(self, *, size: int = 8, hidden: int = 32, classes: int = 4):
        super().__init__()
        self.size = size
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(size * size, hidden), nn.ReLU(),
                                 nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (self.size, self.size):
            raise ValueError(f"QuadrantMLP expects images of shape [B, 1, {self.size}, {self.size}], "
                             f"got {tuple(x.shape)}")
        return self.net(x)

    def example_inputs(self, batch_size: int = 2):
        """A valid input for the conformance kit's forward pass."""
        return (torch.rand(batch_size, 1, self.size, self.size),)

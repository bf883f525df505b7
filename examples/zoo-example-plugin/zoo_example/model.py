"""A two-layer MLP on 8x8 digit images: the smallest possible Zoo model."""

import torch
from torch import nn

from zoo_core.interfaces import Model


class DigitsMLP(Model):
    """Logits over 10 digits from an 8x8 grey image in [0, 1]."""

    def __init__(self, *, hidden: int = 32, classes: int = 10):
        super().__init__()
        self.net = nn.Sequential(nn.Flatten(), nn.Linear(64, hidden), nn.ReLU(), nn.Linear(hidden, classes))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.shape[-2:] != (8, 8):
            raise ValueError(f"DigitsMLP expects images of shape [B, 1, 8, 8], got {tuple(x.shape)}")
        return self.net(x)

    def example_inputs(self, batch_size: int = 2):
        return (torch.rand(batch_size, 1, 8, 8),)

"""CIFAR-10 classification from a local copy: clean top-1 accuracy on the test set.

As the official ``train_classification.py`` ``evaluate_model`` (eps 0): test images as
``ToTensor`` gives them (in [0, 1], no normalisation; the model normalises), argmax of the
logits. AKOrN starts its oscillators from noise, drawn here from a generator seeded by ``seed``.

Example::

    ClassificationCIFAR10().evaluate(model, limit=1000)   # {"accuracy": ...}
"""

from __future__ import annotations

import torch
from torch import nn


class ClassificationCIFAR10:
    """CIFAR-10 (``train`` 50,000, ``test`` 10,000 images) read with torchvision from ``$ZOO_DATA/cifar10``."""

    name = "classification/cifar10"
    datasets = ("cifar10",)

    def dataset(self, split: str):
        """torchvision ``CIFAR10`` of ``split``; items ``(uint8 image [3, 32, 32], label)``."""
        from zoo_akorn.data.cifar10 import cifar10_split

        return cifar10_split(split)

    @torch.no_grad()
    def evaluate(self, model: nn.Module, *, limit: int | None = None, seed: int = 0,
                 batch_size: int = 100) -> dict[str, float]:
        """Clean accuracy in [0, 1] on the first ``limit`` test images (default all 10,000)."""
        if limit is not None and limit < 1:
            raise ValueError(f"limit must be a positive number of images, got {limit}")
        data = self.dataset("test")
        n = len(data) if limit is None else min(limit, len(data))
        model.eval()
        device = next(model.parameters()).device
        g = torch.Generator(device=device).manual_seed(seed)
        correct = 0
        for start in range(0, n, batch_size):
            items = [data[i] for i in range(start, min(start + batch_size, n))]
            images = torch.stack([image for image, _ in items]).to(device).float() / 255
            labels = torch.tensor([label for _, label in items], device=device)
            correct += int((model(images, generator=g).argmax(-1) == labels).sum())
        return {"accuracy": round(correct / n, 6)}


__all__ = ["ClassificationCIFAR10"]

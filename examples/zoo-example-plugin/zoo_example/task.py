"""Digits classification: scikit-learn's 8x8 digits, a fixed 80/20 split, accuracy."""

from __future__ import annotations

import torch


class DigitsClassification:
    """Task ``classification/digits`` (data shipped with scikit-learn)."""

    name = "classification/digits"

    def dataset(self, split: str):
        from sklearn.datasets import load_digits
        from sklearn.model_selection import train_test_split

        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        x, y = load_digits(return_X_y=True)
        xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.2, random_state=0, stratify=y)
        x, y = (xtr, ytr) if split == "train" else (xte, yte)
        images = torch.tensor(x, dtype=torch.float32).reshape(-1, 1, 8, 8) / 16.0
        return torch.utils.data.TensorDataset(images, torch.tensor(y))

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        images, labels = self.dataset("test").tensors
        images, labels = images[:limit], labels[:limit]
        with torch.no_grad():
            accuracy = (model(images).argmax(-1) == labels).float().mean().item()
        return {"accuracy": round(accuracy, 4)}

"""Robust classification tasks: the paper's evaluation protocol on held-out data.

``evaluate`` reports clean loss and accuracy and two adversarial curves (the official
``jobs/train_and_eval/calc_adv_loss_drl.py`` and ``calc_adv_loss_pgm_l2.py``):

* the WRM attack (:func:`zoo_ssdrl.attacks.wrm_attack`, 15 steps, ``alpha`` 1; 0.5 on SVHN)
  at each ``gamma`` of the grid: ``wrm_loss_g<gamma>`` (adversarial CE, the paper's Figure 1),
  ``wrm_acc_g<gamma>``;
* the L2 PGM attack (15 steps, the official step ``eps / (1 + ln 15) * 0.1``) at each ``eps``:
  ``pgm_error_e<eps>`` (test error, the paper's Figure 2) and ``pgm_loss_e<eps>``.
  ``projection="ball"`` is the default; ``"sphere"`` is the official projection.

Each attack starts from the clean test inputs, with the model in eval mode (BN running
averages, no dropout). ``limit`` evaluates the first ``limit`` test examples.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_ssdrl.attacks import pgm_l2_attack, wrm_attack
from zoo_ssdrl.data import held_out

__all__ = ["RobustClassification", "DigitsTask", "MoonsTask", "MNISTTask", "SVHNTask", "CIFAR10Task",
           "robustness_curves", "OFFICIAL_GAMMAS", "OFFICIAL_EPS"]

OFFICIAL_GAMMAS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
OFFICIAL_EPS = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0, 1000.0)


def _batches(x: torch.Tensor, y: torch.Tensor, size: int):
    for i in range(0, len(y), size):
        yield x[i:i + size], y[i:i + size]


def robustness_curves(model, x: torch.Tensor, y: torch.Tensor, *, gammas, eps, steps: int = 15,
                      alpha: float = 1.0, clip: bool = True, projection: str = "ball",
                      batch_size: int = 500) -> dict[str, float]:
    """Clean and adversarial metrics of ``model`` on ``(x, y)`` (see the module docstring)."""
    if len(y) == 0:
        raise ValueError("robustness_curves needs at least one test example")
    sums: dict[str, float] = {}

    def add(key: str, value: torch.Tensor) -> None:
        sums[key] = sums.get(key, 0.0) + float(value)

    for xb, yb in _batches(x, y, batch_size):
        with torch.no_grad():
            logits = model(xb)
        add("loss", F.cross_entropy(logits, yb, reduction="sum"))
        add("accuracy", (logits.argmax(1) == yb).sum())
        for g in gammas:
            x_adv = wrm_attack(model, xb, yb, gamma=g, alpha=alpha, steps=steps, clip=clip)
            with torch.no_grad():
                la = model(x_adv)
            add(f"wrm_loss_g{g:g}", F.cross_entropy(la, yb, reduction="sum"))
            add(f"wrm_acc_g{g:g}", (la.argmax(1) == yb).sum())
        for e in eps:
            x_adv = pgm_l2_attack(model, xb, yb, eps=e, steps=steps, projection=projection, clip=clip)
            with torch.no_grad():
                la = model(x_adv)
            add(f"pgm_loss_e{e:g}", F.cross_entropy(la, yb, reduction="sum"))
            add(f"pgm_error_e{e:g}", (la.argmax(1) != yb).sum())
    return {k: round(v / len(y), 5) for k, v in sums.items()}


class RobustClassification:
    """The Task contract over one dataset of :mod:`zoo_ssdrl.data`."""

    name = ""
    data = ""
    datasets: tuple[str, ...] = ()
    gammas: tuple[float, ...] = OFFICIAL_GAMMAS
    eps: tuple[float, ...] = OFFICIAL_EPS
    alpha = 1.0
    clip = True

    def dataset(self, split: str):
        """``test``: the held-out ``TensorDataset``; ``train``: the labelled part of the default split."""
        if split == "test":
            return torch.utils.data.TensorDataset(*held_out(self.data))
        if split == "train":
            from zoo_ssdrl.data import semi_supervised

            return semi_supervised(self.data, n_labels=self.n_labels).labelled()
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")

    n_labels = 100

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, gammas=None, eps=None,
                 steps: int = 15, alpha: float | None = None, projection: str = "ball",
                 batch_size: int = 500) -> dict[str, float]:
        x, y = held_out(self.data)
        x, y = x[:limit], y[:limit]
        model.eval()
        return robustness_curves(model, x, y, gammas=self.gammas if gammas is None else gammas,
                                 eps=self.eps if eps is None else eps, steps=steps,
                                 alpha=self.alpha if alpha is None else alpha, clip=self.clip,
                                 projection=projection, batch_size=batch_size)


class DigitsTask(RobustClassification):
    """scikit-learn digits (8x8, [-1, 1)), 100 labels; 360 held-out test digits."""

    name, data = "robust-classification/digits", "digits"
    gammas = (0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0)
    eps = (0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0)


class MoonsTask(RobustClassification):
    """Two-moons (2-D points, not clipped), 10 labels; 1,000 test points."""

    name, data, n_labels, clip = "robust-classification/two-moons", "moons", 10, False
    gammas = (0.5, 1.0, 2.0, 5.0, 10.0)
    eps = (0.05, 0.1, 0.2, 0.3, 0.5)


class MNISTTask(RobustClassification):
    name, data, datasets, n_labels = "robust-classification/mnist", "mnist", ("mnist",), 1000


class SVHNTask(RobustClassification):
    name, data, datasets, n_labels, alpha = "robust-classification/svhn", "svhn", ("svhn",), 1000, 0.5


class CIFAR10Task(RobustClassification):
    """CIFAR-10 after the official ZCA whitening (inputs not clipped, as the official configs)."""

    name, data, datasets, n_labels, clip = ("robust-classification/cifar10-zca", "cifar10",
                                            ("cifar10", "cifar10-zca"), 4000, False)

"""The training recipe `zoo train` runs for every zoo-ssdrl entry: the official ``Updater``.

``method`` picks the loss of one step (``updater.py``, ``update_core``); labelled batches come
from the core's sampler, unlabelled batches from the same kind of stateless per-epoch
permutation (seeded by the run's seed), so a run is reproducible and resumable:

* ``mle``: CE on the labelled batch (ERM).
* ``drl``: a clean forward (updates BN statistics), then with statistics frozen the WRM loss.
* ``ssdrl``: the same plus :func:`zoo_ssdrl.losses.sswrm_loss` on the unlabelled batch
  (``loss_l + loss_ul``); ``max_classes: 1`` is Fast-SSDRL.
* ``pl``: pseudo-labelling, the official sweep's ``ssdrl`` with ``max_classes=1, steps=1,
  alpha=0`` (no perturbation: CE on labels and on arg-max labels).
* ``at``: CE + CE at the L2 PGM adversarial inputs (``eps``, step ``eps``, the official sphere
  projection), statistics frozen for the second term.
* ``vat``: CE + VAT's KL on the unlabelled batch (radius ``eps``). The official VAT branch also
  computes an adversarial loss that it only reports; it is not computed here.

Adam (``lr``, betas 0.9/0.999), learning rate decayed linearly to 0 from ``decay_start`` to
``steps`` (Chainer ``LinearShift``).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from zoo_core.train import Phase, Recipe
from zoo_ssdrl import data as ssl_data
from zoo_ssdrl.attacks import batch_stats, pgm_l2_attack
from zoo_ssdrl.losses import sswrm_loss, vat_loss, wrm_loss

__all__ = ["ssdrl", "METHODS", "UnlabelledBatches", "linear_decay"]

METHODS = ("mle", "drl", "ssdrl", "pl", "at", "vat")


class UnlabelledBatches:
    """Batch ``j`` of unlabelled inputs: a slice of a permutation seeded by (seed, epoch)."""

    def __init__(self, x: torch.Tensor, batch_size: int, seed: int) -> None:
        if len(x) < batch_size:
            raise ValueError(f"{len(x)} unlabelled examples, fewer than one batch of {batch_size}")
        self.x, self.batch_size, self.seed = x, batch_size, seed
        self.per_epoch = len(x) // batch_size

    def __call__(self, j: int) -> torch.Tensor:
        epoch, i = divmod(j, self.per_epoch)
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch + 7_919)
        idx = torch.randperm(len(self.x), generator=g)[i * self.batch_size:(i + 1) * self.batch_size]
        return self.x[idx]


def linear_decay(steps: int, decay_start: int | None):
    """LambdaLR factor: 1 until ``decay_start``, then linearly to 0 at ``steps``."""
    start = steps if decay_start is None else int(decay_start)

    def factor(step: int) -> float:
        return 1.0 if step < start else max(0.0, (steps - step) / max(steps - start, 1))

    return factor


def ssdrl(*, config: dict, method: str, steps: int, batch_size: int, lr: float = 1e-3,
          batch_size_ul: int | None = None, decay_start: int | None = None, gamma: float = 1.0,
          alpha: float = 1.0, attack_steps: int = 5, lamb: float = -1.0, max_classes: int | None = None,
          eps: float = 1.0, clip_x: bool = True, data: str = "digits", n_labels: int = 100,
          split_seed: int = 1234) -> Recipe:
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    if method == "pl":
        method, max_classes, attack_steps, alpha = "ssdrl", 1, 1, 0.0
    split = ssl_data.semi_supervised(data, n_labels=n_labels, seed=split_seed)
    ul_size = batch_size_ul or batch_size
    unlabelled: dict[str, UnlabelledBatches] = {}

    def dataset(seed: int):
        unlabelled["batches"] = UnlabelledBatches(split.x_ul, ul_size, seed)
        return split.labelled()

    attack = dict(gamma=gamma, alpha=alpha, steps=attack_steps, clip=clip_x)

    def loss(model, batch, step):
        x, y = batch
        logits = model(x)  # the clean forward; its BN statistics are the step's update
        logs = {"acc": (logits.argmax(1) == y).float().mean()}
        if method == "mle":
            return F.cross_entropy(logits, y), logs
        with batch_stats(model):
            if method in ("drl", "ssdrl"):
                total = loss_l = wrm_loss(model, x, y, **attack)
                logs["loss_l"] = loss_l.detach()
                if method == "ssdrl":
                    loss_ul = sswrm_loss(model, unlabelled["batches"](step), lamb=lamb,
                                         max_classes=max_classes, **attack)
                    logs["loss_ul"] = loss_ul.detach()
                    total = loss_l + loss_ul
                return total, logs
            loss_l = F.cross_entropy(logits, y)
            if method == "at":
                x_adv = pgm_l2_attack(model, x, y, eps=eps, steps=attack_steps, step_size=eps,
                                      projection="sphere", clip=clip_x)
                extra = F.cross_entropy(model(x_adv), y)
            else:
                extra = vat_loss(model, unlabelled["batches"](step), eps=eps, steps=attack_steps, clip=clip_x)
            logs["loss_adv"] = extra.detach()
            return loss_l + extra, logs

    phase = Phase("main", loss, lambda params: torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999)),
                  scheduler=lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, linear_decay(steps, decay_start)))
    what = {"digits": "scikit-learn digits 8x8", "moons": "two-moons (make_moons, noise 0.1)"}.get(data, data)
    return Recipe(dataset=dataset, phases=[phase], steps=steps, batch_size=batch_size,
                  data=f"{what}: {len(split.y_l)} labelled + {len(split.x_ul)} unlabelled training examples "
                       f"(split seed {split_seed}); method {method}"
                       + (f", max_classes {max_classes}" if method == "ssdrl" else ""))

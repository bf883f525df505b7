"""Task representation-learning/digits-canvas: does a contrastive representation of digits on a blank canvas collapse?

Data: zoo_contrastive.canvas (scikit-learn digits, 16x16, at seeded random positions on a 64x64
zero canvas). A model is any ``TACModel``-like encoder with ``encode(x, draws=, seed=)`` (the
representation ``E_T f(T x)`` of its channel), ``sample_boxes`` and ``channel``.

Metrics (``evaluate``), on the first ``PROBE_TRAIN`` train canvases (each train digit once) and
the ``PROBE_TEST`` test canvases (each test digit twice), fixed seeds, so ``zoo eval`` reproduces
them exactly:

* ``probe_accuracy``: linear probe (``zoo_core.probe.linear_probe``: standardise, logistic
  regression C = 0.1) for the digit class on the representation averaged over the channel's draws;
  ``probe_accuracy_single_draw`` on one draw. Chance is 0.1.
* ``effective_rank`` of the test representations (zoo_contrastive.collapse; at most ``dim``).
* ``alignment`` (two independent draws of each test canvas) and ``uniformity`` (one draw),
  Wang & Isola 2020, on L2-normalised representations.
* ``digit_coverage``: mean fraction of the digit's square inside one drawn crop (1 = the crop
  holds the whole digit): where the channel looks.
"""

from __future__ import annotations

import torch

from zoo_contrastive.canvas import DigitsCanvas
from zoo_contrastive.collapse import alignment, effective_rank, uniformity
from zoo_contrastive.crops import digit_coverage

PROBE_TRAIN, PROBE_TEST = 1437, 720

__all__ = ["DigitsCanvasTask", "representations"]


def representations(model, x: torch.Tensor, *, draws: int | None = None, seed: int = 0,
                    batch_size: int = 256) -> torch.Tensor:
    """``model.encode`` over ``x`` in batches (eval mode, no grad); each batch seeded by ``seed`` and its index."""
    model.eval()
    device = next(model.parameters()).device
    with torch.no_grad():
        return torch.cat([model.encode(x[i:i + batch_size].to(device), draws=draws, seed=seed + i).cpu()
                          for i in range(0, len(x), batch_size)])


class DigitsCanvasTask:
    """Linear probe, collapse measures and crop coverage on digits-on-canvas."""

    name = "representation-learning/digits-canvas"

    def dataset(self, split: str) -> DigitsCanvas:
        """``train`` (1,437 digits x 4 placements) or ``test`` (360 digits x 2 placements)."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        return DigitsCanvas(split)

    def evaluate(self, model, *, limit: int | None = None, seed: int = 0) -> dict[str, float]:
        """The metrics of the module doc; ``limit`` caps both probe sets (at least 20 canvases each)."""
        from zoo_core.probe import linear_probe

        if limit is not None and limit < 20:
            raise ValueError(f"limit must be at least 20 canvases (a probe over 10 classes), got {limit}")
        n_tr, n_te = (PROBE_TRAIN, PROBE_TEST) if limit is None else (min(limit, PROBE_TRAIN), min(limit, PROBE_TEST))
        train, test = self.dataset("train"), self.dataset("test")
        xtr, ytr = train.tensors(n_tr)
        xte, yte = test.tensors(n_te)
        out = {"probe_accuracy": linear_probe(representations(model, xtr, seed=seed), ytr,
                                              z := representations(model, xte, seed=seed + 10_000), yte),
               "effective_rank": effective_rank(z)}
        z1 = representations(model, xte, draws=1, seed=seed + 20_000)
        z2 = representations(model, xte, draws=1, seed=seed + 30_000)
        out["probe_accuracy_single_draw"] = linear_probe(representations(model, xtr, draws=1, seed=seed + 40_000),
                                                         ytr, z1, yte)
        out["alignment"], out["uniformity"] = alignment(z1, z2), uniformity(z1)
        with torch.no_grad():
            g = torch.Generator().manual_seed(seed + 50_000)
            boxes, _ = model.sample_boxes(xte.to(next(model.parameters()).device), generator=g)
        out["digit_coverage"] = float(digit_coverage(boxes[0].cpu(), test.digit_boxes(n_te)).mean())
        return {k: round(float(v), 4) for k, v in out.items()}

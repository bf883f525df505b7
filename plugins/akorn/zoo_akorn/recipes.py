"""Training recipes ``zoo train`` runs (the ``zoo_recipes`` hook).

* ``akorn-simclr`` (official ``train_obj.py``): two SimCLR views of every scene, the model's
  head embeddings, the contrastive loss with temperature 0.1 on L2-normalised inner
  products; Adam, constant learning rate, EMA of the weights. Used for AKOrN and ItrSA alike.
* ``akorn-sudoku`` (official ``train_sudoku.py``): cross-entropy over all 81 cells; Adam,
  gradient-norm clipping at 1.0, EMA of the weights (generated puzzles, or SAT-Net's boards).
* ``akorn-classification`` (official ``train_classification.py``): cross-entropy on CIFAR-10 with
  the official strong augmentation; Adam, EMA of the weights.

The official EMA (``ema_pytorch``, beta 0.998 / 0.995 applied every 10 steps after 200 / 100
steps) averages over thousands of steps; the short CPU runs here use a per-step decay set
in the catalog ``train`` settings (``ema``), which the model card reports.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor

from zoo_core.train import Phase, Recipe


def simclr_loss(zs: list[Tensor], temperature: float = 0.1) -> Tensor:
    """Official ``simclr(zs, temperature, normalize=True, loss_type="ip")``.

    ``zs`` is a list of ``m`` embeddings ``[n, d]`` (views of the same ``n`` images). Each of the
    ``m * n`` embeddings is classified against all others (itself masked out); the target of
    row ``r`` is row ``(r + n) mod (m n)``, the same image in the next view.
    """
    z = torch.cat([F.normalize(v, dim=-1) for v in zs], 0)
    mn, n = z.shape[0], zs[0].shape[0]
    logits = z @ z.T / temperature - 1e8 * torch.eye(mn, device=z.device, dtype=z.dtype)
    target = torch.remainder(n + torch.arange(mn, device=z.device), mn)
    return F.cross_entropy(logits, target)


class _ClippedAdam(torch.optim.Adam):
    """Adam that clips the global gradient norm of its parameters before each step
    (official ``clip_grad_norm_`` after ``backward``; under DDP the gradients are already averaged)."""

    def __init__(self, params, *, max_norm: float, **kw) -> None:
        super().__init__(params, **kw)
        self.max_norm = max_norm

    @torch.no_grad()
    def step(self, closure=None):
        if self.max_norm > 0:
            torch.nn.utils.clip_grad_norm_([p for g in self.param_groups for p in g["params"]], self.max_norm)
        return super().step(closure)


def object_discovery(*, config: dict, steps: int, batch_size: int, lr: float = 1e-3, temperature: float = 0.1,
                     ema: float | None = 0.99, train_size: int | None = 60_000,
                     task: str = "object-discovery/tetrominoes-style", repeats: int = 1) -> Recipe:
    """SimCLR on the ``train`` split of an object-discovery task (``batch_size`` scenes = 2 x
    ``batch_size`` views per step).

    Args:
        config: the model config (unused: the recipe is the same for AKOrN and ItrSA).
        steps, batch_size, lr: Adam steps, scenes per step, learning rate (official 1e-3).
        temperature: SimCLR temperature (official 0.1).
        ema: per-step EMA decay of the saved weights (None: no EMA).
        train_size: use the first ``train_size`` training scenes (None: all of them).
        task: the task whose ``train`` split is used (a paper dataset's task reads the local
            copy, ``--data`` / ``ZOO_DATA``).
        repeats: passes over the training scenes, each with fresh SimCLR views (a small rendered
            set: ``zoo_akorn.data.augment.SimCLRPairs``).
    """
    import zoo
    from zoo_akorn.data.augment import SimCLRPairs

    source = zoo.resolve_ref("zoo_tasks", task)()

    def dataset(seed: int):
        scenes = source.dataset("train")
        if train_size is not None and train_size < len(scenes):
            scenes = torch.utils.data.Subset(scenes, range(train_size))
        return SimCLRPairs(scenes, seed=seed, repeats=repeats)

    def loss(model, pairs: Tensor, step: int):
        B = pairs.shape[0]
        out = model(pairs.flatten(0, 1)).unflatten(0, (B, 2))            # [B, 2, d]
        return simclr_loss([out[:, 0], out[:, 1]], temperature), {}

    first = "all" if train_size is None else f"first {train_size:,}"
    passes = "" if repeats == 1 else f", {repeats} passes with fresh views"
    opt = lambda params: torch.optim.Adam(params, lr=lr)  # noqa: E731
    return Recipe(dataset=dataset, phases=[Phase("main", loss, opt)], steps=steps, batch_size=batch_size, ema=ema,
                  data=(f"{source.source}: task {task} train split ({first} scenes{passes}), two SimCLR views each "
                        f"(random resized crop + colour distortion s=0.5); SimCLR temperature {temperature}, "
                        f"Adam lr {lr}"))


def sudoku(*, config: dict, steps: int, batch_size: int, lr: float = 1e-3, ema: float | None = 0.99,
           clip: float = 1.0, train_size: int = 9000, givens: int | list[int] = 36,
           dataset: str = "generated") -> Recipe:
    """Cross-entropy over all cells on generated puzzles (36 givens, unique solutions) or SAT-Net's boards.

    Args:
        config: the model config (unused).
        steps, batch_size, lr: Adam steps, boards per step, learning rate (official 1e-3, batch 100).
        ema: per-step EMA decay of the saved weights (None: no EMA).
        clip: gradient-norm clipping (official 1.0; 0 disables it).
        train_size: number of training puzzles (generated once per process; the split has 9,000).
        givens: 36 (the task's ``train`` split), another number, or a range ``[lo, hi]`` from
            which each puzzle draws its own (same seeds as the ``train`` split; an easier mix
            for short runs; the test splits do not change).
        dataset: ``generated`` (above) or ``sudoku-satnet``: the official training boards 0-8999 of
            the local SAT-Net copy (``--data`` / ``$ZOO_DATA``; ``train_size`` and ``givens`` unused).
    """
    from zoo_akorn.data.sudoku import SudokuPuzzles
    from zoo_akorn.tasks.sudoku import SudokuGenerated, SudokuSATNet

    if dataset not in ("generated", "sudoku-satnet"):
        raise ValueError(f"unknown Sudoku training set {dataset!r}; expected 'generated' or 'sudoku-satnet'")

    train = SudokuGenerated().dataset("train")  # its grids; givens=36 is exactly this split
    givens = givens if isinstance(givens, int) else tuple(givens)
    split = SudokuPuzzles(size=train.size, seed=train.seed, givens=givens)
    described = f"{givens} givens" if isinstance(givens, int) else f"{givens[0]}-{givens[1]} givens, drawn per puzzle"

    def boards(seed: int):
        if dataset == "sudoku-satnet":
            return SudokuSATNet().dataset("train")
        return torch.utils.data.TensorDataset(*split.tensors(train_size))

    def loss(model, batch, step: int):
        board, solution = batch
        logits = model(board)
        target = solution.argmax(-1)
        blank = board.sum(-1) == 0
        acc = ((logits.argmax(-1) == target) | ~blank).flatten(1).all(1).float().mean()
        return F.cross_entropy(logits.reshape(-1, 9), target.reshape(-1)), {"board_acc": acc}

    opt = lambda params: _ClippedAdam(params, lr=lr, max_norm=clip)  # noqa: E731
    data = (f"Sudoku puzzles generated by zoo_akorn.data.sudoku (grids of the task train split, first "
            f"{min(train_size, 9000):,} puzzles, {described}, unique solutions)" if dataset == "generated" else
            "SAT-Net Sudoku boards 0-8999 (the official training split), from a local copy")
    return Recipe(dataset=boards, phases=[Phase("main", loss, opt)], steps=steps, batch_size=batch_size, ema=ema,
                  data=f"{data}; cross-entropy over all 81 cells, Adam lr {lr}, gradient clipping {clip}")


def cifar10_augment(image: Tensor) -> Tensor:
    """Official ``augmentation_strong(32)`` on one uint8 image ``[3, 32, 32]``: horizontal flip,
    random resized crop (scale 0.2-1), colour jitter (0.4, 0.4, 0.4, 0.1), AugMix; float in [0, 1]."""
    from torchvision import transforms

    ops = transforms.Compose([transforms.RandomHorizontalFlip(), transforms.RandomResizedCrop(32, scale=(0.2, 1.0)),
                              transforms.ColorJitter(0.4, 0.4, 0.4, 0.1), transforms.AugMix()])
    return ops(image).float() / 255


def classification(*, config: dict, steps: int, batch_size: int, lr: float = 1e-4, ema: float | None = 0.999,
                   augment: bool = True) -> Recipe:
    """Cross-entropy on CIFAR-10 from a local copy (official ``train_classification.py``).

    Args:
        config: the model config (unused).
        steps, batch_size, lr: Adam steps, images per step, learning rate (official 1e-4, batch 128,
            weight decay 0).
        ema: per-step EMA decay of the saved weights (official beta 0.99 applied every 10 steps,
            about 0.999 per step; None: no EMA).
        augment: the official strong augmentation (``cifar10_augment``), drawn from a generator seeded
            by (run seed, step), so a run is reproducible and resumable.
    """
    from zoo_akorn.tasks.classification import ClassificationCIFAR10

    run_seed = 0

    def dataset(seed: int):
        nonlocal run_seed
        run_seed = seed
        return ClassificationCIFAR10().dataset("train")

    def loss(model, batch, step: int):
        images, labels = batch
        if augment:
            with torch.random.fork_rng(devices=[]):  # torchvision's transforms draw from the global RNG
                torch.manual_seed(run_seed * 1_000_003 + step)
                images = torch.stack([cifar10_augment(image) for image in images])
        else:
            images = images.float() / 255
        logits = model(images)
        return F.cross_entropy(logits, labels), {"acc": (logits.argmax(-1) == labels).float().mean()}

    opt = lambda params: torch.optim.Adam(params, lr=lr)  # noqa: E731
    return Recipe(dataset=dataset, phases=[Phase("main", loss, opt)], steps=steps, batch_size=batch_size, ema=ema,
                  data=(f"CIFAR-10 training set (50,000 images) from a local copy"
                        f"{', official strong augmentation (flip, resized crop 0.2-1, colour jitter, AugMix)' if augment else ''}"
                        f"; cross-entropy, Adam lr {lr}"))


__all__ = ["object_discovery", "sudoku", "classification", "cifar10_augment", "simclr_loss"]

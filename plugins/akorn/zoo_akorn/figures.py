"""Report figures for ``zoo bench`` (the ``zoo_figures`` hook).

* :func:`cluster_overlays` (object discovery): test scenes, ground-truth masks and the
  predicted clusters of the official protocol drawn over the scenes.
* :func:`sudoku_accuracy` (Sudoku): board accuracy on the in-distribution and the hard
  split against test-time steps ``T`` and energy-voting starts ``K``.

Both are called as ``fn(model, task, out_dir, *, name)`` and return ``[(title, png_path)]``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch


def _label_colors(labels: np.ndarray) -> np.ndarray:
    """Label map ``[H, W]`` -> RGB ``[H, W, 3]`` with a fixed colour per label id."""
    from matplotlib import colormaps

    palette = colormaps["tab10"](np.arange(10))[:, :3]
    return palette[labels.astype(int) % 10]


def cluster_overlays(model, task, out_dir: Path, *, name: str, n: int = 6, seed: int = 0) -> list[tuple[str, Path]]:
    """The first ``n`` test scenes: input, ground truth, and the predicted clusters blended
    over the input (official protocol, K clusters); returns ``[(title, png_path)]``."""
    from matplotlib.figure import Figure

    from zoo_akorn.metrics import fg_ari

    ds = task.dataset("test")
    images = torch.stack([ds[i][0] for i in range(n)])
    masks = torch.stack([ds[i][1] for i in range(n)])
    with torch.no_grad():
        preds = task.segment(model.eval(), images, generator=torch.Generator().manual_seed(seed))
    fig = Figure(figsize=(n * 1.6, 3 * 1.7), dpi=100, layout="constrained")
    axes = fig.subplots(3, n, squeeze=False)
    for j in range(n):
        img = images[j].permute(1, 2, 0).numpy()
        overlay = 0.45 * img + 0.55 * _label_colors(preds[j].numpy())
        for row, (pic, title) in enumerate([(img, "input"), (_label_colors(masks[j].numpy()), "ground truth"),
                                             (overlay, f"FG-ARI {fg_ari(masks[j], preds[j]):.2f}")]):
            axes[row, j].imshow(pic, interpolation="nearest")
            axes[row, j].set_title(title, fontsize=8)
            axes[row, j].set_axis_off()
    fig.suptitle(f"{name}: clusters of the feature map (K={task.n_clusters}) over test scenes", fontsize=10)
    path = Path(out_dir) / "cluster_overlays.png"
    fig.savefig(path)
    return [("Predicted clusters over input scenes (row 3), ground truth (row 2)", path)]


# a reduced report (``limit``): the cost is about sum(K * T) model steps, whatever the boards
QUICK_BOARDS, QUICK_MAX_T, QUICK_MAX_K = 20, 16, 4


def sudoku_accuracy(model, task, out_dir: Path, *, name: str, limit: int | None = None, boards: int = 50,
                    Ts=(4, 16, 64), Ks=(1, 8), seed: int = 0) -> list[tuple[str, Path]]:
    """Board accuracy against ``T`` (one curve per ``K``) on the test and hard splits,
    ``boards`` puzzles each; returns ``[(title, png_path)]``.

    With ``limit`` (a reduced report, ``zoo bench --limit``) the figure is a quick look, about 8x
    cheaper: at most ``min(limit, QUICK_BOARDS)`` puzzles, ``T`` up to ``QUICK_MAX_T`` and ``K`` up
    to ``QUICK_MAX_K``.
    """
    from matplotlib.figure import Figure

    if limit is not None:
        boards = min(boards, limit, QUICK_BOARDS)
        Ts = tuple(T for T in Ts if T <= QUICK_MAX_T) or tuple(Ts)[:1]
        Ks = tuple(dict.fromkeys(min(K, QUICK_MAX_K) for K in Ks))

    Ks = Ks if hasattr(model, "solve") else (1,)
    fig = Figure(figsize=(8, 3.2), dpi=100, layout="constrained")
    axes = fig.subplots(1, 2)
    for ax, split in zip(axes, ("test", "hard")):
        for K in Ks:
            acc = [task.evaluate(model, split=split, limit=boards, T=T, K=K, seed=seed)["board_accuracy"] for T in Ts]
            ax.plot(Ts, acc, marker="o", label=f"K={K}")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("test-time steps T")
        ax.set_ylabel("board accuracy")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title({"test": "in-distribution (36 givens)", "hard": "hard / OOD (17-34 givens)"}[split], fontsize=9)
        ax.legend(fontsize=8)
    fig.suptitle(f"{name}: Sudoku board accuracy vs T and energy-voting starts K ({boards} boards"
                 f"{', reduced report' if limit is not None else ''})", fontsize=10)
    path = Path(out_dir) / "sudoku_accuracy.png"
    fig.savefig(path)
    return [("Sudoku board accuracy against test-time steps T and voting starts K", path)]


__all__ = ["cluster_overlays", "sudoku_accuracy"]

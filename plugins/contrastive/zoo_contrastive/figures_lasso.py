"""Report figures of the identifiability/latent-blocks tasks for ``zoo bench`` (``zoo_figures`` hook).

* ``r2_matrix``: R^2 of each true component (columns) predicted from each learned block (rows),
  rows ordered by the matching; recovery is a bright diagonal;
* ``movement``: for each augmentation family, how far its positive pairs move each learned block
  (relative to random pairs), beside the blocks the family truly moves.

``r2_panels`` draws several R^2 matrices side by side (the claims figure: lasso against cosine).
Drawn on ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot state).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["draw", "r2_panels"]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _ordered(r2: np.ndarray, assignment: list[int]) -> tuple[np.ndarray, list[int]]:
    order = sorted(range(len(assignment)), key=lambda i: (assignment[i] < 0, assignment[i]))
    return r2[order], order


def _matrix(ax, values: np.ndarray, *, rows: list[str], cols: list[str], title: str, vmax: float = 1.0) -> None:
    im = ax.imshow(values, vmin=0, vmax=vmax, cmap="viridis")
    for (i, j), v in np.ndenumerate(values):
        ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=7, color="w" if v < 0.6 * vmax else "k")
    ax.set_xticks(range(len(cols)), cols, fontsize=7)
    ax.set_yticks(range(len(rows)), rows, fontsize=7)
    ax.set_title(title, fontsize=8)
    return im


def r2_panels(panels: list[tuple[str, dict]], out: Path, *, suptitle: str = "") -> Path:
    """One R^2 matrix per ``(title, analysis)`` (``zoo_contrastive.tasks_lasso.analyse`` output)."""
    fig = _figure(2.6 * len(panels) + 0.6, 2.8)
    axes = np.atleast_1d(fig.subplots(1, len(panels)))
    im = None
    for ax, (title, a) in zip(axes, panels):
        r2, order = _ordered(np.asarray(a["r2"]), a["assignment"])
        im = _matrix(ax, r2, rows=[f"z{i}" for i in order], cols=[f"c{j}" for j in range(r2.shape[1])],
                     title=f"{title}\nmatched R2 {a['matched_r2']:.2f}, purity {a['block_purity']:.2f}")
        ax.set_xlabel("true component", fontsize=7)
        ax.set_ylabel("learned block", fontsize=7)
    fig.colorbar(im, ax=list(axes), shrink=0.8, label="R2")
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    fig.savefig(out)
    return out


def movement_figure(a: dict, latent, out: Path, *, name: str) -> Path:
    truth = latent.family_masks().reshape(len(latent.families), len(latent.blocks), -1).any(-1).numpy().astype(float)
    _, order = _ordered(np.asarray(a["r2"]), a["assignment"])
    fig = _figure(6, 2.6)
    ax1, ax2 = fig.subplots(1, 2)
    fams = [f"A{k} {tuple(f)}" for k, f in enumerate(latent.families)]
    _matrix(ax1, truth, rows=fams, cols=[f"c{j}" for j in range(truth.shape[1])], title="blocks each family moves (truth)")
    _matrix(ax2, np.asarray(a["moved_fraction"])[:, order], rows=fams, cols=[f"z{i}" for i in order],
            title=f"{name}: how often it moves each learned block")
    fig.savefig(out)
    return out


def draw(model, task, out_dir: Path, *, name: str, limit: int | None = None) -> list[tuple[str, Path]]:
    from zoo_contrastive.tasks_lasso import N_EVAL, analyse

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    a = analyse(model, task.latent, n=N_EVAL if limit is None else limit)
    return [("R2 of each true component from each learned block", r2_panels([(name, a)], out_dir / "r2_matrix.png")),
            ("How often each augmentation family moves each learned block",
             movement_figure(a, task.latent, out_dir / "movement.png", name=name))]

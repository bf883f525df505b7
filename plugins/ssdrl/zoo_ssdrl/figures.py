"""Report figures for ``zoo bench`` (``zoo_figures`` hook) and the claims benchmark.

* :func:`curves`: adversarial loss against the WRM ``gamma`` (the paper's Figure 1, larger
  ``gamma`` = weaker attack) and test error against the PGM ``eps`` (Figure 2), one line per
  model, from :func:`zoo_ssdrl.tasks.robustness_curves` metrics (mean +- std over seeds when a
  model has several).
* :func:`moons_boundaries`: decision regions of two-moons classifiers with the labelled
  (large, coloured) and unlabelled (small, grey) training points.

``draw`` makes the curves of one model for its task, plus its boundary on two-moons. Drawing
uses ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot state).
"""

from __future__ import annotations

from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import torch

__all__ = ["draw", "curves", "moons_boundaries", "grid_of", "published_peers"]


def _figure(width: float, height: float, cols: int = 1):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, cols, squeeze=False)[0]


def grid_of(metrics: Mapping[str, float], prefix: str) -> tuple[list[float], list[str]]:
    """The attack strengths (sorted) of the keys ``prefix<value>`` and those keys."""
    found = sorted((float(k[len(prefix):]), k) for k in metrics if k.startswith(prefix))
    return [v for v, _ in found], [k for _, k in found]


def curves(results: Mapping[str, Sequence[Mapping[str, float]]], path: Path, *, title: str = "",
           dashed: Sequence[str] = ()) -> Path:
    """``results``: model label -> its metrics (one mapping per seed). Two panels, log x axes;
    the labels in ``dashed`` are drawn as thin dashed lines (context, e.g. other models' cards)."""
    fig, (a, b) = _figure(10, 4, cols=2)
    for label, runs in results.items():
        for ax, prefix in ((a, "wrm_loss_g"), (b, "pgm_error_e")):
            xs, keys = grid_of(runs[0], prefix)
            vals = np.array([[r[k] for k in keys] for r in runs])
            mean = vals.mean(0)
            style = dict(ls="--", lw=1, ms=2) if label in dashed else dict(lw=2, ms=3)
            line, = ax.plot(xs, mean, marker="o", label=f"{label} (clean acc {np.mean([r['accuracy'] for r in runs]):.3f})",
                            **style)
            if len(runs) > 1:
                ax.fill_between(xs, mean - vals.std(0), mean + vals.std(0), color=line.get_color(), alpha=0.2)
    a.set(xscale="log", xlabel="WRM attack gamma (smaller = stronger)", ylabel="adversarial test loss",
          title="WRM (Lagrangian) attack")
    b.set(xscale="log", xlabel="PGM L2 radius eps", ylabel="test error", title="L2 PGM attack")
    a.legend(fontsize=7)
    if title:
        fig.suptitle(title)
    fig.savefig(path)
    return path


def moons_boundaries(models: Mapping[str, torch.nn.Module], split, path: Path, *, test=None) -> Path:
    """One panel per model: predicted class over the plane, training points on top."""
    fig, axes = _figure(4 * len(models), 3.6, cols=len(models))
    lo, hi = np.array([-1.6, -1.1]), np.array([2.6, 1.6])
    gx, gy = np.meshgrid(np.linspace(lo[0], hi[0], 220), np.linspace(lo[1], hi[1], 160))
    grid = torch.tensor(np.stack([gx.ravel(), gy.ravel()], 1), dtype=torch.float32)
    for ax, (label, model) in zip(axes, models.items()):
        model.eval()
        with torch.no_grad():
            p = torch.softmax(model(grid), 1)[:, 1].view(gx.shape).numpy()
        ax.contourf(gx, gy, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.5)
        ax.contour(gx, gy, p, levels=[0.5], colors="k", linewidths=1.2)
        ax.scatter(*split.x_ul.numpy().T, s=3, c="0.45", label="unlabelled")
        ax.scatter(*split.x_l.numpy().T, s=60, c=split.y_l.numpy(), cmap="RdBu_r", edgecolors="k",
                   vmin=0, vmax=1, label="labelled")
        if test is not None:
            with torch.no_grad():
                acc = (model(test[0]).argmax(1) == test[1]).float().mean().item()
            label = f"{label}: test acc {acc:.3f}"
        ax.set(title=label, xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xticks=[], yticks=[])
    axes[0].legend(loc="lower left", fontsize=7)
    fig.savefig(path)
    return path


def published_peers(name: str) -> dict[str, list[dict[str, float]]]:
    """Card results (``results:`` in the catalog) of the other published models of ``name``'s task
    that report both attack grids, keyed ``"<peer> (card)"``, for drawing beside a model."""
    import zoo

    task = zoo.entry(name).task
    peers = {}
    for peer in zoo.list_models(task=task, pretrained=True):
        entry = zoo.entry(peer)
        results = {k: float(v) for k, v in dict(entry.results).items() if isinstance(v, (int, float))}
        if peer != name and entry.task == task and "accuracy" in results and \
                grid_of(results, "wrm_loss_g")[0] and grid_of(results, "pgm_error_e")[0]:
            peers[f"{peer} (card)"] = [results]
    return peers


def draw(model, task, out_dir: Path, *, name: str, limit: int | None = None) -> list[tuple[str, Path]]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    metrics = task.evaluate(model, limit=limit or 200)
    peers = published_peers(name)
    figs = [("Robustness: WRM adversarial loss and PGM error, beside the other published models of its task",
             curves({f"{name} (this run)": [metrics], **peers}, out_dir / "robustness.png", dashed=list(peers),
                    title=f"{name}; dashed: the other published models' cards (full test split)"))]
    if task.data == "moons":
        from zoo_ssdrl.data import semi_supervised, held_out

        split = semi_supervised("moons", n_labels=task.n_labels)
        figs.append(("Decision boundary with labelled and unlabelled points",
                     moons_boundaries({name: model}, split, out_dir / "boundary.png", test=held_out("moons"))))
    return figs

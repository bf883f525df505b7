"""Report figures of the 1-D NFT tasks for ``zoo bench`` (``zoo_figures`` hook).

* ``draw_timewarp``: the learned character spectrum ``c(f)`` against the ground-truth bumps at
  the true frequencies (official ``pltspec.png``), and predicted vs true roll-outs of a few test
  signals over 18 steps.
* ``draw_compression``: test signals, the NFT reconstruction and the 16-coefficient DFT, with
  each one's SSE.

Drawing uses ``matplotlib.figure.Figure`` with the Agg canvas (no pyplot, no global state).
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_nft.character import character_spectrum, ground_truth_bumps, top_frequencies
from zoo_nft.dft import band_limited_dft

__all__ = ["draw_timewarp", "draw_compression", "spectrum_figure"]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def spectrum_figure(freqs, c, strong, weak, path: Path, *, title: str) -> Path:
    """Plot ``c(f)`` with the bumps of the strong (and, dashed, weak) true frequencies."""
    fig = _figure(8, 3.2)
    ax = fig.add_subplot(1, 1, 1)
    ax.plot(freqs.numpy(), ground_truth_bumps(freqs, strong).numpy(), color="tab:orange", label="true (strong)")
    if weak:
        ax.plot(freqs.numpy(), (0.2 * ground_truth_bumps(freqs, weak)).numpy(), color="tab:orange",
                ls="--", label="true (weak)")
    ax.plot(freqs.numpy(), c.numpy(), color="tab:blue", marker=".", label="learned c(f)")
    top = top_frequencies(freqs, c, len(strong))
    ax.set_title(f"{title}\ntrue strong {sorted(strong)}; top of c(f): {sorted(top)}", fontsize=9)
    ax.set_xlabel("frequency f")
    ax.set_ylabel("mean tr M tr R_f(g)")
    ax.legend(fontsize=8)
    fig.savefig(path)
    return path


@torch.no_grad()
def draw_timewarp(model, task, out_dir: Path, *, name: str, limit: int | None = None
                  ) -> list[tuple[str, Path]]:
    """Character spectrum and roll-outs of ``model`` on a time-warp task."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    model.eval()
    data = task.dataset("test")  # the sequences `evaluate` uses, so the figure shows the recorded spectrum
    n = len(data)
    xs, gs = data.tensors()
    Ms = model.get_M(xs[:, :task.T_cond], g=gs)
    freqs, c = character_spectrum(Ms, gs, max_freq=64)
    spec = spectrum_figure(freqs, c, data.strong, data.weak, out_dir / f"{name}-spectrum.png",
                           title=f"{name}: character spectrum of M* ({n} test sequences)")
    pred = model(xs[:3, :task.T_cond], n_rolls=task.n_pred, g=gs[:3])
    fig = _figure(10, 5.5)
    steps = (0, 5, 17)
    for r in range(3):
        for j, k in enumerate(steps):
            ax = fig.add_subplot(3, len(steps), r * len(steps) + j + 1)
            ax.plot(xs[r, task.T_cond + k].numpy(), color="k", lw=1, label="true")
            ax.plot(pred[r, k].numpy(), color="tab:red", lw=1, ls="--", label="predicted")
            sse = float(((pred[r, k] - xs[r, task.T_cond + k]) ** 2).sum())
            ax.set_title(f"seq {r}, step {k + 1}: SSE {sse:.2f}", fontsize=8)
            ax.set_xticks([])
            if r == 0 and j == 0:
                ax.legend(fontsize=7)
    fig.suptitle(f"{name}: predictions from 2 frames (shift g applied k times)", fontsize=9)
    roll = out_dir / f"{name}-rollouts.png"
    fig.savefig(roll)
    return [("character spectrum vs true frequencies", spec), ("predicted roll-outs", roll)]


@torch.no_grad()
def draw_compression(model, task, out_dir: Path, *, name: str, limit: int | None = None
                     ) -> list[tuple[str, Path]]:
    """Four noiseless test signals: truth, NFT reconstruction (frame 1) and the DFT baseline."""
    out_dir = Path(out_dir)
    model.eval()
    xs, gs = task.dataset("test", n_data=4).tensors()
    rec = model(xs[:, :task.T_cond], n_rolls=task.T - task.T_cond, g=gs, reconst=True)[:, 0]
    dft = band_limited_dft(xs[:, 0], task.dft_n_freq).float()
    fig = _figure(12, 2.8)
    for i in range(4):
        ax = fig.add_subplot(1, 4, i + 1)
        ax.plot(xs[i, 0].numpy(), color="k", lw=1, label="signal")
        ax.plot(rec[i].numpy(), color="tab:red", lw=1, ls="--", label="NFT")
        ax.plot(dft[i].numpy(), color="tab:green", lw=1, ls=":", label="DFT (16)")
        e_n = float(((rec[i] - xs[i, 0]) ** 2).sum())
        e_d = float(((dft[i] - xs[i, 0]) ** 2).sum())
        ax.set_title(f"SSE NFT {e_n:.3f}, DFT {e_d:.3f}", fontsize=8)
        ax.set_xticks([])
        if i == 0:
            ax.legend(fontsize=7)
    fig.suptitle(f"{name}: compression to 32 numbers, NFT vs DFT (time-warped signal)", fontsize=9)
    path = out_dir / f"{name}-compression.png"
    fig.savefig(path)
    return [("NFT vs DFT reconstructions", path)]

"""Report figures for ``zoo bench`` (registered through the ``zoo_figures`` hook).

* ``rollouts``: test sequences, the model's predicted roll-out under each true one, and the
  copy-last-frame baseline's error for comparison (official ``extrp.ipynb`` pictures).
* ``block_diagonal_transitions``: ``|M*|`` of a few sequences before and after the change of
  basis ``U`` learnt by simultaneous block diagonalisation, with the blocks found (official
  ``block_diagonalization.ipynb``).

``draw`` makes both (the second only for models with an explicit ``M*``). Drawing uses
``matplotlib.figure.Figure`` with the Agg canvas: no pyplot, no global state, no display.

Example::

    from pathlib import Path
    import zoo
    from zoo_msp.figures import draw
    from zoo_msp.tasks import SequentialDigitsTask
    model = zoo.load("local-dir:runs/msp-digits")   # written by `zoo train msp-digits`
    draw(model, SequentialDigitsTask(), Path("figs"), name="msp-digits")
"""

from __future__ import annotations

from pathlib import Path

import torch

from zoo_msp.metrics import BlockStructure, copy_last_frame

__all__ = ["draw", "rollouts", "block_diagonal_transitions"]


def _figure(width: float, height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _rgb(frame: torch.Tensor):
    """``(C, H, W)`` in [0, 1] -> an ``(H, W, 3)`` or ``(H, W)`` array for ``imshow``."""
    frame = frame.detach().clamp(0, 1).cpu()
    return frame[0].numpy() if frame.shape[0] == 1 else frame.permute(1, 2, 0).numpy()


def _strip(frames: torch.Tensor, gap: int = 2) -> torch.Tensor:
    """``(T, C, H, W)`` frames side by side with white gaps: ``(C, H, T W + (T - 1) gap)``."""
    C, H = frames.shape[1:3]
    pad = torch.ones(C, H, gap, dtype=frames.dtype, device=frames.device)
    parts = []
    for t, frame in enumerate(frames):
        parts += [frame] if t == 0 else [pad, frame]
    return torch.cat(parts, dim=-1)


@torch.no_grad()
def rollouts(model, task, out_dir: Path, *, name: str, n_sequences: int = 3, seed: int = 0
             ) -> list[tuple[str, Path]]:
    """True test sequences (conditioning + future) above the model's predicted futures.

    Under every predicted frame: its squared error summed over pixels, and the copy-last-frame
    error of the same frame in brackets.
    """
    model.eval()
    device = next(model.parameters()).device
    T, T_c = task.eval_T, task.T_cond
    xs = task.dataset("test", T=T).sample(n_sequences, generator=torch.Generator().manual_seed(seed))
    xs = xs.to(device)
    pred = model(xs[:, :T_c], n_rolls=T - T_c)
    copy = copy_last_frame(xs[:, :T_c], T - T_c)
    sse = ((pred - xs[:, T_c:]) ** 2).sum(dim=(2, 3, 4))
    sse_copy = ((copy - xs[:, T_c:]) ** 2).sum(dim=(2, 3, 4))
    blank = torch.ones_like(xs[:, :T_c])  # no prediction under the given frames
    size, gap = xs.shape[-1], 2
    fig = _figure(0.55 * T + 0.4, 1.25 * n_sequences + 0.4)
    axes = fig.subplots(2 * n_sequences, 1, squeeze=False)[:, 0]
    for i in range(n_sequences):
        axes[2 * i].imshow(_rgb(_strip(xs[i], gap)), cmap="gray", vmin=0, vmax=1)
        axes[2 * i].set_ylabel("true", fontsize=6)
        axes[2 * i + 1].imshow(_rgb(_strip(torch.cat([blank[i], pred[i]]), gap)), cmap="gray", vmin=0, vmax=1)
        axes[2 * i + 1].set_ylabel("pred", fontsize=6)
        for k in range(T - T_c):
            x = (T_c + k) * (size + gap) + size / 2
            axes[2 * i + 1].text(x, size + 1, f"{float(sse[i, k]):.0f}\n({float(sse_copy[i, k]):.0f})",
                                 ha="center", va="top", fontsize=4.5)
        for ax in axes[2 * i:2 * i + 2]:
            ax.set_xticks([])
            ax.set_yticks([])
    fig.suptitle(f"{name}: {T - T_c} steps predicted from {T_c} given frames; "
                 "under each: pixel SSE (copy-last-frame SSE)", fontsize=7)
    path = Path(out_dir) / "rollouts.png"
    fig.savefig(path)
    return [(f"Predicted vs true roll-outs ({T - T_c} steps from {T_c} frames)", path)]


@torch.no_grad()
def block_diagonal_transitions(model, task, out_dir: Path, *, name: str, n_sequences: int = 128,
                               n_shown: int = 4, seed: int = 0, sbd_epochs: int = 50
                               ) -> list[tuple[str, Path]]:
    """``|M*|`` of ``n_shown`` sequences before and after the SBD change of basis, plus the mean
    of ``|U^-1 M* U|`` over ``n_sequences`` with the blocks found outlined (coordinates of the
    new basis reordered so that each block is contiguous)."""
    if not hasattr(model, "get_M") or not hasattr(model, "condition"):
        return []
    model.eval()
    device = next(model.parameters()).device
    data = task.sbd_dataset()
    xs = data.sample(n_sequences, generator=torch.Generator().manual_seed(seed + 1)).to(device)
    M = model.get_M(xs)
    M = (M[0] if isinstance(M, tuple) else M).detach().cpu().float()
    metric = BlockStructure(n_epochs=sbd_epochs, seed=seed)
    metric.update(M)
    result = metric.compute()
    rotated = torch.linalg.solve(metric.U.expand_as(M), M) @ metric.U
    order = [i for block in metric.blocks for i in block]  # blocks made contiguous for display
    rotated = rotated[:, order][:, :, order]
    fig = _figure(2.0 * (n_shown + 1), 4.3)
    axes = fig.subplots(2, n_shown + 1, squeeze=False)
    rows = [("M*", M), ("U^-1 M* U", rotated)]
    for r, (label, mats) in enumerate(rows):
        for j in range(n_shown + 1):
            ax = axes[r, j]
            img = mats[j].abs() if j < n_shown else mats.abs().mean(0)
            ax.imshow(img.numpy(), cmap="viridis")
            ax.set_title(f"|{label}| seq {j + 1}" if j < n_shown else f"mean |{label}|", fontsize=7)
            ax.set_xticks([])
            ax.set_yticks([])
    ax, start = axes[1, n_shown], 0
    for block in metric.blocks:
        lo, hi = start - 0.5, start + len(block) - 0.5
        ax.plot([lo, hi, hi, lo, lo], [lo, lo, hi, hi, lo], color="white", lw=0.8)
        start += len(block)
    fig.suptitle(f"{name}: transitions before/after simultaneous block diagonalisation; "
                 f"{int(result['n_blocks'])} blocks, off-block energy {float(result['off_block_energy']):.3f}",
                 fontsize=8)
    path = Path(out_dir) / "block_diagonalization.png"
    fig.savefig(path)
    return [("Transition matrices before and after simultaneous block diagonalisation", path)]


def draw(model, task, out_dir: Path, *, name: str) -> list[tuple[str, Path]]:
    """Both figures for ``zoo bench`` (``fn(model, task, out_dir, name=...)``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    return rollouts(model, task, out_dir, name=name) + block_diagonal_transitions(
        model, task, out_dir, name=name)

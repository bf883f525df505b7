"""Report figure for ``zoo bench``: test digits with the model's predicted labels.

Registered through the ``zoo_figures`` hook in ``plugin.py`` for ``classification/digits``;
``zoo bench`` calls it as ``predictions(model, task, out_dir, name=name)``.
"""

from __future__ import annotations

from pathlib import Path

import torch


def predictions(model, task, out_dir: Path, *, name: str, rows: int = 4, cols: int = 8) -> list[tuple[str, Path]]:
    """Draw the first ``rows * cols`` test digits, titled with the predicted label
    (green when right, red when wrong); returns ``[(title, png_path)]``."""
    from matplotlib.figure import Figure  # no pyplot: no global state, no GUI backend

    images, labels = task.dataset("test").tensors
    images, labels = images[: rows * cols], labels[: rows * cols]
    with torch.no_grad():
        predicted = model(images).argmax(-1)
    fig = Figure(figsize=(cols * 0.9, rows * 1.05), dpi=100, layout="constrained")
    axes = fig.subplots(rows, cols)
    for ax, image, label, guess in zip(axes.flat, images, labels, predicted):
        ax.imshow(image[0].numpy(), cmap="gray_r", vmin=0, vmax=1)
        ax.set_title(f"pred {int(guess)}", fontsize=9, color="tab:green" if guess == label else "tab:red")
        ax.set_axis_off()
    right = int((predicted == labels).sum())
    fig.suptitle(f"{name}: {right}/{len(labels)} of the first test digits right", fontsize=10)
    path = Path(out_dir) / "predictions.png"
    fig.savefig(path)
    return [("Test digits with predicted labels (red: wrong)", path)]

"""`zoo bench` figures for compression tasks: each held-out photo beside its decoded file."""

from __future__ import annotations

from pathlib import Path

import torch


def reconstructions(model, task, out_dir: Path, *, name: str, limit: int | None = None) -> list[tuple[str, Path]]:
    """Original | decoded .nmsc file, one row per test image (the first ``limit``), with its bpp."""
    from zoo_nmsc import codec

    images = task.dataset("test")[: limit or None]
    rows = []
    for x in images[:3]:
        data = codec.compress(model, x)
        rows.append((torch.cat([x, codec.decompress(data, model)], dim=2), 8 * len(data) / x[0].numel()))
    width = max(r.shape[-1] for r, _ in rows)
    grid = torch.cat([torch.nn.functional.pad(r, (0, width - r.shape[-1])) for r, _ in rows], dim=1)
    path = Path(out_dir) / f"{name}-reconstructions.png"
    codec.save_image(grid, path)
    bpps = ", ".join(f"{b:.3f}" for _, b in rows)
    return [(f"{name}: original | decoded file ({bpps} bpp)", path)]

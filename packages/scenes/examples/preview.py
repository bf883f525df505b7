"""Write a PNG grid of multiview-scenes: a few scenes x views, each image above its instance mask.

    python packages/scenes/examples/preview.py --out preview.png [--size 64 --views 5 --scenes 3]
    python packages/scenes/examples/preview.py --clevr --out clevr.png   # 128 px single views

Needs matplotlib (for writing the PNG only); zoo-scenes itself needs numpy alone.
"""

from __future__ import annotations

import argparse

import numpy as np

from zoo_scenes import MultiViewScenes, clevr_style


def mask_colours(mask: np.ndarray) -> np.ndarray:
    """Instance mask [H, W] -> RGB [H, W, 3]: ground black, each id its own colour."""
    rng = np.random.default_rng(3)
    palette = np.concatenate([np.zeros((1, 3)), rng.uniform(0.2, 1.0, (mask.max() + 1, 3))])
    return palette[mask]


def grid(items: list[dict], *, pad: int = 2) -> np.ndarray:
    """Rows: per item, its views' images then their masks; columns: views."""
    rows = []
    for item in items:
        for tiles in (item["images"], [mask_colours(m) for m in item["masks"]]):
            rows.append(np.concatenate([np.pad(t, ((pad, pad), (pad, pad), (0, 0)), constant_values=1.0)
                                        for t in tiles], 1))
    return np.concatenate(rows, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="preview.png")
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--views", type=int, default=5)
    parser.add_argument("--scenes", type=int, default=3)
    parser.add_argument("--textured", action="store_true")
    parser.add_argument("--heldout", action="store_true", help="held-out camera poses")
    parser.add_argument("--clevr", action="store_true", help="clevr_style preset: 128 px single views")
    args = parser.parse_args()
    import matplotlib.pyplot as plt

    if args.clevr:  # one row of plain and one of textured scenes
        plain = [clevr_style("val", args.scenes)[i] for i in range(args.scenes)]
        tex = [clevr_style("val", args.scenes, textured=True)[i] for i in range(args.scenes)]
        items = [{k: np.concatenate([p[k] for p in group]) for k in ("images", "masks")}
                 for group in (plain, tex)]
    else:
        ds = MultiViewScenes("val", args.scenes, args.views, args.size, seed=0,
                             poses="heldout" if args.heldout else "train", textured=args.textured,
                             supersample=2)
        items = [ds[i] for i in range(args.scenes)]
    plt.imsave(args.out, np.clip(grid(items), 0, 1))
    print("wrote", args.out)


if __name__ == "__main__":
    main()

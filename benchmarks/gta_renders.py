"""Renders of trained NVS runs side by side: the same test scenes, truth vs each model.

Draws ``zoo_gta.figures.renders`` (2 input views, then each target view as truth and as
rendered, with its PSNR) for every run given, at training poses and at held-out poses, and
prints ``zoo``'s task metrics on ``--limit`` test scenes. A run is a Hub-layout folder written
by ``zoo train`` (or a published model's folder under hub/).

    python benchmarks/gta_renders.py --out benchmarks/gta_claims \
        gta-srt-multiview-scenes=runs/gta-srt-multiview-scenes srt-multiview-scenes=runs/srt-multiview-scenes
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("runs", nargs="+", help="NAME=DIR pairs (catalog name, Hub-layout folder)")
    p.add_argument("--out", required=True, help="folder for the PNG files and metrics.json")
    p.add_argument("--limit", type=int, default=100, help="test scenes for the metrics (default: all 100)")
    p.add_argument("--threads", type=int, default=1)
    args = p.parse_args(argv)

    import torch

    import zoo
    from zoo_gta.figures import renders
    from zoo_gta.tasks import MultiviewScenesTask

    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    task, metrics = MultiviewScenesTask(), {}
    for pair in args.runs:
        name, _, folder = pair.partition("=")
        if not folder:
            p.error(f"{pair!r}: expected NAME=DIR")
        model = zoo.load(f"local-dir:{Path(folder).resolve()}").eval()
        metrics[name] = task.evaluate(model, limit=args.limit)
        print(name, json.dumps(metrics[name]))
        for poses in ("train", "heldout"):
            label = "held-out scenes" if poses == "train" else "held-out camera poses"
            png = renders(model, task, out / f"{name}_renders_{poses}.png", title=f"{name}: {label}", poses=poses)
            print("wrote", png)
    (out / "renders_metrics.json").write_text(json.dumps(metrics, indent=1) + "\n")


if __name__ == "__main__":
    main()

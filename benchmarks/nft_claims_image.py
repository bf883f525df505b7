"""Claim at small scale: g-NFT's latent is a better linear-probe feature than an AE's, in and out of domain,
and its frequency-1 block reads off the rotation angle.

The paper (arXiv:2305.18484, rotated MNIST) trains g-NFT (``M(g)`` = identity + SO(2)
frequencies 1..8 acting on the latent) and baselines in one harness and compares the
linear-probe accuracy of their features on in-domain digits and out-of-domain images. Here:
``representation/rotated-digits`` (train digits 0-4; out of domain = the unseen digits 5-9),
``nft-rotdigits`` against ``nft-rotdigits-ae`` (and, with ``--models``, the other baselines), each
trained with the same recipe, data and budget (``--steps``) through ``zoo_core.train`` for several
seeds, then evaluated by the task: ``probe_acc`` / ``probe_acc_ood`` (flattened features, the
official protocol; g-NFT also on its invariant per-block norms), ``angle_err`` (mean
``1 - cos(theta - theta_hat)``; 0 is perfect, 1 is chance) and ``psnr`` of the predicted view.

Usage (1 thread, one training at a time):

    OMP_NUM_THREADS=1 PYTHONPATH=.:plugins/msp:plugins/nft python benchmarks/nft_claims_image.py \\
        --seeds 0 1 --steps 600 [--models nft ae invae msp contrastive supervised]

Writes ``benchmarks/nft_claims_image.{json,txt,png}``: per model and seed every metric; the table
gives mean and standard deviation over seeds; the figure plots the probe accuracies.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

NAMES = {"nft": "nft-rotdigits", "ae": "nft-rotdigits-ae", "invae": "nft-rotdigits-invae", "msp": "nft-rotdigits-msp",
         "contrastive": "nft-rotdigits-contrastive", "supervised": "nft-rotdigits-supervised"}
HERE = Path(__file__).resolve().parent


def run(models: list[str], seeds: list[int], steps: int, *, batch_size: int = 64) -> list[dict]:
    import zoo
    from zoo_core.train import train
    from zoo_nft.rotdigits import RotatedDigitsTask

    torch.set_num_threads(1)
    task, rows = RotatedDigitsTask(), []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for key in models:
                name = NAMES[key]
                t0 = time.process_time()
                folder = train(name, out=Path(tmp) / f"{name}-{seed}", steps=steps, seed=seed, progress=False,
                               batch_size=batch_size)
                minutes = (time.process_time() - t0) / 60
                metrics = task.evaluate(zoo.load(f"local-dir:{folder}"), seed=seed)
                rows.append({"model": key, "name": name, "seed": seed, "train_cpu_min": round(minutes, 2), **metrics})
                print(json.dumps(rows[-1]), flush=True)
    return rows


def _stats(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    return f"{statistics.mean(values):.4f} +- {statistics.stdev(values):.4f}"


def table(result: dict) -> str:
    rows = result["rows"]
    keys = ["probe_acc", "probe_acc_ood", "probe_acc_invariant", "probe_acc_ood_invariant", "angle_err",
            "angle_err_ood", "psnr", "psnr_ood"]
    lines = [f"representation/rotated-digits, {result['steps']} steps, batch {result['batch_size']}, seeds "
             f"{sorted({r['seed'] for r in rows})} (mean +- std over seeds)", ""]
    lines.append("| model | " + " | ".join(keys) + " |")
    lines.append("|" + "---|" * (len(keys) + 1))
    for key in dict.fromkeys(r["model"] for r in rows):
        mine = [r for r in rows if r["model"] == key]
        cells = [_stats([r[k] for r in mine]) if k in mine[0] else "-" for k in keys]
        lines.append(f"| {NAMES[key]} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def figure(result: dict, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = result["rows"]
    models = list(dict.fromkeys(r["model"] for r in rows))
    fig = Figure(figsize=(1.6 * len(models) + 2, 3.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    for j, (k, label) in enumerate((("probe_acc", "in domain (digits 0-4)"), ("probe_acc_ood", "out of domain (5-9)"))):
        means = [statistics.mean(r[k] for r in rows if r["model"] == m) for m in models]
        xs = [i + 0.38 * j for i in range(len(models))]
        ax.bar(xs, means, width=0.36, label=label)
        for m, x in zip(models, xs):
            ax.scatter([x] * sum(r["model"] == m for r in rows), [r[k] for r in rows if r["model"] == m], c="k", s=8)
    ax.set_xticks([i + 0.19 for i in range(len(models))], [NAMES[m] for m in models], fontsize=7, rotation=15)
    ax.set_ylabel("linear-probe accuracy")
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7)
    ax.set_title(f"rotated digits, {result['steps']} steps each (dots: seeds)", fontsize=9)
    fig.savefig(path)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", default=["nft", "ae"], choices=sorted(NAMES))
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1])
    p.add_argument("--steps", type=int, default=600)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out", default=str(HERE / "nft_claims_image"))
    args = p.parse_args(argv)
    rows = run(args.models, args.seeds, args.steps, batch_size=args.batch_size)
    result = {"steps": args.steps, "batch_size": args.batch_size, "rows": rows}
    out = Path(args.out)
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    out.with_suffix(".txt").write_text(table(result))
    figure(result, out.with_suffix(".png"))
    print(table(result))


if __name__ == "__main__":
    main()

"""Claim at small scale: relative 2-D position codes (GTA, RoPE) generalise to unseen absolute positions.

The paper (arXiv:2310.10375) argues that encoding geometry as relative transformations inside
attention beats absolute position embeddings. Here the three shifted-digits ViTs
(``gta2d-vit-shifted-digits``, ``rope-vit-shifted-digits``, ``ape-vit-shifted-digits``: same
size, same recipe, same data) are trained on digits placed in the left region of the canvas
and tested on held-out digits in that region and in the right region, never seen with ink
during training (``classification/shifted-digits``). Each is trained with several seeds at a
reduced budget (``--steps``, cosine schedule of the same length) through ``zoo_core.train``.

Usage (1 thread, one training at a time; about 1 CPU-minute per 300 steps and model):

    OMP_NUM_THREADS=1 PYTHONPATH=/work/main:/work/main/plugins/gta \\
        python benchmarks/gta2d_claims.py --seeds 0 1 2 --steps 400

Writes ``benchmarks/gta2d_claims.{json,txt,png}``: per model and seed the in-region and
out-of-region accuracy and the accuracy at every top-left column; the table gives mean and
standard deviation over seeds; the figure shows both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

NAMES = {"gta": "gta2d-vit-shifted-digits", "rope": "rope-vit-shifted-digits", "ape": "ape-vit-shifted-digits"}
HERE = Path(__file__).resolve().parent


def run(seeds: list[int], steps: int, out: Path, *, batch_size: int = 64) -> dict:
    import zoo
    from zoo_core.train import train
    from zoo_gta.tasks_2d import ShiftedDigitsTask, accuracy_by_column

    torch.set_num_threads(1)
    task, rows = ShiftedDigitsTask(), []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for posenc, name in NAMES.items():
                t0 = time.process_time()
                folder = train(name, out=Path(tmp) / f"{name}-{seed}", steps=steps, seed=seed, progress=False,
                               decay_steps=steps, batch_size=batch_size)
                minutes = (time.process_time() - t0) / 60
                model = zoo.load(f"local-dir:{folder}")
                row = {"posenc": posenc, "name": name, "seed": seed, "steps": steps, "batch_size": batch_size,
                       "cpu_minutes": round(minutes, 2),
                       **task.evaluate(model), "by_column": accuracy_by_column(model)}
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if k != "by_column"}), flush=True)
                result = write(rows, steps, batch_size, out)   # after every run: a cut-short run keeps its rows
    print(table(result))
    return result


def write(rows: list[dict], steps: int, batch_size: int, out: Path) -> dict:
    result = {"steps": steps, "batch_size": batch_size, "seeds": sorted({r["seed"] for r in rows}), "rows": rows}
    (out / "gta2d_claims.json").write_text(json.dumps(result, indent=1))
    (out / "gta2d_claims.txt").write_text(table(result))
    figure(result, out / "gta2d_claims.png")
    return result


def _stats(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} +- {sd:.3f}"


def table(result: dict) -> str:
    lines = [f"shifted-digits, seeds {result['seeds']} x {result['steps']} steps (batch {result['batch_size']}), "
             "mean +- sd over seeds",
             f"{'position code':<14} {'in-region acc':>16} {'out-of-region acc':>18} {'CPU min/run':>12}"]
    for posenc in NAMES:
        rs = [r for r in result["rows"] if r["posenc"] == posenc]
        if rs:
            lines.append(f"{posenc:<14} {_stats([r['accuracy_in_region'] for r in rs]):>16} "
                         f"{_stats([r['accuracy_out_of_region'] for r in rs]):>18} "
                         f"{statistics.mean(r['cpu_minutes'] for r in rs):>12.1f}")
    return "\n".join(lines) + "\n"


def figure(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from zoo_gta.tasks_2d import REGIONS

    colors = {"gta": "tab:blue", "rope": "tab:orange", "ape": "tab:gray"}
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 3.6))
    for i, posenc in enumerate(NAMES):
        rs = [r for r in result["rows"] if r["posenc"] == posenc]
        if not rs:
            continue
        for j, key in enumerate(("accuracy_in_region", "accuracy_out_of_region")):
            vals = [r[key] for r in rs]
            x = j * 4 + i
            ax1.bar(x, statistics.mean(vals), color=colors[posenc], label=posenc if j == 0 else None)
            ax1.scatter([x] * len(vals), vals, color="k", s=8, zorder=3)
        cols = torch.tensor([r["by_column"] for r in rs])
        ax2.plot(range(cols.shape[1]), cols.mean(0), color=colors[posenc], label=posenc, marker="o", ms=3)
    ax1.set_xticks([1, 5], ["in region (left)", "out of region (right)"])
    ax1.set_ylabel("test accuracy")
    ax1.set_ylim(0, 1)
    ax1.legend()
    for lo, hi in [REGIONS["left"]]:
        ax2.axvspan(lo - 0.5, hi + 0.5, color="g", alpha=0.1, label="training columns")
    ax2.set_xlabel("top-left column of the digit (test digits)")
    ax2.set_ylabel("accuracy")
    ax2.set_ylim(0, 1)
    ax2.legend()
    fig.suptitle(f"shifted digits, trained on the left region: seeds {result['seeds']}, {result['steps']} steps "
                 f"of batch {result['batch_size']}")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", type=Path, default=HERE)
    args = ap.parse_args(argv)
    run(args.seeds, args.steps, args.out, batch_size=args.batch_size)


if __name__ == "__main__":
    main()

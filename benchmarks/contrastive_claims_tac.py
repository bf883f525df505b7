"""Claim at small scale (arXiv:2111.07679): fixed random crops collapse the representation of digits on a
large blank canvas; a trainable augmentation channel q_phi(T | X) learns where to crop and does not.

``tac-digits-canvas`` (trainable crop channel) and ``fixedcrop-digits-canvas`` (uniform random
crops, same side range) share the encoder, the recipe (``tac-infomax``), the data and the budget;
each is trained with several seeds through ``zoo_core.train`` and evaluated on
``representation-learning/digits-canvas``: linear-probe accuracy for the digit class (chance 0.1),
effective rank of the representation, alignment/uniformity and how much of the digit a crop holds.

``tac_claims(seeds, steps, out_dir)`` is the function ``contrastive_claims.py`` calls; run alone:

    OMP_NUM_THREADS=1 PYTHONPATH=... python benchmarks/contrastive_claims_tac.py --seeds 0 1 2 --steps 1000

Writes ``contrastive_claims_tac.{json,txt,png}`` in ``out_dir``: per model and seed the metrics;
the table gives mean and standard deviation over seeds; the figure shows the probe accuracy and
effective rank per model and where each model's crops land on example canvases.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

NAMES = {"learned": "tac-digits-canvas", "fixed": "fixedcrop-digits-canvas"}
METRICS = ("probe_accuracy", "probe_accuracy_single_draw", "effective_rank", "alignment", "uniformity",
           "digit_coverage")
HERE = Path(__file__).resolve().parent

__all__ = ["tac_claims", "table"]


def tac_claims(seeds: list[int], steps: int, out_dir: Path = HERE, *, batch_size: int | None = None) -> dict:
    """Train both channels for each seed at ``steps`` steps, evaluate, write json/txt/png; return the result."""
    import zoo
    from zoo_core.train import train
    from zoo_contrastive.tasks_tac import DigitsCanvasTask

    torch.set_num_threads(1)
    task, rows, models = DigitsCanvasTask(), [], {}
    settings = {} if batch_size is None else {"batch_size": batch_size}
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for channel, name in NAMES.items():
                t0 = time.process_time()
                folder = train(name, out=Path(tmp) / f"{name}-{seed}", steps=steps, seed=seed, progress=False,
                               **settings)
                minutes = (time.process_time() - t0) / 60
                model = zoo.load(f"local-dir:{folder}")
                models.setdefault(channel, model)          # the first seed's models go into the figure
                row = {"channel": channel, "name": name, "seed": seed, "steps": steps,
                       "cpu_minutes": round(minutes, 2), **task.evaluate(model)}
                rows.append(row)
                print(json.dumps(row), flush=True)
                result = _write(rows, steps, Path(out_dir), models)   # after every run: a cut-short run keeps its rows
    print(table(result))
    return result


def _summary(rows: list[dict]) -> dict:
    out = {}
    for channel in NAMES:
        mine = [r for r in rows if r["channel"] == channel]
        if mine:
            out[channel] = {k: (statistics.mean(r[k] for r in mine),
                                statistics.stdev(r[k] for r in mine) if len(mine) > 1 else 0.0) for k in METRICS}
            out[channel]["seeds"] = len(mine)
    return out


def table(result: dict) -> str:
    lines = [f"digits-canvas (64x64, 16x16 digits), {result['steps']} steps, mean +- sd over seeds "
             f"{sorted({r['seed'] for r in result['rows']})}; linear probe chance = 0.1",
             f"{'channel':<8}" + "".join(f"{k:>28}" for k in METRICS)]
    for channel, s in result["summary"].items():
        lines.append(f"{channel:<8}" + "".join(f"{s[k][0]:>19.3f} +- {s[k][1]:5.3f}" for k in METRICS))
    return "\n".join(lines)


def _write(rows: list[dict], steps: int, out_dir: Path, models: dict) -> dict:
    out_dir.mkdir(parents=True, exist_ok=True)
    result = {"steps": steps, "rows": rows, "summary": _summary(rows)}
    (out_dir / "contrastive_claims_tac.json").write_text(json.dumps(result, indent=1))
    (out_dir / "contrastive_claims_tac.txt").write_text(table(result) + "\n")
    _figure(result, models, out_dir / "contrastive_claims_tac.png")
    return result


def _figure(result: dict, models: dict, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from zoo_contrastive.figures_tac import _examples, draw_crops

    fig = Figure(figsize=(11, 5.2), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.add_gridspec(2, 7)
    for col, (key, label) in enumerate((("probe_accuracy", "linear probe accuracy"),
                                        ("effective_rank", "effective rank"))):
        ax = fig.add_subplot(grid[col, 0:2])
        for i, channel in enumerate(NAMES):
            vals = [r[key] for r in result["rows"] if r["channel"] == channel]
            ax.bar(i, statistics.mean(vals) if vals else 0, color=("tab:blue", "tab:orange")[i], alpha=0.7)
            ax.plot([i] * len(vals), vals, "k.", ms=4)
        ax.set_xticks(range(len(NAMES)), list(NAMES))
        ax.set_title(label, fontsize=9)
        if key == "probe_accuracy":
            ax.axhline(0.1, color="gray", ls=":", lw=1)
    x, _, dboxes = _examples()
    for row, channel in enumerate(NAMES):
        if channel in models:
            axes = [fig.add_subplot(grid[row, 2 + j]) for j in range(5)]
            draw_crops(axes, models[channel], x[:5], dboxes[:5])
            axes[0].set_ylabel(NAMES[channel], fontsize=8)
    fig.suptitle(f"Trainable augmentation channel vs fixed random crops, {result['steps']} steps "
                 "(dots: seeds; crops of the first seed's models, digit dashed green)", fontsize=9)
    fig.savefig(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--out", type=Path, default=HERE)
    a = p.parse_args()
    tac_claims(a.seeds, a.steps, a.out)


if __name__ == "__main__":
    main()

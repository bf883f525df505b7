"""Claim at small scale (arXiv:2210.07413): contrastive learning with the lasso-type (group-lasso)
metric recovers the invariance-adapted components, up to mixing within each, while the cosine
similarity of SimCLR (and squared Euclidean) mixes them.

Setting: the synthetic latent-variable model of ``zoo_contrastive.latents`` (4 blocks of 2
factors; 4 augmentation families over overlapping pairs of blocks) under two mixing functions,
the invertible MLP (``identifiability/latent-blocks``) and a linear map
(``identifiability/latent-blocks-linear``). For each seed and mixing, ``lasso-synthetic``'s recipe
is trained with each similarity at the entries' budget, through ``zoo_core.train``, and
evaluated by the task: the R^2 matrix of true components against learned blocks, its best
matching (``matched_r2``), the matched share (``block_purity``), and how many blocks a positive
pair moves (``blocks_moved``, truth 2). The entries are the two-stage ``GroupedEncoder``
(``zoo_contrastive.grouping``: blocks of one coordinate, then grouped into blocks of 2 by
movement pattern), so the blocks scored are the grouped ones. ``--steps`` shortens a run but not
its cosine learning-rate schedule, which is the recipe's (over the entry's ``train.steps``).

Usage (1 thread, one training at a time):

    OMP_NUM_THREADS=1 PYTHONPATH=... python benchmarks/contrastive_claims.py --seeds 0 1 2 --metrics group_lasso cosine

Writes ``benchmarks/contrastive_claims.{json,txt,png}`` (the figure: both mixings, the R^2
matrices of lasso and cosine for the first seed). A cut-short run keeps its finished rows.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
METRICS = {"group_lasso": ("lasso-synthetic", {}), "cosine": ("simclr-synthetic", {}),
           "sqeuclidean": ("lasso-synthetic", {"metric": "sqeuclidean", "temperature": 0.5})}
MIXINGS = {"mlp": "identifiability/latent-blocks", "linear": "identifiability/latent-blocks-linear"}


def run(seeds: list[int], steps: int | None, out: Path, *, metrics: list[str], mixings: list[str]) -> dict:
    import zoo
    from zoo_core.train import train
    from zoo_contrastive.tasks_lasso import LatentBlocksLinearTask, LatentBlocksTask, analyse

    torch.set_num_threads(1)
    tasks = {"mlp": LatentBlocksTask(), "linear": LatentBlocksLinearTask()}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in seeds:
            for mixing in mixings:
                for metric in metrics:
                    name, settings = METRICS[metric]
                    t0 = time.process_time()
                    folder = train(name, out=Path(tmp) / f"{metric}-{mixing}-{seed}", steps=steps, seed=seed,
                                   progress=False, mixing=mixing, **settings)
                    model = zoo.load(f"local-dir:{folder}")
                    a = analyse(model, tasks[mixing].latent)
                    row = {"metric": metric, "mixing": mixing, "seed": seed, "steps": steps or _entry_steps(name),
                           "cpu_minutes": round((time.process_time() - t0) / 60, 2),
                           **tasks[mixing].evaluate(model), "r2": a["r2"].round(4).tolist(),
                           "assignment": a["assignment"], "matched_r2_full": a["matched_r2"],
                           "block_purity_full": a["block_purity"]}
                    rows.append(row)
                    print(json.dumps({k: v for k, v in row.items() if k not in ("r2",)}), flush=True)
                    result = write(rows, steps, out)
    print(table(result))
    return result


def _entry_steps(name: str) -> int:
    import zoo

    return int(zoo.registry().resolve(name).train["steps"])


def write(rows: list[dict], steps: int | None, out: Path) -> dict:
    result = {"steps": steps or rows[0]["steps"], "seeds": sorted({r["seed"] for r in rows}), "rows": rows}
    (out / "contrastive_claims.json").write_text(json.dumps(result, indent=1))
    (out / "contrastive_claims.txt").write_text(table(result))
    figure(result, out / "contrastive_claims.png")
    return result


def _stats(values: list[float]) -> str:
    sd = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.3f} +- {sd:.3f}"


def table(result: dict) -> str:
    lines = [f"latent blocks, seeds {result['seeds']} x {result['steps']} steps, mean +- sd over seeds",
             f"{'mixing':<7} {'similarity':<12} {'matched R2':>16} {'block purity':>16} {'blocks moved (2)':>17}"]
    for mixing in MIXINGS:
        for metric in METRICS:
            rs = [r for r in result["rows"] if r["metric"] == metric and r["mixing"] == mixing]
            if rs:
                lines.append(f"{mixing:<7} {metric:<12} {_stats([r['matched_r2'] for r in rs]):>16} "
                             f"{_stats([r['block_purity'] for r in rs]):>16} {_stats([r['blocks_moved'] for r in rs]):>17}")
    return "\n".join(lines) + "\n"


def figure(result: dict, path: Path) -> None:
    """R^2 matrices of lasso and cosine for each mixing (first seed), in one figure."""
    import numpy as np
    from zoo_contrastive.figures_lasso import r2_panels

    seed = result["seeds"][0]
    panels = []
    for mixing in MIXINGS:
        for metric in ("group_lasso", "cosine"):
            r = next((r for r in result["rows"] if (r["metric"], r["mixing"], r["seed"]) == (metric, mixing, seed)), None)
            if r:
                panels.append((f"{metric}, {mixing} mixing", {"r2": np.array(r["r2"]), "assignment": r["assignment"],
                                                             "matched_r2": r["matched_r2_full"],
                                                             "block_purity": r["block_purity_full"]}))
    if panels:
        r2_panels(panels, path, suptitle=f"R2 of true components from learned blocks (seed {seed}, {result['steps']} steps)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--steps", type=int, default=None, help="default: the entries' train.steps")
    p.add_argument("--metrics", nargs="+", default=list(METRICS), choices=list(METRICS))
    p.add_argument("--mixings", nargs="+", default=list(MIXINGS), choices=list(MIXINGS))
    p.add_argument("--out", type=Path, default=HERE)
    a = p.parse_args()
    run(a.seeds, a.steps, a.out, metrics=a.metrics, mixings=a.mixings)


if __name__ == "__main__":
    main()

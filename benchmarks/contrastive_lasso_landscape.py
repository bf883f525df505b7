"""Why lasso-type contrastive learning stops banded here: the group-lasso InfoNCE on the true latents
and on hand-built wrong splits of them, and the held-out loss trained encoders reach (arXiv:2210.07413).

The claims run (``contrastive_claims.py``) ends with learned blocks that each hold one coordinate of
each of two neighbouring components ("banded" R^2 matrices). This script measures, on one fixed set
of held-out positive pairs (``PairDataset(LatentModel(), 2048, seed=77)``, batches of 256, the
recipe's temperature 0.5, the best of a grid of output scales, since the lasso loss only sees
``scale / temperature``):

* ``truth``: ``z = c`` (blocks = components);
* ``crosswise``: components 0 and 3 (moved together by family 3) split across two learned blocks,
  one coordinate of each per block, and likewise 1 and 2; ``crosswise, non-adjacent``: the same
  with components that no family moves together (0 with 2, 1 with 3); ``random rotation``;
* the path from ``crosswise`` to ``truth`` (a rotation by 0..90 degrees of one coordinate of each
  pair): a rise before the fall makes ``crosswise`` a local minimum along it;
* with ``--weights DIR ...``: each trained encoder's loss on the same pairs (``x = g(c)``).

    OMP_NUM_THREADS=1 PYTHONPATH=... python benchmarks/contrastive_lasso_landscape.py [--weights runs/lasso-synthetic --mixing mlp]

Writes ``benchmarks/contrastive_lasso_landscape.{json,txt}``.
"""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
SCALES = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 6.0)
ANGLES = (0, 15, 30, 45, 60, 75, 90)


def crosswise(angle: float, pairs=((0, 3), (1, 2))) -> torch.Tensor:
    """``P [8, 8]`` with ``z = c @ P``: for each pair of components (A, B), learned blocks
    ``(A_0, cos t B_0 + sin t A_1)`` and ``(cos t A_1 - sin t B_0, B_1)``; ``t = 0`` splits A and B
    crosswise, ``t = 90`` degrees gives the blocks A and B (up to a sign)."""
    P = torch.zeros(8, 8, dtype=torch.float64)
    ct, st = math.cos(math.radians(angle)), math.sin(math.radians(angle))
    for k, (A, B) in enumerate(pairs):
        a0, a1, b0, b1, col = 2 * A, 2 * A + 1, 2 * B, 2 * B + 1, 4 * k
        P[a0, col] = 1
        P[b0, col + 1], P[a1, col + 1] = ct, st
        P[a1, col + 2], P[b0, col + 2] = ct, -st
        P[b1, col + 3] = 1
    return P


BATCH = 256


def heldout_loss(z1: torch.Tensor, z2: torch.Tensor, *, batch: int | None = None, temperature: float = 0.5) -> float:
    """The recipe's loss (group-lasso InfoNCE, 4 blocks) averaged over consecutive batches."""
    from zoo_contrastive.losses import info_nce

    batch = batch or BATCH
    with torch.no_grad():
        ls = [float(info_nce(z1[i:i + batch], z2[i:i + batch], metric="group_lasso", temperature=temperature,
                             n_blocks=4)) for i in range(0, len(z1) - batch + 1, batch)]
    return sum(ls) / len(ls)


def best_scale(c1: torch.Tensor, c2: torch.Tensor, P: torch.Tensor) -> float:
    return min(heldout_loss(s * c1 @ P, s * c2 @ P) for s in SCALES)


def fixed_scale(s: float) -> None:
    """Evaluate at the one output scale ``s`` instead of the best of ``SCALES``."""
    global SCALES
    SCALES = (s,)


def run(weights: list[Path], out: Path | None, *, mixing: str = "mlp", design: dict | None = None) -> dict:
    import zoo
    from zoo_contrastive.latents import LatentModel, PairDataset

    torch.set_num_threads(1)
    design = design or {}
    positives = design.pop("positives", "one")
    ds = PairDataset(LatentModel(**design), 2048, seed=77, positives=positives)
    c1, c2 = ds.c.double(), ds.c2.double()
    R = torch.linalg.qr(torch.randn(8, 8, generator=torch.Generator().manual_seed(0), dtype=torch.float64))[0]
    result = {"truth": best_scale(c1, c2, torch.eye(8, dtype=torch.float64)),
              "crosswise": best_scale(c1, c2, crosswise(0)),
              "crosswise, non-adjacent": best_scale(c1, c2, crosswise(0, ((0, 2), (1, 3)))),
              "random rotation": best_scale(c1, c2, R),
              "path crosswise -> truth (degrees: loss)": {a: best_scale(c1, c2, crosswise(a)) for a in ANGLES},
              "trained": {}}
    mix = LatentModel(mixing=mixing, **design).mixing_function()
    for folder in weights:
        model = zoo.load(f"local-dir:{folder}")
        model.eval()
        with torch.no_grad():
            result["trained"][f"{folder} ({mixing} mixing)"] = heldout_loss(model(mix(ds.c)), model(mix(ds.c2)))
    result["design"] = {**design, "positives": positives, "batch": BATCH}
    if out is not None:
        (out / "contrastive_lasso_landscape.json").write_text(json.dumps(result, indent=1))
        (out / "contrastive_lasso_landscape.txt").write_text(table(result))
    print(table(result))
    return result


def table(r: dict) -> str:
    lines = [f"group-lasso InfoNCE on 2048 held-out positive pairs ({r['design']}, temperature 0.5, best output scale)"]
    for k in ("truth", "crosswise", "crosswise, non-adjacent", "random rotation"):
        lines.append(f"  {k:<28} {r[k]:.4f}")
    path = r["path crosswise -> truth (degrees: loss)"]
    lines.append("  path crosswise -> truth: " + "  ".join(f"{a} deg {v:.4f}" for a, v in path.items()))
    for k, v in r["trained"].items():
        lines.append(f"  trained {k:<40} {v:.4f}")
    return "\n".join(lines) + "\n"


def main() -> None:
    global BATCH
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--weights", type=Path, nargs="*", default=[])
    p.add_argument("--mixing", choices=("mlp", "linear"), default="mlp", help="the mixing the --weights were trained on")
    p.add_argument("--scale", type=float, default=0.5, help="perturbation of a moved block (the data's default)")
    p.add_argument("--jitter", type=float, default=0.05, help="perturbation of every coordinate (the data's default)")
    p.add_argument("--positives", choices=("one", "subset"), default="one")
    p.add_argument("--fixed-scale", type=float, default=None, help="one output scale instead of the best of a grid")
    p.add_argument("--batch", type=int, default=BATCH, help="InfoNCE batch (the recipe's 256)")
    p.add_argument("--out", type=Path, default=None, help="folder for the .json/.txt (default: benchmarks/, and only "
                                                           "for the default design)")
    a = p.parse_args()
    BATCH = a.batch
    design = {"scale": a.scale, "jitter": a.jitter, "positives": a.positives}
    default = design == {"scale": 0.5, "jitter": 0.05, "positives": "one"} and a.batch == 256 and a.fixed_scale is None
    if a.fixed_scale is not None:
        fixed_scale(a.fixed_scale)
    run(a.weights, a.out or (HERE if default else None), mixing=a.mixing, design=design)


if __name__ == "__main__":
    main()

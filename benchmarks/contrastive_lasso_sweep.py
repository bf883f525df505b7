"""One small lasso-type contrastive training (arXiv:2210.07413) with the settings of the README's table of
what was tried ("Why the blocks stop banded"): prints one JSON line with the recovery scores, the
R^2 matrix, the held-out group-lasso InfoNCE the encoder reaches and that of the true latents.

Not the recipe's loop: Adam with an optional cosine schedule, the group-lasso InfoNCE computed with
``torch.cdist`` per block (the formula of the op's reference, ``D_ij = sum_b ||z1_ib - z2_jb||``,
without forming ``[B, B, blocks, d]``: 2x faster on one CPU thread), and two data options the
recipe lacks: ``--resample`` (moved blocks redrawn from the prior instead of ``c + scale * eps``)
and other family layouts (``--families allpairs`` / ``triples``).

    OMP_NUM_THREADS=1 PYTHONPATH=... python benchmarks/contrastive_lasso_sweep.py --mixing linear --depth 0 \\
        --lr 1e-2 --sched cos --steps 1000 --npairs 20000 --seed 0 [--nb 8] [--B 64] [--resample] ...

Scores: R^2 from kernel ridge (linear regression for a linear encoder on the linear mixing) on
1,000 latents (seed 9); held-out loss on 4,096 pairs (seed 77) in batches of 256; the truth's at
the best of a grid of scales (``--notruth`` skips it).
"""

from __future__ import annotations

import argparse
import json
import math
import time

import torch

FAMILIES = {"cyclic": ((0, 1), (1, 2), (2, 3), (3, 0)), "allpairs": ((0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)),
            "triples": ((0, 1, 2), (1, 2, 3), (2, 3, 0), (3, 0, 1))}


def lasso_infonce(z1, z2, *, n_blocks: int, temperature: float):
    from zoo_contrastive.ops.group_lasso_infonce.reference import symmetric_infonce

    D = sum(torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist") for a, b in
            zip(z1.reshape(len(z1), n_blocks, -1).unbind(1), z2.reshape(len(z2), n_blocks, -1).unbind(1)))
    return symmetric_infonce(-D / temperature)


def latent_model(a):
    from zoo_contrastive.latents import LatentModel

    class Resampled(LatentModel):
        """Moved blocks redrawn from the prior N(0, I), jitter everywhere."""

        def augment(self, c, family, generator):
            family = torch.as_tensor(family)
            masks = self.family_masks()
            moved = (family.float() @ masks.float()) > 0 if family.dtype == torch.bool else masks[family.expand(len(c))]
            fresh = torch.randn(c.shape, generator=generator)
            return torch.where(moved, fresh, c) + self.jitter * torch.randn(c.shape, generator=generator)

    cls = Resampled if a.resample else LatentModel
    return cls(mixing=a.mixing, scale=a.scale, jitter=a.jitter, families=FAMILIES[a.families])


def heldout_loss(f, x1, x2, a, B=256):
    with torch.no_grad():
        ls = [float(lasso_infonce(f(x1[i:i + B]), f(x2[i:i + B]), n_blocks=a.nb, temperature=a.T))
              for i in range(0, len(x1) - B + 1, B)]
    return sum(ls) / len(ls)


def group_by_pattern(model, latent, c, z):
    """Each learned coordinate's pattern: per family, how far its positive pairs move it relative to random pairs
    (``evaluation.movement`` on 2,000 latents c); coordinates paired by pattern become blocks of 2, scored by R^2."""
    import numpy as np
    from zoo_contrastive.evaluation import movement, r2_matrix, recovery_scores
    from zoo_contrastive.grouping import group_coordinates

    g = torch.Generator().manual_seed(3)
    mix = latent.mixing_function()
    with torch.no_grad():
        pats = np.stack([movement(z, model(mix(latent.augment(c, k, g))), z.shape[1])[0]
                         for k in range(len(latent.families))], 1)
    order = group_coordinates(pats, block_dim=2)  # greedy pairing of the closest patterns
    pairs = list(zip(order[::2], order[1::2]))
    blocks = [z[:, list(p)] for p in pairs]
    r2 = r2_matrix(blocks, [c[:, d] for d in latent.component_dims()],
                   regressor="linear" if latent.mixing == "linear" and model.net[0].__class__.__name__ == "Linear"
                   and len(model.net) == 1 else "kernel")
    sc = recovery_scores(r2)
    return {"pairs": pairs, "grouped_matched_r2": round(sc["matched_r2"], 3),
            "grouped_purity": round(sc["block_purity"], 3), "grouped_r2": r2.round(2).tolist()}


def main() -> None:
    from zoo_contrastive.evaluation import r2_matrix, recovery_scores
    from zoo_contrastive.lasso import BlockEncoder
    from zoo_contrastive.latents import PairDataset
    from zoo_contrastive.losses import info_nce

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--metric", default="group_lasso", choices=("group_lasso", "cosine"),
                   help="cosine: the SimCLR control (plugin's info_nce; use --T 0.2)")
    p.add_argument("--T", type=float, default=0.5)
    p.add_argument("--mixing", default="mlp", choices=("mlp", "linear"))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=int, default=1500)
    p.add_argument("--B", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--sched", default="const", choices=("const", "cos"))
    p.add_argument("--depth", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--nb", type=int, default=4, help="learned blocks (4 = as many as components)")
    p.add_argument("--block-dim", type=int, default=2, help="coordinates per learned block (1: the L1 distance)")
    p.add_argument("--scale", type=float, default=0.5)
    p.add_argument("--jitter", type=float, default=0.05)
    p.add_argument("--families", default="cyclic", choices=list(FAMILIES))
    p.add_argument("--positives", default="one", choices=("one", "subset"))
    p.add_argument("--resample", action="store_true")
    p.add_argument("--npairs", type=int, default=100_000)
    p.add_argument("--notruth", action="store_true")
    p.add_argument("--group", action="store_true", help="with --block-dim 1: also pair the learned coordinates by the "
                   "families that move them (no labels) and score the pairs as blocks of 2")
    p.add_argument("--tag", default="")
    a = p.parse_args()
    torch.set_num_threads(1)
    latent = latent_model(a)
    torch.manual_seed(a.seed)
    model = BlockEncoder(depth=a.depth, hidden=a.hidden, n_blocks=a.nb, block_dim=a.block_dim)
    ds = PairDataset(latent, a.npairs, seed=1000 + a.seed, positives=a.positives)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    decay = (lambda s: 0.5 * (1 + math.cos(math.pi * s / a.steps))) if a.sched == "cos" else (lambda s: 1.0)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, decay)
    g = torch.Generator().manual_seed(a.seed)
    t0, curve = time.time(), []
    for step in range(a.steps):
        i = torch.randint(0, len(ds), (a.B,), generator=g)
        if a.metric == "cosine":
            loss = info_nce(model(ds.x[i]), model(ds.x2[i]), metric="cosine", temperature=a.T)
        else:
            loss = lasso_infonce(model(ds.x[i]), model(ds.x2[i]), n_blocks=a.nb, temperature=a.T)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if step % max(1, a.steps // 6) == 0:
            curve.append(round(float(loss), 3))
    model.eval()
    c = latent.sample(1000, torch.Generator().manual_seed(9))
    with torch.no_grad():
        z = model(latent.mixing_function()(c))
    reg = "linear" if a.mixing == "linear" and a.depth == 0 else "kernel"
    r2 = r2_matrix(list(z.reshape(1000, a.nb, -1).unbind(1)), [c[:, d] for d in latent.component_dims()], regressor=reg)
    sc = recovery_scores(r2)
    grouped = {}
    if a.group:
        grouped = group_by_pattern(model, latent, c, z)
    test = PairDataset(latent, 4096, seed=77)
    truth = float("nan")
    if a.nb * a.block_dim == 8 and not a.notruth:
        inv = latent.mixing_function().inverse
        truth = min(heldout_loss(lambda x, s=s: s * inv(x), test.x, test.x2, a) for s in (0.5, 1, 2, 3, 4, 6, 8, 12, 16))
    print(json.dumps({"tag": a.tag, **{k: v for k, v in vars(a).items() if k != "tag"},
                      "matched_r2": round(sc["matched_r2"], 3), "purity": round(sc["block_purity"], 3),
                      "loss_model": round(heldout_loss(model, test.x, test.x2, a), 4), "loss_truth_best": round(truth, 4),
                      **grouped, "wall_s": round(time.time() - t0, 1), "curve": curve, "r2": r2.round(2).tolist()}), flush=True)


if __name__ == "__main__":
    main()

"""Train the OFFICIAL U-NFT 1-D model (masomatics/NFTPublic ``oned_experiments``) and read its
character spectrum with zoo-nft's task, to see whether the official code recovers the five strong
frequencies at a given budget.

The official ``run.py`` needs ``pytorch_pfn_extras`` for its training manager; this script builds
the official dataset (``Shifted_FreqFun_nl``, ``configs/NDFT.yml``) and model (``SeqAETSQmlp``)
from the checkout and steps them with a loop equal to ``training_loops.loop_seqmodel`` (Adam,
reconstruction while ``it < reconst_iter``, lr/3 from ``lr_decay_iter``, the config's seed for
torch/numpy/random), with ``ppe.reporting.report`` replaced by a no-op (the models log through
it). The trained state dict goes through ``zoo_nft.convert.convert_state_dict`` into
``nft-1d-timewarp`` and is evaluated by ``TimeWarpF1Task`` (the official ``test = 1`` draw, M* from
the two conditioning frames, ``c(f)`` on integer f in 0..64), the same evaluation as our runs.
Nothing of the official code is copied; it is imported from ``--official``.

    PYTHONPATH=.:plugins/msp:plugins/nft python benchmarks/nft_timewarp_official.py \\
        --official /tmp/nftoff --seed 1 --steps 30000 --lr 1e-4 [--deps /tmp/nft-official-deps]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import types
from pathlib import Path

import numpy as np
import torch


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="the NFTPublic checkout")
    ap.add_argument("--deps", default="/tmp/nft-official-deps", help="a folder holding einops (pip --target)")
    ap.add_argument("--seed", type=int, default=1, help="the config's seed (NDFT.yml: 1)")
    ap.add_argument("--steps", type=int, default=30000)
    ap.add_argument("--lr", type=float, default=1e-4, help="NDFT.yml: 1e-5 (with 100k steps)")
    ap.add_argument("--reconst-iter", type=int, default=30000)
    ap.add_argument("--lr-decay-iter", type=int, default=80000)
    args = ap.parse_args()
    import yaml

    torch.set_num_threads(1)
    root = Path(args.official).resolve() / "oned_experiments"
    sys.path[:0] = [args.deps, str(root), str(root / "datasets"), str(root / "models")]
    ppe = types.ModuleType("pytorch_pfn_extras")
    ppe.reporting = types.SimpleNamespace(report=lambda *a, **k: None)
    sys.modules["pytorch_pfn_extras"] = ppe
    here = os.getcwd()
    os.chdir(root)   # the official loaders resolve their module files relative to it
    from utils import yaml_utils as yu

    config = yaml.safe_load(open("configs/NDFT.yml"))
    torch.manual_seed(args.seed), random.seed(args.seed), np.random.seed(args.seed)
    data = yu.load_component(config["train_data"])
    loader = torch.utils.data.DataLoader(data, batch_size=config["batchsize"], shuffle=True, num_workers=0)
    config["model"]["args"]["dim_data"] = config["train_data"]["args"]["N"]
    model = yu.load_component(config["model"])
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    it, t0 = 0, time.time()
    while it < args.steps:
        for images, label in loader:
            if it >= args.steps:
                break
            opt.param_groups[0]["lr"] = args.lr / 3 if it >= args.lr_decay_iter else args.lr
            model.train()
            if isinstance(images, list):
                images = torch.stack(images).transpose(1, 0)
            loss, _ = model.loss(images, T_cond=config["T_cond"], return_reg_loss=True,
                                 reconst=it < args.reconst_iter, indices=label)
            opt.zero_grad()
            loss.backward()
            opt.step()
            it += 1
    os.chdir(here)
    import zoo
    from zoo_nft.convert import convert_state_dict
    from zoo_nft.tasks_1d import TimeWarpF1Task

    ours = zoo.create("nft-1d-timewarp")
    ours.load_state_dict(convert_state_dict(model.state_dict()))
    r = TimeWarpF1Task().evaluate(ours.eval(), limit=1000, sbd=False)
    print(f"official SeqAETSQmlp, seed {args.seed}, {args.steps} steps at lr {args.lr:g} "
          f"({(time.time() - t0) / 60:.1f} min): top 5 of c(f) {[int(r[f'char_top{i}']) for i in range(1, 6)]}, "
          f"strong recovered {int(r['strong_recovered'])}/5, mean prediction SSE {float(r['pred_sse_mean']):.3f}")
    print("c(f) at the true frequencies:", {k[8:]: round(float(v), 2) for k, v in r.items() if k.startswith("char_at_")})


if __name__ == "__main__":
    main()

"""Parity and speed of zoo-msp against the official MSP code (takerum/meta_sequential_prediction).

Usage (the official snapshot is NOT part of the project; unpack it anywhere, e.g. with
``git archive``, and install its import-time dependencies ``einops`` and
``pytorch-pfn-extras`` into the environment you run this with):

    PYTHONPATH=/work/main:/work/main/plugins/msp python benchmarks/msp_parity.py --official /tmp/msp_official

For every model class: build the official model (materialising its lazy layers), copy its
weights into ours with ``zoo_msp.convert.convert_state_dict``, and report the largest absolute
difference of the loss, of the forward outputs and of every parameter gradient. Then time a
training step (loss + backward + Adam, as the official ``loop_seqmodel``) of the official and
our MSP, interleaved in the same process, and print the CPU time ratio (ours / official).
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import time

import torch


def _official(path: str):
    sys.path.insert(0, os.path.abspath(path))
    cwd = os.getcwd()
    os.chdir(path)
    try:
        from models import seqae, simclr_models  # noqa: F401  (official modules)
    finally:
        os.chdir(cwd)
    return seqae, simclr_models


def _pairs(O, S):
    """(name, official ctor, our ctor, kwargs, T, T_cond, loss kwargs) for every class."""
    from zoo_msp import models as Z

    small = dict(dim_m=8, dim_a=4, ch_x=3, k=0.25)
    return [
        ("MSP (lstsq)", O.SeqAELSTSQ, Z.MSP, dict(small, predictive=True), 4, 2, {}),
        ("MSP rec (lstsq_rec)", O.SeqAELSTSQ, Z.MSP, dict(small, predictive=False), 3, 3, {}),
        ("MSP 2nd order (holstsq)", O.SeqAEHOLSTSQ, Z.MSPHigherOrder,
         dict(small, n_order=2), 8, 5, {}),
        ("MSP fixed blocks (lstsq_multi)", O.SeqAEMultiLSTSQ, Z.MSPFixedBlocks,
         dict(small, K=2), 3, 2, {}),
        ("MSP 3dshapes-like (bw 8)", O.SeqAELSTSQ, Z.MSP,
         dict(small, bottom_width=8, ch_x=3), 3, 2, {}),
        ("MSP smallNORB-like (n_blocks 4, bw 6)", O.SeqAELSTSQ, Z.MSP,
         dict(small, bottom_width=6, n_blocks=4, ch_x=1), 3, 2, {}),
        ("Neural M*", O.SeqAENeuralM, Z.NeuralM, dict(small), 3, 2, {"reconst": True}),
        ("Neural M* latent-pred", O.SeqAENeuralMLatentPredict, Z.NeuralMLatentPredict,
         dict(small, loss_latent_coeff=0.1, loss_reconst_coeff=1.0), 3, 2, {}),
        ("Neural transition", O.SeqAENeuralTransition, Z.NeuralTransition, dict(small), 4, 2,
         {"reconst": True}),
        ("CPC", O.CPC, Z.CPC, dict(dim_m=1, dim_a=32, k=0.25), 3, 2, {}),
    ]


def _drop(kwargs, *names):
    return {k: v for k, v in kwargs.items() if k not in names}


def _maxdiff(a, b):
    return (a.detach().double() - b.detach().double()).abs().max().item()


def _grad_diff(official: dict, ours: dict) -> float:
    """Largest |g_official - g_ours| relative to the largest |g_official| of the same tensor."""
    worst = 0.0
    for k, p in official.items():
        if p.grad is None and ours[k].grad is None:
            continue
        scale = p.grad.abs().max().item()
        if scale > 1e-3:  # skip tensors whose true gradient is ~0 (biases before GroupNorm)
            worst = max(worst, _maxdiff(p.grad, ours[k].grad) / scale)
    return worst


def check_parity(O, S) -> list[tuple[str, float, float, float]]:
    from zoo_msp import models as Z
    from zoo_msp.convert import convert_state_dict

    rows = []
    for name, ocls, zcls, kw, T, T_cond, lkw in _pairs(O, S):
        torch.manual_seed(0)
        size = kw.get("bottom_width", 4) * 2 ** kw.get("n_blocks", 3)
        xs = torch.rand(4, T, kw.get("ch_x", 3), size, size)
        zkw = dict(kw)
        if zcls is Z.CPC:
            zkw.update(ch_x=3, image_size=size)
        off = ocls(**kw)
        with torch.no_grad():  # materialise the official lazy layers
            off.loss(xs[:2], T_cond=T_cond, **lkw)
        ours = zcls(**zkw)
        ours.load_state_dict(convert_state_dict(off.state_dict()))
        lo = off.loss(xs, T_cond=T_cond, **lkw)
        lz = ours.loss(xs, T_cond=T_cond, **lkw)
        lo = lo[0] if isinstance(lo, tuple) else lo
        lz = lz[0] if isinstance(lz, tuple) else lz
        lo.backward()
        lz.backward()
        zp = dict(ours.named_parameters())
        gdiff = _grad_diff(convert_state_dict(dict(off.named_parameters())), zp)
        with torch.no_grad():
            if zcls in (Z.CPC,):
                fo, fz = off(xs[:, :T_cond]), ours(xs[:, :T_cond])
            elif zcls is Z.NeuralMLatentPredict:
                fo = off(xs, n_rolls=T - T_cond, T_cond=T_cond)[0]
                fz = ours(xs[:, :T_cond], n_rolls=T - T_cond, reconst=True)
            else:
                fo = off(xs[:, :T_cond], n_rolls=max(T - T_cond, 1))
                fz = ours(xs[:, :T_cond], n_rolls=max(T - T_cond, 1))
        rows.append((name, _maxdiff(lo, lz), _maxdiff(fo, fz), gdiff))

    # SimCLR (ResNetwProjHead) with the official loss function
    from utils.clr import simclr  # official

    torch.manual_seed(0)
    xs = torch.rand(4, 3, 3, 32, 32)
    off = S.ResNetwProjHead(dim_mlp=32, dim_head=16, k=0.25)
    with torch.no_grad():
        off(xs[:2])
    ours = Z.SimCLR(dim_mlp=32, dim_head=16, k=0.25)
    ours.load_state_dict(convert_state_dict(off.state_dict()))
    zo, zz = off(xs), ours(xs)
    lo = simclr([zo[:, i] for i in range(3)], temperature=0.01, loss_type="cossim")
    lz = ours.loss(xs, temperature=0.01)
    lo.backward()
    lz.backward()
    zp = dict(ours.named_parameters())
    gdiff = _grad_diff(convert_state_dict(dict(off.named_parameters())), zp)
    rows.append(("SimCLR", _maxdiff(lo, lz), _maxdiff(zo, zz), gdiff))
    return rows


def profile_step(step, reps: int = 3) -> None:
    """Where our training step's CPU time goes, by operator (torch.profiler, self CPU time)."""
    from zoo_core.testing.parity import operator_shares

    print(f"\nOur training step by operator (torch.profiler, {reps} steps, share of self CPU time):\n")
    for name, share in operator_shares(step, reps=reps):
        print(f"    {name:40s} {share:5.1f} %")
    print()


def time_training_step(O, *, k: float, dim_m: int, batch: int, reps: int, threads: int):
    """Interleaved timing of one training step, official vs ours (same weights, same data)."""
    from zoo_msp.convert import convert_state_dict
    from zoo_msp.models import MSP

    torch.set_num_threads(threads)
    torch.manual_seed(0)
    xs = torch.rand(batch, 3, 3, 32, 32)
    off = O.SeqAELSTSQ(dim_m=dim_m, dim_a=16, ch_x=3, k=k, predictive=True)
    with torch.no_grad():
        off.loss(xs[:2], T_cond=2)
    ours = MSP(dim_m=dim_m, dim_a=16, ch_x=3, k=k, predictive=True)
    ours.load_state_dict(convert_state_dict(off.state_dict()))
    n_params = sum(p.numel() for p in ours.parameters())
    opt_o = torch.optim.Adam(off.parameters(), lr=3e-4)
    opt_z = torch.optim.Adam(ours.parameters(), lr=3e-4)

    def step_official():
        off.train()
        loss, (bd, orth, _) = off.loss(xs, T_cond=2, return_reg_loss=True, reconst=False)
        opt_o.zero_grad()
        loss.backward()
        opt_o.step()
        return loss.item(), bd.item(), orth.item()

    def step_ours(with_reg: bool):
        ours.train()
        if with_reg:  # what the official loop computes every step (for logging)
            loss, reg = ours.loss(xs, T_cond=2, return_reg_loss=True)
            reg["loss_bd"].item(), reg["loss_orth"].item()
        else:  # what zoo_msp.recipes computes between logging steps
            loss = ours.loss(xs, T_cond=2)
        opt_z.zero_grad()
        loss.backward()
        opt_z.step()
        return loss.item()

    ours_cl = copy.deepcopy(ours).to(memory_format=torch.channels_last)
    opt_cl = torch.optim.Adam(ours_cl.parameters(), lr=3e-4)

    def step_ours_cl():  # channels-last weights (the inputs are 5-D sequences: left as they are)
        ours_cl.train()
        loss = ours_cl.loss(xs, T_cond=2)
        opt_cl.zero_grad()
        loss.backward()
        opt_cl.step()

    fns = {"official": step_official, "ours": lambda: step_ours(False),
           "ours+reg": lambda: step_ours(True), "ours-cl": step_ours_cl}
    for fn in fns.values():
        for _ in range(2):
            fn()
    wall = {k: [] for k in fns}
    cpu = {k: [] for k in fns}
    for _ in range(reps):
        for name, fn in fns.items():
            t0, c0 = time.perf_counter(), time.process_time()
            fn()
            wall[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    return n_params, ({k: statistics.median(v) for k, v in wall.items()},
                      {k: statistics.median(v) for k, v in cpu.items()}), fns["ours"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="directory of the official repository snapshot")
    ap.add_argument("--reps", type=int, default=10)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--full", action="store_true", help="also time the paper's MNIST config (k=2, dim_m=256)")
    args = ap.parse_args()
    O, S = _official(args.official)
    torch.set_num_threads(args.threads)

    print("## Parity (same weights; largest absolute difference)\n")
    print("| model | loss | forward output | parameter gradients (relative) |")
    print("|---|---|---|---|")
    for name, dl, df, dg in check_parity(O, S):
        print(f"| {name} | {dl:.3g} | {df:.3g} | {dg:.3g} |")

    configs = [("reduced (k=0.5, dim_m=32)", 0.5, 32)]
    if args.full:
        configs.append(("paper MNIST (k=2, dim_m=256)", 2.0, 256))
    print("\n## Training step (loss + backward + Adam), batch 32, T=3; median of interleaved reps\n")
    print("| config | params | clock | official ms | ours ms | ratio | ours+reg ms | ratio |")
    print("|---|---|---|---|---|---|---|---|")
    ours_steps = []
    for label, k, dim_m in configs:
        n, meds, step = time_training_step(O, k=k, dim_m=dim_m, batch=32, reps=args.reps,
                                     threads=args.threads)
        for clock, med in zip(("wall", "cpu"), meds):
            o, z, zr = med["official"] * 1e3, med["ours"] * 1e3, med["ours+reg"] * 1e3
            print(f"| {label} | {n:,} | {clock} | {o:.1f} | {z:.1f} | {z / o:.3f} | {zr:.1f} | "
                  f"{zr / o:.3f} |")
        ours_steps.append((label, step))
        print(f"|  | channels-last weights, ours ms (cpu) | {meds[1]['ours-cl'] * 1e3:.1f} | "
              f"ours-cl / official {meds[1]['ours-cl'] / meds[1]['official']:.3f} |")
    print("\nratio = ours / official (< 1 is faster). 'ours' skips the logged-only regularisers "
          "(loss_bd, loss_orth, LS residual) that the official step computes every iteration; "
          "'ours+reg' computes them too.")
    for label, step in ours_steps:
        print(f"\n{label}")
        profile_step(step)


if __name__ == "__main__":
    main()

"""SN-GAN's claim at small scale: the same recipe with and without spectral normalization.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sngan_claims.py [--iterations 400] [--every 50]

The paper (arXiv:1802.05957, Sec. 4 / Fig. 1) trains the same GAN under several optimizer
settings and reports that spectral normalization keeps the discriminator well behaved where
unnormalized (and other) discriminators fail, in particular with large learning rates.
Here: the reduced ``sngan-digits32`` architecture (unconditional, G widths 32-32-16-8,
D 8-16-32; batch 32, 64 fakes per G update, hinge loss) on scikit-learn digits at 32 px,
trained with :func:`zoo_sngan.recipes.train_sngan` (the official update loop) under

* ``standard``: Adam lr 2e-4, betas (0, 0.9), n_dis 5 (the sngan_projection recipe);
* ``aggressive``: Adam lr 1e-3, betas (0.5, 0.9), n_dis 5 (setting "D" of the paper's
  hyper-parameter grid as recalled in the research notes: the high learning-rate setting),

each with the discriminator's spectral normalization on (``sn_semantics="chainer"``, the
official layer) and off (``sn_semantics="none"``: the identical network with plain layers).
Everything else (initial weights, data order, latents) is identical between the SN and
no-SN run of a setting. The learning rate is constant (no decay) so the curves show the
dynamics, not the schedule. Every ``--every`` iterations the generator is scored with
digits-FID (task ``generation/digits32``: 500 samples vs the 360 test images; lower is
better; real train images score about 14). Prints the curves as a table, saves the figure
``benchmarks/sngan_claims.png`` and the numbers ``benchmarks/sngan_claims.json``.
These runs are a few minutes each on one CPU thread: far shorter than the paper's, so the
table shows early training only. Nothing is published from them.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
SETTINGS = {
    "standard": dict(lr=2e-4, betas=(0.0, 0.9), n_dis=5),
    "aggressive": dict(lr=1e-3, betas=(0.5, 0.9), n_dis=5),
}
ARCH = dict(n_classes=0, dim_z=128, generator={"channels": [32, 32, 16, 8], "bottom_width": 4},
            discriminator={"channels": [8, 16, 32], "downsample": [True, True, False],
                           "head_bias": False})


def run(setting: str, sn: bool, *, iterations: int, every: int, n_fake: int, seed: int) -> dict:
    """Train one GAN and return ``{"iteration": [...], "digits_fid": [...], ...}``."""
    from zoo_sngan.data import digits32_tensors
    from zoo_sngan.models import SNGAN
    from zoo_sngan.recipes import train_sngan
    from zoo_sngan.task import DigitsGeneration

    task = DigitsGeneration(n_fake=n_fake)
    torch.manual_seed(seed)
    arch = {**ARCH, "discriminator": {**ARCH["discriminator"],
                                      "sn_semantics": "chainer" if sn else "none"}}
    gan = SNGAN(**arch)
    images, _ = digits32_tensors("train")
    curve = {"iteration": [0], "digits_fid": [task.evaluate(gan, seed=0)["digits_fid"]],
             "loss_d": [math.nan], "loss_g": [math.nan]}
    gan.train()
    t0 = time.time()

    def callback(it: int, record: dict) -> None:
        if (it + 1) % every:
            return
        finite = all(math.isfinite(v) for v in record.values()) and all(
            torch.isfinite(p).all() for p in gan.parameters())
        fid = task.evaluate(gan, seed=0)["digits_fid"] if finite else math.nan
        gan.train()
        curve["iteration"].append(it + 1)
        curve["digits_fid"].append(fid)
        curve["loss_d"].append(record["loss_d"])
        curve["loss_g"].append(record["loss_g"])
        print(f"  {setting:10s} SN={'on ' if sn else 'off'} it {it + 1:5d}  digits-FID {fid:9.2f}  "
              f"loss_d {record['loss_d']:8.4f}  loss_g {record['loss_g']:9.4f}  "
              f"({time.time() - t0:.0f} s)", flush=True)

    train_sngan(gan, images, None, iterations=iterations, batch_size=32, n_gen_samples=64,
                loss="hinge", decay_start=None, seed=seed, callback=callback, **SETTINGS[setting])
    curve["seconds"] = round(time.time() - t0, 1)
    return curve


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=400, help="generator updates per run")
    parser.add_argument("--every", type=int, default=50, help="digits-FID every this many iterations")
    parser.add_argument("--n-fake", type=int, default=500, help="samples per digits-FID")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--settings", nargs="+", default=list(SETTINGS), choices=list(SETTINGS))
    parser.add_argument("--out", type=Path, default=HERE / "sngan_claims")
    args = parser.parse_args()
    torch.set_num_threads(1)
    curves = {}
    for setting in args.settings:
        for sn in (True, False):
            key = f"{setting}/{'SN' if sn else 'no-SN'}"
            print(f"{key}: {SETTINGS[setting]}", flush=True)
            curves[key] = run(setting, sn, iterations=args.iterations, every=args.every,
                              n_fake=args.n_fake, seed=args.seed)

    keys = list(curves)
    print("\ndigits-FID (lower is better; real train images vs test: about 14)")
    print(f"{'iteration':>9s} " + " ".join(f"{k:>20s}" for k in keys))
    for i, it in enumerate(curves[keys[0]]["iteration"]):
        print(f"{it:9d} " + " ".join(f"{curves[k]['digits_fid'][i]:20.2f}" for k in keys))
    print("\nbest / final digits-FID, seconds per run")
    for k in keys:
        fids = [f for f in curves[k]["digits_fid"] if math.isfinite(f)]
        print(f"  {k:22s} best {min(fids):9.2f}  final {curves[k]['digits_fid'][-1]:9.2f}  "
              f"({curves[k]['seconds']} s)")
    args.out.with_suffix(".json").write_text(json.dumps(
        {"settings": {k: {**v, "betas": list(v["betas"])} for k, v in SETTINGS.items()},
         "arch": ARCH, "iterations": args.iterations, "every": args.every,
         "n_fake": args.n_fake, "seed": args.seed, "curves": curves}, indent=1))

    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 3.6), dpi=110, layout="constrained")
    ax = fig.subplots()
    styles = {"standard": "tab:blue", "aggressive": "tab:red"}
    for k, c in curves.items():
        setting, sn = k.split("/")
        ax.plot(c["iteration"], c["digits_fid"], color=styles[setting],
                linestyle="-" if sn == "SN" else "--", marker="o", ms=3,
                label=f"{setting} ({SETTINGS[setting]['lr']:g}, {SETTINGS[setting]['betas']}), {sn}")
    ax.set_yscale("log")
    ax.set_xlabel("generator updates")
    ax.set_ylabel("digits-FID (log)")
    ax.set_title("Reduced SN-GAN on digits: with vs without spectral norm", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(args.out.with_suffix(".png"))
    print(f"\nwrote {args.out.with_suffix('.png')} and {args.out.with_suffix('.json')}")


if __name__ == "__main__":
    main()

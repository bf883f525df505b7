"""Parity and speed of zoo-ssdrl against the official Chainer code (pfnet-research/ssdrl).

Usage (the official snapshot and Chainer are NOT part of the project; Chainer goes into its
own venv, the recipe of docs PLUGIN.md)::

    python3.11 -m venv /tmp/chainer-venv && /tmp/chainer-venv/bin/pip install 'setuptools<70' wheel 'numpy<2' \
        && /tmp/chainer-venv/bin/pip install --no-build-isolation chainer==7.8.1
    python benchmarks/ssdrl_parity.py --official /tmp/ssdrl-official --chainer /tmp/chainer-venv/bin/python

The official side (benchmarks/ssdrl_parity_official.py, a subprocess under Chainer) builds the
official MNISTClassifier and SVHN conv-large with seeded weights, saves them with
``save_npz``, and runs its forward, ``wrm_attack``, ``adversarial_attack`` (sphere projection)
and ``sswrm_loss`` (all 10 candidates and Fast) on one batch. Here the saved files go through
``zoo_ssdrl.convert.from_official`` into our models and the same calls run; the script prints
the largest absolute differences and the CPU time ratios (ours / official, 1 thread each) of
the forward at batch 1 and 64 and of one training step (official ``Updater.update``, method
ssdrl, 64 labelled + 64 unlabelled, against our recipe's step). Conv-large is checked in eval
mode (running averages) and in training mode with frozen statistics (BN on batch statistics,
dropout made the identity on both sides).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from zoo_ssdrl.attacks import batch_stats, official_pgm_step, pgm_l2_attack, wrm_attack
from zoo_ssdrl.convert import from_official
from zoo_ssdrl.losses import sswrm_loss, wrm_loss
from zoo_ssdrl.models import ConvLarge, MNISTClassifier


def _timed(fn, reps: int) -> float:
    fn()
    ts = []
    for _ in range(reps):
        t = time.process_time()
        fn()
        ts.append(time.process_time() - t)
    return statistics.median(ts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="directory of the official pfnet-research/ssdrl snapshot")
    ap.add_argument("--chainer", default="/tmp/chainer-venv/bin/python", help="a python with chainer 7.8.1")
    ap.add_argument("--reps", type=int, default=9)
    ap.add_argument("--convlarge-ch", type=int, default=32, help="conv-large width for the check (paper: 128)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)
    gamma = 0.5
    batch = {"x": rng.uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32),
             "y": rng.randint(0, 10, 64), "x_ul": rng.uniform(-1, 1, (64, 1, 28, 28)).astype(np.float32),
             "xc": rng.uniform(-1, 1, (16, 3, 32, 32)).astype(np.float32), "yc": rng.randint(0, 10, 16),
             "gamma": gamma, "reps": args.reps, "convlarge_ch": args.convlarge_ch}
    with tempfile.TemporaryDirectory() as tmp:
        np.savez(Path(tmp) / "in.npz", **batch)
        env = {**os.environ, "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        subprocess.run([args.chainer, str(Path(__file__).with_name("ssdrl_parity_official.py")), args.official,
                        str(Path(tmp) / "in.npz"), tmp], check=True, env=env)
        off = dict(np.load(Path(tmp) / "official.npz"))
        mnist_sd = from_official(Path(tmp) / "MNISTClassifier_official.npz")["model"]
        svhn_sd = from_official(Path(tmp) / "SVHNClassifier_official.npz")["model"]
    t = {k: torch.from_numpy(np.asarray(v)) for k, v in batch.items() if k in ("x", "x_ul", "xc")}
    y, yc = torch.from_numpy(batch["y"]).long(), torch.from_numpy(batch["yc"]).long()

    net = MNISTClassifier(ch=64, activation="elu")
    net.load_state_dict(mnist_sd)
    net.eval()
    rows = []

    def row(name, ours, theirs):
        ours = ours.detach().numpy() if torch.is_tensor(ours) else np.asarray(ours)
        rows.append((name, float(np.abs(ours - theirs).max()), float(np.abs(theirs).max())))

    with torch.no_grad():
        row("MNISTClassifier forward (logits)", net(t["x"]), off["mnist_logits"])
    row("WRM attack, 5 steps (x_adv)", wrm_attack(net, t["x"], y, gamma=gamma, alpha=1.0, steps=5), off["mnist_wrm"])
    row("L2 PGM, 15 steps, sphere (x_adv)", pgm_l2_attack(net, t["x"], y, eps=2.0, steps=15, projection="sphere",
                                                          step_size=official_pgm_step(2.0, 15)), off["mnist_pgm"])
    row("SSDRL loss R_SSAR (10 candidates)", sswrm_loss(net, t["x_ul"], gamma=gamma, alpha=1.0, steps=5, lamb=-1.0),
        off["mnist_sswrm"])
    row("Fast-SSDRL loss (arg-max label)", sswrm_loss(net, t["x_ul"], gamma=gamma, alpha=1.0, steps=5, lamb=-1.0,
                                                      max_classes=1), off["mnist_sswrm_fast"])

    big = ConvLarge(ch=args.convlarge_ch, bn_logits=True, dropout=0.0)
    big.load_state_dict(svhn_sd)
    big.eval()
    with torch.no_grad():
        row("conv-large SVHN forward, eval (running BN)", big(t["xc"]), off["svhn_logits_eval"])
    big.train()
    with batch_stats(big):
        with torch.no_grad():
            row("conv-large forward, train, frozen BN stats", big(t["xc"]), off["svhn_logits_train"])
        row("conv-large WRM attack, train mode, 3 steps", wrm_attack(big, t["xc"], yc, gamma=gamma, steps=3),
            off["svhn_wrm_train"])
        row("conv-large SSDRL loss, 3 candidates (grouped BN)",
            sswrm_loss(big, t["xc"], gamma=gamma, steps=3, lamb=-1.0, max_classes=3), off["svhn_sswrm_train"])
    row("conv-large BN running mean untouched by attacks", big.bns[0].running_mean, off["svhn_avg_mean_after"])

    print(f"\n{'check':52s} {'max |ours - official|':>22s} {'max |official|':>15s}")
    for name, diff, scale in rows:
        print(f"{name:52s} {diff:22.3e} {scale:15.3e}")

    x1 = t["x"][:1]
    with torch.no_grad():
        ours_b1 = _timed(lambda: net(x1), args.reps)
        ours_b64 = _timed(lambda: net(t["x"]), args.reps)
    times = {}
    for key, k in (("time_step_ssdrl", None), ("time_step_fast", 1)):
        model = MNISTClassifier(ch=64, activation="elu")
        model.load_state_dict(mnist_sd)
        model.train()
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step():
            model(t["x"])
            with batch_stats(model):
                loss = wrm_loss(model, t["x"], y, gamma=gamma, alpha=1.0, steps=5) + \
                    sswrm_loss(model, t["x_ul"], gamma=gamma, alpha=1.0, steps=5, lamb=-1.0, max_classes=k)
            opt.zero_grad()
            loss.backward()
            opt.step()

        times[key] = _timed(step, max(2, args.reps // 3))
    print(f"\n{'CPU time, 1 thread (median)':40s} {'ours':>10s} {'official':>10s} {'ours/official':>14s}")
    for name, ours, theirs in (("forward, batch 1", ours_b1, off["time_forward_b1"]),
                               ("forward, batch 64", ours_b64, off["time_forward_b64"]),
                               ("SSDRL training step (64 + 64, K=10)", times["time_step_ssdrl"], off["time_step_ssdrl"]),
                               ("Fast-SSDRL training step (64 + 64)", times["time_step_fast"], off["time_step_fast"])):
        print(f"{name:40s} {ours * 1e3:8.2f}ms {float(theirs) * 1e3:8.2f}ms {ours / float(theirs):14.3f}")


if __name__ == "__main__":
    main()

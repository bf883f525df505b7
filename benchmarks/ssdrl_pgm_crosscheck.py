"""Cross-check of zoo-ssdrl's L2 PGM attack against torchattacks' PGDL2 on the same model.

torchattacks is not a dependency: install it into a folder and put it on PYTHONPATH here only::

    python -m pip install --target /tmp/atk-deps torchattacks --no-deps
    PYTHONPATH=$PYTHONPATH:/tmp/atk-deps python benchmarks/ssdrl_pgm_crosscheck.py --model erm-digits

torchattacks works on images in [0, 1]; our inputs are in [-1, 1], so it attacks
``z -> model(2 z - 1)`` with radius and step halved (the same L2 geometry). With the same
radius, step and steps and no random start, PGDL2 and our ball projection are the same
algorithm: the test errors must agree (up to float noise and their 1e-10 vs our 1e-6 in the
gradient normalisation). Also printed: PGDL2's own defaults (random start, its step) and our
official-step settings with both projections (the sphere one is never weaker).
"""

from __future__ import annotations

import argparse

import torch
from torch import nn

import zoo
from zoo_ssdrl.attacks import official_pgm_step, pgm_l2_attack
from zoo_ssdrl.data import held_out


class _ZeroOne(nn.Module):
    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(z * 2 - 1)


def main() -> None:
    import torchattacks

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="erm-digits")
    ap.add_argument("--weights", default=None, help="a run folder (default: the published weights)")
    ap.add_argument("--eps", type=float, nargs="+", default=[0.5, 1.0, 2.0, 3.0])
    ap.add_argument("--steps", type=int, default=15)
    args = ap.parse_args()
    torch.manual_seed(0)
    model = (zoo.load(f"local-dir:{args.weights}") if args.weights else zoo.load(args.model, pretrained=True)).eval()
    entry = zoo.registry().resolve(args.model)
    x, y = held_out(entry.train.get("data", "digits"))
    wrapped = _ZeroOne(model).eval()

    def error(x_adv: torch.Tensor) -> float:
        with torch.no_grad():
            return float((model(x_adv).argmax(1) != y).float().mean())

    print(f"{args.model}: {len(y)} test examples, clean error {error(x):.4f}, {args.steps} steps")
    print(f"{'eps':>5s} {'step':>7s} {'ours (ball)':>12s} {'PGDL2 same':>11s} {'|diff|':>8s} "
          f"{'PGDL2 default':>14s} {'ours official step ball/sphere':>31s}")
    worst = 0.0
    for eps in args.eps:
        step = eps / 4
        ours = error(pgm_l2_attack(model, x, y, eps=eps, steps=args.steps, step_size=step))
        atk = torchattacks.PGDL2(wrapped, eps=eps / 2, alpha=step / 2, steps=args.steps, random_start=False)
        theirs = error(atk((x + 1) / 2, y) * 2 - 1)
        default = error(torchattacks.PGDL2(wrapped, eps=eps / 2, steps=args.steps)((x + 1) / 2, y) * 2 - 1)
        off_ball = error(pgm_l2_attack(model, x, y, eps=eps, steps=args.steps))
        off_sphere = error(pgm_l2_attack(model, x, y, eps=eps, steps=args.steps, projection="sphere"))
        worst = max(worst, abs(ours - theirs))
        print(f"{eps:5g} {step:7.3f} {ours:12.4f} {theirs:11.4f} {abs(ours - theirs):8.4f} {default:14.4f} "
              f"{off_ball:15.4f} / {off_sphere:.4f}   (official step {official_pgm_step(eps, args.steps):.3f})")
    print(f"largest |ours - PGDL2| at the same settings: {worst:.4f}")


if __name__ == "__main__":
    main()

"""How sensitive the training-mode WRM attack on conv-large is to float32 rounding.

The parity run (benchmarks/ssdrl_parity.py) finds our conv-large training-mode WRM attack within
0.11 of the official one in single pixels after 3 steps, while the forward passes agree to 7e-5.
This script asks whether that is a difference of method or the attack's own conditioning: on the
same weights (conv-large, width 32, BN on batch statistics, leaky ReLU, 2x2 max pooling) and the
parity batch, it compares our float32 attack with (a) the same attack in float64 and (b) the
float32 attack on the input moved by 1e-6 noise, after 1, 2 and 3 steps of size alpha/gamma = 2.
A max-pool whose winner flips under a rounding-size change re-routes that window's gradient to
another pixel, so x_adv is not a continuous function of float32 rounding.

    python benchmarks/ssdrl_attack_sensitivity.py      # writes benchmarks/ssdrl_attack_sensitivity.txt
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from zoo_ssdrl.attacks import batch_stats, wrm_attack
from zoo_ssdrl.models import ConvLarge


def main() -> None:
    torch.set_num_threads(1)
    rng = np.random.RandomState(0)   # the parity batch's law (16 images, uniform in [-1, 1])
    x = torch.from_numpy(rng.uniform(-1, 1, (16, 3, 32, 32)).astype(np.float32))
    y = torch.from_numpy(rng.randint(0, 10, 16)).long()
    torch.manual_seed(0)
    net = ConvLarge(ch=32, bn_logits=True, dropout=0.0).train()
    net64 = ConvLarge(ch=32, bn_logits=True, dropout=0.0).double().train()
    net64.load_state_dict(net.state_dict())
    noise = 1e-6 * torch.randn(x.shape, generator=torch.Generator().manual_seed(1))
    lines = [f"{'steps':>5s} {'max |f32 - f64|':>16s} {'pixels > 1e-3 (f32 vs f64)':>28s} "
             f"{'max |f32(x) - f32(x + 1e-6 noise)|':>36s}"]
    for steps in (1, 2, 3):
        with batch_stats(net):
            a32 = wrm_attack(net, x, y, gamma=0.5, steps=steps)
            a32_moved = wrm_attack(net, x + noise, y, gamma=0.5, steps=steps)
        with batch_stats(net64):
            a64 = wrm_attack(net64, x.double(), y, gamma=0.5, steps=steps)
        d = (a32.double() - a64).abs()
        lines.append(f"{steps:5d} {d.max().item():16.3e} {int((d > 1e-3).sum()):>18d} of {d.numel():<7d} "
                     f"{(a32 - a32_moved).abs().max().item():36.3e}")
    text = "\n".join(lines)
    print(text)
    Path(__file__).with_suffix(".txt").write_text(text + "\n")


if __name__ == "__main__":
    main()

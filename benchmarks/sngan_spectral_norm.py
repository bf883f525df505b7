"""Discriminator training step: zoo-sngan spectral norm vs torch's parametrization.

Both variants are the same SN-GAN ResNet discriminator (catalog config, same weights, same
data); only the spectral normalization differs:

* ``ours``  -- ``zoo_sngan.layers`` SN layers, official Chainer semantics (one power step
  per training forward, gradient through sigma);
* ``torch`` -- plain ``nn.Conv2d``/``nn.Linear``/``nn.Embedding`` wrapped with
  ``torch.nn.utils.parametrizations.spectral_norm`` (one power iteration per training forward).

One step = D(real) + D(fake) + hinge loss + backward + Adam (official updater order, fakes
fixed so that only D is timed). The two variants are timed interleaved in the same process
(ABAB...), after warm-up; medians and the ratio torch / ours are printed (> 1: ours faster).
A second measurement times the spectral normalization alone (no convolutions), where the
two implementations actually differ.

    PYTHONPATH=.:plugins/sngan .venv/bin/python benchmarks/sngan_spectral_norm.py \
        --model sngan-projection-cifar10 --batch 16 --reps 10
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from pathlib import Path

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as torch_spectral_norm

from zoo_core.catalog_yaml import load_catalog_file
from zoo_sngan.layers import SNConv2d, SNEmbedding, SNLinear
from zoo_sngan.models import SNGAN

CATALOG = Path(__file__).resolve().parents[1] / "registry.yaml"


def with_torch_spectral_norm(module: nn.Module) -> nn.Module:
    """A deep copy of ``module`` whose SN layers are torch layers + torch's parametrization
    (same weights; power-iteration state initialized by torch)."""
    module = copy.deepcopy(module)

    def plain(layer: nn.Module) -> nn.Module:
        if isinstance(layer, SNConv2d):
            new = nn.Conv2d(layer.in_channels, layer.out_channels, layer.kernel_size,
                            layer.stride, layer.padding, bias=layer.bias is not None)
        elif isinstance(layer, SNLinear):
            new = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None)
        else:
            new = nn.Embedding(layer.num_embeddings, layer.embedding_dim)
        new.load_state_dict({k: v for k, v in layer.state_dict().items() if k != "u"})
        return torch_spectral_norm(new)

    for name, child in list(module.named_modules()):
        for attr, sub in list(child.named_children()):
            if isinstance(sub, (SNConv2d, SNLinear, SNEmbedding)):
                setattr(child, attr, plain(sub))
    return module


def make_step(d: nn.Module, x_real, y_real, x_fake, y_fake):
    opt = torch.optim.Adam(d.parameters(), lr=2e-4, betas=(0.0, 0.9))

    def step():
        loss = torch.relu(1 - d(x_real, y_real)).mean() + torch.relu(1 + d(x_fake, y_fake)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return step


def make_sn_only_step(d: nn.Module):
    """Only the weight normalization of every SN layer: forward (power step, W / sigma) and
    backward of a dummy loss, no convolutions."""
    ours = [m for m in d.modules() if isinstance(m, (SNConv2d, SNLinear, SNEmbedding))]
    theirs = [m for m in d.modules() if hasattr(m, "parametrizations")]

    def step():
        ws = [m.normalized_weight() for m in ours] + [m.weight for m in theirs]
        sum(w.sum() for w in ws).backward()
    return step


def time_interleaved(steps: dict, reps: int, warmup: int) -> dict[str, list[float]]:
    for _ in range(warmup):
        for step in steps.values():
            step()
    times = {k: [] for k in steps}
    for _ in range(reps):
        for name, step in steps.items():
            t0 = time.perf_counter()
            step()
            times[name].append(time.perf_counter() - t0)
    return times


def report(title: str, times: dict[str, list[float]]) -> None:
    med = {k: statistics.median(v) for k, v in times.items()}
    print(title)
    for k in times:
        print(f"  {k:9s}: median {med[k] * 1e3:8.2f} ms  (min {min(times[k]) * 1e3:.2f})")
    print(f"  ratio torch/ours = {med['torch'] / med['ours']:.3f}  (> 1: ours faster)")
    if "ours-cl" in med:
        print(f"  channels-last: torch-cl/ours-cl = {med['torch-cl'] / med['ours-cl']:.3f}; "
              f"ours/ours-cl = {med['ours'] / med['ours-cl']:.3f}, torch/torch-cl = {med['torch'] / med['torch-cl']:.3f}; "
              f"torch/ours-cl = {med['torch'] / med['ours-cl']:.3f}")


def profile_step(step, reps: int = 3) -> None:
    """Share of the D step's CPU time by operator (torch.profiler, self CPU time)."""
    from zoo_core.testing.parity import operator_shares

    print(f"Where the time of our D step goes (torch.profiler, {reps} steps, self CPU time):")
    for name, share in operator_shares(step, reps=reps):
        print(f"  {name:42s} {share:5.1f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="sngan-projection-cifar10")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    config = dict(load_catalog_file(CATALOG).entries[args.model].config)
    gan = SNGAN(**config)
    d_ours = gan.discriminator.train()
    d_torch = with_torch_spectral_norm(d_ours).train()
    n_classes, size = config["n_classes"], gan.generator.image_size
    b = args.batch
    x_real, x_fake = torch.rand(b, 3, size, size) * 2 - 1, torch.rand(b, 3, size, size) * 2 - 1
    y_real = torch.randint(n_classes, (b,)) if n_classes else None
    y_fake = torch.randint(n_classes, (b,)) if n_classes else None
    cl = torch.channels_last
    d_ours_cl, d_torch_cl = (copy.deepcopy(d).to(memory_format=cl) for d in (d_ours, d_torch))
    with torch.no_grad():   # same weights, same input: the memory format changes rounding only
        a = copy.deepcopy(d_ours)(x_real, y_real)
        c = copy.deepcopy(d_ours_cl)(x_real.contiguous(memory_format=cl), y_real)
    steps = {"ours": make_step(d_ours, x_real, y_real, x_fake, y_fake),
             "torch": make_step(d_torch, x_real, y_real, x_fake, y_fake),
             "ours-cl": make_step(d_ours_cl, x_real.contiguous(memory_format=cl), y_real,
                                  x_fake.contiguous(memory_format=cl), y_fake),
             "torch-cl": make_step(d_torch_cl, x_real.contiguous(memory_format=cl), y_real,
                                   x_fake.contiguous(memory_format=cl), y_fake)}
    print(f"model={args.model} batch={b} image={size}px reps={args.reps} "
          f"threads={torch.get_num_threads()}")
    print(f"D output, channels-last vs contiguous: max |diff| {float((a - c).abs().max()):.2e} "
          f"(max |D| {float(a.abs().max()):.1f})")
    report("D training step (forward real + fake, hinge, backward, Adam; -cl: channels-last weights and inputs):",
           time_interleaved(steps, args.reps, args.warmup))
    profile_step(steps["ours"])
    sn_steps = {"ours": make_sn_only_step(d_ours), "torch": make_sn_only_step(d_torch)}  # no -cl: no convolutions
    report("Spectral normalization only (all D layers, forward + backward):",
           time_interleaved(sn_steps, 5 * args.reps, args.warmup))


if __name__ == "__main__":
    main()

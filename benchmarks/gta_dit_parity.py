"""Parity and speed of zoo-gta's DiT-B/2 (2-D GTA and RoPE) against the official DiT branch.

Usage (the official code is NOT part of the project: export the branch anywhere; it imports
timm, installed here, and einops, e.g. from /work/gta-official-deps):

    git --git-dir=/work/.mirror/autonomousvision+gta/repo archive DiT | tar -x -C /tmp/gta-dit
    PYTHONPATH=/work/main:/work/main/plugins/gta:/work/gta-official-deps \\
        python benchmarks/gta_dit_parity.py --official /tmp/gta-dit

For posenc gta and rope: build the official ``DiT_models["DiT-B/2"](input_size=32, posenc=...)``,
give every parameter random values (the adaLN-Zero init would make both outputs 0), save them
as the branch's ``train.py`` does (``{"model", "ema", "opt", "args", "status"}``), convert with
``zoo_gta.convert_dit.from_official`` and load strictly into ours. Then report the largest
absolute difference of the forward output, and the CPU time ratio ours / official (median of
interleaved runs) of the forward at batch 1 and at a training batch, and of a training step
(MSE loss, backward, AdamW) at the training batch. The official forward always wraps each block
in ``torch.utils.checkpoint`` (and requests bf16 autocast on CUDA only); ours runs without
checkpointing unless ``grad_checkpointing=True``, which is timed as well.
"""

from __future__ import annotations

import argparse
import copy
import os
import statistics
import sys
import tempfile
import time
import warnings

import torch


def _official(path: str):
    sys.path.insert(0, os.path.abspath(path))
    from models import DiT_models  # noqa: E402  (official module)

    return DiT_models


def _randomize(model: torch.nn.Module, seed: int) -> None:
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            base = 1.0 if name.endswith("norm.scale") else 0.0
            p.copy_(base + 0.02 * torch.randn(p.shape, generator=g))


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _interleaved(fns: dict, repeats: int) -> dict[str, float]:
    for fn in fns.values():   # warm-up (the official rep_mul_* are torch.jit.script functions)
        fn()
    out = {k: [] for k in fns}
    for _ in range(repeats):
        for k, fn in fns.items():
            out[k].append(_median_time(fn, 1))
    return {k: statistics.median(v) for k, v in out.items()}


def _train_step(model, opt, x, t, y, target):
    opt.zero_grad(set_to_none=True)
    torch.nn.functional.mse_loss(model(x, t, y), target).backward()
    opt.step()


def run(official_path: str, *, batch: int, repeats: int, threads: int) -> None:
    from zoo_gta.convert_dit import from_official
    from zoo_gta.models.dit import dit_b2

    torch.set_num_threads(threads)
    warnings.filterwarnings("ignore", message=".*(autocast|use_reentrant|requires_grad=True).*")
    DiT_models = _official(official_path)
    print(f"DiT-B/2 on 4x32x32 latents, {threads} CPU thread(s), torch {torch.__version__}")
    for posenc in ("gta", "rope"):
        torch.manual_seed(0)
        official = DiT_models["DiT-B/2"](input_size=32, posenc=posenc)
        _randomize(official, seed=1)
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "0000001.pt")
            sd = official.state_dict()
            torch.save({"model": sd, "ema": sd, "opt": torch.optim.AdamW(official.parameters()).state_dict(),
                        "args": argparse.Namespace(model="DiT-B/2", posenc=posenc, image_size=256),
                        "status": {"epoch": 0, "train_steps": 1}}, path)
            state = from_official(path)["model"]
        ours = dit_b2(posenc=posenc)
        ours.load_state_dict(state, strict=True)
        ours_ckpt = dit_b2(posenc=posenc, grad_checkpointing=True)
        ours_ckpt.load_state_dict(state, strict=True)
        official.eval(), ours.eval()

        g = torch.Generator().manual_seed(2)
        for B in (1, batch):
            x = torch.randn(B, 4, 32, 32, generator=g)
            t = torch.randint(0, 1000, (B,), generator=g)
            y = torch.randint(0, 1000, (B,), generator=g)
            with torch.no_grad():
                ref, out = official(x, t, y), ours(x, t, y)
                diff = (ref - out).abs().max().item()
                times = _interleaved({"official": lambda: official(x, t, y), "ours": lambda: ours(x, t, y)}, repeats)
            print(f"[{posenc}] forward batch {B}: max |ours - official| = {diff:.3e} (|out| max "
                  f"{ref.abs().max().item():.3f}); time official {times['official'] * 1e3:.0f} ms, ours "
                  f"{times['ours'] * 1e3:.0f} ms, ratio ours/official {times['ours'] / times['official']:.3f}")

        # training step at the training batch (label dropout off so both see the same labels)
        x = torch.randn(batch, 4, 32, 32, generator=g)
        t = torch.randint(0, 1000, (batch,), generator=g)
        y = torch.randint(0, 1000, (batch,), generator=g)
        target = torch.randn(batch, 8, 32, 32, generator=g)
        models = {"official": copy.deepcopy(official), "ours": copy.deepcopy(ours), "ours_ckpt": ours_ckpt}
        for m in models.values():
            m.train()
            m.y_embedder.dropout_prob = 0.0
        grads = {}
        for k, m in models.items():
            m.zero_grad()
            torch.nn.functional.mse_loss(m(x, t, y), target).backward()
            grads[k] = {n: p.grad.clone() for n, p in m.named_parameters()}
        gdiff = max((grads["official"][n] - grads["ours"][n]).abs().max().item() for n in grads["ours"])
        opts = {k: torch.optim.AdamW(m.parameters(), lr=1e-4, weight_decay=0) for k, m in models.items()}
        times = _interleaved({k: (lambda k=k: _train_step(models[k], opts[k], x, t, y, target)) for k in models},
                             max(2, repeats // 2))
        print(f"[{posenc}] train step batch {batch}: max |grad diff| = {gdiff:.3e}; time official "
              f"{times['official']:.2f} s (block checkpointing), ours {times['ours']:.2f} s (ratio "
              f"{times['ours'] / times['official']:.3f}), ours with grad_checkpointing "
              f"{times['ours_ckpt']:.2f} s (ratio {times['ours_ckpt'] / times['official']:.3f})")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--official", required=True, help="exported DiT branch of autonomousvision/gta")
    ap.add_argument("--batch", type=int, default=8, help="training batch for the timings")
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args(argv)
    run(args.official, batch=args.batch, repeats=args.repeats, threads=args.threads)


if __name__ == "__main__":
    main()

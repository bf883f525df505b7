"""Official fisheye U-NFT (NFTPublic ``oned_experiments/fisheye``) vs zoo-nft's ``NFTSeqViT`` and ``Shift_cifar`` law.

Usage (neither official tree is part of the project; NFTPublic has no license, MSP is MIT)::

    python -m pip install --target /tmp/nft-official-deps einops
    python -m pip install --target /tmp/fisheye-deps-cv4 --no-deps defisheye opencv-python-headless==4.8.1.78
    PYTHONPATH=.:plugins/msp:plugins/nft:/tmp/nft-official-deps:/tmp/fisheye-deps-cv4 \\
        python benchmarks/nft_parity_fisheye.py --official /tmp/nftoff --msp /tmp/msp-official [--reps 5]

The fisheye folder holds files to drop into the MSP repository (takerum/meta_sequential_prediction):
``SeqAELSTSQ_vit`` subclasses MSP's ``SeqAELSTSQ`` (its ``__call__``/``loss``) and is appended to
MSP's ``models/seqae.py`` by the authors. The harness does the same at run time: it imports MSP's
``models.seqae``, registers the fisheye ``models/vit.py`` and MAE modules under the names they
import, and executes ``seqae_vit.py`` in the namespace of MSP's ``seqae`` module; nothing is copied.
Stubs: ``pytorch_pfn_extras`` (logging only: ``report`` is a no-op), ``skimage.transform`` (imported
by ``shift_img.py``, unused by ``Shift_cifar``), and the CIFAR-100 reader of ``shift_img.py``
(``datasets.CIFAR100(download=True)``: here random uint8 images in its ``data`` layout).

Checks, on the paper configuration (``vit.yaml``: 129M parameters) with the official weights
loaded into ours (``zoo_nft.convert.convert_state_dict``, strict): the largest absolute difference
of the loss (with and without reconstruction), of the 2 roll-outs and 7 roll-outs, of ``M*`` and of
every gradient; of the data: ``Shift_cifar.__getitem__`` (``deform True``, scale 1 = the paper's
and scale 20) against ``ShiftedFisheyeImages`` at the same velocities (the official ``rng``
argument gets a stand-in whose ``uniform`` returns our draws). Then CPU seconds (median of
interleaved calls, 1 thread) of the forward (2 conditioning frames, 2 roll-outs) and of a
training step (official: ``loss(return_reg_loss=True)`` as ``loop_seqmodel`` calls it + backward
+ Adam; ours: the recipe's loss + fused Adam) at batch 1 and 8, and of generating sequences.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import types

import numpy as np
import torch

from zoo_core.testing.parity import interleaved_cpu_times

VIT_ARGS = dict(img_size=32, patch_size=4, mlp_ratio=4, depth=8, num_heads=6, img_channels=3, embed_dim=384)


def _stub(name: str, **attrs) -> None:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    sys.modules.setdefault(name, module)


def _load_file(name: str, path: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def load_official(nft_root: str, msp_root: str):
    """``(SeqAELSTSQ_vit, shift_img module)`` as the authors ran them inside the MSP repository."""
    fisheye = os.path.join(os.path.abspath(nft_root), "oned_experiments", "fisheye")
    if not os.path.isfile(os.path.join(fisheye, "models", "seqae_vit.py")):
        sys.exit(f"--official {nft_root}: no oned_experiments/fisheye/models/seqae_vit.py; pass the NFTPublic snapshot")
    if not os.path.isfile(os.path.join(msp_root, "models", "seqae.py")):
        sys.exit(f"--msp {msp_root}: no models/seqae.py; pass the meta_sequential_prediction snapshot")
    _stub("pytorch_pfn_extras", reporting=types.SimpleNamespace(report=lambda *a, **k: None))
    _stub("skimage")
    _stub("skimage.transform", resize=None)
    sys.path.insert(0, os.path.abspath(msp_root))
    import models.seqae as msp_seqae  # noqa: E402  (MSP's, MIT)

    for name in ("mae_modeling_finetune", "mae_modeling_pretrain", "vit"):
        _load_file(f"models.{name}", os.path.join(fisheye, "models", f"{name}.py"))
    namespace = dict(vars(msp_seqae))
    path = os.path.join(fisheye, "models", "seqae_vit.py")
    with open(path) as f:
        exec(compile(f.read(), path, "exec"), namespace)   # appended to MSP's seqae.py, as the authors do
    shift_img = _load_file("fisheye_shift_img", os.path.join(fisheye, "datasets", "shift_img.py"))
    return namespace["SeqAELSTSQ_vit"], shift_img


class _Draws:
    """Stands in for the official ``rng``: ``uniform`` returns the given draws in order."""

    def __init__(self, values):
        self.values = list(values)

    def uniform(self, low, high):
        return self.values.pop(0)


def check_data(shift_img, n: int = 8) -> list[tuple[str, float]]:
    from zoo_nft.fisheye import ShiftedFisheyeImages

    images = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    shift_img.datasets = types.SimpleNamespace(CIFAR100=lambda **kw: types.SimpleNamespace(data=images, targets=[0] * n))
    rows = []
    for scale in (1, 20):
        ours = ShiftedFisheyeImages(images, T=4, seed=5, scale=scale)
        draws = [v for k in range(n) for v in ours.velocity(k)]
        official = shift_img.Shift_cifar(root=None, train=True, T=4, max_T=9, max_vshift=0, max_hshift=16,
                                         deform=True, scale_at_deform=scale, rng=_Draws(draws))
        d = max((torch.stack(official[k]) - ours[k][0]).abs().max().item() for k in range(n))
        rows.append((f"Shift_cifar deform, scale_at_deform {scale} ({n} sequences)", d))
    return rows


def build_pair(SeqAELSTSQ_vit, seed: int = 0):
    import zoo
    from zoo_nft.convert import convert_state_dict
    from zoo_nft.unft_vit import NFTSeqViT

    torch.manual_seed(seed)
    official = SeqAELSTSQ_vit(dim_a=16, dim_m=128, ch_x=3, k=2.0, predictive=True, detachM=0, n_blocks=3,
                              vit_args=dict(VIT_ARGS))
    ours = NFTSeqViT(**zoo.registry().resolve("nft-fisheye-cifar100").config)
    ours.load_state_dict(convert_state_dict(official.state_dict()))   # strict
    return official, ours


def _maxdiff(a, b) -> float:
    return (a.detach().double() - b.detach().double()).abs().max().item()


def _frames(batch: int, T: int = 9):
    from zoo_nft.fisheye import ShiftedFisheyeImages

    images = np.random.default_rng(batch).integers(0, 256, (batch, 32, 32, 3), dtype=np.uint8)
    return ShiftedFisheyeImages(images, T=T, seed=batch).tensors()[0]


def check_model(official, ours, batch: int = 4) -> list[tuple[str, float]]:
    xs = _frames(batch)
    rows = []
    for reconst in (True, False):
        official.zero_grad(), ours.zero_grad()
        lo, _ = official.loss(xs[:, :4], T_cond=2, return_reg_loss=True, reconst=reconst)
        lz, _ = ours.loss(xs[:, :4], T_cond=2, reconst=reconst)
        lo.backward(), lz.backward()
        po = dict(official.named_parameters())
        grads = max(_maxdiff(po[k].grad, p.grad) for k, p in ours.named_parameters())
        rows.append((f"loss (T 4, reconst {reconst}): value {lz.item():.1f}", _maxdiff(lo, lz)))
        rows.append((f"gradients (reconst {reconst}), largest |official| "
                     f"{max(p.grad.abs().max().item() for p in po.values()):.2e}", grads))
    with torch.no_grad():
        for n_rolls in (2, 7):
            rows.append((f"forward, {n_rolls} roll-outs", _maxdiff(official(xs[:, :2], n_rolls=n_rolls),
                                                                  ours(xs[:, :2], n_rolls=n_rolls))))
        rows.append(("M* (LS transition)", _maxdiff(official.get_M(xs[:, :2]), ours.get_M(xs[:, :2]))))
    return rows


def time_model(official, ours, batch: int, reps: int) -> dict:
    from zoo_nft.recipes_1d import adam

    xs = _frames(batch, T=4)
    opt_o, opt_z = torch.optim.Adam(official.parameters(), lr=3e-4), adam(ours.parameters(), lr=3e-4)

    def step_o():
        loss, _ = official.loss(xs, T_cond=2, return_reg_loss=True, reconst=True)
        opt_o.zero_grad()
        loss.backward()
        opt_o.step()

    def step_z():
        loss, _ = ours.loss(xs, T_cond=2, reconst=True)
        opt_z.zero_grad()
        loss.backward()
        opt_z.step()

    def fwd(m):
        def run():
            with torch.no_grad():
                m(xs[:, :2], n_rolls=2)
        return run

    return interleaved_cpu_times({"fwd official": fwd(official), "fwd ours": fwd(ours),
                                  "train official": step_o, "train ours": step_z}, reps)


def time_data(shift_img, n: int = 32, reps: int = 3) -> dict:
    from zoo_nft.fisheye import ShiftedFisheyeImages

    images = np.random.default_rng(0).integers(0, 256, (n, 32, 32, 3), dtype=np.uint8)
    shift_img.datasets = types.SimpleNamespace(CIFAR100=lambda **kw: types.SimpleNamespace(data=images, targets=[0] * n))
    official = shift_img.Shift_cifar(root=None, T=4, max_vshift=0, max_hshift=16, deform=True,
                                     rng=np.random.RandomState(0))
    ours = ShiftedFisheyeImages(images, T=4)
    return interleaved_cpu_times({"data official": lambda: [official[k] for k in range(n)],
                                  "data ours": lambda: [ours[k] for k in range(n)]}, reps)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--official", required=True, help="NFTPublic snapshot (holds oned_experiments/fisheye)")
    p.add_argument("--msp", required=True, help="meta_sequential_prediction snapshot (holds models/seqae.py)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--no-timing", action="store_true")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    SeqAELSTSQ_vit, shift_img = load_official(args.official, args.msp)
    import cv2

    print(f"torch {torch.__version__}, opencv {cv2.__version__}, {args.threads} thread(s)")
    print(f"\n{'data (official Shift_cifar vs zoo_nft.fisheye)':62s} largest |difference|")
    for name, d in check_data(shift_img):
        print(f"{name:62s} {d:9.2e}")
    official, ours = build_pair(SeqAELSTSQ_vit)
    print(f"\n{'model (official SeqAELSTSQ_vit vs NFTSeqViT, vit.yaml)':62s} largest |official - ours|")
    for name, d in check_model(official, ours):
        print(f"{name:62s} {d:9.2e}")
    if args.no_timing:
        return
    print(f"\nCPU seconds per call (median of {args.reps}, interleaved); ratio = ours / official (< 1: ours faster)")
    print(f"{'batch':>5s} {'fwd off':>8s} {'fwd ours':>8s} {'ratio':>6s} {'train off':>9s} {'train ours':>10s} {'ratio':>6s}")
    for batch in (1, 8):
        t = time_model(official, ours, batch, args.reps)
        print(f"{batch:5d} {t['fwd official']:8.3f} {t['fwd ours']:8.3f} {t['fwd ours'] / t['fwd official']:6.2f} "
              f"{t['train official']:9.3f} {t['train ours']:10.3f} {t['train ours'] / t['train official']:6.2f}")
    t = time_data(shift_img)
    print(f"data, 32 sequences of 4 frames: official {t['data official']:.4f} s, ours {t['data ours']:.4f} s, "
          f"ratio {t['data ours'] / t['data official']:.2f}")


if __name__ == "__main__":
    main()

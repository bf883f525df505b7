"""Parity and speed of zoo-nft's 1-D models against the official NFT code (masomatics/NFTPublic).

Usage (the official snapshot is NOT part of the project and has no license: it is only run
here, beside ours; it needs ``einops``, installed into a folder of its own):

    python -m pip install --target /tmp/nft-official-deps einops
    PYTHONPATH=/work/main:/work/main/plugins/msp:/work/main/plugins/nft:/tmp/nft-official-deps \
        python benchmarks/nft_parity.py --official /tmp/nftoff

The official model modules import ``pytorch_pfn_extras`` only to log (``ppe.reporting.report``);
this harness puts a stub module with a no-op ``report`` in its place (the official code still
computes the logged values, ``.item()`` included). Nothing else is stubbed.

For each model (official class in brackets):
* U-NFT 1-D [oned_experiments SeqAETSQmlp, transition LS, NDFT.yml shapes];
* g-NFT compression [Compress_experiments SeqAETSQmlp, transition Fixed];
* G-NFT compression [same, transition AbelMSP] against ours with ``abelian_convention="official"``
  (and, to show the sign fix, with ``"right"``);
copy the official weights into ours (``zoo_nft.convert.convert_state_dict``) and print the largest
absolute difference of the loss, the forward outputs, the transition matrices and every gradient.
Then time, interleaved in one process, a forward pass and a training step (loss + backward +
Adam, as the official ``loop_seqmodel``: it asks for the logged regularisers every step; ours as
``zoo_nft.recipes_1d``: torch's fused Adam, the same update) at batch 1 and at the training batch,
and print the CPU time ratio official / ours.

The fisheye CIFAR-100 U-NFT ViT (official ``oned_experiments/fisheye``, which runs inside the MSP
repository) has its own harness, ``benchmarks/nft_parity_fisheye.py --official PATH --msp PATH``;
the image g-NFT has ``benchmarks/nft_parity_image.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import types

import torch

from zoo_core.testing.parity import interleaved_cpu_times

_OFFICIAL_MODULES = ("models", "utils", "seqae", "base_networks", "dynamics_models", "period_fn")


def _stub_ppe() -> None:
    ppe = types.ModuleType("pytorch_pfn_extras")
    ppe.reporting = types.SimpleNamespace(report=lambda *a, **k: None)
    sys.modules.setdefault("pytorch_pfn_extras", ppe)


def load_official(root: str, sub: str, module: str):
    """Import the official ``module`` from ``root/sub`` (fresh: both folders have a ``models``)."""
    _stub_ppe()
    for name in list(sys.modules):
        if name.split(".")[0] in _OFFICIAL_MODULES:
            del sys.modules[name]
    path = os.path.abspath(os.path.join(root, sub))
    sys.path[:0] = [path, os.path.join(path, "models")]
    cwd = os.getcwd()
    os.chdir(path)
    try:
        return __import__(module, fromlist=["*"])
    finally:
        os.chdir(cwd)
        sys.path.remove(path)
        sys.path.remove(os.path.join(path, "models"))


def check_data(root: str) -> list[tuple[str, float]]:
    """Largest |official - ours| of the generated signals (same numpy seeds, every frame)."""
    import numpy as np

    from zoo_nft.signals import CompressionSignals, TimeWarpedSignals

    one = load_official(root, "oned_experiments/datasets", "period_fn")
    rows = []
    for freqseed, test, T in ((1, 0, 3), (2, 1, 20), (3, 1, 20)):
        np.random.seed(99)  # the official draws reseed; this seed must not matter
        o = one.Shifted_FreqFun_nl(Ndata=200, N=128, T=T, shift_label=True, shift_range=0.4, batchM_size=20,
                                   nfreq=5, freq_fix=True, freqseed=freqseed, test=test, smallfreqs_num=2,
                                   smallfreqs_strength=0.2)
        z = TimeWarpedSignals(n_data=200, T=T, freqseed=freqseed, test=test)
        d = max(np.abs(np.stack(o[i][0]) - z.frames(i)).max() for i in range(200))
        rows.append((f"Shifted_FreqFun_nl freqseed {freqseed} test {test} T {T}", d))
    comp = load_official(root, "Compress_experiments/neurips_compDFT", "period_fn")
    np.random.seed(1234)
    o = comp.Shifted_FixedFreqFun_nl(Ndata=500, N=128, T=5, shift_label=True, batchM_size=16, nfreq=5, ns=0.0)
    z = CompressionSignals(n_data=500, T=5, seed=1234)
    rows.append(("Shifted_FixedFreqFun_nl test draw (seed 1234)",
                 max(np.abs(np.stack(o[i][0]) - z.frames(i)).max() for i in range(500))))
    return rows


def _maxdiff(a, b) -> float:
    return (a.detach().double() - b.detach().double()).abs().max().item()


def _grad_diff(official, ours) -> float:
    from zoo_nft.convert import convert_state_dict

    off = convert_state_dict(dict(official.named_parameters()))
    return max(_maxdiff(p.grad, dict(ours.named_parameters())[k].grad) for k, p in off.items())


def _pair(off, ours_cls, kw):
    from zoo_nft.convert import convert_state_dict

    ours = ours_cls(**kw)
    ours.load_state_dict(convert_state_dict(off.state_dict()))
    return ours


def cases(root: str):
    """(name, official model, our model, T, T_cond, uses g, reconst, official loss kwargs)."""
    from zoo_nft.unft import NFTSeqAE

    torch.manual_seed(0)
    one = load_official(root, "oned_experiments", "models.seqae")
    off1 = one.SeqAETSQmlp(dim_a=10, dim_m=16, transition_model="LS", dim_data=128, activation="tanh")
    ours1 = _pair(off1, NFTSeqAE, dict(dim_m=16, dim_a=10, transition="LS", act="tanh"))
    comp = load_official(root, "Compress_experiments/neurips_compDFT", "seqae")
    offg = comp.SeqAETSQmlp(dim_a=32, dim_m=1, transition_model="Fixed", enc_hdim=256, dec_hdim=256)
    oursg = _pair(offg, NFTSeqAE, dict(dim_m=1, dim_a=32, transition="Fixed", encoder="mlp", act="relu"))
    offa = comp.SeqAETSQmlp(dim_a=32, dim_m=1, transition_model="AbelMSP", enc_hdim=512, dec_hdim=512,
                            act="tanh")
    kwa = dict(dim_m=1, dim_a=32, transition="AbelMSP", encoder="mlp", enc_hdim=512, dec_hdim=512, act="tanh")
    oursa = _pair(offa, NFTSeqAE, dict(kwa, abelian_convention="official"))
    oursa_right = _pair(offa, NFTSeqAE, kwa)
    return [("U-NFT 1-D (LS), reconst", off1, ours1, 3, 2, False, True),
            ("U-NFT 1-D (LS), prediction only", off1, ours1, 3, 2, False, False),
            ("g-NFT compression (Fixed)", offg, oursg, 6, 4, True, True),
            ("G-NFT compression (AbelMSP), official blocks", offa, oursa, 10, 4, False, True),
            ("G-NFT compression (AbelMSP), corrected blocks", offa, oursa_right, 10, 4, False, True)]


def _data(T: int, n: int = 8):
    from zoo_nft.signals import CompressionSignals

    xs, g = CompressionSignals(n_data=n, T=T, seed=3).tensors()
    return xs, g


def _official_loss(off, xs, g, T_cond, reconst):
    out = off.loss(xs, gelement=g[:, None] if g is not None else None, T_cond=T_cond,
                   return_reg_loss=True, reconst=reconst)
    return out[0]


def check_parity(root: str) -> list[tuple]:
    rows = []
    for name, off, ours, T, T_cond, uses_g, reconst in cases(root):
        xs, g = _data(T)
        gg = g if uses_g else None
        off.zero_grad()
        ours.zero_grad()
        lo = _official_loss(off, xs, gg, T_cond, reconst)
        lz, _ = ours.loss(xs, g, T_cond=T_cond, reconst=reconst)
        lo.backward()
        lz.backward()
        gdiff = _grad_diff(off, ours)
        with torch.no_grad():
            fo = off(xs[:, :T_cond], n_rolls=18, gelement=gg[:, None] if gg is not None else None)
            fz = ours(xs[:, :T_cond], n_rolls=18, g=g)
            Mo = off.dynamics_model(off.encode(xs[:, :T_cond]), gelement=gg[:, None] if gg is not None else None,
                                    return_loss=False).M
            Mz = ours.get_M(xs[:, :T_cond], g=g)
        rows.append((name, _maxdiff(lo, lz), _maxdiff(fo, fz), _maxdiff(Mo, Mz), gdiff))
    return rows


def time_model(off, ours, *, T: int, T_cond: int, uses_g: bool, reconst: bool, batch: int, reps: int):
    """Median CPU seconds of forward (18 roll-outs) and of one training step, official vs ours."""
    xs, g = _data(T, batch)
    gg = g[:, None] if uses_g else None
    opt_o = torch.optim.Adam(off.parameters(), lr=1e-4)
    from zoo_nft.recipes_1d import adam

    opt_z = adam(ours.parameters(), lr=1e-4)  # the recipe's optimiser (fused Adam, same update)

    def step_o():
        loss = _official_loss(off, xs, g if uses_g else None, T_cond, reconst)
        opt_o.zero_grad()
        loss.backward()
        opt_o.step()

    def step_z():
        loss, _ = ours.loss(xs, g, T_cond=T_cond, reconst=reconst)
        opt_z.zero_grad()
        loss.backward()
        opt_z.step()

    def fwd_o():
        with torch.no_grad():
            off(xs[:, :T_cond], n_rolls=T - T_cond, gelement=gg)

    def fwd_z():
        with torch.no_grad():
            ours(xs[:, :T_cond], n_rolls=T - T_cond, g=g)

    return interleaved_cpu_times({"forward official": fwd_o, "forward ours": fwd_z,
                                  "train official": step_o, "train ours": step_z}, reps, warmup=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--official", required=True, help="folder of the official NFTPublic snapshot")
    ap.add_argument("--reps", type=int, default=30)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    if not os.path.isdir(os.path.join(args.official, "oned_experiments")):
        sys.exit(f"--official {args.official}: no oned_experiments/ folder; pass the NFTPublic snapshot")
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {args.threads} thread(s)")
    print(f"\n{'data (official generator vs zoo_nft.signals)':56s} largest |difference|")
    for name, d in check_data(args.official):
        print(f"{name:56s} {d:9.2e}")
    print(f"\n{'model':48s} {'loss':>9s} {'forward':>9s} {'M':>9s} {'grads':>9s}   (largest |official - ours|)")
    for name, *d in check_parity(args.official):
        print(f"{name:48s} " + " ".join(f"{v:9.2e}" for v in d))
    print(f"\nCPU seconds per call (median of {args.reps}, interleaved); ratio = official / ours (> 1: ours faster)")
    print(f"{'model':34s} {'batch':>5s} {'fwd off':>9s} {'fwd ours':>9s} {'ratio':>6s} "
          f"{'train off':>9s} {'train ours':>10s} {'ratio':>6s}")
    setups = {"U-NFT 1-D (LS), reconst": (3, 2, False, True, 32),
              "g-NFT compression (Fixed)": (6, 4, True, True, 16),
              "G-NFT compression (AbelMSP), official blocks": (10, 4, False, True, 16)}
    for name, off, ours, *_ in cases(args.official):
        if name not in setups:
            continue
        T, T_cond, uses_g, reconst, train_batch = setups[name]
        for batch in (1, train_batch):
            t = time_model(off, ours, T=T, T_cond=T_cond, uses_g=uses_g, reconst=reconst, batch=batch,
                           reps=args.reps)
            print(f"{name[:34]:34s} {batch:5d} {t['forward official'] * 1e3:8.3f}m {t['forward ours'] * 1e3:8.3f}m "
                  f"{t['forward official'] / t['forward ours']:6.2f} {t['train official'] * 1e3:8.3f}m "
                  f"{t['train ours'] * 1e3:9.3f}m {t['train official'] / t['train ours']:6.2f}")


if __name__ == "__main__":
    main()

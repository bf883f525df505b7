"""NFT's 1-D headline claims at small scale (arXiv:2305.18484, Sec. 5.1 and the compression table).

1. **Frequencies recovered** (U-NFT, unsupervised): after training on time-warped signals, the
   top of the character spectrum of the fitted ``M*`` equals the true strong frequencies.
   Baseline: the same model untrained (what the spectrum shows without learning).
2. **NFT beats the DFT at equal latent size** on warped signals: mean per-frame SSE on the
   noiseless official test set of g-NFT (g known) and G-NFT (abelian group known, g unknown;
   sign-corrected blocks), 32 latent numbers, trained at each noise level over several seeds,
   against the DFT keeping 16 complex coefficients (32 reals).
3. **G-NFT sign convention**: the same G-NFT trained with the official blocks
   (``abelian_convention="official"``), same budget and seeds.

Every model is trained with ``zoo train``'s own loop and the registry entry's recipe
(``zoo_core.train.train``; only ``steps``, the seed and the noise level are overridden), so the
budgets here are the entries' settings cut short. Writes ``benchmarks/nft_claims.{json,txt,png}``.

    python benchmarks/nft_claims.py                       # defaults below (3 seeds x 4 noises x 3 models + 3 U-NFT runs: hours on a shared CPU)
    python benchmarks/nft_claims.py --quick               # a smoke run (a minute)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent


def _train_eval(name: str, *, steps: int, seed: int, task, limit: int | None, **settings) -> dict:
    from zoo_core.train import train
    from zoo_nft.unft import NFTSeqAE

    with tempfile.TemporaryDirectory() as tmp:
        out = train(name, out=Path(tmp) / "run", steps=steps, seed=seed, progress=False, **settings)
        model = NFTSeqAE.from_pretrained(str(out))
    return task.evaluate(model, limit=limit)


def frequencies_claim(*, seeds, steps: int, limit: int) -> dict:
    import zoo
    from zoo_nft.tasks_1d import TimeWarpF1Task

    task = TimeWarpF1Task()
    rows = {}
    untrained = task.evaluate(zoo.create("nft-1d-timewarp").eval(), limit=limit, sbd=False)
    rows["untrained"] = untrained
    for s in seeds:
        t0 = time.time()
        rows[f"seed{s}"] = _train_eval("nft-1d-timewarp", steps=steps, seed=s, task=task, limit=limit)
        rows[f"seed{s}"]["minutes"] = round((time.time() - t0) / 60, 2)
        print(f"  time warp seed {s}: top {[rows[f'seed{s}'][f'char_top{i}'] for i in range(1, 6)]}, "
              f"strong recovered {rows[f'seed{s}']['strong_recovered']}/5", flush=True)
    return rows


COMPRESSION_MODELS = {"g-NFT": ("nft-compress-g", {}),
                      "G-NFT": ("nft-compress-abelg", {}),
                      "G-NFT (official blocks)": ("nft-compress-abelg", {"official_blocks": True})}


def compression_claim(*, noises, seeds, steps: dict, models, limit: int) -> dict:
    from zoo_nft.tasks_1d import CompressionTask

    task = CompressionTask()
    table: dict = {}
    for label in models:
        name, extra = COMPRESSION_MODELS[label]
        for ns in noises:
            vals = []
            for s in seeds:
                entry = f"{name}-official-blocks" if extra.get("official_blocks") else name
                r = _train_eval(entry, steps=steps[name], seed=s, task=task, limit=limit, noise=ns)
                vals.append(r["nft_sse"])
                table.setdefault("dft_sse", r["dft_sse"])
            table[f"{label} | ns {ns}"] = vals
            print(f"  {label} noise {ns}: SSE {statistics.mean(vals):.4f} +- "
                  f"{statistics.pstdev(vals):.4f} (DFT {table['dft_sse']:.4f})", flush=True)
    return table


def _figure(freq_rows: dict, table: dict, path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels = 2 if freq_rows else 1   # --skip-timewarp: the compression panel alone
    fig = Figure(figsize=(5.5 * panels, 3.6), dpi=100, layout="constrained")
    FigureCanvasAgg(fig)
    if freq_rows:
        ax = fig.add_subplot(1, 2, 1)
        runs = [k for k in freq_rows if k.startswith("seed")]
        ax.bar(["untrained"] + runs, [freq_rows["untrained"]["strong_recovered"]] +
               [freq_rows[k]["strong_recovered"] for k in runs], color=["grey"] + ["tab:blue"] * len(runs))
        ax.set_ylim(0, 5.2)
        ax.set_ylabel("true strong frequencies in top 5 of c(f)")
        ax.set_title("U-NFT time warp (freqseed 1)", fontsize=9)
    ax = fig.add_subplot(1, panels, panels)
    labels = sorted({k.split(" | ")[0] for k in table if " | " in k})
    for label in labels:
        keys = [k for k in table if k.startswith(label + " |")]
        ns = [float(k.split("ns ")[1]) for k in keys]
        ax.errorbar(ns, [statistics.mean(table[k]) for k in keys], yerr=[statistics.pstdev(table[k]) for k in keys],
                    marker="o", capsize=3, label=label)
    if "dft_sse" in table:
        ax.axhline(table["dft_sse"], color="k", ls="--", label="DFT, 16 coefficients")
    ax.set_yscale("log")
    ax.set_xlabel("training noise std")
    ax.set_ylabel("test SSE per frame (noiseless)")
    ax.set_title("compression to 32 numbers", fontsize=9)
    ax.legend(fontsize=7)
    fig.savefig(path)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--noises", type=float, nargs="+", default=[0.0, 0.01, 0.05, 0.1])
    ap.add_argument("--timewarp-steps", type=int, default=None, help="default: the nft-1d-timewarp entry's")
    ap.add_argument("--g-steps", type=int, default=None, help="default: the nft-compress-g entry's")
    ap.add_argument("--abelg-steps", type=int, default=None, help="default: the nft-compress-abelg entry's")
    ap.add_argument("--models", nargs="+", default=list(COMPRESSION_MODELS), choices=list(COMPRESSION_MODELS))
    ap.add_argument("--limit", type=int, default=1000, help="test sequences per evaluation")
    ap.add_argument("--skip-timewarp", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smoke run: 1 seed, 2 noises, few steps")
    ap.add_argument("--out", default=str(HERE / "nft_claims"))
    args = ap.parse_args()
    import zoo

    if args.quick:
        args.seeds, args.noises, args.g_steps, args.abelg_steps = args.seeds[:1], args.noises[:2], 50, 50
        args.timewarp_steps, args.limit = 50, 100
    torch.set_num_threads(1)
    def steps(name):
        return int(zoo.registry().resolve(name).train["steps"])

    tw_steps = args.timewarp_steps or steps("nft-1d-timewarp")
    args.g_steps = args.g_steps or steps("nft-compress-g")
    args.abelg_steps = args.abelg_steps or steps("nft-compress-abelg")
    t0 = time.time()
    freq = {} if args.skip_timewarp else frequencies_claim(seeds=args.seeds, steps=tw_steps, limit=args.limit)
    table = compression_claim(noises=args.noises, seeds=args.seeds, models=args.models, limit=args.limit,
                              steps={"nft-compress-g": args.g_steps, "nft-compress-abelg": args.abelg_steps})
    minutes = (time.time() - t0) / 60
    out = Path(args.out)
    result = {"command": " ".join(sys.argv), "minutes": round(minutes, 1), "timewarp_steps": tw_steps,
              "g_steps": args.g_steps, "abelg_steps": args.abelg_steps, "seeds": args.seeds,
              "frequencies": freq, "compression": table}
    out.with_suffix(".json").write_text(json.dumps(result, indent=1))
    lines = [f"NFT 1-D claims ({minutes:.1f} CPU minutes, 1 thread; {result['command']})", ""]
    if freq:
        lines.append(f"1. frequencies recovered (nft-1d-timewarp recipe, {tw_steps} steps; true strong 37 43 12 8 63)")
        for k, r in freq.items():
            lines.append(f"   {k:10s} top-5 of c(f): {[r[f'char_top{i}'] for i in range(1, 6)]}  "
                         f"strong recovered {r['strong_recovered']}/5  pred SSE step 1 {r['pred_sse_step1']:.3f}, "
                         f"step 18 {r['pred_sse_step18']:.3f}")
        lines.append("")
    lines.append(f"2./3. compression, test SSE per frame (noiseless test set), mean +- std over seeds {args.seeds}; "
                 f"g-NFT {args.g_steps} steps, G-NFT {args.abelg_steps} steps")
    lines.append(f"   DFT (16 complex coefficients = 32 reals): {table['dft_sse']:.4f}")
    for k, v in table.items():
        if k != "dft_sse":
            lines.append(f"   {k:34s} {statistics.mean(v):.4f} +- {statistics.pstdev(v):.4f}   "
                         f"{'beats' if statistics.mean(v) < table['dft_sse'] else 'does not beat'} the DFT")
    out.with_suffix(".txt").write_text("\n".join(lines) + "\n")
    _figure(freq, table, out.with_suffix(".png"))
    print("\n".join(lines))


if __name__ == "__main__":
    main()

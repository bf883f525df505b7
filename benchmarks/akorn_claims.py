"""AKOrN's claims at small scale, measured on the published weights (arXiv:2410.13821).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/akorn_claims.py [--hub hub/] [--runs runs/] [--seeds 3] [--boards 100]

Loads the published models through the Hub download path (``zoo.load(name, pretrained=True)``;
a HubServer over ``--hub`` on loopback and a fresh cache, unless HF_ENDPOINT is already set);
a model without published weights (withdrawn, or never good enough to publish) is read from
``--runs DIR/NAME``, the folder ``zoo train NAME`` wrote, and skipped with a note when there is
none. It prints:

1. object discovery on the same regenerated tetrominoes-style test scenes (320, the official
   test size): FG-ARI and MBO of AKOrN (attn), AKOrN (conv) and the ItrSA baseline, trained
   with the same data, steps and batch; each also untrained (same architecture, seed 0) as a
   floor; mean +- std over ``--seeds`` random oscillator starts (ItrSA is deterministic);
   then the same on the 128 px clevrtex-style scenes (K = 11, plain and with up-tiling x4) for
   AKOrN (attn, the official CLEVRTex L=1 architecture) and ItrSA at one budget, with a verdict;
2. Sudoku board accuracy of AKOrN on the in-distribution split (36 givens) and the harder
   out-of-distribution split (17 to 34 givens, RRN-like) as the test-time steps T
   grow, then with energy-based voting over K random starts (lowest final energy wins).

The paper's claims: AKOrN beats ItrSA in FG-ARI and MBO; Sudoku accuracy rises with T and
with energy voting, most on OOD boards. Every number comes from the plugin's tasks (the code
that wrote the registry results); nothing is hard-coded. The models are small and trained for
minutes on a CPU (see their model cards), so these are not the paper's numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from pathlib import Path

from zoo_core.hubserver import local_hub

ROOT = Path(__file__).resolve().parent.parent
DISCOVERY = ("akorn-attn-tetrominoes-style", "akorn-conv-tetrominoes-style", "itrsa-tetrominoes-style")
DISCOVERY_CLEVRTEX = ("akorn-attn-clevrtex-style", "itrsa-clevrtex-style")
SUDOKU = ("akorn-sudoku-ch128",)


def mean_std(values: list[float]) -> str:
    """``"mean +- std"`` in percent."""
    m = 100 * statistics.mean(values)
    s = 100 * statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{m:5.1f} +- {s:4.1f}"


def discovery(task, names: tuple[str, ...], seeds: int, runs: Path | None, **settings) -> dict:
    """FG-ARI / MBO of each model, trained and untrained; returns ``{name: {metric: mean}}`` (trained)."""
    import torch

    import zoo
    from zoo_core.eval import trained_model

    keys = _keys(settings)
    print(f"  {'model':<30}{'weights':<12}" + "".join(f"{k.upper().replace('_', '-'):>14}" for k in keys))
    means = {}
    for name in names:
        for label in ("trained", "untrained"):
            if label == "trained":
                found = trained_model(name, runs)
                if found is None:
                    print(f"  {name:<30}no published weights ({zoo.entry(name).provenance.get('unpublished', '')[:60]}...);"
                          f" pass --runs with `zoo train {name}` output")
                    break
                model, source = found
                source = source if source == "published" else f"run folder {source}"
            else:
                torch.manual_seed(0)
                model = zoo.create(name).eval()
            n_seeds = seeds if zoo.entry(name).builder.endswith("AKOrN") else 1
            scores = [task.evaluate(model, seed=s, **settings) for s in range(n_seeds)]
            print(f"  {name:<30}{label:<12}" + "".join(f"{mean_std([r[k] for r in scores]):>14}" for k in keys)
                  + (f"   ({source})" if label == "trained" else ""), flush=True)
            if label == "trained":
                means[name] = {k: statistics.mean(r[k] for r in scores) for k in keys}
    return means


def _keys(settings: dict) -> list[str]:
    r = settings.get("uptiled_r")
    return ["fg_ari", "mbo"] + ([f"fg_ari_up{r}", f"mbo_up{r}"] if r else [])


def discovery_sections(seeds: int, clevrtex_seeds: int, runs: Path | None, skip: list[str]) -> None:
    from zoo_akorn.tasks.object_discovery import ObjectDiscoveryClevrTexStyle, ObjectDiscoveryTetrominoes

    if "tetrominoes" not in skip:
        print("1. Object discovery, tetrominoes-style test scenes (320), K=4 clusters, % (mean +- std over seeds)")
        discovery(ObjectDiscoveryTetrominoes(), DISCOVERY, seeds, runs)
    if "clevrtex" in skip:
        return
    task = ObjectDiscoveryClevrTexStyle()
    print(f"\n1b. Object discovery, clevrtex-style 128 px test scenes ({task.sizes['test']}), K={task.n_clusters} "
          "clusters, plain and with up-tiling x4, % (mean +- std over seeds)")
    means = discovery(task, DISCOVERY_CLEVRTEX, clevrtex_seeds, runs, uptiled_r=4)
    akorn, itrsa = (means.get(n) for n in DISCOVERY_CLEVRTEX)
    if akorn and itrsa:
        ahead = {k: 100 * (akorn[k] - itrsa[k]) for k in akorn}
        verdict = "AKOrN ahead" if all(v > 0 for v in ahead.values()) else (
            "ItrSA ahead" if all(v < 0 for v in ahead.values()) else "mixed")
        print(f"  verdict at this budget: {verdict} (AKOrN - ItrSA, points: "
              + ", ".join(f"{k} {v:+.1f}" for k, v in ahead.items())
              + "); the paper (CLEVRTex, L=1): AKOrN ahead, 75.6 vs 65.7 FG-ARI, 55.0 vs 44.6 MBO")


def sudoku(name: str, boards: int, Ts: list[int], Ks: list[int], T_vote: int) -> None:
    import zoo
    from zoo_akorn.tasks.sudoku import SudokuGenerated

    task = SudokuGenerated()
    model = zoo.load(name, pretrained=True)
    print(f"\n2. Sudoku ({name}, trained with T={model.T}), board accuracy % on {boards} boards per split")
    for split, label in (("test", "in-distribution, 36 givens"), ("hard", "OOD, 17-34 givens")):
        start = time.time()
        task.dataset(split).tensors(boards)  # generate once (cached)
        print(f"  {split} ({label}; generated in {time.time() - start:.0f} s)")
        accs = {T: task.evaluate(model, split=split, limit=boards, T=T) for T in Ts}
        print("    T      " + "".join(f"{T:>8}" for T in Ts))
        print("    board  " + "".join(f"{100 * accs[T]['board_accuracy']:8.1f}" for T in Ts))
        print("    cell   " + "".join(f"{100 * accs[T]['cell_accuracy']:8.1f}" for T in Ts), flush=True)
        votes = {K: task.evaluate(model, split=split, limit=boards, T=T_vote, K=K) for K in Ks}
        print(f"    K (T={T_vote})" + "".join(f"{K:>8}" for K in Ks))
        print("    board  " + "".join(f"{100 * votes[K]['board_accuracy']:8.1f}" for K in Ks))
        print("    cell   " + "".join(f"{100 * votes[K]['cell_accuracy']:8.1f}" for K in Ks))
        print("    any-of-K" + "".join(f"{100 * votes[K].get('board_accuracy_any_of_k', votes[K]['board_accuracy']):8.1f}"
                                      for K in Ks) + "   (boards solved by at least one start)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hub", default=str(ROOT / "hub"), help="Hub-layout folder with the published weights")
    parser.add_argument("--runs", type=Path, default=None,
                        help="folder of `zoo train` outputs (DIR/NAME) for models without published weights")
    parser.add_argument("--seeds", type=int, default=3, help="oscillator seeds per AKOrN object-discovery evaluation")
    parser.add_argument("--clevrtex-seeds", type=int, default=1,
                        help="oscillator seeds on the clevrtex-style scenes (about 6 min each per model)")
    parser.add_argument("--sudoku", nargs="+", default=list(SUDOKU), help="Sudoku models to evaluate")
    parser.add_argument("--boards", type=int, default=100, help="Sudoku boards per split")
    parser.add_argument("--T", type=int, nargs="+", default=[4, 8, 16, 32, 64, 128], help="test-time steps")
    parser.add_argument("--K", type=int, nargs="+", default=[1, 4, 16], help="energy-voting starts")
    parser.add_argument("--T-vote", type=int, default=32, help="steps used with energy voting")
    parser.add_argument("--skip", choices=["discovery", "tetrominoes", "clevrtex", "sudoku"], action="append",
                        default=[], help="leave a section out (discovery = tetrominoes and clevrtex)")
    args = parser.parse_args()
    import torch

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "1")))
    start = time.time()
    with local_hub(Path(args.hub)):
        if "discovery" not in args.skip:
            discovery_sections(args.seeds, args.clevrtex_seeds, args.runs, args.skip)
        if "sudoku" not in args.skip:
            for name in args.sudoku:
                sudoku(name, args.boards, args.T, args.K, args.T_vote)
    print(f"\n({time.time() - start:.0f} s, {torch.get_num_threads()} thread(s))")


if __name__ == "__main__":
    main()

"""MSP's claims at small scale, measured on the published weights (arXiv:2210.05972).

    python benchmarks/msp_claims.py [--hub hub/ | --runs runs/] [--n N] [--seed 0]

Loads ``msp-digits``, ``neuralm-digits`` and ``msp-digits-accl`` through the Hub download path
(``zoo.load(name, pretrained=True)``; a HubServer over ``--hub`` on loopback and a fresh cache,
unless HF_ENDPOINT is already set); a model without published weights (these three were
withdrawn) is read from ``--runs DIR/NAME``, the folder ``zoo train NAME`` wrote. It prints, on
held-out sequential digits:

1. per-step prediction error (pixel SSE) of MSP, Neural M*, copy-last-frame and empty (black)
   frames, on the same test sequences (the paper: MSP extrapolates, Neural M* matches it at
   step 1 and then degrades);
2. the equivariance error: predicting with the sequence's own transition vs one borrowed
   from another sequence that underwent the same transformation (the paper: only MSP keeps
   ``borrowed ~= own``);
3. the block structure of the transitions after simultaneous block diagonalisation;
4. the second-order model on accelerated sequences against copy-last-frame.

Numbers come from the plugin's task (``SequentialDigitsTask.evaluate``, the code that wrote the
registry results) plus an SBD run for the block sizes; nothing is hard-coded. The models are
small and trained briefly (see their model cards), so these are not the paper's numbers.
"""

from __future__ import annotations

import argparse
import inspect
import time
from pathlib import Path

from zoo_core.hubserver import local_hub

ROOT = Path(__file__).resolve().parent.parent
MODELS = ("msp-digits", "neuralm-digits", "msp-digits-accl")


def steps(result: dict, prefix: str) -> list[float]:
    """``[result[prefix + "1"], result[prefix + "2"], ...]``."""
    out, k = [], 1
    while f"{prefix}{k}" in result:
        out.append(result[f"{prefix}{k}"])
        k += 1
    return out


def row(label: str, values, fmt: str = "{:8.1f}") -> str:
    return f"  {label:<28}" + "".join(fmt.format(v) for v in values)


def block_sizes(model, task, n: int, seed: int) -> tuple[list[int], float]:
    """Sizes of the blocks SBD finds in ``M*`` (same data and settings as the task's metric), and
    the mean off-diagonal ``|M*_ij|`` over the mean diagonal ``|M*_ii|`` (0 for a diagonal M*)."""
    import torch

    from zoo_msp.metrics import BlockStructure

    data = task.sbd_dataset()
    g = torch.Generator().manual_seed(seed + 1)
    metric = BlockStructure(seed=seed)
    with torch.no_grad():
        for start in range(0, n, 32):
            M = model.get_M(data.sample(min(32, n - start), generator=g))
            metric.update(M[0] if isinstance(M, tuple) else M)
    metric.compute()
    mats = torch.cat(metric.mats).abs()
    diag = torch.diagonal(mats, dim1=-2, dim2=-1).mean()
    off = (mats.sum(dim=(-2, -1)) - torch.diagonal(mats, dim1=-2, dim2=-1).sum(-1)).mean() / (
        mats.shape[-1] * (mats.shape[-1] - 1))
    return sorted((len(b) for b in metric.blocks), reverse=True), float(off / diag)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hub", default=str(ROOT / "hub"), help="Hub-layout folder to serve")
    parser.add_argument("--n", type=int, default=None,
                        help="test sequences per metric (default: the task's, as in the registry results)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", default=None,
                        help="load DIR/NAME (folders written by `zoo train NAME`) for models without published weights")
    args = parser.parse_args(argv)
    with local_hub(Path(args.hub)) as url:  # models without published weights come from --runs
        return report(args, url)


def report(args: argparse.Namespace, url: str) -> int:
    """Load the models (published weights from ``url``, else the run folders under ``args.runs``)
    and print the four comparisons."""
    import torch

    import zoo
    from zoo_core.eval import trained_model
    from zoo_msp.tasks import AcceleratedSequentialDigitsTask, SequentialDigitsTask

    started = time.perf_counter()
    found = {name: trained_model(name, args.runs) for name in MODELS}
    missing = [name for name, f in found.items() if f is None]
    if missing:
        raise SystemExit(f"no published weights for {', '.join(missing)}: pass --runs DIR holding "
                         f"`zoo train NAME --out DIR/NAME` output")
    models = {name: model.eval() for name, (model, _) in found.items()}
    sources = {name: source for name, (_, source) in found.items()}
    published = all(source == "published" for source in sources.values())
    print(f"loaded {', '.join(MODELS)} " + (f"through the Hub path ({url})" if published
                                            else f"from the run folders in {args.runs}"))
    for name in MODELS:
        e = zoo.entry(name)
        where = f"{e.weights.repo}@{e.weights.revision[:10]}" if e.weights else sources[name]
        print(f"  {name}: {where}, {e.train['steps']} steps of "
              f"{e.train['batch_size']}, {sum(p.numel() for p in models[name].parameters()) / 1e6:.2f} M params")

    torch.manual_seed(0)
    task, accl_task = SequentialDigitsTask(), AcceleratedSequentialDigitsTask()
    n = args.n or inspect.signature(task.evaluate).parameters["n_sequences"].default
    res = {name: (accl_task if name.endswith("accl") else task).evaluate(
        models[name], n_sequences=n, seed=args.seed) for name in MODELS}
    for name in MODELS if published else ():  # run folders have no registry results to compare with
        published = zoo.entry(name).results
        same = bool(published) and all(abs(res[name][k] - v) <= 1e-4 for k, v in published.items()
                                       if isinstance(v, (int, float)))
        print(f"  {name}: task numbers {'equal' if same else 'DIFFER FROM'} the registry results"
              + ("" if args.n is None and args.seed == 0 else f" (n={n}, seed={args.seed})"))

    msp, nm = res["msp-digits"], res["neuralm-digits"]
    n_steps = len(steps(msp, "pred_sse_step"))
    print(f"\n1. Prediction error per step (pixel SSE per frame, mean over {n} test sequences; "
          f"T = {task.eval_T}, {task.T_cond} given frames)")
    print(row("step", range(1, n_steps + 1), "{:8d}") + "     mean")
    for label, r, key in (("MSP (msp-digits)", msp, "pred_sse"), ("Neural M* (neuralm-digits)", nm, "pred_sse"),
                          ("copy last frame", msp, "copy_last_sse"), ("black frame", msp, "black_frame_sse")):
        print(row(label, steps(r, f"{key}_step")) + f" {r[f'{key}_mean']:8.1f}")
    ratio_copy = [a / b for a, b in zip(steps(msp, "pred_sse_step"), steps(msp, "copy_last_sse_step"))]
    ratio_nm = [a / b for a, b in zip(steps(msp, "pred_sse_step"), steps(nm, "pred_sse_step"))]
    ratio_black = [a / b for a, b in zip(steps(msp, "pred_sse_step"), steps(msp, "black_frame_sse_step"))]
    print(row("MSP / copy-last", ratio_copy, "{:8.2f}"))
    print(row("MSP / black frame", ratio_black, "{:8.2f}"))
    print(row("MSP / Neural M*", ratio_nm, "{:8.2f}"))

    print("\n2. Equivariance error (sequences of a batch share one transformation; prediction with the "
          "sequence's own M* vs the M* of another sequence)")
    print(row("step", range(1, n_steps + 1), "{:8d}"))
    for label, r in (("MSP", msp), ("Neural M*", nm)):
        own, borrowed = steps(r, "equiv_own_step"), steps(r, "equiv_borrowed_step")
        print(row(f"{label}: own M*", own))
        print(row(f"{label}: borrowed M*", borrowed))
        print(row(f"{label}: borrowed / own", [b / o for o, b in zip(own, borrowed)], "{:8.2f}"))

    print("\n3. Block structure of M* after simultaneous block diagonalisation (dim_a = 16)")
    for label, name, r in (("MSP", "msp-digits", msp), ("Neural M*", "neuralm-digits", nm),
                           ("MSP 2nd order (top M)", "msp-digits-accl", res["msp-digits-accl"])):
        t = accl_task if name.endswith("accl") else task
        sizes, off = block_sizes(models[name], t, n, args.seed)
        print(f"  {label:<24} blocks {sizes}, off-block energy {r['sbd_off_block_energy']:.3f}, "
              f"loss_bd {r['sbd_loss_bd_before']:.2f} -> {r['sbd_loss_bd_after']:.2f}, "
              f"mean |off-diagonal| / |diagonal| of M* {off:.3f}")

    a = res["msp-digits-accl"]
    k = len(steps(a, "pred_sse_step"))
    print(f"\n4. Second-order MSP on accelerated digits (T = {accl_task.eval_T}, {accl_task.T_cond} given frames), "
          f"steps 1..{k}")
    print(row("step", range(1, k + 1), "{:7d}"))
    print(row("MSP 2nd order", steps(a, "pred_sse_step"), "{:7.1f}"))
    print(row("copy last frame", steps(a, "copy_last_sse_step"), "{:7.1f}"))
    print(row("black frame", steps(a, "black_frame_sse_step"), "{:7.1f}"))
    print(row("borrowed / own M*", [b / o for o, b in zip(steps(a, "equiv_own_step"),
                                                         steps(a, "equiv_borrowed_step"))], "{:7.2f}"))
    print(f"\n({time.perf_counter() - started:.0f} s, torch {torch.__version__}, "
          f"{torch.get_num_threads()} thread(s))")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

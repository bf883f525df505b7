"""Official AKOrN vs zoo-akorn: same weights, same random initial state, outputs and CPU speed.

Usage::

    git -C <mirror> archive HEAD | tar -x -C /tmp/akorn_official     # autonomousvision/akorn
    PYTHONPATH=.:plugins/akorn .venv/bin/python benchmarks/akorn_parity.py --official /tmp/akorn_official

For each configuration: build the official model (seeded), convert its state dict with
``zoo_akorn.convert.convert_state_dict``, load it strictly into ours, run both in eval mode
under ``no_grad`` from the same RNG state (so both draw the same initial oscillators), and
print the largest absolute output difference and the forward-time ratio official / ours
(medians of interleaved timed calls in the same process, ``--threads`` threads, default 1; the ratio of the
fastest calls is printed too, as a check on a machine shared with other jobs).

The official code needs ``einops`` (and ``sympy``, a torch dependency). Its Sudoku model
imports ``pandas`` only for CSV loading; if pandas is missing an empty stand-in module is
registered so that the import succeeds (nothing of it is called here).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import types
import warnings

import torch

CONFIGS = {
    # name: (official module, class, kwargs, our builder, our kwargs, input kind, batch)
    "akorn-attn-tetrominoes": ("source.models.objs.knet", "AKOrN",
        dict(n=4, ch=128, L=1, T=8, gamma=1.0, J="attn", use_omega=False, global_omg=False, c_norm="none", psize=4,
             imsize=32, autorescale=False, init_omg=0.01, learn_omg=False, maxpool=True, project=True, heads=8,
             use_ro_x=False, no_ro=False, gta=True), "zoo_akorn.models.akorn:AKOrN", "image32", 32),
    "akorn-conv-tetrominoes": ("source.models.objs.knet", "AKOrN",
        dict(n=4, ch=128, L=1, T=8, gamma=1.0, J="conv", ksize=5, use_omega=False, global_omg=False, c_norm="none",
             psize=4, imsize=32, autorescale=False, init_omg=0.01, learn_omg=False, maxpool=True, project=True,
             heads=8, use_ro_x=False, no_ro=False, gta=True), "zoo_akorn.models.akorn:AKOrN", "image32", 32),
    "akorn-attn-clevrtex": ("source.models.objs.knet", "AKOrN",
        dict(n=4, ch=256, L=1, T=8, gamma=1.0, J="attn", use_omega=False, global_omg=False, c_norm="gn", psize=8,
             imsize=128, autorescale=False, init_omg=0.01, learn_omg=False, maxpool=True, project=True, heads=8,
             use_ro_x=False, no_ro=False, gta=True), "zoo_akorn.models.akorn:AKOrN", "image128", 4),
    "akorn-attn-l2-omega-nogta (coverage)": ("source.models.objs.knet", "AKOrN",
        dict(n=4, ch=64, L=2, T=3, gamma=1.0, J="attn", use_omega=True, global_omg=False, c_norm="sandb", psize=4,
             imsize=32, autorescale=False, init_omg=0.3, learn_omg=True, maxpool=False, project=True, heads=4,
             use_ro_x=True, no_ro=False, gta=False), "zoo_akorn.models.akorn:AKOrN", "image32", 8),
    "itrsa-tetrominoes": ("source.models.objs.vit", "ViT",
        dict(psize=4, imsize=32, autorescale=False, ch=128, blocks=1, heads=8, mlp_dim=256, T=8, maxpool=True,
             gta=False), "zoo_akorn.models.itrsa:ItrSA", "image32", 32),
    "akorn-sudoku": ("source.models.sudoku.knet", "SudokuAKOrN",
        dict(n=4, ch=512, L=1, T=16, gamma=1.0, J="attn", use_omega=True, global_omg=True, init_omg=0.5,
             learn_omg=True, nl=True, heads=8), "zoo_akorn.models.sudoku:SudokuAKOrN", "sudoku", 16),
    "itrsa-sudoku": ("source.models.sudoku.transformer", "SudokuTransformer",
        dict(ch=512, blocks=1, heads=8, mlp_dim=1024, T=16, gta=False), "zoo_akorn.models.itrsa:SudokuItrSA",
        "sudoku", 16),
    "akorn-conv-cifar10": ("source.models.classification.knet", "AKOrN",
        dict(n=2, ch=64, out_classes=10, L=3, T=3, J="conv", ksizes=[9, 7, 5], ro_ksize=3, ro_N=2, norm="bn",
             c_norm="gn", gamma=1.0, use_omega=True, init_omg=1.0, global_omg=True, learn_omg=True, ensemble=1),
        "zoo_akorn.models.classification:AKOrNClassifier", "image32", 8),
}


def import_official(path: str) -> None:
    """Put the official repository root on ``sys.path`` and import its model modules.

    The official Sudoku model imports pandas (CSV loading only); if pandas is missing, an
    empty stand-in is registered for that import and removed again right after.
    """
    import importlib
    import importlib.machinery

    sys.path.insert(0, path)
    warnings.filterwarnings("ignore")
    stub = None
    try:
        import pandas  # noqa: F401
    except ImportError:
        stub = types.ModuleType("pandas")
        stub.__spec__ = importlib.machinery.ModuleSpec("pandas", None)
        sys.modules["pandas"] = stub
    try:
        for mod, *_ in CONFIGS.values():
            importlib.import_module(mod)
    finally:
        if stub is not None and sys.modules.get("pandas") is stub:
            del sys.modules["pandas"]


def build_pair(name: str, batch: int | None = None):
    """(official model, our model, inputs, how to call each) with identical weights; ``batch``
    overrides the configuration's batch size."""
    import importlib

    from zoo_akorn.convert import convert_state_dict
    from zoo_core.testing.parity import untie_parameters

    mod, cls, kwargs, builder, kind, config_batch = CONFIGS[name]
    batch = batch or config_batch
    torch.manual_seed(0)
    official = getattr(importlib.import_module(mod), cls)(**kwargs).eval()
    untie_parameters(official)  # the official GTA mat_q/k/v/o share one storage on the CPU: give each its own
    with torch.no_grad():  # perturb frozen-at-init params so the mapping is really tested
        for p in official.parameters():
            if p.dtype.is_floating_point and p.numel() > 1:
                p.add_(0.01 * torch.randn_like(p))
    bmod, bcls = builder.split(":")
    ours = getattr(importlib.import_module(bmod), bcls)(**kwargs).eval()
    ours.load_state_dict(convert_state_dict(official.state_dict()), strict=True)
    g = torch.Generator().manual_seed(1)
    if kind.startswith("image"):
        size = int(kind[5:])
        inputs = (torch.rand(batch, 3, size, size, generator=g),)
        call_off = call_ours = lambda m, x: m(x)
    else:
        digits = torch.randint(0, 9, (batch, 9, 9), generator=g)
        board = torch.nn.functional.one_hot(digits, 9).float() * (torch.rand(batch, 9, 9, 1, generator=g) < 0.35)
        is_input = board.sum(3, keepdim=True).int()
        inputs = (board.int(), is_input)
        call_off = lambda m, x: m(*x) if isinstance(x, tuple) else m(x)  # noqa: E731
        call_ours = call_off
    return official, ours, inputs, call_off, call_ours


def time_train_steps(name: str, reps: int = 5, batch: int | None = None) -> dict:
    """Median times of ``model(x).sum().backward()`` in train mode, official vs ours, interleaved."""
    official, ours, inputs, call_off, call_ours = build_pair(name, batch)
    args = inputs if len(inputs) > 1 else inputs[0]
    official.train(), ours.train()

    def step(model, call):
        model.zero_grad(set_to_none=True)
        call(model, args).float().sum().backward()

    for _ in range(2):
        step(official, call_off), step(ours, call_ours)
    t_off, t_ours = [], []
    for _ in range(reps):
        t = time.perf_counter(); step(official, call_off); t_off.append(time.perf_counter() - t)
        t = time.perf_counter(); step(ours, call_ours); t_ours.append(time.perf_counter() - t)
    mo, mu = statistics.median(t_off), statistics.median(t_ours)
    return {"name": name + " [train fwd+bwd]", "official_ms": mo * 1e3, "ours_ms": mu * 1e3, "speedup": mo / mu,
            "speedup_min": min(t_off) / min(t_ours)}


def compare(name: str, reps: int = 5, batch: int | None = None) -> dict:
    official, ours, inputs, call_off, call_ours = build_pair(name, batch)
    args = inputs if len(inputs) > 1 else inputs[0]
    with torch.no_grad():
        torch.manual_seed(123)
        a = call_off(official, args)
        torch.manual_seed(123)
        b = call_ours(ours, args)
        diff = (a.float() - b.float()).abs().max().item()
        scale = a.float().abs().max().item()
        for _ in range(2):
            call_off(official, args), call_ours(ours, args)
        t_off, t_ours = [], []
        for _ in range(reps):
            t = time.perf_counter(); call_off(official, args); t_off.append(time.perf_counter() - t)
            t = time.perf_counter(); call_ours(ours, args); t_ours.append(time.perf_counter() - t)
    mo, mu = statistics.median(t_off), statistics.median(t_ours)
    return {"name": name, "max_abs_diff": diff, "max_abs_out": scale, "official_ms": mo * 1e3, "ours_ms": mu * 1e3,
            "speedup": mo / mu, "speedup_min": min(t_off) / min(t_ours)}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--official", required=True, help="path to an unpacked autonomousvision/akorn checkout")
    ap.add_argument("--only", nargs="*", default=None, help="configuration names to run (default: all)")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--train", action="store_true", help="also time a training step (forward + backward)")
    ap.add_argument("--threads", type=int, default=1, help="torch intra-op threads (default 1; with 2 threads on a 2-core machine any other job makes the timings noise)")
    ap.add_argument("--batches", nargs="*", type=int, default=None,
                    help="batch sizes to time (default: each configuration's own, shown in CONFIGS)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    import_official(args.official)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s), {args.reps} timed calls each")
    print(f"{'config':40s} {'batch':>5s} {'max|diff|':>10s} {'max|out|':>9s} {'official ms':>12s} {'zoo ms':>9s}"
          f" {'speedup':>8s} {'(min)':>7s}")
    for name in args.only or CONFIGS:
        for batch in args.batches or [CONFIGS[name][-1]]:
            r = compare(name, args.reps, batch)
            print(f"{r['name']:40s} {batch:5d} {r['max_abs_diff']:10.2e} {r['max_abs_out']:9.3f} {r['official_ms']:12.1f} "
                  f"{r['ours_ms']:9.1f} {r['speedup']:7.2f}x {r['speedup_min']:6.2f}x", flush=True)
            if args.train:
                r = time_train_steps(name, args.reps, batch)
                print(f"{r['name']:40s} {batch:5d} {'':>10s} {'':>9s} {r['official_ms']:12.1f} {r['ours_ms']:9.1f} "
                      f"{r['speedup']:7.2f}x {r['speedup_min']:6.2f}x", flush=True)


if __name__ == "__main__":
    main()

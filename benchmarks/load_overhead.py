"""Warm-cache `zoo.load(name, pretrained=True)` against building the model and loading its
safetensors directly, for every pretrained model in the registry (or a pattern).

The weights are served by `zoo hub serve` semantics from the repo's hub/ folder (a server in
this process, on loopback) into a temporary cache, fetched once, then both paths are timed
interleaved on the warm cache; the median ratio is printed per model.

    python benchmarks/load_overhead.py [PATTERN] [--repeats 30]
"""

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pattern", nargs="?", default=None)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--hub", default=str(ROOT / "hub"))
    args = parser.parse_args()

    os.environ["HF_HUB_CACHE"] = tempfile.mkdtemp(prefix="zoo-bench-cache-")
    import torch

    import zoo
    from zoo_core.api import import_ref
    from zoo_core.hubserver import serve_in_thread
    from zoo_core.weights import component_module

    torch.set_num_threads(max(1, torch.get_num_threads()))
    names = zoo.list_models(args.pattern, pretrained=True)
    with serve_in_thread(args.hub) as server:
        os.environ["HF_ENDPOINT"] = server.url
        files = {n: zoo.download(n)[n] for n in names}  # warm the cache through the Hub path
    print(f"{'model':32} {'zoo.load ms':>12} {'direct ms':>10} {'ratio':>6}")
    worst = 0.0
    for name in names:
        e = zoo.entry(name)
        builder = import_ref(e.builder)
        paths = dict(zip(e.weights.files, files[name]))

        def direct():
            from safetensors.torch import load_file

            model = builder(**e.config)
            for component, path in paths.items():
                component_module(model, component).load_state_dict(load_file(str(path)), strict=True)
            return model.eval()

        def via_zoo():
            return zoo.load(name, pretrained=True)

        via_zoo(), direct()
        t_zoo, t_direct = [], []
        for _ in range(args.repeats):
            for fn, acc in ((via_zoo, t_zoo), (direct, t_direct)):
                t = time.perf_counter()
                fn()
                acc.append(time.perf_counter() - t)
        a, b = statistics.median(t_zoo) * 1e3, statistics.median(t_direct) * 1e3
        worst = max(worst, a / b)
        print(f"{name:32} {a:12.3f} {b:10.3f} {a / b:6.2f}")
    print(f"worst ratio {worst:.2f} (goal: <= 1.10: {'met' if worst <= 1.10 else 'NOT met'})")


if __name__ == "__main__":
    main()

"""Startup cost of listing models: `import zoo; zoo.list_models()` against `import timm; timm.list_models()`.

Each measurement is a fresh interpreter (what a user or a CLI call pays), repeated and
interleaved; the median is reported, with the ratio.

    python benchmarks/startup.py [--repeats 7]
"""

import argparse
import json
import statistics
import subprocess
import sys

PROBES = {
    "zoo": "import time; t=time.perf_counter(); import zoo; n=len(zoo.list_models()); "
           "import sys; print(time.perf_counter()-t, n, 'torch' in sys.modules)",
    "timm": "import time; t=time.perf_counter(); import timm; n=len(timm.list_models()); "
            "import sys; print(time.perf_counter()-t, n, 'torch' in sys.modules)",
}


def run(code: str) -> tuple[float, int, bool]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    seconds, count, torch_loaded = out.stdout.split()
    return float(seconds), int(count), torch_loaded == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    times: dict[str, list[float]] = {k: [] for k in PROBES}
    info = {}
    for k in PROBES:  # warm the OS file cache once
        run(PROBES[k])
    for _ in range(args.repeats):
        for k, code in PROBES.items():
            seconds, count, torch_loaded = run(code)
            times[k].append(seconds)
            info[k] = (count, torch_loaded)
    zoo_s, timm_s = statistics.median(times["zoo"]), statistics.median(times["timm"])
    result = {"zoo_s": zoo_s, "timm_s": timm_s, "ratio": timm_s / zoo_s,
              "zoo_models": info["zoo"][0], "timm_models": info["timm"][0],
              "zoo_imports_torch": info["zoo"][1], "timm_imports_torch": info["timm"][1]}
    if args.json:
        print(json.dumps(result))
        return
    print(f"{'':6} {'median s':>9} {'models':>7} {'imports torch':>14}")
    print(f"{'zoo':6} {zoo_s:9.3f} {info['zoo'][0]:7d} {str(info['zoo'][1]):>14}")
    print(f"{'timm':6} {timm_s:9.3f} {info['timm'][0]:7d} {str(info['timm'][1]):>14}")
    print(f"zoo lists models {timm_s / zoo_s:.1f}x faster than timm "
          f"(goal: >= 20x and under 0.3 s: {'met' if timm_s / zoo_s >= 20 and zoo_s < 0.3 else 'NOT met'})")


if __name__ == "__main__":
    main()

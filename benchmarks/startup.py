"""Startup cost of listing models: `import zoo; zoo.list_models()` against `import timm; timm.list_models()`.

Each measurement is a fresh interpreter (what a user or a CLI call pays), repeated and
interleaved; the median is reported, with the ratio.

    python benchmarks/startup.py [--repeats 7]
    python benchmarks/startup.py --scale 10 [--no-cache]   # registry.yaml x1 against x10

``--scale N`` writes, in a temporary folder, the catalog as it is and with every entry copied
N times (new names, same papers and families), and times listing each through ZOO_REGISTRY.
The catalog cache lives in that folder too (warmed once, like the OS file cache);
``--no-cache`` turns it off, so every run parses the YAML.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

PROBES = {
    "zoo": "import time; t=time.perf_counter(); import zoo; n=len(zoo.list_models()); "
           "import sys; print(time.perf_counter()-t, n, 'torch' in sys.modules)",
    "timm": "import time; t=time.perf_counter(); import timm; n=len(timm.list_models()); "
            "import sys; print(time.perf_counter()-t, n, 'torch' in sys.modules)",
}


def run(code: str, env: dict | None = None) -> tuple[float, int, bool]:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env=env)
    seconds, count, torch_loaded = out.stdout.split()
    return float(seconds), int(count), torch_loaded == "True"


def scaled_catalog(source: Path, copies: int, out: Path) -> int:
    """Write ``source`` with every entry copied ``copies`` times; returns the number of entries."""
    import yaml

    from zoo_core.catalog import SECTIONS

    data = yaml.safe_load(source.read_text(encoding="utf-8"))
    scaled = {k: data[k] for k in SECTIONS if k in data}
    for copy in range(copies):
        for name, entry in data.items():
            if name in SECTIONS:
                continue
            suffix = f"-x{copy}" if copy else ""
            if "aliases" in entry:
                entry = {**entry, "aliases": [a + suffix for a in entry["aliases"]]}
            scaled[name + suffix] = entry
    out.write_text(yaml.safe_dump(scaled, sort_keys=False, width=100), encoding="utf-8")
    return len(scaled) - len([k for k in SECTIONS if k in data])


def scale(args: argparse.Namespace) -> None:
    from zoo_core.registry import default_registry_path

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        envs, sizes = {}, {}
        for copies in (1, args.scale):
            path = tmp / f"registry-x{copies}.yaml"
            sizes[copies] = scaled_catalog(default_registry_path(), copies, path)
            envs[copies] = {**os.environ, "ZOO_REGISTRY": str(path),
                            "ZOO_CATALOG_CACHE": "" if args.no_cache else str(tmp / "cache")}
        times: dict[int, list[float]] = {k: [] for k in envs}
        listed = {}
        for copies, env in envs.items():  # warm the OS file cache (and the catalog cache) once
            run(PROBES["zoo"], env)
        for _ in range(args.repeats):
            for copies, env in envs.items():
                seconds, count, torch_loaded = run(PROBES["zoo"], env)
                assert not torch_loaded, "listing imported torch"
                times[copies].append(seconds)
                listed[copies] = count
    base, big = (statistics.median(times[k]) for k in envs)
    ratio = big / base
    result = {"entries": sizes, "listed": listed, "median_s": {k: statistics.median(v) for k, v in times.items()},
              "ratio": ratio, "cache": not args.no_cache, "repeats": args.repeats}
    if args.json:
        print(json.dumps(result))
        return
    for copies in envs:
        print(f"x{copies:<3} {sizes[copies]:4d} registry.yaml entries ({listed[copies]} listed): "
              f"median {statistics.median(times[copies]):.3f} s over {args.repeats} runs")
    print(f"x{args.scale} / x1 = {ratio:.2f} ({'with' if not args.no_cache else 'without'} the catalog "
          f"cache; goal <= 1.25: {'met' if ratio <= 1.25 else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--scale", type=int, help="compare the catalog as it is with every entry copied N times")
    parser.add_argument("--no-cache", action="store_true", help="with --scale: no catalog cache (parse every time)")
    args = parser.parse_args()
    if args.scale:
        return scale(args)
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

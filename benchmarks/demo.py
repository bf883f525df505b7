"""The main job: serve hub/ on loopback, load every pretrained model through the Hub path,
evaluate it with its task, and write a results table.

    python benchmarks/demo.py --out reports/demo
"""

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="reports/demo")
    parser.add_argument("--hub", default=str(ROOT / "hub"))
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    port = free_port()
    zoo_cli = Path(sys.executable).with_name("zoo")
    server = subprocess.Popen([str(zoo_cli), "hub", "serve", args.hub, "--port", str(port), "--quiet"],
                              stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(url + "/api/models/none/none", timeout=1)
            except urllib.error.HTTPError:
                break  # the server answers
            except OSError:
                time.sleep(0.1)
        os.environ["HF_ENDPOINT"] = url
        os.environ["HF_HUB_CACHE"] = tempfile.mkdtemp(prefix="zoo-demo-cache-")  # a fresh cache
        import zoo

        rows = []
        for name in zoo.list_models(pretrained=True):
            e = zoo.entry(name)
            t = time.perf_counter()
            model = zoo.load(name, pretrained=True)
            load_s = time.perf_counter() - t
            task = zoo.resolve_ref("zoo_tasks", e.task)()
            metrics = task.evaluate(model)
            rows.append({"name": name, "task": e.task, "load_s": round(load_s, 3), "metrics": metrics,
                         "registry": dict(e.results)})
            print(f"{name}: {metrics} (registry: {dict(e.results)})", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)
    (out / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    lines = ["| model | task | metrics | registry | load s |", "|---|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['task']} | {r['metrics']} | {r['registry']} | {r['load_s']} |" for r in rows]
    (out / "results.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    print(f"\nreport: {out / 'results.md'}")


if __name__ == "__main__":
    main()

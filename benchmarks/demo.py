"""The main job (``make demo``): serve hub/ on loopback, load every pretrained model through the
Hub download path into a fresh cache, benchmark it (quality beside the published results,
speed, memory, figures) and write the report.

    python benchmarks/demo.py --out reports/demo [--limit 256] [--timeout 300]

Each model runs in its own process (a crash or hang is contained and reported), and each is
evaluated on at most ``--limit`` examples so the whole run stays short on a small CPU machine;
the report says so. The timeout is for hangs: it counts a model's own running time (CPU time
per thread), so a machine busy with other work slows the demo down but does not fail it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port nobody listens on right now (on loopback)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_hub(folder: Path, port: int) -> tuple[subprocess.Popen, str]:
    """Run ``zoo hub serve FOLDER`` on 127.0.0.1:port and wait until it answers."""
    zoo_cli = Path(sys.executable).with_name("zoo")
    cmd = [str(zoo_cli), "hub", "serve", str(folder), "--host", "127.0.0.1", "--port", str(port), "--quiet"]
    server = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"demo: `{' '.join(cmd)}` exited with code {server.returncode}:\n"
                             f"{server.stderr.read()}")
        try:
            urllib.request.urlopen(url + "/api/models/zoo-demo/ping", timeout=1)
            return server, url
        except urllib.error.HTTPError:  # 404 for the made-up repo: the server answers
            return server, url
        except OSError:
            time.sleep(0.1)
    server.terminate()
    raise SystemExit(f"demo: the hub server at {url} did not answer within 30 s")


def main(argv: list[str] | None = None) -> int:
    from zoo_core.checks import arg

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "reports" / "demo"), help="report folder")
    parser.add_argument("--hub", default=str(ROOT / "hub"), help="Hub-layout folder to serve")
    parser.add_argument("--limit", type=arg(int, 1, "a number of examples"), default=256,
                        help="evaluation examples per model (default 256)")
    parser.add_argument("--timeout", type=arg(float, 1e-3, "a number of seconds"), default=300,
                        help="stop a model after this many seconds of its own running time (CPU time "
                             "per thread, so other work on the machine does not count) or of no "
                             "progress (default 300)")
    parser.add_argument("--batch", type=arg(int, 1, "a batch size"), default=16, help="batch size for throughput")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    server, url = start_hub(Path(args.hub), free_port())
    cache = tempfile.mkdtemp(prefix="zoo-demo-cache-")
    try:
        os.environ["HF_ENDPOINT"] = url
        os.environ["HF_HUB_CACHE"] = cache  # fresh: every file is downloaded through the server
        os.environ.pop("HF_HUB_OFFLINE", None)
        print(f"serving {args.hub} at {url}; fresh Hub cache {cache}", flush=True)

        import zoo
        from zoo_core.bench import run_bench

        names = zoo.list_models(pretrained=True)
        print(f"{len(names)} pretrained models: {', '.join(names)}", flush=True)
        rows = run_bench(pretrained=True, out_dir=args.out, isolate=True, limit=args.limit,
                         batch=args.batch, timeout=args.timeout, progress=True,
                         notes=[f"Weights: every model was downloaded from zoo hub serve {args.hub} "
                                f"({url}) into an empty Hugging Face cache through huggingface_hub, "
                                "and sha256-checked on load."])
        fetched = sorted(p.relative_to(cache).as_posix() for p in Path(cache).rglob("*.safetensors"))
    finally:
        server.terminate()
        server.wait(timeout=10)
        shutil.rmtree(cache, ignore_errors=True)

    out = Path(args.out)
    print((out / "results.md").read_text())
    print(f"{len(fetched)} weight files came through the Hub path")
    failed = [r["name"] for r in rows if r["status"] != "ok"]
    if failed:
        print(f"{len(failed)} of {len(rows)} models failed: {', '.join(failed)} (errors in the report)")
    print(f"demo took {time.perf_counter() - started:.0f} s")
    print(f"report: {out.resolve() / 'index.html'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

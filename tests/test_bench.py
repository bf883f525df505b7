"""`zoo bench`: failures are contained per model, isolated runs survive a crash, the report is
written (JSON, Markdown, HTML whose figures exist) and renders in a real browser."""

from __future__ import annotations

import argparse
import json
import math
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from zoo_core.bench import add_bench_command, run_bench
from zoo_core.errors import ZooError

from conftest import plugin_source, tiny_entry

TOYS = '''
import os
import struct
import zlib
from pathlib import Path

import torch

from zoo_test_models import Tiny


def explode(**config):
    raise RuntimeError("builder exploded on purpose")


class Crashing(Tiny):
    """Kills its process in forward (a segfault stand-in)."""

    def forward(self, x):
        os._exit(3)


class Scored:
    """Mean output on a ones batch; reports how many examples it used."""

    name = "test/ok"

    def dataset(self, split):
        return torch.ones(8, 4)

    def evaluate(self, model, *, limit=None, seed=0):
        x = self.dataset("test")[:limit]
        with torch.no_grad():
            return {"mean": float(model(x).mean()), "n": len(x)}


class Broken(Scored):
    name = "test/broken"

    def evaluate(self, model, **kwargs):
        raise ValueError("task broke on purpose")


def write_png(path, width, height, rgb):
    """A solid-colour RGB PNG, written by hand (no imaging library needed)."""
    raw = b"".join(b"\\x00" + bytes(rgb) * width for _ in range(height))

    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    Path(path).write_bytes(b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) +
                           chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def draw(model, task, out_dir, *, name):
    path = Path(out_dir) / "swatch.png"
    write_png(path, 120, 80, (255, 0, 255))
    return [("Magenta swatch", path)]


def bad_figure(model, task, out_dir, *, name):
    raise RuntimeError("figure broke on purpose")
'''

HOOKS = '''
@hookimpl
def zoo_tasks():
    return {"test/ok": "zoo_bench_toys:Scored", "test/broken": "zoo_bench_toys:Broken",
            "test/figfail": "zoo_bench_toys:Scored"}

@hookimpl
def zoo_figures():
    return {"test/ok": "zoo_bench_toys:draw", "test/figfail": "zoo_bench_toys:bad_figure"}
'''

GOOD, BUILDER, TASK, FIGURE, CRASH = ("bench-good-test", "bench-builder-test", "bench-task-test",
                                      "bench-figure-test", "bench-crash-test")


@pytest.fixture
def toys(site, only_plugins, fake_hub, tmp_path, monkeypatch):
    """Plugin zoo-benchtoys: one good model (weights in a fake hub) and one broken per stage;
    plugin zoo-benchcrash: a model whose forward kills the process. Child processes see them."""
    root = tmp_path / "site"
    (root / "zoo_bench_toys.py").write_text(TOYS)
    monkeypatch.setenv("PYTHONPATH", str(root))  # for --isolate's child processes
    from zoo_test_models import Tiny

    model = Tiny(width=4)
    model.zoo_name, model.builder, model.config = GOOD, "zoo_test_models:Tiny", {"width": 4}
    weights = fake_hub.publish(model, "test/bench-good")
    site("zoo-benchtoys", plugin_source({
        GOOD: tiny_entry(task="test/ok", weights=weights, results={"mean": 0.25}),
        BUILDER: tiny_entry(builder="zoo_bench_toys:explode", task="test/ok"),
        TASK: tiny_entry(task="test/broken"),
        FIGURE: tiny_entry(task="test/figfail"),
    }) + HOOKS)
    site("zoo-benchcrash", plugin_source({CRASH: tiny_entry(builder="zoo_bench_toys:Crashing", task="test/ok")}))
    only_plugins("zoo-benchtoys")
    yield only_plugins
    sys.modules.pop("zoo_bench_toys", None)


FAST = dict(repeats=3, budget_s=0.1, batch=4)


@pytest.fixture
def report(toys, tmp_path):
    out = tmp_path / "report"
    return run_bench(out_dir=out, limit=5, **FAST), out


def test_a_broken_model_does_not_stop_the_others(report):
    rows, out = report
    by = {r["name"]: r for r in rows}
    assert [r["name"] for r in rows] == sorted([GOOD, BUILDER, TASK, FIGURE])

    good = by[GOOD]
    assert good["status"] == "ok" and good["errors"] == []
    assert good["weights"].startswith("test/bench-good@")      # loaded through the fake hub
    assert good["metrics"]["n"] == 5                            # limit reached the task
    assert math.isfinite(good["metrics"]["mean"]) and good["published"] == {"mean": 0.25}
    assert good["params"] == 4 * 4 + 4
    assert good["latency_ms"] > 0 and good["throughput"] > 0 and good["latency_runs"] >= 1
    assert [f["title"] for f in good["figures"]] == ["Magenta swatch"]
    assert (out / good["figures"][0]["path"]).is_file()
    assert good["memory"]["peak_mb"] is None and "--isolate" in good["memory"]["method"]

    def only_error(name):
        row = by[name]
        assert row["status"] == "failed" and len(row["errors"]) == 1, row["errors"]
        return row["errors"][0]

    err = only_error(BUILDER)
    assert (err["stage"], err["type"]) == ("load", "RuntimeError") and "exploded" in err["message"]
    assert by[BUILDER]["latency_ms"] is None
    err = only_error(TASK)
    assert (err["stage"], err["type"]) == ("evaluate", "ValueError") and "task broke" in err["message"]
    assert by[TASK]["latency_ms"] > 0                            # measured despite the task failing
    err = only_error(FIGURE)
    assert err["stage"] == "figures" and "figure broke" in err["message"]
    assert by[FIGURE]["metrics"]["n"] == 5


def test_report_files(report):
    rows, out = report
    data = json.loads((out / "results.json").read_text())
    assert [r["name"] for r in data["rows"]] == [r["name"] for r in rows]
    assert data["settings"]["limit"] == 5 and data["machine"]["torch"]

    md = (out / "results.md").read_text()
    table = [line for line in md.splitlines() if line.startswith("| bench-")]
    assert len(table) == 4
    assert any(GOOD in line and "mean: 0.25 →" in line and "| ok |" in line for line in table)
    assert "builder exploded on purpose" in md and "at most 5 examples" in md

    page = (out / "index.html").read_text()
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert sources == [f"figures/{GOOD}/swatch.png"]
    assert all((out / s).is_file() for s in sources)
    assert "Reduced evaluation sets" in page and "task broke on purpose" in page
    assert "<script" not in page


def test_isolate_contains_a_crashing_process(toys, tmp_path):
    toys("zoo-benchtoys", "zoo-benchcrash")
    rows = run_bench(names=[CRASH, GOOD], out_dir=tmp_path / "iso", isolate=True, timeout=300, **FAST)
    crash, good = rows
    assert crash["name"] == CRASH and crash["status"] == "failed"
    (err,) = crash["errors"]
    assert err["type"] == "ProcessCrashed" and "exited with code 3" in err["message"]
    assert err["stage"] == "speed"                  # forward runs first in the speed stage
    assert crash["params"] == 20                    # what was measured before the crash is kept
    assert good["status"] == "ok", good["errors"]
    assert good["metrics"]["n"] == 8
    assert good["memory"]["peak_mb"] is not None and "ru_maxrss" in good["memory"]["method"]
    assert (tmp_path / "iso" / good["figures"][0]["path"]).is_file()


def test_cli(toys, tmp_path, capsys):
    parser = argparse.ArgumentParser(prog="zoo")
    add_bench_command(parser.add_subparsers(dest="command"))
    out = tmp_path / "cli"
    args = parser.parse_args(["bench", GOOD, "--out", str(out), "--limit", "3", "--repeats", "2",
                              "--budget", "0.1", "--batch", "2"])
    assert args.fn(args) == 0
    printed = capsys.readouterr().out
    assert f"| {GOOD} |" in printed and f"report: {out / 'index.html'}" in printed
    args = parser.parse_args(["bench", "bench-*-test", "--task", "test/broken", "--out", str(out)])
    assert args.fn(args) == 1                       # a failed model: exit status 1, report written
    assert "1 of 1 models failed: bench-task-test" in capsys.readouterr().out
    with pytest.raises(ZooError, match="no models match"):
        run_bench("nothing-*", out_dir=out)


def test_example_plugin_figure(only_plugins, tmp_path):
    """The example plugin's zoo_figures hook draws its digits grid."""
    only_plugins("example")
    (row,) = run_bench(names=["example-mlp-wide-digits"], out_dir=tmp_path, limit=20, **FAST)
    assert row["status"] == "ok", row["errors"]
    (fig,) = row["figures"]
    assert (tmp_path / fig["path"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.skipif(shutil.which("chromium") is None,
                    reason="chromium is not installed (apt-get install -y chromium)")
def test_report_renders_in_chromium(report, tmp_path):
    import numpy as np
    from PIL import Image

    _, out = report
    shot = tmp_path / "shot.png"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", f"--user-data-dir={tempfile.mkdtemp(dir=tmp_path)}",
                    f"--screenshot={shot}", "--window-size=1200,1600",
                    (out / "index.html").resolve().as_uri()],
                   check=True, capture_output=True, timeout=120)
    pixels = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    assert pixels.shape == (1600, 1200, 3)
    non_white = (pixels.min(axis=-1) < 240).sum()
    r, g, b = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    magenta = ((r > 220) & (g < 40) & (b > 220)).sum()
    assert non_white > 0.02 * 1600 * 1200           # text and tables were drawn
    assert magenta > 0.8 * 120 * 80                 # the figure was loaded and shown

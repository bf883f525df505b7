"""`zoo bench`: failures are contained per model, isolated runs survive a crash, the report is
written (JSON, Markdown, HTML whose figures exist) and renders in a real browser."""

from __future__ import annotations

import argparse
import json
import math
import os
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
import subprocess
import sys
import time
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


def draw(model, task, out_dir, *, name, limit=None):
    path = Path(out_dir) / "swatch.png"
    write_png(path, 120, 80, (255, 0, 255))
    return [(f"Magenta swatch (limit {limit})", path)]


def bad_figure(model, task, out_dir, *, name):  # a figure function without ``limit`` still works
    raise RuntimeError("figure broke on purpose")


class Contended(Scored):
    """Runs on one CPU beside a busy loop (a machine busy with other work) until its process has
    used ZOO_TEST_CPU_S seconds of CPU: on the wall clock that takes about twice as long."""

    def evaluate(self, model, **kwargs):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
        other = subprocess.Popen([sys.executable, "-c", "while True: pass"])  # inherits the CPU
        try:
            while time.process_time() < float(os.environ["ZOO_TEST_CPU_S"]):
                pass
        finally:
            other.kill()
            other.wait()
        return super().evaluate(model, **kwargs)


class Sleeps(Scored):
    """Blocked forever without using the CPU (a dead connection, a deadlock)."""

    def evaluate(self, model, **kwargs):
        time.sleep(3600)


class Spins(Scored):
    """A loop that never ends."""

    def evaluate(self, model, **kwargs):
        while True:
            pass
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

SLOW_HOOKS = '''
@hookimpl
def zoo_tasks():
    return {"test/contended": "zoo_bench_toys:Contended", "test/sleeps": "zoo_bench_toys:Sleeps",
            "test/spins": "zoo_bench_toys:Spins"}
'''

GOOD, BUILDER, TASK, FIGURE, CRASH = ("bench-good-test", "bench-builder-test", "bench-task-test",
                                      "bench-figure-test", "bench-crash-test")
CONTENDED, SLEEPS, SPINS = "bench-contended-test", "bench-sleeps-test", "bench-spins-test"


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
    site("zoo-benchslow", plugin_source({CONTENDED: tiny_entry(task="test/contended"),
                                         SLEEPS: tiny_entry(task="test/sleeps"),
                                         SPINS: tiny_entry(task="test/spins")}) + SLOW_HOOKS)
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
    assert [f["title"] for f in good["figures"]] == ["Magenta swatch (limit 5)"]  # the figure got the limit
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


def test_a_broad_figure_prefix_of_another_plugin_does_not_draw_for_a_model_with_its_own(toys, site, tmp_path):
    """zoo-benchfigs draws for every ``test/`` task (and always fails). The good model's own
    plugin draws for ``test/ok``: only its figure is made. A model whose plugin draws nothing for
    its task still gets the other plugin's figure (here: its failure is recorded)."""
    site("zoo-benchfigs", plugin_source({}) + """
@hookimpl
def zoo_figures():
    return {"test/": "zoo_bench_toys:bad_figure"}
""")
    site("zoo-benchplain", plugin_source({"bench-plain-test": tiny_entry(task="test/broken")}))
    toys("zoo-benchtoys", "zoo-benchfigs", "zoo-benchplain")
    rows = run_bench(names=[GOOD, "bench-plain-test"], out_dir=tmp_path / "r", limit=5, **FAST)
    by = {r["name"]: r for r in rows}
    assert by[GOOD]["errors"] == [] and [f["plugin"] for f in by[GOOD]["figures"]] == ["zoo-benchtoys"]
    plain = [e for e in by["bench-plain-test"]["errors"] if e["stage"] == "figures"]
    assert len(plain) == 1 and "figure broke on purpose" in plain[0]["message"], by["bench-plain-test"]["errors"]


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


LINUX = pytest.mark.skipif(not (hasattr(os, "sched_setaffinity") and Path("/proc/self/stat").is_file()),
                           reason="the CPU-time watchdog and this test's CPU pinning need Linux")


@LINUX
def test_a_busy_machine_does_not_time_a_model_out(toys, tmp_path, monkeypatch):
    """The per-model timeout is for hangs: a model slowed down by other work on the machine
    runs past it on the wall clock and still finishes."""
    toys("zoo-benchtoys", "zoo-benchslow")
    monkeypatch.setenv("ZOO_TEST_CPU_S", "8")
    (row,) = run_bench(names=[CONTENDED], out_dir=tmp_path, isolate=True, timeout=10, threads=1, **FAST)
    assert row["status"] == "ok", row["errors"]
    assert row["metrics"]["n"] == 8
    assert row["wall_s"] > 10               # past the timeout on the wall clock: a wall-clock watchdog stops it


@LINUX
def test_hangs_are_still_stopped(toys, tmp_path):
    toys("zoo-benchtoys", "zoo-benchslow")
    sleeps, spins = run_bench(names=[SLEEPS, SPINS], out_dir=tmp_path, isolate=True, timeout=6, threads=1, **FAST)
    for row, why in [(sleeps, "used no CPU for"), (spins, "of its own time")]:
        (err,) = row["errors"]
        assert (err["type"], err["stage"]) == ("Timeout", "evaluate") and why in err["message"], err
        assert row["latency_ms"] > 0 and row["wall_s"] < 120  # what ran before the hang is kept


def test_watchdog_clock():
    """Running time is CPU time per thread, never faster than the wall clock; no CPU use for
    ``timeout`` wall seconds is a hang."""
    from zoo_core.bench import _Watchdog

    now, cpu = [0.0], [0.0]
    dog = _Watchdog(1, 10, 2, cpu=lambda pid: cpu[0], clock=lambda: now[0])
    for _ in range(9):                  # a busy machine: 2 threads get a quarter of the CPU they could
        now[0] += 4
        cpu[0] += 2
        assert dog.check() is None      # 36 s on the wall clock, 9 s of its own time
    now[0] += 1
    cpu[0] += 8                         # a burst of CPU counts no faster than the wall clock
    assert dog.check() is None and dog.ran == 10
    now[0] += 1
    cpu[0] += 2
    assert "11 s of its own time" in dog.check()
    dog = _Watchdog(1, 10, 2, cpu=lambda pid: cpu[0], clock=lambda: now[0])
    now[0] += 5
    cpu[0] += 0.05                      # too little to be progress
    assert dog.check() is None
    now[0] += 6
    assert "used no CPU for 11 s" in dog.check()
    dog = _Watchdog(1, 10, 2, cpu=lambda pid: None, clock=lambda: now[0])  # no /proc: wall time
    now[0] += 11
    assert "11 s of its own time" in dog.check()


def test_progress_line_shows_headline_metrics_only():
    from zoo_core.bench import _progress_line

    metrics = {f"pred_sse_step{i}": float(i) for i in range(1, 9)}
    metrics |= {"pred_sse_mean": 4.5, "copy_sse_mean": 9.0, "curve": [1.0, 2.0], "equiv_mean": 1.5,
                "black_sse_mean": 7.0, "extra_mean": 2.0}
    line = _progress_line({"name": "m", "status": "ok", "metrics": metrics, "latency_ms": 1.5, "wall_s": 2.0})
    assert line == ("m: pred_sse_mean=4.5, copy_sse_mean=9, equiv_mean=1.5, black_sse_mean=7 "
                    "(+10 more in the report); 1.5 ms at batch 1 (2.0 s)")


@pytest.mark.parametrize("kw", [dict(limit=0), dict(limit=-1), dict(batch=0), dict(repeats=0),
                                dict(threads=0), dict(timeout=0.0), dict(timeout=float("nan")),
                                dict(budget_s=-1.0)])
def test_bad_settings_are_zoo_errors(toys, tmp_path, kw):
    with pytest.raises(ZooError, match="expected a"):
        run_bench(names=[GOOD], out_dir=tmp_path / "r", **kw)
    assert not (tmp_path / "r").exists()


def test_report_folder_that_is_a_file(toys, tmp_path):
    (tmp_path / "afile").write_text("x")
    with pytest.raises(ZooError, match="cannot write the report"):
        run_bench(names=[GOOD], out_dir=tmp_path / "afile", **FAST)

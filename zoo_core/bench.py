"""``zoo bench``: measure every matching model's quality and speed, and write a report.

For each model (registry order, filtered like ``zoo list``) it records:

* quality: the model's Task, ``task.evaluate(model, limit=...)``, beside the catalog's
  published ``results``;
* size: the parameter count;
* speed: median latency at batch 1 and throughput (items/s) at a larger batch, in
  ``torch.no_grad`` and eval mode, after warm-up;
* memory: CUDA ``max_memory_allocated``, or on CPU the growth of the process's peak RSS
  (``ru_maxrss``), which is only meaningful with one process per model (``isolate=True``);
* figures: whatever the plugins' ``zoo_figures`` hooks draw for the model's task.

A model that fails (task, build, load, evaluate, timing or figure) gets its error in its row
and the others go on. ``isolate=True`` runs each model in its own process
(``python -m zoo_core.bench --one NAME ...``), so even a crash or a hang is contained.
The report (``results.json``, ``results.md``, ``index.html``) is written by
``zoo_core.report``.

Example::

    from zoo_core.bench import run_bench
    rows = run_bench("example-*", pretrained=True, out_dir="reports/bench", limit=200)
    rows[0]["metrics"], rows[0]["published"], rows[0]["latency_ms"]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from pathlib import Path
from typing import Any, Callable, Sequence

__all__ = ["run_bench", "bench_one", "machine_info", "add_bench_command", "main"]

# --- one model, in this process -----------------------------------------------------------

def bench_one(name: str, *, out_dir: str | Path, limit: int | None = None, batch: int = 16,
              repeats: int = 20, warmup: int = 2, budget_s: float = 3.0, device: str = "cpu",
              threads: int | None = None, own_process: bool = False,
              checkpoint: Callable[[dict], None] | None = None) -> dict[str, Any]:
    """Benchmark one model in this process and return its row (never raises for model errors).

    Args:
        name: registry name or alias.
        out_dir: report folder; figures go to ``out_dir/figures/<name>/``.
        limit: cap on evaluation examples (``Task.evaluate(limit=...)``); None = full set.
        batch: batch size for the throughput measurement.
        repeats, warmup: timed calls (median reported) and untimed calls before them.
        budget_s: time budget per speed measurement; slow models get fewer timed calls.
        device: ``"cpu"`` or ``"cuda"``.
        threads: ``torch.set_num_threads`` for this run (None: torch's default).
        own_process: the process runs only this model, so CPU peak RSS growth means something.
        checkpoint: called with the row before each stage (isolated runs save it, so a crash
            keeps what was measured and names the stage).
    """
    import zoo
    from zoo_core.api import import_ref

    out_dir = Path(out_dir)
    entry = zoo.entry(name)
    row = new_row(entry, limit=limit, batch=batch)
    save = checkpoint or (lambda r: None)

    def stage(label: str) -> None:
        row["stage"] = label
        save(row)

    stage("task")
    task_obj = None
    try:
        if not entry.task:
            raise ValueError(f"the catalog entry of {entry.name!r} names no task, so it cannot be "
                             "evaluated; add `task:` to the entry")
        task_obj = zoo.resolve_ref("zoo_tasks", entry.task, plugin=entry.plugin)()
    except Exception as exc:
        _record(row, "task", exc)

    import torch

    if threads:
        torch.set_num_threads(threads)
    dev = torch.device(device)
    try:  # import the loading code and the model's code before the memory baseline
        import huggingface_hub.file_download  # noqa: F401
        import safetensors.torch  # noqa: F401

        import zoo_core.hub  # noqa: F401
        import zoo_core.weights  # noqa: F401

        import_ref(entry.builder)
    except Exception:
        pass  # the load stage reports it
    memory = _MemoryProbe(dev, own_process)

    stage("load")
    start = time.perf_counter()
    try:
        model = zoo.load(entry.name, pretrained=entry.pretrained, device=dev)
        model.eval()
    except Exception as exc:
        _record(row, "load", exc)
        return _finish(row, save)
    row["load_s"] = round(time.perf_counter() - start, 3)
    row["params"] = sum(p.numel() for p in model.parameters())

    stage("speed")
    try:
        row.update(_speed(model, batch=batch, repeats=repeats, warmup=warmup, budget_s=budget_s, device=dev))
    except Exception as exc:
        _record(row, "speed", exc)
    row["memory"] = memory.read()

    if task_obj is not None:
        stage("evaluate")
        kwargs = dict(entry.eval)
        if limit is not None:
            kwargs["limit"] = min(limit, kwargs.get("limit") or limit)
        start = time.perf_counter()
        try:
            torch.manual_seed(0)
            row["metrics"] = {k: _plain(v) for k, v in dict(task_obj.evaluate(model, **kwargs)).items()}
            row["eval_s"] = round(time.perf_counter() - start, 3)
        except Exception as exc:
            _record(row, "evaluate", exc)

        stage("figures")
        _figures(row, model, task_obj, entry.task, out_dir, limit=limit)
    return _finish(row, save)


def new_row(entry: Any, *, limit: int | None, batch: int) -> dict[str, Any]:
    """A row before anything is measured: what the catalog says about the model."""
    return {
        "name": entry.name, "task": entry.task, "plugin": entry.plugin,
        "weights": (f"{entry.weights.repo}@{entry.weights.revision[:7]}" if entry.weights else None),
        "published": {k: _plain(v) for k, v in dict(entry.results).items()},
        "status": "ok", "errors": [], "metrics": {}, "limit": limit, "batch": batch,
        "params": None, "load_s": None, "eval_s": None,
        "latency_ms": None, "latency_min_ms": None, "latency_runs": None,
        "throughput": None, "throughput_runs": None,
        "memory": {"peak_mb": None, "method": None}, "figures": [],
    }


def _finish(row: dict, save: Callable[[dict], None]) -> dict:
    row.pop("stage", None)
    row["status"] = "failed" if row["errors"] else "ok"
    save(row)
    return row


def _record(row: dict, stage: str, exc: BaseException) -> None:
    tb = traceback.format_exception(type(exc), exc, exc.__traceback__)
    row["errors"].append({"stage": stage, "type": type(exc).__name__, "message": str(exc)[:4000],
                          "traceback": "".join(tb[-12:])[-6000:]})
    row["status"] = "failed"


def _plain(value: Any) -> Any:
    """JSON-safe metric values; NaN/inf as strings, so the report shows them."""
    from zoo_core.eval import plain

    return plain(value, nonfinite=str)


# --- speed and memory ---------------------------------------------------------------------

def _call(model: Any, inputs: tuple | dict) -> Any:
    return model(**inputs) if isinstance(inputs, dict) else model(*inputs)


def _to(inputs: Any, device: Any) -> Any:
    import torch

    if isinstance(inputs, torch.Tensor):
        return inputs.to(device)
    if isinstance(inputs, dict):
        return {k: _to(v, device) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return type(inputs)(_to(v, device) for v in inputs)
    return inputs


def _timings(fn: Callable[[], Any], *, repeats: int, warmup: int, budget_s: float,
             sync: Callable[[], None]) -> list[float]:
    """Seconds per call: one call sizes the run, then ``warmup`` more and up to ``repeats`` timed
    calls, fewer when a call is slow (at least one timed call)."""
    start = time.perf_counter()
    fn()
    sync()
    first = time.perf_counter() - start
    if first * (warmup + 1) < budget_s:
        for _ in range(max(0, warmup - 1)):
            fn()
        sync()
    runs = max(1, min(repeats, int(budget_s / max(first, 1e-9))))
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return times


def _speed(model: Any, *, batch: int, repeats: int, warmup: int, budget_s: float, device: Any) -> dict:
    """Median latency at batch 1 (ms) and throughput at ``batch`` (items/s)."""
    import torch

    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    out: dict[str, Any] = {}
    with torch.no_grad():
        one = _to(model.example_inputs(batch_size=1), device)
        times = _timings(lambda: _call(model, one), repeats=repeats, warmup=warmup, budget_s=budget_s, sync=sync)
        out.update(latency_ms=round(statistics.median(times) * 1e3, 4),
                   latency_min_ms=round(min(times) * 1e3, 4), latency_runs=len(times))
        if batch > 1:
            many = _to(model.example_inputs(batch_size=batch), device)
            times = _timings(lambda: _call(model, many), repeats=max(3, repeats // 2), warmup=1,
                             budget_s=budget_s, sync=sync)
            out.update(throughput=round(batch / statistics.median(times), 2), throughput_runs=len(times))
    return out


def _maxrss_mb() -> float:
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 2**20 if sys.platform == "darwin" else rss / 1024  # bytes on macOS, KiB on Linux


class _MemoryProbe:
    """Peak memory from now until ``read()``: CUDA allocator peak, or CPU peak-RSS growth."""

    CUDA = "CUDA torch.cuda.max_memory_allocated while loading the model and timing its forward passes"
    RSS = ("CPU peak RSS growth (ru_maxrss) of the model's own process while loading the model and "
           "timing its forward passes (weights, activations and allocator overhead)")
    NONE = "not measured: CPU peak memory needs one process per model (--isolate)"

    def __init__(self, device: Any, own_process: bool) -> None:
        import torch

        self.device = device
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats(device)
            self.method, self.start = self.CUDA, 0.0
        elif own_process:
            self.method, self.start = self.RSS, _maxrss_mb()
        else:
            self.method, self.start = self.NONE, None

    def read(self) -> dict[str, Any]:
        import torch

        if self.method == self.CUDA:
            peak = torch.cuda.max_memory_allocated(self.device) / 2**20
        elif self.method == self.RSS:
            peak = _maxrss_mb() - self.start
        else:
            peak = None
        return {"peak_mb": None if peak is None else round(peak, 1), "method": self.method}


# --- figures ------------------------------------------------------------------------------

def _figures(row: dict, model: Any, task_obj: Any, task: str, out_dir: Path, *, limit: int | None) -> None:
    """Call the ``zoo_figures`` functions whose task prefix covers ``task``, with ``limit=``
    when the function takes it (a reduced run wants cheap figures too).

    Where the model's own plugin draws figures for ``task``, only its functions are called: a
    broad prefix another plugin registers (``compression/``) must not draw its figures for a
    model it knows nothing about. Other plugins' figures apply to a task its own plugin has
    none for (a plugin of figures for a shared task)."""
    import inspect

    import zoo
    from zoo_core.api import import_ref

    host = zoo.registry().host
    own = host.find(row["plugin"]) if row["plugin"] else None
    refs = {**host.references("zoo_figures"),
            **{k: (ref, own.name) for k, ref in host.own("zoo_figures", row["plugin"]).items()}}
    matching = sorted(p for p in refs if task == p or task.startswith(p.rstrip("/") + "/"))
    if own is not None and any(refs[p][1] == own.name for p in matching):
        matching = [p for p in matching if refs[p][1] == own.name]
    fig_dir = out_dir / "figures" / row["name"]
    for prefix in matching:
        ref, plugin = refs[prefix]
        try:
            fig_dir.mkdir(parents=True, exist_ok=True)
            fn = import_ref(ref)
            params = inspect.signature(fn).parameters.values()
            takes_limit = any(p.name == "limit" or p.kind is p.VAR_KEYWORD for p in params)
            extra = {"limit": limit} if takes_limit and limit is not None else {}
            drawn = list(fn(model, task_obj, fig_dir, name=row["name"], **extra) or [])
            for item in drawn:
                title, path = item
                path = Path(path)
                if not path.is_file():
                    raise FileNotFoundError(f"figure function {ref} (plugin {plugin}) returned "
                                            f"{str(path)!r} for {title!r}, which does not exist")
                row["figures"].append({"title": str(title), "plugin": plugin, "function": ref,
                                       "path": Path(os.path.relpath(path, out_dir)).as_posix()})
        except Exception as exc:
            _record(row, "figures", exc)


# --- isolation: one process per model -----------------------------------------------------

POLL_S = 0.5          # how often the watchdog looks at a model's process
PROGRESS_CPU_S = 0.1  # CPU seconds that count as progress (a blocked process uses none)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process ``pid`` (all its threads, and its children once
    reaped), from Linux's /proc; None where there is no /proc."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class _Watchdog:
    """When to stop a model's process: after ``timeout`` seconds of its own running time, or
    after ``timeout`` seconds without progress.

    Its running time is its CPU time divided by its threads, and never faster than the wall
    clock. Other work on a busy machine stretches a model's wall time but not its running time,
    so the watchdog stops hangs (a loop that never ends), not slow runs; a process blocked
    without using the CPU (a dead connection, a deadlock) makes no progress and is stopped too.
    Without /proc (not Linux) the running time is the wall time.
    """

    def __init__(self, pid: int, timeout: float, threads: int, *,
                 cpu: Callable[[int], float | None] = _cpu_seconds,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.pid, self.timeout, self.threads, self.cpu, self.clock = pid, timeout, max(1, threads), cpu, clock
        self.start = self.wall = self.progress_wall = clock()
        self.used = self.progress_cpu = cpu(pid)
        self.ran = 0.0

    def check(self) -> str | None:
        """None while the process may go on, else why it is stopped."""
        wall, used = self.clock(), self.cpu(self.pid)
        if used is None or self.used is None:
            self.ran += wall - self.wall
        else:
            self.ran += min(wall - self.wall, (used - self.used) / self.threads)
            if used - self.progress_cpu >= PROGRESS_CPU_S:
                self.progress_cpu, self.progress_wall = used, wall
        self.wall, self.used = wall, used
        elapsed = f"{wall - self.start:.0f} s on the wall clock"
        if self.ran > self.timeout:
            return (f"the model's process ran for {self.ran:.0f} s of its own time (CPU time per "
                    f"thread; {elapsed}), more than the timeout of {self.timeout:g} s, and was stopped")
        if used is not None and wall - self.progress_wall > self.timeout:
            return (f"the model's process used no CPU for {wall - self.progress_wall:.0f} s (blocked; "
                    f"timeout {self.timeout:g} s, {elapsed}) and was stopped")
        return None


def _run_isolated(name: str, *, out_dir: Path, limit: int | None, batch: int, repeats: int,
                  budget_s: float, device: str, threads: int | None, timeout: float | None,
                  scratch: Path) -> dict:
    """Run ``bench_one`` in a child process; a crash or timeout becomes an error in the row."""
    import zoo

    result = scratch / f"{name}.json"
    cmd = [sys.executable, "-m", "zoo_core.bench", "--one", name, "--result", str(result),
           "--out", str(out_dir), "--batch", str(batch), "--repeats", str(repeats),
           "--budget", str(budget_s), "--device", device]
    if limit is not None:
        cmd += ["--limit", str(limit)]
    if device == "cpu" and not threads:  # the watchdog counts CPU time per thread, so say how many
        import torch

        threads = torch.get_num_threads()
    if threads:
        cmd += ["--threads", str(threads)]
    failure = None
    # own process group, so a timeout also stops the model's workers (e.g. DataLoader processes)
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=os.name == "posix")
    watchdog = None
    if timeout:  # on CUDA the CPU waits for the device, so CPU time says little: wall time there
        watchdog = _Watchdog(proc.pid, timeout, threads or 1,
                             cpu=_cpu_seconds if device == "cpu" else lambda pid: None)
    try:
        while True:
            try:
                _, stderr = proc.communicate(timeout=None if watchdog is None else POLL_S)
                break
            except subprocess.TimeoutExpired:
                if reason := watchdog.check():
                    failure = ("Timeout", reason)
                    break
        if failure is None and proc.returncode != 0:
            code = proc.returncode
            how = (f"was killed by signal {signal.Signals(-code).name}" if code < 0 and -code in
                   signal.valid_signals() else f"exited with code {code}")
            tail = "\n".join(stderr.strip().splitlines()[-15:])
            message = f"the model's process {how}"
            failure = ("ProcessCrashed", message + (f"; its last stderr lines:\n{tail}" if tail else ""))
    finally:
        if proc.poll() is None:
            if os.name == "posix":
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            proc.communicate()
    row = None
    if result.is_file():
        try:
            row = json.loads(result.read_text())
        except ValueError:
            row = None
    if row is None:
        row = new_row(zoo.entry(name), limit=limit, batch=batch)
        if failure is None:
            failure = ("ProcessCrashed", "the model's process wrote no result")
    if failure is not None:
        stage = row.pop("stage", None) or "process"
        row["errors"].append({"stage": stage, "type": failure[0],
                              "message": failure[1] + f" (during stage {stage!r})", "traceback": ""})
        row["status"] = "failed"
    return row


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2))
    os.replace(tmp, path)


# --- the whole registry -------------------------------------------------------------------

def run_bench(pattern: str | Sequence[str] | None = None, *, task: str | None = None,
              plugin: str | None = None, pretrained: bool = False, out_dir: str | Path,
              isolate: bool = False, limit: int | None = None, batch: int = 16,
              repeats: int = 20, names: Sequence[str] | None = None, device: str = "cpu",
              threads: int | None = None, timeout: float | None = None, budget_s: float = 3.0,
              notes: Sequence[str] = (),
              progress: bool = False) -> list[dict[str, Any]]:
    """Benchmark every matching model and write ``results.json``, ``results.md`` and ``index.html``.

    Models with published weights are loaded with them (through the Hub and its cache); the
    others are built with random weights (the ``weights`` column says which).

    Args:
        pattern, task, plugin, pretrained: filters, as in ``zoo.list_models``.
        out_dir: report folder (created).
        isolate: one process per model (contains crashes; measures CPU peak memory).
        limit: evaluate on at most this many examples (the report says the sets were reduced).
        batch: batch size of the throughput measurement.
        repeats: timed calls per speed measurement (fewer for slow models, see ``budget_s``).
        names: benchmark exactly these models, in this order, instead of filtering.
        device: ``"cpu"`` or ``"cuda"``.
        threads: torch threads for the measurements (None: torch's default).
        timeout: seconds per model in isolated runs (None: no limit).
        budget_s: time budget of each speed measurement.
        notes: extra lines for the report (e.g. where the weights came from).
        progress: print one line per model to stderr.

    Returns:
        One row per model (see ``new_row`` for the keys); failed models have ``status ==
        "failed"`` and ``errors`` (stage, type, message, traceback).
    """
    import zoo
    from zoo_core.checks import require
    from zoo_core.errors import ZooError
    from zoo_core.report import write_report

    if names is None:
        names = zoo.list_models(pattern, task=task, plugin=plugin, pretrained=pretrained)
        if not names:
            raise ZooError(f"no models match pattern={pattern!r} task={task!r} plugin={plugin!r} "
                           f"pretrained={pretrained}; `zoo list` shows the available models")
    else:
        names = [zoo.entry(n).name for n in names]
    for value, low, what, noun in [(limit, 1, "limit", "a number of examples"), (batch, 1, "batch", "a batch size"),
                                   (repeats, 1, "repeats", "a number of calls"),
                                   (threads, 1, "threads", "a number of threads"),
                                   (timeout, 1e-3, "timeout", "a number of seconds"),
                                   (budget_s, 1e-3, "budget_s", "a number of seconds")]:
        require(value, low, what, noun)
    if threads:
        import torch

        torch.set_num_threads(threads)
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ZooError(f"cannot write the report to {out_dir}: {exc.strerror or exc}; "
                       "choose a folder you can write to (--out)") from None
    started = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="zoo-bench-") as scratch:
        for i, name in enumerate(names, 1):
            t0 = time.perf_counter()
            if isolate:
                row = _run_isolated(name, out_dir=out_dir, limit=limit, batch=batch, repeats=repeats,
                                    budget_s=budget_s, device=device, threads=threads, timeout=timeout,
                                    scratch=Path(scratch))
            else:
                row = bench_one(name, out_dir=out_dir, limit=limit, batch=batch, repeats=repeats,
                                budget_s=budget_s, device=device, threads=threads)
            row["wall_s"] = round(time.perf_counter() - t0, 2)
            rows.append(row)
            if progress:
                print(f"[{i}/{len(names)}] {_progress_line(row)}", file=sys.stderr, flush=True)
    settings = {"pattern": pattern, "task": task, "plugin": plugin, "pretrained": pretrained,
                "isolate": isolate, "limit": limit, "batch": batch, "repeats": repeats,
                "device": device, "threads": threads, "elapsed_s": round(time.perf_counter() - started, 1),
                "notes": list(notes)}
    write_report(rows, out_dir, machine=machine_info(device), settings=settings)
    return rows


def _progress_line(row: dict) -> str:
    if row["status"] != "ok":
        err = row["errors"][0]
        return f"{row['name']}: FAILED in {err['stage']}: {err['type']}: {err['message'].splitlines()[0][:150]}"
    from zoo_core.report import headline, number

    shown = headline(row["metrics"])
    metrics = ", ".join(f"{k}={number(row['metrics'][k])}" for k in shown)
    if len(row["metrics"]) > len(shown):
        metrics += f" (+{len(row['metrics']) - len(shown)} more in the report)"
    return f"{row['name']}: {metrics or 'no metrics'}; {row['latency_ms']} ms at batch 1 ({row['wall_s']} s)"


def machine_info(device: str = "cpu") -> dict[str, Any]:
    """Where the numbers were measured: torch version and threads, CPU, OS, Python."""
    import platform

    import torch

    from zoo_core import __version__

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info = {"torch": torch.__version__, "threads": torch.get_num_threads(),
            "interop_threads": torch.get_num_interop_threads(), "cpu": cpu,
            "logical_cpus": os.cpu_count(), "platform": platform.platform(),
            "python": platform.python_version(), "zoo_core": __version__, "device": device}
    if device.startswith("cuda") and torch.cuda.is_available():
        info["gpu"] = torch.cuda.get_device_name(torch.device(device))
    return info


# --- command line -------------------------------------------------------------------------

HELP = "Benchmark models: quality (their task) beside published results, size, speed, memory, figures."


def _add_arguments(p: argparse.ArgumentParser) -> None:
    from zoo_core.checks import arg

    p.add_argument("pattern", nargs="?", help="fnmatch wildcard, e.g. 'akorn-*'")
    p.add_argument("--task", help="task name or prefix, e.g. object-discovery")
    p.add_argument("--plugin", help="plugin distribution, e.g. zoo-akorn")
    p.add_argument("--pretrained", action="store_true", help="only models with published weights")
    p.add_argument("--out", default="reports/bench", help="report folder (default reports/bench)")
    p.add_argument("--isolate", action="store_true",
                   help="one process per model: contains crashes, measures CPU peak memory")
    p.add_argument("--limit", type=arg(int, 1, "a number of examples"),
                   help="evaluate on at most N examples (reduced sets, faster)")
    p.add_argument("--batch", type=arg(int, 1, "a batch size"), default=16,
                   help="batch size for throughput (default 16)")
    p.add_argument("--repeats", type=arg(int, 1, "a number of calls"), default=20,
                   help="timed calls per measurement (default 20)")
    p.add_argument("--device", default="cpu", help="cpu or cuda (default cpu)")
    p.add_argument("--threads", type=arg(int, 1, "a number of threads"), help="torch threads (default: torch's choice)")
    p.add_argument("--timeout", type=arg(float, 1e-3, "a number of seconds"),
                   help="with --isolate: stop a model after this many seconds of its own running "
                        "time (CPU time per thread), or of no progress (default none)")
    p.add_argument("--budget", type=arg(float, 1e-3, "a number of seconds"), default=3.0,
                   help="seconds per speed measurement (default 3)")


def add_bench_command(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``zoo bench`` to the ``zoo`` command's subparsers (sets ``fn`` to the handler)."""
    p = subparsers.add_parser(
        "bench", help=HELP,
        description=HELP + " Writes results.json, results.md and index.html to --out. Exit status "
                           "1 when any model failed (its error is in the report).")
    _add_arguments(p)
    p.set_defaults(fn=cmd_bench)
    return p


def cmd_bench(args: argparse.Namespace) -> int:
    """Run ``zoo bench``: print the Markdown table and where the report is."""
    from zoo_core.report import markdown

    rows = run_bench(args.pattern, task=args.task, plugin=args.plugin, pretrained=args.pretrained,
                     out_dir=args.out, isolate=args.isolate, limit=args.limit, batch=args.batch,
                     repeats=args.repeats, device=args.device, threads=args.threads, timeout=args.timeout,
                     budget_s=args.budget, progress=True)
    print(markdown(json.loads((Path(args.out) / "results.json").read_text())))
    failed = [r["name"] for r in rows if r["status"] != "ok"]
    if failed:
        print(f"{len(failed)} of {len(rows)} models failed: {', '.join(failed)}")
    print(f"report: {Path(args.out) / 'index.html'}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """``python -m zoo_core.bench``: the same as ``zoo bench``; ``--one NAME`` runs one model
    in this process and writes its row to ``--result`` (what ``--isolate`` runs)."""
    parser = argparse.ArgumentParser(prog="python -m zoo_core.bench", description=HELP)
    _add_arguments(parser)
    parser.add_argument("--one", metavar="NAME", help=argparse.SUPPRESS)
    parser.add_argument("--result", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from zoo_core.errors import ZooError

    if args.one:
        if not args.result:
            parser.error("--one needs --result FILE")
        result = Path(args.result)
        bench_one(args.one, out_dir=args.out, limit=args.limit, batch=args.batch, repeats=args.repeats,
                  budget_s=args.budget, device=args.device, threads=args.threads, own_process=True,
                  checkpoint=lambda row: _write_json(result, row))
        return 0
    try:
        return cmd_bench(args)
    except ZooError as exc:
        print(f"zoo bench: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())

"""The ``zoo bench`` report: ``results.json`` (data), ``results.md`` (table), ``index.html`` (page).

The HTML page is one file with inline CSS and no scripts: the summary table, failures with
their errors, one section per task (published beside measured metrics, then the figures as
``<img>`` with paths relative to the page), and the machine the numbers come from.

Example::

    from zoo_core.report import write_report
    write_report(rows, "reports/bench", machine=machine_info(), settings={"limit": 200})
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

__all__ = ["write_report", "markdown", "render_html", "headline", "number"]


def write_report(rows: list[dict[str, Any]], out_dir: str | Path, *, machine: dict[str, Any],
                 settings: dict[str, Any]) -> dict[str, Path]:
    """Write ``results.json``, ``results.md`` and ``index.html`` to ``out_dir``; returns their paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"generated": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "settings": settings, "machine": machine, "rows": rows}
    paths = {"json": out_dir / "results.json", "md": out_dir / "results.md", "html": out_dir / "index.html"}
    paths["json"].write_text(json.dumps(data, indent=2) + "\n")
    paths["md"].write_text(markdown(data) + "\n")
    paths["html"].write_text(render_html(data))
    return paths


# --- shared pieces ------------------------------------------------------------------------

def number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1e5 else f"{value:,.0f}"
    return str(value)


SUMMARY_METRICS = 4


def headline(values: dict[str, Any]) -> list[str]:
    """The names of the headline metrics among ``values``, in order: scalars whose name does not
    end in ``_stepN`` (per-step curves stay in the task section), at most ``SUMMARY_METRICS``."""
    scalars = [k for k, v in values.items() if not isinstance(v, (dict, list, tuple))]
    return ([k for k in scalars if not re.search(r"_step\d+$", k)] or scalars)[:SUMMARY_METRICS]


def _quality(row: dict) -> str:
    """``metric: published → measured`` for the headline metrics (the task section has them all)."""
    keys = list(row["published"]) + [k for k in row["metrics"] if k not in row["published"]]
    shown = headline({k: row["published"].get(k, row["metrics"].get(k)) for k in keys})
    text = "; ".join(f"{k}: {number(row['published'].get(k))} → {number(row['metrics'].get(k))}" for k in shown)
    if len(keys) > len(shown):
        text += f" (+{len(keys) - len(shown)} more in the task section)"
    return text


def _status(row: dict) -> str:
    if row["status"] == "ok":
        return "ok"
    return "failed (" + ", ".join(dict.fromkeys(e["stage"] for e in row["errors"])) + ")"


def _weights(row: dict) -> str:
    return "published" if row["weights"] else "random init"


def _columns(data: dict) -> list[str]:
    batch = data["settings"].get("batch", 16)
    return ["model", "task", "weights", "status", "params", "quality: published → measured",
            "latency ms (batch 1)", f"items/s (batch {batch})", "peak MB", "load s"]


def _cells(row: dict) -> list[str]:
    return [row["name"], row["task"] or "-", _weights(row), _status(row), number(row["params"]),
            _quality(row) or "-", number(row["latency_ms"]), number(row["throughput"]),
            number(row["memory"]["peak_mb"]), number(row["load_s"])]


def _notes(data: dict) -> list[str]:
    s, rows = data["settings"], data["rows"]
    notes = []
    if s.get("limit"):
        notes.append(f"Reduced evaluation sets: each model was evaluated on at most {s['limit']} "
                     "examples, so measured quality can differ from the published values, which "
                     "use the full evaluation sets.")
    if any(not r["weights"] for r in rows):
        notes.append("Models marked 'random init' have no published weights: they were built with "
                     "random weights, so their quality numbers only show that evaluation runs.")
    methods = sorted({r["memory"]["method"] for r in rows if r["memory"]["method"]})
    notes += [f"Peak memory: {m}." for m in methods]
    notes.append("Latency: median of timed forward passes at batch 1 after warm-up (torch.no_grad, "
                 "eval mode); throughput: items per second at the larger batch.")
    notes += list(s.get("notes") or [])
    return notes


def _machine_line(m: dict) -> str:
    parts = [f"torch {m.get('torch')}", f"{m.get('threads')} threads",
             f"CPU: {m.get('cpu')} ({m.get('logical_cpus')} logical)", f"device {m.get('device')}"]
    if m.get("gpu"):
        parts.append(f"GPU: {m['gpu']}")
    parts += [f"Python {m.get('python')}", str(m.get("platform")), f"zoo-core {m.get('zoo_core')}"]
    return ", ".join(parts)


# --- Markdown -----------------------------------------------------------------------------

def markdown(data: dict) -> str:
    """The results as a Markdown table, then failures, notes and the machine."""
    def esc(text: str) -> str:
        return str(text).replace("|", "\\|").replace("\n", " ")

    cols = _columns(data)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(esc(c) for c in _cells(r)) + " |" for r in data["rows"]]
    failed = [r for r in data["rows"] if r["status"] != "ok"]
    if failed:
        lines += ["", "Failures:"]
        for r in failed:
            for e in r["errors"]:
                first = e["message"].splitlines()[0] if e["message"] else ""
                lines.append(f"- {r['name']} ({e['stage']}): {e['type']}: {esc(first)}")
    lines += ["", *[f"- {n}" for n in _notes(data)], "", f"Measured on: {_machine_line(data['machine'])}."]
    return "\n".join(lines)


# --- HTML ---------------------------------------------------------------------------------

CSS = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #1d1d1f;
       max-width: 1180px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 26px; margin-bottom: 4px; } h2 { margin-top: 36px; border-bottom: 1px solid #ddd; }
.meta { color: #666; margin-top: 0; }
table { border-collapse: collapse; margin: 12px 0; font-size: 13.5px; }
th, td { border: 1px solid #d6d6d6; padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f2f4f7; } td:first-child { white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.failed td { background: #fdecec; }
.note { background: #fff7e0; border-left: 4px solid #e0a800; padding: 8px 12px; margin: 12px 0; }
.error { background: #fdecec; border-left: 4px solid #c62828; padding: 8px 12px; margin: 8px 0; }
pre { white-space: pre-wrap; font-size: 12px; background: #f7f7f7; padding: 8px; }
figure { display: inline-block; margin: 8px 16px 16px 0; vertical-align: top; max-width: 100%; }
figure img { max-width: 100%; height: auto; border: 1px solid #ddd; }
figcaption { font-size: 13px; color: #444; }
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _anchor(task: str | None) -> str:
    return "task-" + "".join(c if c.isalnum() else "-" for c in (task or "none"))


def render_html(data: dict) -> str:
    """The self-contained report page (inline CSS, no scripts, figures by relative path)."""
    rows, s = data["rows"], data["settings"]
    out = ["<!doctype html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>Zoo benchmark report</title>", f"<style>{CSS}</style></head><body>",
           "<h1>Zoo benchmark report</h1>",
           f'<p class="meta">{len(rows)} model{"s" * (len(rows) != 1)}, {sum(r["status"] == "ok" for r in rows)} ok; '
           f"generated {_e(data.get('generated', ''))} in {_e(s.get('elapsed_s', '?'))} s</p>"]
    if s.get("limit"):
        out.append(f'<p class="note"><b>Reduced evaluation sets.</b> Each model was evaluated on at '
                   f"most {_e(s['limit'])} examples; measured quality can differ from the published "
                   "values, which use the full evaluation sets.</p>")
    out.append(_summary_table(data))
    failed = [r for r in rows if r["status"] != "ok"]
    if failed:
        out.append('<h2 id="failures">Failures</h2>')
        for r in failed:
            for e in r["errors"]:
                out.append(f'<div class="error"><b>{_e(r["name"])}</b>, stage <b>{_e(e["stage"])}</b>: '
                           f'{_e(e["type"])}: {_e(e["message"])}'
                           + (f"<details><summary>traceback</summary><pre>{_e(e['traceback'])}</pre></details>"
                              if e.get("traceback") else "") + "</div>")
    tasks: dict[str | None, list[dict]] = {}
    for r in rows:
        tasks.setdefault(r["task"], []).append(r)
    for task in sorted(tasks, key=lambda t: t or ""):
        out += _task_section(task, tasks[task])
    out.append("<h2>Notes</h2><ul>" + "".join(f"<li>{_e(n)}</li>" for n in _notes(data)) + "</ul>")
    m = data["machine"]
    out.append("<h2>Machine</h2><table>" + "".join(
        f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in m.items()) + "</table>")
    settings = {k: v for k, v in s.items() if k != "notes" and v not in (None, False, "")}
    out.append("<p class=\"meta\">Settings: " + _e(", ".join(f"{k}={v}" for k, v in settings.items())) + "</p>")
    out.append("</body></html>\n")
    return "\n".join(out)


def _summary_table(data: dict) -> str:
    numeric = {4, 6, 7, 8, 9}
    head = "".join(f"<th>{_e(c)}</th>" for c in _columns(data))
    body = []
    for r in data["rows"]:
        cells = _cells(r)
        cells_html = [f'<a href="#{_anchor(r["task"])}">{_e(cells[0])}</a>'] + [_e(c) for c in cells[1:]]
        tds = "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                      for i, c in enumerate(cells_html))
        body.append(f'<tr class="{r["status"]}">{tds}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _task_section(task: str | None, rows: list[dict]) -> list[str]:
    out = [f'<h2 id="{_anchor(task)}">{_e(task or "(no task)")}</h2>']
    keys = list(dict.fromkeys(k for r in rows for k in [*r["published"], *r["metrics"]]))
    if keys:
        head = "<th>model</th>" + "".join(f"<th>{_e(k)} published</th><th>{_e(k)} measured</th>" for k in keys)
        body = "".join(
            f'<tr class="{r["status"]}"><td>{_e(r["name"])}</td>'
            + "".join(f'<td class="num">{_e(number(r["published"].get(k)))}</td>'
                      f'<td class="num">{_e(number(r["metrics"].get(k)))}</td>' for k in keys) + "</tr>"
            for r in rows)
        out.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    else:
        out.append(f"<p>No quality numbers for {_e(', '.join(r['name'] for r in rows))} "
                   '(see <a href="#failures">Failures</a>).</p>')
    for r in rows:
        for f in r["figures"]:
            out.append(f'<figure><img src="{_e(quote(f["path"]))}" alt="{_e(r["name"] + ": " + f["title"])}">'
                       f"<figcaption><b>{_e(r['name'])}</b>: {_e(f['title'])}</figcaption></figure>")
    return out

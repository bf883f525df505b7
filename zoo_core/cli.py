"""The ``zoo`` command: list, inspect, download and serve models.

    zoo list [PATTERN] [--task T] [--plugin P] [--pretrained] [--all] [--json]
    zoo info NAME [--json]
    zoo plugins [--json]
    zoo download PATTERN [--force]
    zoo cite NAME
    zoo hub serve DIR [--host 127.0.0.1] [--port N]
    zoo new-plugin NAME [DIR] [--with-op OP]
    zoo data [--data DIR] [--json]
    zoo train | eval | convert | publish | bench ...   (runtime_cli)
    zoo <plugin command> ...   (hook zoo_cli_commands, e.g. zoo-nmsc's compress / decompress)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings
from pathlib import Path
from typing import Any, Callable

from zoo_core import __version__


def _print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())


def _list_warnings(reg: Any) -> list[str]:
    """What a listing leaves out: malformed entries, unreadable catalog parts, failed plugins."""
    out = [str(e) for e in reg.errors if e.entry is None]
    skipped = list({id(e): e for e in reg.skipped.values()}.values())  # aliases share their entry's
    if skipped:
        where = ", ".join(f"{e.entry} ({e.source}" + (f":{e.line})" if e.line else ")") for e in skipped)
        out.append(f"{len(skipped)} malformed catalog entr{'y' if len(skipped) == 1 else 'ies'} "
                   f"skipped: {where}; `zoo info NAME` says what is wrong")
    for status in sorted(reg.host.plugins.values(), key=lambda s: s.name):
        if status.status in ("failed", "incompatible"):
            out.append(f"plugin {status.name} ({status.dist}) {status.status}, its models are not "
                       f"listed: {status.error}; see `zoo plugins`")
    return out


def cmd_list(args: argparse.Namespace) -> int:
    import zoo

    names = zoo.list_models(args.pattern, task=args.task, plugin=args.plugin,
                            pretrained=args.pretrained, include_unavailable=args.all)
    reg = zoo.registry()
    rows = []
    for name in names:
        e = reg.entries[name]
        rows.append({"name": name, "task": e.task, "plugin": e.plugin, "pretrained": e.pretrained,
                     "aliases": list(e.aliases), "deprecated_aliases": reg.former_names(e),
                     "available": reg.available(e), "results": dict(e.results)})
    for problem in _list_warnings(reg):
        print(f"warning: {problem}", file=sys.stderr)
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    if not rows:
        print("no models match" + ("" if args.all else " (--all also lists models whose plugin is not installed)"))
        return 0
    _print_table([[r["name"], r["task"] or "", r["plugin"] or "", "yes" if r["pretrained"] else "",
                   ", ".join([*r["aliases"], *(f"{a} (deprecated)" for a in r["deprecated_aliases"])])
                   + ("" if r["available"] else " [plugin unavailable]")]
                  for r in rows], ["name", "task", "plugin", "weights", "aliases"])
    return 0


def cmd_info(args: argparse.Namespace) -> int:
    import zoo

    data = zoo.info(args.name)
    if args.json:
        print(json.dumps(data, indent=2, default=str))
        return 0
    import yaml

    print(yaml.safe_dump(data, sort_keys=False, default_flow_style=False, width=100).rstrip())
    return 0


def cmd_plugins(args: argparse.Namespace) -> int:
    import zoo

    rows = zoo.plugins()
    problems = zoo.registry().host.warnings  # e.g. a ZOO_LOAD_PLUGINS name that matches nothing
    if args.json:
        print(json.dumps({"plugins": rows, "warnings": problems, "catalog_errors": zoo.catalog_errors()},
                         indent=2))
        return 0
    if not rows:
        print("no plugins installed (entry-point group 'zoo.plugins')")
    for r in rows:
        print(f"{r['name']} ({r['distribution']} {r['version'] or '?'}): {r['status']}")
        if r["error"]:
            print(f"    error: {r['error']}")
        for w in r["warnings"]:
            print(f"    warning: {w}")
        if r["models"]:
            print(f"    models: {', '.join(r['models'])}")
        for hook, names in r["provides"].items():
            if names:
                print(f"    {hook}: {', '.join(names)}")
    for problem in problems:
        print(f"warning: {problem}")
    for problem in zoo.catalog_errors():
        print(f"registry.yaml problem: {problem}")
    return 0


def cmd_download(args: argparse.Namespace) -> int:
    import zoo

    done = zoo.download(args.pattern, force_download=args.force, cache_dir=args.cache_dir)
    for name, paths in done.items():
        for path in paths:
            print(f"{name}: {path}")
    return 0


def cmd_cite(args: argparse.Namespace) -> int:
    import zoo

    print(zoo.cite(args.name), end="")
    return 0


def cmd_hub_serve(args: argparse.Namespace) -> int:
    from zoo_core.hubserver import serve

    serve(args.dir, host=args.host, port=args.port, verbose=not args.quiet)
    return 0


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="zoo", description="A plugin-based PyTorch model zoo.")
    parser.add_argument("--version", action="version", version=f"zoo-core {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    def add(name: str, fn: Callable, help: str) -> argparse.ArgumentParser:  # noqa: A002
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(fn=fn)
        return p

    p = add("list", cmd_list, "List models (name wildcard and filters).")
    p.add_argument("pattern", nargs="?", help="fnmatch wildcard, e.g. 'akorn-*'")
    p.add_argument("--task", help="task name or prefix, e.g. object-discovery")
    p.add_argument("--plugin", help="plugin distribution, e.g. zoo-akorn")
    p.add_argument("--pretrained", action="store_true", help="only models with published weights")
    p.add_argument("--all", action="store_true", help="also models whose plugin is not installed")
    p.add_argument("--json", action="store_true", help="machine-readable output")

    p = add("info", cmd_info, "Show a model's config, task, weights (sha256), results, license and paper.")
    p.add_argument("name")
    p.add_argument("--json", action="store_true")

    p = add("plugins", cmd_plugins, "Show each plugin: version, status (ok/failed/disabled/incompatible), models.")
    p.add_argument("--json", action="store_true")

    p = add("download", cmd_download, "Prefetch the weights of matching pretrained models into the cache.")
    p.add_argument("pattern")
    p.add_argument("--force", action="store_true", help="download again even if cached")
    p.add_argument("--cache-dir", help="Hub cache folder (default HF_HUB_CACHE / HF_HOME)")

    p = add("data", cmd_data, "List the paper datasets the installed tasks read: found under "
                              "ZOO_DATA or not, where to get each and the layout expected.")
    p.add_argument("--data", metavar="DIR", help="data root to look in (default $ZOO_DATA)")
    p.add_argument("--json", action="store_true")

    p = add("cite", cmd_cite, "Print the BibTeX citation of a model's paper.")
    p.add_argument("name")

    hub = add("hub", lambda a: (hub.print_help(), 2)[1], "Hub utilities (serve a local Hub-layout folder).")
    hub_sub = hub.add_subparsers(dest="hub_command", metavar="HUB_COMMAND")
    p = hub_sub.add_parser("serve", help="Serve a Hub-layout folder read-only over HTTP (loopback).",
                           description="Serve DIR (DIR/<org>/<repo>/files) with the endpoints "
                                       "huggingface_hub uses; then set HF_ENDPOINT to the printed URL.")
    p.add_argument("dir")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default loopback)")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    p.set_defaults(fn=cmd_hub_serve)

    from zoo_core.scaffold import add_command as add_new_plugin

    add_new_plugin(sub)
    for extra in _extra_commands():
        extra(sub)
    _plugin_commands(sub, sys.argv[1:] if argv is None else argv)
    return parser


def _plugin_commands(sub: Any, argv: list[str]) -> None:
    """Add the commands plugins declare (hook ``zoo_cli_commands``) unless ``argv`` names a core one.

    A core command never loads plugins for this; a plugin command, ``zoo`` alone and ``zoo
    --help`` do. A name the core owns, or a function that fails to import, is reported on the
    plugin (``zoo plugins``) and left out.
    """
    first = next((a for a in argv if not a.startswith("-")), None)
    if first in sub.choices:
        return
    import zoo
    from zoo_core.refs import import_ref

    host = zoo.registry().host
    for name, (ref, owner) in sorted(host.references("zoo_cli_commands").items()):
        status = host.find(owner)
        if name in sub.choices:
            if status is not None:
                status.warn(f"command {name!r} is a core zoo command; refused")
            continue
        try:
            add = import_ref(ref)
        except Exception as exc:  # a broken plugin command must not break the zoo command
            if status is not None:
                status.warn(f"command {name!r} ({ref}) failed to import: {exc}")
            continue
        doc = (add.__doc__ or "").strip()
        p = sub.add_parser(name, help=doc.splitlines()[0] if doc else None, description=doc or None,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        add(p)


def _extra_commands() -> list[Callable[[Any], None]]:
    """Commands of the runtime (train, eval, bench, publish), added when that module exists."""
    try:
        from zoo_core.runtime_cli import register
    except ImportError:
        return []
    return [register]


def _use_data(folder: str) -> None:
    """``--data DIR``: DIR becomes the data root of this run (and of the processes it starts)."""
    from zoo_core.data import DATA_ENV, DatasetNotFoundError

    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise DatasetNotFoundError(f"--data {folder}: no such folder; give a root holding one folder "
                                   "per dataset, or one dataset's folder (`zoo data` lists them)")
    os.environ[DATA_ENV] = str(path)


def cmd_data(args: argparse.Namespace) -> int:
    from zoo_core.data import DATA_ENV, data_roots, status

    rows = status()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    roots = data_roots()
    print(f"data root: {os.pathsep.join(map(str, roots))}" if roots else
          f"data root: not set (set {DATA_ENV}=ROOT, one folder per dataset, or pass --data DIR)")
    if not rows:
        print("no installed task declares a paper dataset")
        return 0
    for row in rows:
        if row.get("error"):
            print(f"  broken   {row['name']:<16} {row['error']}")
        elif row["found"]:
            print(f"  found    {row['name']:<16} {row['found']}  ({row['title']}; {row['plugin']})")
        else:
            print(f"  missing  {row['name']:<16} {row['title']} ({row['plugin']}): get it from {row['url']}")
            for pattern in row["layout"]:
                print(f"             {row['name']}/{pattern}")
            if row["note"]:
                print(f"             {row['note']}")
    return 0


def _format_warning(message, category, filename, lineno, line=None) -> str:
    """A former model name's warning as one ``zoo: warning:`` line; others as Python shows them."""
    from zoo_core.errors import DeprecatedNameWarning

    if issubclass(category, DeprecatedNameWarning):
        return f"zoo: warning: {message}\n"
    return _python_format(message, category, filename, lineno, line)


_python_format = warnings.formatwarning


def main(argv: list[str] | None = None) -> int:
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    from zoo_core.errors import ZooError

    warnings.formatwarning = _format_warning

    try:
        if getattr(args, "data", None) is not None:
            _use_data(args.data)
        return int(args.fn(args) or 0)
    except ZooError as exc:
        print(f"zoo: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())

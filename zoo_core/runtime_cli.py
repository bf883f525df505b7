"""The runtime commands of ``zoo``: train, eval, convert, publish (and bench, when present)."""

from __future__ import annotations

import argparse
import json


def cmd_train(args: argparse.Namespace) -> int:
    from zoo_core.train import train

    out = train(args.name, out=args.out, steps=args.steps, seed=args.seed, resume=args.resume,
                overwrite=args.overwrite, save_every=args.save_every, progress=not args.no_progress)
    print(f"wrote {out}")
    return 0


def cmd_eval(args: argparse.Namespace) -> int:
    import sys

    from zoo_core.errors import ZooError
    from zoo_core.eval import evaluate, json_ready, record

    if args.write and args.limit is not None:
        raise ZooError("--write with --limit: results on a subset are not the published numbers; "
                       "drop --limit to write them")
    results = evaluate(args.name, weights=args.weights, limit=args.limit, seed=args.seed)
    shown = json_ready(results)
    print(json.dumps(shown, indent=None if args.json else 2, allow_nan=False))
    broken = [k for k, v in results.items() if v is not None and shown[k] is None]
    if broken:
        print(f"warning: not finite (shown as null): {', '.join(broken)}", file=sys.stderr)
    if args.write:
        if broken:
            raise ZooError(f"not written: {', '.join(broken)} not finite; a card records numbers only")
        for what in record(args.name, results, weights=args.weights):
            print(f"wrote {what}")
    return 0


def cmd_publish(args: argparse.Namespace) -> int:
    import yaml

    from zoo_core.publish import publish, validate_folder

    if args.dry_run:
        validate_folder(args.dir)
        print(f"{args.dir} is ready to publish")
        return 0
    entry = None
    if args.write:  # before anything is sent: the entry exists and its catalog file can be written
        import zoo
        from zoo_core.catalog_edit import defining_file

        entry = zoo.entry(validate_folder(args.dir).get("zoo_name") or "")
        defining_file(entry, "weights")
    weights = publish(args.dir, args.repo, local=args.local)
    print(yaml.safe_dump({"weights": weights}, sort_keys=False).rstrip())
    if entry is not None:
        from zoo_core.catalog_edit import write_field

        print(f"wrote {write_field(entry, 'weights', weights)}")
        for other, pin in repinned(entry, weights):  # entries that pin files of the same repo
            print(f"wrote {write_field(other, 'weights', pin)} (same repo {weights['repo']}, its files unchanged)")
    return 0


def repinned(entry, weights: dict) -> list[tuple[object, dict]]:
    """Other catalog entries pinned to ``weights["repo"]`` whose files the new revision holds
    unchanged, each with its weights moved to that revision (a publish changes the repo's
    revision even when only the card changed, which would leave their pins dangling)."""
    import zoo

    new_files = {spec["file"]: spec["sha256"] for spec in weights["files"].values()}
    out = []
    for other in zoo.registry().entries.values():
        w = other.weights
        if other.name == entry.name or w is None or w.repo != weights["repo"] or w.revision == weights["revision"]:
            continue
        if all(new_files.get(f.file) == f.sha256 for f in w.files.values()):
            out.append((other, {**other.to_dict()["weights"], "revision": weights["revision"]}))
    return out


def cmd_convert(args: argparse.Namespace) -> int:
    from zoo_core.convert import convert

    print(f"wrote {convert(args.name, args.checkpoint, args.out, converter=args.converter, overwrite=args.overwrite)}")
    return 0


def register(sub) -> None:
    """Add train, eval, publish (and bench) to the ``zoo`` subcommands."""
    from zoo_core.checks import arg, seed_arg

    steps = arg(int, 1, "a number of steps")
    p = sub.add_parser("train", help="Train a model with its plugin's recipe (torchrun-aware).",
                       description="Run the recipe the model's plugin declares; output in Hub layout.")
    p.add_argument("name")
    p.add_argument("--out", help="output folder (default runs/NAME)")
    p.add_argument("--steps", type=steps, help="number of steps (default: the recipe's)")
    p.add_argument("--seed", type=seed_arg(), default=0)
    again = p.add_mutually_exclusive_group()
    again.add_argument("--resume", action="store_true", help="continue from OUT/checkpoints/last.pt")
    again.add_argument("--overwrite", action="store_true", help="replace the earlier run in OUT")
    p.add_argument("--save-every", type=steps, default=None, help="checkpoint every N steps")
    p.add_argument("--no-progress", action="store_true")
    _data_option(p)
    p.set_defaults(fn=cmd_train)

    p = sub.add_parser("eval", help="Evaluate a model through its task; --write records the numbers.",
                       description="Evaluate published weights (or --weights DIR) with the model's task.")
    p.add_argument("name")
    p.add_argument("--weights", help="a folder written by zoo train (default: published weights)")
    p.add_argument("--limit", type=arg(int, 1, "a number of examples"),
                   help="evaluate on the first N examples only")
    p.add_argument("--seed", type=seed_arg(), default=0)
    p.add_argument("--json", action="store_true")
    p.add_argument("--write", action="store_true",
                   help="write the results into the model card and the catalog file that "
                        "defines the entry (registry.yaml or the plugin's catalog.yaml)")
    _data_option(p)
    p.set_defaults(fn=cmd_eval)

    p = sub.add_parser("convert", help="Convert an official checkpoint into a Hub-layout folder.",
                       description="Map CHECKPOINT with the model's plugin converter, load it strictly "
                                   "into NAME and write OUT (config.json, *.safetensors, README.md).")
    p.add_argument("name")
    p.add_argument("checkpoint", help="the official checkpoint file")
    p.add_argument("--out", required=True, help="folder to write (then: zoo eval NAME --weights OUT)")
    p.add_argument("--converter", help="converter name (default: the only one the model's plugin declares)")
    p.add_argument("--overwrite", action="store_true", help="replace weights already in OUT")
    p.set_defaults(fn=cmd_convert)

    p = sub.add_parser("publish", help="Validate a trained folder, push it to the Hub, print its catalog entry.",
                       description="Validate DIR (files, hashes, card front matter), then upload it.")
    p.add_argument("dir")
    p.add_argument("--repo", required=False, help="ORG/NAME on the Hub")
    p.add_argument("--local", help="copy into this local Hub-layout folder (e.g. hub/) instead of uploading")
    p.add_argument("--dry-run", action="store_true", help="only validate")
    p.add_argument("--write", action="store_true",
                   help="write the weights entry into the catalog file that defines the model "
                        "(registry.yaml or the plugin's catalog.yaml)")
    p.set_defaults(fn=cmd_publish)

    try:
        from zoo_core.bench import add_bench_command
    except ImportError:
        return
    add_bench_command(sub)
    _data_option(sub.choices["bench"])


def _data_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data", metavar="DIR",
                   help="where the paper datasets are: a root holding one folder per dataset, or "
                        "one dataset's folder (default $ZOO_DATA; `zoo data` lists them)")

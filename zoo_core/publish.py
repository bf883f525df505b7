"""``zoo publish DIR --repo ORG/NAME``: validate a trained folder, push it, print its catalog entry.

The folder is checked before anything is sent: config.json readable, every weight file listed
there present with the right size and sha256, only safetensors weights, a model card with
Hub front matter (license; model-index when it reports results). Then it is uploaded with
huggingface_hub (``HfApi.upload_folder``) or, with ``--local HUB_DIR``, copied into a local
Hub-layout folder such as this repository's ``hub/`` (served by ``zoo hub serve``).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import yaml

from zoo_core.errors import ZooError

PICKLE_SUFFIXES = (".pt", ".pth", ".bin", ".pkl", ".pickle", ".ckpt", ".npz", ".tar")
SKIP = ("checkpoints", "train_log.jsonl")


def validate_folder(folder: str | Path) -> dict[str, Any]:
    """Check a folder written by ``zoo train`` / ``save_pretrained``; returns its config.

    Raises:
        ZooError: listing every problem found.
    """
    from zoo_core.hub import sha256_file
    from zoo_core.weights import read_config

    folder = Path(folder)
    problems: list[str] = []
    if not (folder / "config.json").is_file():
        raise ZooError(f"{folder}: no config.json; publish a folder written by `zoo train` or save_pretrained()")
    config = read_config(folder / "config.json")
    if not config.get("files"):
        problems.append("config.json lists no weight files")
    for component, spec in config.get("files", {}).items():
        path = folder / spec.get("file", "")
        if not path.is_file():
            problems.append(f"{component}: {spec.get('file')} is missing")
            continue
        if path.stat().st_size != spec.get("bytes"):
            problems.append(f"{component}: {path.name} has {path.stat().st_size} bytes, config.json says {spec.get('bytes')}")
        if sha256_file(path) != spec.get("sha256"):
            problems.append(f"{component}: {path.name} does not match the sha256 in config.json")
    for path in _files(folder):
        if path.suffix in PICKLE_SUFFIXES:
            problems.append(f"{path.relative_to(folder)}: published weights must be safetensors, not {path.suffix}")
    card = folder / "README.md"
    if not card.is_file():
        problems.append("no model card README.md (zoo train writes one)")
    else:
        match = re.match(r"^---\n(.*?)\n?---\n", card.read_text(encoding="utf-8"), re.S)
        front = yaml.safe_load(match.group(1)) if match else None
        if not isinstance(front, dict):
            problems.append("README.md has no YAML front matter (---) for the Hub")
        else:
            if not front.get("license"):
                problems.append("README.md front matter has no license")
            if "model-index" not in front:
                problems.append("README.md reports no results (run `zoo eval NAME --weights DIR --write`)")
    if problems:
        raise ZooError(f"{folder} is not ready to publish:\n  - " + "\n  - ".join(problems))
    return config


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part in SKIP or part.startswith(".") for part in p.relative_to(folder).parts))


def publish(folder: str | Path, repo: str, *, local: str | Path | None = None,
            token: str | None = None) -> dict[str, Any]:
    """Validate and publish ``folder`` as Hub repo ``repo``; returns the catalog ``weights`` entry."""
    config = validate_folder(folder)
    folder = Path(folder)
    if local is not None:
        from zoo_core.hubserver import HubFolder

        dest = Path(local) / repo
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for path in _files(folder):
            target = dest / path.relative_to(folder)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)
        revision = HubFolder(local).commit(dest)
    else:
        from huggingface_hub import HfApi

        api = HfApi(token=token)
        api.create_repo(repo, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo,
                                 ignore_patterns=[f"{s}*" for s in SKIP] + ["*/.*", ".*"],
                                 commit_message=f"zoo publish {config.get('zoo_name')}")
        revision = info.oid
    return {"repo": repo, "revision": revision, "files": config["files"]}


__all__ = ["validate_folder", "publish"]

"""``zoo publish DIR --repo ORG/NAME``: validate a trained folder, push it, print its catalog entry.

The folder is checked before anything is sent: config.json readable, every weight file listed
there present with the right size and sha256, only safetensors weights, a model card with
Hub front matter (license; model-index when it reports results). Then it is uploaded with
huggingface_hub (``HfApi.upload_folder``) or, with ``--local HUB_DIR``, copied into a local
Hub-layout folder such as this repository's ``hub/`` (served by ``zoo hub serve``).
"""

from __future__ import annotations

import dataclasses
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
    config, problems = folder_problems(folder)
    if problems:
        raise ZooError(f"{folder} is not ready to publish:\n  - " + "\n  - ".join(problems))
    return config


def folder_problems(folder: str | Path) -> tuple[dict[str, Any], list[str]]:
    """The config of a saved folder and every reason it cannot be published (empty: ready)."""
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
    return config, problems


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and not any(part in SKIP or part.startswith(".") for part in p.relative_to(folder).parts))


def publish(folder: str | Path, repo: str, *, local: str | Path | None = None,
            token: str | None = None) -> dict[str, Any]:
    """Validate and publish ``folder`` as Hub repo ``repo``; returns the catalog ``weights`` entry."""
    config = validate_folder(folder)
    folder = Path(folder)
    if local is None:
        return upload(folder, repo, config, token=token,
                      commit_message=f"zoo publish {config.get('zoo_name')}").weights
    from zoo_core.hubserver import HubFolder

    dest = Path(local) / repo
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    for path in _files(folder):
        target = dest / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
    return weights_entry(repo, HubFolder(local).commit(dest), config)


def weights_entry(repo: str, revision: str, config: dict[str, Any]) -> dict[str, Any]:
    """The catalog ``weights`` entry of a published folder: repo, pinned commit, files with sha256."""
    return {"repo": repo, "revision": revision, "files": config["files"]}


@dataclasses.dataclass(frozen=True)
class Upload:
    """What a push made: the catalog ``weights`` entry and huggingface_hub's ``CommitInfo``."""

    weights: dict[str, Any]
    commit: Any

    @property
    def url(self) -> str:
        """The commit's URL on the Hub."""
        return str(self.commit.commit_url)


def upload(folder: str | Path, repo: str, config: dict[str, Any], *, token: str | None = None,
           private: bool = False, branch: str | None = None, commit_message: str | None = None,
           endpoint: str | None = None) -> Upload:
    """Push a validated folder with ``HfApi.create_repo`` + ``upload_folder``.

    ``endpoint`` defaults to HF_ENDPOINT read now (huggingface_hub reads it once, at import).

    Raises:
        ZooError: the Hub refused (no or wrong token, missing branch) or could not be reached.
    """
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    from zoo_core.hub import endpoint as current_endpoint

    api = HfApi(endpoint=endpoint or current_endpoint(), token=token)
    where = f"{repo} at {api.endpoint}"
    try:
        api.create_repo(repo, private=private, exist_ok=True)
        info = api.upload_folder(folder_path=str(folder), repo_id=repo, revision=branch,
                                 ignore_patterns=[f"{s}*" for s in SKIP] + ["*/.*", ".*"],
                                 commit_message=commit_message or f"zoo publish {config.get('zoo_name')}")
    except HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise ZooError(f"the Hub refused the push to {where} ({status}: "
                           f"{exc.server_message or 'unauthorized'}): it needs a token with write access "
                           "to that repo; pass token=..., set HF_TOKEN, or run `hf auth login`") from exc
        if branch and status == 404:
            raise ZooError(f"pushing to {where} failed: branch {branch!r} was not found ({_first_line(exc)}); "
                           "create it first (HfApi().create_branch) or push to main") from exc
        raise ZooError(f"pushing to {where} failed ({status}): {_first_line(exc)}") from exc
    except Exception as exc:  # connection refused, timeouts: huggingface_hub's HTTP client errors
        raise ZooError(f"pushing to {where} failed: {type(exc).__name__}: {_first_line(exc)}; "
                       "check the endpoint (HF_ENDPOINT) and your connection") from exc
    return Upload(weights=weights_entry(repo, info.oid, config), commit=info)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


__all__ = ["validate_folder", "folder_problems", "publish", "upload", "weights_entry", "Upload"]

"""A fake of the Hub's write API on loopback, for testing pushes (``push_to_hub``, ``zoo publish``).

``HubWriteHandler`` is the read-only ``HubRequestHandler`` of ``zoo hub serve`` plus the
endpoints that ``HfApi.create_repo`` and ``HfApi.upload_folder`` call, so one server takes
a push and serves it back through ``hf_hub_download`` at once:

    POST /api/validate-yaml                         the model card's front matter is a mapping
    POST /api/repos/create                          {"name", "organization"}: make org/name
    POST /api/models/{org}/{name}/preupload/main    answers "regular" for every file
    POST /api/models/{org}/{name}/commit/main       NDJSON: header, file (base64), deletedFile

The files land in the served Hub-layout folder (``root/org/name/...``), the layout
``zoo publish --local`` writes and ``zoo hub serve`` reads. Because every file is declared
"regular", huggingface_hub sends its content inline (base64) in the commit; LFS and Xet uploads
are never asked for, and an ``lfsFile`` line is refused. A repo has one branch, ``main``, like
the folder layout. Set ``server.write_token`` to require ``Authorization: Bearer <token>`` on
writes (401 otherwise, as the Hub answers a missing or wrong token).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import tempfile
from http import HTTPStatus
from pathlib import Path
from urllib.parse import unquote, urlsplit

from zoo_core.hubserver import HubRequestHandler


def _safe_part(part: str) -> bool:
    """A path component this fake may write: not empty, not hidden, no separators or NULs."""
    return bool(part) and not part.startswith(".") and not any(c in part for c in "/\\\0")


MAX_BODY = 512 << 20  # refuse request bodies above 512 MiB (the fake is for small test models)


def git_blob_oid(data: bytes) -> str:
    """The git blob sha1 huggingface_hub compares to skip unchanged regular files."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class HubWriteHandler(HubRequestHandler):
    """``HubRequestHandler`` plus create-repo, preupload and commit (regular uploads only)."""

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        self.server.requests[(self.command, url.path)] += 1
        body = self._body()
        if body is None:
            return
        if parts == ["api", "validate-yaml"]:
            return self._validate_yaml(body)
        token = getattr(self.server, "write_token", None)
        if token is not None and self.headers.get("Authorization") != f"Bearer {token}":
            return self._error(HTTPStatus.UNAUTHORIZED, "Unauthorized",
                               "Invalid credentials in Authorization header")
        if parts == ["api", "repos", "create"]:
            return self._create(body)
        if len(parts) == 6 and parts[:2] == ["api", "models"] and parts[4] in ("preupload", "commit"):
            repo = self._writable(f"{parts[2]}/{parts[3]}", parts[5])
            if repo is not None:
                return (self._preupload if parts[4] == "preupload" else self._commit)(repo, body)
            return None
        self._error(HTTPStatus.NOT_FOUND, "NotFound", f"no such write endpoint: {url.path}")

    def _body(self) -> bytes | None:
        try:
            length = int(self.headers.get("Content-Length", "0"))
        except ValueError:
            length = -1
        if not 0 <= length <= MAX_BODY:
            self._error(HTTPStatus.BAD_REQUEST, "BadRequest",
                        f"a body of 0 to {MAX_BODY} bytes with Content-Length is required")
            return None
        return self.rfile.read(length)

    def _validate_yaml(self, body: bytes) -> None:
        """The model card's front matter must be a YAML mapping (the Hub checks much more)."""
        import re

        import yaml

        try:
            content = json.loads(body)["content"]
            match = re.match(r"^---\n(.*?)\n?---\n", content, re.S)
            front = yaml.safe_load(match.group(1)) if match else {}
            if not isinstance(front, dict):
                raise ValueError("the front matter is not a mapping")
        except (ValueError, KeyError, TypeError, yaml.YAMLError) as exc:
            return self._json({"errors": [{"message": str(exc)}], "warnings": []},
                              status=HTTPStatus.BAD_REQUEST)
        self._json({"errors": [], "warnings": []})

    def _create(self, body: bytes) -> None:
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            return self._error(HTTPStatus.BAD_REQUEST, "BadRequest", "the body is not JSON")
        org, name = data.get("organization"), data.get("name")
        if data.get("type", "model") != "model":
            return self._error(HTTPStatus.BAD_REQUEST, "BadRequest", "this fake hub holds model repos only")
        if not (isinstance(org, str) and isinstance(name, str) and _safe_part(org) and _safe_part(name)):
            return self._error(HTTPStatus.BAD_REQUEST, "BadRequest",
                               "create a repo as 'org/name' (this fake hub has no user namespace)")
        path = self.server.folder.root / org / name
        answer = {"url": f"{self.server.url}/{org}/{name}", "name": f"{org}/{name}"}
        if path.is_dir():  # the Hub answers 409 with the url; exist_ok=True reads it
            return self._json({**answer, "error": "You already created this model repo"},
                              status=HTTPStatus.CONFLICT)
        path.mkdir(parents=True)
        self._json(answer)

    def _writable(self, repo: str, revision: str) -> Path | None:
        repo_dir = self.server.folder.repo_dir(repo)
        if repo_dir is None:
            self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", f"repository {repo!r} not found")
            return None
        if revision != "main":
            self._error(HTTPStatus.NOT_FOUND, "RevisionNotFound",
                        f"revision {revision!r} not found in {repo!r}: this fake hub has only main")
            return None
        return repo_dir

    def _preupload(self, repo_dir: Path, body: bytes) -> None:
        try:
            files = json.loads(body)["files"]
            paths = [f["path"] for f in files]
        except (ValueError, KeyError, TypeError):
            return self._error(HTTPStatus.BAD_REQUEST, "BadRequest", "expected {'files': [{'path': ...}]}")
        out = []
        for rel in paths:
            existing = self.server.folder.resolve_file(repo_dir, rel)
            oid = git_blob_oid(existing.read_bytes()) if existing is not None else None
            out.append({"path": rel, "uploadMode": "regular", "shouldIgnore": False, "oid": oid})
        self._json({"files": out})

    def _commit(self, repo_dir: Path, body: bytes) -> None:
        writes: dict[Path, bytes] = {}
        deletes: list[Path] = []
        try:
            lines = [json.loads(line) for line in body.splitlines() if line.strip()]
            for line in lines:
                key, value = line["key"], line["value"]
                if key == "header":
                    continue
                target = self._target(repo_dir, value["path"])
                if key == "file" and value.get("encoding") == "base64":
                    writes[target] = base64.b64decode(value["content"], validate=True)
                elif key == "deletedFile":
                    deletes.append(target)
                else:
                    raise ValueError(f"this fake hub takes base64 'file' and 'deletedFile' lines, not {key!r}")
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            return self._error(HTTPStatus.BAD_REQUEST, "BadRequest", f"bad commit payload: {exc}")
        for target in deletes:
            target.unlink(missing_ok=True)
        for target, data in writes.items():  # each file replaced atomically
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.chmod(tmp, 0o644)
            os.replace(tmp, target)
        commit = self.server.folder.commit(repo_dir)
        repo = repo_dir.relative_to(self.server.folder.root).as_posix()
        self._json({"success": True, "commitOid": commit, "commitUrl": f"{self.server.url}/{repo}/commit/{commit}"})

    @staticmethod
    def _target(repo_dir: Path, rel: str) -> Path:
        parts = rel.split("/")
        if not all(_safe_part(p) for p in parts):
            raise ValueError(f"path {rel!r} leaves the repo or is a dot-file")
        return repo_dir.joinpath(*parts)


__all__ = ["HubWriteHandler", "git_blob_oid"]

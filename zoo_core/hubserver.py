"""A small read-only Hugging Face Hub-compatible server over a local Hub-layout folder.

``zoo hub serve hub/`` serves ``hub/<org>/<repo>/<files>`` on loopback with the endpoints that
``huggingface_hub`` uses for ``hf_hub_download`` and ``snapshot_download``, so pointing
``HF_ENDPOINT`` at it exercises the real download path (tests, demos, air-gapped mirrors).

* Each repo has one revision, ``main``, whose commit id is derived from the content
  (sha1 over every file's path and sha256): same files, same commit, anywhere.
* ``ETag`` is the file's sha256, as the Hub gives for LFS files.
* Paths that leave the folder (``..``, absolute paths, dot-files) are refused.

Endpoints (observed from huggingface_hub, see research/hub_protocol.md):

    HEAD/GET /{org}/{repo}/resolve/{rev}/{path}
    GET      /api/models/{org}/{repo}[/revision/{rev}]
    GET      /api/models/{org}/{repo}/tree/{rev}[/{path}]
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Iterator
from urllib.parse import unquote, urlsplit

LOOPBACK = ("127.0.0.1", "localhost", "::1")


class HubFolder:
    """The repos under a Hub-layout folder, with content-derived commit ids (cached by mtime)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).resolve()
        if not self.root.is_dir():
            raise NotADirectoryError(f"{root} is not a folder; `zoo hub serve` needs a Hub-layout "
                                     "folder such as hub/ (hub/<org>/<repo>/files)")
        self._hashes: dict[Path, tuple[int, int, str]] = {}
        self._lock = threading.Lock()

    def repo_dir(self, repo: str) -> Path | None:
        parts = repo.split("/")
        if len(parts) != 2 or not all(_safe_part(p) for p in parts):
            return None
        path = self.root / parts[0] / parts[1]
        return path if path.is_dir() else None

    def files(self, repo_dir: Path) -> list[str]:
        out = []
        for dirpath, dirnames, filenames in os.walk(repo_dir):
            dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
            for name in sorted(filenames):
                if not name.startswith("."):
                    out.append((Path(dirpath) / name).relative_to(repo_dir).as_posix())
        return sorted(out)

    def sha256(self, path: Path) -> str:
        stat = path.stat()
        with self._lock:
            known = self._hashes.get(path)
            if known and known[:2] == (stat.st_size, stat.st_mtime_ns):
                return known[2]
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        with self._lock:
            self._hashes[path] = (stat.st_size, stat.st_mtime_ns, digest.hexdigest())
        return digest.hexdigest()

    def commit(self, repo_dir: Path) -> str:
        """sha1 over (path, sha256) of every file: a stable 40-hex commit id for the content."""
        digest = hashlib.sha1()
        for rel in self.files(repo_dir):
            digest.update(f"{rel}\0{self.sha256(repo_dir / rel)}\n".encode())
        return digest.hexdigest()

    def resolve_file(self, repo_dir: Path, rel: str) -> Path | None:
        parts = rel.split("/")
        if not rel or not all(_safe_part(p) for p in parts):
            return None
        path = (repo_dir / rel).resolve()
        if not path.is_relative_to(repo_dir.resolve()) or not path.is_file():
            return None
        return path


def _safe_part(part: str) -> bool:
    return bool(part) and part not in (".", "..") and not part.startswith(".") and "\\" not in part \
        and "\0" not in part


class HubRequestHandler(BaseHTTPRequestHandler):
    """Answers the Hub API requests huggingface_hub makes; read-only."""

    server: "HubServer"
    server_version = "zoo-hub/0.1"

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    # -- routing ---------------------------------------------------------------------
    def do_HEAD(self) -> None:  # noqa: N802
        self._route(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._route(head=False)

    def _route(self, head: bool) -> None:
        url = urlsplit(self.path)
        parts = [unquote(p) for p in url.path.split("/") if p]
        self.server.requests[(self.command, url.path)] += 1
        if len(parts) >= 4 and parts[0] == "api" and parts[1] == "models":
            return self._api(parts[2:], url.query)
        if len(parts) >= 5 and parts[2] == "resolve":
            return self._resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), head)
        self._error(HTTPStatus.NOT_FOUND, "NotFound", f"no such endpoint: {url.path}")

    def _repo(self, repo: str, rev: str) -> tuple[Path, str] | None:
        repo_dir = self.server.folder.repo_dir(repo)
        if repo_dir is None:
            self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", f"repository {repo!r} not found")
            return None
        commit = self.server.folder.commit(repo_dir)
        if rev not in ("main", commit):
            self._error(HTTPStatus.NOT_FOUND, "RevisionNotFound",
                        f"revision {rev!r} not found in {repo!r} (this server has main = {commit})")
            return None
        return repo_dir, commit

    def _resolve(self, repo: str, rev: str, rel: str, head: bool) -> None:
        found = self._repo(repo, rev)
        if found is None:
            return
        repo_dir, commit = found
        path = self.server.folder.resolve_file(repo_dir, rel)
        if path is None:
            return self._error(HTTPStatus.NOT_FOUND, "EntryNotFound", f"{rel!r} not found in {repo!r}",
                               commit=commit)
        sha = self.server.folder.sha256(path)
        size = path.stat().st_size
        start, end = 0, size
        status = HTTPStatus.OK
        rng = self.headers.get("Range")
        if rng and rng.startswith("bytes=") and not head:
            first, _, last = rng[6:].partition("-")
            start = int(first or 0)
            end = min(size, int(last) + 1) if last else size
            status = HTTPStatus.PARTIAL_CONTENT
        self.send_response(status)
        self.send_header("X-Repo-Commit", commit)
        self.send_header("ETag", f'"{sha}"')
        self.send_header("Content-Length", str(end - start))
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        if status == HTTPStatus.PARTIAL_CONTENT:
            self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
        self.end_headers()
        if not head:
            self.send_file(path, start, end)

    def send_file(self, path: Path, start: int, end: int) -> None:
        """Stream bytes [start, end) of ``path`` (tests override this to inject faults)."""
        with open(path, "rb") as f:
            f.seek(start)
            left = end - start
            while left > 0:
                chunk = f.read(min(left, 1 << 16))
                if not chunk:
                    break
                self.wfile.write(chunk)
                left -= len(chunk)

    def _api(self, parts: list[str], query: str) -> None:
        if len(parts) < 2:
            return self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", "no repository given")
        repo, rest = f"{parts[0]}/{parts[1]}", parts[2:]
        if not rest or rest[0] == "revision":
            found = self._repo(repo, rest[1] if len(rest) > 1 else "main")
            if found is None:
                return
            repo_dir, commit = found
            files = self.server.folder.files(repo_dir)
            return self._json({"id": repo, "modelId": repo, "sha": commit, "private": False,
                               "siblings": [{"rfilename": f} for f in files]})
        if rest[0] == "tree" and len(rest) >= 2:
            found = self._repo(repo, rest[1])
            if found is None:
                return
            repo_dir, commit = found
            prefix = "/".join(rest[2:])
            recursive = "recursive=true" in query.lower() or "recursive=1" in query
            entries, dirs = [], set()
            for rel in self.server.folder.files(repo_dir):
                if prefix and not rel.startswith(prefix.rstrip("/") + "/"):
                    continue
                tail = rel[len(prefix.rstrip("/")) + 1:] if prefix else rel
                if "/" in tail and not recursive:
                    dirs.add((prefix.rstrip("/") + "/" if prefix else "") + tail.split("/")[0])
                    continue
                path = repo_dir / rel
                sha = self.server.folder.sha256(path)
                entries.append({"type": "file", "path": rel, "size": path.stat().st_size, "oid": sha,
                                "lfs": {"oid": sha, "size": path.stat().st_size, "pointerSize": 0}})
            entries += [{"type": "directory", "path": d, "oid": "0" * 40, "size": 0} for d in sorted(dirs)]
            return self._json(entries)
        self._error(HTTPStatus.NOT_FOUND, "NotFound", f"no such endpoint under {repo}")

    # -- responses -------------------------------------------------------------------
    def _json(self, data, status: HTTPStatus = HTTPStatus.OK) -> None:
        body = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: HTTPStatus, code: str, message: str, commit: str | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", message)
        if commit:
            self.send_header("X-Repo-Commit", commit)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class HubServer(ThreadingHTTPServer):
    """The HTTP server; ``requests`` counts (method, path) for tests."""

    daemon_threads = True

    def __init__(self, root: str | Path, host: str = "127.0.0.1", port: int = 0,
                 handler: type[HubRequestHandler] = HubRequestHandler, verbose: bool = False) -> None:
        self.folder = HubFolder(root)
        self.verbose = verbose
        self.requests: Counter = Counter()
        if ":" in host:
            import socket

            self.address_family = socket.AF_INET6
        super().__init__((host, port), handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def serve_in_thread(root: str | Path, *, host: str = "127.0.0.1", port: int = 0,
                    handler: type[HubRequestHandler] = HubRequestHandler) -> Iterator[HubServer]:
    """Run a HubServer in a background thread for the duration of the ``with`` block."""
    server = HubServer(root, host=host, port=port, handler=handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True, name="zoo-hub-server")
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextlib.contextmanager
def local_hub(root: str | Path) -> Iterator[str]:
    """Serve ``root`` on loopback with an empty Hub cache and point HF_ENDPOINT at it.

    Scripts use it to load weights through the real download path. If HF_ENDPOINT is already
    set, that endpoint is used as it is. The environment is restored afterwards.

    Example::

        with local_hub("hub"):
            model = zoo.load("msp-digits", pretrained=True)
    """
    if os.environ.get("HF_ENDPOINT"):
        yield os.environ["HF_ENDPOINT"]
        return
    import tempfile

    saved = {k: os.environ.get(k) for k in ("HF_ENDPOINT", "HF_HUB_CACHE", "HF_HUB_OFFLINE")}
    with tempfile.TemporaryDirectory(prefix="zoo-hub-cache-") as cache, serve_in_thread(root) as server:
        os.environ.update(HF_ENDPOINT=server.url, HF_HUB_CACHE=cache)
        os.environ.pop("HF_HUB_OFFLINE", None)
        try:
            yield server.url
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def serve(root: str | Path, *, host: str = "127.0.0.1", port: int = 8765, verbose: bool = True) -> None:
    """Serve ``root`` until interrupted (what ``zoo hub serve`` runs)."""
    server = HubServer(root, host=host, port=port, verbose=verbose)
    if host not in LOOPBACK:
        print(f"warning: serving on {host}, not loopback: anyone who can reach it can read {root}")
    folder = server.folder
    repos = [f"{o.name}/{r.name}" for o in sorted(folder.root.iterdir()) if o.is_dir() and _safe_part(o.name)
             for r in sorted(o.iterdir()) if r.is_dir() and _safe_part(r.name)]
    print(f"serving {len(repos)} repos from {folder.root} at {server.url}")
    print(f"  use it with: HF_ENDPOINT={server.url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["HubServer", "HubFolder", "HubRequestHandler", "serve", "serve_in_thread", "local_hub"]

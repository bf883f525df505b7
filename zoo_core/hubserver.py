"""A small read-only Hugging Face Hub-compatible server over a local Hub-layout folder.

``zoo hub serve hub/`` serves ``hub/<org>/<repo>/<files>`` on loopback with the endpoints that
``huggingface_hub`` uses for ``hf_hub_download`` and ``snapshot_download``, so pointing
``HF_ENDPOINT`` at it exercises the real download path (tests, demos, air-gapped mirrors).

* Each repo has one revision, ``main``, whose commit id is derived from the content
  (sha1 over every file's path and sha256): same files, same commit, anywhere.
* ``ETag`` is the file's sha256, as the Hub gives for LFS files.
* Nothing outside the folder, ever: requests are only looked up among the names that
  ``HubFolder`` lists, and it lists a path only if it resolves inside the folder's own
  resolved root, is not hidden (no dot-files), and is a regular file or a folder. Anything
  else (a symlink leaving the folder, a dangling one, a FIFO, a device) is skipped and said
  so once in the log.
* Every request gets an answer: a 4xx for what cannot be served, a 416 for a range that
  cannot be satisfied (RFC 9110), a 500 (and the traceback in the log) for a bug.

Endpoints (observed from huggingface_hub, see research/hub_protocol.md):

    HEAD/GET /{org}/{repo}/resolve/{rev}/{path}
    GET      /api/models/{org}/{repo}[/revision/{rev}]
    GET      /api/models/{org}/{repo}/tree/{rev}[/{path}]
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import stat
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import BinaryIO, Iterator
from urllib.parse import parse_qs, unquote_to_bytes

from zoo_core.errors import HubServeError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
log = logging.getLogger(__name__)


class HubFolder:
    """The repos under a Hub-layout folder, with content-derived commit ids.

    ``_children`` is the one place that decides what may be served; ``repo_dir``, ``files``,
    ``resolve_file`` and ``commit`` (and so every endpoint) only see what it lists.
    """

    def __init__(self, root: str | Path) -> None:
        if not os.path.isdir(root):
            raise HubServeError(f"{root} is not a folder; `zoo hub serve` needs a Hub-layout "
                                "folder such as hub/ (hub/<org>/<repo>/files)")
        self.root = Path(root).resolve()
        self._hashes: dict[Path, tuple[tuple, str]] = {}
        self._hashing: dict[Path, threading.Lock] = {}
        self._skipped: set[Path] = set()
        self._lock = threading.Lock()

    # -- what is served --------------------------------------------------------------
    def repos(self) -> dict[str, Path]:
        """``org/repo`` -> real folder, for every repo served."""
        return {f"{org}/{name}": path for org, org_dir in self._folders(self.root)
                for name, path in self._folders(org_dir)}

    def repo_dir(self, repo: str) -> Path | None:
        org, _, name = repo.partition("/")
        org_dir = dict(self._folders(self.root)).get(org)
        return dict(self._folders(org_dir)).get(name) if org_dir else None

    def files(self, repo_dir: Path) -> dict[str, Path]:
        """The repo's served files, sorted: relative name -> real path."""
        found: dict[str, Path] = {}

        def walk(folder: Path, prefix: str, ancestors: frozenset[Path]) -> None:
            for name, path, is_dir in self._children(folder):
                if not is_dir:
                    found[prefix + name] = path
                elif path in ancestors:
                    self._skip(folder / name, "it is a symlink to a folder that contains it (a loop)")
                else:
                    walk(path, f"{prefix}{name}/", ancestors | {path})

        top = Path(repo_dir).resolve()
        walk(top, "", frozenset({top}))
        return dict(sorted(found.items()))

    def resolve_file(self, repo_dir: Path, rel: str) -> Path | None:
        """The real path of file ``rel`` of the repo, if it is served."""
        return self.files(repo_dir).get(rel)

    def _folders(self, folder: Path) -> list[tuple[str, Path]]:
        return [(name, path) for name, path, is_dir in self._children(folder) if is_dir]

    def _children(self, folder: Path) -> list[tuple[str, Path, bool]]:
        """(name, real path, is a folder) of each entry of ``folder`` that may be served."""
        try:
            names = sorted(os.listdir(folder))
        except OSError as exc:
            self._skip(folder, f"it cannot be listed ({exc.strerror})")
            return []
        out = []
        for name in names:
            if name.startswith("."):  # hidden (.git, .cache): never served, nothing to say
                continue
            path = folder / name
            real, why = self._served(path)
            if real is None:
                self._skip(path, why)
            else:
                out.append((name, real, real.is_dir()))
        return out

    def _served(self, path: Path) -> tuple[Path | None, str]:
        """(real path, "") if ``path`` may be served, else (None, why not)."""
        try:
            path.name.encode()
        except UnicodeEncodeError:
            return None, "its name is not valid UTF-8"
        if "\\" in path.name:
            return None, "its name has a backslash"
        try:
            real = path.resolve(strict=True)
            mode = real.stat().st_mode
        except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop (Python < 3.13)
            return None, "it is a dangling or looping symlink" if os.path.islink(path) \
                else f"it cannot be read ({getattr(exc, 'strerror', exc)})"
        if not real.is_relative_to(self.root):
            return None, f"it leads outside {self.root} (to {real})"
        if any(part.startswith(".") for part in real.relative_to(self.root).parts):
            return None, f"it leads to a hidden path ({real})"
        if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
            return None, "it is not a regular file (a FIFO, socket or device)"
        if not os.access(real, os.R_OK):
            return None, "it is not readable"
        return real, ""

    def _skip(self, path: Path, why: str) -> None:
        """Say once per path that it is not served, and why."""
        with self._lock:
            if path in self._skipped:
                return
            self._skipped.add(path)
        shown = os.fsencode(path).decode("utf-8", "backslashreplace")
        log.warning("zoo hub serve: not serving %s: %s", shown, why)

    # -- content -----------------------------------------------------------------------
    @staticmethod
    def open_file(path: Path) -> BinaryIO | None:
        """``path`` opened for reading if it is still a regular file (else None).

        Opened without following a symlink or blocking on a FIFO, and checked after opening,
        so a file swapped since it was listed is not served.
        """
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            return None
        f = os.fdopen(fd, "rb")
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            f.close()
            return None
        return f

    def size_and_sha256(self, f: BinaryIO, path: Path) -> tuple[int, str]:
        """Size and sha256 of the open file ``f`` (cached by inode, size and times)."""
        st = os.fstat(f.fileno())
        key = (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        with self._lock:
            hashing = self._hashing.setdefault(path, threading.Lock())
        with hashing:  # concurrent first requests: one thread hashes, the others wait for it
            known = self._hashes.get(path)
            if known is None or known[0] != key:
                digest, offset = hashlib.sha256(), 0
                while offset < st.st_size:  # the size we report, even if the file grows
                    chunk = os.pread(f.fileno(), min(1 << 20, st.st_size - offset), offset)
                    if not chunk:
                        break
                    digest.update(chunk)
                    offset += len(chunk)
                known = self._hashes[path] = (key, digest.hexdigest())
        return st.st_size, known[1]

    def describe(self, path: Path) -> tuple[int, str] | None:
        """Size and sha256 of a served file; None if it is no longer a regular file."""
        f = self.open_file(path)
        if f is None:
            return None
        with f:
            return self.size_and_sha256(f, path)

    def sha256(self, path: str | Path) -> str:
        found = self.describe(Path(path).resolve())
        if found is None:
            raise FileNotFoundError(f"{path} is not a regular file")
        return found[1]

    def commit(self, repo_dir: Path) -> str:
        """sha1 over (path, sha256) of every file: a stable 40-hex commit id for the content."""
        digest = hashlib.sha1()
        for rel, path in self.files(repo_dir).items():
            found = self.describe(path)
            if found is not None:
                digest.update(f"{rel}\0{found[1]}\n".encode())
        return digest.hexdigest()


class RangeNotSatisfiable(ValueError):
    """A Range header that is invalid or asks for bytes the file does not have (HTTP 416)."""


_RANGE_SPEC = re.compile(r"([0-9]+)-([0-9]*)|-([0-9]+)")


def byte_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The bytes [start, end) a Range header asks for (RFC 9110 §14); None: the whole file.

    Another unit or several ranges are ignored (the whole file is sent, as RFC 9110 allows);
    a malformed, reversed (``500-100``) or unsatisfiable (``20000-``) range raises
    ``RangeNotSatisfiable``.
    """
    if not header:
        return None
    unit, _, specs = header.partition("=")
    if unit.strip().lower() != "bytes":
        return None
    parts = [s.strip() for s in specs.split(",") if s.strip()]
    if len(parts) > 1:
        return None
    match = _RANGE_SPEC.fullmatch(parts[0]) if parts else None
    if match is None:
        raise RangeNotSatisfiable(f"malformed Range {header!r}")
    try:
        first, last, suffix = (None if g in (None, "") else int(g) for g in match.groups())
    except ValueError:  # more digits than int() takes
        raise RangeNotSatisfiable(f"malformed Range {header!r}") from None
    if suffix is not None:  # bytes=-N: the last N bytes
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"Range {header!r} asks for no bytes")
        return max(0, size - suffix), size
    if last is not None and last < first:
        raise RangeNotSatisfiable(f"Range {header!r} ends before it starts")
    if first >= size:
        raise RangeNotSatisfiable(f"Range {header!r} starts at or beyond the end ({size} bytes)")
    return first, size if last is None else min(size, last + 1)


def _header_value(text: str, limit: int = 500) -> str:
    """``text`` as a safe header value: printable ASCII (others escaped), at most ``limit`` chars."""
    safe = "".join(c if " " <= c < "\x7f" else c.encode("unicode_escape").decode("ascii") for c in text)
    return safe if len(safe) <= limit else safe[:limit] + "..."


def _path_parts(target: str) -> tuple[str, list[str], str]:
    """(raw path, decoded segments, query) of a request target.

    The request line arrives as Latin-1 text; segments are percent-decoded as UTF-8, so a name
    sent raw or percent-encoded reads the same (bytes that are not UTF-8 become U+FFFD, which
    no served name contains).
    """
    path, _, query = target.partition("?")
    path = path.partition("#")[0]
    parts = [unquote_to_bytes(p.encode("latin-1")).decode("utf-8", "replace")
             for p in path.split("/") if p]
    return path, parts, query


class HubRequestHandler(BaseHTTPRequestHandler):
    """Answers the Hub API requests huggingface_hub makes; read-only."""

    server: "HubServer"
    server_version = "zoo-hub/0.1"
    timeout = 60  # seconds an idle or stalled connection is kept before it is dropped
    _answered = False

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        if self.server.verbose:
            super().log_message(format, *args)

    def send_response(self, code, message=None) -> None:
        self._answered = True
        super().send_response(code, message)

    # -- routing ---------------------------------------------------------------------
    def do_HEAD(self) -> None:  # noqa: N802
        self._route(head=True)

    def do_GET(self) -> None:  # noqa: N802
        self._route(head=False)

    def _read_only(self) -> None:
        with contextlib.suppress(ValueError, OSError):  # drain a small body so the answer arrives
            length = int(self.headers.get("Content-Length") or 0)
            if 0 < length <= 1 << 20:
                self.rfile.read(length)
        self._error(HTTPStatus.METHOD_NOT_ALLOWED, "MethodNotAllowed",
                    f"{self.command} is not supported: this server is read-only (GET and HEAD)",
                    headers={"Allow": "GET, HEAD"})

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _read_only  # noqa: N815

    def _route(self, head: bool) -> None:
        self._answered = False
        path, parts, query = _path_parts(self.path)
        with self.server.lock:
            self.server.requests[(self.command, path)] += 1
        try:
            if len(parts) >= 4 and parts[0] == "api" and parts[1] == "models":
                return self._api(parts[2:], query)
            if len(parts) >= 5 and parts[2] == "resolve":
                return self._resolve(f"{parts[0]}/{parts[1]}", parts[3], "/".join(parts[4:]), head)
            self._error(HTTPStatus.NOT_FOUND, "NotFound", f"no such endpoint: {path}")
        except (ConnectionError, TimeoutError):  # the client went away or stopped reading
            self.close_connection = True
        except Exception:
            log.exception("zoo hub serve: error answering %s %s", self.command, ascii(self.path))
            self.close_connection = True
            if not self._answered:
                self._error(HTTPStatus.INTERNAL_SERVER_ERROR, "ServerError",
                            "internal server error (the traceback is in the server's log)")

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
        folder = self.server.folder
        path = folder.resolve_file(repo_dir, rel)
        f = folder.open_file(path) if path else None
        if f is None:
            return self._error(HTTPStatus.NOT_FOUND, "EntryNotFound", f"{rel!r} not found in {repo!r}",
                               commit=commit)
        with f:  # headers and body come from this one open file, whatever happens to the path
            size, sha = folder.size_and_sha256(f, path)
            try:
                wanted = None if head or not self._if_range(sha) else self.headers.get("Range")
                span = byte_range(wanted, size)
            except RangeNotSatisfiable as exc:
                return self._error(HTTPStatus.REQUESTED_RANGE_NOT_SATISFIABLE, "RangeNotSatisfiable",
                                   str(exc), commit=commit, headers={"Content-Range": f"bytes */{size}"})
            start, end = span or (0, size)
            self.send_response(HTTPStatus.PARTIAL_CONTENT if span else HTTPStatus.OK)
            self.send_header("X-Repo-Commit", commit)
            self.send_header("ETag", f'"{sha}"')
            self.send_header("Content-Length", str(end - start))
            self.send_header("Accept-Ranges", "bytes")
            self.send_header("Content-Type", "application/octet-stream")
            if span:
                self.send_header("Content-Range", f"bytes {start}-{end - 1}/{size}")
            self.end_headers()
            if not head:
                self.send_file(f, start, end)

    def _if_range(self, sha: str) -> bool:
        """Whether a Range may apply: no If-Range, or one naming this file's ETag (RFC 9110 §13.1.5)."""
        validator = self.headers.get("If-Range")
        return validator is None or validator.strip() == f'"{sha}"'

    def send_file(self, f: BinaryIO, start: int, end: int) -> None:
        """Stream bytes [start, end) of the open file ``f`` (tests override this to inject faults)."""
        self.connection.sendfile(f, offset=start, count=end - start)

    def _api(self, parts: list[str], query: str) -> None:
        if len(parts) < 2:
            return self._error(HTTPStatus.NOT_FOUND, "RepoNotFound", "no repository given")
        repo, rest = f"{parts[0]}/{parts[1]}", parts[2:]
        folder = self.server.folder
        if not rest or rest[0] == "revision":
            found = self._repo(repo, rest[1] if len(rest) > 1 else "main")
            if found is None:
                return
            repo_dir, commit = found
            return self._json({"id": repo, "modelId": repo, "sha": commit, "private": False,
                               "siblings": [{"rfilename": f} for f in folder.files(repo_dir)]})
        if rest[0] == "tree" and len(rest) >= 2:
            found = self._repo(repo, rest[1])
            if found is None:
                return
            repo_dir, commit = found
            prefix = "/".join(rest[2:]).rstrip("/")
            recursive = parse_qs(query).get("recursive", [""])[-1].lower() in ("true", "1")
            entries, dirs = [], set()
            for rel, path in folder.files(repo_dir).items():
                if prefix and not rel.startswith(prefix + "/"):
                    continue
                tail = rel[len(prefix) + 1:] if prefix else rel
                if "/" in tail and not recursive:
                    dirs.add((prefix + "/" if prefix else "") + tail.split("/")[0])
                    continue
                described = folder.describe(path)
                if described is None:
                    continue
                size, sha = described
                entries.append({"type": "file", "path": rel, "size": size, "oid": sha,
                                "lfs": {"oid": sha, "size": size, "pointerSize": 0}})
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

    def _error(self, status: HTTPStatus, code: str, message: str, commit: str | None = None,
               headers: dict[str, str] | None = None) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(status)
        self.send_header("X-Error-Code", code)
        self.send_header("X-Error-Message", _header_value(message))
        if commit:
            self.send_header("X-Repo-Commit", commit)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
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
        self.lock = threading.Lock()
        if ":" in host:
            import socket

            self.address_family = socket.AF_INET6
        try:
            super().__init__((host, port), handler)
        except (OSError, OverflowError) as exc:
            reason = getattr(exc, "strerror", None) or str(exc)
            raise HubServeError(f"cannot listen on {host}:{port} ({reason}); choose another port "
                                "with --port N (0 picks a free one) or stop what holds it") from None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@contextlib.contextmanager
def serve_in_thread(root: str | Path, *, host: str = "127.0.0.1", port: int = 0,
                    handler: type[HubRequestHandler] = HubRequestHandler) -> Iterator[HubServer]:
    """Run a HubServer in a background thread for the duration of the ``with`` block."""
    server = HubServer(root, host=host, port=port, handler=handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True,
                              name="zoo-hub-server")  # a short poll: shutdown() returns at once
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
            model = zoo.load("nft-rotdigits", pretrained=True)
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
    try:
        if host not in LOOPBACK:
            print(f"warning: serving on {host}, not loopback: anyone who can reach it can read {root}")
        folder = server.folder
        repos = folder.repos()
        for repo_dir in repos.values():  # hash now (and log what is skipped), not on the first request
            folder.commit(repo_dir)
        print(f"serving {len(repos)} repos from {folder.root} at {server.url}")
        print(f"  use it with: HF_ENDPOINT={server.url}", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


__all__ = ["HubServer", "HubFolder", "HubRequestHandler", "RangeNotSatisfiable", "byte_range", "serve",
           "serve_in_thread", "local_hub"]

"""Weight resolution through huggingface_hub: its cache, locks, HF_HOME, HF_ENDPOINT, offline mode.

Every file is checked against the sha256 (and size) the catalog gives, on every load and
offline too. Hashing a large file each time would be slow, so a verified file is remembered
by (size, mtime) in ``<cache>/.zoo-verified.json``; touching or rewriting the file makes the
next load hash it again.

``HF_ENDPOINT``, ``HF_HUB_OFFLINE``, ``HF_HUB_CACHE`` and ``HF_HOME`` are read at call time
(huggingface_hub reads them once, at import), and ``zoo.offline()`` switches to cache-only
resolution at run time. The library never falls back silently from one source to another
(a cached branch used because the server is unreachable comes with a warning).
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import urllib.request
import warnings
from pathlib import Path, PureWindowsPath
from typing import Any, Iterator
from urllib.parse import urlsplit

from zoo_core.errors import HubReferenceError, WeightsDownloadError, WeightsIntegrityError

_offline = threading.local()
_TRUE = {"1", "true", "yes", "on"}
VERIFIED_DB = ".zoo-verified.json"


@contextlib.contextmanager
def offline(enabled: bool = True) -> Iterator[None]:
    """Resolve weights from the local cache only (no network) inside the ``with`` block.

    Example::

        with zoo.offline():
            model = zoo.load("nft-rotdigits", pretrained=True)   # cached, or a clear error
    """
    previous = getattr(_offline, "value", None)
    _offline.value = enabled
    try:
        yield
    finally:
        _offline.value = previous


def is_offline() -> bool:
    """True inside ``zoo.offline()`` or when HF_HUB_OFFLINE (or ZOO_OFFLINE) is set."""
    value = getattr(_offline, "value", None)
    if value is not None:
        return value
    return any(os.environ.get(v, "").lower() in _TRUE for v in ("HF_HUB_OFFLINE", "ZOO_OFFLINE"))


def cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The Hub cache folder: argument, else HF_HUB_CACHE, else HF_HOME/hub, else huggingface_hub's default."""
    if explicit is not None:
        return Path(explicit)
    if os.environ.get("HF_HUB_CACHE"):
        return Path(os.environ["HF_HUB_CACHE"])
    if os.environ.get("HF_HOME"):
        return Path(os.environ["HF_HOME"]) / "hub"
    from huggingface_hub import constants

    return Path(constants.HF_HUB_CACHE)


def endpoint() -> str | None:
    """The Hub endpoint for this call (HF_ENDPOINT), or None for huggingface_hub's default."""
    return os.environ.get("HF_ENDPOINT") or None


def endpoint_url() -> str:
    """The Hub endpoint this call talks to, as a URL."""
    return (endpoint() or "https://huggingface.co").rstrip("/")


# --- names: repo ids, revisions, file names ---------------------------------------------

COMMIT_RE = re.compile(r"^[0-9a-f]{40}$")
_NAME = r"(?!.*(?:--|\.\.))\w(?:[\w.-]{0,94}\w)?"  # huggingface_hub's rules for one part
REPO_ID_RE = re.compile(rf"^{_NAME}/{_NAME}$", re.ASCII)
REVISION_RE = re.compile(r"^(?!.*\.\.)[\w+-][\w.+-]*(?:/[\w+-][\w.+-]*)*$", re.ASCII)
REPO_ID_HELP = ("a Hub repo id looks like 'org/name' (letters, digits, '-', '_' and '.', e.g. "
                "'zoo-models/msp-digits'), optionally followed by '@REVISION' (a branch, a tag or a "
                "40-hex commit id)")


def check_repo_id(repo: object) -> str:
    """Return ``repo`` if it is an ``org/name`` Hub repo id, else raise HubReferenceError."""
    if not isinstance(repo, str) or not REPO_ID_RE.match(repo):
        raise HubReferenceError(f"{repo!r} is not a Hub repo id: {REPO_ID_HELP}")
    return repo


def check_revision(revision: object) -> str:
    """Return ``revision`` if it is a branch, tag or commit name (no '..', no leading '/')."""
    if not isinstance(revision, str) or len(revision) > 255 or not REVISION_RE.match(revision):
        raise HubReferenceError(f"{revision!r} is not a revision: a revision is a branch or tag name "
                                "('main', 'v1.0', 'refs/pr/1') or a 40-hex commit id")
    return revision


def file_name_problem(name: object) -> str | None:
    """Why ``name`` is not a relative file name that stays inside its repo or folder (None if it is)."""
    if not isinstance(name, str) or not name:
        return f"expected a file name, got {name!r}"
    if "\\" in name or "\0" in name or name.startswith("/") or PureWindowsPath(name).drive:
        return f"{name!r} is not a relative '/'-separated file name"
    if any(part in ("", ".", "..") for part in name.split("/")):
        return f"{name!r} leaves its folder or has an empty part ('..', '.', '//')"
    return None


def parse_hub_ref(text: str) -> tuple[str, str | None]:
    """Split ``org/name[@revision]`` (what follows ``hf-hub:``) and check both parts."""
    repo, at, revision = text.partition("@")
    check_repo_id(repo)
    if at:
        check_revision(revision)
    return repo, (revision if at else None)


# --- fetching ----------------------------------------------------------------------------

def fetch_file(repo: str, filename: str, *, revision: str, sha256: str | None = None,
               size: int | None = None, cache: str | os.PathLike | None = None,
               force_download: bool = False, pin: str | None = None) -> Path:
    """Return the local path of ``filename`` from Hub repo ``repo`` at ``revision``, verified.

    A pinned (40-hex) revision already in the cache makes no network call; a branch or tag
    (``main``) is resolved on the server while online, as ``hf_hub_download`` does, and from
    the cached ref offline. ``pin`` says where ``sha256`` and ``size`` come from (for errors).
    ``force_download`` fetches into a private folder and replaces the cached file only once
    the new bytes are verified, so a file that other models share is never lost.

    Raises:
        HubReferenceError: a malformed repo id, revision or file name.
        WeightsDownloadError: unreachable server, 404, other server errors, offline and not cached.
        WeightsIntegrityError: the file's sha256 or size differs from the expected one.
    """
    check_repo_id(repo)
    check_revision(revision)
    problem = file_name_problem(filename)
    if problem:
        raise HubReferenceError(f"cannot fetch from {repo}: {problem}")
    env = os.environ
    memo_key = (cache, env.get("HF_HUB_CACHE"), env.get("HF_HOME"), repo, filename, revision, sha256)
    from_cache = COMMIT_RE.match(revision) or is_offline()  # the cache alone can answer
    known = _verified_paths.get(memo_key) if from_cache and not force_download else None
    if known is not None:  # warm path: one stat, no hashing (a changed file is hashed again)
        path, size_mtime = known
        with contextlib.suppress(OSError):
            stat = os.stat(path)
            if (stat.st_size, stat.st_mtime_ns) == size_mtime:
                return path
    folder = cache_dir(cache)
    path = _fetch_file(repo, filename, revision=revision, folder=folder, force_download=force_download,
                       check=functools.partial(verify_file, sha256=sha256, size=size, pin=pin,
                                               what=f"{repo}/{filename}@{revision}"))
    if sha256:
        stat = os.stat(path)
        _verified_paths[memo_key] = (path, (stat.st_size, stat.st_mtime_ns))
    return path


_verified_paths: dict[tuple, tuple[Path, tuple[int, int]]] = {}


def _fetch_file(repo: str, filename: str, *, revision: str, folder: Path, force_download: bool,
                check) -> Path:
    import huggingface_hub

    def cached() -> str | None:
        found = huggingface_hub.try_to_load_from_cache(repo, filename, cache_dir=str(folder),
                                                       revision=revision)
        return found if isinstance(found, str) else None

    if is_offline():
        if force_download:
            raise WeightsDownloadError(f"cannot download {filename} of {repo}@{revision} again: "
                                       "downloads are off (HF_HUB_OFFLINE / zoo.offline())", kind="offline")
        if path := cached():
            return check(Path(path), fresh=False, cache=folder)
        raise WeightsDownloadError(
            f"{filename} of {repo}@{revision} is not in the cache ({folder}) and downloads are off "
            "(offline mode: HF_HUB_OFFLINE / zoo.offline()). Fetch it once while online with "
            "`zoo download NAME`, or copy a cache that has it.", kind="offline")
    if COMMIT_RE.match(revision) and not force_download and (path := cached()):
        return check(Path(path), fresh=False, cache=folder)
    problem = connection_problem(endpoint_url())
    if problem:
        if not force_download and (path := cached()):  # a branch or tag fetched earlier
            warnings.warn(f"{endpoint_url()} is unreachable ({problem}); using the cached {revision!r} "
                          f"of {repo}, which may be out of date", stacklevel=4)
            return check(Path(path), fresh=False, cache=folder)
        raise WeightsDownloadError(
            f"could not reach {endpoint_url()} to download {filename} of {repo}@{revision}: {problem}. "
            f"It is not in the cache ({folder})." + _local_hub_hint(repo), kind="unreachable")
    if force_download:
        return _download_staged(repo, filename, revision, folder, check)
    return check(Path(_download(repo, filename, revision, folder)), fresh=True, cache=folder)


def _download(repo: str, filename: str, revision: str, folder: Path) -> str:
    """hf_hub_download, with its errors turned into WeightsDownloadError saying what happened."""
    import huggingface_hub
    from huggingface_hub import errors as hf_errors

    server, what = endpoint_url(), f"{filename} of {repo}@{revision}"
    try:
        return huggingface_hub.hf_hub_download(repo, filename, revision=revision, cache_dir=str(folder),
                                               endpoint=endpoint())
    except hf_errors.LocalEntryNotFoundError as exc:  # the first request failed
        cause = exc.__cause__ or exc.__context__
        status = _http_status(cause)
        if status is not None:
            raise WeightsDownloadError(
                f"{server} answered HTTP {status} for {what}: {_first_line(cause)}. The server is up "
                "but does not serve this file; check that HF_ENDPOINT is a Hub server (huggingface.co "
                "or `zoo hub serve DIR`) and that it has the repo.",
                kind="not_found" if status == 404 else "failed") from exc
        raise WeightsDownloadError(
            f"could not reach {server} to download {what}"
            + (f": {type(cause).__name__}: {_first_line(cause)}" if cause else "")
            + f". It is not in the cache ({folder}); check HF_ENDPOINT and your connection, then retry."
            + _local_hub_hint(repo), kind="unreachable") from exc
    except hf_errors.EntryNotFoundError as exc:
        raise WeightsDownloadError(f"the Hub repo {repo}@{revision} at {server} has no file "
                                   f"{filename!r}; check the catalog entry", kind="not_found") from exc
    except (hf_errors.RepositoryNotFoundError, hf_errors.RevisionNotFoundError) as exc:
        raise WeightsDownloadError(f"Hub repo {repo} at revision {revision!r} was not found at "
                                   f"{server}: {_first_line(exc)}", kind="not_found") from exc
    except Exception as exc:  # HTTP 5xx, broken connection, size mismatch inside huggingface_hub
        raise WeightsDownloadError(
            f"downloading {what} from {server} failed: {type(exc).__name__}: {_first_line(exc)}. "
            "The partial download was not stored as a cache entry; retry, or check the endpoint "
            "(HF_ENDPOINT) and your connection.") from exc


def _download_staged(repo: str, filename: str, revision: str, folder: Path, check) -> Path:
    """A forced download: fetch into a private staging cache, verify, then move into ``folder``.

    Until the new bytes are verified nothing in the cache changes; then the verified blob
    replaces the cached one atomically (same content, so snapshots sharing it stay valid).
    """
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".zoo-staging-", dir=folder))
    try:
        staged = Path(_download(repo, filename, revision, staging))
        check(staged, fresh=True, cache=staging)
        rel = staged.relative_to(staging)  # models--org--name/snapshots/<commit>/<filename>
        target = folder / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if staged.is_symlink():  # the usual layout: snapshot link -> ../../blobs/<etag>
            blob = folder / staged.resolve().relative_to(staging.resolve())
            blob.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.resolve(), blob)
            link = target.with_name(f".{target.name}.{os.getpid()}.zoo-tmp")
            os.symlink(os.path.relpath(blob, target.parent), link)
            os.replace(link, target)
        else:  # a cache without symlinks keeps the file in the snapshot itself
            os.replace(staged, target)
        refs = staging / rel.parts[0] / "refs"  # refs/main -> commit, when revision is a branch
        for ref in (p for p in refs.rglob("*") if p.is_file()):
            (folder / ref.relative_to(staging)).parent.mkdir(parents=True, exist_ok=True)
            os.replace(ref, folder / ref.relative_to(staging))
        return check(target, fresh=False, cache=folder)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def connection_problem(url: str, timeout: float = 3.0) -> str | None:
    """Why ``url``'s host cannot be reached right now (None if it accepts a connection).

    huggingface_hub retries a failed connection for about 25 s; this answers in milliseconds
    when the name does not resolve or nothing listens. Skipped when a proxy would connect.
    """
    parts = urlsplit(url)
    host = parts.hostname
    if not host:
        return f"{url!r} is not a URL (HF_ENDPOINT must look like http://127.0.0.1:8765)"
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return f"{url!r} has an invalid port"
    if urllib.request.getproxies().get(parts.scheme) and not urllib.request.proxy_bypass(host):
        return None
    found: dict[str, Any] = {}

    def lookup() -> None:
        try:
            found["addresses"] = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            found["error"] = exc

    thread = threading.Thread(target=lookup, daemon=True)  # getaddrinfo itself has no timeout
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        return f"looking up the host name {host!r} took over {timeout:g} s (no network, or DNS is down)"
    if "error" in found:
        return (f"the host name {host!r} does not resolve ({_os_reason(found['error'])}): no network, "
                "or a wrong HF_ENDPOINT")
    reasons = []
    for family, kind, proto, _, address in found["addresses"]:
        try:
            with socket.socket(family, kind, proto) as sock:
                sock.settimeout(timeout)
                sock.connect(address)
            return None
        except OSError as exc:
            reasons.append(_os_reason(exc))
    return f"nothing accepts connections at {host}:{port} ({', '.join(dict.fromkeys(reasons))})"


def _os_reason(exc: OSError) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out"
    return exc.strerror or str(exc) or type(exc).__name__


def _http_status(exc: BaseException | None) -> int | None:
    """The HTTP status of a huggingface_hub HTTP error (None for connection errors)."""
    response = getattr(exc, "response", None)
    return getattr(response, "status_code", None)


def _local_hub_hint(repo: str) -> str:
    """How to serve the weights when this checkout holds them in hub/ (next to registry.yaml)."""
    from zoo_core.registry import default_registry_path

    registry = default_registry_path()
    folder = registry.parent / "hub" if registry else None
    if folder is None or not (folder / repo).is_dir():
        return ""
    return (f" This checkout holds {repo} in {folder}: serve it with `zoo hub serve {folder}` and set "
            "HF_ENDPOINT to the URL it prints (http://127.0.0.1:8765 by default).")


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [""])[0][:300]


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify_file(path: Path, *, sha256: str | None, size: int | None, fresh: bool,
                cache: Path | None = None, what: str = "", pin: str | None = None) -> Path:
    """Check ``path`` against the expected sha256 and size; remember success by (size, mtime).

    ``pin`` names where the expected values come from (a catalog entry, a config.json). A freshly
    downloaded file that fails is taken out of the cache so the next try downloads it again (its
    blob stays when another snapshot links to it); a file that was already cached is left in
    place and the error says how to replace it.
    """
    if sha256 is None and size is None:
        return path
    real = path.resolve()
    try:
        stat = real.stat()
    except OSError as exc:
        raise WeightsIntegrityError(f"{what}: cached file {path} is unreadable ({exc.strerror}); "
                                    "delete it and load again", path=str(path),
                                    expected=sha256 or "", actual="unreadable") from exc
    db_path = (cache or real.parent) / VERIFIED_DB
    key = str(real)
    db = _read_db(db_path)
    if sha256 and db.get(key) == [stat.st_size, stat.st_mtime_ns, sha256]:
        return path
    actual_size = stat.st_size
    actual = sha256_file(real) if sha256 else None
    bad_size = size is not None and actual_size != size
    bad_hash = sha256 is not None and actual != sha256
    if bad_size or bad_hash:
        found = f"{actual_size} bytes, sha256 {actual}"
        expected = f"{size} bytes, sha256 {sha256}"
        pin = pin or "the expected sha256"
        if fresh:
            _remove_from_cache(path)
            raise WeightsIntegrityError(
                f"{what}: the file from {endpoint_url()} does not match {pin} (expected {expected}; "
                f"got {found}); it was removed from the cache. Either {pin} is wrong or the server "
                "sent wrong bytes: check the pin against the repo, retry, or check HF_ENDPOINT.",
                path=str(path), expected=sha256 or "", actual=actual or "")
        raise WeightsIntegrityError(
            f"{what}: the cached file {path} is corrupted (expected {expected} from {pin}; got {found}). "
            "Download it again with `zoo download NAME --force` or zoo.load(..., force_download=True), "
            "or delete that file.", path=str(path), expected=sha256 or "", actual=actual or "")
    if sha256:
        db[key] = [stat.st_size, stat.st_mtime_ns, sha256]
        _write_db(db_path, db)
    return path


def _read_db(path: Path) -> dict:
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _write_db(path: Path, db: dict) -> None:
    """Atomic replace, so concurrent loaders never read half a file (last writer wins)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".zoo-verified.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(db, f)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs a re-hash next time


def _remove_from_cache(path: Path) -> None:
    """Delete a snapshot entry, and its blob unless another snapshot links to it too."""
    with contextlib.suppress(OSError):
        blob = path.resolve()
        path.unlink()
        if blob != path and not _linked_elsewhere(blob):
            blob.unlink()


def _linked_elsewhere(blob: Path) -> bool:
    """True when a snapshot of the blob's repo (``<repo>/blobs/<etag>``) links to it."""
    snapshots = blob.parent.parent / "snapshots"
    return any(p.is_symlink() and p.resolve() == blob for p in snapshots.rglob("*"))


__all__ = ["fetch_file", "verify_file", "offline", "is_offline", "cache_dir", "sha256_file",
           "parse_hub_ref", "check_repo_id", "check_revision", "file_name_problem", "connection_problem"]

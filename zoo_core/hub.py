"""Weight resolution through huggingface_hub: its cache, locks, HF_HOME, HF_ENDPOINT, offline mode.

Every file is checked against the sha256 (and size) the catalog gives, on every load and
offline too. Hashing a large file each time would be slow, so a verified file is remembered
by (size, mtime) in ``<cache>/.zoo-verified.json``; touching or rewriting the file makes the
next load hash it again.

``HF_ENDPOINT``, ``HF_HUB_OFFLINE``, ``HF_HUB_CACHE`` and ``HF_HOME`` are read at call time
(huggingface_hub reads them once, at import), and ``zoo.offline()`` switches to cache-only
resolution at run time. The library never falls back silently from one source to another.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path
from typing import Iterator

from zoo_core.errors import WeightsDownloadError, WeightsIntegrityError

_offline = threading.local()
_TRUE = {"1", "true", "yes", "on"}
VERIFIED_DB = ".zoo-verified.json"


@contextlib.contextmanager
def offline(enabled: bool = True) -> Iterator[None]:
    """Resolve weights from the local cache only (no network) inside the ``with`` block.

    Example::

        with zoo.offline():
            model = zoo.load("msp-digits", pretrained=True)   # cached, or a clear error
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


def fetch_file(repo: str, filename: str, *, revision: str, sha256: str | None = None,
               size: int | None = None, cache: str | os.PathLike | None = None,
               force_download: bool = False) -> Path:
    """Return the local path of ``filename`` from Hub repo ``repo`` at ``revision``, verified.

    A pinned (40-hex) revision already in the cache makes no network call.

    Raises:
        WeightsDownloadError: the server failed, the connection broke, or offline and not cached.
        WeightsIntegrityError: the file's sha256 or size differs from the catalog's.
    """
    env = os.environ
    memo_key = (cache, env.get("HF_HUB_CACHE"), env.get("HF_HOME"), repo, filename, revision, sha256)
    known = None if force_download else _verified_paths.get(memo_key)
    if known is not None:  # warm path: one stat, no hashing (a changed file is hashed again)
        path, size_mtime = known
        with contextlib.suppress(OSError):
            stat = os.stat(path)
            if (stat.st_size, stat.st_mtime_ns) == size_mtime:
                return path
    folder = cache_dir(cache)
    path = _fetch_file(repo, filename, revision=revision, sha256=sha256, size=size, folder=folder,
                       force_download=force_download)
    if sha256:
        stat = os.stat(path)
        _verified_paths[memo_key] = (path, (stat.st_size, stat.st_mtime_ns))
    return path


_verified_paths: dict[tuple, tuple[Path, tuple[int, int]]] = {}


def _fetch_file(repo: str, filename: str, *, revision: str, sha256: str | None, size: int | None,
                folder: Path, force_download: bool) -> Path:
    import huggingface_hub
    from huggingface_hub import errors as hf_errors

    cached = None if force_download else huggingface_hub.try_to_load_from_cache(
        repo, filename, cache_dir=str(folder), revision=revision)
    if isinstance(cached, str):
        return verify_file(Path(cached), sha256=sha256, size=size, fresh=False, cache=folder,
                           what=f"{repo}/{filename}@{revision}")
    try:
        path = huggingface_hub.hf_hub_download(
            repo, filename, revision=revision, cache_dir=str(folder), endpoint=endpoint(),
            local_files_only=is_offline(), force_download=force_download)
    except hf_errors.LocalEntryNotFoundError as exc:
        if is_offline():
            raise WeightsDownloadError(
                f"{filename} of {repo}@{revision} is not in the cache ({folder}) and downloads are off "
                "(offline mode: HF_HUB_OFFLINE / zoo.offline()). Fetch it once while online with "
                "`zoo download NAME`, or copy a cache that has it.") from exc
        cause = exc.__cause__ or exc.__context__
        raise WeightsDownloadError(
            f"could not reach {endpoint() or 'huggingface.co'} to download {filename} of "
            f"{repo}@{revision}, and it is not in the cache ({folder})"
            + (f": {type(cause).__name__}: {_first_line(cause)}" if cause else "")
            + ". Check HF_ENDPOINT and your connection, then retry.") from exc
    except hf_errors.EntryNotFoundError as exc:
        raise WeightsDownloadError(f"the Hub repo {repo}@{revision} has no file {filename!r} "
                                   f"({endpoint() or 'huggingface.co'}); check the catalog entry") from exc
    except (hf_errors.RepositoryNotFoundError, hf_errors.RevisionNotFoundError) as exc:
        raise WeightsDownloadError(f"Hub repo {repo} at revision {revision!r} was not found at "
                                   f"{endpoint() or 'huggingface.co'}: {exc}") from exc
    except Exception as exc:  # HTTP 5xx, broken connection, size mismatch inside huggingface_hub
        raise WeightsDownloadError(
            f"downloading {filename} of {repo}@{revision} from {endpoint() or 'huggingface.co'} "
            f"failed: {type(exc).__name__}: {_first_line(exc)}. The partial download was not stored as a cache entry; "
            "retry, or check the endpoint (HF_ENDPOINT) and your connection.") from exc
    return verify_file(Path(path), sha256=sha256, size=size, fresh=True, cache=folder,
                       what=f"{repo}/{filename}@{revision}")


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
                cache: Path | None = None, what: str = "") -> Path:
    """Check ``path`` against the expected sha256 and size; remember success by (size, mtime).

    A freshly downloaded file that fails is removed from the cache so the next try downloads it
    again; a file that was already cached is left in place and the error says how to replace it.
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
        if fresh:
            _remove_from_cache(path)
            raise WeightsIntegrityError(
                f"{what}: the downloaded file does not match the catalog (expected {expected}; got "
                f"{found}). It was removed from the cache. The server or mirror sent wrong bytes: "
                "retry, or check HF_ENDPOINT.", path=str(path), expected=sha256 or "", actual=actual or "")
        raise WeightsIntegrityError(
            f"{what}: the cached file {path} is corrupted (expected {expected}; got {found}). "
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
    """Delete a snapshot entry and the blob it points to."""
    with contextlib.suppress(OSError):
        blob = path.resolve()
        path.unlink()
        if blob != path:
            blob.unlink()


__all__ = ["fetch_file", "verify_file", "offline", "is_offline", "cache_dir", "sha256_file"]

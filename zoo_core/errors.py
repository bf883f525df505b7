"""Every error Zoo raises, grouped by where it happens.

Each class inherits ``ZooError`` and the matching builtin, so ``except KeyError`` and
``except zoo.ZooError`` both work. Messages name what failed, quote the value, and say
what to do.
"""

from __future__ import annotations


class ZooError(Exception):
    """Base class of every Zoo error."""


# --- names and the catalog -------------------------------------------------------------

class UnknownModelError(ZooError, KeyError):
    """No model by that name: ``zoo.load("akorn-clevtex")`` -> suggests ``akorn-clevrtex``."""

    def __init__(self, message: str, *, name: str, suggestions: list[str] | None = None):
        super().__init__(message)
        self.name = name
        self.suggestions = suggestions or []

    def __str__(self) -> str:  # KeyError would quote the message
        return self.args[0]


class PluginNotInstalledError(ZooError, ModuleNotFoundError):
    """The model belongs to a first-party plugin that is not installed (message names the pip package)."""

    def __init__(self, message: str, *, name: str, package: str):
        super().__init__(message)
        self.name = name
        self.package = package


class PluginUnavailableError(ZooError, RuntimeError):
    """The model's plugin is installed but failed to load, is disabled or is incompatible."""


class CatalogError(ZooError, ValueError):
    """A catalog entry (registry.yaml or a plugin's ``zoo_catalog``) is malformed.

    ``source``, ``line``, ``entry`` and ``field`` locate the problem; ``problem`` is the bare message.
    """

    def __init__(self, message: str, *, source: str, entry: str | None = None,
                 field: str | None = None, line: int | None = None):
        where = source + (f":{line}" if line else "")
        what = f"entry {entry!r}" if entry else "catalog"
        if field:
            what += f", field {field!r}"
        super().__init__(f"{where}: {what}: {message}")
        self.source, self.entry, self.field, self.line = source, entry, field, line
        self.problem = message


class NoPretrainedWeightsError(ZooError, ValueError):
    """``pretrained=True`` on an entry that has no published weights; the message lists the options."""


class ModelClassError(ZooError, TypeError):
    """``SomeModel.from_pretrained(name)`` where ``name`` builds another class; names both."""


class DeprecatedNameWarning(FutureWarning):
    """A former model name was used (catalog field ``deprecated_aliases``): it still works, and
    the warning, given once per name and process, says why it changed and what to write now.
    A FutureWarning, so Python shows it by default; filter this class to silence it."""


# --- weights and the hub -----------------------------------------------------------------

class HubReferenceError(ZooError, ValueError):
    """A malformed Hub repo id, revision or file name (``hf-hub:a/b/c``); says what a valid one looks like."""


class WeightsDownloadError(ZooError, OSError):
    """A weight file could not be fetched; ``kind`` says why.

    ``"unreachable"`` (no answer: name does not resolve, connection refused, timeout),
    ``"not_found"`` (the server answered 404: no such repo, revision or file),
    ``"offline"`` (offline mode and not cached) or ``"failed"`` (any other server or transfer error).
    """

    def __init__(self, message: str, *, kind: str = "failed"):
        super().__init__(message)
        self.kind = kind

    def __str__(self) -> str:  # OSError would format (errno, strerror) for two args
        return self.args[0]


class WeightsIntegrityError(ZooError, OSError):
    """A weight file's sha256 or size does not match the catalog; says which file, where, and what to do."""

    def __init__(self, message: str, *, path: str, expected: str, actual: str):
        super().__init__(message)
        self.path, self.expected, self.actual = path, expected, actual


class CheckpointError(ZooError, ValueError):
    """A checkpoint or config.json could not be read (corrupt, wrong format, unsafe)."""


class HubServeError(ZooError, OSError):
    """``zoo hub serve`` cannot start: its folder is missing, or the address cannot be bound."""


class StateDictMismatchError(ZooError, RuntimeError):
    """Strict loading failed; lists missing, unexpected, wrongly shaped and wrongly typed keys."""

    def __init__(self, message: str, *, missing: list[str], unexpected: list[str],
                 mismatched: list[tuple[str, tuple, tuple]], wrong_dtype: list[tuple[str, object, object]] = ()):
        super().__init__(message)
        self.missing, self.unexpected, self.mismatched = missing, unexpected, mismatched
        self.wrong_dtype = list(wrong_dtype)


__all__ = [
    "ZooError", "UnknownModelError", "PluginNotInstalledError", "PluginUnavailableError",
    "CatalogError", "NoPretrainedWeightsError", "ModelClassError", "DeprecatedNameWarning",
    "HubReferenceError",
    "WeightsDownloadError", "WeightsIntegrityError", "CheckpointError", "HubServeError",
    "StateDictMismatchError",
]

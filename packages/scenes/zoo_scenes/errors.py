"""The one error zoo-scenes raises for bad settings, and the checks that raise it.

``SceneConfigError`` is a ``ValueError``; when Zoo's core is installed it is also a
``zoo.ZooError``, so the ``zoo`` command prints it as one line. zoo-scenes itself needs only numpy.
"""

from __future__ import annotations

import numpy as np

try:  # cheap: zoo_core.errors imports nothing heavy
    from zoo_core.errors import ZooError as _ZooError
    _BASES: tuple[type, ...] = (_ZooError, ValueError)
except ImportError:  # zoo-scenes used on its own
    _BASES = (ValueError,)


class SceneConfigError(*_BASES):
    """A setting of the scene generator is out of range; the message says what to pass instead."""


def check_int(name: str, value, lo: int, hi: int | None = None, hint: str = "") -> int:
    """``value`` as an int in ``lo..hi`` (inclusive; ``hi=None``: no upper bound)."""
    ok = isinstance(value, (int, np.integer)) and not isinstance(value, bool)
    if not ok or value < lo or (hi is not None and value > hi):
        span = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise SceneConfigError(f"{name}={value!r} is invalid: pass an integer {span}{hint}")
    return int(value)


def check_range(name: str, value, lo: float, hi: float, unit: str = "",
                integers: bool = False) -> tuple:
    """``value`` as a pair ``(low, high)`` with ``lo <= low <= high <= hi``."""
    try:
        a, b = value
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        raise SceneConfigError(f"{name}={value!r} is invalid: pass a pair (low, high)") from None
    if not (lo <= a <= b <= hi) or (integers and (a != int(a) or b != int(b))):
        kind = "whole numbers " if integers else ""
        raise SceneConfigError(f"{name}={value!r} is invalid: pass {kind}(low, high) with "
                               f"{lo} <= low <= high <= {hi}{unit}")
    return (int(a), int(b)) if integers else (a, b)


def check_choice(name: str, value, choices) -> str:
    if value not in choices:
        raise SceneConfigError(f"{name}={value!r} is unknown; pass one of "
                               f"{', '.join(map(repr, choices))}")
    return value

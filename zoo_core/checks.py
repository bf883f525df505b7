"""Checks of numeric settings shared by the commands and their Python API.

The same rule answers twice: ``require(value, ...)`` raises a ``ZooError`` for a caller of
``train``/``evaluate``/``run_bench``, and ``arg(...)`` is the argparse ``type=`` of the matching
option, so ``zoo eval --limit 0`` stops at the command line with one line that says why.

    p.add_argument("--limit", type=arg(int, 1, "a number of examples"))
    require(limit, 1, "limit", "a number of examples")
"""

from __future__ import annotations

import argparse
import math
from typing import Callable

from zoo_core.errors import ZooError

SEED_MAX = 2**32 - 1  # seeds are mixed with draw indices into torch's 64-bit generator seeds


def problem(value: float, low: float, high: float | None, noun: str) -> str | None:
    """What is wrong with ``value`` for the range ``[low, high]``, or None."""
    if isinstance(value, float) and not math.isfinite(value):
        return f"expected {noun}, got {value}"
    if value < low or (high is not None and value > high):
        bounds = f"at least {_n(low)}" if high is None else f"{_n(low)} to {_n(high)}"
        return f"expected {noun} ({bounds}), got {_n(value)}"
    return None


def _n(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def require(value: float | None, low: float, name: str, noun: str, *, high: float | None = None) -> None:
    """Raise ``ZooError`` unless ``value`` is None or lies in ``[low, high]``."""
    if value is not None and (message := problem(value, low, high, noun)):
        raise ZooError(f"{name}: {message}")


def arg(kind: type, low: float, noun: str, *, high: float | None = None) -> Callable[[str], float]:
    """An argparse ``type=``: ``kind(text)`` in ``[low, high]``, else a one-line usage error."""
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if message := problem(value, low, high, noun):
            raise argparse.ArgumentTypeError(message)
        return value

    parse.__name__ = noun  # argparse names the type in its messages
    return parse


def seed_arg() -> Callable[[str], float]:
    return arg(int, 0, "a seed", high=SEED_MAX)


__all__ = ["arg", "require", "problem", "seed_arg", "SEED_MAX"]

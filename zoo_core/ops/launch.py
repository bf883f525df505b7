"""Launch sizes for Triton kernels, computed on the host without importing Triton.

Example:
    >>> from zoo_core.ops.launch import settings
    >>> settings(100)
    LaunchSettings(block=128, num_warps=4)
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_BLOCK", "LaunchSettings", "cdiv", "next_power_of_2", "settings"]

MAX_BLOCK = 65536
"""Largest block (elements one program holds at once) that ``settings`` hands out by default."""


@dataclass(frozen=True)
class LaunchSettings:
    """Block size (a power of two, ``tl.constexpr``) and warp count for one kernel launch."""

    block: int
    num_warps: int


def next_power_of_2(n: int) -> int:
    """Smallest power of two >= ``n`` (1 for ``n <= 1``)."""
    return 1 if n <= 1 else 1 << (int(n) - 1).bit_length()


def cdiv(a: int, b: int) -> int:
    """Ceiling division, for grid sizes."""
    return -(-a // b)


def settings(n: int, *, limit: int = MAX_BLOCK, what: str = "row length") -> LaunchSettings:
    """Block size and warps for a program that holds ``n`` elements at once.

    Args:
        n: elements one program must cover (e.g. a row's length); 0 gives block 1.
        limit: largest allowed block.
        what: what ``n`` counts, for the error message.

    Returns:
        ``LaunchSettings(block=next_power_of_2(n), num_warps=...)``; warps grow with the block (4 to 32).

    Raises:
        ValueError: ``n`` is negative, or its block would exceed ``limit``.
    """
    if n < 0:
        raise ValueError(f"{what} must be >= 0, got {n}.")
    block = next_power_of_2(n)
    if block > limit:
        raise ValueError(
            f"{what} {n} needs a block of {block} elements, above the kernel's limit of {limit}. "
            "Split the input into smaller pieces or use impl='reference'."
        )
    num_warps = 32 if block >= 32768 else 16 if block >= 8192 else 8 if block >= 2048 else 4
    return LaunchSettings(block=block, num_warps=num_warps)

"""The errors zoo-nmsc raises (ZooError subclasses: one line at the CLI, never a traceback)."""

from zoo_core.errors import ZooError


class ImageError(ZooError, ValueError):
    """An input image of the wrong shape, dtype or range."""


class BitstreamError(ZooError, ValueError):
    """A compressed file that is truncated, corrupted, foreign, or made by another model."""

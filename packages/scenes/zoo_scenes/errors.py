"""The one error zoo-scenes raises for bad settings.

``SceneConfigError`` is a ``ValueError``; when Zoo's core is installed it is also a
``zoo.ZooError``, so the ``zoo`` command prints it as one line. zoo-scenes itself needs only numpy.
"""

from __future__ import annotations

try:  # cheap: zoo_core.errors imports nothing heavy
    from zoo_core.errors import ZooError as _ZooError
    _BASES: tuple[type, ...] = (_ZooError, ValueError)
except ImportError:  # zoo-scenes used on its own
    _BASES = (ValueError,)


class SceneConfigError(*_BASES):
    """A setting of the scene generator is out of range; the message says what to pass instead."""

"""AKOrN models (imported lazily: ``from zoo_akorn.models import AKOrN`` imports only that family).

* :class:`AKOrN` (``akorn.py``): object discovery, J = attention (learnable GTA) or conv.
* :class:`AKOrNClassifier` (``classification.py``): CIFAR-10, conv J with Omega.
* :class:`SudokuAKOrN` (``sudoku.py``): Sudoku, test-time extension and energy voting.
* :class:`ItrSA`, :class:`SudokuItrSA` (``itrsa.py``): iterative self-attention baselines.
"""

from importlib import import_module

_WHERE = {"AKOrN": "akorn", "AKOrNClassifier": "classification", "SudokuAKOrN": "sudoku",
          "ItrSA": "itrsa", "SudokuItrSA": "itrsa", "KuramotoLayer": "kuramoto", "Omega": "kuramoto"}

__all__ = sorted(_WHERE)


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(import_module(f"zoo_akorn.models.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'zoo_akorn.models' has no attribute {name!r}")

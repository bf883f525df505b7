"""The core's conformance kit over every zoo-akorn entry (small widths so it runs in seconds;
published weights are served from the repo's hub/ and their registry results re-evaluated)."""

from conftest import load_catalog
from zoo_core.testing.conformance import conformance_suite

_SMALL = {
    "AKOrN": {"ch": 16, "T": 1, "heads": 2},
    "ItrSA": {"ch": 16, "T": 1, "heads": 2, "mlp_dim": 32},
    "SudokuAKOrN": {"ch": 16, "T": 1, "heads": 2},
    "SudokuItrSA": {"ch": 16, "T": 1, "heads": 2, "mlp_dim": 32},
    "AKOrNClassifier": {"ch": 8, "T": 1},
}
OVERRIDES = {name: _SMALL[entry["builder"].split(":")[1]] for name, entry in load_catalog().items()}

TestConformance = conformance_suite("zoo-akorn", overrides=OVERRIDES)

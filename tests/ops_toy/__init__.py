"""Helper modules for tests/test_ops.py, imported inside run_interpreted's process as ``ops_toy``."""

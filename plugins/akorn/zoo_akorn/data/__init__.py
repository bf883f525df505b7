"""Procedurally generated datasets (the official ones cannot be downloaded here)."""

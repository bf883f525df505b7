"""Shared fixtures: tiny configurations of every model class (fast on a CPU)."""

import pytest
import torch

TINY = dict(dim_a=4, dim_m=6, ch_x=3, k=0.25)


@pytest.fixture
def tiny():
    """Small MSP-family kwargs: 32x32 RGB frames, base width 8."""
    return dict(TINY)


@pytest.fixture
def gen():
    return torch.Generator().manual_seed(0)


def pytest_configure(config):
    # One intra-op thread: the tests use tiny tensors, and on a shared 2-core machine
    # OpenMP threads spinning against other processes make them many times slower.
    torch.set_num_threads(1)

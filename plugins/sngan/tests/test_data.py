"""scikit-learn digits at 32 px: range, shapes, labels, fixed splits."""

import pytest
import torch

from zoo_sngan.data import digits32, digits32_tensors


def test_splits_shapes_range_and_labels():
    train, test = digits32_tensors("train"), digits32_tensors("test")
    assert train[0].shape == (1437, 3, 32, 32) and test[0].shape == (360, 3, 32, 32)
    for x, y in (train, test):
        assert x.dtype == torch.float32 and float(x.min()) == -1.0 and float(x.max()) <= 1.0
        assert torch.equal(x[:, 0], x[:, 2])  # grey replicated to RGB
        assert sorted(y.unique().tolist()) == list(range(10))
    assert len(digits32("all")) == 1797


def test_split_is_deterministic_and_disjoint():
    a, b = digits32_tensors("train"), digits32_tensors("train")
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])
    all_x = digits32_tensors("all")[0].flatten(1)
    train_x, test_x = a[0].flatten(1), digits32_tensors("test")[0].flatten(1)
    assert train_x.shape[0] + test_x.shape[0] == all_x.shape[0]


def test_bad_split():
    with pytest.raises(ValueError, match="Unknown digits split 'val'"):
        digits32_tensors("val")

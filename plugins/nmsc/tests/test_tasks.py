"""The tasks: held-out photos are not training photos; a local Kodak copy is found and coded."""

import pytest
import torch

from conftest import tiny
from zoo_core.data import DatasetNotFoundError
from zoo_nmsc import codec
from zoo_nmsc.data import TEST_PHOTOS, TRAIN_PHOTOS, photo_path
from zoo_nmsc.tasks import Kodak


def test_held_out_photos_are_bundled_and_disjoint():
    assert not set(TEST_PHOTOS) & set(TRAIN_PHOTOS)
    assert all(photo_path(p).is_file() for p in (*TRAIN_PHOTOS, *TEST_PHOTOS))  # offline, in the wheels


def test_kodak_from_a_local_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("ZOO_DATA", str(tmp_path))
    with pytest.raises(DatasetNotFoundError):
        Kodak().dataset("test")
    (tmp_path / "kodak").mkdir()
    for i in (1, 2):
        codec.save_image(torch.rand(3, 192, 224), tmp_path / "kodak" / f"kodim{i:02d}.png")
    model = tiny()
    model.zoo_name = "nmsc-test"
    out = Kodak().evaluate(model)
    assert out["bit_exact"] == 1.0 and 0 < out["bpp"] and 0 <= out["ms-ssim-rgb"] <= 1
    assert abs(out["bpp"] - out["bpp_tables"] - 8 * out["header_bytes"] / (192 * 224)) < 0.01 * out["bpp"] + 1e-3


def test_figures_are_drawn_for_this_plugins_tasks_only():
    """zoo bench calls every plugin's figure function whose task prefix covers a model's task:
    a prefix like "compression/" would draw photos for zoo-nft's compression/time-warped-signals."""
    from zoo_nmsc import plugin

    tasks = set(plugin.zoo_tasks())
    assert set(plugin.zoo_figures()) <= tasks and set(plugin.zoo_figures())

"""The MultiViewScenes contract: shapes, determinism, splits, poses, presets, cache, errors."""

from __future__ import annotations

import numpy as np
import pytest

from zoo_scenes import (HELDOUT_ELEVATION, TRAIN_ELEVATION, MultiViewScenes, SceneConfigError,
                        clevr_style, multiview_nvs)


def test_item_contract():
    ds = MultiViewScenes(split="train", n_scenes=3, views=5, size=32, seed=0, poses="train")
    assert len(ds) == 3
    item = ds[2]
    shapes = {"images": (5, 32, 32, 3), "masks": (5, 32, 32), "depth": (5, 32, 32),
              "intrinsics": (5, 3, 3), "extrinsics": (5, 4, 4), "camera_positions": (5, 3)}
    for key, shape in shapes.items():
        assert item[key].shape == shape, key
    assert item["images"].dtype == np.float32 and item["masks"].dtype == np.int64
    assert item["depth"].dtype == np.float32
    assert 0.0 <= item["images"].min() and item["images"].max() <= 1.0
    assert item["images"].std() > 0.05  # not blank
    assert (item["depth"] > 0).all()    # default cameras never see the sky
    np.testing.assert_array_equal(ds[-1]["images"], item["images"])
    with pytest.raises(IndexError):
        ds[3]


def test_mask_ids_match_the_object_count():
    ds = MultiViewScenes("val", 8, views=5, size=48, objects=(3, 10))
    counts = []
    for i in range(len(ds)):
        item = ds[i]
        n = int(item["n_objects"])
        counts.append(n)
        assert n == ds.scene(i).n_objects
        ids = np.unique(item["masks"])
        assert ids.min() >= 0 and ids.max() <= n
        assert len(np.setdiff1d(np.arange(1, n + 1), ids)) <= n // 3  # most objects show in some view
    assert min(counts) >= 3 and max(counts) <= 10 and len(set(counts)) > 1
    fixed = MultiViewScenes("val", 2, views=1, size=16, objects=(4, 4))
    assert all(int(fixed[i]["n_objects"]) == 4 for i in range(2))


def test_same_seed_same_arrays_and_splits_differ():
    a = MultiViewScenes("train", 2, views=2, size=24, seed=5)[1]
    b = MultiViewScenes("train", 2, views=2, size=24, seed=5)[1]
    for key in a:
        np.testing.assert_array_equal(a[key], b[key])
    for other in (MultiViewScenes("val", 2, views=2, size=24, seed=5)[1],
                  MultiViewScenes("test", 2, views=2, size=24, seed=5)[1],
                  MultiViewScenes("train", 2, views=2, size=24, seed=6)[1]):
        assert not np.array_equal(a["images"], other["images"])
        assert not np.array_equal(a["camera_positions"], other["camera_positions"])
    # item i does not depend on n_scenes
    np.testing.assert_array_equal(MultiViewScenes("train", 9, views=2, size=24, seed=5)[1]["images"],
                                  a["images"])


def elevations(ds):
    pos = np.concatenate([ds[i]["camera_positions"] for i in range(len(ds))]).astype(np.float64)
    return np.degrees(np.arcsin(pos[:, 2] / np.linalg.norm(pos, axis=1)))


def test_heldout_poses_are_disjoint_from_training_poses():
    train = elevations(MultiViewScenes("test", 20, views=5, size=8, poses="train"))
    held = elevations(MultiViewScenes("test", 20, views=5, size=8, poses="heldout"))
    assert TRAIN_ELEVATION[1] < HELDOUT_ELEVATION[0]
    assert train.min() >= TRAIN_ELEVATION[0] - 1e-3 and train.max() <= TRAIN_ELEVATION[1] + 1e-3
    assert held.min() >= HELDOUT_ELEVATION[0] - 1e-3 and held.max() <= HELDOUT_ELEVATION[1] + 1e-3
    assert held.min() > train.max()
    # same scenes, other cameras
    a = MultiViewScenes("test", 2, views=2, size=16, poses="train")
    b = MultiViewScenes("test", 2, views=2, size=16, poses="heldout")
    np.testing.assert_array_equal(a.scene(1).centre, b.scene(1).centre)


def test_textured_variant_keeps_the_geometry():
    plain = MultiViewScenes("val", 2, views=2, size=32, seed=2)
    tex = MultiViewScenes("val", 2, views=2, size=32, seed=2, textured=True)
    a, b = plain[0], tex[0]
    np.testing.assert_array_equal(a["masks"], b["masks"])
    np.testing.assert_array_equal(a["depth"], b["depth"])
    assert np.abs(a["images"] - b["images"]).mean() > 0.05


def test_presets():
    nvs = multiview_nvs("train", 2)
    assert (nvs.views, nvs.size, nvs.objects) == (5, 32, (3, 10))
    clevr = clevr_style("val", 1, size=64)
    item = clevr[0]
    assert item["images"].shape == (1, 64, 64, 3) and clevr.objects == (3, 10)
    assert clevr_style(textured=True).textured


def test_cache_round_trip(tmp_path, monkeypatch):
    ds = MultiViewScenes("val", 2, views=2, size=16, cache_dir=tmp_path)
    first = ds[1]
    files = list(tmp_path.rglob("*.npz"))
    assert len(files) == 1
    with np.load(files[0], allow_pickle=False) as f:
        assert set(f.files) == set(first)
    monkeypatch.setattr(MultiViewScenes, "render_item", lambda self, i: pytest.fail("not cached"))
    again = MultiViewScenes("val", 2, views=2, size=16, cache_dir=tmp_path)[1]
    for key in first:
        np.testing.assert_array_equal(again[key], first[key])
    other = MultiViewScenes("val", 2, views=2, size=16, seed=1, cache_dir=tmp_path)
    assert other.cache_dir != ds.cache_dir  # other settings, other folder


@pytest.mark.parametrize("kwargs, words", [
    ({"size": 4}, "size=4"),
    ({"size": 16.0}, "size=16.0"),
    ({"views": 0}, "views=0"),
    ({"n_scenes": 0}, "n_scenes=0"),
    ({"objects": (5, 3)}, "objects=(5, 3)"),
    ({"objects": (1, 99)}, "<= 20"),
    ({"objects": 3}, "pair"),
    ({"split": "training"}, "'train', 'val', 'test'"),
    ({"poses": "test"}, "'heldout'"),
    ({"layout": "grid"}, "ring"),
    ({"elevation": (50, 20)}, "elevation="),
    ({"supersample": 9}, "1..4"),
    ({"seed": -1}, "seed=-1"),
    ({"fov": 0}, "fov=0"),
])
def test_bad_settings_say_what_to_pass(kwargs, words):
    args = {"split": "train", "n_scenes": 2}
    args.update(kwargs)
    with pytest.raises(SceneConfigError) as err:
        MultiViewScenes(**args)
    assert isinstance(err.value, ValueError)
    assert words in str(err.value) and "pass" in str(err.value)

"""dsprites-style scenes: deterministic, valid masks, the three shapes, occlusion; the task runs."""

import numpy as np
import pytest
import torch

from zoo_akorn.data.dsprites import SHAPES, DSpritesStyle, _inside


def test_deterministic_and_valid():
    a, b = DSpritesStyle(size=20, seed=3), DSpritesStyle(size=20, seed=3)
    for i in range(20):
        (ia, ma), (ib, mb) = a[i], b[i]
        assert torch.equal(ia, ib) and torch.equal(ma, mb)
        assert ia.shape == (3, 64, 64) and ma.shape == (64, 64)
        assert 0 <= float(ia.min()) and float(ia.max()) <= 1
        labels = sorted(int(v) for v in ma.unique())
        assert labels == list(range(len(labels))) and 2 <= len(labels) <= 5  # background + 1..4, no gaps
        for k in labels[1:]:  # every object has one colour
            colours = ia[:, ma == k].T.unique(dim=0)
            assert len(colours) == 1
    assert not torch.equal(DSpritesStyle(size=1, seed=4)[0][0], a[0][0])


def test_object_counts_vary_and_occlusion_happens():
    ds = DSpritesStyle(size=200, seed=0)
    counts = [int(ds[i][1].max()) for i in range(200)]
    assert set(counts) == {1, 2, 3, 4}


def test_shapes_differ():
    u, v = np.meshgrid(np.linspace(-1, 1, 101), np.linspace(-1, 1, 101))
    areas = {s: _inside(s, u, v).mean() for s in SHAPES}
    assert len({round(a, 3) for a in areas.values()}) == 3 and all(a > 0.05 for a in areas.values())


def test_bad_arguments():
    with pytest.raises(ValueError, match="too small"):
        DSpritesStyle(image_size=8)
    with pytest.raises(IndexError):
        DSpritesStyle(size=2)[2]


def test_task_registered_and_evaluates_a_model():
    import zoo

    task = zoo.resolve_ref("zoo_tasks", "object-discovery/dsprites-style")()
    assert task.n_clusters == 5 and len(task.dataset("test")) == 320
    model = zoo.create("akorn-attn-tetrominoes", ch=16, T=2, imsize=64)
    scores = task.evaluate(model, limit=4)
    assert set(scores) == {"fg_ari", "mbo"}
    assert -1 <= scores["fg_ari"] <= 1 and 0 <= scores["mbo"] <= 1  # ARI can dip below 0 by chance

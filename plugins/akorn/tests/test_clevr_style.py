"""CLEVR-style / clevrtex-style object discovery: scenes from zoo-scenes, the K = 11 tasks, and
SimCLR pairs that pass over a small rendered set more than once with fresh views."""

import pytest
import torch

import zoo
from zoo_akorn.data.augment import SimCLRPairs
from zoo_akorn.data.clevr_style import ClevrStyleScenes, ClevrTexStyleScenes


@pytest.fixture(scope="module")
def plain_and_textured():
    return ClevrStyleScenes("test", 3), ClevrTexStyleScenes("test", 3)


def test_items_are_128px_images_with_instance_masks(plain_and_textured):
    for scenes in plain_and_textured:
        for i in range(len(scenes)):
            image, mask = scenes[i]
            assert image.shape == (3, 128, 128) and image.dtype == torch.float32
            assert 0 <= float(image.min()) and float(image.max()) <= 1
            ids = set(mask.unique().tolist()) - {0}
            assert mask.dtype == torch.int64 and 3 <= len(ids) <= 10 and ids == set(range(1, len(ids) + 1))
        with pytest.raises(IndexError, match="out of range for 3 scenes"):
            scenes[3]


def test_textured_variant_has_the_same_scenes_in_other_materials(plain_and_textured):
    plain, tex = plain_and_textured
    for i in range(3):
        assert torch.equal(plain[i][1], tex[i][1])                      # same geometry and camera
        assert float((plain[i][0] - tex[i][0]).abs().mean()) > 0.02      # patterns on objects and ground


def test_tasks_name_what_the_data_is():
    for name, textured in (("object-discovery/clevr-style", False), ("object-discovery/clevrtex-style", True)):
        task = zoo.resolve_ref("zoo_tasks", name)()
        assert task.n_clusters == 11 and "not CLEVR" in task.source
        assert len(task.dataset("train")) == 5000 and len(task.dataset("test")) == 320
        assert task.dataset("test").scenes.textured is textured
        with pytest.raises(ValueError, match="unknown split"):
            task.dataset("ood")


def test_pairs_repeat_images_with_fresh_views(plain_and_textured):
    pairs = SimCLRPairs(plain_and_textured[0], seed=0, repeats=2)
    assert len(pairs) == 6
    a, b = pairs[1], pairs[4]                                            # both of scene 1
    assert a.shape == (2, 3, 128, 128) and not torch.equal(a, b)
    assert torch.equal(pairs[4], b)                                      # views depend on (seed, i) only
    with pytest.raises(ValueError, match="positive number of passes"):
        SimCLRPairs(plain_and_textured[0], repeats=0)


def test_clevrtex_style_entries_share_data_and_budget():
    ak, it = (zoo.registry().resolve(n) for n in ("akorn-attn-clevrtex-style", "itrsa-clevrtex-style"))
    assert ak.task == it.task == "object-discovery/clevrtex-style"
    assert ak.train == it.train and ak.train["task"] == ak.task
    cfg = zoo.registry().resolve("akorn-attn-clevrtex").config
    assert {k: ak.config[k] for k in ("ch", "psize", "imsize", "n", "T", "gta", "L")} == \
        {k: cfg[k] for k in ("ch", "psize", "imsize", "n", "T", "gta", "L")}     # the official L=1 model

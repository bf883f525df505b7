"""The context model is causal in decoding order and its bits are -sum log2 p."""

import math

import pytest
import torch

from conftest import tiny
from zoo_nmsc import coder


def _latents(model, h=96, w=64):
    return model.encode(torch.rand(1, 3, h, w))


@pytest.mark.parametrize("c_list", [(0, 4, 8, 16), (3, 0, 2, 4)])
def test_logits_depend_only_on_earlier_groups(c_list):
    model = tiny(c_list)
    cm = model.context_model
    zs = _latents(model, 256, 160)
    groups = cm.groups(zs)
    keys = [k for k, _, _ in groups]
    truth = cm.targets(zs)
    for g, key in enumerate(keys[:-1]):
        flipped = {k: v.clone() for k, v in truth.items()}
        flipped[key] = (flipped[key] + 1) % model.q_num  # change every symbol of group g
        seen = []
        cm.walk(1, zs[-1].shape[-2], zs[-1].shape[-1], lambda k, lg: seen.append(lg) or flipped[k])
        for i in range(g + 1):  # this group and all before it: unchanged logits
            assert torch.equal(seen[i], groups[i][1]), (key, keys[i])
        finest = key.startswith(f"{cm.levels[0]}/") and not key.endswith("/11")  # nothing after depends on it
        if truth[key].numel() and not finest:  # some later group sees the change (so the test can fail)
            assert any(not torch.equal(seen[i], groups[i][1]) for i in range(g + 1, len(keys))), key


def test_walk_reconstructs_the_latents():
    model = tiny()
    zs = _latents(model, 160, 96)
    truth = model.context_model.targets(zs)
    finest = model.context_model.walk(1, 5, 3, lambda k, lg: truth[k])
    assert all(torch.equal(a, b) for a, b in zip(model.context_model.latents(finest), zs))


def test_bits_are_minus_log2_of_the_likelihoods_and_the_integer_tables_agree():
    model = tiny()
    x = torch.rand(1, 3, 128, 96)
    zs = model.encode(x)
    bits = model.context_model.bits(zs).item()
    lik = model(x)["likelihoods"]["y"]
    assert lik.shape[1] == sum(z[0].numel() for z in zs)
    assert math.isclose(bits, -torch.log2(lik).sum().item(), rel_tol=1e-5)
    assert math.isclose(coder.code_length(model.context_model.groups(zs)), bits, rel_tol=0.01)


def test_sequential_passes_do_not_depend_on_image_size():
    model = tiny((0, 4, 8, 16))
    assert model.context_model.passes == 2 * 5  # levels 8, 16, 32, 64, 128
    for h in (64, 160):
        calls = []
        zs = _latents(model, h, h)
        truth = model.context_model.targets(zs)
        model.context_model.walk(1, h // 32, h // 32, lambda k, lg: calls.append(k) or truth[k])
        assert len(calls) == 1 + 3 * 5  # final + 3 groups per level, 2 network passes per level

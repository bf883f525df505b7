"""The synthetic latent-variable data: blocks, patterns and components, invertible mixings, and
augmentations that move exactly their family's blocks."""

import pytest
import torch

from zoo_contrastive.latents import FAMILIES, LatentModel, PairDataset, make_mixing


def test_default_layout_has_one_component_per_block_and_overlapping_families():
    lm = LatentModel()
    assert lm.components() == [(0,), (1,), (2,), (3,)]
    assert lm.patterns() == [{0, 3}, {0, 1}, {1, 2}, {2, 3}]
    assert all(set(a) & set(b) for a, b in zip(FAMILIES, FAMILIES[1:] + FAMILIES[:1]))   # neighbours overlap
    content_style = LatentModel(families=((1, 3), (2, 3)), blocks=(2, 2, 2, 2, 2))
    assert content_style.patterns()[0] == frozenset() and content_style.components()[0] == (0, 4)   # one pattern, one component
    assert content_style.component_dims()[0] == [0, 1, 8, 9]


@pytest.mark.parametrize("kind", ["mlp", "linear"])
def test_mixings_are_invertible_deterministic_and_standardized(kind):
    g = make_mixing(kind, 8, seed=0)
    c = torch.randn(3000, 8, generator=torch.Generator().manual_seed(5))
    x = g(c)
    torch.testing.assert_close(g.inverse(x), c, atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(make_mixing(kind, 8, seed=0)(c), x)
    assert not torch.allclose(make_mixing(kind, 8, seed=1)(c), x)
    assert x.mean(0).abs().max() < 0.1 and (x.std(0) - 1).abs().max() < 0.1


def test_mlp_mixing_is_not_linear():
    g = make_mixing("mlp", 8, seed=0)
    a, b = torch.randn(4, 8), torch.randn(4, 8)
    assert (g(a + b) - g(a) - g(b) + g(torch.zeros(1, 8))).abs().max() > 1e-2


def test_augmentation_moves_only_its_family_blocks():
    lm = LatentModel(jitter=0.0)
    g = torch.Generator().manual_seed(0)
    c = lm.sample(500, g)
    for k, fam in enumerate(lm.families):
        moved = (lm.augment(c, k, g) - c).abs().reshape(500, 4, 2).amax((0, 2)) > 0
        assert moved.tolist() == [m in fam for m in range(4)]
    subset = torch.tensor([[True, False, True, False]]).expand(500, 4)
    moved = (lm.augment(c, subset, g) - c).abs().reshape(500, 4, 2).amax((0, 2)) > 0
    assert moved.tolist() == [True, True, True, True]          # (0, 1) | (2, 3)


def test_pair_dataset_is_seeded_and_pairs_share_most_of_their_latent():
    a, b = PairDataset(LatentModel(), 300, seed=3), PairDataset(LatentModel(), 300, seed=3)
    assert torch.equal(a.x, b.x) and torch.equal(a.x2, b.x2) and len(a) == 300
    assert not torch.equal(PairDataset(LatentModel(), 300, seed=4).x, a.x)
    d = (a.c2 - a.c).reshape(300, 4, 2).norm(dim=-1)          # per block
    fam = torch.tensor(FAMILIES)[a.family]                      # the two blocks each pair moves
    moved = torch.zeros(300, 4, dtype=torch.bool).scatter_(1, fam, True)
    assert d[moved].mean() > 5 * d[~moved].mean()
    sub = PairDataset(LatentModel(), 300, seed=3, positives="subset")
    assert sub.family.shape == (300, 4) and sub.family.any(1).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"families": ((0, 7),)}, "only 4 blocks"),
    ({"families": ((),)}, "non-empty"),
    ({"mixing": "cubic"}, "mixing must be one of"),
    ({"scale": 0.0}, "scale must be > 0"),
    ({"blocks": ()}, "positive block sizes"),
])
def test_bad_latent_models(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LatentModel(**kwargs)


def test_bad_pair_dataset():
    with pytest.raises(ValueError, match="positives must be"):
        PairDataset(LatentModel(), 10, seed=0, positives="all")
    with pytest.raises(ValueError, match="n must be >= 1"):
        PairDataset(LatentModel(), 0, seed=0)

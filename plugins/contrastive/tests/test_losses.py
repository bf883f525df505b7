"""The three InfoNCE similarities: definitions, their symmetries (exactly), and the mechanism of the
lasso claim checked without training: on the true latents, splitting along the true blocks gives a
lower group-lasso InfoNCE than any rotation that mixes them, while cosine and squared Euclidean
cannot tell the two apart."""

import pytest
import torch
import torch.nn.functional as F

from zoo_contrastive.latents import LatentModel, PairDataset
from zoo_contrastive.losses import info_nce, similarity


def test_similarities_are_the_stated_formulas():
    z1, z2 = torch.randn(5, 6, dtype=torch.float64), torch.randn(4, 6, dtype=torch.float64)
    i, j = 2, 3
    assert similarity(z1, z2, "cosine")[i, j] == pytest.approx(float(F.cosine_similarity(z1[i], z2[j], dim=0)))
    assert similarity(z1, z2, "sqeuclidean")[i, j] == pytest.approx(-float((z1[i] - z2[j]).square().sum()))
    want = -sum(float((z1[i, b:b + 2] - z2[j, b:b + 2]).norm()) for b in (0, 2, 4))
    assert similarity(z1, z2, "group_lasso", n_blocks=3)[i, j] == pytest.approx(want)


def test_rotation_invariance_of_the_controls_only():
    g = torch.Generator().manual_seed(0)
    z1, z2 = torch.randn(16, 8, generator=g, dtype=torch.float64), torch.randn(16, 8, generator=g, dtype=torch.float64)
    R = torch.linalg.qr(torch.randn(8, 8, generator=g, dtype=torch.float64))[0]
    for metric in ("cosine", "sqeuclidean"):
        torch.testing.assert_close(info_nce(z1 @ R, z2 @ R, metric=metric, temperature=0.3),
                                   info_nce(z1, z2, metric=metric, temperature=0.3))
    lasso = info_nce(z1, z2, metric="group_lasso", temperature=0.3, n_blocks=4)
    assert abs(float(info_nce(z1 @ R, z2 @ R, metric="group_lasso", temperature=0.3, n_blocks=4) - lasso)) > 1e-3


def _mixing_rotation(angle: float) -> torch.Tensor:
    """Rotate coordinate 2m with coordinate 2m+2 (each block mixes with the next) by ``angle``."""
    R = torch.eye(8, dtype=torch.float64)
    c, s = torch.cos(torch.tensor(angle)), torch.sin(torch.tensor(angle))
    for a, b in ((0, 2), (1, 3), (4, 6), (5, 7)):
        R[a, a], R[a, b], R[b, a], R[b, b] = c, -s, s, c
    return R


def test_true_blocks_minimise_the_lasso_infonce_and_not_the_controls():
    """z = the true latent (the encoder that inverts the mixing) against z = latent rotated across
    blocks: the lasso loss rises with the rotation angle, the controls stay equal."""
    ds = PairDataset(LatentModel(), 4096, seed=0)
    c1, c2 = ds.c.double(), ds.c2.double()
    lasso = [float(info_nce(c1 @ _mixing_rotation(a), c2 @ _mixing_rotation(a), metric="group_lasso",
                            temperature=0.5, n_blocks=4)) for a in (0.0, 0.2, 0.785)]
    assert lasso[0] < lasso[1] < lasso[2], lasso
    for metric, t in (("cosine", 0.2), ("sqeuclidean", 0.5)):
        base = info_nce(c1, c2, metric=metric, temperature=t)
        R = _mixing_rotation(0.785)
        torch.testing.assert_close(info_nce(c1 @ R, c2 @ R, metric=metric, temperature=t), base)


def _crosswise(angle: float) -> torch.Tensor:
    """``z = c @ P``: components 0 and 3 (moved together by family 3) split across two learned blocks,
    one coordinate of each per block, and likewise 1 and 2; rotating one coordinate of each pair by
    ``angle`` (0 -> pi/2) turns the split into the true blocks (benchmarks/contrastive_lasso_landscape.py)."""
    P = torch.zeros(8, 8, dtype=torch.float64)
    ct, st = torch.cos(torch.tensor(angle)), torch.sin(torch.tensor(angle))
    for k, (A, B) in enumerate(((0, 3), (1, 2))):
        a0, a1, b0, b1, col = 2 * A, 2 * A + 1, 2 * B, 2 * B + 1, 4 * k
        P[a0, col], P[b1, col + 3] = 1, 1
        P[b0, col + 1], P[a1, col + 1] = ct, st
        P[a1, col + 2], P[b0, col + 2] = ct, -st
    return P


def test_crosswise_split_is_a_local_minimum_of_the_lasso_infonce():
    """Why short trainings stop banded: splitting two co-moving components crosswise over two learned
    blocks costs more than the true blocks, but rotating it toward them first costs more still."""
    ds = PairDataset(LatentModel(), 2048, seed=77)
    c1, c2 = 2.5 * ds.c.double(), 2.5 * ds.c2.double()

    def loss(angle):
        P = _crosswise(angle)
        return sum(float(info_nce(c1[i:i + 256] @ P, c2[i:i + 256] @ P, metric="group_lasso", temperature=0.5,
                                  n_blocks=4)) for i in range(0, 2048, 256)) / 8

    cross, barrier, truth = loss(0.0), loss(0.5), loss(torch.pi / 2)
    assert truth < 0.7 * cross, (truth, cross)
    assert barrier > cross + 0.01, (cross, barrier)


def test_bad_metric_and_temperature():
    z = torch.randn(3, 4)
    with pytest.raises(ValueError, match="metric must be one of"):
        info_nce(z, z, metric="l1", temperature=0.5)
    with pytest.raises(ValueError, match="temperature must be positive"):
        info_nce(z, z, metric="cosine", temperature=0.0)
    with pytest.raises(ValueError, match="temperature"):
        info_nce(z, z, metric="group_lasso", temperature=-1.0, n_blocks=2)

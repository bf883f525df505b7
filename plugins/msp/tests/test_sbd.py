"""Block-diagonalisation loss and simultaneous block diagonalisation."""

import torch

from zoo_msp.sbd import (block_diagonalization_loss, change_basis, find_blocks, laplacian_tracenorm,
                         off_block_energy, orthogonality_loss, simultaneous_block_diagonalization)


def _rot(t):
    c, s = torch.cos(t), torch.sin(t)
    return torch.stack([torch.stack([c, -s], -1), torch.stack([s, c], -1)], -2)


def test_losses_on_known_matrices():
    eye = torch.eye(4).expand(3, 4, 4)
    assert block_diagonalization_loss(eye) < 1e-4
    dense = torch.ones(3, 4, 4)
    assert torch.allclose(block_diagonalization_loss(dense), torch.tensor(3.0), atol=1e-4)
    assert orthogonality_loss(eye) == 0
    A = torch.rand(5, 5)
    assert torch.allclose(laplacian_tracenorm(A + A.T), torch.trace(
        torch.eye(5) - torch.diag((A + A.T).diagonal() / (A + A.T).sum(1))), atol=1e-4)


def test_sbd_recovers_hidden_blocks():
    g = torch.Generator().manual_seed(0)
    n = 96
    B = torch.zeros(n, 6, 6)
    for k in range(3):
        B[:, 2 * k:2 * k + 2, 2 * k:2 * k + 2] = _rot(3 * torch.rand(n, generator=g))
    Q = torch.linalg.qr(torch.randn(6, 6, generator=g))[0]
    M = Q @ B @ Q.T
    assert find_blocks(M) == [list(range(6))]
    U = simultaneous_block_diagonalization(M, n_epochs=30, generator=torch.Generator().manual_seed(0))
    R = change_basis(M, U)
    blocks = find_blocks(R)
    assert sorted(len(b) for b in blocks) == [2, 2, 2]
    assert off_block_energy(R, blocks) < 1e-3
    assert block_diagonalization_loss(R) < block_diagonalization_loss(M)

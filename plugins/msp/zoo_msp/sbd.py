"""Block structure of transition matrices and post-hoc simultaneous block diagonalisation (SBD).

MSP's transitions ``M*`` become block diagonal (up to a common change of basis) without
being trained to (arXiv:2210.05972, Sec. on disentanglement). The official code measures
this with the nuclear norm of the normalised graph Laplacian of ``|M|^T |M|`` (official
``utils/laplacian.py``, ``dynamics_models.loss_bd``) and finds the common basis ``U`` by
minimising that loss over ``U^-1 M U`` with Adam (``utils/optimize_bd_cob.py``).

    loss = block_diagonalization_loss(M)               # small <=> few connected blocks
    U = simultaneous_block_diagonalization(Ms)         # learn U (d x d)
    blocks = find_blocks(change_basis(Ms, U))          # read the blocks off
"""

from __future__ import annotations

import torch
from torch import nn

__all__ = ["laplacian_tracenorm", "block_diagonalization_loss", "orthogonality_loss",
           "change_basis", "ChangeOfBasis", "simultaneous_block_diagonalization",
           "find_blocks", "off_block_energy"]


def laplacian_tracenorm(A: torch.Tensor) -> torch.Tensor:
    """Nuclear norm of ``D^-1/2 (D - A) D^-1/2`` for adjacency matrices ``A`` (``(..., d, d)``).

    ``D = diag(sum_j A_ij)``; ``1e-10`` is added inside the square root as in the official code.
    """
    deg = A.sum(dim=-1)
    L = torch.diag_embed(deg) - A
    inv_sqrt = torch.diag_embed(1.0 / torch.sqrt(1e-10 + deg))
    return torch.linalg.svdvals(inv_sqrt @ (L @ inv_sqrt)).sum(dim=-1)


def block_diagonalization_loss(M: torch.Tensor, *, alignment: bool = False) -> torch.Tensor:
    """Official ``loss_bd``: Laplacian trace norm of ``|M|^T |M|``, averaged over the batch.

    With ``alignment=True`` the adjacency matrices are averaged first (one shared graph).
    """
    S = M.abs()
    A = S.transpose(-2, -1) @ S
    if alignment:
        return laplacian_tracenorm(A.mean(dim=0))
    return laplacian_tracenorm(A).mean(dim=0)


def orthogonality_loss(M: torch.Tensor) -> torch.Tensor:
    """Official ``loss_orth``: ``mean ||I - M M^T||_F^2`` (logged, never trained on)."""
    eye = torch.eye(M.shape[-1], dtype=M.dtype, device=M.device)
    return ((eye - M @ M.transpose(-2, -1)) ** 2).sum(dim=(-2, -1)).mean()


def change_basis(M: torch.Tensor, U: torch.Tensor) -> torch.Tensor:
    """``U^-1 M U`` for a batch of matrices ``M`` (``(n, d, d)``) and one ``U`` (``(d, d)``)."""
    return torch.linalg.solve(U.expand_as(M), M) @ U


class ChangeOfBasis(nn.Module):
    """A learnable invertible ``U`` (orthogonal init) mapping ``M -> U^-1 M U``."""

    def __init__(self, dim: int, *, generator: torch.Generator | None = None):
        super().__init__()
        self.U = nn.Parameter(torch.empty(dim, dim))
        if generator is None:
            nn.init.orthogonal_(self.U)
        else:
            with torch.no_grad():
                q, r = torch.linalg.qr(torch.randn(dim, dim, generator=generator))
                self.U.copy_(q * torch.sign(torch.diagonal(r)))

    def forward(self, M: torch.Tensor) -> torch.Tensor:
        return change_basis(M, self.U)


def simultaneous_block_diagonalization(Ms: torch.Tensor, *, batch_size: int = 32,
                                       n_epochs: int = 50, lr: float = 0.1,
                                       generator: torch.Generator | None = None
                                       ) -> torch.Tensor:
    """Learn one ``U`` that block-diagonalises all ``Ms`` (``(n, d, d)``) at once.

    Adam (lr 0.1), shuffled mini-batches of 32, 50 epochs, loss = mean Laplacian trace norm
    of ``|U^-1 M U|^T |U^-1 M U|`` (official ``optimize_bd_cob``). Returns ``U`` (detached).
    """
    if Ms.dim() != 3 or Ms.shape[-1] != Ms.shape[-2]:
        raise ValueError(f"Ms must be a batch of square matrices (n, d, d); got {tuple(Ms.shape)}")
    Ms = Ms.detach()
    cob = ChangeOfBasis(Ms.shape[-1], generator=generator).to(Ms.device, Ms.dtype)
    opt = torch.optim.Adam(cob.parameters(), lr=lr)
    with torch.enable_grad():
        for _ in range(n_epochs):
            order = torch.randperm(Ms.shape[0], generator=generator).to(Ms.device)
            for start in range(0, Ms.shape[0], batch_size):
                nM = cob(Ms[order[start:start + batch_size]]).abs()
                loss = laplacian_tracenorm(nM.transpose(-2, -1) @ nM).mean()
                opt.zero_grad()
                loss.backward()
                opt.step()
    return cob.U.detach().clone()


def _affinity(Ms: torch.Tensor) -> torch.Tensor:
    """Mean ``|M|^T |M|`` normalised to a unit maximum off-diagonal entry."""
    S = Ms.abs()
    A = (S.transpose(-2, -1) @ S).mean(dim=0)
    A = A + A.T
    off = A - torch.diag_embed(torch.diagonal(A))
    return off / off.max().clamp_min(1e-12)


def find_blocks(Ms: torch.Tensor, *, threshold: float = 0.05) -> list[list[int]]:
    """Connected components of the coordinate graph with edges where the normalised mean
    affinity ``|M|^T|M|`` exceeds ``threshold``; each component is one block (sorted lists).

    (The official notebooks read blocks off by eye; this makes the step reproducible.)
    """
    A = _affinity(Ms) > threshold
    d = A.shape[0]
    seen, blocks = set(), []
    for start in range(d):
        if start in seen:
            continue
        stack, comp = [start], []
        seen.add(start)
        while stack:
            i = stack.pop()
            comp.append(i)
            for j in torch.nonzero(A[i]).flatten().tolist():
                if j not in seen:
                    seen.add(j)
                    stack.append(j)
        blocks.append(sorted(comp))
    return sorted(blocks, key=lambda b: b[0])


def off_block_energy(Ms: torch.Tensor, blocks: list[list[int]]) -> torch.Tensor:
    """Fraction of ``sum |M_ij|^2`` outside the given diagonal blocks, averaged over ``Ms``."""
    d = Ms.shape[-1]
    mask = torch.zeros(d, d, dtype=torch.bool, device=Ms.device)
    for b in blocks:
        idx = torch.tensor(b, device=Ms.device)
        mask[idx[:, None], idx] = True
    energy = (Ms ** 2)
    return (energy.masked_fill(mask, 0).sum(dim=(-2, -1)) / energy.sum(dim=(-2, -1)).clamp_min(1e-12)).mean()

"""The latent-variable data of lasso-type contrastive learning (arXiv:2210.07413): known factor
blocks, a random invertible mixing, and augmentation families over overlapping block subsets.

Generative model (the paper's setting as its abstract states it, after von Kugelgen et al. 2021):

    c = (c_1, ..., c_M),  c_m ~ N(0, I_{d_m})           factor blocks, independent
    x = g(c)                                             g invertible: an MLP of invertible
                                                         layers, or one matrix (the linear control)
    A_k moves the blocks S_k only                        K augmentation families, S_k overlapping
    positive pair (x, x~) = (g(c), g(c~)),   c~ = c + scale * eps * [m in S_k] + jitter * eps'

"The latent space is decomposed into the intersections of the invariant subspaces of each
augmentation and their complements" [abstract]: a block's *pattern* is the set of families that
move it, and blocks with one pattern form one *component* (identified up to mixing within it).
The default, ``BLOCKS = (2, 2, 2, 2)`` with ``FAMILIES = ((0, 1), (1, 2), (2, 3), (3, 0))``, gives
every block its own pattern (block m is moved by families m - 1 and m): each family moves two
blocks, each pair of neighbouring families meets in one block, so only the intersections tell
the blocks apart. Every block moves in half of the pairs, so the differences of positive pairs
have the same covariance in every direction: a rotation-invariant similarity (cosine, squared
Euclidean) has nothing to split them by, the lasso metric has their group sparsity.

Choices where the abstract is silent (README, "Choices"): a moved block is perturbed,
``c + scale * eps`` (scale 0.5 against the prior's 1), not resampled, so that every block is
shared by some positive pairs; every block also gets a small ``jitter`` (0.05) in every pair, so
that no coordinate is exactly shared (an exactly invariant block lets InfoNCE reach zero loss by
stretching that block alone; in our runs the encoder then copied it into every learned block).
``LatentModel(families=((1, 3), (2, 3)))`` is the content/style layout (block 0 invariant to all).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["BLOCKS", "FAMILIES", "LatentModel", "LinearMixing", "MLPMixing", "PairDataset", "make_mixing"]

BLOCKS = (2, 2, 2, 2)
FAMILIES = ((0, 1), (1, 2), (2, 3), (3, 0))
MIXINGS = ("mlp", "linear")


def _well_conditioned(n: int, generator: torch.Generator, max_cond: float = 4.0) -> torch.Tensor:
    """A random ``n x n`` matrix with condition number <= ``max_cond`` (orthogonal Q times singular
    values spread in [1, max_cond], times orthogonal Q'), scaled to unit mean singular value."""
    q1, _ = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    q2, _ = torch.linalg.qr(torch.randn(n, n, generator=generator, dtype=torch.float64))
    s = torch.linspace(1.0, max_cond, n, dtype=torch.float64)
    s = s[torch.randperm(n, generator=generator)]
    return (q1 * (s / s.mean())) @ q2.T


class LinearMixing(nn.Module):
    """``x = c A^T``, ``A`` a random well-conditioned square matrix (the linear control)."""

    def __init__(self, dim: int, *, seed: int = 0):
        super().__init__()
        g = torch.Generator().manual_seed(seed)
        self.register_buffer("A", _well_conditioned(dim, g).float())

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return c @ self.A.T

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return torch.linalg.solve(self.A, x.T).T


class MLPMixing(nn.Module):
    """An invertible MLP: ``layers`` x (well-conditioned square matrix, then leaky ReLU with slope
    ``slope``), the last layer linear. Every layer is a bijection of R^dim, so the whole map is
    (Zimmermann et al. 2021 and von Kugelgen et al. 2021 use this construction)."""

    def __init__(self, dim: int, *, layers: int = 3, slope: float = 0.2, seed: int = 0):
        super().__init__()
        if not 0 < slope <= 1:
            raise ValueError(f"slope must be in (0, 1] for the leaky ReLU to be invertible, got {slope}")
        g = torch.Generator().manual_seed(seed)
        self.slope = slope
        self.register_buffer("weights", torch.stack([_well_conditioned(dim, g) for _ in range(layers)]).float())

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        x = c
        for i, w in enumerate(self.weights):
            x = x @ w.T
            if i < len(self.weights) - 1:
                x = torch.nn.functional.leaky_relu(x, self.slope)
        return x

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        for i in reversed(range(len(self.weights))):
            if i < len(self.weights) - 1:
                x = torch.where(x >= 0, x, x / self.slope)
            x = torch.linalg.solve(self.weights[i], x.T).T
        return x


class Standardized(nn.Module):
    """``g`` followed by the affine map that gives each observed coordinate mean 0 and variance 1
    under the prior (measured once on 20,000 fixed latents): still invertible, and the encoder
    sees inputs of unit scale whatever the mixing."""

    def __init__(self, g: nn.Module, dim: int):
        super().__init__()
        self.g = g
        with torch.no_grad():
            x = g(torch.randn(20_000, dim, generator=torch.Generator().manual_seed(12345)))
        self.register_buffer("mean", x.mean(0))
        self.register_buffer("std", x.std(0))

    def forward(self, c: torch.Tensor) -> torch.Tensor:
        return (self.g(c) - self.mean) / self.std

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return self.g.inverse(x * self.std + self.mean)


def make_mixing(kind: str, dim: int, *, seed: int = 0) -> nn.Module:
    """``"mlp"`` (invertible MLP, 3 layers) or ``"linear"`` (one matrix), drawn from ``seed``, standardized."""
    if kind == "mlp":
        return Standardized(MLPMixing(dim, seed=seed), dim)
    if kind == "linear":
        return Standardized(LinearMixing(dim, seed=seed), dim)
    raise ValueError(f"mixing must be one of {MIXINGS}, got {kind!r}")


@dataclass(frozen=True)
class LatentModel:
    """Factor blocks, augmentation families and the mixing of the synthetic data.

    Args:
        blocks: the size of each factor block.
        families: for each augmentation family, the blocks it moves (indices into ``blocks``).
        mixing: ``"mlp"`` or ``"linear"``.
        scale: standard deviation of the perturbation of a moved block (the prior's is 1).
        jitter: standard deviation of the perturbation of every coordinate in every pair.
        mixing_seed: seed of the random mixing (one fixed function per task).
    """

    blocks: tuple[int, ...] = BLOCKS
    families: tuple[tuple[int, ...], ...] = FAMILIES
    mixing: str = "mlp"
    scale: float = 0.5
    jitter: float = 0.05
    mixing_seed: int = 0

    def __post_init__(self):
        if not self.blocks or any(int(b) < 1 for b in self.blocks):
            raise ValueError(f"blocks must be positive block sizes, got {self.blocks!r}")
        if not self.families or any(not f for f in self.families):
            raise ValueError(f"families must be non-empty lists of block indices, got {self.families!r}")
        bad = sorted({m for f in self.families for m in f if not 0 <= m < len(self.blocks)})
        if bad:
            raise ValueError(f"families name blocks {bad}, but there are only {len(self.blocks)} blocks "
                             f"(indices 0..{len(self.blocks) - 1})")
        if not (self.scale > 0 and self.jitter >= 0):
            raise ValueError(f"scale must be > 0 and jitter >= 0, got scale={self.scale}, jitter={self.jitter}")
        if self.mixing not in MIXINGS:
            raise ValueError(f"mixing must be one of {MIXINGS}, got {self.mixing!r}")

    @property
    def dim(self) -> int:
        return sum(self.blocks)

    def block_slices(self) -> list[slice]:
        starts = [0, *torch.tensor(self.blocks).cumsum(0).tolist()]
        return [slice(a, b) for a, b in zip(starts[:-1], starts[1:])]

    def patterns(self) -> list[frozenset[int]]:
        """For each block, the set of families that move it (its pattern of (in)variance)."""
        return [frozenset(k for k, f in enumerate(self.families) if m in f) for m in range(len(self.blocks))]

    def components(self) -> list[tuple[int, ...]]:
        """The invariance-adapted components: groups of blocks with one pattern, in block order."""
        groups: dict[frozenset[int], list[int]] = {}
        for m, p in enumerate(self.patterns()):
            groups.setdefault(p, []).append(m)
        return [tuple(g) for g in groups.values()]

    def component_dims(self) -> list[list[int]]:
        """The latent coordinates of each component."""
        sl = self.block_slices()
        return [[i for m in comp for i in range(sl[m].start, sl[m].stop)] for comp in self.components()]

    def mixing_function(self) -> nn.Module:
        return make_mixing(self.mixing, self.dim, seed=self.mixing_seed)

    def family_masks(self) -> torch.Tensor:
        """``[K, dim]`` bool: which latent coordinates family k moves."""
        mask = torch.zeros(len(self.families), self.dim, dtype=torch.bool)
        for k, fam in enumerate(self.families):
            for m in fam:
                mask[k, self.block_slices()[m]] = True
        return mask

    def sample(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` latents ``[n, dim]`` from the prior N(0, I)."""
        return torch.randn(n, self.dim, generator=generator)

    def augment(self, c: torch.Tensor, family: torch.Tensor | int, generator: torch.Generator) -> torch.Tensor:
        """The positive partner of each latent: family ``family[i]`` moves its blocks of ``c[i]``.

        ``family`` is one index, ``[n]`` indices, or ``[n, K]`` bool (a subset of families applied
        together: the union of their blocks moves).
        """
        family = torch.as_tensor(family)
        masks = self.family_masks()
        if family.dtype == torch.bool:
            moved = (family.float() @ masks.float()) > 0
        else:
            moved = masks[family.expand(len(c))]
        eps = torch.randn(c.shape, generator=generator)
        jitter = self.jitter * torch.randn(c.shape, generator=generator)
        return torch.where(moved, c + self.scale * eps, c) + jitter


class PairDataset(torch.utils.data.Dataset):
    """``n`` positive pairs ``(x, x~, family)`` drawn once from ``seed``: ``x = g(c)``, ``x~ = g(c~)``.

    ``positives``: ``"one"`` (one family per pair, uniformly) or ``"subset"`` (each family applied
    with probability 1/2, independently, at least one).
    """

    def __init__(self, latent: LatentModel, n: int, *, seed: int, positives: str = "one"):
        if positives not in ("one", "subset"):
            raise ValueError(f"positives must be 'one' or 'subset', got {positives!r}")
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        g = torch.Generator().manual_seed(seed)
        K = len(latent.families)
        self.c = latent.sample(n, g)
        if positives == "one":
            self.family = torch.randint(0, K, (n,), generator=g)
            fam = self.family
        else:
            fam = torch.rand(n, K, generator=g) < 0.5
            none = ~fam.any(1)
            fam[none, torch.randint(0, K, (int(none.sum()),), generator=g)] = True
            self.family = fam
        self.c2 = latent.augment(self.c, fam, g)
        with torch.no_grad():
            mix = latent.mixing_function()
            self.x, self.x2 = mix(self.c), mix(self.c2)

    def __len__(self) -> int:
        return len(self.c)

    def __getitem__(self, i: int):
        """``(x, x~, family)``: the family index (``"one"``) or the ``[K]`` bool subset (``"subset"``)."""
        return self.x[i], self.x2[i], self.family[i]

"""Time ``zoo_core.ops.apply_representation`` at GTA's shapes: the PyTorch reference (eager, and
``torch.compile``d), a naive version that materialises each token's whole block-diagonal D x D
matrix and einsums it (how the official GTA code applies rho), and the Triton kernel on CUDA.

    python benchmarks/ops_representation.py [--runs 20] [--warmup 3] [--device cpu|cuda] [--threads N] [--no-compile]

Shapes (one apply: q, k, v or o; blocks per token, shared by the heads):
CLEVR-TR GTA: B=8, 6 heads, 600 tokens, head dim 64 = se3 32 (8 4x4) + so2 32 (16 2x2).
MSN-Hard GTA: B=8, 8 heads, 1280 tokens, head dim 96 = se3 48 (12 4x4) + so3 24 (3 copies of the
3x3 and 5x5 Wigner-D) + so2 24 (12 2x2).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from zoo_core.ops.bench import bench_op, bench_parser, format_table, start_bench
from zoo_core.ops.representation import OP
from zoo_core.ops.representation.reference import segment_flags, segment_size


def dense_einsum(x: torch.Tensor, *segments: int | torch.Tensor, transpose: bool | Sequence[bool] = False) -> torch.Tensor:
    """The naive baseline: build every token's D x D block-diagonal matrix, then einsum it with x."""
    tensors = [s for s in segments if isinstance(s, torch.Tensor)]
    lead = torch.broadcast_shapes(*(s.shape[:-4] for s in tensors))
    T, D = x.shape[-2], x.shape[-1]
    M = x.new_zeros(*lead, T, D, D)
    c = 0
    for s, flag in zip(segments, segment_flags(transpose, len(segments))):
        n = segment_size(s)
        if isinstance(s, torch.Tensor):
            K, b = s.shape[-3], s.shape[-1]
            part = M[..., c:c + n, c:c + n].unflatten(-1, (K, b)).unflatten(-3, (K, b))   # [..., K, b, K, b]
            part.diagonal(dim1=-4, dim2=-2).copy_((s.mT if flag else s).expand(*lead, T, K, b, b).movedim(-3, -1))
        else:
            M[..., list(range(c, c + n)), list(range(c, c + n))] = 1.0
        c += n
    return torch.einsum("...tij,...tj->...ti", M, x)


def cases() -> dict:
    """label -> zero-argument factory of (x, *segments) on the CPU."""
    B = 8

    def blocks(T: int, K: int, b: int) -> torch.Tensor:
        return torch.randn(B, 1, T, K, b, b)

    def clevr():
        T = 600
        return torch.randn(B, 6, T, 64), blocks(T, 8, 4), blocks(T, 16, 2)

    def msn():
        T = 1280
        D1, D2 = blocks(T, 1, 3), blocks(T, 1, 5)
        return torch.randn(B, 8, T, 96), blocks(T, 12, 4), D1, D2, D1, D2, D1, D2, blocks(T, 12, 2)

    return {"CLEVR-TR x[8,6,600,64] se3 32 + so2 32": clevr,
            "MSN x[8,8,1280,96] se3 48 + so3 24 + so2 24": msn}


def main() -> None:
    args = bench_parser(__doc__.splitlines()[0]).parse_args()
    options = start_bench(args, "apply_representation")
    for make in cases().values():   # the baseline computes the same thing
        a = make()
        torch.testing.assert_close(dense_einsum(*a), OP.reference(*a), atol=1e-4, rtol=1e-4)
    print(format_table(bench_op(OP, cases(), baselines={"dense einsum (naive)": dense_einsum}, **options)))


if __name__ == "__main__":
    main()

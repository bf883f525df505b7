"""Time ``zoo_core.ops.rotate_blocks``: PyTorch reference eager vs ``torch.compile`` on the CPU,
and the Triton kernel on CUDA when a GPU is present. Prints one Markdown table of medians and
speed-ups over the eager reference.

    python benchmarks/ops_rotation.py [--runs 20] [--warmup 3] [--device cpu|cuda] [--threads N] [--no-compile] [--big]

Shapes follow the ops' users: GTA (R shared over batch and heads, b = 2 and 3), AKOrN
(one 2x2 block per channel pair, R shared over tokens) and NFT (R per sample and token).
"""

from __future__ import annotations

import torch

from zoo_core.ops.bench import bench_op, bench_parser, format_table, start_bench
from zoo_core.ops.rotate_blocks import OP


def cases(scale: int) -> dict:
    """label -> zero-argument factory of (x, R) on the CPU; ``scale`` multiplies the batch."""
    B, H, T = 4 * scale, 4, 256
    return {
        f"GTA b=2 x[{B},{H},{T},64] R[{T},32,2,2]": lambda: (torch.randn(B, H, T, 64), torch.randn(T, 32, 2, 2)),
        f"GTA b=3 x[{B},{H},{T},48] R[{T},16,3,3]": lambda: (torch.randn(B, H, T, 48), torch.randn(T, 16, 3, 3)),
        f"AKOrN b=2 x[{B},1024,128] R[1,64,2,2]": lambda: (torch.randn(B, 1024, 128), torch.randn(1, 64, 2, 2)),
        f"NFT b=2 x[{8 * B},16,32] R[{8 * B},16,16,2,2]": lambda: (torch.randn(8 * B, 16, 32), torch.randn(8 * B, 16, 16, 2, 2)),
    }


def main() -> None:
    parser = bench_parser(__doc__.splitlines()[0])
    parser.add_argument("--big", action="store_true", help="4x larger batches")
    args = parser.parse_args()
    options = start_bench(args, "rotate_blocks")
    print(format_table(bench_op(OP, cases(4 if args.big else 1), **options)))


if __name__ == "__main__":
    main()

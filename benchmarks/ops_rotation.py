"""Time ``zoo_core.ops.rotate_blocks``: PyTorch reference eager vs ``torch.compile`` on the CPU,
and the Triton kernel on CUDA when a GPU is present. Prints one Markdown table of medians and
speed-ups over the eager reference.

    python benchmarks/ops_rotation.py [--runs 20] [--warmup 3] [--device cpu|cuda] [--threads N] [--no-compile] [--big]

Shapes follow the ops' users: GTA (R shared over batch and heads, b = 2 and 3), AKOrN
(one 2x2 block per channel pair, R shared over tokens) and NFT (R per sample and token).
"""

from __future__ import annotations

import argparse
import platform

import torch

from zoo_core.ops.bench import bench_op, format_table
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
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--device", default=None, help="cpu or cuda (default: cuda if available)")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--big", action="store_true", help="4x larger batches")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rows = bench_op(OP, cases(4 if args.big else 1), device=args.device, compile=not args.no_compile,
                    warmup=args.warmup, runs=args.runs)
    print(f"rotate_blocks | torch {torch.__version__} | {platform.processor() or platform.machine()} | "
          f"threads {torch.get_num_threads()} | median of {args.runs} runs after {args.warmup} warmup")
    print(format_table(rows))


if __name__ == "__main__":
    main()

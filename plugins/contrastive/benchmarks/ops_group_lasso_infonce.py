"""Time ``zoo_contrastive.ops.group_lasso_infonce``: PyTorch reference eager vs ``torch.compile``
on the CPU, and the Triton kernel on CUDA when a GPU is present; and the peak memory of the
reference's ``[B, B, D]`` differences against the kernel's ``[B, B]``. Prints one Markdown table
of medians and speed-ups over the eager reference (forward, and forward + backward).

    python benchmarks/ops_group_lasso_infonce.py [--runs 20] [--warmup 3] [--device cpu|cuda] [--threads N] [--no-compile]

Shapes: the lasso-synthetic training batch (B 256, 4 blocks of 2) and larger batches/embeddings.
"""

from __future__ import annotations

import torch

from zoo_core.ops.bench import bench_op, bench_parser, format_table, start_bench

from zoo_contrastive.ops.group_lasso_infonce import OP

CASES = {
    "lasso-synthetic B=256 D=8 (4x2)": lambda: (torch.randn(256, 8), torch.randn(256, 8)),
    "B=1024 D=64 (8x8)": lambda: (torch.randn(1024, 64), torch.randn(1024, 64)),
    "B=4096 D=128 (16x8)": lambda: (torch.randn(4096, 128), torch.randn(4096, 128)),
}
BLOCKS = {"lasso-synthetic B=256 D=8 (4x2)": 4, "B=1024 D=64 (8x8)": 8, "B=4096 D=128 (16x8)": 16}


def main() -> None:
    args = bench_parser(__doc__.splitlines()[0]).parse_args()
    options = start_bench(args, "group_lasso_infonce")
    for label, make in CASES.items():
        B, D = make()[0].shape
        print(f"{label}: reference differences {B * B * D * 4 / 2**20:.1f} MiB, kernel distances {B * B * 4 / 2**20:.2f} MiB")
        print(format_table(bench_op(OP, {label: make}, **options, kwargs={"n_blocks": BLOCKS[label], "temperature": 0.5})))


if __name__ == "__main__":
    main()

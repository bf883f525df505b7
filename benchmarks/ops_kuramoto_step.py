"""Time ``zoo_akorn.ops.kuramoto_step``: PyTorch reference eager vs ``torch.compile`` on the CPU,
and the Triton kernel on CUDA when a GPU is present. Prints one Markdown table of medians and
speed-ups over the eager reference (forward, and forward + backward through x and y).

    python benchmarks/ops_kuramoto_step.py [--runs 20] [--warmup 3] [--device cpu|cuda] [--threads N] [--no-compile]

Shapes are those of one step in the official configurations: object discovery (Omega as the
identity, the ``use_omega=False`` quirk) and Sudoku (one global natural frequency).
"""

from __future__ import annotations

import torch

from zoo_akorn.ops.kuramoto_step import OP
from zoo_core.ops.bench import bench_op, bench_parser, format_table, start_bench


def unit(shape: tuple[int, ...], n: int) -> torch.Tensor:
    """Random oscillators of ``n`` channels on the unit sphere."""
    return torch.nn.functional.normalize(torch.randn(shape).unflatten(-1, (-1, n)), dim=-1).flatten(-2)


GROUPS = {
    # label: (keyword settings, {case: factory of (x, y)})
    "object discovery (Omega = identity)": (dict(n=4, gamma=torch.ones(1), omega_identity=True), {
        "tetrominoes x[32,64,128]": lambda: (unit((32, 64, 128), 4), torch.randn(32, 64, 128)),
        "clevrtex x[4,256,256]": lambda: (unit((4, 256, 256), 4), torch.randn(4, 256, 256)),
    }),
    "sudoku (global Omega 0.5)": (dict(n=4, gamma=torch.ones(1), omega=torch.full((256,), 0.5)), {
        "sudoku x[16,81,512]": lambda: (unit((16, 81, 512), 4), torch.randn(16, 81, 512)),
    }),
}


def main() -> None:
    args = bench_parser(__doc__.splitlines()[0]).parse_args()
    options = start_bench(args, "kuramoto_step")
    for label, (settings, cases) in GROUPS.items():
        shown = {k: (f"tensor{list(v.shape)}" if isinstance(v, torch.Tensor) else v) for k, v in settings.items()}
        print(f"\n{label}, {shown}\n")
        print(format_table(bench_op(OP, cases, **options, kwargs=settings)))


if __name__ == "__main__":
    main()

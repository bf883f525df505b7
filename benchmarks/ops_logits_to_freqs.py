"""Time ``logits_to_freqs`` (zoo-nmsc's decode hot path step): reference vs the Triton kernel.

    python benchmarks/ops_logits_to_freqs.py [--rows 18432 73728] [--q 7]

Rows = symbols of one group; 18,432 and 73,728 are the latents of a 768x512 image at
c_list (0, 0, 4, 32) and (0, 8, 16, 32). On a machine without CUDA only the reference is
timed (the kernel's correctness is tested under TRITON_INTERPRET=1, whose speed means nothing).
"""

from __future__ import annotations

import argparse
import statistics

import torch

from zoo_core.ops.bench import time_call
from zoo_nmsc.ops.logits_to_freqs import logits_to_freqs


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--rows", type=int, nargs="+", default=[18432, 73728])
    p.add_argument("--q", type=int, default=7)
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    devices = ["cpu"] + (["cuda"] if torch.cuda.is_available() else [])
    for device in devices:
        for rows in args.rows:
            x = torch.randn(rows, args.q, device=device) * 3
            impls = ["reference"] + (["triton"] if device == "cuda" else [])
            cells = []
            for impl in impls:
                t = statistics.median(time_call(lambda: logits_to_freqs(x, impl=impl), device=device))
                cells.append(f"{impl} {1e3 * t:.3f} ms")
            soft = statistics.median(time_call(lambda: torch.softmax(x, -1), device=device))
            print(f"{device} rows {rows} q {args.q}: " + ", ".join(cells) + f" (float softmax alone {1e3 * soft:.3f} ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

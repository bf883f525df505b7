"""Time multiview-scenes generation: ms per scene (sample, cameras, render), CPU time and wall.

CPU time is the steadier number on a shared machine; the fastest of ``--repeat`` passes is
reported. Run with one thread.

    OMP_NUM_THREADS=1 python packages/scenes/examples/speed.py [--scenes 30 --repeat 3]
"""

from __future__ import annotations

import argparse
import time

from zoo_scenes import MultiViewScenes

CASES = [  # (label, settings)
    ("5 views x 32 px, 3..10 objects", dict(views=5, size=32)),
    ("5 views x 64 px, 3..10 objects", dict(views=5, size=64)),
    ("1 view x 128 px, 10 objects", dict(views=1, size=128, objects=(10, 10))),
    ("1 view x 128 px, 10 objects, 2x2 supersampling", dict(views=1, size=128, objects=(10, 10), supersample=2)),
    ("1 view x 128 px, 10 objects, textured, 2x2", dict(views=1, size=128, objects=(10, 10), supersample=2, textured=True)),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3, help="passes; the fastest is reported")
    args = parser.parse_args()
    for label, settings in CASES:
        ds = MultiViewScenes("train", args.scenes, seed=0, **settings)
        ds[0]  # warm up
        cpu, wall = [], []
        for _ in range(args.repeat):
            w, c = time.perf_counter(), time.process_time()
            for i in range(len(ds)):
                ds[i]
            wall.append((time.perf_counter() - w) / len(ds) * 1000)
            cpu.append((time.process_time() - c) / len(ds) * 1000)
        print(f"{label:52s} {min(cpu):7.1f} ms/scene CPU  {min(wall):7.1f} ms wall")


if __name__ == "__main__":
    main()

"""Where the time of an SSDRL training step goes, and the candidate loop against one batch.

    python benchmarks/ssdrl_step_profile.py [--ch 64 --size 28 --batch 64]

Profiles one step (clean forward, WRM on the labelled batch, ``sswrm_loss`` over all 10
candidates, backward) with ``torch.profiler`` and prints the operators by self CPU time;
then the CPU time (1 thread, median) of the step with the candidates batched in one
``[K * B]`` pass against the official Python loop over candidates, and of Fast-SSDRL.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from zoo_ssdrl.attacks import batch_stats
from zoo_ssdrl.losses import sswrm_loss, wrm_loss
from zoo_ssdrl.models import MNISTClassifier


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ch", type=int, default=64)
    ap.add_argument("--size", type=int, default=28)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--reps", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MNISTClassifier(ch=args.ch, example_size=args.size).train()
    x = torch.rand(args.batch, 1, args.size, args.size) * 2 - 1
    y = torch.randint(0, 10, (args.batch,))
    x_ul = torch.rand(args.batch, 1, args.size, args.size) * 2 - 1

    def step(batched=True, max_classes=None):
        model(x)
        with batch_stats(model):
            loss = wrm_loss(model, x, y, gamma=0.5) + sswrm_loss(model, x_ul, gamma=0.5, max_classes=max_classes,
                                                                batched=batched)
        model.zero_grad()
        loss.backward()

    step()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=12))

    def timed(**kw):
        ts = []
        for _ in range(args.reps):
            t = time.process_time()
            step(**kw)
            ts.append(time.process_time() - t)
        return statistics.median(ts)

    batched, loop, fast = timed(batched=True), timed(batched=False), timed(max_classes=1)
    print(f"MNISTClassifier(ch={args.ch}) {args.size}x{args.size}, batch {args.batch} + {args.batch}, 5 attack steps")
    print(f"SSDRL step, candidates batched : {batched * 1e3:8.1f} ms")
    print(f"SSDRL step, loop over classes  : {loop * 1e3:8.1f} ms  (batched is {loop / batched:.2f}x faster)")
    print(f"Fast-SSDRL step                : {fast * 1e3:8.1f} ms  ({fast / batched:.2f} of SSDRL)")


if __name__ == "__main__":
    main()

"""Watch a running ``zoo train sngan-projection-fontdigits32 --save-every 250`` and, at every new
checkpoint, print how far the conditional GAN uses its label (the table in zoo-sngan's README;
output of the published run in ``benchmarks/sngan_fontdigits_watch.txt``):

    zoo train sngan-projection-fontdigits32 --out runs/sngan-projection-fontdigits32 --save-every 250 &
    OMP_NUM_THREADS=1 python benchmarks/sngan_watch_checkpoints.py runs/sngan-projection-fontdigits32

* ``class_acc``: the fontdigits32 classifier's accuracy on 500 eval-mode samples (50 per class, seed 0);
* ``maxsoftmax``: its mean top probability on them;
* ``D_cls_acc``: the discriminator as a classifier, ``argmax_k D(x, k)`` on 500 real test digits;
* ``gamma_spread``: per CBN layer, the mean over channels of the std over classes of gamma.

Stops when the run has written its final weights.
"""

import sys
import time
from pathlib import Path

import torch


def main() -> None:
    run = Path(sys.argv[1])
    torch.set_num_threads(1)
    import zoo
    from zoo_sngan.fontdigits import font_digits32_tensors
    from zoo_sngan.task import FontDigitsGeneration

    net = FontDigitsGeneration().feature_net()
    x, y = font_digits32_tensors("test")
    x, y = x[:500], y[:500]
    ckpt, seen = run / "checkpoints" / "last.pt", set()
    while not (run / "generator.safetensors").exists():
        try:
            state = torch.load(ckpt, weights_only=True, map_location="cpu")  # as zoo train --resume reads it
        except (FileNotFoundError, EOFError, RuntimeError):
            time.sleep(5)
            continue
        if state["step"] not in seen:
            seen.add(state["step"])
            gan = zoo.create("sngan-projection-fontdigits32")
            gan.load_state_dict(state["model"])
            gan.eval()
            with torch.no_grad():
                labels = torch.arange(500) % 10
                p = net.classify(gan.sample(500, labels, generator=torch.Generator().manual_seed(0))).softmax(-1)
                d = torch.stack([gan.discriminator(x, torch.full_like(y, k)).squeeze(-1) for k in range(10)], 1)
                spread = [round(m.gammas.std(0).mean().item(), 3) for m in gan.generator.modules() if hasattr(m, "gammas")]
            print(f"step {state['step']} class_acc {(p.argmax(-1) == labels).float().mean():.3f} "
                  f"maxsoftmax {p.max(-1).values.mean():.3f} D_cls_acc {(d.argmax(1) == y).float().mean():.3f} "
                  f"gamma_spread {spread}", flush=True)
        time.sleep(20)


if __name__ == "__main__":
    main()

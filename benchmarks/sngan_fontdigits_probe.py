"""Early check of a class-conditional SN-GAN on fontdigits32: does class accuracy rise?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/sngan_fontdigits_probe.py \
        '{"g": [64, 64, 32, 16], "d": [32, 64, 64], "ds": [true, true, true], "bs": 32,
          "ndis": 1, "lr": 0.0003, "betas": [0.5, 0.999], "it": 600, "every": 100}'

Trains with ``zoo_sngan.recipes.train_sngan`` (the official update order; constant lr) and
every ``every`` iterations prints the class accuracy of 500 eval-mode samples (50 per class,
seed 0) under the fontdigits32 task's classifier, and the last losses. ``"save": PATH``
writes the state dict there at each print.
"""

import json
import sys
import time

import torch


def main() -> None:
    cfg = json.loads(sys.argv[1])
    torch.set_num_threads(cfg.get("threads", 1))
    from zoo_sngan.fontdigits import font_digits32_tensors
    from zoo_sngan.models import SNGAN
    from zoo_sngan.recipes import train_sngan
    from zoo_sngan.task import FontDigitsGeneration

    net = FontDigitsGeneration().feature_net()
    x, y = font_digits32_tensors("train")
    gan = SNGAN(n_classes=10, generator={"channels": cfg["g"]},
                discriminator={"channels": cfg["d"], "downsample": cfg["ds"]})
    t0 = time.time()

    def report(it, rec):
        if (it + 1) % cfg.get("every", 100):
            return
        gan.eval()
        with torch.no_grad():
            labels = torch.arange(500) % 10
            s = gan.sample(500, labels, generator=torch.Generator().manual_seed(0))
            acc = (net.classify(s).argmax(-1) == labels).float().mean().item()
        gan.train()
        print(f"it {it + 1} t {time.time() - t0:.0f}s class_accuracy {acc:.3f} "
              f"loss_g {rec['loss_g']:.3f} loss_d {rec['loss_d']:.3f}", flush=True)
        if "save" in cfg:
            torch.save(gan.state_dict(), cfg["save"])

    train_sngan(gan, x, y, iterations=cfg["it"], batch_size=cfg["bs"], n_gen_samples=cfg.get("ng", cfg["bs"]),
                n_dis=cfg["ndis"], lr=cfg.get("lr", 2e-4), betas=tuple(cfg.get("betas", (0.0, 0.9))),
                decay_start=cfg.get("decay"), seed=0, callback=report)


if __name__ == "__main__":
    main()

"""``zoo train nmsc-*``: the paper's two training stages in one seeded run (official train_*.py).

Steps ``[0, lossy_steps)``: the lossy autoencoder on ``1 - MS-SSIM`` only (no rate term;
the context model is untouched). Steps ``[lossy_steps, steps)``: the context model on bits
per latent symbol, the autoencoder frozen (eval mode: running BatchNorm statistics, no
gradient). Adam (official: Chainer's defaults, alpha 1e-3), the learning rate of each stage
decayed linearly to 0 over its last quarter, as the official trainer does over its run.
``mse_weight`` > 0 (not in the paper: 0 is the paper's loss) adds ``mse_weight * MSE`` to
stage 1's loss: on a budget of a few hundred CPU steps, 1 - MS-SSIM alone from scratch gives
grey images (MS-SSIM sees channel means only at its coarsest scale; measured here: MS-SSIM
0.40 and a grey checkerboard after 240 steps); CompressAI likewise starts its MS-SSIM
models from MSE ones. Stage 1 trains on ``lossy_crop`` sub-crops of the data (MS-SSIM with five scales, as the
official loss, needs more than 160 px), stage 2 on the full crops (the coder's coarse levels
need large maps).
"""

from __future__ import annotations

import torch

from zoo_core.train import Phase, Recipe
from zoo_nmsc.data import TRAIN_PHOTOS, PhotoCrops
from zoo_nmsc.metrics import ms_ssim


def _stage_factor(step: int, start: int, length: int) -> float:
    """1 for the first 3/4 of a stage, then linearly down to 0 at its end."""
    t = (step - start) / max(length, 1)
    return 1.0 if t < 0.75 else max(0.0, (1 - t) / 0.25)


def nmsc(*, config: dict, steps: int, lossy_steps: int, batch_size: int, lr: float = 1e-3,
         crop: int = 256, lossy_crop: int = 192, mse_weight: float = 0.0) -> Recipe:
    if not 0 < lossy_steps < steps:
        raise ValueError(f"lossy_steps must lie between 0 and steps ({steps}), got {lossy_steps}")

    def loss(model, batch, step):
        x = batch
        if step < lossy_steps:  # stage 1: the autoencoder
            g = torch.Generator().manual_seed(step)
            y0, x0 = (int(torch.randint(crop - lossy_crop + 1, (1,), generator=g)) for _ in range(2))
            x = x[..., y0:y0 + lossy_crop, x0:x0 + lossy_crop]
            x_hat = model.decode(model.encode(x))
            score = ms_ssim(x_hat, x)
            mse = torch.mean((x_hat - x) ** 2)
            return 1 - score + mse_weight * mse, {"ms_ssim": score.detach(), "mse": mse.detach()}
        model.analyzer.eval(), model.synthesizer.eval()  # stage 2: the coder, the AE frozen
        with torch.no_grad():
            zs = model.encode(x)
        n_symbols = sum(z[0].numel() for z in zs)
        bits = model.context_model.bits(zs).mean()
        return bits / n_symbols, {"bpp": bits.detach() / (x.shape[-1] * x.shape[-2])}

    def schedule(opt):
        length2 = steps - lossy_steps
        return torch.optim.lr_scheduler.LambdaLR(opt, lambda s: _stage_factor(s, 0, lossy_steps) if s < lossy_steps
                                                 else _stage_factor(s, lossy_steps, length2))

    phase = Phase("main", loss, lambda params: torch.optim.Adam(params, lr=lr), scheduler=schedule)
    names = ", ".join(p.partition(":")[2] for p in TRAIN_PHOTOS)
    return Recipe(dataset=lambda seed: PhotoCrops(crop=crop, seed=seed), phases=[phase], steps=steps,
                  batch_size=batch_size,
                  data=f"{crop}x{crop} random crops (and flips) of the photos scikit-image and scikit-learn ship "
                       f"({names}); stage 1 on {lossy_crop}x{lossy_crop} sub-crops",
                  card=f"Two stages in one run: steps 1-{lossy_steps} the autoencoder on 1 - MS-SSIM "
                       + (f"+ {mse_weight} * MSE (a term not in the paper, for the short budget) " if mse_weight else "") + 
                       f"(5 scales, pytorch-msssim), steps {lossy_steps + 1}-{steps} the context "
                       "model on bits per symbol with the autoencoder frozen.")

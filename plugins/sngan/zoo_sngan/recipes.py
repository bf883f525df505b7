"""Training recipes: the official SN-GAN update loop (``updater.py``, ``train.py``).

Per iteration (= one generator update), for ``i`` in ``0..n_dis-1``:

1. if ``i == 0``: one **generator** update on ``n_gen_samples`` fresh fakes
   (``L_G = -mean D(G(z), y_f)`` for the hinge loss);
2. one **discriminator** update on a real batch and an equal-size batch of detached fakes
   (``L_D = mean relu(1 - D(x, y)) + mean relu(1 + D(G(z), y_f))``).

Adam (lr 2e-4, betas (0, 0.9), eps 1e-8) for both nets; the learning rate decays linearly
to 0 between ``decay_start`` and ``iterations`` (Chainer ``LinearShift``). Both nets stay
in training mode (batch statistics in G; one power step per D forward). Fake labels are drawn
uniformly. The official data pipeline adds U(0, 1/128) dequantization noise to 8-bit
images; :func:`train_sngan` takes the images as given (``dequantize`` adds it).

Example (a few iterations of a tiny model)::

    >>> from zoo_sngan.models import SNGAN
    >>> from zoo_sngan.data import digits32_tensors
    >>> gan = SNGAN(n_classes=10, generator={"channels": [8, 8, 8, 8]},
    ...             discriminator={"channels": [8, 8, 8, 8],
    ...                            "downsample": [True, True, False, False]})
    >>> x, y = digits32_tensors("train")
    >>> hist = train_sngan(gan, x, y, iterations=2, batch_size=8, n_dis=2, seed=0)
    >>> sorted(hist)
    ['loss_d', 'loss_g', 'lr']
"""

from __future__ import annotations

from typing import Callable, Iterator

import torch
from torch import Tensor

from zoo_core.train import Phase, Recipe
from zoo_sngan.losses import LOSSES
from zoo_sngan.models.sngan import SNGAN

__all__ = ["train_sngan", "sngan_recipe", "linear_decay"]


_SHIPPED = {
    "digits32": "scikit-learn digits, train split (1,437 images), bilinear upsampled to 32x32, "
                "grey replicated to RGB, in [-1, 1]",
    "fontdigits32": "fontdigits32 train split: 12,000 digits rendered from 17 matplotlib fonts with "
                    "random affine distortions (zoo_sngan.fontdigits), 32x32, grey replicated to "
                    "RGB, in [-1, 1]",
}


def linear_decay(iteration: int, *, decay_start: int | None, iterations: int) -> float:
    """Multiplier of the base learning rate at ``iteration`` (Chainer ``LinearShift``)."""
    if decay_start is None or iteration <= decay_start:
        return 1.0
    return max(0.0, 1.0 - (iteration - decay_start) / max(1, iterations - decay_start))


def _batches(n: int, batch_size: int, generator: torch.Generator) -> Iterator[Tensor]:
    """Endless shuffled index batches of ``batch_size`` that run on across epoch boundaries
    (as Chainer's ``SerialIterator``; a new permutation per epoch)."""
    order, pos = torch.randperm(n, generator=generator), 0
    while True:
        take, count = [], 0
        while count < batch_size:
            if pos == n:
                order, pos = torch.randperm(n, generator=generator), 0
            k = min(batch_size - count, n - pos)
            take.append(order[pos:pos + k])
            pos, count = pos + k, count + k
        yield torch.cat(take)


def train_sngan(model: SNGAN, images: Tensor, labels: Tensor | None = None, *,
                iterations: int, batch_size: int = 64, n_gen_samples: int | None = None,
                n_dis: int = 5, lr: float = 2e-4, betas: tuple[float, float] = (0.0, 0.9),
                loss: str = "hinge", decay_start: int | None = 0, dequantize: bool = False,
                seed: int = 0, device: str | torch.device = "cpu", log_every: int = 0,
                callback: Callable[[int, dict], None] | None = None) -> dict[str, list[float]]:
    """Train ``model`` in place with the official SN-GAN procedure.

    Args:
        model: the :class:`SNGAN` to train.
        images: real images ``(N, 3, S, S)`` in [-1, 1].
        labels: ``(N,)`` class labels (required iff the model is conditional).
        iterations: generator updates.
        batch_size: real (and fake) batch of each D update.
        n_gen_samples: fakes per G update (default ``2 * batch_size`` as the CIFAR configs).
        n_dis: D updates per G update.
        lr, betas: Adam hyper-parameters.
        loss: ``"hinge"`` or ``"dcgan"``.
        decay_start: iteration where the linear decay to 0 starts (None: constant lr).
        dequantize: add U(0, 1/128) noise to real batches (for 8-bit data).
        seed: seeds latents, labels, batch order and dequantization noise.
        device: where to train.
        log_every: print losses every this many iterations (0: silent).
        callback: called as ``callback(iteration, record)`` after every iteration.

    Returns:
        History with one entry per iteration: ``loss_g``, ``loss_d`` (mean over the D
        updates of that iteration) and ``lr``.

    Raises:
        ValueError: inconsistent labels, unknown loss, non-positive sizes.
    """
    if loss not in LOSSES:
        raise ValueError(f"Unknown loss {loss!r}; use one of {sorted(LOSSES)}")
    if iterations < 1 or batch_size < 1 or n_dis < 1:
        raise ValueError("iterations, batch_size and n_dis must be positive")
    if (labels is None) != (model.n_classes == 0):
        raise ValueError(f"Labels must be given iff the model is conditional "
                         f"(n_classes={model.n_classes})")
    d_loss_fn, g_loss_fn = LOSSES[loss]
    n_gen_samples = n_gen_samples or 2 * batch_size
    device = torch.device(device)
    model.to(device).train()
    gen, dis = model.generator, model.discriminator
    rng = torch.Generator(device="cpu").manual_seed(seed)
    opt_g = torch.optim.Adam(gen.parameters(), lr=lr, betas=betas, eps=1e-8)
    opt_d = torch.optim.Adam(dis.parameters(), lr=lr, betas=betas, eps=1e-8)
    batches = _batches(images.shape[0], batch_size, rng)

    def fakes(n: int) -> tuple[Tensor, Tensor | None]:
        z = model.sample_latents(n, generator=rng) if device.type == "cpu" else \
            model.sample_latents(n, generator=None)
        y = model.sample_labels(n, generator=rng if device.type == "cpu" else None)
        return gen(z, y), y

    history: dict[str, list[float]] = {"loss_g": [], "loss_d": [], "lr": []}
    for it in range(iterations):
        scale = linear_decay(it, decay_start=decay_start, iterations=iterations)
        for opt in (opt_g, opt_d):
            for group in opt.param_groups:
                group["lr"] = lr * scale
        d_losses = []
        for i in range(n_dis):
            if i == 0:
                x_fake, y_fake = fakes(n_gen_samples)
                loss_g = g_loss_fn(dis(x_fake, y_fake))
                opt_g.zero_grad(set_to_none=True)
                loss_g.backward()
                opt_g.step()
            idx = next(batches)
            x_real = images[idx].to(device)
            if dequantize:
                x_real = x_real + torch.rand(x_real.shape, generator=rng).to(device) / 128
            y_real = labels[idx].to(device) if labels is not None else None
            with torch.no_grad():
                x_fake, y_fake = fakes(len(idx))
            loss_d = d_loss_fn(dis(x_real, y_real), dis(x_fake, y_fake))
            opt_d.zero_grad(set_to_none=True)
            loss_d.backward()
            opt_d.step()
            d_losses.append(float(loss_d.detach()))
        record = {"loss_g": float(loss_g.detach()), "loss_d": sum(d_losses) / len(d_losses), "lr": lr * scale}
        for k, v in record.items():
            history[k].append(v)
        if log_every and (it + 1) % log_every == 0:
            print(f"iter {it + 1}/{iterations}  loss_g {record['loss_g']:.4f}  "
                  f"loss_d {record['loss_d']:.4f}  lr {record['lr']:.2e}", flush=True)
        if callback is not None:
            callback(it, record)
    return history


def sngan_recipe(*, config: dict, steps: int, batch_size: int, lr: float = 2e-4,
                 n_dis: int = 5, betas: tuple[float, float] = (0.0, 0.9),
                 n_gen_samples: int | None = None, loss: str = "hinge",
                 decay_start: int | None = 0, dataset: str = "digits32") -> Recipe:
    """The official SN-GAN recipe as a ``zoo train`` :class:`~zoo_core.train.Recipe`.

    Two phases per step: ``discriminator`` (``repeat=n_dis``; each repeat one real batch
    and an equal-size batch of detached fakes, Eq. hinge ``L_D``) then ``generator``
    (``n_gen_samples`` fresh fakes, default ``2 * batch_size``; ``L_G = -mean D(G(z))``).
    Adam (``lr``, ``betas``, eps 1e-8) for each net, learning rate decayed linearly to 0
    from ``decay_start`` to ``steps`` (Chainer ``LinearShift``). Latents and fake labels
    come from torch's global generator, which ``zoo train`` seeds and checkpoints.

    The official updater does the G update *before* the ``n_dis`` D updates of an
    iteration; here it comes after them (the core runs phases in order). Over a run this
    only moves one G update from the first iteration to the last.

    Args:
        config: the model config (used to know whether the model is conditional).
        steps: generator updates. batch_size: real batch of each D update.
        lr, betas, n_dis, n_gen_samples, loss, decay_start: as :func:`train_sngan`.
        dataset: ``"digits32"`` (shipped with the plugin, the default), ``"fontdigits32"``
            (digits rendered from matplotlib's fonts, :mod:`zoo_sngan.fontdigits`) or a paper dataset read
            from the user's copy (``--data``): ``cifar10``, ``stl10``, ``imagenet128``,
            ``imagenet64``, ``dogcat64``, ``dogcat128``, ``dogcat256``
            (:data:`zoo_sngan.paper_task.TRAIN_SETS`; the official dequantised input).

    Raises:
        ValueError: unknown loss or dataset, non-positive sizes.
    """
    from zoo_sngan.paper_task import TRAIN_SETS

    if loss not in LOSSES:
        raise ValueError(f"Unknown loss {loss!r}; use one of {sorted(LOSSES)}")
    if dataset not in _SHIPPED and dataset not in TRAIN_SETS:
        raise ValueError(f"Unknown training set {dataset!r}; use one of {sorted(_SHIPPED)} or "
                         f"{sorted(TRAIN_SETS)}")
    if steps < 1 or batch_size < 1 or n_dis < 1:
        raise ValueError("steps, batch_size and n_dis must be positive")
    d_loss_fn, g_loss_fn = LOSSES[loss]
    conditional = int(config.get("n_classes", 0)) > 0
    n_gen = int(n_gen_samples or 2 * batch_size)
    betas = (float(betas[0]), float(betas[1]))

    def fakes(model: SNGAN, n: int) -> tuple[Tensor, Tensor | None]:
        z = model.sample_latents(n)
        y = model.sample_labels(n)
        return model.generator(z, y), y

    def d_loss(model: SNGAN, batch, step: int):
        x_real, y_real = batch
        with torch.no_grad():
            x_fake, y_fake = fakes(model, x_real.shape[0])
        dis = model.discriminator
        loss_d = d_loss_fn(dis(x_real, y_real if conditional else None), dis(x_fake, y_fake))
        return loss_d, {}

    def g_loss(model: SNGAN, batch, step: int):
        x_fake, y_fake = fakes(model, n_gen)
        return g_loss_fn(model.discriminator(x_fake, y_fake)), {}

    def adam(params):
        return torch.optim.Adam(params, lr=lr, betas=betas, eps=1e-8)

    def decay(optimizer):
        return torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda it: linear_decay(it, decay_start=decay_start, iterations=steps))

    phases = [
        Phase("discriminator", d_loss, adam, parameters=lambda m: m.discriminator.parameters(),
              repeat=int(n_dis), scheduler=decay),
        Phase("generator", g_loss, adam, parameters=lambda m: m.generator.parameters(),
              scheduler=decay),
    ]

    def data(seed: int):
        if dataset in TRAIN_SETS:
            return TRAIN_SETS[dataset]().dataset("train")
        if dataset == "fontdigits32":
            from zoo_sngan.fontdigits import font_digits32

            return font_digits32("train")
        from zoo_sngan.data import digits32

        return digits32("train")

    official = (float(lr), betas, int(n_dis), loss) == (2e-4, (0.0, 0.9), 5, "hinge")
    schedule = "constant learning rate" if decay_start is None else \
        f"lr decayed linearly to 0 from step {decay_start}"
    card = (f"SN-GAN training ({'the official CIFAR settings' if official else 'official procedure, other settings'}): "
            f"{loss} loss, Adam lr {lr} betas {betas}, n_dis {n_dis}, "
            f"batch {batch_size} real / {n_gen} fake per G update, {schedule}.")
    about = (f"{TRAIN_SETS[dataset].__doc__.splitlines()[0]} From the user's local copy; "
             "x / 128 - 1 plus U(0, 1/128) noise as the official code" if dataset in TRAIN_SETS else
             _SHIPPED[dataset])
    return Recipe(dataset=data, phases=phases, steps=int(steps), batch_size=int(batch_size),
                  data=about, card=card)

"""Contrastive learning with a trainable augmentation channel (arXiv:2111.07679), and its fixed-crop baseline.

The paper (abstract and introduction; no code was released) treats the representation as the
output of a stochastic channel ``Z = f(T(X))`` whose augmentation ``T ~ q_phi(T | X)`` is
trainable and data dependent, and maximises the InfoMax objective ``I(X; Z)`` jointly over the
encoder ``f`` and ``q_phi``, estimated contrastively. Here:

* ``T`` is a square crop ``(cx, cy, s)`` resampled to ``view x view`` pixels (zoo_contrastive.crops);
* ``q_phi`` (``CropNet``) gives per canvas a Gaussian over the crop centre and over the logit of the
  side, reparameterised (``T = mu + sigma * eps``) so both ``f`` and ``q_phi`` get pathwise gradients;
* the InfoMax estimate is InfoNCE between two independent draws ``f(T1 x)``, ``f(T2 x)`` of one
  canvas, the other canvases of the batch as negatives: ``I(X; Z) >= log B - L_InfoNCE``
  (van den Oord et al. 2018); positives of independent draws are what the paper's channel view
  gives (two uses of the same channel on the same input);
* the anti-collapse term is the entropy of q_phi, ``- beta * H(q_phi(T | x))`` in the loss, plus a
  floor ``sigma_min`` on its standard deviations. Without it the InfoNCE is maximised by a
  deterministic channel: two identical draws make every pair trivially distinguishable, so
  q_phi shrinks to a point mass (a trivial channel) and f learns no invariance. (The paper only
  says q_phi is trained; this term is this port's choice, see the README.)

The baseline (``channel="fixed"``) draws crops uniformly (side uniform in the same range, centre
uniform inside the canvas), whatever the canvas shows: the fixed augmentation the paper says
destroys the digit and collapses the representation.

The representation of a canvas is ``E_T f(T x)`` estimated with ``eval_draws`` draws from the
model's own channel (a fixed seed, so ``forward`` is deterministic).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.interfaces import Model
from zoo_contrastive.canvas import check_canvases
from zoo_contrastive.crops import crop, uniform_boxes

CHANNELS = ("learned", "fixed")

__all__ = ["CHANNELS", "CropNet", "Encoder", "TACModel", "info_nce"]


def info_nce(z1: torch.Tensor, z2: torch.Tensor, temperature: float) -> torch.Tensor:
    """Symmetric InfoNCE of positive pairs ``(z1_i, z2_i)`` against the batch's other rows (cosine / temperature).

    ``log B - info_nce`` is the InfoNCE lower bound on the mutual information of the two views.
    """
    z1, z2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    logits = z1 @ z2.T / temperature
    labels = torch.arange(len(z1), device=z1.device)
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.T, labels))


class CropNet(nn.Module):
    """q_phi(T | x): per canvas a Gaussian over the crop centre (2-D) and the side's logit.

    The mean centre is a spatial soft-argmax of a small conv net's heat map (the expected grid
    position under its softmax); the scale mean and both standard deviations come from its
    pooled features. Side ``s = lo + (hi - lo) sigmoid(a)``, so crops stay within the scale bounds.
    """

    def __init__(self, *, canvas: int, width: int, scale: tuple[float, float], sigma_min: float, sigma_init: float,
                 sigma_max: float, heat_gain: float):
        super().__init__()
        self.scale, self.sigma_min = scale, sigma_min
        self.features = nn.Sequential(nn.AvgPool2d(2), nn.Conv2d(1, width, 3, padding=1), nn.ReLU(),
                                      nn.Conv2d(width, width, 3, stride=2, padding=1), nn.ReLU())
        self.heat = nn.Conv2d(width, 1, 1)
        # learnable inverse temperature of the soft-argmax, started high so the heat map can
        # concentrate on a few cells early (at gain 1 the mean centre barely left the middle)
        self.log_gain = nn.Parameter(torch.tensor(math.log(heat_gain)))
        self.head = nn.Linear(width, 3)   # scale logit mean, log-sigma raw (centre), log-sigma raw (scale)
        nn.init.zeros_(self.head.weight)
        if not 0 < sigma_min < sigma_init < sigma_max:
            raise ValueError(f"need 0 < sigma_min < sigma_init < sigma_max, got {sigma_min}, {sigma_init}, {sigma_max}")
        self.sigma_max = sigma_max
        u = (sigma_init - sigma_min) / (sigma_max - sigma_min)
        raw = math.log(u / (1 - u))
        with torch.no_grad():
            self.head.bias.copy_(torch.tensor([0.0, raw, raw]))
        m = (canvas // 2 + 1) // 2     # heat-map side (avg-pool 2, then a stride-2 conv)
        grid = (torch.arange(m, dtype=torch.float32) * 2 + 1) / m - 1   # cell centres in [-1, 1]
        self.register_buffer("grid", grid, persistent=False)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``mean [B, 3]`` (cx, cy, a) and ``sigma [B, 3]`` of the Gaussian over ``(cx, cy, a)``."""
        h = self.features(x)
        p = (self.heat(h).flatten(1) * self.log_gain.exp()).softmax(1).view(-1, h.shape[-2], h.shape[-1])
        cx = (p.sum(1) * self.grid).sum(1)
        cy = (p.sum(2) * self.grid).sum(1)
        a_mean, raw_c, raw_s = self.head(h.mean((2, 3))).unbind(1)
        sigma = self.sigma_min + (self.sigma_max - self.sigma_min) * torch.sigmoid(torch.stack([raw_c, raw_c, raw_s], 1))
        return torch.stack([cx, cy, a_mean], 1), sigma

    def side(self, a: torch.Tensor) -> torch.Tensor:
        lo, hi = self.scale
        return lo + (hi - lo) * torch.sigmoid(a)


class Encoder(nn.Module):
    """f: a small conv net over ``view x view`` crops -> representation ``[B, dim]`` (BatchNorm when ``norm``).

    ``padding="circular"`` with the global average pooling makes f nearly invariant to where a
    digit sits inside the view (tried: it learned more slowly, see the README); default zeros.
    """

    def __init__(self, *, width: int, dim: int, norm: bool = True, padding: str = "zeros"):
        super().__init__()

        def block(i, o):
            return [nn.Conv2d(i, o, 3, stride=2, padding=1, padding_mode=padding, bias=not norm), *([nn.BatchNorm2d(o)] if norm else []),
                    nn.ReLU()]

        self.net = nn.Sequential(*block(1, width), *block(width, 2 * width), *block(2 * width, dim),
                                 nn.AdaptiveAvgPool2d(1), nn.Flatten())

    def forward(self, views: torch.Tensor) -> torch.Tensor:
        return self.net(views)


class TACModel(Model):
    """Encoder + augmentation channel; ``forward(canvases)`` gives the representation ``[B, dim]``.

    Args:
        channel: ``"learned"`` (the trainable channel q_phi) or ``"fixed"`` (uniform random crops).
        canvas: canvas side in pixels (input ``[B, 1, canvas, canvas]``).
        view: side of the resampled crop the encoder sees.
        scale_min, scale_max: bounds of the crop side, as fractions of the canvas side.
        width, dim, proj_dim: encoder width, representation size, projection-head output size.
        crop_width: width of q_phi's conv net.
        temperature: InfoNCE temperature.
        entropy_weight: beta of the anti-collapse term ``- beta H(q_phi)`` (learned channel only).
        sigma_min, sigma_init, sigma_max: floor, initial value and ceiling of q_phi's standard deviations.
        heat_gain: initial inverse temperature of q_phi's soft-argmax (learned).
        padding: the encoder's conv padding mode (``"circular"`` or ``"zeros"``).
        eval_draws: draws of T averaged in ``forward``.
    """

    def __init__(self, *, channel: str = "learned", canvas: int = 64, view: int = 32, scale_min: float = 0.25,
                 scale_max: float = 0.5, width: int = 16, dim: int = 64, proj_dim: int = 32, crop_width: int = 8,
                 temperature: float = 0.1, entropy_weight: float = 0.1, sigma_min: float = 0.1,
                 sigma_init: float = 0.2, sigma_max: float = 0.5, heat_gain: float = 10.0,
                 padding: str = "zeros", eval_draws: int = 8):
        super().__init__()
        if channel not in CHANNELS:
            raise ValueError(f"channel must be one of {CHANNELS}, got {channel!r}")
        if not 0 < scale_min <= scale_max <= 1:
            raise ValueError(f"need 0 < scale_min <= scale_max <= 1, got {scale_min}, {scale_max}")
        self.channel, self.canvas, self.view = channel, canvas, view
        self.scale = (scale_min, scale_max)
        self.temperature, self.entropy_weight, self.eval_draws = temperature, entropy_weight, eval_draws
        self.encoder = Encoder(width=width, dim=dim, padding=padding)
        self.head = nn.Sequential(nn.Linear(dim, dim), nn.ReLU(), nn.Linear(dim, proj_dim))
        self.q = (CropNet(canvas=canvas, width=crop_width, scale=self.scale, sigma_min=sigma_min,
                          sigma_init=sigma_init, sigma_max=sigma_max, heat_gain=heat_gain) if channel == "learned" else None)

    # --- the channel -------------------------------------------------------------------------
    def sample_boxes(self, x: torch.Tensor, *, generator: torch.Generator | None = None,
                     draws: int = 1) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``draws`` crop boxes per canvas, ``[draws, B, 3]``, and q_phi's entropy per canvas ``[B]``
        (None for the fixed channel). Reparameterised: the boxes carry gradients to q_phi."""
        n = x.shape[0]
        if self.q is None:
            boxes = uniform_boxes(draws * n, self.scale, generator=generator, device=x.device)
            return boxes.view(draws, n, 3), None
        mean, sigma = self.q(x)
        eps = torch.randn(draws, n, 3, generator=generator, device=x.device)
        t = mean + sigma * eps
        boxes = torch.stack([t[..., 0], t[..., 1], self.q.side(t[..., 2])], -1)
        # entropy of the Gaussian over (cx, cy, a): sum log sigma + 3/2 log(2 pi e)
        entropy = sigma.log().sum(1) + 1.5 * math.log(2 * math.pi * math.e)
        return boxes, entropy

    def mean_boxes(self, x: torch.Tensor) -> torch.Tensor | None:
        """q_phi's mean crop per canvas ``[B, 3]`` (None for the fixed channel)."""
        if self.q is None:
            return None
        mean, _ = self.q(x)
        return torch.stack([mean[:, 0], mean[:, 1], self.q.side(mean[:, 2])], 1)

    def views(self, x: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
        """Crops ``[draws, B, 1, view, view]`` of ``x`` at ``boxes [draws, B, 3]``."""
        d, n = boxes.shape[:2]
        return crop(x.repeat(d, 1, 1, 1), boxes.reshape(d * n, 3), self.view).view(d, n, *x.shape[1:2],
                                                                                   self.view, self.view)

    # --- training objective ------------------------------------------------------------------
    def loss(self, x: torch.Tensor, *, generator: torch.Generator | None = None) -> tuple[torch.Tensor, dict]:
        """InfoNCE between two independent draws, minus ``entropy_weight`` times q_phi's entropy."""
        check_canvases(x, self.canvas)
        boxes, entropy = self.sample_boxes(x, generator=generator, draws=2)
        v = self.views(x, boxes)
        z = self.head(self.encoder(v.flatten(0, 1))).view(2, x.shape[0], -1)
        nce = info_nce(z[0], z[1], self.temperature)
        logs = {"infonce": nce.detach(), "mi_bound": math.log(x.shape[0]) - nce.detach(),
                "side": boxes[..., 2].mean().detach()}
        if entropy is None:
            return nce, logs
        logs["entropy"] = entropy.mean().detach()
        return nce - self.entropy_weight * entropy.mean(), logs

    # --- representation ----------------------------------------------------------------------
    def encode(self, x: torch.Tensor, *, draws: int | None = None, seed: int = 0) -> torch.Tensor:
        """``E_T f(T x)`` over ``draws`` (default ``eval_draws``) seeded draws of the channel: ``[B, dim]``."""
        check_canvases(x, self.canvas)
        g = torch.Generator(device=x.device).manual_seed(seed)
        boxes, _ = self.sample_boxes(x, generator=g, draws=draws or self.eval_draws)
        v = self.views(x, boxes)
        return self.encoder(v.flatten(0, 1)).view(boxes.shape[0], x.shape[0], -1).mean(0)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)

    def example_inputs(self, batch_size: int = 2):
        from zoo_contrastive.canvas import DigitsCanvas

        return (DigitsCanvas("test", canvas=self.canvas).tensors(batch_size)[0],)

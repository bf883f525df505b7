"""Sequential digits: procedural MSP training data from scikit-learn's bundled 8x8 digits.

The official Sequential MNIST (``datasets/seq_mnist.py``) needs an MNIST download; here the
same transformation laws are applied to the 1,797 digits that ship with scikit-learn, so the
data exist offline. The datasets are therefore named *sequential digits*, not MNIST.

Per sequence (official laws; ``U`` = uniform, ``t = 0..T-1``):

* base image: the 8x8 digit (values 0..16 -> [0, 1]) upsampled bilinearly to 24x24 and
  zero-padded to 32x32 (the official code resizes MNIST 28 -> 24 and pads the same way);
* rotation: ``angle_t = 0.5 a t^2 + v t + angle_0``, ``angle_0 ~ U[0, 2 pi)``,
  ``v ~ pi U[angle_velocity]``, ``a ~ pi U[angle_accl]``;
* hue: ``h_t = (0.5 a t^2 + v t + h_0) mod 1``, ``h_0 ~ U[0, 1)``, ``v ~ 0.5 U[color_velocity]``,
  ``a ~ 0.5 U[color_accl]``; the grey frame is multiplied by ``HSV(h_t, 1, 1)``;
* translation: ``p_t = 0.5 a t^2 + v t + p_0`` with ``p_0, p_1 ~ U[max_pos]^2``,
  ``v = (p_1 - p_0) / (max_T - 1)`` (so the speed depends on ``max_T``: 9 for training, ``T``
  for evaluation, as officially), ``a ~ U[max_trans_accl]^2``;
* the warp is the official perspective matrix ``get_RTmat(0, 0, angle, 32, 32, dx, dy)``
  (which also rescales by ``f / (1 + f)``, ``f = 16 sqrt(2) / sin(angle)``, a quirk kept
  here), applied like ``cv2.warpPerspective`` with bilinear sampling and zero border.

``SequentialDigits`` (rotation + hue + translation, ``T = 3``) and
``accelerated_sequential_digits`` (``T = 10``, small velocities plus accelerations, no
translation) mirror the official ``mnist`` and ``mnist_accl`` configs; all digits are used
(the official MNIST configs keep only the digit 4). Splits: ``"test"`` = digits whose index
is a multiple of 5 (360 images), ``"train"`` = the other 1,437.

Example::

    >>> from zoo_msp.data import SequentialDigits
    >>> ds = SequentialDigits(split="train", T=3)
    >>> ds[0].shape                       # one sequence (T, C, H, W), deterministic per index
    torch.Size([3, 3, 32, 32])
    >>> import torch
    >>> ds.sample(4, generator=torch.Generator().manual_seed(0)).shape   # a fresh batch
    torch.Size([4, 3, 3, 32, 32])
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import torch
import torch.nn.functional as F

__all__ = ["SequentialDigits", "accelerated_sequential_digits", "TransformParams",
           "perspective_matrix", "hsv_to_rgb", "digit_images"]

SIZE = 32


@lru_cache(maxsize=1)
def _all_digits() -> tuple[torch.Tensor, torch.Tensor]:
    from sklearn.datasets import load_digits

    d = load_digits()
    images = torch.tensor(d.images, dtype=torch.float32) / 16.0  # (1797, 8, 8) in [0, 1]
    up = F.interpolate(images[:, None], size=(24, 24), mode="bilinear", align_corners=False)
    return F.pad(up.clamp(0, 1), (4, 4, 4, 4))[:, 0], torch.tensor(d.target)


def digit_images(split: str, *, only_digit: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Base 32x32 grey images ``(n, 32, 32)`` in [0, 1] and their labels for ``split``.

    Raises:
        ValueError: unknown split or digit.
    """
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")
    images, labels = _all_digits()
    idx = torch.arange(len(labels))
    keep = (idx % 5 == 0) if split == "test" else (idx % 5 != 0)
    if only_digit is not None:
        if only_digit not in range(10):
            raise ValueError(f"only_digit must be in 0..9, got {only_digit!r}")
        keep &= labels == only_digit
    return images[keep], labels[keep]


def perspective_matrix(angle: torch.Tensor, dx: torch.Tensor, dy: torch.Tensor,
                       size: int = SIZE) -> torch.Tensor:
    """The official ``get_RTmat(0, 0, angle, size, size, dx, dy)`` for a batch: ``(n, 3, 3)``.

    Maps source pixel coordinates to destination ones: centre, rotate about z by ``angle``,
    translate by ``(dx, dy, f)``, project with focal length ``f = d / (2 sin angle)``
    (``d`` = image diagonal; ``f = d`` when ``sin angle == 0``).
    """
    angle, dx, dy = (v.to(torch.float64) for v in (angle, dx, dy))
    n, w = angle.shape[0], float(size)
    d = math.sqrt(2.0) * w
    s, c = torch.sin(angle), torch.cos(angle)
    f = d / torch.where(s != 0, 2 * s, torch.ones_like(s))
    A1 = torch.tensor([[1, 0, -w / 2], [0, 1, -w / 2], [0, 0, 1], [0, 0, 1]], dtype=torch.float64)
    R = torch.zeros(n, 4, 4, dtype=torch.float64)
    R[:, 0, 0], R[:, 0, 1], R[:, 1, 0], R[:, 1, 1] = c, -s, s, c
    R[:, 2, 2] = R[:, 3, 3] = 1
    Tm = torch.eye(4, dtype=torch.float64).repeat(n, 1, 1)
    Tm[:, 0, 3], Tm[:, 1, 3], Tm[:, 2, 3] = dx, dy, f
    A2 = torch.zeros(n, 3, 4, dtype=torch.float64)
    A2[:, 0, 0], A2[:, 1, 1] = f, f
    A2[:, 0, 2] = A2[:, 1, 2] = w / 2
    A2[:, 2, 2] = 1
    return A2 @ Tm @ R @ A1


def warp(images: torch.Tensor, mats: torch.Tensor) -> torch.Tensor:
    """``cv2.warpPerspective``-style warp of ``(n, H, W)`` images by forward maps ``(n, 3, 3)``.

    Destination pixel ``(x, y)`` samples the source at ``mats^-1 (x, y, 1)`` (pixel-centre
    coordinates), bilinearly, with zeros outside.
    """
    n, h, w = images.shape
    inv = torch.linalg.inv(mats)
    ys, xs = torch.meshgrid(torch.arange(h, dtype=torch.float64), torch.arange(w, dtype=torch.float64),
                            indexing="ij")
    pts = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(-1, 3)  # (HW, 3)
    src = pts @ inv.transpose(1, 2)  # (n, HW, 3)
    sx, sy = src[..., 0] / src[..., 2], src[..., 1] / src[..., 2]
    grid = torch.stack([2 * sx / (w - 1) - 1, 2 * sy / (h - 1) - 1], -1).reshape(n, h, w, 2)
    out = F.grid_sample(images[:, None].to(torch.float32), grid.to(torch.float32), mode="bilinear",
                        padding_mode="zeros", align_corners=True)
    return out[:, 0]


def hsv_to_rgb(h: torch.Tensor) -> torch.Tensor:
    """``colorsys.hsv_to_rgb(h, 1, 1)`` for a tensor of hues in [0, 1): returns ``(..., 3)``."""
    i = torch.floor(h * 6.0)
    f = h * 6.0 - i
    i = i.long() % 6
    one, zero, q, t = torch.ones_like(f), torch.zeros_like(f), 1 - f, f
    table = torch.stack([torch.stack([one, t, zero], -1), torch.stack([q, one, zero], -1),
                         torch.stack([zero, one, t], -1), torch.stack([zero, q, one], -1),
                         torch.stack([t, zero, one], -1), torch.stack([one, zero, q], -1)], -2)
    return torch.gather(table, -2, i[..., None, None].expand(*i.shape, 1, 3))[..., 0, :]


@dataclasses.dataclass(frozen=True)
class TransformParams:
    """Per-sequence transformation parameters (each a tensor with one row per sequence)."""

    angle0: torch.Tensor
    angle_v: torch.Tensor
    angle_a: torch.Tensor
    color0: torch.Tensor
    color_v: torch.Tensor
    color_a: torch.Tensor
    pos0: torch.Tensor  # (n, 2)
    pos_v: torch.Tensor  # (n, 2)
    pos_a: torch.Tensor  # (n, 2)


def _uniform(n, lo, hi, g, *shape):
    return lo + (hi - lo) * torch.rand(n, *shape, generator=g, dtype=torch.float64)


class SequentialDigits(torch.utils.data.Dataset):
    """Procedural sequences of transformed scikit-learn digits (see the module docstring).

    Args:
        split: ``"train"`` or ``"test"``.
        T: frames per sequence; max_T: frames the translation velocity is scaled for.
        angle_velocity, angle_accl, color_velocity, color_accl: ``(low, high)`` ratios
            (official ``max_*_ratio``; angles are multiplied by pi, hues by 0.5).
        max_pos: range of start and end positions (pixels); max_trans_accl: translation
            acceleration range.
        active_actions: subset of ``(0, 1, 2)`` = rotation, hue, translation that move.
        only_digit: keep one digit class only (``None`` = all digits).
        images, labels: other base images ``(n, 32, 32)`` in [0, 1] and their labels (e.g. MNIST's,
            ``zoo_msp.paper_data``) instead of the split's scikit-learn digits.
        backgrounds: ``(n_all, 3, 32, 32)`` in [0, 1], or None; as in the official MNIST-bg, the
            pixels of sequence ``i`` whose RGB sum is below 0.3 get background ``i`` added (``i``
            indexes the images kept after ``only_digit``) and the frame is clipped at 1.
        seed: seed of the per-index sequences returned by ``__getitem__``.
        length: number of indexable sequences (default: one per digit image). Index ``i``
            shows digit image ``i mod n_images`` under transformation parameters seeded by
            ``(seed, i)``, so a long ``length`` gives a fresh sequence for every draw of a
            training run, like the official generators that draw new parameters per call.
    """

    def __init__(self, *, split: str = "train", T: int = 3, max_T: int = 9,
                 angle_velocity: tuple[float, float] = (-0.5, 0.5),
                 angle_accl: tuple[float, float] = (0.0, 0.0),
                 color_velocity: tuple[float, float] = (-0.5, 0.5),
                 color_accl: tuple[float, float] = (0.0, 0.0),
                 max_pos: tuple[float, float] = (-10.0, 10.0),
                 max_trans_accl: tuple[float, float] = (0.0, 0.0),
                 active_actions: tuple[int, ...] = (0, 1, 2), only_digit: int | None = None,
                 images: torch.Tensor | None = None, labels: torch.Tensor | None = None,
                 backgrounds: torch.Tensor | None = None, seed: int = 0, length: int | None = None):
        if T < 1 or max_T < 2:
            raise ValueError(f"need T >= 1 and max_T >= 2; got T={T}, max_T={max_T}")
        if length is not None and length < 1:
            raise ValueError(f"length must be a positive number of sequences, got {length}")
        self.split, self.T, self.max_T, self.seed = split, T, max_T, seed
        self.angle_velocity, self.angle_accl = tuple(angle_velocity), tuple(angle_accl)
        self.color_velocity, self.color_accl = tuple(color_velocity), tuple(color_accl)
        self.max_pos, self.max_trans_accl = tuple(max_pos), tuple(max_trans_accl)
        self.active_actions = tuple(active_actions)
        if images is None:
            self.images, self.labels = digit_images(split, only_digit=only_digit)
        else:
            keep = slice(None) if only_digit is None else labels == only_digit
            self.images, self.labels = images[keep], labels[keep]
        if backgrounds is not None and len(backgrounds) < len(self.labels):
            raise ValueError(f"{len(backgrounds)} backgrounds for {len(self.labels)} images")
        self.backgrounds = backgrounds
        self.length = len(self.labels) if length is None else int(length)

    def __len__(self) -> int:
        return self.length

    # -- parameters -------------------------------------------------------------------------
    def draw_params(self, n: int, *, generator: torch.Generator | None = None,
                    shared_transition: bool = False) -> TransformParams:
        """Random parameters for ``n`` sequences; with ``shared_transition`` all sequences share
        velocities and accelerations (initial states still differ), as in the equivariance test."""
        g, m = generator, (1 if shared_transition else n)
        pi = math.pi
        p0 = _uniform(n, *self.max_pos, g, 2)
        pv0, pv1 = _uniform(m, *self.max_pos, g, 2), _uniform(m, *self.max_pos, g, 2)
        params = dict(
            angle0=_uniform(n, 0.0, 2 * pi, g),
            angle_v=pi * _uniform(m, *self.angle_velocity, g),
            angle_a=pi * _uniform(m, *self.angle_accl, g),
            color0=_uniform(n, 0.0, 1.0, g),
            color_v=0.5 * _uniform(m, *self.color_velocity, g),
            color_a=0.5 * _uniform(m, *self.color_accl, g),
            pos0=p0,
            pos_v=(pv1 - pv0) / (self.max_T - 1),
            pos_a=_uniform(m, *self.max_trans_accl, g, 2),
        )
        if shared_transition:
            params = {k: (v.expand(n, *v.shape[1:]) if k in ("angle_v", "angle_a", "color_v",
                                                             "color_a", "pos_v", "pos_a") else v)
                      for k, v in params.items()}
        return TransformParams(**params)

    # -- rendering --------------------------------------------------------------------------
    def render(self, images: torch.Tensor, p: TransformParams,
               backgrounds: torch.Tensor | None = None) -> torch.Tensor:
        """Sequences ``(n, T, 3, 32, 32)`` of the grey ``images`` (``(n, 32, 32)``) under ``p``,
        on ``backgrounds`` (``(n, 3, 32, 32)``) if given."""
        n = images.shape[0]
        t = torch.arange(self.T, dtype=torch.float64)
        def quad(a, v, x0):  # x_t = a t^2 / 2 + v t + x_0
            return 0.5 * a[:, None] * t ** 2 + v[:, None] * t + x0[:, None]

        if 0 in self.active_actions:
            angle = quad(p.angle_a, p.angle_v, p.angle0)
        else:
            angle = p.angle0[:, None].expand(n, self.T)
        if 1 in self.active_actions:
            hue = quad(p.color_a, p.color_v, p.color0) % 1.0
        else:
            hue = p.color0[:, None].expand(n, self.T)
        if 2 in self.active_actions:
            pos = 0.5 * p.pos_a[:, None] * t[:, None] ** 2 + p.pos_v[:, None] * t[:, None] + p.pos0[:, None]
        else:
            pos = p.pos0[:, None].expand(n, self.T, 2)
        mats = perspective_matrix(angle.reshape(-1), pos[..., 0].reshape(-1), pos[..., 1].reshape(-1))
        frames = warp(images.repeat_interleave(self.T, 0), mats)  # (n T, 32, 32)
        rgb = hsv_to_rgb(hue.reshape(-1)).to(torch.float32)  # (n T, 3)
        xs = (frames[:, None] * rgb[:, :, None, None]).reshape(n, self.T, 3, SIZE, SIZE)
        if backgrounds is None:
            return xs
        dark = xs.sum(2, keepdim=True) < 0.3
        return (xs + backgrounds[:, None].to(xs.dtype) * dark).clamp(max=1.0)

    def _backgrounds(self, idx: torch.Tensor) -> torch.Tensor | None:
        return None if self.backgrounds is None else self.backgrounds[idx]

    def sample(self, n: int, *, generator: torch.Generator | None = None,
               shared_transition: bool = False, return_params: bool = False):
        """A fresh batch of ``n`` sequences on random digits of the split: ``(n, T, 3, 32, 32)``."""
        idx = torch.randint(len(self.labels), (n,), generator=generator)
        p = self.draw_params(n, generator=generator, shared_transition=shared_transition)
        xs = self.render(self.images[idx], p, self._backgrounds(idx))
        return (xs, p, self.labels[idx]) if return_params else xs

    def __getitem__(self, i: int) -> torch.Tensor:
        """Sequence ``i`` (deterministic given ``seed`` and ``i``): ``(T, 3, 32, 32)``."""
        if not 0 <= i < len(self):
            raise IndexError(f"index {i} out of range for {len(self)} sequences")
        g = torch.Generator().manual_seed(self.seed * 1_000_003 + i)
        j = i % len(self.labels)
        return self.render(self.images[j:j + 1], self.draw_params(1, generator=g),
                           self._backgrounds(torch.tensor([j])))[0]


def accelerated_sequential_digits(*, split: str = "train", T: int = 10, seed: int = 0,
                                  only_digit: int | None = None, length: int | None = None,
                                  **images) -> SequentialDigits:
    """Accelerated sequential digits (official ``mnist_accl`` laws): ``T = max_T = 10``,
    angle and hue velocity ratios +-0.2, accelerations +-0.025, no translation. ``images``:
    ``images=``/``labels=`` of other base images (see ``SequentialDigits``)."""
    return SequentialDigits(split=split, T=T, max_T=max(T, 2), angle_velocity=(-0.2, 0.2),
                            angle_accl=(-0.025, 0.025), color_velocity=(-0.2, 0.2),
                            color_accl=(-0.025, 0.025), max_pos=(0.0, 0.0),
                            max_trans_accl=(0.0, 0.0), only_digit=only_digit, seed=seed,
                            length=length, **images)

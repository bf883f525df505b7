"""1-D signals on which a shift acts nonlinearly: the official NFT generators' laws.

NFT (Koyama, Fukumizu, Hayashi & Miyato, ICLR 2024, arXiv:2305.18484), Sec. 5.1 / App. of the
1-D experiments. A latent periodic function ``f(s) = sum_k c_k sin(2 pi nu_k s)`` is observed
at the warped times ``s_j = t_j^3`` (``t_j = j / N``); frame ``tau`` of a sequence observes the
latent function shifted by ``tau g``: ``x_tau(t_j) = f(t_j^3 - tau g / 2pi)``. The shift is
linear in the latent coordinate and nonlinear in the observed one.

* ``TimeWarpedSignals``: official ``Shifted_FreqFun_nl`` with ``freq_fix=True`` (the U-NFT
  experiment, ``oned_experiments/configs/NDFT.yml``): ``n_freq`` strong frequencies drawn once
  from ``[0, ceil(N / (5 shift_range)))`` by ``numpy`` seeded with ``freqseed``, plus ``n_small``
  weak ones of total weight ``small_strength``; unit-norm coefficients per sample.
* ``CompressionSignals``: official ``Shifted_FixedFreqFun_nl`` (the NFT-vs-DFT compression
  experiment): the frequencies ``[3, 5, 11, 4, 7]`` (first ``n_freq`` of the official list) and
  additive Gaussian noise of std ``noise`` on every frame.

Random draws follow the official order with ``numpy``'s legacy generator (``RandomState``
equals the official ``np.random.seed`` calls), so the data equal the official ones draw for
draw: frequencies, then coefficients, then one shift ``U[0, pi)`` per block of
``batch_shift`` consecutive samples. Items are ``(xs, g)``: ``xs`` float32 ``(T, N)``, ``g``
the shift (radians, float32 scalar).
"""

from __future__ import annotations

import math

import numpy as np
import torch

__all__ = ["TimeWarpedSignals", "CompressionSignals", "warped_frames", "official_frequencies",
           "COMPRESSION_FREQUENCIES"]

#: official ``freq_all`` of ``Shifted_FixedFreqFun_nl``; the first ``n_freq`` are used
COMPRESSION_FREQUENCIES = (3, 5, 11, 4, 7, 9, 0, 2, 6, 8, 10, 1)


def warped_frames(freqs: np.ndarray, coef: np.ndarray, shift: float, T: int, N: int = 128,
                  pow: float = 3.0) -> np.ndarray:
    """``(T, N)`` float64 frames ``f(t_j^pow - tau shift / 2pi)``, ``f = sum_k coef_k sin(2 pi freqs_k s)``.

    (The official code wraps negative latent times once by +1; with integer frequencies this
    changes nothing, and it is kept.)
    """
    obs = np.arange(N) / N
    lat = obs[None, :] ** pow - np.arange(T)[:, None] * shift / (2 * math.pi)
    lat = lat + (lat < 0)
    return np.sin(2 * np.pi * lat[..., None] * np.asarray(freqs)[None, None, :]) @ np.asarray(coef)


def official_frequencies(freqseed: int = 1, *, n_freq: int = 5, n_small: int = 2, N: int = 128,
                         shift_range: float = 0.4) -> list[int]:
    """The frequencies ``Shifted_FreqFun_nl(freq_fix=True)`` draws (strong ones first, then the
    weak ones): ``np.random.seed(freqseed); randint(0, ceil(N / (5 shift_range)), n)``.
    freqseed 1 gives ``[37, 43, 12, 8, 63, 9, 11]``."""
    high = int(np.ceil(N / (5 * shift_range)))
    return [int(f) for f in np.random.RandomState(freqseed).randint(0, high, n_freq + n_small)]


def _check_positive(**values) -> None:
    for name, v in values.items():
        if not isinstance(v, (int, np.integer)) or v < 1:
            raise ValueError(f"{name} must be a positive integer, got {v!r}")


class _ShiftedSignals(torch.utils.data.Dataset):
    """Items ``(xs (T, N) float32, g float32)``; subclasses set freqs, coefs, shifts."""

    N: int
    T: int
    pow: float
    freqs: np.ndarray
    coefs: np.ndarray
    shifts: np.ndarray

    def __len__(self) -> int:
        return len(self.coefs)

    def frames(self, i: int) -> np.ndarray:
        """Noiseless float64 frames of sample ``i``."""
        return warped_frames(self.freqs, self.coefs[i], float(self.shifts[i]), self.T, self.N, self.pow)

    def _precompute(self, max_values: int = 2 ** 25) -> None:
        """Compute every sample's frames once (float32; chunked) when they fit in ``max_values``."""
        n = len(self.coefs)
        self._xs = None
        if n * self.T * self.N > max_values:
            return
        obs = torch.arange(self.N, dtype=torch.float64) / self.N
        tau = torch.arange(self.T, dtype=torch.float64)[None, :, None]
        shifts = torch.from_numpy(np.asarray(self.shifts, dtype=np.float64).reshape(-1, 1, 1))
        coefs = torch.from_numpy(np.asarray(self.coefs, dtype=np.float64))
        out = torch.empty(n, self.T, self.N)
        for s in range(0, n, 1024):  # torch's vectorised sin: 3x numpy's here
            lt = obs ** self.pow - tau * shifts[s:s + 1024] / (2 * math.pi)
            lt = lt + (lt < 0)
            c = coefs[s:s + 1024]
            out[s:s + 1024] = sum(c[:, k, None, None] * torch.sin(2 * math.pi * float(f) * lt)
                                  for k, f in enumerate(self.freqs)).float()
        self._xs = out

    def clean(self, i: int) -> torch.Tensor:
        """Noiseless float32 frames ``(T, N)`` of sample ``i``."""
        if getattr(self, "_xs", None) is not None:
            return self._xs[i]
        return torch.from_numpy(self.frames(i)).float()

    def __getitem__(self, i: int):
        if not -len(self) <= i < len(self):
            raise IndexError(f"sample {i} out of range for {len(self)} sequences")
        return self.clean(i), torch.tensor(float(self.shifts[i]))

    def tensors(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """The first ``n`` items stacked: ``xs (n, T, N)``, ``g (n,)``."""
        n = len(self) if n is None else min(n, len(self))
        xs = torch.stack([self[i][0] for i in range(n)]) if n else torch.zeros(0, self.T, self.N)
        return xs, torch.as_tensor(self.shifts[:n].reshape(-1), dtype=torch.float32)


def _block_shifts(rs: np.random.RandomState, n: int, block: int, max_shift: float) -> np.ndarray:
    """Official shift draws: one ``U[0, max_shift)`` per block of ``block`` consecutive samples."""
    out = np.empty(n)
    for i in range(n):
        if i % block == 0:
            shift = rs.uniform(0.0, max_shift, size=1)[0]
        out[i] = shift
    return out


class TimeWarpedSignals(_ShiftedSignals):
    """Official ``Shifted_FreqFun_nl`` (``freq_fix=True``), the U-NFT 1-D data.

    Args:
        n_data: sequences (official ``Ndata``, 30000 for training).
        N: sample points; T: frames per sequence.
        freqseed: numpy seed of the frequency draw (official variants 1, 2, 3).
        test: if > 0, the seed of the coefficients and shifts (official ``test``; evaluation
            uses 1, with ``T = 2 + 18``); 0 continues the frequency generator as officially.
        shift_range: frequencies lie in ``[0, ceil(N / (5 shift_range)))``.
        n_freq, n_small, small_strength: strong and weak frequencies, total weak weight.
        batch_shift: samples sharing one shift (official ``batchM_size``).
        max_shift: shifts are ``U[0, max_shift)`` radians; pow: the time warp.
    """

    def __init__(self, *, n_data: int = 30000, N: int = 128, T: int = 3, freqseed: int = 1,
                 test: int = 0, shift_range: float = 0.4, n_freq: int = 5, n_small: int = 2,
                 small_strength: float = 0.2, batch_shift: int = 20, max_shift: float = math.pi,
                 pow: float = 3.0):
        _check_positive(n_data=n_data, N=N, T=T, n_freq=n_freq, batch_shift=batch_shift)
        self.N, self.T, self.pow = N, T, pow
        rs = np.random.RandomState(freqseed)
        high = int(np.ceil(N / (5 * shift_range)))
        self.freqs = rs.randint(0, high, n_freq + n_small)
        self.strong = [int(f) for f in self.freqs[:n_freq]]
        self.weak = [int(f) for f in self.freqs[n_freq:]]
        if test > 0:
            rs = np.random.RandomState(test)
        coefs = np.empty((n_data, n_freq + n_small))
        weak = small_strength / n_small if n_small else 0.0
        for i in range(n_data):
            c = rs.randn(n_freq + n_small)
            c = c / np.linalg.norm(c)
            if n_small:
                c[-n_small:] *= weak
            coefs[i] = c
        self.coefs = coefs
        self.shifts = _block_shifts(rs, n_data, batch_shift, max_shift)
        self._precompute()


class CompressionSignals(_ShiftedSignals):
    """Official ``Shifted_FixedFreqFun_nl``: fixed frequencies, noise on every frame.

    Args:
        n_data: sequences (official 5000 for training and for the test).
        seed: numpy seed of the coefficients and shifts (the official test uses 1234; training
            draws continue the run's global numpy state, the training seed here).
        noise: std of the additive Gaussian noise (official ``ns`` in {0, 0.01, 0.05, 0.1}).
        length: indexable items (default ``n_data``); item ``k`` is sample ``k % n_data`` with
            its own noise draw seeded by ``(seed, k)``, so later epochs see fresh noise as the
            official generator does, reproducibly.
        T, N, n_freq, batch_shift (official ``batchM_size`` 16), max_shift, pow: as above.
    """

    def __init__(self, *, n_data: int = 5000, N: int = 128, T: int = 6, seed: int = 0,
                 noise: float = 0.0, n_freq: int = 5, batch_shift: int = 16,
                 max_shift: float = math.pi, pow: float = 3.0, length: int | None = None):
        _check_positive(n_data=n_data, N=N, T=T, n_freq=n_freq, batch_shift=batch_shift)
        if n_freq > len(COMPRESSION_FREQUENCIES):
            raise ValueError(f"n_freq must be at most {len(COMPRESSION_FREQUENCIES)}, got {n_freq}")
        if not noise >= 0:
            raise ValueError(f"noise must be a non-negative std, got {noise!r}")
        self.N, self.T, self.pow, self.noise, self.seed = N, T, pow, float(noise), seed
        self.n_data = n_data
        self.length = n_data if length is None else int(length)
        self.freqs = np.array(COMPRESSION_FREQUENCIES[:n_freq])
        rs = np.random.RandomState(seed)
        coef = rs.randn(n_data, n_freq)
        self.coefs = coef / np.linalg.norm(coef, axis=1, keepdims=True)
        self.shifts = _block_shifts(rs, n_data, batch_shift, max_shift)
        self._precompute()

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, k: int):
        if not 0 <= k < self.length:
            raise IndexError(f"item {k} out of range for {self.length} items")
        i = k % self.n_data
        x = self.clean(i)
        if self.noise:
            noise = np.random.default_rng((self.seed, k)).standard_normal(x.shape)
            x = x + torch.from_numpy(self.noise * noise).float()
        return x, torch.tensor(float(self.shifts[i]))

    def tensors(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        n = self.n_data if n is None else min(n, self.n_data)
        xs = torch.stack([self[i][0] for i in range(n)]) if n else torch.zeros(0, self.T, self.N)
        return xs, torch.as_tensor(self.shifts[:n], dtype=torch.float32)

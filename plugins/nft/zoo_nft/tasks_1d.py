"""Tasks of the 1-D NFT experiments (procedural signals, official laws; ``zoo_nft.signals``).

* ``sequence-prediction/time-warped-signals-f{1,2,3}`` (U-NFT, official ``write_tf``): test
  sequences regenerated with ``T = 2 + 18`` and fresh coefficients (``test = 1``), 2
  conditioning frames, per-step prediction SSE (sum over the 128 points) for 18 steps, next to
  the zero-signal and copy-last-frame errors; the character spectrum of the fitted ``M*``
  against the true frequencies (``zoo_nft.character``): the top ``n_strong`` frequencies, how
  many of the true strong ones they recover, the spectrum at each true frequency; and the blocks
  found by zoo-msp's simultaneous block diagonalisation with their frequencies.
* ``compression/time-warped-signals`` (official ``neurips_DFT_run_test_ns.py``): 5000 noiseless
  test sequences of ``T = 5`` (numpy seed 1234); the model reconstructs the 4 conditioning
  frames and predicts the fifth; metric = mean per-frame SSE over the 5 frames (official
  ``testing(reconst=True)``), next to the DFT baseline keeping 16 complex coefficients (32
  reals = the g-NFT latent ``dim_a 32 x dim_m 1``) on the first frame.

Evaluations run on one intra-op CPU thread so published numbers reproduce exactly.
"""

from __future__ import annotations

import torch

from zoo_nft.character import block_frequencies, character_spectrum, top_frequencies
from zoo_nft.dft import dft_sse
from zoo_nft.signals import CompressionSignals, TimeWarpedSignals

__all__ = ["TimeWarpTask", "CompressionTask", "TIMEWARP_TASKS"]


def _one_thread(fn):
    def wrapper(self, model, *args, **kwargs):
        threads, was_training = torch.get_num_threads(), model.training
        try:
            torch.set_num_threads(1)
            model.eval()
            with torch.no_grad():
                out = fn(self, model, *args, **kwargs)
        finally:
            torch.set_num_threads(threads)
            model.train(was_training)
        return {k: round(float(v), 4) for k, v in out.items()}
    wrapper.__doc__ = fn.__doc__
    return wrapper


def _limit(n: int, limit: int | None) -> int:
    if limit is None:
        return n
    if not isinstance(limit, int) or limit < 1:
        raise ValueError(f"limit must be a positive number of sequences, got {limit!r}")
    return min(n, limit)


class TimeWarpTask:
    """U-NFT on time-warped 1-D signals whose frequencies come from numpy seed ``freqseed``."""

    freqseed = 1
    T_cond = 2
    n_pred = 18
    n_strong = 5

    @property
    def name(self) -> str:
        return f"sequence-prediction/time-warped-signals-f{self.freqseed}"

    def dataset(self, split: str = "train", *, T: int | None = None, n_data: int | None = None
                ) -> TimeWarpedSignals:
        """Training split: the official training draw (``test = 0``, 30000 sequences, ``T = 3``);
        test split: ``test = 1`` (fresh coefficients and shifts), ``T = 20``."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if split == "train":
            return TimeWarpedSignals(n_data=n_data or 30000, T=T or 3, freqseed=self.freqseed)
        return TimeWarpedSignals(n_data=n_data or 1024, T=T or self.T_cond + self.n_pred,
                                 freqseed=self.freqseed, test=1)

    @_one_thread
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, n_sequences: int = 1024,
                 batch_size: int = 256, sbd: bool = True, sbd_sequences: int = 256) -> dict[str, float]:
        """Per-step SSE (``pred_sse_step{k}``, ``_mean``; ``zero_sse_mean``, ``copy_last_sse_mean``),
        the character spectrum (``char_top{i}``: the i-th largest frequency; ``strong_recovered``:
        how many of the ``n_strong`` true strong frequencies are among the top ``n_strong``;
        ``char_at_{f}``: the spectrum at each true frequency) and, with ``sbd``, ``sbd_n_blocks`` and
        ``sbd_strong_in_blocks`` (true strong frequencies matched by a block's frequency).

        ``seed`` seeds the SBD initialisation; the test sequences are the official ``test = 1`` draw.
        """
        n = _limit(n_sequences, limit)
        data = self.dataset("test", n_data=n)
        xs, gs = data.tensors()
        device = next(model.parameters()).device
        xs, gs = xs.to(device), gs.to(device)
        sse, Ms = [], []
        for s in range(0, n, batch_size):
            x, g = xs[s:s + batch_size], gs[s:s + batch_size]
            pred = model(x[:, :self.T_cond], n_rolls=self.n_pred, g=g)
            sse.append(((pred - x[:, self.T_cond:]) ** 2).sum(-1).cpu())
            Ms.append(model.get_M(x[:, :self.T_cond], g=g).cpu())
        sse, Ms, gs = torch.cat(sse), torch.cat(Ms), gs.cpu()
        target = xs[:, self.T_cond:].cpu()
        copy = ((target - xs[:, self.T_cond - 1:self.T_cond].cpu()) ** 2).sum(-1)
        out = {f"pred_sse_step{k + 1}": v for k, v in enumerate(sse.mean(0).tolist())}
        out["pred_sse_mean"] = sse.mean()
        out["zero_sse_mean"] = (target ** 2).sum(-1).mean()
        out["copy_last_sse_mean"] = copy.mean()
        freqs, c = character_spectrum(Ms, gs, max_freq=64)
        top = top_frequencies(freqs, c, self.n_strong)
        out.update({f"char_top{i + 1}": f for i, f in enumerate(top)})
        out["strong_recovered"] = len(set(top) & set(data.strong))
        for f in list(data.strong) + list(data.weak):
            out[f"char_at_{f}"] = c[f]
        if sbd and Ms.shape[-1] > 1:
            out.update(self._sbd(Ms[:sbd_sequences], gs[:sbd_sequences], data.strong, seed))
        return out

    @staticmethod
    def _sbd(Ms, gs, strong, seed):
        from zoo_msp.sbd import change_basis, find_blocks, simultaneous_block_diagonalization

        U = simultaneous_block_diagonalization(Ms, generator=torch.Generator().manual_seed(seed))
        B = change_basis(Ms, U)
        blocks = find_blocks(B)
        found = block_frequencies(B, gs, blocks)
        return {"sbd_n_blocks": len(blocks), "sbd_strong_in_blocks": len(set(found) & set(strong))}


def _timewarp_task(seed: int) -> type:
    return type(f"TimeWarpF{seed}Task", (TimeWarpTask,), {
        "freqseed": seed, "__doc__": f"U-NFT time-warp task, frequencies of numpy seed {seed}."})


TimeWarpF1Task, TimeWarpF2Task, TimeWarpF3Task = (_timewarp_task(s) for s in (1, 2, 3))
TIMEWARP_TASKS = {s: f"zoo_nft.tasks_1d:TimeWarpF{s}Task" for s in (1, 2, 3)}


class CompressionTask:
    """NFT vs DFT compression of time-warped signals (fixed frequencies 3, 5, 11, 4, 7)."""

    name = "compression/time-warped-signals"
    T = 5
    T_cond = 4
    dft_n_freq = 16

    def dataset(self, split: str = "train", *, T: int = 6, seed: int = 0, noise: float = 0.0,
                n_data: int = 5000, length: int | None = None) -> CompressionSignals:
        """Training split: numpy seed ``seed`` (the run's), ``noise`` on every frame; test split:
        the official test draw (seed 1234, noiseless, ``T = 5``)."""
        if split not in ("train", "test"):
            raise ValueError(f"split must be 'train' or 'test', got {split!r}")
        if split == "train":
            return CompressionSignals(n_data=n_data, T=T, seed=seed, noise=noise, length=length)
        return CompressionSignals(n_data=n_data, T=self.T, seed=1234, noise=0.0)

    @_one_thread
    def evaluate(self, model, *, limit: int | None = None, seed: int = 0, n_sequences: int = 5000,
                 batch_size: int = 500) -> dict[str, float]:
        """``nft_sse`` (mean per-frame SSE over the 4 reconstructed and 1 predicted frames, the
        official metric), ``nft_reconst_sse``, ``nft_pred_sse`` and ``dft_sse`` (first frame,
        16 complex coefficients). ``seed`` is unused: the test draw is the official one."""
        n = _limit(n_sequences, limit)
        xs, gs = self.dataset("test", n_data=n).tensors()
        device = next(model.parameters()).device
        per_frame = []
        for s in range(0, n, batch_size):
            x, g = xs[s:s + batch_size].to(device), gs[s:s + batch_size].to(device)
            pred = model(x[:, :self.T_cond], n_rolls=self.T - self.T_cond, g=g, reconst=True)
            per_frame.append(((pred - x) ** 2).sum(-1).cpu())
        per_frame = torch.cat(per_frame)
        return {"nft_sse": per_frame.mean(), "nft_reconst_sse": per_frame[:, :self.T_cond].mean(),
                "nft_pred_sse": per_frame[:, self.T_cond:].mean(),
                "dft_sse": dft_sse(xs[:, 0], self.dft_n_freq).mean()}

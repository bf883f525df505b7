"""Entropy coding of the context model's symbol groups with constriction's range coder.

Each group's logits become integer frequencies (``ops.logits_to_freqs``: bit-identical on
encoder and decoder), handed to constriction as the exact dyadic probabilities ``f / 2**16``.
Symbols are written in the decoder's order (ContextModel.walk): the static final level, then
per level from coarse to fine the parts 11, 01, 10; within a group in ``[N, C, h, w]`` order.
"""

from __future__ import annotations

import math

import constriction
import numpy as np
import torch

from zoo_nmsc.errors import BitstreamError
from zoo_nmsc.ops.logits_to_freqs import PRECISION, logits_to_freqs


def probabilities(logits: torch.Tensor) -> np.ndarray:
    """``[M, q]`` float64 rows ``f / 2**16`` from logits ``[N, C, q, h, w]``."""
    q = logits.shape[2]
    freqs = logits_to_freqs(logits.detach().movedim(2, -1).reshape(-1, q))
    return freqs.cpu().numpy().astype(np.float64) / 2 ** PRECISION


def code_length(groups) -> float:
    """Bits the integer tables assign to the true symbols (what the range coder writes, +/- bytes)."""
    bits = 0.0
    for _, logits, symbols in groups:
        if symbols.numel():
            p = probabilities(logits)
            bits -= float(np.log2(p[np.arange(len(p)), symbols.flatten().long().numpy()]).sum())
    return bits


def _model():
    return constriction.stream.model.Categorical(perfect=False)


def encode_groups(groups, q_num: int) -> bytes:
    """The range-coded payload of ``(key, logits, symbols)`` groups (ContextModel.groups, N=1)."""
    encoder, model = constriction.stream.queue.RangeEncoder(), _model()
    for _, logits, symbols in groups:
        if symbols.numel():
            encoder.encode(symbols.flatten().to(torch.int32).cpu().numpy(), model, probabilities(logits))
    return encoder.get_compressed().astype("<u4").tobytes()


class Decoder:
    """``take(key, logits) -> symbols`` for ContextModel.walk, reading a payload.

    Used as a context manager: ``with Decoder(payload, q_num) as take: ...``.
    """

    def __init__(self, payload: bytes, q_num: int):
        if len(payload) % 4:
            raise BitstreamError(f"payload of {len(payload)} bytes is not whole 32-bit words; the file is damaged")
        self.q_num = q_num
        self.decoder = constriction.stream.queue.RangeDecoder(np.frombuffer(payload, dtype="<u4").astype(np.uint32))
        self.model = _model()

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None

    def __call__(self, key: str, logits: torch.Tensor) -> torch.Tensor:
        n, c, _, h, w = logits.shape
        if n * c * h * w == 0:
            return logits.new_zeros(n, c, h, w)
        try:
            symbols = self.decoder.decode(self.model, probabilities(logits))
        except Exception as exc:  # constriction raises on an exhausted or invalid stream
            raise BitstreamError(f"the payload ended or broke while decoding group {key}: {exc}") from exc
        return torch.from_numpy(np.asarray(symbols, dtype=np.float32)).view(n, c, h, w).to(logits.device)


def symbols_per_image(c_list, h: int, w: int) -> int:
    """Number of latent symbols of an ``h x w`` image (padded to a multiple of 32)."""
    hp, wp = math.ceil(h / 32) * 32, math.ceil(w / 32) * 32
    return sum(c * (hp // n) * (wp // n) for c, n in zip(c_list, (4, 8, 16, 32)))

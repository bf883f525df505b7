"""Neural multi-scale image compression (Nakanishi, Maeda, Miyato, Okanohara; arXiv:1805.06386).

Three parts, each its own component and safetensors file:

* ``analyzer``: image -> standardised latents z1..z4 at H/4, H/8, H/16, H/32 with
  ``c_list`` channels (a zero drops a scale), quantised to ``q_num`` levels (quantize.py);
* ``synthesizer``: the mirror image, latents -> 8-bit image;
* ``context_model``: the parallel multi-scale lossless coder (pyramid.py): per level two
  blocks, 11 from the coarser state, then 01 and 10 from it and 11; the coarsest map has a
  static learned categorical distribution per channel. Passes in sequence: 2 per level,
  whatever the image size.

The rate is set by the architecture (``c_list``, ``q_num``), not by a loss weight. ``width``
scales the autoencoder (the paper's is 64: 128 channels at H/2 ... 2048 at H/32) and
``ctx_width`` the coder's blocks (the paper's 512); the published CPU models reduce both.

The interface follows CompressAI: ``forward(x) -> {"x_hat", "likelihoods"}``,
``compress(x) -> {"strings", "shape"}``, ``decompress(strings, shape) -> {"x_hat"}``.

Example::

    import torch, zoo
    model = zoo.create("nmsc-tiny-0-0-4-32-q7").eval()
    x = torch.rand(1, 3, 64, 96)
    out = model.compress(x)
    x_hat = model.decompress(out["strings"], out["shape"])["x_hat"]
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from zoo_core.interfaces import Model
from zoo_nmsc import pyramid
from zoo_nmsc.pyramid import STRIDES
from zoo_nmsc.quantize import quantize_latent, quantize_output

BN_EPS = 2e-5  # Chainer's BatchNormalization default, as in the official code


def _conv(cin: int, cout: int) -> nn.Conv2d:
    """3x3 convolution, LeCun-normal weights and zero bias (Chainer's Convolution2D default)."""
    conv = nn.Conv2d(cin, cout, 3, padding=1)
    nn.init.normal_(conv.weight, 0.0, (cin * 9) ** -0.5)
    nn.init.zeros_(conv.bias)
    return conv


def a_block(cin: int, cout: int) -> nn.Sequential:
    """Analyzer block: BN -> ReLU -> conv3x3."""
    return nn.Sequential(nn.BatchNorm2d(cin, eps=BN_EPS), nn.ReLU(), _conv(cin, cout))


def s_block(cin: int, cout: int) -> nn.Sequential:
    """Synthesizer block: conv3x3 -> BN -> ReLU."""
    return nn.Sequential(_conv(cin, cout), nn.BatchNorm2d(cout, eps=BN_EPS), nn.ReLU())


def _check_c_list(c_list) -> tuple[int, int, int, int]:
    c_list = tuple(int(c) for c in c_list)
    if len(c_list) != 4 or min(c_list) < 0 or c_list[3] == 0:
        raise ValueError(f"c_list must be 4 channel counts (z1..z4 at H/4..H/32) with c4 > 0, got {c_list}")
    return c_list


class Analyzer(nn.Module):
    """Image in [0, 1] (H, W multiples of 32) -> standardised latents [z1, z2, z3, z4]."""

    def __init__(self, c_list, width: int = 64):
        super().__init__()
        self.c_list = c1, c2, c3, c4 = _check_c_list(c_list)
        w = width
        self.stem = nn.Sequential(_conv(12, 2 * w), a_block(2 * w, w))  # at H/2
        self.b1 = a_block(4 * w, 2 * w + c1)  # H/4
        self.b2 = a_block(8 * w, 4 * w + c2)  # H/8
        self.b3 = a_block(16 * w, 8 * w + c3)  # H/16
        self.b4 = a_block(32 * w, c4)  # H/32
        # per-channel standardisation of each latent (BatchNorm without affine)
        self.norms = nn.ModuleList(nn.BatchNorm2d(c, eps=BN_EPS, affine=False) if c else nn.Identity()
                                   for c in c_list)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        h = F.pixel_unshuffle(self.stem(F.pixel_unshuffle(x, 2)), 2)
        zs = []
        for block, c in zip((self.b1, self.b2, self.b3), self.c_list):
            z, h = torch.split(block(h), [c, block[-1].out_channels - c], dim=1)
            zs.append(z)
            h = F.pixel_unshuffle(h, 2)
        zs.append(self.b4(h))
        return [norm(z) for norm, z in zip(self.norms, zs)]


class Synthesizer(nn.Module):
    """Quantised latents [z1..z4] -> logits of the image (before the output quantiser)."""

    def __init__(self, c_list, width: int = 64):
        super().__init__()
        self.c_list = c1, c2, c3, c4 = _check_c_list(c_list)
        w = width
        self.b4 = s_block(c4, 32 * w)  # H/32
        self.b3 = s_block(8 * w + c3, 16 * w)  # H/16
        self.b2 = s_block(4 * w + c2, 8 * w)  # H/8
        self.b1 = s_block(2 * w + c1, 4 * w)  # H/4
        self.head = nn.Sequential(s_block(w, 2 * w), _conv(2 * w, 12))  # H/2

    def forward(self, zs: list[torch.Tensor]) -> torch.Tensor:
        z1, z2, z3, z4 = zs
        h = self.b4(z4)
        for block, z in ((self.b3, z3), (self.b2, z2), (self.b1, z1)):
            h = block(torch.cat([z, F.pixel_shuffle(h, 2)], dim=1))
        return F.pixel_shuffle(self.head(F.pixel_shuffle(h, 2)), 2)


class Block(nn.Module):
    """One context-model step: symbols / (q_num - 1) -> 3 x (conv3x3, BN, ReLU) -> logits.

    Output ``[N, out, q_num, h, w]``: a categorical over the ``q_num`` symbols per position.
    """

    def __init__(self, cin: int, width: int, out: int, q_num: int):
        super().__init__()
        self.out, self.q_num = out, q_num
        layers = []
        for c in (cin, width, width):
            layers += [_conv(c, width), nn.BatchNorm2d(width, eps=BN_EPS), nn.ReLU()]
        self.body = nn.Sequential(*layers, _conv(width, out * q_num))

    def forward(self, symbols: torch.Tensor) -> torch.Tensor:
        y = self.body(symbols / (self.q_num - 1))
        return y.view(y.shape[0], self.out, self.q_num, *y.shape[-2:])


# take(key, logits) -> symbols: the coder's view of one group of symbols (see ContextModel.walk)
Take = Callable[[str, torch.Tensor], torch.Tensor]


class ContextModel(nn.Module):
    """The parallel multi-scale lossless coder over the integer latents.

    Levels at strides 4/8/16 exist where a latent that fine exists; ``coarse_levels`` more
    levels follow at 32, 64, 128 (the official code uses 3); what is left (stride
    ``32 * 2**coarse_levels``) has a static categorical per channel (``final_logits``).
    """

    def __init__(self, c_list, q_num: int, width: int = 512, coarse_levels: int = 3):
        super().__init__()
        self.c_list, self.q_num = _check_c_list(c_list), int(q_num)
        self.ct = sum(self.c_list)
        fine = [s for s in (4, 8, 16) if self.channels(s)]
        self.levels = fine + [32 * 2 ** i for i in range(coarse_levels)]  # finest first
        self.blocks = nn.ModuleDict({
            str(s): nn.ModuleList([Block(self.ct, width, self.channels(s), q_num),
                                   Block(self.ct + self.channels(s), width, 2 * self.channels(s), q_num)])
            for s in self.levels})
        self.final_logits = nn.Parameter(torch.ones(self.ct, q_num))  # official d_pred, softmax'd

    def channels(self, s: int) -> int:
        """Channels of the map ``M_s``: the latents at least as fine as stride ``s``."""
        return sum(c for c, n in zip(self.c_list, STRIDES) if n <= s)

    @property
    def passes(self) -> int:
        """Sequential network passes to decode one image (2 per level), independent of its size."""
        return 2 * len(self.levels)

    def walk(self, batch: int, h32: int, w32: int, take: Take) -> torch.Tensor:
        """Go coarse to fine, as the decoder must; return the state at the finest level.

        ``take(key, logits)`` returns the symbols of group ``key`` (``"final"``, ``"<s>/11"``,
        ``"<s>/01"``, ``"<s>/10"``) with ``logits [N, C, q, h, w]``: the true ones when training or
        encoding, the decoded ones when decoding. Groups come in decoding order.
        """
        def size(s):  # map size at stride s
            return math.ceil(h32 * 32 / s), math.ceil(w32 * 32 / s)

        top = 2 * self.levels[-1]
        hf, wf = size(top)
        logits = self.final_logits.view(1, self.ct, self.q_num, 1, 1).expand(batch, -1, -1, hf, wf)
        st = take("final", logits)
        for s in reversed(self.levels):  # st is the state at stride 2s
            ch, (h, w) = self.channels(s), size(s)
            b0, b1 = self.blocks[str(s)]
            parts = {"00": st[:, :ch]}
            h11, w11 = pyramid.part_shape(h, w, "11")
            parts["11"] = take(f"{s}/11", b0(st)[..., :h11, :w11])
            l01, l10 = b1(torch.cat([st, pyramid.pad_to(parts["11"], st)], dim=1)).chunk(2, dim=1)
            for part, lg in (("01", l01), ("10", l10)):
                ph, pw = pyramid.part_shape(h, w, part)
                parts[part] = take(f"{s}/{part}", lg[..., :ph, :pw])
            coarse = pyramid.resample(st[:, ch:], 2 * s, s)[..., :h, :w]  # latents coarser than s, repeated
            st = torch.cat([pyramid.merge(parts, h, w), coarse], dim=1).contiguous()
        return st

    def targets(self, zs: list[torch.Tensor]) -> dict[str, torch.Tensor]:
        """The true symbols of every group (the keys of :meth:`walk`)."""
        out = {"final": pyramid.state(zs, 2 * self.levels[-1])}
        for s in self.levels:
            parts = pyramid.split(pyramid.level_map(zs, s))
            out.update({f"{s}/{p}": parts[p] for p in ("11", "01", "10")})
        return out

    def groups(self, zs: list[torch.Tensor]) -> list[tuple[str, torch.Tensor, torch.Tensor]]:
        """``(key, logits, symbols)`` of every group in decoding order, from the true latents."""
        truth, out = self.targets(zs), []

        def take(key, logits):
            out.append((key, logits, truth[key]))
            return truth[key]

        self.walk(zs[-1].shape[0], zs[-1].shape[-2], zs[-1].shape[-1], take)
        return out

    def latents(self, finest: torch.Tensor) -> list[torch.Tensor]:
        """Split the finest state of :meth:`walk` back into z1..z4 at their native strides."""
        s = self.levels[0]
        chunks = torch.split(finest, list(self.c_list), dim=1)
        return [pyramid.resample(c, s, n) for c, n in zip(chunks, STRIDES)]  # (n < s: empty latents)

    def bits(self, zs: list[torch.Tensor]) -> torch.Tensor:
        """Code length in bits of each image's latents under the model ([N]; training loss)."""
        total = zs[0].new_zeros(zs[0].shape[0])
        for _, logits, symbols in self.groups(zs):
            ce = F.cross_entropy(logits.movedim(2, 1), symbols.long(), reduction="none")
            total = total + ce.flatten(1).sum(1) / math.log(2)
        return total


class NMSC(Model):
    """The compressor: analyzer + quantiser + synthesizer + context model (see module doc).

    Config (keyword-only): ``c_list`` latent channels at H/4, H/8, H/16, H/32, ``q_num``
    quantisation levels, ``width`` and ``ctx_width`` the widths, ``coarse_levels``.
    Inputs are RGB in [0, 1]; ``forward`` needs H and W divisible by 32 (``compress`` pads).
    """

    zoo_components = {"analyzer": "analyzer", "synthesizer": "synthesizer", "context_model": "context_model"}

    def __init__(self, *, c_list=(0, 0, 4, 32), q_num: int = 7, width: int = 64, ctx_width: int = 512,
                 coarse_levels: int = 3, example_size: int = 64):
        super().__init__()
        if q_num < 2:
            raise ValueError(f"q_num must be at least 2 quantisation levels, got {q_num}")
        self.c_list, self.q_num, self.example_size = _check_c_list(c_list), int(q_num), example_size
        self.analyzer = Analyzer(c_list, width)
        self.synthesizer = Synthesizer(c_list, width)
        self.context_model = ContextModel(c_list, q_num, ctx_width, coarse_levels)

    # --- the lossy autoencoder ----------------------------------------------------------
    def encode(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Quantised latents (float symbols in {0..q_num-1}) of images with H, W divisible by 32."""
        _check_image(x, multiple=32)
        return [quantize_latent(z, self.q_num) for z in self.analyzer(x)]

    def decode(self, zs: list[torch.Tensor]) -> torch.Tensor:
        """8-bit image in [0, 1] from quantised latents."""
        return quantize_output(self.synthesizer(zs))

    # --- CompressAI-shaped interface ------------------------------------------------------
    def forward(self, x: torch.Tensor) -> dict:
        """``{"x_hat", "likelihoods": {"y": [N, symbols]}}``: the probability the context model
        gives each latent symbol, bounded below by 1e-9 as CompressAI's; bpp = -sum(log2
        likelihoods) / (H W)."""
        zs = self.encode(x)
        probs = [torch.log_softmax(lg, dim=2).gather(2, sym.long().unsqueeze(2)).flatten(1).exp()
                 for _, lg, sym in self.context_model.groups(zs)]
        return {"x_hat": self.decode(zs), "likelihoods": {"y": torch.cat(probs, dim=1).clamp_min(1e-9)}}

    @torch.no_grad()
    def compress(self, x: torch.Tensor) -> dict:
        """``{"strings": [[bytes per image]], "shape": (H, W)}``; pads to a multiple of 32."""
        from zoo_nmsc import coder

        _check_image(x)
        h, w = x.shape[-2:]
        padded = F.pad(x, (0, -w % 32, 0, -h % 32))
        strings = [coder.encode_groups(self.context_model.groups(self.encode(padded[i:i + 1])), self.q_num)
                   for i in range(x.shape[0])]
        return {"strings": [strings], "shape": (int(h), int(w))}

    @torch.no_grad()
    def decompress(self, strings, shape) -> dict:
        """``{"x_hat": [N, 3, H, W]}`` from ``compress``'s strings and shape."""
        from zoo_nmsc import coder

        h, w = shape
        out = []
        for payload in strings[0]:
            zs = self.decompress_latents(payload, h, w)
            out.append(self.decode(zs)[..., :h, :w])
        return {"x_hat": torch.cat(out).clamp(0, 1)}

    def decompress_latents(self, payload: bytes, h: int, w: int) -> list[torch.Tensor]:
        """The integer latents of one image from its payload (the coder's sequential passes)."""
        from zoo_nmsc import coder

        with coder.Decoder(payload, self.q_num) as take:
            finest = self.context_model.walk(1, math.ceil(h / 32), math.ceil(w / 32), take)
        return self.context_model.latents(finest)

    def example_inputs(self, batch_size: int = 2):
        """A valid input for the conformance kit's forward pass."""
        return (torch.rand(batch_size, 3, self.example_size, self.example_size),)


def _check_image(x: torch.Tensor, multiple: int = 1) -> None:
    """Images must be float [N, 3, H, W] in [0, 1] (H, W divisible by ``multiple``)."""
    from zoo_nmsc.errors import ImageError

    if not isinstance(x, torch.Tensor) or x.dim() != 4 or x.shape[1] != 3 or not x.is_floating_point():
        got = f"{tuple(x.shape)} {x.dtype}" if isinstance(x, torch.Tensor) else type(x).__name__
        raise ImageError(f"expected float RGB images [N, 3, H, W] in [0, 1], got {got}")
    if x.shape[0] == 0 or x.shape[-1] == 0 or x.shape[-2] == 0:
        raise ImageError(f"expected a non-empty batch of images, got shape {tuple(x.shape)}")
    if x.shape[-2] % multiple or x.shape[-1] % multiple:
        raise ImageError(f"H and W must be multiples of {multiple} here, got {tuple(x.shape[-2:])}; "
                         "pad the image (compress() pads by itself)")

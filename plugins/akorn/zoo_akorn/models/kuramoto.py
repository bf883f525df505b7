"""The Kuramoto layer of AKOrN (arXiv:2410.13821; official ``KLayer``).

Each site holds ``C / n`` oscillators ``x_i`` of ``n`` consecutive channels on the sphere
``S^{n-1}``. Given a conditional stimulus ``c`` and connectivity ``J``, ``T`` discrete steps
of the vector-valued Kuramoto model::

    dx_i/dt = Omega_i x_i + Proj_{x_i}( c_i + sum_j J_ij x_j ),  Proj_x(y) = y - <y, x> x

are taken with step size gamma and renormalisation (``zoo_akorn.ops.kuramoto_step``).
The energy recorded per step is ``-sum_i <x_i, y_i>`` (the paper's Lyapunov energy without the 1/2 on the J
term, exactly as the official code; only relative values matter).

Official quirk, kept: with ``use_omega=False`` the official ``Omega`` is ``nn.Identity``,
so ``Omega x = x`` and the update is ``normalize((1 + gamma) x + gamma Proj_x(y))``.
"""

from __future__ import annotations

import math
from typing import Literal

import torch
from torch import Tensor, nn

from zoo_akorn.models.attention import Attention
from zoo_akorn.models.layers import conv_nhwc
from zoo_akorn.ops import kuramoto_step


class Omega(nn.Module):
    """Natural frequencies: one ``omega_k = ||param_k||`` per channel pair ``(2k, 2k+1)``.

    ``global_omg=True`` shares one 2-vector parameter over all pairs. The parameter starts
    at ``init_omg / sqrt(2)`` in every entry, so ``omega`` starts at ``init_omg``.
    """

    def __init__(self, *, ch: int, init_omg: float = 0.1, global_omg: bool = False, learn_omg: bool = True) -> None:
        super().__init__()
        self.ch, self.global_omg = ch, global_omg
        shape = (2,) if global_omg else (ch // 2, 2)
        self.param = nn.Parameter(init_omg * (1 / math.sqrt(2)) * torch.ones(shape), requires_grad=learn_omg)

    def forward(self) -> Tensor:
        """Per-pair frequencies ``[C // 2]``."""
        if self.global_omg:
            return torch.linalg.vector_norm(self.param).repeat(self.ch // 2)
        return torch.linalg.vector_norm(self.param, dim=1)


class KuramotoLayer(nn.Module):
    """``T`` Kuramoto steps of oscillators ``x`` under stimulus ``c`` (official ``KLayer``).

    Args:
        n: oscillator dimension (channels per oscillator).
        ch: channels ``C`` (a multiple of ``n``).
        J: connectivity, ``"conv"`` (a ``ksize`` convolution) or ``"attn"`` (self-attention).
        c_norm: normalisation of ``c``: ``"gn"`` (GroupNorm, one group per oscillator),
            ``"sandb"`` (scale and bias) or ``"none"``/None.
        use_omega, init_omg, global_omg, learn_omg: natural frequencies (:class:`Omega`).
        ksize: kernel size of the conv connectivity.
        gta, hw, heads: attention connectivity options.
        project: tangent-space projection (False = the official ablation).

    Inputs and outputs are channel-last maps ``[B, H, W, C]``.
    """

    def __init__(
        self,
        *,
        n: int,
        ch: int,
        J: Literal["conv", "attn"] = "conv",
        c_norm: str | None = "gn",
        use_omega: bool = False,
        init_omg: float = 1.0,
        global_omg: bool = False,
        learn_omg: bool = True,
        ksize: int = 3,
        gta: bool = False,
        hw: tuple[int, int] | None = None,
        heads: int = 8,
        project: bool = True,
    ) -> None:
        super().__init__()
        if ch % n:
            raise ValueError(f"KuramotoLayer: ch={ch} must be a multiple of the oscillator dimension n={n}")
        self.n, self.ch, self.J_type, self.project = n, ch, J, project
        self.omega = Omega(ch=ch, init_omg=init_omg, global_omg=global_omg, learn_omg=learn_omg) if use_omega else None
        if use_omega and n % 2:
            raise ValueError(f"KuramotoLayer: use_omega=True needs an even n, got n={n}")
        if J == "conv":
            self.J = nn.Conv2d(ch, ch, ksize, 1, ksize // 2)
        elif J == "attn":
            self.J = Attention(ch=ch, heads=heads, gta=gta, hw=hw)
        else:
            raise ValueError(f"KuramotoLayer: J must be 'conv' or 'attn', got {J!r}")
        if c_norm == "gn":
            self.c_norm = nn.GroupNorm(ch // n, ch, affine=True)
        elif c_norm == "sandb":
            self.c_norm = ScaleAndBias(ch)
        elif c_norm is None or c_norm == "none":
            self.c_norm = None
        else:
            raise ValueError(f"KuramotoLayer: c_norm must be 'gn', 'sandb' or 'none', got {c_norm!r}")

    def normalize(self, x: Tensor) -> Tensor:
        """Put every oscillator on the unit sphere (``x / max(||x||, 1e-12)``)."""
        xs = x.unflatten(-1, (-1, self.n))
        return (xs / torch.linalg.vector_norm(xs, dim=-1, keepdim=True).clamp_min(1e-12)).flatten(-2)

    def forward(self, x: Tensor, c: Tensor, *, T: int, gamma: Tensor | float) -> tuple[list[Tensor], Tensor]:
        """Run ``T`` steps from ``x`` under ``c`` (both ``[B, H, W, C]``).

        Returns:
            ``(states, energies)``: the ``T`` states after each step and the energies
            ``[T + 1, B]`` (row 0 is zeros, as in the official code; row t uses the state
            before step t).
        """
        B, H, W, C = x.shape
        if self.c_norm is not None:
            c = self.c_norm(c.permute(0, 3, 1, 2)).permute(0, 2, 3, 1).contiguous()
        x = self.normalize(x)
        if self.J_type == "attn":
            prep = self.J.prepare((H, W))
            x, c = x.reshape(B, H * W, C), c.reshape(B, H * W, C)
            c_b = c if prep.b_o is None else c + prep.b_o  # the stimulus joins the output bias, once
            coupling = lambda z: self.J(z, prep, out_bias=c_b)  # noqa: E731  J x + c
        else:
            pad = self.J.padding[0]
            # channels-last weight once per call (a conv on channels-last input converts it every step)
            w = self.J.weight.contiguous(memory_format=torch.channels_last)
            coupling = lambda z: conv_nhwc(z, w, self.J.bias, padding=pad) + c  # noqa: E731
        omega = self.omega() if self.omega is not None else None
        states, energies = [], [x.new_zeros(B)]
        for _ in range(T):
            y = coupling(x)                            # y = J x + c
            x, e = kuramoto_step(x, y, n=self.n, gamma=gamma, omega=omega,
                                 omega_identity=self.omega is None, project=self.project)
            states.append(x.view(B, H, W, C))
            energies.append(e.reshape(B, -1).sum(-1))
        return states, torch.stack(energies)


class ScaleAndBias(nn.Module):
    """Per-channel ``x * scale + bias`` on NCHW maps (official ``c_norm="sandb"``)."""

    def __init__(self, ch: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(ch))
        self.bias = nn.Parameter(torch.zeros(ch))

    def forward(self, x: Tensor) -> Tensor:
        shape = [1, -1] + [1] * (x.dim() - 2)
        return x * self.scale.view(shape) + self.bias.view(shape)


__all__ = ["Omega", "KuramotoLayer", "ScaleAndBias"]

"""The NFT sequence autoencoder: ``SeqNFT`` (the sequence logic, any frame encoder/decoder) and
``NFTSeqAE``, the 1-D one (official ``SeqAETSQmlp``), with its three transitions. The fisheye
CIFAR-100 ViT (official ``SeqAELSTSQ_vit``) is ``zoo_nft.unft_vit.NFTSeqViT``, the same logic.

NFT (arXiv:2305.18484): an encoder ``Phi`` maps each frame ``x_t`` (a signal of ``dim_data``
points) to a matrix latent ``H_t`` of shape ``(dim_m, dim_a)``; a group element acts linearly
from the right, ``Phi(g x) = Phi(x) M(g)``; a decoder ``Psi`` maps latents back. Per sequence:

1. ``M`` from the conditioning frames ``H_1..H_Tc`` by the transition (``transition``):
   * ``"LS"`` - U-NFT (neither the group nor g known): MSP's closed-form least squares
     ``M* = argmin ||H_{1:Tc-1} M - H_{2:Tc}||^2``, through zoo-msp's public
     ``zoo_msp.transition.transition_from_sequence`` (its ``lstsq_transition`` op);
   * ``"AbelMSP"`` - G-NFT for an abelian group: one complex scalar per coordinate pair
     (``zoo_nft.gnft.abelian_transition``; ``abelian_convention`` picks the corrected
     ``"right"`` blocks or the ``"official"`` ones);
   * ``"Fixed"`` - g-NFT: ``M = so2_representation(g, dim_a)`` from the observed shift ``g``.
2. Roll out from the last conditioning latent, ``H_{Tc+k} = H_Tc M^k``; decode.
3. Loss: per-frame sum of squared errors, averaged over sequences and frames; with
   ``reconst`` the decoded conditioning latents are targets too (official ``loss``).

Networks (official ``base_networks.py``, two layouts; ``act`` everywhere):
* ``encoder="oned"`` (1-D experiment): ``Linear(D, 256) act Linear(256, m a) act Linear(m a, m a)``;
* ``encoder="mlp"`` (compression): ``Linear(D, h) act [Linear(h, h) act] x (depth-1) Linear(h, m a)``;
* decoder (both): ``Linear(m a, h) act [Linear(h, h) act] x (depth-1) Linear(h, D)``.
Module names equal the official ones (``enc.phi``, ``enc.linear``, ``dec.net``), so official
state dicts load after dropping the aliases ``enc.lin1``/``enc.lin2`` (``zoo_nft.convert``).

Call pattern (``xs`` is ``(N, T, dim_data)``; ``g`` the ``(N,)`` shifts, needed by "Fixed")::

    x_future = model(xs[:, :T_c], n_rolls=T - T_c, g=g)     # (N, T - T_c, dim_data)
    loss, logs = model.loss(xs, g=g, T_cond=T_c, reconst=True)
    M = model.get_M(xs[:, :T_c], g=g)                        # (N, dim_a, dim_a)

Differences from the official class (none changes a number): ``predictive=False`` and the
``fix_indices`` generation path are not ported (no 1-D configuration uses them); the device
is the caller's (``.to``), not chosen in the constructor; g is passed, not stored on the model.
"""

from __future__ import annotations

import torch
from torch import nn

from zoo_core.interfaces import Model
from zoo_msp.transition import transition_from_sequence
from zoo_nft.gnft import CONVENTIONS, abelian_transition, so2_representation

__all__ = ["SeqNFT", "NFTSeqAE", "MLPEncoder", "MLPDecoder", "TRANSITIONS", "ACTIVATIONS"]

TRANSITIONS = ("LS", "AbelMSP", "Fixed")
ACTIVATIONS = {"tanh": nn.Tanh, "relu": nn.ReLU, "gelu": nn.GELU, "sigmoid": nn.Sigmoid}


def _act(name: str) -> nn.Module:
    if name not in ACTIVATIONS:
        raise ValueError(f"act must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


class MLPEncoder(nn.Module):
    """``phi`` (hidden layers, each followed by ``act``) then ``linear`` to ``dim_latent``."""

    def __init__(self, *, dim_data: int, dim_latent: int, widths: list[int], act: str):
        super().__init__()
        layers, d = [], dim_data
        for w in widths:
            layers += [nn.Linear(d, w), _act(act)]
            d = w
        self.phi = nn.Sequential(*layers)
        self.linear = nn.Linear(d, dim_latent)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.linear(self.phi(x.to(torch.float32)))


class MLPDecoder(nn.Module):
    """``net``: ``Linear(dim_latent, h) act [Linear(h, h) act] x (depth-1) Linear(h, dim_data)``."""

    def __init__(self, *, dim_latent: int, dim_data: int, hidden: int, depth: int, act: str):
        super().__init__()
        layers, d = [], dim_latent
        for _ in range(depth):
            layers += [nn.Linear(d, hidden), _act(act)]
            d = hidden
        self.net = nn.Sequential(*layers, nn.Linear(d, dim_data))

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return self.net(h)


class SeqNFT(Model):
    """The U-NFT / G-NFT / g-NFT sequence logic, for any frame encoder and decoder.

    A subclass builds its networks and implements ``encode_frames`` (``(B, *frame_shape) ->
    (B, dim_m, dim_a)``) and ``decode_frames`` (the inverse shape); everything else (the
    transitions, roll-outs, the objective, input checks) lives here. ``NFTSeqAE`` (1-D MLPs) and
    ``zoo_nft.unft_vit.NFTSeqViT`` (the fisheye ViT) are the two.

    Args:
        dim_m, dim_a: latent matrix shape; frame_shape: one frame's shape (``(128,)``, ``(3, 32, 32)``).
        transition, abelian_convention, abelian_normalize, change_of_basis: as ``NFTSeqAE``.
    """

    def __init__(self, *, dim_m: int, dim_a: int, frame_shape: tuple[int, ...], transition: str = "LS",
                 abelian_convention: str = "right", abelian_normalize: bool = False,
                 change_of_basis: bool = False):
        super().__init__()
        if transition not in TRANSITIONS:
            raise ValueError(f"transition must be one of {TRANSITIONS}, got {transition!r}")
        if abelian_convention not in CONVENTIONS:
            raise ValueError(f"abelian_convention must be one of {CONVENTIONS}, got {abelian_convention!r}")
        if transition == "AbelMSP" and dim_a % 2:
            raise ValueError(f"AbelMSP acts on coordinate pairs: dim_a must be even, got {dim_a}")
        for name, v in (("dim_m", dim_m), ("dim_a", dim_a)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        self.dim_m, self.dim_a, self.frame_shape = dim_m, dim_a, tuple(frame_shape)
        self.transition = transition
        self.abelian_convention, self.abelian_normalize = abelian_convention, abelian_normalize
        if change_of_basis:
            self.change_of_basis = nn.Parameter(torch.eye(dim_a))

    def encode_frames(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, *frame_shape) -> (B, dim_m, dim_a)``."""
        raise NotImplementedError

    def decode_frames(self, h: torch.Tensor) -> torch.Tensor:
        """``(B, dim_m, dim_a) -> (B, *frame_shape)``."""
        raise NotImplementedError

    # --- input checks -----------------------------------------------------------------
    def _check(self, xs: torch.Tensor, g: torch.Tensor | None, what: str = "xs") -> None:
        frame = self.frame_shape
        if not torch.is_tensor(xs) or xs.dim() != 2 + len(frame) or tuple(xs.shape[2:]) != frame:
            shape = tuple(xs.shape) if torch.is_tensor(xs) else type(xs).__name__
            what_frames = "signals" if len(frame) == 1 else "frames"
            raise ValueError(f"{what} must be (N, T, {', '.join(map(str, frame))}) {what_frames}; got {shape}")
        if not xs.is_floating_point():
            raise ValueError(f"{what} must be a float tensor; got {xs.dtype}")
        if xs.shape[0] == 0:
            raise ValueError(f"{what} is an empty batch (N = 0); pass at least one sequence")
        if self.transition == "Fixed":
            if g is None:
                raise ValueError("this g-NFT model (transition 'Fixed') needs the shifts: pass g=(N,) angles")
            if g.reshape(-1).shape[0] != xs.shape[0]:
                raise ValueError(f"g must hold one shift per sequence, (N={xs.shape[0]},); got {tuple(g.shape)}")

    # --- the pieces -------------------------------------------------------------------
    def encode(self, xs: torch.Tensor) -> torch.Tensor:
        """``(N, T, *frame_shape) -> (N, T, dim_m, dim_a)``."""
        N, T = xs.shape[:2]
        H = self.encode_frames(xs.reshape(N * T, *self.frame_shape)).reshape(N, T, self.dim_m, self.dim_a)
        if hasattr(self, "change_of_basis"):
            H = H @ self.change_of_basis
        return H

    def decode(self, H: torch.Tensor) -> torch.Tensor:
        """``(N, T, dim_m, dim_a) -> (N, T, *frame_shape)``."""
        if hasattr(self, "change_of_basis"):
            H = H @ torch.linalg.inv(self.change_of_basis)
        N, T = H.shape[:2]
        return self.decode_frames(H.reshape(N * T, self.dim_m, self.dim_a)).reshape(N, T, *self.frame_shape)

    def transition_matrix(self, H: torch.Tensor, g: torch.Tensor | None = None) -> torch.Tensor:
        """``M`` (``(N, dim_a, dim_a)``) of each sequence from its conditioning latents ``H``."""
        if self.transition == "Fixed":
            return so2_representation(g.reshape(-1).to(H.device), self.dim_a).to(H.dtype)
        if H.shape[1] < 2:
            raise ValueError(f"transition {self.transition!r} fits M from consecutive frames: "
                             f"pass at least 2 conditioning frames, got {H.shape[1]}")
        if self.transition == "LS":
            return transition_from_sequence(H)
        return abelian_transition(H[:, :-1], H[:, 1:], convention=self.abelian_convention,
                                  normalize=self.abelian_normalize)

    def get_M(self, xs: torch.Tensor, g: torch.Tensor | None = None) -> torch.Tensor:
        """The transition fitted (or given) for each sequence of ``xs`` (``(N, a, a)``)."""
        self._check(xs, g)
        return self.transition_matrix(self.encode(xs), g)

    def forward(self, xs_cond: torch.Tensor, n_rolls: int = 1, g: torch.Tensor | None = None,
                reconst: bool = False) -> torch.Tensor:
        """Decoded predictions ``(N, n_rolls, *frame)`` (with ``reconst``: ``(N, T_c + n_rolls, *frame)``,
        the conditioning frames' reconstructions first)."""
        self._check(xs_cond, g, "xs_cond")
        if not isinstance(n_rolls, int) or n_rolls < 0:
            raise ValueError(f"n_rolls must be a non-negative integer, got {n_rolls!r}")
        H = self.encode(xs_cond)
        M = self.transition_matrix(H, g)
        preds = [H] if reconst else []
        h = H[:, -1:]
        for _ in range(n_rolls):
            h = h @ M[:, None]
            preds.append(h)
        if not preds:
            return xs_cond[:, :0]
        return self.decode(torch.cat(preds, dim=1))

    def loss(self, xs: torch.Tensor, g: torch.Tensor | None = None, *, T_cond: int = 2,
             reconst: bool = False) -> tuple[torch.Tensor, dict[str, float]]:
        """Official objective: mean over sequences and target frames of the per-frame SSE;
        targets are the frames after ``T_cond`` (and, with ``reconst``, all frames)."""
        self._check(xs, g)
        if not 1 <= T_cond < xs.shape[1]:
            raise ValueError(f"T_cond={T_cond} must leave frames to predict in T={xs.shape[1]}")
        pred = self(xs[:, :T_cond], n_rolls=xs.shape[1] - T_cond, g=g, reconst=reconst)
        target = xs if reconst else xs[:, T_cond:]
        sse = ((target - pred) ** 2).flatten(2).sum(-1)
        logs = {"pred_sse": float(sse[:, -(xs.shape[1] - T_cond):].mean().detach())}
        if reconst:
            logs["reconst_sse"] = float(sse[:, :T_cond].mean().detach())
        return sse.mean(), logs


class NFTSeqAE(SeqNFT):
    """NFT sequence autoencoder for 1-D signals (official ``SeqAETSQmlp``).

    Args:
        dim_m, dim_a: latent matrix shape (rows, columns the group acts on).
        dim_data: points per signal (official ``N = 128``).
        transition: ``"LS"`` (U-NFT), ``"AbelMSP"`` (G-NFT) or ``"Fixed"`` (g-NFT).
        encoder: ``"oned"`` (1-D experiment layout) or ``"mlp"`` (compression layout).
        enc_hdim, dec_hdim, depth: hidden widths and hidden layers (``"oned"``: 256, 256, 2).
        act: activation (``"tanh"`` in the 1-D and G-NFT configs, ``"relu"`` for g-NFT).
        abelian_convention: ``"right"`` (corrected) or ``"official"`` blocks for ``AbelMSP``.
        abelian_normalize: project each complex scalar to the unit circle (official option).
        change_of_basis: a learnable ``U`` (identity init): encode ``H U``, decode ``H U^-1``.
    """

    def __init__(self, *, dim_m: int, dim_a: int, dim_data: int = 128, transition: str = "LS",
                 encoder: str = "oned", enc_hdim: int = 256, dec_hdim: int = 256, depth: int = 2,
                 act: str = "tanh", abelian_convention: str = "right",
                 abelian_normalize: bool = False, change_of_basis: bool = False):
        if encoder not in ("oned", "mlp"):
            raise ValueError(f"encoder must be 'oned' or 'mlp', got {encoder!r}")
        for name, v in (("dim_data", dim_data), ("depth", depth)):
            if not isinstance(v, int) or v < 1:
                raise ValueError(f"{name} must be a positive integer, got {v!r}")
        super().__init__(dim_m=dim_m, dim_a=dim_a, frame_shape=(dim_data,), transition=transition,
                         abelian_convention=abelian_convention, abelian_normalize=abelian_normalize,
                         change_of_basis=change_of_basis)
        self.dim_data = dim_data
        latent = dim_m * dim_a
        widths = [enc_hdim, latent] if encoder == "oned" else [enc_hdim] * depth
        self.enc = MLPEncoder(dim_data=dim_data, dim_latent=latent, widths=widths, act=act)
        self.dec = MLPDecoder(dim_latent=latent, dim_data=dim_data, hidden=dec_hdim,
                              depth=2 if encoder == "oned" else depth, act=act)

    def encode_frames(self, x: torch.Tensor) -> torch.Tensor:
        return self.enc(x).reshape(-1, self.dim_m, self.dim_a)

    def decode_frames(self, h: torch.Tensor) -> torch.Tensor:
        return self.dec(h.flatten(1))

    def example_inputs(self, batch_size: int = 2) -> dict:
        """Two conditioning frames of random signals, their shifts, two roll-outs."""
        gen = torch.Generator().manual_seed(0)
        return {"xs_cond": torch.randn(batch_size, 2, self.dim_data, generator=gen),
                "n_rolls": 2, "g": torch.rand(batch_size, generator=gen) * 3.14}

"""GTA in your own transformer block: swap the attention call, keep everything else.

Run: ``python plugins/gta/examples/drop_in_attention.py`` (CPU, about a second).

The block below is an ordinary pre-norm transformer block over the tokens of several camera
views. The only GTA-specific parts are (1) building the token representations once per forward
pass from the cameras and the token image positions (``gta_reps``) and (2) calling
``geometric_transform_attention`` instead of ``scaled_dot_product_attention``. The check at the
end moves the whole rig (every camera by the same rigid motion, i.e. a new world frame): the
GTA block's output does not change, while the same block with an absolute camera embedding does.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from zoo_gta.gta import geometric_transform_attention, gta_reps, image_coords


class MyBlock(nn.Module):
    """A user's pre-norm block; ``f_dims`` splits each head into GTA segments (None: plain attention)."""

    def __init__(self, dim=128, heads=4, f_dims=None):
        super().__init__()
        self.heads, self.f_dims = heads, f_dims
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 4 * dim), nn.GELU(), nn.Linear(4 * dim, dim))
        self.trans_coeff = nn.Parameter(torch.tensor(0.1))       # learnable translation scale (GTA's only parameter)

    def forward(self, x, reps=None):
        B, T, D = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(B, T, 3, self.heads, -1).permute(2, 0, 3, 1, 4)
        if self.f_dims is None:
            o = F.scaled_dot_product_attention(q, k, v)
        else:                                                    # the one-line swap
            o = geometric_transform_attention(q, k, v, reps, reps, self.f_dims, trans_coeff=self.trans_coeff)
        x = x + self.proj(o.transpose(1, 2).reshape(B, T, D))
        return x + self.mlp(self.norm2(x))


def random_cameras(B, V, gen):
    """World->camera extrinsics [B, V, 4, 4] (random rotations and positions)."""
    Q, _ = torch.linalg.qr(torch.randn(B * V, 3, 3, generator=gen))
    Q = Q * torch.linalg.det(Q)[:, None, None]                   # proper rotations
    E = torch.eye(4).repeat(B * V, 1, 1)
    E[:, :3, :3], E[:, :3, 3] = Q, torch.randn(B * V, 3, generator=gen)
    return E.reshape(B, V, 4, 4)


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(0)
    B, V, h, w, dim = 2, 3, 8, 8, 128
    f_dims = {"triv": 8, "se3": 16, "so2": 8}                    # per head: 32 = 128 / 4 heads
    E = random_cameras(B, V, gen)
    coords = image_coords(h, w).reshape(1, h * w, 2).repeat(B, V, 1)   # [B, V*h*w, 2], tokens view-major
    x = torch.randn(B, V * h * w, dim, generator=gen)
    G = random_cameras(1, 1, gen)                                # a new world frame: E -> E G

    gta = MyBlock(dim, f_dims=f_dims)
    out = gta(x, gta_reps(f_dims, extrinsics=E, coords=coords))
    moved = gta(x, gta_reps(f_dims, extrinsics=E @ G, coords=coords))
    print(f"GTA block:             max |out(world) - out(world relabelled)| = {(out - moved).abs().max():.2e}")

    plain = MyBlock(dim)
    pose_embedding = nn.Linear(16, dim)                          # an absolute camera embedding added to the tokens
    embed = lambda E_: pose_embedding(E_.flatten(-2)).repeat_interleave(h * w, 1)  # noqa: E731
    out = plain(x + embed(E))
    moved = plain(x + embed(E @ G))
    print(f"absolute-pose block:   max |out(world) - out(world relabelled)| = {(out - moved).abs().max():.2e}")


if __name__ == "__main__":
    main()

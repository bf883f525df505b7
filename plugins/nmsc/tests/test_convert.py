"""The official-snapshot converter: a snapshot in the official layout (names, Chainer's
space-to-depth order, BGR) converts into an NMSC whose analyzer and synthesizer compute what the
official forward pass computes, re-written here in torch from model_lossy.py's structure.
(benchmarks/nmsc_parity.py runs the real official code.)"""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from zoo_nmsc.convert import OfficialSnapshotError, from_official, s2d_order, state_from_arrays
from zoo_nmsc.model import NMSC

C_LIST, Q, W, MID = (2, 1, 3, 4), 5, 4, 6


def chainer_s2d(x, r):
    """Chainer's space2depth: output channel ``(dy r + dx) C + c``."""
    n, c, h, w = x.shape
    return x.reshape(n, c, h // r, r, w // r, r).permute(0, 3, 5, 1, 2, 4).reshape(n, r * r * c, h // r, w // r)


def chainer_d2s(x, r):
    n, ch, h, w = x.shape
    c = ch // (r * r)
    return x.reshape(n, r, r, c, h, w).permute(0, 3, 4, 1, 5, 2).reshape(n, c, h * r, w * r)


def official_arrays(seed=0):
    """Random arrays with the official model_all names and shapes at width W (official: 64)."""
    g = np.random.default_rng(seed)
    c1, c2, c3, c4 = C_LIST
    out = {}

    def conv(name, cin, cout):
        out[f"{name}/W"] = g.normal(0, cin ** -0.5 / 3, (cout, cin, 3, 3)).astype(np.float32)
        out[f"{name}/b"] = g.normal(0, 0.1, cout).astype(np.float32)

    def bn(name, c, affine=True):
        out[f"{name}/avg_mean"] = g.normal(0, 0.3, c).astype(np.float32)
        out[f"{name}/avg_var"] = g.uniform(0.5, 2, c).astype(np.float32)
        out[f"{name}/N"] = np.array(3)
        if affine:
            out[f"{name}/gamma"] = g.uniform(0.7, 1.3, c).astype(np.float32)
            out[f"{name}/beta"] = g.normal(0, 0.2, c).astype(np.float32)

    a, s = "model_lossy/analyzer", "model_lossy/synthesizer"
    conv(f"{a}/conv", 12, 2 * W)
    for k, (cin, cout) in enumerate([(2 * W, W), (4 * W, 2 * W + c1), (8 * W, 4 * W + c2),
                                     (16 * W, 8 * W + c3), (32 * W, c4)]):
        bn(f"{a}/b{k}/bn", cin), conv(f"{a}/b{k}/conv", cin, cout)
    for k, c in enumerate(C_LIST, 1):
        bn(f"{a}/bn{k}", c, affine=False)
    for k, (cin, cout) in {5: (c4, 32 * W), 4: (8 * W + c3, 16 * W), 3: (4 * W + c2, 8 * W),
                           2: (2 * W + c1, 4 * W), 1: (W, 2 * W)}.items():
        conv(f"{s}/b{k}/conv", cin, cout), bn(f"{s}/b{k}/bn", cout)
    conv(f"{s}/conv", 2 * W, 12)
    ct = [c1, c1 + c2, c1 + c2 + c3, sum(C_LIST)]
    for name, c in (("b4", ct[0]), ("b8", ct[1]), ("b16", ct[2]), ("b32a", ct[3]), ("b32b", ct[3]), ("b32c", ct[3])):
        for half, (cin, cout) in enumerate([(ct[3], c), (ct[3] + c, 2 * c)]):
            p = f"model_lossless/{name}_{half}"
            conv(f"{p}/conv0", cin, MID), conv(f"{p}/conv1", MID, MID), conv(f"{p}/conv2", MID, MID)
            conv(f"{p}/conv3", MID, cout * Q)
            for i in range(3):
                bn(f"{p}/bn{i}", MID)
    out["model_lossless/d_pred"] = g.normal(0, 1, (ct[3], Q)).astype(np.float32)
    return out


def _bn(a, name, x):
    m, v = (torch.from_numpy(a[f"{name}/{k}"])[None, :, None, None] for k in ("avg_mean", "avg_var"))
    y = (x - m) / torch.sqrt(v + 2e-5)
    if f"{name}/gamma" in a:
        y = y * torch.from_numpy(a[f"{name}/gamma"])[None, :, None, None] + torch.from_numpy(a[f"{name}/beta"])[None, :, None, None]
    return y


def _conv(a, name, x):
    return F.conv2d(x, torch.from_numpy(a[f"{name}/W"]), torch.from_numpy(a[f"{name}/b"]), padding=1)


def official_analyzer(a, x_bgr):
    p = "model_lossy/analyzer"
    ablock = lambda k, h: _conv(a, f"{p}/b{k}/conv", F.relu(_bn(a, f"{p}/b{k}/bn", h)))  # noqa: E731
    h = ablock(0, _conv(a, f"{p}/conv", chainer_s2d(x_bgr, 2)))
    zs = []
    for k, c in zip((1, 2, 3), C_LIST):
        h = ablock(k, chainer_s2d(h, 2))
        zs, h = zs + [h[:, :c]], h[:, c:]
    zs.append(ablock(4, chainer_s2d(h, 2)))
    return [_bn(a, f"{p}/bn{k}", z) for k, z in enumerate(zs, 1)]


def official_synthesizer(a, zs):
    p = "model_lossy/synthesizer"
    sblock = lambda k, h: F.relu(_bn(a, f"{p}/b{k}/bn", _conv(a, f"{p}/b{k}/conv", h)))  # noqa: E731
    z1, z2, z3, z4 = zs
    h = sblock(5, z4)
    for k, z in ((4, z3), (3, z2), (2, z1)):
        h = sblock(k, torch.cat([z, chainer_d2s(h, 2)], dim=1))
    return chainer_d2s(_conv(a, f"{p}/conv", sblock(1, chainer_d2s(h, 2))), 2)


@pytest.fixture(scope="module")
def converted():
    arrays = official_arrays()
    model = NMSC(c_list=C_LIST, q_num=Q, width=W, ctx_width=MID).eval()
    for component, state in state_from_arrays(arrays).items():
        getattr(model, component).load_state_dict(state, strict=True)  # every key, every shape
    return arrays, model


def test_s2d_order_maps_chainer_channels_to_pixel_unshuffle():
    x = torch.randn(2, 5, 6, 4)
    assert torch.equal(F.pixel_unshuffle(x, 2), chainer_s2d(x, 2)[:, torch.from_numpy(s2d_order(5))])
    assert not torch.equal(F.pixel_unshuffle(x, 2), chainer_s2d(x, 2))  # the orders do differ


def test_converted_analyzer_equals_official_forward_on_rgb(converted):
    arrays, model = converted
    x = torch.rand(2, 3, 64, 96)
    with torch.no_grad():
        ours, theirs = model.analyzer(x), official_analyzer(arrays, x.flip(1))
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_converted_synthesizer_equals_official_forward_on_rgb(converted):
    arrays, model = converted
    zs = [torch.randint(0, Q, (2, c, 64 // n, 96 // n)).float() for c, n in zip(C_LIST, (4, 8, 16, 32))]
    with torch.no_grad():
        ours, theirs = model.synthesizer(zs), official_synthesizer(arrays, zs)
    torch.testing.assert_close(ours, theirs.flip(1), rtol=1e-4, atol=1e-4)


def test_context_model_keys_map_one_to_one(converted):
    arrays, model = converted
    state = state_from_arrays(arrays)["context_model"]
    assert torch.equal(state["blocks.64.1.body.9.weight"], torch.from_numpy(arrays["model_lossless/b32b_1/conv3/W"]))
    assert torch.equal(model.context_model.final_logits, torch.from_numpy(arrays["model_lossless/d_pred"]))


def test_bad_snapshots_get_clean_errors(tmp_path):
    arrays = official_arrays()
    lossy_only = {k.removeprefix("model_lossy/"): v for k, v in arrays.items() if k.startswith("model_lossy/")}
    with pytest.raises(OfficialSnapshotError, match="model_lossy, the autoencoder alone"):
        state_from_arrays(lossy_only)
    extra = dict(arrays, **{"model_lossless/b64_0/conv0/W": np.zeros(1, np.float32)})
    with pytest.raises(OfficialSnapshotError, match="unexpected keys.*b64_0"):
        state_from_arrays(extra)
    missing = {k: v for k, v in arrays.items() if not k.startswith("model_lossy/synthesizer/b3/")}
    with pytest.raises(OfficialSnapshotError, match="synthesizer/b3"):
        state_from_arrays(missing)
    junk = tmp_path / "model_all"
    junk.write_bytes(b"not an npz at all")
    with pytest.raises(OfficialSnapshotError, match="not a Chainer .npz"):
        from_official(junk)
    pickled = tmp_path / "pickled.npz"
    np.savez(pickled, obj=np.array([{"a": 1}], dtype=object))
    with pytest.raises(OfficialSnapshotError, match="not a Chainer .npz"):
        from_official(pickled)

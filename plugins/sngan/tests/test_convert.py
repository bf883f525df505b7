"""Converter from official Chainer npz snapshots: key layout and shapes as documented in the
research notes (section 1.6), strict loading, and a NumPy forward of the official networks."""

import numpy as np
import pytest
import torch
from numpy.lib.stride_tricks import sliding_window_view

from zoo_sngan import convert
from zoo_sngan.convert import OfficialFormatError, from_official
from zoo_sngan.models import SNGAN, ResNetDiscriminator, ResNetGenerator

CIFAR_D = dict(channels=[128] * 4, downsample=[True, True, False, False], head_bias=False)


# ----------------------------------------------------------------------------- official layouts

def _draw(rng, shape, scale=1.0, offset=0.0, uniform=False):
    """Random float32 array (or a zero-stride stand-in when ``rng`` is a :class:`LazyRng`)."""
    if isinstance(rng, LazyRng):
        return np.broadcast_to(np.float32(0), np.atleast_1d(shape))
    x = rng.random(shape) if uniform else rng.standard_normal(shape)
    return (offset + scale * x).astype(np.float32)


def official_generator_arrays(widths, n_classes, rng, *, final=("b5", "c5"), bottom=4, dim_z=128):
    """Chainer ``ResNetGenerator`` npz layout: l1, block2.., final BN and conv."""
    a = {"l1/W": _draw(rng, (bottom * bottom * widths[0], dim_z), 0.05),
         "l1/b": _draw(rng, bottom * bottom * widths[0], 0.05)}

    def bn(prefix, ch, conditional):
        if conditional:
            a[f"{prefix}/gammas/W"] = _draw(rng, (n_classes, ch), 0.1, 1.0)
            a[f"{prefix}/betas/W"] = _draw(rng, (n_classes, ch), 0.1)
        else:
            a[f"{prefix}/gamma"] = _draw(rng, ch, 0.1, 1.0)
            a[f"{prefix}/beta"] = _draw(rng, ch, 0.1)
        a[f"{prefix}/avg_mean"] = _draw(rng, ch, 0.1)
        a[f"{prefix}/avg_var"] = _draw(rng, ch, 1.0, 0.5, uniform=True)
        a[f"{prefix}/N"] = np.array(0)

    for k, (cin, cout) in enumerate(zip(widths[:-1], widths[1:]), start=2):
        for name, shape in (("c1", (cout, cin, 3, 3)), ("c2", (cout, cout, 3, 3)),
                            ("c_sc", (cout, cin, 1, 1))):
            a[f"block{k}/{name}/W"] = _draw(rng, shape, 0.1)
            a[f"block{k}/{name}/b"] = _draw(rng, cout, 0.1)
        bn(f"block{k}/b1", cin, n_classes > 0)
        bn(f"block{k}/b2", cout, n_classes > 0)
    bn_name, conv = final
    bn(bn_name, widths[-1], False)
    a[f"{conv}/W"] = _draw(rng, (3, widths[-1], 3, 3), 0.1)
    a[f"{conv}/b"] = _draw(rng, 3, 0.1)
    return a


def official_discriminator_arrays(widths, downsample, n_classes, rng, *, head="l5", head_bias=False):
    """Chainer ``SNResNetProjectionDiscriminator`` npz layout: block1.., head, l_y (with u)."""
    a = {}

    def sn(key, shape, bias=True):
        a[f"{key}/W"] = _draw(rng, shape, 0.2)
        if bias:
            a[f"{key}/b"] = _draw(rng, shape[0], 0.1)
        a[f"{key}/u"] = _draw(rng, (1, shape[0]))

    sn("block1/c1", (widths[0], 3, 3, 3))
    sn("block1/c2", (widths[0], widths[0], 3, 3))
    sn("block1/c_sc", (widths[0], 3, 1, 1))
    for k in range(2, len(widths) + 1):
        cin, cout = widths[k - 2], widths[k - 1]
        sn(f"block{k}/c1", (cin, cin, 3, 3))  # hidden = in_channels
        sn(f"block{k}/c2", (cout, cin, 3, 3))
        if cin != cout or downsample[k - 1]:
            sn(f"block{k}/c_sc", (cout, cin, 1, 1))
    sn(head, (1, widths[-1]), bias=head_bias)
    if n_classes:
        sn("l_y", (n_classes, widths[-1]), bias=False)
    return a


class LazyRng:
    """Stands in for a numpy Generator and returns zero-stride arrays of the asked shape."""

    def standard_normal(self, shape):
        return np.broadcast_to(np.float32(0), np.atleast_1d(shape))

    def random(self, shape):
        return self.standard_normal(shape)


# ----------------------------------------------------------------------------- numpy forward

def np_conv(x, w, b, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = sliding_window_view(x, w.shape[2:], axis=(2, 3))  # (B, C, H, W, kh, kw)
    out = np.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    return out + (0 if b is None else b[None, :, None, None])


def np_bn_eval(x, mean, var, gamma, beta, eps=2e-5):
    xh = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + eps)
    g = gamma if gamma.ndim == 2 else gamma[None]
    bt = beta if beta.ndim == 2 else beta[None]
    return g[:, :, None, None] * xh + bt[:, :, None, None]


def np_sn(w, u, eps=1e-12):
    m = w.reshape(w.shape[0], -1)
    v = u @ m
    v = v / (np.sqrt((v * v).sum()) + eps)
    u2 = v @ m.T
    u2 = u2 / (np.sqrt((u2 * u2).sum()) + eps)
    return w / (u2 @ m @ v.T).item()


def relu(x):
    return np.maximum(x, 0)


def up(x):
    return x.repeat(2, axis=2).repeat(2, axis=3)


def avgpool(x):
    b, c, h, w = x.shape
    return x.reshape(b, c, h // 2, 2, w // 2, 2).mean(axis=(3, 5))


def np_generator(a, z, y, n_blocks, final=("b5", "c5"), bottom=4):
    a = {k: v.astype(np.float64) for k, v in a.items()}
    h = (z @ a["l1/W"].T + a["l1/b"]).reshape(len(z), -1, bottom, bottom)
    for k in range(2, 2 + n_blocks):
        p = f"block{k}"

        def bn(name, t):
            g = a[f"{p}/{name}/gammas/W"][y] if y is not None else a[f"{p}/{name}/gamma"]
            bt = a[f"{p}/{name}/betas/W"][y] if y is not None else a[f"{p}/{name}/beta"]
            return np_bn_eval(t, a[f"{p}/{name}/avg_mean"], a[f"{p}/{name}/avg_var"], g, bt)

        r = np_conv(up(relu(bn("b1", h))), a[f"{p}/c1/W"], a[f"{p}/c1/b"], 1)
        r = np_conv(relu(bn("b2", r)), a[f"{p}/c2/W"], a[f"{p}/c2/b"], 1)
        h = r + np_conv(up(h), a[f"{p}/c_sc/W"], a[f"{p}/c_sc/b"], 0)
    bn, conv = final
    h = relu(np_bn_eval(h, a[f"{bn}/avg_mean"], a[f"{bn}/avg_var"], a[f"{bn}/gamma"], a[f"{bn}/beta"]))
    return np.tanh(np_conv(h, a[f"{conv}/W"], a[f"{conv}/b"], 1))


def np_discriminator(a, x, y, downsample, head="l5"):
    """Official forward in eval mode: each SN layer takes one step from its stored u."""
    a = {k: v.astype(np.float64) for k, v in a.items()}

    def conv(key, t, pad):
        return np_conv(t, np_sn(a[f"{key}/W"], a[f"{key}/u"]), a[f"{key}/b"], pad)

    h = avgpool(conv("block1/c2", relu(conv("block1/c1", x, 1)), 1)) + conv("block1/c_sc", avgpool(x), 0)
    for k in range(2, len(downsample) + 1):
        r = conv(f"block{k}/c2", relu(conv(f"block{k}/c1", relu(h), 1)), 1)
        s = conv(f"block{k}/c_sc", h, 0) if f"block{k}/c_sc/W" in a else h
        if downsample[k - 1]:
            r, s = avgpool(r), (avgpool(s) if f"block{k}/c_sc/W" in a else s)
        h = r + s
    h = relu(h).sum(axis=(2, 3))
    out = h @ np_sn(a[f"{head}/W"], a[f"{head}/u"]).T + a.get(f"{head}/b", 0)
    if y is not None:
        out = out + (np_sn(a["l_y/W"], a["l_y/u"])[y] * h).sum(1, keepdims=True)
    return out


# ----------------------------------------------------------------------------- tests

@pytest.fixture(scope="module")
def npz_paths(tmp_path_factory):
    """Official CIFAR-10 conditional nets (sn_cifar10_conditional.yml) saved as npz files."""
    rng = np.random.default_rng(0)
    d = tmp_path_factory.mktemp("official")
    g = official_generator_arrays([256] * 4, 10, rng)
    dis = official_discriminator_arrays([128] * 4, CIFAR_D["downsample"], 10, rng)
    assert g["block2/b1/gammas/W"].shape == (10, 256) and g["l1/W"].shape == (4096, 128)
    assert dis["l5/W"].shape == (1, 128) and dis["l5/u"].shape == (1, 1)
    assert dis["l_y/W"].shape == (10, 128) and dis["l_y/u"].shape == (1, 10)
    np.savez(d / "ResNetGenerator_50000.npz", **g)
    np.savez(d / "SNResNetProjectionDiscriminator_50000.npz", **dis)
    return d / "ResNetGenerator_50000.npz", d / "SNResNetProjectionDiscriminator_50000.npz", g, dis


class TestCifar10OfficialLayout:
    """Exact official shapes of the conditional CIFAR-10 nets, strict load, NumPy parity."""

    def test_generator_loads_strictly_and_matches_numpy_forward(self, npz_paths):
        g_path, _, g_arrays, _ = npz_paths
        parts = from_official(g_path)
        assert set(parts) == {"generator"}
        gen = ResNetGenerator(channels=[256] * 4, n_classes=10).eval()
        gen.load_state_dict(parts["generator"], strict=True)
        gen.double()
        torch.testing.assert_close(gen.blocks[1].b2.gammas,
                                   torch.from_numpy(g_arrays["block3/b2/gammas/W"]).double(), rtol=0, atol=0)
        rng = np.random.default_rng(1)
        z = rng.standard_normal((2, 128))
        y = np.array([3, 9])
        with torch.no_grad():
            ours = gen(torch.from_numpy(z), torch.from_numpy(y)).numpy()
        np.testing.assert_allclose(ours, np_generator(g_arrays, z, y, 3), rtol=1e-9, atol=1e-9)

    def test_discriminator_loads_strictly_and_matches_numpy_forward(self, npz_paths):
        _, d_path, _, d_arrays = npz_paths
        parts = from_official(d_path)
        assert set(parts) == {"discriminator"}
        dis = ResNetDiscriminator(n_classes=10, **CIFAR_D).eval()
        dis.load_state_dict(parts["discriminator"], strict=True)
        dis.double()
        x = np.random.default_rng(2).uniform(-1, 1, (2, 3, 32, 32))
        y = np.array([0, 7])
        with torch.no_grad():
            ours = dis(torch.from_numpy(x), torch.from_numpy(y)).numpy()
        ref = np_discriminator(d_arrays, x, y, CIFAR_D["downsample"])
        np.testing.assert_allclose(ours, ref, rtol=1e-9, atol=1e-9)

    def test_trainer_snapshot_prefixes(self, npz_paths, tmp_path):
        _, _, g_arrays, d_arrays = npz_paths
        both = {f"updater/model:gen/{k}": v for k, v in g_arrays.items()}
        both.update({f"updater/model:dis/{k}": v for k, v in d_arrays.items()})
        both["updater/optimizer:opt_gen/alpha"] = np.array(2e-4)
        np.savez(tmp_path / "snapshot_iter_50000", **both)
        parts = from_official(tmp_path / "snapshot_iter_50000.npz")
        gan = SNGAN(arch="resnet", n_classes=10, generator={"channels": [256] * 4},
                    discriminator=CIFAR_D)
        gan.generator.load_state_dict(parts["generator"], strict=True)
        gan.discriminator.load_state_dict(parts["discriminator"], strict=True)

    def test_torch_semantics_reproduces_chainer_eval(self, npz_paths):
        _, d_path, _, _ = npz_paths
        chainer_d = ResNetDiscriminator(n_classes=10, **CIFAR_D).eval()
        chainer_d.load_state_dict(from_official(d_path)["discriminator"])
        torch_d = ResNetDiscriminator(n_classes=10, sn_semantics="torch", **CIFAR_D).eval()
        torch_d.load_state_dict(from_official(d_path, sn_semantics="torch")["discriminator"])
        x, y = torch.rand(2, 3, 32, 32) * 2 - 1, torch.tensor([1, 2])
        with torch.no_grad():
            torch.testing.assert_close(torch_d(x, y), chainer_d(x, y), rtol=1e-4, atol=1e-4)


class TestImageNet128Shapes:
    """The notes' ImageNet-128 layout maps onto our meta-built model, key for key, shape for shape.

    Arrays are zero-stride broadcasts (nothing large is allocated); the private converters
    are called directly because the public one materializes tensors."""

    @staticmethod
    def _model():
        with torch.device("meta"):
            return SNGAN(arch="resnet", n_classes=1000,
                         generator={"channels": [1024, 1024, 512, 256, 128, 64]},
                         discriminator={"channels": [64, 128, 256, 512, 1024, 1024],
                                        "downsample": [True] * 5 + [False]})

    @staticmethod
    def _shapes(state):
        return {k: tuple(np.shape(v)) for k, v in state.items()}

    def test_generator(self):
        arrays = official_generator_arrays([1024, 1024, 512, 256, 128, 64], 1000, LazyRng(),
                                           final=("b7", "l7"))
        for key, shape in {"l1/W": (16384, 128), "l1/b": (16384,), "block2/c1/W": (1024, 1024, 3, 3),
                           "block2/c_sc/W": (1024, 1024, 1, 1), "block3/c1/W": (512, 1024, 3, 3),
                           "block3/c2/W": (512, 512, 3, 3), "block3/c_sc/W": (512, 1024, 1, 1),
                           "block6/c1/W": (64, 128, 3, 3), "block4/b1/gammas/W": (1000, 512),
                           "block4/b2/betas/W": (1000, 256), "l7/W": (3, 64, 3, 3),
                           "b7/avg_var": (64,)}.items():
            assert arrays[key].shape == shape, key  # the notes' ImageNet-128 layout
        expected = self._shapes(self._model().generator.state_dict())
        assert self._shapes(convert._convert_generator(arrays)) == expected

    def test_discriminator(self):
        arrays = official_discriminator_arrays([64, 128, 256, 512, 1024, 1024], [True] * 5 + [False],
                                               1000, LazyRng(), head="l7", head_bias=True)
        for key, shape in {"block1/c1/W": (64, 3, 3, 3), "block1/c1/u": (1, 64),
                           "block6/c1/W": (1024, 1024, 3, 3), "l7/W": (1, 1024), "l7/b": (1,),
                           "l7/u": (1, 1), "l_y/W": (1000, 1024), "l_y/u": (1, 1000)}.items():
            assert arrays[key].shape == shape, key
        assert "block6/c_sc/W" not in arrays  # 1024 -> 1024 without downsampling: identity
        expected = self._shapes(self._model().discriminator.state_dict())
        ours = convert._finish_sn(convert._convert_discriminator(arrays), "chainer", "error")
        assert self._shapes(ours) == expected


class TestStandardCnnAndErrors:
    def test_chainer_gan_lib_cnn_without_u(self, tmp_path):
        rng = np.random.default_rng(3)
        gan = SNGAN(arch="cnn", generator={"ch": 64}, discriminator={"ch": 64})
        names = ["c0_0", "c0_1", "c1_0", "c1_1", "c2_0", "c2_1", "c3_0"]
        d = {}
        for i, name in enumerate(names):
            conv = gan.discriminator.convs[i]
            d[f"{name}/W"] = rng.standard_normal(tuple(conv.weight.shape)).astype(np.float32)
            d[f"{name}/b"] = rng.standard_normal(conv.out_channels).astype(np.float32)
        d["l4/W"] = rng.standard_normal((1, 4 * 4 * 64)).astype(np.float32)
        d["l4/b"] = np.zeros(1, np.float32)
        np.savez(tmp_path / "dis.npz", **d)
        sd = from_official(tmp_path / "dis.npz")["discriminator"]
        gan.discriminator.load_state_dict(sd, strict=True)
        top = np.linalg.svd(d["c1_1/W"].reshape(32, -1).astype(np.float64))[1][0]
        assert abs(float(gan.discriminator.convs[3].sigma_estimate()) - top) < 1e-4 * top
        with pytest.raises(OfficialFormatError, match="No power-iteration vector"):
            from_official(tmp_path / "dis.npz", missing_u="error")

    def test_unknown_layout_and_extra_keys(self, tmp_path):
        np.savez(tmp_path / "x.npz", **{"foo/W": np.zeros(2, np.float32)})
        with pytest.raises(OfficialFormatError, match="Cannot tell"):
            from_official(tmp_path / "x.npz")
        g = official_generator_arrays([4, 4], 0, np.random.default_rng(0))
        g["block2/extra/W"] = np.zeros(1, np.float32)
        np.savez(tmp_path / "g.npz", **g)
        with pytest.raises(OfficialFormatError, match="block2/extra/W"):
            from_official(tmp_path / "g.npz")

    def test_pickled_arrays_are_refused(self, tmp_path):
        np.savez(tmp_path / "p.npz", **{"l1/W": np.array([object()], dtype=object)})
        with pytest.raises(ValueError, match="allow_pickle"):
            from_official(tmp_path / "p.npz")

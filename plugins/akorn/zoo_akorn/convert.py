"""Convert official AKOrN checkpoints (``autonomousvision/akorn``) to Zoo state dicts.

Official files are ``torch.save({"epoch", "model_state_dict", ...})``; for ``ema_*.pth`` the
state dict is the whole ``ema_pytorch.EMA`` wrapper (keys ``ema_model.*``, ``online_model.*``,
``initted``, ``step``), and the final ``model.pth`` / ``ema_model.pth`` are raw state dicts.
Files are read with ``torch.load(weights_only=True)`` only.

Differences handled here: key names; 1x1 convolutions in attention / MLPs become linear
weights (``[out, in, 1, 1] -> [out, in]``); ``LayerNormForImage`` parameters
``[1, C, 1, 1] -> [C]``; the CIFAR transition conv, stored twice officially
(``layers.l.0.0`` and ``layers.l.0.1``, one module), is kept once after checking equality.

Example::

    from zoo_akorn.convert import from_official
    sd = from_official("runs/tetrominoes_akorn_attn/ema_49.pth")["model"]
    model.load_state_dict(sd)
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Callable, Literal

import torch
from torch import Tensor

Arch = Literal["akorn", "classifier", "sudoku", "itrsa", "sudoku-itrsa"]
ARCHS = ("akorn", "classifier", "sudoku", "itrsa", "sudoku-itrsa")

_flat = lambda t: t.flatten(1)                 # noqa: E731  1x1 conv -> linear
_vec = lambda t: t.reshape(-1)                 # noqa: E731  [1, C, 1, 1] -> [C]
_same = lambda t: t                            # noqa: E731

_KLAYER = [  # official KLayer (prefix {P}) -> ours (prefix {Q})
    (r"{P}connectivity\.W_qkv\.weight", "{Q}J.qkv.weight", _flat),
    (r"{P}connectivity\.W_qkv\.bias", "{Q}J.qkv.bias", _same),
    (r"{P}connectivity\.W_o\.weight", "{Q}J.out.weight", _flat),
    (r"{P}connectivity\.W_o\.bias", "{Q}J.out.bias", _same),
    (r"{P}connectivity\.(?P<m>mat_[qkvo])", r"{Q}J.\g<m>", _same),
    (r"{P}connectivity\.(?P<m>weight|bias)", r"{Q}J.\g<m>", _same),
    (r"{P}c_norm\.(?P<m>weight|bias|scale)", r"{Q}c_norm.\g<m>", _same),
    (r"{P}omg\.omg_param", "{Q}omega.param", _same),
]


def _klayer(p: str, q: str) -> list[tuple[str, str, Callable]]:
    """The KLayer rules under official prefix ``p`` (a regex) and Zoo prefix ``q``."""
    return [(pat.replace("{P}", p), rep.replace("{Q}", q), fn) for pat, rep, fn in _KLAYER]


_L = r"(?P<l>\d+)"
_RULES: dict[str, list[tuple[str, str, Callable]]] = {
    "akorn": [
        (r"gamma", "gamma", _same),
        (r"patchfy\.1\.(?P<m>weight|bias)", r"patchify.\g<m>", _same),
        (r"pemb_x", "pos_x", _same),
        (r"pemb_c", "pos_c", _same),
        *_klayer(rf"layers\.{_L}\.0\.", r"blocks.\g<l>.kuramoto."),
        (rf"layers\.{_L}\.1\.invconv\.(?P<m>weight|bias)", r"blocks.\g<l>.readout.conv.\g<m>", _same),
        (rf"layers\.{_L}\.1\.bias", r"blocks.\g<l>.readout.bias", _same),
        (rf"layers\.{_L}\.2\.(?P<m>weight|bias)", r"blocks.\g<l>.lin_x.\g<m>", _same),
        (r"out\.3\.(?P<m>weight|bias)", r"head.0.\g<m>", _same),
        (r"out\.5\.(?P<m>weight|bias)", r"head.2.\g<m>", _same),
    ],
    "sudoku": [
        (r"gamma", "gamma", _same),
        (r"x0", "x0", _same),
        (r"embedding\.weight", "embedding.weight", _same),
        *_klayer(rf"layers\.{_L}\.0\.", r"blocks.\g<l>.kuramoto."),
        (rf"layers\.{_L}\.1\.0\.invconv\.(?P<m>weight|bias)", r"blocks.\g<l>.readout.conv.\g<m>", _same),
        (rf"layers\.{_L}\.1\.0\.bias", r"blocks.\g<l>.readout.bias", _same),
        (rf"layers\.{_L}\.1\.1\.fn\.fn\.0\.fn\.2\.weight", r"blocks.\g<l>.ff1.weight", _flat),
        (rf"layers\.{_L}\.1\.1\.fn\.fn\.0\.fn\.2\.bias", r"blocks.\g<l>.ff1.bias", _same),
        (rf"layers\.{_L}\.1\.1\.fn\.fn\.1\.fn\.2\.weight", r"blocks.\g<l>.ff2.weight", _flat),
        (rf"layers\.{_L}\.1\.1\.fn\.fn\.1\.fn\.2\.bias", r"blocks.\g<l>.ff2.bias", _same),
        (rf"layers\.{_L}\.1\.2\.fn\.2\.weight", r"blocks.\g<l>.proj.weight", _flat),
        (rf"layers\.{_L}\.1\.2\.fn\.2\.bias", r"blocks.\g<l>.proj.bias", _same),
        (r"out\.1\.weight", "out.weight", _flat),
        (r"out\.1\.bias", "out.bias", _same),
    ],
    "classifier": [
        (r"gamma", "gamma", _same),
        (r"conv0\.weight", "conv0.weight", _same),
        (rf"layers\.{_L}\.0\.0\.(?P<m>weight|bias)", r"blocks.\g<l>.transition.\g<m>", _same),
        *_klayer(rf"layers\.{_L}\.2\.", r"blocks.\g<l>.kuramoto."),
        (rf"layers\.{_L}\.3\.0\.invconv\.(?P<m>weight|bias)", r"blocks.\g<l>.readout.conv.\g<m>", _same),
        (rf"layers\.{_L}\.3\.0\.bias", r"blocks.\g<l>.readout.bias", _same),
        (rf"layers\.{_L}\.3\.1\.fn\.fn\.(?P<i>[01])\.fn\.0\.(?P<m>\w+)", None, _same),  # FF norms, see _ff
        (rf"layers\.{_L}\.3\.1\.fn\.fn\.(?P<i>[01])\.fn\.2\.(?P<m>weight|bias)", None, _same),  # FF convs
        (rf"layers\.{_L}\.3\.2\.fn\.0\.(?P<m>\w+)", r"blocks.\g<l>.proj.norm.\g<m>", _same),
        (rf"layers\.{_L}\.3\.2\.fn\.2\.(?P<m>weight|bias)", r"blocks.\g<l>.proj.conv.\g<m>", _same),
        (r"out\.(?P<m>weight|bias)", r"out.\g<m>", _same),
    ],
    "itrsa": [
        (r"patchfy\.1\.(?P<m>weight|bias)", r"patchify.\g<m>", _same),
        (r"pos_embed", "pos_embed", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.layernorm(?P<i>[12])\.gamma", r"blocks.\g<b>.norm\g<i>.weight", _vec),
        (r"transformer_encoder\.(?P<b>\d+)\.layernorm(?P<i>[12])\.beta", r"blocks.\g<b>.norm\g<i>.bias", _vec),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.W_qkv\.weight", r"blocks.\g<b>.attn.qkv.weight", _flat),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.W_qkv\.bias", r"blocks.\g<b>.attn.qkv.bias", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.W_o\.weight", r"blocks.\g<b>.attn.out.weight", _flat),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.W_o\.bias", r"blocks.\g<b>.attn.out.bias", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.(?P<m>mat_[qkvo])", r"blocks.\g<b>.attn.\g<m>", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.mlp\.(?P<i>[02])\.weight", r"blocks.\g<b>.mlp.\g<i>.weight", _flat),
        (r"transformer_encoder\.(?P<b>\d+)\.mlp\.(?P<i>[02])\.bias", r"blocks.\g<b>.mlp.\g<i>.bias", _same),
        (r"out\.0\.gamma", "out_norm.weight", _vec),
        (r"out\.0\.beta", "out_norm.bias", _vec),
        (r"out\.3\.(?P<m>weight|bias)", r"head.0.\g<m>", _same),
        (r"out\.5\.(?P<m>weight|bias)", r"head.2.\g<m>", _same),
    ],
    "sudoku-itrsa": [
        (r"embedding\.weight", "embedding.weight", _same),
        (r"pos_embed", "pos_embed", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.layernorm(?P<i>[12])\.(?P<m>weight|bias)", r"blocks.\g<b>.norm\g<i>.\g<m>", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.W_qkv\.(?P<m>weight|bias)", r"blocks.\g<b>.attn.qkv.\g<m>", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.W_o\.(?P<m>weight|bias)", r"blocks.\g<b>.attn.out.\g<m>", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.attn\.(?P<m>mat_[qkvo])", r"blocks.\g<b>.attn.\g<m>", _same),
        (r"transformer_encoder\.(?P<b>\d+)\.mlp\.(?P<i>[02])\.(?P<m>weight|bias)", r"blocks.\g<b>.mlp.\g<i>.\g<m>", _same),
        (r"out\.0\.(?P<m>weight|bias)", r"out_norm.\g<m>", _same),
        (r"out\.1\.(?P<m>weight|bias)", r"out.\g<m>", _same),
    ],
}


class ConversionError(ValueError):
    """An official state dict could not be mapped (unknown keys, inconsistent duplicates)."""


def unwrap(obj: dict) -> dict[str, Tensor]:
    """The model state dict inside an official checkpoint object (strips the EMA wrapper)."""
    if not isinstance(obj, dict):
        raise ConversionError(f"expected a dict checkpoint, got {type(obj).__name__}")
    sd = obj.get("model_state_dict", obj)
    if any(k.startswith("ema_model.") for k in sd):
        sd = {k[len("ema_model."):]: v for k, v in sd.items() if k.startswith("ema_model.")}
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in sd.items()}


def detect_arch(sd: dict[str, Tensor]) -> str:
    """Guess the official architecture of a state dict from its key names."""
    keys = set(sd)
    if "conv0.weight" in keys:
        return "classifier"
    if "embedding.weight" in keys:
        return "sudoku" if "gamma" in keys else "sudoku-itrsa"
    if any(k.startswith("transformer_encoder.") for k in keys):
        return "itrsa"
    if "patchfy.1.weight" in keys:
        return "akorn"
    raise ConversionError("cannot tell which AKOrN architecture this state dict belongs to "
                          f"(first keys: {sorted(keys)[:5]}); pass arch= one of {ARCHS}")


def convert_state_dict(sd: dict[str, Tensor], *, arch: str | None = None) -> dict[str, Tensor]:
    """Map an official (unwrapped) state dict to Zoo key names and shapes.

    Raises:
        ConversionError: unknown keys, or the two copies of a CIFAR transition conv differ.
    """
    arch = arch or detect_arch(sd)
    if arch not in _RULES:
        raise ConversionError(f"unknown arch {arch!r}; expected one of {ARCHS}")
    rules = [(re.compile(p), r, fn) for p, r, fn in _RULES[arch]]
    out: dict[str, Tensor] = {}
    unknown = []
    for key, value in sd.items():
        if arch == "classifier":
            dup = re.fullmatch(r"layers\.(\d+)\.0\.1\.(weight|bias)", key)
            if dup:
                twin = sd.get(f"layers.{dup.group(1)}.0.0.{dup.group(2)}")
                if twin is None or not torch.equal(twin, value):
                    raise ConversionError(f"{key}: the shared transition conv has two different copies")
                continue
        for pat, rep, fn in rules:
            m = pat.fullmatch(key)
            if m:
                if rep is None:  # classifier FF: layers.l.3.1.fn.fn.i.fn.{0: norm, 2: conv}.*
                    part = "norm" if re.search(r"\.fn\.0\.[^.]+$", key) else "conv"
                    new = f"blocks.{m.group('l')}.ff{int(m.group('i')) + 1}.{part}.{m.group('m')}"
                else:
                    new = m.expand(rep)
                out[new] = fn(value)
                break
        else:
            unknown.append(key)
    if unknown:
        raise ConversionError(f"{len(unknown)} official key(s) not understood for arch {arch!r}: {unknown[:8]}")
    return out


def from_official(path: str | Path, *, arch: str | None = None) -> dict[str, dict[str, Tensor]]:
    """Read an official checkpoint file and return ``{"model": state_dict}`` with Zoo keys.

    Args:
        path: ``checkpoint_*.pth``, ``ema_*.pth``, ``model.pth`` or ``ema_model.pth``.
        arch: one of ``akorn, classifier, sudoku, itrsa, sudoku-itrsa``; guessed when None.

    Raises:
        FileNotFoundError: the file does not exist.
        ConversionError: the contents are not an AKOrN checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"official AKOrN checkpoint not found: {path}")
    obj = torch.load(path, map_location="cpu", weights_only=True)
    return {"model": convert_state_dict(unwrap(obj), arch=arch)}


__all__ = ["from_official", "convert_state_dict", "unwrap", "detect_arch", "ConversionError", "ARCHS"]

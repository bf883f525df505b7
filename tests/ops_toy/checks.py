"""Check functions for tests/test_ops.py; each runs inside ``run_interpreted``'s process."""

import torch

from zoo_core.ops.testing import check_op


def _toy_cases():
    g = torch.Generator().manual_seed(0)
    shapes = [(1,), (7,), (130,), (3, 45), (0,), (4, 0)]   # odd, multi-program, 2-D, empty
    return [(torch.randn(s, generator=g), torch.randn(s, generator=g), 2.5) for s in shapes]


def _toy(op_name):
    from ops_toy import scaled_add

    return check_op(getattr(scaled_add, op_name), _toy_cases(), dtypes=(torch.float32, torch.bfloat16))


def check_scaled_add():
    return _toy("SCALED_ADD")


def check_off_by_one():
    return _toy("OFF_BY_ONE")


def check_wrong_backward():
    return _toy("WRONG_BACKWARD")


def check_ignores_strides():
    return _toy("IGNORES_STRIDES")


def _rotate_cases(b):
    """(x, R) pairs: broadcast both ways, odd token counts, shared R across tokens, empty sizes, multi-program."""
    g = torch.Generator().manual_seed(b)

    def pair(x_shape, R_shape):
        return torch.randn(x_shape, generator=g), torch.randn(R_shape, generator=g)

    return [
        pair((2, 3, 5, 4 * b), (5, 4, b, b)),          # [B, H, T, D] with R shared over B, H (GTA)
        pair((7, 3 * b), (7, 3, b, b)),                # no leading dims, odd T
        pair((2, 1, 3, 2 * b), (3, 1, 2, b, b)),       # leading dims (2, 1) x (3,) -> (2, 3); R shared over tokens
        pair((5, 2 * b), (3, 5, 2, b, b)),             # x broadcast against R
        pair((2, 0, 2 * b), (0, 2, b, b)),             # empty tokens
        pair((0, 3, b), (3, 1, b, b)),                 # empty batch
        pair((150, 5 * b), (150, 5, b, b)),            # several programs along T, masked K (5 of 8)
    ]


def _rotate(b):
    from zoo_core.ops.rotate_blocks import OP

    return check_op(OP, _rotate_cases(b), dtypes=(torch.float32, torch.bfloat16))


def check_rotate_blocks_b2():
    return _rotate(2)


def check_rotate_blocks_b3():
    return _rotate(3)


def check_rotate_blocks_other_b():
    """b = 1 and 5 (the kernel is generic in b; SO(3) degree-2 irreps are 5x5)."""
    from zoo_core.ops.rotate_blocks import OP

    g = torch.Generator().manual_seed(5)
    cases = [(torch.randn(3, 7, 5 * b, generator=g), torch.randn(7, 5, b, b, generator=g)) for b in (1, 5)]
    return check_op(OP, cases, dtypes=(torch.float32,), gradcheck=("reference",))


def check_environment():
    """Reports what the interpreter process sees (the test asserts on it)."""
    import os
    import sys

    return [f"TRITON_INTERPRET={os.environ.get('TRITON_INTERPRET')}", f"kernels_loaded={'zoo_core.ops.rotate_blocks.function' in sys.modules}"]


def check_rotate_blocks_partial_grads():
    """Only x or only R requires grad (the kernel skips the other gradient); R shared over batch and tokens."""
    from zoo_core.ops.rotate_blocks import rotate_blocks

    g = torch.Generator().manual_seed(7)
    x0, R0 = torch.randn(3, 5, 6, generator=g), torch.randn(1, 3, 2, 2, generator=g)
    cot = torch.randn(3, 5, 6, generator=g)
    done = []
    for which in ("x", "R"):
        grads = {}
        for impl in ("reference", "triton"):
            x, R = x0.clone().requires_grad_(which == "x"), R0.clone().requires_grad_(which == "R")
            rotate_blocks(x, R, impl=impl).backward(cot)
            assert (x.grad is None) == (which == "R") and (R.grad is None) == (which == "x"), f"{impl}: wrong grads set"
            grads[impl] = x.grad if which == "x" else R.grad
        torch.testing.assert_close(grads["triton"], grads["reference"], atol=1e-5, rtol=1e-5)
        done.append(f"only {which} requires grad: match")
    return done


def check_rotate_blocks_transpose():
    """transpose=True (R^T, never materialised) for b = 2..5: odd sizes, broadcast leading dims, R shared over
    tokens, an empty case; float32 / float64 / float16 / bfloat16 against the reference."""
    from zoo_core.ops.rotate_blocks import OP
    from zoo_core.ops.testing import case

    g = torch.Generator().manual_seed(11)
    cases = []
    for b in (2, 3, 4, 5):
        cases += [
            case(torch.randn(2, 3, 5, 3 * b, generator=g), torch.randn(2, 1, 5, 3, b, b, generator=g), transpose=True),
            case(torch.randn(3, 7, 2 * b, generator=g), torch.randn(1, 2, b, b, generator=g), transpose=True),
        ]
    cases.append(case(torch.randn(0, 3, 8, generator=g), torch.randn(3, 2, 4, 4, generator=g), transpose=True))
    tolerances = {torch.float16: (2e-3, 2e-3)}
    return check_op(OP, cases, dtypes=(torch.float32, torch.float64, torch.float16, torch.bfloat16),
                    tolerances=tolerances, strided=False, gradcheck_max_numel=120)


def _representation_cases():
    """apply_representation calls: GTA's [triv | se3 | so3 (3x3, 5x5 alternating) | so2] with mixed transposes,
    T(2) 3x3 blocks shared over tokens, x broadcast against the blocks, empty tokens, a multi-program row with a
    masked channel tail, identity only."""
    from zoo_core.ops.testing import case

    g = torch.Generator().manual_seed(13)

    def r(*shape):
        return torch.randn(shape, generator=g)

    D1, D2 = r(2, 1, 5, 1, 3, 3), r(2, 1, 5, 1, 5, 5)
    return [
        case(r(2, 3, 5, 32), 2, r(2, 1, 5, 2, 4, 4), D1, D2, D1, D2, r(5, 3, 2, 2),
             transpose=(False, True, False, False, False, False, False)),
        case(r(7, 10), r(1, 1, 3, 3), 3, r(7, 2, 2, 2), transpose=True),
        case(r(5, 9), r(3, 5, 1, 5, 5), 0, r(1, 5, 2, 2, 2), transpose=(True, False, False)),
        case(r(2, 0, 6), r(0, 2, 3, 3)),
        case(r(150, 13), 1, r(150, 3, 4, 4)),
        case(r(3, 4, 5), 2, 3),
    ]


def check_representation():
    from zoo_core.ops.representation import OP

    return check_op(OP, _representation_cases(), dtypes=(torch.float32, torch.bfloat16), gradcheck_max_numel=200)


def check_representation_float64_float16():
    from zoo_core.ops.representation import OP

    cases = [c for n, c in enumerate(_representation_cases()) if n in (0, 1, 3)]
    return check_op(OP, cases, dtypes=(torch.float64, torch.float16), tolerances={torch.float16: (2e-3, 2e-3)},
                    strided=False, gradcheck=())


def check_representation_shared_and_partial_grads():
    """One tensor given for two segments (its gradient sums both), x and one segment without gradient."""
    from zoo_core.ops import apply_representation

    g = torch.Generator().manual_seed(17)
    x0, D1, D2, E = torch.randn(2, 3, 4, 20, generator=g), torch.randn(4, 1, 3, 3, generator=g), \
        torch.randn(4, 1, 5, 5, generator=g), torch.randn(2, 1, 4, 1, 4, 4, generator=g)
    cot = torch.randn(2, 3, 4, 20, generator=g)
    grads = {}
    for impl in ("reference", "triton"):
        d1, d2, e = D1.clone().requires_grad_(True), D2.clone(), E.clone().requires_grad_(True)
        apply_representation(x0, e, d1, d2, d1, 5, transpose=(True, False, False, True, False), impl=impl).backward(cot)
        assert d2.grad is None
        grads[impl] = (d1.grad, e.grad)
    for got, want in zip(grads["triton"], grads["reference"]):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-5)
    return ["shared segment tensor and partial gradients: match"]


def check_representation_attention():
    """The fused GTA attention forward vs transform + softmax attention + transform: self-attention with GTA's
    [triv | se3 | so3 (3x3, 5x5) | so2] and the query's transposes, cross-attention with odd Tq / Tk (masked query
    and key blocks, padded head dim), blocks shared over heads and tokens, float32 / bfloat16 / float16."""
    from zoo_core.ops.representation_attention import OP
    from zoo_core.ops.testing import case

    g = torch.Generator().manual_seed(19)

    def r(*shape):
        return torch.randn(shape, generator=g)

    def o(*shape):   # orthogonal blocks (rotations), as GTA's: random ones blow bfloat16 rounding up
        return torch.linalg.qr(r(*shape))[0]

    def gta(T):
        D1, D2 = o(2, 1, T, 1, 3, 3), o(2, 1, T, 1, 5, 5)
        return (2, o(2, 1, T, 2, 4, 4), D1, D2, o(T, 3, 2, 2))

    self_attn = gta(20)
    cases = [
        case(r(2, 2, 20, 24), r(2, 2, 20, 24), r(2, 2, 20, 24), *self_attn, *self_attn,
             transpose=(False, True, False, False, False) + (False,) * 5),
        case(r(3, 17, 10), r(3, 37, 10), r(3, 37, 10), o(1, 1, 2, 3, 3), 4, o(3, 37, 2, 3, 3), 4,
             transpose=True, scale=0.7),
    ]
    with torch.no_grad():
        return check_op(OP, cases, dtypes=(torch.float32, torch.bfloat16, torch.float16), grad=False, strided=False,
                        gradcheck=(), tolerances={torch.bfloat16: (3e-2, 3e-2), torch.float16: (4e-3, 4e-3)})

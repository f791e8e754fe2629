"""Array manipulation: flip, roll, rot90, diagonals, triangles, cumulative sums and products,
diff, tile, repeat, pad, splits, joins, gathers, meshgrid, gradient.

Each case is ``f(m, *args)`` with ``m`` a namespace: derivatives are checked with ``m=numpy``
(plain NumPy calls on traced values, to order 2 in both modes, against finite differences),
values and Jacobians with ``m=funcad.numpy`` against the plain-NumPy run, and float32 in ->
float32 out for values and derivatives.
"""
import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.func import grad, jacfwd, jacrev
from funcad.testing import check_grads

rng = np.random.default_rng(1)
s0 = np.array(0.7)
v1 = rng.uniform(0.5, 1.5, 5)
m2 = rng.uniform(0.5, 1.5, (3, 4))
sq = rng.uniform(0.5, 1.5, (3, 3))
t3 = rng.uniform(0.5, 1.5, (2, 3, 4))
zeros1 = np.array([0.7, 0.0, 1.3, 0.0, 0.9])          # cumprod at zeros
zero3 = np.array([[[1.2, 0.0, 0.8], [0.5, 1.1, 0.9]]])

CASES = {
    # flip, roll, axis permutations
    "flip_all": (lambda m, x: m.flip(x), t3),
    "flip_axes": (lambda m, x: m.flip(x, (0, -1)), t3),
    "flip_0d": (lambda m, x: m.flip(x), s0),
    "fliplr": (lambda m, x: m.fliplr(x), t3),
    "flipud": (lambda m, x: m.flipud(x), v1),
    "roll_flat": (lambda m, x: m.roll(x, 5), t3),
    "roll_axes": (lambda m, x: m.roll(x, (1, -2, 1), axis=(0, -1, 0)), t3),
    "roll_1d": (lambda m, x: m.roll(x, -2, axis=0), v1),
    "rollaxis": (lambda m, x: m.rollaxis(x, -1, 1), t3),
    "rollaxis_end": (lambda m, x: m.rollaxis(x, 0, 3), t3),
    "rot90": (lambda m, x: m.rot90(x), m2),
    "rot90_k3_axes": (lambda m, x: m.rot90(x, 3, axes=(2, 0)), t3),
    "rot90_k2": (lambda m, x: m.rot90(x, -2, axes=(1, -1)), t3),
    # diagonals and triangles
    "diag_vec": (lambda m, x: m.diag(x), v1),
    "diag_vec_k": (lambda m, x: m.diag(x, -2), v1),
    "diag_mat": (lambda m, x: m.diag(x, 1), m2),
    "diag_mat_neg": (lambda m, x: m.diag(x, -1), m2),
    "diagonal": (lambda m, x: m.diagonal(x), t3),
    "diagonal_args": (lambda m, x: m.diagonal(x, offset=1, axis1=-1, axis2=0), t3),
    "diagonal_neg": (lambda m, x: m.diagonal(x, -1, 2, 1), t3),
    "diagflat": (lambda m, x: m.diagflat(x, 1), m2),
    "tril": (lambda m, x: m.tril(x), t3),
    "tril_k": (lambda m, x: m.tril(x, -1), m2),
    "triu_k": (lambda m, x: m.triu(x, 1), t3),
    "triu_1d": (lambda m, x: m.triu(x, -1), v1),
    # scans
    "cumsum_flat": (lambda m, x: m.cumsum(x), t3),
    "cumsum_axis": (lambda m, x: m.cumsum(x, axis=-2), t3),
    "cumsum_0d": (lambda m, x: m.cumsum(x), s0),
    "cumsum_0d_axis": (lambda m, x: m.cumsum(x, axis=0), s0),
    "cumprod_axis": (lambda m, x: m.cumprod(x, axis=1), t3),
    "cumprod_flat": (lambda m, x: m.cumprod(x), m2),
    "cumprod_zeros": (lambda m, x: m.cumprod(x), zeros1),
    "cumprod_zeros_axis": (lambda m, x: m.cumprod(x, axis=-1), zero3),
    "cumprod_zeros_mid_axis": (lambda m, x: m.cumprod(x, axis=1), np.transpose(zero3, (0, 2, 1))),
    "cumulative_sum": (lambda m, x: m.cumulative_sum(x), v1),
    "cumulative_sum_init": (lambda m, x: m.cumulative_sum(x, axis=-2, include_initial=True), t3),
    "cumulative_prod": (lambda m, x: m.cumulative_prod(x, axis=0), m2),
    "cumulative_prod_init": (lambda m, x: m.cumulative_prod(x, include_initial=True), zeros1),
    "diff": (lambda m, x: m.diff(x), t3),
    "diff_n_axis": (lambda m, x: m.diff(x, n=2, axis=0), m2),
    "diff_prepend_append": (lambda m, x: m.diff(x, 2, -2, prepend=0.5, append=x[:, :1] ** 2), t3),
    "diff_too_many": (lambda m, x: m.append(m.diff(x, 6), x), v1),
    # repeating and padding
    "tile": (lambda m, x: m.tile(x, 2), t3),
    "tile_more_reps": (lambda m, x: m.tile(x, (2, 1, 3)), m2),
    "tile_0d": (lambda m, x: m.tile(x, (2, 2)), s0),
    "repeat_flat": (lambda m, x: m.repeat(x, 2), m2),
    "repeat_axis": (lambda m, x: m.repeat(x, 3, axis=-1), t3),
    "repeat_counts": (lambda m, x: m.repeat(x, [2, 0, 1], axis=1), t3),
    "repeat_0d": (lambda m, x: m.repeat(x, 3, axis=0), s0),
    "pad_zero": (lambda m, x: m.pad(x, 2), m2),
    "pad_constant": (lambda m, x: m.pad(x, ((1, 0), (2, 1), (0, 3)),
                                         constant_values=((1.5, 2.0), (3, 4), (5, 6))), t3),
    "pad_edge": (lambda m, x: m.pad(x, (2, 3), mode="edge"), m2),
    "pad_reflect": (lambda m, x: m.pad(x, ((4, 1), (1, 6)), mode="reflect"), m2),
    "pad_symmetric": (lambda m, x: m.pad(x, 4, mode="symmetric"), v1),
    "pad_dict": (lambda m, x: m.pad(x, {-1: (0, 2)}, mode="symmetric"), t3),
    "pad_0d": (lambda m, x: m.pad(x, 1), s0),
    "pad_wrap": (lambda m, x: m.pad(x, ((0, 0), (7, 2), (1, 1)), mode="wrap"), t3),
    # splitting (several outputs, each differentiable) and joining
    "split": (lambda m, x: m.split(x, 2, axis=-1), t3),
    "split_indices": (lambda m, x: m.split(x, [1, -1, 10], axis=2), t3),
    "array_split": (lambda m, x: m.array_split(x, 3, axis=1), m2),
    "hsplit": (lambda m, x: m.hsplit(x, [1, 3]), t3),
    "hsplit_1d": (lambda m, x: m.hsplit(x, [2]), v1),
    "vsplit": (lambda m, x: m.vsplit(x, 3), m2),
    "dsplit": (lambda m, x: m.dsplit(x, 2), t3),
    "append_flat": (lambda m, x: m.append(x, x[0] * 2), m2),
    "append_axis": (lambda m, x: m.append(x, x[:, :1], axis=1), t3),
    "column_stack": (lambda m, x: m.column_stack([x[0], x[:, :2] * 2, x[1]]), sq),
    "dstack": (lambda m, x: m.dstack([x, x ** 2, (x * 0.5)[:, :, None]]), sq),
    "dstack_1d": (lambda m, x: m.dstack([x[0], x[1]]), sq),
    # gathers
    "take_flat": (lambda m, x: m.take(x, [[0, 5], [5, 11]]), m2),
    "take_axis": (lambda m, x: m.take(x, [2, 0, 2, -1], axis=-1), t3),
    "take_scalar": (lambda m, x: m.take(x, 1, axis=1), t3),
    "take_wrap_clip": (lambda m, x: m.take(x, [5, -7], axis=1, mode="wrap")
                       + m.take(x, [5, -7], axis=1, mode="clip"), m2),
    "take_along_axis": (lambda m, x: m.take_along_axis(x, np.array([[[0, 0]], [[3, 1]]]), axis=-1), t3),
    "take_along_axis_mid": (lambda m, x: m.take_along_axis(x, np.argsort(x, axis=1), axis=1), t3),
    "take_along_axis_none": (lambda m, x: m.take_along_axis(x, np.array([3, 3, 0]), axis=None), m2),
    "compress": (lambda m, x: m.compress([True, False, True], x, axis=1), t3),
    "compress_flat": (lambda m, x: m.compress([False, True, True], x), m2),
    # grids and finite differences
    "meshgrid_xy": (lambda m, x: m.meshgrid(x[0], x[1, :2], x[2, :3]), m2),
    "meshgrid_ij": (lambda m, x: m.meshgrid(x[0], x[1, :2], indexing="ij"), m2),
    "meshgrid_sparse": (lambda m, x: m.meshgrid(x[0], x[1, :2], sparse=True), m2),
    "gradient": (lambda m, x: m.gradient(x), t3),
    "gradient_1d": (lambda m, x: m.gradient(x, 0.5), v1),
    "gradient_axis_edge2": (lambda m, x: m.gradient(x, 2.0, axis=-1, edge_order=2), t3),
    "gradient_coords": (lambda m, x: m.gradient(x, [0.0, 0.5, 2.0], 1.5, axis=(1, 2)), t3),
    "gradient_coords_edge2": (lambda m, x: m.gradient(x, [0.0, 0.5, 2.0, 2.2, 3.0], edge_order=2), v1),
}


def _flat(out):
    return [np.asarray(o) for o in out] if isinstance(out, (list, tuple)) else [np.asarray(out)]


@pytest.mark.parametrize("name", list(CASES))
def test_derivatives_through_plain_numpy(name):
    f, x = CASES[name]
    check_grads(lambda x: f(np, x), (x,), order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", list(CASES))
def test_funcad_numpy_namespace_and_values(name):
    f, x = CASES[name]
    expected = _flat(f(np, x))
    got = _flat(f(fnp, x))
    assert len(got) == len(expected)
    for a, b in zip(got, expected):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=1e-12)
    ja = jacfwd(lambda x: f(fnp, x))(x)
    jb = jacrev(lambda x: f(np, x))(x)
    for a, b in zip(_flat(ja), _flat(jb)):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_in_float32_out(name):
    """Results keep NumPy's dtype for float32 input (float32, except where NumPy itself
    promotes, e.g. a float64 ``prepend``); derivatives are float32 where the result is."""
    f, x = CASES[name]
    x = x.astype(np.float32)
    expected = {a.dtype for a in _flat(f(np, x))}
    assert expected == {np.dtype(np.float32)} or name == "diff_prepend_append"
    for out in _flat(f(fnp, x)):
        assert out.dtype in expected
    for jac in (jacfwd, jacrev):
        for d in _flat(jac(lambda x: f(np, x))(x)):
            assert d.dtype in expected | {np.dtype(np.float32)}, jac.__name__


def test_each_split_piece_is_differentiable_alone():
    g = grad(lambda x: np.sum(np.split(x, 3)[1] ** 2))(v1[:3])
    np.testing.assert_allclose(g, [0.0, 2 * v1[1], 0.0])
    assert isinstance(np.split(funcad.Dual(v1[:4], np.eye(4)), 2), list)


def test_cumprod_is_exact_at_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0])
    j = jacrev(np.cumprod)(x)
    expected = np.array([[1, 0, 0, 0], [0, 2, 0, 0], [0, 6, 0, 0], [0, 0, 0, 0]], float)
    np.testing.assert_array_equal(j, expected)
    np.testing.assert_array_equal(jacfwd(np.cumprod)(x), expected)
    # one zero: the entries after it depend on it with the product of the others
    x1 = np.array([2.0, 0.0, 3.0])
    np.testing.assert_array_equal(grad(lambda x: np.cumprod(x)[-1])(x1), [0.0, 6.0, 0.0])



def test_cumprod_with_an_entry_near_zero_is_exact_to_second_order():
    """pinv(a) of this a has an entry of -3.9e-17 (0 but for rounding). cumprod's rules
    divided by x wherever no entry was exactly 0; differentiated again, that cancels terms
    of size ans / x**2: the second derivative of cumprod(cumprod(pinv(a))) was wrong by 29%
    (forward) and 8% (reverse). An entry small beside the largest takes the exact partials,
    as prod's does. Found by the thorough program search (seed 2718281)."""
    a = np.array([[2.0, 0.0], [0.5, 2.0], [0.5, 0.0]])
    assert 0 < abs(np.linalg.pinv(a)[0, 1]) < 1e-15
    check_grads(lambda z: np.cumprod(np.cumprod(np.rad2deg(np.linalg.pinv(z)), axis=-2), axis=-1), (a,), order=2)
    check_grads(np.cumprod, (np.array([0.5, -1e-12, 2.0, 3.0]),), order=3)

def test_take_repeated_indices_accumulate():
    g = grad(lambda x: np.sum(np.take(x, [1, 1, 1, 0])))(v1)
    np.testing.assert_array_equal(g, [1.0, 3.0, 0.0, 0.0, 0.0])


def test_gradient_returns_array_or_tuple_like_numpy():
    assert isinstance(fnp.gradient(t3, axis=1), np.ndarray)
    assert isinstance(fnp.gradient(t3), tuple) and len(fnp.gradient(t3)) == 3


def test_unsupported_arguments_raise_clearly():
    x = funcad.Dual(m2, np.ones_like(m2))
    with pytest.raises(NotImplementedError, match="'maximum'"):
        np.pad(x, 1, mode="maximum")
    with pytest.raises(NotImplementedError, match="reflect_type='odd'"):
        np.pad(x, 1, mode="reflect", reflect_type="odd")
    with pytest.raises(NotImplementedError, match="constant_values"):
        np.pad(x, 1, constant_values=x[0, 0])
    with pytest.raises(NotImplementedError, match="out="):
        np.cumsum(x, out=np.empty(12))
    with pytest.raises(NotImplementedError, match="traced spacing"):
        np.gradient(x, x[0, 0])
    with pytest.raises(ValueError, match="mode must be"):
        np.take(x, [0], mode="nearest")


def test_numpy_errors_are_kept():
    x = funcad.Dual(m2, np.ones_like(m2))
    with pytest.raises(ValueError, match="equal division"):
        np.split(x, 5, axis=1)
    with pytest.raises(ValueError, match="at least two dimensions"):
        np.diagonal(x[0])
    with pytest.raises(ValueError, match="non-negative"):
        np.diff(x, -1)
    with pytest.raises(np.exceptions.AxisError):
        np.flip(x, 2)
    with pytest.raises(ValueError, match="too small"):
        np.gradient(x[:, :1], axis=1)


def test_empty_results_have_empty_jacobians():
    assert jacrev(lambda x: np.diff(x, 6))(v1).shape == (0, 5)
    assert jacfwd(lambda x: np.split(x, [0, 9])[0])(v1).shape == (0, 5)


def test_cumprod_complex_follows_the_conjugate_convention():
    # against the same products written with multiply (whose rules conjugate)
    from funcad.func import jvp, vjp
    g = np.array([1 - 1j, 2j, 0.5 + 0j])
    t = np.array([0.3 + 1j, -1j, 2.0])

    def by_hand(x):
        return fnp.stack([x[0], x[0] * x[1], x[0] * x[1] * x[2]])
    for x in (np.array([1 + 2j, 0.5 - 1j, 2 + 0.3j]), np.array([1 + 2j, 0j, 2 + 0.3j])):
        np.testing.assert_allclose(vjp(np.cumprod, x)[1](g)[0], vjp(by_hand, x)[1](g)[0])
        np.testing.assert_allclose(jvp(np.cumprod, (x,), (t,))[1], jvp(by_hand, (x,), (t,))[1])

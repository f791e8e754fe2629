"""einsum and the other products: inner, vdot, kron, cross (numpy and numpy.linalg),
vecdot, matvec, vecmat.

Each case is ``f(m, *args)`` with ``m`` a namespace: derivatives with ``m=numpy`` (plain
NumPy calls on traced values) to order 2 in both modes against finite differences; values
and Jacobians with ``m=funcad.numpy``; float32 in -> float32 out.
"""
import warnings

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.func import jacfwd, jacrev, vjp
from funcad.rules import einsum as einsum_rules
from funcad.testing import check_grads

rng = np.random.default_rng(2)


def r(*shape):
    return rng.uniform(-1.0, 1.0, shape)


A, B, C = r(3, 3), r(3, 4), r(4, 2)
v3, v4 = r(3), r(4)
T = r(2, 3, 3)
s0 = np.array(0.8)

CASES = {
    # einsum: products, reductions, diagonals, implicit output, ellipsis, several operands
    "matmul": (lambda m, a, b: m.einsum("ij,jk->ik", a, b), (A, B)),
    "implicit_matmul": (lambda m, a, b: m.einsum("ij,jk", a, b), (A, B)),
    "transpose_implicit": (lambda m, a: m.einsum("ji", a), (B,)),
    "implicit_upper_first": (lambda m, a: m.einsum("bA", a), (B,)),
    "trace": (lambda m, a: m.einsum("ii", a), (A,)),
    "diagonal": (lambda m, a: m.einsum("ii->i", a), (A,)),
    "batched_diagonal": (lambda m, a: m.einsum("...ii->...i", a), (T,)),
    "diag_with_free": (lambda m, a: m.einsum("iij->ji", a), (r(3, 3, 2),)),
    "sum_all": (lambda m, a: m.einsum("ij->", a), (B,)),
    "sum_axis": (lambda m, a: m.einsum("ijk->j", a), (T,)),
    "outer": (lambda m, a, b: m.einsum("i,j->ij", a, b), (v3, v4)),
    "inner_scalar": (lambda m, a, b: m.einsum("i,i", a, b), (v3, v3 * 2)),
    "three_operands": (lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c), (A, B, C)),
    "three_operands_opt": (lambda m, a, b, c: m.einsum("ij,jk,k->i", a, b, c, optimize=True), (A, B, v4)),
    "optimize_path": (lambda m, a, b, c: m.einsum("ij,jk,kl->il", a, b, c,
                                                   optimize=["einsum_path", (1, 2), (0, 1)]), (A, B, C)),
    "optimize_greedy": (lambda m, a, b: m.einsum("bij,jk->bik", a, b, optimize="greedy"), (T, B)),
    "ellipsis_batch": (lambda m, a, b: m.einsum("...ij,...jk->...ik", a, b), (T, B)),
    "ellipsis_middle": (lambda m, a: m.einsum("i...j->j...i", a), (r(2, 3, 4),)),
    "ellipsis_broadcast": (lambda m, a, b: m.einsum("...i,...i->...", a, b), (r(2, 1, 3), r(4, 3))),
    "ellipsis_implicit": (lambda m, a, b: m.einsum("...j,kj", a, b), (T, B.T)),
    "size1_broadcast": (lambda m, a, b: m.einsum("ij,ij->ij", a, b), (r(1, 4), B)),
    "repeated_operand": (lambda m, a: m.einsum("ij,jk,ki->", a, a, a), (A,)),
    "scalar_operands": (lambda m, a, b: m.einsum(",i->i", a, b), (s0, v3)),
    "sublists": (lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [2, 0]), (A, B)),
    "sublist_ellipsis": (lambda m, a, b: m.einsum(a, [Ellipsis, 0, 1], b, [1], [Ellipsis, 0]), (T, v3)),
    # the other products
    "inner_vectors": (lambda m, a, b: m.inner(a, b), (v3, v3 + 1)),
    "inner_nd": (lambda m, a, b: m.inner(a, b), (T, B.T)),
    "inner_scalar_arg": (lambda m, a, b: m.inner(a, b), (s0, A)),
    "vdot": (lambda m, a, b: m.vdot(a, b), (A, A.T * 2)),
    "kron": (lambda m, a, b: m.kron(a, b), (A[:2], v3)),
    "kron_3d": (lambda m, a, b: m.kron(a, b), (r(2, 1, 2), r(2, 2))),
    "kron_0d": (lambda m, a, b: m.kron(a, b), (s0, v3)),
    "cross": (lambda m, a, b: m.cross(a, b), (A, v3)),
    "cross_axes": (lambda m, a, b: m.cross(a, b, axisa=0, axisb=-1, axisc=0), (r(3, 2), r(2, 3))),
    "cross_axis": (lambda m, a, b: m.cross(a, b, axis=1), (T, T[::-1] ** 2)),
    "cross_2d": (lambda m, a, b: m.cross(a, b), (r(4, 2), r(2))),
    "cross_2d_3d": (lambda m, a, b: m.cross(a, b), (r(4, 2), r(4, 3))),
    "cross_3d_2d": (lambda m, a, b: m.cross(a, b, axisc=0), (r(4, 3), r(2))),
    "linalg_cross": (lambda m, a, b: m.linalg.cross(a, b, axis=0), (r(3, 2), r(3, 2))),
    "vecdot": (lambda m, a, b: m.vecdot(a, b), (T, B[:, :3])),
    "linalg_vecdot_axis": (lambda m, a, b: m.linalg.vecdot(a, b, axis=0), (B, v3[:, None])),
    "matvec": (lambda m, a, b: m.matvec(a, b), (T, v3)),
    "vecmat": (lambda m, a, b: m.vecmat(a, b), (v3, T)),
}


def _call(f, m, args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # 2-d cross products
        return f(m, *args)


def _gone_from_numpy(name, f, args) -> bool:
    """NumPy 2.5 removed cross products of 2-vectors: funcad raises the same error then."""
    if not name.startswith("cross_") or "2d" not in name or einsum_rules._CROSS_2:
        return False
    with pytest.raises(ValueError, match="3-dimensional vectors"):
        _call(f, np, args)
    with pytest.raises(ValueError, match="3-dimensional vectors"):
        _call(f, fnp, args)
    return True


@pytest.mark.parametrize("name", list(CASES))
def test_derivatives_through_plain_numpy(name):
    f, args = CASES[name]
    if _gone_from_numpy(name, f, args):
        return
    check_grads(lambda *a: _call(f, np, a), args, order=2, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", list(CASES))
def test_funcad_numpy_namespace_and_values(name):
    f, args = CASES[name]
    if _gone_from_numpy(name, f, args):
        return
    expected = _call(f, np, args)
    got = _call(f, fnp, args)
    assert np.shape(got) == np.shape(expected)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-14)
    n = tuple(range(len(args)))
    ja = jacfwd(lambda *a: _call(f, fnp, a), argnums=n)(*args)
    jb = jacrev(lambda *a: _call(f, np, a), argnums=n)(*args)
    for a, b in zip(ja, jb):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", list(CASES))
def test_float32_in_float32_out(name):
    f, args = CASES[name]
    if _gone_from_numpy(name, f, args):
        return
    args = tuple(a.astype(np.float32) for a in args)
    assert np.asarray(_call(f, fnp, args)).dtype == np.float32
    n = tuple(range(len(args)))
    for jac in (jacfwd, jacrev):
        for d in jac(lambda *a: _call(f, np, a), argnums=n)(*args):
            assert d.dtype == np.float32, jac.__name__


def test_einsum_complex_cotangent_is_conjugated():
    # torch's convention for a holomorphic f: vjp = g * conj(f'(z)), as for multiply
    a = np.array([[1 + 2j, 3j], [1.0, 2 - 1j]])
    x = np.array([1 + 1j, 2 - 1j])
    g = np.array([1.0 + 0.5j, -2j])
    _, pull = vjp(lambda x: np.einsum("ij,j->i", a, x), x)
    np.testing.assert_allclose(pull(g)[0], g @ np.conj(a))
    _, pull = vjp(lambda x: np.vdot(a[0], x), x)
    np.testing.assert_allclose(pull(np.array(1.0 + 0j))[0], a[0])


def test_einsum_second_order_of_a_quadratic_form():
    # d2/dx2 of x_i A_ij x_j is A + A^T
    h = jacfwd(jacrev(lambda x: np.einsum("i,ij,j", x, A, x)))(v3)
    np.testing.assert_allclose(h, A + A.T, rtol=1e-12)


def test_einsum_errors_name_the_problem():
    x = funcad.Dual(A, np.ones_like(A))
    with pytest.raises(ValueError, match="2 dimension"):
        np.einsum("i", x)
    with pytest.raises(ValueError, match="no '...'"):
        np.einsum("...i->i", funcad.Dual(T, np.ones_like(T)))
    with pytest.raises(ValueError, match="no operand has"):
        np.einsum("ij->k", x)
    with pytest.raises(ValueError, match="incompatible sizes"):
        np.einsum("ij,ij", x, B)
    with pytest.raises(ValueError, match="letters"):
        np.einsum("i1", x)
    with pytest.raises(NotImplementedError, match="out="):
        np.einsum("ij", x, out=np.empty((3, 3)))
    with pytest.raises(ValueError, match="3-dimensional vectors"):
        np.linalg.cross(x, x[:, :2])


def test_cross_of_2_vectors_warns_or_raises_like_numpy():
    """Deprecated in NumPy 2.0 (a warning), removed in 2.5 (an error): as the NumPy
    installed, on plain and traced values."""
    traced = funcad.func.grad(lambda z: np.cross(z, np.array([1.0, 2.0])))
    if einsum_rules._CROSS_2:
        with pytest.warns(DeprecationWarning):
            fnp.cross(np.ones(2), np.ones(2))
        with pytest.warns(DeprecationWarning):
            np.testing.assert_allclose(traced(np.ones(2)), [2.0, -1.0])
    else:
        with pytest.raises(ValueError, match="3-dimensional vectors"):
            fnp.cross(np.ones(2), np.ones(2))
        with pytest.raises(ValueError, match="3-dimensional vectors"):
            traced(np.ones(2))

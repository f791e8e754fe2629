"""Derivatives of numpy.linalg (and numpy.trace) and scipy.linalg (funcad/rules/linalg.py).

Every function and keyword variant is checked with ``check_grads`` to order 2 in forward
and reverse mode (batched Jacobian sweeps, so the rules' batch axes are exercised), on
small well-conditioned matrices (``Q diag(1..n) Q^T + n I``, SPD where needed, distinct
eigenvalues / singular values), stacked (2, 3, 3) inputs where NumPy/SciPy allow them,
float32 (values and derivatives stay float32) and complex inputs where supported; the
functions are called through plain ``numpy`` / ``scipy`` names inside the differentiated
function (``__array_function__``) and through ``funcad.numpy.linalg`` /
``funcad.scipy.linalg``. Conventions (norm at 0, repeated eigenvalues) and the
documented refusals are checked too.
"""
from __future__ import annotations

import itertools

import numpy as np
import pytest
import scipy.linalg as sla

import funcad
import funcad.numpy as fnp
import funcad.numpy.linalg as fla
import funcad.scipy.linalg as fsla
from funcad.testing import check_grads

BOTH = ("fwd", "rev")


def check(f, *args, order=2, modes=BOTH, **kw):
    check_grads(f, args, order=order, modes=modes, **kw)


def _rng(seed):
    return np.random.default_rng(seed)


def spd(n=3, batch=(), seed=0, dtype=np.float64):
    """``Q diag(1..n) Q^T + n I``: symmetric, eigenvalues n+1..2n (well separated)."""
    q = np.linalg.qr(_rng(seed).standard_normal(batch + (n, n)))[0]
    a = q @ (np.arange(1.0, n + 1)[:, None] * np.swapaxes(q, -1, -2)) + n * np.eye(n)
    return a.astype(dtype)


def gen(n=3, batch=(), seed=0, dtype=np.float64):
    """A well-conditioned general (non-symmetric) matrix."""
    return (spd(n, batch, seed) + 0.5 * _rng(seed + 100).standard_normal(batch + (n, n))).astype(dtype)


def rect(m, n, batch=(), seed=0):
    """A full-rank m x n matrix with well separated singular values (3, 2, 1, ...)."""
    r = _rng(seed)
    u = np.linalg.qr(r.standard_normal(batch + (m, m)))[0][..., :, :min(m, n)]
    v = np.linalg.qr(r.standard_normal(batch + (n, n)))[0][..., :, :min(m, n)]
    s = np.arange(min(m, n), 0, -1, dtype=float) + 0.5
    return u @ (s[:, None] * np.swapaxes(v, -1, -2))


def vec(*shape, seed=1):
    return _rng(seed).standard_normal(shape)


def eig_matrix(batch=(), seed=3, complex_pair=True):
    """R D R^-1 with distinct eigenvalues: 2 +- 3i and 6 (or 1, 3, 6)."""
    d = np.array([[2.0, 3.0, 0], [-3.0, 2.0, 0], [0, 0, 6.0]]) if complex_pair else np.diag([1.0, 3.0, 6.0])
    r = np.eye(3) + 0.3 * _rng(seed).standard_normal(batch + (3, 3))
    return r @ d @ np.linalg.inv(r)


def parts(*outs):
    """Flatten named tuples (EighResult, SVDResult ...) into a plain tuple of arrays."""
    return tuple(outs)


# =========================================================================================
# numpy.linalg: inv, solve, det, slogdet
# =========================================================================================
def test_inv_plain_numpy_and_stacked():
    check(lambda a: np.linalg.inv(a), gen())
    check(fla.inv, gen(batch=(2,)))


@pytest.mark.parametrize("a, b", [
    (gen(), vec(3)),                              # b a vector
    (gen(), vec(3, 2)),                           # b a matrix
    (gen(batch=(2,)), vec(2, 3, 2)),              # stacked a and b
    (gen(batch=(2,)), vec(3, 2)),                 # stacked a, one b broadcast
    (gen(batch=(2,)), vec(3)),                    # stacked a, one vector b
    (gen(), vec(2, 3, 1)),                        # one a, stacked b
], ids=["vector", "matrix", "stacked", "broadcast-b", "broadcast-vector", "broadcast-a"])
def test_solve(a, b):
    check(lambda a, b: np.linalg.solve(a, b), a, b)


def test_solve_matches_numpy_value():
    a, b = gen(batch=(2,)), vec(3)
    np.testing.assert_allclose(funcad.func.jvp(np.linalg.solve, (a, b), (a, b))[0], np.linalg.solve(a, b))


def test_det_and_slogdet():
    check(np.linalg.det, gen())
    check(fla.det, gen(batch=(2,)))
    neg = gen() @ np.diag([1.0, 1.0, -1.0])        # negative determinant: sign is constant
    check(lambda a: tuple(np.linalg.slogdet(a)), neg)
    check(lambda a: fla.slogdet(a).logabsdet, gen(batch=(2,)))


# =========================================================================================
# norms
# =========================================================================================
VECTOR_ORDS = [None, 1, 2, np.inf, -np.inf, 3, 0.5, -1.5]


@pytest.mark.parametrize("ord", VECTOR_ORDS, ids=str)
def test_norm_vector_ords(ord):
    check(lambda x: np.linalg.norm(x, ord), vec(4) + 0.1)


@pytest.mark.parametrize("ord, axis, keepdims", [
    (None, 0, False), (2, 1, True), (1, -1, False), (np.inf, 0, True), (3, 1, False), (-np.inf, -2, True),
])
def test_norm_vector_axis_keepdims(ord, axis, keepdims):
    check(lambda x: np.linalg.norm(x, ord, axis=axis, keepdims=keepdims), vec(3, 4))


def test_norm_default_over_all_axes():
    check(lambda x: np.linalg.norm(x), vec(2, 3, 2))
    check(lambda x: np.linalg.norm(x, keepdims=True), vec(2, 3))


MATRIX_ORDS = [None, "fro", "nuc", 2, -2, 1, -1, np.inf, -np.inf]


@pytest.mark.parametrize("ord", MATRIX_ORDS, ids=str)
def test_norm_matrix_ords(ord):
    check(lambda x: np.linalg.norm(x, ord), rect(3, 4) + 0.05 * vec(3, 4))


@pytest.mark.parametrize("ord", ["fro", "nuc", 2, 1, -np.inf], ids=str)
def test_norm_matrix_axes_keepdims_stacked(ord):
    x = np.moveaxis(rect(3, 4, batch=(2,)), 0, 1) + 0.05 * vec(3, 2, 4)     # matrices on axes (0, 2)
    check(lambda x: np.linalg.norm(x, ord, axis=(2, 0), keepdims=True), x)


def test_norm_zero_ord_has_zero_derivative():
    x = vec(4)
    assert np.all(funcad.grad(lambda x: np.linalg.norm(x, 0))(x) == 0)
    check(lambda x: np.linalg.norm(x, 0), x, order=1)


@pytest.mark.parametrize("f", [
    lambda x: np.linalg.norm(x), lambda x: np.linalg.norm(x, 1), lambda x: np.linalg.norm(x, 3),
    lambda x: np.linalg.norm(x, np.inf), lambda x: np.linalg.norm(x, 0.5),
    lambda x: np.linalg.vector_norm(x), lambda x: fla.matrix_norm(np.reshape(x, (2, 2))),
], ids=["2", "1", "3", "inf", "0.5", "vector_norm", "fro"])
def test_norm_at_zero_is_zero(f):
    """torch's convention: the derivative of a norm at 0 is 0 (kinks.py), both modes."""
    z = np.zeros(4)
    assert np.array_equal(funcad.grad(f)(z), z)
    assert np.array_equal(funcad.jacfwd(f)(z), z)


@pytest.mark.parametrize("ord", [2, 1, 3, np.inf])
def test_norm_rows_with_a_zero_row(ord):
    """Norms along an axis, one of them 0: that row's derivative is 0 (kinks.py) and the
    others' are those of each row alone, in both modes and (ord 2) to second order."""
    M = np.array([[3.0, 4.0], [0.0, 0.0], [1.0, -2.0]])
    f = lambda m: np.sum(np.linalg.norm(m, ord, axis=1) * np.array([1.0, 2.0, 3.0]))
    want = np.array([w * funcad.grad(lambda r: np.linalg.norm(r, ord))(row) for w, row in zip([1.0, 2.0, 3.0], M)])
    assert not want[1].any()
    np.testing.assert_allclose(funcad.grad(f)(M), want, rtol=1e-14)
    np.testing.assert_allclose(funcad.jacfwd(f)(M), want, rtol=1e-14)
    if ord == 2:
        H = funcad.func.hessian(f)(M)
        assert not H[1].any() and not H[:, :, 1].any()
        np.testing.assert_allclose(H[0, :, 0], funcad.func.hessian(lambda r: np.linalg.norm(r))(M[0]), rtol=1e-14)
        check(f, M + np.array([[0.0, 0.0], [0.5, 0.5], [0.0, 0.0]]), order=2)


def test_norm_ord_below_one_zero_entry():
    x = np.array([0.0, 1.0, 2.0])
    g = funcad.grad(lambda x: np.linalg.norm(x, 0.5))(x)
    assert g[0] == 0 and np.all(np.isfinite(g))


def test_norm_inf_ties_split():
    g = funcad.grad(lambda x: np.linalg.norm(x, np.inf))(np.array([2.0, -2.0, 1.0]))
    np.testing.assert_allclose(g, [0.5, -0.5, 0.0])


def test_vector_norm_and_matrix_norm():
    check(lambda x: np.linalg.vector_norm(x, axis=(0, 2), ord=3), vec(2, 3, 2))
    check(lambda x: fla.vector_norm(x, keepdims=True, ord=1), vec(2, 3))
    check(lambda x: np.linalg.matrix_norm(x, ord="nuc"), rect(3, 3, batch=(2,)))
    check(lambda x: fla.matrix_norm(x, ord=np.inf, keepdims=True), vec(2, 3, 3))


def test_norm_complex_vector():
    z = vec(3) + 1j * vec(3, seed=2)
    check(lambda z: np.linalg.norm(z), z)
    check(lambda z: np.linalg.norm(z, 3), z)


def test_norm_errors():
    with pytest.raises(ValueError):
        funcad.grad(lambda x: np.linalg.norm(x, "fro", axis=0))(vec(3, 3))
    with pytest.raises(ValueError):
        funcad.grad(lambda x: np.linalg.norm(x, 3))(vec(3, 3))


# =========================================================================================
# Cholesky, eigh, eigvalsh
# =========================================================================================
def test_cholesky_lower_upper_stacked():
    check(np.linalg.cholesky, spd())
    check(lambda a: np.linalg.cholesky(a, upper=True), spd(batch=(2,)))


def test_cholesky_reads_one_triangle():
    """NumPy ignores the upper triangle: so does the derivative."""
    g = funcad.grad(lambda a: np.sum(np.linalg.cholesky(a)))(spd())
    assert np.all(np.triu(g, 1) == 0) and np.any(np.tril(g, -1) != 0)


def test_cholesky_third_order():
    """Cholesky's rules are written with the triangular congruence, whose own rules are
    differentiated here once more."""
    check(np.linalg.cholesky, spd(), order=3)


@pytest.mark.parametrize("right", [True, False], ids=["LT-S-L", "L-S-LT"])
def test_triangular_congruence(right):
    """``L^-T S L^-1`` (``right``) and ``L^-1 S L^-T``, the primitive of cholesky's rules:
    values against explicit inverses, by LAPACK's sygst for one matrix and a short stack,
    by two triangular solves for a long stack; it reads the lower triangles of both
    arguments; float32 stays float32; its rules to order 2 in both modes, for one factor
    and for a stack of factors against one matrix (the cotangent of S summed over it)."""
    from funcad.rules.linalg import congruence_p
    L, s = np.linalg.cholesky(spd(4)), gen(4, seed=1)
    Li = np.linalg.inv(L)
    S = np.tril(s) + np.tril(s, -1).T
    want = Li.T @ S @ Li if right else Li @ S @ Li.T
    noise = np.triu(gen(4, seed=2), 1)   # in the upper triangles, which are not read
    np.testing.assert_allclose(congruence_p(L + noise, s + noise, right=right), want, rtol=1e-12, atol=1e-12)
    for k in (3, 9):   # 3 matrices of 4 x 4: sygst per matrix; 9: the solves over the stack
        got = congruence_p(np.broadcast_to(L, (k, 4, 4)), s, right=right)
        np.testing.assert_allclose(got, np.broadcast_to(want, (k, 4, 4)), rtol=1e-12, atol=1e-12)
    f32 = congruence_p(L.astype(np.float32), s.astype(np.float32), right=right)
    assert f32.dtype == np.float32
    np.testing.assert_allclose(f32, want, rtol=1e-4, atol=1e-5)
    check(lambda l, s: congruence_p(l, s, right=right), L, s)
    check(lambda l, s: congruence_p(l, s, right=right), np.stack([L, 1.1 * L]), s)


@pytest.mark.parametrize("lower, trans", itertools.product([True, False], [False, True]))
def test_triangular_product(lower, trans):
    """``op(tri(a)) @ b``, the other primitive of cholesky's rules: values against NumPy's
    product of the triangle (one matrix by BLAS's trmm, a stack of b as its columns, a
    short stack of a per matrix, a long one and complex ones by a full product), only the
    triangle read, C order, float32 kept; its rules to order 2 in both modes, real and
    complex, with a stack of a against one b."""
    from funcad.rules.linalg import trimm_p
    a, b, bs = gen(4, seed=1), vec(4, 3), vec(5, 4, 3)
    tri = (lambda x: np.tril(x)) if lower else (lambda x: np.triu(x))
    op = (lambda x: np.swapaxes(x, -1, -2)) if trans else (lambda x: x)
    noise = (np.triu if lower else np.tril)(gen(4, seed=2), 1 if lower else -1)   # not read
    got = trimm_p(a + noise, b, lower=lower, trans=trans)
    np.testing.assert_allclose(got, op(tri(a)) @ b, rtol=1e-13, atol=1e-13)
    assert got.flags.c_contiguous
    np.testing.assert_allclose(trimm_p(a, bs, lower=lower, trans=trans), op(tri(a)) @ bs, rtol=1e-13, atol=1e-13)
    for k in (3, 9):   # per matrix, then the full products
        stack = gen(4, batch=(k,), seed=3)
        np.testing.assert_allclose(trimm_p(stack, b, lower=lower, trans=trans), op(tri(stack)) @ b,
                                   rtol=1e-13, atol=1e-13)
    assert trimm_p(a.astype(np.float32), b.astype(np.float32), lower=lower, trans=trans).dtype == np.float32
    z = a + 0.5j * gen(4, seed=4)
    np.testing.assert_allclose(trimm_p(z, b, lower=lower, trans=trans), op(tri(z)) @ b, rtol=1e-13, atol=1e-13)
    check(lambda a, b: trimm_p(a, b, lower=lower, trans=trans), a, b)
    check(lambda a, b: trimm_p(a, b, lower=lower, trans=trans), gen(4, batch=(2,)), b)
    check(lambda a, b: trimm_p(a, b, lower=lower, trans=trans), z, b + 0.5j)


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh(uplo):
    check(lambda a: parts(*np.linalg.eigh(a, UPLO=uplo)), spd())
    check(lambda a: fla.eigh(a, uplo).eigenvalues, spd(batch=(2,)))
    check(lambda a: np.linalg.eigvalsh(a, UPLO=uplo), spd(batch=(2,)))


def test_eigh_eigenvectors_stacked():
    check(lambda a: np.linalg.eigh(a)[1], spd(batch=(2,)))


def test_eigh_repeated_eigenvalues_like_torch():
    """Eigenvectors of a repeated eigenvalue are not unique: their derivative is inf/nan
    (as torch); the eigenvalues' derivative (and eigvalsh's) stays finite."""
    a = np.diag([2.0, 2.0, 5.0])
    with np.errstate(all="ignore"):
        gv = funcad.grad(lambda a: np.sum(np.linalg.eigh(a)[1] ** 3))(a)
        gw = funcad.grad(lambda a: np.sum(np.linalg.eigh(a)[0] ** 2))(a)
        jw = funcad.jacfwd(np.linalg.eigvalsh)(a)
    assert not np.all(np.isfinite(gv))
    assert np.all(np.isfinite(gw)) and np.all(np.isfinite(jw))


# =========================================================================================
# eig, eigvals
# =========================================================================================
@pytest.mark.parametrize("complex_pair", [True, False], ids=["complex-eigenvalues", "real-eigenvalues"])
def test_eig(complex_pair):
    check(lambda a: parts(*np.linalg.eig(a)), eig_matrix(complex_pair=complex_pair))
    check(np.linalg.eigvals, eig_matrix(complex_pair=complex_pair))


def test_eig_stacked_and_complex_input():
    check(lambda a: fla.eig(a).eigenvalues, eig_matrix(batch=(2,)))
    z = eig_matrix(complex_pair=False) + 0.3j * vec(3, 3)
    check(lambda a: parts(*np.linalg.eig(a)), z)


# =========================================================================================
# SVD, QR
# =========================================================================================
@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)], ids=["tall", "wide", "square"])
def test_svd_reduced(shape):
    check(lambda a: parts(*np.linalg.svd(a, full_matrices=False)), rect(*shape))


def test_svd_square_full_matrices_and_stacked():
    check(lambda a: parts(*np.linalg.svd(a)), rect(3, 3))
    check(lambda a: parts(*fla.svd(a, full_matrices=False)), rect(3, 2, batch=(2,)))


def test_svdvals_and_compute_uv_false():
    check(lambda a: np.linalg.svd(a, compute_uv=False), rect(4, 3, batch=(2,)))
    check(np.linalg.svdvals, rect(2, 3))


def test_svd_full_matrices_extra_columns():
    """Non-square full_matrices=True: the extra columns of U have no derivative."""
    a = rect(4, 2)
    check(lambda a: np.linalg.svd(a)[1], a, modes=("rev",))                 # unused: fine
    check(lambda a: np.linalg.svd(a)[0][:, :2] ** 2, a, order=1, modes=("rev",))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        funcad.jacrev(lambda a: np.linalg.svd(a)[0])(a)
    j = funcad.jacfwd(lambda a: np.linalg.svd(a)[0])(a)
    assert np.all(np.isnan(j[:, 2:])) and np.all(np.isfinite(j[:, :2]))


@pytest.mark.parametrize("shape", [(4, 3), (3, 4), (3, 3)], ids=["tall", "wide", "square"])
def test_qr(shape):
    check(lambda a: parts(*np.linalg.qr(a)), rect(*shape, seed=5))


def test_qr_modes_and_stacked():
    check(lambda a: np.linalg.qr(a, mode="r"), rect(4, 3, seed=5))
    check(lambda a: parts(*np.linalg.qr(a, mode="complete")), rect(3, 4, seed=5))
    check(lambda a: parts(*fla.qr(a)), rect(3, 3, batch=(2,), seed=5))
    with pytest.raises(NotImplementedError, match="mode='reduced'"):
        funcad.jacrev(lambda a: np.linalg.qr(a, mode="complete")[0])(rect(4, 3))


# =========================================================================================
# pinv, lstsq
# =========================================================================================
@pytest.mark.parametrize("a", [rect(4, 3), rect(3, 4), rect(3, 2, batch=(2,))], ids=["tall", "wide", "stacked"])
def test_pinv(a):
    check(np.linalg.pinv, a)


def test_pinv_hermitian_reads_lower_triangle():
    check(lambda a: np.linalg.pinv(a, hermitian=True), spd())
    g = funcad.grad(lambda a: np.sum(np.linalg.pinv(a, hermitian=True)))(spd())
    assert np.all(np.triu(g, 1) == 0)


def test_lstsq_tall_all_outputs():
    """x, residuals and s are differentiable (in a and b); rank is an integer."""
    def f(a, b):
        x, res, rank, s = np.linalg.lstsq(a, b)
        assert isinstance(rank, (int, np.integer)) and rank == 3
        return x, res, s
    check(f, rect(4, 3), vec(4))
    check(lambda a, b: fla.lstsq(a, b)[:2], rect(5, 3), vec(5, 2))


def test_lstsq_wide_minimum_norm():
    def f(a, b):
        x, res, rank, s = np.linalg.lstsq(a, b, rcond=None)
        assert res.shape == (0,)
        return x
    check(f, rect(2, 4), vec(2))
    np.testing.assert_allclose(funcad.jacrev(f, argnums=1)(rect(2, 4), vec(2)), np.linalg.pinv(rect(2, 4)))


# =========================================================================================
# Compositions: matrix_power, trace, multi_dot, cross, outer, tensorsolve, tensorinv
# =========================================================================================
@pytest.mark.parametrize("n", [0, 1, 2, 3, 5, -1, -3])
def test_matrix_power(n):
    check(lambda a: np.linalg.matrix_power(a, n), gen(batch=(2,)) / 3)


def test_trace_numpy_and_linalg():
    x = vec(3, 4, 2)
    check(lambda x: np.trace(x), x)
    check(lambda x: np.trace(x, offset=1, axis1=2, axis2=0), x)
    check(lambda x: np.trace(x, -1, axis1=-1, axis2=1), x)
    check(lambda x: fnp.trace(x, offset=5), x)                               # empty diagonal
    check(lambda x: np.linalg.trace(x, offset=-1), x)
    check(lambda x: x.trace(), vec(3, 3))


def test_multi_dot():
    check(lambda a, b, c: np.linalg.multi_dot([a, b, c]), vec(3), vec(3, 4), vec(4, 2))
    check(lambda a, b, c, d: fla.multi_dot([a, b, c, d]), vec(2, 5), vec(5, 3), vec(3, 4), vec(4))


def test_cross_and_outer():
    check(lambda a, b: np.linalg.cross(a, b), vec(2, 3), vec(3, seed=2))
    check(lambda a, b: np.linalg.cross(a, b, axis=0), vec(3, 2), vec(3, 2, seed=2))
    check(lambda a, b: np.linalg.outer(a, b), vec(3), vec(2, seed=2))


def test_tensorsolve_tensorinv():
    a = gen(6).reshape(2, 3, 6)
    check(lambda a, b: np.linalg.tensorsolve(a, b), a, vec(2, 3))
    check(lambda a, b: fla.tensorsolve(a, b, axes=(0,)), np.moveaxis(a, 2, 0), vec(2, 3))
    check(lambda a: np.linalg.tensorinv(a, ind=1), gen(4).reshape(4, 2, 2))
    check(lambda a: np.linalg.tensorinv(a), gen(4).reshape(2, 2, 4))


# =========================================================================================
# scipy.linalg
# =========================================================================================
@pytest.mark.parametrize("trans, lower, unit", [
    (0, True, False), (0, False, True), (1, True, False), ("T", False, False), (2, True, True),
])
def test_solve_triangular(trans, lower, unit):
    check(lambda a, b: fsla.solve_triangular(a, b, trans=trans, lower=lower, unit_diagonal=unit),
          gen(), vec(3, 2))


def test_solve_triangular_vector_stacked_and_triangle():
    check(lambda a, b: fsla.solve_triangular(a, b, lower=True), gen(batch=(2,)), vec(3))
    # a short stack is solved by LAPACK per matrix, a long one (more matrices than rows) by
    # one substitution over the stack: both give each matrix's own solve
    for a, b in [(gen(batch=(2,)), vec(3, 2)), (gen(2, batch=(5,)), vec(5, 2, 3))]:
        x = fsla.solve_triangular(a, b, lower=True)
        want = np.stack([sla.solve_triangular(ai, bi, lower=True)
                         for ai, bi in zip(a, np.broadcast_to(b, a.shape[:1] + b.shape[-2:]))])
        np.testing.assert_allclose(x, want, rtol=1e-13)
        check(lambda a, b: fsla.solve_triangular(a, b, lower=True, unit_diagonal=True), a, b)
    g = funcad.grad(lambda a: np.sum(fsla.solve_triangular(a, np.ones(3), unit_diagonal=True)))(gen())
    assert np.all(np.tril(g) == 0)


@pytest.mark.parametrize("lower", [False, True])
def test_scipy_cholesky_cho_factor_cho_solve(lower):
    check(lambda a: fsla.cholesky(a, lower=lower), spd(batch=(2,)))
    check(lambda a: fsla.cho_factor(a, lower=lower)[0], spd())
    check(lambda a, b: fsla.cho_solve(fsla.cho_factor(a, lower=lower), b), spd(), vec(3, 2))


def test_cho_solve_vector_rhs():
    check(lambda c, b: fsla.cho_solve((c, True), b), np.linalg.cholesky(spd()), vec(3))


def test_lu_factor_lu_solve():
    a = gen(seed=7)
    check(lambda a: fsla.lu_factor(a)[0], a)
    check(lambda a, b: fsla.lu_solve(fsla.lu_factor(a), b), a, vec(3, 2))
    check(lambda a, b: fsla.lu_solve(fsla.lu_factor(a), b, trans=1), a, vec(3))
    check(lambda a: fsla.lu_factor(a)[0], gen(batch=(2,), seed=7), order=1)


def test_expm_sqrtm():
    check(fsla.expm, 0.5 * vec(3, 3))
    check(fsla.expm, 0.5 * vec(2, 3, 3), order=1)
    check(fsla.sqrtm, spd())


def test_logm():
    check(fsla.logm, spd() / 5)                    # eigenvalues near 1: SciPy's logm is fastest there


def test_logm_block_frechet_path(monkeypatch):
    """Matrices larger than the Kronecker threshold use the block formula with logm."""
    from funcad.rules import linalg
    monkeypatch.setattr(linalg, "_LOGM_KRONECKER_MAX_N", 0)
    a = spd(2)
    e = vec(2, 2)
    _, t = funcad.func.jvp(fsla.logm, (a,), (e,))
    np.testing.assert_allclose(t, linalg._block_frechet(sla.logm, a, e), rtol=1e-6)
    _, pull = funcad.func.vjp(fsla.logm, a)
    h = 1e-6
    fd = (sla.logm(a + h * e) - sla.logm(a - h * e)) / (2 * h)
    np.testing.assert_allclose(np.sum(pull(np.ones((2, 2)))[0] * e), np.sum(fd), rtol=1e-5)


def test_scipy_inv_solve_det():
    check(fsla.inv, gen(batch=(2,)))
    check(fsla.det, gen())
    check(lambda a, b: fsla.solve(a, b), gen(), vec(3, 2))
    check(lambda a, b: fsla.solve(a, b, transposed=True), gen(), vec(3))


@pytest.mark.parametrize("assume_a, lower", [
    ("sym", False), ("pos", True), ("diagonal", False), ("tridiagonal", False), ("lower triangular", False),
    ("banded", False), ("gen", False),
])
def test_scipy_solve_assume_a(assume_a, lower):
    a = gen() if assume_a in ("lower triangular", "tridiagonal", "gen", "banded") else spd()
    check(lambda a, b: fsla.solve(a, b, assume_a=assume_a, lower=lower), a, vec(3, 2))


@pytest.mark.parametrize("assume_a", ["lower triangular", "upper triangular", "sym", "diagonal",
                                      "tridiagonal", None])
def test_scipy_solve_transposed_reads_what_scipy_reads(assume_a):
    """Values equal SciPy's on a matrix that is not symmetric (so each structure reads
    different entries), and the derivatives agree with finite differences."""
    a, b = gen(seed=11), vec(3)
    got = fsla.solve(a, b, assume_a=assume_a, transposed=True)
    np.testing.assert_allclose(got, sla.solve(a, b, assume_a=assume_a, transposed=True), rtol=1e-12)
    check(lambda a, b: fsla.solve(a, b, assume_a=assume_a, transposed=True), a, b, order=1)


def test_solve_sylvester():
    check(fsla.solve_sylvester, gen(), gen(2, seed=4), vec(3, 2))


@pytest.mark.parametrize("lu", [(1, 1), (2, 0)])
def test_solve_banded(lu):
    l, u = lu
    ab = vec(l + u + 1, 4)
    ab[u] += 5.0                                  # dominant diagonal
    check(lambda ab, b: fsla.solve_banded((l, u), ab, b), ab, vec(4, 2))
    check(lambda ab, b: fsla.solve_banded((l, u), ab, b), ab, vec(4), order=1)


# =========================================================================================
# dtypes, complex inputs, call paths, refusals
# =========================================================================================
@pytest.mark.parametrize("f, make", [
    (np.linalg.inv, lambda: gen(dtype=np.float32)),
    (np.linalg.det, lambda: gen(dtype=np.float32)),
    (lambda a: np.linalg.solve(a, np.ones(3, np.float32)), lambda: gen(dtype=np.float32)),
    (np.linalg.cholesky, lambda: spd(dtype=np.float32)),
    (lambda a: np.linalg.eigh(a)[0], lambda: spd(dtype=np.float32)),
    (lambda a: np.linalg.svd(a)[1], lambda: gen(dtype=np.float32)),
    (lambda a: np.linalg.qr(a)[1], lambda: gen(dtype=np.float32)),
    (lambda a: np.linalg.norm(a, "nuc"), lambda: gen(dtype=np.float32)),
    (lambda a: np.linalg.norm(a, 3, axis=0), lambda: gen(dtype=np.float32)),
    (fsla.expm, lambda: (0.3 * gen()).astype(np.float32)),
    (fsla.det, lambda: gen(dtype=np.float32)),
    (fsla.logm, lambda: spd(dtype=np.float32) / 5),
    (lambda a: fsla.solve_triangular(a, np.ones(3, np.float32)), lambda: gen(dtype=np.float32)),
], ids=["inv", "det", "solve", "cholesky", "eigh", "svd", "qr", "nuc", "norm3", "expm", "scipy-det",
        "logm", "solve_triangular"])
def test_float32_preserved(f, make):
    a = make()
    assert np.asarray(f(a)).dtype == np.float32
    assert funcad.jacrev(f)(a).dtype == np.float32
    assert funcad.jacfwd(f)(a).dtype == np.float32
    check(f, a, order=1)


@pytest.mark.parametrize("f", [
    np.linalg.inv, np.linalg.det, lambda a: np.linalg.solve(a, np.arange(3.0)),
    lambda a: tuple(np.linalg.slogdet(a)), fsla.expm,
    lambda a: fsla.solve_triangular(a, np.arange(3.0), lower=True),
    lambda a: np.linalg.matrix_power(a, -2), lambda a: fsla.lu_solve(fsla.lu_factor(a), np.arange(3.0), trans=2),
    lambda a: fsla.solve_sylvester(a, np.eye(2) * (3 + 1j), np.ones((3, 2))),
    lambda a: fsla.sqrtm(a + 3 * np.eye(3)),
    lambda a: np.linalg.norm(a, "fro"), lambda c: fsla.cho_solve((c + 3 * np.eye(3), True), np.arange(3.0)),
], ids=["inv", "det", "solve", "slogdet", "expm", "solve_triangular", "matrix_power", "lu_solve",
        "solve_sylvester", "sqrtm", "fro", "cho_solve"])
def test_complex_inputs(f):
    z = gen() / 3 + 0.4j * vec(3, 3)
    check(f, z)


def test_namespaces_are_filled():
    assert fla.inv is fnp.linalg.inv
    for name in ("inv", "solve", "det", "slogdet", "norm", "cholesky", "eigh", "eigvalsh", "svd", "qr",
                 "pinv", "lstsq", "matrix_power", "multi_dot", "tensorsolve", "tensorinv", "eig",
                 "eigvals", "svdvals", "vector_norm", "matrix_norm", "trace", "cross", "outer"):
        assert getattr(fla, name) is not getattr(np.linalg, name), name
    for name in ("solve_triangular", "cholesky", "cho_factor", "cho_solve", "lu_factor", "lu_solve",
                 "expm", "logm", "sqrtm", "inv", "solve", "det", "solve_sylvester", "solve_banded"):
        assert getattr(fsla, name) is not getattr(sla, name), name
    assert fnp.trace is not np.trace


def test_values_match_numpy_and_scipy():
    a, s, b = gen(), spd(), vec(3, 2)
    pairs = [
        (fla.inv(a), np.linalg.inv(a)), (fla.pinv(rect(4, 3)), np.linalg.pinv(rect(4, 3))),
        (fsla.expm(a / 3), sla.expm(a / 3)), (fsla.logm(s), sla.logm(s)), (fsla.sqrtm(s), sla.sqrtm(s)),
        (fsla.cho_solve(fsla.cho_factor(s), b), sla.cho_solve(sla.cho_factor(s), b)),
        (fsla.cho_factor(s)[0], sla.cho_factor(s)[0]),
        (fsla.lu_solve(sla.lu_factor(a), b, trans=1), sla.lu_solve(sla.lu_factor(a), b, trans=1)),
        (fsla.solve_sylvester(a, s, b @ b.T), sla.solve_sylvester(a, s, b @ b.T)),
        (fla.lstsq(rect(4, 3), vec(4))[1], np.linalg.lstsq(rect(4, 3), vec(4))[1]),
    ]
    for got, want in pairs:
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_traced_values_keep_result_types():
    def f(a):
        r = np.linalg.eigh(a)
        assert type(r).__name__ == "EighResult"
        u = np.linalg.svd(a)
        assert type(u).__name__ == "SVDResult"
        return r.eigenvalues + u.S
    check(f, spd(), order=1)


@pytest.mark.parametrize("f", [np.linalg.cholesky, np.linalg.eigh, np.linalg.svd, np.linalg.qr,
                               np.linalg.pinv, np.linalg.eigvalsh])
def test_complex_refused_where_not_implemented(f):
    z = spd() + 0.1j * vec(3, 3)
    with pytest.raises(NotImplementedError, match="complex"):
        funcad.jacrev(lambda z: np.abs(f(z)[0]))(z)


def test_svd_hermitian_refused():
    with pytest.raises(NotImplementedError, match="hermitian"):
        funcad.grad(lambda a: np.sum(np.linalg.svd(a, hermitian=True)[1]))(spd())


def test_det_derivative_at_singular_matrices_is_the_cofactor_matrix():
    np.testing.assert_allclose(funcad.grad(np.linalg.det)(np.ones((2, 2))), [[1.0, -1.0], [-1.0, 1.0]], atol=1e-12)
    stack = np.stack([np.ones((2, 2)), np.array([[2.0, 1.0], [1.0, 3.0]])])
    np.testing.assert_allclose(funcad.func.jacfwd(lambda a: np.sum(np.linalg.det(a)))(stack),
                               [[[1.0, -1.0], [-1.0, 1.0]], [[3.0, -1.0], [-1.0, 2.0]]], atol=1e-12)
    check_grads(np.linalg.det, (np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),))


def test_det_at_a_matrix_singular_to_rounding_takes_the_cofactors():
    """LU gives [[a, b], [a, b]] a det of 5e-18, not 0, so the inverse-based rules ran on a
    singular matrix: det * inv(a)'s second derivative was 0.39 where it is 0 (reverse
    mode), and jacrev(jacfwd(det)) raised LinAlgError. A det within rounding of 0 beside
    Hadamard's bound now takes the cofactors, exact to every order. Found by the thorough
    program search (seed 7777)."""
    a = np.array([[0.045, 1.0], [0.045, 1.0]])
    assert np.linalg.det(a) != 0
    want = np.zeros((2, 2, 2, 2))
    want[0, 0, 1, 1] = want[1, 1, 0, 0] = 1.0
    want[0, 1, 1, 0] = want[1, 0, 0, 1] = -1.0
    F = funcad.func
    for outer, inner in ((F.jacfwd, F.jacrev), (F.jacrev, F.jacrev), (F.jacrev, F.jacfwd), (F.jacfwd, F.jacfwd)):
        np.testing.assert_allclose(outer(inner(np.linalg.det))(a), want, atol=1e-12)
    check_grads(lambda x: np.linalg.det(np.broadcast_to(x, (2, 2))), (np.array([0.045, 1.0]),), order=2)
    check_grads(np.linalg.det, (np.arange(1.0, 10.0).reshape(3, 3) / 10,), order=2)   # det 6.7e-18


@pytest.mark.parametrize("n", [1, 2, 3, 4, 9])
def test_det_is_exact_to_higher_orders_at_singular_matrices(n):
    """Up to 8 x 8 the cofactors come from the minors, a polynomial: second and third
    derivatives at the 0 matrix and at rank-deficient ones are finite and right (torch's,
    through the SVD, are NaN where singular values repeat). Larger matrices keep the SVD
    form: exact first derivatives."""
    r = np.random.default_rng(n)
    dup = r.integers(-3, 4, (n, n)).astype(float)
    dup[-1] = 2 * dup[0]                        # rank n - 1 (rank 0 when n = 1)
    low = np.diag([1.0, 2.0] + [0.0] * n)[:n, :n] @ r.integers(-3, 4, (n, n))   # rank <= 2
    order = 1 if n > 8 else 2
    for a in (np.zeros((n, n)), low) + ((dup,) if n <= 8 else ()):   # LU's det is exactly 0
        assert np.linalg.det(a) == 0 or n <= 2
        check_grads(np.linalg.det, (a,), order=order)
    check_grads(lambda x: np.linalg.det(np.diag(x)), (np.zeros(n),), order=order)
    if n <= 8:
        d3 = funcad.func.jacfwd(funcad.func.hessian(lambda x: np.linalg.det(np.diag(x))))(np.zeros(n))
        want = np.zeros((n, n, n))
        if n == 3:   # det(diag(x)) = x0 x1 x2: the third derivative is 1 at distinct indices
            for p in itertools.permutations(range(3)):
                want[p] = 1.0
        np.testing.assert_allclose(d3, want, atol=1e-12)
        stack = np.stack([np.zeros((n, n)), np.eye(n)]).astype(np.float32)
        assert funcad.grad(lambda a: np.sum(np.linalg.det(a)))(stack).dtype == np.float32

"""funcad.scipy.stats: values equal to scipy.stats', derivatives in x and in every
parameter checked against finite differences to order 2 in forward and reverse mode.

As in test_rules_special, narrow domains are checked as ``u -> f(s * u)`` at ``u = x / s``.
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as st

import funcad
import funcad.scipy.stats as fst
from funcad.testing import check_grads

from _util import A, check, traced_value  # noqa: E402


def method(dist, name):
    return getattr(getattr(fst, dist), name)


# dist: (methods, x, shape parameters (broadcasting against x), scale of the check).
# Each parameter has its own shape so that broadcasting is exercised; loc and scale follow.
CONTINUOUS = {
    "norm":  (("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"), A(-1.3, 0.2, 2.1), (), 1.0),
    "t":     (("logpdf", "pdf", "cdf", "logcdf"), A(-1.3, 0.2, 2.1), (A(2.5, 6.0)[:, None],), 0.5),
    "gamma": (("logpdf", "pdf", "cdf"), A(1.1, 2.0, 4.5), (A(1.5, 3.0)[:, None],), 0.3),
    "chi2":  (("logpdf", "pdf", "cdf"), A(1.1, 2.0, 4.5), (A(3.5, 5.0)[:, None],), 0.3),
    "beta":  (("logpdf", "pdf", "cdf"), A(0.35, 0.5, 0.65), (A(2.5, 4.0)[:, None], A(3.0)), 0.05),
}
LOC, SCALE = A(0.1), A(1.2, 0.9, 1.1)
CDF_SHAPE_NOT_DIFFERENTIABLE = {"t": ("stdtr", ("df",)), "gamma": ("gammainc", ("a",)),
                                "chi2": ("gammainc", ("a",)), "beta": ("betainc", ("a", "b"))}


def cases():
    for dist, (methods, *_rest) in CONTINUOUS.items():
        for m in methods:
            yield dist, m


@pytest.mark.parametrize("dist, name", list(cases()))
def test_values(dist, name):
    _, x, shapes, _ = CONTINUOUS[dist]
    x = x * SCALE + LOC
    ref = getattr(getattr(st, dist), name)(x, *shapes, LOC, SCALE)
    f = method(dist, name)
    np.testing.assert_allclose(f(x, *shapes, LOC, SCALE), ref, rtol=1e-12)
    np.testing.assert_allclose(f(x, *shapes, loc=LOC, scale=SCALE), ref, rtol=1e-12)
    np.testing.assert_allclose(traced_value(lambda x: f(x, *shapes, LOC, SCALE), x), ref, rtol=1e-12)
    np.testing.assert_allclose(f(x[0], *(p.ravel()[0] for p in shapes)),
                               getattr(getattr(st, dist), name)(x[0], *(p.ravel()[0] for p in shapes)), rtol=1e-12)
    # frozen, as scipy.stats.norm(loc, scale).logpdf(x)
    np.testing.assert_allclose(getattr(getattr(fst, dist)(*shapes, loc=LOC, scale=SCALE), name)(x), ref, rtol=1e-12)


@pytest.mark.parametrize("dist, name", list(cases()))
def test_derivatives_in_x_loc_scale(dist, name):
    _, x, shapes, s = CONTINUOUS[dist]
    f = method(dist, name)
    check(lambda x, loc, scale: f(x * scale + loc, *shapes, loc, scale), x, LOC, SCALE, s=s)
    check(lambda x: f(x, *(p.ravel()[-1] for p in shapes)), x[1], s=s)        # 0-d


@pytest.mark.parametrize("dist, name", [c for c in cases() if c[1] in ("logpdf", "pdf") and CONTINUOUS[c[0]][2]])
def test_derivatives_in_shape_parameters(dist, name):
    _, x, shapes, s = CONTINUOUS[dist]
    f = method(dist, name)
    check(lambda x, *p: f(x, *p), x, *shapes, s=s)


@pytest.mark.parametrize("dist", sorted(CDF_SHAPE_NOT_DIFFERENTIABLE))
@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_cdf_shape_parameters_raise(dist, mode):
    fn, names = CDF_SHAPE_NOT_DIFFERENTIABLE[dist]
    _, x, shapes, _ = CONTINUOUS[dist]
    jac = funcad.jacfwd if mode == "fwd" else funcad.jacrev
    for i, _name in enumerate(names):
        def f(p):
            ps = list(shapes)
            ps[i] = p
            return method(dist, "cdf")(x, *ps)
        with pytest.raises(NotImplementedError, match=rf"{fn}.*argument '(a|b|df)'"):
            jac(f)(shapes[i])


@pytest.mark.parametrize("dist, name", list(cases()))
def test_float32(dist, name):
    _, x, shapes, _ = CONTINUOUS[dist]
    x32 = x.astype(np.float32)
    shapes32 = [p.astype(np.float32) for p in shapes]
    f = lambda x, *p: method(dist, name)(x, *p, 0.0, 1.5)  # noqa: E731  (Python loc/scale)
    assert f(x32, *shapes32).dtype == np.float32
    jr = funcad.jacrev(f, argnums=tuple(range(1 + len(shapes32))) if name in ("logpdf", "pdf") else 0)(x32, *shapes32)
    for j in (jr if isinstance(jr, tuple) else (jr,)):
        assert j.dtype == np.float32
    assert funcad.jacfwd(funcad.jacrev(f))(x32, *shapes32).dtype == np.float32
    np.testing.assert_allclose(f(x32, *shapes32), getattr(getattr(st, dist), name)(x, *shapes, 0.0, 1.5), rtol=1e-4)


OUTSIDE = {
    # dist: x with points outside the support, shape parameters
    "gamma": (A(-1.0, 2.0, 0.5), (A(2.5),)),
    "chi2": (A(-1.0, 2.0, 0.5), (A(3.5),)),
    "beta": (A(-0.5, 0.3, 1.5, 0.6), (A(2.5), A(3.0))),
}


@pytest.mark.parametrize("dist", sorted(OUTSIDE))
@pytest.mark.parametrize("name", ["logpdf", "pdf", "cdf"])
def test_outside_support(dist, name):
    """SciPy's values outside the support (0, -inf, 1) and no NaN leaking into the
    derivatives (in x, and in the shape parameters shared with inside points)."""
    x, shapes = OUTSIDE[dist]
    f = method(dist, name)
    np.testing.assert_allclose(f(x, *shapes), getattr(getattr(st, dist), name)(x, *shapes), rtol=1e-12)
    dx = funcad.jacrev(lambda x: f(x, *shapes))(x)
    assert np.all(np.isfinite(dx))
    inside = (x > 0) & (x < 1 if dist == "beta" else True)
    np.testing.assert_array_equal(np.diag(dx)[~inside], 0)
    np.testing.assert_allclose(np.diag(dx)[inside], np.diag(funcad.jacrev(lambda x: f(x, *shapes))(x[inside])))
    if name != "cdf":
        dp = funcad.jacfwd(lambda *p: f(x, *p), argnums=tuple(range(len(shapes))))(*shapes)
        for j in dp:
            assert np.all(np.isfinite(j))
            assert np.all(j[~inside] == 0)
        check(lambda *p: f(x[inside], *p), *shapes, s=0.3)


def test_invalid_parameters_give_nan():
    assert np.isnan(fst.norm.logpdf(0.3, 0.0, -1.0)) and np.isnan(st.norm.logpdf(0.3, 0.0, -1.0))
    assert np.isnan(fst.gamma.cdf(0.3, -1.0)) and np.isnan(st.gamma.cdf(0.3, -1.0))
    out = funcad.func.vjp(lambda s: fst.norm.logpdf(A(0.3, 0.5), 0.0, s), A(1.0, -1.0))[0]
    np.testing.assert_array_equal(np.isnan(out), [False, True])


def test_t_infinite_df_is_normal():
    x = A(-1.3, 0.2)
    np.testing.assert_allclose(fst.t.logpdf(x, np.inf), st.t.logpdf(x, np.inf), rtol=1e-14)
    np.testing.assert_allclose(funcad.jacrev(lambda x: fst.t.logpdf(x, A(np.inf, 3.0)))(x),
                               np.diag([1.3, -0.2 * 4 / (3 + 0.04)]), rtol=1e-12)


def test_frozen_derivatives():
    x = A(-1.3, 0.2, 2.1)
    check(lambda x, loc, scale: fst.norm(loc, scale).logcdf(x), x, LOC, SCALE)
    check(lambda x, df: fst.t(df, scale=2.0).logpdf(x), x, A(3.0), s=0.5)
    assert np.isclose(fst.gamma(2.5, scale=2.0).pdf(1.3), st.gamma(2.5, scale=2.0).pdf(1.3))


# -- poisson: differentiable in mu only --------------------------------------------------
K = np.array([0, 1, 3, 7])


@pytest.mark.parametrize("name", ["logpmf", "pmf", "cdf"])
def test_poisson(name):
    mu = A(0.8, 2.5, 6.0)[:, None]
    f = method("poisson", name)
    k = np.array([0, 1, 2.5, 3, -1, 7])
    np.testing.assert_allclose(f(k, mu), getattr(st.poisson, name)(k, mu), rtol=1e-12)
    np.testing.assert_allclose(f(k, mu, loc=1), getattr(st.poisson, name)(k, mu, loc=1), rtol=1e-12)
    np.testing.assert_allclose(traced_value(lambda mu: f(k, mu), mu), getattr(st.poisson, name)(k, mu), rtol=1e-12)
    check(lambda mu: f(K, mu), mu, s=0.3)
    check(lambda mu: f(3, mu), A(2.5), s=0.3)
    # k is an integer: zero derivative
    assert np.all(funcad.jacrev(lambda k: f(k, 2.5))(K.astype(float)) == 0)
    mu32 = np.float32([2.5, 4.0])
    assert f(K[:, None], mu32).dtype == np.float32
    assert funcad.jacfwd(funcad.jacrev(lambda mu: f(K[:, None], mu)))(mu32).dtype == np.float32


def test_poisson_cdf_derivative_is_minus_pmf():
    mu = A(0.8, 2.5, 6.0)
    np.testing.assert_allclose(np.diag(funcad.jacrev(lambda mu: fst.poisson.cdf(3, mu))(mu)),
                               -st.poisson.pmf(3, mu), rtol=1e-12)


# -- dirichlet: components along x's first axis --------------------------------------------
ALPHA = A(2.0, 3.0, 4.5)
XD = np.array([[0.2, 0.3, 0.25], [0.3, 0.35, 0.4]])     # K - 1 = 2 components, 3 points


@pytest.mark.parametrize("name", ["logpdf", "pdf"])
def test_dirichlet(name):
    f = method("dirichlet", name)
    full = np.vstack([XD, 1 - XD.sum(0)])
    for x in (XD, full, XD[:, 0], full[:, 0]):
        np.testing.assert_allclose(f(x, ALPHA), getattr(st.dirichlet, name)(x, ALPHA), rtol=1e-12)
        np.testing.assert_allclose(traced_value(lambda a: f(x, a), ALPHA),
                                   getattr(st.dirichlet, name)(x, ALPHA), rtol=1e-12)
    check(lambda x, a: f(x, a), XD, ALPHA, s=0.05)
    check(lambda x, a: f(x, a), XD[:, 1], ALPHA, s=0.05)
    check(lambda a: f(full, a), ALPHA, s=0.3)
    x32, a32 = XD.astype(np.float32), ALPHA.astype(np.float32)
    assert f(x32, a32).dtype == np.float32
    assert funcad.jacrev(f, argnums=(0, 1))(x32, a32)[1].dtype == np.float32
    with pytest.raises(ValueError):
        f(XD, -ALPHA)


def test_dirichlet_entropy():
    np.testing.assert_allclose(fst.dirichlet.entropy(ALPHA), st.dirichlet.entropy(ALPHA), rtol=1e-12)
    check(fst.dirichlet.entropy, ALPHA, s=0.3)


# -- multivariate normal (needs numpy.linalg.solve and slogdet rules): last ----------------
COV = np.array([[2.0, 0.3, 0.1], [0.3, 1.5, -0.2], [0.1, -0.2, 1.0]])
MEAN = A(0.2, -0.4, 0.1)
XM = np.array([[0.5, 0.1, -0.3], [1.2, -0.8, 0.4]])


@pytest.mark.parametrize("x", [XM, XM[0], np.stack([XM, XM[::-1]])])
def test_multivariate_normal_values(x):
    for name in ("logpdf", "pdf"):
        ref = getattr(st.multivariate_normal, name)(x, MEAN, COV)
        f = method("multivariate_normal", name)
        np.testing.assert_allclose(f(x, MEAN, COV), ref, rtol=1e-12)
        np.testing.assert_allclose(f(x, mean=MEAN, cov=COV, allow_singular=False), ref, rtol=1e-12)
        np.testing.assert_allclose(traced_value(lambda x, m, c: f(x, m, c), x, MEAN, COV), ref, rtol=1e-12)
        np.testing.assert_allclose(getattr(fst.multivariate_normal(MEAN, COV), name)(x), ref, rtol=1e-12)


@pytest.mark.parametrize("mean, cov, x", [
    (None, 2.0, A(0.3, -0.5, 1.2)),            # dim 1: x is three points
    (None, COV, XM), (MEAN, 1.7, XM), (MEAN, A(1.5, 2.0, 0.7), XM), (A(0.5), A(2.0), A(0.3)),
    (MEAN, COV, A(0.3)[:, None] * np.ones(3))])
def test_multivariate_normal_parameter_forms(mean, cov, x):
    np.testing.assert_allclose(fst.multivariate_normal.logpdf(x, mean, cov),
                               st.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(fst.multivariate_normal.entropy(mean, cov),
                               st.multivariate_normal.entropy(mean, cov), rtol=1e-12)


@pytest.mark.parametrize("name", ["logpdf", "pdf"])
def test_multivariate_normal_derivatives(name):
    f = method("multivariate_normal", name)
    check(lambda x, m, c: f(x, m, c), XM, MEAN, COV, s=0.2)
    check(lambda x, m, c: f(x, m, c), XM[1], MEAN, COV, s=0.2, order=1)
    check(lambda x, c: f(x, cov=c), A(0.3, -0.5), A(2.0), s=0.2)                   # dim 1
    check(lambda x, c: f(x, MEAN, c), XM, A(1.5, 2.0, 0.7), s=0.2)                 # diagonal cov


def test_multivariate_normal_entropy():
    check(lambda c: fst.multivariate_normal.entropy(MEAN, c), COV, s=0.2)
    # d/dcov entropy = inv(cov) / 2
    np.testing.assert_allclose(funcad.jacrev(lambda c: fst.multivariate_normal.entropy(cov=c))(COV),
                               np.linalg.inv(COV).T / 2, rtol=1e-12)


def test_multivariate_normal_float32():
    x, m, c = (a.astype(np.float32) for a in (XM, MEAN, COV))
    f = fst.multivariate_normal.logpdf
    assert f(x, m, c).dtype == np.float32
    for j in funcad.jacrev(f, argnums=(0, 1, 2))(x, m, c):
        assert j.dtype == np.float32
    np.testing.assert_allclose(f(x, m, c), st.multivariate_normal.logpdf(XM, MEAN, COV), rtol=1e-5)


def test_multivariate_normal_singular():
    sing = np.array([[1.0, 1.0], [1.0, 1.0]])
    with pytest.raises(np.linalg.LinAlgError):
        funcad.jacrev(lambda x: fst.multivariate_normal.logpdf(x, cov=sing))(A(0.2, 0.2))
    with pytest.raises(NotImplementedError, match="singular"):
        funcad.jacrev(lambda x: fst.multivariate_normal.logpdf(x, cov=sing, allow_singular=True))(A(0.2, 0.2))
    with pytest.raises(ValueError, match="positive semidefinite"):
        fst.multivariate_normal.logpdf(A(0.2, 0.2), cov=-np.eye(2))

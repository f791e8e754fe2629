"""scipy.special through funcad: values equal to SciPy's, derivatives checked against finite
differences to order 2 in forward and reverse mode, reached through plain ``scipy.special``
(the ufuncs dispatch on traced values) and through ``funcad.scipy.special``.

The oracle's finite differences take steps of up to 0.5; functions whose domain is narrower
than that near the test points are checked as ``u -> f(s * u)`` at ``u = x / s`` (the chain
rule through the scaling is exact, so this still checks f's derivatives at x).
"""
from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp

import funcad
import funcad.scipy.special as fs
from funcad.testing import check_grads

from _util import A, check, traced_value  # noqa: E402

COVERAGE = """beta betainc betaln digamma erf erfc erfcinv erfinv expit gamma gammainc gammaincc
gammaln gammasgn i0 i1 iv ive j0 j1 jn logit logsumexp multigammaln polygamma psi rgamma y0
y1 yn ndtr log_ndtr ndtri softmax log_softmax xlogy xlog1py entr kv k0 k1 i0e i1e erfcx
log_expit zeta""".split()


# name: (points, scale). Points are inside the domain and > 0.5 * scale from its edges and
# from singularities.
GAMMA_PTS = (A(0.7, 1.5, 3.2, -1.5, -0.3), 0.1)
BESSEL_PTS = (A(-2.1, -1.0, 0.8, 3.0), 1.0)
POSITIVE_PTS = (A(0.8, 1.7, 4.0), 0.5)
REAL_PTS = (A(-1.3, -0.2, 0.4, 2.1), 1.0)
UNARY = {
    "erf": REAL_PTS, "erfc": REAL_PTS, "erfcx": REAL_PTS, "ndtr": REAL_PTS,
    "log_ndtr": (A(-6.0, -1.3, 0.4, 2.1), 1.0), "expit": REAL_PTS, "log_expit": REAL_PTS,
    "erfinv": (A(-0.6, 0.1, 0.7), 0.1), "erfcinv": (A(0.3, 1.0, 1.6), 0.1),
    "ndtri": (A(0.2, 0.5, 0.8), 0.05), "logit": (A(0.2, 0.5, 0.8), 0.05),
    "gamma": GAMMA_PTS, "gammaln": GAMMA_PTS, "digamma": GAMMA_PTS, "psi": GAMMA_PTS,
    "rgamma": GAMMA_PTS, "entr": (A(0.3, 1.0, 2.5), 0.1),
    "i0": BESSEL_PTS, "i1": BESSEL_PTS, "i0e": BESSEL_PTS, "i1e": BESSEL_PTS,
    "j0": BESSEL_PTS, "j1": BESSEL_PTS,
    "y0": POSITIVE_PTS, "y1": POSITIVE_PTS, "k0": POSITIVE_PTS, "k1": POSITIVE_PTS,
}


def test_every_listed_function_is_covered():
    for name in COVERAGE:
        f = getattr(fs, name)
        assert f is not getattr(sp, name), f"funcad.scipy.special.{name} is SciPy's own"
    assert fs.jn is fs.jv and fs.psi is fs.digamma


@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("via", ["scipy", "funcad"])
def test_unary(name, via):
    x, s = UNARY[name]
    f = getattr(sp if via == "scipy" else fs, name)
    np.testing.assert_allclose(traced_value(f, x), getattr(sp, name)(x), rtol=1e-14)
    check(f, x, s=s)
    check(f, x[1], s=s)                          # 0-d
    if via == "scipy":
        check(f, np.stack([x, x[::-1]]), s=s, order=1)   # 2-d


@pytest.mark.parametrize("name", sorted(UNARY))
def test_unary_float32(name):
    x = UNARY[name][0].astype(np.float32)
    f = getattr(sp, name)
    assert traced_value(f, x).dtype == np.float32
    assert funcad.jacrev(f)(x).dtype == np.float32
    assert funcad.jacfwd(funcad.jacrev(f))(x).dtype == np.float32
    np.testing.assert_allclose(funcad.jacfwd(f)(x), funcad.jacfwd(f)(x.astype(float)),
                               rtol=2e-3, atol=1e-4)


def test_dual_through_plain_scipy():
    d = sp.erf(funcad.Dual(0.5, 1.0))
    assert np.isclose(d.primal, sp.erf(0.5))
    assert np.isclose(d.tangent, 2 / np.sqrt(np.pi) * np.exp(-0.25))
    d = sp.j0(funcad.Dual(2.0, 1.0))
    assert np.isclose(d.tangent, -sp.j1(2.0))


def test_known_derivatives():
    x = A(0.7, 2.0, 3.5)
    g = funcad.jacfwd
    np.testing.assert_allclose(np.diag(g(sp.digamma)(x)), sp.polygamma(1, x), rtol=1e-12)
    np.testing.assert_allclose(np.diag(g(sp.i0)(x)), sp.i1(x), rtol=1e-12)
    np.testing.assert_allclose(np.diag(g(sp.i1)(x)), sp.i0(x) - sp.i1(x) / x, rtol=1e-12)
    np.testing.assert_allclose(np.diag(g(sp.k1)(x)), -sp.k0(x) - sp.k1(x) / x, rtol=1e-12)
    np.testing.assert_allclose(np.diag(g(sp.y1)(x)), sp.y0(x) - sp.y1(x) / x, rtol=1e-12)
    np.testing.assert_allclose(np.diag(g(sp.erfinv)(x / 4)), np.sqrt(np.pi) / 2 * np.exp(sp.erfinv(x / 4) ** 2))


# -- functions of several arguments: broadcasting between arguments ----------------------
BINARY = {
    # name: (differentiable argnums, args, scale)
    "beta":    ((0, 1), (A(0.8, 1.5, 3.0), A(1.2, 2.5)[:, None]), 0.2),
    "betaln":  ((0, 1), (A(0.8, 1.5, 3.0), A(1.2, 2.5)[:, None]), 0.2),
    "xlogy":   ((0, 1), (A(-0.7, 0.0, 1.3)[:, None], A(0.5, 1.0, 2.5)), 0.2),
    "xlog1py": ((0, 1), (A(-0.7, 0.0, 1.3)[:, None], A(-0.5, 0.0, 1.5)), 0.2),
    "gammainc":  ((1,), (A(0.7, 2.0, 4.5), A(0.5, 1.5, 4.0)[:, None]), 0.2),
    "gammaincc": ((1,), (A(0.7, 2.0, 4.5), A(0.5, 1.5, 4.0)[:, None]), 0.2),
    "jv":  ((1,), (A(0.0, 1.5, 3.0), A(1.2, 3.5)[:, None]), 0.3),
    "jn":  ((1,), (A(0, 1, 3), A(-2.2, 1.2, 3.5)[:, None]), 0.3),
    "yn":  ((1,), (A(0, 1, 3), A(1.2, 3.5)[:, None]), 0.3),
    "yv":  ((1,), (A(0.0, 1.5, 3.0), A(1.2, 3.5)[:, None]), 0.3),
    "iv":  ((1,), (A(0.0, 1.5, 3.0), A(1.2, 3.5)[:, None]), 0.3),
    "ive": ((1,), (A(0.0, 1.5, 3.0), A(1.2, 3.5)[:, None]), 0.3),
    "kv":  ((1,), (A(0.0, 1.5, 3.0), A(1.2, 3.5)[:, None]), 0.3),
    "kve": ((1,), (A(0.0, 1.5, 3.0), A(1.2, 3.5)[:, None]), 0.3),
    "stdtr": ((1,), (A(1.5, 4.0, 30.0), A(-1.2, 0.3, 2.5)[:, None]), 1.0),
    "polygamma": ((1,), (np.array([0, 1, 3]), A(0.8, 2.5)[:, None]), 0.2),
    "zeta": ((1,), (A(2.5, 4.0), A(0.8, 2.0, 5.0)[:, None]), 0.2),
    "betainc": ((2,), (A(0.7, 2.0), A(1.5, 3.0)[:, None, None], A(0.2, 0.5, 0.8)[:, None, None, None]), 0.05),
}


def _partial(f, args, argnums):
    """f as a function of the arguments in argnums (the others fixed)."""
    def g(*d):
        full = list(args)
        for i, v in zip(argnums, d):
            full[i] = v
        return f(*full)
    return g, tuple(args[i] for i in argnums)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("via", ["scipy", "funcad"])
def test_several_arguments(name, via):
    argnums, args, s = BINARY[name]
    f = getattr(fs, name) if via == "funcad" or not isinstance(getattr(sp, name), np.ufunc) else getattr(sp, name)
    g, dargs = _partial(f, args, argnums)
    np.testing.assert_allclose(traced_value(g, *dargs), getattr(sp, name)(*args), rtol=1e-13)
    check(g, *dargs, s=s)
    g0, d0 = _partial(f, [np.asarray(a).ravel()[-1] for a in args], argnums)   # 0-d
    check(g0, *d0, s=s)


@pytest.mark.parametrize("name", ["beta", "betaln", "gammainc", "xlogy", "jv", "iv", "polygamma", "betainc"])
def test_several_arguments_float32(name):
    argnums, args, s = BINARY[name]
    args = [np.asarray(a).astype(np.float32) if np.asarray(a).dtype.kind == "f" else a for a in args]
    g, dargs = _partial(getattr(fs, name), args, argnums)
    assert traced_value(g, *dargs).dtype == np.float32
    for jac in funcad.jacrev(g, argnums=tuple(range(len(dargs))))(*dargs):
        assert jac.dtype == np.float32
    assert funcad.jacfwd(funcad.jacrev(g))(*dargs).dtype == np.float32


def test_zeta_through_plain_scipy():
    """scipy.special.zeta is a Python function calling a ufunc: that ufunc traces."""
    q = A(0.8, 2.0, 5.0)
    np.testing.assert_allclose(traced_value(lambda q: sp.zeta(2.5, q), q), sp.zeta(2.5, q), rtol=1e-14)
    check(lambda q: sp.zeta(2.5, q), q, s=0.2)
    np.testing.assert_allclose(np.diag(funcad.jacrev(lambda q: sp.zeta(2.5, q))(q)), -2.5 * sp.zeta(3.5, q))


def test_complex_reductions_refused():
    z = np.array([1.0 + 1j, 0.5])
    for f in (fs.logsumexp, fs.softmax, fs.log_softmax):
        with pytest.raises(NotImplementedError, match="complex"):
            funcad.jacfwd(lambda x: f(x * z))(np.ones(2))


def test_xlogy_at_zero():
    """At x = 0 the function is 0 in y: exact log(y) in x for y > 0, and 0 (not NaN) at the
    corner x = y = 0; likewise xlog1py at y = -1."""
    for f, corner in ((sp.xlogy, 0.0), (sp.xlog1py, -1.0)):
        dx, dy = funcad.jacrev(f, argnums=(0, 1))(np.array(0.0), np.array(corner))
        assert dx == 0 and dy == 0
        dx, dy = funcad.jacrev(f, argnums=(0, 1))(np.array(0.0), np.array(corner + 2.0))
        assert np.isclose(dx, np.log(2.0) if f is sp.xlogy else np.log1p(1.0)) and dy == 0


NO_CLOSED_FORM = [
    # (function, argument name, f of that argument alone, point)
    ("betainc", "a", lambda a: sp.betainc(a, 2.0, 0.3), 1.5),
    ("betainc", "b", lambda b: sp.betainc(1.5, b, 0.3), 2.0),
    ("gammainc", "a", lambda a: sp.gammainc(a, 2.0), 1.5),
    ("gammaincc", "a", lambda a: sp.gammaincc(a, 2.0), 1.5),
    ("zeta", "x", lambda x: fs.zeta(x, 2.0), 3.0),
    ("zeta", "x", lambda x: fs.zeta(x), 3.0),
    ("zeta", "x", lambda x: sp.zeta(x, 2.0), 3.0),
    ("jv", "v", lambda v: sp.jv(v, 2.0), 1.5),
    ("jv", "v", lambda v: sp.jn(v, 2.0), 1.0),
    ("yv", "v", lambda v: sp.yv(v, 2.0), 1.5),
    ("iv", "v", lambda v: sp.iv(v, 2.0), 1.5),
    ("ive", "v", lambda v: sp.ive(v, 2.0), 1.5),
    ("kv", "v", lambda v: sp.kv(v, 2.0), 1.5),
    ("stdtr", "df", lambda df: sp.stdtr(df, 0.5), 3.0),
]


@pytest.mark.parametrize("fn, arg, f, x0", NO_CLOSED_FORM)
@pytest.mark.parametrize("mode", ["fwd", "rev"])
def test_no_closed_form_raises(fn, arg, f, x0, mode):
    jac = funcad.jacfwd if mode == "fwd" else funcad.jacrev
    with pytest.raises(NotImplementedError, match=rf"scipy\.special\.{fn}\b.*argument '{arg}'"):
        jac(f)(np.array(x0))


def test_integer_orders_have_zero_derivative():
    """n of polygamma and yn is an integer (documented: rule None, zero derivative)."""
    for f in (lambda n: fs.polygamma(n, 2.5), lambda n: sp.yn(n, 2.5)):
        assert funcad.jacrev(f)(np.array(1.0)) == 0
        assert funcad.jacfwd(f)(np.array(1.0)) == 0


def test_gammasgn():
    x = A(-1.5, -0.5, 2.0)
    np.testing.assert_array_equal(traced_value(sp.gammasgn, x), sp.gammasgn(x))
    np.testing.assert_array_equal(funcad.jacrev(lambda x: x * sp.gammasgn(x))(x), np.diag(sp.gammasgn(x)))


def test_polygamma_float32_kept():
    x = np.float32([0.8, 2.5])
    assert fs.polygamma(1, x).dtype == np.float32
    np.testing.assert_allclose(fs.polygamma(np.array([0, 1, 2]), x[:, None]),
                               sp.polygamma(np.array([0, 1, 2]), x[:, None]), rtol=1e-6)


@pytest.mark.parametrize("d", [1, 3])
def test_multigammaln(d):
    a = A(3.2, 4.5)
    np.testing.assert_allclose(traced_value(lambda a: fs.multigammaln(a, d), a), sp.multigammaln(a, d), rtol=1e-13)
    check(lambda a: fs.multigammaln(a, d), a, s=0.5)
    check(lambda a: fs.multigammaln(a, d), a[0], s=0.5)
    with pytest.raises(ValueError, match="condition a"):
        funcad.jacrev(lambda a: fs.multigammaln(a, 3))(A(0.9))


# -- logsumexp, softmax, log_softmax --------------------------------------------------------
X = np.array([[0.3, -1.2, 2.0], [0.7, 0.1, -0.4]])
X3 = np.arange(12.0).reshape(2, 3, 2) / 7 - 0.5


@pytest.mark.parametrize("axis, keepdims, x", [
    (None, False, X), (0, False, X), (-1, True, X), (1, False, X), ((0, 2), False, X3),
    (-2, True, X3), (None, True, X3), (None, False, np.array(0.4))])
def test_logsumexp(axis, keepdims, x):
    f = lambda a: fs.logsumexp(a, axis=axis, keepdims=keepdims)  # noqa: E731
    np.testing.assert_allclose(traced_value(f, x), sp.logsumexp(x, axis=axis, keepdims=keepdims), rtol=1e-14)
    check(f, x)


def test_logsumexp_weights():
    b = A(1.0, 2.0, 0.5)
    f = lambda a, b: fs.logsumexp(a, axis=-1, b=b)  # noqa: E731
    np.testing.assert_allclose(traced_value(f, X, b), sp.logsumexp(X, axis=-1, b=b), rtol=1e-14)
    check(f, X, b, s=0.2)                            # b broadcasts along a's first axis
    check(lambda a, b: fs.logsumexp(a, b=b), A(0.3), X + 2, s=0.2)   # a broadcasts to b


def test_logsumexp_return_sign():
    b = A(1.0, -3.0, 0.5)
    f = lambda a, b: fs.logsumexp(a, axis=1, b=b, return_sign=True)  # noqa: E731
    out, sign = traced_value(f, X, b)
    ref, rsign = sp.logsumexp(X, axis=1, b=b, return_sign=True)
    np.testing.assert_allclose(out, ref, rtol=1e-14)
    np.testing.assert_array_equal(sign, rsign)
    check(lambda a, b: f(a, b)[0], X, b, s=0.2)
    out, sign = fs.logsumexp(funcad.Dual(X, np.ones_like(X)), axis=1, b=b, keepdims=True, return_sign=True)
    assert out.primal.shape == sign.shape == (2, 1)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("axis, x", [(None, X), (0, X), (-1, X), ((0, 2), X3), (1, X3), (None, np.array(0.4))])
def test_softmax(name, axis, x):
    f = lambda a: getattr(fs, name)(a, axis=axis)  # noqa: E731
    np.testing.assert_allclose(traced_value(f, x), getattr(sp, name)(x, axis=axis), rtol=1e-14, atol=1e-15)
    check(f, x)


@pytest.mark.parametrize("f", [lambda a: fs.logsumexp(a, axis=1), lambda a: fs.softmax(a, axis=0),
                               lambda a: fs.log_softmax(a, axis=-1)])
def test_reductions_float32(f):
    x = X.astype(np.float32)
    assert traced_value(f, x).dtype == np.float32
    assert funcad.jacfwd(funcad.jacrev(f))(x).dtype == np.float32
    check_grads(f, (x,))

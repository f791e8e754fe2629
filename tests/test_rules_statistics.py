"""Statistics rules: NaN-aware reductions, averages, order statistics, covariance,
interpolation, polynomials, convolution, sinc, nan_to_num, real_if_close, angle."""
import warnings

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

import funcad
import funcad.numpy as fnp
import funcad.scipy.signal as fsignal
from funcad.testing import check_grads

rng = np.random.default_rng(0)
X = rng.normal(size=(3, 4))
NANS = np.isnan(np.where([[0, 1, 0, 0], [0, 0, 0, 0], [0, 0, 1, 0]], np.nan, 0.0))


def traced(f, *args):
    """``f`` evaluated with every argument traced (forward mode)."""
    return funcad.func.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]


def assert_like_numpy(f, *args):
    """Under tracing ``f`` gives NumPy's values, shapes and dtypes."""
    out, ref = traced(f, *args), f(*args)
    outs, refs = (out, ref) if isinstance(ref, tuple) else ((out,), (ref,))
    for o, r in zip(outs, refs):
        assert np.shape(o) == np.shape(r)
        assert np.result_type(o) == np.result_type(r)
        np.testing.assert_allclose(o, r, rtol=1e-12, atol=1e-14, equal_nan=True)


def check(f, *args, **kw):
    assert_like_numpy(f, *args)
    check_grads(f, args, **kw)


def check_complex(f, *zs, **kw):
    """A function of complex inputs: check_grads in both modes (it splits each input into
    real coordinates), and torch's convention for the gradient of a real loss (``grad``
    gives ``dL/dRe + i dL/dIm``)."""
    check_grads(f, zs, **kw)
    y0 = f(*zs)
    w = (np.arange(np.size(y0)).reshape(np.shape(y0)) + 1.0) / np.size(y0)

    def loss(*zs):
        y = f(*zs)
        return np.sum(w * np.real(y * np.conj(y))) + np.sum(w * np.imag(y))

    for i, z in enumerate(zs):
        g = funcad.grad(loss, argnums=i)(*zs)
        at = lambda v: zs[:i] + (v,) + zs[i + 1:]
        d_re = funcad.jacfwd(lambda re: loss(*at(re + 1j * z.imag)))(z.real)
        d_im = funcad.jacfwd(lambda im: loss(*at(z.real + 1j * im)))(z.imag)
        np.testing.assert_allclose(g, d_re + 1j * d_im, rtol=1e-9, atol=1e-12)


# -- NaN-aware reductions --------------------------------------------------------------------
@pytest.mark.parametrize("fn", [np.nansum, np.nanmean, np.nanprod])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_nan_reductions(fn, axis, keepdims):
    check(lambda x: fn(np.where(NANS, np.nan, x), axis=axis, keepdims=keepdims), X)


@pytest.mark.parametrize("fn", [np.nansum, np.nanmean, np.nanprod])
def test_nan_entries_get_zero_derivative(fn):
    g = funcad.grad(lambda x: fn(np.where(NANS, np.nan, x) + 0 * x))(X)
    assert np.all(g[NANS] == 0) and np.all(np.isfinite(g)) and np.all(g[~NANS] != 0)
    g = funcad.grad(lambda x: fnp.nansum(x))(np.where(NANS, np.nan, X))
    assert np.array_equal(g, np.where(NANS, 0.0, 1.0))


# -- averages --------------------------------------------------------------------------------
W = rng.uniform(0.5, 1.5, size=(3, 4))


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_average(axis):
    check(lambda x: np.average(x, axis=axis), X)
    check(lambda x, w: np.average(x, axis=axis, weights=w), X, W)
    check(lambda x, w: np.average(x, axis=axis, weights=w, returned=True, keepdims=True), X, W)


def test_average_weights_along_axis():
    check(lambda x, w: np.average(x, axis=-1, weights=w, returned=True), X, W[0])
    check(lambda x, w: np.average(x, axis=(1, 0), weights=w), X, W.T)
    check(lambda x: np.average(x, axis=0, returned=True), X)
    with pytest.raises(ZeroDivisionError):
        funcad.grad(lambda w: np.average(X, axis=0, weights=w))(np.zeros(3))


@pytest.mark.parametrize("axis", [None, 0, -1])
def test_ptp(axis):
    check(lambda x: np.ptp(x, axis=axis), X)
    check(lambda x: np.ptp(x, axis=axis, keepdims=True), X)


# -- order statistics -------------------------------------------------------------------------
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1), (-1, 0)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_median(axis, keepdims):
    check(lambda x: np.median(x, axis=axis, keepdims=keepdims), X)


@pytest.mark.parametrize("axis", [None, 1, -2, (0, 1)])
@pytest.mark.parametrize("q", [0.3, np.array([0.1, 0.55, 1.0])])
def test_quantile_linear(axis, q):
    check(lambda x: np.quantile(x, q, axis=axis), X)
    check(lambda x: np.percentile(x, q * 100, axis=axis, keepdims=True), X)


@pytest.mark.parametrize("method", ["lower", "higher", "midpoint", "nearest"])
def test_quantile_methods(method):
    q = np.array([[0.1, 0.4], [0.5, 0.95]])
    check(lambda x: np.quantile(x, q, axis=-1, method=method), X)
    check(lambda x: np.percentile(x, 37.0, axis=0, method=method), X)


def test_quantile_differentiable_in_q():
    check(lambda x, q: np.quantile(x, q, axis=0), X, np.array([0.2, 0.7]))
    check(lambda x, q: np.percentile(x, q), X, np.array([20.0, 71.0]))
    # d/dq of a linear interpolation between two order statistics is their gap * (n - 1)
    s = np.sort(X.ravel())
    assert np.isclose(funcad.grad(lambda q: np.quantile(X, q))(np.array(0.5)), (s[6] - s[5]) * 11)


def test_quantile_nan_and_errors():
    x = np.where(NANS, np.nan, X)
    assert_like_numpy(lambda x: np.quantile(x, 0.4, axis=1), x)
    with pytest.raises(ValueError, match="range"):
        funcad.grad(lambda x: np.quantile(x, 1.5))(X)
    with pytest.raises(NotImplementedError, match="method"):
        funcad.grad(lambda x: np.quantile(x, 0.5, method="weibull"))(X)


def test_median_derivative_splits_middle_pair():
    g = funcad.grad(np.median)(np.array([4.0, 1.0, 3.0, 2.0]))
    assert np.array_equal(g, [0.0, 0.0, 0.5, 0.5])


def test_order_statistics_by_partition_match_the_sort():
    """A few quantiles of values that do not tie are found with np.argpartition (O(n));
    many quantiles, NaNs or ties sort the axis. Both give the same numbers and derivatives,
    and a tie still gives its derivative to the entry first in sorted (stable) order."""
    x = rng.normal(size=(4, 301))
    qs = np.linspace(0.05, 0.95, 10)                 # 20 positions: sorted
    J = funcad.func.jacrev(lambda z: np.quantile(z, qs, axis=1))(x)
    for i, q in enumerate(qs[[0, 4, 9]]):           # 2 positions each: partitioned
        Jq = funcad.func.jacrev(lambda z: np.quantile(z, q, axis=1))(x)
        np.testing.assert_allclose(Jq, J[[0, 4, 9][i]], rtol=1e-14, atol=0)
    np.testing.assert_array_equal(funcad.grad(np.median)(np.array([3.0, 1.0, 3.0, 2.0, 3.0])),
                                  [1.0, 0.0, 0.0, 0.0, 0.0])
    xn = np.array([2.0, np.nan, 1.0])
    assert np.isnan(funcad.func.grad_and_value(np.median)(xn)[1])


# -- covariance -------------------------------------------------------------------------------
def test_cov():
    check(np.cov, X)
    check(lambda x: np.cov(x, rowvar=False, bias=True), X)
    check(lambda x, y: np.cov(x, y), X, X[0] ** 2)
    check(np.cov, X[0])
    check(lambda x, a: np.cov(x, aweights=a), X, W[0])
    check(lambda x, a: np.cov(x, aweights=a, fweights=[1, 2, 1, 3], ddof=2), X, W[0])
    check(lambda x: np.cov(x, fweights=[1, 2, 1, 3]), X)


def test_corrcoef():
    check(np.corrcoef, X)
    check(lambda x, y: np.corrcoef(x, y, rowvar=False), X, X[:, :1] ** 2)


def test_cov_complex():
    z = X + 1j * W
    assert_like_numpy(np.cov, z)
    check_complex(np.cov, z)
    # corrcoef's diagonal is 1 up to rounding (its derivative 0 up to rounding): absolute tolerance
    check_complex(np.corrcoef, z, atol=1e-9)


# -- interpolation and polynomials -------------------------------------------------------------
XP = np.array([0.0, 1.0, 2.5, 3.0])
FP = rng.normal(size=4)
XQ = np.array([-0.5, 0.3, 1.2, 2.7, 3.4])


def test_interp():
    check(np.interp, XQ, XP, FP)
    check(lambda x, fp, l, r: np.interp(x, XP, fp, left=l, right=r), XQ, FP, np.array(2.0), np.array(-1.0))
    check(lambda x, fp: np.interp(x, XP, fp, period=3.5), XQ * 2.1, FP)
    check(lambda x, fp: np.interp(x, XP[:1], fp), XQ, FP[:1])
    check_complex(lambda fp: np.interp(XQ, XP, fp), FP + 1j * FP[::-1])
    # slope inside, 0 outside, right-hand slope on a knot
    g = funcad.grad(lambda x: np.sum(np.interp(x, XP, FP)))(np.array([-1.0, 1.0, 9.0]))
    assert np.allclose(g, [0.0, (FP[2] - FP[1]) / 1.5, 0.0])


def test_interp_constant_knots():
    """Knots, bounds and period constant: one primitive whose values are NumPy's own, with
    x and fp traced together (their cross derivatives) at any shape."""
    on_knots = np.array([0.0, 1.0, 2.5, 3.0, -0.5, 3.5])
    for f, args in [(lambda x, fp: np.interp(x, XP, fp), (XQ, FP)),
                    (lambda x, fp: np.interp(x, XP, fp, left=2.0, right=-1.0), (XQ, FP)),
                    (lambda x, fp: np.interp(x, list(XP), fp), (np.stack([XQ, XQ[::-1] * 0.9]), FP)),
                    (lambda x: np.interp(x, XP, FP), (np.array(1.7),)),
                    (lambda fp: np.interp(on_knots, XP, fp, right=0.5), (FP,)),
                    (lambda x, fp: np.interp(x, XP[:2], fp), (XQ, FP[:2])),
                    (lambda x, fp: np.interp(x, XP, fp, period=3.5), (XQ * 2.1, FP)),
                    (lambda x, fp: np.interp(x, XP[:1], fp, period=2.0), (XQ, FP[:1])),
                    (lambda x: np.interp(x, XP.astype(np.float32), FP, period=3.5),
                     (np.array([-0.3, 0.7, 5.1], np.float32),))]:
        check(f, *args)
        assert np.array_equal(traced(f, *args), f(*args))
    # on a knot, the slope of the segment to its right (of the last one at xp[-1]); outside, 0
    g = funcad.grad(lambda x: np.sum(np.interp(x, XP, FP)))(on_knots)
    slopes = np.diff(FP) / np.diff(XP)
    np.testing.assert_allclose(g, [slopes[0], slopes[1], slopes[2], slopes[2], 0.0, 0.0], rtol=1e-14)
    # fp's cotangent: the points' weights on the two knots of their segment, the end
    # values' weight where no bound is given
    g = funcad.grad(lambda fp: np.sum(np.interp([-1.0, 0.5, 4.0], XP, fp, right=7.0)))(FP)
    np.testing.assert_allclose(g, [1.5, 0.5, 0.0, 0.0])
    # complex values, real points: the points' gradient of a real loss is real
    fz = FP + 1j * FP[::-1]
    check_grads(lambda x, fp: np.interp(x, XP, fp), (XQ, fz))
    loss = lambda x: np.sum(np.abs(np.interp(x, XP, fz)) ** 2)  # noqa: E731
    g = funcad.grad(loss)(XQ)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, funcad.jacfwd(loss)(XQ), rtol=1e-12)


def test_polyval():
    check(np.polyval, FP, X)
    check(np.polyval, FP[:1], X[0])
    check(lambda p, x: fnp.polyval(p, x), FP, np.array(0.7))


def test_trapezoid():
    """NumPy's trapezoidal rule, differentiable in y, x (1-d or full) and dx, along any axis."""
    y = rng.normal(size=(3, 5))
    x1 = np.cumsum(rng.uniform(0.1, 1.0, 5))
    x2 = np.cumsum(rng.uniform(0.1, 1.0, (3, 5)), axis=1)
    check(lambda y: np.trapezoid(y), y)
    check(lambda y, x: np.trapezoid(y, x), y, x1)
    check(lambda y, x: np.trapezoid(y, x), y, x2)
    check(lambda y, x: np.trapezoid(y, x, axis=0), y, np.cumsum(rng.uniform(0.1, 1.0, (3, 5)), axis=0))
    check(lambda y, d: np.trapezoid(y, dx=d, axis=0), y, np.array(0.4))
    check(lambda x: np.trapezoid(np.sin(x), x), x1)
    g = funcad.func.grad(lambda x: np.trapezoid(x ** 2, dx=0.5))(np.arange(4.0))
    np.testing.assert_allclose(g, 0.5 * np.array([0.0, 2.0, 4.0, 3.0]))   # 0.5 * x * (1, 2, 2, 1)


# -- convolution -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("n,m", [(5, 3), (2, 4), (4, 4), (1, 3)])
def test_convolve_correlate(mode, n, m):
    a, v = rng.normal(size=n), rng.normal(size=m)
    check(lambda a, v: np.convolve(a, v, mode), a, v)
    check(lambda a, v: np.correlate(a, v, mode), a, v)
    check(lambda a, v: fsignal.convolve(a, v, mode), a, v)
    assert np.allclose(traced(lambda a, v: fsignal.convolve(a, v, mode), a, v),
                       scipy.signal.convolve(a, v, mode))


def test_convolve_complex():
    a, v = rng.normal(size=5) + 1j * rng.normal(size=5), rng.normal(size=3) - 2j
    for fn in (np.convolve, np.correlate):
        assert_like_numpy(lambda a, v: fn(a, v, "same"), a, v)
    check_complex(lambda a, v: np.correlate(a, v, "full"), a, v)
    check_complex(lambda a, v: np.convolve(a, v, "same"), a, v)
    check_complex(lambda a, v: fsignal.convolve(a, v, "valid"), a, v)


def test_long_convolutions_cost_what_numpy_does():
    """A 1-d convolution is one primitive whose VJPs are convolutions too: its gradient is
    the analytic correlation, in about the memory of the signal. (A gather of sliding
    windows held (n + m - 1) x m values: 80 MB here, 2.4 GB at n = 10^5, m = 1000.)"""
    import tracemalloc
    a, v = rng.normal(size=20000), rng.normal(size=500)
    f = lambda a, v: np.sum(np.convolve(a, v, "same") ** 2)
    tracemalloc.start()
    try:
        ga, gv = funcad.func.grad(f, argnums=(0, 1))(a, v)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 4e6, peak
    full = np.convolve(a, v)
    g_full = np.zeros_like(full)
    lo = (full.size - a.size) // 2
    g_full[lo:lo + a.size] = 2 * full[lo:lo + a.size]          # d sum(same**2) / d full
    np.testing.assert_allclose(ga, np.correlate(g_full, v, "valid"), rtol=1e-10)
    np.testing.assert_allclose(gv, np.correlate(g_full, a, "valid"), rtol=1e-10)
    # batched sweeps (each row of the identity is one convolution) agree both ways
    J = funcad.func.jacfwd(lambda z: np.convolve(z, v[:4]))(a[:40])
    np.testing.assert_allclose(J, funcad.func.jacrev(lambda z: np.convolve(z, v[:4]))(a[:40]), rtol=1e-14)
    np.testing.assert_allclose(J, scipy.linalg.convolution_matrix(v[:4], 40), rtol=1e-14)


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_scipy_convolve_2d(mode):
    a, b = rng.normal(size=(3, 4)), rng.normal(size=(2, 3))
    for f in (lambda a, b: fsignal.convolve(a, b, mode), lambda a, b: fsignal.convolve(b, a, mode)):
        assert np.allclose(traced(f, a, b), f(a, b))
        check_grads(f, (a, b))
    assert funcad.scipy.signal.convolve is funcad.rules.statistics.scipy_convolve


# -- elementwise -----------------------------------------------------------------------------
def test_sinc():
    check(np.sinc, np.array([-2.3, -0.7, 0.01, 0.4, 1.7, 5.2]))
    check(np.sinc, np.array([0.0, 1e-9]), atol=1e-5)
    d = np.array(0.0)
    for k, exact in ((1, 0.0), (2, -np.pi ** 2 / 3), (3, 0.0), (4, np.pi ** 4 / 5)):
        f = np.sinc
        for _ in range(k):
            f = funcad.func.grad(f)
        assert np.isclose(f(d), exact, atol=1e-12)


def test_nan_to_num():
    bad = np.array([1.0, np.nan, np.inf, -np.inf, 2.0])
    f = lambda x: np.nan_to_num(np.where(np.isfinite(bad), x, bad), posinf=7.0, neginf=-7.0)
    check(f, np.arange(5.0) + 0.5)
    assert np.array_equal(funcad.jacrev(f)(np.ones(5)), np.diag([1.0, 0, 0, 0, 1]))
    assert_like_numpy(lambda x: np.nan_to_num(np.where(np.isfinite(bad), x, bad)), np.ones(5))
    check(lambda x, v: np.nan_to_num(np.where(np.isnan(bad), np.nan, x), nan=v), np.arange(5.0), np.array(3.0))
    check_complex(np.nan_to_num, X + 1j * W)


def test_real_if_close_and_angle():
    check(lambda x: np.real_if_close(x + 0j), X)
    assert np.iscomplexobj(traced(lambda x: np.real_if_close(x + 1j), X))
    check(np.angle, X)
    assert np.array_equal(funcad.grad(lambda x: np.sum(np.angle(x)))(X), np.zeros_like(X))
    check_complex(lambda z: np.angle(z, deg=True), X + 1j * W)
    z = np.array(1.0 + 2.0j)   # torch's convention: grad of angle is i / conj(z)
    assert np.isclose(funcad.grad(np.angle)(z), 1j / np.conj(z))


# -- float32 and the namespaces ---------------------------------------------------------------
F32 = {
    "nansum": lambda x: np.nansum(x, axis=0), "nanmean": np.nanmean, "nanprod": np.nanprod,
    "average": lambda x: np.average(x, 1, weights=x[0] ** 2 + 1), "ptp": np.ptp,
    "median": lambda x: np.median(x, axis=1), "quantile": lambda x: np.quantile(x, 0.3, axis=0),
    "percentile": lambda x: np.percentile(x, [20.0, 60.0]), "cov": np.cov, "corrcoef": np.corrcoef,
    "interp": lambda x: np.interp(x, [0.0, 1.0], [1.0, 2.0]), "polyval": lambda x: np.polyval(x[0], x),
    "convolve": lambda x: np.convolve(x[0], x[1]), "correlate": lambda x: np.correlate(x[0], x[1], "same"),
    "scipy.signal.convolve": lambda x: fsignal.convolve(x, x[:2, :2]), "sinc": np.sinc,
    "nan_to_num": np.nan_to_num, "angle": lambda x: np.angle(x + 1j),
}


@pytest.mark.parametrize("name", list(F32))
def test_float32(name):
    f = F32[name]
    x = X.astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        ref = f(x) if name != "scipy.signal.convolve" else scipy.signal.convolve(x, x[:2, :2])
        assert np.result_type(traced(f, x)) == np.result_type(ref)   # NumPy's dtype
        assert funcad.grad(lambda x: np.sum(f(x)))(x).dtype == np.float32
    check_grads(f, (x,), order=1)


def test_namespace():
    for name in ("nansum", "nanmean", "nanprod", "average", "median", "quantile", "percentile",
                 "ptp", "cov", "corrcoef", "interp", "polyval", "convolve", "correlate", "sinc",
                 "nan_to_num", "real_if_close", "angle"):
        assert getattr(fnp, name) is funcad.rules.registry.FUNCTIONS[getattr(np, name)], name
    check(lambda x: fnp.median(x, axis=0) + fnp.nanmean(x), X)
    # plain values through the funcad namespace give NumPy's results
    assert np.allclose(fnp.quantile(X, 0.3, axis=1), np.quantile(X, 0.3, axis=1))
    assert np.allclose(fsignal.convolve(X, W), scipy.signal.convolve(X, W))

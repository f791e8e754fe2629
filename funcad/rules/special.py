"""``scipy.special``: each differentiable ufunc is a row ``primitive: partial derivative(s)``.

Partials take ``(ans, *args)`` and are written with funcad's primitives (often other rows of
these tables: digamma's derivative is ``polygamma(1, x)``, ``i1`` is ``i0``'s), so they
differentiate again to any order. The ufuncs are registered in ``UFUNCS``, so a plain
``scipy.special.erf(x)`` on a traced value traces too; the Python-level functions
(``logsumexp``, ``softmax``, ``log_softmax``, ``polygamma``, ``multigammaln``, ``zeta``)
are registered with ``implements`` and reached through ``funcad.scipy.special``.

Not differentiable, by design:

- integer orders: ``n`` of ``polygamma`` and ``yn`` (defined on integers only: rule ``None``,
  zero derivative);
- real orders ``v`` of ``jv``/``jn``, ``yv``, ``iv``, ``ive``, ``kv``, ``kve``, the shape
  arguments ``a``, ``b`` of ``betainc``, ``a`` of ``gammainc``/``gammaincc``, ``df`` of
  ``stdtr`` and ``x`` of ``zeta``: the derivative exists but has no closed form, so reaching
  it raises ``NotImplementedError`` naming the function and argument (never a silent zero).

Deviations from SciPy: ``polygamma`` and ``multigammaln`` keep float32 inputs in float32
(SciPy upcasts them to float64), so that derivatives of float32 code stay float32.
"""
from __future__ import annotations

import math

import numpy as np
import scipy.special as sp
from scipy.special import _ufuncs

from ..core import Box, value_of
from . import kinks
from .broadcast import dtype_of, ndim_of, shape_of, sum_p
from .elementwise import defelementwise, over, ufunc, where_p
from .reductions import expand_reduced, norm_axis
from .registry import UFUNCS, implements, nondiff, primitive
from .ufuncs import exp, log, log1p

SQRT_PI = math.sqrt(math.pi)
SQRT_2PI = math.sqrt(2 * math.pi)
LOG_PI = math.log(math.pi)


def no_closed_form(fn: str, arg: str, used_by: str = ""):
    """A partial for an argument whose derivative funcad does not compute: it raises
    NotImplementedError when reached (a ``None`` rule would silently give zero)."""
    def d(ans, *args):
        raise NotImplementedError(
            f"scipy.special.{fn}: the derivative in its argument {arg!r} has no closed form "
            f"and funcad does not compute it{used_by}. Differentiate only with respect to the "
            f"other arguments, or pass {arg} through funcad.stop_gradient if it is a constant.")
    return d


def _sign_real(x):
    """sign(Re x) as a constant: the derivative of |Re x| (torch's abs'(0) = 0)."""
    return kinks.abs_derivative(np.real(value_of(x)))


def _safe(x, y, at):
    """``y`` with ``at + 1`` where ``x == 0`` and ``y == at``: the corner of xlogy (at=0) and
    xlog1py (at=-1) where the function is 0 along x = 0 but the log is infinite. There the
    partials come out 0 (torch's xlogy convention); everywhere else they are exact."""
    m = (value_of(x) == 0) & (value_of(y) == at)
    return where_p(m, at + 1, y) if np.any(m) else y


# -- the ufuncs --------------------------------------------------------------------------
(erf, erfc, erfcx, erfinv, erfcinv, ndtr, log_ndtr, ndtri, expit, logit, log_expit, gamma,
 gammaln, digamma, rgamma, entr, i0, i1, i0e, i1e, j0, j1, y0, y1, k0, k1) = map(ufunc, (
    sp.erf, sp.erfc, sp.erfcx, sp.erfinv, sp.erfcinv, sp.ndtr, sp.log_ndtr, sp.ndtri, sp.expit,
    sp.logit, sp.log_expit, sp.gamma, sp.gammaln, sp.digamma, sp.rgamma, sp.entr, sp.i0, sp.i1,
    sp.i0e, sp.i1e, sp.j0, sp.j1, sp.y0, sp.y1, sp.k0, sp.k1))
psi = digamma            # scipy.special.psi is scipy.special.digamma

(beta, betaln, gammainc, gammaincc, xlogy, xlog1py, jv, yv, yn, iv, ive, kv, kve, stdtr) = map(ufunc, (
    sp.beta, sp.betaln, sp.gammainc, sp.gammaincc, sp.xlogy, sp.xlog1py, sp.jv, sp.yv, sp.yn,
    sp.iv, sp.ive, sp.kv, sp.kve, sp.stdtr))
jn = jv                  # scipy.special.jn is scipy.special.jv
betainc = ufunc(sp.betainc)
hurwitz_zeta = ufunc(_ufuncs._zeta, "zeta")               # what scipy.special.zeta(x, q) calls
riemann_zeta = ufunc(_ufuncs._riemann_zeta, "zeta")       # ... and zeta(x)

gammasgn = nondiff(sp.gammasgn)                           # piecewise constant: zero derivative
UFUNCS[sp.gammasgn] = gammasgn


def _polygamma(n, x):
    """scipy.special.polygamma, keeping float32 in float32 (SciPy returns float64)."""
    r = sp.polygamma(n, x)
    return r.astype(np.float32) if np.result_type(x) == np.float32 else r


polygamma = implements(sp.polygamma)(primitive(_polygamma, "polygamma"))


def weak(v):
    """A constant computed from plain Python numbers, back as a Python float: NumPy would
    return a float64 scalar, which promotes float32 arrays (NEP 50 keeps Python floats weak)."""
    return float(v) if isinstance(v, np.floating) else v


def like(c, x):
    """A constant in ``x``'s dtype: SciPy's binary ufuncs have no float32 loop for a
    Python-float first argument and would promote float32 ``x``."""
    if isinstance(c, Box):
        return c
    return np.asarray(c, dtype=dtype_of(x))


def t_logpdf(z, df):
    """log of Student's t density (standardized), as SciPy's ``t._logpdf`` for finite df."""
    return (weak(gammaln(0.5 * (df + 1)) - gammaln(0.5 * df) - 0.5 * (log(df) + LOG_PI))
            - 0.5 * (df + 1) * log1p(z * z / df))


def _regularized_incomplete_gamma_dx(a, x):
    """d/dx gammainc(a, x) = x^(a-1) e^(-x) / Gamma(a)."""
    return exp(xlogy(a - 1, x) - x - gammaln(a))


UNARY = {
    erf:       lambda ans, x: (2 / SQRT_PI) * exp(-x * x),
    erfc:      lambda ans, x: (-2 / SQRT_PI) * exp(-x * x),
    erfcx:     lambda ans, x: 2 * x * ans - 2 / SQRT_PI,
    erfinv:    lambda ans, x: (SQRT_PI / 2) * exp(ans * ans),
    erfcinv:   lambda ans, x: (-SQRT_PI / 2) * exp(ans * ans),
    ndtr:      lambda ans, x: exp(-0.5 * x * x) / SQRT_2PI,
    log_ndtr:  lambda ans, x: exp(-0.5 * x * x - ans) / SQRT_2PI,
    ndtri:     lambda ans, x: SQRT_2PI * exp(0.5 * ans * ans),
    expit:     lambda ans, x: ans * (1 - ans),
    logit:     over(lambda ans, x: x * (1 - x)),
    log_expit: lambda ans, x: expit(-x),
    gamma:     lambda ans, x: ans * digamma(x),
    gammaln:   lambda ans, x: digamma(x),
    digamma:   lambda ans, x: polygamma(1, x),
    rgamma:    lambda ans, x: -ans * digamma(x),
    entr:      lambda ans, x: -(log(x) + 1),
    i0:        lambda ans, x: i1(x),
    i1:        lambda ans, x: 0.5 * (i0(x) + iv(2.0, x)),
    i0e:       lambda ans, x: i1e(x) - _sign_real(x) * ans,
    i1e:       lambda ans, x: 0.5 * (i0e(x) + ive(2.0, x)) - _sign_real(x) * ans,
    j0:        lambda ans, x: -j1(x),
    j1:        lambda ans, x: 0.5 * (j0(x) - jv(2.0, x)),
    y0:        lambda ans, x: -y1(x),
    y1:        lambda ans, x: 0.5 * (y0(x) - yv(2.0, x)),
    k0:        lambda ans, x: -k1(x),
    k1:        lambda ans, x: -0.5 * (k0(x) + kv(2.0, x)),
    riemann_zeta: no_closed_form("zeta", "x"),
}

_ORDER = "v"
BINARY = {
    beta:      (lambda ans, a, b: ans * (digamma(a) - digamma(a + b)),
                lambda ans, a, b: ans * (digamma(b) - digamma(a + b))),
    betaln:    (lambda ans, a, b: digamma(a) - digamma(a + b),
                lambda ans, a, b: digamma(b) - digamma(a + b)),
    gammainc:  (no_closed_form("gammainc", "a", " (scipy.stats.gamma.cdf and chi2.cdf use it)"),
                lambda ans, a, x: _regularized_incomplete_gamma_dx(a, x)),
    gammaincc: (no_closed_form("gammaincc", "a"),
                lambda ans, a, x: -_regularized_incomplete_gamma_dx(a, x)),
    xlogy:     (lambda ans, x, y: log(_safe(x, y, 0)),
                lambda ans, x, y: x / _safe(x, y, 0)),
    xlog1py:   (lambda ans, x, y: log1p(_safe(x, y, -1)),
                lambda ans, x, y: x / (1 + _safe(x, y, -1))),
    # Bessel functions: Z_v' = (Z_{v-1} -+ Z_{v+1}) / 2 (DLMF 10.6.1, 10.29.1).
    jv:        (no_closed_form("jv", _ORDER), lambda ans, v, x: 0.5 * (jv(v - 1, x) - jv(v + 1, x))),
    yv:        (no_closed_form("yv", _ORDER), lambda ans, v, x: 0.5 * (yv(v - 1, x) - yv(v + 1, x))),
    yn:        (None, lambda ans, n, x: 0.5 * (yn(n - 1, x) - yn(n + 1, x))),
    iv:        (no_closed_form("iv", _ORDER), lambda ans, v, x: 0.5 * (iv(v - 1, x) + iv(v + 1, x))),
    ive:       (no_closed_form("ive", _ORDER),
                lambda ans, v, x: 0.5 * (ive(v - 1, x) + ive(v + 1, x)) - _sign_real(x) * ans),
    kv:        (no_closed_form("kv", _ORDER), lambda ans, v, x: -0.5 * (kv(v - 1, x) + kv(v + 1, x))),
    kve:       (no_closed_form("kve", _ORDER),
                lambda ans, v, x: -0.5 * (kve(v - 1, x) + kve(v + 1, x)) + ans),
    stdtr:     (no_closed_form("stdtr", "df", " (scipy.stats.t.cdf uses it)"),
                lambda ans, df, t: exp(t_logpdf(t, df))),
    polygamma: (None, lambda ans, n, x: polygamma(n + 1, x)),
    hurwitz_zeta: (no_closed_form("zeta", "x"), lambda ans, x, q: -x * hurwitz_zeta(x + 1, q)),
}

TERNARY = {
    betainc:   (no_closed_form("betainc", "a", " (scipy.stats.beta.cdf uses it)"),
                no_closed_form("betainc", "b", " (scipy.stats.beta.cdf uses it)"),
                lambda ans, a, b, x: exp(xlogy(like(a - 1, x), x) + xlog1py(like(b - 1, x), -x)
                                         - weak(betaln(a, b)))),
}

for _p, _d in UNARY.items():
    defelementwise(_p, _d)
for _table in (BINARY, TERNARY):
    for _p, _d in _table.items():
        defelementwise(_p, *_d)


# -- Python-level functions of scipy.special ---------------------------------------------
def _traced(*xs) -> bool:
    return any(isinstance(x, Box) for x in xs)


def _real_only(name: str, *xs) -> None:
    if any(np.iscomplexobj(value_of(x)) for x in xs if x is not None):
        raise NotImplementedError(
            f"scipy.special.{name} of complex input is not differentiable in funcad: its rules "
            f"are for real input. Differentiate real and imaginary parts separately.")


@implements(sp.zeta)
def zeta(x, q=None, out=None):
    """Riemann (``q=None``) or Hurwitz zeta; differentiable in ``q`` only."""
    if out is not None:
        raise NotImplementedError("zeta(..., out=...) is not supported by funcad: use the returned value")
    return riemann_zeta(x) if q is None else hurwitz_zeta(x, q)


@implements(sp.multigammaln)
def multigammaln(a, d):
    """log of the multivariate gamma function: sum of ``d`` shifted ``gammaln``."""
    d = np.asarray(d)[()]
    if not np.isscalar(d) or np.floor(d) != d:
        raise ValueError("d should be a positive integer (dimension)")
    if np.any(value_of(a) <= 0.5 * (d - 1)):
        raise ValueError(f"condition a ({value_of(a)}) > 0.5 * (d-1) ({0.5 * (d - 1)}) not met")
    d = int(d)
    res = gammaln(a)
    for j in range(1, d):
        res = res + gammaln(a - 0.5 * j)
    return res + d * (d - 1) * 0.25 * LOG_PI


# logsumexp: one primitive over the reduced axes. Its partial in a is the weights
# sign * b * exp(a - ans), in b it is sign * exp(a - ans); ``sign`` (the sign of the sum,
# a constant kept with keepdims shape) is None unless return_sign=True.
def _lse(a, b, sign, axis, nd, keepdims):
    axis = axis if nd else None     # SciPy turns a 0-d input with axis=() into shape (1,)
    r = sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=sign is not None)
    return r if sign is None else r[0]


lse_p = primitive(_lse, "logsumexp")


def _lse_partial(i):
    def partial(ans, a, b, sign, axis, nd, keepdims):
        w = exp(a - expand_reduced(ans, a, axis, nd, keepdims))
        if sign is not None:
            w = w * sign
        return w * b if (i == 0 and b is not None) else w
    return partial


def _lse_rules(i):
    d = _lse_partial(i)

    def vjp(g, ans, a, b, sign, axis, nd, keepdims):
        return expand_reduced(g, a, axis, nd, keepdims) * d(ans, a, b, sign, axis, nd, keepdims)

    def jvp(t, ans, a, b, sign, axis, nd, keepdims):
        return sum_p(t * d(ans, a, b, sign, axis, nd, keepdims), axis, nd, keepdims)
    return vjp, jvp


(_va, _ja), (_vb, _jb) = _lse_rules(0), _lse_rules(1)
lse_p.vjps, lse_p.jvps = (_va, _vb), (_ja, _jb)


@implements(sp.logsumexp)
def logsumexp(a, axis=None, b=None, keepdims=False, return_sign=False):
    """log(sum(b * exp(a))) over ``axis``, differentiable in ``a`` and ``b``; with
    ``return_sign=True`` log|sum| and its sign (a constant)."""
    if not _traced(a, b):
        return sp.logsumexp(a, axis=axis, b=b, keepdims=keepdims, return_sign=return_sign)
    _real_only("logsumexp", a, b)
    from .shape import broadcast_to
    if b is not None:
        s = np.broadcast_shapes(shape_of(a), shape_of(b))
        a, b = broadcast_to(a, s), broadcast_to(b, s)
    nd = ndim_of(a)
    ax = norm_axis(axis, nd)
    sign = None
    if return_sign:
        sign = sp.logsumexp(value_of(a), axis=ax if nd else None, b=value_of(b), keepdims=True,
                            return_sign=True)[1]
    out = lse_p(a, b, sign, ax, nd, bool(keepdims))
    if not return_sign:
        return out
    return out, (sign if keepdims else np.reshape(sign, shape_of(out)))


def _softmax(x, axis):
    return sp.softmax(x, axis=axis)


def _log_softmax(x, axis):
    return sp.log_softmax(x, axis=axis)


softmax_p = primitive(_softmax, "softmax")
log_softmax_p = primitive(_log_softmax, "log_softmax")


def _softmax_rule(v, ans, x, axis):
    """softmax's Jacobian is symmetric: s * (v - sum(v * s)) serves both modes."""
    return ans * (v - sum_p(v * ans, axis, ndim_of(ans), True))


softmax_p.vjps = (_softmax_rule,)
softmax_p.jvps = (_softmax_rule,)
log_softmax_p.vjps = (lambda g, ans, x, axis: g - exp(ans) * sum_p(g, axis, ndim_of(ans), True),)
log_softmax_p.jvps = (lambda t, ans, x, axis: t - sum_p(t * exp(ans), axis, ndim_of(ans), True),)


@implements(sp.softmax)
def softmax(x, axis=None):
    """exp(x) / sum(exp(x)) over ``axis`` (all axes when None)."""
    _real_only("softmax", x)
    return softmax_p(x, norm_axis(axis, ndim_of(x)))


@implements(sp.log_softmax)
def log_softmax(x, axis=None):
    """x - logsumexp(x) over ``axis`` (all axes when None)."""
    _real_only("log_softmax", x)
    return log_softmax_p(x, norm_axis(axis, ndim_of(x)))

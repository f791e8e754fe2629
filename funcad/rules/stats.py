"""``scipy.stats`` distributions written in funcad's operations, so they differentiate (to
any order) in ``x`` and in every parameter: ``norm``, ``t``, ``gamma``, ``beta``, ``chi2``,
``poisson``, ``dirichlet``, ``multivariate_normal``.

Each is an object with SciPy's method names, argument names and defaults
(``norm.logpdf(x, loc=0, scale=1)``); calling it freezes parameters as SciPy does
(``norm(loc, scale).logpdf(x)``). The formulas are SciPy's own (``scipy.stats`` private
``_logpdf``/``_cdf``), with its conventions kept: out of the support a density is 0 (log:
-inf) and a cdf 0 or 1; invalid parameters (``scale <= 0``, shapes <= 0) give NaN.
Out-of-support points are replaced by a safe inside point before the formula runs, so no
NaN leaks into the derivative of the other points.

Not differentiable: the shape parameters of ``t.cdf`` (``df``), ``gamma.cdf`` (``a``),
``beta.cdf`` (``a``, ``b``), ``chi2.cdf`` (``df``) raise NotImplementedError (the incomplete
gamma/beta functions have no closed-form derivative in them); ``k`` and ``loc`` of
``poisson`` are integers (zero derivative). Unlike SciPy, float32 inputs stay float32.
"""
from __future__ import annotations

import inspect
import math

import numpy as np
import scipy.stats as _st

from ..core import Box, value_of
from . import shape as S, special as sc
from .broadcast import ndim_of, shape_of
from .elementwise import where_p
from .reductions import sum as _sum
from .ufuncs import exp, log

LOG_2PI = math.log(2 * math.pi)
LN2 = math.log(2.0)
NAN, INF = math.nan, math.inf


# -- helpers -----------------------------------------------------------------------------
def _weak(x) -> bool:
    """A Python number: takes the dtype of the arrays it meets (NumPy's NEP 50 rule)."""
    return type(x) in (int, float, bool)


def _float_dtype(*xs):
    """The floating dtype of the (non-None, non-Python-number) arguments; float64 if none."""
    vals = [np.asarray(value_of(x)) for x in xs if x is not None and not _weak(x)]
    dt = np.result_type(*vals) if vals else np.dtype(np.float64)
    return dt if dt.kind in "fc" else np.dtype(np.float64)


def _params(*xs):
    """Arguments as arrays: Python numbers and integer arrays take the float dtype of the
    other arguments (float32 stays float32); traced values and None unchanged."""
    dt = _float_dtype(*xs)
    out = []
    for x in xs:
        if x is None or isinstance(x, Box):
            out.append(x)
            continue
        a = np.asarray(x)
        out.append(a.astype(dt) if _weak(x) or a.dtype.kind in "biu" else a)
    return tuple(out)


def _v(x):
    return np.asarray(value_of(x))


def _guard(z, outside, safe):
    """``z`` with ``safe`` at the points ``outside`` the support (keeps derivatives finite)."""
    return where_p(outside, safe, z) if np.any(outside) else z


def _fill(out, mask, value):
    """``out`` with ``value`` where ``mask`` holds (a constant there: zero derivative)."""
    return where_p(mask, value, out) if np.any(mask) else out


def _bad(*conds):
    m = conds[0]
    for c in conds[1:]:
        m = m | c
    return m


class rv:
    """A distribution: SciPy's methods as funcad functions; calling it freezes parameters."""

    name = "rv"
    _frozen_methods: tuple = ()

    def __call__(self, *args, **kwds):
        return frozen(self, args, kwds)

    def __repr__(self) -> str:
        return f"<funcad.scipy.stats.{self.name}: differentiable scipy.stats.{self.name}>"


class frozen:
    """``dist(*params)``: the distribution with parameters bound (SciPy's frozen rv)."""

    def __init__(self, dist: rv, args: tuple, kwds: dict):
        self.dist = dist
        first = dist._frozen_methods[0]
        sig = inspect.signature(getattr(dist, first))
        params = list(sig.parameters.values())
        if params and params[0].name in ("x", "k"):
            params = params[1:]
        bound = sig.replace(parameters=params).bind(*args, **kwds)
        self.params = dict(bound.arguments)

    def __getattr__(self, method: str):
        if method.startswith("_") or method not in type(self.dist)._frozen_methods:
            raise AttributeError(f"frozen funcad.scipy.stats distribution has no attribute {method!r}")
        fn = getattr(self.dist, method)
        names = set(inspect.signature(fn).parameters)
        kw = {k: v for k, v in self.params.items() if k in names}
        if "x" in names or "k" in names:
            return lambda x: fn(x, **kw)
        return lambda: fn(**kw)


# -- continuous, location-scale ----------------------------------------------------------
class norm_gen(rv):
    """Normal distribution: ``norm.logpdf(x, loc=0, scale=1)`` etc."""

    name = "norm"
    _frozen_methods = ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf")

    @staticmethod
    def _z(x, loc, scale):
        x, loc, scale = _params(x, loc, scale)
        return (x - loc) / scale, scale, _v(scale) <= 0

    def logpdf(self, x, loc=0, scale=1):
        z, scale, bad = self._z(x, loc, scale)
        return _fill(-0.5 * z * z - 0.5 * LOG_2PI - log(scale), bad, NAN)

    def pdf(self, x, loc=0, scale=1):
        return exp(self.logpdf(x, loc, scale))

    def cdf(self, x, loc=0, scale=1):
        z, _, bad = self._z(x, loc, scale)
        return _fill(sc.ndtr(z), bad, NAN)

    def logcdf(self, x, loc=0, scale=1):
        z, _, bad = self._z(x, loc, scale)
        return _fill(sc.log_ndtr(z), bad, NAN)

    def sf(self, x, loc=0, scale=1):
        z, _, bad = self._z(x, loc, scale)
        return _fill(sc.ndtr(-z), bad, NAN)

    def logsf(self, x, loc=0, scale=1):
        z, _, bad = self._z(x, loc, scale)
        return _fill(sc.log_ndtr(-z), bad, NAN)


class t_gen(rv):
    """Student's t: ``t.logpdf(x, df, loc=0, scale=1)``; ``cdf`` is not differentiable in df."""

    name = "t"
    _frozen_methods = ("logpdf", "pdf", "cdf", "logcdf")

    @staticmethod
    def _z(x, df, loc, scale):
        x, df, loc, scale = _params(x, df, loc, scale)
        return (x - loc) / scale, df, scale, _bad(_v(df) <= 0, _v(scale) <= 0)

    def logpdf(self, x, df, loc=0, scale=1):
        z, df, scale, bad = self._z(x, df, loc, scale)
        inf = np.isinf(_v(df))
        out = sc.t_logpdf(z, _guard(df, inf, 1.0))
        out = where_p(inf, -0.5 * z * z - 0.5 * LOG_2PI, out) if np.any(inf) else out
        return _fill(out - log(scale), bad, NAN)

    def pdf(self, x, df, loc=0, scale=1):
        return exp(self.logpdf(x, df, loc, scale))

    def cdf(self, x, df, loc=0, scale=1):
        z, df, _, bad = self._z(x, df, loc, scale)
        return _fill(sc.stdtr(df, z), bad, NAN)

    def logcdf(self, x, df, loc=0, scale=1):
        return log(self.cdf(x, df, loc, scale))


class _positive_support(rv):
    """Distributions on [0, inf) after standardizing: gamma, chi2."""

    _frozen_methods = ("logpdf", "pdf", "cdf")

    @staticmethod
    def _z(x, shape, loc, scale):
        x, shape, loc, scale = _params(x, shape, loc, scale)
        z = (x - loc) / scale
        below = _v(z) < 0
        return _guard(z, below, 1.0), below, shape, scale, _bad(_v(shape) <= 0, _v(scale) <= 0)

    def _finish(self, out, below, fill, bad):
        return _fill(_fill(out, below, fill), bad, NAN)


class gamma_gen(_positive_support):
    """Gamma distribution: ``gamma.logpdf(x, a, loc=0, scale=1)``; cdf not differentiable in a."""

    name = "gamma"

    def logpdf(self, x, a, loc=0, scale=1):
        z, below, a, scale, bad = self._z(x, a, loc, scale)
        out = sc.xlogy(a - 1, z) - z - sc.gammaln(a) - log(scale)
        return self._finish(out, below, -INF, bad)

    def pdf(self, x, a, loc=0, scale=1):
        return exp(self.logpdf(x, a, loc, scale))

    def cdf(self, x, a, loc=0, scale=1):
        z, below, a, _, bad = self._z(x, a, loc, scale)
        return self._finish(sc.gammainc(a, z), below, 0.0, bad)


class chi2_gen(_positive_support):
    """Chi-squared distribution: ``chi2.logpdf(x, df, loc=0, scale=1)``; cdf not
    differentiable in df."""

    name = "chi2"

    def logpdf(self, x, df, loc=0, scale=1):
        z, below, df, scale, bad = self._z(x, df, loc, scale)
        h = 0.5 * df
        out = sc.xlogy(h - 1, z) - 0.5 * z - sc.gammaln(h) - LN2 * h - log(scale)
        return self._finish(out, below, -INF, bad)

    def pdf(self, x, df, loc=0, scale=1):
        return exp(self.logpdf(x, df, loc, scale))

    def cdf(self, x, df, loc=0, scale=1):
        z, below, df, _, bad = self._z(x, df, loc, scale)
        return self._finish(sc.gammainc(0.5 * df, 0.5 * z), below, 0.0, bad)


class beta_gen(rv):
    """Beta distribution: ``beta.logpdf(x, a, b, loc=0, scale=1)``; cdf not differentiable
    in a, b."""

    name = "beta"
    _frozen_methods = ("logpdf", "pdf", "cdf")

    @staticmethod
    def _z(x, a, b, loc, scale):
        x, a, b, loc, scale = _params(x, a, b, loc, scale)
        z = (x - loc) / scale
        zv = _v(z)
        below, above = zv < 0, zv > 1
        bad = _bad(_v(a) <= 0, _v(b) <= 0, _v(scale) <= 0)
        return _guard(z, below | above, 0.5), below, above, a, b, scale, bad

    def logpdf(self, x, a, b, loc=0, scale=1):
        z, below, above, a, b, scale, bad = self._z(x, a, b, loc, scale)
        out = sc.xlog1py(b - 1, -z) + sc.xlogy(a - 1, z) - sc.betaln(a, b) - log(scale)
        return _fill(_fill(out, below | above, -INF), bad, NAN)

    def pdf(self, x, a, b, loc=0, scale=1):
        return exp(self.logpdf(x, a, b, loc, scale))

    def cdf(self, x, a, b, loc=0, scale=1):
        z, below, above, a, b, _, bad = self._z(x, a, b, loc, scale)
        out = _fill(_fill(sc.betainc(a, b, z), below, 0.0), above, 1.0)
        return _fill(out, bad, NAN)


# -- discrete ------------------------------------------------------------------------------
class poisson_gen(rv):
    """Poisson distribution: ``poisson.logpmf(k, mu, loc=0)``; differentiable in ``mu``
    (``k`` and ``loc`` are integers: zero derivative)."""

    name = "poisson"
    _frozen_methods = ("logpmf", "pmf", "cdf")

    @staticmethod
    def _k(k, mu, loc):
        (mu,) = _params(mu)
        kk = (_v(k) - _v(loc)).astype(_float_dtype(mu))
        return kk, mu, _v(mu) < 0

    def logpmf(self, k, mu, loc=0):
        kk, mu, bad = self._k(k, mu, loc)
        outside = (kk < 0) | (kk != np.floor(kk))
        ks = np.where(outside, 0, kk).astype(kk.dtype)
        out = sc.xlogy(ks, mu) - sc.gammaln(ks + 1) - mu
        return _fill(_fill(out, outside, -INF), bad, NAN)

    def pmf(self, k, mu, loc=0):
        return exp(self.logpmf(k, mu, loc))

    def cdf(self, k, mu, loc=0):
        kk, mu, bad = self._k(k, mu, loc)
        kk = np.floor(kk)
        below = kk < 0
        out = sc.gammaincc(np.where(below, 0, kk).astype(kk.dtype) + 1, mu)
        return _fill(_fill(out, below, 0.0), bad, NAN)


# -- multivariate --------------------------------------------------------------------------
def _squeeze_output(out):
    """SciPy's ``_squeeze_output``: drop all length-1 axes."""
    return S.squeeze(out)


class dirichlet_gen(rv):
    """Dirichlet distribution: ``dirichlet.logpdf(x, alpha)``, components of ``x`` along its
    first axis (SciPy's layout); ``x`` may omit the last component (then 1 - sum)."""

    name = "dirichlet"
    _frozen_methods = ("logpdf", "pdf", "entropy")

    @staticmethod
    def _lnB(alpha):
        return _sum(sc.gammaln(alpha)) - sc.gammaln(_sum(alpha))

    def logpdf(self, x, alpha):
        # SciPy validates (alpha > 0 and 1-D, x on the simplex ...) on the values.
        _st.dirichlet.logpdf(_v(x), _v(alpha))
        x, alpha = _params(x, alpha)
        K = shape_of(alpha)[0]
        if shape_of(x)[0] == K - 1:
            last = 1 - _sum(x, axis=0, keepdims=True)
            x = S.concatenate([x, last], axis=0)
        col = S.reshape(alpha, (K,) + (1,) * (ndim_of(x) - 1))
        out = _sum(sc.xlogy(col - 1, x), axis=0) - self._lnB(alpha)
        return _squeeze_output(out)

    def pdf(self, x, alpha):
        return exp(self.logpdf(x, alpha))

    def entropy(self, alpha):
        _st.dirichlet.entropy(_v(alpha))
        (alpha,) = _params(alpha)
        a0 = _sum(alpha)
        K = shape_of(alpha)[0]
        return (self._lnB(alpha) + (a0 - K) * sc.digamma(a0)
                - _sum((alpha - 1) * sc.digamma(alpha)))


def _eigvalsh_to_eps(s):
    """SciPy's tolerance for "numerically zero" eigenvalues of a covariance."""
    t = s.dtype.char.lower()
    return {"f": 1e3, "d": 1e6}.get(t, 1e6) * np.finfo(t if t in "fd" else "d").eps * np.max(np.abs(s))


class multivariate_normal_gen(rv):
    """Multivariate normal: ``multivariate_normal.logpdf(x, mean=None, cov=1,
    allow_singular=False)``, differentiable in x, mean and cov (through
    ``numpy.linalg.slogdet`` and ``solve``). A singular ``cov`` (allowed by SciPy with
    ``allow_singular=True``) raises NotImplementedError: its density lives on a subspace
    and funcad does not differentiate the pseudo-inverse there."""

    name = "multivariate_normal"
    _frozen_methods = ("logpdf", "pdf", "entropy")

    @staticmethod
    def _process(mean, cov, allow_singular, x=None):
        """SciPy's ``_process_parameters_psd``: returns (dim, mean, cov) with cov (dim, dim)
        (``x`` only lends its dtype to Python-number parameters)."""
        if cov is None:
            cov = 1.0
        if mean is None:
            dim = 1 if np.ndim(_v(cov)) < 2 else shape_of(cov)[0]
        else:
            dim = int(np.size(_v(mean)))
        _, mean, cov = _params(x, mean, cov)
        dt = _float_dtype(x, mean, cov)
        if mean is None:
            mean = np.zeros(dim, dtype=dt)
        if dim == 1:
            mean, cov = S.reshape(mean, (1,)), S.reshape(cov, (1, 1))
        if ndim_of(mean) != 1 or shape_of(mean)[0] != dim:
            raise ValueError(f"Array 'mean' must be a vector of length {dim}.")
        nd = ndim_of(cov)
        if nd == 0:
            cov = cov * np.eye(dim, dtype=dt)
        elif nd == 1:
            cov = np.eye(dim, dtype=dt) * cov
        elif nd == 2 and shape_of(cov) != (dim, dim):
            rows, cols = shape_of(cov)
            raise ValueError(
                f"Array 'cov' must be square if it is two dimensional, but cov.shape = "
                f"{shape_of(cov)}." if rows != cols else
                f"Dimension mismatch: array 'cov' is of shape {shape_of(cov)}, but 'mean' is a "
                f"vector of length {dim}.")
        elif nd > 2:
            raise ValueError(f"Array 'cov' must be at most two-dimensional, but cov.ndim = {nd}")
        s = np.linalg.eigvalsh(np.asarray(value_of(cov)))
        eps = _eigvalsh_to_eps(s)
        if np.min(s) < -eps:
            raise ValueError("The input matrix must be symmetric positive semidefinite.")
        if np.sum(s > eps) < dim:
            if not allow_singular:
                raise np.linalg.LinAlgError(
                    "When `allow_singular is False`, the input matrix must be symmetric positive definite.")
            raise NotImplementedError(
                "multivariate_normal with a singular cov (allow_singular=True, rank "
                f"{int(np.sum(s > eps))} < {dim}) is not differentiable in funcad: its density lives on "
                "a subspace. Pass a positive definite cov, or use scipy.stats on "
                "funcad.stop_gradient(...) values if no derivative is needed.")
        return dim, mean, cov

    @staticmethod
    def _quantiles(x, dim):
        """SciPy's ``_process_quantiles``: the last axis of x labels the components."""
        (x,) = _params(x)
        nd = ndim_of(x)
        if nd == 0:
            return S.reshape(x, (1,))
        if nd == 1:
            return S.reshape(x, (-1, 1) if dim == 1 else (1, -1))
        return x

    def logpdf(self, x, mean=None, cov=1, allow_singular=False):
        dim, mean, cov = self._process(mean, cov, allow_singular, x)
        dev = self._quantiles(x, dim) - mean
        batch = shape_of(dev)[:-1]
        cols = S.transpose(S.reshape(dev, (-1, dim)))                 # (dim, n)
        maha = _sum(cols * np.linalg.solve(cov, cols), axis=0)        # (n,)
        logdet = np.linalg.slogdet(cov)[1]
        out = -0.5 * (dim * LOG_2PI + logdet + maha)
        return _squeeze_output(S.reshape(out, batch))

    def pdf(self, x, mean=None, cov=1, allow_singular=False):
        return exp(self.logpdf(x, mean, cov, allow_singular))

    def entropy(self, mean=None, cov=1):
        dim, mean, cov = self._process(mean, cov, True)   # SciPy allows singular here
        return 0.5 * (dim * (LOG_2PI + 1) + np.linalg.slogdet(cov)[1])


norm = norm_gen()
t = t_gen()
gamma = gamma_gen()
chi2 = chi2_gen()
beta = beta_gen()
poisson = poisson_gen()
dirichlet = dirichlet_gen()
multivariate_normal = multivariate_normal_gen()

DISTRIBUTIONS = {"norm": norm, "t": t, "gamma": gamma, "chi2": chi2, "beta": beta,
                 "poisson": poisson, "dirichlet": dirichlet,
                 "multivariate_normal": multivariate_normal}

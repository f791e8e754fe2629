"""Statistics and signal helpers: NaN-aware reductions, weighted averages, order statistics,
covariance, interpolation, polynomials, convolution, and a few elementwise functions.

Almost everything here is a composition of funcad's primitives applied to primal-shaped
values, following NumPy's own algorithm, so every derivative (any order, both modes)
comes from those primitives' rules. What is not differentiable is read from the plain
values with ``value_of``: NaN masks, sort orders, segment indices, weights' zero checks.
Two primitives are new: ``sinc_d_p(x, k)``, the k-th derivative of ``sinc``, so that
``sinc`` differentiates to any order, also at 0; and ``interp_p``, ``np.interp`` with
constant knots (the common case), one node in place of about fifteen.

Choices at non-differentiable points (rows for ``kinks``' table):

| function | at | derivative |
|---|---|---|
| nansum, nanmean, nanprod | NaN entries | 0 (they are skipped) |
| median, quantile, percentile | ties | to the entry the stable sort puts at that rank |
| quantile (linear) w.r.t. q | q * (n - 1) an integer | slope of the segment to the right |
| interp w.r.t. x | x on a knot xp[k] | slope of the segment to the right (left at xp[-1]) |
| interp w.r.t. x | outside [xp[0], xp[-1]] | 0 (left / right are constants or traced) |
| corrcoef | clipped at +-1 | clip's rule (passes at the bound) |
| angle | real input | 0 (piecewise constant) |
| nan_to_num | replaced entries | 0 |
"""
from __future__ import annotations

import math

import numpy as np

from ..core import Box, value_of
from .broadcast import align, dtype_of, fit, ndim_of, shape_of, unbroadcast
from .contractions import _conj, dot, matmul
from .elementwise import conj_p, defelementwise, is_complex, real_if_real, where_p
from .indexing import getitem, getitem_p, untake_p
from .nondiff import zero_derivative
from .reductions import _check_out, max as _max, mean as _mean, min as _min, norm_axis
from .reductions import prod as _prod, sum as _sum
from .registry import defjvp, defvjp, implements, primitive
from .manipulation import _axis, diff, flip_p, take_along_axis
from .shape import astype, atleast_2d, concatenate, pad_axis_p, reshape, slice_axis_p, transpose
from .sorting import sort
from .ufuncs import arctan2, clip, imag, real, remainder, sqrt

_NOVALUE = np._NoValue


def _kd(keepdims) -> bool:
    return False if keepdims is _NOVALUE else bool(keepdims)


def _real_dtype(dt) -> np.dtype:
    return np.zeros((), dt).real.dtype


def _traced(*xs) -> bool:
    return any(isinstance(x, Box) for x in xs)


# -- NaN-aware reductions ------------------------------------------------------------------------
def _nan_filled(a, fill):
    """``a`` with its NaNs replaced by ``fill`` (their derivative is then 0)."""
    m = np.isnan(value_of(a))
    return where_p(m, fill, a) if m.any() else a


@implements(np.nansum)
def nansum(a, axis=None, dtype=None, out=None, keepdims=_NOVALUE, initial=_NOVALUE, where=_NOVALUE):
    """``np.nansum``: NaNs count as 0 and get zero derivative."""
    return _sum(_nan_filled(a, 0), axis, dtype, out, _kd(keepdims), initial, where)


@implements(np.nanprod)
def nanprod(a, axis=None, dtype=None, out=None, keepdims=_NOVALUE, initial=_NOVALUE, where=_NOVALUE):
    """``np.nanprod``: NaNs count as 1 and get zero derivative."""
    return _prod(_nan_filled(a, 1), axis, dtype, out, _kd(keepdims), initial, where)


@implements(np.nanmean)
def nanmean(a, axis=None, dtype=None, out=None, keepdims=_NOVALUE, *, where=_NOVALUE):
    """``np.nanmean``: the mean of the non-NaN entries (NaNs get zero derivative)."""
    ok = ~np.isnan(value_of(a))
    if where is not _NOVALUE:
        ok = ok & value_of(where)
    total = _sum(_nan_filled(a, 0), axis, dtype, out, _kd(keepdims), where=where)
    count = np.sum(ok, axis=axis if axis is None else norm_axis(axis, ok.ndim), keepdims=_kd(keepdims))
    return total / count.astype(_real_dtype(dtype_of(total)))


# -- averages and spreads ----------------------------------------------------------------------
@implements(np.average)
def average(a, axis=None, weights=None, returned=False, *, keepdims=_NOVALUE):
    """``np.average``: differentiable in ``a`` and in ``weights`` (NumPy's algorithm)."""
    keep = _kd(keepdims)
    av = value_of(a)
    shp = np.shape(av)
    if weights is None:
        avg = _mean(a, axis, keepdims=keep)
        scl = np.asarray(np.size(av) / max(np.size(value_of(avg)), 1), dtype=dtype_of(avg))
    else:
        wv = value_of(weights)
        adt = np.result_type(av)
        rdt = (np.result_type(adt, wv, "f8") if adt.kind in "iub" else np.result_type(adt, wv))
        w = weights
        if np.shape(wv) != shp:
            if axis is None:
                raise TypeError("Axis must be specified when shapes of a and weights differ.")
            axes = tuple(d + len(shp) for d in (norm_axis(x, len(shp))[0] for x in
                                               (axis if isinstance(axis, (tuple, list)) else (axis,))))
            if np.shape(wv) != tuple(shp[d] for d in axes):
                raise ValueError("Shape of weights must be consistent with shape of a along specified axis.")
            w = transpose(w, tuple(int(i) for i in np.argsort(axes)))
            w = reshape(w, tuple(s if d in axes else 1 for d, s in enumerate(shp)))
        scl = _sum(w, axis, dtype=rdt, keepdims=keep)
        if np.any(value_of(scl) == 0.0):
            raise ZeroDivisionError("Weights sum to zero, can't be normalized")
        prod = a * w
        if dtype_of(prod) != rdt:
            prod = astype(prod, rdt)
        avg = _sum(prod, axis, keepdims=keep) / scl
    if not returned:
        return avg
    if shape_of(scl) != shape_of(avg):
        scl = scl + np.zeros(shape_of(avg), dtype_of(scl))
    return avg, scl


@implements(np.ptp)
def ptp(a, axis=None, out=None, keepdims=_NOVALUE):
    """``np.ptp``: max - min (ties split evenly, as in ``max``/``min``)."""
    _check_out(out, "ptp")
    return _max(a, axis, keepdims=_kd(keepdims)) - _min(a, axis, keepdims=_kd(keepdims))


# -- order statistics ---------------------------------------------------------------------------
_QMETHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def _order_values(x, lo, hi):
    """The order statistics of ``x`` along its last axis at the positions ``lo`` and ``hi``:
    a (traced) array holding them, and where ``lo`` and ``hi`` are in it. When a few
    positions are asked for and none of their values ties, ``np.argpartition`` finds
    their entries in O(n) and the derivative is a gather's; otherwise the whole axis is
    sorted (stably: tied entries take the derivative in sorted order, as torch's sort)."""
    xv = value_of(x)
    k = np.unique(np.concatenate([lo.ravel(), hi.ravel()]))
    if k.size <= 8 and not np.isnan(xv).any():
        idx = np.take(np.argpartition(xv, k, axis=-1), k, axis=-1)
        vals = np.take_along_axis(xv, idx, axis=-1)
        if ((xv[..., None, :] == vals[..., :, None]).sum(axis=-1) == 1).all():
            return take_along_axis(x, idx, axis=-1), np.searchsorted(k, lo), np.searchsorted(k, hi)
    return sort(x, axis=-1), lo, hi


def _order_statistic(a, q, axis, method: str, keepdims: bool, scale: float):
    """NumPy's quantile of ``a`` at ``q / scale`` along ``axis``: the sorted values gathered at
    the order statistics around ``q * (n - 1)`` and interpolated between them. ``method``
    is one of ``_QMETHODS`` or ``"median"`` (the mean of the two middle values)."""
    av = value_of(a)
    if np.iscomplexobj(av):
        raise TypeError("a must be an array of real numbers")
    weak = type(q) in (int, float)
    qv = np.asarray(value_of(q)) / scale
    if np.any((qv < 0) | (qv > 1)) or np.isnan(qv).any():
        raise ValueError("Quantiles must be in the range [0, 1]")
    dt = (np.result_type(av, 0.0) if weak else np.result_type(av, qv))
    nd, shp = av.ndim, av.shape
    ax = norm_axis(axis, nd)
    kept = [d for d in range(-nd, 0) if d not in ax]
    x = a
    if kept + list(ax) != list(range(-nd, 0)):
        x = transpose(x, tuple(d + nd for d in kept + list(ax)))
    rest = tuple(shp[d] for d in kept)
    n = math.prod(shp[d] for d in ax)
    if n == 0:
        raise ValueError(f"cannot compute a quantile of an empty slice (axis {axis}, shape {shp})")
    x = reshape(x, rest + (n,))
    if dtype_of(x) != dt:
        x = astype(x, dt)

    v = (n - 1) * qv
    lo = np.floor(v)
    gamma = None
    if method == "median":
        lo, hi = np.asarray((n - 1) // 2), np.asarray(n // 2)
    elif method in ("lower", "higher", "nearest"):
        lo = {"lower": np.floor, "higher": np.ceil, "nearest": np.around}[method](v)
        hi = lo
    else:
        hi = lo + 1
        gamma = (v - lo) if method == "linear" else np.where(v % 1 == 0, 0.0, 0.5)
    lo = np.clip(lo, 0, n - 1).astype(np.intp)
    hi = np.clip(hi, 0, n - 1).astype(np.intp)
    s, at_lo, at_hi = _order_values(x, lo, hi)
    s_lo = getitem(s, (Ellipsis, at_lo))
    if method == "median":
        res = s_lo if int(lo) == int(hi) else (s_lo + getitem(s, (Ellipsis, at_hi))) / 2
    elif gamma is None:
        res = s_lo
    else:
        s_hi = getitem(s, (Ellipsis, at_hi))
        diff = s_hi - s_lo
        g = gamma.astype(dt)
        if method == "linear" and isinstance(q, Box):   # q's derivative: the segment's slope
            g = astype(q * ((n - 1) / scale) - lo.astype(dt), dt)
        # NumPy's _lerp: from the nearer end, for accuracy.
        res = where_p(gamma >= 0.5, s_hi - diff * (1 - g), s_lo + diff * g)

    qnd = qv.ndim
    nans = np.isnan(value_of(s)).any(axis=-1)
    if nans.any():
        res = where_p(nans.reshape(rest + (1,) * qnd), np.nan, res)
    if qnd and rest:
        res = transpose(res, tuple(range(len(rest), len(rest) + qnd)) + tuple(range(len(rest))))
    if keepdims:
        res = reshape(res, qv.shape + tuple(1 if d in ax else shp[d] for d in range(-nd, 0)))
    return astype(res, dt) if dtype_of(res) != dt else res


def _check_quantile_args(name, out, method, weights):
    _check_out(out, name)
    if weights is not None:
        raise NotImplementedError(f"{name}(..., weights=...) is not supported on traced values "
                                  f"(NumPy allows it only with method='inverted_cdf').")
    if method not in _QMETHODS:
        raise NotImplementedError(f"{name}(..., method={method!r}) is not supported on traced "
                                  f"values; use one of {', '.join(map(repr, _QMETHODS))}.")


@implements(np.quantile)
def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
             *, weights=None):
    """``np.quantile``: differentiable in ``a`` (and in ``q`` for ``method='linear'``)."""
    _check_quantile_args("quantile", out, method, weights)
    return _order_statistic(a, q, axis, method, keepdims, 1)


@implements(np.percentile)
def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear", keepdims=False,
               *, weights=None):
    """``np.percentile``: :func:`quantile` at ``q / 100``."""
    _check_quantile_args("percentile", out, method, weights)
    return _order_statistic(a, q, axis, method, keepdims, 100)


@implements(np.median)
def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``np.median``: the middle value, or the mean of the two middle values."""
    _check_out(out, "median")
    return _order_statistic(a, 0.5, axis, "median", keepdims, 1)


# -- covariance ------------------------------------------------------------------------------------
def _as_2d(m, dtype, name):
    if ndim_of(m) > 2:
        raise ValueError(f"{name} has more than 2 dimensions")
    m = atleast_2d(m) if isinstance(m, Box) else np.array(m, ndmin=2)
    return astype(m, dtype) if dtype_of(m) != dtype else m


def _float_weights(w):
    """cov's weights as float64 (NumPy's ``asarray(w, dtype=float)``), traced or not."""
    if w is None:
        return None
    if not isinstance(w, Box):
        return np.asarray(w, dtype=float)
    return astype(w, np.float64) if dtype_of(w) != np.float64 else w


@implements(np.cov)
def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *, dtype=None):
    """``np.cov`` (NumPy's algorithm): differentiable in ``m``, ``y`` and ``aweights``."""
    if ddof is not None and ddof != int(ddof):
        raise ValueError("ddof must be integer")
    if dtype is None:
        dtype = np.result_type(value_of(m), np.float64) if y is None else \
            np.result_type(value_of(m), value_of(y), np.float64)
    X = _as_2d(m, dtype, "m")
    if not rowvar and ndim_of(m) != 1:
        X = transpose(X)
    if shape_of(X)[0] == 0:
        return np.array([]).reshape(0, 0)
    if y is not None:
        Y = _as_2d(y, dtype, "y")
        if not rowvar and shape_of(Y)[0] != 1:
            Y = transpose(Y)
        X = concatenate((X, Y), axis=0)
    if ddof is None:
        ddof = 1 if bias == 0 else 0
    n = shape_of(X)[1]
    fw, aw = _float_weights(fweights), _float_weights(aweights)
    for name, wt in (("fweights", fw), ("aweights", aw)):
        if wt is None:
            continue
        v = value_of(wt)
        if name == "fweights" and np.any(v != np.around(v)):
            raise TypeError("fweights must be integer")
        if v.ndim > 1:
            raise RuntimeError(f"cannot handle multidimensional {name}")
        if v.shape[0] != n:
            raise RuntimeError(f"incompatible numbers of samples and {name}")
        if np.any(v < 0):
            raise ValueError(f"{name} cannot be negative")
    w = fw if aw is None else (aw if fw is None else fw * aw)
    avg, w_sum = average(X, axis=1, weights=w, returned=True)
    w_sum = getitem(w_sum, 0) if isinstance(w_sum, Box) else w_sum[0]
    if w is None:
        fact = n - ddof
    elif ddof == 0:
        fact = w_sum
    elif aw is None:
        fact = w_sum - ddof
    else:
        fact = w_sum - ddof * _sum(w * aw) / w_sum
    if np.any(value_of(fact) <= 0):
        import warnings
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
        fact = 0.0
    X = X - reshape(avg, (-1, 1))
    X_T = transpose(X) if w is None else transpose(X * w)
    c = dot(X, conj_p(X_T)) * (1 / fact if isinstance(fact, Box) else np.true_divide(1, fact))
    from .shape import squeeze
    return squeeze(c)


@implements(np.corrcoef)
def corrcoef(x, y=None, rowvar=True, bias=_NOVALUE, ddof=_NOVALUE, *, dtype=None):
    """``np.corrcoef``: ``cov`` scaled by the standard deviations, clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim_of(c) == 0:
        return c / c
    k = np.arange(shape_of(c)[0])
    stddev = sqrt(real(getitem(c, (k, k))))
    c = c / reshape(stddev, (-1, 1))
    c = c / reshape(stddev, (1, -1))
    if is_complex(c):
        return clip(real(c), -1, 1) + 1j * clip(imag(c), -1, 1)
    return clip(c, -1, 1)


# -- interpolation and polynomials -------------------------------------------------------------
@implements(np.trapezoid)
def trapezoid(y, x=None, dx=1.0, axis=-1):
    """``np.trapezoid``: the trapezoidal rule along ``axis``, NumPy's own formula,
    differentiable in ``y``, ``x`` and ``dx``."""
    nd = ndim_of(y)
    ax = _axis(axis, nd)
    if x is None:
        d = dx
    elif ndim_of(x) == 1:
        d = diff(x)
        shape = [1] * nd
        shape[ax] = shape_of(d)[0]
        d = reshape(d, tuple(shape))
    else:
        d = diff(x, axis=axis)
    n = shape_of(y)[ax]
    return _sum(d * (slice_axis_p(y, ax, 1, n) + slice_axis_p(y, ax, 0, n - 1)) / 2.0, axis=ax)


@implements(np.interp)
def interp(x, xp, fp, left=None, right=None, period=None):
    """``np.interp``: piecewise linear, differentiable in ``x``, ``fp``, ``left``/``right``
    (and ``xp``, through the segment's slope). NumPy's result dtype (float64/complex128).
    With the knots, the bounds and the period constants (the common case) it is one
    primitive, ``interp_p``, whose value is NumPy's own (a period first reduces ``x`` and
    the knots as NumPy does); otherwise it is composed."""
    fv = value_of(fp)
    out_dt = np.complex128 if np.iscomplexobj(fv) else np.float64
    if ndim_of(xp) != 1 or ndim_of(fp) != 1:
        raise ValueError("Data points must be 1-D sequences")
    if shape_of(xp)[0] != shape_of(fp)[0]:
        raise ValueError("fp and xp are not of the same length" if period is None
                         else "fp and xp are not of the same size.")
    if shape_of(xp)[0] == 0:
        raise ValueError("array of sample points is empty")
    if period is not None:   # NumPy's own reduction to one period, in float64
        if value_of(period) == 0:
            raise ValueError("period must be a non-zero value")
        period = abs(period)
        left = right = None
        x, xp = (astype(a, np.float64) if isinstance(a, Box) else np.asarray(a, dtype=np.float64)
                 for a in (x, xp))
        x, xp = remainder(x, period), remainder(xp, period)
        order = np.argsort(value_of(xp))
        xp, fp = _gather(xp, order), _gather(fp, order)
        xp = concatenate((_gather(xp, [-1]) - period, xp, _gather(xp, [0]) + period))
        fp = concatenate((_gather(fp, [-1]), fp, _gather(fp, [0])))
    if shape_of(xp)[0] > 1 and not any(isinstance(a, Box) for a in (xp, left, right)):
        return interp_p(x, fp, np.asarray(xp, dtype=float), left, right)
    xv, xpv = np.asarray(value_of(x), dtype=float), np.asarray(value_of(xp), dtype=float)
    k = xpv.shape[0]
    first, last = _gather(fp, 0), _gather(fp, k - 1)
    if k == 1:
        y = first + np.zeros(xv.shape)
    else:
        j = _segment(xv, xpv)
        x0, x1 = _gather(xp, j), _gather(xp, j + 1)
        f0, f1 = _gather(fp, j), _gather(fp, j + 1)
        y = f0 + (f1 - f0) * ((x - x0) / (x1 - x0))
    y = where_p(xv > xpv[-1], last if right is None else right, y)
    y = where_p(xv < xpv[0], first if left is None else left, y)
    return astype(y, out_dt) if dtype_of(y) != out_dt else y


def _segment(xv, xp):
    """The segment ``j`` (between ``xp[j]`` and ``xp[j + 1]``) whose line gives each point's
    value: the one to the right of a knot, the first one before ``xp[0]``, the last one at
    ``xp[-1]`` and beyond (a search among the inner knots alone)."""
    return np.asarray(np.searchsorted(xp[1:-1], xv, side="right"))


def _located(x, xp):
    """Each point's segment ``j`` (``_segment``), and whether it lies below ``xp[0]`` or
    above ``xp[-1]``, from the points' values."""
    xv = np.asarray(value_of(x), dtype=float)
    return _segment(xv, xp), xv < xp[0], xv > xp[-1]


def _interp_slope(x, fp, xp):
    """dy/dx of ``interp_p``: the segment's slope inside the table, 0 outside (where the
    value is a constant); differentiable in ``fp``, and constant in ``x`` (piecewise)."""
    j, below, above = _located(x, xp)
    return (_gather(fp, j + 1) - _gather(fp, j)) * (~(below | above) / (xp[j + 1] - xp[j]))


def _interp_weights(x, xp, left, right):
    """``interp_p(x, fp) = a * fp[j] + b * fp[j + 1]``: ``(j, a, b)``, with ``a`` and ``b``
    following ``x`` inside the table; outside they pick ``fp[0]`` or ``fp[-1]``, or nothing
    where ``left`` or ``right`` is given."""
    j, below, above = _located(x, xp)
    inside = ~(below | above)
    w = (x - xp[j]) / (xp[j + 1] - xp[j])
    a = where_p(inside, 1.0 - w, below if left is None else 0.0)
    b = where_p(inside, w, above if right is None else 0.0)
    return j, a, b


def _interp_vjp_fp(g, ans, x, fp, xp, left, right):
    j, a, b = _interp_weights(x, xp, left, right)
    k, nd = shape_of(fp), ndim_of(ans)
    return real_if_real(untake_p(g * a, (j,), k, nd) + untake_p(g * b, (j + 1,), k, nd), fp)


def _interp_jvp_fp(t, ans, x, fp, xp, left, right):
    j, a, b = _interp_weights(x, xp, left, right)
    return a * getitem_p(t, (j,), 1) + b * getitem_p(t, (j + 1,), 1)


# ``interp_p(x, fp, xp, left, right)``: np.interp with the knots ``xp`` (a float array with
# two or more entries), ``left`` and ``right`` constants.
interp_p = primitive(lambda x, fp, xp, left, right: np.interp(x, xp, fp, left, right), "interp")
defvjp(interp_p, lambda g, ans, x, fp, xp, left, right: real_if_real(g * _conj(_interp_slope(x, fp, xp)), x),
       _interp_vjp_fp)
defjvp(interp_p, lambda t, ans, x, fp, xp, left, right: t * _interp_slope(x, fp, xp), _interp_jvp_fp)


def _gather(a, idx):
    """``a[idx]`` for a traced or plain 1-d ``a`` and a constant index."""
    return getitem(a, np.asarray(idx)) if isinstance(a, Box) else np.asarray(a)[idx]


@implements(np.polyval)
def polyval(p, x):
    """``np.polyval``: Horner's scheme, differentiable in the coefficients and in ``x``."""
    y = np.zeros_like(value_of(x))
    for pv in p:
        y = y * x + pv
    return y


# -- convolution ---------------------------------------------------------------------------------
def _flip(x):
    """``x`` reversed along every axis."""
    idx = (slice(None, None, -1),) * ndim_of(x)
    return getitem(x, idx) if isinstance(x, Box) else np.asarray(x)[idx]


def _conv1(a, v):
    """The full 1-d convolution along the last axis (``np.convolve``); leading (batch)
    axes of either operand broadcast, each row one ``np.convolve``."""
    a, v = np.asarray(a), np.asarray(v)
    if a.ndim == 1 and v.ndim == 1:
        return np.convolve(a, v)
    lead = np.broadcast_shapes(a.shape[:-1], v.shape[:-1])
    a, v = np.broadcast_to(a, lead + a.shape[-1:]), np.broadcast_to(v, lead + v.shape[-1:])
    out = np.empty(lead + (a.shape[-1] + v.shape[-1] - 1,), np.result_type(a, v))
    for i in np.ndindex(lead):
        out[i] = np.convolve(a[i], v[i])
    return out


conv1_p = primitive(_conv1, "convolve")


def _conv1_vjp(i):
    """Argument ``i``'s VJP: the cotangent correlated with the other operand (conjugated),
    ``g * flip(conj(y))`` cropped to the argument's length; the same cost as the forward
    convolution, where a gather of sliding windows would hold (n + m - 1) x m values."""
    def vjp(g, ans, a, v):
        x, y = (a, v) if i == 0 else (v, a)
        n, m = shape_of(x)[-1], shape_of(y)[-1]
        c = conv1_p(g, flip_p(conj_p(y) if is_complex(y) else y, (-1,)))
        c = slice_axis_p(c, -1, m - 1, m - 1 + n)
        return real_if_real(unbroadcast(c, shape_of(x), ndim_of(g) - ndim_of(ans)), x)
    return vjp


def _conv1_jvp(i):
    """Argument ``i``'s JVP: the convolution with its tangent in place (bilinear); the
    tangent's batch axes go in front of the answer's leading axes."""
    def jvp(t, ans, a, v):
        t, nb = align(t, (a, v)[i], ans)
        return fit(conv1_p(t, v) if i == 0 else conv1_p(a, t), ans, nb)
    return jvp


conv1_p.vjps = (_conv1_vjp(0), _conv1_vjp(1))
conv1_p.jvps = (_conv1_jvp(0), _conv1_jvp(1))


def _conv_full(a, v):
    """The full n-d convolution of ``a`` and ``v`` (same rank). In 1-d it is ``conv1_p``;
    in more dimensions, a matrix-vector product of the sliding windows of the
    (zero-padded) larger operand with the flipped smaller one."""
    if ndim_of(a) == 1:
        return conv1_p(a, v)
    if math.prod(shape_of(a)) < math.prod(shape_of(v)):
        a, v = v, a
    sa, sv = shape_of(a), shape_of(v)
    d = len(sa)
    if not isinstance(a, Box):
        a = np.asarray(a)
    for ax in range(d):
        if sv[ax] > 1:
            a = pad_axis_p(a, ax - d, sv[ax] - 1, sv[ax] - 1)
    out = tuple(n + m - 1 for n, m in zip(sa, sv))
    idx = tuple(np.arange(out[ax]).reshape([-1 if e == ax else 1 for e in range(2 * d)])
                + np.arange(sv[ax]).reshape([-1 if e == d + ax else 1 for e in range(2 * d)])
                for ax in range(d))
    windows = reshape(getitem(a, idx) if isinstance(a, Box) else a[idx],
                      (math.prod(out), math.prod(sv)))
    return reshape(matmul(windows, reshape(_flip(v), (-1,))), out)


def _crop(full, starts, sizes):
    return getitem(full, tuple(slice(s, s + n) for s, n in zip(starts, sizes)))


def _as_1d(a, name):
    if ndim_of(a) > 1:
        raise ValueError("object too deep for desired array")
    if ndim_of(a) == 0:
        a = reshape(a, (1,)) if isinstance(a, Box) else np.reshape(a, (1,))
    if shape_of(a)[0] == 0:
        raise ValueError(f"{name} cannot be empty")
    return a


def _np_mode(mode):
    modes = {0: "valid", 1: "same", 2: "full"}
    mode = modes.get(mode, mode) if isinstance(mode, int) else mode
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")
    return mode


@implements(np.convolve)
def convolve(a, v, mode="full"):
    """``np.convolve`` (1-d; ``mode`` 'full', 'same' or 'valid'): bilinear in ``a`` and ``v``."""
    if not _traced(a, v):
        return np.convolve(a, v, mode)
    a, v = _as_1d(a, "a"), _as_1d(v, "v")
    mode = _np_mode(mode)
    n, m = shape_of(a)[0], shape_of(v)[0]
    full = _conv_full(a, v)
    big, small = max(n, m), min(n, m)
    if mode == "full":
        return full
    if mode == "same":
        return _crop(full, ((n + m - 1 - big) // 2,), (big,))
    return _crop(full, (small - 1,), (big - small + 1,))


@implements(np.correlate)
def correlate(a, v, mode="valid"):
    """``np.correlate``: ``c[k] = sum_n a[n + k] * conj(v[n])``, a convolution with the
    flipped conjugate of ``v`` (cropped as NumPy crops it)."""
    if not _traced(a, v):
        return np.correlate(a, v, mode)
    a, v = _as_1d(a, "a"), _as_1d(v, "v")
    mode = _np_mode(mode)
    n, m = shape_of(a)[0], shape_of(v)[0]
    full = _conv_full(a, conj_p(_flip(v)) if is_complex(v) else _flip(v))
    big, small = max(n, m), min(n, m)
    if mode == "full":
        return full
    if mode == "same":
        return _crop(full, ((m - 1) // 2 if n >= m else n // 2,), (big,))
    return _crop(full, (small - 1,), (big - small + 1,))


def scipy_convolve(in1, in2, mode="full", method="auto"):
    """``scipy.signal.convolve`` (n-d; 'full', 'same' (shape of in1), 'valid'), by sliding
    windows (``method`` is accepted; the result is the direct convolution). Registered by
    ``funcad.scipy.signal``: importing scipy.signal costs most of a second, so funcad only
    does it when asked."""
    if not _traced(in1, in2):
        import scipy.signal
        return scipy.signal.convolve(in1, in2, mode, method)
    s1, s2 = shape_of(in1), shape_of(in2)
    if len(s1) == 0 and len(s2) == 0:
        return in1 * in2
    if len(s1) != len(s2):
        raise ValueError("in1 and in2 should have the same dimensionality")
    if mode not in ("full", "same", "valid"):
        raise ValueError("acceptable mode flags are 'valid', 'same', or 'full'")
    full = _conv_full(in1, in2)
    k = shape_of(full)
    if mode == "full":
        return full
    if mode == "same":
        return _crop(full, tuple((kk - n) // 2 for kk, n in zip(k, s1)), s1)
    if not (all(a >= b for a, b in zip(s1, s2)) or all(b >= a for a, b in zip(s1, s2))):
        raise ValueError("For 'valid' mode, one must be at least as large as the other in "
                         "every dimension")
    return _crop(full, tuple(min(a, b) - 1 for a, b in zip(s1, s2)),
                 tuple(abs(a - b) + 1 for a, b in zip(s1, s2)))


# -- elementwise: sinc, nan_to_num, real_if_close, angle ------------------------------------------
def _sinc_d(x, k: int):
    """The k-th derivative of ``sinc(x) = sin(pi x) / (pi x)``: its Taylor series for
    ``|pi x| < 4`` (no cancellation near 0), else the recursion
    ``f^(k) = (pi^(k-1) sin(pi x + k pi / 2) - k f^(k-1)) / x``."""
    if k == 0:
        return np.sinc(x)
    x = np.asarray(x)
    xw = x.astype(np.result_type(x, np.float64))
    y = np.pi * xw
    near = np.abs(y) < 4
    out = np.zeros_like(y)
    yn = np.where(near, y, 0)
    # d^k/dy^k sum_n (-1)^n y^(2n) / (2n+1)!  =  sum_{2n >= k} (-1)^n y^(2n-k) / ((2n-k)! (2n+1))
    acc = np.zeros_like(y)
    for n in range((k + 1) // 2, 40 + k):
        acc = acc + (-1) ** n * yn ** (2 * n - k) / (math.factorial(2 * n - k) * (2 * n + 1))
    out = np.where(near, acc * np.pi ** k, out)
    far = ~near
    if far.any():
        xf = np.where(far, xw, 1.0)
        f = np.sinc(xf)
        for j in range(1, k + 1):
            f = (np.pi ** (j - 1) * np.sin(np.pi * xf + j * np.pi / 2) - j * f) / xf
        out = np.where(far, f, out)
    return out.astype(np.result_type(x, np.float32), copy=False)


sinc_d_p = primitive(_sinc_d, "sinc")
defelementwise(sinc_d_p, lambda ans, x, k: sinc_d_p(x, k + 1), None)


@implements(np.sinc)
def sinc(x):
    """``np.sinc``; derivatives of every order are exact, also at 0."""
    return sinc_d_p(x, 0)


@implements(np.nan_to_num)
def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """``np.nan_to_num``: finite entries pass through (derivative 1), replaced ones are
    constants (derivative 0), or the traced fill values."""
    v = value_of(x)
    dt = np.result_type(v)
    if dt.kind == "c":
        return (nan_to_num(real(x), nan=nan, posinf=posinf, neginf=neginf)
                + 1j * nan_to_num(imag(x), nan=nan, posinf=posinf, neginf=neginf))
    if dt.kind != "f":
        return x
    fi = np.finfo(dt)
    for mask, fill in ((np.isnan(v), nan), (np.isposinf(v), fi.max if posinf is None else posinf),
                       (np.isneginf(v), fi.min if neginf is None else neginf)):
        if mask.any():
            fill = astype(fill, dt) if isinstance(fill, Box) else np.asarray(fill).astype(dt)
            x = where_p(mask, fill, x)
    return x


@implements(np.real_if_close)
def real_if_close(a, tol=100):
    """``np.real_if_close``: the real part (a linear map) when every imaginary part is
    within ``tol`` machine epsilons of 0, else ``a`` unchanged."""
    v = value_of(a)
    if not np.iscomplexobj(v):
        return a
    t = tol * np.finfo(v.dtype).eps if tol > 1 else tol
    return real(a) if np.all(np.absolute(v.imag) < t) else a


_angle_real_p = zero_derivative(np.angle, "angle")


@implements(np.angle)
def angle(z, deg=False):
    """``np.angle``: ``arctan2(imag, real)`` for complex input (derivative ``i / conj(z)``
    in torch's convention); 0 or pi, with zero derivative, for real input."""
    r = arctan2(imag(z), real(z)) if is_complex(z) else _angle_real_p(z)
    return r * (180 / np.pi) if deg else r

"""Building arrays: ``linspace``/``logspace``/``geomspace`` (differentiable in their
endpoints), ``full``/``full_like`` with a traced fill value, and the ``*_like`` functions,
whose results are constants (they read only a shape and dtype, as torch's do).

Each follows NumPy's own algorithm step by step with funcad operations, so values (and
result dtypes) are NumPy's. ``np.full(shape, traced)`` cannot be intercepted (NumPy fills
a fresh array with ``copyto``); ``funcad.numpy.full`` is the differentiable spelling, and a
``copyto`` of a traced value into a plain array raises a TypeError that says so.
"""
from __future__ import annotations

import operator

import numpy as np

from ..core import Box, value_of
from .broadcast import dtype_of, ndim_of, shape_of
from .registry import implements, nondiff
from .shape import astype, broadcast_to, concatenate, expand_dims, moveaxis, reshape
from .ufuncs import log10, power

zeros_like, ones_like, empty_like = (nondiff(f) for f in (np.zeros_like, np.ones_like, np.empty_like))


def _cast(x, dtype):
    """``x`` (traced or plain) as an array of ``dtype``."""
    if isinstance(x, Box):
        return x if dtype_of(x) == dtype else astype(x, dtype)
    return np.asarray(x, dtype=dtype)


def _with_ndim(x, nd: int):
    """``x`` with leading 1-axes up to rank ``nd`` (NumPy's ``array(x, ndmin=nd)``)."""
    k = ndim_of(x)
    if k >= nd:
        return x
    new = (1,) * (nd - k) + shape_of(x)
    return reshape(x, new) if isinstance(x, Box) else np.reshape(x, new)


@implements(np.linspace)
def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0, *, device=None):
    """``np.linspace``: ``start + k * step`` (NumPy's arithmetic), with the last sample set
    to ``stop`` exactly when ``endpoint``; differentiable in ``start`` and ``stop``."""
    num = operator.index(num)
    if num < 0:
        raise ValueError(f"Number of samples, {num}, must be non-negative.")
    if dtype is not None and np.issubdtype(dtype, np.integer):
        # Integer samples are floored: piecewise constant, no derivative.
        return np.linspace(value_of(start), value_of(stop), num, endpoint, retstep, dtype, axis)
    div = (num - 1) if endpoint else num
    dt = np.result_type(value_of(start), value_of(stop), float(num))
    start, stop = _cast(start, dt), _cast(stop, dt)
    delta = stop - start
    y = np.arange(0, num, dtype=dt).reshape((-1,) + (1,) * ndim_of(delta))
    if div > 0:
        step = delta / div
        if np.any(value_of(step) == 0):
            y = (y / div) * delta
        else:
            y = y * step
    else:
        step = np.nan
        y = y * delta
    y = y + start
    if endpoint and num > 1:
        last = broadcast_to(stop, shape_of(y)[1:]) if isinstance(stop, Box) else \
            np.broadcast_to(stop, shape_of(y)[1:])
        y = concatenate([y[:-1], expand_dims(last, 0) if isinstance(last, Box) else last[None]], axis=0)
    if axis != 0:
        y = moveaxis(y, 0, axis)
    if dtype is not None:
        y = _cast(y, np.dtype(dtype))
    return (y, step) if retstep else y


@implements(np.logspace)
def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    """``np.logspace``: ``base ** linspace(start, stop)``; differentiable in ``start``,
    ``stop`` and ``base``."""
    if not isinstance(base, (float, int)) and ndim_of(base):
        # a non-scalar base is broadcast with the others (it may change how axis reads)
        nd = max(ndim_of(start), ndim_of(stop), ndim_of(base))
        start, stop, base = (_with_ndim(a, nd) for a in (start, stop, base))
        base = expand_dims(base, axis) if isinstance(base, Box) else np.expand_dims(base, axis)
    y = linspace(start, stop, num=num, endpoint=endpoint, axis=axis)
    if isinstance(base, (float, int)):
        # NumPy casts a Python base to y's dtype; doing so here keeps the derivative's dtype
        base = np.asarray(base, dtype=np.result_type(value_of(y), base))
    r = power(base, y)
    return r if dtype is None else _cast(r, np.dtype(dtype))


@implements(np.geomspace)
def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    """``np.geomspace`` for real endpoints (of one sign each): NumPy's algorithm, with the
    endpoints' signs as constants; differentiable in ``start`` and ``stop``."""
    sv, ev = np.asarray(value_of(start)), np.asarray(value_of(stop))
    if np.any(sv == 0) or np.any(ev == 0):
        raise ValueError("Geometric sequence cannot include zero")
    dt = np.result_type(sv, ev, float(num), np.zeros((), dtype))
    if dt.kind == "c":
        raise NotImplementedError("geomspace with complex start/stop is not supported on traced "
                                  "values; use real endpoints or funcad.stop_gradient")
    dtype = dt if dtype is None else np.dtype(dtype)
    start, stop = _cast(start, dt), _cast(stop, dt)
    out_sign = np.sign(sv).astype(dt)
    start = start / out_sign
    stop = stop / out_sign
    result = logspace(log10(start), log10(stop), num=num, endpoint=endpoint, base=10.0, dtype=dt)
    if num > 0:   # the endpoints exactly (10 ** log10(x) need not be x)
        rest = shape_of(result)[1:]
        parts = [expand_dims(_broad(start, rest), 0)]
        if num > 1 and endpoint:
            parts += [result[1:-1], expand_dims(_broad(stop, rest), 0)]
        elif num > 1:
            parts += [result[1:]]
        result = concatenate(parts, axis=0)
    result = result * out_sign
    if axis != 0:
        result = moveaxis(result, 0, axis)
    return _cast(result, dtype)


def _broad(x, shape):
    return broadcast_to(x, shape) if isinstance(x, Box) else np.broadcast_to(x, shape)


@implements(np.full)
def full(shape, fill_value, dtype=None, order="C", *, device=None, like=None):
    """``np.full``; a traced ``fill_value`` is broadcast (derivative: the sum over the array).
    Call it as ``funcad.numpy.full``: NumPy's own ``full`` cannot be intercepted."""
    if not isinstance(fill_value, Box):
        return np.full(shape, fill_value, dtype, order)
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (operator.index(shape),)
    dtype = dtype_of(fill_value) if dtype is None else np.dtype(dtype)
    return _cast(fill_value, dtype) + np.zeros(shape, dtype)


@implements(np.full_like)
def full_like(a, fill_value, dtype=None, order="K", subok=True, shape=None, *, device=None):
    """``np.full_like``: a constant unless ``fill_value`` is traced (then as :func:`full`)."""
    if not isinstance(fill_value, Box):
        return np.full_like(value_of(a), fill_value, dtype, order, subok, shape)
    av = value_of(a)
    return full(np.shape(av) if shape is None else shape, fill_value,
                np.result_type(av) if dtype is None else dtype)


@implements(np.copyto)
def copyto(dst, src, casting="same_kind", where=True):
    """Writing a traced value into an array (or into a traced one) cannot be differentiated."""
    raise TypeError(
        "np.copyto (also used inside np.full(shape, v) and np.full_like(a, v)) cannot write a "
        "traced value into an array: the copy would lose its derivative, and traced arrays are "
        "immutable. Use funcad.numpy.full(shape, v) / funcad.numpy.full_like(a, v), "
        "np.broadcast_to(v, shape), or the functional update funcad.numpy.at(x)[idx].set(v).")

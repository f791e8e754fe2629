"""Reductions: sum, mean, prod, max/min, var/std (with axis, keepdims, where, dtype)."""
from __future__ import annotations

import builtins
import math

import numpy as np

from ..core import value_of
from . import kinks
from .broadcast import (broadcast_p, core_shape, expand_reduced, keep_reduced, ndim_of, reshape_p,
                        shape_of, sum_p)
from .elementwise import _scale, is_complex, where_p
from .registry import deflinear, implements, primitive

_NOVALUE = np._NoValue


def norm_axis(axis, nd: int, name: str = "axis") -> tuple:
    """``axis`` (None, int or tuple) as a sorted tuple of negative axes of an ``nd``-dim array."""
    if axis is None:
        return tuple(range(-nd, 0))
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out = []
    for a in axes:
        a = int(a)
        if not -nd <= a < nd:
            raise np.exceptions.AxisError(f"{name} {a} is out of bounds for array of dimension {nd}")
        out.append(a - nd if a >= 0 else a)
    if len(set(out)) != len(out):
        raise ValueError(f"duplicate value in '{name}'")
    return tuple(sorted(out))


def kept_shape(shape: tuple, axis: tuple) -> tuple:
    s = list(shape)
    for a in axis:
        s[a] = 1
    return tuple(s)


def _check_out(out, name):
    if out is not None:
        raise NotImplementedError(
            f"{name}(..., out=...) is not supported on traced values: funcad never writes into "
            f"arrays. Use the returned value instead.")


# -- prod: zeros need the product of the others, not ans / x ----------------------------
def _prod(x, axis, ndim, keepdims):
    return np.prod(x, axis=axis, keepdims=keepdims)


prod_p = primitive(_prod, "prod")
SMALL_ENTRY = 1e-4   # an entry this much smaller than the largest takes the exact products
SQUARE_MAX = 1 << 22   # values: the exact products' n x n form up to this


def divides(x) -> bool:
    """Whether a product's partials may divide it by ``x`` (prod's ``ans / x``, cumprod's
    rules): no entry small beside the largest. Differentiated again, a quotient by ``x``
    cancels two terms of size ``ans / x**2``, all rounding where an x_i is near 0."""
    ax = np.abs(value_of(x))
    return bool(np.all(ax > SMALL_ENTRY * np.max(ax, initial=0)))


def _prod_partial(ans, x, axis, nd, keepdims):
    """d prod / d x_i = product of the other entries (exact at zeros too). ``ans / x``
    where no entry is small beside the largest: differentiated again, ``ans / x`` cancels
    two terms of size ``ans / x_i**2``, all rounding where an x_i is near 0 (the second
    derivative of ``prod(pinv(a))``, with an entry of 1e-18, was wrong by a factor of 2)."""
    if divides(x):
        return expand_reduced(ans, x, axis, nd, keepdims) / x
    # Move the reduced axes last and flatten them to n. Each entry's product of the others
    # is a product over an n x n array whose diagonal is 1 (exact to every order), or,
    # when those arrays would be too large, the running product before it times the one
    # after it: n values per slice, exact at first order, at higher orders as cumprod's
    # rules (a prod over 10^6 entries, one of them 0, needs no 10^12 values).
    from .manipulation import cumprod_p, flip_p
    from .shape import pad_axis_p, slice_axis_p, transpose_p
    xs = core_shape(x, nd)
    keep = [a for a in range(-nd, 0) if a not in axis]
    perm = tuple(a + nd for a in keep) + tuple(a + nd for a in axis)
    xt = transpose_p(x, perm)
    n = math.prod(xs[a] for a in axis)
    outer = tuple(xs[a] for a in keep)
    if math.prod(xs) * n <= SQUARE_MAX:
        xf = reshape_p(xt, outer + (1, n), nd)
        eye = np.eye(n, dtype=bool)
        square = where_p(eye, 1, broadcast_p(xf, outer + (n, n), len(outer) + 2))
        others = prod_p(square, (-1,), len(outer) + 2, False)
    else:
        xf = reshape_p(xt, outer + (n,), nd)
        i = np.arange(n)
        before = pad_axis_p(cumprod_p(slice_axis_p(xf, -1, 0, n - 1), -1), -1, 1, 0)
        after = flip_p(cumprod_p(flip_p(slice_axis_p(xf, -1, 1, n), (-1,)), -1), (-1,))
        others = where_p(i == 0, 1, before) * where_p(i == n - 1, 1, pad_axis_p(after, -1, 0, 1))
    back = reshape_p(others, outer + tuple(xs[a] for a in axis), len(outer) + 1)
    return transpose_p(back, tuple(np.argsort(perm)))


prod_p.vjps = (lambda g, ans, x, axis, nd, keepdims:
               _scale(expand_reduced(g, x, axis, nd, keepdims), _prod_partial(ans, x, axis, nd, keepdims)),)
prod_p.jvps = (lambda t, ans, x, axis, nd, keepdims:
               sum_p(t * _prod_partial(ans, x, axis, nd, keepdims), axis, nd, keepdims),)


# -- max / min: ties split evenly (torch's amax/amin) ----------------------------------
def _reduce_extreme(np_fn, name):
    p = primitive(lambda x, axis, ndim, keepdims: np_fn(x, axis=axis, keepdims=keepdims), name)

    def extreme(ans, x, axis, keepdims):
        return value_of(ans) if keepdims else np.reshape(value_of(ans), kept_shape(shape_of(x), axis))

    def weights(ans, x, axis, nd, keepdims):
        return kinks.tie_split(x, extreme(ans, x, axis, keepdims), axis)

    def vjp(g, ans, x, axis, nd, keepdims):
        # g / count where x ties for the extreme: the division on the reduced (small)
        # side, then one product with the booleans broadcasts it back to x's shape
        hit, count = kinks.ties(x, extreme(ans, x, axis, keepdims), axis)
        return keep_reduced(g, x, axis, nd, keepdims) / count * hit

    p.vjps = (vjp,)
    p.jvps = (lambda t, ans, x, axis, nd, keepdims:
              sum_p(t * weights(ans, x, axis, nd, keepdims), axis, nd, keepdims),)
    return p


# np.max's own ufunc reduction, without its Python wrapper (like sum_p's np.add.reduce)
max_p = _reduce_extreme(np.maximum.reduce, "max")
min_p = _reduce_extreme(np.minimum.reduce, "min")


# -- NumPy's signatures -----------------------------------------------------------------
def _prep(a, axis, dtype, out, where, name):
    _check_out(out, name)
    if dtype is not None:
        from .shape import astype
        a = astype(a, dtype)
    return a, norm_axis(axis, ndim_of(a))


def _accumulating(p, neutral, combine, name):
    """NumPy's sum/prod signature over primitive ``p`` (``where`` fills with ``neutral``,
    ``initial`` is combined at the end)."""
    def f(a, axis=None, dtype=None, out=None, keepdims=False, initial=_NOVALUE, where=_NOVALUE):
        a, ax = _prep(a, axis, dtype, out, where, name)
        if where is not _NOVALUE:
            a = where_p(where, a, neutral)
        r = p(a, ax, ndim_of(a), bool(keepdims))
        return r if initial is _NOVALUE else combine(r, initial)
    f.__name__ = name
    return f


sum = implements(np.sum)(_accumulating(sum_p, 0, lambda r, i: r + i, "sum"))
prod = implements(np.prod)(_accumulating(prod_p, 1, lambda r, i: r * i, "prod"))


@implements(np.mean)
def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=_NOVALUE):
    a, ax = _prep(a, axis, dtype, out, where, "mean")
    s = shape_of(a)
    if where is not _NOVALUE:
        w = np.broadcast_to(value_of(where), s)
        return sum(a, ax, keepdims=keepdims, where=w) / np.sum(w, axis=ax, keepdims=keepdims)
    n = math.prod(s[i] for i in ax)
    r = sum_p(a, ax, len(s), bool(keepdims))
    return r / n if n else r * np.nan


def _extreme(p, name):
    def f(a, axis=None, out=None, keepdims=False, initial=_NOVALUE, where=_NOVALUE):
        _check_out(out, name)
        if initial is not _NOVALUE or where is not _NOVALUE:
            raise NotImplementedError(f"{name}(..., initial=/where=) is not supported on traced values")
        if is_complex(a):
            raise NotImplementedError(f"{name} of complex values has no derivative (complex numbers "
                                      f"are not ordered); reduce np.abs(z) or np.real(z) instead")
        return p(a, norm_axis(axis, ndim_of(a)), ndim_of(a), bool(keepdims))
    f.__name__ = name
    return f


max = implements(np.max, np.amax)(_extreme(max_p, "max"))
min = implements(np.min, np.amin)(_extreme(min_p, "min"))


@implements(np.var)
def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE, mean=_NOVALUE, correction=_NOVALUE):
    _check_out(out, "var")
    if where is not _NOVALUE or mean is not _NOVALUE:
        raise NotImplementedError("var(..., where=/mean=) is not supported on traced values")
    if correction is not _NOVALUE:
        ddof = correction
    a, ax = _prep(a, axis, dtype, None, _NOVALUE, "var")
    s = shape_of(a)
    n = math.prod(s[i] for i in ax)
    c = a - sum_p(a, ax, len(s), True) / n
    sq = c * c if not np.iscomplexobj(value_of(a)) else (c * c.conj()).real
    return sum_p(sq, ax, len(s), bool(keepdims)) / builtins.max(n - ddof, 0)


@implements(np.std)
def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=_NOVALUE, mean=_NOVALUE, correction=_NOVALUE):
    from .ufuncs import sqrt
    return sqrt(var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction))

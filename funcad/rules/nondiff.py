"""Functions that pass through tracing without a derivative.

Two kinds, decided by what torch does:

* **No derivative at all** (``registry.nondiff``): boolean, integer and index results, and
  tests of values (``allclose``, ``all``, ``nonzero``, ``histogram``...). They run on the
  plain values; the result is a constant, not connected to the inputs.
* **Zero derivative** (:func:`zero_derivative`): float-valued, piecewise-constant functions
  (``round``/``around``, ``fix``). Torch keeps these connected to the graph with a zero
  gradient (like its ``floor``), so they are primitives whose rules return zeros: a
  Jacobian through them is an array of zeros, and torch's ``strict=True`` rule sees them as
  connected.

Deliberate choices, documented here once:

* ``unique``: its values are differentiable, as a gather. Where a value occurs more than
  once, the derivative is split evenly among the copies (the tie rule of ``max``/``min``
  in ``kinks``); the extra outputs (indices, inverse, counts) are integers. ``unique_values``
  likewise; ``unique_counts``/``unique_inverse``/``unique_all`` are not traced.
* ``histogram`` (and ``histogram_bin_edges``, ``histogram2d``, ``histogramdd``,
  ``bincount``, ``digitize``): no derivative; the bin edges are constants even though
  NumPy derives them from ``a``'s range. A traced ``weights`` (which the counts depend on
  linearly) raises NotImplementedError rather than silently dropping its derivative.
* ``numpy.random`` inside traced code: calls that take no traced arguments
  (``np.random.normal(size=x.shape)``, ``rng.standard_normal(x.shape)``) work as usual.
  A traced parameter (``np.random.normal(loc=x)``) raises ``TypeError`` (NumPy's random
  functions cannot be intercepted; converting the traced value to an array is refused so
  that its derivative is never dropped silently). Write the reparameterised form instead:
  ``loc + scale * np.random.standard_normal(shape)``.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core import Box, value_of
from .broadcast import dtype_of, ndim_of, shape_of
from .indexing import getitem_p, untake_p
from .registry import implements, nondiff, primitive


# -- zero derivative ----------------------------------------------------------------------
def _zeros(shape: tuple, ref) -> np.ndarray:
    return np.zeros(shape, dtype=dtype_of(ref))


def zero_derivative(np_func: Callable, name: str | None = None):
    """A primitive for a piecewise-constant float function: connected, derivative zero.

    Only its first argument is differentiable; the others are options (``decimals``...).
    """
    p = primitive(np_func, name or np_func.__name__)
    p.vjps = (lambda g, ans, x, *a, **k:
              _zeros(shape_of(g)[:ndim_of(g) - ndim_of(ans)] + shape_of(x), x),)
    p.jvps = (lambda t, ans, x, *a, **k:
              _zeros(shape_of(t)[:ndim_of(t) - ndim_of(x)] + shape_of(ans), ans),)
    return p


round_p = zero_derivative(np.round, "round")
fix_p = zero_derivative(np.fix, "fix")


@implements(np.round, np.around)
def round(a, decimals: int = 0, out=None):
    """``np.round``: zero derivative (torch's ``round``), values rounded half to even."""
    if out is not None:
        raise NotImplementedError("round(..., out=...) is not supported on traced values: funcad "
                                  "never writes into arrays. Use the returned value instead.")
    return round_p(a, int(decimals))


@implements(np.fix)
def fix(x, out=None):
    """``np.fix`` (round towards zero): zero derivative."""
    if out is not None:
        raise NotImplementedError("fix(..., out=...) is not supported on traced values: funcad "
                                  "never writes into arrays. Use the returned value instead.")
    return fix_p(x)


# -- no derivative: tests, indices, counts --------------------------------------------------
(allclose, isclose, all, any, argwhere, nonzero, flatnonzero, count_nonzero, isreal, iscomplex,
 isrealobj, iscomplexobj, array_equal, array_equiv, isin, isposinf, isneginf, isfortran,
 unique_counts, unique_inverse, unique_all) = (
    nondiff(f) for f in (np.allclose, np.isclose, np.all, np.any, np.argwhere, np.nonzero,
                         np.flatnonzero, np.count_nonzero, np.isreal, np.iscomplex, np.isrealobj,
                         np.iscomplexobj, np.array_equal, np.array_equiv, np.isin, np.isposinf,
                         np.isneginf, np.isfortran, np.unique_counts, np.unique_inverse,
                         np.unique_all))


def _refuse_traced_weights(name: str, weights) -> None:
    if isinstance(weights, Box):
        raise NotImplementedError(
            f"{name}(..., weights=w) with a traced w is not supported: the counts depend on "
            f"w and funcad has no derivative rule for them. Pass funcad.stop_gradient(w) if "
            f"a constant is what you want.")


def _histogram_like(np_func: Callable):
    def f(*args, **kwargs):
        _refuse_traced_weights(np_func.__name__, kwargs.get("weights"))
        return np_func(*[value_of(a) for a in args],
                       **{k: value_of(v) for k, v in kwargs.items()})
    f.__name__ = np_func.__name__
    f.__doc__ = f"``np.{np_func.__name__}`` on the plain values: no derivative (constants)."
    return implements(np_func)(f)


histogram, histogram_bin_edges, histogram2d, histogramdd, digitize = map(
    _histogram_like, (np.histogram, np.histogram_bin_edges, np.histogram2d, np.histogramdd,
                      np.digitize))


@implements(np.bincount)
def bincount(x, /, weights=None, minlength=0):
    """``np.bincount``: integer counts, no derivative; a traced ``weights`` is refused."""
    _refuse_traced_weights("bincount", weights)
    return np.bincount(value_of(x), weights=value_of(weights), minlength=minlength)


# -- unique: a gather, ties split evenly ----------------------------------------------------
def _unique_take(x, first, inverse, counts):
    return x[first]


unique_p = primitive(_unique_take, "unique")


def _unique_index(x, inverse) -> tuple:
    return (inverse,) + (slice(None),) * (ndim_of(x) - 1)


def _unique_counts(x, counts, of):
    """The copy counts shaped to broadcast against ``x``'s core axes (``of`` picks rows)."""
    c = counts[of].reshape((-1,) + (1,) * (ndim_of(x) - 1))
    return c.astype(dtype_of(x).type(0).real.dtype)


# Linear rules: forward, the mean over each value's copies; backward, its transpose.
unique_p.jvps = (lambda t, ans, x, first, inverse, counts: untake_p(
    t, _unique_index(x, inverse), shape_of(ans), ndim_of(x)) / _unique_counts(x, counts, slice(None)),)
unique_p.vjps = (lambda g, ans, x, first, inverse, counts: getitem_p(
    g, _unique_index(x, inverse), ndim_of(ans)) / _unique_counts(x, counts, inverse),)


@implements(np.unique)
def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, sorted=True):
    """``np.unique``; the unique values are differentiable: each value's derivative is the
    mean over its copies (a repeated value's derivative is split evenly among them).
    Indices, inverse and counts are integers."""
    from .shape import moveaxis, ravel
    v = value_of(ar)
    first, inverse, counts = np.unique(v, return_index=True, return_inverse=True,
                                       return_counts=True, axis=axis, equal_nan=equal_nan,
                                       sorted=sorted)[1:]
    if axis is None:
        u = unique_p(ravel(ar), first, np.ravel(inverse), counts)
    else:
        ax = int(axis) % max(np.ndim(v), 1)
        u = moveaxis(unique_p(moveaxis(ar, ax, 0), first, np.ravel(inverse), counts), 0, ax)
    extra = [r for r, want in ((first, return_index), (inverse, return_inverse),
                               (counts, return_counts)) if want]
    return tuple([u] + extra) if extra else u


@implements(np.unique_values)
def unique_values(x, /):
    """``np.unique_values``: differentiable like :func:`unique`."""
    return unique(x)

"""Functions that pass through tracing without a derivative.

Two kinds, decided by what torch does:

* **No derivative at all** (``registry.nondiff``): boolean, integer and index results, and
  tests of values (``allclose``, ``all``, ``nonzero``, ``digitize``...). They run on the
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
  ``bincount``, ``digitize``): no derivative in the samples; the bin edges are constants
  even though NumPy derives them from ``a``'s range. A traced ``weights`` is differentiable
  (torch's ``bincount`` is not; JAX's is): each bin holds the sum of its samples' weights, a
  scatter-add, linear in the weights (and with ``density=True`` divided by their total).
  The bins are NumPy's own: the edges come from NumPy, and a sample's bin is the edge
  interval holding it, the last one closed.
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


def _plain(np_func: Callable, args, kwargs):
    return np_func(*[value_of(a) for a in args], **{k: value_of(v) for k, v in kwargs.items()})


def _binned(np_func: Callable):
    """A function of samples with no derivative, run on the plain values."""
    def f(*args, **kwargs):
        return _plain(np_func, args, kwargs)
    f.__name__ = np_func.__name__
    f.__doc__ = f"``np.{np_func.__name__}`` on the plain values: no derivative (constants)."
    return implements(np_func)(f)


histogram_bin_edges, digitize = map(_binned, (np.histogram_bin_edges, np.digitize))


# -- weighted counts: the sums of the weights in each bin, linear in the weights ------------
def _bin_sums(weights, bins: np.ndarray, size: int, dtype):
    """``out[k]`` = the sum of the (ravelled) ``weights`` whose bin is ``k``, in ``dtype``: a
    scatter-add (``untake``), linear, so every order follows."""
    from .shape import astype, ravel
    return untake_p(astype(ravel(weights), dtype), (bins,), (size,), 1)


def _weighted_counts(sample: np.ndarray, edges: list, weights, dtype):
    """The sums of a traced ``weights`` over the bins of (N, D) ``sample`` given NumPy's
    ``edges``, each sample's bin along each axis found as ``np.histogramdd`` finds it
    (``edges[k] <= v < edges[k + 1]``, the last bin closed; the samples outside, NaN too,
    fall in two extra bins at the ends, which are dropped)."""
    from .shape import reshape
    nbin = np.array([len(e) + 1 for e in edges])
    index = []
    for i, e in enumerate(edges):
        k = np.searchsorted(e, sample[:, i], side="right")
        k[sample[:, i] == e[-1]] -= 1
        index.append(k)
    hist = _bin_sums(weights, np.ravel_multi_index(tuple(index), nbin), int(nbin.prod()), dtype)
    return getitem_p(reshape(hist, tuple(nbin)), (slice(1, -1),) * len(edges), len(edges))


def _density(hist, edges: list):
    """Counts divided by their total and by each bin's width (``density=True``)."""
    from .reductions import sum as sum_
    total = sum_(hist)
    for i, e in enumerate(edges):
        shape = [1] * len(edges)
        shape[i] = len(e) - 1
        hist = hist / np.diff(e).astype(float).reshape(shape)
    return hist / total


def _samples(sample) -> np.ndarray:
    """``sample`` as NumPy's histogramdd reads it: (N, D), or a sequence of D arrays."""
    s = [value_of(c) for c in sample] if isinstance(sample, (list, tuple)) else value_of(sample)
    return s if isinstance(s, np.ndarray) and s.ndim == 2 else np.atleast_2d(s).T


@implements(np.bincount)
def bincount(x, /, weights=None, minlength=0):
    """``np.bincount``: integer counts, no derivative; with a traced ``weights``, the float64
    sums of the weights in each bin, differentiable in the weights."""
    xv = value_of(x)
    out = np.bincount(xv, weights=value_of(weights), minlength=minlength)   # NumPy's checks
    if not isinstance(weights, Box):
        return out
    return _bin_sums(weights, np.asarray(xv, dtype=np.intp), out.shape[0], np.float64)


@implements(np.histogram)
def histogram(a, bins=10, range=None, density=None, weights=None):
    """``np.histogram``: constant counts and edges; with a traced ``weights`` the counts are
    the sums of the weights in each bin (with ``density``, divided by their total and the
    bin widths), differentiable in the weights. The edges are constants."""
    out, edges = _plain(np.histogram, (a,), dict(bins=bins, range=range, density=density, weights=weights))
    if not isinstance(weights, Box):
        return out, edges
    from .shape import astype
    dt = dtype_of(weights)    # NumPy sums in float64 (complex128), then casts back
    hist = _weighted_counts(np.ravel(value_of(a))[:, None], [edges], weights, np.result_type(dt, np.float64))
    hist = astype(hist, dt)
    return (_density(hist, [edges]) if density else hist), edges


@implements(np.histogramdd)
def histogramdd(sample, bins=10, range=None, density=None, weights=None):
    """``np.histogramdd``: as :func:`histogram` (float64 counts), differentiable in a traced
    ``weights``."""
    sample = _samples(sample)
    out, edges = _plain(np.histogramdd, (sample,), dict(bins=bins, range=range, density=density, weights=weights))
    if not isinstance(weights, Box):
        return out, edges
    hist = _weighted_counts(sample, edges, weights, np.float64)
    return (_density(hist, edges) if density else hist), edges


@implements(np.histogram2d)
def histogram2d(x, y, bins=10, range=None, density=None, weights=None):
    """``np.histogram2d``: as :func:`histogramdd` of the samples ``[x, y]``."""
    out, xedges, yedges = _plain(np.histogram2d, (x, y), dict(bins=bins, range=range, density=density,
                                                              weights=weights))
    if not isinstance(weights, Box):
        return out, xedges, yedges
    hist = _weighted_counts(_samples([x, y]), [xedges, yedges], weights, np.float64)
    return (_density(hist, [xedges, yedges]) if density else hist), xedges, yedges


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

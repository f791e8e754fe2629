"""Sorting: ``sort`` and ``partition`` are gathers, their index functions have no derivative.

The permutation is read from the plain values and applied to the traced array with the
batch-polymorphic ``getitem_p``; its transpose scatters the cotangent back. At ties each
output takes the derivative of the one input the (stable) permutation puts there, as
torch's ``sort`` does.
"""
from __future__ import annotations

import numpy as np

from ..core import value_of
from .broadcast import ndim_of, shape_of
from .indexing import getitem_p
from .reductions import norm_axis
from .registry import implements, nondiff

argsort, argpartition, argmax, argmin, searchsorted = (
    nondiff(f) for f in (np.argsort, np.argpartition, np.argmax, np.argmin, np.searchsorted))


@implements(np.lexsort)
def lexsort(keys, axis=-1):
    """``np.lexsort`` on the plain values (integer result, no derivative)."""
    return np.lexsort(tuple(value_of(k) for k in keys) if isinstance(keys, (tuple, list))
                      else value_of(keys), axis=axis)


def take_along(x, idx: np.ndarray, axis: int):
    """``np.take_along_axis(x, idx, axis)`` for a traced ``x`` and a constant integer ``idx``
    (``idx`` has ``x``'s rank; along the other axes it matches ``x`` or is 1)."""
    nd = ndim_of(x)
    axis %= nd
    full = tuple(idx if d == axis else
                 np.arange(shape_of(x)[d]).reshape([-1 if e == d else 1 for e in range(nd)])
                 for d in range(nd))
    return getitem_p(x, full, nd)


def _flat_axis(a, axis):
    """``(a, axis)`` with ``axis=None`` meaning "the flattened array"."""
    if axis is None:
        from .shape import ravel
        return ravel(a), -1
    return a, norm_axis(axis, ndim_of(a))[0]


def _no_order(order, name):
    if order is not None:
        raise NotImplementedError(f"{name}(..., order=...) (structured arrays) is not supported "
                                  f"on traced values")


@implements(np.sort)
def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    """``np.sort``; ``kind`` and ``stable`` are accepted (all give the same values)."""
    _no_order(order, "sort")
    a, axis = _flat_axis(a, axis)
    return take_along(a, np.argsort(value_of(a), axis=axis, kind="stable"), axis)


@implements(np.partition)
def partition(a, kth, axis=-1, kind="introselect", order=None):
    """``np.partition``, with exactly NumPy's output order: NumPy partitions the values,
    and the permutation that produces that output is recovered by matching sorted ranks."""
    _no_order(order, "partition")
    a, axis = _flat_axis(a, axis)
    v = value_of(a)
    out = np.partition(v, kth, axis=axis, kind=kind)
    perm = np.empty(v.shape, dtype=np.intp)
    np.put_along_axis(perm, np.argsort(out, axis=axis, kind="stable"),
                      np.argsort(v, axis=axis, kind="stable"), axis=axis)
    return take_along(a, perm, axis)

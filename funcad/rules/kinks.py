"""Derivatives at non-differentiable points: torch's conventions, decided here once.

| function | at | derivative |
|---|---|---|
| abs, fabs | 0 | 0 |
| maximum, minimum | ties | 0.5 to each argument |
| fmax, fmin | ties | all to the first argument (NaN: to the other) |
| max, min, amax, amin (reductions) | ties | split evenly among the tied entries |
| clip | at a bound | 1 (the bound is inside the interval) |
| x ** y w.r.t. x | y == 0 | 0 |
| x ** y w.r.t. y | x == 0, y >= 0 | 0 |
| sqrt | 0 | inf |
| norm | 0 | 0 |
"""
from __future__ import annotations

import numpy as np

from ..core import value_of


def _dtype(*xs):
    return np.result_type(*[value_of(x) for x in xs])


def abs_derivative(x):
    """sign(x): abs'(0) = 0."""
    return np.sign(value_of(x))


def pick_first(x, y, cmp):
    """1 where ``cmp(x, y)``, 0.5 at ties, 0 elsewhere (maximum/minimum's partial in x)."""
    xv, yv = value_of(x), value_of(y)
    d = np.where(cmp(xv, yv), 1.0, np.where(xv == yv, 0.5, 0.0))
    return d.astype(_dtype(x, y), copy=False)


def fmax_first(x, y, cmp_eq):
    """fmax/fmin's partial in ``x``: 1 where ``x`` wins or ties (``cmp_eq`` is >= or <=), or
    where ``y`` is NaN (torch's fmax/fmin)."""
    xv, yv = value_of(x), value_of(y)
    return (cmp_eq(xv, yv) | np.isnan(yv)).astype(_dtype(x, y), copy=False)


def tie_split(x, m, axis):
    """The max/min reduction's partial: 1 at the entries of ``x`` equal to the extreme ``m``
    (reduced over ``axis``, kept with keepdims), divided by how many tie (torch's amax)."""
    xv = value_of(x)
    hit = (xv == value_of(m)).astype(xv.dtype)
    return hit / np.sum(hit, axis=axis, keepdims=True)


def power_dbase(x, y):
    from .elementwise import where_p
    from .ufuncs import power
    if isinstance(y, (int, float)) and not isinstance(y, bool):
        return y * power(x, y - 1) if y != 0 else np.zeros_like(value_of(x))
    return where_p(y == 0, 0, y * power(x, y - 1))


def power_dexponent(ans, x, y):
    from .elementwise import where_p
    from .ufuncs import log
    return where_p((x == 0) & (y >= 0), 0, ans * log(x))

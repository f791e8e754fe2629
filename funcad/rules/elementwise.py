"""Rules for elementwise functions from their partial derivatives.

An elementwise primitive needs one thing per argument: its partial derivative ``d(ans,
*args)``. Then ``jvp = t * d`` and ``vjp = g * conj(d)`` (torch's convention for complex
values), with broadcasting between arguments handled here once: tangents are aligned to
the answer's rank, cotangents are summed back to the argument's shape (``unbroadcast``).
``ONE`` and ``NEG`` mark partials of exactly 1 and -1 (no multiplication is done).
"""
from __future__ import annotations

import numpy as np

from ..core import value_of
from .broadcast import align, fit, ndim_of, shape_of, unbroadcast
from .registry import UFUNCS, deflinear, primitive

ONE = "one"
NEG = "neg"
ZERO = "zero"   # a piecewise-constant function (floor, sign...): connected, derivative zero


class mask:
    """A partial that is 1 where ``fn(ans, *args)`` holds and 0 elsewhere; applied as a
    selection (``where(m, g, 0)``), so an inf or NaN elsewhere in ``g`` does not leak."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def is_complex(x) -> bool:
    if type(x) is float:   # the common constant partial, decided without a lookup
        return False
    v = value_of(x)
    dt = getattr(v, "dtype", None)
    return dt.kind == "c" if dt is not None else isinstance(v, complex)


def _same_shape(x, ans) -> bool:
    """True when ``x`` was not broadcast: no alignment or reduction is needed (fast path;
    ndarrays and NumPy scalars answer ``.shape`` without a conversion)."""
    return getattr(x, "shape", ()) == getattr(ans, "shape", ())


conj_p = primitive(np.conjugate, "conjugate")
deflinear(conj_p, lambda g, ans, x: conj_p(g))
UFUNCS[np.conjugate] = conj_p


def _scale(g, d):
    return g * (conj_p(d) if is_complex(d) else d)


def _apply(g, d, ans, args):
    if d is ONE:
        return g
    if d is NEG:
        return -g
    if type(d) is mask:
        return where_p(d.fn(ans, *args), g, 0)
    return None


def _zeros(v, ans, x):
    """The derivative of a piecewise-constant function: zeros shaped like ``v`` (as torch)."""
    return np.zeros(shape_of(v), np.result_type(value_of(v)))


def _vjp(i, d):
    def vjp(g, ans, *args):
        c = _apply(g, d, ans, args)
        if c is None:
            c = _scale(g, d(ans, *args))
        if _same_shape(args[i], ans):
            return c
        return unbroadcast(c, shape_of(args[i]), ndim_of(g) - ndim_of(ans))
    return vjp


def _jvp(i, d):
    def jvp(t, ans, *args):
        same = _same_shape(args[i], ans)
        if not same:
            t, nb = align(t, args[i], ans)
        c = _apply(t, d, ans, args)
        if c is None:
            c = t * d(ans, *args)
        return c if same else fit(c, ans, nb)
    return jvp


def defelementwise(prim, *partials):
    """Give an elementwise primitive its rules from its partials (``None``: no derivative)."""
    if partials == (ZERO,):
        prim.vjps = prim.jvps = (_zeros,)
        return prim
    if len(partials) == 1 and callable(partials[0]) and type(partials[0]) is not mask:
        d = partials[0]    # one argument: no broadcasting to undo
        prim.vjps = (lambda g, ans, x: _scale(g, d(ans, x)),)
        prim.jvps = (lambda t, ans, x: t * d(ans, x),)
        return prim
    prim.vjps = tuple(None if d is None else _vjp(i, d) for i, d in enumerate(partials))
    prim.jvps = tuple(None if d is None else _jvp(i, d) for i, d in enumerate(partials))
    return prim


def ufunc(uf, name: str | None = None):
    """The primitive tracing NumPy ufunc ``uf`` (rules are given with defelementwise)."""
    p = primitive(uf, name or uf.__name__)
    UFUNCS[uf] = p
    return p


where_p = primitive(np.where, "where")
defelementwise(where_p, None, mask(lambda ans, c, x, y: c), mask(lambda ans, c, x, y: ~c))

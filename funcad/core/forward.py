"""Forward mode: dual numbers.

A :class:`Dual` carries a primal value and its tangent. The tangent has the primal's
shape, or that shape behind leading *batch* axes (one per direction pushed at once); every
rule works on the trailing axes, so a whole Jacobian is one forward sweep. ``None`` is a
symbolic zero tangent: an answer whose tangent is zero is not boxed at all.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .trace import _NO_KWARGS, Box, Trace, top_trace

__all__ = ["Dual", "JVPTrace", "add_tangents", "push_tangents"]


def add_tangents(a, b):
    """Sum two tangents (or cotangents); ``None`` is zero, tuples add entrywise."""
    if a is None:
        return b
    if b is None:
        return a
    if type(a) is tuple:
        return tuple(add_tangents(x, y) for x, y in zip(a, b))
    return a + b


class JVPTrace(Trace):
    """Push tangents through each primitive with its JVP rules: its ``jvp_all`` given every
    argument's tangent (``None`` where an argument is not this trace's), or else its
    per-argument rules."""

    __slots__ = ()

    def box(self, prim, ans, vals, kwargs, args):
        ts = [a._t if isinstance(a, Box) and a._trace is self else None for a in args]
        out = push_tangents(prim, ts, ans, vals, kwargs)
        if out is None:
            return ans
        if prim.multiple_results:
            return tuple(a if t is None else Dual._new(self, a, t) for a, t in zip(ans, out))
        return Dual._new(self, ans, out)

    # Unary ufuncs and binary operators (single-result primitives), the bulk of scalar
    # code, skip the general path's lists and loops when the primitive has a joint rule: a
    # third less per operation (measured on benchmark W1's scalar chain). The Dual is built
    # inline: a helper call would cost 5% of an operation.
    def process1(self, prim, x, path=0):
        joint = prim.jvp_all
        if joint is None:
            return self.process(prim, (x,), _NO_KWARGS)
        v = x._p
        ans = prim(v) if isinstance(v, Box) else prim.impl(v)
        out = joint((x._t,), ans, v)
        if out is None:
            return ans
        d = _new_dual(Dual)
        d._trace = self
        d._p = ans
        d._t = out
        return d

    def process2(self, prim, x, y):
        joint = prim.jvp_all
        if joint is None:
            return self.process(prim, (x, y), _NO_KWARGS)
        tx = ty = None
        lower = False
        if isinstance(x, Box):
            if x._trace is self:
                tx = x._t
                x = x._p
                lower = isinstance(x, Box)
            else:
                lower = True
        if isinstance(y, Box):
            if y._trace is self:
                ty = y._t
                y = y._p
                if isinstance(y, Box):
                    lower = True
            else:
                lower = True
        ans = prim(x, y) if lower else prim.impl(x, y)
        out = joint((tx, ty), ans, x, y)
        if out is None:
            return ans
        d = _new_dual(Dual)
        d._trace = self
        d._p = ans
        d._t = out
        return d


_new_dual = object.__new__


def push_tangents(prim, ts, ans, vals, kwargs):
    """The tangent of ``prim``'s answer given each argument's tangent ``ts`` (``None`` where
    zero): its joint rule ``jvp_all``, or the sum of its per-argument rules."""
    if prim.jvp_all is not None:
        return prim.jvp_all(ts, ans, *vals, **kwargs) if kwargs else prim.jvp_all(ts, ans, *vals)
    out = None
    jvps = prim.jvps
    i = 0
    for t in ts:
        if t is not None:
            try:
                rule = jvps[i]
            except (TypeError, IndexError):
                rule = prim.rule(jvps, i, "forward-mode")
            if rule is not None:
                c = rule(t, ans, *vals, **kwargs) if kwargs else rule(t, ans, *vals)
                if c is not None:
                    out = c if out is None else add_tangents(out, c)
        i += 1
    return out


_USER_ROOT = None


def _user_trace(primal, tangent) -> JVPTrace:
    """The trace a user-built Dual joins: one shared trace per nesting depth, so that
    ``Dual(2, 1) * Dual(3, 0)`` is flat while ``Dual(Dual(2, 1), 1)`` nests."""
    global _USER_ROOT
    parent = top_trace((primal, tangent))
    if parent is None:
        if _USER_ROOT is None:
            _USER_ROOT = JVPTrace()
        return _USER_ROOT
    child = parent._dual_child
    if child is None:
        child = parent._dual_child = JVPTrace()
    return child


def _as_value(x, what: str):
    if isinstance(x, Box) or isinstance(x, np.ndarray):
        return x
    a = np.asarray(x)
    if a.dtype.kind in "biu":
        a = a.astype(np.float64)
    if a.dtype.kind not in "fc":
        raise TypeError(f"Dual {what} must be a number or an array of floats, got {type(x).__name__}")
    return a


class Dual(Box):
    """A forward-mode dual number ``primal + tangent * ε`` (``ε² = 0``).

    >>> import numpy as np, funcad
    >>> d = np.sin(funcad.Dual(2.0, 1.0))
    >>> bool(np.isclose(d.tangent, np.cos(2.0)))
    True

    The tangent may carry leading batch axes (one per direction). A Dual of Duals nests,
    giving second derivatives: ``Dual(Dual(x, 1), Dual(1, 0))``.
    """

    __slots__ = ("_t",)

    def __init__(self, primal: Any, tangent: Any):
        primal = _as_value(primal, "primal")
        tangent = _as_value(tangent, "tangent")
        ps, ts = np.shape(primal), np.shape(tangent)
        if ts != ps and ts[len(ts) - len(ps):] != ps:
            raise ValueError(
                f"Dual tangent must have the primal's shape {ps} or that shape behind leading "
                f"batch axes, got shape {ts}")
        self._trace = _user_trace(primal, tangent)
        self._p = primal
        self._t = tangent

    @classmethod
    def _new(cls, trace, primal, tangent):
        d = object.__new__(cls)
        d._trace = trace
        d._p = primal
        d._t = tangent
        return d

    @property
    def primal(self):
        """The value."""
        return self._p

    @property
    def tangent(self):
        """The directional derivative (with any leading batch axes)."""
        return self._t

    def __repr__(self) -> str:
        return f"Dual(primal={self._p!r}, tangent={self._t!r})"

"""Forward mode: dual numbers.

A :class:`Dual` carries a primal value and its tangent. The tangent has the primal's
shape, or that shape behind leading *batch* axes (one per direction pushed at once); every
rule works on the trailing axes, so a whole Jacobian is one forward sweep. ``None`` is a
symbolic zero tangent: an answer whose tangent is zero is not boxed at all.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .trace import Box, Trace, top_trace

__all__ = ["Dual", "JVPTrace", "add_tangents"]


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
    """Push tangents through each primitive with its JVP rules."""

    __slots__ = ()

    def box(self, prim, ans, vals, kwargs, args):
        if prim.jvp_all is not None:
            return self._duals(prim, ans, joint_jvp(prim, self, args, ans, vals, kwargs))
        jvps = prim.jvps
        out = None
        i = 0
        for a in args:
            if isinstance(a, Box) and a._trace is self:
                try:
                    rule = jvps[i]
                except (TypeError, IndexError):
                    rule = prim.rule(jvps, i, "forward-mode")
                if rule is not None:
                    c = rule(a._t, ans, *vals, **kwargs)
                    if c is not None:
                        out = c if out is None else add_tangents(out, c)
            i += 1
        if out is None:
            return ans
        if prim.multiple_results:
            return self._duals(prim, ans, out)
        d = _new_dual(Dual)
        d._trace = self
        d._p = ans
        d._t = out
        return d

    def _duals(self, prim, ans, out):
        if out is None:
            return ans
        if prim.multiple_results:
            return tuple(a if t is None else Dual._new(self, a, t) for a, t in zip(ans, out))
        return Dual._new(self, ans, out)


_new_dual = object.__new__


def joint_jvp(prim, trace, args, ans, vals, kwargs, tangent=lambda box: box._t):
    """Call ``prim.jvp_all`` with one tangent slot per argument (``None`` where zero): the
    tangent (read by ``tangent``) of each of ``trace``'s boxes in ``args``."""
    tl = [tangent(a) if isinstance(a, Box) and a._trace is trace else None for a in args]
    return prim.jvp_all(tl, ans, *vals, **kwargs)


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

"""The issue's floor for W1 and W7: the least a reverse-mode tracer written in Python does.

A value class with ``__array_ufunc__`` records (ufunc, inputs, values, output) on a list;
the backward pass walks the list once in reverse, calling one rule per input. It knows only
the chain's three ufuncs, does no checks, keeps no cotangent buffers, and pauses Python's
garbage collector while it runs (as funcad does). Timed beside funcad in the same run, it
shows how a long graph's cost per op grows on this machine with no tracer's design in it:
the memory the graph occupies outgrowing the caches.
"""
from __future__ import annotations

import gc

import numpy as np


class Traced:
    __slots__ = ("value", "g")

    def __init__(self, value):
        self.value, self.g = value, None

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        vals = [a.value if type(a) is Traced else a for a in inputs]
        out = Traced(ufunc(*vals))
        _tape.append((ufunc, inputs, vals, out))
        return out

    def __mul__(self, other):
        return np.multiply(self, other)

    def __rmul__(self, other):
        return np.multiply(other, self)

    def __add__(self, other):
        return np.add(self, other)


_tape: list = []
_VJPS = {
    np.sin: lambda g, vals, i: g * np.cos(vals[0]),
    np.multiply: lambda g, vals, i: g * vals[1 - i],
    np.add: lambda g, vals, i: g,
}


def grad(f, x):
    """d f / d x for a scalar ``f`` built from ``sin``, ``*`` and ``+``."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        _tape.clear()
        leaf = Traced(x)
        y = f(leaf)
        y.g = np.ones_like(y.value)
        for ufunc, inputs, vals, out in reversed(_tape):
            g = out.g
            if g is None:
                continue
            rule = _VJPS[ufunc]
            for i, a in enumerate(inputs):
                if type(a) is Traced:
                    c = rule(g, vals, i)
                    a.g = c if a.g is None else a.g + c
        return leaf.g
    finally:
        _tape.clear()
        if was_on:
            gc.enable()

"""How rules are declared, and the dispatch tables NumPy's protocols read.

``UFUNCS`` maps a NumPy ufunc to the primitive that traces it; ``FUNCTIONS`` maps a NumPy
function to funcad's implementation with NumPy's signature (``__array_function__``);
``NONDIFF`` lists NumPy functions that run on plain values with zero derivative.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..core import ArgnumRules, NondiffPrimitive, Primitive, value_of

UFUNCS: dict = {}
FUNCTIONS: dict = {}


def primitive(impl: Callable, name: str | None = None, *, multiple_results: bool = False) -> Primitive:
    return Primitive(impl, name, multiple_results=multiple_results)


def defvjp(prim: Primitive, *rules) -> Primitive:
    """Set the reverse-mode rules of ``prim``: ``rule(g, ans, *args, **kw)`` per argument."""
    prim.vjps = tuple(rules)
    return prim


def defjvp(prim: Primitive, *rules) -> Primitive:
    """Set the forward-mode rules of ``prim``: ``rule(t, ans, *args, **kw)`` per argument
    (they replace a joint rule ``jvp_all`` the primitive had)."""
    prim.jvps = tuple(rules)
    prim.jvp_all = None
    return prim


def defreads(prim: Primitive, *per_argument) -> Primitive:
    """Declare which values ``prim``'s current rules read, besides shapes and dtypes: per
    argument position, ``(reads_ans, positions_of_arguments_read)`` for the rules of that
    argument (``None``: anything). Reverse mode then lets a large temporary that no rule
    reads lend its buffer to the next answer (``core.reverse.reuse``). Replacing the rules
    voids the declaration."""
    prim.reads = (prim.vjps, prim.jvps, prim.jvp_all,
                  tuple(None if r is None else (bool(r[0]), frozenset(r[1])) for r in per_argument))
    return prim


def defvjp_argnum(prim: Primitive, fn: Callable) -> Primitive:
    """One reverse rule ``fn(i, g, ans, *args, **kw)`` for every argument position."""
    prim.vjps = ArgnumRules(fn)
    return prim


def defjvp_argnum(prim: Primitive, fn: Callable) -> Primitive:
    """One forward rule ``fn(i, t, ans, *args, **kw)`` for every argument position."""
    prim.jvps = ArgnumRules(fn)
    return prim


def deflinear(prim: Primitive, *transposes) -> Primitive:
    """Declare ``prim`` linear in each argument that has a transpose.

    Its JVP is the primitive itself applied to the tangent (in place of that argument),
    its VJP is the given transpose ``vjp(g, ans, *args, **kw)``. Every primitive works on
    trailing axes, so the tangent may carry leading batch axes.
    """
    def jvp_of(i):
        def jvp(t, ans, *args, **kw):
            a = list(args)
            a[i] = t
            return prim(*a, **kw)
        return jvp
    prim.jvps = tuple(None if tr is None else jvp_of(i) for i, tr in enumerate(transposes))
    prim.vjps = tuple(transposes)
    return prim


def implements(*np_funcs):
    """Register a funcad function as the implementation of NumPy functions under tracing."""
    def register(fn):
        for f in np_funcs:
            FUNCTIONS[f] = fn
        return fn
    return register


def nondiff(np_func: Callable, name: str | None = None) -> NondiffPrimitive:
    """A NumPy function with no derivative (integer/boolean results): runs on values."""
    p = NondiffPrimitive(np_func, name or getattr(np_func, "__name__", None))
    FUNCTIONS[np_func] = p
    return p


def export(namespace: dict, module) -> None:
    """Fill a funcad namespace with the implementation of every function of ``module``
    (e.g. ``numpy.linalg``) that has one; other names fall through to ``module``."""
    for name in dir(module):
        if name.startswith("_"):
            continue
        obj = getattr(module, name)
        try:
            impl = FUNCTIONS.get(obj) or UFUNCS.get(obj)
        except TypeError:   # unhashable attribute
            continue
        if impl is not None and name not in namespace:
            namespace[name] = impl

"""Boxes, traces and primitives: the mode-agnostic tracer.

A transform opens a *trace* with a fresh, ever-increasing level and wraps the values it
follows in *boxes* of that trace. A primitive called with boxes among its arguments hands
the call to the trace of the highest level present (the innermost transform). That trace
unboxes its own boxes, calls the primitive again one level down (where outer traces may
see boxes of their own), and boxes the answer with what its mode needs: a tangent in
forward mode, a graph node in reverse mode. Boxes of lower levels pass through untouched,
which is why nested transforms never confuse their perturbations.

Nothing here knows NumPy's functions or either mode's arithmetic.
"""
from __future__ import annotations

import itertools
from typing import Any, Callable

__all__ = ["Trace", "Box", "Primitive", "NondiffPrimitive", "top_trace", "value_of"]

_next_level = itertools.count(1).__next__   # atomic under the GIL: thread-safe levels


class Trace:
    """One transform's view of the computation; subclasses say how to box an answer."""

    __slots__ = ("level", "_dual_child")

    def __init__(self) -> None:
        self.level = _next_level()
        self._dual_child = None

    def process(self, prim: "Primitive", args: tuple, kwargs: dict) -> Any:
        """Unbox this trace's arguments, run the primitive one level down, and let the mode
        box the answer (``box``). The mode gets the unboxed values and ``args`` as given:
        this trace's boxes in ``args`` are the answer's parents."""
        vals = list(args)
        lower = False   # a traced value of an outer transform left among the arguments?
        i = 0
        for a in args:
            if isinstance(a, Box):
                if a._trace is self:
                    v = vals[i] = a._p
                    if isinstance(v, Box):
                        lower = True
                    elif v is None:   # released when its transform returned: the mode says so
                        return self.box(prim, None, vals, kwargs, args)
                else:
                    lower = True
            i += 1
        ans = prim(*vals, **kwargs) if lower else prim.impl(*vals, **kwargs)
        return self.box(prim, ans, vals, kwargs, args)

    def process1(self, prim: "Primitive", x: Any, path: int = 0) -> Any:
        """``prim(x)`` for this trace's box ``x``: the entry point of unary ufuncs (``path``
        0) and unary operators (1). A mode may override it (and ``process2``) with a path
        cheaper than the general one."""
        return self.process(prim, (x,), _NO_KWARGS)

    def process2(self, prim: "Primitive", x: Any, y: Any) -> Any:
        """``prim(x, y)``, this trace the innermost of the two: the binary operators'."""
        return self.process(prim, (x, y), _NO_KWARGS)

    def box(self, prim: "Primitive", ans, vals: list, kwargs: dict, args: tuple) -> Any:
        raise NotImplementedError  # pragma: no cover - every mode overrides it


_NO_KWARGS: dict = {}   # never mutated: primitives and rules receive **kwargs copies


class Box:
    """A value followed by a trace. ``_p`` is the value one level down."""

    __slots__ = ("_trace", "_p")
    # NumPy defers binary operators to us rather than coercing us to an array.
    __array_priority__ = 1000.0


def top_trace(values) -> Trace | None:
    """The innermost trace among ``values`` (None when nothing is traced)."""
    top = None
    for a in values:
        if isinstance(a, Box):
            t = a._trace
            if top is None or t.level > top.level:
                top = t
    return top


def value_of(x: Any) -> Any:
    """Strip every level of boxing: the plain value underneath."""
    while isinstance(x, Box):
        x = x._p
    return x


class Primitive:
    """A function the tracer treats as atomic; its derivative rules live on it.

    ``vjps[i](g, ans, *args, **kw)`` gives the cotangent of positional argument ``i``;
    ``jvps[i](t, ans, *args, **kw)`` gives argument ``i``'s contribution to the output
    tangent. A rule of ``None`` marks the argument as not differentiable; a missing table
    (never defined) raises ``NotImplementedError`` when that mode reaches the primitive.
    ``multiple_results`` primitives return a tuple; their rules take and give tuples
    (with ``None`` for a symbolic zero). ``jvp_all(tangents, ans, *args, **kw)``, when set,
    replaces the per-argument forward rules with one call given the sequence of tangents
    (``None`` where zero): for primitives of many arguments, such as ``concatenate``, where
    summing per-argument contributions would cost a full-size array each, and for the
    elementwise ones, where one call costs less than a loop over their rules.

    Two optional facts let reverse mode write an answer into a temporary's buffer, as
    NumPy's own evaluation does: ``reads``, ``(vjps, jvps, jvp_all, per_argument)`` where
    ``per_argument[i]`` is ``(reads_ans, positions_read)``, the values argument ``i``'s rules
    read (their shapes and dtypes aside; ``None``: any), valid while those three rules are
    the ones given; and ``into(vals, k)``, which
    computes the answer into ``vals[k]`` and returns it, or returns ``None`` when the
    answer would not fit there.
    """

    __slots__ = ("name", "impl", "vjps", "jvps", "jvp_all", "multiple_results", "reads", "into",
                 "__dict__")

    def __init__(self, impl: Callable, name: str | None = None, *, multiple_results: bool = False):
        self.impl = impl
        self.name = name or getattr(impl, "__name__", "primitive")
        self.vjps = None
        self.jvps = None
        self.jvp_all = None   # optional: one forward rule taking every argument's tangent
        self.multiple_results = multiple_results
        self.reads = self.into = None   # optional: see the class docstring
        self.__doc__ = getattr(impl, "__doc__", None)
        self.__wrapped__ = impl

    @property
    def __name__(self) -> str:
        return self.name

    def __call__(self, *args, **kwargs):
        top = None
        for a in args:
            if isinstance(a, Box):
                t = a._trace
                if top is None or t.level > top.level:
                    top = t
        if top is None:
            return self.impl(*args, **kwargs)
        return top.process(self, args, kwargs)

    def rule(self, table, i: int, mode: str):
        """Rule ``i`` of ``table`` (slow path: only for errors and arg-number rules)."""
        if table is None:
            raise NotImplementedError(
                f"funcad has no {mode} rule for {self.name!r}. Define one with "
                f"funcad.def{'vjp' if mode == 'reverse-mode' else 'jvp'}({self.name}, ...), "
                f"or use the other mode.")
        try:
            return table[i]
        except IndexError:
            raise NotImplementedError(
                f"{self.name!r} has {mode} rules for {len(table)} positional argument(s) but "
                f"was called with a traced argument at position {i}; add a rule for it.") from None

    def __repr__(self) -> str:
        return f"<funcad primitive {self.name}>"


class NondiffPrimitive(Primitive):
    """A function whose result carries no derivative (integers, booleans, comparisons).

    It runs on plain values at once, whatever the traces: zero derivative in every mode.
    """

    __slots__ = ()

    def __call__(self, *args, **kwargs):
        return self.impl(*[value_of(a) for a in args], **kwargs)


class ArgnumRules:
    """A rule table for primitives with any number of arguments (``concatenate(*xs)``):
    ``fn(i, g, ans, *args, **kw)`` serves every position ``i``."""

    __slots__ = ("fn", "_cache")

    def __init__(self, fn: Callable):
        self.fn = fn
        self._cache: dict = {}

    def __getitem__(self, i: int):
        r = self._cache.get(i)
        if r is None:
            fn = self.fn
            r = self._cache[i] = lambda g, ans, *args, **kw: fn(i, g, ans, *args, **kw)
        return r

    def __len__(self) -> int:  # pragma: no cover - only for messages
        return 1 << 30

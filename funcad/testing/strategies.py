"""Hypothesis strategies for gradient tests: arrays in a domain, and random programs.

Test your own function in three lines::

    from hypothesis import given
    from funcad.testing import check_grads
    from funcad.testing.strategies import arrays, positive

    @given(arrays(shape=(3,), domain=positive))
    def test_my_function(x):
        check_grads(my_function, (x,))

And funcad itself, with random programs built from its rules::

    @given(programs())
    def test_programs(p):
        check_grads(p, p.args)

Domains (``real``, ``positive``, ``unit_interval``, ``open_unit``, ``away_from(c)``,
``finite(scale)``, ``interval(lo, hi)``) are described in :mod:`funcad.testing.domains`.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
from hypothesis import assume, strategies as st
from hypothesis.extra import numpy as hnp

from . import optable
from .domains import (Domain, away_from, finite, greater_than, interval, open_unit, positive, real,
                      unit_interval)
from .optable import Op
from .programs import Program, namespace

__all__ = ["arrays", "scalars", "shapes", "broadcastable_shapes", "programs", "Program", "Domain",
           "real", "finite", "positive", "unit_interval", "open_unit", "away_from", "interval",
           "greater_than"]


def shapes(*, min_dims: int = 0, max_dims: int = 2, min_side: int = 1, max_side: int = 4):
    """Array shapes (tuples of ints)."""
    return hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side)


def broadcastable_shapes(num_shapes: int = 2, *, min_dims: int = 0, max_dims: int = 3,
                         min_side: int = 1, max_side: int = 4):
    """Tuples of ``num_shapes`` shapes that broadcast together (``(2, 3)`` with ``(3,)``,
    ``(4, 1)`` with ``(1, 5)``...)."""
    return hnp.mutually_broadcastable_shapes(num_shapes=num_shapes, min_dims=min_dims, max_dims=max_dims,
                                             min_side=min_side, max_side=max_side).map(lambda s: s.input_shapes)


def arrays(shape=None, domain: Domain = real, dtype=np.float64, *, min_dims: int = 0, max_dims: int = 2,
           max_side: int = 4, unique: bool = False):
    """Arrays of ``dtype`` with every entry in ``domain``; ``shape`` is a tuple, an int,
    a strategy of shapes, or None (drawn: ``min_dims`` to ``max_dims`` axes of sides 1 to
    ``max_side``). ``unique=True`` draws distinct entries (no ties for max, sort...)."""
    if shape is None:
        shape = shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side)
    elif isinstance(shape, int):
        shape = (shape,)
    return hnp.arrays(np.dtype(dtype), shape, elements=domain.elements(dtype), unique=unique)


def scalars(domain: Domain = real, dtype=np.float64):
    """0-d arrays in ``domain``."""
    return arrays((), domain, dtype)


# -- random programs ---------------------------------------------------------------------------
def _ok(v) -> bool:
    """A value a program may hold: a small, finite, real floating array."""
    v = np.asarray(v)
    return (v.dtype.kind == "f" and 1 <= v.size <= optable.MAX_SIZE and v.ndim <= optable.MAX_NDIM
            and bool(np.all(np.isfinite(v))) and bool(np.all(np.abs(v) <= optable.MAX_MAGNITUDE)))


def _apply(op: Op, names, vals, params, ns):
    """Run ``op`` on plain values (the program's own code path); None if it fails."""
    expr = op.render([f"_a{i}" for i in range(len(vals))], params)
    local = {f"_a{i}": v for i, v in enumerate(vals)}
    try:
        with np.errstate(all="ignore"):
            out = eval(expr, {**ns, **op.extra}, local)
    except Exception:
        return None, None
    return (out if _ok(out) else None), op.render(names, params)


class _Builder:
    """A program under construction: inputs, statements, and the values they hold."""

    def __init__(self, dtype, max_inputs):
        self.dtype, self.max_inputs = dtype, max_inputs
        self.inputs: list = []         # (name, value)
        self.pool: list = []           # (name, value): inputs and statements
        self.steps: list = []          # (name, expression)
        self.ops: list = []
        self.extra: dict = {}
        self.ns = namespace()

    def new_input(self, value):
        name = f"x{len(self.inputs)}"
        v = np.asarray(value, dtype=self.dtype)
        self.inputs.append((name, v))
        self.pool.append((name, v))
        return name, v

    def add(self, op: Op, operands, params) -> bool:
        names, vals = [n for n, _ in operands], [v for _, v in operands]
        if not op.accepts(vals):
            return False
        out, expr = _apply(op, names, vals, params, self.ns)
        if out is None or not op.result_ok(out):
            return False
        name = f"v{len(self.steps)}"
        self.steps.append((name, expr))
        self.pool.append((name, np.asarray(out)))
        self.ops.append(op.name)
        self.extra.update(op.extra)
        return True


def _other_operand(draw, b: _Builder, op: Op, i: int, head):
    """Operand ``i`` (> 0) of ``op``: a value already in the program, or a new input."""
    dom = op.domains[i]
    cands = [(n, v) for n, v in b.pool if dom is None or dom.contains(v)]
    new = len(b.inputs) < b.max_inputs
    choice = draw(st.integers(0, len(cands) - (0 if new else 1))) if (cands or new) else None
    if choice is None:
        return None
    if choice < len(cands):
        return cands[choice]
    hs = head.shape
    shape = draw(st.sampled_from([hs, hs[::-1], hs[-1:], ()]))
    value = draw(hnp.arrays(b.dtype, shape, elements=(dom or real).elements(b.dtype, optable.DECIMALS)))
    return b.new_input(value)


_GO_ON = (False, True, True, True)


@st.composite
def programs(draw, ops: Sequence | None = None, *, include: Op | str | None = None, max_ops: int = 4,
             min_ops: int = 1, max_inputs: int = 2, dtype=np.float64):
    """Random differentiable programs: a :class:`Program` (callable, with a readable
    ``repr`` and its inputs in ``.args``) of ``min_ops`` to ``max_ops`` operations drawn
    from ``ops`` (rows of :mod:`funcad.testing.optable`, or their names; default: every
    row funcad registers), each applied only where its operands lie in its domain.
    ``include`` makes a row (or name) the first operation. Shrinking gives the shortest
    program, with the simplest rows and values, that still fails.

    A drawn program looks like
    ``Program('lambda x0: np.sum(np.log(x0), axis=0)', args=(np.array([0.5, 2.0]),))``.

    >>> from hypothesis import given, settings
    >>> from funcad.testing import check_grads
    >>> @settings(max_examples=5, deadline=None)
    ... @given(programs(max_ops=2))
    ... def test_funcad(p):
    ...     check_grads(p, p.args)
    >>> test_funcad()
    """
    table = optable.available([optable.by_name(o) if isinstance(o, str) else o for o in ops]
                              if ops is not None else None)
    if include is not None:
        include = optable.by_name(include) if isinstance(include, str) else include
    if not table and include is None:
        raise ValueError("programs(): no operation to draw from (none of ops is registered)")
    b = _Builder(np.dtype(dtype), max(max_inputs, 1))
    # The first operation's operands are the program's first inputs, drawn in its domains.
    first = include if include is not None else draw(st.sampled_from(table))
    vals = first.fresh(draw, b.dtype)
    operands = [b.new_input(v) for v in vals]
    params = first.params(draw, [v for _, v in operands])
    assume(params is not None)
    assume(b.add(first, operands, params))
    # Grow while a coin says so: mostly "go on" when drawn, "stop" when shrunk.
    while len(b.steps) < max_ops and table and (len(b.steps) < min_ops or draw(st.sampled_from(_GO_ON))):
        for _ in range(8):     # a few tries to find a row that applies to the current value
            op = draw(st.sampled_from(table))
            head = b.pool[-1]
            operands = [head]
            for i in range(1, op.arity):
                other = _other_operand(draw, b, op, i, head[1])
                if other is None:
                    break
                operands.append(other)
            if len(operands) < op.arity:
                continue
            params = op.params(draw, [v for _, v in operands])
            if params is not None and b.add(op, operands, params):
                break
        else:
            break
    used = [n for n, _ in b.inputs if any(_mentions(e, n) for _, e in b.steps)]
    return Program.from_steps(used, b.steps, tuple(v for n, v in b.inputs if n in used), tuple(b.ops), b.extra)


def _mentions(expr: str, name: str) -> bool:
    import re
    return re.search(rf"\b{name}\b", expr) is not None

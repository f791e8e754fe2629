"""Running a function under one trace, and what every transform shares: input checks,
basis seeds, and taking values out of a trace.

``trace_vjp`` records the graph and returns a :class:`Pullback`; ``trace_jvp`` pushes
tangents. Both take flat lists of leaves; the pytree and argument plumbing is the callers'.
"""
from __future__ import annotations

import gc

import numpy as np

from ..core import Box, Dual, JVPTrace, Node, Trace, VJPTrace, backward, value_of
from ..core.forward import push_tangents
from ..core.reverse import recycle
from ..rules.broadcast import dtype_of, shape_of
from ..rules.elementwise import UNITS

__all__ = ["keeps_gc_paused", "trace_vjp", "trace_jvp", "Pullback", "BoundedJVPTrace", "TangentTooLarge",
           "to_input", "to_inputs", "own", "primal", "basis_rows", "zeros_like", "ones_like", "check_callable"]


def check_callable(func, name: str) -> None:
    if not callable(func):
        raise TypeError(f"{name}: expected `func` to be a callable (a function of arrays), "
                        f"got {type(func).__name__}: {func!r}")


def to_input(x, what: str):
    """A user's input as a floating array (or an outer traced value), else a clear TypeError."""
    if isinstance(x, Box):
        return x
    if isinstance(x, np.ndarray):
        a = x
    elif isinstance(x, (float, complex, np.floating, np.complexfloating)):
        a = np.asarray(x)
    elif isinstance(x, (list, tuple)) and not isinstance(x, bool):
        try:
            a = np.asarray(x)
        except ValueError:
            raise TypeError(f"{what} is a ragged list; give a rectangular list of floats or an array") from None
        if a.dtype.kind in "iu" and a.size == 0:
            a = a.astype(np.float64)
    elif x is None:
        raise TypeError(f"{what} is None; expected a float array. Pass an array such as np.zeros(3).")
    elif isinstance(x, (bool, int, np.integer, np.bool_)):
        raise TypeError(f"{what} is an integer ({x!r}); only floating-point inputs can be "
                        f"differentiated. Pass a float, e.g. {float(x)!r} or x.astype(float).")
    else:
        raise TypeError(f"{what} has type {type(x).__name__}; expected a NumPy array of floats "
                        f"(or a Python float or list of floats).")
    if a.dtype.kind not in "fc":
        kind = {"i": "integer", "u": "unsigned integer", "b": "bool", "O": "object",
                "U": "string", "S": "bytes"}.get(a.dtype.kind, str(a.dtype))
        raise TypeError(f"{what} has dtype {a.dtype} ({kind}); only floating-point or complex "
                        f"inputs can be differentiated. Convert it with x.astype(float).")
    return a


def to_inputs(xs, describe) -> list:
    """``to_input`` of each leaf; ``describe(k)`` names leaf ``k``, only for an error message
    (float arrays, the common case, pass without building one)."""
    return [x if type(x) is np.ndarray and x.dtype.kind in "fc" else to_input(x, describe(k))
            for k, x in enumerate(xs)]


def own(x, trace) -> bool:
    return isinstance(x, Box) and x._trace is trace


def primal(x, trace):
    """``x`` with this trace's boxing removed (outer traces' boxes stay)."""
    return x._p if isinstance(x, Box) and x._trace is trace else x


def zeros_like(x):
    return np.zeros(shape_of(x), dtype_of(x))


def ones_like(x):
    """Ones shaped like ``x``'s value; a real 0-d one is the shared, read-only unit seed
    whose products VJP rules skip (results leaving the API are never read-only: ``_out``)."""
    s, dt = shape_of(x), dtype_of(x)
    if s == ():
        u = UNITS.get(dt)
        return u if u is not None else np.array(1, dt)
    return np.ones(s, dt)


def keeps_gc_paused(fn):
    """Pause Python's cyclic garbage collector while ``fn`` runs.

    A recorded graph is millions of small container objects and no cycles (they are freed by
    reference counting alone), yet each full collection walks all of them: with the collector
    on, a 100,000-node chain costs about twice as much per node as a 1,000-node one
    (benchmarks/, workload W7), and one collection between recording a graph and pulling it
    back makes a 100,000-op chain 14% slower per op. Transforms hold the pause for their
    whole call. Nested uses find the collector off and leave it off; only the outermost one,
    which found it on, turns it back on. Threads share the collector: when one thread's
    transform ends, another's still running continues with it on (slower, not wrong).
    """
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        was_on = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_on:
                gc.enable()
    return wrapper


RELEASE_SIZE = 1 << 12


class Pullback:
    """The backward pass of a recorded function; callable again and again."""

    __slots__ = ("trace", "tape", "inputs")

    def __init__(self, trace, tape, inputs):
        self.trace, self.tape, self.inputs = trace, tape, inputs

    @keeps_gc_paused
    def __call__(self, seeds, release: bool = False):
        """``seeds``: (output leaf, cotangent) pairs; cotangents may carry leading batch axes.
        Returns each input's cotangent, ``None`` where no path reaches it. ``release`` marks
        the last pull: the Pullback cannot be called again, and its nodes are recycled
        (``recycle``). On graphs of large inputs (``RELEASE_SIZE`` elements or more) the
        recorded values are let go as the pass goes, too (the seeds' values stay), so the
        cotangents reuse their memory (W2: peak 15 arrays of the input's size down to 12, 10%
        faster); on small values that would cost more than it saves."""
        trace = self.trace
        if self.tape is None:
            raise RuntimeError("funcad internal error: a released Pullback was pulled again")
        own_seeds = [(o, g) for o, g in seeds if isinstance(o, Node) and o._trace is trace]
        last = release
        release = last and max((np.size(value_of(x._p)) for x in self.inputs), default=0) >= RELEASE_SIZE
        with trace.lock:
            out = backward(self.tape, own_seeds, self.inputs, release)
            if last:
                recycle(self.tape)
                self.tape = None
            return out

    def forward(self, outputs, tangents):
        """Push input tangents along the recorded tape (what ``linearize`` reuses)."""
        trace = self.trace
        with trace.lock:
            try:
                for x, t in zip(self.inputs, tangents):
                    x._g = t
                for node in self.tape:
                    ts = [a._g if isinstance(a, Box) and a._trace is trace else None for a in node.inputs]
                    live = any(t is not None for t in ts)
                    node._g = push_tangents(node.prim, ts, node._p, node.args, node.kwargs) if live else None
                return [o._g if isinstance(o, Node) and o._trace is trace else None for o in outputs]
            finally:
                for node in self.tape:
                    node._g = None
                for x in self.inputs:
                    x._g = None


@keeps_gc_paused
def trace_vjp(fun, primals, keep_values: bool = False):
    """Run ``fun(*boxed primals)`` recording its graph; returns (output, Pullback).
    ``keep_values``: every node keeps its answer's values (no temporary lends its buffer
    to a later answer), for tools that read them."""
    trace = VJPTrace()
    trace.keep_values = keep_values
    inputs = [Node.leaf(trace, p) for p in primals]
    try:
        out = fun(*inputs)
    finally:
        tape = trace.tape
        trace.tape = None   # the graph now belongs to the Pullback alone: no reference cycle
    return out, Pullback(trace, tape, inputs)


class TangentTooLarge(BaseException):
    """A batched forward sweep met a value whose batched tangent would pass its bound.

    A BaseException, like KeyboardInterrupt: a user's ``except Exception`` fallback must not
    swallow it and finish the sweep on other values."""

    def __init__(self, largest: int):
        super().__init__(largest)
        self.largest = largest   # elements of that value (one direction's tangent)


class BoundedJVPTrace(JVPTrace):
    """A forward sweep of ``k`` directions at once that stops (``TangentTooLarge``) when a
    tangent would hold more than ``limit`` elements, so the caller can push fewer."""

    __slots__ = ("limit", "k")

    def __init__(self, limit: int, k: int):
        super().__init__()
        self.limit, self.k = limit, k

    def process(self, prim, args, kwargs):
        out = Trace.process(self, prim, args, kwargs)
        for d in (out if type(out) is tuple else (out,)):
            if isinstance(d, Dual) and d._trace is self:
                t = d._t
                n = t.size if type(t) is np.ndarray else np.size(value_of(t))
                if n > self.limit:
                    raise TangentTooLarge(n // self.k)
        return out

    # every primitive goes through the bounded ``process``
    process1, process2 = Trace.process1, Trace.process2


def trace_jvp(fun, primals, tangents, trace=None):
    """Run ``fun`` on dual numbers (of ``trace``, a fresh JVPTrace by default); returns
    (output, trace) (split leaves with ``split``)."""
    trace = JVPTrace() if trace is None else trace
    inputs = [p if t is None else Dual._new(trace, p, t) for p, t in zip(primals, tangents)]
    return fun(*inputs), trace


def split(x, trace):
    """(primal, tangent or None) of an output leaf of ``trace_jvp``."""
    if isinstance(x, Dual) and x._trace is trace:
        return x._p, x._t
    return x, None


def basis_rows(leaves, r0: int, r1: int):
    """Rows ``r0:r1`` of the identity over all ``leaves`` flattened and joined: for each
    leaf, an array of shape ``(r1 - r0,) + leaf.shape`` (``None`` if no row touches it)."""
    out = []
    off = 0
    for x in leaves:
        s = shape_of(x)
        n = int(np.prod(s))
        lo, hi = max(r0, off), min(r1, off + n)
        if lo >= hi:
            out.append(None)
        else:
            b = np.zeros((r1 - r0, n), dtype=dtype_of(x))
            b[np.arange(lo - r0, hi - r0), np.arange(lo - off, hi - off)] = 1
            out.append(b.reshape((r1 - r0,) + s))
        off += n
    return out

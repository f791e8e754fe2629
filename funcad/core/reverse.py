"""Reverse mode: the graph recorded while the function runs, and the backward pass.

Each primitive call on a :class:`Node` of the trace appends a new Node to the trace's
*tape*; a Node keeps the primitive, its arguments as given (this trace's Nodes among them
are its parents) and unboxed, and its answer: exactly what the VJP rules need, in about
240 bytes per node (a long graph's cost per node depends on how much of it stays in
cache). Creation order is a topological order, so the backward pass is one explicit loop
over the tape in reverse (no recursion: a million-node chain is fine). Cotangents live on
the nodes while the pass runs (``None`` is a symbolic zero); a cotangent may carry leading
batch axes, so all rows of a Jacobian are pulled in one sweep. When the forward pass ends
the trace hands its tape to the caller, so no reference cycle keeps the graph (or the
user's arrays) alive.
"""
from __future__ import annotations

import sys
import threading
from sys import getrefcount

import numpy as np

from .forward import add_tangents
from .trace import _NO_KWARGS, Box, Primitive, Trace

__all__ = ["Node", "VJPTrace", "backward", "EscapedTraceError", "writable_temporary"]


class EscapedTraceError(RuntimeError):
    """A traced value was used after the transform that traced it had returned."""


class VJPTrace(Trace):
    """Record a Node for each primitive applied to this trace's boxes."""

    __slots__ = ("tape", "lock")

    def __init__(self) -> None:
        super().__init__()
        self.tape: list | None = []
        self.lock = threading.Lock()

    def box(self, prim, ans, vals, kwargs, args):
        tape = self.tape
        if tape is None:
            raise EscapedTraceError(
                f"{prim.name!r} was called on a traced value from a transform that has already "
                "returned (a value leaked out of the function, e.g. stored in a global). "
                "Return it from the function instead.")
        node = _new_node(Node)
        node._trace = self
        node._p = ans
        node.prim = prim
        node.args = vals
        node.kwargs = kwargs or _NO_KWARGS   # most calls have none: share one empty dict
        node.inputs = args
        node._g = None
        tape.append(node)
        if prim.multiple_results:
            return tuple(_item(node, i) for i in range(len(ans)))
        return node

    # Unary ufuncs and binary operators skip the general path's loop (``box`` still
    # records). A value of ``None`` was released: ``box`` raises the escaped-value error.
    def process1(self, prim, x):
        v = x._p
        if v is None:
            return self.box(prim, None, (v,), _NO_KWARGS, (x,))
        ans = prim(v) if isinstance(v, Box) else prim.impl(v)
        return self.box(prim, ans, (v,), _NO_KWARGS, (x,))

    def process2(self, prim, x, y):
        vx, vy = x, y
        lower = released = False
        if isinstance(x, Box):
            if x._trace is self:
                vx = x._p
                lower = isinstance(vx, Box)
                released = vx is None
            else:
                lower = True
        if isinstance(y, Box):
            if y._trace is self:
                vy = y._p
                if isinstance(vy, Box):
                    lower = True
                released = released or vy is None
            else:
                lower = True
        if released:
            return self.box(prim, None, (vx, vy), _NO_KWARGS, (x, y))
        ans = prim(vx, vy) if lower else prim.impl(vx, vy)
        return self.box(prim, ans, (vx, vy), _NO_KWARGS, (x, y))


_new_node = object.__new__


class Node(Box):
    """A value in the reverse-mode graph: ``args`` are the unboxed arguments the rules see,
    ``inputs`` the arguments as given (this trace's Nodes among them are the parents)."""

    __slots__ = ("prim", "args", "kwargs", "inputs", "_g")

    @classmethod
    def leaf(cls, trace, value):
        """An input of the graph: no primitive, no parents."""
        n = _new_node(cls)
        n._trace, n._p, n.prim, n.args, n.kwargs, n.inputs, n._g = trace, value, None, (), None, (), None
        return n

    @property
    def parents(self) -> list:
        """(position, Node) of each argument traced by this graph."""
        t = self._trace
        return [(i, a) for i, a in enumerate(self.inputs) if isinstance(a, Box) and a._trace is t]

    def __repr__(self) -> str:
        name = self.prim.name if self.prim is not None else "input"
        return f"<funcad traced value ({name}) {self._p!r}>"


def _item_impl(tup, i):
    return tup[i]


def _item_vjp(g, ans, tup, i):
    return tuple(g if j == i else None for j in range(len(tup)))


# One output of a multiple-results primitive. Forward mode boxes each output directly; the
# forward rule serves forward sweeps along a recorded tape (linearize).
_item = Primitive(_item_impl, "item")
_item.vjps = (_item_vjp,)
_item.jvps = (lambda t, ans, tup, i: t[i],)


INPLACE_SIZE = 1 << 15   # elements: below this a fresh array costs less than the checks
# A reference count tells a temporary that nothing else holds, the fact NumPy's own
# temporary elision rests on. CPython 3.14 borrows references on its stack (a count can be
# below the holders) and free-threaded builds defer counts: there nothing is written in place.
_COUNTS_ARE_HOLDERS = (sys.implementation.name == "cpython" and sys.version_info < (3, 14)
                       and getattr(sys, "_is_gil_enabled", lambda: True)())


def writable_temporary(a, refs: int) -> bool:
    """Whether ``a`` is a large array held by nothing but the caller's ``refs`` known
    references, owning its memory and writeable: a temporary the caller may write its next
    result into (a fresh 8 MB result costs more in page faults than an addition)."""
    return (type(a) is _ndarray and _COUNTS_ARE_HOLDERS and a.size >= INPLACE_SIZE
            and getrefcount(a) == refs + 2 and a.flags.owndata and a.flags.writeable)


def _accumulate(pg, c):
    """A node's cotangent ``pg`` plus a contribution ``c``, written into whichever of the
    two is a temporary of this pass (``pg``: held by the node's slot, the caller's name and
    ours; ``c``: the last two), as NumPy elides temporaries in ``a + b + c``. The sum is the
    same either way: addition commutes."""
    if type(pg) is _ndarray and pg.size >= INPLACE_SIZE and type(c) is _ndarray \
            and pg.shape == c.shape and pg.dtype == c.dtype:
        if writable_temporary(pg, 3):
            pg += c
            return pg
        if writable_temporary(c, 2):
            c += pg
            return c
    return add_tangents(pg, c)


_ndarray = np.ndarray


def backward(tape: list, seeds, inputs, release: bool = False):
    """Pull cotangents from ``seeds`` ((node, g) pairs) back to ``inputs``.

    Returns each input's cotangent (``None`` where no path reaches it). Nodes' cotangent
    slots are cleared as the pass goes, so the same tape can be pulled again, unless
    ``release``: then each node but the seeds lets go of its value and arguments once the
    pass is past it (nothing later reads them), so the memory of the recorded values is
    reused for the cotangents. The tape can then not be pulled again.
    """
    keep = set()
    for node, g in seeds:
        if isinstance(node, Node):
            keep.add(id(node))
            if g is not None:
                node._g = add_tangents(node._g, g)
    for node in reversed(tape):
        g = node._g
        if g is not None:
            node._g = None
            prim = node.prim
            vjps = prim.vjps
            args = node.args
            ans = node._p
            kw = node.kwargs
            trace = node._trace
            i = 0
            for parent in node.inputs:
                if isinstance(parent, Box) and parent._trace is trace:
                    try:
                        rule = vjps[i]
                    except (TypeError, IndexError):
                        rule = prim.rule(vjps, i, "reverse-mode")
                    if rule is not None:
                        c = rule(g, ans, *args, **kw)
                        if c is not None:
                            pg = parent._g
                            parent._g = c if pg is None else _accumulate(pg, c)
                i += 1
        if release and id(node) not in keep:
            node.args = node._p = None
    out = []
    for x in inputs:
        out.append(x._g)
        x._g = None
    return out

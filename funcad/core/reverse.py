"""Reverse mode: the graph recorded while the function runs, and the backward pass.

Each primitive call on a :class:`Node` of the trace appends a new Node to the trace's
*tape*; a Node keeps the primitive, its arguments as given (this trace's Nodes among them
are its parents) and unboxed, and its answer: exactly what the VJP rules need, in about
240 bytes per node (a long graph's cost per node depends on how much of it stays in
cache). Creation order is a topological order, so the backward pass is one explicit loop
over the tape in reverse (no recursion: a million-node chain is fine). Cotangents live on
the nodes while the pass runs (``None`` is a symbolic zero, a :class:`Deferred` one is built
only when summed or read); a cotangent may carry leading batch axes, so all rows of a
Jacobian are pulled in one sweep. When the forward pass ends the trace hands its tape to
the caller, so no reference cycle keeps the graph (or the user's arrays) alive. A large
temporary that no rule reads lends its buffer to the next answer, as in NumPy's own
evaluation (``reuse``); its node keeps a ``Spent`` stand-in.
"""
from __future__ import annotations

import sys
import threading
from sys import getrefcount

import numpy as np

from .forward import add_tangents
from .trace import _NO_KWARGS, Box, Primitive, Trace

__all__ = ["Node", "VJPTrace", "backward", "EscapedTraceError", "writable_temporary", "Spent",
           "calibrate", "Deferred", "defer", "recycle", "POOL_NODES"]


class EscapedTraceError(RuntimeError):
    """A traced value was used after the transform that traced it had returned."""


class VJPTrace(Trace):
    """Record a Node for each primitive applied to this trace's boxes."""

    __slots__ = ("tape", "lock", "keep_values")

    def __init__(self) -> None:
        super().__init__()
        self.tape: list | None = []
        self.lock = threading.Lock()
        self.keep_values = False   # True: no answer is written into a temporary (see reuse)

    def box(self, prim, ans, vals, kwargs, args):
        tape = self.tape
        if tape is None:
            raise EscapedTraceError(
                f"{prim.name!r} was called on a traced value from a transform that has already "
                "returned (a value leaked out of the function, e.g. stored in a global). "
                "Return it from the function instead.")
        if _pool:   # a finished graph's node (see recycle); another thread may take the last
            try:
                node = _pool_pop()
            except IndexError:
                node = _new_node(Node)
        else:
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

    # Unary ufuncs and operators and binary operators skip the general path's loop (``box``
    # still records). A value of ``None`` was released: ``box`` raises the escaped-value
    # error. A large argument that is a temporary may lend its buffer (``reuse``); the
    # reference counts are read on the way there, where the calibration measured them.
    def process1(self, prim, x, path=0):
        v = x._p
        if v is None:
            return self.box(prim, None, (v,), _NO_KWARGS, (x,))
        if isinstance(v, Box):
            return self.box(prim, prim(v), (v,), _NO_KWARGS, (x,))
        if type(v) is _ndarray and (v.size >= INPLACE_SIZE or _calibrating):
            r = reuse(self, prim, (x,), [v], 0, getrefcount(x), getrefcount(v), ("p1", path))
            if r is not None:
                return self.box(prim, r[0], r[1], _NO_KWARGS, (x,))
        return self.box(prim, prim.impl(v), (v,), _NO_KWARGS, (x,))

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
        if lower:
            return self.box(prim, prim(vx, vy), (vx, vy), _NO_KWARGS, (x, y))
        if (type(vx) is _ndarray or type(vy) is _ndarray) and vx is not vy:
            r = _reuse_either(self, prim, (x, y), vx, vy)
            if r is not None:
                return self.box(prim, r[0], r[1], _NO_KWARGS, (x, y))
        return self.box(prim, prim.impl(vx, vy), (vx, vy), _NO_KWARGS, (x, y))


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


# -- Node recycling ------------------------------------------------------------------------
# A long graph is hundreds of thousands of small objects. When they all die at once, Python's
# allocator hands its emptied 1 MiB arenas back to the OS, and the next graph page-faults
# them in again: 5,900 faults per call of a 100,000-op chain, about 10% of its time here.
# Keeping the nodes of a finished graph for the next one keeps those arenas mapped (and a
# recycled node is cheaper than a new one): the memory a graph of up to POOL_NODES nodes
# used stays with the process, about 30 MB at the default. ``POOL_NODES = 0`` turns it off
# (the pool empties at the next gradient).
POOL_NODES = 1 << 17
_pool: list = []
_pool_pop = _pool.pop


def recycle(tape: list) -> None:
    """After a graph's last pull: keep its nodes that nothing else holds for the next graph
    (up to ``POOL_NODES`` in all), emptied so that they hold no value, and drop every other
    node's links to its parents (a node the caller or a leaked value still holds keeps its
    trace, so using it raises :class:`EscapedTraceError` as before). Children come after
    their parents on the tape, so a reverse sweep frees each parent of its children first."""
    pool = _pool
    if len(pool) > POOL_NODES:
        del pool[POOL_NODES:]
    room = POOL_NODES - len(pool) if _COUNTS_ARE_HOLDERS else 0
    append = pool.append
    for node in reversed(tape):
        if not room:
            break
        if getrefcount(node) == 3:   # the tape, the loop and getrefcount's argument
            node.inputs = node.args = node._p = node._trace = node.kwargs = node.prim = None
            append(node)
            room -= 1
        else:
            node.inputs = ()
    tape.clear()


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


def writable_temporary(a, refs: int, least: int = INPLACE_SIZE) -> bool:
    """Whether ``a`` is an array of ``least`` elements or more held by nothing but the
    caller's ``refs`` known references, owning its memory and writeable: a temporary the
    caller may write its next result into (a fresh 8 MB result costs more in page faults
    than an addition)."""
    return (type(a) is _ndarray and _COUNTS_ARE_HOLDERS and a.size >= least
            and getrefcount(a) == refs + 2 and a.flags.owndata and a.flags.writeable)


# -- The forward pass's temporary elision ------------------------------------------------
# NumPy writes ``-(x**2) / 10`` into one buffer: each temporary is held by the expression
# alone, so the next operation may overwrite it. Reverse mode can do the same when, besides,
# no rule will read the temporary's values: neither the rules of the node that made it
# (for its answer) nor those of the node consuming it (for that argument). Both nodes then
# keep a ``Spent`` stand-in with the value's shape and dtype, which is all their rules read.
# Whether a box is a temporary is told by its reference count, measured against a box the
# calibration knows is one, on each path into ``process1`` and ``process2``.
_temporary_refs: dict = {}     # (entry, path) -> reference counts of a temporary box and its value
_calibrating = False
_calibration_seen: list = []


class Spent:
    """The place of a value whose buffer a later operation reused for its answer: its
    shape and dtype stay (the rules read those); reading its values is an internal error."""

    __slots__ = ("shape", "dtype")
    __array_ufunc__ = None     # NumPy raises TypeError rather than compute with it

    def __init__(self, v):
        self.shape, self.dtype = v.shape, v.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __array__(self, *args, **kwargs):
        raise RuntimeError(
            "funcad reused the memory of a traced value for a later result because nothing it "
            "could see held that value, and it was read afterwards. A traced value kept where "
            "reference counts do not show it (a NumPy object array, a C extension's borrowed "
            "reference) cannot be read after such an operation; keep it in a Python variable.")

    def __repr__(self) -> str:
        return f"<value whose buffer a later operation reused: shape {self.shape}, dtype {self.dtype}>"


def _unread(trace, prim, inputs, k) -> bool:
    """Whether no rule that can run on a node of ``prim`` with arguments ``inputs`` reads
    its answer (``k`` is None) or the value of its argument ``k``. Only the rules of this
    trace's arguments run, in either mode."""
    reads = prim.reads if prim is not None else None
    if reads is None or reads[0] is not prim.vjps or reads[1] is not prim.jvps or reads[2] is not prim.jvp_all:
        return False   # rules replaced since they were described: assume they read all
    per = reads[3]
    i = 0
    for a in inputs:
        if isinstance(a, Box) and a._trace is trace:
            r = per[i] if i < len(per) else None
            if r is None or (r[0] if k is None else k in r[1]):
                return False
        i += 1
    return True


def reuse(trace, prim, boxes, vals, k, box_refs, value_refs, where):
    """``prim(*vals)`` written into ``vals[k]``, the value of this trace's box ``boxes[k]``,
    when that value is a temporary nothing will read again; returns ``(answer, args)`` or
    ``None``. ``box_refs`` and ``value_refs`` are the reference counts the caller read."""
    box = boxes[k]
    if not (isinstance(box, Node) and box._trace is trace):
        return None
    if _calibrating:
        if box.prim is not None:   # the calibration's temporaries are made by primitives
            _calibration_seen.append((where, box_refs, value_refs))
        return None
    v = vals[k]
    if (prim.into is None or trace.keep_values or (box_refs, value_refs) != _temporary_refs.get(where)
            or not _COUNTS_ARE_HOLDERS
            or not (v.flags.owndata and v.flags.writeable) or v.dtype.kind != "f"):
        return None
    # the consumer's rules must not read this argument, nor the producer's its answer
    if not (_unread(trace, prim, boxes, k) and _unread(trace, box.prim, box.inputs, None)):
        return None
    ans = prim.into(vals, k)
    if ans is None:
        return None
    spent = Spent(v)
    box._p = spent
    vals[k] = spent
    return ans, tuple(vals)


def _reuse_either(trace, prim, boxes, vx, vy):
    """``process2``'s ``reuse``: into the left operand's buffer, else the right one's."""
    for k, v in enumerate((vx, vy)):
        if type(v) is _ndarray and (v.size >= INPLACE_SIZE or _calibrating):
            r = reuse(trace, prim, boxes, [vx, vy], k, getrefcount(boxes[k]), getrefcount(v), ("p2", k))
            if r is not None:
                return r
    return None


def calibrate(run_temporaries) -> None:
    """Measure, once, the reference counts a temporary box and its value have where
    ``process1`` and ``process2`` read them: ``run_temporaries()`` runs each entry path on
    temporaries (the NumPy face knows the paths). Reuse is on only if every path measured
    one count; anything else leaves every answer in a fresh array."""
    global _calibrating
    if not _COUNTS_ARE_HOLDERS:
        return
    _calibration_seen.clear()
    _calibrating = True
    try:
        run_temporaries()
    finally:
        _calibrating = False
    counts: dict = {}
    for where, box_refs, value_refs in _calibration_seen:
        counts.setdefault(where, set()).add((box_refs, value_refs))
    _calibration_seen.clear()
    if counts and all(len(c) == 1 for c in counts.values()):
        _temporary_refs.update((w, c.pop()) for w, c in counts.items())


class Deferred:
    """A cotangent a VJP rule leaves unbuilt: ``build(g, *parts)`` builds it, and
    ``add(buf, g, *parts)`` adds it into an array this pass owns, in place, and says whether
    it could (``buf``'s dtype already holds the sum: checked here). A gather's VJP gives
    one (``x[i]``'s cotangent is ``g`` placed at ``i``), so that a loop over the rows of a
    traced matrix adds each row's cotangent where it belongs, not a matrix of zeros per
    row: linear in the rows, not quadratic."""

    __slots__ = ("build", "add", "g", "parts")

    def __init__(self, build, add, g, *parts):
        self.build, self.add, self.g, self.parts = build, add, g, parts

    def dense(self):
        return self.build(self.g, *self.parts)

    def add_into(self, buf) -> bool:
        g = self.g   # an array or a NumPy scalar (see defer): its own dtype first, at once
        return ((g.dtype == buf.dtype or np.result_type(buf, g) == buf.dtype)
                and self.add(buf, g, *self.parts))


def defer(prim: Primitive, add, g, *parts):
    """``prim(g, *parts)``, a linear primitive placing ``g`` in a larger array of zeros (the
    VJP of a gather or a slice): left unbuilt (:class:`Deferred`, built by ``prim``'s own
    implementation) when ``g`` is a plain array, so the pass can sum it in place; traced
    (a derivative being differentiated again), it is the primitive itself."""
    if isinstance(g, (_ndarray, np.generic)):
        return Deferred(prim.impl, add, g, *parts)
    return prim(g, *parts)


def _accumulate(pg, c):
    """A node's cotangent ``pg`` plus a contribution ``c``, written into whichever of the
    two is a temporary of this pass (``pg``: held by the node's slot, the caller's name and
    ours; ``c``: the last two), as NumPy elides temporaries in ``a + b + c``. The sum is the
    same either way: addition commutes. A deferred ``pg`` is built first (a new array of
    this pass's own), and a deferred ``c`` is added into it in place where it can be."""
    if pg.__class__ is Deferred:
        pg = pg.dense()   # this pass's own array
        if c.__class__ is Deferred:
            return pg if c.add_into(pg) else add_tangents(pg, c.dense())
        return add_tangents(pg, c)
    if c.__class__ is Deferred:   # into pg at any size: else a new array the size of pg
        if writable_temporary(pg, 3, 0) and c.add_into(pg):
            return pg
        c = c.dense()
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
    deferred = Deferred   # a local: the loop's one check for a deferred cotangent
    for node in reversed(tape):
        g = node._g
        if g is not None:
            node._g = None
            if g.__class__ is deferred:
                g = g.dense()
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
                        # most nodes have no kwargs: ``**{}`` would build a dict per call
                        c = rule(g, ans, *args, **kw) if kw else rule(g, ans, *args)
                        if c is not None:
                            pg = parent._g
                            parent._g = c if pg is None else _accumulate(pg, c)
                i += 1
        if release and id(node) not in keep:
            node.args = node._p = None
    out = []
    for x in inputs:
        g = x._g
        out.append(g.dense() if g.__class__ is Deferred else g)
        x._g = None
    return out

"""Function transforms in the style of ``torch.func``: each takes a function and returns
one, and every transform composes with every other to any order.

``argnums`` picks the positional arguments to differentiate (an int, or a tuple of ints
for a tuple of results); arguments and results may be pytrees (nested tuples, lists and
dicts of arrays).
"""
from __future__ import annotations

import functools
from typing import Any, Callable

import numpy as np

from ..core import Box, value_of
from ..pytree import tree_flatten, tree_unflatten
from ..rules.broadcast import dtype_of, reshape_p, shape_of
from ..rules.shape import astype, concatenate, transpose
from .tracing import (Pullback, TangentTooLarge, BoundedJVPTrace, keeps_gc_paused, basis_rows, check_callable, ones_like, primal, split, to_inputs,
                      trace_jvp, trace_vjp, zeros_like)

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "linearize"]


# -- argument plumbing ---------------------------------------------------------------------
_ARGNUMS: dict = {}   # (argnums, nargs) -> checked positions: checked once, not per call


def _argnums(argnums, nargs: int, name: str) -> tuple:
    exact = type(argnums) is int or (type(argnums) is tuple and all(type(a) is int for a in argnums))
    if exact:   # only exact ints are cached: True == 1 would otherwise find 1's entry
        hit = _ARGNUMS.get((argnums, nargs))
        if hit is not None:
            return hit
    nums = (argnums,) if isinstance(argnums, int) else argnums
    if not isinstance(nums, tuple) or not nums or not all(isinstance(a, int) and not isinstance(a, bool) for a in nums):
        raise RuntimeError(f"{name}: argnums must be an int or a non-empty tuple of ints, got {argnums!r}")
    out = []
    for a in nums:
        if not -nargs <= a < nargs:
            raise RuntimeError(f"{name}: got argnums={a} but the function was called with only "
                               f"{nargs} positional argument(s); argnums must index them.")
        out.append(a % nargs)
    if len(set(out)) != len(out):
        raise RuntimeError(f"{name}: argnums must be unique, got {argnums!r}")
    if exact and len(_ARGNUMS) < 1024:
        _ARGNUMS[argnums, nargs] = tuple(out)
    return tuple(out)


class _Args:
    """The differentiated arguments of a call, flattened to leaves, and how to rebuild."""

    __slots__ = ("args", "nums", "single", "treedef", "leaves")

    def __init__(self, name, args, argnums):
        self.args = args
        self.nums = _argnums(argnums, len(args), name)
        self.single = isinstance(argnums, int)
        if self.single:   # one argument: its own tree, no wrapping tuple
            leaves, self.treedef = tree_flatten(args[self.nums[0]])
        else:
            leaves, self.treedef = tree_flatten(tuple(args[i] for i in self.nums))
        self.leaves = to_inputs(leaves, lambda k: f"{name}: argument {self._where(k)}")

    def _where(self, k):
        return f"{self.nums[0]}" if self.treedef.num_leaves == 1 else f"leaf {k} of the differentiated arguments"

    def call(self, func, leaves, kwargs):
        new = list(self.args)
        if self.single:
            new[self.nums[0]] = tree_unflatten(self.treedef, leaves)
        else:
            for i, v in zip(self.nums, tree_unflatten(self.treedef, leaves)):
                new[i] = v
        return func(*new, **kwargs)

    def structure(self, per_leaf):
        """Per-leaf results in the structure of the differentiated argument(s)."""
        return tree_unflatten(self.treedef, per_leaf)


class _AuxCatcher:
    """Wrap ``call(*leaves) -> out`` so that, with ``has_aux``, the aux half of the pair is
    kept aside (``.aux``) and only the output is differentiated."""

    def __init__(self, call, has_aux: bool, name: str):
        self.call, self.has_aux, self.name, self.aux = call, has_aux, name, None

    def __call__(self, *leaves):
        out = self.call(*leaves)
        if self.has_aux:
            out, self.aux = _split_aux(out, self.name)
        return out


def _split_aux(out, name):
    if not (isinstance(out, tuple) and len(out) == 2):
        raise RuntimeError(f"{name}(f, has_aux=True): expected f to return a tuple (output, aux), "
                           f"got {type(out).__name__}")
    return out


def _strip(tree, trace):
    leaves, d = tree_flatten(tree)
    return tree_unflatten(d, [_out(primal(x, trace)) for x in leaves])


def _out(x):
    """A result leaf as a writeable ndarray (0-d for a scalar): a read-only one (a broadcast
    view, a unit seed) is copied; outer traced values stay traced."""
    if isinstance(x, np.ndarray):
        return x if x.flags.writeable else x.copy()
    if isinstance(x, Box):
        return x
    return np.asarray(x)


_PLAIN = (np.ndarray, np.generic)


def _like(g, x):
    """Cotangent/tangent ``g`` for input ``x``: zeros if symbolic, in ``x``'s dtype."""
    if g is None:
        return zeros_like(x)
    if isinstance(g, _PLAIN) and isinstance(x, _PLAIN) and g.dtype == x.dtype:   # the common case
        return _out(g)
    xd, gd = dtype_of(x), dtype_of(g)
    if gd != xd:
        g = astype(g.real if gd.kind == "c" and xd.kind != "c" else g, xd)
    return _out(g)


def _check_output_leaf(o, name, what="output"):
    v = value_of(o)
    if not isinstance(v, (np.ndarray, np.generic, float, complex, int)) or isinstance(v, (bool, np.bool_)):
        raise RuntimeError(f"{name}: the function's {what} must be an array, got {type(v).__name__}")
    if dtype_of(v).kind not in "fc":
        raise RuntimeError(f"{name}: the function's {what} has dtype {np.result_type(v)}; it must be "
                           f"floating point to be differentiated.")


# -- grad ------------------------------------------------------------------------------------
def grad_and_value(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """``f -> (grad f, f)``: the gradient of a scalar function and its value, in one pass.

    With ``has_aux=True``, ``func`` returns ``(output, aux)`` and the result is
    ``(grad, (value, aux))``.

    >>> import numpy as np, funcad
    >>> g, v = funcad.func.grad_and_value(lambda x: np.sum(x ** 2))(np.array([1.0, 2.0]))
    >>> g, v
    (array([2., 4.]), array(5.))
    """
    check_callable(func, "grad_and_value")

    @functools.wraps(func)
    def grad_and_value_f(*args, **kwargs):
        return _grad_and_value(func, argnums, has_aux, args, kwargs)

    return grad_and_value_f


@keeps_gc_paused
def _grad_and_value(func, argnums, has_aux, args, kwargs):
    """The gradient and the value of ``func(*args, **kwargs)``: one recording, one pull."""
    a = _Args("grad", args, argnums)
    flat = _AuxCatcher(lambda *leaves: a.call(func, leaves, kwargs), has_aux, "grad")

    out, pb = trace_vjp(flat, a.leaves)
    if isinstance(out, (tuple, list, dict)) or out is None:
        raise RuntimeError(f"grad: the function must return a single scalar array, got "
                           f"{type(out).__name__}" + (" (with has_aux=True return (output, aux))" if not has_aux else ""))
    _check_output_leaf(out, "grad")
    if shape_of(out) != () and np.size(value_of(out)) != 1:
        raise RuntimeError(f"grad: the function must return a scalar (one element), got an array "
                           f"of shape {shape_of(out)}. Use jacrev/jacobian for non-scalar outputs, "
                           f"or reduce it (e.g. np.sum).")
    value = _out(primal(out, pb.trace))
    aux = _strip(flat.aux, pb.trace) if has_aux else None   # read before the values are released
    gs = pb([(out, ones_like(out))], release=True)
    g = a.structure([_like(gi, x) for gi, x in zip(gs, a.leaves)])
    if has_aux:
        return g, (value, aux)
    return g, value


def grad(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """``f -> grad f`` for a scalar-valued ``f`` (reverse mode).

    With ``has_aux=True``, ``func`` returns ``(output, aux)`` and the result is ``(grad, aux)``.

    >>> import numpy as np, funcad
    >>> funcad.func.grad(lambda x: np.sum(np.sin(x)))(np.zeros(2))
    array([1., 1.])
    """
    check_callable(func, "grad")

    @functools.wraps(func)
    def grad_f(*args, **kwargs):
        g, v = _grad_and_value(func, argnums, has_aux, args, kwargs)
        return (g, v[1]) if has_aux else g

    return grad_f


# -- vjp / jvp / linearize ------------------------------------------------------------------
def vjp(func: Callable, *primals: Any, has_aux: bool = False):
    """``(func(*primals), vjp_fn[, aux])``; ``vjp_fn(cotangents)`` returns a tuple with
    one cotangent per primal. ``vjp_fn`` may be called many times.
    """
    check_callable(func, "vjp")
    leaves, pdef = tree_flatten(primals)
    leaves = to_inputs(leaves, lambda k: f"vjp: primal leaf {k}")
    flat = _AuxCatcher(lambda *xs: func(*tree_unflatten(pdef, xs)), has_aux, "vjp")

    out, pb = trace_vjp(flat, leaves)
    out_leaves, odef = tree_flatten(out)
    for o in out_leaves:
        _check_output_leaf(o, "vjp")

    def vjp_fn(cotangents):
        ct, cdef = tree_flatten(cotangents)
        if cdef != odef:
            raise RuntimeError(f"vjp_fn: expected cotangents with the structure of the output {odef}, got {cdef}")
        for k, (c, o) in enumerate(zip(ct, out_leaves)):
            if shape_of(c) != shape_of(o):
                raise RuntimeError(f"vjp_fn: cotangent {k} has shape {shape_of(c)} but the output has shape {shape_of(o)}")
        gs = pb(list(zip(out_leaves, ct)))
        return tree_unflatten(pdef, [_like(g, x) for g, x in zip(gs, leaves)])

    result = _strip(out, pb.trace)
    if has_aux:
        return result, vjp_fn, _strip(flat.aux, pb.trace)
    return result, vjp_fn


def jvp(func: Callable, primals: tuple, tangents: tuple, *, has_aux: bool = False):
    """``(func(*primals), J @ tangents[, aux])`` in forward mode (dual numbers)."""
    check_callable(func, "jvp")
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise RuntimeError("jvp: expected primals and tangents to be tuples, e.g. jvp(f, (x,), (t,))")
    leaves, pdef = tree_flatten(tuple(primals))
    tl, tdef = tree_flatten(tuple(tangents))
    if tdef != pdef:
        raise RuntimeError(f"jvp: expected tangents with the structure of primals {pdef}, got {tdef}")
    leaves = to_inputs(leaves, lambda k: f"jvp: primal leaf {k}")
    tl = to_inputs(tl, lambda k: f"jvp: tangent leaf {k}")
    for k, (x, t) in enumerate(zip(leaves, tl)):
        if shape_of(x) != shape_of(t):
            raise RuntimeError(f"jvp: tangent {k} has shape {shape_of(t)} but its primal has shape {shape_of(x)}")
    flat = _AuxCatcher(lambda *xs: func(*tree_unflatten(pdef, xs)), has_aux, "jvp")

    out, trace = trace_jvp(flat, leaves, tl)
    ol, odef = tree_flatten(out)
    pt = [split(o, trace) for o in ol]
    res = (tree_unflatten(odef, [_out(p) for p, _ in pt]),
           tree_unflatten(odef, [_like(t, p) for p, t in pt]))
    if has_aux:
        return res + (_strip(flat.aux, trace),)
    return res


def linearize(func: Callable, *primals: Any):
    """``(func(*primals), jvp_fn)``: ``jvp_fn(*tangents)`` is ``J @ tangents``, evaluated
    along the graph recorded once (the function is not run again)."""
    check_callable(func, "linearize")
    leaves, pdef = tree_flatten(primals)
    leaves = to_inputs(leaves, lambda k: f"linearize: primal leaf {k}")
    out, pb = trace_vjp(lambda *xs: func(*tree_unflatten(pdef, xs)), leaves)
    ol, odef = tree_flatten(out)

    def jvp_fn(*tangents):
        tl, tdef = tree_flatten(tangents)
        if tdef != pdef:
            raise RuntimeError(f"linearize: jvp_fn expected tangents with the structure {pdef}, got {tdef}")
        tl = to_inputs(tl, lambda k: f"linearize: tangent {k}")
        ts = pb.forward(ol, tl)
        return tree_unflatten(odef, [_like(t, primal(o, pb.trace)) for t, o in zip(ts, ol)])

    return _strip(out, pb.trace), jvp_fn


# -- Jacobians -------------------------------------------------------------------------------
def _size(x) -> int:
    return int(np.prod(shape_of(x)))


def _rows(x, lo, hi):
    """Rows lo:hi of the leading (batch) axis."""
    from ..rules.shape import slice_axis_p
    n = len(shape_of(x))
    return slice_axis_p(x, -n, lo, hi)


def _pull_seeds(pb: Pullback, out_leaves, in_leaves, seeds, last):
    """The cotangents of the inputs for the output ``seeds`` (rows of the Jacobian), one
    backward sweep per kind of output; ``last``: no sweep follows (the pull may let go of
    the graph).

    A VJP follows torch's convention (``g -> J^H g`` for complex values), so for complex
    outputs the rows are conjugated back: a holomorphic function's Jacobian comes out as
    the complex matrix ``J``, as forward mode gives it. A real input of a complex output
    needs a second sweep with ``i * e_k`` for the imaginary part of its rows.
    """
    if not any(dtype_of(o).kind == "c" for o in out_leaves):
        return pb(list(zip(out_leaves, seeds)), release=last)
    real_in = [dtype_of(x).kind != "c" for x in in_leaves]
    gs = pb(list(zip(out_leaves, seeds)), release=last and not any(real_in))
    gs2 = pb([(o, None if s is None else s * 1j) for o, s in zip(out_leaves, seeds)],
             release=last) if any(real_in) else gs
    from ..rules.elementwise import conj_p
    return [None if g is None else (g + 1j * g2 if r else conj_p(g))
            for g, g2, r in zip(gs, gs2, real_in)]


#: Batched cotangents are bounded to this many elements per recorded value (32 MiB of
#: float64): rows per backward sweep = CHUNK_ELEMENTS // (size of the largest value).
CHUNK_ELEMENTS = 1 << 22


def auto_chunk(pb: Pullback, total: int) -> int:
    """Rows per backward sweep so that no batched cotangent exceeds CHUNK_ELEMENTS."""
    if total <= 64:
        return total
    largest = max([_size(x._p) for x in pb.inputs] +
                  [sum(_size(v) for v in n._p) if isinstance(n._p, tuple) else _size(n._p) for n in pb.tape] + [1])
    return max(1, min(total, CHUNK_ELEMENTS // largest))


def pull_jacobian(pb: Pullback, out_leaves, in_leaves, chunk_size=None, last=False):
    """All rows of d outputs / d inputs by batched backward sweeps: ``jac[i][j]`` has shape
    ``out_i.shape + in_j.shape`` (``None`` where output i does not reach input j).
    ``last``: the caller pulls ``pb`` no more (its last sweep lets go of the graph)."""
    sizes = [_size(o) for o in out_leaves]
    total = sum(sizes)
    if chunk_size is not None and int(chunk_size) < 1 and total:
        raise ValueError(f"chunk_size must be a positive int or None, got {chunk_size!r}")
    if sizes == [1]:
        # One output of one element (a scalar function's gradient, hessian's inner jacrev):
        # one row, pulled without a batch axis and seeded as grad seeds (the unit).
        o = out_leaves[0]
        gs = _pull_seeds(pb, out_leaves, in_leaves, [ones_like(o)], last)
        return [[None if g is None else g if shape_of(o) == () else
                 reshape_p(g, shape_of(o) + shape_of(x), len(shape_of(x))) for g, x in zip(gs, in_leaves)]]
    step = auto_chunk(pb, total) if chunk_size is None else int(chunk_size)
    ranges = _sweeps(total, step)
    sweeps = [_pull_seeds(pb, out_leaves, in_leaves, basis_rows(out_leaves, r0, r1),
                          last and k == len(ranges) - 1) for k, (r0, r1) in enumerate(ranges)]
    cats = [_join_rows([gs[j] for gs in sweeps], ranges, x) for j, x in enumerate(in_leaves)]
    jac = []
    off = 0
    for o, n in zip(out_leaves, sizes):
        row = []
        for cat, x in zip(cats, in_leaves):
            if cat is None:
                row.append(None)
                continue
            block = _rows(cat, off, off + n) if len(out_leaves) > 1 else cat
            row.append(reshape_p(block, shape_of(o) + shape_of(x), len(shape_of(block))))
        jac.append(row)
        off += n
    return jac


def push_jacobian(func, in_leaves, which=None):
    """All columns of d outputs / d inputs by batched forward sweeps. Returns (output
    leaves, output treedef, jac, trace) with ``jac[i][j]`` of shape ``out_i.shape +
    in_j.shape`` (``None`` where input j does not reach output i). ``which`` limits the
    differentiated inputs (indices); the others are held constant.

    Up to 64 columns go in one sweep. More are pushed in sweeps sized so that no batched
    tangent holds more than CHUNK_ELEMENTS elements, the reverse-mode bound: a sweep that
    meets a larger value stops, and the function is run again with fewer columns per sweep
    (so a function may be called more than once). ``trace`` is the last sweep's."""
    which = range(len(in_leaves)) if which is None else which
    chosen = [in_leaves[j] for j in which]
    total = sum(_size(x) for x in chosen)
    step = total
    while True:
        try:
            ranges = _sweeps(total, step)
            sweeps = [_push_columns(func, in_leaves, which, chosen, total, r0, r1) for r0, r1 in ranges]
            break
        except TangentTooLarge as big:
            step = max(1, min(step - 1, CHUNK_ELEMENTS // max(1, big.largest)))
    ol, odef, trace = sweeps[-1][:3]
    outs, jac = [], []
    for i, o in enumerate(ol):
        p = split(o, trace)[0]
        outs.append(p)
        t = _join_rows([sw[3][i] for sw in sweeps], ranges, p)
        if t is None:
            jac.append([None] * len(chosen))
            continue
        row, off = [], 0
        for x in chosen:
            n = _size(x)
            block = _rows(t, off, off + n) if len(chosen) > 1 else t
            # (n, *out) -> (*out, *in)
            b = reshape_p(block, shape_of(x) + shape_of(p), len(shape_of(block)))
            k, m = len(shape_of(x)), len(shape_of(p))
            row.append(transpose(b, tuple(range(k, k + m)) + tuple(range(k))) if k and m else b)
            off += n
        jac.append(row)
    return outs, odef, jac, trace


def _push_columns(func, in_leaves, which, chosen, total, r0, r1):
    """One forward sweep of columns r0:r1: (output leaves, treedef, trace, tangents).

    A single column is pushed without its batch axis, which is put back on the output
    tangents: the sweep then does scalar arithmetic where it would do 1-row array
    arithmetic (the derivative of a scalar function, W1's ``jacfwd``, costs 40% less)."""
    one = r1 - r0 == 1
    tangents = [None] * len(in_leaves)
    for j, s in zip(which, basis_rows(chosen, r0, r1)):
        tangents[j] = s.reshape(s.shape[1:]) if one and s is not None else s
    trace = BoundedJVPTrace(CHUNK_ELEMENTS, r1 - r0) if total > 64 and not one else None
    out, trace = trace_jvp(func, in_leaves, tangents, trace)
    ol, odef = tree_flatten(out)
    ts = [split(o, trace)[1] for o in ol]
    if one:
        ts = [None if t is None else reshape_p(t, (1,) + shape_of(t), len(shape_of(t))) for t in ts]
    return ol, odef, trace, ts


def _sweeps(total: int, step: int) -> list:
    """(r0, r1) of each sweep of at most ``step`` rows (or columns) out of ``total``."""
    return [(r0, min(total, r0 + step)) for r0 in range(0, total, step or 1)]


def _join_rows(parts, ranges, like):
    """One sweep's batch of rows per range joined along the batch axis (a symbolic zero
    part becomes zeros shaped like ``like``); ``None`` when every part is zero."""
    if all(t is None for t in parts):
        return None
    parts = [np.zeros((r1 - r0,) + shape_of(like), dtype_of(like)) if t is None else t
             for t, (r0, r1) in zip(parts, ranges)]
    return parts[0] if len(parts) == 1 else concatenate(parts, axis=0)


def _assemble(a: _Args, out_def, jac, in_leaves, outs):
    """torch.func's structure: the output's pytree, each leaf holding the arguments' pytree."""
    per_out = [a.structure([_out(b) if b is not None else
                            np.zeros(shape_of(o) + shape_of(x), dtype_of(x))
                            for b, x in zip(row, in_leaves)])
               for row, o in zip(jac, outs)]
    return tree_unflatten(out_def, per_out)


def jacrev(func: Callable, argnums: int | tuple = 0, *, has_aux: bool = False,
           chunk_size: int | None = None) -> Callable:
    """``f -> df/dx`` by reverse mode: all rows in one batched backward sweep, or in sweeps
    of ``chunk_size`` rows. By default the rows per sweep are chosen so that no batched
    cotangent holds more than 2**22 elements (32 MiB of float64) per recorded value.

    >>> import numpy as np, funcad
    >>> funcad.func.jacrev(np.sin)(np.zeros(2))
    array([[1., 0.],
           [0., 1.]])
    """
    check_callable(func, "jacrev")

    @functools.wraps(func)
    @keeps_gc_paused
    def jacrev_f(*args, **kwargs):
        a = _Args("jacrev", args, argnums)
        flat = _AuxCatcher(lambda *leaves: a.call(func, leaves, kwargs), has_aux, "jacrev")

        out, pb = trace_vjp(flat, a.leaves)
        ol, odef = tree_flatten(out)
        for o in ol:
            _check_output_leaf(o, "jacrev")
        values = [primal(o, pb.trace) for o in ol]
        aux = _strip(flat.aux, pb.trace) if has_aux else None   # read before the values are released
        jac = pull_jacobian(pb, ol, a.leaves, chunk_size, last=True)
        res = _assemble(a, odef, jac, a.leaves, values)
        return (res, aux) if has_aux else res

    return jacrev_f


def jacfwd(func: Callable, argnums: int | tuple = 0, has_aux: bool = False) -> Callable:
    """``f -> df/dx`` by forward mode: all columns in one batched sweep of dual numbers."""
    check_callable(func, "jacfwd")

    @functools.wraps(func)
    def jacfwd_f(*args, **kwargs):
        a = _Args("jacfwd", args, argnums)
        flat = _AuxCatcher(lambda *leaves: a.call(func, leaves, kwargs), has_aux, "jacfwd")

        outs, odef, jac, trace = push_jacobian(flat, a.leaves)
        for o in outs:
            _check_output_leaf(o, "jacfwd")
        res = _assemble(a, odef, jac, a.leaves, outs)
        if has_aux:
            return res, _strip(flat.aux, trace)
        return res

    return jacfwd_f


def hessian(func: Callable, argnums: int | tuple = 0) -> Callable:
    """``f -> d²f/dx²`` as forward-over-reverse: ``jacfwd(jacrev(f))``."""
    check_callable(func, "hessian")
    return jacfwd(jacrev(func, argnums), argnums)

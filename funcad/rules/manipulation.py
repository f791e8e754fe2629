"""Rearranging, repeating, splitting and scanning arrays (flip, roll, tile, pad, cumsum...).

Almost everything here is linear and is written with the batch-polymorphic primitives of
``shape``, ``broadcast`` and ``indexing`` (slices, reshapes, broadcasts, gathers). Four new
primitives are cleaner or faster than their compositions, each declared with its transpose:

| primitive | transpose |
|---|---|
| ``flip_p(x, axes)`` | itself |
| ``roll_p(x, shifts, axes)`` | roll back by ``-shifts`` |
| ``cumsum_p(x, axis, reverse)`` | cumsum in the other direction |
| ``cumprod_p(x, axis)`` (not linear) | see its rules |

Axes reaching a primitive are negative, so a rule applied to a tangent or cotangent with
leading batch axes acts on the right ones.
"""
from __future__ import annotations

import numpy as np

from ..core import Box, value_of
from .broadcast import broadcast_p, dtype_of, ndim_of, reshape_p, shape_of, sum_p
from .elementwise import conj_p, is_complex, where_p
from .indexing import getitem_p, untake_p
from .reductions import SQUARE_MAX, divides, norm_axis
from .registry import deflinear, implements, primitive
from .shape import (atleast_3d, broadcast_to, concatenate, pad_axis_p, ravel, reshape,
                    slice_axis_p, transpose, transpose_p)

_NOVALUE = np._NoValue


def _arr(x):
    return x if isinstance(x, Box) else np.asarray(x)


def _axis(axis, nd: int, name: str = "axis") -> int:
    """One axis as a negative number (AxisError when out of bounds)."""
    return norm_axis(axis, nd, name)[0]


def _no_out(out, name):
    if out is not None:
        raise NotImplementedError(f"{name}(..., out=...) is not supported on traced values: funcad "
                                  f"never writes into arrays. Use the returned value instead.")


def _cast(a, dtype):
    if dtype is None:
        return a
    from .shape import astype
    return astype(a, dtype)


def _take_axis(x, idx, axis: int):
    """``x`` gathered with the integer array ``idx`` along the negative ``axis``."""
    nd = ndim_of(x)
    index = (slice(None),) * (nd + axis) + (np.asarray(idx),) + (slice(None),) * (-axis - 1)
    return getitem_p(x, index, nd)


# -- flip, roll --------------------------------------------------------------------------
flip_p = primitive(lambda x, axes: np.flip(x, axes), "flip")
deflinear(flip_p, lambda g, ans, x, axes: flip_p(g, axes))

roll_p = primitive(lambda x, shifts, axes: np.roll(x, shifts, axes), "roll")
deflinear(roll_p, lambda g, ans, x, shifts, axes: roll_p(g, tuple(-s for s in shifts), axes))


@implements(np.flip)
def flip(m, axis=None):
    """Reverse the order of entries along ``axis`` (all axes when None)."""
    m = _arr(m)
    axes = norm_axis(axis, ndim_of(m))
    return flip_p(m, axes) if axes else m


@implements(np.fliplr)
def fliplr(m):
    m = _arr(m)
    if ndim_of(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


@implements(np.flipud)
def flipud(m):
    m = _arr(m)
    if ndim_of(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


@implements(np.roll)
def roll(a, shift, axis=None):
    """Shift entries cyclically along ``axis`` (of the flattened array when None)."""
    a = _arr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    nd = ndim_of(a)
    total: dict = {}
    for s, ax in np.broadcast(shift, axis):   # NumPy adds shifts given for the same axis
        ax = _axis(int(ax), nd)
        total[ax] = total.get(ax, 0) + int(s)
    axes = tuple(total)
    return roll_p(a, tuple(total[x] for x in axes), axes)


# -- axis permutations built from flip and transpose --------------------------------------
@implements(np.rollaxis)
def rollaxis(a, axis, start=0):
    a = _arr(a)
    n = ndim_of(a)
    axis = _axis(axis, n) + n
    if not -n <= start < n + 1:
        raise np.exceptions.AxisError(f"'start' arg requires {-n} <= start < {n + 1}, "
                                      f"but {start} was passed in")
    start = start + n if start < 0 else start
    if axis < start:
        start -= 1
    if axis == start:
        return a
    perm = [k for k in range(n) if k != axis]
    perm.insert(start, axis)
    return transpose(a, perm)


@implements(np.rot90)
def rot90(m, k=1, axes=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane ``axes`` (NumPy's flip/transpose recipe)."""
    m = _arr(m)
    axes = tuple(axes)
    n = ndim_of(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    if axes[0] == axes[1] or abs(axes[0] - axes[1]) == n:
        raise ValueError("Axes must be different.")
    if not (-n <= axes[0] < n and -n <= axes[1] < n):
        raise ValueError(f"Axes={axes} out of range for array of ndim={n}.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    perm = list(range(n))
    perm[axes[0]], perm[axes[1]] = perm[axes[1]], perm[axes[0]]
    return transpose(flip(m, axes[1]), perm) if k == 1 else flip(transpose(m, perm), axes[1])


# -- diagonals and triangles ------------------------------------------------------------
def _diag_index(n1: int, n2: int, offset: int):
    """Row and column indices of diagonal ``offset`` of an ``n1 x n2`` matrix."""
    length = max(0, min(n1 + min(offset, 0), n2 - max(offset, 0)))
    k = np.arange(length)
    return k + max(-offset, 0), k + max(offset, 0)


@implements(np.diagonal)
def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal over ``axis1``, ``axis2``, as the last axis (a gather)."""
    a = _arr(a)
    n = ndim_of(a)
    if n < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    i, j = _axis(axis1, n, "axis1") + n, _axis(axis2, n, "axis2") + n
    if i == j:
        raise ValueError("axis1 and axis2 cannot be the same")
    a = transpose(a, [k for k in range(n) if k not in (i, j)] + [i, j])
    rows, cols = _diag_index(*shape_of(a)[-2:], int(offset))
    return getitem_p(a, (slice(None),) * (n - 2) + (rows, cols), n)


@implements(np.diag)
def diag(v, k=0):
    """A vector's diagonal matrix (a scatter into zeros), or a matrix's diagonal."""
    v = _arr(v)
    if ndim_of(v) == 2:
        return diagonal(v, k)
    if ndim_of(v) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = shape_of(v)[0] + abs(int(k))
    return untake_p(v, _diag_index(n, n, int(k)), (n, n), 1)


@implements(np.diagflat)
def diagflat(v, k=0):
    return diag(ravel(_arr(v)), k)


def _triangle(m, k, lower: bool):
    m = _arr(m)
    s = shape_of(m)
    if lower:
        mask = np.tri(*s[-2:], k=k, dtype=bool)
    else:
        mask = ~np.tri(*s[-2:], k=k - 1, dtype=bool)
    return where_p(mask, m, 0)


@implements(np.tril)
def tril(m, k=0):
    """Zero above diagonal ``k`` (a selection: its derivative is the same mask)."""
    return _triangle(m, k, True)


@implements(np.triu)
def triu(m, k=0):
    """Zero below diagonal ``k``."""
    return _triangle(m, k, False)


# -- cumulative sums and products -----------------------------------------------------
def _cumsum(x, axis, reverse):
    if reverse:
        return np.flip(np.cumsum(np.flip(x, axis), axis), axis)
    return np.cumsum(x, axis)


cumsum_p = primitive(_cumsum, "cumsum")
deflinear(cumsum_p, lambda g, ans, x, axis, reverse: cumsum_p(g, axis, not reverse))

cumprod_p = primitive(lambda x, axis: np.cumprod(x, axis), "cumprod")


def _c(x):
    return conj_p(x) if is_complex(x) else x


def _to_last(x, axis):
    k = -axis
    return x if k == 1 else transpose_p(x, tuple(range(1, k)) + (0,))


def _from_last(x, axis):
    k = -axis
    return x if k == 1 else transpose_p(x, (k - 1,) + tuple(range(k - 1)))


def _cumprod_partials(x, axis):
    """``P[..., i, j] = d cumprod(x)_j / d x_i`` (``axis`` moved last): the product of
    ``x_k`` over ``k <= j, k != i`` for ``j >= i``, else 0. Exact at zeros, where
    ``ans / x`` is not; it is itself a cumprod, so it differentiates again."""
    xm = _to_last(x, axis)
    n = shape_of(xm)[-1]
    rows = broadcast_p(reshape_p(xm, (1, n), 1), (n, n), 2)
    others = cumprod_p(where_p(np.eye(n, dtype=bool), 1, rows), -1)
    return where_p(np.triu(np.ones((n, n), dtype=bool)), others, 0)


def _exact(x, axis) -> bool:
    """Whether cumprod's rules take the exact partials (``n x n`` per slice) rather than
    divide by ``x``: at an exact zero always; at an entry small beside the largest while
    they hold at most ``SQUARE_MAX`` values (``cumprod(cumprod(pinv(a)))``, with an entry of
    -3.9e-17, had a second derivative wrong by 29% dividing)."""
    if divides(x):
        return False
    v = value_of(x)
    return not np.all(v != 0) or np.size(v) * np.shape(v)[axis] <= SQUARE_MAX


def _cumprod_vjp(g, ans, x, axis):
    if not _exact(x, axis):
        return cumsum_p(g * _c(ans), axis, True) / _c(x)
    gm = _to_last(g, axis)
    gm = reshape_p(gm, (1,) + shape_of(gm)[-1:], 1)
    p = _c(_cumprod_partials(x, axis)) * gm
    return _from_last(sum_p(p, (-1,), ndim_of(p), False), axis)


def _cumprod_jvp(t, ans, x, axis):
    if not _exact(x, axis):
        return cumsum_p(t / x, axis, False) * ans
    tm = _to_last(t, axis)
    tm = reshape_p(tm, shape_of(tm)[-1:] + (1,), 1)
    p = tm * _cumprod_partials(x, axis)
    return _from_last(sum_p(p, (-2,), ndim_of(p), False), axis)


cumprod_p.vjps = (_cumprod_vjp,)
cumprod_p.jvps = (_cumprod_jvp,)


def _scan(a, axis, dtype, out, name):
    _no_out(out, name)
    a = _cast(_arr(a), dtype)
    if axis is None or ndim_of(a) == 0:   # NumPy scans a 0-d array as a 1-d one
        a, axis = ravel(a), 0 if axis is None else axis
    return a, _axis(axis, ndim_of(a))


@implements(np.cumsum)
def cumsum(a, axis=None, dtype=None, out=None):
    """Running sums along ``axis`` (of the flattened array when None)."""
    a, ax = _scan(a, axis, dtype, out, "cumsum")
    return cumsum_p(a, ax, False)


@implements(np.cumprod)
def cumprod(a, axis=None, dtype=None, out=None):
    """Running products; derivatives exact where ``a`` has zeros."""
    a, ax = _scan(a, axis, dtype, out, "cumprod")
    return cumprod_p(a, ax)


def _cumulative(x, axis, dtype, out, include_initial, name):
    _no_out(out, name)
    x = _cast(_arr(x), dtype)
    if ndim_of(x) == 0:
        x = ravel(x)
    if axis is None:
        if ndim_of(x) > 1:
            raise ValueError(f"{name}: axis must be specified for multi-dimensional arrays")
        axis = 0
    return x, _axis(axis, ndim_of(x))


@implements(np.cumulative_sum)
def cumulative_sum(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    x, ax = _cumulative(x, axis, dtype, out, include_initial, "cumulative_sum")
    r = cumsum_p(x, ax, False)
    return pad_axis_p(r, ax, 1, 0) if include_initial else r


@implements(np.cumulative_prod)
def cumulative_prod(x, /, *, axis=None, dtype=None, out=None, include_initial=False):
    x, ax = _cumulative(x, axis, dtype, out, include_initial, "cumulative_prod")
    r = cumprod_p(x, ax)
    if not include_initial:
        return r
    s = list(shape_of(r))
    s[ax] = 1
    return concatenate([np.ones(s, dtype=dtype_of(r)), r], axis=ax)


@implements(np.diff)
def diff(a, n=1, axis=-1, prepend=_NOVALUE, append=_NOVALUE):
    """n-th differences along ``axis`` (after joining ``prepend`` and ``append``)."""
    a = _arr(a)
    if n == 0:
        return a
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    nd = ndim_of(a)
    if nd == 0:
        raise ValueError("diff requires input that is at least one dimensional")
    ax = _axis(axis, nd)
    parts = [a]
    for v, front in ((prepend, True), (append, False)):
        if v is _NOVALUE:
            continue
        v = _arr(v)
        if ndim_of(v) == 0:
            s = list(shape_of(a))
            s[ax] = 1
            v = broadcast_to(v, tuple(s))
        if front:
            parts.insert(0, v)
        else:
            parts.append(v)
    if len(parts) > 1:
        a = concatenate(parts, axis=ax)
    for _ in range(n):
        m = shape_of(a)[ax]
        if m <= 1:
            return slice_axis_p(a, ax, 0, 0)
        a = slice_axis_p(a, ax, 1, m) - slice_axis_p(a, ax, 0, m - 1)
    return a


# -- repeating ---------------------------------------------------------------------------
@implements(np.tile)
def tile(A, reps):
    """``A`` repeated ``reps`` times per axis: a broadcast of interleaved axes, reshaped."""
    A = _arr(A)
    reps = tuple(int(r) for r in reps) if np.iterable(reps) else (int(reps),)
    s = shape_of(A)
    s = (1,) * (len(reps) - len(s)) + s
    reps = (1,) * (len(s) - len(reps)) + reps
    if any(r < 0 for r in reps):
        raise ValueError("negative dimensions are not allowed")
    A = reshape(A, tuple(d for n in s for d in (1, n)))
    A = broadcast_to(A, tuple(d for r, n in zip(reps, s) for d in (r, n)))
    return reshape(A, tuple(r * n for r, n in zip(reps, s)))


@implements(np.repeat)
def repeat(a, repeats, axis=None):
    """Each entry repeated: a broadcast for a single count, a gather for per-entry counts."""
    a = _arr(a)
    if axis is None or ndim_of(a) == 0:
        a, axis = ravel(a), 0 if axis is None else axis
    ax = _axis(axis, ndim_of(a))
    s = shape_of(a)
    r = np.asarray(value_of(repeats))
    if r.size == 1 and r.ndim <= 1:
        r = int(r.reshape(()))
        if r < 0:
            raise ValueError("repeats may not contain negative values.")
        k = len(s) + ax
        a = reshape(a, s[:k + 1] + (1,) + s[k + 1:])
        a = broadcast_to(a, s[:k + 1] + (r,) + s[k + 1:])
        return reshape(a, s[:k] + (s[k] * r,) + s[k + 1:])
    return _take_axis(a, np.repeat(np.arange(s[ax]), r), ax)


def _pairs(x, nd: int, name: str):
    """NumPy's ``(before, after)`` per axis from an int, a pair, a sequence of pairs or a
    dict ``{axis: int or pair}``."""
    if isinstance(x, dict):
        out = [[0, 0] for _ in range(nd)]
        for ax, w in x.items():
            out[_axis(ax, nd)] = _pairs(w, 1, name)[0]
        return out
    v = np.asarray(x)
    if v.ndim > 2 or (v.ndim and v.shape[-1] not in (1, 2)) or (v.ndim == 2 and v.shape[0] not in (1, nd)):
        raise ValueError(f"{name} must be an int, a (before, after) pair or one pair per axis")
    return np.broadcast_to(v, (nd, 2)).tolist()


def _has_box(x) -> bool:
    return isinstance(x, Box) or (isinstance(x, (list, tuple)) and any(_has_box(i) for i in x))


_GATHER_MODES = ("edge", "reflect", "symmetric", "wrap")


@implements(np.pad)
def pad(array, pad_width, mode="constant", **kwargs):
    """Pad each axis. Constant mode pads zeros (the transpose slices them off) and adds the
    constant; 'edge', 'reflect', 'symmetric' and 'wrap' gather along each axis, with the
    positions NumPy itself pads an ``arange`` with."""
    x = _arr(array)
    nd, shape = ndim_of(x), shape_of(x)
    widths = _pairs(pad_width, nd, "pad_width")
    if any(int(b) < 0 or int(e) < 0 for b, e in widths):
        raise ValueError("index can't contain negative values")
    if callable(mode) or mode not in ("constant",) + _GATHER_MODES:
        raise NotImplementedError(f"pad(..., mode={mode!r}) is not supported on traced values; "
                                  f"use one of 'constant', {', '.join(map(repr, _GATHER_MODES))}")
    if mode == "constant":
        cv = kwargs.pop("constant_values", 0)
        if kwargs:
            raise ValueError(f"unsupported keyword arguments for mode 'constant': {set(kwargs)}")
        if _has_box(cv):
            raise NotImplementedError("pad(..., constant_values=<traced value>) is not supported; "
                                      "pad with 0 and add the constant times a mask instead")
        for k, (b, e) in enumerate(widths):
            if b or e:
                x = pad_axis_p(x, k - nd, int(b), int(e))
        if np.any(np.asarray(cv) != 0):
            dt = dtype_of(x)
            x = x + np.pad(np.zeros(shape, dt), widths, constant_values=cv)
        return x
    reflect_type = kwargs.pop("reflect_type", "even")
    if kwargs:
        raise ValueError(f"unsupported keyword arguments for mode '{mode}': {set(kwargs)}")
    if reflect_type != "even" and mode in ("reflect", "symmetric"):
        raise NotImplementedError(f"pad(..., mode={mode!r}, reflect_type={reflect_type!r}) is not "
                                  f"supported on traced values; only reflect_type='even' is")
    for k, (b, e) in enumerate(widths):
        if b or e:
            idx = np.pad(np.arange(shape_of(x)[k]), (int(b), int(e)), mode=mode)
            x = _take_axis(x, idx, k - nd)
    return x


# -- splitting and joining ---------------------------------------------------------------
def _split(ary, indices_or_sections, axis, equal: bool):
    a = _arr(ary)
    ax = _axis(axis, ndim_of(a))
    total = shape_of(a)[ax]
    if np.ndim(indices_or_sections) == 0:
        sections = int(indices_or_sections)
        if sections <= 0:
            raise ValueError("number sections must be larger than 0.")
        if equal and total % sections:
            raise ValueError("array split does not result in an equal division")
        each, extra = divmod(total, sections)
        points = np.cumsum([0] + extra * [each + 1] + (sections - extra) * [each]).tolist()
    else:
        points = [0] + [int(i) for i in indices_or_sections] + [total]
    pieces = []
    for st, en in zip(points[:-1], points[1:]):
        start, stop, _ = slice(st, en).indices(total)
        pieces.append(slice_axis_p(a, ax, start, max(start, stop)))
    return pieces


@implements(np.split)
def split(ary, indices_or_sections, axis=0):
    """A list of pieces, each a differentiable slice."""
    return _split(ary, indices_or_sections, axis, True)


@implements(np.array_split)
def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


@implements(np.hsplit)
def hsplit(ary, indices_or_sections):
    if ndim_of(ary) == 0:
        raise ValueError("hsplit only works on arrays of 1 or more dimensions")
    return split(ary, indices_or_sections, 1 if ndim_of(ary) > 1 else 0)


@implements(np.vsplit)
def vsplit(ary, indices_or_sections):
    if ndim_of(ary) < 2:
        raise ValueError("vsplit only works on arrays of 2 or more dimensions")
    return split(ary, indices_or_sections, 0)


@implements(np.dsplit)
def dsplit(ary, indices_or_sections):
    if ndim_of(ary) < 3:
        raise ValueError("dsplit only works on arrays of 3 or more dimensions")
    return split(ary, indices_or_sections, 2)


@implements(np.append)
def append(arr, values, axis=None):
    arr, values = _arr(arr), _arr(values)
    if axis is None:
        arr, values, axis = ravel(arr), ravel(values), 0
    return concatenate([arr, values], axis=axis)


@implements(np.column_stack)
def column_stack(tup):
    cols = []
    for v in tup:
        v = _arr(v)
        if ndim_of(v) < 2:
            v = reshape(v, (-1, 1))
        cols.append(v)
    return concatenate(cols, axis=1)


@implements(np.dstack)
def dstack(tup):
    return concatenate([atleast_3d(_arr(v)) for v in tup], axis=2)


# -- gathers -------------------------------------------------------------------------------
def _int_indices(indices, name="indices"):
    idx = np.asarray(value_of(indices))
    if idx.dtype.kind not in "iu" and idx.size:
        raise IndexError(f"{name} must be integers, got dtype {idx.dtype}")
    return idx.astype(np.intp, copy=False)


@implements(np.take)
def take(a, indices, axis=None, out=None, mode="raise"):
    """``a``'s entries at ``indices`` along ``axis`` (a gather; repeats accumulate back)."""
    _no_out(out, "take")
    a = _arr(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = _axis(axis, ndim_of(a))
    idx = np.asarray(value_of(indices)).astype(np.intp)   # NumPy's take casts, as here
    n = shape_of(a)[ax]
    if mode == "wrap":
        idx = idx % n
    elif mode == "clip":
        idx = np.clip(idx, 0, n - 1)
    elif mode != "raise":
        raise ValueError(f"take: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    return _take_axis(a, idx, ax)


@implements(np.take_along_axis)
def take_along_axis(arr, indices, axis=-1):
    """``arr`` gathered at ``indices`` along ``axis`` (e.g. with the result of argsort)."""
    arr = _arr(arr)
    idx = _int_indices(indices)
    if axis is None:
        if idx.ndim != 1:
            raise ValueError("when axis=None, `indices` must have a single dimension.")
        arr, axis = ravel(arr), 0
    nd = ndim_of(arr)
    if idx.ndim != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ax = _axis(axis, nd) + nd
    s = shape_of(arr)
    index = tuple(idx if d == ax else np.arange(s[d]).reshape((1,) * d + (-1,) + (1,) * (nd - d - 1))
                  for d in range(nd))
    return getitem_p(arr, index, nd)


@implements(np.compress)
def compress(condition, a, axis=None, out=None):
    cond = np.asarray(value_of(condition))
    if cond.ndim != 1:
        raise ValueError("condition must be a 1-d array")
    return take(a, np.nonzero(cond)[0], axis, out)


# -- grids -------------------------------------------------------------------------------
@implements(np.meshgrid)
def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """Coordinate arrays, as a tuple (broadcasts of reshaped vectors)."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    n = len(xi)
    one = (1,) * n
    out = [reshape(ravel(_arr(x)), one[:i] + (-1,) + one[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and n > 1:
        out[0] = reshape(out[0], (1, -1) + one[2:])
        out[1] = reshape(out[1], (-1, 1) + one[2:])
    if not sparse:
        full = np.broadcast_shapes(*[shape_of(o) for o in out])
        out = [broadcast_to(o, full) for o in out]
    return tuple(out)


def _spacing(varargs, f_shape, axes):
    """Per-axis spacing as NumPy reads it: a scalar, or the differences of coordinates."""
    if any(isinstance(v, Box) for v in varargs):
        raise NotImplementedError("gradient with traced spacing is not supported: the derivative "
                                  "is taken with respect to f only; pass plain spacings")
    if not varargs:
        return [1.0] * len(axes)
    if len(varargs) == 1 and np.ndim(varargs[0]) == 0:
        return list(varargs) * len(axes)
    if len(varargs) != len(axes):
        raise TypeError("invalid number of arguments")
    dx = []
    for d, ax in zip(varargs, axes):
        d = np.asarray(d)
        if d.ndim == 0:
            dx.append(d)
            continue
        if d.ndim != 1:
            raise ValueError("distances must be either scalars or 1d")
        if len(d) != f_shape[ax]:
            raise ValueError("when 1d, distances must match the length of the corresponding dimension")
        step = np.diff(d.astype(np.float64) if d.dtype.kind in "iu" else d)
        dx.append(step[0] if np.all(step == step[0]) else step)
    return dx


def _stencil(f, ax, nd, terms, dt):
    """``sum(c * f[start:stop])`` along ``ax`` for ``(c, start, stop)`` in ``terms``;
    array coefficients are laid along ``ax``."""
    out = 0
    for c, start, stop in terms:
        c = np.asarray(c, dtype=dt)
        if c.ndim:
            c = c.reshape((-1,) + (1,) * (-ax - 1))
        out = out + c * slice_axis_p(f, ax, start, stop)
    return out


@implements(np.gradient)
def gradient(f, *varargs, axis=None, edge_order=1):
    """Second-order central differences inside, one-sided ones at the ends (NumPy's
    formulas); linear in ``f`` with constant coefficients."""
    f = _arr(f)
    nd = ndim_of(f)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(_axis(a, nd) + nd for a in (axis if isinstance(axis, (tuple, list)) else (axis,)))
    if len(set(axes)) != len(axes):
        raise ValueError("repeated axis")
    dx = _spacing(varargs, shape_of(f), axes)
    if edge_order > 2:
        raise ValueError("'edge_order' greater than 2 not supported")
    dt = dtype_of(f)
    if dt.kind not in "fc":
        f, dt = _cast(f, np.float64), np.dtype(np.float64)
    outs = []
    for k, h in zip(axes, dx):
        n = shape_of(f)[k]
        ax = k - nd
        if n < edge_order + 1:
            raise ValueError("Shape of array too small to calculate a numerical gradient, "
                             "at least (edge_order + 1) elements are required.")
        if np.ndim(h) == 0:
            mid = _stencil(f, ax, nd, [(-0.5 / h, 0, n - 2), (0.5 / h, 2, n)], dt)
        else:
            h1, h2 = h[:-1], h[1:]
            mid = _stencil(f, ax, nd, [(-h2 / (h1 * (h1 + h2)), 0, n - 2), ((h2 - h1) / (h1 * h2), 1, n - 1),
                                       (h1 / (h2 * (h1 + h2)), 2, n)], dt)
        if edge_order == 1:
            h0, hn = (h, h) if np.ndim(h) == 0 else (h[0], h[-1])
            first = _stencil(f, ax, nd, [(-1 / h0, 0, 1), (1 / h0, 1, 2)], dt)
            last = _stencil(f, ax, nd, [(-1 / hn, n - 2, n - 1), (1 / hn, n - 1, n)], dt)
        else:
            if np.ndim(h) == 0:
                a0, b0, c0 = -1.5 / h, 2.0 / h, -0.5 / h
                an, bn, cn = 0.5 / h, -2.0 / h, 1.5 / h
            else:
                d1, d2 = h[0], h[1]
                a0, b0, c0 = -(2 * d1 + d2) / (d1 * (d1 + d2)), (d1 + d2) / (d1 * d2), -d1 / (d2 * (d1 + d2))
                d1, d2 = h[-2], h[-1]
                an, bn, cn = d2 / (d1 * (d1 + d2)), -(d2 + d1) / (d1 * d2), (2 * d2 + d1) / (d2 * (d1 + d2))
            first = _stencil(f, ax, nd, [(a0, 0, 1), (b0, 1, 2), (c0, 2, 3)], dt)
            last = _stencil(f, ax, nd, [(an, n - 3, n - 2), (bn, n - 2, n - 1), (cn, n - 1, n)], dt)
        outs.append(concatenate([first, mid, last], axis=ax))
    return outs[0] if len(outs) == 1 else tuple(outs)

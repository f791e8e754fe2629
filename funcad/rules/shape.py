"""Shape and joining operations. All are linear: each is declared with its transpose.

Axes are normalised to negative numbers before they reach a primitive, so a primitive
applied to a tangent or cotangent with leading batch axes does the right thing.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..core import value_of
from ..core.reverse import defer
from .broadcast import broadcast_p, core_shape, dtype_of, ndim_of, reshape_p, shape_of, unbroadcast
from .reductions import norm_axis
from .registry import deflinear, defvjp_argnum, implements, primitive


# -- transpose ---------------------------------------------------------------------------
def _transpose(x, perm):
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    lead = x.ndim - len(perm)
    return x.transpose(tuple(range(lead)) + tuple(lead + p for p in perm) if lead else perm)


transpose_p = primitive(_transpose, "transpose")
deflinear(transpose_p, lambda g, ans, x, perm: transpose_p(g, tuple(np.argsort(perm))))


# -- astype ------------------------------------------------------------------------------
def _astype(x, dtype):
    return np.asarray(x).astype(dtype, copy=False) if np.ndim(x) else np.asarray(x, dtype=dtype)


astype_p = primitive(_astype, "astype")


def _astype_vjp(g, ans, x, dtype):
    xd = dtype_of(x)
    if xd.kind != "c" and dtype_of(g).kind == "c":
        from .ufuncs import real
        g = real(g)
    return astype_p(g, xd)


deflinear(astype_p, _astype_vjp)


# -- slicing one axis, and its transpose (padding with zeros) -----------------------------
def _slice_axis(x, axis, start, stop):
    idx = [slice(None)] * -axis
    idx[0] = slice(start, stop)
    return x[(Ellipsis, *idx)]


def _pad_axis(x, axis, before, after):
    """``x`` with ``before`` and ``after`` zeros along ``axis``: ``np.pad``'s result,
    without its Python (9 us for 100 entries, against 1)."""
    x = np.asarray(x)
    axis = axis - x.ndim if axis >= 0 else axis
    shape = list(x.shape)
    n = shape[axis]
    shape[axis] += before + after
    out = np.zeros(shape, x.dtype)
    _slice_axis(out, axis, before, before + n)[...] = x
    return out


def _add_sliced(buf, g, axis, before, after) -> bool:
    """Add ``g`` into ``buf`` between ``before`` and ``after`` of ``axis``, in place: the
    slice's deferred cotangent summed with the others to the same array (the pieces of
    ``np.split``), touching that slice only."""
    full = list(np.shape(g))
    full[axis] += before + after
    if tuple(full) != buf.shape:
        return False
    view = _slice_axis(buf, axis, before, buf.shape[axis] - after)
    view += g
    return True


slice_axis_p = primitive(_slice_axis, "slice")
pad_axis_p = primitive(_pad_axis, "pad")
deflinear(slice_axis_p, lambda g, ans, x, axis, start, stop:
          defer(pad_axis_p, _add_sliced, g, axis, start, shape_of(x)[axis] - stop))
deflinear(pad_axis_p, lambda g, ans, x, axis, before, after:
          slice_axis_p(g, axis, before, before + shape_of(x)[axis]))


# -- concatenate -------------------------------------------------------------------------
def _concat(*xs, axis):
    return np.concatenate(xs, axis=axis)


concat_p = primitive(_concat, "concatenate")


def _concat_vjp(i, g, ans, *xs, axis):
    start = builtins.sum(shape_of(x)[axis] for x in xs[:i])
    return slice_axis_p(g, axis, start, start + shape_of(xs[i])[axis])


def _concat_jvp_all(ts, ans, *xs, axis):
    """All pieces' tangents joined at once (zeros for the constant pieces): one
    full-size array, not one per piece."""
    k = next(i for i, t in enumerate(ts) if t is not None)
    lead = shape_of(ts[k])[:ndim_of(ts[k]) - ndim_of(xs[k])]
    dt = np.result_type(*[value_of(t) for t in ts if t is not None])
    return concat_p(*[t if t is not None else np.zeros(lead + shape_of(x), dt) for t, x in zip(ts, xs)], axis=axis)


defvjp_argnum(concat_p, _concat_vjp)
concat_p.jvp_all = _concat_jvp_all


# -- NumPy's signatures -----------------------------------------------------------------
def _dummy(shape):
    """A zero-byte array of ``shape``: lets NumPy itself work out a shape operation."""
    return np.broadcast_to(np.empty((), np.int8), shape)


@implements(np.reshape)
def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    shape = newshape if shape is None else shape
    if order != "C":
        raise NotImplementedError("reshape(..., order='F') is not supported on traced values")
    s = shape_of(a)
    new = _dummy(s).reshape(shape).shape   # NumPy resolves -1 and checks the size
    return a if new == s else reshape_p(a, new, len(s))


@implements(np.ravel)
def ravel(a, order="C"):
    return reshape(a, (-1,), order)


@implements(np.transpose, np.permute_dims)
def transpose(a, axes=None):
    n = ndim_of(a)
    perm = tuple(range(n))[::-1] if axes is None else tuple(int(p) % n for p in axes) if n else ()
    if sorted(perm) != list(range(n)):
        raise ValueError(f"axes {axes} don't match array of dimension {n}")
    return a if perm == tuple(range(n)) else transpose_p(a, perm)


@implements(np.swapaxes)
def swapaxes(a, axis1, axis2):
    n = ndim_of(a)
    p = list(range(n))
    i, j = norm_axis(axis1, n)[0] + n, norm_axis(axis2, n)[0] + n
    p[i], p[j] = p[j], p[i]
    return transpose(a, p)


@implements(np.matrix_transpose)
def matrix_transpose(x, /):
    return swapaxes(x, -1, -2)


@implements(np.moveaxis)
def moveaxis(a, source, destination):
    n = ndim_of(a)
    src = [int(s) % n for s in (source if isinstance(source, (tuple, list)) else (source,))]
    dst = [int(d) % n for d in (destination if isinstance(destination, (tuple, list)) else (destination,))]
    order = [k for k in range(n) if k not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(a, order)


@implements(np.expand_dims)
def expand_dims(a, axis):
    s = shape_of(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    n = len(s) + len(axes)
    axes = sorted(int(x) % n for x in axes)
    out = list(s)
    for x in axes:
        out.insert(x, 1)
    return reshape_p(a, tuple(out), len(s))


@implements(np.squeeze)
def squeeze(a, axis=None):
    s = shape_of(a)
    if axis is None:
        axes = [i for i, d in enumerate(s) if d == 1]
    else:
        axes = [x + len(s) for x in norm_axis(axis, len(s))]
        if any(s[x] != 1 for x in axes):
            raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return reshape_p(a, tuple(d for i, d in enumerate(s) if i not in axes), len(s))


@implements(np.broadcast_to)
def broadcast_to(array, shape, subok=False):
    shape = tuple(shape) if isinstance(shape, (tuple, list)) else (int(shape),)
    s = shape_of(array)
    np.broadcast_shapes(s, shape)
    return array if s == shape else broadcast_p(array, shape, len(s))


def _atleast(np_fn):
    def f(*arys):
        outs = []
        for a in arys:
            s = shape_of(a)
            new = np_fn(_dummy(s)).shape
            outs.append(a if new == s else reshape_p(a, new, len(s)))
        return outs[0] if len(outs) == 1 else tuple(outs)
    f.__name__ = np_fn.__name__
    return implements(np_fn)(f)


atleast_1d, atleast_2d, atleast_3d = (_atleast(f) for f in (np.atleast_1d, np.atleast_2d, np.atleast_3d))


def _result_dtype(arrays):
    return np.result_type(*[value_of(a) for a in arrays])


@implements(np.concatenate)
def concatenate(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    if out is not None:
        raise NotImplementedError("concatenate(..., out=...) is not supported on traced values")
    arrays = list(arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    n = ndim_of(arrays[0])
    if n == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    dt = dtype or _result_dtype(arrays)
    arrays = [a if dtype_of(a) == dt else astype_p(a, dt) for a in arrays]
    return concat_p(*arrays, axis=norm_axis(axis, n)[0])


@implements(np.stack)
def stack(arrays, axis=0, out=None, *, dtype=None, casting="same_kind"):
    arrays = list(arrays)
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    n = ndim_of(arrays[0]) + 1
    ax = norm_axis(axis, n)[0] + n
    return concatenate([expand_dims(a, ax) for a in arrays], axis=ax, out=out, dtype=dtype)


@implements(np.vstack)
def vstack(tup, *, dtype=None, casting="same_kind"):
    return concatenate(atleast_2d_list(tup), axis=0, dtype=dtype)


def atleast_2d_list(tup):
    return [atleast_2d(a) for a in tup]


@implements(np.hstack)
def hstack(tup, *, dtype=None, casting="same_kind"):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if ndim_of(arrs[0]) == 1 else 1, dtype=dtype)


@implements(np.astype)
def astype(x, dtype, /, *, copy=True, device=None):
    dtype = np.dtype(dtype)
    return x if dtype_of(x) == dtype else astype_p(x, dtype)


@implements(np.copy)
def copy(a, order="K", subok=False):
    return a


@implements(np.shape)
def _shape(a):
    return shape_of(a)


@implements(np.ndim)
def _ndim(a):
    return ndim_of(a)


@implements(np.size)
def _size(a, axis=None):
    return np.size(value_of(a), axis)


@implements(np.result_type)
def _result_type(*arrays_and_dtypes):
    return np.result_type(*[value_of(a) for a in arrays_and_dtypes])

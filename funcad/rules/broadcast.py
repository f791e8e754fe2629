"""Broadcasting and its transpose: ``reshape``, ``broadcast_to``, ``sum`` and ``unbroadcast``.

These primitives act on the *trailing* ``ndim`` axes of their argument, so the same call
works on a primal value and on a tangent or cotangent with leading batch axes. Every other
rule family builds on them; broadcasting is undone in one place, :func:`unbroadcast`.
"""
from __future__ import annotations

from math import prod

import numpy as np

from ..core import Box
from .registry import deflinear, primitive


def shape_of(x) -> tuple:
    """Shape of a value at any level (Python scalars have shape ``()``)."""
    while isinstance(x, Box):
        x = x._p
    s = getattr(x, "shape", None)   # ndarrays and NumPy scalars answer without a dispatch
    return s if s is not None else np.shape(x)


def dtype_of(x) -> np.dtype:
    """dtype of a value at any level."""
    while isinstance(x, Box):
        x = x._p
    d = getattr(x, "dtype", None)
    return d if d is not None else np.result_type(x)


def ndim_of(x) -> int:
    return len(shape_of(x))


def broadcasts_into(s: tuple, target: tuple) -> bool:
    """Does shape ``s`` broadcast to ``target`` without growing it (no NumPy call: cheap)?"""
    n = len(target) - len(s)
    return n >= 0 and all(a == b or a == 1 for a, b in zip(s, target[n:]))


def core_shape(x, n: int) -> tuple:
    """The trailing ``n`` axes of ``x``'s shape (the part a batched rule works on)."""
    s = shape_of(x)
    return s[len(s) - n:]


def _reshape(x, shape, ndim):
    if not isinstance(x, np.ndarray):
        x = np.asarray(x)
    s = x.shape
    return x.reshape(s[:len(s) - ndim] + shape)


SMALL_BROADCAST = 4096   # elements: up to this a fresh copy costs less than a view
_PLAIN = (np.ndarray, np.generic)


def _broadcast(x, shape, ndim):
    """``x`` broadcast to batch + ``shape``: a read-only view (``np.broadcast_to``), or a
    fresh array when the result is small. NumPy builds the view in Python (2.4 us, and
    many times that with cold caches: the first sum VJP after a large matrix product
    took 30 us); an empty array filled by assignment takes 0.3-1.3 us up to 4096 elements."""
    s = shape_of(x)
    lead, core = s[:len(s) - ndim], s[len(s) - ndim:]
    if len(shape) > ndim:
        x = _reshape(x, (1,) * (len(shape) - ndim) + core, ndim)
    full = lead + shape
    if isinstance(x, _PLAIN) and x.ndim <= len(full) and prod(full) <= SMALL_BROADCAST:
        out = np.empty(full, x.dtype)
        out[...] = x
        return out
    return np.broadcast_to(x, full)


def _sum(x, axis, ndim, keepdims):
    return _add_reduce(x, axis=axis, keepdims=keepdims)   # np.sum without its Python wrapper


_add_reduce = np.add.reduce


reshape_p = primitive(_reshape, "reshape")
broadcast_p = primitive(_broadcast, "broadcast_to")
sum_p = primitive(_sum, "sum")

deflinear(reshape_p,
          lambda g, ans, x, shape, ndim: reshape_p(g, core_shape(x, ndim), len(shape)))
deflinear(broadcast_p,
          lambda g, ans, x, shape, ndim: unbroadcast(g, core_shape(x, ndim), ndim_of(g) - len(shape)))


def keep_reduced(g, x, axis, nd, keepdims):
    """A reduction's cotangent (or answer) with the reduced axes of ``x`` as 1s (keepdims),
    ready to broadcast against ``x``'s core shape."""
    if keepdims:
        return g
    kept = list(core_shape(x, nd))
    for a in axis:
        kept[a] = 1
    return reshape_p(g, tuple(kept), nd - len(axis))


def expand_reduced(g, x, axis, nd, keepdims):
    """A reduction's cotangent (or answer) broadcast back to ``x``'s core shape: sum's VJP,
    and the first step of every other reduction's. Reduced leading axes (a full reduction,
    ``axis=0``) need no 1s kept: broadcasting puts them in front."""
    if keepdims or axis != tuple(range(-nd, len(axis) - nd)):
        return broadcast_p(keep_reduced(g, x, axis, nd, keepdims), core_shape(x, nd), nd)
    return broadcast_p(g, core_shape(x, nd), nd - len(axis))


deflinear(sum_p, lambda g, ans, x, axis, nd, keepdims: expand_reduced(g, x, axis, nd, keepdims))


def unbroadcast(c, target: tuple, nb: int):
    """Sum ``c`` (``nb`` batch axes, then a broadcast shape) down to batch + ``target``."""
    cs = shape_of(c)
    core = cs[nb:]
    if core == target:
        return c
    nc, nt = len(core), len(target)
    extra = nc - nt
    axes = tuple(range(-nc, -nt)) if extra else ()
    if 1 in target:   # axes kept as 1 that the broadcast grew
        axes += tuple([i - nt for i in range(nt) if target[i] == 1 and core[extra + i] != 1])
    if not extra:   # same rank: keepdims gives the target's shape, with no reshape after
        return sum_p(c, axes, nc, True)
    c = sum_p(c, axes, nc, False)
    if len(axes) != extra:   # the target's own 1s were summed away with the extra axes
        c = reshape_p(c, target, nc - len(axes))
    return c


def fit(c, ans, nb: int):
    """Broadcast a tangent contribution up to batch + ``ans``'s shape when it is smaller."""
    a = shape_of(ans)
    cs = shape_of(c)
    if cs[nb:] != a:
        c = broadcast_p(c, a, len(cs) - nb)
    return c


def align(t, x, ans):
    """Give a batched tangent of ``x`` the rank of ``ans`` (insert 1-axes after the batch)
    so that broadcasting against ``ans``-shaped values lines up; returns (t, nb)."""
    nx = ndim_of(x)
    nb = ndim_of(t) - nx
    if nb and nx < ndim_of(ans):
        t = reshape_p(t, (1,) * (ndim_of(ans) - nx) + shape_of(x), nx)
    return t, nb

"""Indexing: ``x[idx]`` and its transpose, the scatter-add of a cotangent into zeros.

An index is normalised once (Ellipsis expanded, trailing slices added, boolean masks turned
into integer arrays) so that it addresses the trailing axes and can be applied to a
batched tangent or cotangent behind an Ellipsis. Repeated integer indices accumulate in the
transpose (``np.add.at``).
"""
from __future__ import annotations

import numpy as np

from ..core import Box, value_of
from ..core.reverse import defer
from .broadcast import ndim_of, shape_of
from .registry import deflinear, primitive


def normalize_index(idx, nd: int) -> tuple:
    """``idx`` as a tuple covering all ``nd`` axes, with no Ellipsis and no boolean arrays."""
    if type(idx) is int and nd:   # x[i], a loop's index: the common case, at once
        return (idx,) + (slice(None),) * (nd - 1)
    if not isinstance(idx, tuple):
        idx = (idx,)
    items = []
    for i in idx:
        if isinstance(i, Box):
            i = value_of(i)
        if isinstance(i, list):
            i = np.asarray(i)
        if isinstance(i, np.ndarray):
            if i.dtype == bool:
                items.extend(np.nonzero(i))
                continue
            if i.dtype.kind not in "iu":
                raise IndexError("arrays used as indices must be of integer (or boolean) type")
        items.append(i)
    used = sum(0 if i is None or i is Ellipsis else 1 for i in items)
    if any(i is Ellipsis for i in items):
        k = next(n for n, i in enumerate(items) if i is Ellipsis)
        items[k:k + 1] = [slice(None)] * (nd - used)
    else:
        items += [slice(None)] * (nd - used)
    if used > nd:
        raise IndexError(f"too many indices for array: array is {nd}-dimensional, but {used} were indexed")
    return tuple(items)


def _advanced(idx):
    """(number of broadcast advanced dims, whether NumPy moves them to the front)."""
    arrays = [k for k, i in enumerate(idx) if isinstance(i, np.ndarray)]
    if not arrays:
        return 0, False
    pos = [k for k, i in enumerate(idx) if isinstance(i, (np.ndarray, int, np.integer))]
    split = pos != list(range(pos[0], pos[-1] + 1))
    return len(np.broadcast_shapes(*[idx[k].shape for k in arrays])), split


def _getitem(x, idx, nd):
    nb = np.ndim(x) - nd
    if not nb:
        return x[idx]
    out = x[(Ellipsis, *idx)]
    k, split = _advanced(idx)
    if split:   # NumPy put the advanced axes before the batch axes: move them behind
        out = np.moveaxis(out, tuple(range(k)), tuple(range(nb, nb + k)))
    return out


def _place(out, g, idx, nb: int, add: bool):
    """Write (``add``: add) ``g`` at ``idx`` of ``out``, whose first ``nb`` axes are batch
    axes; repeated advanced indices accumulate."""
    k, split = _advanced(idx)
    if split and nb:
        g = np.moveaxis(g, tuple(range(nb, nb + k)), tuple(range(k)))
    where = (Ellipsis, *idx) if nb else idx   # NumPy takes a leading Ellipsis slowly (1 us)
    if k:
        np.add.at(out, where, g)
    elif add:
        out[where] += g
    else:
        out[where] = g
    return out


def _untake(g, idx, shape, out_nd):
    nb = np.ndim(g) - out_nd
    out = np.zeros(np.shape(g)[:nb] + shape, dtype=np.result_type(g))
    return _place(out, g, idx, nb, False)


def _add_placed(buf, g, idx, shape, out_nd) -> bool:
    """Add ``g`` at ``idx`` into ``buf`` (getitem's deferred cotangent summed with the other
    contributions to the same array, such as the other rows of a loop over a matrix): in
    place, touching ``idx`` only."""
    nb = g.ndim - out_nd   # a Deferred's g is an array or a NumPy scalar
    if buf.shape != g.shape[:nb] + shape:
        return False
    _place(buf, g, idx, nb, True)
    return True


getitem_p = primitive(_getitem, "getitem")
untake_p = primitive(_untake, "untake")
deflinear(getitem_p, lambda g, ans, x, idx, nd: defer(untake_p, _add_placed, g, idx, shape_of(x)[ndim_of(x) - nd:],
                                                      ndim_of(ans) - (ndim_of(x) - nd)))
deflinear(untake_p, lambda g, ans, x, idx, shape, out_nd: getitem_p(g, idx, len(shape)))


def getitem(x, idx):
    """``x[idx]`` for a traced ``x``."""
    nd = ndim_of(x)
    return getitem_p(x, normalize_index(idx, nd), nd)

"""The functional update ``at(x)[idx].set(v) / .add(v) / .multiply(v)``: what users would
write as ``x[idx] = v`` on a mutable array, as a new traced value."""
from __future__ import annotations

import numpy as np


from .broadcast import broadcast_p, dtype_of, ndim_of, shape_of, unbroadcast
from .indexing import _advanced, getitem_p, normalize_index, untake_p
from .registry import primitive


def _set(x, v, idx, nd):
    out = np.array(x, dtype=np.result_type(x, v), copy=True)
    nb = np.ndim(out) - nd
    k, split = _advanced(idx)
    if split and nb:   # NumPy orders split advanced axes first: match what getitem_p returns
        s = out[(Ellipsis, *idx)].shape
        ours = s[k:k + nb] + s[:k] + s[k + nb:]   # getitem_p's layout: batch axes first
        v = np.moveaxis(np.broadcast_to(v, ours), tuple(range(nb, nb + k)), tuple(range(k)))
    out[(Ellipsis, *idx)] = v
    return out


set_p = primitive(_set, "set")


def _set_vjp_v(g, ans, x, v, idx, nd):
    nb = ndim_of(g) - ndim_of(ans)
    return unbroadcast(getitem_p(g, idx, nd), shape_of(v), nb)


def _set_jvp_v(t, ans, x, v, idx, nd):
    nb = ndim_of(t) - ndim_of(v)
    sel = _selection_shape(shape_of(ans), idx)
    zeros = np.zeros(shape_of(t)[:nb] + shape_of(ans), dtype_of(ans))
    return set_p(zeros, broadcast_p(t, sel, ndim_of(v)), idx, nd)


def _selection_shape(shape, idx):
    return np.broadcast_to(np.empty((), np.int8), shape)[(Ellipsis, *idx)].shape


set_p.vjps = (lambda g, ans, x, v, idx, nd: set_p(g, 0, idx, nd), _set_vjp_v)
set_p.jvps = (lambda t, ans, x, v, idx, nd: set_p(t, 0, idx, nd), _set_jvp_v)


class _At:
    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _Update(self.x, idx)


class _Update:
    __slots__ = ("x", "idx", "nd")

    def __init__(self, x, idx):
        self.x = x
        self.nd = ndim_of(x)
        self.idx = normalize_index(idx, self.nd)

    def _selected_shape(self):
        return _selection_shape(shape_of(self.x), self.idx)

    def set(self, v):
        """A copy of ``x`` with ``x[idx]`` replaced by ``v``."""
        np.broadcast_shapes(shape_of(v), self._selected_shape())
        return set_p(self.x, v, self.idx, self.nd)

    def add(self, v):
        """A copy of ``x`` with ``v`` added at ``idx`` (repeated indices accumulate)."""
        sel = self._selected_shape()
        vb = broadcast_p(v, sel, ndim_of(v)) if shape_of(v) != sel else v
        return self.x + untake_p(vb, self.idx, shape_of(self.x), len(sel))

    def multiply(self, v):
        """A copy of ``x`` with ``x[idx]`` multiplied by ``v``."""
        if _advanced(self.idx)[0]:
            pos = np.arange(int(np.prod(shape_of(self.x)))).reshape(shape_of(self.x))[self.idx]
            if np.unique(pos).size != pos.size:
                raise NotImplementedError("at(x)[idx].multiply(v) with repeated indices is not supported")
        return self.set(getitem_p(self.x, self.idx, self.nd) * v)


def at(x):
    """Functional updates of ``x``: ``at(x)[idx].set(v)``, ``.add(v)``, ``.multiply(v)``.

    >>> import numpy as np, funcad.numpy as fnp
    >>> fnp.at(np.zeros(3))[1].set(5.0)
    array([0., 5., 0.])
    """
    return _At(x)

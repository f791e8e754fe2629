"""The oracle: funcad's derivatives against SciPy finite differences.

``check_grads`` compares whole Jacobians, order by order: the order-k derivative computed
by funcad (forward mode: ``jacfwd`` applied k times; reverse mode: ``jacrev`` k times) with
the finite-difference Jacobian of the order-(k-1) derivative, so each order's rules are
checked on their own. Finite differences come from ``scipy.differentiate.jacobian``
(Richardson extrapolation), whose error estimate sets the tolerance.
"""
from __future__ import annotations

from typing import Callable, Sequence

import numpy as np
from scipy import differentiate

from ..pytree import tree_flatten, tree_unflatten
from ..transforms.func import jacfwd, jacrev

__all__ = ["check_grads", "numerical_jacobian"]

_JAC = {"fwd": jacfwd, "rev": jacrev}


def _flat_fn(f: Callable, args: Sequence, dtype):
    """``f`` as a map R^n -> R^m of plain float64 vectors (for finite differences)."""
    leaves, d = tree_flatten(tuple(args))
    shapes = [np.shape(x) for x in leaves]
    sizes = [int(np.prod(s)) for s in shapes]

    def unflat(v):
        parts, off = [], 0
        for s, n in zip(shapes, sizes):
            parts.append(np.asarray(v[off:off + n], dtype=dtype).reshape(s))
            off += n
        return tree_unflatten(d, parts)

    def g(v):
        out = f(*unflat(v))
        ol, _ = tree_flatten(out)
        return np.concatenate([np.ravel(np.asarray(o, dtype=np.float64)) for o in ol]) if ol else np.zeros(0)

    x0 = np.concatenate([np.ravel(np.asarray(x, dtype=np.float64)) for x in leaves]) if leaves else np.zeros(0)
    return g, x0


def numerical_jacobian(g: Callable, x0: np.ndarray, step: float | None = None):
    """Finite-difference Jacobian of ``g: R^n -> R^m`` at ``x0`` and its error estimate.

    ``scipy.differentiate.jacobian`` evaluates ``g`` on batches of points; ``g`` here takes
    one point at a time, so the batch is evaluated point by point (the documented fallback
    for functions that cannot take batched evaluations).
    """
    m = np.size(g(x0))

    def batched(X):
        X = np.asarray(X)
        flat = X.reshape(X.shape[0], -1)
        out = np.stack([g(flat[:, k]) for k in range(flat.shape[1])], axis=-1)
        return out.reshape((m,) + X.shape[1:])

    kw = {} if step is None else {"initial_step": step}
    res = differentiate.jacobian(batched, x0, **kw)
    return np.asarray(res.df).reshape(m, x0.size), np.asarray(res.error).reshape(m, x0.size)


def _derivative(f, args, k: int, mode: str):
    """The order-k derivative of ``f`` in ``mode`` as a function of the same arguments,
    returning one flat vector (so that the next order's Jacobian is a matrix)."""
    if k == 0:
        return f
    n = len(args)
    prev = _derivative(f, args, k - 1, mode)

    def flat_prev(*a):
        out = prev(*a)
        ol, _ = tree_flatten(out)
        from ..numpy import concatenate, ravel
        return concatenate([ravel(o) for o in ol]) if len(ol) > 1 else ravel(ol[0])

    return _JAC[mode](flat_prev, argnums=tuple(range(n)))


def check_grads(f: Callable, args, order: int = 2, modes: Sequence[str] = ("fwd", "rev"),
                atol: float | None = None, rtol: float | None = None) -> None:
    """Check funcad's derivatives of ``f`` at ``args`` to ``order`` in each of ``modes``
    ("fwd", "rev") against finite differences; raise AssertionError with a report on the
    worst disagreement.

    >>> import numpy as np
    >>> from funcad.testing import check_grads
    >>> check_grads(np.sin, (np.array([0.1, 0.7]),))
    """
    if not isinstance(args, tuple):
        args = (args,)
    leaves, _ = tree_flatten(args)
    dtype = np.result_type(*leaves) if leaves else np.float64
    single = dtype == np.float32
    rtol = (2e-2 if single else 1e-5) if rtol is None else rtol
    for mode in modes:
        if mode not in _JAC:
            raise ValueError(f"check_grads: unknown mode {mode!r}; use 'fwd' and/or 'rev'")
        for k in range(1, order + 1):
            lower = _derivative(f, args, k - 1, mode)
            g, x0 = _flat_fn(lower, args, dtype)
            fd, err = numerical_jacobian(g, x0, step=0.05)
            ad_fn = _derivative(f, args, k, mode)
            ad_out = ad_fn(*args)
            ad = _as_matrix(ad_out, fd.shape)
            scale = max(1.0, float(np.max(np.abs(fd))) if fd.size else 1.0)
            a = (1e-6 if not single else 1e-3) * scale if atol is None else atol
            tol = a + rtol * np.abs(fd) + (10 * np.nan_to_num(err, nan=0.0) if atol is None else 0)
            bad = ~(np.abs(ad - fd) <= tol) & ~(np.isnan(ad) & np.isnan(fd))
            if np.any(bad):
                raise AssertionError(_report(f, k, mode, ad, fd, err, bad))


def _as_matrix(out, shape):
    leaves, _ = tree_flatten(out)
    m, n = shape
    blocks = [np.asarray(x, dtype=np.float64) for x in leaves]
    # jac results: for argnums tuple, one block per input with shape out.shape + in.shape
    cols = [b.reshape(m, -1) for b in blocks]
    return np.concatenate(cols, axis=1) if cols else np.zeros(shape)


def _report(f, k, mode, ad, fd, err, bad):
    diff = np.where(bad, np.abs(ad - fd), -np.inf)
    i, j = np.unravel_index(np.argmax(diff), diff.shape)
    name = getattr(f, "__name__", repr(f))
    absd = abs(ad[i, j] - fd[i, j])
    rel = absd / max(abs(fd[i, j]), 1e-300)
    return (f"check_grads: order-{k} derivative of {name} in {'forward' if mode == 'fwd' else 'reverse'} "
            f"mode disagrees with finite differences at {int(bad.sum())} of {bad.size} entries.\n"
            f"  worst entry: output {i}, input {j}\n"
            f"  funcad: {ad[i, j]!r}\n  finite differences: {fd[i, j]!r} (error estimate {err[i, j]:.3g})\n"
            f"  absolute error: {absd:.3g}, relative error: {rel:.3g}")

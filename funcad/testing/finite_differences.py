"""Finite differences with error estimates: SciPy's ``scipy.differentiate``, made robust.

``scipy.differentiate.jacobian`` (and ``hessian``) extrapolate central differences of
order 8 over shrinking steps (Richardson) and return, per entry, an estimate of the error:
the change between the last two extrapolations. Tolerances built on that estimate follow
each entry's real accuracy rather than a fixed number.

SciPy evaluates the function on whole batches of points; ``values(V)`` here takes the
points as the columns of ``V`` and may loop over them (the fallback for functions that do
not broadcast over a batch axis: slower, same answer).

Steps start at ``0.1 * clip(|x|, 0.1, 1)`` per coordinate (small inputs get smaller steps,
so ``log`` near 0.1 stays in its domain). Where a result is not finite (a step left the
domain), the entry is retried with steps 10 and 100 times smaller, then one-sided.

Each entry records the *gain* of the stencil that produced it: the sum of the magnitudes
of its weights, in units of 1 / step, which is how much it amplifies rounding noise in
the function's values. SciPy's central stencil (order 8, points at h, h/2, h/4, h/8 on
each side) has a gain of 13.5; its one-sided one (points at h / sqrt(2)**k) one of 979, 72
times more: a one-sided retry of a noisy entry is that much less certain.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
from scipy import differentiate

__all__ = ["FDResult", "jacobian", "hessian", "initial_steps"]

# (step multiplier, direction) of each attempt; direction 0 is central, +-1 one-sided.
_ATTEMPTS = ((1.0, 0), (0.1, 0), (0.01, 0), (0.1, 1), (0.1, -1))


def _gain(offsets) -> float:
    """Sum of |weights| (times the step) of the first-derivative stencil at ``offsets``
    (in units of the step), exact for polynomials of degree ``len(offsets) - 1``."""
    a = np.asarray(offsets, dtype=np.float64)
    rhs = np.zeros(a.size)
    rhs[1] = 1.0
    return float(np.abs(np.linalg.solve(np.vander(a, increasing=True).T, rhs)).sum())


# scipy.differentiate's order-8 stencils at its default step factor c = 2 (see its
# ``_derivative_weights``): central at +-h / c**k, one-sided at 0 and h / sqrt(c)**k.
CENTRAL_GAIN = _gain([s * 2.0 ** -k for s in (-1, 1) for k in range(4)] + [0.0])
ONE_SIDED_GAIN = _gain([0.0] + [2.0 ** (-k / 2) for k in range(8)])


@dataclass
class FDResult:
    """A finite-difference Jacobian ``df`` (M, N) with SciPy's per-entry ``error``
    estimate, the final ``step`` per entry, SciPy's ``status`` (0 converged, -1 error
    grew, -2 out of iterations, -3 non-finite), the largest magnitude of each output over
    the points evaluated (``fscale``, (M,): what roundoff is relative to) and how it was
    computed (``method``). ``gain`` is each entry's stencil gain (see the module's
    docstring; ``None``: all central)."""

    df: np.ndarray
    error: np.ndarray
    step: np.ndarray
    status: np.ndarray
    method: str
    fscale: np.ndarray | None = None
    gain: np.ndarray | None = None


def initial_steps(x0: np.ndarray) -> np.ndarray:
    return 0.1 * np.clip(np.abs(np.asarray(x0, dtype=np.float64)), 0.1, 1.0)


def _adapt(values: Callable, N: int, M: int, seen: np.ndarray | None = None) -> Callable:
    """SciPy's calling convention ((N, ...) -> (M, ...)) over ``values`` ((N, K) -> (M, K)).
    ``seen`` accumulates the largest finite magnitude of each output over all evaluations."""
    def f(X):
        X = np.asarray(X, dtype=np.float64)
        lead = X.shape[1:]
        with np.errstate(all="ignore"):
            Y = np.asarray(values(X.reshape(N, -1)), dtype=np.float64)
        if seen is not None and Y.size:
            np.maximum(seen, np.max(np.abs(np.where(np.isfinite(Y), Y, 0.0)), axis=1), out=seen)
        return Y.reshape((M,) + lead)
    return f


def jacobian(values: Callable, x0: np.ndarray, M: int, *, scale: float = 0.0,
             steps: np.ndarray | None = None, method: str = "") -> FDResult:
    """The Jacobian at ``x0`` of the map whose values at the columns of ``V`` are
    ``values(V)`` (shape (M, K)), by ``scipy.differentiate.jacobian``.

    ``scale`` (the expected size of the entries) lets entries that are zero stop early.
    """
    x0 = np.asarray(x0, dtype=np.float64)
    N = x0.size
    h0 = initial_steps(x0) if steps is None else np.asarray(steps, dtype=np.float64)
    seen = np.zeros(M)
    f = _adapt(values, N, M, seen)
    tol = {"atol": max(1e-13 * scale, np.finfo(np.float64).tiny), "rtol": 1e-10}
    best = None
    for mult, direction in _ATTEMPTS:
        res = differentiate.jacobian(f, x0, tolerances=tol, initial_step=h0 * mult,
                                     step_direction=direction)
        df = np.asarray(res.df, dtype=np.float64).reshape(M, N)
        err = np.asarray(res.error, dtype=np.float64).reshape(M, N)
        status = np.asarray(res.status).reshape(M, N)
        nit = np.asarray(res.nit).reshape(M, N)
        step = (h0 * mult)[None, :] / 2.0 ** np.maximum(nit - 1, 0)
        gain = np.full((M, N), ONE_SIDED_GAIN if direction else CENTRAL_GAIN)
        ok = np.isfinite(df) & np.isfinite(err) & (status != -3)
        best = _merge_retry(best, df, err, step, status, ok, converge=True, gain=gain)
        b_df, b_err, _, b_status, b_ok, _ = best
        # unsettled: not finite yet, or stopped unconverged with an error estimate that is
        # large beside the entry, the whole matrix and the function's values (entries at
        # the roundoff level, such as zeros, stop with a tiny one and are not retried)
        size = max(scale, float(np.max(np.abs(np.where(b_ok, b_df, 0.0)), initial=0.0)))
        rough = ((b_status != 0) & (b_err > 1e-3 * np.maximum(np.abs(b_df), size))
                 & (b_err > 1e-8 * seen[:, None]))
        if not (~b_ok | rough).any():
            break
    df, err, step, status, _, gain = best
    return FDResult(df, err, step, status, method, seen, gain)


def _merge_retry(best, df, err, step, status, ok, converge: bool, gain=None):
    """Merge a retry (smaller steps, or one-sided) into ``best``: entries that were not yet
    good (finite) take the retry's values where those are good. With ``converge``, an entry
    that has not converged also takes the retry's value where the retry converged or has a
    smaller error estimate: a rapidly varying function whose first steps were too long
    gets another chance, and a converged entry is never replaced."""
    if best is None:
        return [df, err, step, status, ok, gain]
    b_df, b_err, b_step, b_status, b_ok, b_gain = best
    take = ~b_ok & ok
    if converge:
        take |= b_ok & (b_status != 0) & ok & ((status == 0) | (err < b_err))
    for b, new in zip((b_df, b_err, b_step, b_status, b_gain), (df, err, step, status, gain)):
        if b is not None:
            b[take] = new[take]
    best[4] = b_ok | ok
    return best


def hessian(values: Callable, x0: np.ndarray, *, method: str = "") -> FDResult:
    """The Hessian at ``x0`` of a scalar map (``values(V)`` of shape (1, K)), by
    ``scipy.differentiate.hessian`` (finite differences only: no derivative code is used)."""
    x0 = np.asarray(x0, dtype=np.float64)
    N = x0.size
    seen = np.zeros(1)
    f1 = _adapt(values, N, 1, seen)

    def f(X):
        return f1(X)[0]

    h = float(np.min(initial_steps(x0))) if N else 0.1
    best = None
    for mult in (1.0, 0.1, 0.01):
        res = differentiate.hessian(f, x0, initial_step=h * mult, tolerances={"rtol": 1e-8})
        df = np.asarray(res.ddf, dtype=np.float64).reshape(N, N)
        err = np.asarray(res.error, dtype=np.float64).reshape(N, N)
        status = np.asarray(res.status).reshape(N, N)
        ok = np.isfinite(df) & np.isfinite(err)
        # Second differences lose eps |f| / h^2 to roundoff; SciPy does not report the
        # final step, so take a few halvings of the first (``step`` is h^2 here).
        step = np.full((N, N), (h * mult / 8) ** 2)
        best = _merge_retry(best, df, err, step, status, ok, converge=False)
        if best[4].all():
            break
    df, err, step, status, _, _ = best
    return FDResult(df, err, step, status, method, np.full(N, seen[0]))

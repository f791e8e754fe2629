"""Comparing a derivative with finite differences: the tolerance, entry by entry.

For an entry with finite-difference value ``fd`` and error estimate ``err`` (SciPy's), the
derivative ``ad`` agrees when

    |ad - fd| <= atol + rtol * |fd| + 2 * err + roundoff

* ``2 * err``: the finite difference's own uncertainty, as SciPy estimates it. An estimate
  of exactly 0 at an entry within 8 roundoffs (below) of 0 says only that two
  extrapolations agreed on the same noise: such an entry's uncertainty is its own size
  (the second derivative of ``inv(inv(x))``, exactly 0, came out as -3.6e-9 with an
  estimate of 0);
* ``roundoff = 128 eps max(|f_i|, max|f| / 10, W) / h``: cancellation in ``(f(x + h) -
  f(x - h)) / 2h`` at the final step ``h``, for an output ``f_i`` of that size (its largest
  over the points evaluated: ``x * arctan(x)`` is 0 at 0 but not around it) computed from
  intermediate values as large as ``W`` (the largest magnitude in the recorded graph of
  the differenced function: ``pinv(x) @ x`` is constant but its terms are not, and their
  rounding is what finite differences amplify). That is for SciPy's central stencil; an
  entry taken by a one-sided retry has it times the ratio of the stencils' gains, 72 (its
  weights amplify noise that much more: the second derivative of ``pinv(x) @ x``, 0,
  came out one-sided as 5.8e-9 from values no larger than 1.3e-15);
* ``rtol``: 1e-6 in float64; 1e-3 when the derivative was computed in float32 (the
  reference is always float64: a float32 function is differenced on float64 copies of its
  inputs, so only funcad's own float32 rounding is tolerated);
* ``atol``: relative to the size of the entries, never an absolute number, so a function
  scaled by 1e-12 is checked as strictly as one scaled by 1e12: float64,
  ``1e-10 * max|row| + 1e-13 * max(max|all|, lower)`` (cancellation inside funcad's sums),
  where ``lower`` is the largest magnitude among the function's values, its lower
  derivatives and its intermediate values (per unit of input);
  float32, ``1e-4 * max(max|all|, lower)`` (float32 rounding inside funcad is relative to
  the terms it adds up: ``sin(x)**2 + cos(x)**2`` has terms of size 1 and derivative 0).
  Where all of those are exactly 0 (a linear map at 0, such as ``imag(ifft(irfft(x)))``,
  which is 0 everywhere while funcad's derivative rounds to 1e-17), the scale is 1, that of
  the unit seeds the derivative is computed from.

A user's ``atol``/``rtol`` replace those defaults; the error-estimate and roundoff terms
stay (they are the finite differences' uncertainty, not a choice).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .finite_differences import CENTRAL_GAIN, FDResult
from .flatten import real_dtype

__all__ = ["Comparison", "compare", "default_rtol"]


def is_single(dtype) -> bool:
    return real_dtype(dtype).itemsize <= 4


def default_rtol(dtype) -> float:
    return 1e-3 if is_single(dtype) else 1e-6


@dataclass
class Comparison:
    """``ad`` against ``fd`` entry by entry: ``tol`` per entry, ``bad`` where they
    disagree, ``loose`` where they agree only thanks to the error estimate (finite
    differences were too inaccurate there to tell)."""

    ad: np.ndarray
    fd: FDResult
    tol: np.ndarray
    bad: np.ndarray
    loose: np.ndarray

    @property
    def ok(self) -> bool:
        return not self.bad.any()

    def worst(self) -> tuple[int, int]:
        """The entry that disagrees most, measured in tolerances."""
        diff = np.abs(self.ad - self.fd.df)
        ratio = np.where(self.bad, np.nan_to_num(diff / np.maximum(self.tol, 1e-300), nan=np.inf, posinf=np.inf), -1.0)
        i, j = np.unravel_index(int(np.argmax(ratio)), ratio.shape)
        return int(i), int(j)

    def max_rel_error(self) -> float:
        """The largest relative error among the entries that are not negligible."""
        d = np.abs(self.ad - self.fd.df)
        a = np.abs(self.fd.df)
        sig = np.isfinite(d) & (a > 1e-6 * float(np.max(np.nan_to_num(a), initial=0.0)))
        return float(np.max(d[sig] / a[sig])) if sig.any() else 0.0


def _same_nonfinite(a, b):
    return (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))


def tolerance(fd: FDResult, fvals: np.ndarray, dtype, atol=None, rtol=None, lower: float = 0.0,
              work: float = 0.0) -> np.ndarray:
    df = np.where(np.isfinite(fd.df), fd.df, 0.0)
    absdf = np.abs(df)
    rt = default_rtol(dtype) if rtol is None else rtol
    total = float(np.max(absdf, initial=0.0))
    # Where nothing sets a scale (the differences, f's values and the values it computes
    # on the way all exactly 0: a linear map at 0), the derivative's own seeds do: 1.
    size = max(total, lower) or 1.0
    if atol is not None:
        at = np.full(df.shape, float(atol))
    elif is_single(dtype):
        at = np.full(df.shape, 1e-4 * size)
    else:
        at = 1e-10 * np.max(absdf, axis=1, keepdims=True, initial=0.0) + 1e-13 * size
    err = np.where(np.isfinite(fd.error), fd.error, 0.0)
    f = np.abs(np.nan_to_num(np.asarray(fvals, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0))
    if fd.fscale is not None:          # the values around the point, where differences are taken
        f = np.maximum(f, fd.fscale)
    # A small output may be a difference of big terms: its noise is theirs.
    f = np.maximum(f, max(0.1 * float(np.max(f, initial=0.0)), work))
    roundoff = 128 * np.finfo(np.float64).eps * f[:, None] / np.maximum(fd.step, 1e-300)
    if fd.gain is not None:
        roundoff = roundoff * (fd.gain / CENTRAL_GAIN)
    err = np.where((err == 0) & (absdf <= 8 * roundoff), absdf, err)
    return at + rt * absdf + 2 * err + roundoff


def compare(ad: np.ndarray, fd: FDResult, fvals: np.ndarray, dtype, atol=None, rtol=None,
            lower: float = 0.0, work: float = 0.0) -> Comparison:
    """Compare the derivative ``ad`` (M, N) with ``fd`` (see the module's docstring).
    ``fvals`` are the values of the differenced function at the point, ``work`` the largest
    magnitude among the values it computes on the way, ``lower`` the largest magnitude
    among the lower-order derivatives and values."""
    ad = np.asarray(ad, dtype=np.float64)
    tol = tolerance(fd, fvals, dtype, atol, rtol, lower, work)
    diff = np.abs(ad - fd.df)
    agree = (diff <= tol) | _same_nonfinite(ad, fd.df)
    err = np.where(np.isfinite(fd.error), fd.error, 0.0)
    # Accepted only thanks to the error estimate, at an entry that is not negligible.
    size = np.maximum(np.abs(ad), np.abs(fd.df))
    big = size > 1e-8 * max(float(np.max(np.nan_to_num(size), initial=0.0)), lower)
    loose = agree & np.isfinite(diff) & (diff > tol - 2 * err) & (diff > 0) & big
    return Comparison(ad, fd, tol, ~agree, loose)

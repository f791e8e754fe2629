"""Domains: where a function is smooth, as intervals with a safety margin.

A :class:`Domain` answers two questions: *draw* a value inside it (for Hypothesis:
``domain.elements(dtype)``), and *does this array lie inside it* (``domain.contains(v)``,
used by ``programs()`` to apply ``log`` only to values that are safely positive).
"Safely" means a margin away from every edge and excluded point, so that finite
differences taken around the point stay where the function is smooth.

    real              any finite value (drawn in [-2, 2])
    finite(scale)     any finite value (drawn in [-scale, scale])
    positive          x >= 0.1 (drawn in [0.1, 4])
    unit_interval     0.05 <= x <= 0.95, inside (0, 1)
    open_unit         |x| <= 0.9, inside (-1, 1) (arcsin, arctanh)
    away_from(c)      |x - c| >= 0.1 (drawn in [c - 2, c + 2])
    interval(lo, hi)  lo <= x <= hi
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["Domain", "real", "finite", "positive", "unit_interval", "open_unit", "away_from",
           "interval", "greater_than"]


class Domain:
    """An interval ``[lo, hi]`` minus ``(c - gap, c + gap)`` for each ``c`` in ``avoid``;
    values are drawn in ``[draw_lo, draw_hi]`` (the interval clipped to a bounded range)."""

    def __init__(self, name: str, lo: float = -math.inf, hi: float = math.inf, *,
                 avoid: tuple = (), gap: float = 0.1, draw: tuple | None = None):
        self.name = name
        self.lo, self.hi = float(lo), float(hi)
        self.avoid, self.gap = tuple(float(c) for c in avoid), float(gap)
        d_lo, d_hi = draw if draw is not None else (max(self.lo, -2.0), min(self.hi, 2.0))
        if d_hi < d_lo:
            d_lo, d_hi = self.lo, self.hi
        self.draw = (float(d_lo), float(d_hi))

    def __repr__(self) -> str:
        return self.name

    def contains(self, v) -> bool:
        """Every entry of ``v`` is finite, real and inside the domain (with its margin)."""
        v = np.asarray(v)
        if v.dtype.kind not in "fiu" or not np.all(np.isfinite(v)):
            return False
        if np.any(v < self.lo) or np.any(v > self.hi):
            return False
        gap = self.gap * (1 - 1e-9)      # the drawn ends c -+ gap are inside, rounding aside
        return all(not np.any(np.abs(v - c) < gap) for c in self.avoid)

    def elements(self, dtype=np.float64, decimals: int | None = None):
        """A Hypothesis strategy for one value inside the domain (rounded to ``decimals``
        places if given: short, readable values)."""
        from hypothesis import strategies as st
        width = 32 if np.dtype(dtype).itemsize <= 4 else 64
        lo, hi = self.draw

        def floats(a, b):
            if width == 32:   # bounds must be float32-representable
                a32, b32 = np.float32(a), np.float32(b)
                a = float(a32 if a32 >= a else np.nextafter(a32, np.float32(np.inf)))
                b = float(b32 if b32 <= b else np.nextafter(b32, np.float32(-np.inf)))
            return st.floats(a, b, allow_nan=False, allow_infinity=False, allow_subnormal=False, width=width)

        pieces, start = [], lo
        for c in sorted(self.avoid):
            if c - self.gap > start:
                pieces.append((start, min(hi, c - self.gap)))
            start = max(start, c + self.gap)
        if start < hi:
            pieces.append((start, hi))
        if not pieces:
            raise ValueError(f"domain {self.name} has no room to draw from")
        if decimals is None:
            strategies = [floats(a, b) for a, b in pieces]
        else:   # round inside each piece (its ends are rounded inwards first)
            q = 10.0 ** decimals
            strategies = [floats(math.ceil(a * q) / q, math.floor(b * q) / q)
                          .map(lambda v, a=a, b=b: min(max(round(v, decimals), a), b))
                          for a, b in pieces if math.ceil(a * q) <= math.floor(b * q)]
        return st.one_of(*strategies) if len(strategies) > 1 else strategies[0]


def interval(lo: float, hi: float, name: str | None = None) -> Domain:
    """Values in ``[lo, hi]``."""
    return Domain(name or f"interval({lo:g}, {hi:g})", lo, hi, draw=(lo, hi))


def finite(scale: float = 1.0) -> Domain:
    """Any finite value; drawn in ``[-scale, scale]``."""
    return Domain(f"finite(scale={scale:g})", draw=(-scale, scale))


def away_from(c: float = 0.0, gap: float = 0.1, scale: float = 2.0) -> Domain:
    """Values at least ``gap`` away from ``c`` (kinks, poles); drawn within ``scale`` of ``c``."""
    name = f"away_from({c:g})" if gap == 0.1 else f"away_from({c:g}, gap={gap:g})"
    return Domain(name, avoid=(c,), gap=gap, draw=(c - scale, c + scale))


def greater_than(c: float, margin: float = 0.1, scale: float = 4.0) -> Domain:
    """Values ``>= c + margin`` (a one-sided domain edge at ``c``)."""
    return Domain(f"greater_than({c:g})", c + margin, draw=(c + margin, c + scale))


real = Domain("real")
positive = Domain("positive", 0.1, draw=(0.1, 4.0))
unit_interval = Domain("unit_interval", 0.05, 0.95)
open_unit = Domain("open_unit", -0.9, 0.9)

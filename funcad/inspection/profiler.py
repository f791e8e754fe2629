"""``with funcad.profile() as prof:``: per-primitive call counts and self times in the
forward pass, the tangent pass (forward mode) and the backward pass (reverse mode).

While active, the profiler replaces ``Primitive.__call__`` with a timing version and wraps
the rule tables of each primitive it meets; on exit everything is put back, so a program
not being profiled pays nothing. Self time excludes nested primitive calls (a rule's own
``cos`` is counted under ``cos``). The profiler is process-wide: calls from every thread
are recorded.
"""
from __future__ import annotations

import threading
import time
from collections import defaultdict

from ..core import Primitive
from ..numpy.arraylike import route_operators_through_dispatch

__all__ = ["profile"]

PHASES = ("forward", "tangent", "backward")


class _Stat:
    __slots__ = ("count", "self_time", "total_time")

    def __init__(self):
        self.count = 0
        self.self_time = 0.0
        self.total_time = 0.0


class _Timed:
    """A rule table whose rules are timed under ``phase`` for ``name``."""

    __slots__ = ("table", "prof", "name", "phase", "_cache")

    def __init__(self, table, prof, name, phase):
        self.table, self.prof, self.name, self.phase = table, prof, name, phase
        self._cache = {}

    def __getitem__(self, i):
        r = self._cache.get(i)
        if r is None:
            rule = self.table[i]
            if rule is None:
                return None
            prof, name, phase = self.prof, self.name, self.phase

            def r(*args, **kwargs):
                prof._enter()
                try:
                    return rule(*args, **kwargs)
                finally:
                    prof._exit(name, phase)
            self._cache[i] = r
        return r

    def __len__(self):
        return len(self.table)


class profile:
    """Record per-primitive counts and self times while the block runs.

    >>> import numpy as np, funcad
    >>> with funcad.profile() as prof:
    ...     _ = funcad.func.grad(lambda x: np.sum(np.sin(x) ** 2))(np.ones(3))
    >>> prof.stats["sin"]["forward"].count
    1
    >>> prof.table().splitlines()[0].split()[:2]
    ['primitive', 'calls']
    """

    _lock = threading.Lock()
    _active = None

    def __init__(self):
        self.stats = defaultdict(lambda: {p: _Stat() for p in PHASES})
        self._local = threading.local()
        self._wrapped = {}
        self._original_call = None

    # -- the stack of open timings (per thread) --------------------------------------
    def _stack(self):
        s = getattr(self._local, "stack", None)
        if s is None:
            s = self._local.stack = []
        return s

    def _enter(self, key=None):
        """Open a timing; ``key`` marks whose call it is (the primitive, for forward calls)."""
        self._stack().append([time.perf_counter(), 0.0, key])

    def _exit(self, name, phase, count=True):
        stack = self._stack()
        start, child, _ = stack.pop()
        elapsed = time.perf_counter() - start
        st = self.stats[name][phase]
        st.self_time += elapsed - child
        if count:
            st.count += 1
            st.total_time += elapsed
        if stack:
            stack[-1][1] += elapsed

    # -- installing the hooks ---------------------------------------------------------
    def _wrap(self, prim):
        if prim in self._wrapped:
            return
        self._wrapped[prim] = (prim.vjps, prim.jvps, prim.jvp_all)
        if prim.vjps is not None:
            prim.vjps = _Timed(prim.vjps, self, prim.name, "backward")
        if prim.jvps is not None:
            prim.jvps = _Timed(prim.jvps, self, prim.name, "tangent")
        if prim.jvp_all is not None:
            prim.jvp_all = _Timed((prim.jvp_all,), self, prim.name, "tangent")[0]

    def __enter__(self):
        with profile._lock:
            if profile._active is not None:
                raise RuntimeError("funcad.profile() is already active; profiles do not nest")
            profile._active = self
        original = self._original_call = Primitive.__call__
        prof = self

        def __call__(prim, *args, **kwargs):
            prof._wrap(prim)
            stack = prof._stack()
            # a primitive calling itself one level down is the same call: count it once
            outer = not stack or stack[-1][2] is not prim
            prof._enter(prim)
            try:
                return original(prim, *args, **kwargs)
            finally:
                prof._exit(prim.name, "forward", outer)

        Primitive.__call__ = __call__
        route_operators_through_dispatch(True)
        return self

    def __exit__(self, *exc):
        Primitive.__call__ = self._original_call
        route_operators_through_dispatch(False)
        for prim, (v, j, a) in self._wrapped.items():
            prim.vjps, prim.jvps, prim.jvp_all = v, j, a
        self._wrapped.clear()
        with profile._lock:
            profile._active = None
        return False

    # -- reporting --------------------------------------------------------------------
    def table(self, sort_by: str = "self_time", row_limit: int | None = None) -> str:
        """A table like torch's ``key_averages().table()``: one row per primitive with its
        counts and self/total times in each pass. ``sort_by``: "self_time" (all passes),
        "count", "forward", "tangent", "backward" or "name"."""
        keys = {
            "self_time": lambda kv: -sum(s.self_time for s in kv[1].values()),
            "count": lambda kv: -sum(s.count for s in kv[1].values()),
            "name": lambda kv: kv[0],
        }
        for p in PHASES:
            keys[p] = lambda kv, p=p: -kv[1][p].self_time
        if sort_by not in keys:
            raise ValueError(f"sort_by must be one of {sorted(keys)}, got {sort_by!r}")
        rows = sorted(self.stats.items(), key=keys[sort_by])[:row_limit]
        total = sum(s.self_time for _, ph in self.stats.items() for s in ph.values()) or 1.0
        head = (f"{'primitive':<18}{'calls':>8}{'fwd self':>12}{'tangent n':>11}{'tangent self':>14}"
                f"{'bwd n':>8}{'bwd self':>12}{'self %':>9}")
        lines = [head, "-" * len(head)]
        for name, ph in rows:
            f, t, b = ph["forward"], ph["tangent"], ph["backward"]
            self_all = f.self_time + t.self_time + b.self_time
            lines.append(f"{name[:17]:<18}{f.count:>8}{_ms(f.self_time):>12}{t.count:>11}{_ms(t.self_time):>14}"
                         f"{b.count:>8}{_ms(b.self_time):>12}{100 * self_all / total:>8.1f}%")
        lines.append("-" * len(head))
        lines.append(f"self time total: {_ms(total)}")
        return "\n".join(lines)


def _ms(t: float) -> str:
    return f"{t * 1e3:.3f}ms" if t >= 1e-3 else f"{t * 1e6:.1f}us"

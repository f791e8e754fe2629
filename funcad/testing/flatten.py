"""A function of pytrees, seen as a map between flat real vectors.

The oracle compares Jacobians entry by entry, so it needs ``f(*args)`` as a map ``R^N ->
R^m``: the floating leaves of ``args`` are its coordinates (a complex leaf counts twice,
real and imaginary parts), the floating leaves of the output its values (complex ones
likewise split). Other leaves (integers, strings, None) are constants, passed through.

:class:`Flat` holds that view and names every coordinate (``x[1, 2]``,
``params['w'][0].imag``, ``out[1][3]``) so a report can say which entry disagrees. Its
``g0(*parts)`` is written in funcad's own operations, so the transforms differentiate it;
``values(V)`` evaluates it in float64 at a batch of points for finite differences, in one
call when ``f`` broadcasts over a leading batch axis (checked once, on a probe), else point
by point.
"""
from __future__ import annotations

import inspect
import warnings
from typing import Callable

import numpy as np

from ..core import value_of
from ..pytree import tree_flatten, tree_unflatten

__all__ = ["Flat", "Projected", "is_differentiable", "leaf_paths"]


def is_differentiable(x) -> bool:
    """Floating or complex arrays and Python/NumPy float scalars are differentiated."""
    if isinstance(x, np.ndarray):
        return x.dtype.kind in "fc"
    return isinstance(x, (float, complex, np.floating, np.complexfloating))


def real_dtype(dt) -> np.dtype:
    dt = np.dtype(dt)
    return np.finfo(dt).dtype if dt.kind == "c" else dt


def leaf_paths(tree, prefix: str = "") -> list[str]:
    """The path of each leaf of ``tree``, in ``tree_flatten``'s order (``[0]['w']``)."""
    out: list[str] = []
    stack = [(tree, prefix)]
    while stack:
        t, p = stack.pop()
        if isinstance(t, (tuple, list)):
            stack.extend((c, f"{p}[{i}]") for i, c in reversed(list(enumerate(t))))
        elif isinstance(t, dict):
            keys = sorted(t) if all(isinstance(k, str) for k in t) else sorted(t, key=repr)
            stack.extend((t[k], f"{p}[{k!r}]") for k in reversed(keys))
        elif t is not None:
            out.append(p)
    return out


def arg_names(f: Callable, n: int) -> list[str]:
    """Names of ``f``'s first ``n`` positional parameters (``args[i]`` where unknown)."""
    names = []
    try:
        params = list(inspect.signature(f).parameters.values())
    except (TypeError, ValueError):
        params = []
    for i in range(n):
        p = params[i] if i < len(params) else None
        if p is not None and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            names.append(p.name)
        else:
            names.append(f"args[{i}]")
    return names


_SLOT = "\x00"   # where an element index goes in a coordinate's name


def _index(shape, k: int) -> str:
    return "[" + ", ".join(str(int(i)) for i in np.unravel_index(k, shape)) + "]" if shape else ""


class _Part:
    """One real block of coordinates: a float leaf, or the real/imag half of a complex one."""

    __slots__ = ("leaf", "shape", "size", "imag", "name", "offset")

    def __init__(self, leaf, shape, imag, name, offset):
        self.leaf, self.shape, self.imag, self.name, self.offset = leaf, shape, imag, name, offset
        self.size = int(np.prod(shape))


def _flatten_output(out, batch: int | None = None):
    """Floating leaves of an output, raveled (real and imag parts split) and joined.
    Works on traced values (``batch`` None) and on plain batched arrays (``batch`` rows)."""
    from .. import numpy as fnp
    leaves, _ = tree_flatten(out)
    pieces = []
    for o in leaves:
        v = value_of(o)
        dt = np.result_type(v)
        if dt.kind not in "fc":
            continue
        parts = (fnp.real(o), fnp.imag(o)) if dt.kind == "c" else (o,)
        for p in parts:
            pieces.append(fnp.ravel(p) if batch is None else np.reshape(p, (batch, -1)))
    if not pieces:
        return np.zeros(0) if batch is None else np.zeros((batch, 0))
    if batch is not None:
        return np.concatenate(pieces, axis=1)
    return pieces[0] if len(pieces) == 1 else fnp.concatenate(pieces)


class Flat:
    """``f(*args)`` as a map between flat real vectors, with every coordinate named."""

    def __init__(self, f: Callable, args: tuple, out=None, diff: Callable = is_differentiable):
        self.f = f
        self.args = tuple(args)
        leaves, self.treedef = tree_flatten(self.args)
        self.leaves = list(leaves)
        names = arg_names(f, len(self.args))
        paths = []
        for i, a in enumerate(self.args):
            paths += [names[i] + p for p in leaf_paths(a)]
        self.diff = [k for k, x in enumerate(leaves) if diff(x)]
        if not self.diff:
            raise TypeError("no floating-point argument to differentiate: pass floats (e.g. "
                            "x.astype(float)) for the arguments to check")
        self.arrays = {k: np.asarray(leaves[k]) for k in self.diff}
        self.dtype = real_dtype(np.result_type(*[self.arrays[k] for k in self.diff]))
        self.parts: list[_Part] = []
        off = 0
        for k in self.diff:
            a = self.arrays[k]
            for imag in ((False, True) if a.dtype.kind == "c" else (False,)):
                suffix = ".imag" if imag else (".real" if a.dtype.kind == "c" else "")
                self.parts.append(_Part(k, a.shape, imag, paths[k] + _SLOT + suffix, off))
                off += int(a.size)
        self.N = off
        self.x0 = np.concatenate([self._part_value(p).ravel() for p in self.parts]).astype(np.float64)
        # The output's structure, from one plain call.
        if out is None:
            out = f(*self.args)
        self.out = out
        self.out_parts = []        # (name, shape, offset, index among the floating outputs)
        self.out_leaves = []       # the floating output leaves
        oleaves, _ = tree_flatten(out)
        opaths = leaf_paths(out, "out") if isinstance(out, (tuple, list, dict)) else ["out"]
        off = 0
        for o, p in zip(oleaves, opaths):
            v = np.asarray(value_of(o))
            if v.dtype.kind not in "fc":
                continue
            halves = ((False, True) if v.dtype.kind == "c" else (False,))
            for imag in halves:
                suffix = ".imag" if imag else (".real" if v.dtype.kind == "c" else "")
                self.out_parts.append((p + _SLOT + suffix, v.shape, off, len(self.out_leaves)))
                off += int(v.size)
            self.out_leaves.append(v)
        self.m = off
        self.f0 = _flatten_output(out).astype(np.float64) if self.m else np.zeros(0)
        self._batched: bool | None = None

    # -- coordinates ----------------------------------------------------------------------
    def _part_value(self, p: _Part):
        a = self.arrays[p.leaf]
        return (a.imag if p.imag else a.real) if a.dtype.kind == "c" else a

    def part_values(self, dtype=None) -> list:
        """The point's real parts (in ``dtype``; the inputs' own precision by default)."""
        return [np.asarray(self._part_value(p), dtype=dtype or self.dtype) for p in self.parts]

    def input_name(self, j: int) -> str:
        for p in self.parts:
            if p.offset <= j < p.offset + p.size:
                return p.name.replace(_SLOT, _index(p.shape, j - p.offset))
        raise IndexError(j)

    def output_name(self, i: int) -> str:
        for name, shape, off, _ in self.out_parts:
            n = int(np.prod(shape))
            if off <= i < off + n:
                return name.replace(_SLOT, _index(shape, i - off))
        raise IndexError(i)

    # -- the function of real parts ---------------------------------------------------------
    def _leaves_from_parts(self, parts):
        leaves = list(self.leaves)
        pending: dict = {}
        for p, v in zip(self.parts, parts):
            pending.setdefault(p.leaf, []).append(v)
        for k, vs in pending.items():
            leaves[k] = vs[0] if len(vs) == 1 else vs[0] + 1j * vs[1]
        return leaves

    def g0(self, *parts):
        """``f`` at the point given by its real parts, as one flat real vector; written in
        funcad's operations, so every transform differentiates it."""
        args = tree_unflatten(self.treedef, self._leaves_from_parts(parts))
        return _flatten_output(self.f(*args))

    def split(self, v: np.ndarray, dtype=np.float64, lead: tuple = ()) -> list:
        """Flat coordinates (``lead + (N,)``) -> the real parts, each ``lead + shape``."""
        return [np.asarray(v[..., p.offset:p.offset + p.size], dtype=dtype).reshape(lead + p.shape)
                for p in self.parts]

    # -- float64 evaluation at many points (finite differences) ---------------------------
    def values(self, V: np.ndarray, fn: Callable | None = None, rows: int | None = None) -> np.ndarray:
        """``fn`` (default ``g0``) at the points that are the columns of ``V`` (N, K),
        in float64: returns (M, K) (``rows``: M for ``fn``). ``g0`` is called once on the
        whole batch when ``f`` broadcasts over a leading axis (probed once), else point by
        point. A point outside ``f``'s domain gives NaN even where ``f`` raises (``_columns``)."""
        V = np.asarray(V, dtype=np.float64)
        if fn is None and self._batched is None:
            self._batched = self._probe()
        if fn is None and self._batched:
            try:
                Y = self._batch_call(V)
            except Exception:        # the probe was fooled (a shape that broadcast by chance)
                self._batched = False
            else:
                # A point outside f's domain, or a batch the probe let through wrongly: the
                # probe's few points cannot tell an f that reduces over the whole batch when a
                # step hides it (``floor(np.sum(x)) * x``: floor of 3 points' sum agrees with
                # each point's, of 8 points' not), nor an f constant near x0 (np.cumsum(x,
                # axis=0) summed over the batch in ``log(sin(cumsum(x))) * 0``). So the first
                # and last points, and any that gave a non-finite value, are evaluated one by
                # one; if any differs, the whole batch is.
                check = ~np.all(np.isfinite(Y), axis=0)
                check[[0, -1]] = True
                if _agree(Y[:, check], self._pointwise(self.g0, V[:, check])):
                    return Y
                self._batched = False
        return self._pointwise(fn or self.g0, V, rows)

    def _pointwise(self, fn: Callable, V: np.ndarray, rows: int | None = None) -> np.ndarray:
        return _columns(fn, self.g0, self.split, V, self.m if rows is None else rows)

    def _batch_call(self, V):
        K = V.shape[1]
        args = tree_unflatten(self.treedef, self._leaves_from_parts(self.split(V.T, lead=(K,))))
        with np.errstate(all="ignore"):
            out = self.f(*args)
        Y = np.asarray(_flatten_output(out, batch=K), dtype=np.float64).T
        if Y.shape != (self.m, K):
            raise ValueError(f"batched call gave shape {Y.shape}, expected {(self.m, K)}")
        return Y

    def _probe(self) -> bool:
        """Does ``f`` broadcast over a leading batch axis? Try a few points in one call, and
        the same points in reverse order in another, and compare with calling it on each;
        any error, warning or difference: no. The second call catches an ``f`` that sorts
        along axis 0 (``np.sort(x, axis=0)``, a running maximum): on points that happen to
        come in sorted order it agrees with the single calls, and on the reversed ones not."""
        if self.N == 0:
            return False
        # As many points as no axis of any argument or result has, so that a batch axis
        # broadcasting against the wrong axis fails rather than passes by chance.
        dims = {d for p in self.parts for d in p.shape} | {d for _, s, _, _ in self.out_parts for d in s}
        K = next(k for k in range(3, 1000) if k not in dims)
        rng = np.random.default_rng(12345)
        V = self.x0[:, None] + 1e-3 * rng.standard_normal((self.N, K)) * np.maximum(1, np.abs(self.x0))[:, None]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                batches = (self._batch_call(V), self._batch_call(V[:, ::-1])[:, ::-1])
                single = np.stack([np.asarray(self.g0(*self.split(V[:, k])), dtype=np.float64)
                                   for k in range(K)], axis=1)
        except Exception:
            return False
        return all(_agree(b, single) for b in batches)


def _agree(batched: np.ndarray, single: np.ndarray) -> bool:
    """Whether a batched call's columns are the single calls' (to rounding: a stack of
    products may round differently from one product; NaN where NaN)."""
    if batched.shape != single.shape:
        return False
    with np.errstate(invalid="ignore"):
        scale = np.maximum(np.abs(single), np.nanmax(np.abs(single), initial=0) * 1e-3)
        close = np.abs(batched - single) <= 1e-12 * scale + 1e-300
    return bool(np.all(close | (np.isnan(batched) & np.isnan(single)) | (batched == single)))


class Projected:
    """A :class:`Flat` seen through random projections: ``c -> W · g0(x + U c)`` for
    ``r`` unit input directions ``U`` and ``s`` unit output directions ``W`` (either may
    be the identity). Checking this small map checks ``f``'s Jacobian in those
    directions: a 10^5-element input costs a handful of evaluations."""

    def __init__(self, base: Flat, r: int | None, s: int | None, seed: int = 0):
        self.base = base
        rng = np.random.default_rng(seed)
        self.U = None if r is None else _unit_columns(rng, base.N, r)
        self.W = None if s is None else _unit_columns(rng, base.m, s).T
        self.N = base.N if r is None else r
        self.m = base.m if s is None else s
        self.dtype = base.dtype
        self.x0 = base.x0 if r is None else np.zeros(r)
        self.f0 = base.f0 if s is None else self.W @ base.f0
        self.seed = seed

    def part_values(self, dtype=None):
        if self.U is None:
            return self.base.part_values(dtype)
        return [np.zeros(self.N, dtype=dtype or self.dtype)]

    def g0(self, *parts):
        from .. import numpy as fnp
        base = self.base
        if self.U is None:
            y = base.g0(*parts)
        else:
            c = parts[0]
            dt = np.result_type(value_of(c))
            xs = base.part_values(dt)
            moved = [x + fnp.reshape(fnp.matmul(self.U[p.offset:p.offset + p.size].astype(dt), c), p.shape)
                     for x, p in zip(xs, base.parts)]
            y = base.g0(*moved)
        if self.W is None:
            return y
        return fnp.matmul(self.W.astype(np.result_type(value_of(y))), y)

    def split(self, v, dtype=np.float64, lead=()):
        if self.U is None:
            return self.base.split(v, dtype, lead)
        return [np.asarray(v, dtype=dtype).reshape(lead + (self.N,))]

    def values(self, V, fn=None, rows=None):
        V = np.asarray(V, dtype=np.float64)
        if fn is None:
            X = V if self.U is None else self.base.x0[:, None] + self.U @ V
            Y = self.base.values(X)
            return Y if self.W is None else self.W @ Y
        return _columns(fn, self.g0, self.split, V, self.m if rows is None else rows)

    def input_name(self, j: int) -> str:
        return self.base.input_name(j) if self.U is None else f"u{j}"

    def output_name(self, i: int) -> str:
        return self.base.output_name(i) if self.W is None else f"w{i}·out"


def _columns(fn: Callable, g0: Callable, split: Callable, V: np.ndarray, rows: int) -> np.ndarray:
    """``fn`` at each column of ``V`` (N, K), stacked in float64 (rows, K). A point where
    ``fn`` raises gives NaN, as one where it returns NaN does, when ``f`` itself is undefined
    there (``g0`` raises or is not finite): a finite-difference step left the domain, such as
    ``cholesky`` of a matrix no longer positive definite, and is retried with smaller steps.
    Where ``f`` is defined, a derivative that raises is the caller's to see. A point where
    the output has another size (real eigenvalues turned complex: twice the entries once
    flattened) is not on the function being differentiated either: NaN too."""
    cols = []
    for k in range(V.shape[1]):
        x = split(V[:, k])
        try:
            c = np.asarray(value_of(fn(*x)), dtype=np.float64)
        except Exception:
            if fn != g0 and _defined(g0, x):
                raise
            c = None
        cols.append(c if c is not None and c.shape == (rows,) else np.full(rows, np.nan))
    return np.stack(cols, axis=1) if cols else np.zeros((rows, 0))


def _defined(g0: Callable, x: list) -> bool:
    """Is ``f`` defined (finite, no error) at the point ``x``?"""
    try:
        with np.errstate(all="ignore"):
            return bool(np.all(np.isfinite(value_of(g0(*x)))))
    except Exception:
        return False


def _unit_columns(rng, n: int, r: int) -> np.ndarray:
    U = rng.standard_normal((n, r))
    return U / np.linalg.norm(U, axis=0, keepdims=True)

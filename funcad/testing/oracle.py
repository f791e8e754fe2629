"""The oracle: funcad's derivatives against SciPy finite differences.

``check_grads`` checks one order at a time. The order-k derivative computed by funcad
(forward mode: ``jacfwd`` applied k times; reverse mode: ``jacrev`` k times, each a batched
sweep, so the rules' batch handling is exercised too) is compared with the
finite-difference Jacobian of the order-(k-1) derivative, which was itself checked one step
before. Each order's rules are thus checked on their own, and a first-order error is
reported as one, not as a confusing second-order one.

The function is seen as a map between flat real vectors (:mod:`.flatten`): pytrees of
arguments and results, complex values split into real and imaginary parts, integers passed
through as constants. Finite differences (:mod:`.finite_differences`) are SciPy's, with
their error estimates setting the tolerance (:mod:`.compare`); a failure raises an
``AssertionError`` whose message (:mod:`.report`) names the worst entry and hints at the
cause.

Large inputs are checked along random directions: ``c -> W · f(x + U c)`` for a few unit
directions ``U`` (and ``W`` on the output side), a small map whose derivatives are those
of ``f`` in those directions; a wrong rule shows in almost every direction.
"""
from __future__ import annotations

import warnings
from typing import Callable, Sequence

import numpy as np

from ..core import value_of
from ..transforms.func import jacfwd, jacrev
from . import finite_differences as fdiff
from . import report
from .compare import compare
from .flatten import Flat, Projected

__all__ = ["check_grads", "FULL_SIZE", "DIRECTIONS"]

_JAC = {"fwd": jacfwd, "rev": jacrev}

FULL_SIZE = 32   # with directions="auto": more inputs (outputs) than this are projected
DIRECTIONS = 4   # ... onto this many random directions


def _next_order(g: Callable, n: int, mode: str) -> Callable:
    """The Jacobian of ``g`` (a function of ``n`` real parts returning a flat vector) as
    one flat vector: the next order's derivative, in the form ``g`` has."""
    from .. import numpy as fnp
    jac = _JAC[mode](g, argnums=tuple(range(n)))

    def derivative(*parts):
        blocks = jac(*parts)
        m = np.shape(value_of(blocks[0]))[0]
        mats = [fnp.reshape(b, (m, -1)) for b in blocks]
        return fnp.ravel(mats[0] if len(mats) == 1 else fnp.concatenate(mats, axis=1))

    return derivative


def _modes(modes) -> tuple:
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    for m in modes:
        if m not in _JAC:
            raise ValueError(f"check_grads: unknown mode {m!r}; use 'fwd' and/or 'rev', e.g. modes=('fwd', 'rev')")
    if not modes:
        raise ValueError("check_grads: modes is empty; use modes=('fwd', 'rev') or one of them")
    return modes


def _problem(flat: Flat, directions, seed: int):
    if directions is None:
        return flat
    if directions == "auto":
        r = DIRECTIONS if flat.N > FULL_SIZE else None
        s = DIRECTIONS if flat.m > FULL_SIZE else None
    elif isinstance(directions, (int, np.integer)) and not isinstance(directions, bool) and directions > 0:
        r = int(directions) if flat.N > directions else None
        s = int(directions) if flat.m > directions else None
    else:
        raise ValueError(f"check_grads: directions must be 'auto', None or a positive int, got {directions!r}")
    if r is None and s is None:
        return flat
    return Projected(flat, r, s, seed)


def check_grads(f: Callable, args, order: int = 2, modes: Sequence[str] = ("fwd", "rev"),
                atol: float | None = None, rtol: float | None = None, *,
                directions: int | str | None = "auto", seed: int = 0) -> None:
    """Check funcad's derivatives of ``f`` at ``args`` against finite differences.

    Every derivative up to ``order`` is checked in each of ``modes`` (``"fwd"``: jacfwd,
    ``"rev"``: jacrev); raises ``AssertionError`` with a report (the derivative, its worst
    entry, funcad's and the finite-difference values, errors, the finite-difference
    error estimate, hints) at the first order where they disagree.

    Args:
        f: the function; ``f(*args)`` returns an array or a pytree of arrays (integer
            and boolean outputs are ignored; complex ones are checked by their real and
            imaginary parts).
        args: the point: a tuple of arguments (a single array is taken as ``(array,)``),
            each an array or a pytree of arrays. Floating and complex leaves are
            differentiated; other leaves (integers, strings, None) are constants.
        order: highest derivative order to check.
        modes: ``("fwd", "rev")`` or one of them.
        atol, rtol: replace the default tolerances (float64: rtol 1e-6, atol relative
            to the size of the entries; float32: rtol 1e-3, atol 1e-4 of the largest
            entry). The finite differences' own error estimate is always added.
        directions: ``"auto"`` checks the full Jacobian when there are at most 32 inputs
            (outputs), and otherwise along 4 random unit directions; an int sets that
            number of directions; ``None`` always checks the full Jacobian.
        seed: seed of the random directions.

    Finite differences are taken in float64 even for float32 inputs (the function is
    evaluated on float64 copies), so the reference is accurate and only funcad's own
    rounding is tolerated. The dtype of the derivatives is checked too: float32 in,
    float32 out.

    >>> import numpy as np
    >>> from funcad.testing import check_grads
    >>> check_grads(np.sin, (np.array([0.1, 0.7]),))
    """
    if not isinstance(args, tuple):
        args = (args,)
    modes = _modes(modes)
    if not isinstance(order, (int, np.integer)) or order < 0:
        raise ValueError(f"check_grads: order must be a non-negative int, got {order!r}")
    flat = Flat(f, args)
    if flat.m == 0 or order == 0:
        return
    prob = _problem(flat, directions, seed)
    projected = ""
    if prob is not flat:
        projected = (f"  (checked along random directions, seed={seed}: u0, u1, ... are unit directions in the "
                     f"{flat.N} input coordinates, w0, w1, ... in the {flat.m} outputs; pass directions=None for "
                     f"the full Jacobian)")
    parts = prob.part_values()
    n = len(parts)
    derivs = {m: prob.g0 for m in modes}
    reference = None                    # the order-(k-1) derivative (None: f itself)
    fvals = prob.f0
    prev_dtype = np.result_type(value_of(prob.g0(*parts)))
    lower = max(float(np.max(np.abs(np.nan_to_num(fvals)), initial=0.0)),
                report.working_scale(flat.g0, flat.part_values()) / max(1.0, float(np.max(np.abs(flat.x0)))))
    for k in range(1, order + 1):
        derivs = {m: _next_order(derivs[m], n, m) for m in modes}
        M = prob.m * prob.N ** (k - 1)
        ads, dtype_errors = {}, []
        for m in modes:
            ads[m], problem = _evaluate(derivs[m], parts, f, k, m, (M, prob.N), flat.dtype, prev_dtype)
            if problem:
                dtype_errors.append(problem)
        scale = max(float(np.max(np.abs(np.nan_to_num(a)), initial=0.0)) for a in ads.values())
        try:
            fd = fdiff.jacobian(lambda V: prob.values(V, reference, M), prob.x0, M, scale=scale)
        except Exception as e:
            if reference is None:       # f itself failed near the point: the caller's to see
                raise
            raise AssertionError(report.crashed(f, k - 1, modes[0], e) + " (at a point near the one checked, "
                                 "while taking finite differences of it)") from e
        work = report.working_scale(reference or prob.g0, prob.part_values(np.float64))
        comps = {m: compare(ads[m], fd, fvals, flat.dtype, atol, rtol, max(lower, work), work) for m in modes}
        if not all(c.ok for c in comps.values()):
            hints = report.graph_hints(flat.g0, flat.part_values())
            raise AssertionError(report.failure(prob, f, k, comps, hints, report.point_repr(args), projected))
        if dtype_errors:
            raise AssertionError("\n".join(dtype_errors) + "\n  (the values agree with finite differences)")
        loose = max(int(c.loose.sum()) for c in comps.values())
        if loose:
            warnings.warn(f"check_grads: {loose} entries of the {report.ordinal(k)} derivative of "
                          f"{getattr(f, '__name__', 'f')} were accepted only thanks to the finite differences' "
                          f"error estimate (too inaccurate to tell there: is f smooth near the point?)",
                          stacklevel=2)
        reference = derivs[modes[0]]
        fvals = prob.values(prob.x0[:, None], reference, M * prob.N)[:, 0]
        prev_dtype = ads[modes[0]].dtype
        lower = max(lower, scale)


def _evaluate(deriv, parts, f, k, mode, shape, in_dtype, prev_dtype):
    """funcad's order-k derivative at the point as an (M, N) matrix, and what is wrong
    with its dtype ("" if nothing). A crash becomes an AssertionError; a complex result
    (for real coordinates) is compared by its real part, then reported."""
    name = getattr(f, "__name__", "f")
    try:
        v = np.asarray(value_of(deriv(*parts)))
    except NotImplementedError:
        raise
    except Exception as e:
        raise AssertionError(report.crashed(f, k, mode, e)) from e
    if v.size != shape[0] * shape[1]:
        raise AssertionError(
            f"check_grads: funcad's {report.ordinal(k)} derivative of {name} in {report.MODE_NAMES[mode]} has "
            f"{v.size} entries, expected {shape[0]}x{shape[1]}")
    problem = ""
    if v.dtype.kind == "c":
        problem = (f"check_grads: funcad's {report.ordinal(k)} derivative of {name} in {report.MODE_NAMES[mode]} "
                   f"came out complex ({v.dtype}) although it is taken with respect to real coordinates: "
                   f"derivatives for real inputs must be real (torch keeps the real part).")
        v = v.real
    elif np.dtype(prev_dtype) == in_dtype and v.dtype != in_dtype:
        problem = (f"check_grads: funcad's {report.ordinal(k)} derivative of {name} in {report.MODE_NAMES[mode]} "
                   f"has dtype {v.dtype}, but the inputs and the function are {in_dtype}: derivatives keep the "
                   f"inputs' precision ({in_dtype} in, {in_dtype} out).")
    return v.reshape(shape), problem

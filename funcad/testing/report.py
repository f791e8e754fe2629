"""The oracle's failure report, written for the person who has to fix the rule.

It names the derivative (order, mode, which output and which inputs), the worst entry,
funcad's and the finite-difference values, the absolute and relative errors, the
finite-difference error estimate and the tolerance, and hints read off the numbers (a sign
flip, a transpose, a factor, only one mode wrong, only the second order wrong) and off the
recorded graph (the point sits at a kink of ``abs``, a tie of ``maximum``, the edge of
``log``'s domain).
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from .compare import Comparison

MODE_NAMES = {"fwd": "forward mode (jacfwd)", "rev": "reverse mode (jacrev)"}
RULE_NAMES = {"fwd": "forward-mode (JVP)", "rev": "reverse-mode (VJP)"}


def ordinal(k: int) -> str:
    return {1: "1st", 2: "2nd", 3: "3rd"}.get(k, f"{k}th")


def fmt(x: float) -> str:
    return repr(float(x)) if np.isfinite(x) else str(float(x))


def entry_name(problem, k: int, row: int, col: int) -> str:
    """``d out[1] / d x[0]``; for order k the row holds (output, k-1 earlier inputs)."""
    N = problem.N
    idx = []
    r = row
    for _ in range(k - 1):
        r, j = divmod(r, N)
        idx.append(j)
    wrt = [problem.input_name(j) for j in reversed(idx)] + [problem.input_name(col)]
    top = "d" if k == 1 else f"d^{k}"
    return f"{top} {problem.output_name(r)} / " + (f"d {wrt[0]}" if k == 1 else "(" + " ".join(f"d {w}" for w in wrt) + ")")


# -- hints from the numbers -------------------------------------------------------------
def _pattern_hints(c: Comparison, problem, k: int, mode: str) -> list[str]:
    """What the bad entries' numbers suggest; ``{rule}`` stands for the kind of rule."""
    ad, fd = c.ad, c.fd.df
    bad = c.bad
    rule = "{rule}"
    hints = []
    a, f = ad[bad], fd[bad]
    fin = np.isfinite(a) & np.isfinite(f)
    if (~np.isfinite(a) & np.isfinite(f)).any():
        hints.append("funcad's derivative is not finite where finite differences are: a rule divides by "
                     "zero or overflows (e.g. sqrt or log at 0, 1/x at 0)")
    if (np.isfinite(a) & ~np.isfinite(f)).any():
        hints.append("finite differences are not finite there: f is not finite close to the point "
                     "(outside its domain?); check at a point further inside the domain")
    if fin.any():
        a, f = a[fin], f[fin]
        scale = np.maximum(np.abs(f), 1e-300)
        if np.all(np.abs(a + f) <= 1e-6 * scale + c.tol[bad][fin]):
            hints.append(f"funcad's value is minus the finite-difference one: a sign error in a {rule} rule")
        elif np.all(a == 0):
            hints.append("funcad's derivative is exactly 0 where finite differences are not: a path the rules "
                         "do not see (a rule returning None or zeros, stop_gradient, an integer step)")
        else:
            ratio = a / np.where(f == 0, np.nan, f)
            ratio = ratio[np.isfinite(ratio)]
            if ratio.size and np.ptp(ratio) <= 1e-6 * abs(ratio[0]) and abs(ratio[0]) > 0:
                q = float(ratio[0])
                hints.append(f"funcad's values are {q:.6g} times the finite-difference ones at every bad entry: "
                             f"a constant factor is wrong in a {rule} rule")
    if k == 1 and ad.shape[0] == ad.shape[1] and ad.shape[0] > 1 and np.all(np.isfinite(ad)) \
            and np.allclose(ad, fd.T, rtol=1e-6, atol=1e-9 * float(np.max(np.abs(fd), initial=0))):
        hints.append(f"funcad's Jacobian is the transpose of the finite-difference one: a missing or extra "
                     f"transpose in a {rule} rule")
    i, j = c.worst()
    st = int(c.fd.status[i, j])
    if st in (-1, -2) and c.fd.error[i, j] > 1e-3 * abs(fd[i, j]):
        hints.append(f"finite differences did not converge at the worst entry (error estimate "
                     f"{c.fd.error[i, j]:.3g}): f may not be smooth near the point")
    return hints


# -- hints from the recorded graph ------------------------------------------------------
def _near(v, at=0.0, rel=1e-3):
    v = np.asarray(v, dtype=np.float64) if np.isrealobj(v) else np.abs(np.asarray(v))
    return np.abs(v - at) <= rel * np.maximum(1.0, np.abs(at))


def _where(mask) -> str:
    mask = np.asarray(mask)
    if mask.ndim == 0:
        return ""
    first = tuple(int(i) for i in np.argwhere(mask)[0])
    return f" at index {list(first)}"


def _unary(at, what):
    def check(args, ans):
        x = args[0]
        if np.iscomplexobj(x):
            return None
        hit = _near(x, at)
        if np.any(hit):
            exact = np.any(np.asarray(x) == at)
            return f"{'at' if exact else 'near'} {what}: its argument is {'' if exact else 'close to '}{at:g}{_where(hit)}"
        return None
    return check


def _tie(args, ans):
    x, y = (np.asarray(a) for a in args[:2])
    if np.iscomplexobj(x) or np.iscomplexobj(y):
        return None
    hit = np.abs(x - y) <= 1e-3 * np.maximum(1.0, np.abs(x))
    if np.any(hit):
        return f"at a tie of its two arguments (non-differentiable there){_where(hit)}"
    return None


def _reduce_tie(np_fn):
    def check(args, ans):
        x = np.asarray(args[0])
        axis = args[1] if len(args) > 1 else None
        if np.iscomplexobj(x) or x.size == 0:
            return None
        m = np_fn(x, axis=axis, keepdims=True)
        hits = np.sum(np.abs(x - m) <= 1e-3 * np.maximum(1, np.abs(m)), axis=axis)
        if np.any(hits > 1):
            return "at a tie between extreme entries (the derivative jumps there)"
        return None
    return check


def _clip(args, ans):
    x, lo, hi = (np.asarray(a, dtype=float) for a in args[:3])
    hit = _near(x - lo, 0) | _near(x - hi, 0)
    if np.any(hit):
        return f"at a bound of clip (a kink){_where(hit)}"
    return None


def _power(args, ans):
    x, y = (np.asarray(a) for a in args[:2])
    if np.iscomplexobj(x):
        return None
    if np.any(_near(x, 0)):
        return "at base 0 of power (its derivatives are not finite or not smooth there)"
    if np.any((x < 0) & (np.asarray(y) != np.round(y))):
        return "at a negative base with a non-integer exponent (not defined for real numbers)"
    return None


def _steps(args, ans):
    x, y = (np.asarray(a, dtype=float) for a in args[:2])
    with np.errstate(all="ignore"):
        q = x / y
    hit = _near(q - np.round(q), 0, 1e-6)
    if np.any(hit):
        return f"at a jump: the quotient of its arguments is an integer{_where(hit)}"
    return None


KINKS: dict[str, Callable] = {
    "absolute": _unary(0.0, "the kink of abs"),
    "fabs": _unary(0.0, "the kink of fabs"),
    "sqrt": _unary(0.0, "0, where sqrt's derivative is infinite"),
    "cbrt": _unary(0.0, "0, where cbrt's derivative is infinite"),
    "log": _unary(0.0, "the edge of log's domain"),
    "log2": _unary(0.0, "the edge of log2's domain"),
    "log10": _unary(0.0, "the edge of log10's domain"),
    "log1p": _unary(-1.0, "the edge of log1p's domain"),
    "reciprocal": _unary(0.0, "the pole of 1/x"),
    "arcsin": lambda a, r: _unary(1.0, "the edge of arcsin's domain")((np.abs(a[0]),), r),
    "arccos": lambda a, r: _unary(1.0, "the edge of arccos's domain")((np.abs(a[0]),), r),
    "arctanh": lambda a, r: _unary(1.0, "the edge of arctanh's domain")((np.abs(a[0]),), r),
    "arccosh": _unary(1.0, "the edge of arccosh's domain"),
    "divide": lambda a, r: _unary(0.0, "a pole (the denominator is 0)")((a[1],), r),
    "maximum": _tie, "minimum": _tie, "fmax": _tie, "fmin": _tie,
    "max": _reduce_tie(np.max), "min": _reduce_tie(np.min),
    "clip": _clip,
    "power": _power,
    "remainder": _steps, "fmod": _steps,
}


def graph_hints(g0: Callable, parts: list) -> list[str]:
    """Run ``g0`` at the point, recording its graph, and name the primitives evaluated at
    (or very near) a point where they are not smooth."""
    from ..transforms.tracing import trace_vjp
    try:
        _, pb = trace_vjp(g0, list(parts), keep_values=True)
    except Exception:
        return []
    hints, seen = [], set()
    for node in pb.tape:
        name = node.prim.name
        check = KINKS.get(name)
        if check is None or name in seen:
            continue
        try:
            msg = check(node.args, node._p)
        except Exception:
            msg = None
        if msg:
            seen.add(name)
            hints.append(f"the point is {msg} ({name})" if msg.startswith(("at", "near")) else f"{name}: {msg}")
    return hints


def working_scale(g0: Callable, parts: list) -> float:
    """The largest magnitude among the values ``g0`` computes on its way (its graph's
    nodes): the size of the terms whose rounding a derivative inherits."""
    from ..transforms.tracing import trace_vjp
    try:
        _, pb = trace_vjp(g0, list(parts), keep_values=True)
    except Exception:
        return 0.0
    big = 0.0
    for node in pb.tape:
        for v in (node._p,) if not node.prim.multiple_results else node._p:
            v = np.abs(np.asarray(v))
            if v.dtype.kind in "fc" and v.size:
                big = max(big, float(np.max(np.where(np.isfinite(v), v, 0))))
    return big


# -- the report -------------------------------------------------------------------------
def _block(c: Comparison, problem, k: int) -> list[str]:
    i, j = c.worst()
    ad, fd = c.ad[i, j], c.fd.df[i, j]
    d = abs(ad - fd)
    rel = d / abs(fd) if fd != 0 else float("inf") if d else 0.0
    return [
        f"  worst entry: {entry_name(problem, k, i, j)}   (row {i}, column {j} of the {c.ad.shape[0]}x{c.ad.shape[1]} "
        f"{'Jacobian' if k == 1 else 'matrix of order-' + str(k) + ' derivatives'})",
        f"    funcad:              {fmt(ad)}",
        f"    finite differences:  {fmt(fd)}   (error estimate {c.fd.error[i, j]:.2g})",
        f"    absolute error:      {d:.3g}",
        f"    relative error:      {rel:.3g}",
        f"    tolerance:           {c.tol[i, j]:.3g}",
    ]


def failure(problem, f, k: int, comps: dict, hints: list[str], point: str, projected: str = "") -> str:
    """The AssertionError message for the order-``k`` comparisons ``comps`` (mode -> Comparison)."""
    name = getattr(f, "__name__", None) or type(f).__name__
    failed = [m for m, c in comps.items() if not c.ok]
    lines = [f"check_grads: funcad's {ordinal(k)} derivative of {name} disagrees with finite differences."]
    for m, c in comps.items():
        if c.ok:
            lines.append(f"{MODE_NAMES[m]}: agrees (largest relative difference {c.max_rel_error():.2g}).")
            continue
        n = int(c.bad.sum())
        lines.append(f"{MODE_NAMES[m]}: disagrees at {n} of {c.bad.size} entries.")
        lines += _block(c, problem, k)
    if projected:
        lines.append(projected)
    lines.append(f"  at: {point}")
    allh = []
    if len(failed) < len(comps):
        good = [m for m in comps if m not in failed]
        allh.append(f"{' and '.join(MODE_NAMES[m] for m in good)} agrees, so the {RULE_NAMES[failed[0]]} rule "
                    f"of some primitive is wrong")
    if k > 1:
        allh.append(f"the {ordinal(k - 1)} derivatives agree: the rule that is wrong is a derivative of a derivative "
                    f"(a partial written with raw NumPy on traced values, so not differentiated again; or a wrong "
                    f"formula inside a rule)")
    by_hint: dict = {}
    for m in failed:
        for h in _pattern_hints(comps[m], problem, k, m):
            by_hint.setdefault(h, []).append(RULE_NAMES[m])
    allh += [h.replace("{rule}", " or ".join(rules)) for h, rules in by_hint.items()]
    allh += hints
    lines += [f"  hint: {h}" for h in allh]
    lines.append(f"  to reproduce: check_grads(f, args, order={k}, modes={tuple(failed)!r})")
    return "\n".join(lines)


def crashed(f, k: int, mode: str, exc: BaseException) -> str:
    name = getattr(f, "__name__", None) or type(f).__name__
    return (f"check_grads: funcad raised {type(exc).__name__} while computing the {ordinal(k)} derivative of "
            f"{name} in {MODE_NAMES[mode]}: {exc}\n"
            f"  f itself runs at this point, so a {RULE_NAMES[mode]} rule failed (a cotangent or tangent of the "
            f"wrong shape, e.g. a missing broadcast reduction, is the usual cause).")


def point_repr(args) -> str:
    with np.printoptions(threshold=20, floatmode="unique", edgeitems=3):
        s = repr(args)
    return s if len(s) <= 2000 else s[:2000] + " ..."

"""``scipy.integrate.odeint``, differentiable in ``y0``, the time points ``t`` and ``args``.

``odeint_p(y0, t, *args, func=f, options=...)`` is one primitive; ``f(y, t, *args)`` is the
user's right-hand side (y first: ``tfirst=True`` functions are wrapped), written in NumPy.
funcad traces ``f`` for the vector-Jacobian and Jacobian-vector products the rules need, and
every auxiliary ODE is solved by ``odeint_p`` itself (SciPy's LSODA), so the rules
differentiate again.

Reverse mode (adjoint method). With ``y_i = y(t_i)`` and cotangents ``g_i``, the adjoint
``a`` solves ``a' = -a f_y`` backwards from ``t_{T-1}`` to ``t_0``, jumping by ``g_i`` at
each ``t_i``; between consecutive points one augmented system ``(y, a, acc_k)`` with
``y' = f``, ``a' = -a f_y``, ``acc_k' = -a f_{p_k}`` is integrated from ``t_i`` down to
``t_{i-1}`` (``y`` restarts from the forward solution ``y_i``). Then ``y0_bar = a(t_0)``,
``args_bar_k = acc_k(t_0)``, ``t_bar_i = g_i . f(y_i, t_i)`` and, since ``y(t)`` depends on
``t_0`` only through the flow, ``t_bar_0 = g_0 . f(y_0, t_0) - a(t_0) . f(y_0, t_0)``.
All cotangent rows of a batched ``g`` (``jacrev``) are carried in one augmented system
(``a`` and ``acc_k`` get one row per batch entry); the three kinds of cotangents come from
that one solve, shared by the per-argument rules through a one-entry cache (per thread; it
holds the last call's arrays until the next adjoint solve). The augmented state has
``n + B (n + sum p_k)`` entries, so ``jacrev`` of a long trajectory builds a large system:
``jacrev(..., chunk_size=...)`` bounds it, or use ``jacfwd`` when inputs are few.

Forward mode (sensitivity equations): ``S' = f_y S + f_{p_k} dp_k`` with ``S(t_0) = dy0``
(or 0), integrated with ``y`` as one system, all tangent directions at once. A tangent of
``t`` moves each output along the flow, ``dt_i f(y_i, t_i)``, and ``dt_0`` restarts the
trajectory: it adds the ``y0``-sensitivity of ``-dt_0 f(y_0, t_0)``.

Every derivative order is supported in both modes (``grad`` of ``grad``, ``hessian``,
``jacfwd`` of ``jacrev``...): the rules are built from ``odeint_p`` and funcad's own
operations, and the augmented right-hand sides trace ``f`` with nested funcad transforms.
Each order multiplies the state size (and the cost of a right-hand-side call) again.

Limits (each raises ``NotImplementedError`` naming it, never a wrong number):
``full_output=True`` with traced inputs; differentiated values hidden in containers inside
``args`` or in ``func``'s closure (pass them as entries of ``args``); complex ``y0`` or
``args``. ``Dfun``, ``col_deriv``, ``ml``, ``mu``, ``tcrit`` and ``h0`` serve the solve of
the original system only; the auxiliary (adjoint, sensitivity) solves use the same ``rtol``,
``atol``, ``hmax``, ``hmin``, ``mxstep``, ``mxordn``, ``mxords``. Derivatives are those of
the exact ODE solution, computed to the solver's tolerances: ask for tight ``rtol``/``atol``
when the derivatives must be accurate.
"""
from __future__ import annotations

import threading
from typing import Any, Callable

import numpy as np
import scipy.integrate

from ..core import Box
from .broadcast import dtype_of, ndim_of, reshape_p, shape_of, sum_p
from .registry import defjvp_argnum, defvjp_argnum, implements, primitive
from .shape import astype, concat_p, slice_axis_p, stack, transpose

# Solver options that make sense for every solve (original, adjoint, sensitivity); the rest
# (Dfun, col_deriv, ml, mu, tcrit, h0) describe the original system only.
_SHARED = ("rtol", "atol", "hmax", "hmin", "ixpr", "mxstep", "mxhnil", "mxordn", "mxords", "printmessg")


# -- helpers ---------------------------------------------------------------------------------
def _has_box(x) -> bool:
    if isinstance(x, Box):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_box(v) for v in x)
    if isinstance(x, dict):
        return any(_has_box(v) for v in x.values())
    return False


def _is_real_float(x) -> bool:
    """A differentiable entry of ``args``: a real floating array or number (0-d if a float)."""
    if not isinstance(x, (Box, np.ndarray, float, np.floating)):
        return False
    return dtype_of(x).kind == "f"


def _vector(out, n: int):
    """``func``'s result as a length-``n`` vector (it may return a list, as SciPy allows)."""
    if isinstance(out, (list, tuple)):
        from ..numpy import array
        out = array(out)
    elif not isinstance(out, Box):
        out = np.asarray(out, dtype=float)
    return out if shape_of(out) == (n,) else reshape_p(out, (n,), ndim_of(out))


def _full(c, shape):
    """A cotangent/tangent from a sweep, as an array of ``shape`` (``None`` means zeros)."""
    return np.zeros(shape) if c is None else c


def _like(c, x):
    """Cotangent ``c`` in the dtype of the primal ``x`` (float32 in, float32 out)."""
    d = dtype_of(x)
    return c if d.kind != "f" or dtype_of(c) == d else astype(c, d)


def _flat(x):
    return reshape_p(x, (int(np.prod(shape_of(x))),), ndim_of(x))


def _cols(z, lo, hi):
    return slice_axis_p(z, -1, lo, hi)


def _options(kw: dict) -> tuple:
    return tuple((k, kw[k]) for k in _SHARED if k in kw)


# -- the primitive ---------------------------------------------------------------------------
def _checked(func: Callable) -> Callable:
    """``func`` for SciPy: refuse a traced result (a differentiated value in its closure)."""
    def rhs(*a):
        out = func(*a)
        if _has_box(out):
            raise NotImplementedError(
                "odeint: func returned a traced value although y, t and args are plain arrays: "
                "it uses a differentiated value from its closure (a global or an enclosing "
                "variable). Pass that value through args=(...) instead.")
        return out
    return rhs


def _odeint_impl(y0, t, *args, func, options):
    """SciPy's odeint on plain values, ``func`` in the y-first convention."""
    return scipy.integrate.odeint(_checked(func), y0, t, args=args, **dict(options))


odeint_p = primitive(_odeint_impl, "odeint")


# -- reverse mode: the adjoint ---------------------------------------------------------------
def _adjoint_rhs(func, n: int, B: int, dk: tuple) -> Callable:
    """Right-hand side of ``(y, a, acc_k...)``: ``(f, -a f_y, -a f_{p_k}...)``, ``a`` with
    ``B`` rows; ``dk`` are the positions of the differentiable entries of ``args``."""
    from ..transforms.tracing import primal, trace_vjp

    def rhs(z, t, *args):
        y = _cols(z, 0, n)
        a = reshape_p(_cols(z, n, n + B * n), (B, n), 1)

        def f(y, *dp):
            full = list(args)
            for k, p in zip(dk, dp):
                full[k] = p
            return _vector(func(y, t, *full), n)

        inputs = [y] + [args[k] if isinstance(args[k], Box) else np.asarray(args[k]) for k in dk]
        out, pb = trace_vjp(f, inputs)
        cts = pb([(out, a)])
        parts = [primal(out, pb.trace)]
        for c, x in zip(cts, inputs):
            parts.append(-_flat(_full(c, (B,) + shape_of(x))))
        return concat_p(*parts, axis=-1)

    return rhs


def _rhs_values(func, ys, t, args, n: int):
    """``f(y_i, t_i)`` for every row of ``ys``, shape ``(T, n)``."""
    return stack([_vector(func(ys[i], t[i], *args), n) for i in range(shape_of(t)[0])])


def _adjoint(g, ans, y0, t, *args, func, options):
    """All cotangents ``(y0_bar, t_bar, {k: args_bar_k})`` for ``g`` (leading batch axes)."""
    T, n = shape_of(ans)
    lead = shape_of(g)[:ndim_of(g) - 2]
    B = int(np.prod(lead))
    dk = tuple(k for k, a in enumerate(args) if _is_real_float(a))
    psizes = [int(np.prod(shape_of(args[k]))) for k in dk]
    g = reshape_p(g, (B, T, n), ndim_of(g))
    rhs = _adjoint_rhs(func, n, B, dk)
    opts = _options(dict(options))

    a = g[:, T - 1, :]
    accs = [np.zeros(B * p) for p in psizes]
    for i in range(T - 1, 0, -1):
        z0 = concat_p(ans[i], _flat(a), *accs, axis=-1)
        z1 = odeint_p(z0, stack([t[i], t[i - 1]]), *args, func=rhs, options=opts)[1]
        a = reshape_p(_cols(z1, n, n + B * n), (B, n), 1) + g[:, i - 1, :]
        off = n + B * n
        accs = []
        for p in psizes:
            accs.append(_cols(z1, off, off + B * p))
            off += B * p

    F = _rhs_values(func, ans, t, args, n)                       # (T, n)
    t_bar = sum_p(g * F, (-1,), 3, False)                         # (B, T)
    e0 = np.zeros(T)
    e0[0] = 1.0
    t_bar = t_bar - reshape_p(sum_p(a * F[0], (-1,), 2, False), (B, 1), 1) * e0
    y0_bar = _like(reshape_p(a, lead + shape_of(y0), 2), y0)
    t_bar = _like(reshape_p(t_bar, lead + (T,), 2), t)
    args_bar = {k: _like(reshape_p(acc, lead + shape_of(args[k]), 1), args[k]) for k, acc in zip(dk, accs)}
    return y0_bar, t_bar, args_bar


_cache = threading.local()


def _shared_adjoint(g, ans, y0, t, args, kw):
    """One adjoint solve per call of the primitive, whichever arguments' rules ask for it
    (the backward pass calls the rule of each traced argument with the same objects)."""
    key = (g, ans, y0, t, kw["func"]) + tuple(args)
    hit = getattr(_cache, "entry", None)
    if hit is not None and len(hit[0]) == len(key) and all(p is q for p, q in zip(hit[0], key)):
        return hit[1]
    res = _adjoint(g, ans, y0, t, *args, **kw)
    _cache.entry = (key, res)
    return res


def _odeint_vjp(i, g, ans, y0, t, *args, **kw):
    if i >= 2 and not _is_real_float(args[i - 2]):
        what = "complex" if dtype_of(args[i - 2]).kind == "c" else "non-float"
        raise NotImplementedError(f"odeint: args[{i - 2}] is {what}; only real floating entries "
                                  "of args can be differentiated.")
    y0_bar, t_bar, args_bar = _shared_adjoint(g, ans, y0, t, args, kw)
    return y0_bar if i == 0 else t_bar if i == 1 else args_bar[i - 2]


defvjp_argnum(odeint_p, _odeint_vjp)


# -- forward mode: sensitivity equations -----------------------------------------------------
def _sensitivity_rhs(func, n: int, B: int, k: int | None) -> Callable:
    """Right-hand side of ``(y, S)``: ``(f, f_y S + f_{p_k} dp_k)``, ``S`` with ``B`` rows.
    With ``k`` set, the last argument is the tangent ``dp_k`` (``B`` rows) of ``args[k]``."""
    from ..transforms.tracing import split, trace_jvp

    def rhs(z, t, *extended):
        args = extended[:-1] if k is not None else extended
        y = _cols(z, 0, n)
        S = reshape_p(_cols(z, n, n + B * n), (B, n), 1)

        def f(y, *dp):
            full = list(args)
            if k is not None:
                full[k] = dp[0]
            return _vector(func(y, t, *full), n)

        primals, tangents = [y], [S]
        if k is not None:
            p = args[k]
            primals.append(p if isinstance(p, Box) else np.asarray(p))
            tangents.append(extended[-1])
        out, trace = trace_jvp(f, primals, tangents)
        ydot, sdot = split(out, trace)
        return concat_p(ydot, _flat(_full(sdot, (B, n))), axis=-1)

    return rhs


def _push(ty0, tp, k, y0, t, args, func, options, lead):
    """Tangent of the solution (``lead + (T, n)``) for a ``y0`` tangent ``ty0`` ``(B, n)``
    or a tangent ``tp`` (``B`` rows) of ``args[k]``."""
    n = int(np.prod(shape_of(y0)))
    T = shape_of(t)[0]
    B = int(np.prod(lead))
    rhs = _sensitivity_rhs(func, n, B, k)
    s0 = np.zeros(B * n) if ty0 is None else _flat(ty0)
    extra = () if k is None else (tp,)
    zs = odeint_p(concat_p(_flat(y0), s0, axis=-1), t, *args, *extra, func=rhs,
                  options=_options(dict(options)))
    S = reshape_p(_cols(zs, n, n + B * n), (B, n), 1)          # (T, B, n)
    return reshape_p(transpose(S, (1, 0, 2)), lead + (T, n), 3)


def _odeint_jvp(i, tan, ans, y0, t, *args, func, options):
    if i == 0:
        lead = shape_of(tan)[:ndim_of(tan) - ndim_of(y0)]
        ty0 = reshape_p(tan, (int(np.prod(lead)), int(np.prod(shape_of(y0)))), ndim_of(tan))
        return _push(ty0, None, None, y0, t, args, func, options, lead)
    if i == 1:
        T, n = shape_of(ans)
        lead = shape_of(tan)[:ndim_of(tan) - 1]
        F = _rhs_values(func, ans, t, args, n)                   # (T, n)
        moved = reshape_p(tan, (T, 1), 1) * F                     # lead + (T, n)
        dt0 = slice_axis_p(tan, -1, 0, 1)                         # lead + (1,)
        restart = reshape_p(-(dt0 * F[0]), (int(np.prod(lead)), n), len(lead) + 1)
        return moved + _push(restart, None, None, y0, t, args, func, options, lead)
    k = i - 2
    if not _is_real_float(args[k]):
        raise NotImplementedError(f"odeint: args[{k}] is not a real floating array; only real "
                                  "floating entries of args can be differentiated.")
    p = args[k]
    lead = shape_of(tan)[:ndim_of(tan) - ndim_of(p)]
    tp = reshape_p(tan, (int(np.prod(lead)),) + shape_of(p), ndim_of(tan))
    return _push(None, tp, k, y0, t, args, func, options, lead)


defjvp_argnum(odeint_p, _odeint_jvp)


# -- SciPy's signature -----------------------------------------------------------------------
@implements(scipy.integrate.odeint)
def odeint(func: Callable, y0: Any, t: Any, args: Any = (), Dfun: Callable | None = None,
           col_deriv: int = 0, full_output: int = 0, ml: int | None = None, mu: int | None = None,
           rtol: float | None = None, atol: float | None = None, tcrit: Any = None,
           h0: float = 0.0, hmax: float = 0.0, hmin: float = 0.0, ixpr: int = 0,
           mxstep: int = 0, mxhnil: int = 0, mxordn: int = 12, mxords: int = 5,
           printmessg: int = 0, tfirst: bool = False) -> Any:
    """``scipy.integrate.odeint``, differentiable in ``y0``, ``t`` and the entries of ``args``
    (real arrays or floats), in both modes and to any order (adjoint method in reverse mode,
    sensitivity equations in forward mode). ``func`` is written in NumPy; a value it should
    be differentiated in must be passed through ``args``, not captured in its closure."""
    if not isinstance(args, tuple):
        args = (args,)
    shared = dict(rtol=rtol, atol=atol, hmax=hmax, hmin=hmin, ixpr=ixpr, mxstep=mxstep,
                  mxhnil=mxhnil, mxordn=mxordn, mxords=mxords, printmessg=printmessg)
    if not (_has_box(y0) or _has_box(t) or _has_box(args)):
        return scipy.integrate.odeint(_checked(func), y0, t, args=args, Dfun=Dfun,
                                      col_deriv=col_deriv, full_output=full_output, ml=ml, mu=mu,
                                      tcrit=tcrit, h0=h0, tfirst=tfirst, **shared)
    if full_output:
        raise NotImplementedError("odeint(..., full_output=True) is not differentiable: call it "
                                  "with full_output=False (the default) on traced values, and "
                                  "separately on plain values (funcad.stop_gradient) for the "
                                  "solver's diagnostics.")
    for k, a in enumerate(args):
        if not isinstance(a, Box) and _has_box(a):
            raise NotImplementedError(
                f"odeint: args[{k}] is a {type(a).__name__} holding traced values; only top-level "
                "entries of args are differentiated. Pass each array as its own entry of args.")
    from ..numpy import asarray
    y0, t = asarray(y0), asarray(t)           # lists of traced numbers become traced arrays
    for what, x in (("y0", y0), ("t", t)):
        if dtype_of(x).kind == "c":
            raise NotImplementedError(f"odeint: {what} is complex; SciPy's odeint solves real "
                                      "systems only. Split it into real and imaginary parts.")
    if ndim_of(y0) > 1:
        raise ValueError(f"odeint: initial condition y0 must be one-dimensional (or a scalar), "
                         f"got shape {shape_of(y0)}.")
    if ndim_of(t) != 1:
        raise ValueError(f"odeint: t must be a one-dimensional sequence of time points, got "
                         f"shape {shape_of(t)}.")
    f = (lambda y, s, *a: func(s, y, *a)) if tfirst else func
    dfun = (lambda y, s, *a: Dfun(s, y, *a)) if (tfirst and Dfun is not None) else Dfun
    options = dict(shared, Dfun=dfun, col_deriv=col_deriv, ml=ml, mu=mu, tcrit=tcrit, h0=h0)
    return odeint_p(y0, t, *args, func=f, options=tuple(options.items()))

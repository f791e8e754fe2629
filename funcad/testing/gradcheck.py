"""``gradcheck`` and ``gradgradcheck`` with torch.autograd's meanings, for NumPy.

``gradcheck`` compares, for every (output i, input j) pair, the *analytical* Jacobian
(funcad's reverse mode; forward mode too with ``check_forward_ad=True``) with torch's
*numerical* one: central differences ``(f(x + eps) - f(x - eps)) / 2 eps``, one input
element at a time, perturbed in the input's own dtype. A pair fails when not
``|analytical - numerical| <= atol + rtol * |numerical|`` everywhere; the error is a
:class:`GradcheckError` (a ``RuntimeError``) with torch's message, or ``False`` with
``raise_exception=False``. Both Jacobians are laid out as torch prints them:
``(input.size, output.size)``.

As in torch, only floating-point (or complex) arrays among ``inputs`` are differentiated;
other inputs are passed through. Complex values are compared through their real and
imaginary parts. ``gradgradcheck`` is ``gradcheck`` of the vector-Jacobian product with
``grad_outputs`` (uniform in [-1, 1] from a fixed seed when not given), over the inputs
and the ``grad_outputs``: it checks second derivatives.

For the checks funcad's own tests rely on (error estimates, reports, several orders and
modes), see :func:`funcad.testing.check_grads`.
"""
from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np

from ..core import value_of
from ..transforms.func import jacfwd, jacrev
from .flatten import Flat

__all__ = ["GradcheckError", "gradcheck", "gradgradcheck"]


class GradcheckError(RuntimeError):
    """Raised by :func:`gradcheck` and :func:`gradgradcheck` when a check fails."""


def _is_input(x) -> bool:
    return isinstance(x, np.ndarray) and x.dtype.kind in "fc"


def _as_tuple(x) -> tuple:
    return x if isinstance(x, tuple) else (x,)


def _notallclose_msg(analytical, numerical, i: int, j: int, complex_: bool, forward: bool) -> str:
    prefix = "While considering the real and imaginary parts of complex values, " if complex_ else ""
    mode = "computed with forward mode " if forward else ""
    return (prefix + f"Jacobian {mode}mismatch for output {i:d} with respect to input {j:d},\n"
            f"numerical:{numerical}\nanalytical:{analytical}\n")


def _numerical(flat: Flat, eps: float) -> np.ndarray:
    """torch's numerical Jacobian (M, N): central differences, perturbed in the inputs' dtype."""
    x = np.concatenate([np.ravel(p) for p in flat.part_values()]) if flat.parts else np.zeros(0)
    cols = []
    for j in range(flat.N):
        outs = []
        for sign in (1, -1):
            v = x.copy()
            v[j] = v[j] + sign * v.dtype.type(eps)
            outs.append(np.asarray(flat.g0(*flat.split(v, dtype=flat.dtype)), dtype=np.float64))
        cols.append((outs[0] - outs[1]) / (2 * eps))
    return np.stack(cols, axis=1) if cols else np.zeros((flat.m, 0))


def _blocks(flat: Flat, J: np.ndarray):
    """Split an (M, N) Jacobian into torch's (input.size, output.size) blocks, by
    (output leaf i, input leaf j)."""
    rows: dict = {}
    for _, shape, off, i in flat.out_parts:
        rows.setdefault(i, []).append(np.arange(off, off + int(np.prod(shape))))
    cols: dict = {}
    inputs = sorted({p.leaf for p in flat.parts})
    for p in flat.parts:
        cols.setdefault(inputs.index(p.leaf), []).append(np.arange(p.offset, p.offset + p.size))
    for i, r in rows.items():
        for j, c in cols.items():
            yield i, j, J[np.ix_(np.concatenate(r), np.concatenate(c))].T


def _fail(msg: str, raise_exception: bool) -> bool:
    if raise_exception:
        raise GradcheckError(msg)
    return False


def gradcheck(func: Callable[..., Any], inputs, *, eps: float = 1e-6, atol: float = 1e-5,
              rtol: float = 1e-3, raise_exception: bool = True, check_forward_ad: bool = False,
              check_backward_ad: bool = True) -> bool:
    """Check funcad's Jacobians of ``func`` at ``inputs`` against central differences
    with step ``eps`` (torch.autograd.gradcheck's meaning and message).

    Returns ``True``; on a mismatch raises :class:`GradcheckError` ("Jacobian mismatch for
    output i with respect to input j, numerical: ... analytical: ..."), or returns
    ``False`` if ``raise_exception=False``.

    >>> import numpy as np
    >>> from funcad.testing import gradcheck
    >>> gradcheck(lambda x, y: np.sin(x) * y, (np.array([0.1, 0.7]), np.array([2.0, 3.0])))
    True
    """
    args = _as_tuple(inputs)
    if not any(_is_input(a) for a in args):
        raise ValueError("gradcheck expects at least one input array of floating-point (or complex) dtype")
    for k, a in enumerate(args):
        if _is_input(a) and a.dtype not in (np.float64, np.complex128):
            warnings.warn(f"Input #{k} requires gradient and is not a double precision floating point or complex. "
                          "This check will likely fail if all the inputs are not of double precision floating "
                          "point or complex.", stacklevel=2)
    out = func(*args)
    flat = Flat(func, args, out=out, diff=_is_input)
    if flat.m == 0:
        return True
    complex_ = any(np.iscomplexobj(flat.arrays[k]) for k in flat.diff) or \
        any(np.iscomplexobj(o) for o in flat.out_leaves)
    numerical = dict(((i, j), b) for i, j, b in _blocks(flat, _numerical(flat, eps)))
    parts = flat.part_values()
    argnums = tuple(range(len(parts)))
    for forward, on, jac in ((False, check_backward_ad, jacrev), (True, check_forward_ad, jacfwd)):
        if not on:
            continue
        blocks = jac(flat.g0, argnums=argnums)(*parts)
        analytical = np.concatenate([np.reshape(value_of(b), (flat.m, -1)) for b in blocks], axis=1)
        for i, j, a in _blocks(flat, np.asarray(analytical)):
            n = numerical[(i, j)]
            if not np.allclose(a, n, rtol=rtol, atol=atol):
                return _fail(_notallclose_msg(a, n, i, j, complex_, forward), raise_exception)
    return True


def gradgradcheck(func: Callable[..., Any], inputs, grad_outputs=None, *, eps: float = 1e-6,
                  atol: float = 1e-5, rtol: float = 1e-3, gen_non_contig_grad_outputs: bool = False,
                  raise_exception: bool = True, check_fwd_over_rev: bool = False,
                  check_rev_over_rev: bool = True) -> bool:
    """Check second derivatives: ``gradcheck`` of ``(inputs, v) -> v^T J(inputs)`` (the
    vector-Jacobian product, computed by funcad) over the inputs and ``v = grad_outputs``.

    ``grad_outputs`` (one array per floating output of ``func``) default to random
    values uniform in [-1, 1] (fixed seed, so the check is reproducible);
    ``gen_non_contig_grad_outputs=True`` makes them non-contiguous views.

    >>> import numpy as np
    >>> from funcad.testing import gradgradcheck
    >>> gradgradcheck(lambda x: np.sin(x) * x, (np.array([0.1, 0.7]),))
    True
    """
    from ..transforms.func import vjp
    args = _as_tuple(inputs)
    diff_idx = [k for k, a in enumerate(args) if _is_input(a)]
    if not diff_idx:
        raise ValueError("gradgradcheck expects at least one input array of floating-point (or complex) dtype")
    out = func(*args)
    outs = _as_tuple(out)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        gouts = []
        for o in outs:
            o = np.asarray(value_of(o))
            g = rng.uniform(-1, 1, o.shape).astype(o.dtype if o.dtype.kind in "fc" else np.float64)
            if o.dtype.kind == "c":
                g = g + 1j * rng.uniform(-1, 1, o.shape).astype(g.dtype)
            if gen_non_contig_grad_outputs and g.ndim:
                g = np.repeat(g[..., None], 2, axis=-1)[..., 0]
            gouts.append(g)
        gouts = tuple(gouts)
    else:
        gouts = tuple(np.asarray(g) for g in _as_tuple(grad_outputs))
    if len(gouts) != len(outs):
        raise ValueError(f"gradgradcheck: expected {len(outs)} grad_outputs (one per output of func), got {len(gouts)}")
    n_in = len(args)
    single_out = not isinstance(out, tuple)

    def vjp_of_func(*a):
        xs, gs = list(a[:n_in]), a[n_in:]

        def on_diff(*d):
            full = list(xs)
            for k, v in zip(diff_idx, d):
                full[k] = v
            return func(*full)

        _, pull = vjp(on_diff, *[xs[k] for k in diff_idx])
        return tuple(pull(gs[0] if single_out else tuple(gs)))

    return gradcheck(vjp_of_func, args + gouts, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception, check_forward_ad=check_fwd_over_rev,
                     check_backward_ad=check_rev_over_rev)

"""User-defined primitives with their own derivative rules, and ``stop_gradient``."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from .core import Primitive, value_of
from .rules.broadcast import ndim_of, shape_of

__all__ = ["primitive", "defvjp", "defjvp", "stop_gradient", "detach"]


def primitive(f: Callable) -> Primitive:
    """Make ``f`` (which runs on plain values) a primitive: funcad will not trace inside
    it, and differentiates it with the rules given by :func:`defvjp` / :func:`defjvp`.

    >>> import numpy as np, funcad
    >>> @funcad.primitive
    ... def cube(x):
    ...     return x ** 3
    >>> funcad.defvjp(cube, lambda g, ans, x: 3 * g * x ** 2)
    >>> funcad.defjvp(cube, lambda t, ans, x: 3 * t * x ** 2)
    >>> funcad.func.grad(cube)(np.array(2.0))
    array(12.)
    """
    return Primitive(f, getattr(f, "__name__", None))


def _per_example(rule: Callable, ref: Callable) -> Callable:
    """Run a user's rule, written for one direction, on each row of a batch of directions
    (funcad's own rules take batches directly; a user's need not)."""
    def batched(v, ans, *args, **kw):
        nb = ndim_of(v) - ndim_of(ref(ans, args))
        if nb <= 0:
            return rule(v, ans, *args, **kw)
        from .rules.shape import reshape, stack
        lead = shape_of(v)[:nb]
        rows = reshape(v, (-1,) + shape_of(v)[nb:])
        outs = [rule(rows[k], ans, *args, **kw) for k in range(int(np.prod(lead)))]
        out = stack(outs)
        return reshape(out, lead + shape_of(out)[1:])
    return batched


def defvjp(prim: Primitive, *rules: Callable | None) -> None:
    """Reverse-mode rules, one per positional argument: ``rule(g, ans, *args, **kwargs)``
    returns the cotangent for that argument (``None`` marks it non-differentiable)."""
    _check(prim, rules, "defvjp")
    prim.vjps = tuple(None if r is None else _per_example(r, lambda ans, args: ans) for r in rules)


def defjvp(prim: Primitive, *rules: Callable | None) -> None:
    """Forward-mode rules, one per positional argument: ``rule(t, ans, *args, **kwargs)``
    returns that argument's contribution to the output tangent."""
    _check(prim, rules, "defjvp")
    prim.jvps = tuple(None if r is None else _per_example(r, lambda ans, args, i=i: args[i])
                      for i, r in enumerate(rules))
    prim.jvp_all = None   # the per-argument rules replace any joint one


def _check(prim, rules, name):
    if not isinstance(prim, Primitive):
        raise TypeError(f"{name}: expected a function decorated with @funcad.primitive, got {prim!r}")
    for r in rules:
        if r is not None and not callable(r):
            raise TypeError(f"{name}: each rule must be callable or None, got {r!r}")


def stop_gradient(x: Any) -> Any:
    """The value of ``x`` with no derivative, under every transform (torch's ``detach``)."""
    if isinstance(x, (tuple, list)):
        return type(x)(stop_gradient(v) for v in x)
    if isinstance(x, dict):
        return {k: stop_gradient(v) for k, v in x.items()}
    return value_of(x)


detach = stop_gradient

"""torch.autograd.functional for NumPy: ``vjp``, ``jvp``, ``jacobian``, ``hessian``,
``hvp``, ``vhp`` with torch's parameters, return structures, checks and exceptions.

A thin layer over the engine (``tracing``) and the Jacobian sweeps of ``transforms.func``.
torch's ``strict`` checks are structural: "independent" means no path in the recorded
graph (funcad's symbolic zeros), "requires grad" means the value is traced by the trace
that boxes the inputs. With ``strict=True`` and ``create_graph=True`` a *probe* trace
around the whole call tells whether a result still depends on the inputs.

Deliberate differences from torch (see the README): tuples where torch's forward-mode paths
return lists; Python floats and lists are accepted as inputs; integer inputs are a
``TypeError``; ``strategy="forward-mode"`` works without ``vectorize=True`` and with
``create_graph=True``.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..core import Box, Node, VJPTrace, value_of
from ..rules.broadcast import dtype_of, shape_of
from ..rules.shape import reshape, stack
from .func import _out, pull_jacobian, push_jacobian
from .tracing import (Pullback, check_callable, keeps_gc_paused, ones_like, own, primal, split, to_inputs,
                      trace_jvp, trace_vjp, zeros_like)

__all__ = ["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"]

Arrays = Any  # an array or a tuple of arrays


# -- checks and conversions (torch's helpers, by name) ------------------------------------
_ARRAYS = (np.ndarray, np.generic, Box, float, complex, int)
_ARRAYS_OR_LISTS = _ARRAYS + (list,)
_ONE = (np.ndarray, Box)


def _is_array(x, lists: bool = True) -> bool:
    return isinstance(x, _ARRAYS_OR_LISTS if lists else _ARRAYS) and not isinstance(x, bool)


def _as_tuple(inp, arg_name: str, fn_name: str, lists: bool = True):
    if isinstance(inp, _ONE):   # the common case, one array: nothing to check
        return False, (inp,)
    is_tuple = isinstance(inp, tuple)
    items = inp if is_tuple else (inp,)
    for i, el in enumerate(items):
        if not _is_array(el, lists):
            where = f"the value at index {i}" if is_tuple else f"the given {arg_name}"
            raise TypeError(f"The {arg_name} given to {fn_name} must be either an array or a tuple "
                            f"of arrays but {where} has type {type(el).__name__}.")
    return is_tuple, items


def _inputs(inputs, fn_name):
    if type(inputs) is np.ndarray and inputs.dtype.kind in "fc":   # one float array: as given
        return False, (inputs,)
    is_tuple, items = _as_tuple(inputs, "inputs", fn_name)
    return is_tuple, tuple(to_inputs(items, lambda i: f"{fn_name}: input {i}" if is_tuple else f"{fn_name}: `inputs`"))


def _outputs(out, fn_name):
    return _as_tuple(out, "outputs of the user-provided function", fn_name, lists=False)


def _v(v, fn_name):
    """``v`` as a tuple of numeric arrays (integers are accepted, as torch accepts them)."""
    _, items = _as_tuple(v, "v", fn_name)
    out = []
    for i, x in enumerate(items):
        what = f"{fn_name}: `v`" + (f" entry {i}" if len(items) > 1 else "")
        if isinstance(x, Box):
            out.append(x)
            continue
        a = np.asarray(x) if not isinstance(x, np.ndarray) else x
        if a.dtype.kind not in "biufc":
            raise TypeError(f"{what} has dtype {a.dtype}; it must be numeric (an array of floats "
                            f"shaped like what it multiplies).")
        out.append(a)
    return tuple(out)


def _cast_like(vv, refs):
    """``v`` in the dtype of the arrays it multiplies (torch casts it too)."""
    out = []
    for x, r in zip(vv, refs):
        rd = dtype_of(r)
        if rd.kind not in "fc":
            rd = np.dtype(np.float64)
        out.append(x if isinstance(x, Box) or x.dtype == rd else x.astype(rd))
    return tuple(out)


def _validate_v(v, other, is_other_tuple):
    if len(other) != len(v):
        if is_other_tuple:
            raise RuntimeError(f"v is a tuple of invalid length: should be {len(other)} but got {len(v)}.")
        raise RuntimeError("The given v should contain a single array.")
    for idx, (ev, eo) in enumerate(zip(v, other)):
        if shape_of(ev) != shape_of(eo):
            prefix = f"Entry {idx} in " if is_other_tuple else ""
            raise RuntimeError(f"{prefix}v has invalid size: should be {shape_of(eo)} but got {shape_of(ev)}.")


def _vector(v, refs, is_tuple: bool, fn_name: str, what: str):
    """``v`` checked against the arrays it multiplies, or the default one (torch's rule:
    only when there is a single one-element array)."""
    if v is not None:
        if type(v) is np.ndarray and len(refs) == 1 and v.dtype.kind in "fc" \
                and v.dtype == dtype_of(refs[0]) and v.shape == shape_of(refs[0]):
            return (v,)   # the common case: one array of the right shape and dtype
        vv = _v(v, fn_name)
        _validate_v(vv, refs, is_tuple)
        return _cast_like(vv, refs)
    if len(refs) != 1 or _size(refs[0]) != 1:
        raise RuntimeError(f"The vector v can only be None if {what} a single array with a single element.")
    return (ones_like(refs[0]),)


def _check_requires_grad(values, kind: str, strict: bool, requires_grad) -> None:
    """torch's ``_check_requires_grad``: in strict mode, every value must depend on the inputs."""
    if not strict:
        return
    for i, x in enumerate(values):
        if x is None:
            raise RuntimeError(f"The output of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode.")
        if not requires_grad(x):
            if kind == "hessian":
                raise RuntimeError(
                    f"The hessian of the user-provided function with respect to input {i} is independent "
                    "of the input. This is not allowed in strict mode. You should ensure that your "
                    "function is thrice differentiable and that the hessian depends on the inputs.")
            if kind == "jacobian":
                raise RuntimeError(
                    "While computing the hessian, found that the jacobian of the user-provided function "
                    f"with respect to input {i} is independent of the input. This is not allowed in strict "
                    "mode. You should ensure that your function is twice differentiable and that the "
                    "jacobian depends on the inputs (this would be violated by a linear function for example).")
            if kind == "grad_inputs":
                raise RuntimeError(f"The gradient with respect to input {i} is independent of the inputs "
                                   "of the user-provided function. This is not allowed in strict mode.")
            raise RuntimeError(f"Output {i} of the user-provided function does not require gradients. The "
                               "outputs must be computed in a differentiable manner from the input when "
                               "running in strict mode.")


_NONE_MSG = {
    "back": "The output of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "back_trick": "The gradient with respect to the input is independent of entry {i} in the grad_outputs when "
                  "using the double backward trick to compute forward mode gradients. This is not allowed in strict mode.",
    "double_back": "The jacobian of the user-provided function is independent of input {i}. This is not allowed in strict mode.",
    "double_back_trick": "The hessian of the user-provided function is independent of entry {i} in the grad_jacobian. "
                         "This is not allowed in strict mode as it prevents from using the double backward trick to "
                         "replace forward mode AD.",
}


def _record(func, xs, fn_name, strict):
    """Run ``func`` recording its graph; its outputs checked as torch checks them."""
    out, pb = trace_vjp(func, xs)
    is_out_tuple, outs = _outputs(out, fn_name)
    _check_requires_grad(outs, "outputs", strict, lambda o: own(o, pb.trace))
    return pb, is_out_tuple, outs


def _fill_in_zeros(grads, refs, strict, create_graph, stage, depends):
    """None (no path) -> zeros, or torch's strict-mode error for ``stage``."""
    res = []
    for i, g in enumerate(grads):
        if g is None:
            if strict:
                raise RuntimeError(_NONE_MSG[stage].format(i=i))
            g = zeros_like(refs[i])
        elif strict and create_graph and not depends(g):
            what = "hessian" if "double" in stage else "jacobian"
            raise RuntimeError(f"The {what} of the user-provided function is independent of input {i}. "
                               "This is not allowed in strict mode when create_graph=True.")
        res.append(g)
    return tuple(res)


class _Probe:
    """With strict=True and create_graph=True, box the inputs in an outer trace so that a
    result's dependence on them can be read off (torch's ``requires_grad``)."""

    def __init__(self, on: bool):
        self.trace = VJPTrace() if on else None

    def box(self, xs):
        return xs if self.trace is None else tuple(Node.leaf(self.trace, x) for x in xs)

    def depends(self, x) -> bool:
        return self.trace is None or own(x, self.trace)

    def close(self):
        if self.trace is not None:
            self.trace.tape = None


def _post(x, create_graph, probe):
    """A result leaving the API: detached unless create_graph, probe boxes removed."""
    if probe.trace is not None:
        x = primal(x, probe.trace)
    return _out(x if create_graph else value_of(x))


def _leave(xs, is_tuple, create_graph, probe):
    """Leaves leaving the API (``_post`` each), as a tuple or the one array."""
    if not is_tuple:
        return _post(xs[0], create_graph, probe)
    return tuple(_post(x, create_graph, probe) for x in xs)


def _size(x) -> int:
    return int(np.prod(shape_of(x)))


# -- vjp / jvp ----------------------------------------------------------------------------
@keeps_gc_paused
def vjp(func: Callable, inputs: Arrays, v: Arrays | None = None, create_graph: bool = False,
        strict: bool = False):
    """Vector-Jacobian product ``v^T J`` of ``func`` at ``inputs`` (reverse mode).

    Returns ``(func(inputs), vjp)``, each an array or a tuple as ``func``'s outputs and
    ``inputs`` are. ``v`` may be omitted when ``func`` returns a single one-element array.

    >>> import numpy as np, funcad
    >>> out, g = funcad.vjp(lambda x: x ** 2, np.array([1.0, 2.0]), np.array([1.0, 1.0]))
    >>> g
    array([2., 4.])
    """
    check_callable(func, "vjp")
    is_in_tuple, xs = _inputs(inputs, "vjp")
    probe = _Probe(strict and create_graph)
    try:
        pb, is_out_tuple, outs = _record(func, probe.box(xs), "vjp", strict)
        vv = _vector(v, outs, is_out_tuple, "vjp", "the user-provided function returns")
        values = [primal(o, pb.trace) for o in outs]
        grads = pb(list(zip(outs, vv)), release=True)
        res = _fill_in_zeros(grads, xs, strict, create_graph, "back", probe.depends)
        result = _leave(values, is_out_tuple, create_graph, probe), _leave(res, is_in_tuple, create_graph, probe)
    finally:
        probe.close()
    return result


def jvp(func: Callable, inputs: Arrays, v: Arrays | None = None, create_graph: bool = False,
        strict: bool = False):
    """Jacobian-vector product ``J v`` of ``func`` at ``inputs``, in forward mode (dual
    numbers). ``v`` may be omitted when the input is a single one-element array.

    >>> import numpy as np, funcad
    >>> funcad.jvp(np.sin, np.array([0.0, 1.0]), np.array([1.0, 0.0]))[1]
    array([1., 0.])
    """
    check_callable(func, "jvp")
    is_in_tuple, xs = _inputs(inputs, "jvp")
    vv = _vector(v, xs, is_in_tuple, "jvp", "the input to the user-provided function is")
    probe = _Probe(strict and create_graph)
    try:
        boxed = probe.box(xs)
        if strict:   # torch's double-backward trick, replayed structurally for its checks
            pb, is_out_tuple, outs = _record(func, boxed, "jvp", strict)
            seeds = VJPTrace()
            u = [Node.leaf(seeds, zeros_like(o)) for o in outs]
            grad_inputs = pb(list(zip(outs, u)))
            seeds.tape = None
            _check_requires_grad(grad_inputs, "grad_inputs", strict, lambda g: own(g, seeds))
            tangents = pb.forward(outs, vv)
            prims = [primal(o, pb.trace) for o in outs]
        else:
            out, trace = trace_jvp(func, boxed, vv)
            is_out_tuple, outs = _outputs(out, "jvp")
            pairs = [split(o, trace) for o in outs]
            prims, tangents = [p for p, _ in pairs], [t for _, t in pairs]
        res = _fill_in_zeros(tangents, prims, strict, create_graph, "back_trick", probe.depends)
        result = _leave(prims, is_out_tuple, create_graph, probe), _leave(res, is_out_tuple, create_graph, probe)
    finally:
        probe.close()
    return result


# -- jacobian -----------------------------------------------------------------------------
@keeps_gc_paused
def jacobian(func: Callable, inputs: Arrays, create_graph: bool = False, strict: bool = False,
             vectorize: bool = False, strategy: str = "reverse-mode"):
    """The Jacobian of ``func`` at ``inputs``: block ``[i][j]`` has shape
    ``outputs[i].shape + inputs[j].shape``; an array, a tuple, or a tuple of tuples as
    ``func``'s outputs and ``inputs`` are tuples.

    Reverse mode pulls all rows of an output in one batched sweep; ``strategy=
    "forward-mode"`` pushes all columns in one sweep of dual numbers (``vectorize`` is
    accepted either way: funcad always batches, except where ``strict`` needs torch's
    row-by-row checks).

    >>> import numpy as np, funcad
    >>> funcad.jacobian(lambda x, y: 2 * np.exp(x) + 3 * y, (np.array([0.0]), np.array([0.0])))
    (array([[2.]]), array([[3.]]))
    """
    assert strategy in ("forward-mode", "reverse-mode"), (
        'Expected strategy to be either "forward-mode" or "reverse-mode". Hint: If your function has '
        'more outputs than inputs, "forward-mode" tends to be more performant. Otherwise, prefer to use '
        '"reverse-mode".')
    check_callable(func, "jacobian")
    if strategy == "forward-mode":
        if strict:
            raise RuntimeError('jacobian: `strict=True` and `strategy="forward-mode"` are not supported '
                               'together (yet). Please either set `strict=False` or `strategy="reverse-mode"`.')
        is_in_tuple, xs = _inputs(inputs, "jacobian")
        checked = []

        def checked_func(*a):
            out = func(*a)
            checked.append(_outputs(out, "jacobian")[0])
            return out

        outs, _, jac, _ = push_jacobian(checked_func, list(xs))
        is_out_tuple = checked[0]
        return _assemble(jac, outs, xs, is_out_tuple, is_in_tuple, create_graph, _Probe(False))
    is_in_tuple, xs = _inputs(inputs, "jacobian")
    probe = _Probe(strict and create_graph)
    try:
        pb, is_out_tuple, outs = _record(func, probe.box(xs), "jacobian", strict)
        if vectorize and strict:
            raise RuntimeError("jacobian: `strict=True` and `vectorized=True` are not supported together. "
                               "Please either set `strict=False` or `vectorize=False`.")
        if strict:
            jac = _jacobian_rows(pb, outs, xs, create_graph, probe.depends)
        else:
            jac = pull_jacobian(pb, list(outs), list(xs), last=True)
        return _assemble(jac, [primal(o, pb.trace) for o in outs], xs, is_out_tuple, is_in_tuple,
                         create_graph, probe)
    finally:
        probe.close()


def _jacobian_rows(pb, outs, xs, create_graph, depends):
    """torch's row-by-row Jacobian with its strict-mode checks, in torch's order."""
    from .tracing import basis_rows
    jac = []
    for i, o in enumerate(outs):
        n = _size(o)
        rows = [[] for _ in xs]
        for k in range(n):
            seed = basis_rows([o], k, k + 1)[0]
            vj = pb([(o, reshape(seed, shape_of(o)))])
            for j, (g, x) in enumerate(zip(vj, xs)):
                if g is None:
                    raise RuntimeError(f"Output {i} of the user-provided function is independent of input {j}. "
                                       "This is not allowed in strict mode.")
                if create_graph and not depends(g):
                    raise RuntimeError(f"The jacobian of the user-provided function is independent of input {i}. "
                                       "This is not allowed in strict mode when create_graph=True.")
                rows[j].append(g)
        jac.append([reshape(stack(r), shape_of(o) + shape_of(x)) if r else
                    np.zeros(shape_of(o) + shape_of(x), dtype_of(x))
                    for r, x in zip(rows, xs)])
    return jac


def _assemble(jac, outs, xs, is_out_tuple, is_in_tuple, create_graph, probe):
    """Blocks into torch's structure: tuple over outputs of tuples over inputs, unpacked
    where func's output or the inputs were not tuples."""
    res = tuple(tuple(_post(b if b is not None else
                            np.zeros(shape_of(o) + shape_of(x), dtype_of(x)),
                            create_graph, probe)
                      for b, x in zip(row, xs))
                for row, o in zip(jac, outs))
    if not is_in_tuple:
        res = tuple(r[0] for r in res)
    return res if is_out_tuple else res[0]


# -- second order -------------------------------------------------------------------------
def _single_output(fn_name, strict):
    """torch's checks that ``func`` returns one array with one element, in its order."""
    def check(out, trace):
        is_tuple, outs = _outputs(out, fn_name)
        _check_requires_grad(outs, "outputs", strict, lambda o: own(o, trace))
        if is_tuple:
            raise RuntimeError(f"The function given to {fn_name} should return a single array")
        if _size(outs[0]) != 1:
            raise RuntimeError(f"The array returned by the function given to {fn_name} should contain a single element")
        return outs[0]
    return check


def _gradient(func, check):
    """``xs -> (gradient tuple, output)``: the inner reverse pass of a second derivative."""
    def grad_fn(*xs):
        out, pb = trace_vjp(func, xs)
        o = check(out, pb.trace)
        value = primal(o, pb.trace)
        return pb([(o, ones_like(o))], release=True), value
    return grad_fn


@keeps_gc_paused
def hessian(func: Callable, inputs: Arrays, create_graph: bool = False, strict: bool = False,
            vectorize: bool = False, outer_jacobian_strategy: str = "reverse-mode"):
    """The Hessian of a scalar ``func`` at ``inputs``: block ``[i][j]`` has shape
    ``inputs[i].shape + inputs[j].shape`` (a tuple of tuples when ``inputs`` is a tuple).

    Computed forward-over-reverse: one reverse pass for the gradient, differentiated by one
    batched forward sweep. With ``strict=True`` funcad follows torch's reverse-over-reverse
    computation step by step, so that its checks fire exactly where torch's do.

    >>> import numpy as np, funcad
    >>> funcad.hessian(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]))
    array([[ 6.,  0.],
           [ 0., 12.]])
    """
    assert outer_jacobian_strategy in ("forward-mode", "reverse-mode"), (
        'Expected strategy to be either "forward-mode" or "reverse-mode".')
    check_callable(func, "hessian")
    is_in_tuple, xs = _inputs(inputs, "hessian")
    if strict:
        return _hessian_strict(func, xs, is_in_tuple, create_graph, vectorize, outer_jacobian_strategy)
    grad_fn = _gradient(func, _single_output("hessian", False))
    outs, _, jac, _ = push_jacobian(lambda *a: tuple(
        zeros_like(x) if g is None else g for g, x in zip(grad_fn(*a)[0], a)), list(xs))
    return _assemble(jac, outs, xs, is_in_tuple, is_in_tuple, create_graph, _Probe(False))


def _hessian_strict(func, xs, is_in_tuple, create_graph, vectorize, strategy):
    """torch's hessian: the jacobian (strict) of the jacobian (create_graph) of func."""
    check = _single_output("hessian", True)

    def jac_func(*inp):
        grads, _ = _gradient(func, check)(*inp)
        jac = tuple(zeros_like(x) if g is None else g for g, x in zip(grads, inp))
        trace = inp[0]._trace if inp and isinstance(inp[0], Box) else None
        _check_requires_grad(jac, "jacobian", True, lambda g: trace is not None and own(g, trace))
        return jac

    res = jacobian(jac_func, tuple(xs), create_graph=create_graph, strict=True, vectorize=vectorize,
                   strategy=strategy)
    res = res if is_in_tuple else res[0][0]
    return res


@keeps_gc_paused
def _second_order(fn_name, func, inputs, v, create_graph, strict, stage):
    """hvp and vhp: forward-over-reverse, ``H v`` (= ``v^T H``: the Hessian is symmetric)."""
    check_callable(func, fn_name)
    is_in_tuple, xs = _inputs(inputs, fn_name)
    vv = _vector(v, xs, is_in_tuple, fn_name, "the input to the user-provided function is")
    probe = _Probe(strict and create_graph)
    try:
        grad_fn = _gradient(func, _single_output(fn_name, strict))
        if strict:
            out, res = _second_order_strict(grad_fn, probe.box(xs), vv, stage, create_graph, probe)
        else:
            (grads, out), trace = trace_jvp(grad_fn, xs, vv)
            hv = [None if g is None else split(g, trace)[1] for g in grads]
            res = _fill_in_zeros(hv, xs, False, create_graph, stage, probe.depends)
            out = split(out, trace)[0]
        out = _post(out, create_graph, probe)
        res = _leave(res, is_in_tuple, create_graph, probe)
    finally:
        probe.close()
    return out, res


def _second_order_strict(grad_fn, xs, vv, stage, create_graph, probe):
    """torch's double backward, replayed step by step so that every strict check fires
    exactly where torch's does: vhp = d(jac . v)/dx; hvp = d/du [d(jac . u)/dx] . v."""
    (grads, out), pb = trace_vjp(grad_fn, xs)
    _check_requires_grad(grads, "jacobian", True, lambda g: own(g, pb.trace))
    if stage == "double_back":
        res = pb(list(zip(grads, vv)))
    else:
        useeds = VJPTrace()
        u = [Node.leaf(useeds, zeros_like(x)) for x in xs]
        double_back = pb(list(zip(grads, u)))
        tape, useeds.tape = useeds.tape, None
        res = Pullback(useeds, tape, u)(list(zip(double_back, vv)))
    return primal(out, pb.trace), _fill_in_zeros(res, xs, True, create_graph, stage, probe.depends)


def hvp(func: Callable, inputs: Arrays, v: Arrays | None = None, create_graph: bool = False,
        strict: bool = False):
    """Hessian-vector product ``H v`` of a scalar ``func``: returns ``(func(inputs), hvp)``.

    >>> import numpy as np, funcad
    >>> funcad.hvp(lambda x: np.sum(x ** 3), np.array([1.0, 2.0]), np.array([1.0, 0.0]))[1]
    array([6., 0.])
    """
    return _second_order("hvp", func, inputs, v, create_graph, strict, "double_back_trick")


def vhp(func: Callable, inputs: Arrays, v: Arrays | None = None, create_graph: bool = False,
        strict: bool = False):
    """Vector-Hessian product ``v^T H`` of a scalar ``func``: returns ``(func(inputs), vhp)``."""
    return _second_order("vhp", func, inputs, v, create_graph, strict, "double_back")

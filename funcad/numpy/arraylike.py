"""The NumPy face of a traced value: protocols, operators, attributes and methods.

Installed onto :class:`funcad.core.Box` so that user code written with plain ``numpy``
traces: ufuncs arrive through ``__array_ufunc__``, other NumPy functions through
``__array_function__``, and both go straight to a rule table lookup.
"""
from __future__ import annotations

import numpy as np

from ..core import Box, Primitive, reverse, value_of
from ..rules import reductions as R, shape as S, ufuncs as U
from ..rules.broadcast import dtype_of, ndim_of, shape_of
from ..rules.contractions import dot, matmul
from ..rules.indexing import getitem
from ..rules.registry import FUNCTIONS, UFUNCS

_REDUCE = {np.add: R.sum, np.multiply: R.prod, np.maximum: R.max, np.minimum: R.min}


def _no_rule(kind: str, name: str) -> NotImplementedError:
    return NotImplementedError(
        f"funcad has no derivative rule for {kind} {name!r}, called here on a traced value. "
        f"Wrap your own implementation with @funcad.primitive and give it rules with "
        f"funcad.defvjp / funcad.defjvp, or apply it to funcad.stop_gradient(x) if you do not "
        f"need its derivative.")


_direct = [True]   # False while the profiler listens at Primitive.__call__


def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
    if method == "__call__" and not kwargs:     # the common case, first
        p = UFUNCS.get(ufunc)
        if p is not None:
            if len(inputs) == 1 and _direct[0] and type(p) is Primitive:
                return self._trace.process1(p, self)   # np.sin(x): x is the only box
            return p(*inputs)
    out = kwargs.pop("out", None)
    if out is not None and any(o is not None for o in (out if isinstance(out, tuple) else (out,))):
        raise TypeError(
            f"numpy.{ufunc.__name__}(..., out=...) cannot write into an array on a traced value: "
            "traced values are immutable. Use the returned value instead.")
    if method == "reduce" and ufunc in _REDUCE:
        return _REDUCE[ufunc](*inputs, **kwargs)
    if method != "__call__":
        raise _no_rule("the ufunc method", f"numpy.{ufunc.__name__}.{method}")
    p = UFUNCS.get(ufunc)
    if p is None:
        raise _no_rule("the NumPy ufunc", f"numpy.{ufunc.__name__}")
    if kwargs and ufunc.signature is not None:   # a gufunc (vecdot, matmul...): axes etc.
        return p(*inputs, **kwargs)
    if kwargs:
        dtype = kwargs.pop("dtype", None)
        kwargs.pop("casting", None)
        kwargs.pop("subok", None)
        if kwargs:
            raise NotImplementedError(
                f"numpy.{ufunc.__name__} with keyword(s) {sorted(kwargs)} is not supported on traced values")
        if dtype is not None:
            inputs = tuple(S.astype(i, dtype) if isinstance(i, Box) else i for i in inputs)
    return p(*inputs)


def __array_function__(self, func, types, args, kwargs):
    f = FUNCTIONS.get(func)
    if f is None:
        mod = getattr(func, "__module__", "numpy") or "numpy"
        raise _no_rule("the function", f"{mod}.{func.__name__}")
    return f(*args, **kwargs)


def __array__(self, dtype=None, copy=None):
    raise TypeError(
        "Converting a traced value to a plain NumPy array (np.asarray, np.array, float(), "
        "math functions...) would silently drop its derivative. Keep computing with NumPy "
        "functions on it, build arrays with funcad.numpy.array / np.stack, or call "
        "funcad.stop_gradient(x) first if you really want a constant. SciPy functions that "
        "convert their inputs (scipy.linalg.*, scipy.special.logsumexp, ...) have "
        "differentiable twins in funcad.scipy (e.g. funcad.scipy.special.logsumexp).")


def _conversion(kind):
    def convert(self):
        raise TypeError(
            f"{kind}() of a traced value would silently drop its derivative. Use NumPy "
            f"functions on the array instead (e.g. np.sin(x), not math.sin(x)), or "
            f"{kind}(funcad.stop_gradient(x)) if you really want a constant.")
    return convert


def __setitem__(self, idx, value):
    raise TypeError(
        "Traced arrays are immutable: `x[idx] = v` is not allowed inside a differentiated "
        "function. Use the functional update `x = funcad.numpy.at(x)[idx].set(v)` "
        "(also .add(v), .multiply(v)), which returns a new array.")


def _iter(self):
    n = len(self)
    return (getitem(self, i) for i in range(n))


def _len(self):
    s = np.shape(value_of(self))
    if not s:
        raise TypeError("len() of unsized object")
    return s[0]


def _bin(p):
    """``self <op> other`` and the reflected form, through ``p``'s generic dispatch."""
    return (lambda self, other: p(self, other)), (lambda self, other: p(other, self))


def _bin_direct(p):
    """The same, handed straight to the innermost trace: an operator always has a traced
    ``self``, so the dispatcher's search is one comparison (saves ~0.25 µs per operator,
    10% of a scalar op, measured on benchmark W1). The profiler swaps in ``_bin``."""
    def op(self, other):
        t = self._trace
        if isinstance(other, Box) and other._trace.level > t.level:
            t = other._trace
        return t.process2(p, self, other)

    def rop(self, other):
        t = self._trace
        if isinstance(other, Box) and other._trace.level > t.level:
            t = other._trace
        return t.process2(p, other, self)
    return op, rop


METHODS = {
    "__array_ufunc__": __array_ufunc__, "__array_function__": __array_function__,
    "__array__": __array__, "__setitem__": __setitem__,
    "__float__": _conversion("float"), "__int__": _conversion("int"),
    "__complex__": _conversion("complex"), "__index__": _conversion("operator.index"),
    "item": lambda self, *a: _conversion("item")(self),
    "tolist": lambda self: _conversion("tolist")(self),
    "__bool__": lambda self: bool(value_of(self)),
    "__len__": _len, "__iter__": _iter,
    "__getitem__": getitem,
    "__neg__": lambda self: self._trace.process1(U.negative, self, 1) if _direct[0] else U.negative(self),
    "__pos__": lambda self: self,
    "__abs__": lambda self: U.absolute(self),
    "__lt__": lambda s, o: U.less(s, o), "__le__": lambda s, o: U.less_equal(s, o),
    "__gt__": lambda s, o: U.greater(s, o), "__ge__": lambda s, o: U.greater_equal(s, o),
    "__eq__": lambda s, o: U.equal(s, o), "__ne__": lambda s, o: U.not_equal(s, o),
    "__hash__": None,
    "shape": property(shape_of),
    "ndim": property(ndim_of),
    "size": property(lambda self: np.size(value_of(self))),
    "dtype": property(dtype_of),
    "T": property(lambda self: S.transpose(self)),
    "mT": property(lambda self: S.matrix_transpose(self)),
    "sum": lambda self, axis=None, dtype=None, out=None, keepdims=False, **kw: R.sum(self, axis, dtype, out, keepdims, **kw),
    "mean": lambda self, axis=None, dtype=None, out=None, keepdims=False, **kw: R.mean(self, axis, dtype, out, keepdims, **kw),
    "prod": lambda self, axis=None, dtype=None, out=None, keepdims=False, **kw: R.prod(self, axis, dtype, out, keepdims, **kw),
    "max": lambda self, axis=None, out=None, keepdims=False, **kw: R.max(self, axis, out, keepdims, **kw),
    "min": lambda self, axis=None, out=None, keepdims=False, **kw: R.min(self, axis, out, keepdims, **kw),
    "var": lambda self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw: R.var(self, axis, dtype, out, ddof, keepdims, **kw),
    "std": lambda self, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **kw: R.std(self, axis, dtype, out, ddof, keepdims, **kw),
    "reshape": lambda self, *shape, order="C": S.reshape(self, shape[0] if len(shape) == 1 else shape, order),
    "transpose": lambda self, *axes: S.transpose(self, (axes[0] if len(axes) == 1 and not isinstance(axes[0], int) else axes) or None),
    "swapaxes": lambda self, a, b: S.swapaxes(self, a, b),
    "squeeze": lambda self, axis=None: S.squeeze(self, axis),
    "ravel": lambda self, order="C": S.ravel(self, order),
    "flatten": lambda self, order="C": S.ravel(self, order),
    "astype": lambda self, dtype, *a, **k: S.astype(self, dtype),
    "copy": lambda self, order="C": self,
    "dot": lambda self, b, out=None: dot(self, b, out),
    "conj": lambda self: U.conj_p(self), "conjugate": lambda self: U.conj_p(self),
    "any": lambda self, *a, **k: np.any(value_of(self), *a, **k),
    "all": lambda self, *a, **k: np.all(value_of(self), *a, **k),
    "argmax": lambda self, *a, **k: np.argmax(value_of(self), *a, **k),
    "argmin": lambda self, *a, **k: np.argmin(value_of(self), *a, **k),
    "argsort": lambda self, *a, **k: np.argsort(value_of(self), *a, **k),
    "nonzero": lambda self: np.nonzero(value_of(self)),
}

def _via_numpy(fn):
    """A method that is NumPy's function of the array (``x.cumsum(...)`` is
    ``np.cumsum(x, ...)``), reaching funcad's rule through ``__array_function__``."""
    return lambda self, *args, **kwargs: fn(self, *args, **kwargs)


for _fn in (np.clip, np.cumsum, np.cumprod, np.trace, np.diagonal, np.round, np.take, np.repeat,
            np.sort, np.ptp, np.compress, np.searchsorted, np.argpartition, np.partition):
    METHODS.setdefault(_fn.__name__, _via_numpy(_fn))
METHODS["real"] = property(lambda self: U.real(self))
METHODS["imag"] = property(lambda self: U.imag(self))

ARITHMETIC = (("add", U.add), ("sub", U.subtract), ("mul", U.multiply), ("truediv", U.divide),
              ("pow", U.power), ("mod", U.remainder))
for _name, _p in ARITHMETIC:
    METHODS[f"__{_name}__"], METHODS[f"__r{_name}__"] = _bin_direct(_p)
for _name, _p in (("floordiv", U.floor_divide), ("matmul", matmul)):
    METHODS[f"__{_name}__"], METHODS[f"__r{_name}__"] = _bin(_p)


def route_operators_through_dispatch(on: bool, cls=Box) -> None:
    """With ``on``, arithmetic operators go through ``Primitive.__call__`` (where the
    profiler listens); without, straight to the trace."""
    _direct[0] = not on
    make = _bin if on else _bin_direct
    for name, p in ARITHMETIC:
        setattr(cls, f"__{name}__", make(p)[0])
        setattr(cls, f"__r{name}__", make(p)[1])


def install(cls=Box) -> None:
    """Give ``cls`` (the tracer's box) NumPy's array interface."""
    for name, fn in METHODS.items():
        setattr(cls, name, fn)
    if cls is Box:
        reverse.calibrate(_temporaries)


def _temporaries() -> None:
    """Every way a temporary reaches ``process1`` or ``process2``, once each: what
    ``reverse.calibrate`` measures (a temporary here is ``x * 1.0``, held by the stack)."""
    trace = reverse.VJPTrace()
    x = reverse.Node.leaf(trace, np.ones(2))
    try:
        np.exp(x * 1.0)           # a ufunc: process1, path 0
        -(x * 1.0)                # a unary operator: process1, path 1
        (x * 1.0) + 1.0           # an operator, the temporary on the left
        (x * 1.0) - x
        1.0 - (x * 1.0)           # on the right, reflected
        x * (x * 1.0)             # on the right
        (x * 1.0) / (x * 1.0)     # both
    finally:
        trace.tape = None

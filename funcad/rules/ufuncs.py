"""NumPy's ufuncs: each differentiable one is a row ``primitive: partial derivative(s)``.

Partials take ``(ans, *args)`` and are written in funcad's own primitives, so they
differentiate again. Conventions at kinks (torch's) live in ``kinks``.
"""
from __future__ import annotations

import math
import operator

import numpy as np

from . import kinks
from ..core import value_of
from .broadcast import dtype_of
from .elementwise import NEG, ONE, ZERO, conj_p, defelementwise, is_complex, mask, over, ufunc
from .registry import UFUNCS, nondiff

LN2, LN10 = math.log(2.0), math.log(10.0)   # Python floats: weak scalars keep float32 (NEP 50)

(negative, positive, absolute, sqrt, cbrt, square, reciprocal, exp, exp2, expm1, log, log2,
 log10, log1p, sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh,
 arctanh, deg2rad, rad2deg, fabs) = map(ufunc, (
    np.negative, np.positive, np.absolute, np.sqrt, np.cbrt, np.square, np.reciprocal, np.exp,
    np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p, np.sin, np.cos, np.tan, np.arcsin,
    np.arccos, np.arctan, np.sinh, np.cosh, np.tanh, np.arcsinh, np.arccosh, np.arctanh,
    np.deg2rad, np.rad2deg, np.fabs))
UFUNCS[np.radians], UFUNCS[np.degrees] = deg2rad, rad2deg

(add, subtract, multiply, divide, power, maximum, minimum, fmax, fmin, arctan2, hypot,
 logaddexp, logaddexp2, remainder, fmod) = map(ufunc, (
    np.add, np.subtract, np.multiply, np.divide, np.power, np.maximum, np.minimum, np.fmax,
    np.fmin, np.arctan2, np.hypot, np.logaddexp, np.logaddexp2, np.remainder, np.fmod))
# The arithmetic ufuncs run as Python's operators: the same NumPy computation, but NumPy
# scalars take their fast path (np.multiply(x, 0.5) costs ~14x x * 0.5 on a float64 scalar).
for _p, _op in ((add, operator.add), (subtract, operator.sub), (multiply, operator.mul),
                (divide, operator.truediv), (power, operator.pow)):
    _p.impl = _op

# 1 - x*x of an input x is written (1 - x) * (1 + x): more accurate near |x| = 1. tanh's
# 1 - ans*ans is torch's formula and a pass fewer: there the rounding of ans itself bounds the
# accuracy (1 - ans has relative error eps / (1 - ans) either way).
UNARY = {
    negative:   NEG,
    positive:   ONE,
    fabs:       lambda ans, x: kinks.abs_derivative(x),
    sqrt:       over(lambda ans, x: 2 * ans),
    cbrt:       over(lambda ans, x: 3 * ans * ans),
    square:     lambda ans, x: 2 * x,
    reciprocal: lambda ans, x: -ans * ans,
    exp:        lambda ans, x: ans,
    exp2:       lambda ans, x: ans * LN2,
    expm1:      lambda ans, x: ans + 1,
    log:        over(lambda ans, x: x),
    log2:       over(lambda ans, x: x * LN2),
    log10:      over(lambda ans, x: x * LN10),
    log1p:      over(lambda ans, x: 1 + x),
    sin:        lambda ans, x: cos(x),
    cos:        lambda ans, x: -sin(x),
    tan:        lambda ans, x: 1 + ans * ans,
    arcsin:     over(lambda ans, x: sqrt((1 - x) * (1 + x))),
    arccos:     lambda ans, x: -1 / sqrt((1 - x) * (1 + x)),
    arctan:     over(lambda ans, x: 1 + x * x),
    sinh:       lambda ans, x: cosh(x),
    cosh:       lambda ans, x: sinh(x),
    tanh:       lambda ans, x: 1 - ans * ans,
    arcsinh:    over(lambda ans, x: sqrt(x * x + 1)),
    arccosh:    over(lambda ans, x: sqrt(x * x - 1)),
    arctanh:    over(lambda ans, x: (1 - x) * (1 + x)),
    deg2rad:    lambda ans, x: np.pi / 180,
    rad2deg:    lambda ans, x: 180 / np.pi,
}

BINARY = {
    add:        (ONE, ONE),
    subtract:   (ONE, NEG),
    multiply:   (lambda ans, x, y: y, lambda ans, x, y: x),
    divide:     (over(lambda ans, x, y: y), lambda ans, x, y: -ans / y),
    power:      (lambda ans, x, y: kinks.power_dbase(x, y),
                 lambda ans, x, y: kinks.power_dexponent(ans, x, y)),
    maximum:    (lambda ans, x, y: kinks.pick_first(x, y, greater), lambda ans, x, y: kinks.pick_first(y, x, greater)),
    minimum:    (lambda ans, x, y: kinks.pick_first(x, y, less), lambda ans, x, y: kinks.pick_first(y, x, less)),
    fmax:       (lambda ans, x, y: kinks.fmax_first(x, y, np.greater_equal),
                 lambda ans, x, y: 1 - kinks.fmax_first(x, y, np.greater_equal)),
    fmin:       (lambda ans, x, y: kinks.fmax_first(x, y, np.less_equal),
                 lambda ans, x, y: 1 - kinks.fmax_first(x, y, np.less_equal)),
    arctan2:    (lambda ans, x, y: y / (x * x + y * y), lambda ans, x, y: -x / (x * x + y * y)),
    hypot:      (lambda ans, x, y: x / ans, lambda ans, x, y: y / ans),
    logaddexp:  (lambda ans, x, y: exp(x - ans), lambda ans, x, y: exp(y - ans)),
    logaddexp2: (lambda ans, x, y: exp2(x - ans), lambda ans, x, y: exp2(y - ans)),
    remainder:  (ONE, lambda ans, x, y: -floor_divide(x, y)),
    fmod:       (ONE, lambda ans, x, y: -trunc(divide(x, y))),
}

for _p, _d in UNARY.items():
    defelementwise(_p, _d)


# |z| is not holomorphic: for complex z its VJP is g * z/|z| and its JVP Re(conj(z/|z|) t)
# (torch's convention); for real x both are the product with sign(x) (abs'(0) = 0).
def _abs_vjp(g, ans, x):
    return g * (kinks.complex_sign(x, ans) if is_complex(x) else kinks.abs_derivative(x))


def _abs_jvp(t, ans, x):
    if is_complex(x):
        return real(t * conj_p(kinks.complex_sign(x, ans)))
    return t * kinks.abs_derivative(x)


absolute.vjps, absolute.jvps = (_abs_vjp,), (_abs_jvp,)
for _p, _d in BINARY.items():
    defelementwise(_p, *_d)
UFUNCS[np.true_divide] = divide

# Piecewise-constant float functions: traced like torch's (connected), derivative zero.
floor, ceil, trunc, rint, sign = (defelementwise(ufunc(f), ZERO) for f in (np.floor, np.ceil, np.trunc, np.rint, np.sign))

# heaviside(x, h0): a step in x (derivative 0), and h0 where x == 0.
heaviside = defelementwise(ufunc(np.heaviside), lambda ans, x, h: np.zeros(np.shape(value_of(x)), dtype_of(ans)),
                           mask(lambda ans, x, h: x == 0))

# Integer- and boolean-valued ufuncs: no derivative, computed on plain values.
(floor_divide, greater, greater_equal, less, less_equal, equal,
 not_equal, isfinite, isnan, isinf, signbit, logical_and, logical_or, logical_not, logical_xor) = (
    nondiff(f) for f in (np.floor_divide,
                         np.greater, np.greater_equal, np.less, np.less_equal, np.equal,
                         np.not_equal, np.isfinite, np.isnan, np.isinf, np.signbit,
                         np.logical_and, np.logical_or, np.logical_not, np.logical_xor))
for _f in (floor_divide, greater, greater_equal, less, less_equal,
           equal, not_equal, isfinite, isnan, isinf, signbit, logical_and, logical_or,
           logical_not, logical_xor):
    UFUNCS[_f.impl] = _f


# -- selection ---------------------------------------------------------------------------
from .elementwise import where_p  # noqa: E402
from .registry import deflinear, implements, primitive  # noqa: E402

clip_p = primitive(np.clip, "clip")
# torch's clamp: the derivative passes where lo <= x <= hi, bounds included.
defelementwise(clip_p, mask(lambda ans, x, lo, hi: (x >= lo) & (x <= hi)),
               mask(lambda ans, x, lo, hi: x < lo), mask(lambda ans, x, lo, hi: x > hi))


@implements(np.clip)
def clip(a, a_min=np._NoValue, a_max=np._NoValue, out=None, *, min=np._NoValue, max=np._NoValue, **kw):
    if out is not None:
        raise NotImplementedError("clip(..., out=...) is not supported on traced values")
    lo = min if a_min is np._NoValue else a_min
    hi = max if a_max is np._NoValue else a_max
    lo = -np.inf if lo is None or lo is np._NoValue else lo
    hi = np.inf if hi is None or hi is np._NoValue else hi
    return clip_p(a, lo, hi)


@implements(np.where)
def where(condition, x=np._NoValue, y=np._NoValue):
    if x is np._NoValue and y is np._NoValue:
        return np.nonzero(value_of(condition))
    return where_p(value_of(condition), x, y)


# -- complex parts -------------------------------------------------------------------------
def _to_dtype_of(g, x):
    """A real cotangent as the cotangent of ``x`` (complex ``x``: ``g + 0j``)."""
    from .shape import astype_p
    xd = dtype_of(x)
    return astype_p(g, xd) if dtype_of(g) != xd else g


real = primitive(np.real, "real")
imag = primitive(np.imag, "imag")
deflinear(real, lambda g, ans, x: _to_dtype_of(g, x))
deflinear(imag, lambda g, ans, x: _to_dtype_of(g, x) * 1j if np.iscomplexobj(x) else 0 * g)
for _f, _p in ((np.real, real), (np.imag, imag)):
    implements(_f)(_p)
conjugate = conj = conj_p

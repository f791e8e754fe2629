"""``funcad.numpy``: NumPy's namespace, differentiable.

Plain ``import numpy as np`` already traces (through NumPy's dispatch protocols); this
module adds what those protocols cannot intercept (``array`` of traced scalars, ``asarray``
of a traced value, the functional update ``at``) and gives direct access to funcad's
implementations. Any other name falls through to NumPy itself.
"""
from __future__ import annotations

import numpy as _np

from ..core import Box as _Box, value_of as _value_of
from .. import rules as _rules  # noqa: F401  (fills the dispatch tables)
from ..rules.ufuncs import (  # noqa: F401
    negative, positive, absolute, sqrt, cbrt, square, reciprocal, exp, exp2, expm1, log, log2,
    log10, log1p, sin, cos, tan, arcsin, arccos, arctan, sinh, cosh, tanh, arcsinh, arccosh,
    arctanh, deg2rad, rad2deg, fabs, add, subtract, multiply, divide, power, maximum, minimum,
    fmax, fmin, arctan2, hypot, logaddexp, logaddexp2, remainder, fmod, floor, ceil, trunc,
    rint, sign, floor_divide, greater, greater_equal, less, less_equal, equal, not_equal,
    isfinite, isnan, isinf, signbit, logical_and, logical_or, logical_not, logical_xor,
    heaviside, clip, where, real, imag, conj, conjugate)
from ..rules.reductions import sum, mean, prod, max, min, var, std  # noqa: F401
from ..rules.shape import (  # noqa: F401
    reshape, ravel, transpose, swapaxes, matrix_transpose, moveaxis, expand_dims,
    squeeze, broadcast_to, atleast_1d, atleast_2d, atleast_3d, concatenate, stack, vstack,
    hstack, astype, copy)
from ..rules.contractions import matmul, dot, outer, tensordot  # noqa: F401
from .arraylike import install as _install
from ..rules.update import at  # noqa: F401

abs = absolute
true_divide = divide
pow = power
amax, amin = max, min
acos, asin, atan, acosh, asinh, atanh, atan2 = arccos, arcsin, arctan, arccosh, arcsinh, arctanh, arctan2
radians, degrees = deg2rad, rad2deg
mod = remainder
permute_dims = transpose

_install()


def _has_box(x) -> bool:
    if isinstance(x, _Box):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_box(i) for i in x)
    return False


def array(object, dtype=None, *, copy=True, order="K", ndmin=0, **kw):
    """``np.array``, also for (nested) lists of traced values: they are stacked."""
    if isinstance(object, _Box):
        out = object
    elif isinstance(object, (list, tuple)) and _has_box(object):
        out = stack([array(o) for o in object])
    else:
        return _np.array(object, dtype=dtype, copy=copy, order=order, ndmin=ndmin, **kw)
    if dtype is not None:
        out = astype(out, dtype)
    while out.ndim < ndmin:
        out = expand_dims(out, 0)
    return out


def asarray(a, dtype=None, order=None, **kw):
    """``np.asarray`` that keeps a traced value traced."""
    if isinstance(a, _Box) or (isinstance(a, (list, tuple)) and _has_box(a)):
        return array(a, dtype=dtype)
    return _np.asarray(a, dtype=dtype, order=order, **kw)


asanyarray = asarray


def __getattr__(name):
    return getattr(_np, name)

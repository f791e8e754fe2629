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
from .arraylike import install as _install
from ..rules.update import at  # noqa: F401

from ..rules.registry import export as _export
from ..rules.reductions import sum, max, min  # noqa: F401  (shadow builtins explicitly)
from ..rules.shape import stack, expand_dims, astype  # noqa: F401

_export(globals(), _np)
_install()

from . import fft, linalg  # noqa: E402,F401  (funcad.numpy.fft / .linalg, as in NumPy)


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

"""``funcad.numpy.fft``: ``numpy.fft``, differentiable."""
import numpy as _np

from .. import rules as _rules  # noqa: F401
from ..rules.registry import export as _export

_export(globals(), _np.fft)


def __getattr__(name):
    return getattr(_np.fft, name)

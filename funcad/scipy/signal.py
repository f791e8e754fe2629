"""``funcad.scipy.signal``: ``scipy.signal``, differentiable (``convolve``)."""
import scipy.signal as _mod

from .. import rules as _rules  # noqa: F401
from ..rules.registry import export as _export, implements as _implements
from ..rules.statistics import scipy_convolve as _convolve

_implements(_mod.convolve)(_convolve)
_export(globals(), _mod)


def __getattr__(name):
    return getattr(_mod, name)

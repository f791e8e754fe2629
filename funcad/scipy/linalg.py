"""``funcad.scipy.linalg``: ``scipy.linalg``, differentiable."""
import scipy.linalg as _mod

from .. import rules as _rules  # noqa: F401
from ..rules.registry import export as _export

_export(globals(), _mod)


def __getattr__(name):
    return getattr(_mod, name)

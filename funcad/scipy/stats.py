"""``funcad.scipy.stats``: ``scipy.stats``, differentiable.

The distributions ``norm``, ``t``, ``gamma``, ``beta``, ``chi2``, ``poisson``, ``dirichlet``
and ``multivariate_normal`` are funcad objects with SciPy's methods and arguments
(``funcad.scipy.stats.norm.logpdf(x, loc, scale)``), written in funcad operations so they
differentiate in ``x`` and in their parameters (see ``funcad.rules.stats``). Any other name
falls through to ``scipy.stats`` itself.
"""
import scipy.stats as _mod

from .. import rules as _rules  # noqa: F401
from ..rules.registry import export as _export
from ..rules.stats import (norm, t, gamma, beta, chi2, poisson, dirichlet,  # noqa: F401
                           multivariate_normal)

_export(globals(), _mod)


def __getattr__(name):
    return getattr(_mod, name)

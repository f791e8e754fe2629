"""Helpers shared by the rule-family tests."""
import numpy as np

import funcad
from funcad.testing import check_grads


def check(f, *args, s=1.0, order=2, **kw):
    """check_grads of ``f`` at ``args``, through the scaling ``u -> s * u`` (finite
    differences in u take steps s times smaller in x: for narrow domains)."""
    check_grads(lambda *u: f(*[s * ui for ui in u]), tuple(np.asarray(a) / s for a in args),
                order=order, **kw)


def traced_value(f, *args):
    """f's value computed on traced inputs (reverse mode)."""
    return funcad.func.vjp(f, *args)[0]


def A(*v):
    return np.array(v, dtype=float)

"""Property-based gradient tests of your own NumPy code, with funcad's oracle.

Run with ``python -m pytest examples/test_property_example.py``. Hypothesis draws the
points (inside each function's domain); ``check_grads`` compares funcad's derivatives,
in forward and reverse mode up to second order, with finite differences, and explains
any disagreement.
"""
import numpy as np
from hypothesis import given, settings

from funcad.testing import check_grads
from funcad.testing.strategies import arrays, positive, programs


def softplus(x):
    return np.log1p(np.exp(x))


def weighted_log_likelihood(w, x):
    return np.sum(w * np.log(x) - x)


# The three lines: a strategy for the point, a test, the check. (check_grads takes tens of
# milliseconds, more than Hypothesis' default deadline allows on a busy machine: no deadline.)
@settings(deadline=None)
@given(arrays(shape=(3,)))
def test_softplus_gradients(x):
    check_grads(softplus, (x,))


# Several arguments, each in its own domain (log needs positive x).
@settings(deadline=None)
@given(arrays(shape=(4,)), arrays(shape=(4,), domain=positive))
def test_log_likelihood_gradients(w, x):
    check_grads(weighted_log_likelihood, (w, x))


# funcad's own rules, composed at random: what funcad's test suite runs at scale.
@settings(max_examples=10, deadline=None)
@given(programs(max_ops=3))
def test_random_programs(p):
    check_grads(p, p.args)

"""funcad proves itself: random programs made of its registered rules, checked against
finite differences in both modes to order 2.

* ``test_random_programs``: programs of up to 4 operations drawn from the whole table.
* ``test_each_rule``: every row of the table starts a few programs of its own, so no rule
  is left to chance.
* the table cannot drift: every differentiable ufunc of the registry is a row of
  ``funcad.testing.optable`` or listed in its ``EXCLUDED`` with a reason.

The CI profile (tests/conftest.py) is deterministic; ``--hypothesis-profile=thorough``
draws 20 times more programs, at random.
"""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import funcad.scipy.integrate  # noqa: F401  (registers its functions: the table is checked against them)
import funcad.scipy.signal  # noqa: F401
from funcad.core import NondiffPrimitive
from funcad.rules import registry
from funcad.testing import check_grads, optable
from funcad.testing.programs import Program as Program_
from funcad.testing.strategies import programs

pytestmark = [pytest.mark.filterwarnings("ignore:check_grads:UserWarning"),
              pytest.mark.filterwarnings("ignore::RuntimeWarning")]

BASE = settings.default.max_examples          # the profile's: ci 50, thorough 1000
PER_RULE = max(3, BASE // 16)                 # programs started by each row: ci 3, thorough 62
PROGRAMS_CHECKED = 0                          # reported at the end of the run (conftest)


def _check(p):
    global PROGRAMS_CHECKED
    PROGRAMS_CHECKED += 1
    check_grads(p, p.args, order=2, modes=("fwd", "rev"))


def _name(uf) -> str:
    return f"{getattr(uf, '__module__', None) or 'numpy'}.{getattr(uf, '__name__', uf)}"


@pytest.mark.parametrize("registered,excluded", [(registry.UFUNCS, "EXCLUDED"), (registry.FUNCTIONS, "EXCLUDED_FUNCTIONS")],
                         ids=["ufuncs", "functions"])
def test_every_differentiable_function_is_a_row_or_excluded_with_a_reason(registered, excluded):
    rows, reasons = {op.target for op in optable.TABLE}, getattr(optable, excluded)
    missing = sorted(_name(f) for f, impl in registered.items()
                     if not isinstance(impl, NondiffPrimitive) and f not in rows and f not in reasons)
    assert not missing, ("differentiable functions that programs() never draws: add a row with its domain to "
                         f"funcad/testing/optable.py, or list it in {excluded} with the reason: {missing}")
    for f, reason in reasons.items():
        assert f in registered, f"{_name(f)} is in {excluded} but funcad does not implement it"
        assert isinstance(reason, str) and len(reason) > 20, f"{_name(f)}: give a reason for excluding it"


def test_every_row_exercises_a_registered_function():
    stale = [op.name for op in optable.TABLE if op not in optable.available()]
    assert not stale, f"rows of funcad/testing/optable.py whose function funcad does not register: {stale}"
    names = [op.name for op in optable.TABLE]
    assert len(names) == len(set(names)), "row names must be unique (programs(include=name) picks by name)"


@settings(max_examples=2 * BASE)
@given(programs(max_ops=4))
def test_random_programs(p):
    _check(p)


@pytest.mark.parametrize("op", optable.available(), ids=lambda op: op.name)
@settings(max_examples=PER_RULE)
@given(data=st.data())
def test_each_rule(op, data):
    p = data.draw(programs(include=op, max_ops=2), label="program")
    assert p.ops[0] == op.name
    _check(p)


@settings(max_examples=max(5, BASE // 5))
@given(programs(max_ops=3, dtype=np.float32))
def test_float32_programs(p):
    assert all(a.dtype == np.float32 for a in p.args)
    _check(p)


# -- bugs the search found: each was fixed and stays as a regression test -------------------------
def test_power_cross_derivative_at_exponent_zero():
    _check(Program_("lambda x0, x1: (x0 ** x1)", (np.array(0.1), np.array(0.0))))


def test_matvec_and_vecmat_with_stacks_of_vectors():
    a = np.array([[0.5, 0.2], [0.1, 0.4]])
    _check(Program_("lambda x0, x1: np.matvec(x0, x1)", (a, a + 1)))
    _check(Program_("lambda x0, x1: np.vecmat(x1, x0)", (a, a + 1)))


def test_det_at_singular_matrices():
    _check(Program_("lambda x0: np.linalg.det(x0)", (np.array([[0.0, 1.0], [0.0, 1.0]]),)))
    _check(Program_("lambda x0: np.linalg.det(x0)", (np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [1.0, 0.0, 1.0]]),)))


@pytest.mark.parametrize("name", ["exp2", "log2", "log10", "logaddexp2", "stdtr", "betainc"])
def test_float32_derivatives_stay_float32(name):
    op = optable.by_name(name)
    xs = [f"x{i}" for i in range(op.arity)]
    _check(Program_(f"lambda {', '.join(xs)}: {op.render(xs, {})}", (np.array([0.3, 0.7], np.float32),) * op.arity))

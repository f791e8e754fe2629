"""Hypothesis strategies: arrays in domains, broadcastable shapes, random programs (their
repr reproduces them, they respect domains and sizes, they shrink), and the user example."""
from __future__ import annotations

import importlib.util
import pathlib

import numpy as np
import pytest
from hypothesis import find, given, settings, strategies as st

from funcad.testing import optable, strategies
from funcad.testing.programs import Program
from funcad.testing.strategies import (arrays, away_from, broadcastable_shapes, finite, interval, open_unit,
                                       positive, programs, real, scalars, unit_interval)

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOMAINS = [real, positive, unit_interval, open_unit, away_from(0), away_from(1.5, 0.2), finite(1e3),
           interval(-0.25, 0.75)]


@pytest.mark.parametrize("domain", DOMAINS, ids=repr)
@settings(max_examples=20)
@given(data=st.data())
def test_arrays_lie_in_their_domain(domain, data):
    a = data.draw(arrays(domain=domain, max_dims=3))
    assert a.dtype == np.float64 and a.ndim <= 3
    assert domain.contains(a), a
    lo, hi = domain.draw
    assert np.all((lo <= a) & (a <= hi))


@given(arrays((2, 3), positive, np.float32), scalars(open_unit), arrays(4, unique=True))
def test_shapes_dtypes_and_unique(a, s, u):
    assert a.shape == (2, 3) and a.dtype == np.float32 and np.all(a >= np.float32(0.1))
    assert s.shape == () and abs(float(s)) <= 0.9
    assert u.shape == (4,) and len(set(u.tolist())) == 4


def test_domains_reject_values_outside_their_margin():
    assert positive.contains(np.array([0.1, 3.0])) and not positive.contains(np.array([0.05]))
    assert not away_from(0).contains(np.array([0.05, 1.0])) and away_from(0).contains(np.array([-0.2]))
    assert not open_unit.contains(np.array([0.95])) and not real.contains(np.array([np.inf]))
    assert not real.contains(np.array([1 + 1j]))


@given(broadcastable_shapes(2))
def test_broadcastable_shape_pairs(shapes):
    a, b = shapes
    np.broadcast_shapes(a, b)


@settings(max_examples=30)
@given(programs(max_ops=4, max_inputs=2))
def test_programs_are_valid_and_reproducible(p):
    assert 1 <= len(p) <= 4 and 1 <= len(p.args) <= 2
    out = np.asarray(p(*p.args))
    assert out.dtype.kind == "f" and np.all(np.isfinite(out)) and out.size <= optable.MAX_SIZE
    # the repr is code that rebuilds the same program at the same inputs
    q = eval(repr(p), {"Program": Program, "np": np})
    assert q.code == p.code
    np.testing.assert_array_equal(np.asarray(q(*q.args)), out)
    for a in p.args:
        assert a.dtype == np.float64 and np.all(np.isfinite(a))


@settings(max_examples=10)
@given(programs(include="log", max_ops=1))
def test_include_starts_with_the_row_inside_its_domain(p):
    assert p.ops == ("log",) and p.code.startswith("lambda x0: np.log(")
    assert np.all(p.args[0] >= 0.1)


def test_rows_apply_only_inside_their_domains():
    """A row is applied to a value only if the value lies in the row's domain."""
    seen = []

    @settings(max_examples=40)
    @given(programs(ops=["exp", "negative", "log", "sqrt", "arcsin", "sum"], max_ops=4))
    def run(p):
        out = np.asarray(p(*p.args))
        assert np.all(np.isfinite(out))
        seen.extend(p.ops)

    run()
    assert {"log", "sqrt", "arcsin"} & set(seen)


def test_shrinking_gives_the_smallest_program():
    p = find(programs(max_ops=4), lambda p: "sqrt" in p.ops,
             settings=settings(max_examples=500, database=None, derandomize=True))
    assert p.ops == ("sqrt",)
    assert p.code == "lambda x0: np.sqrt(x0)"


def test_program_source_forms():
    one = Program.from_steps(["x0"], [("v0", "np.exp(x0)"), ("v1", "np.sum(v0)")], (np.ones(2),))
    assert one.code == "lambda x0: np.sum(np.exp(x0))"
    two = Program.from_steps(["x0"], [("v0", "np.exp(x0)"), ("v1", "(v0 * v0)")], (np.ones(2),))
    assert two.code.startswith("def program(x0):") and "return (v0 * v0)" in two.code
    np.testing.assert_allclose(two(np.ones(2)), np.exp(2.0))
    assert eval(repr(two), {"Program": Program, "np": np}).code == two.code
    assert repr(Program("lambda x0: x0", (np.array([0.5], np.float32),))) == \
        "Program('lambda x0: x0', args=(np.array([0.5], dtype=np.float32),))"


def test_custom_rows_join_programs():
    def twice(x):
        return 2 * x
    op = optable.custom_unary("twice", twice)
    p = find(programs(ops=[op, "sin"]), lambda p: "twice" in p.ops,
             settings=settings(max_examples=100, database=None, derandomize=True))
    np.testing.assert_allclose(p(*p.args), 2 * p.args[0])


def test_no_domain_without_room_and_unknown_rows():
    with pytest.raises(KeyError, match="no operation named"):
        optable.by_name("no_such_row")
    with pytest.raises(ValueError, match="no room"):
        strategies.Domain("empty", 1.0, 1.0, avoid=(1.0,)).elements()


def test_the_user_example_runs():
    spec = importlib.util.spec_from_file_location("property_example", ROOT / "examples" / "test_property_example.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    tests = [getattr(mod, n) for n in dir(mod) if n.startswith("test_")]
    assert len(tests) == 3
    for t in tests:
        t()

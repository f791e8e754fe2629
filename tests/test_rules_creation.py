"""Creation rules: linspace/logspace/geomspace in their endpoints, full/full_like with a
traced fill value, *_like functions as constants."""
import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.testing import check_grads

S, E = np.array(0.5), np.array(2.0)
SV, EV = np.array([0.5, 1.0]), np.array([2.0, -1.5])


def traced(f, *args):
    return funcad.func.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]


def check(f, *args, **kw):
    """NumPy's values, shapes and dtypes under tracing, and derivatives to order 2."""
    out, ref = traced(f, *args), f(*args)
    outs, refs = (out, ref) if isinstance(ref, tuple) else ((out,), (ref,))
    for o, r in zip(outs, refs):
        assert np.shape(o) == np.shape(r) and np.result_type(o) == np.result_type(r)
        np.testing.assert_allclose(o, r, rtol=1e-13, atol=0)
    check_grads(f, args, **kw)


@pytest.mark.parametrize("endpoint", [True, False])
@pytest.mark.parametrize("num", [1, 2, 5])
def test_linspace(num, endpoint):
    check(lambda s, e: np.linspace(s, e, num, endpoint=endpoint), S, E)
    if num > 1 or not endpoint:   # otherwise the step is NaN (as in NumPy)
        check(lambda s, e: np.linspace(s, e, num, endpoint=endpoint, retstep=True), S, E)


@pytest.mark.parametrize("endpoint", [True, False])
def test_linspace_arrays_axis(endpoint):
    check(lambda s, e: np.linspace(s, e, 4, endpoint=endpoint, axis=-1), SV, EV)
    check(lambda s, e: np.linspace(s, e, 3, endpoint=endpoint, axis=1, retstep=True), SV, EV)
    check(lambda s: np.linspace(s, 3.0, 4, endpoint=endpoint), SV)
    check(lambda e: np.linspace(0.0, e, 4, endpoint=endpoint), E)


def test_linspace_endpoints_exact_and_edge_cases():
    # the last sample is stop exactly, so its derivative in start is exactly 0
    J = funcad.jacrev(lambda s, e: np.linspace(s, e, 7), argnums=(0, 1))(S, E)
    assert J[0][-1] == 0 and J[1][-1] == 1 and J[0][0] == 1 and J[1][0] == 0
    assert traced(lambda s, e: np.linspace(s, e, 0), S, E).shape == (0,)
    assert np.array_equal(traced(lambda s, e: np.linspace(s, e, 4, dtype=int), S, E * 3),
                          np.linspace(S, E * 3, 4, dtype=int))
    assert traced(lambda s: np.linspace(s, s, 3), S).shape == (3,)   # step 0
    check(lambda s: np.linspace(s, s + 0.0, 3), S)
    with pytest.raises(ValueError, match="non-negative"):
        funcad.grad(lambda s: np.sum(np.linspace(s, 1.0, -1)))(S)


@pytest.mark.parametrize("endpoint", [True, False])
def test_logspace(endpoint):
    check(lambda s, e: np.logspace(s, e, 4, endpoint=endpoint), S, E)
    check(lambda s, e, b: np.logspace(s, e, 4, endpoint=endpoint, base=b, axis=1), SV, EV + 0.25, np.array([2.0, 3.0]))
    check(lambda s, e: np.logspace(s, e, 3, endpoint=endpoint, base=2.0, axis=-1), SV, EV)


@pytest.mark.parametrize("endpoint", [True, False])
def test_geomspace(endpoint):
    check(lambda s, e: np.geomspace(s, e, 4, endpoint=endpoint), S, E)
    check(lambda s, e: np.geomspace(s, e, 5, endpoint=endpoint, axis=-1), -SV, -np.abs(EV))
    check(lambda s, e: np.geomspace(s, e, 3, endpoint=endpoint), SV, np.abs(EV))
    # endpoints exactly (NumPy sets them): their derivatives are exact too
    J = funcad.jacfwd(lambda s: np.geomspace(s, 8.0, 4))(S)
    assert J[0] == 1 and J[-1] == 0
    with pytest.raises(ValueError, match="zero"):
        funcad.grad(lambda s: np.sum(np.geomspace(s, 1.0, 3)))(np.array(0.0))


def test_full_and_full_like():
    check(lambda v: fnp.full((2, 3), v), S)
    check(lambda v: fnp.full((2, 2), v), SV)
    assert traced(lambda v: fnp.full((2, 2), v, dtype=np.float32), SV).dtype == np.float32
    check(lambda x, v: np.full_like(x, v) * x, SV, S)
    check(lambda x, v: fnp.full_like(x, v, shape=(3, 2)), SV, EV)
    out = traced(lambda v: fnp.full(3, v), S)
    assert out.flags.writeable and np.array_equal(out, np.full(3, S))
    # non-traced fill: a constant
    x = np.arange(3.0)
    assert np.array_equal(funcad.jacrev(lambda x: np.full_like(x, 2.0) * x)(x), 2 * np.eye(3))
    # NumPy's own full cannot be intercepted: a clear TypeError, naming the fix
    with pytest.raises(TypeError, match="funcad.numpy.full"):
        funcad.grad(lambda v: np.sum(np.full((2,), v, dtype=float)))(S)
    with pytest.raises(TypeError):
        funcad.grad(lambda v: np.sum(np.full((2,), v)))(S)


@pytest.mark.parametrize("fn", [np.zeros_like, np.ones_like, np.empty_like,
                                lambda x: np.full_like(x, 3.0), lambda x: np.zeros_like(x, dtype=np.float32)])
def test_like_functions_are_constants(fn):
    x = np.array([1.0, -2.0, 3.0])
    out = traced(fn, x)
    assert not isinstance(out, funcad.core.Box)
    assert out.shape == x.shape and out.dtype == fn(x).dtype
    assert np.array_equal(funcad.jacrev(lambda x: fn(x) * 0 + x * np.ones_like(x))(x), np.eye(3))


def test_float32_and_namespace():
    s, e = S.astype(np.float32), E.astype(np.float32)
    assert traced(lambda s, e: np.logspace(s, e, 3), s, e).dtype == np.float32
    for f in (lambda s, e: np.linspace(s, e, 4), lambda s, e: np.logspace(s, e, 3),
              lambda s, e: np.geomspace(s, e, 3), lambda s, e: fnp.full((2,), s) * e):
        assert traced(f, s, e).dtype == f(s, e).dtype   # float32, except geomspace (float64 in NumPy)
        g = funcad.grad(lambda s, e: np.sum(f(s, e)), argnums=(0, 1))(s, e)
        assert g[0].dtype == g[1].dtype == np.float32
        check_grads(f, (s, e))
    for name in ("linspace", "logspace", "geomspace", "full", "full_like", "zeros_like",
                 "ones_like", "empty_like"):
        assert getattr(fnp, name) is funcad.rules.registry.FUNCTIONS[getattr(np, name)], name
    assert np.array_equal(fnp.linspace(0.0, 1.0, 5), np.linspace(0.0, 1.0, 5))
    assert np.array_equal(fnp.full((2,), 3.0), np.full((2,), 3.0))

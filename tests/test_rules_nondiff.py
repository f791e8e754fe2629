"""Functions without a derivative (constants) or with a zero derivative (round, fix),
unique's values, and numpy.random inside traced code."""
import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.core import Box
from funcad.testing import check_grads

rng = np.random.default_rng(3)
X = rng.normal(size=(3, 4))


def traced(f, *args):
    return funcad.func.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]


# -- no derivative: the plain result, not connected ------------------------------------------
NONDIFF = {
    "allclose": lambda x: np.allclose(x, x + 1e-12), "isclose": lambda x: np.isclose(x, 0.3, atol=0.5),
    "all": lambda x: np.all(x > -1, axis=0), "any": lambda x: np.any(x > 1),
    "argwhere": lambda x: np.argwhere(x > 0), "nonzero": lambda x: np.nonzero(x > 0),
    "flatnonzero": lambda x: np.flatnonzero(x > 0), "count_nonzero": lambda x: np.count_nonzero(x > 0, axis=1),
    "isreal": np.isreal, "iscomplex": np.iscomplex, "isrealobj": np.isrealobj,
    "iscomplexobj": np.iscomplexobj, "array_equal": lambda x: np.array_equal(x, x),
    "array_equiv": lambda x: np.array_equiv(x, x[0]), "isin": lambda x: np.isin(x, x[0]),
    "isposinf": np.isposinf, "isneginf": np.isneginf,
    "histogram": lambda x: np.histogram(x, bins=3), "histogram_bin_edges": lambda x: np.histogram_bin_edges(x, 4),
    "histogram2d": lambda x: np.histogram2d(x[0], x[1], bins=2),
    "histogramdd": lambda x: np.histogramdd(x.T, bins=2), "digitize": lambda x: np.digitize(x, [-1.0, 0.0, 1.0]),
    "bincount": lambda x: np.bincount(np.arange(3), weights=np.ones(3)),
    "unique_counts": lambda x: np.unique_counts(np.round(x)), "unique_inverse": lambda x: np.unique_inverse(x),
    "unique_all": lambda x: np.unique_all(x),
}


def _equal(a, b):
    if isinstance(b, tuple):
        return all(_equal(x, y) for x, y in zip(a, b))
    return np.array_equal(a, b)


@pytest.mark.parametrize("name", list(NONDIFF))
def test_nondiff_runs_on_traced_values(name):
    f = NONDIFF[name]
    out = traced(f, X)
    flat = out if isinstance(out, tuple) else (out,)
    assert not any(isinstance(o, Box) for o in flat)
    ref = f(X)
    assert _equal(tuple(out) if hasattr(ref, "_fields") else out, tuple(ref) if hasattr(ref, "_fields") else ref)
    # used inside a differentiated function (here as a constant weight), they contribute
    # no derivative of their own
    weight = float(np.size(ref[0] if isinstance(ref, tuple) else ref))
    g = funcad.grad(lambda x: np.sum(x ** 2) * np.size(f(x)[0] if isinstance(ref, tuple) else f(x)))(X)
    assert np.allclose(g, 2 * X * weight)


# -- weighted counts: differentiable in the weights -------------------------------------------
A, W = rng.normal(size=24), rng.uniform(0.5, 2.0, size=24)
WEIGHTED = {
    "bincount": lambda w: np.bincount(np.arange(24) % 5, weights=w, minlength=7),
    "histogram": lambda w: np.histogram(A, bins=4, weights=w)[0],
    "histogram edges given": lambda w: np.histogram(A, bins=[-2.0, -0.5, 0.0, 0.3, 2.0], weights=w)[0],
    "histogram range, some outside": lambda w: np.histogram(A, bins=3, range=(-0.5, 0.7), weights=w)[0],
    "histogram density": lambda w: np.histogram(A, bins=[-3.0, -0.5, 0.0, 3.0], density=True, weights=w)[0],
    "histogram 2-d samples": lambda w: np.histogram(A.reshape(4, 6), bins=3, weights=w.reshape(4, 6))[0],
    "histogram2d": lambda w: np.histogram2d(A, A[::-1] ** 2, bins=[3, 2], weights=w)[0],
    "histogram2d density": lambda w: np.histogram2d(A, np.cos(A), bins=2, density=True, weights=w)[0],
    "histogramdd": lambda w: np.histogramdd(np.stack([A, np.sin(A), A * A], 1), bins=2,
                                            range=[(-1, 1), (-1, 1), (0, 2)], weights=w)[0],
    "histogramdd density, list of samples": lambda w: np.histogramdd([A, np.sin(A)], bins=(2, 3),
                                                                     density=True, weights=w)[0],
}


@pytest.mark.parametrize("name", list(WEIGHTED))
def test_weighted_counts_are_differentiable_in_the_weights(name):
    """Each bin holds the sum of its samples' weights (NumPy's bins: the last edge closed,
    samples outside the range dropped): linear in the weights, checked to order 2."""
    f = WEIGHTED[name]
    out, ref = traced(f, W), f(W)
    assert isinstance(out, np.ndarray) and out.shape == ref.shape and out.dtype == ref.dtype
    np.testing.assert_allclose(out, ref, rtol=1e-14, atol=1e-15)
    check_grads(f, (W,), order=2)


def test_weighted_counts_match_numpy_in_every_detail():
    # the Jacobian of bincount is the one-hot matrix of the bins
    x = np.array([0, 2, 2, 5, 1])
    J = funcad.jacobian(lambda w: np.bincount(x, weights=w), np.ones(5))
    assert np.array_equal(J, (np.arange(6)[:, None] == x[None, :]).astype(float))
    # a sample on the last edge counts in the last bin; NaN samples (with a range) in none
    a = np.array([0.0, 0.5, 1.0, np.nan, 2.0])
    g = funcad.grad(lambda w: np.histogram(a, bins=2, range=(0, 1), weights=w)[0][1])(np.ones(5))
    assert np.array_equal(g, [0.0, 1.0, 1.0, 0.0, 0.0])
    # dtypes: histogram keeps float32 and complex weights' dtype, bincount gives float64
    for w in (W.astype(np.float32), W + 1j * W[::-1]):
        f = WEIGHTED["histogram"]
        out = traced(f, w)
        assert out.dtype == f(w).dtype == w.dtype
        np.testing.assert_allclose(out, f(w), rtol=1e-6)
    assert traced(WEIGHTED["bincount"], W.astype(np.float32)).dtype == np.float64
    # the edges and the plain paths are NumPy's; traced samples carry no derivative
    hist, edges = funcad.func.jvp(lambda w: np.histogram(A, bins=4, weights=w), (W,), (W,))[0]
    assert np.array_equal(edges, np.histogram(A, bins=4)[1]) and not isinstance(edges, Box)
    assert np.array_equal(funcad.grad(lambda a: np.sum(a) + np.histogram(a, bins=3)[0][0])(A), np.ones(24))
    # NumPy's own errors for bad weights
    with pytest.raises(ValueError):
        funcad.grad(lambda w: np.sum(np.bincount(np.arange(3), weights=w)))(np.ones(4))
    with pytest.raises(TypeError, match="Cannot cast"):
        funcad.func.jvp(lambda w: np.bincount(np.arange(3), weights=w), (np.ones(3) + 1j,), (np.ones(3) + 0j,))


# -- zero derivative: connected, derivative 0 ---------------------------------------------------
ZERO = {"round": np.round, "around": np.around, "round decimals": lambda x: np.round(x, 1),
        "round negative decimals": lambda x: np.round(x * 100, -1), "fix": np.fix,
        "method-free ufunc floor (for comparison)": np.floor}


@pytest.mark.parametrize("name", list(ZERO))
def test_zero_derivative(name):
    f = ZERO[name]
    x = np.array([[0.26, -1.74, 2.5], [3.49, -0.5, 7.1]])
    assert np.array_equal(traced(f, x), f(x))
    for jac in (funcad.jacfwd, funcad.jacrev):
        assert np.array_equal(jac(f)(x), np.zeros(x.shape + x.shape))
        # the product rule through them: d(x * round(x)) = round(x)
        assert np.allclose(jac(lambda x: np.sum(x * f(x)))(x), f(x))
    check_grads(lambda x: x * f(x), (x + 0.013,))   # away from the jumps (x = -0.5, 2.5)


def test_round_is_connected_like_torch():
    """round/fix keep a (zero) derivative in the graph, as torch's round does: a Jacobian
    through them is zeros of the right shape and dtype."""
    x = np.array([0.3, 1.6], dtype=np.float32)
    for f in (np.round, np.fix, lambda x: np.around(x, 2)):
        out = traced(f, x)
        assert isinstance(out, np.ndarray) and out.dtype == np.float32
        J = funcad.jacrev(f)(x)
        assert J.dtype == np.float32 and np.array_equal(J, np.zeros((2, 2)))
        assert funcad.grad(lambda x: np.sum(f(x)))(x).dtype == np.float32
    with pytest.raises(NotImplementedError, match="out="):
        funcad.grad(lambda x: np.sum(np.round(x, out=np.zeros(2))))(np.ones(2))


# -- unique: a gather, repeated values split evenly -----------------------------------------------
def test_unique_values_differentiable():
    x = np.array([3.0, 1.0, 5.3, 2.1, -0.2, 4.2])   # far apart: steps of finite differences keep the order
    assert np.array_equal(traced(np.unique, x), np.unique(x))
    check_grads(np.unique, (x,))
    check_grads(lambda x: np.unique(x) ** 2, (x,))
    A = np.array([[1.0, 2.0], [4.3, 6.1], [2.7, 2.0]])
    for axis in (0, 1, -1):
        assert np.array_equal(traced(lambda a: np.unique(a, axis=axis), A), np.unique(A, axis=axis))
        check_grads(lambda a: np.unique(a, axis=axis) ** 2, (A,))
    check_grads(lambda x: fnp.unique_values(x) * 2, (x,))


def test_unique_ties_split_evenly_and_extra_outputs():
    x = np.array([3.0, 1.0, 3.0, 2.0, 1.0, 3.0])
    expected = np.array([[0, .5, 0, 0, .5, 0], [0, 0, 0, 1, 0, 0], [1 / 3, 0, 1 / 3, 0, 0, 1 / 3]])
    assert np.allclose(funcad.jacrev(np.unique)(x), expected)
    assert np.allclose(funcad.jacfwd(np.unique)(x), expected)
    u, idx, inv, cnt = traced(lambda x: np.unique(x, True, True, True), x)
    for a, b in zip((u, idx, inv, cnt), np.unique(x, True, True, True)):
        assert np.array_equal(a, b)
    assert np.array_equal(np.unique(x, return_counts=True)[1], traced(lambda x: np.unique(x, return_counts=True)[1], x))


# -- numpy.random inside traced code ---------------------------------------------------------------
def test_random_without_traced_arguments_works():
    x = np.array([1.0, 2.0, 3.0])
    state = np.random.get_state()
    noise = np.random.normal(size=3)
    np.random.set_state(state)
    assert np.allclose(funcad.grad(lambda x: np.sum(x * np.random.normal(size=x.shape)))(x), noise)
    g = np.random.default_rng(5)
    expected = np.random.default_rng(5).standard_normal(3)
    assert np.allclose(funcad.jacfwd(lambda x: x + x * g.standard_normal(x.shape))(x), np.diag(1 + expected))
    # reparameterised sampling: loc + scale * z
    r = np.random.default_rng(7)
    z = np.random.default_rng(7).standard_normal(3)
    g = funcad.grad(lambda p: np.sum(p[0] + p[1] * r.standard_normal(3)))(np.array([0.5, 2.0]))
    assert np.allclose(g, [3.0, z.sum()])


@pytest.mark.parametrize("sample", [
    lambda x: np.random.normal(loc=x), lambda x: np.random.normal(0.0, x),
    lambda x: np.random.default_rng(0).normal(x, 1.0), lambda x: np.random.uniform(x, x + 1),
])
def test_random_with_traced_parameters_raises(sample):
    with pytest.raises(TypeError, match="derivative"):
        funcad.grad(lambda x: np.sum(sample(x)))(np.array([1.0, 2.0]))

"""Sorting rules: sort and partition are gathers; argsort & co. have no derivative."""
import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.testing import check_grads

rng = np.random.default_rng(1)
X = rng.normal(size=(3, 4))


def traced(f, *args):
    return funcad.func.jvp(f, args, tuple(np.ones_like(a) for a in args))[0]


@pytest.mark.parametrize("axis", [-1, 0, 1, -2, None])
@pytest.mark.parametrize("kind", [None, "stable", "heapsort"])
def test_sort(axis, kind):
    f = lambda x: np.sort(x, axis=axis, kind=kind)
    out = traced(f, X)
    assert np.array_equal(out, f(X)) and out.dtype == X.dtype
    check_grads(f, (X,))


@pytest.mark.parametrize("axis", [-1, 0, None])
@pytest.mark.parametrize("kth", [1, -1, (0, 2)])
def test_partition(axis, kth):
    f = lambda x: np.partition(x, kth, axis=axis)
    assert np.array_equal(traced(f, X), f(X))   # NumPy's exact output order
    check_grads(f, (X,))


def test_sort_derivative_is_the_permutation():
    x = np.array([3.0, 1.0, 2.0])
    assert np.array_equal(funcad.jacrev(np.sort)(x), [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    assert np.array_equal(funcad.jacfwd(np.sort)(x), [[0, 1, 0], [0, 0, 1], [1, 0, 0]])
    # ties: each output takes one input's derivative (the stable order), like torch.sort
    t = np.array([2.0, 1.0, 2.0])
    assert np.array_equal(funcad.jacrev(np.sort)(t), [[0, 1, 0], [1, 0, 0], [0, 0, 1]])


def test_sort_complex_and_0d_errors():
    z = X + 1j * X[::-1]
    assert np.array_equal(traced(np.sort, z), np.sort(z))
    # Complex input: check_grads splits z into real coordinates; grad of a real loss
    # follows torch's convention (dL/dRe + i dL/dIm).
    check_grads(lambda z: np.sort(z, axis=0), (z,))
    w = np.arange(12.0).reshape(3, 4)
    g = funcad.grad(lambda z: np.sum(np.real(np.sort(z, axis=0) * w)))(z)
    perm = np.argsort(z, axis=0, kind="stable")
    expected = np.zeros_like(z)
    np.put_along_axis(expected, perm, w + 0j, axis=0)
    assert np.allclose(g, expected)
    with pytest.raises(np.exceptions.AxisError):
        funcad.grad(lambda x: np.sort(x))(np.array(1.0))
    with pytest.raises(NotImplementedError, match="order"):
        funcad.grad(lambda x: np.sum(np.sort(x, order="a")))(X)


def test_float32_and_namespace():
    x = X.astype(np.float32)
    for f in (lambda x: np.sort(x, axis=0), lambda x: fnp.partition(x, 2), lambda x: fnp.sort(x)):
        assert traced(f, x).dtype == np.float32
        assert funcad.grad(lambda x: np.sum(f(x) * np.arange(4.0, dtype=np.float32)))(x).dtype == np.float32
        check_grads(f, (x,))
    assert fnp.sort is funcad.rules.sorting.sort


@pytest.mark.parametrize("f", [
    np.argsort, lambda x: np.argpartition(x, 1), np.argmax, np.argmin,
    lambda x: np.argmax(x, axis=0, keepdims=True), lambda x: np.argmin(x, axis=-2),
    lambda x: np.searchsorted(np.sort(x[0]), x[1]), lambda x: np.searchsorted(x[0], 0.1),
    lambda x: np.lexsort((x[0], x[1])), lambda x: x.argmax(),
])
def test_index_functions_have_no_derivative(f):
    def g(x):
        return np.sum(x * f(x))    # an index used as a constant weight
    ref = f(X)
    out = traced(f, X)
    assert not isinstance(out, funcad.core.Box) and np.array_equal(out, ref)
    assert np.allclose(funcad.grad(g)(X), np.broadcast_to(ref, X.shape) if np.ndim(ref) else ref)
    assert np.allclose(funcad.jacfwd(g)(X), funcad.grad(g)(X))

"""Properties that must hold on random inputs: forward and reverse agree, jvp and vjp are
adjoint, Hessians are symmetric, and batched sweeps equal one-direction-at-a-time."""
import numpy as np
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

import funcad
from funcad.func import hessian, jacfwd, jacrev, jvp, vjp

FUNCS = {
    "mlp": lambda x: np.tanh(np.outer(x, x) @ x + x) * np.exp(-x ** 2),
    "softmaxish": lambda x: np.exp(x - np.max(x)) / np.sum(np.exp(x - np.max(x))),
    "norms": lambda x: np.sqrt(np.sum(x ** 2) + 1.0) * np.log1p(x ** 2),
    "shapes": lambda x: np.concatenate([x[::-1], x * x[0], np.stack([x, x ** 2]).T.ravel()]),
    "reduce": lambda x: np.stack([np.prod(x + 2.0), np.mean(np.sin(x) * x), np.max(np.cos(x))]),
    "index": lambda x: x[[0, 1, 1]] * x[-1] + np.where(x[:3] > 0, x[:3] ** 3, np.sinh(x[:3])),
}
vec = arrays(np.float64, st.integers(3, 6), elements=st.floats(-1.5, 1.5))


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(FUNCS)), x=vec)
def test_jacfwd_equals_jacrev(name, x):
    f = FUNCS[name]
    np.testing.assert_allclose(jacfwd(f)(x), jacrev(f)(x), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(FUNCS)), x=vec, seed=st.integers(0, 2 ** 16))
def test_jvp_and_vjp_are_adjoint(name, x, seed):
    f = FUNCS[name]
    rng = np.random.default_rng(seed)
    v = rng.normal(size=x.shape)
    out, Jv = jvp(f, (x,), (v,))
    u = rng.normal(size=np.shape(out))
    _, pull = vjp(f, x)
    (JTu,) = pull(u)
    assert np.isclose(np.dot(u.ravel(), np.ravel(Jv)), np.dot(JTu, v), rtol=1e-10, atol=1e-12)


@settings(max_examples=25, deadline=None)
@given(name=st.sampled_from(sorted(FUNCS)), x=vec)
def test_hessians_are_symmetric_in_every_mode_mix(name, x):
    f = lambda z: np.sum(FUNCS[name](z) ** 2)
    H = hessian(f)(x)
    np.testing.assert_allclose(H, H.T, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(jacrev(jacrev(f))(x), H, rtol=1e-9, atol=1e-10)
    np.testing.assert_allclose(funcad.hessian(f, x), H, rtol=1e-9, atol=1e-10)


@settings(max_examples=15, deadline=None)
@given(name=st.sampled_from(sorted(FUNCS)), x=vec)
def test_batched_sweeps_equal_single_directions(name, x):
    f = FUNCS[name]
    J = jacrev(f)(x)
    cols = [jvp(f, (x,), (e,))[1] for e in np.eye(x.size)]
    np.testing.assert_allclose(np.stack(cols, axis=-1), J, rtol=1e-10, atol=1e-12)
    _, pull = vjp(f, x)
    rows = [pull(e.reshape(np.shape(J)[:-1]))[0] for e in np.eye(int(np.prod(np.shape(J)[:-1])))]
    np.testing.assert_allclose(np.stack(rows).reshape(J.shape), J, rtol=1e-10, atol=1e-12)

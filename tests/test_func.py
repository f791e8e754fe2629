"""torch.func-style transforms: argnums, has_aux, pytrees, structures, chunking, errors."""
import numpy as np
import pytest

import funcad
from funcad import func as F

x = np.array([0.3, -0.7, 1.1])
y = np.array([[0.5, 2.0], [1.5, -0.4]])


def loss(a, b):
    return np.sum(np.sin(a) ** 2) + np.sum(b ** 3) * np.sum(a)


def test_grad_argnums_int_and_tuple():
    ga = F.grad(loss)(x, y)
    np.testing.assert_allclose(ga, np.sin(2 * x) + np.sum(y ** 3))
    ga2, gb = F.grad(loss, argnums=(0, 1))(x, y)
    np.testing.assert_allclose(ga2, ga)
    np.testing.assert_allclose(gb, 3 * y ** 2 * np.sum(x))
    assert F.grad(loss, argnums=-1)(x, y).shape == y.shape


def test_grad_and_value_and_aux():
    g, (v, aux) = F.grad_and_value(lambda a: (np.sum(a ** 2), {"mean": np.mean(a)}), has_aux=True)(x)
    np.testing.assert_allclose(g, 2 * x)
    assert v == pytest.approx(np.sum(x ** 2)) and isinstance(v, np.ndarray)
    assert aux["mean"] == pytest.approx(np.mean(x))
    g2, aux2 = F.grad(lambda a: (np.sum(a ** 2), a * 2), has_aux=True)(x)
    np.testing.assert_allclose(aux2, 2 * x)
    assert not isinstance(aux2, funcad.core.Box)


def test_grad_of_pytree_arguments():
    params = {"w": np.array([1.0, 2.0]), "b": (np.array(0.5), [np.array([3.0])])}

    def f(p):
        return np.sum(p["w"] ** 2) * p["b"][0] + np.sum(p["b"][1][0])
    g = F.grad(f)(params)
    assert set(g) == {"w", "b"} and isinstance(g["b"], tuple) and isinstance(g["b"][1], list)
    np.testing.assert_allclose(g["w"], 2 * params["w"] * 0.5)
    assert g["b"][0] == pytest.approx(5.0)
    np.testing.assert_allclose(g["b"][1][0], [1.0])


def test_unused_input_gets_zeros_of_its_dtype():
    g = F.grad(lambda a, b: np.sum(a), argnums=(0, 1))(x, y.astype(np.float32))
    assert g[1].dtype == np.float32 and not g[1].any()


def test_vjp_fn_called_repeatedly_and_pytree_output():
    out, fn = F.vjp(lambda a, b: {"s": np.sin(a), "p": a[:2] * b[0]}, x, y)
    c1 = fn({"s": np.ones(3), "p": np.zeros(2)})
    c2 = fn({"s": np.ones(3), "p": np.zeros(2)})
    assert isinstance(c1, tuple) and len(c1) == 2
    np.testing.assert_allclose(c1[0], np.cos(x))
    np.testing.assert_allclose(c2[0], c1[0])
    assert not c1[1].any()
    with pytest.raises(RuntimeError, match="structure"):
        fn(np.ones(3))


def test_jvp_and_linearize_agree():
    f = lambda a: np.tanh(a) * a[::-1]
    t = np.array([1.0, 0.5, -2.0])
    out, jv = F.jvp(f, (x,), (t,))
    out2, lin = F.linearize(f, x)
    np.testing.assert_allclose(out, out2)
    np.testing.assert_allclose(lin(t), jv)
    np.testing.assert_allclose(jv, F.jacrev(f)(x) @ t)
    out3, jv3, aux = F.jvp(lambda a: (np.sum(a), a * 2), (x,), (t,), has_aux=True)
    np.testing.assert_allclose(aux, 2 * x)


def test_jacobian_structures_follow_torch_func():
    f = lambda a, b: (a * np.sum(b), np.sum(a) * b)
    J = F.jacrev(f, argnums=(0, 1))(x, y)
    K = F.jacfwd(f, argnums=(0, 1))(x, y)
    assert isinstance(J, tuple) and isinstance(J[0], tuple)
    assert J[0][0].shape == (3, 3) and J[0][1].shape == (3, 2, 2)
    assert J[1][0].shape == (2, 2, 3) and J[1][1].shape == (2, 2, 2, 2)
    for a, b in zip(J, K):
        for p, q in zip(a, b):
            np.testing.assert_allclose(p, q)


def _tracking(fn, calls, sizes):
    """``fn`` that logs its calls, and the batch sizes of the tangents it is given."""
    def f(z):
        calls.append(1)
        sizes.append(np.shape(getattr(z, "_t", ()))[:1])
        return fn(z)
    return f


def test_jacobians_are_swept_within_the_memory_bound(monkeypatch):
    """The stated rule: batched tangents and cotangents hold at most CHUNK_ELEMENTS elements
    per value (sweeps of at most 64 columns or rows are never split)."""
    import funcad.transforms.func as FM
    x = np.linspace(-1, 1, 100)
    fn = lambda z: np.tanh(np.outer(z, z[:40])).sum(axis=1) + z ** 2   # a 4000-element intermediate
    J = F.jacrev(fn)(x)
    monkeypatch.setattr(FM, "CHUNK_ELEMENTS", 100_000)
    calls, sizes = [], []
    f = _tracking(fn, calls, sizes)
    np.testing.assert_allclose(F.jacfwd(f)(x), J, rtol=1e-13, atol=1e-15)
    assert len(calls) == 5 and sizes[1:] == [(25,)] * 4          # one stopped sweep, then 4 x 25
    np.testing.assert_allclose(F.jacrev(f)(x), J, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(funcad.jacobian(f, x, strategy="forward-mode"), J, rtol=1e-13, atol=1e-15)
    H = funcad.hessian(lambda z: np.sum(fn(z)), x)
    np.testing.assert_allclose(F.hessian(lambda z: np.sum(fn(z)))(x), H, rtol=1e-12, atol=1e-14)
    g, aux = F.jacfwd(lambda z: (fn(z), np.sum(z)), has_aux=True)(x)
    assert isinstance(aux, np.ndarray) and aux == np.sum(x)
    def guarded(z):                                               # a user's broad except does not
        try:                                                      # swallow the stopped sweep
            return fn(z)
        except Exception:
            return z * 0.0
    np.testing.assert_allclose(F.jacfwd(guarded)(x), J, rtol=1e-13, atol=1e-15)
    ops = lambda z: np.tanh(z[:, None] * z[:40]).sum(axis=1) + z * z   # operators and a ufunc
    calls.clear(), sizes.clear()
    np.testing.assert_allclose(F.jacfwd(_tracking(ops, calls, sizes))(x), J, rtol=1e-13, atol=1e-15)
    assert len(calls) == 5 and sizes[1:] == [(25,)] * 4
    monkeypatch.setattr(FM, "CHUNK_ELEMENTS", 10)                 # below one column: one at a time
    calls.clear(), sizes.clear()
    np.testing.assert_allclose(F.jacfwd(f)(x[:70]), F.jacrev(fn)(x[:70]), rtol=1e-13, atol=1e-15)
    assert len(calls) == 71 and sizes[1:] == [(70,)] * 70    # one column a sweep: x-shaped, no batch axis
    calls.clear(), sizes.clear()
    F.jacfwd(f)(x[:64])                                           # 64 columns: one sweep
    assert sizes == [(64,)]


def test_a_single_column_is_pushed_without_a_batch_axis():
    """jacfwd of a one-element input sweeps scalar tangents (no 1-row arrays) and puts the
    batch axis back: the same Jacobians as jacrev, nested too."""
    f = lambda z: (np.sin(z) * np.exp(z), np.stack([z ** 2, 3 * z, 0 * z + 1]), 2.0)
    for x in (np.array(0.7), np.array([0.7]), np.array([[0.7]])):
        seen = []
        got = F.jacfwd(lambda z: (seen.append(np.shape(z.tangent)), f(z))[1])(x)
        assert seen == [np.shape(x)]
        want = F.jacrev(lambda z: f(z)[:2])(x)
        for g, w in zip(got[:2], want):
            assert g.shape == w.shape
            np.testing.assert_allclose(g, w, rtol=1e-14)
        assert np.shape(got[2]) == np.shape(x) and not np.any(got[2])
    x = np.array(0.7)
    g3 = F.jacfwd(F.jacfwd(F.jacfwd(lambda z: np.sin(z) * np.exp(z))))(x)
    assert g3 == pytest.approx(F.grad(F.grad(F.grad(lambda z: np.sin(z) * np.exp(z))))(x), rel=1e-13)
    np.testing.assert_allclose(funcad.hessian(lambda z: np.sum(z ** 3), np.array([2.0])), [[12.0]])


def test_jacrev_chunk_size_gives_the_same_jacobian():
    f = lambda a: np.outer(np.sin(a), a)
    full = F.jacrev(f)(x)
    for c in (1, 2, 4, 100):
        np.testing.assert_allclose(F.jacrev(f, chunk_size=c)(x), full)


def test_jacrev_of_a_one_element_output_is_one_unbatched_pull():
    """A scalar (or one-element) output's Jacobian is one row: pulled as grad pulls, with no
    batch axis, and the graph let go after it. Shapes, dtypes, complex outputs, has_aux on
    inputs large enough to release values, and chunk_size checks are as for any Jacobian."""
    f = lambda a: np.sum(np.sin(a) * a)
    want = np.sin(x) + x * np.cos(x)
    np.testing.assert_allclose(F.jacrev(f)(x), want, rtol=1e-14)
    for keep in ((1,), (1, 1)):
        J = F.jacrev(lambda a: np.reshape(f(a), keep))(x)
        assert J.shape == keep + x.shape and J.flags.writeable
        np.testing.assert_allclose(J.reshape(-1), want, rtol=1e-14)
    J0 = F.jacrev(lambda a: a * 1.0)(np.array(2.0))
    assert J0.shape == () and J0 == 1.0 and J0.flags.writeable       # never the shared unit seed
    np.testing.assert_allclose(F.jacrev(lambda a: np.sum(a * 1j + a ** 2))(x), 2 * x + 1j)
    big = np.linspace(-1.0, 1.0, 5000)
    J, aux = F.jacrev(lambda a: (np.sum(np.tanh(a) ** 2), np.tanh(a) * 2), has_aux=True)(big)
    np.testing.assert_allclose(aux, 2 * np.tanh(big))
    np.testing.assert_allclose(J, 2 * np.tanh(big) * (1 - np.tanh(big) ** 2), rtol=1e-12)
    np.testing.assert_allclose(F.hessian(f)(x), funcad.hessian(f, x), rtol=1e-14)
    with pytest.raises(ValueError, match="chunk_size"):
        F.jacrev(f, chunk_size=0)(x)


def test_hessian_is_forward_over_reverse_and_symmetric():
    f = lambda a: np.sum(np.exp(a[:, None] * a[None, :]))
    H = F.hessian(f)(x)
    np.testing.assert_allclose(H, H.T)
    np.testing.assert_allclose(H, F.jacrev(F.jacrev(f))(x), rtol=1e-12)


def test_float32_in_float32_out():
    x32 = x.astype(np.float32)
    assert F.grad(lambda a: np.sum(np.sin(a) * 2.0))(x32).dtype == np.float32
    assert F.jacrev(lambda a: a * 3.0)(x32).dtype == np.float32
    assert F.jacfwd(lambda a: np.exp(a))(x32).dtype == np.float32
    assert F.hessian(lambda a: np.sum(a ** 3))(x32).dtype == np.float32


@pytest.mark.parametrize("call, exc, match", [
    (lambda: F.grad(lambda a: a)(x), RuntimeError, "scalar"),
    (lambda: F.grad(loss, argnums=2)(x, y), RuntimeError, "argnums"),
    (lambda: F.grad(loss, argnums=(0, 0))(x, y), RuntimeError, "unique"),
    (lambda: F.grad(loss, argnums="0")(x, y), RuntimeError, "argnums"),
    (lambda: F.grad(loss, argnums=1)(x, y) is None or F.grad(loss, argnums=True)(x, y), RuntimeError, "argnums"),
    (lambda: F.grad(loss, argnums=(0, 1))(x, y) is None or F.grad(loss, argnums=(0, True))(x, y),
     RuntimeError, "argnums"),
    (lambda: F.grad(lambda a: np.sum(a), has_aux=True)(x), RuntimeError, "aux"),
    (lambda: F.grad(np.sum)(np.arange(3)), TypeError, "astype"),
    (lambda: F.grad(np.sum)("abc"), TypeError, "str"),
    (lambda: F.grad(3), TypeError, "callable"),
    (lambda: F.grad(lambda a: None)(x), RuntimeError, "NoneType"),
    (lambda: F.jvp(np.sin, x, x), RuntimeError, "tuples"),
    (lambda: F.jvp(np.sin, (x,), (x[:2],)), RuntimeError, "shape"),
])
def test_bad_use_gives_clear_errors_and_next_call_works(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
    np.testing.assert_allclose(F.grad(lambda a: np.sum(a ** 2))(x), 2 * x)


def test_linearize_through_multiple_result_primitives():
    A = np.array([[2.0, 1.0], [1.0, 3.0]])
    T = np.array([[0.5, -1.0], [-1.0, 2.0]])
    f = lambda a: np.linalg.slogdet(a)[1] + np.sum(np.linalg.eigh(a)[0] ** 2)
    out, lin = F.linearize(f, A)
    np.testing.assert_allclose(lin(T), F.jvp(f, (A,), (T,))[1])


@pytest.mark.parametrize("v_dtype", [np.float64, np.float32, np.int64])
def test_torch_style_one_array_shortcut_matches_the_tuple_path(v_dtype):
    """funcad.vjp/jvp take one plain array without the tuple checks; the answer (values,
    dtype, casting of v to the output's dtype as torch casts it) is the tuple path's."""
    f = lambda z: np.tanh(z) * z ** 2  # noqa: E731
    x = np.linspace(-1.0, 1.0, 5)
    v = np.arange(1, 6).astype(v_dtype)
    for api in (funcad.vjp, funcad.jvp):
        out1, r1 = api(f, x, v)
        out2, r2 = api(f, (x,), (v,))
        if api is funcad.vjp:   # one result per input: a tuple of one
            (r2,) = r2
        assert type(r1) is np.ndarray and r1.dtype == r2.dtype == np.float64
        np.testing.assert_array_equal(r1, r2)
        np.testing.assert_array_equal(out1, out2)
    with pytest.raises(RuntimeError, match="invalid size"):
        funcad.vjp(f, x, np.ones(4, v_dtype))
    with pytest.raises(RuntimeError, match="invalid size"):
        funcad.jvp(f, x, np.ones((5, 1), v_dtype))

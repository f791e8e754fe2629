"""The engine: dual numbers, nesting without perturbation confusion, user primitives,
deep graphs, threads, and the graph being freed."""
import gc
import threading
import weakref

import numpy as np
import pytest

import funcad
from funcad.func import grad, jacfwd, jacrev, jvp, vjp
from funcad.rules.broadcast import SMALL_BROADCAST, broadcast_p


def test_dual_sin_has_cos_tangent():
    d = np.sin(funcad.Dual(2.0, 1.0))
    assert isinstance(d, funcad.Dual)
    assert np.isclose(d.primal, np.sin(2.0)) and np.isclose(d.tangent, np.cos(2.0))


def test_user_duals_share_one_perturbation():
    d = funcad.Dual(2.0, 1.0) * funcad.Dual(3.0, 0.0)
    assert np.isclose(d.primal, 6.0) and np.isclose(d.tangent, 3.0)


def test_dual_of_dual_gives_second_derivative():
    x = funcad.Dual(funcad.Dual(0.7, 1.0), funcad.Dual(1.0, 0.0))
    y = np.exp(np.sin(x))
    f2 = np.exp(np.sin(0.7)) * (np.cos(0.7) ** 2 - np.sin(0.7))
    assert np.isclose(y.tangent.tangent, f2)


def test_dual_batched_tangent_gives_jacobian_columns():
    x = np.array([0.1, 0.2, 0.3])
    d = np.sin(funcad.Dual(x, np.eye(3)))
    np.testing.assert_allclose(d.tangent, np.diag(np.cos(x)))


def test_dual_repr_and_shape_check():
    assert repr(funcad.Dual(1.0, 2.0)).startswith("Dual(primal=")
    with pytest.raises(ValueError, match="tangent must have the primal's shape"):
        funcad.Dual(np.zeros(3), np.zeros(2))


def test_perturbation_confusion_is_avoided():
    # d/dx [x * d/dy (x * y)] = d/dx [x * x] = 2x
    f = lambda x: x * grad(lambda y: x * y)(np.array(3.0))
    assert grad(f)(np.array(2.0)) == pytest.approx(4.0)
    assert jacfwd(f)(np.array(2.0)) == pytest.approx(4.0)
    g = lambda x: x * jvp(lambda y: x * y, (np.array(3.0),), (np.array(1.0),))[1]
    assert grad(g)(np.array(2.0)) == pytest.approx(4.0)


def test_third_order_all_mode_mixes():
    f = lambda x: np.sin(x) * np.exp(x)
    x = np.array(0.5)
    want = 2 * (np.cos(0.5) - np.sin(0.5)) * np.exp(0.5)
    for t3 in (grad(grad(grad(f))), jacfwd(jacfwd(jacfwd(f))), jacfwd(jacrev(grad(f))),
               jacrev(jacfwd(grad(f)))):
        assert t3(x) == pytest.approx(want)


def test_transform_of_function_calling_jacobian_create_graph():
    def f(x):
        J = funcad.jacobian(lambda z: z ** 3, x, create_graph=True)
        return np.sum(J)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(grad(f)(x), 6 * x)
    g = lambda x: np.sum(funcad.jacobian(lambda z: z ** 3, x))   # create_graph=False: constant
    np.testing.assert_allclose(grad(g)(x), 0 * x)


def test_stop_gradient_and_detach():
    f = lambda x: x * funcad.stop_gradient(x)
    assert grad(f)(np.array(3.0)) == pytest.approx(3.0)
    assert funcad.detach is funcad.stop_gradient
    h = lambda x: np.sum(x ** 2 + funcad.stop_gradient(x ** 3))
    np.testing.assert_allclose(jacfwd(h)(np.array([1.0, 2.0])), [2.0, 4.0])


def test_user_primitive_rules_both_modes_and_higher_order():
    @funcad.primitive
    def logcosh(x):
        return np.log(np.cosh(x))

    funcad.defvjp(logcosh, lambda g, ans, x: g * np.tanh(x))
    funcad.defjvp(logcosh, lambda t, ans, x: t * np.tanh(x))
    x = np.array([0.3, -1.2])
    np.testing.assert_allclose(jacrev(logcosh)(x), np.diag(np.tanh(x)))
    np.testing.assert_allclose(jacfwd(logcosh)(x), np.diag(np.tanh(x)))
    # rules written with NumPy on traced values differentiate again
    np.testing.assert_allclose(funcad.hessian(lambda z: np.sum(logcosh(z)), x), np.diag(1 - np.tanh(x) ** 2))
    logcosh.jvp_all = lambda ts, ans, x: ts[0] * 0.0       # a joint forward rule...
    assert jacfwd(logcosh)(x)[0, 0] == 0.0
    funcad.defjvp(logcosh, lambda t, ans, x: t * np.tanh(x))   # ...is replaced by defjvp's
    np.testing.assert_allclose(jacfwd(logcosh)(x), np.diag(np.tanh(x)))


def test_user_primitive_none_rule_kwargs_and_missing_mode():
    @funcad.primitive
    def scale(x, k, power=1.0):
        return k * x ** power

    funcad.defvjp(scale, lambda g, ans, x, k, power=1.0: g * k * power * x ** (power - 1), None)
    x = np.array(2.0)
    assert grad(lambda x: scale(x, 3.0, power=2.0))(x) == pytest.approx(12.0)
    assert grad(lambda k: scale(x, k))(np.array(3.0)) == pytest.approx(0.0)   # None: not differentiable
    with pytest.raises(NotImplementedError, match="forward-mode rule for 'scale'"):
        jacfwd(lambda x: scale(x, 3.0))(x)


def test_user_rule_on_batched_cotangent_runs_per_row():
    @funcad.primitive
    def mv(A, x):
        return A @ x

    funcad.defvjp(mv, lambda g, ans, A, x: np.outer(g, x), lambda g, ans, A, x: A.T @ g)
    A = np.arange(6.0).reshape(2, 3)
    x = np.array([1.0, -1.0, 2.0])
    np.testing.assert_allclose(jacrev(mv, argnums=1)(A, x), A)


def test_million_operation_chain_reverse_and_forward():
    n = 1_000_000

    def chain(x):
        for _ in range(n):
            x = np.sin(x)
        return x

    x0 = np.array(0.5)
    g = grad(chain)(x0)
    t = jvp(chain, (x0,), (np.array(1.0),))[1]
    assert np.isfinite(g) and g == pytest.approx(t, rel=1e-10)


def test_graph_is_freed_after_a_transform():
    x = np.ones(3)
    out, f = vjp(lambda z: np.sin(z) * 2, x)
    ref = weakref.ref(f)
    del f
    gc.collect()
    assert ref() is None

    # no reference cycle keeps a user's array alive: plain reference counting frees it
    gc.disable()
    try:
        payload = np.arange(10.0)
        probe = weakref.ref(payload)
        grad(lambda z: np.sum(z * payload))(np.ones(10))
        funcad.jacobian(lambda z: z * payload, np.ones(10))
        del payload
        assert probe() is None
    finally:
        gc.enable()


def test_a_finished_graphs_nodes_are_recycled_empty(monkeypatch):
    """grad's last pull keeps the nodes nothing else holds for the next graph (so Python
    does not hand their memory back and fault it in again), emptied of values and links;
    the pool is bounded, can be turned off, and a leaked value is never recycled."""
    from funcad.core import reverse
    reverse._pool.clear()
    payload = np.arange(1.0, 4.0)
    probe = weakref.ref(payload)

    def chain(z):
        for _ in range(40):
            z = np.sin(z) * payload + z
        return np.sum(z)

    x = np.linspace(0.1, 0.3, 3)
    want = grad(chain)(x)
    assert len(reverse._pool) > 100
    assert all(n._p is n.args is n.inputs is n._trace is n.prim is None for n in reverse._pool)
    np.testing.assert_array_equal(grad(chain)(x), want)   # recorded on recycled nodes
    assert len(reverse._pool) > 100                        # and recycled again
    del payload, chain
    assert probe() is None                                 # no pooled node holds a user's array

    leaked = []
    grad(lambda z: (leaked.append(z * 2), np.sum(z))[1])(x)
    assert all(n is not leaked[0] for n in reverse._pool)
    with pytest.raises(RuntimeError, match="already returned"):
        leaked[0] * 3

    monkeypatch.setattr(reverse, "POOL_NODES", 5)
    grad(lambda z: np.sum(np.sin(z) * z))(x)
    assert len(reverse._pool) == 5
    monkeypatch.setattr(reverse, "POOL_NODES", 0)
    grad(lambda z: np.sum(np.sin(z) * z))(x)
    assert reverse._pool == []
    monkeypatch.setattr(reverse, "POOL_NODES", 1 << 17)
    monkeypatch.setattr(reverse, "_COUNTS_ARE_HOLDERS", False)   # CPython 3.14+, free-threaded
    assert grad(lambda z: np.sum(np.sin(z) * z))(x) == pytest.approx(np.sin(x) + x * np.cos(x))
    assert reverse._pool == []


def test_threads_get_the_same_answers():
    x = np.linspace(0.1, 1.0, 5)
    jobs = [
        lambda: grad(lambda z: np.sum(np.sin(z) ** 2))(x),
        lambda: jacrev(lambda z: np.tanh(z) * z)(x),
        lambda: jacfwd(lambda z: np.exp(z) / (1 + z))(x),
        lambda: funcad.hessian(lambda z: np.sum(z ** 4), x),
        lambda: grad(lambda z: np.sum(grad(lambda w: np.sum(w ** 3))(z)))(x),
        lambda: funcad.jacobian(lambda z: z[::-1] * z, x),
        lambda: funcad.hvp(lambda z: np.sum(np.cos(z)), x, x)[1],
        lambda: funcad.jvp(lambda z: z ** 2, x, x)[1],
    ]
    alone = [j() for j in jobs]
    results = [[None] * 20 for _ in jobs]

    def run(k):
        for r in range(20):
            results[k][r] = jobs[k]()

    threads = [threading.Thread(target=run, args=(k,)) for k in range(len(jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, want in enumerate(alone):
        for got in results[k]:
            np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("n", [2, 5000])   # 5000: the graph's values are released after use
def test_escaped_traced_value_raises_clearly(n):
    leaked = []
    grad(lambda z: (leaked.append(z * 2), np.sum(z))[1])(np.ones(n))
    for use in (lambda v: v * 3, lambda v: 3 - v, lambda v: np.sin(v), lambda v: np.sum(v),
                lambda v: v * leaked[0]):
        with pytest.raises(RuntimeError, match="already returned"):
            use(leaked[0])
    assert grad(lambda z: np.sum(np.sin(z) * 3))(np.ones(n)) == pytest.approx(3 * np.cos(np.ones(n)))


def test_dynamic_control_flow():
    def do_some_doubling(x):
        y = x * 2
        while np.sqrt(np.sum(y * y)) < 1000:
            y = y * 2
        return y
    x = np.array([0.3, -0.4, 0.5])
    J = funcad.jacobian(do_some_doubling, x)
    k = do_some_doubling(x)[0] / x[0]
    np.testing.assert_allclose(J, k * np.eye(3))


def test_traced_values_are_immutable_and_do_not_convert():
    def set_item(x):
        x[0] = 1.0
        return x
    with pytest.raises(TypeError, match=r"at\(x\)\[idx\]\.set"):
        grad(lambda x: np.sum(set_item(x)))(np.ones(2))
    with pytest.raises(TypeError, match="drop its derivative"):
        grad(lambda x: float(np.sum(x)))(np.ones(2))
    with pytest.raises(TypeError, match="drop its derivative"):
        grad(lambda x: np.sum(np.asarray(x)))(np.ones(2))
    import math
    with pytest.raises(TypeError, match="drop its derivative"):
        grad(lambda x: math.sin(x))(np.array(1.0))
    assert grad(lambda x: np.sum(x ** 2))(np.ones(2)) == pytest.approx([2.0, 2.0])


def test_comparisons_give_plain_booleans():
    seen = []

    def f(x):
        c = x > 0
        seen.append(type(c))
        return np.sum(np.where(c, x, -x))
    np.testing.assert_allclose(grad(f)(np.array([1.0, -2.0])), [1.0, -1.0])
    assert seen[0] in (np.ndarray, np.bool_)


def test_missing_rule_names_the_function():
    with pytest.raises(NotImplementedError, match=r"numpy\.\w+.*funcad\.primitive"):
        grad(lambda x: np.sum(np.frexp(x)[0]))(np.ones(2))


def test_caller_arrays_are_not_mutated():
    x = np.array([0.5, 1.5])
    v = np.array([1.0, 2.0])
    c = np.array([3.0, 4.0])
    snap = [a.copy() for a in (x, v, c)]
    funcad.vjp(lambda z: z * c, x, v)
    funcad.jacobian(lambda z: np.sin(z) * c, x)
    funcad.hessian(lambda z: np.sum(z ** 3 * c), x)
    for a, b in zip((x, v, c), snap):
        np.testing.assert_array_equal(a, b)


def test_the_collector_is_paused_inside_transforms_and_restored_after():
    seen = []

    def f(z):
        seen.append(gc.isenabled())
        return np.sum(np.sin(z) ** 2)

    x = np.linspace(0.1, 1.0, 4)
    grad(lambda z: np.sum(grad(f)(z)))(x)          # nested transforms
    assert seen == [False] and gc.isenabled()
    with pytest.raises(ZeroDivisionError):
        grad(lambda z: 1 / 0)(x)                      # a failure inside
    assert gc.isenabled()
    gc.disable()                                      # a user who turned it off keeps it off
    try:
        grad(f)(x)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_small_broadcasts_are_fresh_arrays_and_large_ones_views():
    """A cotangent broadcast back over reduced axes (sum's VJP) is a fresh array up to
    SMALL_BROADCAST elements, batch axes included (cheaper than NumPy's view), and a read-only
    view above; the values, dtype and leading batch axes are the same either way."""
    for n, view in ((SMALL_BROADCAST // 3, False), (SMALL_BROADCAST // 3 + 1, True)):
        for g in (np.arange(3.0), np.arange(3, dtype=np.float32)):
            b = broadcast_p(g, (n,), 0)       # () -> (n,), batch axis of 3 in front
            assert b.shape == (3, n) and b.dtype == g.dtype
            assert np.array_equal(b, np.broadcast_to(g[:, None], (3, n)))
            assert np.shares_memory(b, g) == view and b.flags.writeable == (not view)
    s = np.float64(2.5)                        # a NumPy scalar (an op on 0-d arrays gives one)
    assert np.array_equal(broadcast_p(s, (4,), 0), np.full(4, 2.5))
    with pytest.raises(ValueError):            # shapes that do not broadcast still refuse
        broadcast_p(np.ones(3), (4,), 1)


def test_results_are_writeable_arrays_even_from_unit_seeds_and_broadcasts():
    """grad's seed for a scalar output is a shared read-only one whose products are skipped,
    and sum's cotangent is a broadcast view: neither may reach the user as read-only."""
    x = np.array([1.0, 2.0, 3.0])
    cases = [grad(lambda z: np.sum(z))(x), grad(lambda z: z)(np.array(2.0)),
             grad(lambda z: np.sum(z))(np.ones(SMALL_BROADCAST + 1)),     # a view, copied
             grad(lambda z: 2.0 * z)(np.array(2.0)), funcad.vjp(lambda z: np.sum(z), x)[1],
             grad(lambda z: np.sin(z))(np.array(0.0, dtype=np.float32))]
    for g in cases:
        assert isinstance(g, np.ndarray) and g.flags.writeable and 0 not in g.strides
    c = np.array(3.0)                                    # nor alias a user's array or each other
    assert not np.shares_memory(grad(lambda z: z * c)(np.array(2.0)), c)
    g, v = funcad.func.grad_and_value(lambda z: np.exp(z))(np.array(0.0))
    assert not np.shares_memory(g, v)
    cases[1][...] = 7.0                                  # mutating a result changes nothing else
    assert grad(lambda z: z)(np.array(2.0)) == 1.0
    assert cases[5].dtype == np.float32 and cases[5] == 1.0
    # third derivatives with the unit shortcut agree with the closed form
    f = lambda z: np.sin(z) * np.exp(z)
    d3 = grad(grad(grad(f)))(np.array(0.7))
    assert d3 == pytest.approx(2 * np.exp(0.7) * (np.cos(0.7) - np.sin(0.7)), rel=1e-13)

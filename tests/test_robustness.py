"""Robustness: bad input gets one clear error and the next call works; nothing is mutated
or lost; deep graphs and repeated calls hold their memory; user exceptions pass through."""
import gc
import math
import traceback
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import funcad
import funcad.numpy as fnp
from funcad import func as F

x = np.array([0.5, -1.0, 2.0])
f_vec = lambda z: np.sin(z) * z
f_scalar = lambda z: np.sum(z ** 3)


def next_call_works():
    np.testing.assert_allclose(funcad.jacobian(f_vec, x), np.diag(np.cos(x) * x + np.sin(x)))
    np.testing.assert_allclose(F.grad(f_scalar)(x), 3 * x ** 2)
    np.testing.assert_allclose(funcad.hvp(f_scalar, x, x)[1], 6 * x * x)
    assert gc.isenabled()


def _set(z):
    z[0] = 1.0
    return z


BAD = [
    # func not callable
    ("vjp-func", lambda: funcad.vjp(3, x), TypeError, "callable"),
    ("jacobian-func", lambda: funcad.jacobian("f", x), TypeError, "callable"),
    ("grad-func", lambda: F.grad(None), TypeError, "callable"),
    # inputs of the wrong type
    ("inputs-str", lambda: funcad.jacobian(f_vec, "abc"), TypeError, "str"),
    ("inputs-dict", lambda: funcad.vjp(f_scalar, {"a": x}), TypeError, "dict"),
    ("inputs-object", lambda: F.grad(f_scalar)(object()), TypeError, "object"),
    ("inputs-int", lambda: funcad.jacobian(f_vec, np.arange(3)), TypeError, "astype"),
    ("inputs-bool", lambda: funcad.hessian(f_scalar, np.ones(3, bool)), TypeError, "astype"),
    ("inputs-object-array", lambda: funcad.vjp(f_scalar, np.array([1.0, None])), TypeError, "object"),
    ("inputs-str-array", lambda: F.jacrev(f_vec)(np.array(["a", "b"])), TypeError, "string"),
    ("inputs-none", lambda: funcad.jacobian(lambda a, b: a, (x, None)), TypeError, "NoneType"),
    ("inputs-python-int", lambda: F.grad(lambda z: z * 2.0)(3), TypeError, "3.0"),
    ("pytree-none-leaf", lambda: F.grad(lambda d: np.sum(d["a"]))({"a": x, "b": "s"}), TypeError, "str"),
    # what func returns
    ("returns-none", lambda: funcad.jacobian(lambda z: None, x), TypeError, "NoneType"),
    ("returns-str", lambda: funcad.vjp(lambda z: "out", x), TypeError, "str"),
    ("returns-list", lambda: funcad.jacobian(lambda z: [z, z], x), TypeError, "list"),
    ("grad-non-scalar", lambda: F.grad(f_vec)(x), RuntimeError, "scalar"),
    ("hessian-non-scalar", lambda: funcad.hessian(f_vec, x), RuntimeError, "single element"),
    ("hvp-non-scalar", lambda: funcad.hvp(f_vec, x, x), RuntimeError, "single element"),
    ("vhp-tuple", lambda: funcad.vhp(lambda z: (np.sum(z),), x, x), RuntimeError, "single"),
    ("grad-int-output", lambda: F.grad(lambda z: np.sum(np.argsort(z)))(x), RuntimeError, "floating"),
    ("strict-constant", lambda: funcad.vjp(lambda z: np.ones(3), x, np.ones(3), strict=True), RuntimeError, "does not require gradients"),
    ("strict-unused", lambda: funcad.vjp(lambda a, b: a * 2, (x, x), np.ones(3), strict=True), RuntimeError, "independent of input 1"),
    # v
    ("v-missing", lambda: funcad.vjp(f_vec, x), RuntimeError, "can only be None"),
    ("v-shape", lambda: funcad.vjp(f_vec, x, np.ones(2)), RuntimeError, "invalid size"),
    ("v-structure", lambda: funcad.jvp(lambda a, b: a, (x, x), (x,)), RuntimeError, "invalid length"),
    ("v-dtype", lambda: funcad.hvp(f_scalar, x, np.array(["a", "b", "c"])), TypeError, "numeric"),
    ("vjp_fn-shape", lambda: F.vjp(f_vec, x)[1](np.ones(4)), RuntimeError, "shape"),
    # argnums, has_aux
    ("argnums-range", lambda: F.grad(lambda a, b: np.sum(a * b), argnums=2)(x, x), RuntimeError, "argnums"),
    ("argnums-repeated", lambda: F.jacrev(lambda a, b: a * b, argnums=(1, 1))(x, x), RuntimeError, "unique"),
    ("has_aux-not-pair", lambda: F.grad(f_scalar, has_aux=True)(x), RuntimeError, "aux"),
    ("strategy", lambda: funcad.jacobian(f_vec, x, strategy="sideways"), AssertionError, "strategy"),
    # inside the function
    ("setitem", lambda: F.grad(lambda z: np.sum(_set(z)))(x), TypeError, r"at\(x\)"),
    ("float", lambda: F.grad(lambda z: float(z[0]))(x), TypeError, "drop its derivative"),
    ("int", lambda: F.grad(lambda z: z[int(z[0])])(x), TypeError, "drop its derivative"),
    ("math", lambda: F.grad(lambda z: math.exp(z[0]))(x), TypeError, "drop its derivative"),
    ("asarray", lambda: F.grad(lambda z: np.sum(np.asarray(z)))(x), TypeError, "drop its derivative"),
    ("item", lambda: F.grad(lambda z: z[0].item())(x), TypeError, "drop its derivative"),
    ("no-rule", lambda: F.grad(lambda z: np.sum(np.frexp(z)[0]))(x), NotImplementedError, "frexp"),
    ("ufunc-out", lambda: F.grad(lambda z: np.sum(np.sin(z, out=np.empty(3))))(x), TypeError, "out="),
]


@pytest.mark.parametrize("call, exc, match", [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_bad_input_gives_one_clear_error_and_the_next_call_works(call, exc, match):
    with pytest.raises(exc, match=match) as info:
        call()
    assert str(info.value).strip()
    next_call_works()


class UserError(Exception):
    pass


def test_user_exceptions_propagate_unchanged_and_leave_no_state():
    def broken(z):
        y = np.sin(z)
        raise UserError("from the user's code")

    for call in (lambda: F.grad(broken)(x), lambda: funcad.jacobian(broken, x),
                 lambda: funcad.jvp(broken, x, x), lambda: funcad.hessian(broken, x),
                 lambda: F.jacfwd(broken)(x)):
        with pytest.raises(UserError, match="from the user's code") as info:
            call()
        frames = [f.name for f in traceback.extract_tb(info.value.__traceback__)]
        assert frames[-1] == "broken"
        next_call_works()


def test_keyboard_interrupt_mid_trace_leaves_no_state():
    def interrupted(z):
        for _ in range(100):
            z = np.sin(z)
        raise KeyboardInterrupt
    with pytest.raises(KeyboardInterrupt):
        F.grad(lambda z: np.sum(interrupted(z)))(x)
    next_call_works()


arrays = st.lists(st.floats(-10, 10), min_size=1, max_size=4).map(np.array)


@settings(max_examples=40, deadline=None)
@given(a=arrays, seed=st.integers(0, 1000))
def test_no_public_call_mutates_inputs_v_or_closures(a, seed):
    rng = np.random.default_rng(seed)
    v = rng.normal(size=a.shape)
    c = rng.normal(size=a.shape)
    snap = [arr.tobytes() for arr in (a, v, c)]
    g = lambda z: np.sin(z) * c + z ** 2
    s = lambda z: np.sum(g(z) * c)
    funcad.vjp(g, a, v)
    funcad.jvp(g, a, v)
    funcad.jacobian(g, a)
    funcad.jacobian(g, a, strategy="forward-mode")
    funcad.hessian(s, a)
    funcad.hvp(s, a, v)
    funcad.vhp(s, a, v)
    F.grad(s)(a)
    F.jacrev(g)(a)
    F.jacfwd(g)(a)
    F.vjp(g, a)[1](v)
    F.jvp(g, (a,), (v,))
    F.linearize(g, a)[1](v)
    F.hessian(s)(a)
    fnp.at(a)[0].set(1.0)
    assert [arr.tobytes() for arr in (a, v, c)] == snap


def test_nan_and_inf_propagate_and_never_raise():
    z = np.array([np.nan, np.inf, -np.inf, 1.0])
    with np.errstate(all="ignore"):
        g = F.grad(lambda t: np.sum(t ** 2))(z)
        J = funcad.jacobian(np.exp, z)
    assert np.isnan(g[0]) and g[1] == np.inf and g[2] == -np.inf and g[3] == 2.0
    assert np.isnan(J[0, 0]) and J[1, 1] == np.inf and J[2, 2] == 0.0


def _chain(z, n):
    for _ in range(n):
        z = np.sin(z)
    return z


def test_graph_memory_is_proportional_to_its_length():
    """Bytes per recorded node, measured: the peak while recording and pulling back."""
    peaks = {}
    for n in (20_000, 40_000):
        gc.collect()
        tracemalloc.start()
        F.grad(lambda z: _chain(z, n))(np.array(0.3))
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    per_node = (peaks[40_000] - peaks[20_000]) / 20_000
    print(f"\nbytes per graph node: {per_node:.0f}")
    assert 0 < per_node < 1500
    assert peaks[40_000] < 2.3 * peaks[20_000]


def test_repeated_jacobians_do_not_grow_memory():
    f = lambda z: np.tanh(z[::-1] * z) @ np.ones((3, 3))
    for _ in range(200):
        funcad.jacobian(f, x)
    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    for _ in range(10_000):
        funcad.jacobian(f, x)
    gc.collect()
    grown = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    assert grown < 100_000, f"memory grew by {grown} bytes over 10,000 jacobian calls"


# -- fuzzing: random argument combinations at every public function ----------------------
DOCUMENTED = (TypeError, RuntimeError, ValueError, NotImplementedError, AssertionError)
FUNCS = {"square": (lambda z: z ** 2, lambda a: 2 * a), "sin": (np.sin, np.cos)}
kinds = st.sampled_from(["f64", "f32", "int", "bool", "list", "float", "str", "none"])


def make(kind, shape, rng):
    base = rng.normal(size=shape)
    return {"f64": base, "f32": base.astype(np.float32), "int": base.astype(int),
            "bool": base > 0, "list": base.tolist(), "float": 0.5, "str": "x", "none": None}[kind]


@settings(max_examples=150, deadline=None)
@given(api=st.sampled_from(["vjp", "jvp", "jacobian", "hessian", "hvp", "vhp", "grad", "jacrev", "jacfwd"]),
       fname=st.sampled_from(sorted(FUNCS)), kind=kinds, vkind=kinds,
       shape=st.sampled_from([(), (1,), (3,), (2, 2)]), vshape=st.sampled_from([(), (1,), (3,), (2, 2)]),
       tuple_in=st.booleans(), strict=st.booleans(), create_graph=st.booleans(),
       vectorize=st.booleans(), strategy=st.sampled_from(["reverse-mode", "forward-mode", "bogus"]),
       seed=st.integers(0, 100))
def test_fuzz_public_functions(api, fname, kind, vkind, shape, vshape, tuple_in, strict, create_graph,
                               vectorize, strategy, seed):
    rng = np.random.default_rng(seed)
    f, df = FUNCS[fname]
    scalar = lambda z: np.sum(f(z))
    a, v = make(kind, shape, rng), make(vkind, vshape, rng)
    inputs = (a,) if tuple_in else a
    kw = dict(create_graph=create_graph, strict=strict)
    calls = {
        "vjp": lambda: funcad.vjp(f, inputs, v, **kw),
        "jvp": lambda: funcad.jvp(f, inputs, v, **kw),
        "jacobian": lambda: funcad.jacobian(f, inputs, vectorize=vectorize, strategy=strategy, **kw),
        "hessian": lambda: funcad.hessian(scalar, inputs, vectorize=vectorize, outer_jacobian_strategy=strategy, **kw),
        "hvp": lambda: funcad.hvp(scalar, inputs, v, **kw),
        "vhp": lambda: funcad.vhp(scalar, inputs, v, **kw),
        "grad": lambda: F.grad(scalar)(a),
        "jacrev": lambda: F.jacrev(f)(a),
        "jacfwd": lambda: F.jacfwd(f)(a),
    }
    try:
        res = calls[api]()
    except DOCUMENTED as e:
        assert str(e).strip(), f"{type(e).__name__} with an empty message"
        next_call_works()
        return
    # it succeeded: then the input was a float array, and the answer must be right
    xa = np.asarray(a, dtype=float)
    if api in ("grad",):
        np.testing.assert_allclose(res, df(xa), rtol=1e-5)
    elif api in ("jacrev", "jacfwd"):
        np.testing.assert_allclose(np.reshape(res, (xa.size, xa.size)), np.diag(np.ravel(df(xa))), rtol=1e-5)
    elif api == "jacobian":
        J = res[0] if tuple_in else res
        np.testing.assert_allclose(np.reshape(J, (xa.size, xa.size)), np.diag(np.ravel(df(xa))), rtol=1e-5)
    elif api in ("vjp", "jvp"):
        out = res[1][0] if tuple_in and api == "vjp" else res[1]
        vv = np.ones_like(xa) if v is None else np.asarray(v, dtype=float)
        np.testing.assert_allclose(np.ravel(out), np.ravel(df(xa) * vv), rtol=1e-5)


def test_cotangent_sums_reuse_the_passs_temporaries_but_never_a_callers_array(monkeypatch):
    """A large cotangent sum is written into one of its terms when nothing else holds it (a
    temporary of the backward pass), as NumPy elides temporaries; a caller's seed or input, a
    value the function returned, or a term given to two parents is never written. The
    answers are the same either way, bit for bit."""
    from funcad.core import reverse
    n = 1 << 16
    x = np.linspace(-1.0, 1.0, n)
    v = np.linspace(0.0, 2.0, n)
    x0, v0 = x.copy(), v.copy()
    # z reaches the output four ways: the seed itself (z + ...), and three fresh products
    f = lambda z: z + np.sin(z) * 2 + np.exp(z) * z + np.cos(z)
    fallbacks = []
    add = reverse.add_tangents
    monkeypatch.setattr(reverse, "add_tangents", lambda a, b: fallbacks.append(1) or add(a, b))
    out, pull = F.vjp(f, x)
    (g,) = pull(v)
    in_place_on = len(fallbacks)
    ref = v * (1 + 2 * np.cos(x) + np.exp(x) * (x + 1) - np.sin(x))
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(v, v0)
    np.testing.assert_array_equal(out, f(x0))
    np.testing.assert_array_equal(pull(v)[0], g)     # pulled again: nothing it read was written
    monkeypatch.setattr(reverse, "INPLACE_SIZE", 1 << 62)
    fallbacks.clear()
    np.testing.assert_array_equal(F.vjp(f, x)[1](v)[0], g)
    assert in_place_on < len(fallbacks), (in_place_on, len(fallbacks))   # 1 vs 5: the seed's
    # x + x: both terms are the caller's seed itself; neither is written
    (g2,) = F.vjp(lambda z: z + z, x)[1](v)
    np.testing.assert_array_equal(v, v0)
    np.testing.assert_array_equal(g2, 2 * v0)


def test_vjp_products_reuse_a_fresh_partial_only(monkeypatch):
    """A VJP's product with a partial the rule just computed (tanh's 1 - ans*ans, a large
    real array nothing else holds) is written into the partial; a partial held elsewhere, a
    view, a read-only or small array, another dtype, or complex values get a fresh result;
    and nothing is written in place where reference counts do not count holders."""
    import weakref
    from funcad.core import reverse
    from funcad.rules import elementwise as E
    n = 1 << 16
    g = np.linspace(-1.0, 1.0, n)

    def fresh(value=2.0, dtype=float, size=n):
        d = np.full(size, value, dtype=dtype)
        fresh.ref = weakref.ref(d)    # a weak reference: not a holder
        return d

    r = E._scale(g, fresh())
    assert r is fresh.ref() and np.array_equal(r, 2 * g)
    r = E._divide(g, fresh())
    assert r is fresh.ref() and np.array_equal(r, g / 2)
    held = np.full(n, 2.0)
    assert E._scale(g, held) is not held and np.all(held == 2.0)
    base = np.full(2 * n, 2.0)
    assert E._scale(g, base[:n]) is not None and np.all(base == 2.0)          # a view
    ro = fresh()
    ro.flags.writeable = False
    assert E._scale(g, ro) is not ro
    del ro
    for kw in (dict(dtype=np.float32), dict(size=64), dict(dtype=complex, value=2 + 1j)):
        gg = g if kw.get("size") is None else g[:64]
        r = E._scale(gg, fresh(**kw))
        assert fresh.ref() is None and r is not None, kw                    # freed: not reused
    np.testing.assert_array_equal(E._scale(g, fresh(dtype=complex, value=2 + 1j)), g * (2 - 1j))
    monkeypatch.setattr(reverse, "_COUNTS_ARE_HOLDERS", False)
    r = E._scale(g, fresh())
    assert fresh.ref() is None and np.array_equal(r, 2 * g)


def test_the_broadcast_unit_seed_skips_its_product_with_a_fresh_partial(monkeypatch):
    """Under a sum the cotangent is the unit seed broadcast, and its product with a partial
    the rule just computed (x ** 2's 2 * x) is that partial as it is: one array pass fewer,
    the same numbers bit for bit; a partial held elsewhere is still multiplied (a result
    never aliases a user's or another value)."""
    from funcad.core import reverse
    from funcad.rules import elementwise as E
    x = np.linspace(-1.0, 1.0, 1 << 16)
    t = np.tanh(x)
    calls = []
    mul = E._multiply
    monkeypatch.setattr(E, "_multiply", lambda *a, **k: calls.append(1) or mul(*a, **k))
    f = lambda z: np.sum(np.tanh(z) ** 2)  # noqa: E731
    g = F.grad(f)(x)
    np.testing.assert_array_equal(g, (2 * t) * (1 - t * t))
    assert len(calls) == 1, calls           # tanh's product only: x ** 2's was skipped
    calls.clear()
    gm = F.grad(lambda z: np.sum(np.tanh(z) ** 2) * 1.0)(x)   # the seed is no longer the unit
    np.testing.assert_array_equal(gm, g)
    assert len(calls) == 2, calls
    c = np.full(x.size, 3.0)
    gc_ = F.grad(lambda z: np.sum(z * c))(x)   # the partial is the caller's c: multiplied
    assert gc_ is not c and not np.shares_memory(gc_, c)
    np.testing.assert_array_equal(gc_, c)
    monkeypatch.setattr(reverse, "_COUNTS_ARE_HOLDERS", False)
    calls.clear()
    np.testing.assert_array_equal(F.grad(f)(x), g)
    assert calls == []


def _spent(f, x, **kw):
    """The primitives whose answers lent their buffers to a later answer, recording f(x)."""
    from funcad.core import reverse
    from funcad.transforms.tracing import trace_vjp
    _, pb = trace_vjp(f, [x], **kw)
    return sorted(n.prim.name for n in pb.tape if isinstance(n._p, reverse.Spent))


W2 = lambda z: np.sum(np.tanh(z) ** 2 + np.log1p(z ** 2) * np.exp(-z ** 2 / 10))  # noqa: E731


def test_forward_temporaries_lend_their_buffers_when_no_rule_reads_them(monkeypatch):
    """Recording -z**2 / 10 writes each answer into the temporary before it, as NumPy's
    evaluation does, when no rule reads that temporary's values (neg, / 10 and exp read
    neither their argument nor, for ** 2, / 10 and neg, their answer); the gradient is the
    same bit for bit, in every transform, and the caller's input is untouched."""
    from funcad.core import reverse
    x = np.linspace(-1.0, 1.0, 1 << 16)
    x0 = x.copy()
    assert _spent(W2, x) == ["divide", "negative", "power", "power"]
    g = F.grad(W2)(x)
    lin = F.linearize(W2, x)[1](x)
    out, pull = F.vjp(W2, x)
    pulled = [pull(np.array(1.0))[0] for _ in range(2)]      # pulled twice: nothing read was spent
    hv = funcad.hvp(W2, x, x)[1]
    np.testing.assert_array_equal(x, x0)
    monkeypatch.setattr(reverse, "_temporary_refs", {})       # reuse off
    assert _spent(W2, x) == []
    np.testing.assert_array_equal(g, F.grad(W2)(x))
    np.testing.assert_array_equal(lin, F.linearize(W2, x)[1](x))
    for p in pulled:
        np.testing.assert_array_equal(p, F.vjp(W2, x)[1](np.array(1.0))[0])
    np.testing.assert_array_equal(hv, funcad.hvp(W2, x, x)[1])
    np.testing.assert_array_equal(out, W2(x0))


def test_a_held_or_read_temporary_never_lends_its_buffer(monkeypatch):
    """A value the function still holds, one whose rules read it (sin reads its argument,
    exp its answer), a small one, one in a graph kept for inspection, or any where
    reference counts do not count holders, keeps its buffer."""
    from funcad.core import reverse
    x = np.linspace(-1.0, 1.0, 1 << 16)

    def held(z):
        b = z ** 2
        c = -b            # b is still used below
        return np.sum(c + b * 3.0)

    assert _spent(held, x) == ["multiply"]      # b and c are held: only b * 3.0 lends its buffer
    np.testing.assert_allclose(F.grad(held)(x), 4 * x, rtol=1e-15)
    assert _spent(lambda z: np.sum(np.sin(z * 2.0)), x) == []
    A = np.linspace(-1.0, 1.0, 64 * 1024).reshape(64, 1024)
    mlp = lambda w: np.sum(np.tanh(A.T @ w + 1.0) ** 2)  # noqa: E731
    w = np.linspace(0.0, 1.0, 64 * 32).reshape(64, 32)
    assert _spent(mlp, w) == ["add", "matmul"]          # the product's answer is never read
    g = F.grad(mlp)(w)
    monkeypatch.setattr(reverse, "_temporary_refs", {})
    np.testing.assert_array_equal(g, F.grad(mlp)(w))
    monkeypatch.undo()
    assert _spent(lambda z: np.sum(np.exp(np.exp(z * 2.0))), x) == ["multiply"]
    assert _spent(W2, x[:1000]) == []
    assert _spent(W2, x, keep_values=True) == []
    monkeypatch.setattr(reverse, "_COUNTS_ARE_HOLDERS", False)
    assert _spent(W2, x) == []


def test_an_answer_is_written_into_an_operand_only_when_it_fits():
    """A ufunc's ``into`` writes its answer into operand k only when broadcasting keeps that
    operand's shape and dtype; otherwise it declines (None) and leaves every operand as it was."""
    from funcad.rules.broadcast import broadcasts_into
    from funcad.rules.registry import UFUNCS
    add = UFUNCS[np.add]
    m, row, f32 = np.ones((3, 4)), np.arange(4.0), np.ones(4, np.float32)
    assert add.into([m, row], 0) is m
    np.testing.assert_array_equal(m, np.ones((3, 4)) + np.arange(4.0))
    assert add.into([f32, 1.5], 0) is f32 and f32.dtype == np.float32   # a Python float is weak
    declined = [[np.ones((3, 1)), np.ones((1, 4))],     # the answer (3, 4) grows both
                [np.ones(4), np.ones((3, 4))],          # fewer axes than the answer
                [np.ones(4, np.float32), np.ones(4)]]   # a float64 answer
    for vals in declined:
        before = [np.copy(v) for v in vals]
        assert add.into(vals, 0) is None
        for v, b in zip(vals, before):
            np.testing.assert_array_equal(v, b)
    assert broadcasts_into((), (2, 3)) and broadcasts_into((1, 3), (2, 3)) and broadcasts_into((2, 3), (2, 3))
    assert not broadcasts_into((2, 1), (1, 3)) and not broadcasts_into((2, 3), (3,)) and not broadcasts_into((4,), (2, 3))


def test_the_reference_counts_of_temporaries_are_measured_once():
    """The calibration found one count per way into the trace (else reuse stays off)."""
    import sys
    from funcad.core import reverse
    if sys.version_info >= (3, 14):
        assert reverse._temporary_refs == {}
        return
    assert set(reverse._temporary_refs) == {("p1", 0), ("p1", 1), ("p2", 0), ("p2", 1)}
    spent = reverse.Spent(np.zeros(3))
    assert spent.shape == (3,) and spent.ndim == 1 and spent.dtype == np.float64
    with pytest.raises(RuntimeError, match="reused the memory"):
        np.asarray(spent)
    with pytest.raises(TypeError):
        np.exp(spent)


def test_a_single_pull_lets_go_of_recorded_values():
    """grad's backward pass releases each recorded value once past it (graphs on large
    inputs), so its cotangents reuse that memory; aux values, the output and escaped values
    behave as before."""
    x = np.linspace(-1.0, 1.0, 50_000)
    f = lambda z: np.sum(np.tanh(z) ** 2 + np.log1p(z ** 2) * np.exp(-z ** 2 / 10))
    F.grad(f)(x)
    gc.collect()
    tracemalloc.start()
    g = F.grad(f)(x)
    peak = tracemalloc.get_traced_memory()[1] / x.nbytes
    tracemalloc.stop()
    assert peak < 13.5, peak          # 15 arrays of x's size before values were released
    z = x.copy()
    ref = 2 * np.tanh(z) * (1 - np.tanh(z) ** 2) + 2 * z / (1 + z ** 2) * np.exp(-z ** 2 / 10) \
        - np.log1p(z ** 2) * np.exp(-z ** 2 / 10) * z / 5
    np.testing.assert_allclose(g, ref, rtol=1e-12, atol=1e-15)
    leaked = []
    g2, (v, aux) = F.grad_and_value(lambda z: (f(z), (np.tanh(z), leaked.append(z * 2))), has_aux=True)(x)
    np.testing.assert_allclose(aux[0], np.tanh(x))
    assert v == pytest.approx(f(x)) and np.allclose(g2, ref)
    with pytest.raises(RuntimeError, match="already returned"):
        leaked[0] * 3
    H = funcad.hessian(lambda z: np.sum(z ** 3), x[:5000])
    np.testing.assert_allclose(np.diag(H), 6 * x[:5000])

"""The first rule set: every rule, both modes, to order 2, against finite differences."""
import re

import numpy as np
import pytest

import funcad
import funcad.numpy as fnp
from funcad.func import grad, jacfwd, jacrev
from funcad.rules.elementwise import SELECT_SIZE
from funcad.testing import check_grads

rng = np.random.default_rng(0)
x3 = np.array([0.3, -0.6, 0.9])
pos = np.array([0.4, 1.3, 2.2])
unit = np.array([-0.7, 0.1, 0.5])
big = np.array([1.4, 2.1, 3.3])

UNARY = [
    (np.negative, x3), (np.positive, x3), (np.abs, x3), (np.fabs, x3), (np.sqrt, pos), (np.cbrt, pos),
    (np.square, x3), (np.reciprocal, pos), (np.exp, x3), (np.exp2, x3), (np.expm1, x3),
    (np.log, pos), (np.log2, pos), (np.log10, pos), (np.log1p, pos), (np.sin, x3), (np.cos, x3),
    (np.tan, x3), (np.arcsin, unit), (np.arccos, unit), (np.arctan, x3), (np.sinh, x3),
    (np.cosh, x3), (np.tanh, x3), (np.arcsinh, x3), (np.arccosh, big), (np.arctanh, unit),
    (np.deg2rad, x3), (np.rad2deg, x3), (np.radians, x3), (np.degrees, x3),
]


@pytest.mark.parametrize("f, x", UNARY, ids=[f.__name__ for f, _ in UNARY])
def test_unary_ufuncs(f, x):
    check_grads(f, (x,))
    check_grads(lambda z: getattr(fnp, f.__name__)(z), (x,), order=1)


a23 = rng.uniform(0.5, 1.5, (2, 3))
b3 = rng.uniform(0.5, 1.5, 3)
def test_heaviside_steps_in_x_and_passes_h0_at_zero():
    check_grads(np.heaviside, (np.array([-1.0, 0.5, 2.0]), np.array([0.3, 0.5, 0.7])))
    np.testing.assert_allclose(grad(lambda h: np.sum(np.heaviside(np.array([-1.0, 0.0, 2.0]), h)))(np.ones(3)), [0, 1, 0])


BINARY = [np.add, np.subtract, np.multiply, np.divide, np.true_divide, np.power, np.maximum,
          np.minimum, np.fmax, np.fmin, np.arctan2, np.hypot, np.logaddexp, np.logaddexp2,
          np.remainder, np.fmod]


@pytest.mark.parametrize("f", BINARY, ids=[f.__name__ for f in BINARY])
def test_binary_ufuncs_with_broadcasting(f):
    check_grads(f, (a23, b3 + 0.1))           # (2, 3) with (3,): unbroadcast on the second
    check_grads(f, (b3[:, None], b3 + 0.05), order=1)   # (3, 1) with (3,)


def _elementwise_joint_rules():
    from funcad.rules.elementwise import where_p
    from funcad.rules.registry import UFUNCS
    prims = {p for p in UFUNCS.values() if getattr(p, "jvp_all", None) is not None} | {where_p}
    return sorted(prims, key=lambda p: p.name)


@pytest.mark.parametrize("prim", _elementwise_joint_rules(), ids=lambda p: p.name)
def test_joint_forward_rule_is_the_sum_of_the_per_argument_rules(prim):
    """Forward mode calls an elementwise primitive's one joint rule (``jvp_all``); it must
    give what its per-argument rules (checked against finite differences) give, with
    broadcasting, leading batch axes and arguments without a tangent."""
    n = len(prim.jvps)
    shapes = {1: [[(2, 3)], [()]], 2: [[(2, 3), (3,)], [(3, 1), (3,)], [(), (3,)], [(2, 3), (2, 3)]],
              3: [[(2, 3), (2, 3), (3,)], [(3,), (2, 3), ()]]}[n]
    for shp in shapes:
        args = [rng.uniform(0.2, 0.8, s) for s in shp]
        if prim.name == "where":
            args[0] = rng.uniform(size=shp[0]) > 0.5
        with np.errstate(all="ignore"):
            ans = prim.impl(*args)
            for batch in ((), (4,)):
                for keep in range(1, 2 ** n):
                    ts = [rng.normal(size=batch + np.shape(a)) if keep >> i & 1 and prim.jvps[i] is not None
                          else None for i, a in enumerate(args)]
                    try:
                        parts = [prim.jvps[i](t, ans, *args) for i, t in enumerate(ts) if t is not None]
                    except NotImplementedError as e:   # a derivative funcad does not have
                        with pytest.raises(NotImplementedError, match=re.escape(str(e))):
                            prim.jvp_all(ts, ans, *args)
                        continue
                    joint = prim.jvp_all(ts, ans, *args)
                    if not parts:
                        assert joint is None
                        continue
                    want = np.broadcast_to(sum(parts), batch + np.shape(ans))
                    np.testing.assert_allclose(joint, want, rtol=1e-14, equal_nan=True)
                    assert np.shape(joint) == batch + np.shape(ans)


@pytest.mark.parametrize("op", ["+", "-", "*", "/", "**", "@"])
def test_operators_and_reflected_operators(op):
    m = rng.uniform(0.5, 1.5, (3, 3))
    f = eval(f"lambda a, b: a {op} b")
    r = eval(f"lambda a: 1.5 {op} a") if op != "@" else (lambda a: m @ a)
    check_grads(f, (m, m.T + 0.2))
    check_grads(r, (m,))


@pytest.mark.parametrize("axis, keepdims", [(None, False), (0, False), (1, True), ((0, 2), False), (-1, True)])
@pytest.mark.parametrize("red", [np.sum, np.mean, np.prod, np.max, np.min, np.amax, np.amin, np.var, np.std])
def test_reductions(red, axis, keepdims):
    a = rng.uniform(0.5, 1.5, (2, 3, 2))
    check_grads(lambda z: red(z, axis=axis, keepdims=keepdims), (a,))


def test_prod_with_zeros_is_exact():
    a = np.array([[0.0, 2.0, 3.0], [0.0, 0.0, 1.5]])
    check_grads(lambda z: np.prod(z, axis=1), (a,))
    check_grads(lambda z: np.prod(z), (np.array([0.0, 2.0, 3.0]),))


def test_prod_with_an_entry_near_zero_is_exact_to_second_order():
    """pinv(a) of this a has an entry of -1.3e-18 (0 but for rounding). prod's partial
    ans / x, differentiated again, cancelled two terms of size ans / x**2 there: the second
    derivative of prod(pinv(a)) was wrong by a factor of 2 (forward) and had the wrong sign
    (reverse). An entry small beside the largest takes the exact products of the others.
    Found by the thorough program search (seed 60221)."""
    a = np.array([[2.0, 0.5], [0.0, 2.0], [0.0, 0.5]])
    assert 0 < abs(np.linalg.pinv(a)[1, 0]) < 1e-15
    check_grads(lambda z: np.prod(np.linalg.pinv(z)), (a,), order=2)
    check_grads(np.prod, (np.array([0.5, -1e-12, 2.0, 3.0]),), order=2)
    big = np.random.default_rng(0).uniform(0.9, 1.1, 5000)
    big[0] = 1e-9          # 5000**2 values would be too many: the running products instead
    np.testing.assert_allclose(funcad.grad(np.prod)(big), np.prod(big) / big, rtol=1e-12)


def test_prod_over_many_entries_with_a_zero_holds_running_products_not_a_square(monkeypatch):
    """The exact products of the others were an n x n array per reduced slice: a prod over
    10^6 entries with one 0 asked for 10^12 values. Above 2**22 values they are the running
    product before each entry times the one after it. That form is checked here on small
    inputs with the bound at 0 (for cumprod too, which then divides near zeros, as it does
    above the bound): to third order at exact zeros, to second order at entries near 0."""
    import funcad.rules.manipulation as M
    import funcad.rules.reductions as R
    x = np.ones(10 ** 6)
    x[[5, 7, 9, 11]] = 0.0, 2.0, 0.5, -3.0
    expected = np.zeros_like(x)
    expected[5] = -3.0
    np.testing.assert_array_equal(funcad.grad(np.prod)(x), expected)
    monkeypatch.setattr(R, "SQUARE_MAX", 0)
    monkeypatch.setattr(M, "SQUARE_MAX", 0)
    for a, kw in [(np.array([0.5, 0.0, 2.0, 3.0]), {}), (np.array([0.0, 0.0, 2.0]), {}), (np.array([0.0]), {}),
                  (np.array([[0.5, 0.0, 2.0], [0.0, -2.0, 0.7]]), {"axis": 0}),
                  (np.array([[[0.5, 0.0], [2.0, 1.1]], [[0.3, -2.0], [0.7, 0.0]]]), {"axis": (0, 2)})]:
        check_grads(lambda z: np.prod(np.sin(z) + z, **kw), (a,), order=3)
    check_grads(lambda z: np.prod(z, axis=1), (np.array([[0.5, -1e-12, 2.0], [1.5, -2.0, 0.7]]),), order=2)
    check_grads(lambda z: np.prod(np.linalg.pinv(z)), (np.array([[2.0, 0.5], [0.0, 2.0], [0.0, 0.5]]),), order=2)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_large_masks_and_maximum_select_exactly(dtype):
    """Above SELECT_SIZE a mask partial (np.where's, clip's VJP) is applied with bitwise
    ANDs and maximum's partial is built without np.where: the same numbers as np.where,
    +0.0 outside the mask, and an inf or NaN cotangent there does not leak."""
    r = np.random.default_rng(7)
    n = SELECT_SIZE + 5
    a = r.standard_normal(n).astype(dtype)
    a[:4] = 0.0                                          # ties of maximum(a, 0)
    v = r.standard_normal(n).astype(dtype)
    v[a <= 0][:3] = np.inf
    v[np.flatnonzero(a <= 0)[3:5]] = [np.nan, -np.inf]
    v[np.flatnonzero(a > 0)[:2]] = -0.0
    _, pull = funcad.func.vjp(lambda z: np.where(z > 0, z, 0.0), a)
    (g,) = pull(v)
    want = np.where(a > 0, v, 0.0).astype(dtype)
    assert g.dtype == dtype and np.array_equal(g, want) and np.array_equal(np.signbit(g), np.signbit(want))
    _, pull = funcad.func.vjp(lambda z: np.clip(z, -0.5, 0.5), a)
    np.testing.assert_array_equal(pull(v)[0], np.where((a >= -0.5) & (a <= 0.5), v, 0.0))
    _, pull = funcad.func.vjp(lambda z: np.maximum(z, 0.0), a)
    d = np.where(a > 0, 1.0, np.where(a == 0, 0.5, 0.0)).astype(dtype)
    w = np.where(np.isfinite(v), v, 1.0).astype(dtype)
    np.testing.assert_array_equal(pull(w)[0], w * d)
    J = jacfwd(lambda z: np.where(z > 0, z, 0.0))(a[:70].repeat(60))    # a batched tangent
    np.testing.assert_array_equal(np.diag(J), (a[:70].repeat(60) > 0).astype(dtype))


def test_max_ties_split_evenly():
    g = grad(lambda z: np.max(z))(np.array([1.0, 3.0, 3.0]))
    np.testing.assert_allclose(g, [0.0, 0.5, 0.5])
    np.testing.assert_allclose(jacfwd(lambda z: np.max(z))(np.array([1.0, 3.0, 3.0])), [0, 0.5, 0.5])
    # along an axis, kept or not, with batched cotangents and in float32
    X = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    w = np.array([2.0, 6.0])
    want = w[:, None] * np.array([[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])
    for keepdims in (False, True):
        for dt in (np.float64, np.float32):
            f = lambda z: np.sum(w.astype(dt) * np.min(-z, axis=1, keepdims=keepdims).ravel())
            g = grad(f)(X.astype(dt))
            assert g.dtype == dt
            np.testing.assert_allclose(g, -want, rtol=1e-6)
        J = jacrev(lambda z: np.max(z, axis=1, keepdims=keepdims))(X)
        np.testing.assert_allclose(J, jacfwd(lambda z: np.max(z, axis=1, keepdims=keepdims))(X))
        np.testing.assert_allclose(J.reshape(2, 2, 3)[[0, 1], [0, 1]], want / w[:, None])


def test_methods_follow_functions():
    a = rng.uniform(0.5, 1.5, (2, 3))
    check_grads(lambda z: z.sum(axis=0) + z.mean() + z.prod(axis=1).sum() + z.max() + z.min(axis=0).sum(), (a,))
    check_grads(lambda z: z.T @ z.reshape(2, 3) + z.var() + z.std(axis=1).sum(), (a,))
    check_grads(lambda z: z.flatten() * z.ravel() + z.squeeze().sum() + z.swapaxes(0, 1).sum() + z.transpose().sum(), (a,))
    check_grads(lambda z: z.dot(z.T) + z.astype(np.float64).clip(0.7, 1.2).sum() + z.conj().sum(), (a,))
    assert grad(lambda z: z.sum())(a).shape == a.shape


SHAPE = [
    ("reshape", lambda z: np.reshape(z, (3, 4)) * np.arange(12.0).reshape(3, 4)),
    ("reshape-1", lambda z: np.reshape(z, (-1,)) ** 2),
    ("transpose", lambda z: np.transpose(z, (2, 0, 1)) * np.arange(12.0).reshape(2, 3, 2)[0, 0, 0]),
    ("swapaxes", lambda z: np.swapaxes(z, 0, 2) ** 2),
    ("moveaxis", lambda z: np.moveaxis(z, 0, -1) ** 2),
    ("expand_dims", lambda z: np.expand_dims(z, (0, 2)) ** 2),
    ("squeeze", lambda z: np.squeeze(np.expand_dims(z, 1), axis=1) ** 2),
    ("ravel", lambda z: np.ravel(z) ** 3),
    ("broadcast_to", lambda z: np.broadcast_to(z[:, :1, :], (2, 3, 2)) ** 2),
    ("concatenate", lambda z: np.concatenate([z, z ** 2, np.ones((2, 3, 1))], axis=-1)),
    ("concatenate-none", lambda z: np.concatenate([z, z * 2], axis=None)),
    ("stack", lambda z: np.stack([z, np.sin(z)], axis=1)),
    ("vstack", lambda z: np.vstack([z[0], z[1] ** 2])),
    ("hstack", lambda z: np.hstack([z[0], z[1] ** 2])),
    ("atleast_3d", lambda z: np.atleast_3d(z[0, 0]) ** 2),
    ("atleast_1d-2d", lambda z: np.atleast_1d(z[0, 0, 0]) * np.atleast_2d(z[0, 0])),
    ("matrix_transpose", lambda z: np.matrix_transpose(z) ** 2),
]


@pytest.mark.parametrize("f", [f for _, f in SHAPE], ids=[n for n, _ in SHAPE])
def test_shape_ops(f):
    check_grads(f, (rng.uniform(0.5, 1.5, (2, 3, 2)),))


INDEX = [
    ("int", lambda z: z[1]),
    ("slice", lambda z: z[1:, ::-2]),
    ("negative-step", lambda z: z[::-1] ** 2),
    ("ellipsis-newaxis", lambda z: z[..., None, 1]),
    ("int-array-repeated", lambda z: z[[0, 0, 2], 1] * np.array([1.0, 2.0, 3.0])),
    ("two-arrays", lambda z: z[[0, 2], [1, 0]]),
    ("split-advanced", lambda z: z[None][0, [0, 1], :][:, [1, 0]]),
    ("bool-mask", lambda z: z[np.array([[True, False, True], [False, False, True], [True, True, False]])] ** 2),
    ("bool-row-mask", lambda z: z[np.array([True, False, True]), 1:]),
    ("mixed", lambda z: z[1:, [2, 0, 2]]),
    ("iterate", lambda z: sum(row * k for k, row in enumerate(z))),
]


@pytest.mark.parametrize("f", [f for _, f in INDEX], ids=[n for n, _ in INDEX])
def test_indexing(f):
    check_grads(f, (rng.uniform(0.5, 1.5, (3, 3)),))


def test_a_loop_over_rows_adds_each_cotangent_in_place(monkeypatch):
    """getitem's cotangents are summed in place where they belong: a loop over n rows of a
    traced matrix builds one dense cotangent, not a matrix of zeros per row (linear in n,
    not quadratic). Scalar entries, repeated fancy indices, batched pulls and second
    derivatives keep their values."""
    import funcad.rules.indexing as ix
    built = []
    real = ix._untake
    counting = lambda *a: built.append(1) or real(*a)   # every dense build of a cotangent
    monkeypatch.setattr(ix, "_untake", counting)
    monkeypatch.setattr(ix.untake_p, "impl", counting)
    X = rng.normal(size=(300, 4))
    g = grad(lambda a: sum(np.sum(np.sin(row)) * k for k, row in enumerate(a)))(X)
    np.testing.assert_allclose(g, np.cos(X) * np.arange(300.0)[:, None], rtol=1e-14)
    assert len(built) == 1
    x = rng.normal(size=50)
    f = lambda v: sum(v[i] ** 2 for i in range(0, 50, 5)) + np.sum(v[np.array([3, 3, 7])] ** 3) + v[::2].sum()
    check_grads(f, (x,), order=2)
    np.testing.assert_allclose(jacrev(lambda v: np.stack([v[i] * v[i + 1] for i in range(49)]))(x),
                               jacfwd(lambda v: np.stack([v[i] * v[i + 1] for i in range(49)]))(x), rtol=1e-14)
    x32 = x.astype(np.float32)
    assert grad(lambda v: sum(v[i] for i in range(10)) + v[0] * 2)(x32).dtype == np.float32
    # the pieces of np.split (one-axis slices) too
    import funcad.rules.shape as sh
    built.clear()
    real_pad = sh._pad_axis
    counting_pad = lambda *a: built.append(1) or real_pad(*a)
    monkeypatch.setattr(sh, "_pad_axis", counting_pad)
    monkeypatch.setattr(sh.pad_axis_p, "impl", counting_pad)
    g = grad(lambda a: sum(np.sum(p ** 2) * k for k, p in enumerate(np.split(a, 60, axis=1))))(X[:, :1].repeat(60, 1))
    np.testing.assert_allclose(g, 2 * X[:, :1] * np.arange(60.0), rtol=1e-14)
    assert len(built) == 1
    check_grads(lambda v: np.diff(v) ** 2 + v[1:] * v[:-1], (x[:6],), order=2)


def test_advanced_index_not_adjacent():
    f = lambda z: z[[0, 1], :, [1, 0]]
    check_grads(f, (rng.uniform(0.5, 1.5, (2, 3, 2)),))


def test_functional_updates():
    a = rng.uniform(0.5, 1.5, (3, 3))
    check_grads(lambda z, v: fnp.at(z)[1].set(v), (a, b3))
    check_grads(lambda z, v: fnp.at(z)[[0, 0, 2], 1].add(v), (a, np.array([1.0, 2.0, 3.0])))
    check_grads(lambda z, v: fnp.at(z)[:, 1].multiply(v), (a, b3))
    check_grads(lambda z: fnp.at(z)[0, 0].set(2.0) * z, (a,))
    np.testing.assert_allclose(fnp.at(np.zeros(3))[[1, 1]].add(1.0), [0.0, 2.0, 0.0])


def test_where_and_clip_follow_torch_at_bounds():
    a = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    np.testing.assert_allclose(grad(lambda z: np.sum(np.clip(z, 0.0, 1.0)))(a), [0, 1, 1, 1, 0])
    check_grads(lambda z: np.clip(z, 0.2, 0.8), (np.array([0.1, 0.5, 0.9]),))
    check_grads(lambda z, lo: np.clip(z, lo, 0.8), (np.array([0.1, 0.5, 0.9]), np.array(0.2)))
    check_grads(lambda z: np.where(z > 0.5, z ** 2, np.sin(z)), (np.array([0.1, 0.7, 0.9]),))
    # the NaN-branch pitfall behaves as torch: the unselected branch's NaN leaks through
    g = grad(lambda z: np.sum(np.where(z > 0, np.sqrt(z), 0.0)))(np.array([-1.0, 4.0]))
    assert np.isnan(g[0]) and g[1] == pytest.approx(0.25)
    safe = grad(lambda z: np.sum(np.where(z > 0, np.sqrt(np.where(z > 0, z, 1.0)), 0.0)))(np.array([-1.0, 4.0]))
    np.testing.assert_allclose(safe, [0.0, 0.25])


CONTRACT = [
    ("matmul", lambda a, b: a @ b, (3, 2), (2, 4)),
    ("matmul-vec", lambda a, b: a @ b, (3, 2), (2,)),
    ("vec-matmul", lambda a, b: a @ b, (2,), (2, 4)),
    ("vec-vec", lambda a, b: np.matmul(a, b), (3,), (3,)),
    ("stacked", lambda a, b: a @ b, (2, 3, 2), (2, 4)),
    ("stacked-both", lambda a, b: np.matmul(a, b), (2, 3, 2), (1, 2, 4)),
    ("stacked-vec", lambda a, b: a @ b, (2, 3, 2), (2,)),
    ("vec-stacked", lambda a, b: a @ b, (3,), (2, 3, 2)),
    ("vec-matmul-1", lambda a, b: a @ b, (1,), (1, 3)),
    ("matmul-vec-1", lambda a, b: a @ b, (3, 1), (1,)),
    ("dot", lambda a, b: np.dot(a, b), (3, 2), (2,)),
    ("dot-nd", lambda a, b: np.dot(a, b), (2, 3), (2, 3, 2)),
    ("outer", lambda a, b: np.outer(a, b), (3,), (2, 2)),
    ("tensordot", lambda a, b: np.tensordot(a, b, axes=([1, 0], [0, 2])), (2, 3), (3, 2, 2)),
    ("tensordot-int", lambda a, b: np.tensordot(a, b, 1), (2, 3), (3, 2)),
]


@pytest.mark.parametrize("f, sa, sb", [c[1:] for c in CONTRACT], ids=[c[0] for c in CONTRACT])
def test_contractions(f, sa, sb):
    check_grads(f, (rng.uniform(0.5, 1.5, sa), rng.uniform(0.5, 1.5, sb)))


def test_float32_rules_keep_float32():
    a = rng.uniform(0.5, 1.5, (2, 3)).astype(np.float32)
    f = lambda z: np.sum(np.tanh(z @ z.T) ** 2 + np.maximum(z, 1.0).sum() + np.clip(z, 0.6, 1.0).max())
    assert grad(f)(a).dtype == np.float32
    assert jacfwd(lambda z: np.exp(z) * 2.0)(a).dtype == np.float32
    assert jacrev(lambda z: np.power(z, 2.5))(a).dtype == np.float32
    check_grads(lambda z: np.sin(z) * z, (a,))


def test_array_of_traced_scalars():
    f = lambda z: fnp.array([z[0] * z[1], [z[2]][0] ** 2, 1.0])
    check_grads(f, (x3,))
    assert grad(lambda z: np.sum(fnp.asarray(z)))(x3).shape == (3,)


def test_identity_seeds_skip_the_product_but_not_the_copy():
    """jacfwd seeds the identity, and matmul treats an identity operand as a copy: the
    answer is the same, in the promoted dtype, and never a view of the user's matrix."""
    A = rng.normal(size=(4, 4))
    J = jacfwd(lambda z: A @ z)(np.ones(4))
    np.testing.assert_array_equal(J, A)
    J[0, 0] = 99.0
    assert A[0, 0] != 99.0
    Jc = jacfwd(lambda z: (A + 1j) @ z)(np.ones(4, dtype=complex))
    assert Jc.dtype == np.complex128
    np.testing.assert_array_equal(Jc, A + 1j)
    # a matrix that only looks like the identity at the entries tested first is multiplied
    B = np.eye(4)
    B[1, 2] = 0.5
    np.testing.assert_allclose(funcad.rules.contractions._matmul(B, A), B @ A)
    np.testing.assert_allclose(funcad.rules.contractions._matmul(A, B), A @ B)
    H = funcad.hessian(lambda z: np.sum(np.tanh(A @ z) ** 2), np.full(4, 0.1))
    check_grads(lambda z: np.sum(np.tanh(A @ z) ** 2), (np.full(4, 0.1),))
    np.testing.assert_allclose(H, H.T, rtol=1e-12)


@pytest.mark.parametrize("f, h", [
    (np.log, lambda x: x), (np.log1p, lambda x: 1 + x), (np.sqrt, lambda x: 2 * np.sqrt(x)),
    (np.arctan, lambda x: 1 + x * x), (lambda x: x / 3.0, lambda x: 3.0)])
def test_reciprocal_partials_divide_as_torch(f, h):
    """A partial 1/h is applied as a division, g / h (torch's formulas, e.g. log's backward
    grad / self): a pass fewer than 1/h then a product, and different in the last bits."""
    x = np.linspace(0.3, 3.0, 101)
    v = np.linspace(-2.0, 2.0, 101)
    _, pull = funcad.func.vjp(f, x)
    np.testing.assert_array_equal(pull(v)[0], v / h(x))
    np.testing.assert_array_equal(funcad.func.jvp(f, (x,), (v,))[1], v / h(x))

"""The oracle itself: check_grads passes right derivatives, catches wrong ones (mutants:
deliberately wrong VJP and JVP rules of user primitives), and says why; gradcheck and
gradgradcheck behave as torch's."""
from __future__ import annotations

import re
import time
import warnings

import numpy as np
import pytest
from hypothesis import find, settings
from scipy import special

import funcad
from funcad.testing import GradcheckError, check_grads, gradcheck, gradgradcheck, optable, report
from funcad.testing.flatten import Flat
from funcad.testing.strategies import programs

X = np.array([0.3, 0.7, 1.1])


def fails(f, args, **kw) -> str:
    """check_grads must raise AssertionError; returns its message."""
    with pytest.raises(AssertionError) as e:
        check_grads(f, args, **kw)
    return str(e.value)


# -- mutants: user primitives with one wrong rule each -----------------------------------------
def _primitive(impl, name, vjps, jvps):
    impl.__name__ = name
    p = funcad.primitive(impl)
    funcad.defvjp(p, *vjps)
    funcad.defjvp(p, *jvps)
    return p


# wrong sign: sin with d/dx = -cos in one mode
sin_bad_vjp = _primitive(lambda x: np.sin(x), "sin_bad_vjp",
                         [lambda g, ans, x: -g * np.cos(x)], [lambda t, ans, x: t * np.cos(x)])
sin_bad_jvp = _primitive(lambda x: np.sin(x), "sin_bad_jvp",
                         [lambda g, ans, x: g * np.cos(x)], [lambda t, ans, x: -t * np.cos(x)])
# wrong transpose: y = A @ x, with A (not A.T) in the VJP for x, or A.T in the JVP
matvec_bad_vjp = _primitive(lambda A, x: A @ x, "matvec_bad_vjp",
                            [lambda g, ans, A, x: np.outer(g, x), lambda g, ans, A, x: A @ g],
                            [lambda t, ans, A, x: t @ x, lambda t, ans, A, x: A @ t])
matvec_bad_jvp = _primitive(lambda A, x: A @ x, "matvec_bad_jvp",
                            [lambda g, ans, A, x: np.outer(g, x), lambda g, ans, A, x: A.T @ g],
                            [lambda t, ans, A, x: t @ x, lambda t, ans, A, x: A.T @ t])
# missing broadcast reduction: x + y with y broadcast, y's cotangent not summed back
add_bad_vjp = _primitive(lambda x, y: x + y, "add_bad_vjp",
                         [lambda g, ans, x, y: g, lambda g, ans, x, y: g],
                         [lambda t, ans, x, y: t + 0 * ans, lambda t, ans, x, y: t + 0 * ans])
add_bad_jvp = _primitive(lambda x, y: x + y, "add_bad_jvp",
                         [lambda g, ans, x, y: g, lambda g, ans, x, y: np.sum(g, axis=0) if np.ndim(g) > np.ndim(y) else g],
                         [lambda t, ans, x, y: t + 0 * ans, lambda t, ans, x, y: t])
# wrong second derivative: sin whose rules use a cos with the wrong derivative (+sin)
cos_bad = _primitive(lambda x: np.cos(x), "cos_bad",
                     [lambda g, ans, x: g * np.sin(x)], [lambda t, ans, x: t * np.sin(x)])
sin_bad_second = _primitive(lambda x: np.sin(x), "sin_bad_second",
                            [lambda g, ans, x: g * cos_bad(x)], [lambda t, ans, x: t * cos_bad(x)])

A = np.array([[1.0, 2.0], [-0.5, 3.0]])
V = np.array([0.4, -0.9])
M23 = np.array([[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]])


def test_right_rules_pass_and_the_mutants_pass_in_their_good_mode():
    check_grads(np.sin, (X,))
    check_grads(sin_bad_vjp, (X,), order=1, modes=("fwd",))
    check_grads(sin_bad_jvp, (X,), order=1, modes=("rev",))
    check_grads(sin_bad_second, (X,), order=1)


def test_wrong_sign_is_caught_with_its_mode_named():
    msg = fails(sin_bad_vjp, (X,))
    assert "1st derivative of sin_bad_vjp" in msg
    assert "reverse mode (jacrev): disagrees" in msg and "forward mode (jacfwd): agrees" in msg
    assert "minus the finite-difference one" in msg and "reverse-mode (VJP)" in msg
    msg = fails(sin_bad_jvp, (X,))
    assert "forward mode (jacfwd): disagrees" in msg and "forward-mode (JVP)" in msg


def test_wrong_transpose_is_caught_and_named():
    msg = fails(lambda x: matvec_bad_vjp(A, x), (V,))
    assert "transpose of the finite-difference one" in msg
    fails(lambda x: matvec_bad_jvp(A, x), (V,), modes=("fwd",))
    fails(matvec_bad_vjp, (A, V), modes=("rev",))


def test_missing_broadcast_reduction_is_caught():
    y = np.array([1.0, 2.0, 3.0])
    check_grads(add_bad_vjp, (M23, M23 + 1), order=1)       # same shapes: the mutant is right there
    msg = fails(add_bad_vjp, (M23, y), modes=("rev",))
    assert "reverse mode" in msg and ("broadcast" in msg or "disagrees" in msg)
    fails(add_bad_jvp, (M23, y), modes=("fwd",))
    fails(lambda y: add_bad_jvp(M23, y), (y,), modes=("fwd",))


def test_wrong_second_derivative_is_caught_at_order_two_only():
    check_grads(sin_bad_second, (X,), order=1)
    msg = fails(sin_bad_second, (X,), order=2)
    assert "2nd derivative" in msg and "the 1st derivatives agree" in msg
    assert re.search(r"d\^2 out\[(\d)\] / \(d x\[\1\] d x\[\1\]\)", msg), msg   # a diagonal entry


@pytest.mark.parametrize("mutant, ops", [
    (optable.custom_unary("sin_bad_vjp", sin_bad_vjp), ["add", "multiply", "sum", "exp"]),
    (optable.custom_unary("sin_bad_jvp", sin_bad_jvp), ["add", "multiply", "sum", "exp"]),
    (optable.custom_binary("matvec_bad_vjp", matvec_bad_vjp, params=lambda d, a, x: {}
                           if a.ndim == 2 and a.shape == (x.size, x.size) and x.ndim == 1 else None,
                           fresh=lambda d, dt: [A, V]), ["add", "multiply", "sin"]),
    (optable.custom_binary("matvec_bad_jvp", matvec_bad_jvp, params=lambda d, a, x: {}
                           if a.ndim == 2 and a.shape == (x.size, x.size) and x.ndim == 1 else None,
                           fresh=lambda d, dt: [A, V]), ["add", "multiply", "sin"]),
    (optable.custom_binary("add_bad_vjp", add_bad_vjp), ["multiply", "sum", "sin"]),
    (optable.custom_binary("add_bad_jvp", add_bad_jvp), ["multiply", "sum", "sin"]),
    (optable.custom_unary("sin_bad_second", sin_bad_second), ["add", "multiply", "sum", "exp"]),
], ids=lambda v: v.name if isinstance(v, optable.Op) else "")
def test_the_program_search_finds_each_mutant_and_shrinks_to_it(mutant, ops):
    def wrong(p):
        try:
            check_grads(p, p.args)
        except AssertionError:
            return True
        return False

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = find(programs(ops=[mutant] + [optable.by_name(o) for o in ops], max_ops=3), wrong,
                 settings=settings(max_examples=200, database=None, derandomize=True))
    assert mutant.name in p.ops
    assert len(p) <= 2, p          # shrunk: the mutant, and at most what it needs (a broadcast)


def test_badly_scaled_functions_are_checked_relative_to_their_scale():
    for s in (1e-12, 1.0, 1e12):
        check_grads(lambda x: s * np.sin(x), (X,))
        fails(lambda x: s * sin_bad_vjp(x), (X,), order=1)
    # entries of very different sizes: a wrong rule on the small one is still caught
    check_grads(lambda x, y: 1e10 * np.sin(x) + np.cos(y), (X, X))
    fails(lambda x, y: 1e10 * np.sin(x) + sin_bad_vjp(y), (X, X), order=1)
    # a derivative that cancels to zero (exp(log(x)) - x) passes without warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check_grads(lambda x: np.exp(np.log(x)) - x, (X,))


def test_rapidly_varying_functions_get_shorter_steps():
    """Found by the thorough program search: the first derivative of this composition
    changes by 2e5 per unit, so the first finite-difference steps stopped unconverged with a
    value 16x too small; the retry with shorter steps converges (funcad agrees with mpmath
    to 12 digits: -207131.119731)."""
    from scipy import special
    f = lambda x0: special.j0(special.i0(np.negative(special.yn(2, x0))))
    check_grads(f, (np.array(0.438),))
    d2 = funcad.func.grad(funcad.func.grad(f))(np.array(0.438))
    assert d2 == pytest.approx(-207131.11973099238, rel=1e-11)


def test_a_batch_the_probe_let_through_is_caught_at_its_first_non_finite_value():
    """Finite differences evaluate f on batches when a probe says f broadcasts over a
    leading axis. An f constant near x0 fools the probe (the cumsum below sums over the
    batch, harmlessly on the probe's 3 points); the first non-finite batched value is
    checked point by point and batching stops. Found by the thorough program search."""
    def f(x):
        v = np.log(np.sin(np.cumsum(x, axis=0)))
        return v - v
    check_grads(f, (np.array([1.0]),), order=2)


def test_a_function_that_sorts_over_the_batch_axis_is_evaluated_point_by_point():
    """``np.sort(x, axis=0)`` sorts across a batch of points. On probe points that happen to
    come in sorted order (1 chance in 6 for 3 points) the batch agreed with the single
    calls, so finite differences came from sorted batches: a derivative of 0 where it is
    -1, and funcad was reported wrong. The probe now also calls f on the points reversed.
    Found by the thorough program search (seed 777)."""
    f = lambda x0, x1: np.sort(x0 * x1, axis=0)
    args = (np.array([-1.0]), np.array([0.25]))   # the search's point: sorted probe points
    assert not Flat(f, args)._probe()
    check_grads(f, args, order=2)
    running_max = lambda x: np.maximum.accumulate(x * 3.0, axis=0)   # a probe on plain arrays
    for x in (np.array([0.3]), np.array([-0.7]), np.array([5.0])):
        assert not Flat(running_max, (x,))._probe()
    assert Flat(lambda x: np.sort(x * 3.0, axis=-1), (np.array([0.3, -0.2]),))._probe()


def test_a_function_that_reduces_over_the_whole_batch_behind_a_step_is_caught():
    """``floor(np.sum(x)) * x`` sums over every axis, the batch's too. On the probe's 3
    points near [0, 0.25] the batch's sum floors to 0 as each point's does, so the probe
    let batching through; the differences' larger batches floored to 1 and gave a
    derivative of 1 where it is 0. Each batched call now has its first and last points
    evaluated one by one, and a difference stops batching. Found by the thorough program
    search (seed 2611)."""
    f = lambda x0: np.floor(np.sum(x0, axis=None)) * x0
    args = (np.array([0.0, 0.25]),)
    assert Flat(f, args)._probe()                        # fooled: the spot-checks catch it
    check_grads(f, args, order=2)
    flat = Flat(f, args)
    V = flat.x0[:, None] + np.linspace(-0.01, 0.01, 9)[None, :]
    np.testing.assert_array_equal(flat.values(V), np.zeros((2, 9)))
    assert flat._batched is False
    check_grads(lambda x0: np.heaviside(np.sum(x0, axis=(0, 1)), x0),
                (np.array([[0.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, -1.0, 0.0]]),), order=2)
    ok = Flat(lambda x: np.sin(x) * 2.0, (np.array([0.3, -0.2]),))
    ok.values(ok.x0[:, None] + np.linspace(-0.1, 0.1, 7)[None, :])
    assert ok._batched is True                           # a broadcasting f stays batched


def test_an_error_estimate_of_zero_at_the_noise_floor_is_not_trusted():
    """inv(inv(x)) is x and slogdet(expm(x)) is trace(x): their second derivatives are 0.
    Finite differences of funcad's gradients came out as -3.6e-9 and -5.8e-8, each with an
    error estimate of exactly 0 (two extrapolations agreeing on the same noise), and these
    right derivatives were failed. Found by the thorough program search. A wrong second
    derivative of the same size as the function's is still caught."""
    import funcad.scipy.linalg as fsl
    X = np.array([[2.125, 0.0, 0.25], [0.031, 2.0, 0.0], [0.0, 0.5, 2.0]])
    check_grads(lambda x: np.linalg.inv(np.linalg.inv(x)), (X,), order=2)
    E = np.array([[0.5, 0.11475, 0.0], [0.0, 0.5, 0.0], [0.105, 0.0, 0.5]])
    check_grads(lambda x: np.linalg.slogdet(fsl.expm(x))[1], (E,), order=2)
    msg = fails(lambda x: sin_bad_second(np.linalg.inv(np.linalg.inv(x))), (X,), order=2)
    assert "2nd derivative" in msg and "the 1st derivatives agree" in msg


def test_a_one_sided_retry_is_trusted_only_as_far_as_its_stencil_allows():
    """pinv(x) @ x is the identity for this x, so every derivative is 0; funcad's gradient
    is rounding noise no larger than 1.3e-15 around the point. Central differences of it
    did not converge, and a one-sided retry, whose stencil amplifies noise 72 times more,
    gave 5.8e-9 with a small error estimate: a right derivative was failed (found by the
    thorough program search, seed 1729). A wrong second derivative is still caught."""
    from funcad.testing import finite_differences as fdiff
    assert fdiff.ONE_SIDED_GAIN / fdiff.CENTRAL_GAIN > 50
    x = np.array([[2.287, 0.089], [0.094, 1.963], [0.089, -0.478]])
    check_grads(lambda a: np.linalg.pinv(a) @ a, (x,), order=2)
    msg = fails(lambda a: np.linalg.pinv(a) @ a + sin_bad_second(a[:2]), (x,), order=2)
    assert "2nd derivative" in msg and "the 1st derivatives agree" in msg


def test_several_inputs_outputs_and_pytrees():
    check_grads(lambda x, y: (x * y, np.sum(np.exp(x) * y)), (X, X[::-1].copy()))
    params = {"w": M23, "b": np.array([0.1, -0.2])}
    check_grads(lambda p, x: {"out": np.tanh(p["w"] @ x + p["b"]), "norm": np.sum(p["w"] ** 2)}, (params, X))
    # integer arguments are constants, passed through
    check_grads(lambda x, n: np.sum(x ** n), (X, 3))
    msg = fails(lambda p, x: p["w"] @ sin_bad_vjp(x), ({"w": M23}, X), order=1)
    assert "d out[0] / d x[0]" in msg or "/ d x[" in msg


def test_names_in_the_report_follow_the_arguments():
    msg = fails(lambda weights, x: np.sum(weights["a"] * sin_bad_vjp(x)), ({"a": np.ones(3)}, X), order=1)
    assert "worst entry: d out / d x[" in msg
    assert "funcad:" in msg and "finite differences:" in msg and "error estimate" in msg
    assert "absolute error:" in msg and "relative error:" in msg and "tolerance:" in msg
    assert "to reproduce: check_grads(f, args, order=1, modes=('rev',))" in msg


def test_float32_is_checked_with_looser_tolerances_and_dtype():
    x32 = X.astype(np.float32)
    check_grads(lambda x: np.sin(x) ** 2 + np.cos(x) ** 2, (x32,))
    check_grads(lambda x: np.exp(x) * np.log1p(x), (x32,))
    fails(sin_bad_vjp, (x32,), order=1)
    upcast = _primitive(lambda x: np.sin(x), "upcast",
                        [lambda g, ans, x: g.astype(np.float64) * np.cos(x)], [lambda t, ans, x: t * np.cos(x)])
    msg = fails(upcast, (x32,), order=1, modes=("rev",))
    assert "float32" in msg and "dtype" in msg


def test_complex_values_are_checked_by_real_and_imaginary_parts():
    z = np.array([0.3 + 0.7j, -0.5 + 0.2j])
    check_grads(lambda z: z * z + np.exp(z), (z,))
    check_grads(lambda x: np.real(np.exp(1j * x) * x), (X,))        # complex in the middle
    check_grads(lambda z: np.abs(z) ** 2, (z,))                       # not holomorphic
    msg = fails(lambda z: sin_bad_vjp(np.real(z)) * z, (z,), order=1)
    assert "z[0].real" in msg or "z[1].real" in msg


def test_large_inputs_are_checked_along_random_directions_in_seconds():
    x = np.linspace(0.1, 1.0, 100_000)
    t = time.perf_counter()
    check_grads(lambda x: np.sum(np.sin(x) ** 2) + np.tanh(x)[:3], (x,))
    assert time.perf_counter() - t < 30
    msg = fails(lambda x: np.sum(sin_bad_vjp(x[:50])) * x[-1], (x[:1000],), order=1)
    assert "random directions" in msg and "d out / d u" in msg
    check_grads(lambda x: np.sin(x), (x[:200],), directions=3)     # outputs projected too


def test_kink_hints_name_the_primitive():
    hints = report.graph_hints(lambda x: np.abs(x) + np.sqrt(x ** 2), [np.array([0.0, 1.0])])
    assert any("kink of abs" in h for h in hints)
    hints = report.graph_hints(lambda x, y: np.maximum(x, y), [np.array([1.0]), np.array([1.0])])
    assert any("tie" in h for h in hints)
    with np.errstate(divide="ignore", invalid="ignore"):
        msg = fails(np.sqrt, (np.array([0.0, 1.0]),), order=1)
    assert "sqrt" in msg and "not finite" in msg


def test_crashing_rules_are_reported_and_missing_rules_raise():
    msg = fails(add_bad_vjp, (M23, np.array([1.0, 2.0, 3.0])), order=1, modes=("rev",))
    assert "funcad raised" in msg and "missing broadcast reduction" in msg
    norule = funcad.primitive(lambda x: np.sin(x))
    with pytest.raises(NotImplementedError):
        check_grads(norule, (X,))


def test_a_function_that_raises_outside_its_domain_is_checked_near_the_edge():
    """A finite-difference step that leaves f's domain gives NaN there even when f raises
    (cholesky of a matrix no longer positive definite, an SVD of NaNs), and is retried with
    smaller or one-sided steps, as a NaN value is. A derivative that raises where f itself
    is fine is still reported as a crash."""
    near_singular = np.array([[1.0, 0.999], [0.999, 1.0]])      # steps of 0.1 leave the PD cone
    check_grads(np.linalg.cholesky, (near_singular,), order=2)
    check_grads(lambda x: np.linalg.svdvals(special.ndtri(x)), (np.array([[0.938]]),), order=2)
    x0 = np.array([0.5])

    def vjp_raises_off_x0(g, ans, x):
        if not np.array_equal(x, x0):
            raise FloatingPointError("this rule fails away from x0")
        return g * np.cos(x)
    crashes = _primitive(lambda x: np.sin(x), "sin_crashes_nearby", [vjp_raises_off_x0],
                         [lambda t, ans, x: t * np.cos(x)])
    msg = fails(lambda x: crashes(x) ** 2, (x0,), order=2, modes=("rev",))
    assert "fails away from x0" in msg and "near the one checked" in msg


def test_a_derivative_with_nothing_to_set_its_scale_is_checked_at_unit_scale():
    """``imag(ifft(irfft(x)))`` is 0 everywhere; at x = 0 its values, the values on the way
    and the finite differences are all exactly 0, and funcad's derivative is rounding
    (9e-18). The tolerance had no scale at all (0) and failed it (thorough search, seed
    13013); the unit seeds set it now. A wrong derivative there is still caught."""
    f = lambda x: np.imag(np.fft.ifftn(np.fft.irfft(x)))    # noqa: E731
    z = np.zeros(4)
    check_grads(f, (z,), order=2)
    check_grads(lambda x: np.imag(np.fft.ifftn(np.fft.irfftn(x))), (z,), order=2)
    assert "disagrees" in fails(lambda x: f(x) + 1e-6 * sin_bad_vjp(x[:1]), (z,), order=1)


def test_a_step_where_the_output_changes_kind_is_outside_the_domain():
    """Eigenvalues 0.125 apart, real at the point, turn complex at the first steps (0.1 for
    entries of size 2): the output has twice the entries there once flattened. Such a point
    is not on the function being checked: NaN, retried with smaller steps, as a point where f
    raises. (The checker used to crash in np.stack; found by the thorough program search.)"""
    a = np.array([[2.375, 0.188], [-0.5, 1.75]])
    f = lambda a: np.sort(np.linalg.eigvals(a))    # noqa: E731
    assert np.iscomplexobj(np.linalg.eigvals(a + np.array([[0.0, 0.1], [0.0, 0.0]])))
    check_grads(f, (a,), order=2)
    assert "disagrees" in fails(lambda a: f(a) + sin_bad_second(a[0, :1]), (a,), order=2)


def test_bad_usage():
    with pytest.raises(ValueError, match="unknown mode"):
        check_grads(np.sin, (X,), modes=("forward",))
    with pytest.raises(TypeError, match="floating-point"):
        check_grads(np.sin, (np.array([1, 2]),))
    with pytest.raises(ValueError, match="directions"):
        check_grads(np.sin, (X,), directions=0)
    check_grads(np.sin, X)                       # a single array is (array,)
    check_grads(lambda x: (x > 0).astype(int), (X,))    # no floating output: nothing to check


def test_user_tolerances():
    check_grads(lambda x: 1.001 * np.sin(x), (X,), order=1)
    wrong = _primitive(lambda x: np.sin(x), "slightly_wrong",
                       [lambda g, ans, x: g * np.cos(x) * (1 + 1e-4)], [lambda t, ans, x: t * np.cos(x) * (1 + 1e-4)])
    fails(wrong, (X,), order=1)
    check_grads(wrong, (X,), order=1, rtol=1e-3)


# -- torch's gradcheck / gradgradcheck ---------------------------------------------------------------
def test_gradcheck_passes_and_fails_like_torch():
    assert gradcheck(lambda x, y: np.sin(x) * y, (X, X + 1)) is True
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda x, y: x * sin_bad_vjp(y), (X, X + 1))
    assert isinstance(e.value, RuntimeError)
    assert str(e.value).startswith("Jacobian mismatch for output 0 with respect to input 1,\nnumerical:")
    assert "\nanalytical:" in str(e.value)
    assert gradcheck(sin_bad_vjp, (X,), raise_exception=False) is False
    assert gradcheck(sin_bad_vjp, (X,), check_backward_ad=False, check_forward_ad=True)
    with pytest.raises(GradcheckError, match="computed with forward mode mismatch"):
        gradcheck(sin_bad_jvp, (X,), check_forward_ad=True)


def test_gradcheck_inputs_follow_torch():
    # non-array inputs are passed through; a tuple of outputs is checked output by output
    assert gradcheck(lambda x, k: (x ** k, np.sum(x)), (X, 2))
    with pytest.raises(GradcheckError, match="output 1 with respect to input 0"):
        gradcheck(lambda x: (x, sin_bad_vjp(x)), (X,))
    with pytest.raises(ValueError, match="at least one input"):
        gradcheck(np.sin, (1.0,))
    with pytest.warns(UserWarning, match="not a double precision"):
        gradcheck(np.sin, (X.astype(np.float32),), atol=1e-2, rtol=1e-2)


def test_gradgradcheck_checks_second_derivatives():
    assert gradgradcheck(lambda x: np.sin(x) * x, (X,))
    assert gradgradcheck(lambda x, y: (x * y, np.exp(x)), (X, X + 1), gen_non_contig_grad_outputs=True)
    assert gradgradcheck(lambda x: np.sin(x), (X,), grad_outputs=(np.ones(3),))
    assert gradcheck(sin_bad_second, (X,))                         # first order is right
    with pytest.raises(GradcheckError, match="Jacobian mismatch"):
        gradgradcheck(sin_bad_second, (X,))
    assert gradgradcheck(sin_bad_second, (X,), raise_exception=False) is False

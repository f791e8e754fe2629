"""funcad.scipy.integrate.odeint: adjoint (reverse) and sensitivity (forward) derivatives in
y0, the time points t (t[0] and interior points) and args, first and second order.

References: analytic derivatives of exponential decay, and funcad's derivatives of a
fixed-step RK4 integrator written in NumPy (enough steps that its own error is <= 1e-8).
The solves use rtol=atol=1e-10, so adjoint and forward sensitivities agree with the
references to ~1e-8 relative.
"""
import numpy as np
import pytest
import scipy.integrate

import funcad
import funcad.scipy.integrate as fint
from funcad.func import grad, jacfwd, jacrev, vjp
from funcad.rules.integrate import odeint_p
from funcad.testing import check_grads

TOL = dict(rtol=1e-10, atol=1e-10)


# -- systems -------------------------------------------------------------------------------
def decay(y, t, k):
    return -k * y


def lotka_volterra(y, t, p):
    x, z = y[0], y[1]
    return np.stack([p[0] * x - p[1] * x * z, p[3] * x * z - p[2] * z])


def forced_oscillator(t, y, c, w, amp):
    """y'' + c y' + w^2 y = amp cos(1.3 t), tfirst convention, float parameters; returns
    a list, as SciPy allows."""
    return [y[1], -c * y[1] - w ** 2 * y[0] + amp * np.cos(1.3 * t)]


def rk4(f, y0, t, args, steps=150, tfirst=False):
    """Fixed-step RK4 between consecutive time points; differentiable in y0, t and args."""
    rhs = (lambda y, s: np.stack(f(s, y, *args))) if tfirst else (lambda y, s: f(y, s, *args))
    y, out = y0, [y0]
    for i in range(len(t) - 1):
        h = (t[i + 1] - t[i]) / steps
        for j in range(steps):
            s = t[i] + j * h
            k1 = rhs(y, s)
            k2 = rhs(y + h / 2 * k1, s + h / 2)
            k3 = rhs(y + h / 2 * k2, s + h / 2)
            k4 = rhs(y + h * k3, s + h)
            y = y + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        out.append(y)
    return np.stack(out)


def close(a, b, rtol=1e-7):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    scale = max(np.max(np.abs(b)), 1e-300)
    err = np.max(np.abs(a - b)) / scale
    assert err < rtol, f"max error {err:.2e} relative to the largest entry {scale:.2e}"


LV_Y0 = np.array([1.0, 0.8])
LV_T = np.array([0.0, 0.7, 1.5, 2.5])
LV_P = np.array([1.5, 1.0, 3.0, 1.0])
OS_Y0 = np.array([1.0, -0.4])
OS_T = np.array([0.2, 1.0, 1.1, 2.4])
OS_ARGS = (0.3, 1.7, 0.8)


def lv(y0, t, p):
    return fint.odeint(lotka_volterra, y0, t, args=(p,), **TOL)


def lv_rk4(y0, t, p):
    return rk4(lotka_volterra, y0, t, (p,))


def osc(y0, t, c, w, amp):
    return fint.odeint(forced_oscillator, y0, t, args=(c, w, amp), tfirst=True, **TOL)


def osc_rk4(y0, t, c, w, amp):
    return rk4(forced_oscillator, y0, t, (c, w, amp), tfirst=True)


# -- values --------------------------------------------------------------------------------
def test_values_equal_scipy_under_tracing():
    """The traced value is SciPy's, bit for bit (same solver, same options)."""
    out, _ = vjp(lv, LV_Y0, LV_T, LV_P)
    np.testing.assert_array_equal(out, scipy.integrate.odeint(lotka_volterra, LV_Y0, LV_T, args=(LV_P,), **TOL))
    out = funcad.func.jvp(lambda y0: osc(y0, OS_T, *OS_ARGS), (OS_Y0,), (np.ones(2),))[0]
    ref = scipy.integrate.odeint(forced_oscillator, OS_Y0, OS_T, args=OS_ARGS, tfirst=True, **TOL)
    np.testing.assert_array_equal(out, ref)
    # untraced calls are SciPy's own, full_output included
    sol, info = fint.odeint(decay, np.ones(2), LV_T, args=(0.5,), full_output=True)
    assert "nfe" in info and sol.shape == (4, 2)


# -- exponential decay: analytic derivatives -------------------------------------------------
def decay_reference(y0, t, k):
    """y_i = y0 exp(-k (t_i - t_0)): Jacobians in y0 (T, n, n), t (T, n, T), k (T, n)."""
    E = np.exp(-k * (t - t[0]))
    Jy0 = E[:, None, None] * np.eye(len(y0))
    Jt = np.zeros((len(t), len(y0), len(t)))
    for i in range(1, len(t)):
        Jt[i, :, i] = -k * y0 * E[i]
        Jt[i, :, 0] = k * y0 * E[i]
    Jk = -(t - t[0])[:, None] * E[:, None] * y0
    return Jy0, Jt, Jk


@pytest.mark.parametrize("jac", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
def test_decay_analytic(jac):
    y0, t, k = np.array([1.5, -0.3]), np.array([0.0, 0.5, 1.3, 2.0]), 0.7
    J = jac(lambda y0, t, k: fint.odeint(decay, y0, t, args=(k,), **TOL), argnums=(0, 1, 2))(y0, t, k)
    for got, ref in zip(J, decay_reference(y0, t, k)):
        close(got, ref, 1e-8)
    assert J[2].shape == (4, 2)          # a float in args gets a 0-d cotangent per output entry


def test_decay_scalar_y0_and_decreasing_time():
    """0-d y0 (SciPy returns shape (T, 1)) and time running backwards."""
    t = np.array([2.0, 1.2, 0.0])
    f = lambda y0, t, k: fint.odeint(decay, y0, t, args=(k,), **TOL)[:, 0]
    y0, k = np.array(0.9), 0.4
    for jac in (jacrev, jacfwd):
        J = jac(f, argnums=(0, 1, 2))(y0, t, k)
        Jy0, Jt, Jk = decay_reference(np.atleast_1d(y0), t, k)
        assert J[0].shape == (3,)
        close(J[0], Jy0[:, 0, 0], 1e-8)
        close(J[1], Jt[:, 0, :], 1e-8)
        close(J[2], Jk[:, 0], 1e-8)


def test_decay_second_order_analytic():
    """L = sum y(t_end); d2L/dk2 = s D^2 e^{-kD}, d2L/dk dt_end = s (kD - 1) e^{-kD}, and
    d2L/dk dy0 = -D e^{-kD}, in all four compositions of the two modes."""
    y0, t, k = np.array([1.5, -0.3]), np.array([0.0, 0.5, 2.0]), 0.7
    D, s, e = t[-1] - t[0], y0.sum(), np.exp(-k * 2.0)

    def L(k, t, y0):
        return np.sum(fint.odeint(decay, y0, t, args=(k,), **TOL)[-1])

    for outer, inner in [(jacrev, jacrev), (jacfwd, jacrev), (jacrev, jacfwd), (jacfwd, jacfwd)]:
        H = outer(inner(L), argnums=(0, 1, 2))(k, t, y0)
        close(H[0], s * D * D * e, 1e-8)
        close(H[1], np.array([-s * (k * D - 1) * e, 0.0, s * (k * D - 1) * e]), 1e-8)
        close(H[2], -D * e * np.ones(2), 1e-8)
    gg = grad(grad(L))(k, t, y0)
    close(gg, s * D * D * e, 1e-8)


def test_decay_third_order_analytic():
    y0, t, k = np.array([1.5, -0.3]), np.array([0.0, 0.5, 2.0]), 0.7
    L = lambda k: np.sum(fint.odeint(decay, y0, t, args=(k,), **TOL)[-1])
    close(grad(grad(grad(L)))(k), -y0.sum() * 2.0 ** 3 * np.exp(-k * 2.0), 1e-8)


# -- Lotka-Volterra, parameters in args: against RK4 ------------------------------------------
@pytest.fixture(scope="module")
def lv_rk4_jacobian():
    return jacrev(lv_rk4, argnums=(0, 1, 2))(LV_Y0, LV_T, LV_P)


@pytest.mark.parametrize("jac", [jacrev, jacfwd], ids=["jacrev", "jacfwd"])
def test_lotka_volterra_jacobians(jac, lv_rk4_jacobian):
    J = jac(lv, argnums=(0, 1, 2))(LV_Y0, LV_T, LV_P)
    for got, ref in zip(J, lv_rk4_jacobian):
        close(got, ref, 1e-7)
    assert np.abs(J[1][2, :, 0]).max() > 0.1 and np.abs(J[1][2, :, 2]).max() > 0.1   # t[0], interior t


def test_lotka_volterra_grad_of_loss():
    """A scalar loss (no batch axes in the cotangent) through grad."""
    w = np.array([[0.0, 0.0], [1.0, -2.0], [0.5, 0.3], [-1.0, 0.7]])
    loss = lambda y0, t, p: np.sum(w * lv(y0, t, p) ** 2)
    loss_rk4 = lambda y0, t, p: np.sum(w * lv_rk4(y0, t, p) ** 2)
    got = grad(loss, argnums=(0, 1, 2))(LV_Y0, LV_T, LV_P)
    ref = grad(loss_rk4, argnums=(0, 1, 2))(LV_Y0, LV_T, LV_P)
    for a, b in zip(got, ref):
        close(a, b, 1e-7)


def test_lotka_volterra_hessian_in_parameters():
    """Second order against RK4's: forward-over-reverse and reverse-over-reverse."""
    t = np.array([0.0, 1.0])
    loss = lambda p: np.sum(fint.odeint(lotka_volterra, LV_Y0, t, args=(p,), **TOL)[-1] ** 2)
    ref = funcad.func.hessian(lambda p: np.sum(rk4(lotka_volterra, LV_Y0, t, (p,), steps=100)[-1] ** 2))(LV_P)
    close(funcad.func.hessian(loss)(LV_P), ref, 1e-7)
    close(jacrev(jacrev(loss))(LV_P), ref, 1e-7)


# -- forced oscillator: non-autonomous, tfirst, float args, list-valued func ---------------
def test_oscillator_jacobians():
    ref = jacrev(osc_rk4, argnums=(0, 1, 2, 3, 4))(OS_Y0, OS_T, *OS_ARGS)
    for jac in (jacrev, jacfwd):
        J = jac(osc, argnums=(0, 1, 2, 3, 4))(OS_Y0, OS_T, *OS_ARGS)
        for got, want in zip(J, ref):
            close(got, want, 1e-7)


def test_oscillator_time_hessian():
    """Second derivatives in t[0] and an interior point of a non-autonomous system."""
    loss = lambda t: np.sum(osc(OS_Y0, t, *OS_ARGS)[1:] ** 2)
    ref = funcad.func.hessian(lambda t: np.sum(rk4(forced_oscillator, OS_Y0, t, OS_ARGS, 120, True)[1:] ** 2))(OS_T)
    close(jacfwd(jacrev(loss))(OS_T), ref, 1e-7)


# -- batch axes in the rules themselves ------------------------------------------------------
def test_rules_with_two_batch_axes():
    """g and tangents with two leading batch axes give the per-row results."""
    y0, t, p = LV_Y0, LV_T[:3], LV_P
    kw = dict(func=lotka_volterra, options=tuple(TOL.items()))
    ans = odeint_p(y0, t, p, **kw)
    rng = np.random.default_rng(0)
    g = rng.normal(size=(2, 3) + ans.shape)
    for i, x in enumerate((y0, t, p)):
        batched = odeint_p.vjps[i](g, ans, y0, t, p, **kw)
        rows = [odeint_p.vjps[i](g[a, b], ans, y0, t, p, **kw) for a in range(2) for b in range(3)]
        assert batched.shape == (2, 3) + x.shape
        close(batched.reshape((6,) + x.shape), np.stack(rows), 1e-8)
        tan = rng.normal(size=(2, 3) + x.shape)
        batched = odeint_p.jvps[i](tan, ans, y0, t, p, **kw)
        rows = [odeint_p.jvps[i](tan[a, b], ans, y0, t, p, **kw) for a in range(2) for b in range(3)]
        assert batched.shape == (2, 3) + ans.shape
        close(batched.reshape((6,) + ans.shape), np.stack(rows), 1e-8)


def test_finite_differences_oracle():
    check_grads(lambda y0, p: fint.odeint(lotka_volterra, y0, LV_T[:3], args=(p,), **TOL),
                (LV_Y0, LV_P), order=1, rtol=1e-5)


# -- dtypes and argument forms --------------------------------------------------------------
def test_float32_inputs_and_lists():
    """Values are SciPy's (float64 even for float32 inputs, as SciPy returns); cotangents
    come back in each input's dtype. y0 and t may be lists holding traced numbers."""
    y0, t, k = np.ones(2, np.float32), np.array([0.0, 1.0], np.float32), np.float32(0.5)
    f = lambda y0, t, k: fint.odeint(decay, y0, t, args=(k,), **TOL)
    out, pull = vjp(f, y0, t, k)
    assert out.dtype == np.float64
    bars = pull(np.ones((2, 2)))
    assert [b.dtype for b in bars] == [np.float32] * 3
    close(bars[0], np.full(2, 1 + np.exp(-0.5)), 1e-6)
    g = grad(lambda a: np.sum(fint.odeint(decay, [a, 2 * a], [0.0, a], args=(0.5,), **TOL)[-1]))(1.0)
    close(g, 3 * np.exp(-0.5) * (1 - 0.5), 1e-8)           # d/da [3a e^{-a/2}]


# -- what is refused ---------------------------------------------------------------------------
def test_refusals():
    with pytest.raises(NotImplementedError, match="full_output"):
        grad(lambda k: np.sum(fint.odeint(decay, np.ones(2), LV_T, args=(k,), full_output=True)[0]))(0.5)
    with pytest.raises(NotImplementedError, match="closure"):
        grad(lambda k: np.sum(fint.odeint(lambda y, t: -k * y, np.ones(2), LV_T)))(0.5)
    with pytest.raises(NotImplementedError, match="args\\[0\\]"):
        grad(lambda k: np.sum(fint.odeint(lambda y, t, ks: -ks[0] * y, np.ones(2), LV_T, args=([k],))))(0.5)
    with pytest.raises(ValueError, match="one-dimensional"):
        grad(lambda y0: np.sum(fint.odeint(decay, y0, LV_T, args=(0.5,))))(np.ones((2, 2)))


def test_namespace():
    from funcad.rules.integrate import odeint
    assert fint.odeint is odeint
    assert fint.solve_ivp is scipy.integrate.solve_ivp     # the rest falls through to SciPy

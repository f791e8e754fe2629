"""A stiff ODE: Van der Pol with mu = 1000, ``solve_ivp(method="BDF", jac=...)`` from funcad.

An implicit method needs the Jacobian of the right-hand side for its Newton iterations.
Without ``jac=``, SciPy builds it by finite differences (one extra call of the right-hand
side per state variable, each time the Jacobian is refreshed); with funcad it is exact, from
the same NumPy code. The run compares the two: steps, calls of the right-hand side (counted
by the function itself, since SciPy's ``nfev`` leaves out the differencing calls), Jacobian
evaluations and LU factorisations, and the final state.

Run:  python examples/stiff_ode.py [--fast]
"""
import time

import numpy as np
from scipy.integrate import solve_ivp

import funcad
from _support import fast_mode, save_plot

MU = 1000.0
T_END = 1000.0 if fast_mode() else 3000.0     # one period is about (3 - 2 ln 2) mu ~ 1614
calls = 0


def van_der_pol(t, y):
    global calls
    calls += 1
    return np.stack([y[1], MU * (1 - y[0] ** 2) * y[1] - y[0]])


def jacobian(t, y):
    return funcad.jacobian(lambda y: van_der_pol(t, y), y)


def jacobian_by_hand(t, y):
    return np.array([[0.0, 1.0], [-2 * MU * y[0] * y[1] - 1, MU * (1 - y[0] ** 2)]])


y_test = np.array([1.3, -0.7])
assert np.allclose(jacobian(0.0, y_test), jacobian_by_hand(0.0, y_test), rtol=1e-14, atol=0)

y0 = np.array([2.0, 0.0])
runs = {}
print(f"Van der Pol, mu = {MU:g}, t in [0, {T_END:g}], BDF with rtol=1e-6, atol=1e-9")
print(f"{'Jacobian':<22}{'steps':>7}{'f calls':>9}{'njev':>6}{'nlu':>6}{'time':>8}   y(T)")
for label, kw in [("finite differences", {}), ("funcad.jacobian", {"jac": jacobian})]:
    calls = 0
    t0 = time.perf_counter()
    sol = solve_ivp(van_der_pol, (0.0, T_END), y0, method="BDF", rtol=1e-6, atol=1e-9, **kw)
    seconds = time.perf_counter() - t0
    assert sol.success, sol.message
    runs[label] = (sol, calls)
    print(f"{label:<22}{len(sol.t) - 1:>7}{calls:>9}{sol.njev:>6}{sol.nlu:>6}{seconds:>7.2f}s"
          f"   {sol.y[:, -1]}")

(fd, fd_calls), (ad, ad_calls) = runs["finite differences"], runs["funcad.jacobian"]
gap = np.max(np.abs(fd.y[:, -1] - ad.y[:, -1]) / (1e-9 + 1e-6 * np.abs(ad.y[:, -1])))
print(f"right-hand-side calls saved: {fd_calls - ad_calls} of {fd_calls} "
      f"({100 * (fd_calls - ad_calls) / fd_calls:.1f}%); the final states differ by "
      f"{gap:.2f} x the requested tolerance")
assert ad_calls < fd_calls
assert gap < 100, "the two runs disagree by more than the solver's tolerance allows"
print("check passed: funcad's Jacobian is exact and BDF converges with it")


def draw(plt):
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    ax1.plot(ad.t, ad.y[0], ".-", ms=2)
    ax1.set(ylabel="x(t)", title=f"Van der Pol, mu = {MU:g} (BDF, Jacobian from funcad)")
    ax2.semilogy(ad.t[1:], np.diff(ad.t), label="jac=funcad")
    ax2.semilogy(fd.t[1:], np.diff(fd.t), "--", label="finite differences")
    ax2.set(xlabel="t", ylabel="step size", title="Step size: tiny in the jumps, large between")
    ax2.legend()
    return fig


save_plot("stiff_ode.png", draw)

"""Nonlinear least squares: ``scipy.optimize.least_squares(jac=...)`` with funcad's Jacobian.

Three overlapping Gaussian peaks on a sloping baseline (11 parameters) are fitted to noisy
data. The residual has many more entries (m) than parameters (n), so the Jacobian is
computed in forward mode (``strategy="forward-mode"``: one sweep pushing n tangents) rather
than reverse mode (one sweep pulling back m cotangents). Without ``jac=``, SciPy differences
the residual: n extra calls per Jacobian.

Run:  python examples/least_squares.py [--fast]
"""
import time

import numpy as np
from scipy.optimize import least_squares

import funcad
from _support import fast_mode, save_plot

M = 200 if fast_mode() else 2000
rng = np.random.default_rng(7)
x = np.linspace(0.0, 10.0, M)
truth = np.array([3.0, 2.5, 0.6,      # height, centre, width of peak 1
                  2.0, 4.0, 0.8,      # peak 2
                  1.5, 7.0, 1.2,      # peak 3
                  0.3, 0.05])         # baseline: offset, slope
NOISE = 0.05
calls = 0


def model(p, x):
    peaks = p[:9].reshape(3, 3)
    heights, centres, widths = peaks[:, 0:1], peaks[:, 1:2], peaks[:, 2:3]
    bumps = heights * np.exp(-0.5 * ((x - centres) / widths) ** 2)
    return np.sum(bumps, axis=0) + p[9] + p[10] * x


data = model(truth, x) + NOISE * rng.normal(size=M)


def residual(p):
    global calls
    calls += 1
    return model(p, x) - data


def jac(p):
    return funcad.jacobian(residual, p, strategy="forward-mode")


p0 = np.array([2.0, 2.0, 1.0, 2.0, 4.5, 1.0, 2.0, 6.5, 1.0, 0.0, 0.0])
t0 = time.perf_counter()
J_fwd = jac(p0)
t1 = time.perf_counter()
J_rev = funcad.jacobian(residual, p0)                 # strategy="reverse-mode", the default
t2 = time.perf_counter()
assert np.allclose(J_fwd, J_rev, rtol=1e-12, atol=1e-12)
print(f"one {M} x {len(p0)} Jacobian: forward mode {1e3 * (t1 - t0):.1f} ms, "
      f"reverse mode {1e3 * (t2 - t1):.1f} ms")

fits = {}
print(f"3 Gaussian peaks + baseline: m = {M} residuals, n = {len(p0)} parameters")
print(f"{'Jacobian':<22}{'nfev':>6}{'njev':>6}{'f calls':>9}{'cost':>12}{'|p - truth|':>13}{'time':>8}")
for label, j in [("'2-point' (default)", "2-point"), ("funcad forward-mode", jac)]:
    calls = 0
    t0 = time.perf_counter()
    fit = least_squares(residual, p0, jac=j, method="trf", xtol=1e-12, ftol=1e-12, gtol=1e-12)
    seconds = time.perf_counter() - t0
    fits[label] = (fit, calls)
    print(f"{label:<22}{fit.nfev:>6}{fit.njev:>6}{calls:>9}{fit.cost:>12.6f}"
          f"{np.max(np.abs(fit.x - truth)):>13.2e}{seconds:>7.2f}s")

fit, ad_calls = fits["funcad forward-mode"]
fd_fit, fd_calls = fits["'2-point' (default)"]
# the parameters' standard errors from the Jacobian at the optimum: cov = s^2 (J^T J)^-1
J = jac(fit.x)
s2 = 2 * fit.cost / (M - len(fit.x))
stderr = np.sqrt(np.diag(s2 * np.linalg.inv(J.T @ J)))
z = np.abs(fit.x - truth) / stderr
print("fitted parameters:", np.round(fit.x, 3))
print("standard errors:  ", np.round(stderr, 3))
print(f"largest |fitted - true| / standard error: {z.max():.2f}")
assert fit.success and z.max() < 5, "the fit does not recover the true parameters"
assert abs(fit.cost - fd_fit.cost) < 1e-6 * fit.cost, "the two fits disagree"
assert ad_calls < fd_calls
print(f"check passed: {fd_calls} residual calls with finite differences, {ad_calls} with funcad")


def draw(plt):
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.plot(x, data, ".", ms=2, color="0.6", label="data")
    ax.plot(x, model(fit.x, x), "-", label="fit (jac from funcad)")
    ax.plot(x, model(truth, x), "--", label="truth")
    ax.set(xlabel="x", ylabel="y", title="Nonlinear least squares with least_squares(jac=...)")
    ax.legend()
    return fig


save_plot("least_squares.png", draw)

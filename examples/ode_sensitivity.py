"""Sensitivity of an ODE solution to its parameters, by differentiating through an RK4 loop.

The Lotka-Volterra equations  x' = a x - b x y,  y' = d x y - c y  are integrated by a plain
NumPy RK4 loop. funcad differentiates the whole loop: ``jacfwd`` (4 tangents pushed along
the integration) gives d(trajectory)/d(parameters) at every time step, and ``jacrev`` gives
the same at the final time in one backward sweep. Checked against central differences of the
same loop and against the forward sensitivity equations  S' = f_y S + f_p  integrated by
SciPy (with f_y and f_p from funcad too).

Run:  python examples/ode_sensitivity.py [--fast]
"""
import time

import numpy as np
from scipy.integrate import solve_ivp

import funcad
from funcad.func import jacfwd, jacrev
from _support import fast_mode, save_plot

T_END = 10.0
STEPS = 250 if fast_mode() else 1000
H = T_END / STEPS
theta = np.array([1.5, 1.0, 3.0, 1.0])             # a, b, c, d
u0 = np.array([1.0, 1.0])                           # prey, predators


def rhs(u, p):
    x, y = u[0], u[1]
    return np.stack([p[0] * x - p[1] * x * y, p[3] * x * y - p[2] * y])


def trajectory(p):
    """The RK4 solution at every step, shape (STEPS + 1, 2)."""
    u, path = u0, [u0]
    for _ in range(STEPS):
        k1 = rhs(u, p)
        k2 = rhs(u + H / 2 * k1, p)
        k3 = rhs(u + H / 2 * k2, p)
        k4 = rhs(u + H * k3, p)
        u = u + H / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        path.append(u)
    return np.stack(path)


def final_state(p):
    return trajectory(p)[-1]


t0 = time.perf_counter()
S_path = jacfwd(trajectory)(theta)                  # (STEPS + 1, 2, 4): every step at once
t1 = time.perf_counter()
S_rev = jacrev(final_state)(theta)                   # (2, 4): one backward sweep
t2 = time.perf_counter()
eps = 1e-6
S_fd = np.stack([(final_state(theta + eps * e) - final_state(theta - eps * e)) / (2 * eps)
                 for e in np.eye(4)], axis=-1)
t3 = time.perf_counter()


def sensitivity_ode(t, z):                          # state and S = du/dp, flattened
    u, S = z[:2], z[2:].reshape(2, 4)
    f_u = funcad.jacobian(lambda u: rhs(u, theta), u)
    f_p = funcad.jacobian(lambda p: rhs(u, p), theta)
    return np.concatenate([rhs(u, theta), (f_u @ S + f_p).ravel()])


ref = solve_ivp(sensitivity_ode, (0, T_END), np.concatenate([u0, np.zeros(8)]),
                method="DOP853", rtol=1e-10, atol=1e-12)
S_ref = ref.y[2:, -1].reshape(2, 4)

S = S_path[-1]
scale = np.max(np.abs(S))
print(f"Lotka-Volterra, RK4 with {STEPS} steps to t = {T_END:g}; u(T) = {trajectory(theta)[-1]}")
print("du(T)/d(a, b, c, d):\n", np.round(S, 4))
print(f"jacfwd (whole trajectory) {1e3 * (t1 - t0):.0f} ms, jacrev (final state) "
      f"{1e3 * (t2 - t1):.0f} ms, central differences (8 solves) {1e3 * (t3 - t2):.0f} ms")
err_rev = np.max(np.abs(S_rev - S)) / scale
err_fd = np.max(np.abs(S_fd - S)) / scale
err_ref = np.max(np.abs(S_ref - S)) / scale
print(f"relative differences: jacrev {err_rev:.1e}, central differences {err_fd:.1e}, "
      f"sensitivity equations (RK4's own error) {err_ref:.1e}")
assert err_rev < 1e-12, "forward and reverse mode disagree"
assert err_fd < 1e-6, "funcad disagrees with finite differences of the same loop"
assert err_ref < (1e-2 if fast_mode() else 1e-4), "the sensitivities are not those of the ODE"
print("check passed: the derivative of the RK4 loop is the ODE's sensitivity")


def draw(plt):
    t = np.linspace(0, T_END, STEPS + 1)
    path = trajectory(theta)
    fig, (ax1, ax2) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    ax1.plot(t, path[:, 0], label="prey x")
    ax1.plot(t, path[:, 1], label="predators y")
    ax1.set(ylabel="population", title="Lotka-Volterra (RK4)")
    ax1.legend()
    for j, name in enumerate("abcd"):
        ax2.plot(t, S_path[:, 0, j], label=f"dx/d{name}")
    ax2.plot(ref.t, ref.y[2:6].T, "k:", lw=0.8)
    ax2.set(xlabel="t", ylabel="sensitivity of x",
            title="jacfwd through the RK4 loop (dotted: sensitivity equations)")
    ax2.legend(ncol=4)
    return fig


save_plot("ode_sensitivity.png", draw)

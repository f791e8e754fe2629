"""Newton's method for a nonlinear system, with the Jacobian from ``funcad.jacobian``.

The system is the discretised Bratu problem  -u'' = lam * exp(u)  on (0, 1), u(0) = u(1) = 0,
with n interior points: F(u) = 0 is n equations in n unknowns. funcad differentiates the
NumPy residual (one reverse sweep gives the whole n x n Jacobian), Newton solves J du = -F,
and the residual norms show the quadratic rate: each step roughly squares the error, so the
estimated order log(r[k+1]/r[k]) / log(r[k]/r[k-1]) is close to 2.

Run:  python examples/newton_system.py [--fast]
"""
import numpy as np

import funcad
from _support import fast_mode, save_plot

LAM = 3.0                       # close to the fold at lam ~ 3.51, so Newton takes a few steps
N = 40 if fast_mode() else 400
H = 1.0 / (N + 1)


def residual(u):
    """The discretised Bratu operator, in plain NumPy."""
    U = np.concatenate([np.zeros(1), u, np.zeros(1)])          # boundary values
    return (2 * U[1:-1] - U[:-2] - U[2:]) / H**2 - LAM * np.exp(u)


def exact_jacobian(u):
    """The tridiagonal Jacobian by hand, to check funcad against."""
    J = (2 * np.eye(N) - np.eye(N, k=1) - np.eye(N, k=-1)) / H**2
    return J - LAM * np.diag(np.exp(u))


u = np.zeros(N)
norms = [np.linalg.norm(residual(u))]
for k in range(20):
    J = funcad.jacobian(residual, u)
    assert np.allclose(J, exact_jacobian(u), rtol=1e-12, atol=1e-9), "Jacobian is wrong"
    u = u - np.linalg.solve(J, residual(u))
    norms.append(np.linalg.norm(residual(u)))
    if norms[-1] < 1e-9 * norms[0]:
        break

r = np.array(norms)
floor = 1e-12 * r[0]            # below this, rounding, not Newton, sets the residual
orders = [np.log(r[k + 1] / r[k]) / np.log(r[k] / r[k - 1])
          for k in range(1, len(r) - 1) if r[k + 1] > floor]

print(f"Bratu problem, n = {N}, lam = {LAM}: {len(r) - 1} Newton steps")
for k, rk in enumerate(r):
    print(f"  step {k}:  |F(u)| = {rk:.3e}")
print("estimated order of convergence:", ", ".join(f"{p:.2f}" for p in orders))

assert r[-1] < 1e-9 * r[0], "Newton did not converge"
assert len(r) - 1 <= 8, "too many Newton steps for a quadratic method"
assert max(orders) > 1.8, f"convergence is not quadratic: orders {orders}"
print("check passed: quadratic convergence with funcad's Jacobian")


def draw(plt):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.semilogy(r, "o-")
    ax1.set(xlabel="Newton step k", ylabel="|F(u_k)|",
            title="Quadratic convergence: the exponent doubles each step")
    ax1.grid(True, which="both", alpha=0.3)
    x = np.linspace(0, 1, N + 2)
    ax2.plot(x, np.concatenate([[0.0], u, [0.0]]))
    ax2.set(xlabel="x", ylabel="u(x)", title=f"Solution of -u'' = {LAM} exp(u)")
    return fig


save_plot("newton_system.png", draw)

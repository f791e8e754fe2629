"""Logistic regression fitted by Newton's method, with ``funcad.func.grad`` and ``funcad.hessian``.

The loss is the mean logistic loss with a small L2 penalty, written in NumPy. Each Newton
step solves H dw = -g with the exact gradient and Hessian; the gradient norm falls
quadratically, and the answer is checked against the Hessian by hand
(X^T diag(p (1 - p)) X / n + lam I) and against SciPy's BFGS.

Run:  python examples/logistic_regression.py [--fast]
"""
import numpy as np
from scipy.optimize import minimize

import funcad
from _support import fast_mode, save_plot

N = 200 if fast_mode() else 2000
LAM = 1e-3
rng = np.random.default_rng(0)
w_true = np.array([-0.5, 2.0, -3.0])                       # bias, two feature weights
X = np.column_stack([np.ones(N), rng.normal(size=(N, 2))])
y = np.where(rng.random(N) < 1 / (1 + np.exp(-X @ w_true)), 1.0, -1.0)   # labels +-1


def loss(w):
    """Mean logistic loss log(1 + exp(-y x.w)) plus (lam / 2) |w|^2."""
    return np.mean(np.logaddexp(0.0, -y * (X @ w))) + 0.5 * LAM * np.sum(w ** 2)


grad = funcad.func.grad(loss)
w = np.zeros(3)
gnorms = [np.linalg.norm(grad(w))]
for step in range(25):
    g, H = grad(w), funcad.hessian(loss, w)
    w = w - np.linalg.solve(H, g)
    gnorms.append(np.linalg.norm(grad(w)))
    if gnorms[-1] < 1e-12:
        break

print(f"logistic regression, {N} points: {len(gnorms) - 1} Newton steps")
for k, gk in enumerate(gnorms):
    print(f"  step {k}:  |grad| = {gk:.3e}")
print("weights (bias, w1, w2):", np.round(w, 4), " true:", w_true)

p = 1 / (1 + np.exp(-X @ w))
H_by_hand = (X.T * (p * (1 - p))) @ X / N + LAM * np.eye(3)
assert np.allclose(funcad.hessian(loss, w), H_by_hand, rtol=1e-10, atol=1e-12)
assert gnorms[-1] < 1e-10 and len(gnorms) - 1 <= 10, "Newton did not converge quadratically"
bfgs = minimize(loss, np.zeros(3), jac=grad, method="BFGS", options={"gtol": 1e-10})
assert np.allclose(w, bfgs.x, atol=1e-6), "Newton and BFGS disagree"
accuracy = np.mean(np.sign(X @ w) == y)
print(f"training accuracy {accuracy:.3f}; BFGS (jac=funcad) needed {bfgs.nit} iterations")
print("check passed: exact Hessian, quadratic convergence, same answer as BFGS")


def draw(plt):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4.2))
    ax1.semilogy(gnorms, "o-")
    ax1.set(xlabel="Newton step", ylabel="|grad loss|", title="Newton's method")
    ax1.grid(True, which="both", alpha=0.3)
    ax2.scatter(X[:, 1], X[:, 2], c=y, s=6, cmap="coolwarm")
    xs = np.linspace(X[:, 1].min(), X[:, 1].max(), 2)
    ax2.plot(xs, -(w[0] + w[1] * xs) / w[2], "k-", label="fitted boundary")
    ax2.plot(xs, -(w_true[0] + w_true[1] * xs) / w_true[2], "k--", label="true boundary")
    ax2.set(xlabel="x1", ylabel="x2", ylim=(X[:, 2].min(), X[:, 2].max()))
    ax2.legend()
    return fig


save_plot("logistic_regression.png", draw)

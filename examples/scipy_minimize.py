"""``scipy.optimize.minimize`` with ``jac=``, ``hess=`` and ``hessp=`` from funcad.

The 50-dimensional Rosenbrock function, written once in NumPy. Without ``jac=``, SciPy
estimates the gradient by finite differences: n + 1 function calls per gradient, and only
about half the digits. funcad's gradient costs one traced call and one backward sweep, is
exact, and lets second-order methods (trust-exact, Newton-CG) use an exact Hessian or
Hessian-vector product. The table counts iterations, SciPy's call counters, and every call
of the Python objective (including the traced ones inside funcad).

Run:  python examples/scipy_minimize.py [--fast]
"""
import time

import numpy as np
from scipy.optimize import minimize, rosen_der, rosen_hess, rosen_hess_prod

import funcad
from _support import fast_mode, save_plot

N = 20 if fast_mode() else 50
calls = 0


def rosen(x):
    """The n-dimensional Rosenbrock function; counts its own calls."""
    global calls
    calls += 1
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


grad = funcad.func.grad(rosen)                              # x -> gradient
hess = lambda x: funcad.hessian(rosen, x)                   # x -> n x n Hessian
hessp = lambda x, p: funcad.hvp(rosen, x, p)[1]             # (x, p) -> H(x) @ p

# funcad's derivatives against SciPy's hand-written ones for this function
x_test = np.random.default_rng(0).normal(size=N)
p_test = np.random.default_rng(1).normal(size=N)
assert np.allclose(grad(x_test), rosen_der(x_test), rtol=1e-12, atol=1e-12)
assert np.allclose(hess(x_test), rosen_hess(x_test), rtol=1e-12, atol=1e-12)
assert np.allclose(hessp(x_test, p_test), rosen_hess_prod(x_test, p_test), rtol=1e-12, atol=1e-12)

runs = [  # (label, minimize keywords, uses funcad)
    ("BFGS, finite differences", dict(method="BFGS"), False),
    ("BFGS, jac=funcad", dict(method="BFGS", jac=grad), True),
    ("trust-constr, finite differences", dict(method="trust-constr"), False),
    ("trust-constr, jac+hess=funcad", dict(method="trust-constr", jac=grad, hess=hess), True),
    ("Newton-CG, jac=funcad, hessp by differences",
     dict(method="Newton-CG", jac=grad, options={"xtol": 1e-8}), False),
    ("Newton-CG, jac+hessp=funcad",
     dict(method="Newton-CG", jac=grad, hessp=hessp, options={"xtol": 1e-8}), True),
    ("trust-exact, jac+hess=funcad", dict(method="trust-exact", jac=grad, hess=hess), True),
]

x0 = np.zeros(N)
results, histories = {}, {}
print(f"Rosenbrock, n = {N}, from x0 = 0 (minimum at x = 1)")
print(f"{'method':<44}{'iters':>6}{'nfev':>7}{'njev':>6}{'nhev':>6}{'f calls':>9}"
      f"{'|x - 1|':>10}{'time':>8}  converged")
for label, kw, uses_funcad in runs:
    calls, trail = 0, []
    t0 = time.perf_counter()
    res = minimize(rosen, x0, callback=lambda intermediate_result: trail.append(
        intermediate_result.fun), **kw)
    seconds = time.perf_counter() - t0
    err = np.max(np.abs(res.x - 1.0))
    results[label], histories[label] = (res, calls, err, uses_funcad), trail
    print(f"{label:<44}{res.nit:>6}{res.nfev:>7}{res.get('njev', 0):>6}{res.get('nhev', 0):>6}"
          f"{calls:>9}{err:>10.1e}{seconds:>7.2f}s  {res.success}")

for label, (res, ncalls, err, uses_funcad) in results.items():
    if uses_funcad:
        assert err < 1e-4, f"{label}: did not reach the minimum (error {err:.1e})"
fd, ad = results["BFGS, finite differences"], results["BFGS, jac=funcad"]
assert ad[1] * 10 < fd[1], "funcad's gradient should save most objective calls"
assert ad[2] < fd[2], "the exact gradient should give a more accurate minimum"
print(f"BFGS: {fd[1]} objective calls with finite differences, {ad[1]} with funcad "
      f"({fd[1] / ad[1]:.0f}x fewer); error {fd[2]:.1e} -> {ad[2]:.1e}")
print("check passed: every run with funcad's derivatives reaches the minimum")


def draw(plt):
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4.5))
    for label, trail in histories.items():
        style = "-" if results[label][3] else "--"
        ax1.semilogy(np.maximum(trail, 1e-16), style, label=label)
    ax1.set(xlabel="iteration", ylabel="f(x_k)", title=f"Rosenbrock, n = {N}")
    ax1.legend(fontsize=7)
    labels = list(results)
    ax2.barh(range(len(labels)), [results[k][1] for k in labels],
             color=["tab:blue" if results[k][3] else "tab:gray" for k in labels])
    ax2.set_yticks(range(len(labels)), labels, fontsize=7)
    ax2.set_xscale("log")
    ax2.set(xlabel="calls of the Python objective (blue: funcad derivatives)")
    ax2.invert_yaxis()
    return fig


save_plot("scipy_minimize.png", draw)

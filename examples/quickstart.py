"""funcad in one page: grad, jacobian, hessian, vjp, jvp and hvp of a real function,
each checked against SciPy finite differences.

Run:  python examples/quickstart.py
"""
import numpy as np
from scipy import differentiate

import funcad


def rosenbrock(x):
    """The Rosenbrock function in n dimensions, written in plain NumPy."""
    return np.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)


def flow(x):
    """A small nonlinear map R^3 -> R^3 (a vector field)."""
    return np.stack([np.sin(x[0]) * x[1], np.exp(x[1] - x[2]), x[0] * x[1] * x[2]])


def fd_jacobian(f, x):
    """Finite-difference Jacobian from SciPy (the independent oracle)."""
    res = differentiate.jacobian(lambda X: np.apply_along_axis(f, 0, X), x)
    return res.df


def report(name, ad, fd):
    err = np.max(np.abs(np.asarray(ad) - np.asarray(fd)))
    print(f"{name:<10} max |AD - FD| = {err:.2e}")
    assert err < 1e-6 * max(1.0, np.max(np.abs(fd))), f"{name} disagrees with finite differences"


x = np.array([-1.2, 1.0, 0.8, 1.1])
y = np.array([0.3, -0.5, 0.9])
v = np.array([1.0, -2.0, 0.5])

g = funcad.func.grad(rosenbrock)(x)
print("grad of rosenbrock:", g)
report("grad", g, fd_jacobian(rosenbrock, x))

J = funcad.jacobian(flow, y)
print("jacobian of flow:\n", J)
report("jacobian", J, fd_jacobian(flow, y))

H = funcad.hessian(rosenbrock, x)
print("hessian of rosenbrock:\n", H)
report("hessian", H, fd_jacobian(lambda z: funcad.func.grad(rosenbrock)(z), x))

out, vjp = funcad.vjp(flow, y, v)
report("vjp", vjp, v @ fd_jacobian(flow, y))

out, jvp = funcad.jvp(flow, y, v)
report("jvp", jvp, fd_jacobian(flow, y) @ v)

value, hvp = funcad.hvp(rosenbrock, x, np.ones(4))
report("hvp", hvp, H @ np.ones(4))

print("all derivatives agree with finite differences")

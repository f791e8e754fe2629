"""Complex numbers follow torch's convention: for a real loss L of complex z, the gradient
is dL/dRe(z) + i dL/dIm(z) (the conjugate Wirtinger derivative, times 2)."""
import numpy as np
import pytest

import funcad
from funcad.func import grad, jacfwd, jacrev

rng = np.random.default_rng(3)
z0 = rng.normal(size=3) + 1j * rng.normal(size=3)
A0 = rng.normal(size=(3, 3)) + 1j * rng.normal(size=(3, 3))


def torch_grad(f, z, eps=1e-6):
    """dL/dRe + i dL/dIm by central differences."""
    g = np.zeros_like(z)
    for k in np.ndindex(z.shape):
        e = np.zeros_like(z)
        e[k] = 1
        g[k] = (f(z + eps * e) - f(z - eps * e)) / (2 * eps) + 1j * (f(z + 1j * eps * e) - f(z - 1j * eps * e)) / (2 * eps)
    return g


LOSSES = {
    "abs2": lambda z: np.sum(np.abs(z) ** 2),
    "abs": lambda z: np.sum(np.abs(z)),
    "holomorphic": lambda z: np.sum(np.abs(np.exp(z) * np.sin(z) / (z + 3)) ** 2),
    "real-imag": lambda z: np.sum(np.real(z) ** 3 - np.imag(z) * np.real(z ** 2)),
    "conj": lambda z: np.real(np.sum(z * np.conj(z) * z[0])),
    "prod": lambda z: np.abs(np.prod(z)),
    "sum-mean": lambda z: np.abs(np.sum(z)) + np.abs(np.mean(z * 1j)),
    "sqrt-log": lambda z: np.sum(np.abs(np.sqrt(z) + np.log(z))),
    "matmul": lambda z: np.sum(np.abs(A0 @ z) ** 2),
    "indexing": lambda z: np.abs(z[0] * z[2] - z[1] ** 2),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_gradients_of_real_losses_follow_torch(name):
    f = LOSSES[name]
    np.testing.assert_allclose(funcad.vjp(f, z0)[1], torch_grad(f, z0), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad(f)(z0), torch_grad(f, z0), rtol=1e-6, atol=1e-7)


def test_matrix_argument_of_matmul():
    b = rng.normal(size=3) + 1j * rng.normal(size=3)
    f = lambda A: np.sum(np.abs(A @ b) ** 2)
    np.testing.assert_allclose(grad(f)(A0), torch_grad(f, A0), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("case", ["matrix-vector", "vector-matrix", "vector-vector", "stack-vector"])
def test_both_operands_of_complex_matmul_with_a_vector(case):
    """Each operand's gradient, for each way a vector enters matmul (the rules differ)."""
    a, b = {"matrix-vector": (A0, z0), "vector-matrix": (z0, A0), "vector-vector": (z0, z0[::-1].copy()),
            "stack-vector": (np.stack([A0, A0.T]), z0)}[case]
    loss = lambda p, q: np.sum(np.abs(p @ q) ** 2)
    np.testing.assert_allclose(grad(loss, 0)(a, b), torch_grad(lambda p: loss(p, b), a), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(grad(loss, 1)(a, b), torch_grad(lambda q: loss(a, q), b), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(jacfwd(lambda q: a @ q)(b), np.asarray(jacrev(lambda q: a @ q)(b)), rtol=1e-12)


def test_real_input_of_complex_computation_gets_real_gradient():
    f = lambda x: np.sum(np.abs(x * (1 + 2j) + A0[0]) ** 2)
    x = np.array([0.3, -0.2, 0.5])
    g = grad(f)(x)
    assert g.dtype == np.float64
    np.testing.assert_allclose(g, np.real(torch_grad(lambda z: f(z), x.astype(complex))), rtol=1e-6)


def test_holomorphic_jacobians_are_complex_matrices():
    f = lambda z: np.exp(z) * z ** 2
    J = np.diag(np.exp(z0) * (z0 ** 2 + 2 * z0))
    np.testing.assert_allclose(jacfwd(f)(z0), J)
    np.testing.assert_allclose(jacrev(f)(z0), J)
    np.testing.assert_allclose(funcad.jacobian(f, z0), J)
    np.testing.assert_allclose(funcad.jacobian(f, z0, strategy="forward-mode"), J)
    # the VJP itself follows torch: J^H v
    v = np.array([1.0, 1j, 2.0])
    np.testing.assert_allclose(funcad.vjp(f, z0, v)[1], np.conj(J).T @ v)


def test_jacobian_of_complex_output_of_real_input():
    f = lambda x: np.exp(1j * x) * x
    x = np.array([0.3, -1.2])
    J = np.diag(np.exp(1j * x) * (1 + 1j * x))
    np.testing.assert_allclose(jacrev(f)(x), J)
    np.testing.assert_allclose(jacfwd(f)(x), J)


def test_jvp_of_abs_is_directional_derivative():
    t = np.array([1j, 1.0, -1.0 + 0.5j])
    out, jv = funcad.jvp(np.abs, z0, t)
    eps = 1e-7
    np.testing.assert_allclose(jv, (np.abs(z0 + eps * t) - np.abs(z0 - eps * t)) / (2 * eps), rtol=1e-6)


def test_max_of_complex_is_refused_clearly():
    with pytest.raises(NotImplementedError, match="not ordered"):
        grad(lambda z: np.abs(np.max(z)))(z0)

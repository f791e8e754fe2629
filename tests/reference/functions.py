"""Catalog of small test functions, written once against an array module ``xp``.

Every function takes the array module first (``xp=torch`` or ``xp=numpy``), then its
inputs, e.g. ``exp_adder(xp, x, y)``. Only operations whose names and meanings agree in
both modules are used (``exp``, ``sin``, ``cos``, ``tanh``, ``log``, ``sign``, ``floor``,
``ones_like``, ``zeros_like``, ``linalg.norm``, ``.sum()`` / ``.sum(axis=k)``, ``**``,
``@``, basic slicing), so the very same code runs under torch (to produce the reference
data in ``torch_functional.json``) and under NumPy (traced by funcad in the tests).

``FUNCTIONS`` maps each name to its function; the JSON cases refer to functions by name.

What torch treats as "independent" (the ``strict=True`` rule) is *structural*: an output is
independent of an input when the autograd graph does not connect them, whatever the
numbers are.

* ``x * 0.0``, ``xp.sign(x)``, ``xp.floor(x)`` ARE connected (they have a ``grad_fn``);
  their derivative is zero but ``strict=True`` does not raise for them.
* ``xp.ones_like(x)`` / ``xp.zeros_like(x)`` are NOT connected: ``ones_like`` only reads
  the shape and dtype, so its result does not require grad. ``constant_like`` and the
  second output of ``half_constant`` are therefore "independent" in torch's sense.
* An input the function never reads (``uses_first_only``'s ``y``) is independent.
* With ``create_graph=True`` and ``strict=True`` torch also refuses a derivative that
  does not itself require grad, which again is a structural property: the vjp of a
  linear map (``linear``, ``x * 0.0``, the ``3 * y`` part of ``exp_adder``) or of a
  zero-derivative op (``sign``) is built from ``v`` and constants only. The Hessian of
  ``(x * x).sum()`` is refused there, but that of ``(x ** 2).sum()`` is not: torch
  differentiates ``x ** 2`` as ``2 * x ** 1`` and ``x ** 1`` is still connected to ``x``.
"""

from __future__ import annotations


def norm(xp, y):
    """Euclidean (Frobenius) norm; ``xp.linalg.norm`` exists in both torch and NumPy."""
    return xp.linalg.norm(y)


def asarray(xp, data):
    """A float64 constant in the given array module (``xp.float64`` exists in both)."""
    return xp.asarray(data, dtype=xp.float64)


# ----------------------------------------------------------------------------------------
# Examples from the torch.autograd.functional documentation / the autograd tutorial.

def exp_reducer(xp, x):
    """(m, n) -> (m,): the torch docs' exp_reducer."""
    return xp.exp(x).sum(axis=1)


def exp_adder(xp, x, y):
    """Tuple inputs, single output: the torch docs' exp_adder."""
    return 2 * xp.exp(x) + 3 * y


def do_some_doubling(xp, x):
    """The autograd tutorial's data-dependent loop (dynamic graph)."""
    y = x * 2
    while norm(xp, y) < 1000:
        y = y * 2
    return y


def pow_reducer(xp, x):
    """Scalar output, the torch docs' Hessian example: sum(x ** 3)."""
    return (x ** 3).sum()


def pow_adder_reducer(xp, x, y):
    """Separable scalar function of two inputs (torch docs): Hessian strict fails."""
    return (2 * x ** 2 + 3 * y ** 2).sum()


# ----------------------------------------------------------------------------------------
# Single input, single output.

def sin_times(xp, x):
    """Elementwise, same shape out as in."""
    return xp.sin(x) * x


def tanh_matmul(xp, x):
    """(2, 3) -> (2, 2) through a constant matrix."""
    w = asarray(xp, [[1.0, -2.0], [0.5, 3.0], [-1.5, 0.25]])
    return xp.tanh(x) @ w


def indexing(xp, x):
    """(2, 3) -> (3,) with basic indexing and slicing."""
    return x[0] * xp.exp(x[1]) + x[:, 2].sum()


def rosenbrock(xp, x):
    """(n,) -> () the Rosenbrock function."""
    return ((1 - x[:-1]) ** 2).sum() + 100 * ((x[1:] - x[:-1] ** 2) ** 2).sum()


def scalar_0d(xp, x):
    """0-d -> 0-d."""
    return xp.sin(x) * x ** 2


def to_0d(xp, x):
    """Any shape -> 0-d scalar."""
    return (xp.exp(x) * x).sum()


def single_element_out(xp, x):
    """(n,) -> (1,): a single-element output that is not 0-d."""
    return x[:1] * x[1:2] + x[2:3] ** 3


def log_mul(xp, x, y):
    """Two inputs (x > 0), elementwise log."""
    return xp.log(x) * y


def from_0d(xp, x, y):
    """A 0-d input and a (n,) input -> (n,)."""
    return x * y + xp.cos(x)


# ----------------------------------------------------------------------------------------
# Tuple outputs.

def sin_cos(xp, x):
    """One input, two outputs."""
    return xp.sin(x), xp.cos(x) * x


def two_in_two_out(xp, x, y):
    """Two inputs, two outputs, every output uses every input."""
    return x * y, xp.exp(x) + y ** 2


def mixed_shapes(xp, x, y):
    """x (2, 3), y (3,) -> ((3,), (2,))."""
    return (x * y).sum(axis=0) + xp.sin(y), x @ y


def tuple_len1_out(xp, x):
    """Returns a tuple of length 1."""
    return (x * 2.0 + xp.sin(x),)


def partly_coupled(xp, x, y):
    """(sin(x), x * y): each input feeds some output (vjp/jvp strict pass) but output 0
    does not depend on y (jacobian strict fails)."""
    return xp.sin(x), x * y


def scalar_tuple(xp, x):
    """Returns a tuple of scalars: not allowed for hessian/hvp/vhp."""
    return (x ** 3).sum(), x.sum()


# ----------------------------------------------------------------------------------------
# Scalar functions of several inputs (hessian / hvp / vhp).

def coupled_scalar(xp, x, y):
    """Every Hessian block depends on the inputs: hessian strict passes."""
    return (xp.sin(x) * y ** 2).sum()


def bilinear(xp, x, y):
    """sum(x * y): d2/dx2 is structurally zero, so hessian strict fails."""
    return (x * y).sum()


def three_inputs(xp, x, y, z):
    """Three inputs of different shapes: x (2,), y (2,), z 0-d."""
    return (x * y * xp.exp(z)).sum() + (x ** 3).sum() * z


def scalar_ignores_y(xp, x, y):
    """Scalar output that does not read y."""
    return (x ** 3).sum()


def square_sum_pow(xp, x):
    """sum(x ** 2): constant Hessian, yet torch's third derivative stays connected."""
    return (x ** 2).sum()


def square_sum_mul(xp, x):
    """sum(x * x): constant Hessian and structurally disconnected third derivative."""
    return (x * x).sum()


def quadratic_form(xp, x):
    """x @ A @ x with a constant A: constant Hessian A + A.T."""
    a = asarray(xp, [[2.0, 1.0, 0.0], [-1.0, 3.0, 0.5], [0.0, 0.25, 1.0]])
    return x @ a @ x


def floor_coupled(xp, x, y):
    """sum(x ** 2) + sum(y * floor(x)): y's gradient floor(x) is connected to x only,
    and floor's derivative is a disconnected zero, so nothing in the gradient depends on
    y: vhp strict raises "The jacobian ... is independent of input 1", hvp strict raises
    "... independent of entry 1 in the grad_jacobian"."""
    return (x ** 2).sum() + (y * xp.floor(x)).sum()


# ----------------------------------------------------------------------------------------
# Independence (strict=True) probes.

def uses_first_only(xp, x, y):
    """The output never reads y."""
    return xp.sin(x) * 2


def linear(xp, x):
    """Affine map: Jacobian constant (create_graph + strict fails)."""
    return 3 * x + 1


def linear_scalar(xp, x):
    """Linear scalar function: its gradient is constant (hessian strict fails)."""
    return (2 * x).sum()


def matvec_linear(xp, x):
    """(3,) -> (2,) constant matrix times x."""
    a = asarray(xp, [[1.0, 2.0, 3.0], [-1.0, 0.5, 0.0]])
    return a @ x


def constant_like(xp, x):
    """Independent of x in torch's sense: ones_like reads only shape and dtype."""
    return xp.ones_like(x)


def constant_scalar(xp, x):
    """A scalar that does not depend on x (sum of ones_like)."""
    return xp.ones_like(x).sum()


def half_constant(xp, x):
    """Two outputs; the second (zeros_like) does not depend on x."""
    return x * 2, xp.zeros_like(x)


def times_zero(xp, x):
    """x * 0.0 IS connected to x in torch (zero derivative, but not independent)."""
    return x * 0.0


def sign_scaled(xp, x):
    """sign(x) * 3: connected (SignBackward), derivative zero everywhere."""
    return xp.sign(x) * 3.0


FUNCTIONS = {
    name: obj
    for name, obj in list(globals().items())
    if callable(obj) and not name.startswith("_") and name not in ("norm", "asarray")
    and getattr(obj, "__module__", None) == __name__
}

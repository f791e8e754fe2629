"""Products that contract axes: matmul, dot, outer (tensordot, einsum and friends too).

``matmul_p`` takes operands of rank >= 2 and broadcasts over their leading axes, so batch
axes of a tangent or cotangent ride along; the NumPy-facing ``matmul`` turns vectors into
matrices first and squeezes after.
"""
from __future__ import annotations

import math

import numpy as np

from .broadcast import align, fit, ndim_of, reshape_p, shape_of, unbroadcast
from .elementwise import conj_p, is_complex, real_if_real
from .registry import UFUNCS, defreads, implements, primitive
from .shape import transpose_p

def _is_identity(a, s) -> bool:
    """Is the 2-D array ``a`` (shape ``s``) an identity matrix? A few entries reject almost
    any other matrix at once; the full test counts nonzeros and reads the diagonal."""
    n = s[0]
    if n != s[1] or n < 2 or a[0, 0] != 1 or a[0, 1] != 0 or a[n - 1, n - 1] != 1 or a[n - 1, 0] != 0:
        return False
    return np.count_nonzero(a) == n and bool(np.all(a.ravel()[::n + 1] == 1))


def _matmul(x, y):
    """``np.matmul``, with two shortcuts for the products forward sweeps make:

    - an identity operand (jacfwd and hessian seed their tangents with the identity, and
      ``A @ x`` pushes it through at once) is a copy, not a GEMM (halves W5's work); the
      copy is exact where a BLAS product would spread an inf or NaN as ``0 * inf``;
    - a stack of matrices against a single matrix is folded into one GEMM: batched tangents
      and cotangents arrive as stacks (B, m, k) against a plain (k, n), and NumPy would run
      B small products (measured 2.3x slower for W4).
    """
    sx, sy = shape_of(x), shape_of(y)
    nx, ny = len(sx), len(sy)
    if nx < 2 or ny < 2:
        return np.matmul(x, y)
    if nx == 2 and ny == 2:
        if type(x) is np.ndarray and _is_identity(x, sx):
            return np.array(y, dtype=np.result_type(x, y))
        if type(y) is np.ndarray and _is_identity(y, sy):
            return np.array(x, dtype=np.result_type(x, y))
    if sx[-1] == 1:   # an outer product: broadcasting beats a stack of tiny GEMMs
        return np.multiply(x, y)
    if nx > 2 and ny == 2:
        return np.matmul(np.reshape(x, (-1, sx[-1])), y).reshape(sx[:-1] + (sy[-1],))
    if nx == 2 and ny > 2:
        yt = np.swapaxes(y, -1, -2)
        r = np.matmul(np.reshape(yt, (-1, yt.shape[-1])), np.transpose(x))
        return np.swapaxes(r.reshape(yt.shape[:-1] + (sx[0],)), -1, -2)
    return np.matmul(x, y)


matmul_p = primitive(_matmul, "matmul")


def mT(x):
    """Swap the last two axes (a plain matrix's ``.T`` view at once: rules call this often)."""
    if type(x) is np.ndarray and x.ndim == 2:
        return x.T
    return transpose_p(x, (1, 0))


def mH(x):
    """The conjugate transpose of the last two axes (the transpose for real ``x``)."""
    return mT(conj_p(x)) if is_complex(x) else mT(x)


# The rules for matrices (rank >= 2); ``ans`` is only asked for its shape.
def _mm_vjp_x(g, ans, x, y):
    return real_if_real(unbroadcast(matmul_p(g, mH(y)), shape_of(x), ndim_of(g) - ndim_of(ans)), x)


def _mm_vjp_y(g, ans, x, y):
    return real_if_real(unbroadcast(matmul_p(mH(x), g), shape_of(y), ndim_of(g) - ndim_of(ans)), y)


def _mm_jvp_x(t, ans, x, y):
    t, nb = align(t, x, ans)
    return fit(matmul_p(t, y), ans, nb)


def _mm_jvp_y(t, ans, x, y):
    t, nb = align(t, y, ans)
    return fit(matmul_p(x, t), ans, nb)


class _Shape:
    """Stands in for an answer whose shape is all a rule asks of it."""

    __slots__ = ("shape",)

    def __init__(self, shape):
        self.shape = shape


def _as_matrices(x, y, xs, ys):
    """A vector operand as a matrix, as np.matmul treats it: x (n,) as (1, n), y (n,) as
    (n, 1); returns the two operands and the matrix answer's stand-in."""
    if len(xs) == 1:
        x, xs = reshape_p(x, (1,) + xs, 1), (1,) + xs
    if len(ys) == 1:
        y, ys = reshape_p(y, ys + (1,), 1), ys + (1,)
    bx, by = xs[:-2], ys[:-2]
    batch = bx if bx == by or not by else by if not bx else np.broadcast_shapes(bx, by)
    return x, y, _Shape(batch + (xs[-2], ys[-1]))


def _conj(x):
    return conj_p(x) if is_complex(x) else x


def _col(v):
    """(..., n) -> (..., n, 1)."""
    return reshape_p(v, shape_of(v)[-1:] + (1,), 1)


def _row(v):
    """(..., n) -> (..., 1, n)."""
    return reshape_p(v, (1,) + shape_of(v)[-1:], 1)


# A matrix times a vector, the common case, by direct formulas (batch axes of the tangent
# or cotangent ride along in front): x (m, n) @ y (n,), x (n,) @ y (n, p), and x (n,) @ y (n,).
MATRIX_VECTOR = {
    ("vjp", 0): lambda g, x, y: real_if_real(_col(g) * _conj(y), x),
    ("vjp", 1): lambda g, x, y: real_if_real(matmul_p(g, _conj(x)), y),
    ("jvp", 0): lambda t, x, y: matmul_p(t, y),
    ("jvp", 1): lambda t, x, y: matmul_p(t, mT(x)),
}
VECTOR_MATRIX = {
    ("vjp", 0): lambda g, x, y: real_if_real(matmul_p(g, mH(y)), x),
    ("vjp", 1): lambda g, x, y: real_if_real(_col(_conj(x)) * _row(g), y),
    ("jvp", 0): lambda t, x, y: matmul_p(t, y),
    ("jvp", 1): lambda t, x, y: matmul_p(x, t),
}
VECTOR_VECTOR = {   # a dot product: the scalar cotangent scales the other vector
    ("vjp", 0): lambda g, x, y: real_if_real(_unit_axis(g) * _conj(y), x),
    ("vjp", 1): lambda g, x, y: real_if_real(_unit_axis(g) * _conj(x), y),
    ("jvp", 0): lambda t, x, y: matmul_p(t, y),
    ("jvp", 1): lambda t, x, y: matmul_p(t, x),
}


def _unit_axis(s):
    """(...) -> (..., 1): a scalar (with batch axes) ready to scale a vector."""
    return reshape_p(s, (1,), 0)


def _vector_aware(matrix_rule, i, kind):
    """Rule ``i`` of matmul for any operand ranks: matrices go straight to ``matrix_rule``,
    a matrix and a vector or two vectors to the direct formulas above; otherwise (a stack
    of matrices and a vector) the rule runs on the matrix forms, reshaping only the tangent
    or cotangent and the operands, so the traced primal is one primitive."""
    mv, vm, vv = MATRIX_VECTOR[kind, i], VECTOR_MATRIX[kind, i], VECTOR_VECTOR[kind, i]

    def rule(c, ans, x, y):
        xs, ys = shape_of(x), shape_of(y)
        if len(xs) > 1 and len(ys) > 1:
            return matrix_rule(c, ans, x, y)
        if len(xs) == 2 and len(ys) == 1:
            return mv(c, x, y)
        if len(xs) == 1:
            if len(ys) == 2:
                return vm(c, x, y)
            if len(ys) == 1:
                return vv(c, x, y)
        xm, ym, am = _as_matrices(x, y, xs, ys)
        arg_shape, argm = (xs, ys)[i], (xm, ym)[i]
        if kind == "vjp":   # ans-shaped cotangent in, argument-shaped out
            c = reshape_p(c, am.shape, len(shape_of(ans)))
            return reshape_p(matrix_rule(c, am, xm, ym), arg_shape, len(shape_of(argm)))
        c = reshape_p(c, shape_of(argm), len(arg_shape))   # argument-shaped tangent in
        return reshape_p(matrix_rule(c, am, xm, ym), shape_of(ans), len(am.shape))
    return rule


matmul_p.vjps = (_vector_aware(_mm_vjp_x, 0, "vjp"), _vector_aware(_mm_vjp_y, 1, "vjp"))
matmul_p.jvps = (_vector_aware(_mm_jvp_x, 0, "jvp"), _vector_aware(_mm_jvp_y, 1, "jvp"))
# Each rule reads both operands (the vector forms reshape them) but only the answer's
# shape, so `tanh(X @ W + b)` writes the sum into the product's buffer.
defreads(matmul_p, (False, {0, 1}), (False, {0, 1}))


@implements(np.matmul)
def matmul(a, b, /, out=None, **kw):
    if out is not None:
        raise NotImplementedError("matmul(..., out=...) is not supported on traced values")
    if not shape_of(a) or not shape_of(b):
        raise ValueError("matmul: Input operand does not have enough dimensions")
    return matmul_p(a, b)


UFUNCS[np.matmul] = matmul


@implements(np.dot)
def dot(a, b, out=None):
    if out is not None:
        raise NotImplementedError("dot(..., out=...) is not supported on traced values")
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        return a * b
    if nb <= 2:
        return matmul(a, b)
    return tensordot(a, b, axes=([-1], [-2]))


@implements(np.outer)
def outer(a, b, out=None):
    from .shape import ravel
    a, b = ravel(a), ravel(b)
    return reshape_p(a, shape_of(a) + (1,), 1) * reshape_p(b, (1,) + shape_of(b), 1)


@implements(np.tensordot)
def tensordot(a, b, axes=2):
    """Contract ``a``'s axes ``axes[0]`` with ``b``'s ``axes[1]`` as one matmul."""
    from .shape import reshape, transpose
    na, nb = ndim_of(a), ndim_of(b)
    if isinstance(axes, (int, np.integer)):
        ax_a, ax_b = list(range(na - axes, na)), list(range(axes))
    else:
        ax_a, ax_b = axes
        ax_a = [ax_a] if isinstance(ax_a, (int, np.integer)) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, (int, np.integer)) else list(ax_b)
    ax_a, ax_b = [x % na for x in ax_a], [x % nb for x in ax_b]
    sa, sb = shape_of(a), shape_of(b)
    if [sa[i] for i in ax_a] != [sb[i] for i in ax_b]:
        raise ValueError("shape-mismatch for sum")
    free_a = [i for i in range(na) if i not in ax_a]
    free_b = [i for i in range(nb) if i not in ax_b]
    k = math.prod(sa[i] for i in ax_a)
    a2 = reshape(transpose(a, free_a + ax_a), (-1, k))
    b2 = reshape(transpose(b, ax_b + free_b), (k, -1))
    return reshape(matmul_p(a2, b2), tuple(sa[i] for i in free_a) + tuple(sb[i] for i in free_b))

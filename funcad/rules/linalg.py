"""Linear algebra: ``numpy.linalg`` (and ``numpy.trace``) and ``scipy.linalg``.

Each decomposition or solver is one primitive with a VJP and a JVP rule; the rest
(``norm``, ``matrix_power``, ``multi_dot``, ``tensorsolve``, ``cho_solve``, ``lu_solve``...)
are compositions of those primitives and of funcad's shape and contraction primitives.
Rules are written in funcad's own operations and call these primitives again (a solve
inside a rule is ``solve_p``, not ``np.linalg.solve``), so every derivative differentiates
again, to any order. Cotangents and tangents may carry leading batch axes; rules act on the
trailing (matrix) axes and broadcast like NumPy's stacked linear algebra.

Formulas (the standard stable ones; torch's ``FunctionsManual.cpp`` where it has them):

* ``inv``: ``dX = -X dA X``, ``gA = -X^H g X^H``. ``solve``: ``gB = solve(A^H, g)``,
  ``gA = -gB X^H`` (a solve with ``A^H``, never an inverse). ``det``: ``det * tr(solve(A, dA))``;
  ``slogdet``: the sign has no derivative for real matrices (``i * sign * Im tr(A^-1 dA)``
  for complex ones). A singular matrix raises NumPy's ``LinAlgError`` in ``det``'s rules.
* ``eigh``: ``F_ij = 1 / (w_j - w_i)``. At repeated eigenvalues the eigenvectors are not
  unique and their derivative is ``inf``/``nan``, exactly as in torch (``eigvalsh``, which
  needs no ``F``, stays finite). ``svd``: torch's formulas with ``E_ij = s_j^2 - s_i^2``;
  repeated singular values give ``inf``/``nan`` for ``U``/``Vh`` likewise, and a zero
  singular value of a non-square matrix gives ``inf`` through ``S^-1``. ``eig``: ``dw =
  diag(V^-1 dA V)``; eigenvectors follow LAPACK's normalisation (unit 2-norm, largest
  component real), so the derivative is that of the vectors NumPy actually returns;
  repeated eigenvalues give ``inf``/``nan`` for the eigenvectors, as in torch.
* Functions that read only one triangle (``cholesky``, ``eigh``/``eigvalsh`` with ``UPLO``,
  ``pinv(hermitian=True)``, ``scipy.linalg.solve(assume_a='sym'/'pos'/...)``,
  ``solve_triangular``, ``cho_solve``) are differentiated as the functions NumPy/SciPy
  compute: the derivative with respect to the ignored triangle is 0, and an entry ``a_ij``
  of the read triangle gets ``G_ij + G_ji`` (``G`` the symmetric gradient torch returns).
  For a symmetric input built as ``X @ X.T`` both give the same chain-rule result.
* ``qr`` (``mode='reduced'`` or ``'r'``, any shape; ``'complete'`` when ``m <= n``):
  torch's formulas; ``m < n`` is the QR of the first ``m`` columns. The signs of ``R``'s
  diagonal are LAPACK's (minus the sign of the entry each Householder step reflects, kept
  where the column below it is already 0), so NumPy's ``qr`` jumps where such an entry
  or column is exactly 0 (a triangular or permutation matrix): the derivative there is that
  of the factors NumPy returns, continued smoothly, as in torch. ``svd(full_matrices=
  True)`` of a non-square matrix: the extra columns of ``U`` (rows of ``Vh``) are not unique
  and have no derivative: reverse mode raises ``NotImplementedError`` if a result depends on
  them, forward mode gives them a ``nan`` tangent.
* ``pinv`` and ``lstsq``'s solution: the Golub-Pereyra formula (exact where the rank is
  locally constant, e.g. full rank). ``lstsq`` returns ``(x, residuals, rank, s)``: ``x``,
  ``residuals`` and ``s`` are differentiable (in ``a`` and ``b``), ``rank`` is an integer.
* ``expm``: the Frechet derivative is the upper-right block of ``expm([[A, E], [0, A]])``
  (Higham, Functions of Matrices, 3.6); its adjoint is the same with ``A^H``. ``logm``:
  ``dX = L_exp(X)^-1 dA`` (``X = logm(A)``), solved with the n^2 x n^2 Frechet matrix of
  ``expm`` for n <= 8 and by the block formula with ``logm`` beyond. ``sqrtm``:
  ``X dX + dX X = dA``, a Sylvester equation (``solve_sylvester``).
* Speed: rules push a Jacobian's worth of directions at once, and SciPy loops over stacks
  in Python; stacks of triangular solves (substitution), Sylvester equations (Kronecker
  form) and matrix exponentials (Pade 13) are therefore vectorised here. The user's own
  call still returns SciPy's result.
* Norms: torch's conventions at kinks (``kinks.vector_norm_partial``): the derivative of a
  norm at 0 is 0, ``ord < 1`` gives 0 at zero entries, ``ord=+-inf`` splits between ties.
  Matrix norms ``1``, ``inf`` are max/min of sums of ``abs``; ``2``, ``-2``, ``'nuc'`` go
  through singular values.

Complex inputs follow torch's convention (VJP of a holomorphic map is ``J^H g``; of a
real-valued one ``df/dRe + i df/dIm``) in ``inv``, ``solve``, ``det``, ``slogdet``,
``eig``, ``solve_triangular``, the matrix functions, the Sylvester, LU and Cholesky solves,
and vector norms. ``cholesky``, ``eigh``, ``svd``, ``qr``, ``pinv``, ``lstsq`` and
``solve_banded`` raise ``NotImplementedError`` for complex inputs.
"""
from __future__ import annotations

import math
import operator
import numpy as np
import scipy.linalg as sla
from scipy.linalg.blas import get_blas_funcs
from scipy.linalg.lapack import get_lapack_funcs

from ..core import value_of
from . import kinks
from .broadcast import (align, broadcast_p, dtype_of, fit, keep_reduced, ndim_of, reshape_p, shape_of, sum_p,
                        unbroadcast)
from .contractions import dot, matmul_p, mH, mT, outer as _outer
from .elementwise import conj_p, is_complex, where_p
from .indexing import getitem, getitem_p, untake_p
from .reductions import expand_reduced, max as _max, min as _min, norm_axis, sum as _sum
from .registry import implements, primitive
from .shape import astype, concat_p, moveaxis, reshape, slice_axis_p, transpose, transpose_p
from .ufuncs import absolute, imag, real

_LA = np.linalg
_NOVALUE = np._NoValue


# =========================================================================================
# Small helpers: dtypes, conjugate transpose, triangles, diagonals
# =========================================================================================
def _mm(a, b):
    return matmul_p(a, b)


def _eye(n: int, like) -> np.ndarray:
    return np.eye(n, dtype=dtype_of(like))


def _tri_mask(m: int, n: int, lower: bool, k: int = 0) -> np.ndarray:
    """Boolean mask of the lower (``tril(., k)``) or upper (``triu(., k)``) part."""
    return np.tri(m, n, k, dtype=bool) if lower else ~np.tri(m, n, k - 1, dtype=bool)


def _tril(x, k: int = 0):
    m, n = shape_of(x)[-2:]
    return where_p(_tri_mask(m, n, True, k), x, 0)


def _triu(x, k: int = 0):
    m, n = shape_of(x)[-2:]
    return where_p(_tri_mask(m, n, False, k), x, 0)


def _tri(x, lower: bool, unit: bool = False):
    """The triangle a triangular solver reads (strict when the diagonal is implicitly 1)."""
    k = (-1 if lower else 1) if unit else 0
    return _tril(x, k) if lower else _triu(x, k)


def _diag(x):
    """Main diagonal of the last two axes (batch-safe: a gather on trailing axes)."""
    n = min(shape_of(x)[-2:])
    i = np.arange(n)
    return getitem_p(x, (i, i), 2)


def _diag_embed(v):
    """Square matrices with ``v`` (last axis) on the diagonal."""
    n = shape_of(v)[-1]
    i = np.arange(n)
    return untake_p(v, (i, i), (n, n), 1)


def _row(v):
    """``v[..., None, :]``."""
    return reshape_p(v, (1, shape_of(v)[-1]), 1)


def _col(v):
    """``v[..., :, None]``."""
    return reshape_p(v, (shape_of(v)[-1], 1), 1)


def _trace2(x):
    return sum_p(_diag(x), (-1,), 1, False)


def _sym_from_tri(t, lower: bool):
    """The symmetric matrix a triangle-reading routine sees: ``tril(t) + tril(t, -1)^T``."""
    return _tri(t, lower) + mT(_tril(t, -1) if lower else _triu(t, 1))


def _tri_grad(G, lower: bool):
    """Gradient with respect to the read triangle of a function of the symmetric matrix
    built from it, given its symmetric gradient ``G``: ``G_ij + G_ji`` off the diagonal,
    ``G_ii`` on it, 0 in the ignored triangle."""
    n = shape_of(G)[-1]
    strict = _tri_mask(n, n, lower, -1 if lower else 1)
    return where_p(strict, G + mT(G), where_p(np.eye(n, dtype=bool), G, 0))


def _gap_matrix(w):
    """``E_ij = w_j - w_i`` with 1 on the diagonal (divided into, then the diagonal reset)."""
    n = shape_of(w)[-1]
    return where_p(np.eye(n, dtype=bool), 1, _row(w) - _col(w))


def _offdiag_div(x, e):
    n = shape_of(x)[-1]
    return where_p(np.eye(n, dtype=bool), 0, x / e)


def _real_only(x, name: str) -> None:
    if is_complex(x):
        raise NotImplementedError(
            f"funcad: the derivative of {name} of a complex matrix is not implemented (only "
            f"real inputs). Split the problem into real and imaginary parts, or apply "
            f"{name} to funcad.stop_gradient(x) if you do not need its derivative.")


def _square(x, name: str) -> None:
    s = shape_of(x)
    if len(s) < 2 or s[-1] != s[-2]:
        raise _LA.LinAlgError(f"{name}: last 2 dimensions of the array must be square, got shape {s}")


def _keep_precision(out, ref):
    """SciPy sometimes promotes float32 to float64: give ``out`` ``ref``'s precision
    (real or complex as ``out`` is)."""
    out = np.asarray(out)
    rd = np.result_type(ref)
    if rd.kind not in "fc" or out.dtype.kind not in "fc":
        return out
    want = (np.zeros(0, rd) * 1j).dtype if out.dtype.kind == "c" else np.zeros(0, rd).real.dtype
    return out.astype(want, copy=False) if out.dtype != want else out


def _check_finite(name: str, *xs) -> None:
    for x in xs:
        if not np.all(np.isfinite(value_of(x))):
            raise ValueError(f"{name}: array must not contain infs or NaNs (pass check_finite=False "
                             f"to skip this check)")


def _as_matrix_rhs(b):
    """A right-hand side ``b`` of shape (n,) as (n, 1); returns (b2, was_vector)."""
    if ndim_of(b) == 1:
        return reshape_p(b, shape_of(b) + (1,), 1), True
    return b, False


def _drop_rhs_axis(x):
    return reshape_p(x, shape_of(x)[:-1], ndim_of(x))


def _result(cls_name: str, *values):
    cls = getattr(getattr(_LA, "_linalg", None), cls_name, None)
    return cls(*values) if cls is not None else tuple(values)


# =========================================================================================
# inv, solve, det, slogdet
# =========================================================================================
def _inv_impl(a, scipy=False):
    return _keep_precision(sla.inv(a, check_finite=False), a) if scipy else _LA.inv(a)


inv_p = primitive(_inv_impl, "inv")
inv_p.jvps = (lambda t, ans, a, scipy=False: -_mm(_mm(ans, t), ans),)
inv_p.vjps = (lambda g, ans, a, scipy=False: -_mm(_mm(mH(ans), g), mH(ans)),)


def _solve_impl(a, b, scipy_opts=None):
    if np.ndim(b) < np.ndim(a):      # unambiguous stacking (NumPy 1.x reads b.ndim == a.ndim-1 as vectors)
        b = np.reshape(b, (1,) * (np.ndim(a) - np.ndim(b)) + np.shape(b))
    if scipy_opts is None:
        return _LA.solve(a, b)
    return _keep_precision(sla.solve(a, b, check_finite=False, **dict(scipy_opts)), np.result_type(a, b))


solve_p = primitive(_solve_impl, "solve")


def _solve_jvp_a(t, ans, a, b, scipy_opts=None):
    t, nb = align(t, a, ans)
    return fit(-solve_p(a, _mm(t, ans)), ans, nb)


def _solve_jvp_b(t, ans, a, b, scipy_opts=None):
    t, nb = align(t, b, ans)
    return fit(solve_p(a, t), ans, nb)


def _solve_vjp_a(g, ans, a, b, scipy_opts=None):
    gb = solve_p(mH(a), g)
    return unbroadcast(-_mm(gb, mH(ans)), shape_of(a), ndim_of(g) - ndim_of(ans))


def _solve_vjp_b(g, ans, a, b, scipy_opts=None):
    return unbroadcast(solve_p(mH(a), g), shape_of(b), ndim_of(g) - ndim_of(ans))


solve_p.jvps = (_solve_jvp_a, _solve_jvp_b)
solve_p.vjps = (_solve_vjp_a, _solve_vjp_b)


def _det_impl(a, scipy=False):
    return _keep_precision(sla.det(a, check_finite=False), a) if scipy else _LA.det(a)


det_p = primitive(_det_impl, "det")


def _scalar_to_matrix(s):
    """A batch of scalars (…,) as (…, 1, 1), to scale matrices."""
    return reshape_p(s, (1, 1), 0)


_MINORS_UP_TO = 8   # matrices this small take their cofactors from their minors


def _singular(ans, a) -> bool:
    """A real matrix (or one of a stack) where the inverse-based rules fail: det exactly 0,
    or, up to 8 x 8 (where the cofactors are exact polynomials), a det within rounding of 0
    beside Hadamard's bound (the product of the rows' norms). LU gives [[a, b], [a, b]] a
    det of 5e-18 rather than 0, and det * inv(a) built from that inverse had a second
    derivative of 0.39 where it is 0. The cofactors are det's derivative everywhere."""
    if is_complex(a):
        return False
    d = np.abs(value_of(ans))
    if np.any(d == 0):
        return True
    av = value_of(a)
    n = av.shape[-1]
    if n > _MINORS_UP_TO:
        return False
    bound = np.prod(np.sqrt(np.sum(av * av, axis=-1)), axis=-1)
    return bool(np.any(d <= 4 * n * np.finfo(av.dtype).eps * bound))


def _cofactors(a):
    """adj(a)^T, the derivative of det, valid for singular real matrices too.

    Up to 8 x 8 it is each entry's signed (n-1)-minor, one stacked det: a polynomial in
    ``a``, so exact to every order. Larger, from the SVD a = U S V^T: det(U V^T) U
    diag(prod_{j != i} s_j) V^T (each product of the other singular values, exact when
    some are 0). Differentiated again, the SVD form is NaN where singular values repeat
    (as torch's det is), so a 0 matrix needs the minors."""
    n = shape_of(a)[-1]
    if n <= _MINORS_UP_TO:
        if n == 1:
            return np.ones(shape_of(a), dtype_of(a))   # the minor of a 1 x 1 matrix: det of 0 x 0
        keep = np.array([[j for j in range(n) if j != i] for i in range(n)])
        minors = a[..., keep[:, None, :, None], keep[None, :, None, :]]   # (..., n, n, n-1, n-1)
        signs = (-1) ** np.add.outer(np.arange(n), np.arange(n))
        return signs.astype(dtype_of(a)) * det_p(minors)
    from .reductions import prod_p
    u, s, vh = svd_p(a)
    n = shape_of(s)[-1]
    others = prod_p(where_p(np.eye(n, dtype=bool), 1, broadcast_p(_row(s), shape_of(s)[:-1] + (n, n), ndim_of(s) + 1)),
                    (-1,), ndim_of(s) + 1, False)
    sign = det_p(_mm(u, vh))
    return _scalar_to_matrix(sign) * _mm(u * _row(others), vh)


def _det_jvp(t, ans, a, scipy=False):
    if _singular(ans, a):
        return _sum(_cofactors(a) * t, axis=(-2, -1))
    return ans * _trace2(solve_p(a, t))


def _det_vjp(g, ans, a, scipy=False):
    if _singular(ans, a):
        return _scalar_to_matrix(g) * _cofactors(a)
    return _scalar_to_matrix(g * (conj_p(ans) if is_complex(ans) else ans)) * mH(inv_p(a))


# d det(A) = det(A) tr(A^-1 dA) where A is invertible, adj(A)^T : dA everywhere
det_p.jvps = (_det_jvp,)
det_p.vjps = (_det_vjp,)


def _slogdet_impl(a):
    sign, logabsdet = _LA.slogdet(a)
    return sign, logabsdet


slogdet_p = primitive(_slogdet_impl, "slogdet", multiple_results=True)


def _slogdet_jvp(t, ans, a):
    sign, _ = ans
    z = _trace2(solve_p(a, t))
    if not is_complex(a):
        return None, z
    return sign * (1j * imag(z)), real(z)


def _slogdet_vjp(g, ans, a):
    sign, _ = ans
    gs, gl = g
    if not is_complex(a):
        if gl is None:
            return None
        gz = gl
    else:
        if gl is None and gs is None:
            return None
        gz = 0j if gl is None else gl + 0j
        if gs is not None:
            gz = gz + 1j * imag(conj_p(sign) * gs)
    return _scalar_to_matrix(gz) * mH(inv_p(a))


slogdet_p.jvps = (_slogdet_jvp,)
slogdet_p.vjps = (_slogdet_vjp,)


@implements(np.linalg.inv)
def inv(a):
    """``numpy.linalg.inv``."""
    _square(a, "inv")
    return inv_p(a)


@implements(np.linalg.solve)
def solve(a, b):
    """``numpy.linalg.solve``: ``b`` of shape (n,) is a vector, otherwise (…, n, k) matrices."""
    _square(a, "solve")
    b2, vec = _as_matrix_rhs(b)
    x = solve_p(a, b2)
    return _drop_rhs_axis(x) if vec else x


@implements(np.linalg.det)
def det(a):
    """``numpy.linalg.det``."""
    _square(a, "det")
    return det_p(a)


@implements(np.linalg.slogdet)
def slogdet(a):
    """``numpy.linalg.slogdet``: ``(sign, logabsdet)``; the sign of a real matrix is constant."""
    _square(a, "slogdet")
    sign, logabsdet = slogdet_p(a)
    return _result("SlogdetResult", sign, logabsdet)


# =========================================================================================
# Triangular solves
# =========================================================================================
def _tri_solve_impl(a, b, lower=False, unit=False):
    dt = np.result_type(a, b)
    a, b = np.asarray(a), np.asarray(b)
    n, empty = a.shape[-1], not (a.shape[-1] and b.size)
    if a.ndim == 2 and not empty:
        return _keep_precision(_trtrs(a, b, lower, unit), dt)
    # a stack: LAPACK per matrix, or one substitution vectorised over the stack (n steps)
    lead, per_matrix = _stack(a, b)
    if empty or not per_matrix:
        return _substitute(a, b, lower, unit).astype(dt, copy=False)
    return _each_matrix(lambda a, b: _trtrs(a, b, lower, unit), a, b, lead, dt)


def _stack(a, b) -> tuple:
    """The leading axes ``a`` and ``b`` broadcast over, and whether a LAPACK or BLAS call
    per matrix beats the whole-stack alternative: while the stack has no more matrices
    than rows (measured for the triangular solve: crossover near 2n)."""
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return lead, math.prod(lead) <= a.shape[-1]


def _each_matrix(f, a, b, lead: tuple, dt):
    """``f(a_i, b_i)`` for each pair of matrices of ``a`` and ``b`` broadcast over the
    leading axes ``lead``, into one array of ``dt``: the per-matrix path of the LAPACK and
    BLAS calls below, taken while a stack has no more matrices than rows."""
    a, b = np.broadcast_to(a, lead + a.shape[-2:]), np.broadcast_to(b, lead + b.shape[-2:])
    out = np.empty(lead + b.shape[-2:], dt)
    for i in np.ndindex(lead):
        out[i] = f(a[i], b[i])
    return out


def _on_columns(f, b):
    """``f(cols)`` for a stack ``b`` (…, n, k) given as the columns of one (n, … k) matrix,
    as a batched cotangent brings them, and the answer (n, … k) back in ``b``'s shape: one
    LAPACK or BLAS call for a whole stack of right-hand sides."""
    lead = b.shape[:-2]
    if not lead:
        return f(b)
    n = b.shape[-2]
    x = f(np.moveaxis(b, -2, 0).reshape(n, -1))
    return np.moveaxis(x.reshape((n,) + lead + b.shape[-1:]), 0, -2)


def _trtrs(a, b, lower: bool, unit: bool):
    """``tri(a) x = b`` for one matrix ``a`` by LAPACK's trtrs, in one call for every
    right-hand side (``_on_columns``). SciPy's ``solve_triangular`` costs 6 us more per call
    around the same routine (a 3 x 3 solve: 7.6 us against 1.1)."""
    trtrs, = get_lapack_funcs(("trtrs",), (a, b))

    def solve(cols):
        x, info = trtrs(a, cols, lower=lower, unitdiag=unit)
        if info > 0:
            raise _LA.LinAlgError(f"singular matrix: resolution failed at diagonal {info - 1}")
        if info < 0:   # pragma: no cover - an argument LAPACK rejects: a bug here
            raise ValueError(f"funcad internal error: trtrs rejected argument {-info}")
        return x
    return _on_columns(solve, b)


def _substitute(a, b, lower: bool, unit: bool):
    """Solve ``tri(a) x = b`` by substitution, broadcasting stacks of ``a`` (…, n, n) and
    ``b`` (…, n, k): a long stack of small triangular matrices in one loop over the rows;
    raises LinAlgError on an exactly zero diagonal entry, as LAPACK does."""
    n = a.shape[-1]
    if not unit:
        d = np.diagonal(a, axis1=-2, axis2=-1)
        if np.any(d == 0):
            i = int(np.argmax(np.any(d.reshape(-1, n) == 0, axis=0)))
            raise _LA.LinAlgError(f"singular matrix: resolution failed at diagonal {i}")
    lead = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    x = np.empty(lead + b.shape[-2:], dtype=np.result_type(a, b))
    for i in (range(n) if lower else range(n - 1, -1, -1)):
        prev = slice(0, i) if lower else slice(i + 1, n)
        s = b[..., i, :]
        if i != (0 if lower else n - 1):
            s = s - np.matmul(a[..., i:i + 1, prev], x[..., prev, :])[..., 0, :]
        x[..., i, :] = s if unit else s / a[..., i, i, None]
    return x


tri_solve_p = primitive(_tri_solve_impl, "solve_triangular")


def _tri_solve_jvp_a(t, ans, a, b, lower=False, unit=False):
    t, nb = align(t, a, ans)
    dax = _mm(_tri(t, lower, unit), ans) if unit else trimm_p(t, ans, lower=lower)   # tri(dA) X
    return fit(-tri_solve_p(a, dax, lower=lower, unit=unit), ans, nb)


def _tri_solve_jvp_b(t, ans, a, b, lower=False, unit=False):
    t, nb = align(t, b, ans)
    return fit(tri_solve_p(a, t, lower=lower, unit=unit), ans, nb)


def _tri_solve_vjp_a(g, ans, a, b, lower=False, unit=False):
    gb = tri_solve_p(mH(a), g, lower=not lower, unit=unit)
    return unbroadcast(_tri(-_mm(gb, mH(ans)), lower, unit), shape_of(a), ndim_of(g) - ndim_of(ans))


def _tri_solve_vjp_b(g, ans, a, b, lower=False, unit=False):
    gb = tri_solve_p(mH(a), g, lower=not lower, unit=unit)
    return unbroadcast(gb, shape_of(b), ndim_of(g) - ndim_of(ans))


tri_solve_p.jvps = (_tri_solve_jvp_a, _tri_solve_jvp_b)
tri_solve_p.vjps = (_tri_solve_vjp_a, _tri_solve_vjp_b)


def _right_tri_solve(y, r, lower: bool, unit: bool = False):
    """``y @ tri(r)^-1`` (a triangular solve from the right)."""
    return mT(tri_solve_p(mT(r), mT(y), lower=not lower, unit=unit))


@implements(sla.solve_triangular)
def solve_triangular(a, b, trans=0, lower=False, unit_diagonal=False, overwrite_b=False,
                     check_finite=True):
    """``scipy.linalg.solve_triangular``: reads only the ``lower``/upper triangle of ``a``
    (its strict part when ``unit_diagonal``); ``trans`` 0/'N', 1/'T', 2/'C'."""
    _square(a, "solve_triangular")
    if check_finite:
        _check_finite("solve_triangular", a, b)
    trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans)
    if trans not in (0, 1, 2):
        raise ValueError(f"solve_triangular: trans must be 0, 1, 2 or 'N', 'T', 'C', got {trans!r}")
    if trans == 1:
        a, lower = mT(a), not lower
    elif trans == 2:
        a, lower = mH(a), not lower
    b2, vec = _as_matrix_rhs(b)
    x = tri_solve_p(a, b2, lower=bool(lower), unit=bool(unit_diagonal))
    return _drop_rhs_axis(x) if vec else x


# =========================================================================================
# Triangular products: op(tri(a)) @ b (cholesky's rules)
# =========================================================================================
def _trimm_impl(a, b, lower=True, trans=False):
    """``tri(a) @ b``, or ``tri(a).T @ b`` (``trans``), reading only the ``lower`` (else the
    upper) triangle of ``a``: BLAS's trmm, half the work of a full product (at 200 x 200,
    0.20 ms against 0.33), for one matrix (a stack of ``b`` as the columns of one matrix)
    and per matrix for a stack of no more matrices than rows; otherwise a full product."""
    a, b = np.asarray(a), np.asarray(b)
    dt = np.result_type(a, b)
    n = a.shape[-1]
    lead, per_matrix = _stack(a, b)
    if dt.char not in "fd" or not (n and b.shape[-1] and per_matrix):
        t = np.where(_tri_mask(n, n, lower), a, 0).astype(dt, copy=False)
        return np.matmul(np.swapaxes(t, -1, -2) if trans else t, b)
    trmm, = get_blas_funcs(("trmm",), (np.empty(0, dt),))

    def one(a, b):   # the transposed product (cols^T op(a)^T) leaves C order
        a = a.astype(dt, copy=False)
        return _on_columns(lambda cols: trmm(1.0, a, cols.T, side=1, lower=lower, trans_a=not trans).T,
                           b.astype(dt, copy=False))

    return one(a, b) if a.ndim == 2 else _each_matrix(one, a, b, lead, dt)


trimm_p = primitive(_trimm_impl, "trimm")


def _trimm_jvp_a(t, ans, a, b, lower=True, trans=False):
    t, nb = align(t, a, ans)
    return fit(trimm_p(t, b, lower=lower, trans=trans), ans, nb)


def _trimm_jvp_b(t, ans, a, b, lower=True, trans=False):
    t, nb = align(t, b, ans)
    return fit(trimm_p(a, t, lower=lower, trans=trans), ans, nb)


def _trimm_vjp_a(g, ans, a, b, lower=True, trans=False):
    c = _mm(g, mH(b))   # the cotangent of op(tri(a)), onto the triangle read
    return unbroadcast(_tri(mT(c) if trans else c, lower), shape_of(a), ndim_of(g) - ndim_of(ans))


def _trimm_vjp_b(g, ans, a, b, lower=True, trans=False):
    c = trimm_p(conj_p(a) if is_complex(a) else a, g, lower=lower, trans=not trans)
    return unbroadcast(c, shape_of(b), ndim_of(g) - ndim_of(ans))


trimm_p.jvps = (_trimm_jvp_a, _trimm_jvp_b)
trimm_p.vjps = (_trimm_vjp_a, _trimm_vjp_b)


# =========================================================================================
# Congruences by a triangular factor: L^-T S L^-1 and L^-1 S L^-T (cholesky's rules)
# =========================================================================================
def _congruence_impl(l, s, right=True):
    """``L^-T S L^-1`` (``right``) or ``L^-1 S L^-T``, for ``L`` the lower triangle of ``l``
    and ``S`` the symmetric matrix of ``s``'s lower triangle; symmetric, as is the answer.
    Real matrices (cholesky's): its rules transpose where complex ones would conjugate.
    Per matrix by LAPACK's sygst, which exploits that symmetry: half the work of two
    triangular solves (at 200 x 200, 0.47 ms against 0.86), while there are no more
    matrices than rows (``_stack``); otherwise, and for other dtypes,
    the two solves."""
    l, s = np.asarray(l), np.asarray(s)
    dt = np.result_type(l, s)
    n = l.shape[-1]
    lead, per_matrix = _stack(l, s)
    lower = _tri_mask(n, n, True)
    if dt.char not in "fd" or not (n and per_matrix):
        full = np.where(lower, s, np.swapaxes(s, -1, -2))
        lt = np.swapaxes(l, -1, -2)
        x = _tri_solve_impl(lt if right else l, full, lower=not right)   # L^-T S (L^-1 S)
        c = _tri_solve_impl(lt if right else l, np.swapaxes(x, -1, -2), lower=not right)
        return np.where(lower, c, np.swapaxes(c, -1, -2)).astype(dt, copy=False)
    sygst, = get_lapack_funcs(("sygst",), (np.empty(0, dt),))

    def one(l, s):
        if right:   # with J the reversal, J L J = U is upper: L^-T S L^-1 = J U^-T (J S J) U^-1 J
            c, info = sygst(s[::-1, ::-1], l[::-1, ::-1], itype=1, lower=0)
            c = c[::-1, ::-1]
        else:
            c, info = sygst(s, l, itype=1, lower=1)
        if info:   # pragma: no cover - an argument LAPACK rejects: a bug here
            raise ValueError(f"funcad internal error: sygst returned info {info}")
        return np.where(lower, c, c.T).astype(dt, copy=False)   # the answer: c's lower triangle

    return _each_matrix(one, l, s, lead, dt) if lead else one(l, s)


congruence_p = primitive(_congruence_impl, "tri_congruence")


def _sym(g):
    """The symmetric part of ``g`` (last two axes)."""
    return 0.5 * (g + mT(g))


def _congruence_jvp_l(t, ans, l, s, right=True):
    # d(L^-T S L^-1) = -(X + X^T), X = C dL L^-1; d(L^-1 S L^-T) = -(Y + Y^T), Y = L^-1 dL C
    t, nb = align(t, l, ans)
    dl = _tril(t)
    x = _right_tri_solve(_mm(ans, dl), l, lower=True) if right else tri_solve_p(l, _mm(dl, ans), lower=True)
    return fit(-(x + mT(x)), ans, nb)


def _congruence_jvp_s(t, ans, l, s, right=True):
    t, nb = align(t, s, ans)
    return fit(congruence_p(l, t, right=right), ans, nb)


def _congruence_vjp_l(g, ans, l, s, right=True):
    g2 = g + mT(g)   # -tril(C (G + G^T) L^-T), or -tril(L^-T (G + G^T) C)
    x = _right_tri_solve(_mm(ans, g2), mT(l), lower=False) if right else \
        tri_solve_p(mT(l), _mm(g2, ans), lower=False)
    return unbroadcast(-_tril(x), shape_of(l), ndim_of(g) - ndim_of(ans))


def _congruence_vjp_s(g, ans, l, s, right=True):
    # the adjoint congruence of G's symmetric part, onto the lower triangle S is read from
    c = congruence_p(l, _sym(g), right=not right)
    return unbroadcast(_tri_grad(c, lower=True), shape_of(s), ndim_of(g) - ndim_of(ans))


congruence_p.jvps = (_congruence_jvp_l, _congruence_jvp_s)
congruence_p.vjps = (_congruence_vjp_l, _congruence_vjp_s)


# =========================================================================================
# Cholesky
# =========================================================================================
def _cholesky_impl(a, upper=False, scipy=False):
    if scipy:
        return _keep_precision(sla.cholesky(a, lower=not upper, check_finite=False), a)
    if upper:      # the upper factor of the matrix read from the upper triangle
        return np.conj(np.swapaxes(_LA.cholesky(np.conj(np.swapaxes(a, -1, -2))), -1, -2))
    return _LA.cholesky(a)


cholesky_p = primitive(_cholesky_impl, "cholesky")


def _cholesky_jvp(t, ans, a, upper=False, scipy=False):
    L = mT(ans) if upper else ans
    # L^-1 S L^-T, S the symmetric tangent of the triangle read (the congruence reads the
    # lower triangle of its argument: t's own, or its upper one transposed)
    p = congruence_p(L, mT(t) if upper else t, right=False)
    phi = _tril(p, -1) + 0.5 * where_p(np.eye(shape_of(p)[-1], dtype=bool), p, 0)
    dl = trimm_p(L, phi, lower=True)
    return mT(dl) if upper else dl


def _cholesky_vjp(g, ans, a, upper=False, scipy=False):
    L = mT(ans) if upper else ans
    gl = mT(g) if upper else g
    # L^-T sym(Phi(L^T G)) L^-1: the congruence symmetrizes the lower triangle of half L^T G
    G = congruence_p(L, 0.5 * trimm_p(L, gl, lower=True, trans=True), right=True)
    return _tri_grad(G, lower=not upper)


cholesky_p.jvps = (_cholesky_jvp,)
cholesky_p.vjps = (_cholesky_vjp,)


@implements(np.linalg.cholesky)
def cholesky(a, /, *, upper=False):
    """``numpy.linalg.cholesky``: reads the lower (``upper=True``: upper) triangle."""
    _square(a, "cholesky")
    _real_only(a, "cholesky")
    return cholesky_p(a, upper=bool(upper))


# =========================================================================================
# Symmetric eigendecomposition
# =========================================================================================
def _eigh_impl(a, lower=True):
    w, v = _LA.eigh(a, UPLO="L" if lower else "U")
    return w, v


eigh_p = primitive(_eigh_impl, "eigh", multiple_results=True)


def _eigh_jvp(t, ans, a, lower=True):
    w, v = ans
    x = _mm(_mm(mT(v), _sym_from_tri(t, lower)), v)
    return _diag(x), _mm(v, _offdiag_div(x, _gap_matrix(w)))


def _eigh_vjp(g, ans, a, lower=True):
    w, v = ans
    gw, gv = g
    if gv is None:
        if gw is None:
            return None
        G = _mm(v * _row(gw), mT(v))
    else:
        vg = _mm(mT(v), gv)
        inner = _offdiag_div(0.5 * (vg - mT(vg)), _gap_matrix(w))
        if gw is not None:
            inner = inner + _diag_embed(gw)
        G = _mm(_mm(v, inner), mT(v))
    return _tri_grad(G, lower)


eigh_p.jvps = (_eigh_jvp,)
eigh_p.vjps = (_eigh_vjp,)


def _eigvalsh_impl(a, lower=True):
    return _LA.eigvalsh(a, UPLO="L" if lower else "U")


eigvalsh_p = primitive(_eigvalsh_impl, "eigvalsh")
eigvalsh_p.jvps = (lambda t, ans, a, lower=True: _eigvals_h_jvp(t, a, lower),)
eigvalsh_p.vjps = (lambda g, ans, a, lower=True: _eigvals_h_vjp(g, a, lower),)


def _eigvals_h_jvp(t, a, lower):
    _, v = eigh_p(a, lower=lower)
    return _diag(_mm(_mm(mT(v), _sym_from_tri(t, lower)), v))


def _eigvals_h_vjp(g, a, lower):
    _, v = eigh_p(a, lower=lower)
    return _tri_grad(_mm(v * _row(g), mT(v)), lower)


def _uplo(UPLO) -> bool:
    u = str(UPLO).upper()
    if u not in ("L", "U"):
        raise ValueError("UPLO argument must be 'L' or 'U'")
    return u == "L"


@implements(np.linalg.eigh)
def eigh(a, UPLO="L"):
    """``numpy.linalg.eigh``: reads the ``UPLO`` triangle; ``(eigenvalues, eigenvectors)``."""
    _square(a, "eigh")
    _real_only(a, "eigh")
    w, v = eigh_p(a, lower=_uplo(UPLO))
    return _result("EighResult", w, v)


@implements(np.linalg.eigvalsh)
def eigvalsh(a, UPLO="L"):
    """``numpy.linalg.eigvalsh`` (finite derivative even at repeated eigenvalues)."""
    _square(a, "eigvalsh")
    _real_only(a, "eigvalsh")
    return eigvalsh_p(a, lower=_uplo(UPLO))


# =========================================================================================
# General eigendecomposition
# =========================================================================================
def _eig_impl(a):
    w, v = _LA.eig(a)
    return w, v


eig_p = primitive(_eig_impl, "eig", multiple_results=True)


def _largest_component(v) -> np.ndarray:
    """One-hot mask of each eigenvector's largest-modulus entry (LAPACK makes it real)."""
    vv = value_of(v)
    idx = np.argmax(np.abs(vv), axis=-2)
    return (np.arange(vv.shape[-2])[:, None] == idx[..., None, :]).astype(vv.real.dtype)


def _eig_jvp(t, ans, a):
    w, v = ans
    x = solve_p(v, _mm(t, v))                               # V^-1 dA V
    dv = _mm(v, _offdiag_div(x, _gap_matrix(w)))
    if is_complex(v):
        r = real(sum_p(conj_p(v) * dv, (-2,), 2, False))   # keeps each column's 2-norm
        m = _largest_component(v)
        vj = real(sum_p(m * v, (-2,), 2, False))
        s = imag(sum_p(m * dv, (-2,), 2, False)) / vj      # keeps the largest entry real
        dv = dv - v * _row(r + 1j * s)
    else:
        dv = dv - v * _row(sum_p(v * dv, (-2,), 2, False))
    return _diag(x), dv


def _eig_vjp(g, ans, a):
    w, v = ans
    gw, gv = g
    if gv is None:
        if gw is None:
            return None
        gx = _diag_embed(gw)
    else:
        gq = -sum_p((conj_p(v) if is_complex(v) else v) * gv, (-2,), 2, False)
        if is_complex(v):
            m = _largest_component(v)
            vj = real(sum_p(m * v, (-2,), 2, False))
            gdv = gv + v * _row(real(gq)) + 1j * m * _row(imag(gq) / vj)
        else:
            gdv = gv + v * _row(gq)
        e = _gap_matrix(w)
        gx = _offdiag_div(_mm(mH(v), gdv), conj_p(e) if is_complex(e) else e)
        if gw is not None:
            gx = gx + _diag_embed(gw)
    ga = solve_p(mH(v), _mm(gx, mH(v)))
    return real(ga) if is_complex(ga) and not is_complex(a) else ga


eig_p.jvps = (_eig_jvp,)
eig_p.vjps = (_eig_vjp,)


def _eigvals_impl(a):
    return _LA.eigvals(a)


eigvals_p = primitive(_eigvals_impl, "eigvals")


def _eigvals_jvp(t, ans, a):
    _, v = eig_p(a)
    return _diag(solve_p(v, _mm(t, v)))


def _eigvals_vjp(g, ans, a):
    _, v = eig_p(a)
    ga = solve_p(mH(v), _mm(_diag_embed(g), mH(v)))
    return real(ga) if is_complex(ga) and not is_complex(a) else ga


eigvals_p.jvps = (_eigvals_jvp,)
eigvals_p.vjps = (_eigvals_vjp,)


@implements(np.linalg.eig)
def eig(a):
    """``numpy.linalg.eig``: complex eigenvalues and eigenvectors of a general matrix
    (real arrays when NumPy returns real ones). The eigenvalues must be distinct."""
    _square(a, "eig")
    w, v = eig_p(a)
    return _result("EigResult", w, v)


@implements(np.linalg.eigvals)
def eigvals(a):
    """``numpy.linalg.eigvals``."""
    _square(a, "eigvals")
    return eigvals_p(a)


# =========================================================================================
# Singular value decomposition
# =========================================================================================
def _svd_impl(a, full_matrices=False):
    u, s, vh = _LA.svd(a, full_matrices=full_matrices)
    return u, s, vh


svd_p = primitive(_svd_impl, "svd", multiple_results=True)


def _svd_reduced(ans, a):
    """(U, S, Vh) narrowed to the k = min(m, n) singular triplets."""
    u, s, vh = ans
    k = shape_of(s)[-1]
    if shape_of(u)[-1] != k:
        u = slice_axis_p(u, -1, 0, k)
    if shape_of(vh)[-2] != k:
        vh = slice_axis_p(vh, -2, 0, k)
    return u, s, vh


def _svd_jvp(t, ans, a, full_matrices=False):
    u, s, vh = _svd_reduced(ans, a)
    m, n = shape_of(a)[-2:]
    v = mT(vh)
    dp = _mm(_mm(mT(u), t), v)                          # U^T dA V
    ds = _diag(dp)
    dx = dp - _diag_embed(ds)
    e = _gap_matrix(s * s)
    du = _mm(u, (dx * _row(s) + mT(dx) * _col(s)) / e)
    dv = _mm(v, (_col(s) * dx + mT(dx) * _row(s)) / e)
    if m > n:
        davs = _mm(t, v / _row(s))
        du = du + davs - _mm(u, _mm(mT(u), davs))
    elif m < n:
        dahus = _mm(mT(t), u / _row(s))
        dv = dv + dahus - _mm(v, _mm(vh, dahus))
    dvh = mT(dv)
    if full_matrices and m != n:
        lead = shape_of(t)[:ndim_of(t) - ndim_of(a)] + shape_of(a)[:-2]
        if m > n:
            du = concat_p(du, np.full(lead + (m, m - n), np.nan, dtype_of(du)), axis=-1)
        else:
            dvh = concat_p(dvh, np.full(lead + (n - m, n), np.nan, dtype_of(dvh)), axis=-2)
    return du, ds, dvh


def _narrow_cotangent(g, axis: int, k: int, what: str):
    if g is None or shape_of(g)[axis] == k:
        return g
    extra = slice_axis_p(g, axis, k, shape_of(g)[axis])
    if np.any(value_of(extra) != 0):
        raise NotImplementedError(
            f"svd(full_matrices=True) of a non-square matrix: the result depends on the extra "
            f"{what}, which are not unique and have no derivative. Use "
            f"svd(..., full_matrices=False) (the same singular vectors that are unique).")
    return slice_axis_p(g, axis, 0, k)


def _svd_vjp(g, ans, a, full_matrices=False):
    u, s, vh = _svd_reduced(ans, a)
    gu, gs, gvh = g
    k = shape_of(s)[-1]
    gu = _narrow_cotangent(gu, -1, k, "columns of U")
    gvh = _narrow_cotangent(gvh, -2, k, "rows of Vh")
    m, n = shape_of(a)[-2:]
    if gu is None and gvh is None:
        if gs is None:
            return None
        return _mm(u * _row(gs), vh)
    v = mT(vh)
    gv = None if gvh is None else mT(gvh)
    e = _gap_matrix(s * s)
    uhgu = None if gu is None else _mm(mT(u), gu)
    vhgv = None if gv is None else _mm(vh, gv)
    uhgu = None if uhgu is None else uhgu - mT(uhgu)
    vhgv = None if vhgv is None else vhgv - mT(vhgv)
    if uhgu is not None and vhgv is not None:
        inner = (uhgu * _row(s) + _col(s) * vhgv) / e
    elif uhgu is not None:
        inner = uhgu * (_row(s) / e)
    else:
        inner = _col(s) * (vhgv / e)
    if gs is not None:
        inner = inner + _diag_embed(gs)
    if m > n and gu is not None:
        ga = _mm(u, inner)
        gus = gu / _row(s)
        ga = ga + gus - _mm(u, _mm(mT(u), gus))
        return _mm(ga, vh)
    if m < n and gv is not None:
        ga = _mm(inner, vh)
        gvs = gv / _row(s)
        ga = ga + mT(gvs) - _mm(_mm(mT(gvs), v), vh)
        return _mm(u, ga)
    return _mm(u, _mm(inner, vh))


svd_p.jvps = (_svd_jvp,)
svd_p.vjps = (_svd_vjp,)


def _svdvals_impl(a):
    return _LA.svd(a, compute_uv=False)


svdvals_p = primitive(_svdvals_impl, "svdvals")


def _svdvals_jvp(t, ans, a):
    u, _, vh = svd_p(a)
    return _diag(_mm(_mm(mT(u), t), mT(vh)))


def _svdvals_vjp(g, ans, a):
    u, _, vh = svd_p(a)
    return _mm(u * _row(g), vh)


svdvals_p.jvps = (_svdvals_jvp,)
svdvals_p.vjps = (_svdvals_vjp,)


@implements(np.linalg.svd)
def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """``numpy.linalg.svd``. ``hermitian=True`` is not supported on traced values (use
    ``eigh``, or ``hermitian=False``, which gives the same singular values)."""
    if ndim_of(a) < 2:
        raise _LA.LinAlgError(f"svd: {ndim_of(a)}-dimensional array given. Array must be at least two-dimensional")
    if hermitian:
        raise NotImplementedError("svd(..., hermitian=True) is not supported on traced values; "
                                  "use hermitian=False (same singular values) or eigh")
    _real_only(a, "svd")
    if not compute_uv:
        return svdvals_p(a)
    u, s, vh = svd_p(a, full_matrices=bool(full_matrices))
    return _result("SVDResult", u, s, vh)


def svdvals(x, /):
    """``numpy.linalg.svdvals``."""
    if ndim_of(x) < 2:
        raise _LA.LinAlgError(f"svdvals: {ndim_of(x)}-dimensional array given. Array must be at least two-dimensional")
    _real_only(x, "svdvals")
    return svdvals_p(x)


# =========================================================================================
# QR
# =========================================================================================
def _qr_impl(a):
    q, r = _LA.qr(a, mode="reduced")
    return q, r


qr_p = primitive(_qr_impl, "qr", multiple_results=True)


def _qr_jvp(t, ans, a):
    q, r = ans
    dar = _right_tri_solve(t, r, lower=False)             # dA R^-1
    dm = _mm(mT(q), dar)
    sym = _triu(dm + mT(dm))
    n = shape_of(sym)[-1]
    drr = where_p(np.eye(n, dtype=bool), 0.5 * sym, sym)  # syminv: upper, diagonal halved
    return dar - _mm(q, drr), _mm(drr, r)


def _qr_vjp(g, ans, a):
    q, r = ans
    gq, gr = g
    if gq is None and gr is None:
        return None
    if gq is None:
        m = _mm(gr, mT(r))
    elif gr is None:
        m = -_mm(mT(q), gq)
    else:
        m = _mm(gr, mT(r)) - _mm(mT(q), gq)
    m = _triu(m)
    n = shape_of(m)[-1]
    m = m + mT(where_p(np.eye(n, dtype=bool), 0, m))       # syminvadj of the upper part
    ga = _mm(q, m)
    if gq is not None:
        ga = ga + gq
    return _right_tri_solve(ga, mT(r), lower=True)        # . R^-T


qr_p.jvps = (_qr_jvp,)
qr_p.vjps = (_qr_vjp,)


@implements(np.linalg.qr)
def qr(a, mode="reduced"):
    """``numpy.linalg.qr`` with ``mode='reduced'`` or ``'r'`` (any shape) and
    ``'complete'`` when rows <= columns (then it is the reduced one)."""
    if ndim_of(a) < 2:
        raise _LA.LinAlgError(f"qr: {ndim_of(a)}-dimensional array given. Array must be at least two-dimensional")
    _real_only(a, "qr")
    m, n = shape_of(a)[-2:]
    if mode not in ("reduced", "complete", "r", "raw"):
        raise ValueError(f"Unrecognized mode '{mode}'")
    if mode == "raw":
        raise NotImplementedError("qr(..., mode='raw') is not supported on traced values; use mode='reduced'")
    if mode == "complete" and m > n:
        raise NotImplementedError(
            "qr(..., mode='complete') of a matrix with more rows than columns: the extra columns "
            "of Q are not unique and have no derivative. Use mode='reduced'.")
    if m >= n:
        q, r = qr_p(a)
    else:   # Householder QR of [X | Y] is the QR of X, and R = [R_X | Q^T Y]
        q, rx = qr_p(slice_axis_p(a, -1, 0, m))
        r = concat_p(rx, _mm(mT(q), slice_axis_p(a, -1, m, n)), axis=-1)
    if mode == "r":
        return r
    return _result("QRResult", q, r)


# =========================================================================================
# Pseudo-inverse and least squares
# =========================================================================================
def _pinv_impl(a, opts=None):
    return _LA.pinv(a, **(opts or {}))


pinv_p = primitive(_pinv_impl, "pinv")


def _pinv_jvp(t, ans, a, opts=None):
    x = ans
    m, n = shape_of(a)[-2:]
    th = mH(t)
    t1 = -_mm(_mm(x, t), x)
    t2 = _mm(_mm(_mm(x, mH(x)), th), _eye(m, x) - _mm(a, x))
    t3 = _mm(_mm(_eye(n, x) - _mm(x, a), th), _mm(mH(x), x))
    return t1 + t2 + t3


def _pinv_vjp(g, ans, a, opts=None):
    x = ans
    m, n = shape_of(a)[-2:]
    gh = mH(g)
    xh = mH(x)
    t1 = -_mm(_mm(xh, g), xh)
    t2 = _mm(_mm(_eye(m, x) - _mm(a, x), gh), _mm(x, xh))
    t3 = _mm(_mm(_mm(xh, x), gh), _eye(n, x) - _mm(x, a))
    return t1 + t2 + t3


pinv_p.jvps = (_pinv_jvp,)
pinv_p.vjps = (_pinv_vjp,)


@implements(np.linalg.pinv)
def pinv(a, rcond=None, hermitian=False, *, rtol=_NOVALUE):
    """``numpy.linalg.pinv`` (Golub-Pereyra derivative; exact where the rank is locally
    constant). ``hermitian=True`` reads the lower triangle, as NumPy does."""
    if ndim_of(a) < 2:
        raise _LA.LinAlgError(f"pinv: {ndim_of(a)}-dimensional array given. Array must be at least two-dimensional")
    _real_only(a, "pinv")
    opts = {"hermitian": bool(hermitian)}
    if rcond is not None:
        opts["rcond"] = rcond
    if rtol is not _NOVALUE:
        opts["rtol"] = rtol
    if hermitian:
        _square(a, "pinv(hermitian=True)")
        a = _sym_from_tri(a, lower=True)
    return pinv_p(a, opts=opts)


def _lstsq_impl(a, b, rcond=None):
    return _LA.lstsq(a, b, rcond=rcond)[0]


lstsq_p = primitive(_lstsq_impl, "lstsq")


def _lstsq_cutoff(a, rcond):
    m, n = shape_of(a)[-2:]
    return float(np.finfo(dtype_of(a)).eps * max(m, n)) if rcond is None or rcond < 0 else float(rcond)


def _lstsq_pinv(a, rcond):
    key = "rtol" if hasattr(_LA, "matrix_transpose") else "rcond"
    return pinv_p(a, opts={key: _lstsq_cutoff(a, rcond)})


def _lstsq_jvp_a(t, ans, a, b, rcond=None):
    x = ans
    p = _lstsq_pinv(a, rcond)
    n = shape_of(a)[-1]
    th = mH(t)
    r = b - _mm(a, x)
    return (-_mm(p, _mm(t, x)) + _mm(_mm(p, mH(p)), _mm(th, r))
            + _mm(_eye(n, x) - _mm(p, a), _mm(th, _mm(mH(p), x))))


def _lstsq_jvp_b(t, ans, a, b, rcond=None):
    return _mm(_lstsq_pinv(a, rcond), t)


def _lstsq_vjp_a(g, ans, a, b, rcond=None):
    x = ans
    p = _lstsq_pinv(a, rcond)
    n = shape_of(a)[-1]
    ph = mH(p)
    gh = mH(g)
    r = b - _mm(a, x)
    return (-_mm(_mm(ph, g), mH(x)) + _mm(_mm(r, gh), _mm(p, ph))
            + _mm(_mm(_mm(ph, x), gh), _eye(n, x) - _mm(p, a)))


def _lstsq_vjp_b(g, ans, a, b, rcond=None):
    return _mm(mH(_lstsq_pinv(a, rcond)), g)


lstsq_p.jvps = (_lstsq_jvp_a, _lstsq_jvp_b)
lstsq_p.vjps = (_lstsq_vjp_a, _lstsq_vjp_b)


@implements(np.linalg.lstsq)
def lstsq(a, b, rcond=None):
    """``numpy.linalg.lstsq`` -> ``(x, residuals, rank, s)``. ``x`` (Golub-Pereyra, exact
    where the rank is locally constant), ``residuals`` and ``s`` are differentiable in ``a``
    and ``b``; ``rank`` is an integer."""
    if ndim_of(a) != 2:
        raise _LA.LinAlgError(f"lstsq: {ndim_of(a)}-dimensional array given. Array must be two-dimensional")
    _real_only(a, "lstsq")
    _real_only(b, "lstsq")
    b2, vec = _as_matrix_rhs(b)
    m, n = shape_of(a)
    if shape_of(b2)[0] != m:
        raise _LA.LinAlgError("Incompatible dimensions")
    x = lstsq_p(a, b2, rcond=rcond)
    s = svdvals_p(a)
    sv = value_of(s)
    rank = int(np.sum(sv > _lstsq_cutoff(a, rcond) * sv[0])) if sv.size else 0
    if rank == n and m > n:
        res = _sum(absolute(b2 - _mm(a, x)) ** 2, axis=0)
    else:
        res = np.empty((0,), dtype=np.zeros(0, dtype_of(a)).real.dtype)
    return (_drop_rhs_axis(x) if vec else x), res, np.int32(rank), s


# =========================================================================================
# Norms
# =========================================================================================
def _vnorm_impl(x, ord=2, axis=(), keepdims=False):
    if hasattr(_LA, "vector_norm"):
        return _LA.vector_norm(x, axis=axis, keepdims=keepdims, ord=ord)
    a = np.abs(x)
    if ord == np.inf:
        return np.max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return np.min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return np.sum(a != 0, axis=axis, keepdims=keepdims).astype(a.dtype)
    if ord == 2:
        return np.sqrt(np.sum(a * a, axis=axis, keepdims=keepdims))
    return np.sum(a ** ord, axis=axis, keepdims=keepdims) ** (1.0 / ord)


vnorm_p = primitive(_vnorm_impl, "vector_norm")


def _vnorm_partial(ans, x, ord, axis, keepdims):
    # the norm with its reduced axes kept: its tests and safe divisor stay on the small side
    n = keep_reduced(ans, x, axis, ndim_of(x), keepdims)
    return kinks.vector_norm_partial(x, n, ord, axis)


def _vnorm_vjp(g, ans, x, ord=2, axis=(), keepdims=False):
    if ord == 0:
        return None
    return keep_reduced(g, x, axis, ndim_of(x), keepdims) * _vnorm_partial(ans, x, ord, axis, keepdims)


def _vnorm_jvp(t, ans, x, ord=2, axis=(), keepdims=False):
    if ord == 0:
        return None
    d = _vnorm_partial(ans, x, ord, axis, keepdims)
    c = real(conj_p(d) * t) if is_complex(x) else d * t
    return sum_p(c, axis, ndim_of(x), keepdims)


vnorm_p.vjps = (_vnorm_vjp,)
vnorm_p.jvps = (_vnorm_jvp,)


def _vector_ord(ord):
    if ord is None:
        return 2
    if isinstance(ord, str):
        raise ValueError(f"Invalid norm order '{ord}' for vectors")
    return ord


def _vector_norm(x, ord, axis: tuple, keepdims: bool):
    if ndim_of(x) == 0:         # a scalar is a vector of one entry (the result stays 0-d)
        return vnorm_p(reshape_p(x, (1,), 0), ord=ord, axis=(-1,), keepdims=False)
    return vnorm_p(x, ord=ord, axis=axis, keepdims=bool(keepdims))


def _matrix_norm(x, ord, row: int, col: int, keepdims: bool):
    """A matrix norm over (nonnegative) axes ``row``, ``col``, as ``numpy.linalg.norm``."""
    nd = ndim_of(x)
    if row == col:
        raise ValueError("Duplicate axes given.")
    if ord is None or ord == "fro":
        return _vector_norm(x, 2, tuple(sorted((row - nd, col - nd))), keepdims)
    if ord in (2, -2, "nuc"):
        s = svdvals(moveaxis(x, (row, col), (-2, -1)))
        ret = _max(s, axis=-1) if ord == 2 else _min(s, axis=-1) if ord == -2 else _sum(s, axis=-1)
    elif ord in (1, -1):
        c = col - 1 if col > row else col
        ret = (_max if ord == 1 else _min)(_sum(absolute(x), axis=row), axis=c)
    elif ord in (np.inf, -np.inf):
        r = row - 1 if row > col else row
        ret = (_max if ord == np.inf else _min)(_sum(absolute(x), axis=col), axis=r)
    else:
        raise ValueError("Invalid norm order for matrices.")
    if keepdims:
        s = list(shape_of(x))
        s[row] = s[col] = 1
        ret = reshape(ret, tuple(s))
    return ret


@implements(np.linalg.norm)
def norm(x, ord=None, axis=None, keepdims=False):
    """``numpy.linalg.norm``: vector norms (any ``ord`` number) and matrix norms ('fro',
    'nuc', +-1, +-2, +-inf), with ``axis`` and ``keepdims``; the derivative at 0 is 0."""
    nd = ndim_of(x)
    if axis is None:
        if ord is None:
            return _vector_norm(x, 2, tuple(range(-nd, 0)), keepdims)
        if nd == 1:
            axis = (0,)
        elif nd == 2:
            axis = (0, 1)
        else:
            raise ValueError("Improper number of dimensions to norm.")
    elif not isinstance(axis, tuple):
        try:
            axis = (operator.index(axis),)
        except TypeError:
            raise TypeError("'axis' must be None, an integer or a tuple of integers") from None
    axis = tuple(int(a) for a in axis)
    if len(axis) == 1:
        return _vector_norm(x, _vector_ord(ord), norm_axis(axis, nd), keepdims)
    if len(axis) == 2:
        row, col = (a % nd if -nd <= a < nd else _raise_axis(a, nd) for a in axis)
        return _matrix_norm(x, ord, row, col, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


def _raise_axis(a, nd):
    raise np.exceptions.AxisError(f"axis {a} is out of bounds for array of dimension {nd}")


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    """``numpy.linalg.vector_norm`` (``axis`` may be a tuple: those axes as one vector)."""
    ord = _vector_ord(ord)
    return _vector_norm(x, ord, norm_axis(axis, ndim_of(x)), keepdims)


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    """``numpy.linalg.matrix_norm`` over the last two axes."""
    nd = ndim_of(x)
    if nd < 2:
        raise ValueError(f"matrix_norm: the input must be at least 2-D, got {nd}-D")
    return _matrix_norm(x, ord, nd - 2, nd - 1, keepdims)


# =========================================================================================
# Compositions: matrix_power, multi_dot, trace, outer, tensorsolve, tensorinv
# =========================================================================================
@implements(np.linalg.matrix_power)
def matrix_power(a, n):
    """``numpy.linalg.matrix_power`` by repeated squaring (as NumPy orders it)."""
    _square(a, "matrix_power")
    try:
        n = operator.index(n)
    except TypeError as e:
        raise TypeError("exponent must be an integer") from e
    if n == 0:
        s = shape_of(a)
        return np.broadcast_to(np.eye(s[-1], dtype=dtype_of(a)), s).copy()
    if n < 0:
        a = inv_p(a)
        n = abs(n)
    if n == 1:
        return a
    if n == 2:
        return _mm(a, a)
    if n == 3:
        return _mm(_mm(a, a), a)
    z = result = None
    while n > 0:
        z = a if z is None else _mm(z, z)
        n, bit = divmod(n, 2)
        if bit:
            result = z if result is None else _mm(result, z)
    return result


def _chain_order(shapes):
    """Optimal parenthesisation of a matrix chain (NumPy's multi_dot algorithm)."""
    n = len(shapes)
    p = [s[0] for s in shapes] + [shapes[-1][1]]
    m = np.zeros((n, n))
    s = np.empty((n, n), dtype=np.intp)
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            m[i, j] = np.inf
            for k in range(i, j):
                q = m[i, k] + m[k + 1, j] + p[i] * p[k + 1] * p[j + 1]
                if q < m[i, j]:
                    m[i, j] = q
                    s[i, j] = k
    return s


@implements(np.linalg.multi_dot)
def multi_dot(arrays, *, out=None):
    """``numpy.linalg.multi_dot``: the chain in NumPy's optimal order (first/last may be 1-D)."""
    if out is not None:
        raise NotImplementedError("multi_dot(..., out=...) is not supported on traced values")
    arrays = list(arrays)
    n = len(arrays)
    if n < 2:
        raise ValueError("Expecting at least two arrays.")
    if n == 2:
        return dot(arrays[0], arrays[1])
    first_1d, last_1d = ndim_of(arrays[0]) == 1, ndim_of(arrays[-1]) == 1
    if first_1d:
        arrays[0] = reshape_p(arrays[0], (1,) + shape_of(arrays[0]), 1)
    if last_1d:
        arrays[-1] = reshape_p(arrays[-1], shape_of(arrays[-1]) + (1,), 1)
    for a in arrays:
        if ndim_of(a) != 2:
            raise _LA.LinAlgError(f"{ndim_of(a)}-dimensional array given. Array must be two-dimensional")
    order = _chain_order([shape_of(a) for a in arrays])

    def chain(i, j):
        if i == j:
            return arrays[i]
        return dot(chain(i, order[i, j]), chain(order[i, j] + 1, j))

    r = chain(0, n - 1)
    if first_1d and last_1d:
        return reshape_p(r, (), 2)
    if first_1d or last_1d:
        return reshape_p(r, (shape_of(r)[1] if first_1d else shape_of(r)[0],), 2)
    return r


@implements(np.trace)
def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    """``numpy.trace``: the sum of the ``offset`` diagonal of axes ``axis1``, ``axis2``."""
    if out is not None:
        raise NotImplementedError("trace(..., out=...) is not supported on traced values")
    nd = ndim_of(a)
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    i1, i2 = norm_axis(axis1, nd, "axis1")[0] % nd, norm_axis(axis2, nd, "axis2")[0] % nd
    if i1 == i2:
        raise ValueError("axis1 and axis2 cannot be the same")
    if dtype is not None:
        a = astype(a, dtype)
    x = transpose(a, [k for k in range(nd) if k not in (i1, i2)] + [i1, i2])
    r, c = shape_of(x)[-2:]
    offset = operator.index(offset)
    k = max(0, min(r - max(0, -offset), c - max(0, offset)))
    rows = np.arange(k) + max(0, -offset)
    d = getitem(x, (Ellipsis, rows, rows + offset))
    return _sum(d, axis=-1)


if hasattr(_LA, "trace"):
    @implements(_LA.trace)
    def linalg_trace(x, /, *, offset=0, dtype=None):
        """``numpy.linalg.trace``: over the last two axes."""
        return trace(x, offset=offset, axis1=-2, axis2=-1, dtype=dtype)


def linalg_outer(x1, x2, /):
    """``numpy.linalg.outer`` of two 1-D arrays."""
    if ndim_of(x1) != 1 or ndim_of(x2) != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are x1.ndim={ndim_of(x1)} "
                         f"and x2.ndim={ndim_of(x2)}.")
    return _outer(x1, x2)


@implements(np.linalg.tensorsolve)
def tensorsolve(a, b, axes=None):
    """``numpy.linalg.tensorsolve``: a reshaped ``solve``."""
    an = ndim_of(a)
    if axes is not None:
        allaxes = list(range(an))
        for k in axes:
            allaxes.remove(k)
            allaxes.insert(an, k)
        a = transpose(a, allaxes)
    oldshape = shape_of(a)[-(an - ndim_of(b)):]
    prod = int(np.prod(oldshape))
    if int(np.prod(shape_of(a)[:ndim_of(b)])) != prod:
        raise _LA.LinAlgError("Input arrays must satisfy the requirement "
                              "prod(a.shape[b.ndim:]) == prod(a.shape[:b.ndim])")
    x = solve(reshape(a, (prod, prod)), reshape(b, (prod,)))
    return reshape(x, oldshape)


@implements(np.linalg.tensorinv)
def tensorinv(a, ind=2):
    """``numpy.linalg.tensorinv``: a reshaped ``inv``."""
    oldshape = shape_of(a)
    if ind <= 0:
        raise ValueError("Invalid ind argument.")
    invshape = oldshape[ind:] + oldshape[:ind]
    prod = int(np.prod(oldshape[ind:]))
    return reshape(inv(reshape(a, (prod, -1))), invshape)


for _name, _fn in (("svdvals", svdvals), ("vector_norm", vector_norm), ("matrix_norm", matrix_norm),
                   ("outer", linalg_outer)):   # numpy.linalg.cross: rules/einsum.py
    if hasattr(_LA, _name):
        implements(getattr(_LA, _name))(_fn)


# =========================================================================================
# scipy.linalg: matrix functions and the Sylvester equation
# =========================================================================================
def _sylvester_impl(a, b, q):
    dt = np.result_type(a, b, q)
    n, m = np.shape(q)[-2:]
    if np.ndim(q) == 2 and np.ndim(a) == 2 and np.ndim(b) == 2 or n * m > 64:
        return _keep_precision(sla.solve_sylvester(a, b, q), dt)
    # Small stacks (e.g. a Jacobian's worth of right-hand sides): SciPy loops over them in
    # Python; solve the Kronecker form (I (x) a + b^T (x) I) vec(X) = vec(q) at once.
    k = (np.kron(np.eye(m), a) + np.kron(np.swapaxes(b, -1, -2), np.eye(n))) if np.ndim(a) == np.ndim(b) == 2 else \
        _batched_kron_sum(a, b, n, m)
    qv = np.reshape(np.swapaxes(q, -1, -2), np.shape(q)[:-2] + (n * m, 1))     # column-major vec
    x = _solve_impl(k, qv)
    return np.swapaxes(np.reshape(x, np.shape(x)[:-2] + (m, n)), -1, -2).astype(dt, copy=False)


def _batched_kron_sum(a, b, n, m):
    """``I_m (x) a + b^T (x) I_n`` for stacked ``a`` (…, n, n) and ``b`` (…, m, m)."""
    ka = np.einsum("ij,...kl->...ikjl", np.eye(m), a)
    kb = np.einsum("...ji,kl->...ikjl", b, np.eye(n))
    lead = np.broadcast_shapes(np.shape(ka)[:-4], np.shape(kb)[:-4])
    return np.reshape(ka + kb, lead + (n * m, n * m))


sylvester_p = primitive(_sylvester_impl, "solve_sylvester")


def _sylv_jvp(which):
    def jvp(t, ans, a, b, q):
        t, nb = align(t, (a, b, q)[which], ans)
        rhs = -_mm(t, ans) if which == 0 else -_mm(ans, t) if which == 1 else t
        return fit(sylvester_p(a, b, rhs), ans, nb)
    return jvp


def _sylv_vjp(which):
    def vjp(g, ans, a, b, q):
        gq = sylvester_p(mH(a), mH(b), g)
        c = -_mm(gq, mH(ans)) if which == 0 else -_mm(mH(ans), gq) if which == 1 else gq
        return unbroadcast(c, shape_of((a, b, q)[which]), ndim_of(g) - ndim_of(ans))
    return vjp


sylvester_p.jvps = tuple(_sylv_jvp(i) for i in range(3))
sylvester_p.vjps = tuple(_sylv_vjp(i) for i in range(3))


@implements(sla.solve_sylvester)
def solve_sylvester(a, b, q):
    """``scipy.linalg.solve_sylvester``: ``X`` with ``a X + X b = q``."""
    return sylvester_p(a, b, q)


def _block_frechet(f_p, a, e):
    """The Frechet derivative ``L_f(a, e)``: the upper-right block of ``f([[a, e], [0, a]])``
    (``e`` may carry leading batch axes)."""
    dt = np.result_type(dtype_of(a), dtype_of(e))
    if dtype_of(a) != dt:
        a = astype(a, dt)
    if dtype_of(e) != dt:
        e = astype(e, dt)
    n = shape_of(a)[-1]
    ab = a if shape_of(e) == shape_of(a) else broadcast_p(a, shape_of(e), ndim_of(a))
    zero = np.zeros(shape_of(e), dt)
    big = concat_p(concat_p(ab, e, axis=-1), concat_p(zero, ab, axis=-1), axis=-2)
    return slice_axis_p(slice_axis_p(f_p(big), -2, 0, n), -1, n, 2 * n)


def _matrix_function(fn, name):
    def impl(a):
        return _keep_precision(fn(a), a)
    p = primitive(impl, name)
    p.jvps = (lambda t, ans, a: _block_frechet(p, a, t),)
    p.vjps = (lambda g, ans, a: _block_frechet(p, mH(a), g),)
    return p


logm_p = _matrix_function(lambda a: sla.logm(a), "logm")

# Higham (2005), "The scaling and squaring method for the matrix exponential revisited":
# the degree-13 Pade approximant and its bound on the scaled 1-norm.
_PADE13 = (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
           129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
           40840800., 960960., 16380., 182., 1.)
_THETA13 = 5.371920351148152


def _expm_stack(a):
    """``exp`` of a stack of matrices in one vectorised pass (Pade 13, each matrix scaled
    by its own power of 2 and squared back). SciPy's expm loops over a stack in Python,
    which dominates derivatives that push a Jacobian's worth of Frechet blocks at once."""
    a = np.asarray(a)
    n = a.shape[-1]
    norm = np.max(np.sum(np.abs(a), axis=-2), axis=-1)
    with np.errstate(divide="ignore"):
        s = np.where(norm > _THETA13, np.ceil(np.log2(norm / _THETA13)), 0).astype(int)
    a = a / (2.0 ** s)[..., None, None].astype(a.real.dtype)
    b = _PADE13
    ident = np.eye(n, dtype=a.dtype)
    a2 = a @ a
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = a @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident
    r = np.linalg.solve(v - u, v + u)
    for k in range(int(np.max(s, initial=0))):
        more = k < s
        r[more] = r[more] @ r[more]
    return r


def _expm_impl(a, stack=False):
    if stack and np.ndim(a) > 2:
        return _expm_stack(a).astype(np.result_type(a), copy=False)
    return _keep_precision(sla.expm(a), a)


expm_p = primitive(_expm_impl, "expm")


def _expm_stacked(m):
    return expm_p(m, stack=True)


expm_p.jvps = (lambda t, ans, a, stack=False: _block_frechet(_expm_stacked, a, t),)
expm_p.vjps = (lambda g, ans, a, stack=False: _block_frechet(_expm_stacked, mH(a), g),)


def _expm_frechet_matrix(x):
    """The n^2 x n^2 matrix of ``E -> L_exp(x, E)`` (row-major ``vec``), stacked like ``x``."""
    n = shape_of(x)[-1]
    basis = np.broadcast_to(np.eye(n * n, dtype=dtype_of(x)).reshape((n * n,) + (1,) * (ndim_of(x) - 2) + (n, n)),
                            (n * n,) + shape_of(x))
    cols = reshape_p(_block_frechet(_expm_stacked, x, basis), (n * n,), 2)     # (n^2, ..., n^2)
    nd = ndim_of(cols)
    return transpose_p(cols, tuple(range(1, nd)) + (0,))


def _vec_apply(k, e):
    """``unvec(k @ vec(e))`` for matrices ``e`` with leading batch axes."""
    n = shape_of(e)[-1]
    return reshape_p(solve_p(k, reshape_p(e, (n * n, 1), 2)), (n, n), 2)


# logm's derivative: L_log(A, E) = L_exp(X)^-1 E with X = logm(A) (exp(log A) = A). SciPy's
# logm is slow (pure Python), so for small matrices solving with the n^2 x n^2 Frechet
# matrix of expm (built with fast batched expm calls) beats one logm of a 2n block per
# direction; larger matrices use the block formula.
_LOGM_KRONECKER_MAX_N = 8


def _logm_jvp(t, ans, a):
    if shape_of(a)[-1] > _LOGM_KRONECKER_MAX_N:
        return _block_frechet(logm_p, a, t)
    return _vec_apply(_expm_frechet_matrix(ans), t)


def _logm_vjp(g, ans, a):
    if shape_of(a)[-1] > _LOGM_KRONECKER_MAX_N:
        return _block_frechet(logm_p, mH(a), g)
    return _vec_apply(mH(_expm_frechet_matrix(ans)), g)


logm_p.jvps = (_logm_jvp,)
logm_p.vjps = (_logm_vjp,)


@implements(sla.expm)
def expm(A):
    """``scipy.linalg.expm`` (stacked matrices too)."""
    _square(A, "expm")
    return expm_p(A)


@implements(sla.logm)
def logm(A, disp=_NOVALUE):
    """``scipy.linalg.logm`` (the principal logarithm; a real matrix with a negative
    eigenvalue has a complex logarithm)."""
    _square(A, "logm")
    return logm_p(A)


def _sqrtm_impl(a):
    return _keep_precision(sla.sqrtm(a), a)


sqrtm_p = primitive(_sqrtm_impl, "sqrtm")
sqrtm_p.jvps = (lambda t, ans, a: sylvester_p(ans, ans, t),)
sqrtm_p.vjps = (lambda g, ans, a: sylvester_p(mH(ans), mH(ans), g),)


@implements(sla.sqrtm)
def sqrtm(A, disp=_NOVALUE, blocksize=_NOVALUE):
    """``scipy.linalg.sqrtm``: ``dX`` solves ``X dX + dX X = dA``."""
    _square(A, "sqrtm")
    return sqrtm_p(A)


# =========================================================================================
# scipy.linalg: inv, solve, det, cholesky, cho_factor / cho_solve
# =========================================================================================
@implements(sla.inv)
def scipy_inv(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.inv``."""
    _square(a, "inv")
    if check_finite:
        _check_finite("inv", a)
    return inv_p(a, scipy=True)


_ASSUME = {None: None, "gen": "gen", "general": "gen", "sym": "sym", "symmetric": "sym",
           "her": "her", "hermitian": "her", "pos": "pos", "positive definite": "pos",
           "diagonal": "diagonal", "tridiagonal": "tridiagonal", "banded": "banded",
           "upper triangular": "upper triangular", "lower triangular": "lower triangular"}


@implements(sla.solve)
def scipy_solve(a, b, lower=False, overwrite_a=False, overwrite_b=False, check_finite=True,
                assume_a=None, transposed=False):
    """``scipy.linalg.solve``. Structured ``assume_a`` reads only the entries SciPy reads
    (one triangle for 'sym'/'her'/'pos', the diagonal or three bands, a triangle)."""
    _square(a, "solve")
    if check_finite:
        _check_finite("solve", a, b)
    if assume_a not in _ASSUME:
        raise ValueError(f"solve: {assume_a!r} is not a recognized matrix structure")
    kind = _ASSUME[assume_a]
    if transposed and is_complex(a):
        raise NotImplementedError("scipy.linalg.solve: transposed=True is not supported for complex a")
    b2, vec = _as_matrix_rhs(b)
    n = shape_of(a)[-1]
    if kind in ("upper triangular", "lower triangular"):
        low = kind == "lower triangular"
        x = tri_solve_p(mT(a) if transposed else a, b2, lower=low != bool(transposed))
    else:
        if kind in ("sym", "her", "pos"):          # symmetric: transposed changes nothing
            if kind != "sym":
                _real_only(a, f"solve(assume_a={assume_a!r})")
            a = _sym_from_tri(a, lower=bool(lower))
        elif kind == "diagonal":
            a = where_p(np.eye(n, dtype=bool), a, 0)
        elif kind == "tridiagonal":
            i = np.arange(n)
            a = where_p(np.abs(i[:, None] - i[None, :]) <= 1, a, 0)
        if transposed and kind not in ("sym", "her", "pos", "diagonal"):
            a = mT(a)
        x = solve_p(a, b2, scipy_opts=(("assume_a", kind), ("lower", bool(lower))))
    return _drop_rhs_axis(x) if vec else x


@implements(sla.det)
def scipy_det(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.det`` (float32 in, float32 out)."""
    _square(a, "det")
    if check_finite:
        _check_finite("det", a)
    return det_p(a, scipy=True)


@implements(sla.cholesky)
def scipy_cholesky(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cholesky``: reads the upper (``lower=True``: lower) triangle."""
    _square(a, "cholesky")
    _real_only(a, "cholesky")
    if check_finite:
        _check_finite("cholesky", a)
    return cholesky_p(a, upper=not lower, scipy=True)


# The triangle of cho_factor's c that does not hold the factor: a's own entries up to
# SciPy 1.17, zeros from 1.18. Follow the SciPy installed.
_CHO_KEEPS_A = bool(sla.cho_factor(np.array([[4.0, 2.0], [2.0, 5.0]]))[0][1, 0] != 0)


@implements(sla.cho_factor)
def cho_factor(a, lower=False, overwrite_a=False, check_finite=True):
    """``scipy.linalg.cho_factor`` -> ``(c, lower)``; as in the SciPy installed, the
    triangle of ``c`` not holding the factor holds ``a``'s own entries (SciPy < 1.18) or
    zeros."""
    c = scipy_cholesky(a, lower=lower, check_finite=check_finite)
    if _CHO_KEEPS_A:
        c = c + (_triu(a, 1) if lower else _tril(a, -1))
    return c, bool(lower)


@implements(sla.cho_solve)
def cho_solve(c_and_lower, b, overwrite_b=False, check_finite=True):
    """``scipy.linalg.cho_solve``: two triangular solves with the factor in ``c``."""
    c, lower = c_and_lower
    lower = bool(np.all(value_of(lower)))
    _square(c, "cho_solve")
    if check_finite:
        _check_finite("cho_solve", c, b)
    b2, vec = _as_matrix_rhs(b)
    if lower:
        x = tri_solve_p(mH(c), tri_solve_p(c, b2, lower=True), lower=False)
    else:
        x = tri_solve_p(c, tri_solve_p(mH(c), b2, lower=True), lower=False)
    return _drop_rhs_axis(x) if vec else x


# =========================================================================================
# scipy.linalg: LU
# =========================================================================================
def _lu_impl(a):
    lu, piv = sla.lu_factor(a, check_finite=False)
    return _keep_precision(lu, a), piv


lu_p = primitive(_lu_impl, "lu_factor", multiple_results=True)


def _perm_matrix(piv, dtype) -> np.ndarray:
    """``Pt`` with ``Pt @ A == A[perm]`` (= P^T A for A = P L U), from LAPACK's pivots."""
    piv = np.asarray(value_of(piv))
    n = piv.shape[-1]
    flat = piv.reshape(-1, n)
    perm = np.tile(np.arange(n), (flat.shape[0], 1))
    for bi in range(flat.shape[0]):
        for i, p in enumerate(flat[bi]):
            perm[bi, i], perm[bi, p] = perm[bi, p], perm[bi, i]
    pt = np.zeros(flat.shape + (n,), dtype)
    pt[np.arange(flat.shape[0])[:, None], np.arange(n)[None, :], perm] = 1
    return pt.reshape(piv.shape + (n,))


def _lu_factors(lu):
    n = shape_of(lu)[-1]
    return _tril(lu, -1) + _eye(n, lu), _triu(lu)


def _lu_jvp(t, ans, a):
    lu, piv = ans
    low, up = _lu_factors(lu)
    y = tri_solve_p(lu, _mm(_perm_matrix(piv, dtype_of(lu)), t), lower=True, unit=True)
    x = _right_tri_solve(y, lu, lower=False)               # L^-1 P^T dA U^-1
    return trimm_p(low, _tril(x, -1), lower=True) + trimm_p(x, up, lower=False), None


def _lu_vjp(g, ans, a):
    lu, piv = ans
    glu = g[0]
    if glu is None:
        return None
    low, up = _lu_factors(lu)
    lh = conj_p(low) if is_complex(low) else low
    gx = _tril(trimm_p(lh, _tril(glu, -1), lower=True, trans=True), -1) + _triu(trimm_p(glu, mH(up), lower=False))
    z = tri_solve_p(mH(lu), gx, lower=False, unit=True)     # L^-H gX
    w = mH(tri_solve_p(lu, mH(z), lower=False))             # . U^-H
    return _mm(mT(_perm_matrix(piv, dtype_of(lu))), w)


lu_p.jvps = (_lu_jvp,)
lu_p.vjps = (_lu_vjp,)


@implements(sla.lu_factor)
def lu_factor(a, overwrite_a=False, check_finite=True):
    """``scipy.linalg.lu_factor`` -> ``(lu, piv)`` (square matrices); ``piv`` is an integer
    array (pivots are locally constant: they have no derivative)."""
    s = shape_of(a)
    if len(s) < 2 or s[-1] != s[-2]:
        raise NotImplementedError(f"lu_factor: only square matrices are supported on traced values, got shape {s}")
    if check_finite:
        _check_finite("lu_factor", a)
    lu, piv = lu_p(a)
    return lu, value_of(piv)


@implements(sla.lu_solve)
def lu_solve(lu_and_piv, b, trans=0, overwrite_b=False, check_finite=True):
    """``scipy.linalg.lu_solve``: triangular solves with the factors in ``lu``."""
    lu, piv = lu_and_piv
    _square(lu, "lu_solve")
    if check_finite:
        _check_finite("lu_solve", lu, b)
    trans = {"N": 0, "T": 1, "C": 2}.get(trans, trans)
    b2, vec = _as_matrix_rhs(b)
    pt = _perm_matrix(piv, np.result_type(dtype_of(lu), dtype_of(b)))
    if trans == 0:
        x = tri_solve_p(lu, tri_solve_p(lu, _mm(pt, b2), lower=True, unit=True), lower=False)
    elif trans in (1, 2):
        h = mT if trans == 1 else mH
        y = tri_solve_p(h(lu), b2, lower=True)                    # U^-T b
        x = _mm(mT(pt), tri_solve_p(h(lu), y, lower=False, unit=True))
    else:
        raise ValueError(f"lu_solve: trans must be 0, 1, 2 or 'N', 'T', 'C', got {trans!r}")
    return _drop_rhs_axis(x) if vec else x


# =========================================================================================
# scipy.linalg: banded solve
# =========================================================================================
def _banded_impl(ab, b, l=0, u=0):
    return _keep_precision(sla.solve_banded((l, u), ab, b, check_finite=False), np.result_type(ab, b))


banded_p = primitive(_banded_impl, "solve_banded")


def _band_gather(x, rows, cols, valid):
    """``out[..., i, j] = x[..., rows[i, j], cols[i, j]]`` where ``valid``, else 0."""
    r = np.where(valid, rows, 0)
    c = np.where(valid, cols, 0)
    return where_p(valid, getitem_p(x, (r, c), 2), 0)


def _band_to_dense(ab, l, u):
    n = shape_of(ab)[-1]
    i, j = np.indices((n, n))
    return _band_gather(ab, u + i - j, j, (i - j <= l) & (j - i <= u))


def _dense_to_band(m, l, u):
    n = shape_of(m)[-1]
    r, j = np.indices((l + u + 1, n))
    i = r - u + j
    return _band_gather(m, i, j, (i >= 0) & (i < n))


def _band_transpose(ab, l, u):
    """Banded storage of ``A^H`` (bandwidths swapped) from that of ``A``."""
    n = shape_of(ab)[-1]
    r, j = np.indices((l + u + 1, n))
    i = r - l + j
    out = _band_gather(ab, u + l - r, i, (i >= 0) & (i < n))
    return conj_p(out) if is_complex(out) else out


def _banded_jvp_ab(t, ans, ab, b, l=0, u=0):
    t, nb = align(t, ab, ans)
    return fit(-banded_p(ab, _mm(_band_to_dense(t, l, u), ans), l=l, u=u), ans, nb)


def _banded_jvp_b(t, ans, ab, b, l=0, u=0):
    t, nb = align(t, b, ans)
    return fit(banded_p(ab, t, l=l, u=u), ans, nb)


def _banded_vjp_ab(g, ans, ab, b, l=0, u=0):
    gb = banded_p(_band_transpose(ab, l, u), g, l=u, u=l)
    return unbroadcast(_dense_to_band(-_mm(gb, mH(ans)), l, u), shape_of(ab), ndim_of(g) - ndim_of(ans))


def _banded_vjp_b(g, ans, ab, b, l=0, u=0):
    gb = banded_p(_band_transpose(ab, l, u), g, l=u, u=l)
    return unbroadcast(gb, shape_of(b), ndim_of(g) - ndim_of(ans))


banded_p.jvps = (_banded_jvp_ab, _banded_jvp_b)
banded_p.vjps = (_banded_vjp_ab, _banded_vjp_b)


@implements(sla.solve_banded)
def solve_banded(l_and_u, ab, b, overwrite_ab=False, overwrite_b=False, check_finite=True):
    """``scipy.linalg.solve_banded``: ``A x = b`` with ``A`` in banded storage ``ab``
    (``ab[u + i - j, j] == A[i, j]``; the unused corners of ``ab`` get a zero derivative)."""
    l, u = (operator.index(k) for k in l_and_u)
    _real_only(ab, "solve_banded")
    if check_finite:
        _check_finite("solve_banded", ab, b)
    if shape_of(ab)[-2] != l + u + 1:
        raise ValueError(f"invalid values for the number of lower and upper diagonals: l+u+1 "
                         f"({l + u + 1}) does not equal ab.shape[-2] ({shape_of(ab)[-2]})")
    b2, vec = _as_matrix_rhs(b)
    x = banded_p(ab, b2, l=l, u=u)
    return _drop_rhs_axis(x) if vec else x

"""einsum, and the products that remain beside matmul/dot/outer/tensordot: inner, vdot,
kron, cross, vecdot, matvec, vecmat.

``einsum_p`` takes explicit subscripts with no ellipsis (the public ``einsum`` expands the
user's ``...`` into letters and squeezes labels broadcast from size 1), and puts ``...`` in
front of every operand and of the output itself. That leading ``...`` carries the batch axes
of a tangent or cotangent (and the extra axes an outer transform may give an operand), so one
primitive serves every batch depth: broadcasting over the leading axes works as in matmul.

Each operand enters linearly. The JVP is einsum with the tangent in the operand's place.
The VJP of operand ``i`` is one einsum of the cotangent with the other operands (conjugated:
torch's convention) into ``i``'s subscripts; a label repeated in ``i`` (a diagonal, ``'ii'``)
is rebuilt with an identity matrix, a label that appears nowhere else (summed away) with a
vector of ones, both passed as constant operands.
"""
from __future__ import annotations

import string
import warnings

import numpy as np

from ..core import Box
from .broadcast import dtype_of, ndim_of, reshape_p, shape_of, unbroadcast
from .elementwise import conj_p, is_complex
from .reductions import norm_axis, sum_p
from .registry import UFUNCS, defjvp_argnum, defvjp_argnum, implements, nondiff, primitive

_LETTERS = string.ascii_letters   # the labels NumPy accepts


def _arr(x):
    return x if isinstance(x, Box) else np.asarray(x)


# -- the primitive -----------------------------------------------------------------------
def _einsum(*operands, spec, optimize):
    ins, out = spec
    subscripts = ",".join("..." + s for s in ins) + "->..." + out
    if len(operands) > 2 and optimize is False:
        optimize = "greedy"   # a single nested loop over every label is far slower
    return np.einsum(subscripts, *operands, optimize=optimize)


einsum_p = primitive(_einsum, "einsum")


def _fresh(used: str):
    return iter(c for c in _LETTERS if c not in used)


def _einsum_vjp(i, g, ans, *ops, spec, optimize):
    ins, out = spec
    si = ins[i]
    xi = ops[i]
    core = shape_of(xi)[ndim_of(xi) - len(si):]
    fresh = _fresh("".join(ins) + out)
    dtype = dtype_of(xi)
    target, consts, const_subs, seen = [], [], [], set()
    for c, n in zip(si, core):
        if c in seen:   # a diagonal: put the cotangent back on it with an identity matrix
            f = next(fresh)
            consts.append(np.eye(n, dtype=dtype))
            const_subs.append(c + f)
            target.append(f)
        else:
            seen.add(c)
            target.append(c)
    covered = set(out + "".join(s for j, s in enumerate(ins) if j != i) + "".join(const_subs))
    for c, n in zip(si, core):
        if c not in covered:   # summed away in the forward pass: the cotangent is constant along it
            covered.add(c)
            consts.append(np.ones(n, dtype=dtype))
            const_subs.append(c)
    others = [conj_p(x) if is_complex(x) else x for j, x in enumerate(ops) if j != i]
    other_subs = tuple(s for j, s in enumerate(ins) if j != i)
    c = einsum_p(g, *others, *consts, spec=((out,) + other_subs + tuple(const_subs), "".join(target)),
                 optimize=optimize)
    return unbroadcast(c, shape_of(xi), ndim_of(g) - ndim_of(ans))


def _einsum_jvp(i, t, ans, *ops, spec, optimize):
    ins, out = spec
    xi = ops[i]
    nb = ndim_of(t) - ndim_of(xi)
    short = (ndim_of(ans) - len(out)) - (ndim_of(xi) - len(ins[i]))
    if nb and short > 0:   # keep the tangent's batch axes in front of the others' leading axes
        t = reshape_p(t, (1,) * short + shape_of(xi), ndim_of(xi))
    args = list(ops)
    args[i] = t
    return einsum_p(*args, spec=spec, optimize=optimize)


defvjp_argnum(einsum_p, _einsum_vjp)
defjvp_argnum(einsum_p, _einsum_jvp)


# -- parsing NumPy's subscripts ------------------------------------------------------------
def _sublist_to_str(sub) -> str:
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
        else:
            s = int(s)
            if not 0 <= s < 52:
                raise ValueError(f"einsum: subscript {s} in a sublist must be between 0 and 51")
            out.append(chr(ord("A") + s) if s < 26 else chr(ord("a") + s - 26))
    return "".join(out)


def _split_args(args):
    """(subscripts string, operands) from either of NumPy's calling conventions."""
    if isinstance(args[0], str):
        return args[0], list(args[1:])
    ops, subs = list(args[0::2]), [_sublist_to_str(s) for s in args[1::2]]
    out = None
    if len(args) % 2:   # a trailing output sublist
        out = _sublist_to_str(ops.pop())
    return ",".join(subs) + ("" if out is None else "->" + out), ops


def _parse(subscripts: str, ops: list):
    """Explicit subscripts without ellipsis for ``ops``: returns (ins, out, ops), where
    operands whose labels broadcast from size 1 have those axes squeezed away."""
    subscripts = subscripts.replace(" ", "")
    lhs, arrow, out = subscripts.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ops):
        raise ValueError(f"einsum: the subscripts name {len(ins)} operand(s) but {len(ops)} were given")
    for s in ins + [out]:
        if s.count("...") > 1 or any(c not in _LETTERS for c in s.replace("...", "")):
            raise ValueError(f"einsum: invalid subscripts {s!r}: use letters a-z, A-Z and at most one '...'")
    # the ellipsis: fresh letters, right-aligned across operands
    ell = []
    for s, x in zip(ins, ops):
        n = len(s.replace("...", ""))
        extra = ndim_of(x) - n
        if extra < 0 or (extra and "..." not in s):
            raise ValueError(f"einsum: operand has {ndim_of(x)} dimension(s) but subscripts {s!r} "
                             f"name {n}")
        ell.append(extra)
    nell = max(ell, default=0)
    E = "".join(list(_fresh(subscripts))[:nell])
    if len(E) < nell:
        raise NotImplementedError("einsum: too many dimensions under '...' (out of letters)")
    ins = [s.replace("...", E[nell - e:]) for s, e in zip(ins, ell)]
    if arrow:
        if "..." in out:
            out = out.replace("...", E)
        elif nell:
            raise ValueError("einsum: the output has no '...' but the operands have dimensions "
                             "under '...'; add '...' to the output subscripts")
    else:
        counts = {}
        for c in "".join(ins):
            counts[c] = counts.get(c, 0) + 1
        out = E + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in E))
    if len(set(out)) != len(out):
        raise ValueError(f"einsum: output subscripts {out!r} repeat a label")
    if any(c not in "".join(ins) for c in out):
        raise ValueError(f"einsum: output subscripts {out!r} name a label no operand has")
    # label sizes; a label of size 1 in one operand broadcasts against the others
    sizes: dict = {}
    for s, x in zip(ins, ops):
        mine: dict = {}
        for c, n in zip(s, shape_of(x)):
            if mine.setdefault(c, n) != n:
                raise ValueError(f"einsum: label {c!r} is repeated in {s!r} with different sizes")
            sizes.setdefault(c, set()).add(n)
    full = {}
    for c, ns in sizes.items():
        big = ns - {1}
        if len(big) > 1:
            raise ValueError(f"einsum: label {c!r} has incompatible sizes {sorted(ns)}")
        full[c] = big.pop() if big else 1
    for j, (s, x) in enumerate(zip(ins, ops)):
        drop = [k for k, (c, n) in enumerate(zip(s, shape_of(x))) if n == 1 and full[c] != 1]
        if drop:
            keep = [k for k in range(len(s)) if k not in drop]
            ins[j] = "".join(s[k] for k in keep)
            ops[j] = reshape_p(x, tuple(shape_of(x)[k] for k in keep), len(s))
    return tuple(ins), out, ops


@implements(np.einsum)
def einsum(*operands, out=None, optimize=False, dtype=None, order="K", casting="safe"):
    """``numpy.einsum`` (string or sublist form, ``...``, repeated labels, implicit output).

    >>> import numpy as np, funcad
    >>> funcad.grad(lambda a: np.einsum('ii', a))(np.ones((2, 2)))
    array([[1., 0.],
           [0., 1.]])
    """
    if out is not None:
        raise NotImplementedError("einsum(..., out=...) is not supported on traced values: "
                                  "funcad never writes into arrays. Use the returned value.")
    if not operands:
        raise ValueError("einsum: no subscripts given")
    subscripts, ops = _split_args(operands)
    ops = [_arr(x) for x in ops]
    if dtype is not None:
        from .shape import astype
        ops = [astype(x, dtype) for x in ops]
    ins, outs, ops = _parse(subscripts, ops)
    if not isinstance(optimize, (bool, str)):
        optimize = True   # an explicit path fits only the forward contraction, not the rules'
    return einsum_p(*ops, spec=(ins, outs), optimize=optimize)


einsum_path = nondiff(np.einsum_path)   # a contraction order: no derivative


# -- other products ------------------------------------------------------------------------
@implements(np.inner)
def inner(a, b, /):
    """Sum over the last axes of ``a`` and ``b``."""
    from .contractions import matmul_p, tensordot
    a, b = _arr(a), _arr(b)
    if ndim_of(a) == 0 or ndim_of(b) == 0:
        return a * b
    if ndim_of(a) == ndim_of(b) == 1:   # a dot product: matmul's direct rules
        (n,), (m,) = shape_of(a), shape_of(b)
        if n != m:
            raise ValueError(f"shapes ({n},) and ({m},) not aligned: {n} (dim 0) != {m} (dim 0)")
        return matmul_p(a, b)
    return tensordot(a, b, axes=([-1], [-1]))


@implements(np.vdot)
def vdot(a, b, /):
    """``sum(conj(a.ravel()) * b.ravel())``."""
    from .shape import ravel
    a, b = ravel(_arr(a)), ravel(_arr(b))
    if shape_of(a) != shape_of(b):
        raise ValueError("vdot: a and b must have the same number of elements")
    if is_complex(a):
        a = conj_p(a)
    return sum_p(a * b, (-1,), 1, False)


@implements(np.kron)
def kron(a, b):
    """Kronecker product: ``a``'s and ``b``'s axes interleaved, multiplied, merged."""
    from .shape import reshape
    a, b = _arr(a), _arr(b)
    na, nb = ndim_of(a), ndim_of(b)
    if na == 0 or nb == 0:
        return a * b
    nd = max(na, nb)
    sa = (1,) * (nd - na) + shape_of(a)
    sb = (1,) * (nd - nb) + shape_of(b)
    a = reshape(a, tuple(d for n in sa for d in (n, 1)))
    b = reshape(b, tuple(d for n in sb for d in (1, n)))
    return reshape(a * b, tuple(x * y for x, y in zip(sa, sb)))


def _numpy_takes_2_vectors() -> bool:
    """NumPy 2.0 deprecated cross products of 2-vectors and 2.5 removed them: follow the
    NumPy installed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        try:
            np.cross(np.ones(2), np.ones(2))
        except ValueError:
            return False
    return True


_CROSS_2 = _numpy_takes_2_vectors()


@implements(np.cross)
def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """Cross product of 3-vectors (or 2-vectors, where the NumPy installed still takes
    them) along an axis."""
    from .shape import broadcast_to, moveaxis, stack
    a, b = _arr(a), _arr(b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(a, norm_axis(axisa, ndim_of(a), "axisa")[0], -1)
    b = moveaxis(b, norm_axis(axisb, ndim_of(b), "axisb")[0], -1)
    na, nb = shape_of(a)[-1], shape_of(b)[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise ValueError("incompatible dimensions for cross product\n(dimension must be 2 or 3)")
    if (na == 2 or nb == 2) and not _CROSS_2:
        raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, but they "
                         f"are {na} and {nb} dimensional instead.")
    if na == 2 or nb == 2:
        warnings.warn("Arrays of 2-dimensional vectors are deprecated. Use arrays of "
                      "3-dimensional vectors instead. (deprecated in NumPy 2.0)",
                      DeprecationWarning, stacklevel=2)
    lead = np.broadcast_shapes(shape_of(a)[:-1], shape_of(b)[:-1])
    a0, a1, b0, b1 = a[..., 0], a[..., 1], b[..., 0], b[..., 1]
    z = a0 * b1 - a1 * b0
    if na == 2 and nb == 2:
        return broadcast_to(z, lead) if shape_of(z) != lead else z
    if na == 3 and nb == 3:
        a2, b2 = a[..., 2], b[..., 2]
        x, y = a1 * b2 - a2 * b1, a2 * b0 - a0 * b2
    elif na == 3:   # b's third component is 0
        a2 = a[..., 2]
        x, y = -a2 * b1, a2 * b0
    else:           # a's third component is 0
        b2 = b[..., 2]
        x, y = a1 * b2, -a0 * b2
    parts = [p if shape_of(p) == lead else broadcast_to(p, lead) for p in (x, y, z)]
    axc = norm_axis(axisc, len(lead) + 1, "axisc")[0]
    return moveaxis(stack(parts, axis=-1), -1, axc)


@implements(np.linalg.cross)
def linalg_cross(x1, x2, /, *, axis=-1):
    """``numpy.linalg.cross``: 3-vectors only."""
    x1, x2 = _arr(x1), _arr(x2)
    if shape_of(x1)[axis] != 3 or shape_of(x2)[axis] != 3:
        raise ValueError(f"Both input arrays must be (arrays of) 3-dimensional vectors, but they "
                         f"are {shape_of(x1)[axis]} and {shape_of(x2)[axis]} dimensional instead.")
    return cross(x1, x2, axis=axis)


@implements(np.linalg.vecdot)
def vecdot(x1, x2, /, *, axis=-1):
    """``sum(conj(x1) * x2, axis)`` with broadcasting."""
    x1, x2 = _arr(x1), _arr(x2)
    if is_complex(x1):
        x1 = conj_p(x1)
    p = x1 * x2
    return sum_p(p, norm_axis(axis, ndim_of(p)), ndim_of(p), False)


def _vector_last(x, name):
    if ndim_of(x) < 1:
        raise ValueError(f"{name}: the vector operand must have at least 1 dimension")
    return reshape_p(x, shape_of(x)[-1:] + (1,), 1)   # (..., n) -> (..., n, 1)


def matvec(x1, x2, /):
    """``x1 @ x2`` for stacks of matrices ``x1`` and vectors ``x2``."""
    from .contractions import matmul
    x1, x2 = _arr(x1), _arr(x2)
    r = matmul(x1, _vector_last(x2, "matvec"))
    return reshape_p(r, shape_of(r)[-2:-1], 2)


def vecmat(x1, x2, /):
    """``conj(x1) @ x2`` for stacks of vectors ``x1`` and matrices ``x2``."""
    from .contractions import matmul
    from .shape import matrix_transpose
    x1, x2 = _arr(x1), _arr(x2)
    if is_complex(x1):
        x1 = conj_p(x1)
    r = matmul(matrix_transpose(x2), _vector_last(x1, "vecmat"))
    return reshape_p(r, shape_of(r)[-2:-1], 2)


# NumPy >= 2.2's gufuncs reach funcad through __array_ufunc__ (no keywords there).
for _uf, _fn in (("vecdot", vecdot), ("matvec", matvec), ("vecmat", vecmat)):
    if hasattr(np, _uf):
        UFUNCS[getattr(np, _uf)] = _fn

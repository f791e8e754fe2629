"""Rules for elementwise functions from their partial derivatives.

An elementwise primitive needs one thing per argument: its partial derivative ``d(ans,
*args)``. Then ``jvp = t * d`` and ``vjp = g * conj(d)`` (torch's convention for complex
values), with broadcasting between arguments handled here once: tangents are aligned to
the answer's rank, cotangents are summed back to the argument's shape (``unbroadcast``).
``ONE`` and ``NEG`` mark partials of exactly 1 and -1 (no multiplication is done);
``over(h)`` marks a partial ``1 / h`` (the rules divide by ``h``).
"""
from __future__ import annotations

import dis

import numpy as np

from ..core import Box
from ..core.reverse import INPLACE_SIZE, writable_temporary
from .broadcast import align, broadcasts_into, dtype_of, fit, ndim_of, shape_of, unbroadcast
from .registry import UFUNCS, deflinear, defreads, primitive

ONE = "one"
NEG = "neg"
ZERO = "zero"   # a piecewise-constant function (floor, sign...): connected, derivative zero


class mask:
    """A partial that is 1 where ``fn(ans, *args)`` holds and 0 elsewhere; applied as a
    selection (``where(m, g, 0)``), so an inf or NaN elsewhere in ``g`` does not leak."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


class over:
    """A partial ``1 / fn(ans, *args)``, applied as a division (``g / conj(h)``, ``t / h``):
    one array pass fewer than a reciprocal and a product, and the number torch computes
    (its ``log`` backward is ``grad / self``)."""

    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn


def is_complex(x) -> bool:
    if isinstance(x, float):   # Python and float64 scalars, the common partials: no lookup
        return False
    while isinstance(x, Box):
        x = x._p
    dt = getattr(x, "dtype", None)
    return dt.kind == "c" if dt is not None else isinstance(x, complex)


_REAL = np.dtype(float)


def real_if_real(c, x):
    """A cotangent for ``x``: its real part when ``x`` is real (torch's rule for a real
    input of a complex computation)."""
    if is_complex(c) and not is_complex(x):
        from .ufuncs import real
        return real(c)
    return c


conj_p = primitive(np.conjugate, "conjugate")
deflinear(conj_p, lambda g, ans, x: conj_p(g))
UFUNCS[np.conjugate] = conj_p


def _unit(dtype) -> np.ndarray:
    u = np.ones((), dtype)
    u.flags.writeable = False
    return u


# Unit seeds: the cotangent seed of a real scalar output (grad's) is one of these shared,
# read-only 0-d ones, and a VJP rule's product with a traced partial is skipped: the partial
# itself is the cotangent. Nested scalar derivatives record about 30% fewer operations (W8).
UNITS = {np.dtype(np.float64): _unit(np.float64), np.dtype(np.float32): _unit(np.float32)}
_UNIT_IDS = frozenset(id(u) for u in UNITS.values())


def _scale(g, d):
    """A VJP's product ``g * d`` (``conj(d)`` when complex, torch's convention). With the
    unit seed and a traced ``d`` (a derivative being differentiated again) the product is
    skipped; a plain ``d`` is still multiplied, so a result never aliases a user's array or
    another result, unless ``d`` is a temporary its rule just computed and ``g`` the unit
    seed broadcast by a sum (``sum(tanh(x) ** 2)``: ``2 * t`` is the cotangent as it is)."""
    if id(g) in _UNIT_IDS and isinstance(d, Box) and shape_of(d) == () and dtype_of(d) == g.dtype:
        return d   # real: the unit's dtype
    if type(d) is np.ndarray and d.size >= INPLACE_SIZE and _into(g, d):
        if id(g.base) in _UNIT_IDS:   # g is the unit seed broadcast (sum's VJP): g * d is d
            return d
        return _multiply(g, d, out=d)
    return g * (conj_p(d) if is_complex(d) else d)


def _divide(g, h):
    """A VJP's quotient ``g / conj(h)`` for a partial ``over(h)``."""
    if type(h) is np.ndarray and h.size >= INPLACE_SIZE and _into(g, h):
        return _true_divide(g, h, out=h)
    return g / (conj_p(h) if is_complex(h) else h)


def _into(g, d) -> bool:
    """Whether ``g``'s product with a partial ``d`` (a large array: the caller checks) can
    be written into ``d``: a real temporary the rule just computed (held by the caller's
    name and ours alone), of the result's shape and dtype (tanh's ``1 - ans * ans``: one
    array allocation fewer)."""
    return (type(g) is np.ndarray and g.shape == d.shape and g.dtype == d.dtype
            and d.dtype.kind == "f" and writable_temporary(d, 2))


_multiply, _true_divide = np.multiply, np.true_divide


_BITS = {np.dtype(t): np.dtype(u) for t, u in ((np.float64, np.uint64), (np.float32, np.uint32),
                                               (np.float16, np.uint16))}
SELECT_SIZE = 4096   # elements: below this np.where costs no more


def select(c, v):
    """``where(c, v, 0)``: a mask partial applied, so an inf or NaN of ``v`` outside ``c``
    does not leak. ``np.where`` branches per entry and on a mask without pattern (relu's
    ``x > 0``) mispredicts half the time: 3.6 ms for a million entries. For a large real
    float array the same bits come from an AND with ``c`` spread to all-ones words (0.6 ms),
    +0.0 outside ``c`` as where gives."""
    u = _BITS.get(getattr(v, "dtype", None))
    if (u is not None and type(v) is np.ndarray and v.size >= SELECT_SIZE and type(c) is np.ndarray
            and c.dtype == np.bool_ and broadcasts_into(c.shape, v.shape)):
        m = (c if c.shape == v.shape else np.broadcast_to(c, v.shape)).astype(u)
        np.negative(m, out=m)                      # True -> all ones
        np.bitwise_and(m, v.view(u), out=m)
        return m.view(v.dtype)
    return where_p(c, v, 0)


def _zeros(v, ans, x):
    """The derivative of a piecewise-constant function: zeros shaped like ``v`` (as torch)."""
    return np.zeros(shape_of(v), dtype_of(v))


def _times(v, d, ans, args, conj: bool):
    """``v`` times the partial ``d``: nothing to do for ``ONE``, a sign, a selection, or a
    product (with the partial's conjugate for a VJP, torch's convention)."""
    if d is ONE:
        return v
    if d is NEG:
        return -v
    if type(d) is mask:
        return select(d.fn(ans, *args), v)
    if type(d) is over:   # the partial goes straight into the call: _into counts on that
        return _divide(v, d.fn(ans, *args)) if conj else v / d.fn(ans, *args)
    return _scale(v, d(ans, *args)) if conj else v * d(ans, *args)


def _vjp(i, d):
    """Argument ``i``'s VJP rule from its partial ``d``: one closure per argument, so the
    backward pass makes few calls per node."""
    def vjp(g, ans, *args):
        x = args[i]
        if getattr(x, "shape", ()) == getattr(ans, "shape", ()):
            c = _times(g, d, ans, args, True)
        elif d is NEG:   # the sign after the sum: negate the smaller array (``A - b``'s b)
            c = -unbroadcast(g, shape_of(x), ndim_of(g) - ndim_of(ans))
        else:
            c = unbroadcast(_times(g, d, ans, args, True), shape_of(x), ndim_of(g) - ndim_of(ans))
        return c if getattr(ans, "dtype", _REAL).kind != "c" else real_if_real(c, x)
    return vjp


def _jvp(i, d):
    """Argument ``i``'s JVP rule from its partial ``d`` (a plain product, the common case,
    is inlined)."""
    product = callable(d)   # not ONE, NEG, a mask or over(h)

    def jvp(t, ans, *args):
        x = args[i]
        same = getattr(x, "shape", ()) == getattr(ans, "shape", ())
        if not same:
            t, nb = align(t, x, ans)
        c = t * d(ans, *args) if product else _times(t, d, ans, args, False)
        return c if same else fit(c, ans, nb)
    return jvp


def _names_read(fn) -> tuple | None:
    """What a partial ``fn(ans, *args)`` reads: ``(reads_ans, argument positions)``, from
    the parameter names its code mentions (any mention counts); ``None`` when its code does
    not say (no plain function, ``*args``, ``locals()``...)."""
    code = getattr(fn, "__code__", None)
    if code is None or code.co_flags & 0x0C or {"locals", "vars", "eval", "exec"} & set(code.co_names):
        return None   # 0x0C: *args or **kwargs
    params = code.co_varnames[:code.co_argcount]
    used = set(code.co_cellvars)   # parameters an inner function captures
    for ins in dis.get_instructions(code):
        a = ins.argval
        used.update(a if isinstance(a, tuple) else (a,))
    return params[0] in used, frozenset(i for i, n in enumerate(params[1:]) if n in used)


def _reads(d) -> tuple | None:
    """``_names_read`` of a partial of any kind: ONE, NEG, ZERO and ``None`` read nothing."""
    if d is None or d is ONE or d is NEG or d is ZERO:
        return False, frozenset()
    return _names_read(d.fn if type(d) in (mask, over) else d)


def _described(prim, partials):
    """Declare what ``prim``'s rules read, from its partials (``defreads``)."""
    return defreads(prim, *(_reads(d) for d in partials))


def defelementwise(prim, *partials):
    """Give an elementwise primitive its rules from its partials (``None``: no derivative)."""
    prim.jvp_all = None
    if partials == (ZERO,):
        prim.vjps = prim.jvps = (_zeros,)
        return _described(prim, partials)
    if len(partials) == 1 and callable(partials[0]):
        d = partials[0]    # one argument: no broadcasting to undo
        prim.vjps = (lambda g, ans, x: _scale(g, d(ans, x)),)
        prim.jvps = (lambda t, ans, x: t * d(ans, x),)
        prim.jvp_all = lambda ts, ans, x: ts[0] * d(ans, x)
        return _described(prim, partials)
    if len(partials) == 1 and type(partials[0]) is over:
        h = partials[0].fn
        prim.vjps = (lambda g, ans, x: _divide(g, h(ans, x)),)
        prim.jvps = (lambda t, ans, x: t / h(ans, x),)
        prim.jvp_all = lambda ts, ans, x: ts[0] / h(ans, x)
        return _described(prim, partials)
    prim.vjps = tuple(None if d is None else _vjp(i, d) for i, d in enumerate(partials))
    prim.jvps = tuple(None if d is None else _jvp(i, d) for i, d in enumerate(partials))
    prim.jvp_all = (_jvp_binary if len(partials) == 2 else _jvp_all)(partials, prim.jvps)
    return _described(prim, partials)


def _jvp_all(partials, rules):
    """Forward mode's one call per elementwise primitive: every traced argument's ``t * d``,
    summed. An argument of the answer's shape (the common case) is multiplied here; a
    broadcast one goes through its own rule, which aligns the axes."""
    def jvp_all(ts, ans, *args):
        out = None
        shape = getattr(ans, "shape", ())
        i = 0
        for t in ts:
            if t is not None and partials[i] is not None:
                if getattr(args[i], "shape", ()) != shape:
                    c = rules[i](t, ans, *args)
                else:
                    c = _times(t, partials[i], ans, args, False)
                out = c if out is None else out + c
            i += 1
        return out
    return jvp_all


def _jvp_binary(partials, rules):
    """``_jvp_all`` unrolled for two arguments, the arithmetic operators: half the cost of
    the loop (measured on benchmark W1's scalar chain)."""
    (d0, d1), (r0, r1) = partials, rules
    p0, p1 = (callable(d) for d in partials)   # plain products

    def jvp_all(ts, ans, x, y):
        t0, t1 = ts
        shape = getattr(ans, "shape", ())
        if t0 is not None:
            if d0 is None:
                t0 = None
            elif getattr(x, "shape", ()) != shape:
                t0 = r0(t0, ans, x, y)
            elif d0 is not ONE:
                t0 = t0 * d0(ans, x, y) if p0 else _times(t0, d0, ans, (x, y), False)
        if t1 is None or d1 is None:
            return t0
        if getattr(y, "shape", ()) != shape:
            t1 = r1(t1, ans, x, y)
        elif d1 is not ONE:
            t1 = t1 * d1(ans, x, y) if p1 else _times(t1, d1, ans, (x, y), False)
        return t1 if t0 is None else t0 + t1
    return jvp_all


def ufunc(uf, name: str | None = None):
    """The primitive tracing NumPy ufunc ``uf`` (rules are given with defelementwise)."""
    p = primitive(uf, name or uf.__name__)
    if uf.nout == 1 and uf is not np.power:   # power's operator form takes shortcuts (x**2)
        p.into = _writer(uf)
    UFUNCS[uf] = p
    return p


_PLAIN_OPERANDS = (np.ndarray, np.generic, float, int)


def _writer(uf):
    """``Primitive.into`` of ufunc ``uf``: its answer written into operand ``k`` when the
    answer has that operand's shape and dtype (the same numbers as a fresh array)."""
    def into(vals, k):
        v = vals[k]
        s = v.shape
        for a in vals:
            if not isinstance(a, _PLAIN_OPERANDS) or isinstance(a, bool):
                return None
            sa = getattr(a, "shape", ())
            if sa != s and not broadcasts_into(sa, s):
                return None
        if np.result_type(*vals) != v.dtype:
            return None
        return uf(*vals, out=v)
    return into


where_p = primitive(np.where, "where")
defelementwise(where_p, None, mask(lambda ans, c, x, y: c), mask(lambda ans, c, x, y: ~c))

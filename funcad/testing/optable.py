"""The operations random programs are made of: funcad's rules, each with its domain.

One row per operation: the NumPy/SciPy function it exercises (``target``, a key of
``funcad.rules.registry``), a source template (``{0}``, ``{1}`` are the operands, named
fields like ``{axis}`` are drawn per use), and the domain of each operand: ``log`` takes
``positive`` values, ``arcsin`` ``open_unit`` ones, ``solve`` a well-conditioned square
matrix. ``programs()`` applies a row only where its operands' current values lie in those
domains (with a margin: finite differences around the point must stay where the function
is smooth), so a random program is differentiable at its inputs by construction.

``EXCLUDED`` lists the differentiable ufuncs of the registry that no row uses, each with its
reason; ``tests/test_programs.py`` asserts that every differentiable ufunc of
``registry.UFUNCS`` is in one or the other, so the table cannot silently fall behind.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.linalg
import scipy.special as sp

from .domains import Domain, away_from, greater_than, interval, open_unit, positive, real, unit_interval

__all__ = ["Op", "TABLE", "EXCLUDED", "available", "by_name", "custom_unary", "custom_binary"]

MAX_SIZE = 24          # elements in any value of a program
MAX_NDIM = 3
MAX_MAGNITUDE = 1e3    # values beyond this make finite differences badly conditioned
DECIMALS = 3           # drawn inputs are rounded to this many decimals: short reprs, no 1e-300


class Op:
    """One row: ``name``, the registry ``target``, the source ``template`` and a domain
    per operand (``shapes``: the operands' shapes when a program starts with this row,
    drawn if None). Hooks refine a row: ``params(draw, vals)`` draws the template's named
    fields (or returns None: not applicable to operands of these shapes), ``check(vals)``
    adds conditions on the operands' values (no ties, well conditioned), ``result(out)``
    on the result, ``fresh(draw, dtype)`` draws operands to start a program with this row."""

    def __init__(self, name: str, target, template: str, domains: tuple = (real,), *,
                 family: str = "elementwise", params: Callable | None = None,
                 check: Callable | None = None, fresh: Callable | None = None,
                 extra: dict | None = None, broadcast: bool = True, result: Callable | None = None,
                 shapes: tuple | None = None):
        self.name, self.target, self.template = name, target, template
        self.domains = tuple(domains)
        self.family = family
        self._params, self._check, self._fresh = params, check, fresh
        self.extra = extra or {}
        self.broadcast = broadcast
        self._result = result
        self.shapes = shapes

    @property
    def arity(self) -> int:
        return len(self.domains)

    def __repr__(self) -> str:
        return f"Op({self.name!r})"

    def params(self, draw, vals) -> dict | None:
        if self._params is not None:
            return self._params(draw, *vals)
        if self.arity > 1 and self.broadcast:
            try:
                np.broadcast_shapes(*[v.shape for v in vals])
            except ValueError:
                return None
        return {}

    def accepts(self, vals) -> bool:
        if not all(d is None or d.contains(v) for d, v in zip(self.domains, vals)):
            return False
        return self._check is None or bool(self._check(*vals))

    def result_ok(self, out) -> bool:
        """A condition on the result (``std`` must not be near 0, where sqrt has a kink)."""
        return self._result is None or bool(self._result(np.asarray(out)))

    def fresh(self, draw, dtype) -> list:
        if self._fresh is not None:
            return [np.asarray(v, dtype=dtype) for v in self._fresh(draw, dtype)]
        from hypothesis.extra import numpy as hnp
        if self.shapes is not None:
            shapes = list(self.shapes)
        else:
            lo = 0 if self.family in ("elementwise", "custom") else 1
            shape = draw(hnp.array_shapes(min_dims=lo, max_dims=2, min_side=1, max_side=3))
            shapes = [shape] + [draw(_broadcastable(shape)) for _ in range(self.arity - 1)]
        return [draw(hnp.arrays(dtype, s, elements=d.elements(dtype, DECIMALS))) for s, d in zip(shapes, self.domains)]

    def render(self, names, params) -> str:
        return self.template.format(*names, **params)


def _broadcastable(shape):
    """Shapes that broadcast with ``shape``: the same, trailing dims only, or some 1s."""
    from hypothesis import strategies as st

    @st.composite
    def s(draw):
        n = draw(st.integers(0, len(shape)))
        tail = list(shape[len(shape) - n:])
        return tuple(1 if draw(st.booleans()) else d for d in tail)
    return s()


# -- value conditions ------------------------------------------------------------------------
def _no_tie(x, y):
    return bool(np.all(np.abs(np.asarray(x) - np.asarray(y)) >= 0.1))


def _far_from_integer_quotient(x, y):
    q = np.asarray(x) / np.asarray(y)
    return bool(np.all(np.abs(q - np.round(q)) >= 0.05))


def _off_branch_cut(y, x):   # arctan2(y, x): not near the negative x axis, not near 0
    y, x = np.broadcast_arrays(y, x)
    return bool(np.all((x > 0.1) | (np.abs(y) >= 0.1)) and np.all(x * x + y * y >= 0.01))


def _not_both_small(x, y):
    x, y = np.broadcast_arrays(x, y)
    return bool(np.all(x * x + y * y >= 0.01))


def _distinct(v, axis=-1, gap=0.05):
    s = np.sort(np.asarray(v), axis=axis)
    return bool(np.all(np.abs(np.diff(s, axis=axis)) >= gap)) if s.shape[axis] > 1 else True


# -- unary elementwise ---------------------------------------------------------------------------
def _unary(name, target, domain=real, template=None):
    mod = "special" if target in _SPECIAL else "np"
    return Op(name, target, template or f"{mod}.{name}({{0}})", (domain,))


_SPECIAL = {getattr(sp, n) for n in dir(sp) if isinstance(getattr(sp, n), np.ufunc)} - \
    {getattr(np, n) for n in dir(np) if isinstance(getattr(np, n, None), np.ufunc)}
_EXP = interval(-3, 3, "interval(-3, 3)")

UNARY = [
    # name         target          domain of the operand
    ("negative",   np.negative,    real),
    ("positive",   np.positive,    real),
    ("absolute",   np.absolute,    away_from(0)),
    ("fabs",       np.fabs,        away_from(0)),
    ("sqrt",       np.sqrt,        positive),
    ("cbrt",       np.cbrt,        away_from(0)),
    ("square",     np.square,      real),
    ("reciprocal", np.reciprocal,  away_from(0)),
    ("exp",        np.exp,         _EXP),
    ("exp2",       np.exp2,        _EXP),
    ("expm1",      np.expm1,       _EXP),
    ("log",        np.log,         positive),
    ("log2",       np.log2,        positive),
    ("log10",      np.log10,       positive),
    ("log1p",      np.log1p,       greater_than(-1)),
    ("sin",        np.sin,         real),
    ("cos",        np.cos,         real),
    ("tan",        np.tan,         interval(-1.3, 1.3)),
    ("arcsin",     np.arcsin,      open_unit),
    ("arccos",     np.arccos,      open_unit),
    ("arctan",     np.arctan,      real),
    ("sinh",       np.sinh,        _EXP),
    ("cosh",       np.cosh,        _EXP),
    ("tanh",       np.tanh,        real),
    ("arcsinh",    np.arcsinh,     real),
    ("arccosh",    np.arccosh,     greater_than(1)),
    ("arctanh",    np.arctanh,     open_unit),
    ("deg2rad",    np.deg2rad,     real),
    ("rad2deg",    np.rad2deg,     real),
    ("radians",    np.radians,     real),
    ("degrees",    np.degrees,     real),
    ("conjugate",  np.conjugate,   real),
    # scipy.special
    ("erf",        sp.erf,         real),
    ("erfc",       sp.erfc,        real),
    ("erfcx",      sp.erfcx,       interval(-1, 3)),
    ("erfinv",     sp.erfinv,      open_unit),
    ("erfcinv",    sp.erfcinv,     interval(0.1, 1.9)),
    ("ndtr",       sp.ndtr,        real),
    ("log_ndtr",   sp.log_ndtr,    real),
    ("ndtri",      sp.ndtri,       unit_interval),
    ("expit",      sp.expit,       real),
    ("logit",      sp.logit,       unit_interval),
    ("log_expit",  sp.log_expit,   real),
    ("gamma",      sp.gamma,       interval(0.2, 4)),
    ("gammaln",    sp.gammaln,     positive),
    ("psi",        sp.psi,         positive),
    ("rgamma",     sp.rgamma,      positive),
    ("entr",       sp.entr,        positive),
    ("i0",         sp.i0,          real),
    ("i1",         sp.i1,          real),
    ("i0e",        sp.i0e,         away_from(0)),
    ("i1e",        sp.i1e,         away_from(0)),
    ("j0",         sp.j0,          real),
    ("j1",         sp.j1,          real),
    ("y0",         sp.y0,          positive),
    ("y1",         sp.y1,          positive),
    ("k0",         sp.k0,          positive),
    ("k1",         sp.k1,          positive),
]

# Piecewise-constant functions (derivative 0): checked away from their jumps.
# Bounded too: a large argument usually comes from a steep inner function (yn near 0),
# whose finite-difference steps would cross a jump.
_OFF_INTEGERS = Domain("away_from_integers", -3.5, 3.5, avoid=tuple(range(-3, 4)), gap=0.1, draw=(-3, 3))


def _frac_away(x, at=(0.0,)):
    f = np.asarray(x) - np.floor(x)
    return bool(all(np.all(np.minimum(np.abs(f - a), np.abs(f - a - 1)) >= 0.1) for a in at))


STEPS = [
    Op("floor", np.floor, "np.floor({0})", (_OFF_INTEGERS,), check=_frac_away),
    Op("ceil", np.ceil, "np.ceil({0})", (_OFF_INTEGERS,), check=_frac_away),
    Op("trunc", np.trunc, "np.trunc({0})", (_OFF_INTEGERS,), check=_frac_away),
    Op("rint", np.rint, "np.rint({0})", (_OFF_INTEGERS,), check=lambda x: _frac_away(x, (0.0, 0.5))),
    Op("sign", np.sign, "np.sign({0})", (away_from(0),)),
    Op("heaviside", np.heaviside, "np.heaviside({0}, {1})", (away_from(0), real)),
]

# Functions of one differentiable argument after constant ones (orders, shapes): the
# constants are not differentiated (their rules raise NotImplementedError by design).
WITH_CONSTANTS = [
    ("jv",        sp.jv,        "special.jv(1.5, {0})",           positive),
    ("yv",        sp.yv,        "special.yv(1.5, {0})",           positive),
    ("yn",        sp.yn,        "special.yn(2, {0})",             positive),
    ("iv",        sp.iv,        "special.iv(1.5, {0})",           positive),
    ("ive",       sp.ive,       "special.ive(1.5, {0})",          positive),
    ("kv",        sp.kv,        "special.kv(1.5, {0})",           positive),
    ("kve",       sp.kve,       "special.kve(1.5, {0})",          positive),
    ("gammainc",  sp.gammainc,  "special.gammainc(1.5, {0})",     positive),
    ("gammaincc", sp.gammaincc, "special.gammaincc(1.5, {0})",    positive),
    ("stdtr",     sp.stdtr,     "special.stdtr(3.0, {0})",        real),
    ("betainc",   sp.betainc,   "special.betainc(2.0, 3.0, {0})", unit_interval),
    ("zeta",      sp._ufuncs._zeta, "special.zeta(3.0, {0})",     positive),
]

# -- binary elementwise (broadcasting) ------------------------------------------------------------
BINARY = [
    # name         target          template                  domains                   condition
    ("add",        np.add,         "({0} + {1})",            (real, real),             None),
    ("subtract",   np.subtract,    "({0} - {1})",            (real, real),             None),
    ("multiply",   np.multiply,    "({0} * {1})",            (real, real),             None),
    ("divide",     np.divide,      "({0} / {1})",            (real, away_from(0)),     None),
    ("power",      np.power,       "({0} ** {1})",           (positive, interval(-3, 3)), None),
    ("maximum",    np.maximum,     "np.maximum({0}, {1})",   (real, real),             _no_tie),
    ("minimum",    np.minimum,     "np.minimum({0}, {1})",   (real, real),             _no_tie),
    ("fmax",       np.fmax,        "np.fmax({0}, {1})",      (real, real),             _no_tie),
    ("fmin",       np.fmin,        "np.fmin({0}, {1})",      (real, real),             _no_tie),
    ("arctan2",    np.arctan2,     "np.arctan2({0}, {1})",   (real, real),             _off_branch_cut),
    ("hypot",      np.hypot,       "np.hypot({0}, {1})",     (real, real),             _not_both_small),
    ("logaddexp",  np.logaddexp,   "np.logaddexp({0}, {1})", (real, real),             None),
    ("logaddexp2", np.logaddexp2,  "np.logaddexp2({0}, {1})", (real, real),            None),
    ("remainder",  np.remainder,   "np.remainder({0}, {1})", (real, away_from(0, 0.3)), _far_from_integer_quotient),
    ("fmod",       np.fmod,        "np.fmod({0}, {1})",      (real, away_from(0, 0.3)), _far_from_integer_quotient),
    ("beta",       sp.beta,        "special.beta({0}, {1})", (interval(0.3, 3), interval(0.3, 3)), None),
    ("betaln",     sp.betaln,      "special.betaln({0}, {1})", (positive, positive),    None),
    ("xlogy",      sp.xlogy,       "special.xlogy({0}, {1})", (real, positive),        None),
    ("xlog1py",    sp.xlog1py,     "special.xlog1py({0}, {1})", (real, greater_than(-1)), None),
]


# -- reductions (axis, keepdims drawn) -----------------------------------------------------------
def _axis_params(draw, x, *, tuples=True, keepdims=True, none=True):
    from hypothesis import strategies as st
    nd = np.ndim(x)
    if nd == 0:
        return None
    choices = ([None] if none else []) + list(range(-nd, nd))
    if tuples and nd >= 2:
        choices.append((0, nd - 1))
    axis = draw(st.sampled_from(choices))
    kd = draw(st.booleans()) if keepdims else False
    return {"axis": repr(axis), "kd": ", keepdims=True" if kd else "", "_axis": axis}


def _reduction(name, target, template, domain=real, check=None, result=None, **kw):
    def params(draw, x):
        return _axis_params(draw, x, **kw)
    return Op(name, target, template, (domain,), family="reduction", params=params, check=check, result=result)


def _extremes_apart(x):      # max/min/median/sort: no ties anywhere (any axis may be reduced)
    return _distinct(np.ravel(x), gap=0.05)


REDUCTIONS = [
    _reduction("sum", np.sum, "np.sum({0}, axis={axis}{kd})"),
    _reduction("mean", np.mean, "np.mean({0}, axis={axis}{kd})"),
    _reduction("prod", np.prod, "np.prod({0}, axis={axis}{kd})"),
    _reduction("max", np.max, "np.max({0}, axis={axis}{kd})", check=_extremes_apart),
    _reduction("min", np.min, "np.min({0}, axis={axis}{kd})", check=_extremes_apart),
    _reduction("amax", np.amax, "np.amax({0}, axis={axis}{kd})", check=_extremes_apart),
    _reduction("amin", np.amin, "np.amin({0}, axis={axis}{kd})", check=_extremes_apart),
    _reduction("ptp", np.ptp, "np.ptp({0}, axis={axis}{kd})", check=_extremes_apart),
    _reduction("var", np.var, "np.var({0}, axis={axis}{kd})"),
    _reduction("std", np.std, "np.std({0}, axis={axis}{kd})", result=lambda s: np.all(s >= 0.05)),
    _reduction("median", np.median, "np.median({0}, axis={axis}{kd})", check=_extremes_apart),
    _reduction("average", np.average, "np.average({0}, axis={axis}{kd})"),
    _reduction("nansum", np.nansum, "np.nansum({0}, axis={axis}{kd})"),
    _reduction("nanmean", np.nanmean, "np.nanmean({0}, axis={axis}{kd})"),
    _reduction("cumsum", np.cumsum, "np.cumsum({0}, axis={axis})", tuples=False, keepdims=False, none=False),
    _reduction("cumprod", np.cumprod, "np.cumprod({0}, axis={axis})", tuples=False, keepdims=False, none=False),
    _reduction("diff", np.diff, "np.diff({0}, axis={axis})", tuples=False, keepdims=False, none=False),
    _reduction("sort", np.sort, "np.sort({0}, axis={axis})", check=_extremes_apart, tuples=False,
               keepdims=False, none=False),
    _reduction("logsumexp", sp.logsumexp, "fsp.logsumexp({0}, axis={axis}{kd})"),
    _reduction("softmax", sp.softmax, "fsp.softmax({0}, axis={axis})", keepdims=False),
    _reduction("log_softmax", sp.log_softmax, "fsp.log_softmax({0}, axis={axis})", keepdims=False),
    _reduction("norm", np.linalg.norm, "np.linalg.norm({0}, axis={axis}{kd})", tuples=False,
               result=lambda s: np.all(s >= 0.1)),
]


# -- shape operations ---------------------------------------------------------------------------
def _shape_op(name, target, template, params=None, check=None, domains=(real,), shapes=None):
    return Op(name, target, template, domains, family="shape", params=params, check=check, shapes=shapes)


def _reshape_params(draw, x):
    from hypothesis import strategies as st
    n = x.size
    shapes = sorted({(n,), (1, n)} | {(a, n // a) for a in range(2, n) if n % a == 0} - {x.shape})
    return {"shape": repr(draw(st.sampled_from(shapes)))} if shapes and n > 1 else None


def _perm_params(draw, x):
    from hypothesis import strategies as st
    if x.ndim < 2:
        return None
    return {"perm": repr(tuple(draw(st.permutations(range(x.ndim)))))}


def _two_axes(draw, x):
    from hypothesis import strategies as st
    if x.ndim < 2:
        return None
    a = draw(st.integers(-x.ndim, x.ndim - 1))
    b = draw(st.integers(-x.ndim, x.ndim - 1))
    return {"a": a, "b": b}


def _new_axis(draw, x):
    from hypothesis import strategies as st
    if x.ndim >= MAX_NDIM:
        return None
    return {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}


def _squeezable(draw, x):
    return {} if 1 in x.shape else None


def _join_params(draw, x, y):
    from hypothesis import strategies as st
    if x.ndim == 0 or x.ndim != y.ndim:
        return None
    axes = [a for a in range(x.ndim) if x.shape[:a] + x.shape[a + 1:] == y.shape[:a] + y.shape[a + 1:]]
    if not axes:
        return None
    return {"axis": draw(st.sampled_from(axes))}


def _same_shape(draw, x, y):
    from hypothesis import strategies as st
    if x.shape != y.shape or x.ndim >= MAX_NDIM:
        return None
    return {"axis": draw(st.integers(-x.ndim - 1, x.ndim))}


def _index_params(draw, x):
    from hypothesis import strategies as st
    if x.ndim == 0:
        return None
    n = x.shape[0]
    idx = draw(st.sampled_from(["[1:]", "[::-1]", "[..., 0]", "[0]", "[[0, 0, -1]]", "[:, None]"]
                               + (["[1:, ::2]", "[:, [1, 0, 1]]"] if x.ndim >= 2 and x.shape[1] >= 2 else [])))
    if idx == "[1:]" and n < 2:
        return None
    return {"idx": idx}


def _where_params(draw, x, y):
    from hypothesis import strategies as st
    try:
        shape = np.broadcast_shapes(x.shape, y.shape)
    except ValueError:
        return None
    mask = draw(st.lists(st.booleans(), min_size=int(np.prod(shape)), max_size=int(np.prod(shape))))
    return {"mask": f"np.array({mask}).reshape({shape!r})"}


def _clip_away(x):
    return bool(np.all(np.abs(np.asarray(x) - (-0.5)) >= 0.1) and np.all(np.abs(np.asarray(x) - 1.0) >= 0.1))


def _pad_params(draw, x):
    return {} if x.ndim >= 1 and x.size * 3 <= MAX_SIZE else None


def _tri(draw, x):
    from hypothesis import strategies as st
    return {"k": draw(st.integers(-1, 1))} if x.ndim >= 2 else None


def _matrix_only(draw, x):
    return {} if x.ndim == 2 else None


def _vector_only(draw, x):
    return {} if x.ndim == 1 else None


SHAPE = [
    _shape_op("reshape", np.reshape, "np.reshape({0}, {shape})", _reshape_params, shapes=((2, 3),)),
    _shape_op("ravel", np.ravel, "np.ravel({0})", lambda d, x: {} if x.ndim >= 2 else None, shapes=((2, 3),)),
    _shape_op("transpose", np.transpose, "np.transpose({0}, {perm})", _perm_params, shapes=((2, 3),)),
    _shape_op("swapaxes", np.swapaxes, "np.swapaxes({0}, {a}, {b})", _two_axes, shapes=((2, 3),)),
    _shape_op("moveaxis", np.moveaxis, "np.moveaxis({0}, {a}, {b})", _two_axes, shapes=((2, 3),)),
    _shape_op("expand_dims", np.expand_dims, "np.expand_dims({0}, {axis})", _new_axis),
    _shape_op("squeeze", np.squeeze, "np.squeeze({0})", _squeezable, shapes=((1, 3),)),
    _shape_op("broadcast_to", np.broadcast_to, "np.broadcast_to({0}, (2,) + np.shape({0}))",
              lambda d, x: {} if x.ndim < MAX_NDIM and 2 * x.size <= MAX_SIZE else None),
    _shape_op("getitem", np.ndarray.__getitem__, "{0}{idx}", _index_params),
    _shape_op("flip", np.flip, "np.flip({0}, axis={axis})",
              lambda d, x: _axis_params(d, x, tuples=False, keepdims=False, none=True)),
    _shape_op("roll", np.roll, "np.roll({0}, 1, axis={axis})",
              lambda d, x: _axis_params(d, x, tuples=False, keepdims=False, none=False)),
    _shape_op("tile", np.tile, "np.tile({0}, 2)", lambda d, x: {} if 2 * x.size <= MAX_SIZE else None),
    _shape_op("repeat", np.repeat, "np.repeat({0}, 2, axis={axis})",
              lambda d, x: _axis_params(d, x, tuples=False, keepdims=False, none=False)
              if 2 * x.size <= MAX_SIZE else None),
    _shape_op("pad", np.pad, "np.pad({0}, 1)", _pad_params),
    _shape_op("tril", np.tril, "np.tril({0}, {k})", _tri, shapes=((3, 3),)),
    _shape_op("triu", np.triu, "np.triu({0}, {k})", _tri, shapes=((2, 3),)),
    _shape_op("diagonal", np.diagonal, "np.diagonal({0})", _matrix_only, shapes=((2, 3),)),
    _shape_op("diag", np.diag, "np.diag({0})", lambda d, x: {} if x.ndim == 1 and x.size ** 2 <= MAX_SIZE else None,
              shapes=((3,),)),
    _shape_op("trace", np.trace, "np.trace({0})", _matrix_only, shapes=((3, 3),)),
    _shape_op("clip", np.clip, "np.clip({0}, -0.5, 1.0)", check=_clip_away),
    Op("concatenate", np.concatenate, "np.concatenate([{0}, {1}], axis={axis})", (real, real),
       family="shape", params=_join_params, shapes=((2, 3), (1, 3))),
    Op("stack", np.stack, "np.stack([{0}, {1}], axis={axis})", (real, real), family="shape", params=_same_shape,
       shapes=((2, 3), (2, 3))),
    Op("where", np.where, "np.where({mask}, {0}, {1})", (real, real), family="shape", params=_where_params),
]


# -- contractions ------------------------------------------------------------------------------
def _matmul_ok(draw, a, b):
    if a.ndim == 0 or b.ndim == 0:
        return None
    ka = a.shape[-1]
    kb = b.shape[0] if b.ndim == 1 else b.shape[-2]
    if ka != kb:
        return None
    try:
        np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    except ValueError:
        return None
    return {}


def _last_axis_match(draw, a, b):
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != b.shape[-1]:
        return None
    try:
        np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        return None
    return {}


def _stacks(matrices, vectors):
    """matvec/vecmat: the stacks (leading axes) of matrices and vectors broadcast."""
    try:
        np.broadcast_shapes(matrices.shape[:-2], vectors.shape[:-1])
    except ValueError:
        return None
    return {}


def _tensordot_ok(draw, a, b):
    return {} if a.ndim >= 1 and b.ndim >= 1 and a.shape[-1] == b.shape[0] else None


def _outer_ok(draw, a, b):
    return {} if a.size * b.size <= MAX_SIZE else None


def _fresh_pair(shape_a, shape_b):
    def fresh(draw, dtype):
        from hypothesis.extra import numpy as hnp
        return [draw(hnp.arrays(dtype, shape_a, elements=real.elements(dtype, DECIMALS))),
                draw(hnp.arrays(dtype, shape_b, elements=real.elements(dtype, DECIMALS)))]
    return fresh


CONTRACTIONS = [
    Op("matmul", np.matmul, "({0} @ {1})", (real, real), family="contraction", params=_matmul_ok,
       fresh=_fresh_pair((2, 3), (3, 2))),
    Op("dot", np.dot, "np.dot({0}, {1})", (real, real), family="contraction",
       params=lambda d, a, b: _matmul_ok(d, a, b) if a.ndim <= 2 and b.ndim <= 2 else None,
       fresh=_fresh_pair((2, 3), (3,))),
    Op("inner", np.inner, "np.inner({0}, {1})", (real, real), family="contraction", params=_last_axis_match,
       fresh=_fresh_pair((2, 3), (3,))),
    Op("vecdot", np.vecdot, "np.vecdot({0}, {1})", (real, real), family="contraction", params=_last_axis_match,
       fresh=_fresh_pair((2, 3), (3,))),
    Op("matvec", np.matvec, "np.matvec({0}, {1})", (real, real), family="contraction",
       params=lambda d, a, b: _stacks(a, b) if a.ndim >= 2 and b.ndim >= 1 and a.shape[-1] == b.shape[-1] else None,
       fresh=_fresh_pair((2, 3), (3,))),
    Op("vecmat", np.vecmat, "np.vecmat({0}, {1})", (real, real), family="contraction",
       params=lambda d, a, b: _stacks(b, a) if a.ndim >= 1 and b.ndim >= 2 and a.shape[-1] == b.shape[-2] else None,
       fresh=_fresh_pair((2,), (2, 3))),
    Op("outer", np.outer, "np.outer({0}, {1})", (real, real), family="contraction", params=_outer_ok,
       fresh=_fresh_pair((3,), (2,))),
    Op("tensordot", np.tensordot, "np.tensordot({0}, {1}, axes=1)", (real, real), family="contraction",
       params=_tensordot_ok, fresh=_fresh_pair((2, 3), (3, 2))),
    Op("einsum", np.einsum, "np.einsum('...i,...i->...', {0}, {1})", (real, real), family="contraction",
       params=_last_axis_match, fresh=_fresh_pair((2, 3), (2, 3))),
    Op("kron", np.kron, "np.kron({0}, {1})", (real, real), family="contraction",
       params=lambda d, a, b: {} if a.ndim == b.ndim == 1 and a.size * b.size <= MAX_SIZE else None,
       fresh=_fresh_pair((2,), (3,))),
]


# -- linear algebra ----------------------------------------------------------------------------
def _square(a, max_n=3):
    return a.ndim == 2 and a.shape[0] == a.shape[1] and a.shape[0] <= max_n


def _well_conditioned(a, bound=20.0):
    try:
        return bool(np.all(np.linalg.cond(a) < bound))
    except np.linalg.LinAlgError:
        return False


def _fresh_matrix(n=None, rect=False):
    """A well-conditioned matrix: 2*I plus entries in [-0.5, 0.5]."""
    def fresh(draw, dtype):
        from hypothesis import strategies as st
        from hypothesis.extra import numpy as hnp
        k = n or draw(st.integers(2, 3))
        shape = (k + 1, k) if rect else (k, k)
        a = draw(hnp.arrays(dtype, shape, elements=interval(-0.5, 0.5).elements(dtype, DECIMALS)))
        return [a + 2 * np.eye(*shape, dtype=dtype)]
    return fresh


def _linalg(name, target, template, check, fresh=None, params=None):
    return Op(name, target, template, (None,), family="linalg", check=check,
              fresh=fresh or _fresh_matrix(), params=params or (lambda d, a: {} if a.ndim == 2 else None))


def _sym_gaps(a):
    if not _square(a):
        return False
    w = np.linalg.eigvalsh((a + a.T) / 2)
    return _distinct(w, gap=0.1)


def _sv_gaps(a):
    if a.ndim != 2 or a.size > 12:
        return False
    s = np.linalg.svd(a, compute_uv=False)
    return _distinct(s, gap=0.1) and bool(np.all(s >= 0.1))


def _solve_params(draw, a, b):
    if not _square(a) or b.ndim not in (1, 2) or b.shape[0] != a.shape[0]:
        return None
    return {}


LINALG = [
    Op("solve", np.linalg.solve, "np.linalg.solve({0}, {1})", (None, real), family="linalg",
       params=_solve_params, check=lambda a, b: _square(a) and _well_conditioned(a),
       fresh=lambda draw, dtype: _fresh_matrix(3)(draw, dtype) + [draw(_vec(dtype, 3))]),
    _linalg("inv", np.linalg.inv, "np.linalg.inv({0})", lambda a: _square(a) and _well_conditioned(a)),
    _linalg("det", np.linalg.det, "np.linalg.det({0})", _square),
    _linalg("slogdet", np.linalg.slogdet, "np.linalg.slogdet({0})[1]",
            lambda a: _square(a) and abs(np.linalg.det(a)) >= 0.05),
    _linalg("cholesky", np.linalg.cholesky,
            "np.linalg.cholesky({0} @ np.swapaxes({0}, -1, -2) + 0.5 * np.eye({n}))",
            lambda a: _square(a), params=lambda d, a: {"n": a.shape[0]} if _square(a) else None),
    _linalg("eigvalsh", np.linalg.eigvalsh, "np.linalg.eigvalsh(({0} + np.swapaxes({0}, -1, -2)) / 2)", _sym_gaps),
    _linalg("eigh", np.linalg.eigh, "np.linalg.eigh(({0} + np.swapaxes({0}, -1, -2)) / 2)[0]", _sym_gaps),
    _linalg("svdvals", np.linalg.svdvals, "np.linalg.svdvals({0})", _sv_gaps),
    _linalg("pinv", np.linalg.pinv, "np.linalg.pinv({0})",
            lambda a: a.ndim == 2 and min(a.shape) >= 1 and _well_conditioned(a), fresh=_fresh_matrix(2, rect=True)),
    _linalg("matrix_power", np.linalg.matrix_power, "np.linalg.matrix_power({0}, 3)", lambda a: _square(a)),
    _linalg("expm", scipy.linalg.expm, "fsl.expm({0})", lambda a: _square(a) and np.abs(a).sum() <= 4,
            fresh=lambda draw, dtype: [v / 4 for v in _fresh_matrix()(draw, dtype)]),
]


def _vec(dtype, n):
    from hypothesis.extra import numpy as hnp
    return hnp.arrays(dtype, (n,), elements=real.elements(dtype, DECIMALS))


# -- the table ------------------------------------------------------------------------------------
TABLE: list[Op] = (
    [_unary(n, t, d) for n, t, d in UNARY]
    + [Op(n, t, tpl, (d,)) for n, t, tpl, d in WITH_CONSTANTS]
    + [Op(n, t, tpl, ds, check=c) for n, t, tpl, ds, c in BINARY]
    + STEPS
    + REDUCTIONS + SHAPE + CONTRACTIONS + LINALG
)

# Differentiable ufuncs of the registry that programs do not draw, and why.
EXCLUDED = {
    sp._ufuncs._riemann_zeta: "zeta(x) is differentiable in x only by a rule that raises NotImplementedError "
                              "(no closed form); the Hurwitz form zeta(3.0, q) is in the table",
    np.true_divide: "the same ufunc object as np.divide",
}


def _registered(target) -> bool:
    from ..rules import registry
    if target is np.ndarray.__getitem__:
        return True
    try:
        return target in registry.UFUNCS or target in registry.FUNCTIONS
    except TypeError:
        return False


def available(ops=None) -> list[Op]:
    """The rows whose function funcad registers (families being written land here as
    soon as their rules are registered)."""
    return [op for op in (TABLE if ops is None else ops) if op.family == "custom" or _registered(op.target)]


def by_name(name: str) -> Op:
    for op in TABLE:
        if op.name == name:
            return op
    raise KeyError(f"no operation named {name!r} in funcad.testing.optable.TABLE")


def custom_unary(name: str, fn: Callable, domain: Domain = real) -> Op:
    """A row for your own function of one array (e.g. a ``@funcad.primitive``)."""
    return Op(name, fn, f"{name}({{0}})", (domain,), family="custom", extra={name: fn})


def custom_binary(name: str, fn: Callable, domains: tuple = (real, real), check=None, params=None,
                  fresh=None) -> Op:
    """A row for your own function of two arrays (broadcasting unless ``params`` says
    which shapes it takes; ``fresh(draw, dtype)`` draws operands to start a program)."""
    return Op(name, fn, f"{name}({{0}}, {{1}})", domains, family="custom", extra={name: fn}, check=check,
              params=params, fresh=fresh)

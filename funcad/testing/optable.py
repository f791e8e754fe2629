"""The operations random programs are made of: funcad's rules, each with its domain.

One row per operation: the NumPy/SciPy function it exercises (``target``, a key of
``funcad.rules.registry``), a source template (``{0}``, ``{1}`` are the operands, named
fields like ``{axis}`` are drawn per use), and the domain of each operand: ``log`` takes
``positive`` values, ``arcsin`` ``open_unit`` ones, ``solve`` a well-conditioned square
matrix. ``programs()`` applies a row only where its operands' current values lie in those
domains (with a margin: finite differences around the point must stay where the function
is smooth), so a random program is differentiable at its inputs by construction.

``EXCLUDED`` lists the differentiable ufuncs of the registry that no row uses, and
``EXCLUDED_FUNCTIONS`` the other functions funcad implements that no row uses, each with its
reason; ``tests/test_programs.py`` asserts that every differentiable ufunc of
``registry.UFUNCS`` and every function of ``registry.FUNCTIONS`` (but those that run on plain
values, ``NondiffPrimitive``) is in one or the other, so the table cannot silently fall behind.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import scipy.integrate
import scipy.linalg
import scipy.signal
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
    # NumPy functions that act elementwise
    ("sinc",       np.sinc,        real),
    ("nan_to_num", np.nan_to_num,  real),
    ("real_if_close", np.real_if_close, real),
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
    Op("round", np.round, "np.round({0})", (_OFF_INTEGERS,), check=lambda x: _frac_away(x, (0.0, 0.5))),
    Op("around", np.around, "np.around({0})", (_OFF_INTEGERS,), check=lambda x: _frac_away(x, (0.0, 0.5))),
    Op("fix", np.fix, "np.fix({0})", (_OFF_INTEGERS,), check=_frac_away),
    Op("angle", np.angle, "np.angle({0})", (away_from(0),)),
    Op("real", np.real, "np.real({0})", (real,)),
    Op("imag", np.imag, "np.imag({0})", (real,)),
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
    # SciPy's Python-level functions convert their inputs: their twins are in funcad.scipy
    ("polygamma", sp.polygamma, "fsp.polygamma(1, {0})",          positive),
    ("multigammaln", sp.multigammaln, "fsp.multigammaln({0}, 2)", greater_than(1)),
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


def _long_axis(draw, x, n):
    """An axis of at least ``n`` entries (``np.gradient``, ``np.partition``)."""
    from hypothesis import strategies as st
    axes = [a for a in range(np.ndim(x)) if x.shape[a] >= n]
    return {"axis": draw(st.sampled_from(axes))} if axes else None


def _correlations_not_extreme(r):   # corrcoef clips to [-1, 1]: no derivative at the ends
    return r.ndim < 2 or bool(np.all(np.abs(r[~np.eye(r.shape[0], dtype=bool)]) <= 0.95))


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
    _reduction("vector_norm", np.linalg.vector_norm, "np.linalg.vector_norm({0}, axis={axis}{kd})",
               result=lambda s: np.all(s >= 0.1)),
    _reduction("nanprod", np.nanprod, "np.nanprod({0}, axis={axis}{kd})"),
    _reduction("quantile", np.quantile, "np.quantile({0}, [0.3, 0.5], axis={axis}{kd})", check=_extremes_apart),
    _reduction("percentile", np.percentile, "np.percentile({0}, 70.0, axis={axis}{kd})", check=_extremes_apart),
    _reduction("cumulative_sum", np.cumulative_sum, "np.cumulative_sum({0}, axis={axis})", tuples=False,
               keepdims=False, none=False),
    _reduction("cumulative_prod", np.cumulative_prod, "np.cumulative_prod({0}, axis={axis}, include_initial=True)",
               tuples=False, keepdims=False, none=False),
    _reduction("trapezoid", np.trapezoid, "np.trapezoid({0}, axis={axis})", tuples=False, keepdims=False,
               none=False),
    Op("gradient", np.gradient, "np.gradient({0}, axis={axis})", (real,), family="reduction",
       params=lambda d, x: _long_axis(d, x, 2), shapes=((2, 3),)),
    Op("partition", np.partition, "np.partition({0}, 1, axis={axis})", (real,), family="reduction",
       params=lambda d, x: _long_axis(d, x, 2), check=_extremes_apart, shapes=((2, 3),)),
    Op("cov", np.cov, "np.cov({0})", (real,), family="reduction",
       params=lambda d, x: {} if 1 <= x.ndim <= 2 and x.shape[-1] >= 2 else None, shapes=((2, 3),)),
    Op("corrcoef", np.corrcoef, "np.corrcoef({0})", (real,), family="reduction",
       params=lambda d, x: {} if x.ndim == 2 and x.shape[0] >= 2 and x.shape[-1] >= 3 else None,
       check=lambda x: bool(np.all(np.std(x, axis=-1) >= 0.1)), result=_correlations_not_extreme,
       shapes=((2, 3),)),
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


def _even_axis(draw, x, axes):
    """One of ``axes`` whose length is even (``np.split`` into two halves), or None."""
    from hypothesis import strategies as st
    axes = [a for a in axes if a < np.ndim(x) and x.shape[a] % 2 == 0 and x.shape[a] > 0]
    return {"axis": draw(st.sampled_from(axes))} if axes else None


def _compress_params(draw, x):
    from hypothesis import strategies as st
    if x.ndim == 0:
        return None
    axis = draw(st.integers(0, x.ndim - 1))
    n = x.shape[axis]
    keep = draw(st.lists(st.booleans(), min_size=n, max_size=n).filter(any))
    return {"axis": axis, "mask": repr(keep)}


def _weights_params(draw, x):
    """Weights of as many samples (positive: the total a density divides by is not near 0)."""
    from hypothesis import strategies as st
    return {"n": x.size, "density": draw(st.booleans())} if x.ndim == 1 else None


def _same_shape_join(draw, x, y):
    return {} if x.shape == y.shape and 2 * x.size <= MAX_SIZE else None


def _meshgrid_params(draw, x, y):
    from hypothesis import strategies as st
    return {"k": draw(st.integers(0, 1))} if x.ndim == y.ndim == 1 and x.size * y.size <= MAX_SIZE else None


_OFF_KNOTS = Domain("away_from_knots", -3.0, 3.0, avoid=(-1.0, 0.5, 2.0), gap=0.1, draw=(-3, 3))


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
    _shape_op("rot90", np.rot90, "np.rot90({0})", lambda d, x: {} if x.ndim >= 2 else None, shapes=((2, 3),)),
    _shape_op("fliplr", np.fliplr, "np.fliplr({0})", lambda d, x: {} if x.ndim >= 2 else None, shapes=((2, 3),)),
    _shape_op("flipud", np.flipud, "np.flipud({0})", lambda d, x: {} if x.ndim >= 1 else None),
    _shape_op("rollaxis", np.rollaxis, "np.rollaxis({0}, {a})", _two_axes, shapes=((2, 3),)),
    _shape_op("matrix_transpose", np.matrix_transpose, "np.matrix_transpose({0})",
              lambda d, x: {} if x.ndim >= 2 else None, shapes=((2, 3),)),
    _shape_op("atleast_1d", np.atleast_1d, "np.atleast_1d({0})"),
    _shape_op("atleast_2d", np.atleast_2d, "np.atleast_2d({0})"),
    _shape_op("atleast_3d", np.atleast_3d, "np.atleast_3d({0})"),
    _shape_op("copy", np.copy, "np.copy({0})"),
    _shape_op("astype", np.astype, "np.astype({0}, np.float64)"),
    _shape_op("take", np.take, "np.take({0}, [0, -1, 0])", lambda d, x: {} if x.ndim >= 1 else None),
    _shape_op("take_along_axis", np.take_along_axis,
              "np.take_along_axis({0}, np.broadcast_to(np.arange({n})[::-1], {shape}), axis=-1)",
              lambda d, x: {"n": x.shape[-1], "shape": repr(x.shape)} if x.ndim >= 1 else None),
    _shape_op("diagflat", np.diagflat, "np.diagflat({0})",
              lambda d, x: {} if x.ndim == 1 and x.size ** 2 <= MAX_SIZE else None, shapes=((3,),)),
    _shape_op("split", np.split, "np.split({0}, 2, axis={axis})[1]", lambda d, x: _even_axis(d, x, range(x.ndim)),
              shapes=((2, 3),)),
    _shape_op("array_split", np.array_split, "np.array_split({0}, 2, axis={axis})[0]",
              lambda d, x: _long_axis(d, x, 2), shapes=((2, 3),)),
    _shape_op("hsplit", np.hsplit, "np.hsplit({0}, 2)[0]",
              lambda d, x: _even_axis(d, x, [1 if x.ndim >= 2 else 0]), shapes=((2, 4),)),
    _shape_op("vsplit", np.vsplit, "np.vsplit({0}, 2)[1]",
              lambda d, x: _even_axis(d, x, [0] if x.ndim >= 2 else []), shapes=((2, 3),)),
    _shape_op("dsplit", np.dsplit, "np.dsplit({0}, 2)[0]",
              lambda d, x: _even_axis(d, x, [2] if x.ndim >= 3 else []), shapes=((1, 2, 2),)),
    _shape_op("interp", np.interp, "np.interp({0}, [-1.0, 0.5, 2.0], [0.3, -1.0, 2.0])", domains=(_OFF_KNOTS,)),
    _shape_op("interp_fp", np.interp, "np.interp([-0.5, 1.0, 3.0], [-1.0, 0.5, 2.0], {0})",
              lambda d, x: {} if x.shape == (3,) else None, shapes=((3,),)),
    _shape_op("compress", np.compress, "np.compress({mask}, {0}, axis={axis})", _compress_params),
    _shape_op("full", np.full, "fnp.full((2,) + np.shape({0}), {0})",
              lambda d, x: {} if x.ndim < MAX_NDIM and 2 * x.size <= MAX_SIZE else None),
    _shape_op("full_like", np.full_like, "fnp.full_like(np.zeros((2,) + np.shape({0})), {0})",
              lambda d, x: {} if x.ndim < MAX_NDIM and 2 * x.size <= MAX_SIZE else None),
    _shape_op("linspace", np.linspace, "np.linspace({0}, 1.5, 3)",
              lambda d, x: {} if x.ndim < MAX_NDIM and 3 * x.size <= MAX_SIZE else None),
    _shape_op("geomspace", np.geomspace, "np.geomspace({0}, 2.5, 3)",
              lambda d, x: {} if x.ndim < MAX_NDIM and 3 * x.size <= MAX_SIZE else None, domains=(positive,)),
    _shape_op("logspace", np.logspace, "np.logspace({0}, 0.5, 3)",
              lambda d, x: {} if x.ndim < MAX_NDIM and 3 * x.size <= MAX_SIZE else None, domains=(_EXP,)),
    _shape_op("unique", np.unique, "np.unique({0})", check=_extremes_apart),
    _shape_op("unique_values", np.unique_values, "np.unique_values({0})", check=_extremes_apart),
    # weighted counts: differentiable in the weights (the samples are constants)
    _shape_op("bincount", np.bincount, "np.bincount(np.arange({n}) % 3, weights={0})",
              lambda d, x: {"n": x.size} if x.ndim == 1 else None,
              shapes=((4,),)),
    _shape_op("histogram", np.histogram, "np.histogram(np.cos(np.arange({n})), bins=3, density={density}, "
              "weights={0})[0]", _weights_params, domains=(positive,), shapes=((5,),)),
    _shape_op("histogram2d", np.histogram2d, "np.histogram2d(np.cos(np.arange({n})), np.sin(np.arange({n})), "
              "bins=2, density={density}, weights={0})[0]", _weights_params, domains=(positive,), shapes=((5,),)),
    _shape_op("histogramdd", np.histogramdd, "np.histogramdd([np.cos(np.arange({n})), np.sin(2 * np.arange({n}))], "
              "bins=(2, 1), density={density}, weights={0})[0]", _weights_params, domains=(positive,),
              shapes=((5,),)),
    Op("polyval", np.polyval, "np.polyval({0}, {1})", (real, real), family="shape",
       params=lambda d, p, x: {} if p.ndim == 1 else None, shapes=((3,), (2,))),
    Op("append", np.append, "np.append({0}, {1})", (real, real), family="shape",
       params=lambda d, x, y: {} if x.size + y.size <= MAX_SIZE else None),
    Op("hstack", np.hstack, "np.hstack([{0}, {1}])", (real, real), family="shape", params=_same_shape_join,
       shapes=((2, 3), (2, 3))),
    Op("vstack", np.vstack, "np.vstack([{0}, {1}])", (real, real), family="shape", params=_same_shape_join,
       shapes=((2, 3), (2, 3))),
    Op("dstack", np.dstack, "np.dstack([{0}, {1}])", (real, real), family="shape", params=_same_shape_join,
       shapes=((2, 3), (2, 3))),
    Op("column_stack", np.column_stack, "np.column_stack([{0}, {1}])", (real, real), family="shape",
       params=lambda d, x, y: _same_shape_join(d, x, y) if 1 <= x.ndim <= 2 else None, shapes=((3,), (3,))),
    Op("meshgrid", np.meshgrid, "np.meshgrid({0}, {1})[{k}]", (real, real), family="shape",
       params=_meshgrid_params,
       shapes=((3,), (2,))),
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


def _three_vectors(draw, a, b):
    if a.ndim == 0 or b.ndim == 0 or a.shape[-1] != 3 or b.shape[-1] != 3:
        return None
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        return None
    return {}


def _two_signals(draw, a, b):
    return {} if a.ndim == b.ndim == 1 and a.size + b.size - 1 <= MAX_SIZE else None


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
    Op("vdot", np.vdot, "np.vdot({0}, {1})", (real, real), family="contraction",
       params=lambda d, a, b: {} if a.size == b.size else None, fresh=_fresh_pair((2, 3), (6,))),
    Op("linalg.outer", np.linalg.outer, "np.linalg.outer({0}, {1})", (real, real), family="contraction",
       params=lambda d, a, b: {} if a.ndim == b.ndim == 1 and a.size * b.size <= MAX_SIZE else None,
       fresh=_fresh_pair((3,), (2,))),
    Op("linalg.vecdot", np.linalg.vecdot, "np.linalg.vecdot({0}, {1})", (real, real), family="contraction",
       params=_last_axis_match, fresh=_fresh_pair((2, 3), (3,))),
    Op("multi_dot", np.linalg.multi_dot, "np.linalg.multi_dot([{0}, {1}])", (real, real), family="contraction",
       params=lambda d, a, b: _matmul_ok(d, a, b) if a.ndim <= 2 and b.ndim <= 2 else None,
       fresh=_fresh_pair((2, 3), (3, 2))),
    Op("cross", np.cross, "np.cross({0}, {1})", (real, real), family="contraction", params=_three_vectors,
       fresh=_fresh_pair((2, 3), (3,))),
    Op("linalg.cross", np.linalg.cross, "np.linalg.cross({0}, {1})", (real, real), family="contraction",
       params=_three_vectors, fresh=_fresh_pair((3,), (3,))),
    Op("convolve", np.convolve, "np.convolve({0}, {1})", (real, real), family="contraction",
       params=_two_signals, fresh=_fresh_pair((4,), (2,))),
    Op("correlate", np.correlate, "np.correlate({0}, {1}, 'full')", (real, real), family="contraction",
       params=_two_signals, fresh=_fresh_pair((4,), (3,))),
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


def _real_distinct_eigenvalues(a):
    """Real eigenvalues 0.1 apart with a well-conditioned eigenbasis: eig is smooth there
    (and NumPy returns them as a real array, whichever way finite differences step)."""
    if not _square(a):
        return False
    w, v = np.linalg.eig(a)
    return bool(np.all(np.abs(w.imag) == 0)) and _distinct(w.real, gap=0.1) and _well_conditioned(v)


def _clear_householder_signs(a):
    """Full column rank, and every Householder reflection LAPACK makes is a clear one: the
    entry on the diagonal and the part of its column below it are not near 0. The sign of
    R's diagonal entry is minus that entry's; where the part below is exactly 0 LAPACK takes
    no reflection and keeps the sign. So NumPy's ``qr`` jumps where either is 0 (at a
    triangular matrix, at a permutation) and has no derivative there."""
    if a.ndim != 2 or a.shape[0] < a.shape[1] or not _well_conditioned(a):
        return False
    r = np.array(a, dtype=np.float64)
    for k in range(min(r.shape[0] - 1, r.shape[1])):
        x = r[k:, k]
        if abs(x[0]) < 0.1 or np.linalg.norm(x[1:]) < 0.1:
            return False
        v = x.copy()
        v[0] += np.copysign(np.linalg.norm(x), x[0])
        r[k:] -= np.outer(2 * v / (v @ v), v @ r[k:])
    return True


def _no_pivoting(a):
    """Strictly column diagonally dominant (by 0.3): partial pivoting swaps no rows, stably."""
    if not _square(a):
        return False
    off = np.sum(np.abs(a), axis=0) - np.abs(np.diagonal(a))
    return bool(np.all(np.abs(np.diagonal(a)) - off >= 0.3))


def _right_half_plane(a):
    """Eigenvalues with real part >= 0.3 and a well-conditioned matrix (sqrtm, logm)."""
    return _square(a) and bool(np.all(np.linalg.eigvals(a).real >= 0.3)) and _well_conditioned(a)


def _banded(ab):
    """The dense tridiagonal matrix of ``solve_banded((1, 1), ab, b)``'s ``ab``."""
    from ..rules.linalg import _band_to_dense
    if ab.ndim != 2 or ab.shape[0] != 3:
        return np.full((2, 2), np.nan)
    return _band_to_dense(ab, 1, 1)


def _fresh_banded(draw, dtype):
    from hypothesis.extra import numpy as hnp
    ab = draw(hnp.arrays(dtype, (3, 3), elements=interval(-0.5, 0.5).elements(dtype, DECIMALS)))
    ab[1] += 2
    return [ab, draw(_vec(dtype, 3))]


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
    # sorted: LAPACK's order of the eigenvalues can jump (at a triangular matrix)
    _linalg("eigvals", np.linalg.eigvals, "np.sort(np.linalg.eigvals({0}))", _real_distinct_eigenvalues),
    _linalg("eig", np.linalg.eig, "np.sort(np.linalg.eig({0})[0])", _real_distinct_eigenvalues),
    _linalg("svd", np.linalg.svd, "np.linalg.svd({0}, compute_uv=False)", _sv_gaps),
    _linalg("svd_polar", np.linalg.svd, "(np.linalg.svd({0})[0] @ np.linalg.svd({0})[2])",
            lambda a: _square(a) and _sv_gaps(a)),
    _linalg("qr_r", np.linalg.qr, "np.linalg.qr({0})[1]", _clear_householder_signs, fresh=_fresh_matrix(2, rect=True)),
    _linalg("qr_q", np.linalg.qr, "np.linalg.qr({0})[0]", _clear_householder_signs),
    Op("lstsq", np.linalg.lstsq, "np.linalg.lstsq({0}, {1})[0]", (None, real), family="linalg",
       params=lambda d, a, b: {} if a.ndim == 2 and a.shape[0] >= a.shape[1] and b.ndim in (1, 2)
       and b.shape[0] == a.shape[0] else None,
       check=lambda a, b: _well_conditioned(a),
       fresh=lambda draw, dtype: _fresh_matrix(2, rect=True)(draw, dtype) + [draw(_vec(dtype, 3))]),
    _linalg("tensorinv", np.linalg.tensorinv, "np.linalg.tensorinv({0}, ind=1)",
            lambda a: _square(a) and _well_conditioned(a)),
    Op("tensorsolve", np.linalg.tensorsolve, "np.linalg.tensorsolve({0}, {1})", (None, real), family="linalg",
       params=lambda d, a, b: _solve_params(d, a, b) if b.ndim == 1 else None,
       check=lambda a, b: _square(a) and _well_conditioned(a),
       fresh=lambda draw, dtype: _fresh_matrix(3)(draw, dtype) + [draw(_vec(dtype, 3))]),
    _linalg("matrix_norm", np.linalg.matrix_norm, "np.linalg.matrix_norm({0})", lambda a: a.ndim >= 2,
            params=lambda d, a: {} if a.ndim >= 2 else None),
    _linalg("linalg.trace", np.linalg.trace, "np.linalg.trace({0})", lambda a: a.ndim >= 2,
            params=lambda d, a: {} if a.ndim >= 2 else None),
    # scipy.linalg
    _linalg("scipy.inv", scipy.linalg.inv, "fsl.inv({0})", lambda a: _square(a) and _well_conditioned(a)),
    _linalg("scipy.det", scipy.linalg.det, "fsl.det({0})", _square),
    Op("scipy.solve", scipy.linalg.solve, "fsl.solve({0}, {1})", (None, real), family="linalg",
       params=_solve_params, check=lambda a, b: _square(a) and _well_conditioned(a),
       fresh=lambda draw, dtype: _fresh_matrix(3)(draw, dtype) + [draw(_vec(dtype, 3))]),
    _linalg("scipy.cholesky", scipy.linalg.cholesky,
            "fsl.cholesky({0} @ np.swapaxes({0}, -1, -2) + 0.5 * np.eye({n}))",
            lambda a: _square(a), params=lambda d, a: {"n": a.shape[0]} if _square(a) else None),
    _linalg("cho_factor", scipy.linalg.cho_factor,
            "fsl.cho_factor({0} @ np.swapaxes({0}, -1, -2) + 0.5 * np.eye({n}), lower=True)[0]",
            lambda a: _square(a), params=lambda d, a: {"n": a.shape[0]} if _square(a) else None),
    Op("cho_solve", scipy.linalg.cho_solve,
       "fsl.cho_solve(fsl.cho_factor({0} @ np.swapaxes({0}, -1, -2) + 0.5 * np.eye({n})), {1})", (None, real),
       family="linalg", params=lambda d, a, b: {"n": a.shape[0]} if _solve_params(d, a, b) is not None else None,
       check=lambda a, b: _square(a) and _well_conditioned(a),
       fresh=lambda draw, dtype: _fresh_matrix(3)(draw, dtype) + [draw(_vec(dtype, 3))]),
    _linalg("lu_factor", scipy.linalg.lu_factor, "fsl.lu_factor({0})[0]", _no_pivoting),
    Op("lu_solve", scipy.linalg.lu_solve, "fsl.lu_solve(fsl.lu_factor({0}), {1})", (None, real), family="linalg",
       params=_solve_params, check=lambda a, b: _square(a) and _well_conditioned(a) and _no_pivoting(a),
       fresh=lambda draw, dtype: _fresh_matrix(3)(draw, dtype) + [draw(_vec(dtype, 3))]),
    Op("solve_triangular", scipy.linalg.solve_triangular, "fsl.solve_triangular({0}, {1}, lower=True)",
       (None, real), family="linalg", params=_solve_params,
       check=lambda a, b: _square(a) and _well_conditioned(np.tril(a)),
       fresh=lambda draw, dtype: _fresh_matrix(3)(draw, dtype) + [draw(_vec(dtype, 3))]),
    Op("solve_banded", scipy.linalg.solve_banded, "fsl.solve_banded((1, 1), {0}, {1})", (None, real),
       family="linalg", params=lambda d, ab, b: {} if ab.ndim == 2 and ab.shape[0] == 3 and b.ndim in (1, 2)
       and b.shape[0] == ab.shape[1] else None,
       check=lambda ab, b: _well_conditioned(_banded(ab)), fresh=_fresh_banded),
    _linalg("sqrtm", scipy.linalg.sqrtm, "fsl.sqrtm({0})", _right_half_plane),
    _linalg("logm", scipy.linalg.logm, "fsl.logm({0})", _right_half_plane),
    Op("solve_sylvester", scipy.linalg.solve_sylvester, "fsl.solve_sylvester({0}, {0}, {1})", (None, real),
       family="linalg", params=lambda d, a, q: {} if _square(a) and q.shape == a.shape else None,
       check=lambda a, q: _right_half_plane(a),
       fresh=lambda draw, dtype: _fresh_matrix(2)(draw, dtype) + _fresh_matrix(2)(draw, dtype)),
]


# -- Fourier transforms: complex results enter programs through np.real / np.imag ----------------
def _fft(name, target, template, min_ndim=1, shapes=None):
    def params(draw, x):
        return {} if x.ndim >= min_ndim and x.shape[-1] >= 2 else None
    return Op(name, target, template, (real,), family="fft", params=params,
              shapes=shapes or (((2, 3),) if min_ndim == 2 else ((4,),)))


FFT = [
    _fft("fft", np.fft.fft, "np.real(np.fft.fft({0}))"),
    _fft("ifft", np.fft.ifft, "np.imag(np.fft.ifft({0}))"),
    _fft("rfft", np.fft.rfft, "np.imag(np.fft.rfft({0}))"),
    _fft("irfft", np.fft.irfft, "np.fft.irfft({0})"),
    _fft("hfft", np.fft.hfft, "np.fft.hfft({0})"),
    _fft("ihfft", np.fft.ihfft, "np.real(np.fft.ihfft({0}))"),
    _fft("fft2", np.fft.fft2, "np.imag(np.fft.fft2({0}))", 2),
    _fft("ifft2", np.fft.ifft2, "np.real(np.fft.ifft2({0}))", 2),
    _fft("rfft2", np.fft.rfft2, "np.real(np.fft.rfft2({0}))", 2),
    _fft("irfft2", np.fft.irfft2, "np.fft.irfft2({0})", 2),
    _fft("fftn", np.fft.fftn, "np.real(np.fft.fftn({0}))"),
    _fft("ifftn", np.fft.ifftn, "np.imag(np.fft.ifftn({0}))"),
    _fft("rfftn", np.fft.rfftn, "np.imag(np.fft.rfftn({0}))"),
    _fft("irfftn", np.fft.irfftn, "np.fft.irfftn({0})"),
    _fft("fftshift", np.fft.fftshift, "np.fft.fftshift({0})"),
    _fft("ifftshift", np.fft.ifftshift, "np.fft.ifftshift({0})"),
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
    + REDUCTIONS + SHAPE + CONTRACTIONS + LINALG + FFT
)

# Differentiable ufuncs of the registry that programs do not draw, and why.
EXCLUDED = {
    sp._ufuncs._riemann_zeta: "zeta(x) is differentiable in x only by a rule that raises NotImplementedError "
                              "(no closed form); the Hurwitz form zeta(3.0, q) is in the table",
    np.true_divide: "the same ufunc object as np.divide",
}


# Functions funcad implements (``registry.FUNCTIONS``) that programs do not draw, and why.
_NO_DERIVATIVE = ("no derivative by design (funcad/rules/nondiff.py): integer or constant results, "
                  "computed on plain values")
EXCLUDED_FUNCTIONS = {
    **{f: _NO_DERIVATIVE for f in (np.digitize, np.histogram_bin_edges, np.lexsort)},
    **{f: "returns facts about the array (shape, size, dtype), not values: nothing to differentiate"
       for f in (np.ndim, np.shape, np.size, np.result_type)},
    np.copyto: "writes into an existing array, which programs (pure functions of their inputs) never do; "
               "a traced source is refused with a TypeError (tested through np.full in "
               "tests/test_rules_creation.py)",
    scipy.integrate.odeint: "a solver whose derivative is itself an ODE solve, tested against "
                            "finite differences on its own in tests/test_odeint.py",
    scipy.signal.convolve: "the same primitive as np.convolve (a row); its modes are tested in "
                           "tests/test_rules_statistics.py",
    sp.zeta: "the Python wrapper around the _zeta ufunc, whose Hurwitz form zeta(3.0, q) is a row",
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

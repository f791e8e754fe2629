"""The ``funcad`` command line (``python -m funcad`` or the installed ``funcad`` script).

``funcad check FILE.py:F --grad FILE.py:DF --at JSON`` puts a hand-derived derivative, funcad's
and finite differences side by side, at one point or at random points, and says whether
they agree. Exit status: 0 when they all agree, 1 when something disagrees (a table shows
what), 2 on bad usage (the message on stderr says what to fix).

The point (``--at``) is JSON: for a function of one argument, that argument (``2.0``,
``[1.0, 2.0]``, ``[[1, 2], [3, 4]]``); for a function of several arguments, a list with one
entry per argument (``[[1.0, 2.0], 3.0]`` is ``x=[1.0, 2.0], y=3.0``), or an object by
parameter name (``{"x": [1.0, 2.0], "y": 3.0}``). The number of arguments is the number
of positional parameters of ``F`` without a default.
"""
from __future__ import annotations

import argparse
import importlib.util
import inspect
import json
import math
import os
import sys
from typing import Any, Callable

import numpy as np

__all__ = ["main"]

EPILOG = """\
examples:
  funcad check mymodule.py:f --grad mymodule.py:df --at "[1.0, 2.0]"
  funcad check mymodule.py:f --grad df --random 5 --shape 3 --seed 1
  funcad check model.py:loss --grad dloss --hessian d2loss --at '{"w": [0.5, -1.0], "b": 0.1}'
  funcad check model.py:layer --jacobian jac_layer --at "[[1.0, 2.0], [[0.1, 0.2], [0.3, 0.4]]]" --json

The point (--at) is JSON. A function of one argument takes the value itself; a function of
n >= 2 arguments takes a list of n values (one per argument, in order) or an object keyed by
parameter name. --grad/--jacobian/--hessian name a function in FILE.py:NAME form, or just NAME
for one defined in the same file as the function checked. A hand-written derivative returns
what funcad.func.grad / jacrev / hessian would: for several arguments, a tuple with one entry
per argument (the Hessian: a tuple of tuples).

exit status: 0 all agree, 1 some disagree, 2 bad usage.
"""


class UsageError(Exception):
    """Bad usage: reported on stderr, exit status 2."""


# -- loading the user's functions -------------------------------------------------------------
_MODULES: dict = {}


def _load_module(path: str):
    path = os.path.abspath(path)
    if path in _MODULES:
        return _MODULES[path]
    if not os.path.isfile(path):
        raise UsageError(f"file not found: {path!r}. Give the function as FILE.py:NAME, with a path to a Python file.")
    name = "_funcad_user_" + "".join(c if c.isalnum() else "_" for c in os.path.splitext(os.path.basename(path))[0])
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise UsageError(f"cannot import {path!r}: it is not a Python file (give FILE.py:NAME)")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, os.path.dirname(path))       # so the file can import its neighbours
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        raise UsageError(f"importing {path!r} raised {type(e).__name__}: {e}. Fix the file so that "
                         f"`python {os.path.basename(path)}` runs.") from None
    finally:
        sys.path.remove(os.path.dirname(path))
    _MODULES[path] = module
    return module


def _load(spec: str, default_file: str | None, option: str) -> tuple[Callable, str]:
    """``FILE.py:NAME`` (or ``NAME`` in ``default_file``) -> (function, display name)."""
    if ":" in spec and not (len(spec) > 1 and spec[1] == ":" and spec.count(":") == 1):   # C:\\...
        path, name = spec.rsplit(":", 1)
    elif default_file is not None:
        path, name = default_file, spec
    else:
        raise UsageError(f"{option}: expected FILE.py:NAME (e.g. mymodule.py:f), got {spec!r}")
    if not name:
        raise UsageError(f"{option}: no function name after ':' in {spec!r} (expected FILE.py:NAME)")
    obj: Any = _load_module(path)
    for part in name.split("."):
        if not hasattr(obj, part):
            defined = sorted(k for k, v in vars(_load_module(path)).items()
                             if callable(v) and not k.startswith("_") and getattr(v, "__module__", None) ==
                             _load_module(path).__name__)
            raise UsageError(f"{option}: {os.path.basename(path)} has no function {name!r}"
                             + (f" (it defines: {', '.join(defined)})" if defined else ""))
        obj = getattr(obj, part)
    if not callable(obj):
        raise UsageError(f"{option}: {name!r} in {os.path.basename(path)} is a {type(obj).__name__}, not a function")
    return obj, f"{os.path.basename(path)}:{name}"


def _params(f: Callable) -> list[str] | None:
    """Names of the positional parameters without defaults (None: cannot tell, *args)."""
    try:
        sig = inspect.signature(f)
    except (TypeError, ValueError):
        return None
    names = []
    for p in sig.parameters.values():
        if p.kind == p.VAR_POSITIONAL:
            return None
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty:
            names.append(p.name)
    return names


# -- the points --------------------------------------------------------------------------------
def _as_array(v, what: str) -> np.ndarray:
    try:
        a = np.asarray(v, dtype=np.float64)
    except (ValueError, TypeError):
        raise UsageError(f"--at: {what} must be a number or a (nested, rectangular) list of numbers, got {v!r}") from None
    return a


def _point_from_json(text: str, names: list[str] | None) -> tuple:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        raise UsageError(f"--at: not valid JSON ({e.msg} at character {e.pos}): {text!r}. "
                         f"Example: --at \"[1.0, 2.0]\"") from None
    if isinstance(value, dict):
        if names is None:
            raise UsageError("--at: an object by parameter name needs a function with named parameters")
        missing = [n for n in names if n not in value]
        unknown = [k for k in value if k not in names]
        if missing or unknown:
            raise UsageError(f"--at: the function's parameters are {names}; "
                             + (f"missing {missing}" if missing else "") + ("; " if missing and unknown else "")
                             + (f"unknown {unknown}" if unknown else ""))
        return tuple(_as_array(value[n], f"argument {n!r}") for n in names)
    n = 1 if names is None else len(names)
    if names is not None and n == 0:
        raise UsageError("the function takes no argument without a default: nothing to differentiate")
    if n == 1:
        return (_as_array(value, "the argument"),)
    if not isinstance(value, list) or len(value) != n:
        got = f"a list of {len(value)}" if isinstance(value, list) else type(value).__name__
        raise UsageError(f"--at: the function takes {n} arguments ({', '.join(names)}), so --at must be a list "
                         f"of {n} values, one per argument, or an object {{\"{names[0]}\": ...}}; got {got}")
    return tuple(_as_array(v, f"argument {names[i]!r}") for i, v in enumerate(value))


def _parse_shape(text: str) -> tuple:
    t = text.strip().strip("()[] ")
    if t in ("", "scalar"):
        return ()
    try:
        shape = tuple(int(s) for s in t.replace("x", ",").split(",") if s.strip())
    except ValueError:
        raise UsageError(f"--shape: expected integers like 3 or 2,3 (or 'scalar'), got {text!r}") from None
    if any(s < 1 for s in shape):
        raise UsageError(f"--shape: sides must be positive, got {text!r}")
    return shape


def _random_points(n: int, names: list[str] | None, shapes: list[str], seed: int, domain: str) -> list[tuple]:
    from .testing import domains
    dom = getattr(domains, domain, None)
    if not isinstance(dom, domains.Domain):
        raise UsageError(f"--domain: unknown domain {domain!r}; use real, positive, unit_interval or open_unit")
    k = 1 if names is None else len(names)
    if shapes and len(shapes) != k:
        raise UsageError(f"--shape: the function takes {k} argument(s) ({', '.join(names or ['x'])}), "
                         f"give one --shape per argument (got {len(shapes)})")
    parsed = [_parse_shape(s) for s in shapes] if shapes else [()] * k
    rng = np.random.default_rng(seed)
    lo, hi = dom.draw
    return [tuple(rng.uniform(lo, hi, s) for s in parsed) for _ in range(n)]


# -- derivatives as matrices -------------------------------------------------------------------
class _Shape(Exception):
    """A hand-written derivative of the wrong structure or shape."""


def _matrix(kind: str, value, arg_shapes: list[tuple], out_shape: tuple, strict: bool = True) -> np.ndarray:
    """A derivative in funcad's structure (one entry per argument; the Hessian, a tuple
    of tuples of blocks) -> the (M, N) matrix over the flat coordinates. ``strict``
    checks each block's shape (a hand-written derivative); otherwise only its size."""
    n = len(arg_shapes)
    sizes = [int(np.prod(s)) for s in arg_shapes]
    lead = () if kind != "jacobian" else out_shape
    m = int(np.prod(lead))
    if n == 1:
        whole = _try_array(value)
        value = (value,) if whole is not None and (not strict or whole.shape != ()) and \
            not (isinstance(value, (tuple, list)) and len(value) == 1 and _try_array(value[0]) is not None
                 and whole.shape[1:] == (lead + arg_shapes[0] + (arg_shapes[0] if kind == "hessian" else ()))
                 and whole.shape != lead + arg_shapes[0] + (arg_shapes[0] if kind == "hessian" else ())) \
            else tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if not isinstance(value, (tuple, list)) or len(value) != n:
        raise _Shape(f"expected a tuple of {n} entries (one per argument), got {type(value).__name__}"
                     + (f" of length {len(value)}" if isinstance(value, (tuple, list)) else ""))
    rows = []
    for i in range(n if kind == "hessian" else 1):
        line = []
        for j in range(n):
            if kind == "hessian":
                row = value[i] if n > 1 else (value[0],)
                if not isinstance(row, (tuple, list)) or len(row) != n:
                    raise _Shape(f"entry {i} of the Hessian: expected a tuple of {n} blocks")
                b, want, shape = _try_array(row[j]), arg_shapes[i] + arg_shapes[j], (sizes[i], sizes[j])
                where = f" block [{i}][{j}]" if n > 1 else ""
            else:
                b, want, shape = _try_array(value[j]), lead + arg_shapes[j], (m, sizes[j])
                where = f" for argument {j}" if n > 1 else ""
            if b is None or (b.shape != want if strict else b.size != int(np.prod(shape))):
                raise _Shape(f"the {kind}{where} has shape {None if b is None else b.shape}, expected {want}")
            line.append(b.reshape(shape))
        rows.append(np.concatenate(line, axis=1))
    return np.concatenate(rows, axis=0)


def _try_array(v):
    try:
        a = np.asarray(v, dtype=np.float64)
    except (ValueError, TypeError):
        return None
    return a


# -- one check ----------------------------------------------------------------------------------
class Check:
    """One quantity (gradient, Jacobian, Hessian) at one point: hand, funcad, FD."""

    def __init__(self, kind, flat, hand, ad, fd, tol, error=None):
        self.kind, self.flat, self.hand, self.ad, self.fd, self.tol = kind, flat, hand, ad, fd, tol
        self.error = error

    def entry(self, i: int, j: int) -> str:
        if self.kind == "hessian":
            return f"{self.flat.input_name(i)}, {self.flat.input_name(j)}"
        if self.kind == "gradient":
            return self.flat.input_name(j)
        return f"{self.flat.output_name(i)} / {self.flat.input_name(j)}"

    def _disagree(self, a, b):
        d = np.abs(a - b)
        same = (np.isnan(a) & np.isnan(b)) | (np.isinf(a) & (a == b))
        return ~((d <= self.tol) | same)

    @property
    def bad(self) -> np.ndarray:
        fd = self.fd.df
        bad = self._disagree(self.ad, fd)
        if self.hand is not None:
            bad |= self._disagree(self.hand, fd) | self._disagree(self.hand, self.ad)
        return bad

    @property
    def ok(self) -> bool:
        return self.error is None and not self.bad.any()

    def worst(self) -> tuple[int, int]:
        fd = self.fd.df
        d = np.abs(self.ad - fd)
        if self.hand is not None:
            d = np.maximum(d, np.abs(self.hand - fd))
        r = np.nan_to_num(d / np.maximum(self.tol, 1e-300), nan=np.inf)
        r = np.where(self.bad, r, -1) if self.bad.any() else r
        i, j = np.unravel_index(int(np.argmax(r)), r.shape)
        return int(i), int(j)

    def verdict(self) -> str:
        if self.error:
            return self.error
        if self.ok:
            return "all agree"
        i, j = self.worst()
        fd, ad = self.fd.df[i, j], self.ad[i, j]
        ad_ok = not bool(self._disagree(self.ad[i:i + 1, j:j + 1], self.fd.df[i:i + 1, j:j + 1]).any())
        if self.hand is not None:
            hand_ok = not bool(self._disagree(self.hand[i:i + 1, j:j + 1], self.fd.df[i:i + 1, j:j + 1]).any())
            if ad_ok and not hand_ok:
                return (f"the hand-written {self.kind} is wrong at [{self.entry(i, j)}]: it gives {_num(self.hand[i, j])}, "
                        f"funcad and finite differences agree on {_num(ad)}")
            if hand_ok and not ad_ok:
                return (f"funcad disagrees with the hand-written {self.kind} and finite differences at "
                        f"[{self.entry(i, j)}] ({_num(ad)} vs {_num(fd)}): a bug in funcad, or a point where "
                        f"the function is not smooth")
        if not ad_ok:
            return (f"funcad and finite differences disagree at [{self.entry(i, j)}] ({_num(ad)} vs {_num(fd)}): "
                    f"is the function smooth at this point?")
        return f"the three disagree at [{self.entry(i, j)}]"

    def to_json(self) -> dict:
        out = {"quantity": self.kind, "ok": self.ok, "error": self.error}
        if self.error is None or self.ad is not None:
            i, j = self.worst()
            out.update({
                "entries": [[self.entry(a, b) for b in range(self.ad.shape[1])] for a in range(self.ad.shape[0])],
                "hand": None if self.hand is None else _jsonable(self.hand),
                "funcad": _jsonable(self.ad),
                "finite_differences": _jsonable(self.fd.df),
                "fd_error_estimate": _jsonable(self.fd.error),
                "tolerance": _jsonable(self.tol),
                "worst": {"entry": self.entry(i, j), "index": [i, j],
                          "hand": None if self.hand is None else _jsonable(self.hand[i, j]),
                          "funcad": _jsonable(self.ad[i, j]), "finite_differences": _jsonable(self.fd.df[i, j]),
                          "fd_error_estimate": _jsonable(self.fd.error[i, j]), "tolerance": _jsonable(self.tol[i, j])},
                "message": self.verdict(),
            })
        return out


def _jsonable(a):
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 0:
        v = float(a)
        return v if math.isfinite(v) else ("NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity"))
    return [_jsonable(x) for x in a]


def _num(x) -> str:
    return f"{float(x):.10g}"


def _run_checks(f, args, hands: dict, atol, rtol) -> list[Check]:
    from . import func
    from .testing import finite_differences as fdiff
    from .testing.compare import tolerance
    from .testing.flatten import Flat
    from .testing.report import working_scale
    try:
        out = f(*args)
        flat = Flat(f, args, out=out)
    except Exception as e:
        shapes = ", ".join(f"{n}: {np.shape(a)}" for n, a in zip(_argnames(f, len(args)), args))
        raise UsageError(f"the function raised {type(e).__name__} at the point ({e}); check the point's shape "
                         f"({shapes})") from None
    if flat.m == 0:
        raise UsageError("the function returns no floating-point value to differentiate")
    scalar = flat.m == 1
    kinds = [k for k in ("gradient", "jacobian", "hessian") if k in hands] or ["gradient" if scalar else "jacobian"]
    for k in kinds:
        if k in ("gradient", "hessian") and not scalar:
            raise UsageError(f"--{'grad' if k == 'gradient' else k} needs a function returning a scalar; this one returns "
                             f"shape {np.shape(out)}. Use --jacobian for a vector-valued function.")
    argnums = tuple(range(len(args)))
    single = len(args) == 1
    work = working_scale(flat.g0, flat.part_values())
    shapes = [np.shape(a) for a in args]
    checks = []
    for k in kinds:
        if k == "hessian":
            fd = fdiff.hessian(lambda V: flat.values(V), flat.x0)
            fvals = np.full(flat.N, float(np.abs(flat.f0).max(initial=0)))
            ad = func.hessian(f, argnums[0] if single else argnums)(*args)
        else:
            fd = fdiff.jacobian(lambda V: flat.values(V), flat.x0, flat.m)
            fvals = flat.f0
            ad = func.jacrev(f, argnums[0] if single else argnums)(*args)
        ad = _matrix(k, ad, shapes, np.shape(out), strict=False)
        tol = tolerance(fd, fvals, np.float64, atol, rtol, work, work)
        if k == "hessian" and atol is None:
            # Nested differences of SciPy's hessian carry ~8 digits, and its error
            # estimate is optimistic where the true entry is 0: a floor of 1e-7 of the largest.
            tol = tol + 1e-7 * float(np.max(np.abs(np.nan_to_num(fd.df)), initial=0.0))
        hand, error = None, None
        if k in hands:
            fn, name = hands[k]
            try:
                value = fn(*args)
                hand = _matrix(k, value, shapes, np.shape(out))
            except _Shape as e:
                error = f"{name} returned the wrong shape: {e}"
            except Exception as e:
                error = f"{name} raised {type(e).__name__}: {e}"
        checks.append(Check(k, flat, hand, ad, fd, tol, error))
    return checks


def _argnames(f, n):
    from .testing.flatten import arg_names
    return arg_names(f, n)


# -- output ---------------------------------------------------------------------------------------
_BOLD, _RED, _GREEN, _RESET = "\033[1m", "\033[31m", "\033[32m", "\033[0m"


def _table(c: Check, color: bool, max_rows: int) -> list[str]:
    lines = []
    if c.error and c.ad is None:
        return [f"  {c.error}"]
    M, N = c.ad.shape
    entries = [(i, j) for i in range(M) for j in range(N)]
    wi, wj = c.worst()
    if len(entries) > max_rows:
        fd = c.fd.df
        d = np.abs(c.ad - fd) if c.hand is None else np.maximum(np.abs(c.ad - fd), np.abs(c.hand - fd))
        order = np.argsort(-np.nan_to_num(d / np.maximum(c.tol, 1e-300), nan=np.inf), axis=None)[:max_rows]
        entries = sorted((int(k) // N, int(k) % N) for k in order)
        lines.append(f"  ({max_rows} of {M * N} entries shown: the largest disagreements)")
    names = [c.entry(i, j) for i, j in entries]
    w = max([len("entry")] + [len(n) for n in names])
    head = f"  {'entry':<{w}}  " + ("hand-written           " if c.hand is not None else "") + \
        "funcad                 finite differences     FD error est.  " + \
        ("|hand - FD|  " if c.hand is not None else "") + "|funcad - FD|"
    lines.append(head)
    bad = c.bad
    for (i, j), n in zip(entries, names):
        fd = c.fd.df[i, j]
        row = f"  {n:<{w}}  "
        if c.hand is not None:
            row += f"{_num(c.hand[i, j]):<23}"
        row += f"{_num(c.ad[i, j]):<23}{_num(fd):<23}{c.fd.error[i, j]:<15.2g}"
        if c.hand is not None:
            row += f"{abs(c.hand[i, j] - fd):<13.3g}"
        row += f"{abs(c.ad[i, j] - fd):.3g}"
        if bad[i, j] and (i, j) == (wi, wj):
            row += "   <<< worst"
            if color:
                row = _BOLD + _RED + row + _RESET
        elif bad[i, j]:
            row += "   <<<"
        lines.append(row)
    return lines


def _describe_point(names, args) -> str:
    with np.printoptions(precision=6, suppress=True, threshold=12):
        return ", ".join(f"{n}={np.array2string(np.asarray(a), separator=', ')}" for n, a in zip(names, args))


# -- the command ----------------------------------------------------------------------------------
def _check(ns) -> int:
    f, fname = _load(ns.function, None, "FUNCTION")
    default_file = ns.function.rsplit(":", 1)[0]
    hands = {}
    for kind, spec in (("gradient", ns.grad), ("jacobian", ns.jacobian), ("hessian", ns.hessian)):
        if spec:
            hands[kind] = _load(spec, default_file, "--" + ("grad" if kind == "gradient" else kind))
    names = _params(f)
    if ns.at is not None and ns.random is not None:
        raise UsageError("give either --at or --random, not both")
    if ns.at is None and ns.random is None:
        raise UsageError("give the point with --at JSON (e.g. --at \"[1.0, 2.0]\") or draw points with --random N")
    if ns.random is not None and ns.random < 1:
        raise UsageError(f"--random: expected a positive number of points, got {ns.random}")
    if ns.at is not None:
        points = [_point_from_json(ns.at, names)]
    else:
        points = _random_points(ns.random, names, ns.shape or [], ns.seed, ns.domain)
    display_names = names if names else _argnames(f, len(points[0]))
    results, all_ok = [], True
    color = not ns.json and sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    for k, args in enumerate(points):
        checks = _run_checks(f, args, hands, ns.atol, ns.rtol)
        ok = all(c.ok for c in checks)
        all_ok &= ok
        results.append((args, checks, ok))
        if ns.json:
            continue
        where = _describe_point(display_names, args)
        print(f"{fname} at {where}" + (f"   (point {k + 1} of {len(points)})" if len(points) > 1 else ""))
        for c in checks:
            print(f"  {c.kind}:")
            for line in _table(c, color, ns.max_rows):
                print("  " + line)
            mark = ("OK" if c.ok else "DISAGREE")
            if color:
                mark = (_GREEN if c.ok else _BOLD + _RED) + mark + _RESET
            print(f"  {mark}: {c.verdict()}")
        print()
    if ns.json:
        doc = {"ok": all_ok, "function": fname,
               "hand_written": {k: v[1] for k, v in hands.items()},
               "points": [{"point": {n: _jsonable(a) for n, a in zip(display_names, args)}, "ok": ok,
                           "checks": [c.to_json() for c in checks]} for args, checks, ok in results]}
        print(json.dumps(doc, indent=2))
    else:
        n_bad = sum(not ok for _, _, ok in results)
        print("all agree" if all_ok else f"disagreement at {n_bad} of {len(results)} point(s)")
    return 0 if all_ok else 1


class _Parser(argparse.ArgumentParser):
    def error(self, message):   # argparse's own errors: exit 2 with a hint, as ours
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: error: {message}\n(see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="funcad", description="funcad: automatic differentiation of NumPy code.")
    sub = p.add_subparsers(dest="command", parser_class=_Parser)
    c = sub.add_parser("check", help="compare a hand-derived derivative, funcad's and finite differences",
                       description="Compare a hand-derived derivative with funcad's and with finite differences "
                                   "(SciPy, with error estimates) at a point or at random points.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("function", metavar="FILE.py:FUNCTION", help="the function to differentiate")
    c.add_argument("--grad", metavar="[FILE.py:]NAME", help="hand-written gradient (of a scalar function)")
    c.add_argument("--jacobian", metavar="[FILE.py:]NAME", help="hand-written Jacobian (out.shape + in.shape)")
    c.add_argument("--hessian", metavar="[FILE.py:]NAME", help="hand-written Hessian (of a scalar function)")
    c.add_argument("--at", metavar="JSON", help="the point, as JSON (see below)")
    c.add_argument("--random", metavar="N", type=int, help="check at N random points instead")
    c.add_argument("--seed", type=int, default=0, help="seed of the random points (default 0)")
    c.add_argument("--shape", action="append", metavar="SHAPE",
                   help="shape of an argument for --random, e.g. 3 or 2,3 or scalar; one per argument")
    c.add_argument("--domain", default="real", help="where random points lie: real ([-2, 2]), positive "
                   "([0.1, 4]), unit_interval ([0.05, 0.95]) or open_unit ([-0.9, 0.9])")
    c.add_argument("--atol", type=float, default=None, help="absolute tolerance (default: relative to the entries)")
    c.add_argument("--rtol", type=float, default=None, help="relative tolerance (default 1e-6); the finite "
                   "differences' error estimate is always added")
    c.add_argument("--json", action="store_true", help="print the results as JSON (for autograders)")
    c.add_argument("--max-rows", type=int, default=20, help="largest table printed per derivative (default 20)")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``funcad`` / ``python -m funcad``; returns the exit status."""
    parser = _parser()
    ns = parser.parse_args(argv)
    if ns.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return _check(ns)
    except UsageError as e:
        print(f"funcad check: error: {e}", file=sys.stderr)
        return 2

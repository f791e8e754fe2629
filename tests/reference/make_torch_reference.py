#!/usr/bin/env python
"""Generate ``torch_functional.json``: torch.autograd.functional's answers, for funcad's tests.

Run by hand (needs torch; the tests never import it):

    python tests/reference/make_torch_reference.py

It calls ``torch.autograd.functional.{vjp, jvp, jacobian, hessian, hvp, vhp}`` on the
functions of ``functions.py`` (with ``xp=torch``) over many cases and records, per case:

* ``id``        a unique, readable test id;
* ``api``       the function of torch.autograd.functional called;
* ``function``  the catalog function's name;
* ``inputs``    the ``inputs`` argument, encoded (see below);
* ``kwargs``    the keyword arguments passed (only non-default ones, except ``v``);
* ``v``         the ``v`` argument, encoded; the key is absent when ``v`` was not passed;
* ``expected``  ``{"result": <encoded>}`` or ``{"raises": {"type": ..., "message": ...}}``;
* optionally ``funcad_differs`` (why funcad deliberately differs from torch here, per
  API.md) with ``funcad_expected``: what funcad must do instead, either
  ``{"raises": {"type": ..., "message": null, "message_contains": ...}}`` (only the class
  and a key word are prescribed) or ``{"same_as": <id>}`` (the torch result of that other
  case, which the generator checked the equivalent torch call reproduces; lists read as
  tuples), and ``note``.

``signatures`` records the parameters of the six torch functions.

Encoding of values: ``{"type": "tensor", "dtype": "float64", "shape": [...], "data": nested
lists}`` (non-finite numbers as the strings "nan", "inf", "-inf"), ``{"type": "tuple",
"items": [...]}``, ``{"type": "list", "items": [...]}`` (torch returned a Python list),
``{"type": "float", "value": x}`` (a Python float) and ``{"type": "pylist", "value": [...]}``
(a Python list of floats passed as an input).

The ``kinks`` section records torch's first derivatives (``torch.autograd.grad`` with
``grad_outputs=ones``) at non-differentiable points, with the NumPy expression that means
the same thing (``numpy_expr``, to ``eval`` with ``np`` in scope).

The output is deterministic: run it twice and diff.
"""

from __future__ import annotations

import importlib.util
import inspect
import json
import math
import pathlib
import sys
import warnings

import numpy as np
import torch
from torch.autograd import functional as AF

HERE = pathlib.Path(__file__).resolve().parent
OUT = HERE / "torch_functional.json"

_spec = importlib.util.spec_from_file_location("funcad_reference_functions", HERE / "functions.py")
catalog = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(catalog)

MISSING = object()


# ----------------------------------------------------------------------------------------
# Encoding

def _num(x):
    if isinstance(x, bool):
        return x
    if isinstance(x, int):
        return x
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def _data(lst):
    if isinstance(lst, list):
        return [_data(e) for e in lst]
    return _num(lst)


def enc(obj):
    if isinstance(obj, torch.Tensor):
        t = obj.detach()
        return {"type": "tensor", "dtype": str(t.dtype).replace("torch.", ""),
                "shape": list(t.shape), "data": _data(t.tolist())}
    if isinstance(obj, np.ndarray):
        return {"type": "tensor", "dtype": str(obj.dtype), "shape": list(obj.shape),
                "data": _data(obj.tolist())}
    if isinstance(obj, tuple):
        return {"type": "tuple", "items": [enc(e) for e in obj]}
    if isinstance(obj, list):
        return {"type": "list", "items": [enc(e) for e in obj]}
    raise TypeError(f"cannot encode {type(obj)}")


class PyList(list):
    """Marks a Python list of floats given as an *input* (not a result)."""


def enc_arg(obj):
    """Encode an argument (inputs or v) as given in the case table."""
    if isinstance(obj, PyList):
        return {"type": "pylist", "value": [_num(e) for e in obj]}
    if isinstance(obj, float):
        return {"type": "float", "value": _num(obj)}
    if isinstance(obj, tuple):
        return {"type": "tuple", "items": [enc_arg(e) for e in obj]}
    return enc(obj)


def to_torch(obj):
    if isinstance(obj, PyList):
        return list(obj)
    if isinstance(obj, float):
        return obj
    if isinstance(obj, tuple):
        return tuple(to_torch(e) for e in obj)
    if isinstance(obj, np.ndarray):
        return torch.from_numpy(obj.copy())
    raise TypeError(type(obj))


def lists_to_tuples(res):
    """funcad's documented structure: a tuple wherever torch returns a list."""
    t = res["type"]
    if t in ("tuple", "list"):
        return {"type": "tuple", "items": [lists_to_tuples(e) for e in res["items"]]}
    return res


# ----------------------------------------------------------------------------------------
# Running torch

def torch_fn(name):
    fn = catalog.FUNCTIONS[name]

    def f(*args):
        return fn(torch, *args)

    f.__name__ = name
    return f


def run(api, fn_name, inputs, kwargs, v=MISSING):
    call = dict(kwargs)
    if v is not MISSING:
        call["v"] = None if v is None else to_torch(v)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = getattr(AF, api)(torch_fn(fn_name), to_torch(inputs), **call)
    except Exception as e:  # noqa: BLE001 - recording torch's exception is the point
        return {"raises": {"type": type(e).__name__, "message": str(e)}}
    return {"result": enc(res)}


# ----------------------------------------------------------------------------------------
# Case table

CASES = []
_BY_ID = {}

DEFAULTS = {"create_graph": False, "strict": False, "vectorize": False,
            "strategy": "reverse-mode", "outer_jacobian_strategy": "reverse-mode"}


def _shape_tag(a):
    if isinstance(a, PyList):
        return "pylist"
    if isinstance(a, float):
        return "pyfloat"
    s = "0d" if a.ndim == 0 else "x".join(str(n) for n in a.shape)
    if a.dtype != np.float64:
        s += "-" + {"float32": "f32", "int64": "i64"}.get(str(a.dtype), str(a.dtype))
    return s


def _auto_tag(api, inputs, kwargs, v):
    if isinstance(inputs, tuple):
        parts = ["tup(" + ",".join(_shape_tag(a) for a in inputs) + ")"]
    else:
        parts = [_shape_tag(inputs)]
    for k in ("strict", "create_graph", "vectorize"):
        if kwargs.get(k):
            parts.append({"strict": "strict", "create_graph": "cg", "vectorize": "vec"}[k])
    for k in ("strategy", "outer_jacobian_strategy"):
        if k in kwargs:
            s = kwargs[k]
            parts.append({"forward-mode": "fwd", "reverse-mode": "rev"}.get(s, f"strategy={s}"))
    if v is MISSING and api not in ("jacobian", "hessian"):
        parts.append("noV")
    return "-".join(parts)


def case(api, fn_name, inputs, v=MISSING, tag=None, note=None, differs=None, **kwargs):
    """Record one case.

    ``differs=(reason, funcad_expected)``: funcad deliberately differs from torch here.
    ``funcad_expected`` is either ``{"raises": {"type": ..., "message": None}}`` or
    ``{"same_as": <id of an earlier case>, "inputs"/"kwargs": overrides}``: funcad must
    give that earlier case's torch result (lists read as tuples). The overrides are run
    through torch here to check that they really give the referenced result.
    """
    kwargs = {k: val for k, val in kwargs.items() if DEFAULTS.get(k, MISSING) != val}
    cid = f"{api}-{fn_name}-{_auto_tag(api, inputs, kwargs, v)}"
    if tag:
        cid += f"-{tag}"
    if cid in _BY_ID:
        raise ValueError(f"duplicate case id {cid}")
    rec = {"id": cid, "api": api, "function": fn_name, "inputs": enc_arg(inputs),
           "kwargs": kwargs}
    if v is not MISSING:
        rec["v"] = None if v is None else enc_arg(v)
    rec["expected"] = run(api, fn_name, inputs, kwargs, v)
    if differs is not None:
        reason, alt = differs
        if "raises" in alt:
            fe = alt
        else:
            ref = _BY_ID[alt["same_as"]]
            got = run(api, fn_name, alt.get("inputs", inputs), alt.get("kwargs", kwargs), v)
            if got != ref["expected"] or "result" not in got:
                raise RuntimeError(f"{cid}: {alt} does not reproduce {ref['id']}: {got}")
            fe = {"same_as": ref["id"]}
        rec["funcad_differs"] = reason
        rec["funcad_expected"] = fe
    if note:
        rec["note"] = note
    CASES.append(rec)
    _BY_ID[cid] = rec
    return rec


def a(data, dtype=np.float64):
    return np.array(data, dtype=dtype)


# Fixed inputs (hand-written so the JSON is small and readable).
X0 = a(0.7)
Y0 = a(-0.4)
X1 = a([0.8])
X2 = a([0.6, -1.1])
Y2 = a([1.4, 0.35])
X3 = a([0.5, -1.2, 2.0])
Y3 = a([1.5, 0.3, -0.7])
XS = a([0.3, -0.2, 0.5])            # small: do_some_doubling loops several times
XPOS = a([0.5, 1.5, 2.5])           # for log
X4 = a([0.9, 1.1, -0.3, 0.4])
X23 = a([[0.1, -0.4, 0.9], [1.3, -0.8, 0.25]])
V2 = a([1.0, -2.0])
V3 = a([0.7, -0.3, 1.1])
W3 = a([-1.0, 0.5, 2.0])
V22 = a([[1.0, 0.5], [-0.25, 2.0]])
V23 = a([[0.2, -1.0, 0.6], [1.5, 0.1, -0.3]])
X3_F32 = X3.astype(np.float32)
V3_F32 = V3.astype(np.float32)
X3_I64 = a([1, -2, 3], dtype=np.int64)
V3_I64_AS_F = a([1.0, 1.0, 1.0])

FWD_NOVEC = ("torch raises NotImplementedError for strategy='forward-mode' with "
             "vectorize=False; funcad accepts forward-mode either way (API.md section 1) and "
             "returns torch's vectorize=True values, with tuples instead of lists")
FWD_CG = ("torch raises NotImplementedError for strategy='forward-mode' with "
          "create_graph=True; funcad supports it (API.md section 1) and returns the same "
          "values as create_graph=False, with tuples instead of lists")
INT_INPUT = ("integer inputs: torch raises {cls}; funcad raises TypeError naming the input "
             "and the fix x.astype(float) (API.md 'Values' and section 1)")
PY_INPUT = ("torch requires Tensors and raises TypeError; funcad accepts Python floats and "
            "lists of floats as float64 arrays (API.md 'Values' and section 1)")
# torch's old vmap prototype (used by forward-mode vectorize) fails on ``x @ A @ x``
# ("dot(self, other): Shape mismatch"): a torch bug, so no forward-mode case for it.
NO_TORCH_VMAP = {"quadratic_form"}
FUNCAD_TYPEERROR = {"raises": {"type": "TypeError", "message": None,
                               "message_contains": "astype"}}


def vjp_jvp_cases(api):
    # (function, inputs, v matching the outputs (vjp) / inputs (jvp))
    out_v = api == "vjp"
    base = [
        ("exp_reducer", X23, V2 if out_v else V23),
        ("exp_adder", (X3, Y3), V3 if out_v else (V3, W3)),
        ("two_in_two_out", (X3, Y3), (V3, W3)),
    ]
    for fn, inp, v in base:
        for strict in (False, True):
            for cg in (False, True):
                case(api, fn, inp, v, strict=strict, create_graph=cg)
    for strict in (False, True):
        case(api, "do_some_doubling", XS, V3, strict=strict)
    case(api, "do_some_doubling", X3, V3, tag="noloop")
    # single tensor vs tuple of length 1, shapes, 0-d
    case(api, "sin_times", X3, V3)
    case(api, "sin_times", (X3,), (V3,))
    case(api, "sin_times", (X3,), V3, tag="v-tensor-for-tuple1")
    case(api, "sin_times", X3, (V3,), tag="v-tuple1-for-tensor")
    case(api, "sin_times", X23, V23)
    case(api, "sin_times", X0, a(1.5))
    case(api, "sin_times", X0)
    case(api, "sin_times", X1)
    case(api, "sin_times", (X1,), tag="tuple1")
    case(api, "sin_times", X3_F32, V3_F32, note="float32 in, float32 out")
    case(api, "scalar_0d", X0)
    case(api, "scalar_0d", X0, a(2.0))
    case(api, "tanh_matmul", X23, V22 if out_v else V23)
    case(api, "indexing", X23, V3 if out_v else V23)
    case(api, "sin_cos", X3, (V3, W3) if out_v else V3)
    case(api, "mixed_shapes", (X23, Y3), (V3, V2) if out_v else (V23, W3))
    case(api, "tuple_len1_out", X3, (V3,))
    case(api, "tuple_len1_out", X3, V3, tag="v-tensor")
    case(api, "tuple_len1_out", X0)
    case(api, "pow_reducer", X3, a(1.0) if out_v else V3)
    case(api, "rosenbrock", X4, a(1.0) if out_v else a([1.0, 0.0, -1.0, 0.5]))
    case(api, "log_mul", (XPOS, Y3), V3 if out_v else (V3, W3))
    case(api, "from_0d", (X0, Y3), V3 if out_v else (a(2.0), W3))
    case(api, "three_inputs", (X2, Y2, X0), a(1.0) if out_v else (V2, a([0.5, 0.5]), a(-1.0)))
    # strict: structural independence
    for strict in (False, True):
        case(api, "uses_first_only", (X3, Y3), V3 if out_v else (V3, W3), strict=strict)
        case(api, "partly_coupled", (X3, Y3), (V3, W3), strict=strict)
        case(api, "constant_like", X3, V3, strict=strict)
        case(api, "half_constant", X3, (V3, W3) if out_v else V3, strict=strict)
        case(api, "times_zero", X3, V3, strict=strict)
        case(api, "sign_scaled", X3, V3, strict=strict)
        case(api, "linear", X3, V3, strict=strict)
        case(api, "matvec_linear", X3, V2 if out_v else V3, strict=strict)
    # create_graph (+ strict)
    for fn, inp, v in [("uses_first_only", (X3, Y3), V3 if out_v else (V3, W3)),
                       ("times_zero", X3, V3), ("sign_scaled", X3, V3), ("linear", X3, V3),
                       ("matvec_linear", X3, V2 if out_v else V3), ("sin_times", X3, V3),
                       ("sin_cos", X3, (V3, W3) if out_v else V3)]:
        case(api, fn, inp, v, create_graph=True)
        case(api, fn, inp, v, create_graph=True, strict=True)
    case(api, "constant_like", X3, V3, create_graph=True)
    # v omitted where not allowed
    case(api, "sin_times", X3)
    case(api, "sin_cos", X3)
    case(api, "exp_adder", (X0, Y0))
    case(api, "sin_cos", X0, tag="tuple-out")
    # v of the wrong structure / shape
    case(api, "sin_times", X3, (V3, W3), tag="v-tuple2")
    case(api, "sin_times", X3, a([1.0, 2.0]), tag="v-shape2")
    case(api, "sin_times", X3, a([[0.7, -0.3, 1.1]]), tag="v-shape1x3")
    case(api, "sin_times", X0, a([1.0]), tag="v-shape1-for-0d")
    if out_v:
        case(api, "sin_cos", X3, (V3,), tag="v-tuple1")
        case(api, "sin_cos", X3, V3, tag="v-tensor-for-tuple2")
        case(api, "sin_cos", X3, (V3, a([1.0, 2.0])), tag="v-entry1-shape")
        case(api, "sin_cos", X3, (V3, W3, V3), tag="v-tuple3")
        case(api, "pow_reducer", X3, a([1.0]), tag="v-shape1-for-0d-out")
        case(api, "single_element_out", X3)
        case(api, "single_element_out", X3, a(1.0), tag="v-0d-for-shape1-out")
    else:
        case(api, "exp_adder", (X3, Y3), (V3,), tag="v-tuple1")
        case(api, "exp_adder", (X3, Y3), V3, tag="v-tensor-for-tuple2")
        case(api, "exp_adder", (X3, Y3), (V3, a([1.0, 2.0])), tag="v-entry1-shape")
        case(api, "exp_adder", (X3, Y3), (V3, W3, V3), tag="v-tuple3")
        case(api, "pow_reducer", X1, a(1.0), tag="v-0d-for-shape1-in")
    case(api, "sin_times", X3, None, tag="v-None")
    # inputs that are not float tensors
    case(api, "linear", X3_I64, V3_I64_AS_F,
         differs=(INT_INPUT.format(cls="RuntimeError"), FUNCAD_TYPEERROR))
    case(api, "scalar_0d", 0.7,
         differs=(PY_INPUT, {"same_as": f"{api}-scalar_0d-0d-noV", "inputs": X0}))
    case(api, "sin_times", PyList([0.5, -1.2, 2.0]), V3,
         differs=(PY_INPUT, {"same_as": f"{api}-sin_times-3", "inputs": X3}))


def jacobian_cases():
    base = [
        ("exp_reducer", X23), ("exp_adder", (X3, Y3)), ("do_some_doubling", XS),
        ("sin_times", X3), ("sin_times", (X3,)), ("sin_times", X0), ("tanh_matmul", X23),
        ("indexing", X23), ("sin_cos", X3), ("two_in_two_out", (X3, Y3)),
        ("mixed_shapes", (X23, Y3)), ("tuple_len1_out", X3), ("tuple_len1_out", (X3,)),
        ("to_0d", X23), ("from_0d", (X0, Y3)), ("pow_reducer", X3), ("log_mul", (XPOS, Y3)),
        ("three_inputs", (X2, Y2, X0)), ("constant_like", X3),
        ("uses_first_only", (X3, Y3)), ("half_constant", X3), ("partly_coupled", (X3, Y3)),
        ("matvec_linear", X3),
    ]
    for fn, inp in base:
        case("jacobian", fn, inp)
        case("jacobian", fn, inp, vectorize=True)
        r = case("jacobian", fn, inp, vectorize=True, strategy="forward-mode")
        case("jacobian", fn, inp, vectorize=False, strategy="forward-mode",
             differs=(FWD_NOVEC, {"same_as": r["id"],
                                  "kwargs": {"vectorize": True, "strategy": "forward-mode"}}))
    case("jacobian", "sin_times", X3, strategy="reverse-mode", tag="explicit")
    case("jacobian", "sin_times", X3_F32)
    case("jacobian", "sin_times", X3_F32, vectorize=True, strategy="forward-mode")
    # strict
    for fn, inp in [("sin_times", X3), ("exp_adder", (X3, Y3)), ("two_in_two_out", (X3, Y3)),
                    ("partly_coupled", (X3, Y3)), ("uses_first_only", (X3, Y3)),
                    ("constant_like", X3), ("half_constant", X3), ("times_zero", X3),
                    ("sign_scaled", X3), ("linear", X3), ("sin_times", X0),
                    ("do_some_doubling", XS), ("mixed_shapes", (X23, Y3))]:
        case("jacobian", fn, inp, strict=True)
    # strict with vectorize / forward-mode
    for fn, inp in [("sin_times", X3), ("constant_like", X3), ("uses_first_only", (X3, Y3))]:
        case("jacobian", fn, inp, strict=True, vectorize=True)
        case("jacobian", fn, inp, strict=True, vectorize=True, strategy="forward-mode")
        case("jacobian", fn, inp, strict=True, vectorize=False, strategy="forward-mode")
    # create_graph (+ strict, + vectorize)
    for fn, inp in [("sin_times", X3), ("linear", X3), ("matvec_linear", X3),
                    ("exp_adder", (X3, Y3)), ("two_in_two_out", (X3, Y3)),
                    ("times_zero", X3), ("sign_scaled", X3), ("partly_coupled", (X3, Y3))]:
        case("jacobian", fn, inp, create_graph=True)
        case("jacobian", fn, inp, create_graph=True, strict=True)
    case("jacobian", "sin_times", X3, create_graph=True, vectorize=True)
    case("jacobian", "sin_times", X3, create_graph=True, vectorize=True, strict=True)
    case("jacobian", "exp_adder", (X3, Y3), create_graph=True, vectorize=True)
    for fn, inp in [("sin_times", X3), ("exp_adder", (X3, Y3)), ("sin_cos", X3)]:
        case("jacobian", fn, inp, create_graph=True, vectorize=True, strategy="forward-mode",
             differs=(FWD_CG, {"same_as": f"jacobian-{fn}-{_auto_tag('jacobian', inp, {}, None)}"
                                          "-vec-fwd",
                               "kwargs": {"vectorize": True, "strategy": "forward-mode"}}))
    # unknown strategy
    case("jacobian", "sin_times", X3, strategy="bogus")
    case("jacobian", "sin_times", X3, strategy="forward", vectorize=True)
    case("jacobian", "sin_times", X3, strategy="Reverse-Mode")
    # inputs that are not float tensors
    case("jacobian", "linear", X3_I64,
         differs=(INT_INPUT.format(cls="RuntimeError"), FUNCAD_TYPEERROR))
    case("jacobian", "linear", X3_I64, vectorize=True, strategy="forward-mode",
         differs=(INT_INPUT.format(cls="ValueError"), FUNCAD_TYPEERROR))
    case("jacobian", "sin_times", PyList([0.5, -1.2, 2.0]),
         differs=(PY_INPUT, {"same_as": "jacobian-sin_times-3", "inputs": X3}))
    case("jacobian", "sin_times", 0.7,
         differs=(PY_INPUT, {"same_as": "jacobian-sin_times-0d", "inputs": X0}))


def hessian_cases():
    base = [
        ("pow_reducer", X3), ("pow_reducer", X23), ("pow_reducer", (X3,)),
        ("pow_adder_reducer", (X3, Y3)), ("coupled_scalar", (X3, Y3)),
        ("three_inputs", (X2, Y2, X0)), ("scalar_0d", X0), ("to_0d", X23),
        ("rosenbrock", X4), ("bilinear", (X3, Y3)), ("single_element_out", X3),
        ("linear_scalar", X3), ("scalar_ignores_y", (X3, Y3)), ("constant_scalar", X3),
        ("quadratic_form", X3), ("square_sum_mul", X3), ("floor_coupled", (X3, Y3)),
    ]
    for fn, inp in base:
        case("hessian", fn, inp)
        case("hessian", fn, inp, vectorize=True)
        if fn in NO_TORCH_VMAP:
            continue
        r = case("hessian", fn, inp, vectorize=True, outer_jacobian_strategy="forward-mode")
        case("hessian", fn, inp, vectorize=False, outer_jacobian_strategy="forward-mode",
             differs=(FWD_NOVEC, {"same_as": r["id"],
                                  "kwargs": {"vectorize": True,
                                             "outer_jacobian_strategy": "forward-mode"}}))
    case("hessian", "pow_reducer", X3_F32)
    case("hessian", "pow_reducer", X3, outer_jacobian_strategy="reverse-mode", tag="explicit")
    # strict
    for fn, inp in [("pow_reducer", X3), ("pow_reducer", (X3,)), ("coupled_scalar", (X3, Y3)),
                    ("pow_adder_reducer", (X3, Y3)), ("bilinear", (X3, Y3)),
                    ("three_inputs", (X2, Y2, X0)), ("linear_scalar", X3),
                    ("scalar_ignores_y", (X3, Y3)), ("constant_scalar", X3),
                    ("rosenbrock", X4), ("scalar_0d", X0), ("quadratic_form", X3),
                    ("square_sum_pow", X3), ("square_sum_mul", X3),
                    ("floor_coupled", (X3, Y3)), ("single_element_out", X3)]:
        case("hessian", fn, inp, strict=True)
    # strict + vectorize / forward-mode
    for fn, inp in [("pow_reducer", X3), ("linear_scalar", X3), ("constant_scalar", X3),
                    ("pow_adder_reducer", (X3, Y3))]:
        case("hessian", fn, inp, strict=True, vectorize=True)
        case("hessian", fn, inp, strict=True, vectorize=True,
             outer_jacobian_strategy="forward-mode")
    case("hessian", "pow_reducer", X3, strict=True, outer_jacobian_strategy="forward-mode")
    # create_graph (+ strict)
    for fn, inp in [("pow_reducer", X3), ("coupled_scalar", (X3, Y3)), ("rosenbrock", X4),
                    ("quadratic_form", X3), ("square_sum_pow", X3), ("square_sum_mul", X3),
                    ("scalar_0d", X0), ("three_inputs", (X2, Y2, X0))]:
        if fn in ("pow_reducer", "coupled_scalar", "square_sum_mul"):
            case("hessian", fn, inp, create_graph=True)
        case("hessian", fn, inp, create_graph=True, strict=True,
             note=("torch's rule is structural: sum(x ** 2) passes because its second "
                   "derivative 2 * x ** 0 still hangs off x, sum(x * x) does not")
             if fn in ("square_sum_pow", "square_sum_mul") else None)
    case("hessian", "pow_reducer", X3, create_graph=True, vectorize=True)
    case("hessian", "pow_reducer", X3, create_graph=True, vectorize=True, strict=True)
    for fn, inp in [("pow_reducer", X3), ("coupled_scalar", (X3, Y3))]:
        case("hessian", fn, inp, create_graph=True, vectorize=True,
             outer_jacobian_strategy="forward-mode",
             differs=(FWD_CG, {"same_as": f"hessian-{fn}-{_auto_tag('hessian', inp, {}, None)}"
                                          "-vec-fwd",
                               "kwargs": {"vectorize": True,
                                          "outer_jacobian_strategy": "forward-mode"}}))
    # unknown strategy; wrong output kinds
    case("hessian", "pow_reducer", X3, outer_jacobian_strategy="bogus")
    case("hessian", "pow_reducer", X3, outer_jacobian_strategy="forward")
    case("hessian", "scalar_tuple", X3)
    case("hessian", "tuple_len1_out", X0)
    case("hessian", "sin_times", X3)
    case("hessian", "sin_times", X3, strict=True)
    case("hessian", "linear", X3_I64,
         differs=(INT_INPUT.format(cls="RuntimeError"), FUNCAD_TYPEERROR))
    case("hessian", "scalar_0d", 0.7,
         differs=(PY_INPUT, {"same_as": "hessian-scalar_0d-0d", "inputs": X0}))


def hvp_vhp_cases(api):
    # (function, inputs, v, also run with strict=True)
    base = [
        ("pow_reducer", X3, V3, True), ("pow_reducer", X23, V23, False),
        ("pow_reducer", (X3,), (V3,), False),
        ("pow_adder_reducer", (X3, Y3), (V3, W3), True),
        ("coupled_scalar", (X3, Y3), (V3, W3), True),
        ("three_inputs", (X2, Y2, X0), (V2, a([0.5, 0.5]), a(-1.0)), True),
        ("to_0d", X23, V23, False), ("rosenbrock", X4, a([1.0, 0.0, -1.0, 0.5]), False),
        ("bilinear", (X3, Y3), (V3, W3), True), ("quadratic_form", X3, V3, True),
        ("single_element_out", X3, V3, False), ("floor_coupled", (X3, Y3), (V3, W3), True),
        ("linear_scalar", X3, V3, True), ("scalar_ignores_y", (X3, Y3), (V3, W3), True),
        ("constant_scalar", X3, V3, True), ("square_sum_pow", X3, V3, False),
        ("square_sum_mul", X3, V3, True),
    ]
    for fn, inp, v, also_strict in base:
        case(api, fn, inp, v)
        if also_strict:
            case(api, fn, inp, v, strict=True)
    case(api, "pow_reducer", X3_F32, V3_F32)
    case(api, "scalar_0d", X0)
    case(api, "scalar_0d", X0, a(2.0))
    case(api, "scalar_0d", (X0,), tag="tuple1")
    case(api, "pow_reducer", X1)
    case(api, "pow_reducer", (X1,), tag="tuple1")
    # create_graph (+ strict)
    for fn, inp, v in [("pow_reducer", X3, V3), ("coupled_scalar", (X3, Y3), (V3, W3)),
                       ("quadratic_form", X3, V3), ("square_sum_pow", X3, V3),
                       ("square_sum_mul", X3, V3), ("pow_adder_reducer", (X3, Y3), (V3, W3)),
                       ("bilinear", (X3, Y3), (V3, W3)), ("scalar_0d", X0, a(2.0))]:
        case(api, fn, inp, v, create_graph=True)
        case(api, fn, inp, v, create_graph=True, strict=True)
    # v omitted where not allowed
    case(api, "pow_reducer", X3)
    case(api, "coupled_scalar", (X0, Y0))
    # v of the wrong structure / shape
    case(api, "pow_reducer", X3, None, tag="v-None")
    case(api, "pow_reducer", X3, (V3, W3), tag="v-tuple2")
    case(api, "pow_reducer", X3, (V3,), tag="v-tuple1-for-tensor")
    case(api, "pow_reducer", (X3,), V3, tag="v-tensor-for-tuple1")
    case(api, "pow_reducer", X3, a([1.0, 2.0]), tag="v-shape2")
    case(api, "pow_reducer", X3, a([[0.7, -0.3, 1.1]]), tag="v-shape1x3")
    case(api, "coupled_scalar", (X3, Y3), (V3,), tag="v-tuple1")
    case(api, "coupled_scalar", (X3, Y3), V3, tag="v-tensor-for-tuple2")
    case(api, "coupled_scalar", (X3, Y3), (V3, a([1.0, 2.0])), tag="v-entry1-shape")
    case(api, "coupled_scalar", (X3, Y3), (V3, W3, V3), tag="v-tuple3")
    case(api, "scalar_0d", X0, a([1.0]), tag="v-shape1-for-0d")
    # wrong output kinds
    case(api, "scalar_tuple", X3, V3)
    case(api, "tuple_len1_out", X0)
    case(api, "sin_times", X3, V3)
    case(api, "sin_times", X3, V3, strict=True)
    case(api, "linear", X3_I64, V3_I64_AS_F,
         differs=(INT_INPUT.format(cls="RuntimeError"), FUNCAD_TYPEERROR))
    case(api, "scalar_0d", 0.7,
         differs=(PY_INPUT, {"same_as": f"{api}-scalar_0d-0d-noV", "inputs": X0}))


# ----------------------------------------------------------------------------------------
# Kinks: derivatives at non-differentiable points.

KINKS = [
    # name, args, inputs, torch expression, numpy expression, note
    ("abs_at_0", "x", [[0.0, -1.0, 2.0]], "torch.abs(x)", "np.abs(x)", "abs'(0) = 0"),
    ("sqrt_at_0", "x", [[0.0, 4.0]], "torch.sqrt(x)", "np.sqrt(x)", "sqrt'(0) = inf"),
    ("pow_half_at_0", "x", [[0.0, 4.0]], "x ** 0.5", "x ** 0.5", "d/dx x**0.5 at 0 = inf"),
    ("log_at_0", "x", [[0.0, 2.0]], "torch.log(x)", "np.log(x)", "log'(0) = inf"),
    ("linalg_norm_zero_vector", "x", [[0.0, 0.0, 0.0]], "torch.linalg.norm(x)",
     "np.linalg.norm(x)", "norm' at the zero vector = 0 (masked), not nan"),
    ("vector_norm_zero_vector", "x", [[0.0, 0.0, 0.0]], "torch.linalg.vector_norm(x)",
     "np.linalg.norm(x)", "vector_norm' at the zero vector = 0"),
    ("linalg_norm_zero_matrix", "x", [[[0.0, 0.0], [0.0, 0.0]]], "torch.linalg.norm(x)",
     "np.linalg.norm(x)", "Frobenius norm' at the zero matrix = 0"),
    ("max_full_ties", "x", [[1.0, 3.0, 3.0, 2.0]], "torch.max(x)", "np.max(x)",
     "full max reduction: gradient split evenly among ties"),
    ("min_full_ties", "x", [[1.0, 3.0, 1.0, 1.0]], "torch.min(x)", "np.min(x)",
     "full min reduction: gradient split evenly among ties"),
    ("amax_full_2d_ties", "x", [[[1.0, 3.0, 3.0], [3.0, 2.0, 2.0]]], "torch.amax(x)",
     "np.amax(x)", "split evenly among the 3 tied maxima"),
    ("amax_axis0_ties", "x", [[[1.0, 3.0, 2.0], [1.0, 2.0, 2.0]]], "torch.amax(x, dim=0)",
     "np.max(x, axis=0)",
     "amax along an axis splits evenly among ties; NOTE torch.max(x, dim=0).values "
     "instead sends everything to one index; np.max(x, axis=k) follows amax"),
    ("amax_axis1_ties", "x", [[[1.0, 3.0, 3.0], [1.0, 2.0, 2.0]]], "torch.amax(x, dim=1)",
     "np.amax(x, axis=1)", "amax along an axis splits evenly among ties"),
    ("amin_axis1_ties", "x", [[[1.0, 1.0, 3.0], [0.5, 2.0, 0.5]]], "torch.amin(x, dim=1)",
     "np.min(x, axis=1)", "amin along an axis splits evenly among ties"),
    ("maximum_ties", "x,y", [[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]], "torch.maximum(x, y)",
     "np.maximum(x, y)", "maximum at a tie: 0.5 to each argument"),
    ("minimum_ties", "x,y", [[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]], "torch.minimum(x, y)",
     "np.minimum(x, y)", "minimum at a tie: 0.5 to each argument"),
    ("fmax_ties", "x,y", [[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]], "torch.fmax(x, y)",
     "np.fmax(x, y)", "fmax at a tie: everything to the FIRST argument (unlike maximum)"),
    ("fmin_ties", "x,y", [[1.0, 2.0, 3.0], [1.0, 3.0, 2.0]], "torch.fmin(x, y)",
     "np.fmin(x, y)", "fmin at a tie: everything to the FIRST argument (unlike minimum)"),
    ("relu_via_maximum_at_0", "x", [[0.0, -1.0, 1.0]], "torch.maximum(x, torch.zeros_like(x))",
     "np.maximum(x, 0.0)", "maximum(x, 0) at x = 0 is a tie: 0.5 (torch.relu gives 0)"),
    ("relu_at_0", "x", [[0.0, -1.0, 1.0]], "torch.relu(x)", "np.where(x > 0, x, 0.0)",
     "torch.relu'(0) = 0; in NumPy spell it as where(x > 0, x, 0)"),
    ("clamp_at_bounds", "x", [[-1.0, 1.0, 0.5, 2.0, -2.0]], "torch.clamp(x, -1.0, 1.0)",
     "np.clip(x, -1.0, 1.0)", "clamp/clip: 1 at both bounds (closed interval), 0 outside"),
    ("clip_at_bounds", "x", [[-1.0, 1.0, 0.5, 2.0, -2.0]], "torch.clip(x, -1.0, 1.0)",
     "np.clip(x, -1.0, 1.0)", "clip is clamp"),
    ("floor", "x", [[0.0, 1.5, -1.0, 2.0]], "torch.floor(x)", "np.floor(x)",
     "0 everywhere, including at integers"),
    ("round", "x", [[0.5, 1.5, -1.0, 0.3]], "torch.round(x)", "np.round(x)",
     "0 everywhere, including at half-integers"),
    ("sign_at_0", "x", [[0.0, 1.5, -1.0]], "torch.sign(x)", "np.sign(x)", "0 everywhere"),
    ("pow_0_0", "x,y", [[0.0, 0.0, 2.0, 0.0], [0.0, 1.0, 0.0, 2.0]], "x ** y", "x ** y",
     "d/dx x**y = 0 where y == 0; d/dy x**y = 0 where x == 0 and y >= 0"),
    ("power_fn_0_0", "x,y", [[0.0, 0.0], [0.0, 1.0]], "torch.pow(x, y)", "np.power(x, y)",
     "same as x ** y"),
    ("pow_x_to_0", "x", [[0.0, 2.0]], "x ** 0.0", "x ** 0.0", "d/dx x**0 = 0, also at 0"),
    ("pow_0_to_y", "y", [[0.0, 2.0]], "0.0 ** y", "0.0 ** y",
     "d/dy 0**y = 0 for y >= 0 (masked, not 0 * log 0 = nan)"),
    ("where_sqrt_nan_branch", "x", [[-1.0, 0.0, 4.0]],
     "torch.where(x > 0, torch.sqrt(x), torch.zeros_like(x))",
     "np.where(x > 0, np.sqrt(x), 0.0)",
     "the NaN-branch pitfall: the unselected branch's derivative (nan at x < 0, inf at 0) "
     "times 0 is nan"),
    ("where_sqrt_safe", "x", [[-1.0, 0.0, 4.0]],
     "torch.where(x > 0, torch.sqrt(torch.where(x > 0, x, torch.ones_like(x))), "
     "torch.zeros_like(x))",
     "np.where(x > 0, np.sqrt(np.where(x > 0, x, 1.0)), 0.0)",
     "the safe double-where pattern: finite everywhere"),
]


def kink_records():
    out = []
    for name, args, inputs, texpr, nexpr, note in KINKS:
        names = args.split(",")
        xs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in inputs]
        env = {"torch": torch, **dict(zip(names, xs))}
        res = eval(texpr, env)  # noqa: S307 - our own table
        grads = torch.autograd.grad(res, xs, torch.ones_like(res), allow_unused=True)
        grads = tuple(torch.zeros_like(x) if g is None else g for g, x in zip(grads, xs))
        out.append({
            "name": name, "args": names,
            "inputs": [enc(x) for x in xs],
            "torch_expr": texpr, "numpy_expr": nexpr, "note": note,
            "output": enc(res), "grads": [enc(g) for g in grads],
        })
    return out


def signatures():
    """torch.autograd.functional's signatures: [name, kind, has_default, default]."""
    out = {}
    for name in ("vjp", "jvp", "jacobian", "hessian", "hvp", "vhp"):
        sig = inspect.signature(getattr(AF, name))
        out[name] = [[p.name, p.kind.name, p.default is not inspect.Parameter.empty,
                      None if p.default is inspect.Parameter.empty else p.default]
                     for p in sig.parameters.values()]
    return out


def dumps(doc):
    """Compact but diffable JSON: one case (one kink) per line."""
    def one(obj):
        return json.dumps(obj, separators=(",", ":"), allow_nan=False)

    lines = ["{"]
    for key, val in doc.items():
        if isinstance(val, list):
            lines.append(f"{one(key)}:[")
            lines.extend(one(e) + ("," if i + 1 < len(val) else "") for i, e in enumerate(val))
            lines.append("],")
        else:
            lines.append(f"{one(key)}:{one(val)},")
    lines[-1] = lines[-1].rstrip(",")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    vjp_jvp_cases("vjp")
    vjp_jvp_cases("jvp")
    jacobian_cases()
    hessian_cases()
    hvp_vhp_cases("hvp")
    hvp_vhp_cases("vhp")
    doc = {
        "generator": "tests/reference/make_torch_reference.py",
        "torch_version": torch.__version__.split("+")[0],
        "catalog": "tests/reference/functions.py",
        "signatures": signatures(),
        "cases": CASES,
        "kinks": kink_records(),
    }
    text = dumps(doc)
    json.loads(text)  # sanity
    OUT.write_text(text)
    n_raise = sum("raises" in c["expected"] for c in CASES)
    n_diff = sum("funcad_differs" in c for c in CASES)
    print(f"wrote {OUT} ({len(text) // 1024} KB): {len(CASES)} cases "
          f"({n_raise} raise in torch, {n_diff} funcad_differs), {len(doc['kinks'])} kinks",
          file=sys.stderr)


if __name__ == "__main__":
    main()

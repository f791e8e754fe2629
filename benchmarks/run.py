#!/usr/bin/env python
"""funcad benchmark suite: funcad against HIPS autograd, JAX (eager and jit) and torch.

    python benchmarks/run.py                    # full run (a few minutes)
    python benchmarks/run.py --quick            # smoke run: few repeats, W7 at 1/10 size
    python benchmarks/run.py --only W1,W4       # some workloads
    python benchmarks/run.py --json out.json    # also write every measurement as JSON

Every library runs the same function (written once, against a NumPy-like namespace), at the
same sizes and on the same inputs (same seeds), in float64 on one thread. Each variant is run
once and its result compared with funcad's (np.allclose) before it is timed; funcad itself is
compared with a hand-derived (analytic) derivative. Times are medians over repeats, each
repeat timing a loop of calls (timeit-style), after warm-up; the repeats of every variant
and of a plain NumPy evaluation of the same function are taken in interleaved rounds, and
"x NumPy" is the median over rounds of a variant's time divided by NumPy's in that round.
See benchmarks/README.md.
"""
from __future__ import annotations

import os
import sys

# --- one thread everywhere, before NumPy (or any BLAS) is imported -------------------------
if "numpy" in sys.modules:  # pragma: no cover - only when imported from a running program
    print("warning: numpy was imported before benchmarks/run.py set the thread variables; "
          "BLAS may use several threads", file=sys.stderr)
_THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS")
for _v in _THREAD_VARS:
    os.environ[_v] = "1"
_XLA_SINGLE = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"
if "xla_cpu_multi_thread_eigen" not in os.environ.get("XLA_FLAGS", ""):
    os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") + " " + _XLA_SINGLE).strip()
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import argparse  # noqa: E402
import gc  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

import tape_floor  # noqa: E402  (benchmarks/tape_floor.py)

# Benchmark the working tree this file sits in, not some other installed funcad.
_REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if os.path.isdir(os.path.join(_REPO, "funcad")) and _REPO not in sys.path:
    sys.path.insert(0, _REPO)

# --- sizes and seeds (shared by every library) ---------------------------------------------
# The two reverse-mode chain variants whose W7/W1 step the summary compares (chain_rates)
FUNCAD_CHAIN, TAPE_CHAIN = "func.grad (reverse)", "reverse (benchmarks/tape_floor.py)"
OPS_PER_STEP = 3          # the brief's convention for `x = sin(x)*0.5 + x*0.5` (see README)
W1_OPS = 1_000
W7_OPS = 100_000
W2_N = 1_000_000
W3_SIZES = (784, 256, 10)
W3_BATCH = 128
W4_N = 300
W5_N = 200
X0_CHAIN = 0.3            # start of the scalar chains (W1, W7)
X0_W8 = 0.7
SEEDS = {"W2": 2, "W3": 3, "W4": 4, "W5": 5, "W6": 6}

WORKLOAD_IDS = ("W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8")   # W6 = W6.jvp + W6.vjp


# =============================================================================================
# The functions, written once against a NumPy-like namespace `ns`
# =============================================================================================
def chain(x, ns, steps):
    """W1/W7: ``x = sin(x)*0.5 + x*0.5``, ``steps`` times."""
    sin = ns.sin
    for _ in range(steps):
        x = sin(x) * 0.5 + x * 0.5
    return x


def f_w2(x, ns):
    return ns.sum(ns.tanh(x) ** 2 + ns.log1p(x ** 2) * ns.exp(-x ** 2 / 10))


def mlp_loss(params, X, Y, ns):
    """W3: softmax cross-entropy of a tanh MLP, with a max-shifted log-sum-exp."""
    W1, b1, W2, b2 = params
    h = ns.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    m = ns.max(z, axis=1, keepdims=True)
    lse = m + ns.log(ns.sum(ns.exp(z - m), axis=1, keepdims=True))
    return -ns.mean(ns.sum(Y * (z - lse), axis=1))


def f_w4(x, A, ns):
    return ns.tanh(A @ x) + x ** 3


def f_w5(x, A, ns):
    """W5: logsumexp(A @ x) + 0.5 x.x; the max shift is differentiated too (no stop-gradient),
    which is exact: its contributions cancel."""
    z = A @ x
    m = ns.max(z)
    return m + ns.log(ns.sum(ns.exp(z - m))) + 0.5 * (x @ x)


def f_w8(x, ns):
    return ns.sin(x) * ns.exp(x)


class TorchNS:
    """The NumPy names the functions above use, mapped onto torch."""

    def __init__(self, torch):
        self.torch = torch
        self.sin, self.tanh, self.exp = torch.sin, torch.tanh, torch.exp
        self.log, self.log1p = torch.log, torch.log1p

    def _reduce(self, fn, x, axis, keepdims):
        if axis is None:
            return fn(x)
        return fn(x, dim=axis, keepdim=keepdims)

    def sum(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.sum, x, axis, keepdims)

    def mean(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.mean, x, axis, keepdims)

    def max(self, x, axis=None, keepdims=False):
        return self._reduce(self.torch.amax, x, axis, keepdims)


# =============================================================================================
# Inputs and analytic references
# =============================================================================================
def make_inputs(quick: bool) -> dict:
    I: dict[str, Any] = {}
    I["w1_steps"] = round(W1_OPS / OPS_PER_STEP)
    I["w7_steps"] = round((W7_OPS // 10 if quick else W7_OPS) / OPS_PER_STEP)
    I["x_chain"] = np.array(X0_CHAIN)
    I["t_chain"] = np.array(1.0)
    I["x_w2"] = np.random.default_rng(SEEDS["W2"]).standard_normal(W2_N)
    r = np.random.default_rng(SEEDS["W3"])
    d_in, d_h, d_out = W3_SIZES
    I["w3_params"] = (r.standard_normal((d_in, d_h)) / np.sqrt(d_in), np.zeros(d_h),
                      r.standard_normal((d_h, d_out)) / np.sqrt(d_h), np.zeros(d_out))
    I["w3_X"] = r.standard_normal((W3_BATCH, d_in))
    I["w3_Y"] = np.eye(d_out)[r.integers(0, d_out, W3_BATCH)]
    r = np.random.default_rng(SEEDS["W4"])
    I["w4_A"] = r.standard_normal((W4_N, W4_N)) / np.sqrt(W4_N)
    I["w4_x"] = r.standard_normal(W4_N)
    r = np.random.default_rng(SEEDS["W5"])
    I["w5_A"] = r.standard_normal((W5_N, W5_N)) / np.sqrt(W5_N)
    I["w5_x"] = r.standard_normal(W5_N)
    r = np.random.default_rng(SEEDS["W6"])
    I["w6_v"] = r.standard_normal(W4_N)     # the tangent (JVP) and cotangent (VJP)
    I["x_w8"] = np.array(X0_W8)
    return I


def ref_chain(x, steps):
    d = 1.0
    x = float(x)
    for _ in range(steps):
        d *= 0.5 * math.cos(x) + 0.5
        x = math.sin(x) * 0.5 + x * 0.5
    return np.array(d)


def ref_w2(x):
    t = np.tanh(x)
    e = np.exp(-x ** 2 / 10)
    return 2 * t * (1 - t ** 2) + (2 * x / (1 + x ** 2)) * e + np.log1p(x ** 2) * e * (-x / 5)


def ref_w3(params, X, Y):
    W1, b1, W2, b2 = params
    h = np.tanh(X @ W1 + b1)
    z = h @ W2 + b2
    p = np.exp(z - z.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    dz = (p - Y) / X.shape[0]
    da = (dz @ W2.T) * (1 - h ** 2)
    return (X.T @ da, da.sum(0), h.T @ dz, dz.sum(0))


def ref_w4_jac(x, A):
    return (1 - np.tanh(A @ x) ** 2)[:, None] * A + np.diag(3 * x ** 2)


def ref_w5_hess(x, A):
    z = A @ x
    p = np.exp(z - z.max())
    p /= p.sum()
    return A.T @ (np.diag(p) - np.outer(p, p)) @ A + np.eye(x.size)


def ref_w8(x):
    return np.array(2 ** 1.5 * np.exp(x) * np.sin(x + 3 * np.pi / 4))


# =============================================================================================
# Libraries (each import guarded)
# =============================================================================================
class Libs:
    def __init__(self, wanted):
        self.versions: dict[str, str] = {}
        self.missing: dict[str, str] = {}
        self.funcad = self.autograd = self.anp = self.jax = self.jnp = self.torch = None
        self.tns = None
        self._load("funcad", wanted, self._funcad)
        self._load("autograd", wanted, self._autograd)
        self._load("jax", wanted, self._jax)
        self._load("torch", wanted, self._torch)

    def _load(self, name, wanted, loader):
        if name not in wanted:
            self.missing[name] = "not selected (--libs)"
            return
        try:
            loader()
        except Exception as e:  # ImportError, or a broken install
            self.missing[name] = f"not installed ({type(e).__name__}: {e})".splitlines()[0]

    def _funcad(self):
        import funcad
        import funcad.func
        self.funcad = funcad
        self.versions["funcad"] = f"{funcad.__version__} ({os.path.dirname(funcad.__file__)})"

    def _autograd(self):
        import autograd
        import autograd.numpy as anp
        from importlib.metadata import version
        self.autograd, self.anp = autograd, anp
        self.versions["autograd"] = version("autograd")

    def _jax(self):
        import jax
        import jax.numpy as jnp
        jax.config.update("jax_enable_x64", True)
        self.jax, self.jnp = jax, jnp
        self.versions["jax"] = f"{jax.__version__} (x64={jax.config.jax_enable_x64}, devices={jax.devices()})"

    def _torch(self):
        import torch
        torch.set_num_threads(1)
        try:
            torch.set_num_interop_threads(1)
        except RuntimeError:
            pass
        self.torch = torch
        self.tns = TorchNS(torch)
        self.versions["torch"] = f"{torch.__version__} (threads={torch.get_num_threads()})"


def to_numpy(r):
    """A result (array, tensor, jax array, or tuple/list of them) as NumPy."""
    if isinstance(r, (tuple, list)):
        return tuple(to_numpy(x) for x in r)
    if hasattr(r, "detach"):          # torch
        return r.detach().cpu().numpy()
    return np.asarray(r)


def leaves(r):
    return list(itertools.chain.from_iterable(leaves(x) for x in r)) if isinstance(r, tuple) else [r]


def compare(a, b):
    """(agree, max abs difference) of two NumPy results of the same structure."""
    la, lb = leaves(a), leaves(b)
    if len(la) != len(lb):
        return False, f"structure differs ({len(la)} vs {len(lb)} arrays)"
    worst = 0.0
    ok = True
    for x, y in zip(la, lb):
        x, y = np.asarray(x), np.asarray(y)
        if x.shape != y.shape:
            return False, f"shape {x.shape} vs {y.shape}"
        ok = ok and bool(np.allclose(x, y))
        if x.size:
            worst = max(worst, float(np.max(np.abs(x - y))))
    return ok, worst


# =============================================================================================
# Workloads and variants
# =============================================================================================
@dataclass
class Variant:
    lib: str                      # funcad, autograd, jax eager, jax jit, torch
    label: str                    # what is called
    build: Callable[[], Callable[[], Any]]   # -> a zero-argument callable returning the result
    slow: bool = False            # skipped unless --include-slow
    slow_reason: str = ""
    gc_off: bool = False          # time with Python's garbage collector disabled


@dataclass
class Workload:
    id: str
    title: str
    baseline: Callable[[], Any]   # plain NumPy evaluation of the function
    reference: Callable[[], Any]  # analytic derivative (checks funcad itself)
    variants: list[Variant] = field(default_factory=list)
    n_ops: int | None = None      # for "us per op" (W1, W7)


def build_workloads(L: Libs, I: dict, quick: bool) -> list[Workload]:
    W: list[Workload] = []
    fc, ag, anp, jax, jnp, torch, tns = L.funcad, L.autograd, L.anp, L.jax, L.jnp, L.torch, L.tns
    F = fc.func if fc else None

    def jblock(fn):
        return lambda: jax.block_until_ready(fn())

    def tt(a):
        return torch.tensor(np.asarray(a), dtype=torch.float64)

    def torch_grad(f, x):
        """The classic imperative gradient: a fresh leaf each call, torch.autograd.grad."""
        def run():
            z = x.detach().requires_grad_()
            return torch.autograd.grad(f(z), z)[0]
        return run

    # ---- W1 / W7: scalar chains -------------------------------------------------------
    def chain_workload(wid, steps, title, big):
        x, t = I["x_chain"], I["t_chain"]
        wl = Workload(wid, title, lambda: chain(x, np, steps), lambda: ref_chain(x, steps),
                      n_ops=OPS_PER_STEP * steps)
        f_np = lambda z: chain(z, np, steps)  # noqa: E731
        if fc:
            wl.variants += [
                Variant("funcad", FUNCAD_CHAIN, lambda: lambda: F.grad(f_np)(x))]
            if big:
                wl.variants += [Variant("funcad", "func.grad (reverse), gc disabled",
                                        lambda: lambda: F.grad(f_np)(x), gc_off=True)]
            wl.variants += [
                Variant("funcad", "func.jvp (forward)", lambda: lambda: F.jvp(f_np, (x,), (t,))[1])]
            if not big:
                wl.variants += [Variant("funcad", "func.jacfwd (forward)",
                                        lambda: lambda: F.jacfwd(f_np)(x))]
        wl.variants += [Variant("minimal tape", TAPE_CHAIN,
                                lambda: lambda: tape_floor.grad(f_np, x))]
        if ag:
            f_ag = lambda z: chain(z, anp, steps)  # noqa: E731
            wl.variants += [Variant("autograd", "grad", lambda: lambda: ag.grad(f_ag)(x))]
            if not big:
                wl.variants += [Variant("autograd", "make_jvp (forward)",
                                        lambda: lambda: ag.make_jvp(f_ag)(x)(t)[1])]
        if jax:
            f_j = lambda z: chain(z, jnp, steps)  # noqa: E731
            xj, tj = jnp.asarray(x), jnp.asarray(t)
            eager = dict(slow=big, slow_reason="JAX eager costs ~0.5-1 ms per op: minutes a call")
            wl.variants += [
                Variant("jax eager", "grad", lambda: jblock(lambda: jax.grad(f_j)(xj)), **eager),
                Variant("jax eager", "jvp (forward)",
                        lambda: jblock(lambda: jax.jvp(f_j, (xj,), (tj,))[1]), **eager)]
            def jit_grad():
                g = jax.jit(jax.grad(f_j))
                return jblock(lambda: g(xj))
            wl.variants += [Variant("jax jit", "jit(grad)", jit_grad, slow=big,
                                    slow_reason="compiling the unrolled chain takes many minutes")]
        if torch:
            f_t = lambda z: chain(z, torch, steps)  # noqa: E731
            xt, tt_ = tt(x), tt(t)
            classic = lambda: torch_grad(f_t, xt)  # noqa: E731
            wl.variants += [
                Variant("torch", "torch.func.grad", lambda: lambda: torch.func.grad(f_t)(xt)),
                Variant("torch", "torch.autograd.grad", classic),
                Variant("torch", "torch.func.jvp (forward)",
                        lambda: lambda: torch.func.jvp(f_t, (xt,), (tt_,))[1], slow=big,
                        slow_reason="torch.func.jvp costs ~0.3 ms/op: about a minute a call")]
            if not big:
                wl.variants += [Variant(
                    "torch", "autograd.functional.jacobian(vectorize=True)",
                    lambda: lambda: torch.autograd.functional.jacobian(f_t, xt, vectorize=True))]
        return wl

    W.append(chain_workload("W1", I["w1_steps"], f"grad of a {OPS_PER_STEP * I['w1_steps']}-op "
                            "scalar chain x = sin(x)*0.5 + x*0.5", big=False))

    # ---- W2 ----------------------------------------------------------------------------
    x2 = I["x_w2"]
    wl = Workload("W2", f"grad of sum(tanh(x)**2 + log1p(x**2)*exp(-x**2/10)), n = {x2.size:,}",
                  lambda: f_w2(x2, np), lambda: ref_w2(x2))
    if fc:
        wl.variants.append(Variant("funcad", "func.grad", lambda: lambda: F.grad(lambda z: f_w2(z, np))(x2)))
    if ag:
        wl.variants.append(Variant("autograd", "grad", lambda: lambda: ag.grad(lambda z: f_w2(z, anp))(x2)))
    if jax:
        x2j = jnp.asarray(x2)
        f2j = lambda z: f_w2(z, jnp)  # noqa: E731
        wl.variants.append(Variant("jax eager", "grad", lambda: jblock(lambda: jax.grad(f2j)(x2j))))
        def w2jit():
            g = jax.jit(jax.grad(f2j))
            return jblock(lambda: g(x2j))
        wl.variants.append(Variant("jax jit", "jit(grad)", w2jit))
    if torch:
        x2t = tt(x2)
        f2t = lambda z: f_w2(z, tns)  # noqa: E731
        w2classic = lambda: torch_grad(f2t, x2t)  # noqa: E731
        wl.variants += [
            Variant("torch", "torch.func.grad", lambda: lambda: torch.func.grad(f2t)(x2t)),
            Variant("torch", "torch.autograd.grad", w2classic),
            Variant("torch", "autograd.functional.jacobian(vectorize=True)",
                    lambda: lambda: torch.autograd.functional.jacobian(f2t, x2t, vectorize=True))]
    W.append(wl)

    # ---- W3 ----------------------------------------------------------------------------
    P, X, Y = I["w3_params"], I["w3_X"], I["w3_Y"]
    wl = Workload("W3", f"grad of a {'-'.join(map(str, W3_SIZES))} tanh MLP softmax-CE loss "
                  f"(batch {W3_BATCH}) w.r.t. (W1, b1, W2, b2)",
                  lambda: mlp_loss(P, X, Y, np), lambda: ref_w3(P, X, Y))
    if fc:
        wl.variants.append(Variant("funcad", "func.grad (tuple of weights)",
                                   lambda: lambda: F.grad(mlp_loss)(P, X, Y, np)))
    if ag:
        wl.variants.append(Variant("autograd", "grad", lambda: lambda: ag.grad(mlp_loss)(P, X, Y, anp)))
    if jax:
        Pj, Xj, Yj = tuple(map(jnp.asarray, P)), jnp.asarray(X), jnp.asarray(Y)
        f3j = lambda p, X, Y: mlp_loss(p, X, Y, jnp)  # noqa: E731
        wl.variants.append(Variant("jax eager", "grad", lambda: jblock(lambda: jax.grad(f3j)(Pj, Xj, Yj))))
        def w3jit():
            g = jax.jit(jax.grad(f3j))
            return jblock(lambda: g(Pj, Xj, Yj))
        wl.variants.append(Variant("jax jit", "jit(grad)", w3jit))
    if torch:
        Pt, Xt, Yt = tuple(map(tt, P)), tt(X), tt(Y)
        f3t = lambda p: mlp_loss(p, Xt, Yt, tns)  # noqa: E731
        def w3classic():
            def run():
                ps = tuple(p.detach().requires_grad_() for p in Pt)
                return torch.autograd.grad(f3t(ps), ps)
            return run
        wl.variants += [
            Variant("torch", "torch.func.grad", lambda: lambda: torch.func.grad(f3t)(Pt)),
            Variant("torch", "torch.autograd.grad", w3classic),
            Variant("torch", "autograd.functional.jacobian(vectorize=True)",
                    lambda: lambda: torch.autograd.functional.jacobian(
                        lambda *p: f3t(p), Pt, vectorize=True))]
    W.append(wl)

    # ---- W4 ----------------------------------------------------------------------------
    A4, x4 = I["w4_A"], I["w4_x"]
    f4 = lambda z: f_w4(z, A4, np)  # noqa: E731
    wl = Workload("W4", f"Jacobian of tanh(A @ x) + x**3, n = m = {W4_N}",
                  lambda: f4(x4), lambda: ref_w4_jac(x4, A4))
    if fc:
        wl.variants += [
            Variant("funcad", "jacobian(vectorize=True)", lambda: lambda: fc.jacobian(f4, x4, vectorize=True)),
            Variant("funcad", "jacobian (default)", lambda: lambda: fc.jacobian(f4, x4)),
            Variant("funcad", "func.jacrev", lambda: lambda: F.jacrev(f4)(x4)),
            Variant("funcad", "func.jacfwd", lambda: lambda: F.jacfwd(f4)(x4)),
            Variant("funcad", 'jacobian(strategy="forward-mode", vectorize=True)',
                    lambda: lambda: fc.jacobian(f4, x4, vectorize=True, strategy="forward-mode"))]
    if ag:
        wl.variants.append(Variant("autograd", "jacobian",
                                   lambda: lambda: ag.jacobian(lambda z: f_w4(z, A4, anp))(x4)))
    if jax:
        A4j, x4j = jnp.asarray(A4), jnp.asarray(x4)
        f4j = lambda z: f_w4(z, A4j, jnp)  # noqa: E731
        for name, tr in (("jacrev", jax.jacrev), ("jacfwd", jax.jacfwd)):
            wl.variants.append(Variant("jax eager", name, (lambda tr=tr: jblock(lambda: tr(f4j)(x4j)))))
        for name, tr in (("jacrev", jax.jacrev), ("jacfwd", jax.jacfwd)):
            def w4jit(tr=tr):
                g = jax.jit(tr(f4j))
                return jblock(lambda: g(x4j))
            wl.variants.append(Variant("jax jit", f"jit({name})", w4jit))
    if torch:
        A4t, x4t = tt(A4), tt(x4)
        f4t = lambda z: f_w4(z, A4t, torch)  # noqa: E731
        taf = torch.autograd.functional
        wl.variants += [
            Variant("torch", "torch.func.jacrev", lambda: lambda: torch.func.jacrev(f4t)(x4t)),
            Variant("torch", "torch.func.jacfwd", lambda: lambda: torch.func.jacfwd(f4t)(x4t)),
            Variant("torch", "autograd.functional.jacobian(vectorize=True)",
                    lambda: lambda: taf.jacobian(f4t, x4t, vectorize=True)),
            Variant("torch", 'autograd.functional.jacobian(vectorize=True, strategy="forward-mode")',
                    lambda: lambda: taf.jacobian(f4t, x4t, vectorize=True, strategy="forward-mode"))]
    W.append(wl)

    # ---- W5 ----------------------------------------------------------------------------
    A5, x5 = I["w5_A"], I["w5_x"]
    f5 = lambda z: f_w5(z, A5, np)  # noqa: E731
    wl = Workload("W5", f"Hessian of logsumexp(A @ x) + 0.5*x@x, n = {W5_N}",
                  lambda: f5(x5), lambda: ref_w5_hess(x5, A5))
    if fc:
        wl.variants += [Variant("funcad", "hessian", lambda: lambda: fc.hessian(f5, x5)),
                        Variant("funcad", "func.hessian", lambda: lambda: F.hessian(f5)(x5))]
    if ag:
        wl.variants.append(Variant("autograd", "hessian",
                                   lambda: lambda: ag.hessian(lambda z: f_w5(z, A5, anp))(x5)))
    if jax:
        A5j, x5j = jnp.asarray(A5), jnp.asarray(x5)
        f5j = lambda z: f_w5(z, A5j, jnp)  # noqa: E731
        wl.variants.append(Variant("jax eager", "hessian", lambda: jblock(lambda: jax.hessian(f5j)(x5j))))
        def w5jit():
            g = jax.jit(jax.hessian(f5j))
            return jblock(lambda: g(x5j))
        wl.variants.append(Variant("jax jit", "jit(hessian)", w5jit))
    if torch:
        A5t, x5t = tt(A5), tt(x5)
        f5t = lambda z: f_w5(z, A5t, tns)  # noqa: E731
        taf = torch.autograd.functional
        wl.variants += [
            Variant("torch", "torch.func.hessian", lambda: lambda: torch.func.hessian(f5t)(x5t)),
            Variant("torch", "autograd.functional.hessian(vectorize=True)",
                    lambda: lambda: taf.hessian(f5t, x5t, vectorize=True)),
            Variant("torch", 'autograd.functional.hessian(vectorize=True, outer="forward-mode")',
                    lambda: lambda: taf.hessian(f5t, x5t, vectorize=True,
                                                outer_jacobian_strategy="forward-mode"))]
    W.append(wl)

    # ---- W6: one JVP, one VJP of W4's function -------------------------------------------
    v = I["w6_v"]
    J = ref_w4_jac(x4, A4)
    wj = Workload("W6.jvp", f"one JVP of W4's function (n = {W4_N})", lambda: f4(x4), lambda: J @ v)
    wv = Workload("W6.vjp", f"one VJP of W4's function (n = {W4_N})", lambda: f4(x4), lambda: v @ J)
    if fc:
        wj.variants += [Variant("funcad", "jvp", lambda: lambda: fc.jvp(f4, x4, v)[1]),
                        Variant("funcad", "func.jvp", lambda: lambda: F.jvp(f4, (x4,), (v,))[1])]
        wv.variants += [Variant("funcad", "vjp", lambda: lambda: fc.vjp(f4, x4, v)[1]),
                        Variant("funcad", "func.vjp", lambda: lambda: F.vjp(f4, x4)[1](v)[0])]
    if ag:
        f4a = lambda z: f_w4(z, A4, anp)  # noqa: E731
        wj.variants.append(Variant("autograd", "make_jvp", lambda: lambda: ag.make_jvp(f4a)(x4)(v)[1]))
        wv.variants.append(Variant("autograd", "make_vjp", lambda: lambda: ag.make_vjp(f4a)(x4)[0](v)))
    if jax:
        vj = jnp.asarray(v)
        wj.variants.append(Variant("jax eager", "jvp", lambda: jblock(lambda: jax.jvp(f4j, (x4j,), (vj,))[1])))
        wv.variants.append(Variant("jax eager", "vjp", lambda: jblock(lambda: jax.vjp(f4j, x4j)[1](vj)[0])))
        def w6jit_j():
            g = jax.jit(lambda x, t: jax.jvp(f4j, (x,), (t,))[1])
            return jblock(lambda: g(x4j, vj))
        def w6jit_v():
            g = jax.jit(lambda x, c: jax.vjp(f4j, x)[1](c)[0])
            return jblock(lambda: g(x4j, vj))
        wj.variants.append(Variant("jax jit", "jit(jvp)", w6jit_j))
        wv.variants.append(Variant("jax jit", "jit(vjp)", w6jit_v))
    if torch:
        vt = tt(v)
        taf = torch.autograd.functional
        wj.variants += [
            Variant("torch", "torch.func.jvp", lambda: lambda: torch.func.jvp(f4t, (x4t,), (vt,))[1]),
            Variant("torch", "autograd.functional.jvp", lambda: lambda: taf.jvp(f4t, x4t, vt)[1])]
        wv.variants += [
            Variant("torch", "torch.func.vjp", lambda: lambda: torch.func.vjp(f4t, x4t)[1](vt)[0]),
            Variant("torch", "autograd.functional.vjp", lambda: lambda: taf.vjp(f4t, x4t, vt)[1])]
    W += [wj, wv]

    # ---- W7 ----------------------------------------------------------------------------
    W.append(chain_workload("W7", I["w7_steps"], f"grad of a {OPS_PER_STEP * I['w7_steps']:,}-op "
                            "scalar chain" + (" (--quick: 1/10 of the full size)" if quick else ""),
                            big=True))

    # ---- W8 ----------------------------------------------------------------------------
    x8 = I["x_w8"]
    wl = Workload("W8", "third derivative grad(grad(grad(f))), f = sin(x)*exp(x), 0-d",
                  lambda: f_w8(x8, np), lambda: ref_w8(x8))
    if fc:
        f8 = lambda z: f_w8(z, np)  # noqa: E731
        wl.variants.append(Variant("funcad", "func.grad(grad(grad(f)))",
                                   lambda: lambda: F.grad(F.grad(F.grad(f8)))(x8)))
    if ag:
        f8a = lambda z: f_w8(z, anp)  # noqa: E731
        wl.variants.append(Variant("autograd", "grad(grad(grad(f)))",
                                   lambda: lambda: ag.grad(ag.grad(ag.grad(f8a)))(x8)))
    if jax:
        x8j = jnp.asarray(x8)
        g3 = jax.grad(jax.grad(jax.grad(lambda z: f_w8(z, jnp))))
        wl.variants.append(Variant("jax eager", "grad(grad(grad(f)))", lambda: jblock(lambda: g3(x8j))))
        def w8jit():
            g = jax.jit(g3)
            return jblock(lambda: g(x8j))
        wl.variants.append(Variant("jax jit", "jit(grad(grad(grad(f))))", w8jit))
    if torch:
        x8t = tt(x8)
        f8t = lambda z: f_w8(z, torch)  # noqa: E731
        def w8classic():
            def run():
                z = x8t.detach().requires_grad_()
                g1, = torch.autograd.grad(f8t(z), z, create_graph=True)
                g2, = torch.autograd.grad(g1, z, create_graph=True)
                g3_, = torch.autograd.grad(g2, z)
                return g3_
            return run
        tf = torch.func
        wl.variants += [
            Variant("torch", "torch.func.grad(grad(grad(f)))",
                    lambda: lambda: tf.grad(tf.grad(tf.grad(f8t)))(x8t)),
            Variant("torch", "torch.autograd.grad(create_graph=True) x3", w8classic)]
    W.append(wl)
    return W


# =============================================================================================
# Timing
# =============================================================================================
@dataclass
class Config:
    warmup: int            # extra untimed calls after the checking call
    min_repeat_time: float  # seconds: loops per repeat are chosen so a repeat lasts this long
    target_time: float     # seconds spent timing one variant (sets the number of repeats)
    min_repeats: int
    max_repeats: int


FULL = Config(warmup=2, min_repeat_time=0.05, target_time=1.5, min_repeats=5, max_repeats=31)
QUICK = Config(warmup=0, min_repeat_time=0.0, target_time=0.0, min_repeats=3, max_repeats=3)


TIMERS = {"wall": time.perf_counter, "cpu": time.process_time}


def _loop(fn, loops, gc_off):
    """Time ``loops`` calls; returns (wall seconds, process CPU seconds)."""
    gc.collect()            # cheap: the long-lived heap is frozen (see freeze_heap)
    was = gc.isenabled()
    if gc_off:
        gc.disable()
    try:
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in itertools.repeat(None, loops):
            fn()
        t1, c1 = time.perf_counter(), time.process_time()
        return t1 - t0, c1 - c0
    finally:
        if was:
            gc.enable()


class Timing:
    """One callable's timing, timeit-style: warm up, pick loops per repeat and a number of
    repeats; each ``take()`` times one repeat (a loop of calls). ``run_workload`` takes the
    repeats of NumPy's evaluation and of every variant in turn, round after round, so a
    phase of the machine running slower (other tenants, clock changes) falls on all of
    them alike instead of on whichever was being timed."""

    def __init__(self, fn, cfg: Config, first_call: float, gc_off: bool = False):
        est = first_call
        for _ in range(cfg.warmup if first_call < 1.0 else 0):
            t0 = time.perf_counter()
            fn()
            est = min(est, time.perf_counter() - t0)
        est = max(est, 1e-7)
        self.loops = max(1, math.ceil(cfg.min_repeat_time / est)) if est < cfg.min_repeat_time else 1
        repeats = int(cfg.target_time / (self.loops * est)) if cfg.target_time else cfg.min_repeats
        self.repeats = min(cfg.max_repeats, max(cfg.min_repeats if est < 2.0 else 3, repeats))
        self.fn, self.gc_off = fn, gc_off
        self.error = None
        self.wall: list = []
        self.cpu: list = []

    @property
    def done(self) -> bool:
        return len(self.wall) >= self.repeats or self.error is not None

    def take(self) -> None:
        w, c = _loop(self.fn, self.loops, self.gc_off)
        self.wall.append(w / self.loops)
        self.cpu.append(c / self.loops)

    def result(self, timer: str) -> dict:
        """Per-call times of the repeats taken: the median (what is reported) and spread."""
        if self.error is not None:
            return {"error": self.error}
        wall, cpu = self.wall, self.cpu
        times = wall if timer == "wall" else cpu
        return {"median_s": statistics.median(times), "min_s": min(times), "iqr_s": _iqr(times),
                "timer": timer, "times_s": times, "wall_times_s": wall, "cpu_times_s": cpu,
                "wall_median_s": statistics.median(wall), "cpu_median_s": statistics.median(cpu),
                "loops": self.loops, "repeats": len(times)}


def interleave(base: Timing, others: list) -> None:
    """Take repeats in rounds, one of each unfinished timing per round. ``base`` (NumPy's
    evaluation, the ratios' denominator) is timed in every round until it and all the
    others are done, so its repeats span the whole workload. A variant whose call raises
    while being timed stops (its ``error`` says why); the others go on."""
    while True:
        live = [t for t in others if not t.done]
        if not live and base.done:
            return
        base.take()
        for t in live:
            try:
                t.take()
            except Exception as e:  # pragma: no cover - a variant that works once and then fails
                t.error = f"{type(e).__name__} while timing: {e}".splitlines()[0][:300]


def freeze_heap():
    """Move every object alive now (NumPy, JAX, torch, inputs...) out of the collector's
    reach, so a collection during a timed call scans only what that call allocates, as in a
    process that imported just one library (gc.freeze, Python >= 3.7)."""
    gc.collect()
    gc.freeze()


# glibc's mallopt parameters (malloc.h)
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
_KEEP_BELOW = 32 << 20          # arrays below 32 MiB come from the heap (glibc's ceiling)
_TRIM_ABOVE = 1 << 30           # the heap gives memory back only past 1 GiB free at its top


def keep_freed_memory() -> str:
    """Ask glibc's malloc, in this benchmark process only, to keep freed memory for reuse,
    so that no measured time includes page faults whose occurrence depends on the heap's
    history. By default glibc serves large arrays from fresh pages until a large block has
    been freed, and gives the heap's top back to the OS whenever more than its trim
    threshold (at most 64 MiB) is free there, so whether a call re-faults its arrays
    depends on what ran before it and on which small allocation sits at the heap's top
    (W2 measured from 2.2x to 5x NumPy with the same code). NumPy's own evaluation and
    every library run under the same setting; funcad itself never changes it. Returns
    what was done, for the report."""
    import ctypes
    import ctypes.util
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return "unchanged (not glibc)"
    if not (mallopt(_M_MMAP_THRESHOLD, _KEEP_BELOW) and mallopt(_M_TRIM_THRESHOLD, _TRIM_ABOVE)):
        return "unchanged (mallopt refused)"
    return "glibc keeps freed memory (mallopt: mmap threshold 32 MiB, trim threshold 1 GiB)"


def _iqr(xs):
    if len(xs) < 4:
        return max(xs) - min(xs)
    q = statistics.quantiles(xs, n=4)
    return q[2] - q[0]


def fmt_time(s):
    if s is None:
        return "—"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6), ("ns", 1e-9)):
        if s >= scale or unit == "ns":
            v = s / scale
            return f"{v:.3g} {unit}" if v < 100 else f"{v:.0f} {unit}"
    return f"{s:.3g} s"  # pragma: no cover


def fmt_ratio(r):
    if r is None:
        return "—"
    return f"{r:.3g}" if r < 1000 else f"{r:,.0f}"


def banner(msg):
    line = "!" * 100
    print(f"\n{line}\n!!! {msg}\n{line}\n", flush=True)


def check_variant(wl: Workload, var: Variant, cfg: Config, ref, ref_kind: str, args) -> tuple:
    """Call one variant once and check its result against ``ref``, then plan its timing.
    Returns (row, NumPy result or None, Timing or None)."""
    row = {"workload": wl.id, "library": var.lib, "variant": var.label, "gc": "off" if var.gc_off else "on"}
    if var.slow and not args.include_slow:
        row["skipped"] = f"slow ({var.slow_reason}); run with --include-slow"
        return row, None, None
    try:
        fn = var.build()
        t0 = time.perf_counter()
        result = fn()
        first = time.perf_counter() - t0
    except Exception as e:
        row["error"] = f"{type(e).__name__}: {e}".splitlines()[0][:300]
        row["traceback"] = traceback.format_exc()
        if var.lib == "funcad":
            banner(f"funcad FAILED on {wl.id} [{var.label}]: {row['error']}")
        if var.lib == "funcad" or args.verbose:
            print(row["traceback"])
        return row, None, None
    row["first_call_s"] = first
    res = to_numpy(result)
    if ref is not None:
        ok, diff = compare(res, ref)
        row["agrees"], row["max_abs_diff"], row["checked_against"] = ok, diff, ref_kind
        if not ok:
            banner(f"WARNING: {var.lib} [{var.label}] on {wl.id} does NOT agree with {ref_kind} "
                   f"(np.allclose failed; max |diff| = {diff})")
    try:
        timing = Timing(fn, cfg, first, var.gc_off)
    except Exception as e:  # pragma: no cover - a variant that works once and then fails
        row["error"] = f"{type(e).__name__} while timing: {e}".splitlines()[0][:300]
        return row, res, None
    return row, res, timing


def run_workload(wl: Workload, cfg: Config, args) -> dict:
    """Check every variant, then time them and NumPy's evaluation interleaved."""
    print(f"[{time.strftime('%H:%M:%S')}] {wl.id}: {wl.title} ...", flush=True)
    freeze_heap()
    out = {"id": wl.id, "title": wl.title, "n_ops": wl.n_ops, "rows": []}
    base_fn = wl.baseline
    t0 = time.perf_counter()
    base_fn()
    base = Timing(base_fn, cfg, time.perf_counter() - t0)
    analytic = to_numpy(wl.reference())
    funcad_ref = None
    timed = []
    for var in wl.variants:
        if var.lib == "funcad":
            ref, kind = analytic, "the analytic derivative"
        else:
            ref, kind = ((funcad_ref, "funcad") if funcad_ref is not None else
                         (analytic, "the analytic derivative (no funcad result)"))
        r, res, timing = check_variant(wl, var, cfg, ref, kind, args)
        if var.lib == "funcad" and funcad_ref is None and res is not None:
            funcad_ref = res
        out["rows"].append(r)
        if timing is not None:
            timed.append((r, timing))
    interleave(base, [t for _, t in timed])
    out["numpy"] = base.result(args.timer)
    nb = out["numpy"]["median_s"]
    for r, timing in timed:
        r.update(timing.result(args.timer))
        if args.verbose:
            print(f"    {r['library']:<10} {r['variant']:<60} {fmt_time(r.get('median_s'))}", flush=True)
        if r.get("median_s") is not None:
            # each repeat against NumPy's repeat of the same round (see interleave): a slow
            # phase of the machine scales both and cancels out of the ratio
            r["ratio_to_numpy"] = statistics.median(
                t / b for t, b in zip(r["times_s"], out["numpy"]["times_s"]))
            r["ratio_of_medians"] = r["median_s"] / nb
            if wl.n_ops:
                r["us_per_op"] = r["median_s"] / wl.n_ops * 1e6
    return out


# =============================================================================================
# Reporting
# =============================================================================================
def torch_best(rows):
    ok = [r for r in rows if r["library"] == "torch" and r.get("median_s") is not None]
    good = [r for r in ok if r.get("agrees", True)] or ok
    return min(good, key=lambda r: r["median_s"]) if good else None


def display_rows(wres: dict, libs: Libs) -> list[tuple]:
    """(library, variant, row or None, note) in table order; torch condensed to its best."""
    rows = wres["rows"]
    out = []
    for lib in ("funcad", "minimal tape", "autograd", "jax eager", "jax jit"):
        mine = [r for r in rows if r["library"] == lib]
        if not mine and lib == "minimal tape":   # the floor of W1 and W7 only
            continue
        if not mine:
            out.append((lib, "", None, libs.missing.get(lib.split()[0], "n/a")))
        out += [(lib, r["variant"], r, "") for r in mine]
    mine = [r for r in rows if r["library"] == "torch"]
    if not mine:
        out.append(("torch (best)", "", None, libs.missing.get("torch", "n/a")))
    else:
        best = torch_best(rows)
        if best is None:
            why = "; ".join(f"{r['variant']}: {r.get('error') or r.get('skipped')}" for r in mine)
            out.append(("torch (best)", "", None, "no variant ran: " + why))
        else:
            out.append(("torch (best)", best["variant"], best, ""))
    return out


def row_status(r):
    if "error" in r:
        return "FAILED: " + r["error"]
    if "skipped" in r:
        return "skipped: " + r["skipped"]
    if "agrees" in r:
        return "ok" if r["agrees"] else f"DISAGREES (max |diff| {r['max_abs_diff']:.2e})"
    return ""


def fmt_spread(m):
    return f"{100 * m['iqr_s'] / m['median_s']:.0f}%" if m and m.get("median_s") else "—"


def print_workload(wres: dict, libs: Libs):
    base = wres["numpy"]
    nb = base["median_s"]
    n_ops = wres["n_ops"]
    print()
    print(f"{wres['id']}  {wres['title']}")
    print(f"    plain NumPy evaluation of f: {fmt_time(nb)} (IQR {fmt_spread(base)})"
          + (f", {nb / n_ops * 1e6:.3g} µs/op" if n_ops else ""))
    hdr = f"    {'library':<14}{'variant':<56}{'median':>10}{'IQR':>6}{'x NumPy':>10}"
    hdr += f"{'µs/op':>9}" if n_ops else ""
    print(hdr + "   check")
    print("    " + "-" * (len(hdr) + 4))
    for lib, label, r, note in display_rows(wres, libs):
        r = r or {}
        line = (f"    {lib:<14}{label[:55]:<56}{fmt_time(r.get('median_s')):>10}"
                f"{fmt_spread(r):>6}{fmt_ratio(r.get('ratio_to_numpy')):>10}")
        if n_ops:
            line += f"{(format(r['us_per_op'], '.3g') if 'us_per_op' in r else '—'):>9}"
        print(line + "   " + (row_status(r) if r else note))
    trows = [r for r in wres["rows"] if r["library"] == "torch"]
    if len(trows) > 1:
        print("    torch variants: " + "; ".join(
            f"{r['variant']} {fmt_time(r.get('median_s'))}"
            + ("" if r.get("agrees", True) and "median_s" in r else f" [{row_status(r)}]")
            for r in trows))
    jit = [r for r in wres["rows"] if r["library"] == "jax jit" and "first_call_s" in r]
    if jit:
        print("    jax jit first call (trace + compile + run): "
              + "; ".join(f"{r['variant']} {fmt_time(r['first_call_s'])}" for r in jit))
    if n_ops:
        print(f"    µs/op counts {OPS_PER_STEP} ops per step of x = sin(x)*0.5 + x*0.5 (the "
              f"suite's convention); a step is 4 primitive calls (sin, multiply, multiply, add), "
              f"so µs per primitive = µs/op x {OPS_PER_STEP}/4.")


def print_summary(results: list[dict], libs: Libs):
    cols = ("funcad (best)", "autograd", "jax eager", "jax jit", "torch (best)")
    print("\nSummary: median time per call (and ratio to funcad's best variant; <1 = faster than funcad)")
    print(f"    {'workload':<9}{'NumPy f':>10}" + "".join(f"{c:>22}" for c in cols))
    best_names = []
    for w in results:
        def best(lib):
            rs = [r for r in w["rows"] if r["library"] == lib and r.get("median_s") is not None
                  and r["gc"] == "on"]
            return min(rs, key=lambda r: r["median_s"]) if rs else None
        fb = best("funcad")
        cells = []
        for c in cols:
            r = fb if c == "funcad (best)" else best(c.replace(" (best)", ""))
            if r is None:
                cells.append("—")
            elif c == "funcad (best)":
                cells.append(fmt_time(r["median_s"]))
            else:
                x = r["median_s"] / fb["median_s"] if fb else None
                rel = "" if x is None else f" ({x:,.0f}x)" if x >= 100 else f" ({x:.2g}x)"
                cells.append(fmt_time(r["median_s"]) + rel)
        print(f"    {w['id']:<9}{fmt_time(w['numpy']['median_s']):>10}" + "".join(f"{c:>22}" for c in cells))
        if fb:
            best_names.append(f"{w['id']} {fb['variant']}")
    if best_names:
        print("    funcad (best) is: " + "; ".join(best_names))
    rates = chain_rates(results)
    if rates:
        print("    W7's cost per op over W1's, reverse mode: "
              + "; ".join(f"{lib} {x:.3f}x ({y:.3f}x in µs/op)" for lib, (x, y) in rates.items())
              + ". Each measured as its ratio to NumPy's evaluation in the same rounds, so a "
              "slow phase of the machine during one workload cancels (the µs/op do not).")


def chain_rates(results: list[dict]) -> dict:
    """W7's cost per op over W1's, for funcad's reverse mode and the minimal tape, when both
    workloads ran: how much a long graph costs per op beyond a short one. Returns
    {library: (ratio of the two x-NumPy ratios, ratio of the two µs/op)}."""
    by_id = {w["id"]: w for w in results}
    if "W1" not in by_id or "W7" not in by_id:
        return {}
    out = {}
    for lib, variant in (("funcad", FUNCAD_CHAIN), ("minimal tape", TAPE_CHAIN)):
        rows = [next((r for r in by_id[w]["rows"] if r["library"] == lib and r["variant"] == variant
                      and "us_per_op" in r), None) for w in ("W1", "W7")]
        if None not in rows:
            out[lib] = (rows[1]["ratio_to_numpy"] / rows[0]["ratio_to_numpy"],
                        rows[1]["us_per_op"] / rows[0]["us_per_op"])
    return out


# =============================================================================================
# Environment
# =============================================================================================
def pin_cpu(cpu: int | None, no_pin: bool):
    """Pin this process, and every thread it starts later, to one CPU. The thread variables
    keep BLAS and torch on one thread, but XLA's CPU runtime keeps a pool sized by the
    affinity mask (and runs independent ops in parallel), so affinity is the one reliable way
    to hold JAX to one core. Must run before JAX creates its CPU client."""
    if no_pin or not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    target = allowed[-1] if cpu is None else cpu
    try:
        os.sched_setaffinity(0, {target})
    except OSError as e:
        print(f"warning: could not pin to CPU {target}: {e}", file=sys.stderr)
        return None
    return target


def environment(libs: Libs) -> dict:
    env: dict[str, Any] = {}
    env["python"] = sys.version.split()[0]
    env["platform"] = platform.platform()
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    env["cpu"] = f"{cpu} ({os.cpu_count()} logical CPUs)"
    try:
        env["loadavg_start"] = os.getloadavg()
    except OSError:
        pass
    env["numpy"] = np.__version__
    env["thread_env"] = {v: os.environ.get(v) for v in _THREAD_VARS}
    env["OPENBLAS_CORETYPE"] = os.environ.get("OPENBLAS_CORETYPE", "(unset)")
    env["OPENBLAS_L2_SIZE"] = os.environ.get("OPENBLAS_L2_SIZE", "(unset)")
    env["XLA_FLAGS"] = os.environ.get("XLA_FLAGS")
    try:
        import threadpoolctl
        env["blas"] = [{k: d.get(k) for k in ("user_api", "internal_api", "version", "num_threads",
                                              "threading_layer", "architecture", "filepath")}
                       for d in threadpoolctl.threadpool_info()]
    except ImportError:
        env["blas"] = "threadpoolctl not installed (pip install threadpoolctl)"
        try:
            cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
            env["blas"] += f"; NumPy was built with {cfg.get('name')} {cfg.get('version')}"
        except Exception:
            pass
        try:
            env["openblas"] = openblas_info()
        except Exception as e:  # never let the environment report stop the run
            env["openblas"] = [{"error": repr(e)}]
    env["libraries"] = dict(libs.versions)
    env["missing"] = dict(libs.missing)
    try:
        env["funcad_git"] = subprocess.run(
            ["git", "-C", _REPO, "describe", "--always", "--dirty"], capture_output=True,
            text=True, timeout=10).stdout.strip() or None
    except Exception:
        env["funcad_git"] = None
    return env


def openblas_info() -> list[dict]:
    """Without threadpoolctl: ask each OpenBLAS loaded in this process (found in
    /proc/self/maps) for its version/config, the core type it chose and its thread count."""
    import ctypes
    out = []
    try:
        with open("/proc/self/maps") as fh:
            paths = sorted({f[-1] for f in (line.split() for line in fh)
                            if len(f) >= 6 and "openblas" in os.path.basename(f[-1]).lower()})
    except OSError:
        return out
    for path in paths:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        info = {"filepath": path}
        for key, names, restype in (
                ("config", ("scipy_openblas_get_config64_", "scipy_openblas_get_config",
                            "openblas_get_config64_", "openblas_get_config"), ctypes.c_char_p),
                ("corename", ("scipy_openblas_get_corename64_", "scipy_openblas_get_corename",
                              "openblas_get_corename64_", "openblas_get_corename"), ctypes.c_char_p),
                ("num_threads", ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                                 "openblas_get_num_threads64_", "openblas_get_num_threads"), ctypes.c_int)):
            for name in names:
                fn = getattr(lib, name, None)
                if fn is not None:
                    fn.restype, fn.argtypes = restype, []
                    v = fn()
                    info[key] = v.decode() if isinstance(v, bytes) else v
                    break
        out.append(info)
    return out


def print_env(env):
    print("funcad benchmark suite")
    print(f"  python {env['python']} on {env['platform']}; {env['cpu']}")
    if "loadavg_start" in env:
        la = env["loadavg_start"]
        print(f"  load average at start: {la[0]:.2f} {la[1]:.2f} {la[2]:.2f}"
              + ("   <-- machine is busy: timings will be noisy" if la[0] > 0.5 else ""))
    print(f"  numpy {env['numpy']}; thread variables: "
          + " ".join(f"{k}={v}" for k, v in env["thread_env"].items()))
    print(f"  OPENBLAS_CORETYPE={env['OPENBLAS_CORETYPE']}  OPENBLAS_L2_SIZE={env['OPENBLAS_L2_SIZE']}")
    if isinstance(env["blas"], list):
        for d in env["blas"]:
            print("  BLAS (threadpoolctl): " + ", ".join(f"{k}={v}" for k, v in d.items() if v is not None))
    else:
        print(f"  BLAS: {env['blas']}")
        for d in env.get("openblas", []):
            print("  OpenBLAS loaded: " + ", ".join(f"{k}={v}" for k, v in d.items()))
    print(f"  XLA_FLAGS={env['XLA_FLAGS']}")
    print("  CPU affinity: " + (f"pinned to CPU {env['pinned_cpu']}" if env.get("pinned_cpu") is not None
                                else "not pinned (--no-pin, or not supported here)"))
    for k, v in env["libraries"].items():
        print(f"  {k}: {v}" + (f"  [git {env['funcad_git']}]" if k == "funcad" and env.get("funcad_git") else ""))
    for k, v in env["missing"].items():
        print(f"  {k}: — {v}")
    print()


# =============================================================================================
def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--quick", action="store_true",
                   help="smoke run: 3 repeats of one call, no extra warm-up, W7 at 1/10 size")
    p.add_argument("--only", default=None, help="comma-separated workloads, e.g. W1,W4 (W6 = both parts)")
    p.add_argument("--libs", default="funcad,autograd,jax,torch",
                   help="comma-separated libraries to run (default: all installed)")
    p.add_argument("--json", default=None, metavar="PATH", help="write all measurements as JSON")
    p.add_argument("--include-slow", action="store_true",
                   help="also run variants that take minutes (JAX eager and jit, and "
                        "torch.func.jvp, on W7)")
    p.add_argument("--timer", choices=("wall", "cpu"), default="wall",
                   help="what the table reports: wall-clock time (perf_counter, default) or "
                        "process CPU time (process_time; steadier on a shared machine). "
                        "Both are recorded in the JSON.")
    p.add_argument("--cpu", type=int, default=None, metavar="N",
                   help="pin the process to CPU N (default: the highest-numbered allowed CPU)")
    p.add_argument("--no-pin", action="store_true",
                   help="do not pin the process to one CPU (JAX may then run on several cores)")
    p.add_argument("--default-allocator", action="store_true",
                   help="leave glibc's malloc at its defaults (see keep_freed_memory): array-heavy "
                        "workloads then pay page faults that depend on what ran before them")
    p.add_argument("--verbose", "-v", action="store_true", help="print each variant as it is timed")
    args = p.parse_args(argv)

    sel = None
    if args.only:
        sel = {s.strip().upper() for s in args.only.split(",") if s.strip()}
        bad = sel - set(WORKLOAD_IDS) - {"W6.JVP", "W6.VJP"}
        if bad:
            p.error(f"unknown workload(s) {sorted(bad)}; choose from {', '.join(WORKLOAD_IDS)}")
    pinned = pin_cpu(args.cpu, args.no_pin)
    allocator = "glibc defaults (--default-allocator)" if args.default_allocator else keep_freed_memory()
    wall0 = time.perf_counter()
    wanted = {s.strip().lower() for s in args.libs.split(",") if s.strip()}
    if "funcad" not in wanted:
        print("note: funcad not selected; peers are checked against the analytic derivatives")
    libs = Libs(wanted)
    env = environment(libs)
    env["pinned_cpu"] = pinned
    env["allocator"] = allocator
    print_env(env)
    cfg = QUICK if args.quick else FULL
    print(f"timer: {'wall clock (time.perf_counter)' if args.timer == 'wall' else 'process CPU time (time.process_time)'}; "
          f"warm-up {cfg.warmup} call(s) after the checking call; loops per repeat >= "
          f"{cfg.min_repeat_time * 1e3:.0f} ms; {cfg.min_repeats}-{cfg.max_repeats} repeats; "
          "median per call reported; garbage collector on (long-lived heap frozen); NumPy's "
          "evaluation and the variants timed in interleaved rounds; allocator: "
          + allocator + "\n")
    if args.quick:
        print("--quick: smoke run (3 repeats, one call each; W7 at 1/10 size). "
              "Not for quoting numbers.\n")

    inputs = make_inputs(args.quick)
    workloads = build_workloads(libs, inputs, args.quick)
    if sel:
        workloads = [w for w in workloads if w.id.upper() in sel or w.id.split(".")[0] in sel]

    results = []
    for wl in workloads:
        res = run_workload(wl, cfg, args)
        results.append(res)
        print_workload(res, libs)
        print(flush=True)

    print_summary(results, libs)
    failures = [(w["id"], r["variant"], r["error"]) for w in results for r in w["rows"]
                if r["library"] == "funcad" and "error" in r]
    disagree = [(w["id"], r["library"], r["variant"], r.get("checked_against")) for w in results
                for r in w["rows"] if r.get("agrees") is False]
    wall = time.perf_counter() - wall0
    try:
        env["loadavg_end"] = os.getloadavg()
    except OSError:
        pass
    print(f"\ntotal wall time: {wall:.1f} s"
          + (f"; load average at end: {env['loadavg_end'][0]:.2f}" if "loadavg_end" in env else ""))
    if failures:
        banner("funcad FAILURES: " + "; ".join(f"{w} [{v}]: {e}" for w, v, e in failures))
    if disagree:
        banner("RESULTS THAT DISAGREE: " + "; ".join(f"{w} {lib} [{v}] vs {a}" for w, lib, v, a in disagree))
    if not failures and not disagree:
        print("all results agree (np.allclose) with funcad, and funcad with the analytic derivatives")

    if args.json:
        payload = {"env": env, "config": vars(cfg) | {"quick": args.quick},
                   "sizes": {"ops_per_step": OPS_PER_STEP, "W1_steps": inputs["w1_steps"],
                             "W7_steps": inputs["w7_steps"], "W2_n": W2_N, "W3": W3_SIZES,
                             "W3_batch": W3_BATCH, "W4_n": W4_N, "W5_n": W5_N},
                   "seeds": SEEDS, "workloads": results, "total_seconds": wall}
        with open(args.json, "w") as fh:
            json.dump(payload, fh, indent=1, default=_json_default)
        print(f"wrote {args.json}")
    return 1 if failures or disagree else 0


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.bool_):
        return bool(o)
    return str(o)


if __name__ == "__main__":
    sys.exit(main())

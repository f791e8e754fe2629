#!/usr/bin/env python
"""Cholesky's derivative rules, and a Gaussian process's likelihood, against NumPy (and
autograd when installed): the numbers behind the README's cholesky bullet.

    python benchmarks/linalg.py                  # n = 200 and 500
    python benchmarks/linalg.py --sizes 50,1000  # other sizes

For each n, on one thread with glibc keeping freed memory (as ``run.py``), medians of
repeated calls: the factorisation itself (NumPy), cholesky's backward pass (a pullback of a
random cotangent, the recording done once), its forward rule (one JVP of a random
symmetric tangent), and the gradient of a Gaussian process's negative log likelihood
``sum(log(diagonal(L))) + 0.5 * sum(solve(L, y)**2)``, ``L = cholesky(S)``, with ratios to
the NumPy evaluation they stand beside. autograd's likelihood gradient is checked against
funcad's (autograd returns the symmetric gradient; funcad the one of the lower triangle
NumPy reads, ``G_ij + G_ji`` below the diagonal) and timed beside it.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

# run.py sets single-threaded BLAS before NumPy is imported, and holds the allocator setting
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

import numpy as np  # noqa: E402

import funcad  # noqa: E402
from funcad import func  # noqa: E402


def median_time(fn, budget: float = 0.3, repeats: int = 7) -> float:
    """Median over ``repeats`` of the mean time of a loop of calls sized to ``budget`` s."""
    fn()
    t = time.perf_counter()
    fn()
    loops = max(1, int(budget / repeats / max(time.perf_counter() - t, 1e-9)))
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(loops):
            fn()
        times.append((time.perf_counter() - t) / loops)
    return sorted(times)[repeats // 2]


def nll(S, y, ns=np):
    """A Gaussian process's negative log likelihood, up to its constant."""
    L = ns.linalg.cholesky(S)
    return ns.sum(ns.log(ns.diagonal(L, axis1=-1, axis2=-2))) + 0.5 * ns.sum(ns.linalg.solve(L, y) ** 2)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="200,500", help="matrix sizes, comma-separated (default 200,500)")
    args = p.parse_args(argv)
    print("allocator:", run.keep_freed_memory())
    run.freeze_heap()
    try:
        import autograd
        import autograd.numpy as anp
    except ImportError as e:
        autograd = None
        print(f"autograd: not installed ({e}); its column is left out")
    rng = np.random.default_rng(0)
    for n in (int(s) for s in args.sizes.split(",")):
        a = rng.standard_normal((n, n))
        S = a @ a.T / n + np.eye(n)
        G, T, y = rng.standard_normal((n, n)), rng.standard_normal((n, n)), rng.standard_normal(n)
        T = T + T.T
        _, pull = func.vjp(np.linalg.cholesky, S)
        chol = median_time(lambda: np.linalg.cholesky(S))
        rows = [("cholesky's backward pass", median_time(lambda: pull(G)), chol),
                ("cholesky's forward rule (jvp)",
                 median_time(lambda: funcad.jvp(np.linalg.cholesky, S, T)), chol)]
        grad = func.grad(nll)
        ev = median_time(lambda: nll(S, y))
        rows.append(("GP likelihood gradient", median_time(lambda: grad(S, y)), ev))
        print(f"\nn = {n}: cholesky {chol * 1e3:.3f} ms, GP likelihood {ev * 1e3:.3f} ms (NumPy)")
        for name, t, base in rows:
            print(f"    funcad   {name:<32} {t * 1e3:9.3f} ms {t / base:7.2f}x NumPy")
        if autograd is not None:
            agrad = autograd.grad(lambda S: nll(S, y, anp))
            g, ga = grad(S, y), agrad(S)
            same = np.allclose(g, np.tril(ga + ga.T) - np.diag(np.diag(ga)))
            t = median_time(lambda: agrad(S))
            print(f"    autograd {'GP likelihood gradient':<32} {t * 1e3:9.3f} ms {t / ev:7.2f}x NumPy"
                  f"   (agrees with funcad: {same})")


if __name__ == "__main__":
    main()

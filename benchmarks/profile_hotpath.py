#!/usr/bin/env python
"""Where does funcad spend its time on a long scalar chain? (for developers)

Runs W1 of the benchmark suite (grad of the chain ``x = sin(x)*0.5 + x*0.5``) under cProfile,
in reverse mode (``funcad.func.grad``) and in forward mode (``funcad.func.jvp``), and prints
the top functions by self time (tottime). Per-op overhead in funcad is pure Python, so this
is the table to read before optimising the tracer, the tape or the rules.

    python benchmarks/profile_hotpath.py                  # both modes, top 15 by tottime
    python benchmarks/profile_hotpath.py --mode reverse --top 25 --calls 50
    python benchmarks/profile_hotpath.py --sort cumulative
    python benchmarks/profile_hotpath.py --dump /tmp/w1   # also write /tmp/w1.<mode>.prof
                                                          # (open with snakeviz / pstats)
"""
from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import time

# run.py sets single-threaded BLAS before NumPy is imported and holds the workload
# definitions, so the profile is of exactly the benchmarked function.
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import run  # noqa: E402

import numpy as np  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--mode", choices=("reverse", "forward", "both"), default="both")
    p.add_argument("--ops", type=int, default=run.W1_OPS,
                   help=f"chain length in ops ({run.OPS_PER_STEP} per step; default {run.W1_OPS})")
    p.add_argument("--calls", type=int, default=20, help="calls profiled per mode (default 20)")
    p.add_argument("--top", type=int, default=15, help="rows to print (default 15)")
    p.add_argument("--sort", default="tottime", help="pstats sort key (default tottime)")
    p.add_argument("--dump", default=None, metavar="PREFIX",
                   help="also write PREFIX.<mode>.prof for snakeviz/pstats")
    args = p.parse_args(argv)

    sys.path.insert(0, run._REPO)
    import funcad.func as F

    steps = max(1, round(args.ops / run.OPS_PER_STEP))
    x, t = np.array(run.X0_CHAIN), np.array(1.0)

    def f(z):
        return run.chain(z, np, steps)

    modes = {
        "reverse": ("funcad.func.grad", lambda: F.grad(f)(x)),
        "forward": ("funcad.func.jvp", lambda: F.jvp(f, (x,), (t,))[1]),
    }
    chosen = ("reverse", "forward") if args.mode == "both" else (args.mode,)
    ref = run.ref_chain(x, steps)
    n_ops = run.OPS_PER_STEP * steps
    print(f"W1 chain: {steps} steps = {n_ops} ops ({run.OPS_PER_STEP}/step), "
          f"{args.calls} calls per mode\n")
    for mode in chosen:
        label, fn = modes[mode]
        got = fn()                                   # warm-up, and a correctness check
        if not np.allclose(got, ref):
            print(f"!!! {label} gives {got}, expected {ref}")
        t0 = time.perf_counter()
        for _ in range(args.calls):
            fn()
        plain = (time.perf_counter() - t0) / args.calls
        prof = cProfile.Profile()
        prof.enable()
        for _ in range(args.calls):
            fn()
        prof.disable()
        print("=" * 100)
        print(f"{mode}: {label} — {plain * 1e3:.3g} ms/call unprofiled, "
              f"{plain / n_ops * 1e6:.3g} µs/op")
        print("=" * 100)
        s = io.StringIO()
        st = pstats.Stats(prof, stream=s)
        st.strip_dirs().sort_stats(args.sort).print_stats(args.top)
        print(s.getvalue())
        if args.dump:
            path = f"{args.dump}.{mode}.prof"
            prof.dump_stats(path)
            print(f"wrote {path}\n")


if __name__ == "__main__":
    main()

"""What the examples share: the ``--fast`` switch and optional plotting.

Every example runs without matplotlib (``pip install -e ".[examples]"`` adds it): the
answer is still computed and checked, and the plot is skipped with a note. Plots are drawn
with the Agg backend (no display) into ``examples/out/``, or into the folder named by the
environment variable ``FUNCAD_EXAMPLES_OUT``.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path


def fast_mode() -> bool:
    """True under ``--fast`` or ``FUNCAD_EXAMPLES_FAST=1``: small sizes, a few seconds."""
    return "--fast" in sys.argv[1:] or os.environ.get("FUNCAD_EXAMPLES_FAST", "") not in ("", "0")


def out_dir() -> Path:
    """Where plots go (created on first use)."""
    default = Path(__file__).resolve().parent / "out"
    path = Path(os.environ.get("FUNCAD_EXAMPLES_OUT", default))
    path.mkdir(parents=True, exist_ok=True)
    return path


def pyplot():
    """matplotlib.pyplot on the Agg backend, or None when matplotlib is not installed."""
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def save_plot(name: str, draw) -> Path | None:
    """Call ``draw(plt)`` (it returns a figure) and save the figure as ``out/<name>``;
    without matplotlib, say that the plot was skipped and return None."""
    plt = pyplot()
    if plt is None:
        print("plot skipped: matplotlib is not installed (pip install 'funcad[examples]')")
        return None
    fig = draw(plt)
    path = out_dir() / name
    fig.savefig(path, dpi=100, bbox_inches="tight")
    plt.close(fig)
    print(f"plot saved: {path}")
    return path

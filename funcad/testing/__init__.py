"""Testing tools: is funcad's derivative right?

* :func:`check_grads` — the oracle: funcad's derivatives, to any order in both modes,
  against SciPy finite differences, with tolerances from their error estimates and a
  report that points at the culprit.
* :func:`gradcheck`, :func:`gradgradcheck` — torch.autograd's checks, same meanings.
* :mod:`funcad.testing.strategies` — Hypothesis strategies: arrays in a domain, and
  random differentiable programs built from funcad's rules (imported on first use: it
  needs Hypothesis, which the rest does not).
"""
from .oracle import check_grads
from .gradcheck import GradcheckError, gradcheck, gradgradcheck

__all__ = ["check_grads", "gradcheck", "gradgradcheck", "GradcheckError", "strategies"]


def __getattr__(name):
    if name == "strategies":
        import importlib
        return importlib.import_module(".strategies", __name__)
    raise AttributeError(f"module 'funcad.testing' has no attribute {name!r}")

"""``funcad.scipy``: SciPy's differentiable corners (special, linalg, signal, stats, integrate)."""
from . import special, linalg, signal, stats, integrate  # noqa: F401

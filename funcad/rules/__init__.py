"""Derivative rules, one module per family. Importing this package fills the dispatch
tables (``registry.UFUNCS``, ``registry.FUNCTIONS``) that NumPy's protocols read."""
from . import registry, broadcast, elementwise, kinks, ufuncs, reductions, shape, indexing  # noqa: F401
from . import contractions, einsum, update, nondiff, manipulation, sorting, statistics, creation  # noqa: F401
from . import linalg, fft, special, integrate  # noqa: F401
# rules.stats (scipy.stats distributions) loads with funcad.scipy.stats: scipy.stats takes ~0.6 s to import.

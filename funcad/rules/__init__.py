"""Derivative rules, one module per family. Importing this package fills the dispatch
tables (``registry.UFUNCS``, ``registry.FUNCTIONS``) that NumPy's protocols read."""
from . import registry, broadcast, elementwise, kinks, ufuncs, reductions, shape, indexing, contractions  # noqa: F401
from . import update, linalg, special, misc  # noqa: F401

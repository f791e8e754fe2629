"""Seeing inside: the recorded graph (``trace``) and a per-primitive profiler (``profile``)."""
from .graph import Graph, GraphNode, trace  # noqa: F401
from .profiler import profile  # noqa: F401

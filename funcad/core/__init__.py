"""The engine: the tracer (boxes, traces, primitives), forward mode and reverse mode.

Nothing in here knows NumPy's functions; the derivative rules live in ``funcad.rules``.
"""
from .trace import Box, Primitive, NondiffPrimitive, ArgnumRules, Trace, top_trace, value_of
from .forward import Dual, JVPTrace, add_tangents
from .reverse import Node, VJPTrace, backward, EscapedTraceError

"""``funcad.trace(f, *args)``: the graph reverse mode records, as plain objects to walk,
print and draw (like walking torch's ``grad_fn.next_functions``)."""
from __future__ import annotations

import shutil
import subprocess
from typing import Any, Callable

import numpy as np

from ..core import Node, value_of
from ..pytree import tree_flatten
from ..rules.broadcast import dtype_of, shape_of
from ..transforms.tracing import to_inputs, trace_vjp

__all__ = ["trace", "Graph", "GraphNode"]


class GraphNode:
    """One recorded value: the primitive that made it, its shape and dtype, its parents."""

    __slots__ = ("name", "shape", "dtype", "parents", "index")

    def __init__(self, name: str, shape: tuple, dtype, parents: tuple, index: int):
        self.name, self.shape, self.dtype, self.parents, self.index = name, shape, dtype, parents, index

    @property
    def next_functions(self) -> tuple:
        """torch's spelling of ``parents``: ``((parent, 0), ...)``."""
        return tuple((p, 0) for p in self.parents)

    def __repr__(self) -> str:
        return f"<{self.name} {self.shape} {self.dtype}>"


class Graph:
    """The graph of one call: ``nodes`` in topological order, ``inputs``, ``output``
    (``outputs`` when the function returns several arrays)."""

    def __init__(self, nodes: list, inputs: list, outputs: list):
        self.nodes = nodes
        self.inputs = inputs
        self.outputs = outputs
        self.output = outputs[0] if len(outputs) == 1 else tuple(outputs)

    def __len__(self) -> int:
        return len(self.nodes)

    def __repr__(self) -> str:
        return f"<funcad graph: {len(self.inputs)} input(s), {len(self.nodes)} nodes>"

    def to_dot(self, max_nodes: int = 200) -> str:
        """Graphviz source. Past ``max_nodes`` only the nodes nearest the output are drawn,
        with a note saying how many were left out."""
        keep = self.nodes[-max_nodes:] if len(self.nodes) > max_nodes else self.nodes
        kept = {id(n) for n in keep}
        lines = ["digraph funcad {", '  rankdir=BT;', '  node [shape=box, style="rounded,filled", '
                 'fillcolor="#eef3fb", fontname="Helvetica"];']
        outs = {id(o) for o in self.outputs}
        for n in keep:
            label = f"{n.name}\\n{n.shape} {n.dtype}"
            style = ', fillcolor="#d9f0d3"' if n.name == "input" else ', fillcolor="#fde0c5"' if id(n) in outs else ""
            lines.append(f'  n{n.index} [label="{label}"{style}];')
        for n in keep:
            for p in n.parents:
                if id(p) in kept:
                    lines.append(f"  n{p.index} -> n{n.index};")
        if len(keep) < len(self.nodes):
            lines.append(f'  more [shape=note, fillcolor="#ffffff", label="{len(self.nodes) - len(keep)} '
                         f'earlier nodes not drawn (to_dot(max_nodes=...))"];')
        lines.append("}")
        return "\n".join(lines)

    def render(self, path: str, max_nodes: int = 200) -> str:
        """Draw the graph with Graphviz's ``dot`` into ``path`` (.svg, .png or .pdf)."""
        fmt = str(path).rsplit(".", 1)[-1].lower()
        if fmt not in ("svg", "png", "pdf"):
            raise ValueError(f"render: path must end in .svg, .png or .pdf, got {path!r}")
        dot = shutil.which("dot")
        if dot is None:
            raise RuntimeError(
                "render needs Graphviz's `dot` program, which is not installed. Install it "
                "(apt-get install graphviz, brew install graphviz, or conda install graphviz), "
                "or paste graph.to_dot() into any Graphviz viewer.")
        subprocess.run([dot, f"-T{fmt}", "-o", str(path)], input=self.to_dot(max_nodes).encode(),
                       check=True, capture_output=True)
        return str(path)


def trace(f: Callable, *args: Any) -> Graph:
    """Run ``f(*args)`` once and return the graph reverse mode records for it.

    >>> import numpy as np, funcad
    >>> g = funcad.trace(lambda a: 2 * np.sin(a) + 1, np.array([0.5]))
    >>> [n.name for n in g.nodes]
    ['input', 'sin', 'multiply', 'add']
    >>> g.output.parents[0].name
    'multiply'
    """
    leaves, treedef = tree_flatten(args)
    leaves = to_inputs(leaves, lambda k: f"trace: argument leaf {k}")
    from ..pytree import tree_unflatten
    out, pb = trace_vjp(lambda *xs: f(*tree_unflatten(treedef, xs)), leaves)
    out_leaves, _ = tree_flatten(out)
    # keep what the outputs depend on, in recording order
    reach = {id(o) for o in out_leaves if isinstance(o, Node) and o._trace is pb.trace}
    for node in reversed(pb.tape):
        if id(node) in reach:
            reach.update(id(p) for _, p in node.parents)
    made: dict = {}
    nodes: list = []

    def add(node, name, parents):
        v = node._p
        if isinstance(v, tuple):   # the packed answer of a multiple-results primitive
            shape, dtype = tuple(np.shape(value_of(e)) for e in v), "tuple"
        else:
            shape, dtype = shape_of(v), dtype_of(v)   # a reused value keeps these only
        g = GraphNode(name, shape, dtype, parents, len(nodes))
        made[id(node)] = g
        nodes.append(g)
        return g

    inputs = [add(x, "input", ()) for x in pb.inputs]
    for node in pb.tape:
        if id(node) in reach:
            add(node, node.prim.name, tuple(made[id(p)] for _, p in node.parents))
    outputs = []
    for o in out_leaves:
        if isinstance(o, Node) and o._trace is pb.trace:
            outputs.append(made[id(o)])
        else:
            v = value_of(o)
            outputs.append(GraphNode("constant", np.shape(v), np.result_type(v), (), len(nodes)))
            nodes.append(outputs[-1])
    return Graph(nodes, inputs, outputs)

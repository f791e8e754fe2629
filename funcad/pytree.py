"""Nested tuples, lists and dicts of arrays (pytrees): flatten to leaves and back.

``None`` is an empty node (no leaves), as in JAX and torch.func.
"""
from __future__ import annotations

from typing import Any, Callable

__all__ = ["tree_flatten", "tree_unflatten", "tree_map", "TreeDef"]


class TreeDef:
    """The structure of a pytree: a node type, its keys and its children's structures."""

    __slots__ = ("kind", "meta", "children", "num_leaves", "flat_tuple")

    def __init__(self, kind, meta, children):
        self.kind = kind
        self.meta = meta
        self.children = children
        self.num_leaves = 1 if kind == "leaf" else sum(c.num_leaves for c in children)
        # a plain tuple of leaves, such as a function's positional arguments: rebuilt at once
        self.flat_tuple = kind is tuple and all(c.kind == "leaf" for c in children)

    def __eq__(self, other):
        return (isinstance(other, TreeDef) and self.kind == other.kind and self.meta == other.meta
                and self.children == other.children)

    def __repr__(self):
        if self.kind == "leaf":
            return "*"
        if self.kind == "none":
            return "None"
        inner = ", ".join(repr(c) for c in self.children)
        if self.kind == "dict":
            inner = ", ".join(f"{k!r}: {c!r}" for k, c in zip(self.meta, self.children))
            return "{" + inner + "}"
        return f"[{inner}]" if self.kind is list else f"({inner})"


LEAF = TreeDef("leaf", None, ())


_NODES = (tuple, list, dict)


_FLAT_TUPLES: dict = {}   # n -> the TreeDef of a plain tuple of n leaves


def tree_flatten(tree: Any) -> tuple[list, TreeDef]:
    if tree is not None and not isinstance(tree, _NODES):   # a lone leaf: the common case
        return [tree], LEAF
    if type(tree) is tuple and not any(c is None or isinstance(c, _NODES) for c in tree):
        d = _FLAT_TUPLES.get(len(tree))
        if d is None:
            d = _FLAT_TUPLES[len(tree)] = TreeDef(tuple, None, (LEAF,) * len(tree))
        return list(tree), d
    leaves: list = []

    def walk(t):
        if isinstance(t, tuple):
            return TreeDef(type(t), None, tuple(walk(c) for c in t))
        if isinstance(t, list):
            return TreeDef(list, None, tuple(walk(c) for c in t))
        if isinstance(t, dict):
            keys = tuple(sorted(t, key=repr)) if not all(isinstance(k, str) for k in t) else tuple(sorted(t))
            return TreeDef("dict", (type(t), keys), tuple(walk(t[k]) for k in keys))
        if t is None:
            return TreeDef("none", None, ())
        leaves.append(t)
        return LEAF

    return leaves, walk(tree)


def tree_unflatten(treedef: TreeDef, leaves) -> Any:
    if treedef is LEAF:
        return next(iter(leaves))
    if treedef.flat_tuple:
        return tuple(leaves)
    it = iter(leaves)

    def build(d):
        if d.kind == "leaf":
            return next(it)
        if d.kind == "none":
            return None
        kids = [build(c) for c in d.children]
        if d.kind == "dict":
            typ, keys = d.meta
            return typ(zip(keys, kids)) if typ is dict else typ(dict(zip(keys, kids)))
        if d.kind is list:
            return kids
        if d.kind is tuple:
            return tuple(kids)
        return d.kind(*kids)  # namedtuple

    return build(treedef)


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    leaves, d = tree_flatten(tree)
    others = [tree_flatten(r)[0] for r in rest]
    return tree_unflatten(d, [fn(*xs) for xs in zip(leaves, *others)])

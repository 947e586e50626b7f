"""Pytrees: nested tuple, list, dict, None and NamedTuple containers with array leaves.

>>> leaves, treedef = tree_flatten({"b": (1, 2), "a": [3]})
>>> leaves
[3, 1, 2]
>>> tree_unflatten(treedef, [x * 10 for x in leaves])
{'a': [30], 'b': (10, 20)}
"""

from collections.abc import Callable
from typing import Any

import numpy as np

LEAF = "*"  # the treedef of a leaf


def _flatten(tree, leaves: list):
    kind = type(tree)
    if kind is tuple or kind is list:
        return (kind, tuple(_flatten(child, leaves) for child in tree))
    if kind is dict:
        keys = tuple(sorted(tree))
        return (dict, keys, tuple(_flatten(tree[k], leaves) for k in keys))
    if tree is None:
        return None
    if isinstance(tree, tuple) and hasattr(kind, "_fields"):
        return (kind, tuple(_flatten(child, leaves) for child in tree))
    leaves.append(tree)
    return LEAF


def tree_flatten(tree: Any) -> tuple[list, Any]:
    """Leaves in a fixed order (dicts by sorted key) and a hashable structure."""
    if type(tree) is tuple and all(type(x) is np.ndarray for x in tree):
        return list(tree), (tuple, (LEAF,) * len(tree))  # the usual jit call: f(*arrays)
    leaves: list = []
    treedef = _flatten(tree, leaves)
    return leaves, treedef


def _unflatten(treedef, leaves):
    if treedef == LEAF:
        return next(leaves)
    if treedef is None:
        return None
    kind = treedef[0]
    if kind is dict:
        return {k: _unflatten(child, leaves) for k, child in zip(treedef[1], treedef[2])}
    children = [_unflatten(child, leaves) for child in treedef[1]]
    if kind is tuple or kind is list:
        return kind(children)
    return kind(*children)  # a NamedTuple


def tree_unflatten(treedef: Any, leaves) -> Any:
    """The inverse of tree_flatten."""
    return _unflatten(treedef, iter(leaves))


def tree_map(fn: Callable, tree: Any, *rest: Any) -> Any:
    """Apply fn to each leaf (and the matching leaves of `rest`, which share the structure).

    >>> tree_map(lambda x, y: x + y, (1, [2]), (10, [20]))
    (11, [22])
    """
    leaves, treedef = tree_flatten(tree)
    others = [tree_flatten(r) for r in rest]
    for _, other_def in others:
        if other_def != treedef:
            raise ValueError(f"tree structures differ: {treedef} and {other_def}")
    mapped = [fn(*xs) for xs in zip(leaves, *[o[0] for o in others])]
    return tree_unflatten(treedef, mapped)

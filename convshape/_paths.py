"""How views show the paths of a report's rows, in time linear in the rows and their path nodes.

A row's path is a linked list of ``(parent, segment)`` nodes (see :mod:`convshape.tracing`),
shared by the rows under one container.  The table, the explanation, the HTML, the picture and
:func:`convshape.verify` measure those nodes once for all rows (:class:`_Paths`), so n
containers nested in one another cost time linear in n, although their full paths hold about
n * n / 2 dotted parts; a path of more than ``2 * SHOWN_SEGMENTS`` parts is shown by its first
and last ones.

>>> import convshape as cs
>>> net = cs.Conv(4, 3, padding=1)
>>> for _ in range(30):
...     net = cs.Residual(net)
>>> rows = cs.trace(net, (4, 8, 8)).rows
>>> len(rows[0].path.split("."))  # each Residual adds its body, a Sequential: "0.body"
61
>>> _display_paths(rows)[0].path
'0.body.0.body.0.body.0.body.0.body.0.body.[37 more].body.0.body.0.body.0.body.0.body.0.body.0'
"""

from __future__ import annotations

from convshape.tracing import _join

TYPE_CHECKING = False
if TYPE_CHECKING:
    from _collections_abc import Iterator, Sequence
    from typing import Union

    from convshape.tracing import PathNode, Report, Row

    #: what views know of a path: parts, first parts, first segment, key, fold (see _Shown)
    _Entry = tuple[int, tuple[str, ...], str, int, Union[tuple[PathNode, str], None]]


#: a path of more than twice this many dotted parts is shown by its first and last ones
SHOWN_SEGMENTS = 12


class _Shown:
    """A row as views show it.

    ``path`` is the dotted path for display; ``parts`` the number of its dot-separated parts
    (a Graph node named ``layer1.0.conv1`` is three, as in the module it came from); ``head``
    the first :data:`SHOWN_SEGMENTS` parts; ``first`` the first segment (a root Graph's node);
    ``key`` an integer equal for equal paths (see :class:`_Paths`); ``fold`` the ancestor with
    the number of parts asked for (None when the path is not that long): (the path node of its
    parent, the parts of the last segment it keeps).
    """

    __slots__ = ("first", "fold", "head", "key", "parts", "path", "row")

    def __init__(self, row: Row, path: str, entry: _Entry) -> None:
        self.row, self.path = row, path
        self.parts, self.head, self.first, self.key, self.fold = entry


class _Paths:
    """Display paths of rows, in time linear in the rows and their path nodes.

    A path of more than twice :data:`SHOWN_SEGMENTS` parts is shown by its first and last
    ones and the count left out (``"0.body.0.body.[99,976 more].body.0"``): the full paths of n
    containers nested in one another hold about n * n / 2 parts, too many to print.  A path
    node is measured from its parent's entry, and a memo spares walking a chain again (see
    :meth:`entry`).  With *keyed*, each path also gets a key from one table, so two reports
    measured by one ``_Paths`` get equal keys for equal paths (-1 without).  With *level*,
    each row also gets its ancestor with that many parts, for views that fold deeper rows
    into it.
    """

    def __init__(self, level: int | None = None, *, keyed: bool = False) -> None:
        self.level = level
        self.memo: dict[int, _Entry] = {}  # id of a path node -> its entry
        self.keys: dict[tuple[int, str], int] | None = {} if keyed else None  # (parent key, part) -> key

    def views(self, rows: Sequence[Row]) -> list[_Shown]:
        out = []
        for row in rows:
            node: PathNode = row[0]
            entry = self.entry(node)
            last = row[1]
            if last is not None:
                entry = self.step(entry, node, str(last))
            parts, head = entry[0], entry[1]
            path = row.path if parts <= 2 * SHOWN_SEGMENTS else _cut(node, last, parts, head)
            out.append(_Shown(row, path, entry))
        return out

    def entry(self, node: PathNode) -> _Entry:
        """The entry of a path node, measuring those of its ancestors not measured yet.

        A long walk keeps the node asked for and every 32nd ancestor in the memo, so a later
        walk stops within 32 steps of a measured node and one path of 100,000 nodes makes a
        few thousand entries, not 100,000 (each costs an allocation, which a memory tracer
        slows); a short walk keeps every node, so rows climbing a chain one level at a time
        each walk one step.
        """
        memo = self.memo
        chain = []
        while node is not None and id(node) not in memo:
            chain.append(node)
            node = node[0]
        entry: _Entry = memo[id(node)] if node is not None else (0, (), "", -1, None)
        sparse = len(chain) > 64
        for i in range(len(chain) - 1, -1, -1):
            node = chain[i]
            entry = self.step(entry, node[0], str(node[1]))
            if not sparse or i % 32 == 0:
                memo[id(node)] = entry
        return entry

    def step(self, entry: _Entry, parent: PathNode, segment: str) -> _Entry:
        """The entry of the path *parent* + *segment*, from the entry of *parent*."""
        parts, head, first, key, fold = entry
        keys, level = self.keys, self.level
        if "." not in segment:  # one part: the common case, kept short
            if keys is not None:
                key = keys.setdefault((key, segment), len(keys))
            if parts + 1 == level:  # this node is the ancestor views fold deeper rows into
                fold = (parent, segment)
            return (
                parts + 1,
                head if len(head) >= SHOWN_SEGMENTS else (*head, segment),
                first or segment,
                key,
                fold,
            )
        split = segment.split(".")
        for i, part in enumerate(split):
            if keys is not None:
                key = keys.setdefault((key, part), len(keys))
            if parts + i + 1 == level:  # the ancestor ends inside this segment
                fold = (parent, ".".join(split[: i + 1]))
        head = (*head, *split)[:SHOWN_SEGMENTS] if len(head) < SHOWN_SEGMENTS else head
        return parts + len(split), head, first or segment, key, fold


def _display_paths(rows: Sequence[Row], level: int | None = None) -> list[_Shown]:
    """The rows as views show them (see :class:`_Paths`)."""
    return _Paths(level).views(rows)


def _cut(node: PathNode, last: str | int | None, parts: int, head: tuple[str, ...]) -> str:
    """A path of *parts* parts (*head* the first ones), shown by its first and last ones."""
    tail = [] if last is None else str(last).split(".")[::-1]
    while len(tail) < SHOWN_SEGMENTS and node is not None:
        node, segment = node
        tail += str(segment).split(".")[::-1]
    shown = ".".join(tail[:SHOWN_SEGMENTS][::-1])
    return f"{'.'.join(head)}.[{parts - 2 * SHOWN_SEGMENTS:,} more].{shown}"


def _fold(view: _Shown, level: int) -> object:
    """What tells apart the ancestors rows fold into: the path itself when short enough to
    join for every row (as the views always did), else the ancestor's parent node and kept
    parts (joining a deep path for every row would be quadratic)."""
    assert view.fold is not None  # the row's path has more than *level* parts
    parent, kept = view.fold
    return _fold_path(view, level)[1] if level <= 2 * SHOWN_SEGMENTS else (id(parent), kept)


def _fold_path(view: _Shown, level: int) -> tuple[str, str]:
    """The display path and the full path of the ancestor *view*'s row folds into."""
    assert view.fold is not None  # the row's path has more than *level* parts
    parent, kept = view.fold
    full = f"{_join(parent)}.{kept}" if parent is not None else kept  # joined once per fold
    return (full if level <= 2 * SHOWN_SEGMENTS else _cut(parent, kept, level, view.head)), full


class _Fold:
    """The block that views show rows nested deeper than their depth as: its display path, and
    its layer (None when the path does not resolve, as a Graph node's does not)."""

    __slots__ = ("block", "path")

    def __init__(self, path: str, block: object | None) -> None:
        self.path, self.block = path, block


def _with_folds(report: Report, paths: _Paths, depth: int | None) -> Iterator[tuple[_Shown, _Fold | None]]:
    """The report's rows as *paths* shows them, each with the block it folds into when it is
    nested more than *depth* + 1 parts deep (else None).  Rows of one block share one
    :class:`_Fold` object until a row of another block comes; rows that are not folded do not
    end it, so a view merges a row into the line before it only when that line is the block's
    own and has the same object (a block that comes again after another block gets a new one)."""
    fold: _Fold | None = None
    group: object = None
    for shown in paths.views(report.rows):
        if depth is None or shown.parts <= depth + 1:
            yield shown, None
            continue
        key = _fold(shown, depth + 1)
        if fold is None or key != group:
            group = key
            path, full = _fold_path(shown, depth + 1)
            fold = _Fold(path, layer_at(report.network, full))
        yield shown, fold


def layer_at(network: object, path: str) -> object | None:
    """The layer at a dotted path, or None (paths of Graph nodes are not resolved).

    >>> import convshape as cs
    >>> net = cs.Sequential(cs.Residual(cs.Conv(4, 3, padding=1)), cs.Flatten())
    >>> layer_at(net, "0.body.0") is net.layers[0].body.layers[0], layer_at(net, "0.body.5")
    (True, None)
    """
    node = network
    for segment in path.split("."):
        if segment.isdigit():
            items = node if isinstance(node, tuple) else getattr(node, "layers", None)
            if not isinstance(items, tuple) or int(segment) >= len(items):
                return None
            node = items[int(segment)]
        else:
            node = getattr(node, segment, None)
            if node is None:
                return None
    return node

"""Connection tables: which input maps each output map of a convolution sums.

A fully connected convolution sums, for every output map, one 2-D kernel per input map.
Early networks connected each output map to a few input maps only, through a table:
LeNet-5's C3 (LeCun et al. 1998, Table I) and the tutorial network of the seed question
(Jarrett et al. 2009; Torch7's ``nn.SpatialConvolutionMap`` with ``nn.tables.random``).
``Conv(..., groups=g)`` is the block-diagonal special case.

A table is stored in one canonical form: a tuple with one entry per output map, each the
sorted tuple of the input maps it is connected to.

>>> table_from_pairs([(0, 0), (2, 0), (1, 1)])
((0, 2), (1,))
>>> RandomTable(fan_in=2, seed=0).draw(4, 3)
((1, 3), (0, 1), (1, 3))
>>> fan_in_summary(((0, 1, 2), (3, 4, 5, 0)))
(3, 4, 3.5)
"""

from __future__ import annotations

from convshape._frozen import KW_ONLY, frozen
from convshape.errors import ParameterError, as_index, check_int, show, type_name

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    #: per output map, the sorted input maps it is connected to
    Table = tuple[tuple[int, ...], ...]

__all__ = ["RandomTable", "block_table", "fan_in_summary", "normalise_table", "table_from_pairs"]

#: the most connections (``fan_in x out_channels``) :meth:`RandomTable.draw` makes; a larger
#: table is refused before any is drawn (256 output maps of fan-in 16 make 4,096)
MAX_TABLE_ENTRIES = 1_000_000

#: random.sample needs the population's length to fit in a C ssize_t
_MAX_POPULATION = 2**63 - 1


def _index(where: str, value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{where} must be an int (a map index), got {type_name(value)} {show(value)}")
    if value < 0:
        raise ParameterError(f"{where} must be a map index >= 0, got {show(value)}")
    return value


def normalise_table(value: object, out_channels: int) -> Table:
    """Per-output lists of input maps, checked and stored as sorted tuples.

    Every output map needs at least one input map and may list each input map once.

    >>> normalise_table([[2, 0], [1]], 2)
    ((0, 2), (1,))
    >>> normalise_table([[0, 0]], 1)
    Traceback (most recent call last):
    ...
    convshape.errors.ParameterError: connections[0] lists input map 0 twice; list each connected input map once
    """
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__") or not hasattr(value, "__iter__"):
        raise TypeError(
            "connections must be None, 'full', 'one_to_one', a RandomTable, or one sequence of input "
            f"map indices per output map, got {type_name(value)} {show(value)}"
        )
    entries = list(value)
    if len(entries) != out_channels:
        raise ParameterError(
            f"connections lists {len(entries)} output maps but out_channels is {out_channels}; "
            "give one sequence of input maps per output map (table_from_pairs() turns "
            "(input, output) pairs into that form)"
        )
    table: list[tuple[int, ...]] = []
    for o, inputs in enumerate(entries):
        where = f"connections[{o}]"
        if isinstance(inputs, (str, bytes)) or not hasattr(inputs, "__iter__"):
            raise TypeError(
                f"{where} must be a sequence of input map indices, got {type_name(inputs)} {show(inputs)}"
            )
        indices = [_index(f"{where}[{i}]", v) for i, v in enumerate(inputs)]
        if not indices:
            raise ParameterError(f"{where}: output map {o} is connected to no input map; list at least one")
        seen: set[int] = set()
        for v in indices:
            if v in seen:
                raise ParameterError(
                    f"{where} lists input map {show(v)} twice; list each connected input map once"
                )
            seen.add(v)
        table.append(tuple(sorted(indices)))
    return tuple(table)


def table_from_pairs(pairs: Iterable[tuple[int, int]]) -> Table:
    """A table from ``(input map, output map)`` pairs (Torch7's two-column form).

    The outputs must be numbered ``0 .. n-1`` with no gaps; a repeated pair is refused.

    >>> table_from_pairs([(0, 1), (1, 0), (2, 1)])
    ((1,), (0, 2))
    >>> table_from_pairs([(0, 0), (0, 2)])
    Traceback (most recent call last):
    ...
    convshape.errors.ParameterError: connections: output map 1 is connected to no input map (outputs must be numbered 0 .. 2 without gaps)
    """
    per_output: dict[int, list[int]] = {}
    for i, pair in enumerate(pairs):
        if isinstance(pair, (str, bytes)) or not hasattr(pair, "__len__") or len(pair) != 2:
            raise TypeError(
                f"pairs[{i}] must be an (input map, output map) pair, got {type_name(pair)} {show(pair)}"
            )
        cin = _index(f"pairs[{i}][0]", pair[0])
        out = _index(f"pairs[{i}][1]", pair[1])
        inputs = per_output.setdefault(out, [])
        if cin in inputs:
            raise ParameterError(
                f"pairs[{i}]: the pair ({show(cin)}, {show(out)}) is listed twice; list each pair once"
            )
        inputs.append(cin)
    if not per_output:
        raise ParameterError("connections: no (input map, output map) pairs given")
    count = max(per_output) + 1
    for o in range(count):
        if o not in per_output:
            raise ParameterError(
                f"connections: output map {o} is connected to no input map "
                f"(outputs must be numbered 0 .. {show(count - 1)} without gaps)"
            )
    return tuple(tuple(sorted(per_output[o])) for o in range(count))


def block_table(in_channels: int, out_channels: int, groups: int) -> Table:
    """The block-diagonal table of a grouped convolution: output map ``o`` sees group ``o // (out / groups)``.

    >>> block_table(4, 4, 2)
    ((0, 1), (0, 1), (2, 3), (2, 3))
    """
    per_in, per_out = in_channels // groups, out_channels // groups
    return tuple(
        tuple(range((o // per_out) * per_in, (o // per_out + 1) * per_in)) for o in range(out_channels)
    )


def fan_in_summary(table: Table) -> tuple[int, int, float]:
    """(smallest, largest, mean) number of input maps per output map.

    >>> fan_in_summary(((0,), (0, 1)))
    (1, 2, 1.5)
    """
    sizes = [len(inputs) for inputs in table]
    return min(sizes), max(sizes), sum(sizes) / len(sizes)


@frozen
class RandomTable:
    """A random table with a fixed fan-in: each output map sums ``fan_in`` distinct input maps.

    Drawing rule (reproducible with the standard library alone): one ``random.Random(seed)``
    generator; for output maps ``0, 1, ..., out - 1`` in turn,
    ``sorted(rng.sample(range(in_channels), fan_in))``.  The same seed, input and output
    counts always give the same table.  (Torch7's ``nn.tables.random`` draws with its own
    generator, so its tables differ; the kernel, parameter and MAC counts are the same.)

    >>> table = RandomTable(fan_in=16, seed=0).draw(64, 256)
    >>> len(table), {len(inputs) for inputs in table}, sum(map(len, table))
    (256, {16}, 4096)
    """

    fan_in: int
    _: KW_ONLY
    seed: int = 0

    def __post_init__(self) -> None:
        try:
            check_int("fan_in", self.fan_in, 1)
            if not isinstance(self.seed, int) or isinstance(self.seed, bool):
                raise TypeError(f"seed must be an int, got {type_name(self.seed)} {show(self.seed)}")
        except ParameterError as err:
            raise err.located("RandomTable") from None
        except TypeError as err:
            raise TypeError(f"RandomTable: {err}") from None

    def draw(self, in_channels: int, out_channels: int) -> Table:
        """The table for *in_channels* input and *out_channels* output maps.

        >>> RandomTable(fan_in=3, seed=1).draw(2, 1)
        Traceback (most recent call last):
        ...
        convshape.errors.ParameterError: RandomTable: fan_in 3 exceeds the 2 input maps; use fan_in <= 2
        """
        cin = as_index("in_channels", in_channels, 1)
        cout = as_index("out_channels", out_channels, 1)
        if self.fan_in > cin:
            raise ParameterError(
                f"fan_in {show(self.fan_in)} exceeds the {show(cin)} input maps; use fan_in <= {show(cin)}",
                where="RandomTable",
            )
        if cin > _MAX_POPULATION:
            raise ParameterError(
                f"in_channels {show(cin)} is too many input maps to draw from (at most 2**63 - 1)",
                where="RandomTable",
            )
        if self.fan_in * cout > MAX_TABLE_ENTRIES:
            raise ParameterError(
                f"fan_in {show(self.fan_in)} x out_channels {show(cout)} connections are more than "
                f"{MAX_TABLE_ENTRIES:,} (convshape.tables.MAX_TABLE_ENTRIES); use fewer output maps or a smaller fan_in",
                where="RandomTable",
            )
        import random  # only when a table is drawn: the module is not needed to trace

        rng = random.Random(self.seed)
        population = range(cin)
        return tuple(tuple(sorted(rng.sample(population, self.fan_in))) for _ in range(cout))

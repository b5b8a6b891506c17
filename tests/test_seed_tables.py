"""Connection tables, the 1998 LeNet-5 as published and the seed network with its random table."""

from __future__ import annotations

import dataclasses
import pickle
import random

import pytest

import convshape as cs
from convshape import zoo
from convshape.tables import block_table

# ---------------------------------------------------------------------------
# Building: every form of ``connections`` and the values refused


def test_full_is_the_default_form() -> None:
    """connections='full' is stored as None, the default: the same spec as a plain Conv."""
    assert cs.Conv(8, 3, connections="full") == cs.Conv(8, 3)
    assert cs.Conv(8, 3, connections="full").connections is None


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ([[2, 0], [1]], ((0, 2), (1,))),
        (((1,), (0, 1)), ((1,), (0, 1))),
        ([range(3), [2]], ((0, 1, 2), (2,))),
    ],
    ids=["lists-unsorted", "tuples", "ranges"],
)
def test_an_explicit_table_is_stored_as_sorted_tuples(given: object, canonical: object) -> None:
    """Per-output sequences of input maps become a tuple of sorted tuples."""
    layer = cs.Conv(2, 3, connections=given)  # type: ignore[arg-type]
    assert layer.connections == canonical
    assert hash(layer) == hash(cs.Conv(2, 3, connections=canonical))


def test_pairs_give_the_same_table() -> None:
    """(input map, output map) pairs, in any order, give the per-output form."""
    pairs = [(2, 1), (0, 0), (1, 1), (3, 0)]
    assert cs.table_from_pairs(pairs) == ((0, 3), (1, 2))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"connections": [[0, 0], [1]]}, "connections[0] lists input map 0 twice"),
        ({"connections": [[0], []]}, "output map 1 is connected to no input map"),
        ({"connections": [[0]]}, "connections lists 1 output maps but out_channels is 2"),
        ({"connections": [[0], [-1]]}, "connections[1][0] must be a map index >= 0, got -1"),
        ({"connections": "sparse"}, "connections must be 'full', 'one_to_one'"),
        ({"connections": [[0], [1]], "groups": 2}, "give one of them (groups is the block-diagonal table)"),
        ({"connections": "one_to_one", "groups": 2}, "connections and groups=2"),
    ],
    ids=[
        "duplicate",
        "empty-output",
        "wrong-length",
        "negative",
        "unknown-string",
        "with-groups",
        "1to1-groups",
    ],
)
def test_bad_tables_are_refused_when_built(kwargs: dict[str, object], message: str) -> None:
    """A malformed table raises ParameterError at build time, saying what and where."""
    with pytest.raises(cs.ParameterError) as info:
        cs.Conv(2, 3, **kwargs)  # type: ignore[arg-type]
    assert message in str(info.value)
    assert str(info.value).startswith("Conv: ")


@pytest.mark.parametrize(
    "value", [5, [[0], [True]], [["0"], [1]], [3, [1]]], ids=["int", "bool-index", "str-index", "int-entry"]
)
def test_wrong_types_in_a_table_raise_type_error(value: object) -> None:
    """Wrong Python types raise TypeError naming the entry."""
    with pytest.raises(TypeError, match="Conv: "):
        cs.Conv(2, 3, connections=value)  # type: ignore[arg-type]


def test_pairs_with_a_gap_or_a_repeat_are_refused() -> None:
    """Outputs must be numbered without gaps; a pair may not repeat."""
    with pytest.raises(cs.ParameterError, match="output map 1 is connected to no input map"):
        cs.table_from_pairs([(0, 0), (0, 2)])
    with pytest.raises(cs.ParameterError, match=r"the pair \(1, 0\) is listed twice"):
        cs.table_from_pairs([(1, 0), (1, 0)])
    with pytest.raises(TypeError, match=r"pairs\[0\] must be an \(input map, output map\) pair"):
        cs.table_from_pairs([(1, 0, 2)])  # type: ignore[list-item]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"fan_in": 0}, cs.ParameterError, "fan_in must be"),
        ({"fan_in": True}, TypeError, "RandomTable: "),
        ({"fan_in": 2, "seed": "a"}, TypeError, "seed must be an int"),
    ],
    ids=["zero", "bool", "str-seed"],
)
def test_random_table_values_are_checked(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    """RandomTable validates its fan-in and seed when built."""
    with pytest.raises(error, match=message):
        cs.RandomTable(**kwargs)  # type: ignore[arg-type]


def test_specs_with_tables_are_frozen_values() -> None:
    """Tables keep the spec contract: replace(), pickle, equality."""
    layer = cs.Conv(4, 3, connections=cs.RandomTable(fan_in=2, seed=7))
    assert pickle.loads(pickle.dumps(layer)) == layer
    assert dataclasses.replace(layer, connections=None) == cs.Conv(4, 3)
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.connections = None  # type: ignore[misc]


# ---------------------------------------------------------------------------
# Drawing a random table


def test_random_table_follows_the_documented_rule() -> None:
    """One random.Random(seed); per output map in turn, sorted(rng.sample(range(in), fan_in))."""
    rng = random.Random(3)
    expected = tuple(tuple(sorted(rng.sample(range(10), 4))) for _ in range(6))
    assert cs.RandomTable(fan_in=4, seed=3).draw(10, 6) == expected
    assert cs.Conv(6, 3, connections=cs.RandomTable(fan_in=4, seed=3)).connection_table(10) == expected


def test_random_table_is_reproducible_and_seed_dependent() -> None:
    """The same seed gives the same table; every output map has fan_in distinct inputs."""
    a = cs.RandomTable(fan_in=16, seed=0).draw(64, 256)
    assert a == cs.RandomTable(fan_in=16, seed=0).draw(64, 256)
    assert a != cs.RandomTable(fan_in=16, seed=1).draw(64, 256)
    assert all(len(set(inputs)) == 16 and max(inputs) < 64 for inputs in a)


def test_groups_are_a_block_diagonal_table() -> None:
    """groups=2 on 4 -> 4 maps: outputs 0, 1 see inputs 0, 1; outputs 2, 3 see inputs 2, 3."""
    assert cs.Conv(4, 3, groups=2).connection_table(4) == ((0, 1), (0, 1), (2, 3), (2, 3))
    assert block_table(64, 256, 4)[63] == tuple(range(16))
    assert block_table(64, 256, 4)[64] == tuple(range(16, 32))


# ---------------------------------------------------------------------------
# Counting through a table


def test_counts_through_an_explicit_table() -> None:
    """3 -> 2 maps, 3x3, output 0 sees maps 0 and 2, output 1 sees map 1 on an 8x8 input."""
    row = cs.trace(cs.Conv(2, 3, connections=[[0, 2], [1]]), (3, 8, 8)).rows[0]
    # 3 connections = 3 kernels; 3 x 9 weights + 2 biases = 29; 3 x 9 x 6 x 6 = 972 MACs
    assert (row.output_shape, row.kernels, row.params, row.macs) == ((2, 6, 6), 3, 29, 972)
    # connections: 972 multiply-adds + 2 maps x 36 positions bias additions = 1,044
    assert row.connections == 1044


def test_one_to_one_counts_one_kernel_per_map() -> None:
    """8 -> 8 maps one to one, 3x3, no bias: 8 kernels, 72 weights, 72 x 4 x 4 MACs."""
    row = cs.trace(cs.Conv(8, 3, connections="one_to_one", bias=False), (8, 6, 6)).rows[0]
    assert (row.kernels, row.params, row.macs) == (8, 72, 72 * 16)


def test_random_table_counts_equal_the_grouped_counts() -> None:
    """Fan-in 16 from 64 maps to 256: 4,096 kernels, like groups=4 (64 / 4 = 16 maps per group)."""
    table = cs.trace(cs.Conv(256, 9, connections=cs.RandomTable(fan_in=16)), (64, 14, 14)).rows[0]
    grouped = cs.trace(cs.Conv(256, 9, groups=4), (64, 14, 14)).rows[0]
    # 256 x 16 = 4,096 kernels; 4,096 x 81 + 256 = 332,032 params; 4,096 x 81 x 36 = 11,943,936 MACs
    assert (table.kernels, table.params, table.macs) == (4096, 332032, 11943936)

    def numbers(row: cs.Row) -> tuple[object, ...]:
        return row.input_shape, row.output_shape, row.params, row.kernels, row.macs, row.receptive_field

    assert numbers(table) == numbers(grouped)


def test_a_table_moves_the_receptive_field_as_a_plain_conv() -> None:
    """Which input maps are summed does not change the field of an output position."""
    net = [cs.Conv(8, 3, stride=2), cs.Conv(4, 5, connections=cs.RandomTable(fan_in=3))]
    plain = [cs.Conv(8, 3, stride=2), cs.Conv(4, 5)]
    assert cs.trace(net, (1, 33, 33)).receptive_field == cs.trace(plain, (1, 33, 33)).receptive_field


def test_unknown_sizes_keep_the_kernels() -> None:
    """An unknown spatial size: the kernels and params are known, the MACs are not (0)."""
    problems: list[cs.ConvShapeError] = []
    out, params, kernels, macs, _ = cs.Conv(2, 3, connections=[[0], [0, 1]])._effect((2, None, 8), problems)
    assert (out, kernels, params, macs, problems) == ((2, None, 6), 3, 3 * 9 + 2, 0, [])


@pytest.mark.parametrize(
    ("connections", "channels", "message"),
    [
        ([[0], [3]], 3, "connects output map 1 to input map 3, but the input has 3 maps (0 .. 2)"),
        ("one_to_one", 3, "needs as many input maps as output maps, got 3 input maps for 2 output maps"),
        (cs.RandomTable(fan_in=4), 3, "RandomTable fan_in 4 exceeds the input's 3 maps"),
    ],
    ids=["index-out-of-range", "one-to-one", "fan-in"],
)
def test_tables_that_do_not_fit_the_input_are_located_problems(
    connections: object, channels: int, message: str
) -> None:
    """At trace time a table that does not fit the input channels is a located ShapeError."""
    problems = cs.check([cs.Conv(channels, 1), cs.Conv(2, 3, connections=connections)], (1, 8, 8))  # type: ignore[arg-type]
    assert len(problems) == 1
    assert isinstance(problems[0], cs.ShapeError)
    assert message in str(problems[0])
    assert "layer 1" in str(problems[0])
    assert "connections" in str(problems[0])


def test_a_table_on_a_batched_2d_input_traces_like_check() -> None:
    """trace() raises the problem that check() lists."""
    with pytest.raises(cs.ShapeError, match="input map 5"):
        cs.trace(cs.Conv(1, 1, connections=[[5]]), (2, 4, 4))


# ---------------------------------------------------------------------------
# Explanations


def test_explain_shows_groups_as_a_block_diagonal_table() -> None:
    """groups=4 on 64 -> 256 maps: blocks of 64 outputs over 16 inputs; 3-D filters; 4-D weights."""
    text = cs.explain(cs.Conv(256, 9, groups=4), (64, 14, 14))
    assert "groups=4 is a block-diagonal connection table: outputs 0-63 see inputs 0-15" in text
    assert "256 3-D filters of 16x9x9" in text
    assert "4-D shape (256, 16, 9, 9)" in text


def test_explain_shows_the_seed_answer_for_the_table() -> None:
    """The seed table layer: fan-in 16 everywhere, 256 filters of 16x9x9, weights (256, 16, 9, 9)."""
    text = cs.trace(zoo.seed_table(), (1, 83, 83)).explain()
    assert "256 output maps x 16 input maps each (connection table) = 4,096 kernels of 9x9" in text
    assert "fan-in min 16, max 16, mean 16: 4,096 of the 64 x 256 = 16,384 possible" in text
    assert "256 3-D filters of 16x9x9" in text
    assert "4-D shape (256, 16, 9, 9)" in text


def test_explain_shows_uneven_fan_ins() -> None:
    """LeNet-5's C3: fan-ins 3 to 6, mean 60 / 16 = 3.75, a (16, 6, 5, 5) weight masked to 60 kernels."""
    text = cs.explain(cs.Conv(16, 5, connections=zoo.LENET5_C3_TABLE), (6, 14, 14))
    assert "fan-in min 3, max 6, mean 3.75" in text
    assert "4-D shape (16, 6, 5, 5) masked by the table (60 of 96 kernels kept)" in text
    assert "Conv(16, 5, connections=<table of 60 connections>)" in text


# ---------------------------------------------------------------------------
# The 1998 LeNet-5 against the paper's figures (LeCun et al. 1998, section II-B)


def _rows() -> dict[str, cs.Row]:
    report = cs.trace(zoo.lenet5_1998(), (1, 32, 32))
    return {row.name: row for row in report.rows if row.name}


def test_lenet5_1998_rows_are_named_as_in_the_paper() -> None:
    """The named rows are the paper's layers, in order."""
    assert list(_rows()) == ["C1", "S2", "C3", "S4", "C5", "F6", "output"]


def test_c3_table_is_the_papers_table_one() -> None:
    """Table I: 6 maps of 3 contiguous inputs, 6 of 4 contiguous, 3 of 4 others, one of all 6."""
    table = zoo.LENET5_C3_TABLE
    assert [len(t) for t in table] == [3] * 6 + [4] * 9 + [6]
    assert sum(len(t) for t in table) == 60
    # Table I's first row (S2 map 0) marks C3 maps 0, 4, 5, 6, 9, 10, 11, 12, 14, 15
    assert [o for o, t in enumerate(table) if 0 in t] == [0, 4, 5, 6, 9, 10, 11, 12, 14, 15]
    # its last row (S2 map 5) marks C3 maps 3, 4, 5, 8, 9, 10, 11, 13, 14, 15
    assert [o for o, t in enumerate(table) if 5 in t] == [3, 4, 5, 8, 9, 10, 11, 13, 14, 15]


@pytest.mark.parametrize(
    ("name", "shape", "params", "connections"),
    [
        # C1: 6 maps 28x28, 6 x (25 + 1) = 156 params; 156 x 784 positions = 122,304
        ("C1", (6, 28, 28), 156, 122304),
        # S2: 6 x 2 = 12 params; 6 maps x 196 positions x (4 inputs + 1 bias) = 5,880
        ("S2", (6, 14, 14), 12, 5880),
        # C3: 60 kernels x 25 + 16 biases = 1,516 params; 1,516 x 100 positions = 151,600
        ("C3", (16, 10, 10), 1516, 151600),
        # S4: 16 x 2 = 32 params; 16 x 25 positions x (4 + 1) = 2,000
        ("S4", (16, 5, 5), 32, 2000),
        # C5: 120 x (16 x 25 + 1) = 48,120 params; one position, so as many connections
        ("C5", (120, 1, 1), 48120, 48120),
        # F6: 84 x (120 + 1) = 10,164 params and connections
        ("F6", (84,), 10164, 10164),
        # output: 10 RBF units x 84 fixed parameters; 840 multiply-adds, no bias
        ("output", (10,), 840, 840),
    ],
)
def test_lenet5_1998_matches_the_paper(
    name: str, shape: tuple[int, ...], params: int, connections: int
) -> None:
    """Per-layer shapes, parameters and connections as the paper gives them."""
    row = _rows()[name]
    assert (row.output_shape, row.params, row.connections) == (shape, params, connections)


def test_lenet5_1998_totals() -> None:
    """60,000 trainable parameters (the paper's figure); the RBF's 840 are fixed; 340,908 connections."""
    report = cs.trace(zoo.lenet5_1998(), (1, 32, 32))
    # 156 + 12 + 1,516 + 32 + 48,120 + 10,164 = 60,000
    assert report.total_trainable_params == 60000
    assert report.total_params == 60000 + 840
    assert _rows()["output"].trainable_params == 0
    # 122,304 + 5,880 + 151,600 + 2,000 + 48,120 + 10,164 + 840 = 340,908
    assert report.total_connections == 340908


def test_subsample_counts() -> None:
    """Subsample(3, stride=2) on 4@9x9: 4@4x4, 8 params, 4 x 9 taps x 16 MACs, 16 x 4 bias adds."""
    row = cs.trace(cs.Subsample(3, stride=2), (4, 9, 9)).rows[0]
    assert (row.output_shape, row.params, row.kernels, row.macs) == ((4, 4, 4), 8, 0, 576)
    assert row.connections == 576 + 64
    # an unknown size (the spec's own step, as a tracer meets it after an unknown input)
    assert cs.Subsample(2)._effect((3, 4, None), [])[:4] == ((3, 2, None), 6, 0, 0)


def test_euclidean_rbf_checks_its_input() -> None:
    """EuclideanRBF(in_features=84) on 80 features is a located problem; out_features is checked when built."""
    problems = cs.check([cs.EuclideanRBF(10, in_features=84)], (80,))
    assert len(problems) == 1
    assert "in_features is 84" in str(problems[0])
    with pytest.raises(cs.ParameterError, match="EuclideanRBF: out_features"):
        cs.EuclideanRBF(0)


def test_todays_lenet5_is_kept() -> None:
    """The dense LeNet-5 keeps its 61,706 parameters: C3 fully connected (16 x 6 x 25 + 16 = 2,416)."""
    report = cs.trace(zoo.lenet5(), (1, 32, 32))
    assert report.total_params == 61706
    assert report.total_trainable_params == 61706


# ---------------------------------------------------------------------------
# The seed network


def test_seed_table_and_seed_have_the_same_counts() -> None:
    """Both forms of the seed network: 4,096 kernels in layer 3, the same totals."""
    a = cs.trace(zoo.seed_table(), (1, 83, 83))
    b = cs.trace(zoo.seed(), (1, 83, 83))
    assert a.rows[2].kernels == b.rows[2].kernels == 256 * 16
    assert (a.total_params, a.total_macs, a.total_kernels) == (b.total_params, b.total_macs, b.total_kernels)
    table_layer, grouped_layer = a.rows[2].layer, b.rows[2].layer
    assert isinstance(table_layer, cs.Conv)
    assert isinstance(grouped_layer, cs.Conv)
    assert table_layer.connection_table(64) != grouped_layer.connection_table(64)


# ---------------------------------------------------------------------------
# Spec files


def test_an_explicit_table_goes_through_json() -> None:
    """A table is plain data: a list of lists of ints in the document, the same spec when read."""
    network = cs.Sequential(cs.Conv(16, 5, connections=zoo.LENET5_C3_TABLE))
    text = cs.dumps(network, (6, 14, 14))
    assert '"connections"' in text
    loaded, shape = cs.loads(text)
    assert loaded == network
    assert shape == (6, 14, 14)


def test_one_to_one_goes_through_json() -> None:
    """'one_to_one' is a string in the document."""
    network = cs.Sequential(cs.Conv(4, 3, connections="one_to_one"))
    assert cs.loads(cs.dumps(network))[0] == network


@pytest.mark.parametrize("fmt", ["json", "toml"])
def test_a_random_table_and_the_1998_layers_go_through_spec_files(fmt: str) -> None:
    """A RandomTable is written as its rule (fan-in and seed), not its draw; the paper's
    LeNet-5 with its Table I, subsampling and RBF layers reads back equal."""
    network = cs.Sequential(cs.Conv(256, 9, connections=cs.RandomTable(fan_in=16, seed=3)))
    text = cs.dumps(network, format=fmt)
    assert "fan_in" in text
    assert cs.loads(text, format=fmt)[0] == network
    paper = cs.zoo.lenet5_1998()
    assert cs.loads(cs.dumps(paper, format=fmt), format=fmt)[0] == paper
    with pytest.raises(
        cs.SpecError, match=r"layers\[0\]\.connections: a random connection table has 'fan_in'"
    ):
        cs.loads(
            '{"layers": [{"type": "conv", "out_channels": 4, "kernel_size": 1, "connections": {"fanin": 2}}]}'
        )


# ---------------------------------------------------------------------------
# Later additions: checks with a known input, explanations of the 1998 layers, the fast path


def test_a_table_is_checked_when_built_if_in_channels_is_given() -> None:
    """in_channels=3 and a table naming input map 4: refused at once, with the arithmetic."""
    with pytest.raises(cs.ParameterError, match=r"connects output map 1 to input map 4.*\(0 \.\. 2\)"):
        cs.Conv(2, 3, connections=[[0], [4]], in_channels=3)


def test_connection_table_refuses_inputs_that_do_not_fit() -> None:
    """connection_table() raises what a trace would report."""
    with pytest.raises(cs.ShapeError, match="input map 4"):
        cs.Conv(2, 3, connections=[[0], [4]]).connection_table(3)
    with pytest.raises(cs.ShapeError, match="not divisible by groups 2"):
        cs.Conv(4, 3, groups=2).connection_table(3)


def test_explain_shows_the_1998_layers_arithmetic() -> None:
    """S2: 6 maps x 2 = 12 params, 6 x 4 x 196 = 4,704 MACs; the RBF's 84 x 10 = 840 fixed weights."""
    text = cs.trace(zoo.lenet5_1998(), (1, 32, 32)).explain()
    assert "params:  6 maps x (1 coefficient + 1 bias) = 12" in text
    assert "MACs:    6 maps x 4 inputs x 196 output positions = 4,704" in text
    assert "params:  84 x 10 fixed weights (not trained) = 840" in text


def test_only_convolutions_with_a_table_leave_the_fast_path() -> None:
    """A plain Conv keeps its one-window fast path; a Conv with a table is traced the general way."""
    assert cs.Conv(8, 3)._op is not None
    assert cs.Conv(8, 3, connections="full")._op is not None
    assert cs.Conv(8, 3, connections="one_to_one")._op is None

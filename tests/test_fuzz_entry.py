"""Hostile values for the network-level entry points, the Report methods, the spec text
functions, the testing helpers and the command line (issue 14).

trace, check, explain, verify, dumps/loads, the Report's render/to_svg/to_html/memory/to_dict
and the convshape.testing assertions get valid arguments of which some are replaced by hostile
values (see test_fuzz_core): only a ConvShapeError or a TypeError may come out (and, from the
assertion helpers, an AssertionError), its message naming a parameter, within the deadline
and 256 MiB.  The command line gets hostile argument lists: it returns 0, 1 or 2, never lets
an exception out and never prints a traceback, and refuses bad input with status 2.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis", reason="hypothesis is not installed (pip install hypothesis)")
from conftest import FUZZ_EXAMPLES  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from test_fuzz_core import ALLOWED, DEADLINE, Tup, attempt, hostile, huge_ints, names, np  # noqa: E402

import convshape as cs  # noqa: E402
from convshape import testing  # noqa: E402
from convshape.cli import main  # noqa: E402

#: 60 in the normal run, 100,000 in the long one (CONVSHAPE_LONG=1)
EXAMPLES = FUZZ_EXAMPLES

NET: Any = [cs.Conv(4, 3), cs.MaxPool(2)]
#: the library and its testing helpers, for calls that pass the wrong types on purpose
lib: Any = cs
helpers: Any = testing
SHAPE = (3, 12, 12)


def deep_sequential(levels: int) -> cs.Layer:
    layer: cs.Layer = cs.Conv(4, 3)
    for _ in range(levels):
        layer = cs.Sequential(layer)
    return layer


def deep_list(levels: int) -> list[Any]:
    value: list[Any] = [cs.Conv(4, 3)]
    for _ in range(levels):
        value = [value]
    return value


array_values: list[st.SearchStrategy[Any]] = []
if np is not None:
    array_values = [
        st.sampled_from([np.ones((2, 3), dtype=int), np.array(3), np.array([3.0, 12.0, 12.0]), np.array([])]),
        st.floats(allow_nan=True, allow_infinity=True).map(np.float64),
        st.lists(st.integers(-3, 2**70), min_size=1, max_size=4).map(lambda v: np.array(v, dtype=object)),
    ]
shapes = st.one_of(
    hostile,
    st.lists(st.integers(-3, 40), max_size=5).map(tuple),
    st.tuples(st.integers(1, 8), huge_ints),
    st.sampled_from([(3, 10**5000, 12), (3, -(10**5000)), (3, 12.0, 12), (3, float("nan")), (True, 12, 12)]),
    *array_values,
)
networks = st.one_of(
    hostile,
    st.lists(st.one_of(st.sampled_from([cs.Conv(4, 3), cs.MaxPool(2), cs.Identity()]), hostile), max_size=4),
    st.integers(1, 2_000).map(deep_sequential),
    st.integers(1, 2_000).map(deep_list),
    st.sampled_from([cs.Conv, cs.Layer, Tup([cs.Conv(4, 3)]), [[cs.Conv(4, 3)], [None]]]),
)


def check_message(
    err: BaseException | None, replaced: set[str], allowed_places: tuple[str, ...] = ()
) -> None:
    """A TypeError names a replaced parameter (or the place inside it, 'Sequential item 1');
    a ConvShapeError names a parameter, or is a problem located at a layer."""
    if err is None:
        return
    message = str(err)
    assert message
    if names(message, replaced) or any(place in message for place in allowed_places):
        return
    assert isinstance(err, cs.ConvShapeError), (
        f"{type(err).__name__}: {message!r} names none of {sorted(replaced)}"
    )
    assert err.parameter or err.path is not None, f"{message!r} names no parameter"


#: where a bad network is named: the argument, or the entry of a list inside it
NETWORK_PLACES = ("Sequential item", "network")


@settings(max_examples=EXAMPLES, deadline=DEADLINE)
@given(data=st.data(), fn=st.sampled_from([cs.trace, cs.check]))
def test_trace_and_check_refuse_hostile_arguments_by_name(data: st.DataObject, fn: Any) -> None:
    kwargs: dict[str, Any] = {"network": NET, "input_shape": SHAPE, "batch_size": 4, "channels_last": False}
    draws = {"network": networks, "input_shape": shapes, "batch_size": hostile, "channels_last": hostile}
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=2))
    for name in replaced:
        kwargs[name] = data.draw(draws[name], label=name)

    def call(network: Any, input_shape: Any, **options: Any) -> Any:
        return fn(network, input_shape, **options)

    _, err = attempt(call, kwargs)
    check_message(err, replaced, NETWORK_PLACES if "network" in replaced else ())


@settings(max_examples=EXAMPLES, deadline=DEADLINE)
@given(data=st.data())
def test_explain_and_verify_refuse_hostile_arguments_by_name(data: st.DataObject) -> None:
    which = data.draw(st.sampled_from(["explain", "verify"]))
    kwargs: dict[str, Any] = {"network": NET, "input_shape": SHAPE}
    if which == "verify":
        kwargs["model"] = list(NET)
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=2))
    for name in replaced:
        kwargs[name] = data.draw(shapes if name == "input_shape" else networks, label=name)

    def call(network: Any, input_shape: Any, model: Any = None) -> Any:
        if which == "explain":
            return cs.explain(network, input_shape)
        return cs.verify(network, model, input_shape)

    _, err = attempt(call, kwargs)
    check_message(err, replaced | {"spec"}, ("Sequential item", "network", "spec", "model"))


REPORTS = [
    cs.trace(NET, SHAPE),
    cs.trace(cs.zoo.resnet18(), (3, 64, 64), batch_size=2),
    cs.trace([cs.Conv(10**2500, 3), cs.Conv(4, 1)], (10**2000, 10**10, 5), batch_size=10**5000),
]
RENDER_GOOD: dict[str, Any] = {
    "format": "text", "depth": 1, "columns": ["layer", "params", "activations"], "width": 80, "memory": True,
    "batch_size": 3, "dtype": "float16", "picture": False,
}  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=DEADLINE)
@given(data=st.data(), report=st.sampled_from(REPORTS))
def test_report_render_refuses_hostile_options_by_name(data: st.DataObject, report: cs.Report) -> None:
    kwargs = dict(RENDER_GOOD)
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=3))
    for name in replaced:
        kwargs[name] = data.draw(hostile, label=name)

    def call(format: Any, **options: Any) -> Any:
        return report.render(format, **options)

    result, err = attempt(call, kwargs)
    check_message(err, replaced)
    assert err is not None or isinstance(result, str)


@settings(max_examples=EXAMPLES, deadline=DEADLINE)
@given(
    data=st.data(), report=st.sampled_from(REPORTS), method=st.sampled_from(["to_svg", "to_html", "memory"])
)
def test_report_methods_refuse_hostile_options_by_name(
    data: st.DataObject, report: cs.Report, method: str
) -> None:
    good: dict[str, dict[str, Any]] = {
        "to_svg": {"depth": 1},
        "to_html": {"picture": True, "depth": 0},
        "memory": {"batch_size": 2, "dtype": "float32"},
    }
    kwargs = dict(good[method])
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1))
    for name in replaced:
        kwargs[name] = data.draw(hostile, label=name)
    result, err = attempt(getattr(report, method), kwargs)
    check_message(err, replaced)
    if err is None and method == "memory":
        assert "".join(result.lines())


@pytest.mark.parametrize("report", REPORTS, ids=["small", "resnet18", "huge"])
def test_every_view_of_a_report_is_text(report: cs.Report) -> None:
    """A report with counts too long to print in full still renders, each view within the limits."""
    for fn in (
        report.render, report.to_svg, report.to_html, report.explain, report.to_dict, report.__repr__,
        lambda: report.render("markdown", memory=True), lambda: report.render(depth=0, memory=True),
        lambda: "\n".join(report.memory().lines()),
    ):  # fmt: skip
        result, err = attempt(fn, {})
        assert err is None, err
        assert result


@settings(max_examples=EXAMPLES, deadline=DEADLINE)
@given(data=st.data())
def test_dumps_and_loads_refuse_hostile_arguments_by_name(data: st.DataObject) -> None:
    if data.draw(st.booleans(), label="dumps"):
        kwargs: dict[str, Any] = {"network": NET, "input_shape": SHAPE, "format": "toml"}
        draws = {"network": networks, "input_shape": shapes, "format": hostile}
        fn: Any = lambda network, input_shape, format: cs.dumps(network, input_shape, format=format)  # noqa: E731
    else:
        kwargs = {"text": cs.dumps(NET, SHAPE), "format": "json"}
        draws = {"text": st.one_of(hostile, st.text(max_size=50)), "format": hostile}
        fn = lambda text, format: cs.loads(text, format=format)  # noqa: E731
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=2))
    for name in replaced:
        kwargs[name] = data.draw(draws[name], label=name)
    _, err = attempt(fn, kwargs)
    # a document's own problems are named by their place in it ("layers[0].kernel_size", "line 1")
    check_message(err, replaced, ("Sequential item", "document", "layers", "line ", "JSON", "TOML", "input"))


HELPERS: dict[str, tuple[Any, dict[str, Any]]] = {
    "assert_valid": (testing.assert_valid, {"network": NET, "input_shape": SHAPE}),
    "assert_output_shape": (testing.assert_output_shape, {"network": NET, "input_shape": SHAPE, "expected": (4, 5, 5)}),
    "assert_params_at_most": (testing.assert_params_at_most, {"network": NET, "input_shape": SHAPE, "budget": 10**6}),
    "assert_macs_at_most": (testing.assert_macs_at_most, {"network": NET, "input_shape": SHAPE, "budget": 10**6}),
    "assert_memory_at_most": (
        testing.assert_memory_at_most,
        {"network": NET, "input_shape": SHAPE, "budget": 10**6, "batch_size": 2, "dtype": "float32"},
    ),
}  # fmt: skip


@settings(max_examples=EXAMPLES, deadline=DEADLINE)
@given(data=st.data(), helper=st.sampled_from(sorted(HELPERS)))
def test_testing_helpers_refuse_hostile_arguments_by_name(data: st.DataObject, helper: str) -> None:
    """An AssertionError is what they are for (a network that does not trace, a budget exceeded);
    anything else is a ConvShapeError or TypeError naming the argument."""
    fn, good = HELPERS[helper]
    kwargs = dict(good)
    replaced = data.draw(st.sets(st.sampled_from(sorted(kwargs)), min_size=1, max_size=2))
    for name in replaced:
        draw = {"network": networks, "input_shape": shapes}.get(name, hostile)
        kwargs[name] = data.draw(draw, label=name)
    positional = [
        kwargs.pop(name) for name in ("network", "input_shape", "expected", "budget") if name in kwargs
    ]

    def call(**options: Any) -> Any:
        try:
            return fn(*positional, **options)
        except AssertionError as failure:  # what the helpers are for
            return failure

    result, err = attempt(call, kwargs)
    check_message(err, replaced, NETWORK_PLACES if "network" in replaced else ())
    if isinstance(result, AssertionError):
        assert str(result)  # it says why


@pytest.mark.parametrize(
    ("call", "parameter"),
    [
        (lambda: lib.trace(NET, range(1, 10**20)), "input_shape"),
        (lambda: lib.explain(NET, range(1, 10**20)), "input_shape"),
        (lambda: lib.verify(NET, NET, None), "input_shape"),
        (lambda: lib.verify(NET, NET, range(1, 10**20)), "input_shape"),
        (lambda: lib.trace(NET, SHAPE).render(10**5000), "format"),
        (lambda: lib.trace(NET, SHAPE).render(np.array([1, 2])), "format"),
        (lambda: lib.trace(NET, SHAPE).render(memory=np.array([1, 2])), "memory"),
        (lambda: lib.trace(NET, SHAPE).render("html", picture=np.array([1, 2])), "picture"),
        (lambda: lib.trace(NET, SHAPE).render(columns=5), "columns"),
        (lambda: lib.trace(NET, SHAPE).render(columns=iter(["layer"])), "columns"),
        (lambda: lib.dumps(NET, format=10**5000), "format"),
        (lambda: lib.dumps(NET, format=np.array(["json"])), "format"),
        (lambda: lib.dumps(NET, input_shape=10**5000), "input_shape"),
        (lambda: lib.dumps(NET, input_shape=range(1, 10**20)), "input_shape"),
        (lambda: lib.dumps(NET, input_shape=(3, "x")), "input_shape"),
        (lambda: lib.loads("{}", format=10**5000), "format"),
        (lambda: lib.load(None), "path"),
        (lambda: lib.load(10**5000), "path"),
        (lambda: lib.load("net\x00.json"), "read"),
        (lambda: helpers.assert_params_at_most(NET, 10**5000, 5), "input_shape"),
        (lambda: helpers.assert_output_shape(NET, SHAPE, None), "expected"),
        (lambda: helpers.assert_output_shape(NET, SHAPE, range(10**20)), "expected"),
        (lambda: helpers.assert_output_shape(NET, SHAPE, (4, 5.0, 5)), "expected"),
    ],
)
def test_found_by_fuzzing_refused_by_name(call: Any, parameter: str) -> None:
    """Each of these once escaped as a ValueError, OverflowError or AttributeError, or never ended."""
    if np is None:  # pragma: no cover
        pytest.skip("numpy is not installed")
    _, err = attempt(call, {})
    assert isinstance(err, ALLOWED)
    assert names(str(err), {parameter}), str(err)


@pytest.mark.parametrize("levels", [5_000, 20_000])
def test_deeply_nested_lists_trace_like_nested_sequentials(levels: int) -> None:
    """A list nested thousands deep once hit the recursion limit while being made a Sequential."""
    report = cs.trace(deep_list(levels), SHAPE)
    assert report.output_shape == (4, 10, 10)
    assert report.rows[0].path == ".".join(["0"] * (levels + 1))


def test_numpy_integers_act_as_ints_in_report_options() -> None:
    if np is None:  # pragma: no cover
        pytest.skip("numpy is not installed")
    report = cs.trace(NET, SHAPE)
    assert report.render(depth=np.int64(0), width=np.int64(60)) == report.render(depth=0, width=60)
    assert report.memory(np.int64(2)) == report.memory(2)
    assert report.to_svg(depth=np.int16(0)) == report.to_svg(depth=0)


def test_counts_too_long_to_print_are_described_by_length() -> None:
    text = REPORTS[2].render(memory=True)
    assert "-digit integer" in text
    assert "batch a 5,001-digit integer" in text


# ---------------------------------------------------------------------------
# The command line.

SUBCOMMANDS = ["size", "summary", "check", "solve", "zoo"]
OPTIONS = [
    "--input", "--sizes", "--channels-last", "--format", "--explain", "--depth", "--columns", "--width",
    "--memory", "--batch-size", "--dtype", "-k", "-s", "-p", "-d", "--transpose", "--pool", "--ceil",
    "--output-padding", "--max-kernel", "--max-stride", "--max-dilation", "--limit", "--version", "--help",
]  # fmt: skip


@pytest.fixture(scope="module")
def junk_files(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    root = tmp_path_factory.mktemp("junk")
    files = {
        "empty.json": b"",
        "junk.json": b"\x00\xff\xfe not json {[",
        "latin1.toml": "input = [3, 8, 8]\n# caf\xe9\n".encode("latin-1"),
        "deep.json": b"[" * 100_000,
        "big.json": b'{"layers": [' + b'{"type": "identity"},' * 200_000 + b"{}]}",
        "huge.json": b'{"input": [3, 1' + b"0" * 5000 + b'], "layers": [{"type": "conv", "out_channels": 4, "kernel_size": 3}]}',
        "ok.json": cs.dumps(NET, SHAPE).encode(),
        "noshape.toml": cs.dumps(NET, format="toml").encode(),
        "bad.toml": b"[[layers]]\ntype = 'conv'\nkernel_size = -3\nout_channels = 1e400\n",
    }  # fmt: skip
    for name, content in files.items():
        (root / name).write_bytes(content)
    (root / "dir.json").mkdir()
    return [str(root / name) for name in [*files, "dir.json", "missing.json"]] + ["/dev/null", str(root)]


def tokens(files: list[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(SUBCOMMANDS + OPTIONS + list(cs.zoo.NETWORKS) + ["nonet", "json", "svg", "html"]),
        st.sampled_from(files),
        st.integers(-(10**30), 10**30).map(str),
        st.sampled_from(
            [
                "1" * 5000,
                "-" + "9" * 5000,
                "0",
                "-1",
                "3,224,224",
                "3x8x8",
                "3,,8",
                "1,2",
                "nan",
                "inf",
                "a\x00.json",
            ]
        ),
        st.text(max_size=8),
        st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1, max_size=3),
    )


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    out = io.StringIO()
    status = main(argv, out=out)
    captured = capsys.readouterr()
    return status, out.getvalue() + captured.out, captured.err


@settings(
    max_examples=EXAMPLES, deadline=DEADLINE, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_cli_never_lets_an_exception_out(
    data: st.DataObject, junk_files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    start = data.draw(st.sampled_from([*SUBCOMMANDS, ""]), label="command")
    # the 4 MB file at most once: the bound is per call on one input, not on a pile of them
    once = st.lists(tokens(junk_files), max_size=6).filter(
        lambda a: sum(t.endswith("big.json") for t in a) <= 1
    )
    argv = ([start] if start else []) + data.draw(once, label="argv")
    status, out, err = run_cli(argv, capsys)
    assert status in (0, 1, 2), (argv, status)
    assert "Traceback" not in out + err, (argv, err)
    if status == 2:
        assert err.strip(), argv  # a refusal says why
    capsys.readouterr()


@pytest.mark.parametrize(
    "argv",
    [
        ["summary", "nonet"],
        ["summary", "resnet18", "--input", "3," + "9" * 5000],
        ["summary", "resnet18", "--input", "junk"],
        ["summary", "resnet18", "--batch-size", "1" + "0" * 5000, "--memory"],
        ["summary", "resnet18", "--depth", "-1"],
        ["summary", "resnet18", "--width", "3"],
        ["summary", "resnet18", "--columns", "nope"],
        ["summary", "resnet18", "--dtype", "float99", "--memory"],
        ["check", "resnet18", "nonet"],
        ["size", "-5", "-k", "3"],
        ["size", "9" * 5000, "-k", "3"],
        ["solve", "0", "1"],
        ["solve", "10", "5", "--max-kernel", "9" * 5000],
        ["bogus"],
        ["--input"],
        ["summary", "net\x00.json"],
        ["check", "seed", "dir/\x00"],
    ],
)
def test_cli_bad_input_exits_2_in_one_line(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run_cli(argv, capsys)
    assert status == 2, (status, out, err)
    assert "Traceback" not in out + err
    assert err.strip()


@pytest.mark.parametrize("name", ["empty.json", "junk.json", "latin1.toml", "deep.json", "huge.json",
                                  "noshape.toml", "bad.toml", "dir.json", "missing.json"])  # fmt: skip
@pytest.mark.parametrize("command", ["summary", "check"])
def test_cli_bad_files_exit_2_naming_the_file(
    name: str, command: str, junk_files: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = next(f for f in junk_files if f.endswith(name))
    status, out, err = run_cli([command, path], capsys)
    assert status == 2, (status, out, err)
    assert "Traceback" not in out + err
    assert name in err, err


@pytest.mark.parametrize(
    "argv", [["summary", "resnet50"], ["summary", "resnet50", "--format", "json", "--explain"], ["zoo"], []]
)
def test_cli_into_a_closed_pipe_is_quiet(argv: list[str]) -> None:
    """``convshape ... | head -1``: the reader goes away after the first line."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "convshape", *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    err = proc.stderr.read().decode()
    status = proc.wait(timeout=30)
    assert "Traceback" not in err, err
    assert status in (0, 141), (status, err)


@pytest.mark.skipif(sys.platform == "win32", reason="file names there are not bytes")
@pytest.mark.parametrize("encoding", ["utf-8", "ascii:strict"])
def test_cli_writes_undecodable_file_names_whatever_the_encoding(encoding: str, tmp_path: Path) -> None:
    """A file name with bytes that are not UTF-8 (kept by Python as surrogates) once made the
    report line fail with UnicodeEncodeError, a traceback, on a strict standard output."""
    import os

    name = os.fsencode(tmp_path) + b"/\xff.json"
    with open(name, "w") as handle:
        handle.write(cs.dumps(NET, SHAPE))
    proc = subprocess.run(
        [sys.executable, "-m", "convshape", "check", "seed", os.fsdecode(name)],
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONIOENCODING": encoding},
        timeout=60,
    )
    assert b"Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 0, proc.stderr
    assert b"2 networks: 2 ok" in proc.stdout


def test_a_network_nested_100000_deep_is_traced_and_drawn_without_quadratic_work() -> None:
    """The picture once looked up every prefix of every path: over 2 s for 20,000 levels, so
    minutes for 100,000.  Each view must finish far inside a bound that only quadratic work
    reaches (a guard against a hang, not a speed claim: the figures are in benchmarks/)."""
    import time

    network = deep_sequential(100_000)
    report = cs.trace(network, SHAPE)
    for fn in (
        lambda: cs.trace(network, SHAPE), lambda: cs.check(network, SHAPE), report.render, report.to_svg,
        report.to_html, report.to_dict, lambda: report.render(depth=2), lambda: cs.explain(network, SHAPE),
        lambda: cs.verify(network, network, SHAPE),
    ):  # fmt: skip
        start = time.perf_counter()
        assert fn() is not None
        assert time.perf_counter() - start < 60


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX file descriptors")
@pytest.mark.parametrize("closed", [1, 2])
@pytest.mark.parametrize(
    "argv", [["summary", "resnet18"], ["summary", "nonet"], ["check", "seed"], ["bogus"]]
)
def test_cli_with_a_closed_standard_stream_is_quiet(closed: int, argv: list[str]) -> None:
    """Started with standard output closed, Python's sys.stdout is None: the flush once raised
    AttributeError, a traceback; with standard error closed, errors went to standard output."""
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "convshape", *argv],
        capture_output=True,
        cwd=Path(__file__).resolve().parent.parent,
        preexec_fn=lambda: os.close(closed),  # only closes one descriptor
        timeout=60,
    )
    assert b"Traceback" not in proc.stdout + proc.stderr, proc.stderr
    if closed == 1:
        assert proc.returncode == 2
        assert b"convshape: error:" in proc.stderr
    else:
        assert b"error" not in proc.stdout
        assert proc.returncode == (0 if argv[-1] in ("resnet18", "seed") else 2)

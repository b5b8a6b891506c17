"""The convshape command in scripts: several files, JSON everywhere, --version, pipes and full disks."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import convshape as cs
from convshape import Conv, MaxPool, dumps, zoo
from convshape.cli import EXIT_BROKEN_PIPE, main
from convshape.inverse import input_sizes, solve, unsolved_reason

ROOT = Path(__file__).resolve().parents[1]


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


def run_process(*argv: str, stdout: int | None = subprocess.PIPE) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "convshape", *argv],
        cwd=ROOT,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        check=False,
        timeout=60,
    )


# -- check with several files ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("specs", "status"),
    [
        (["seed", "lenet5"], 0),
        (["seed", "unet"], 1),  # unet at 100: 100 -> 50 -> 25 -> 12, upsampled to 24, concat with 25
        (["seed", "nosuchnet", "unet"], 2),  # a bad name outranks problems found in the others
    ],
    ids=["all-ok", "one-with-problems", "one-unreadable"],
)
def test_check_several_networks_exits_with_the_worst_status(
    specs: list[str], status: int, capsys: pytest.CaptureFixture[str]
) -> None:
    """0 if all are fine, 1 if any has problems, 2 if any could not be read; each is still checked."""
    argv = ["check", *specs] + (["--input", "3,100,100"] if "unet" in specs else [])
    got, text = run(*argv)
    assert got == status
    for spec in specs:
        if spec != "nosuchnet":
            assert any(line.startswith(f"{spec}: ") for line in text.splitlines())
    if "nosuchnet" in specs:
        assert "'nosuchnet' is neither" in capsys.readouterr().err


def test_check_names_the_bad_file_and_checks_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed file is named on stderr; the good file after it is still checked."""
    bad = tmp_path / "bad.json"
    bad.write_text('{"input": [1, 8, 8], "layers": [{"type": "conv", "out_channels": 4, "kernel_size": 0}]}')
    good = tmp_path / "good.toml"
    good.write_text(dumps(zoo.lenet5(), (1, 32, 32), format="toml"))
    status, text = run("check", str(bad), str(good))
    assert status == 2
    assert f"{good}: ok: no problems for input (1, 32, 32)" in text
    err = capsys.readouterr().err
    assert str(bad) in err
    assert "kernel_size must be an integer >= 1, got 0" in err


def test_single_check_output_is_unchanged() -> None:
    """One spec: no file-name prefix and no totals line, as before."""
    assert run("check", "lenet5") == (0, "ok: no problems for input (1, 32, 32)\n")


# -- JSON ----------------------------------------------------------------------------------


def test_check_json_lists_each_problem_with_message_path_and_class(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """check --format json: one entry per file, each problem with message, path and error class."""
    status, text = run("check", "unet", "resnet18", "nosuchnet", "--input", "3,100,100", "--format", "json")
    data = json.loads(text)
    assert status == 2
    assert data["ok"] is False
    unet, resnet, missing = data["files"]
    assert unet["input"] == [3, 100, 100]
    # one problem: the concatenation differs on both spatial axes (25 vs 24 rows, 25 vs 24 columns)
    (problem,) = unet["problems"]
    assert problem["error"] == "ShapeError"
    assert problem["where"].startswith(f"layer {problem['path']} ")
    assert problem["path"] == "cat3"
    assert problem["layer"] == "Cat()"
    assert problem["axis"] == [0, 1]
    assert problem["hint"] == "crop, pad or resize the inputs to one size"
    assert "channel concatenation needs equal spatial sizes" in problem["message"]
    assert resnet["ok"] is True
    assert resnet["problems"] == []
    assert missing["error"]["error"] == "UsageError"
    assert "nosuchnet" in missing["error"]["message"]
    assert "nosuchnet" in capsys.readouterr().err


def test_check_json_with_sizes_is_one_document() -> None:
    """check --sizes --format json puts each file's size analysis inside the document."""
    status, text = run("check", "seed", "--sizes", "--format", "json")
    assert status == 0
    (entry,) = json.loads(text)["files"]
    # seed: 83 - 9 + 1 = 75, (75 - 10) / 5 + 1 = 14, 14 - 9 + 1 = 6, (6 - 6) / 4 + 1 = 1; one more
    # output needs 4 more rows before the last pool, 5 x 4 = 20 more at the input: 83 + 20k
    assert [(s["smallest"], s["period"], s["given_tiles"]) for s in entry["sizes"]] == [(83, 20, True)] * 2


def test_summary_json_with_sizes_and_explain_is_one_document() -> None:
    """--sizes and --explain go inside the JSON document; nothing is printed after it."""
    status, text = run("summary", "unet", "--input", "3,64,64", "--format", "json", "--sizes", "--explain")
    assert status == 0
    data = json.loads(text)  # fails if anything follows the document
    first, second = data["sizes"]
    # a depth-4 U-Net halves four times: sizes 16k tile, the smallest is 16, and 64 = 4 x 16
    assert (first["smallest"], first["period"], first["given"], first["given_tiles"]) == (16, 16, 64, True)
    assert second["axis"] == 1
    assert "(64 - 3 + 2*1) / 1 + 1 = 64" in data["explanation"]


def test_failing_summary_in_json_is_a_json_document(capsys: pytest.CaptureFixture[str]) -> None:
    """A network that does not fit: a JSON error document (with the partial report), exit 1."""
    status, text = run("summary", "seed", "--input", "1,64,64", "--format", "json")
    assert status == 1
    data = json.loads(text)
    assert data["ok"] is False
    assert data["error"]["error"] == "ShapeError"
    assert data["error"]["path"] == "3"
    # seed at 64: 64 - 9 + 1 = 56 -> pool (56 - 10) // 5 + 1 = 10 -> conv 10 - 9 + 1 = 2, too small for MaxPool(6)
    assert data["partial"]["rows"][1]["output_shape"] == [64, 10, 10]
    assert "layer 3" in capsys.readouterr().err


def test_bad_spec_in_json_is_a_json_document() -> None:
    """An unknown network with --format json is a JSON error document too, exit 2."""
    status, text = run("summary", "nosuchnet", "--format", "json")
    assert status == 2
    assert "nosuchnet" in json.loads(text)["error"]["message"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "seed", "--format", "html", "--explain"], "--explain works with --format text or json"),
        (["summary", "seed", "--format", "svg", "--explain"], "--explain works with --format text or json"),
        (
            ["summary", "seed", "--format", "svg", "--sizes"],
            "--sizes works with --format text, markdown or json",
        ),
        (["solve", "224", "112", "--limit", "-1"], "argument --limit: must be an integer >= 1, got -1"),
        (["solve", "224", "112", "--limit", "0"], "argument --limit: must be an integer >= 1, got 0"),
        (
            ["solve", "224", "112", "--max-stride", "0"],
            "argument --max-stride: must be an integer >= 1, got 0",
        ),
        (
            ["solve", "224", "112", "--max-kernel", "-3"],
            "argument --max-kernel: must be an integer >= 1, got -3",
        ),
        (["solve", "0", "112"], "argument IN: must be an integer >= 1, got 0"),
        (["solve", "224", "112", "-p", "-1"], "padding must be an integer >= 0, got -1"),
        (["solve", "224", "1", "--max-kernel", str(10**18)], "above the limit of 1,000,000"),
    ],
)
def test_refused_options_exit_2_with_one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Options that cannot be honoured are refused, not silently ignored."""
    assert run(*argv)[0] == 2
    err = capsys.readouterr().err
    assert message in err
    assert "Traceback" not in err


def test_version() -> None:
    """--version prints the package version."""
    assert run("--version") == (0, f"convshape {cs.__version__}\n")
    done = run_process("--version")
    assert (done.returncode, done.stdout) == (0, f"convshape {cs.__version__}\n")


# -- the state of standard output -------------------------------------------------------------


def test_closed_pipe_ends_quietly() -> None:
    """A reader that goes away (`| head -1`) ends the command with status 141 and nothing on stderr."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "convshape", "summary", "resnet50", "--format", "svg"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()  # before the child writes: its first flush meets a closed pipe
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == EXIT_BROKEN_PIPE
    assert err == ""


def test_pipe_into_head_has_no_traceback() -> None:
    """`convshape summary resnet50 | head -1` prints one line and no error, whatever the timing."""
    done = subprocess.run(
        f"{sys.executable} -m convshape summary resnet50 | head -1",
        shell=True,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.stdout == "convshape report: input (3, 224, 224) -> output (1000,)\n"
    assert done.stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full on this system")
@pytest.mark.parametrize("argv", [["summary", "resnet50"], ["zoo"], ["--version"]])
def test_full_disk_is_one_line_and_status_2(argv: list[str]) -> None:
    """Writing to a full device: one error line, exit 2, no traceback."""
    with open("/dev/full", "w") as full:
        done = run_process(*argv, stdout=full.fileno())
    assert done.returncode == 2
    assert done.stderr == "convshape: error: cannot write the output: No space left on device\n"


# -- solve's bounds ---------------------------------------------------------------------------


def test_huge_stride_bound_is_instant_and_changes_nothing() -> None:
    """max_stride=10**18 skips strides that cannot reach the output: same answer, at once."""
    start = time.perf_counter()
    huge = solve(224, 112, max_stride=10**18)
    assert time.perf_counter() - start < 5
    # 112 outputs from 224 need (112 - 1) * s <= 224 + 41 - 2, so s <= 2: the default bound 8 sees them all;
    # stride 1 would need extent - padding = 224 - 111 = 113, beyond any kernel up to 4 * (11 - 1) + 1 = 41
    assert huge == solve(224, 112)
    assert {s.stride for s in huge} == {2}


@pytest.mark.parametrize(
    ("bounds", "error", "message"),
    [
        ({"max_kernel": 0}, cs.ParameterError, "max_kernel must be an integer >= 1, got 0"),
        ({"max_stride": -5}, cs.ParameterError, "max_stride must be an integer >= 1, got -5"),
        ({"max_dilation": True}, TypeError, "max_dilation must be an int, got bool True"),
        ({"max_kernel": 10**18}, cs.ParameterError, "lower max_kernel, max_stride or max_dilation"),
    ],
)
def test_solve_bounds_are_validated_up_front(
    bounds: dict[str, int], error: type[Exception], message: str
) -> None:
    """Each bound is an int >= 1, named in the error; too wide a search is refused before it starts."""
    with pytest.raises(error, match=message):
        solve(16000, 3981, **bounds)  # type: ignore[arg-type]


def test_no_solution_names_the_bound_that_hides_one() -> None:
    """16000 -> 3981 needs a 77-wide kernel at stride 4: the message says to raise max_kernel."""
    assert solve(16000, 3981) == []
    reason = unsolved_reason(16000, 3981)
    assert "kernel_size <= 11 (max_kernel)" in reason
    assert "kernel_size=77, stride=4 does: raise max_kernel to 77" in reason
    # by hand: (16000 - 77) // 4 + 1 = 3980 + 1 = 3981, and 76 gives (16000 - 76 + P) // 4 + 1 >= 3982
    assert cs.conv_output_size(16000, 77, 4, 0) == 3981
    assert solve(16000, 3981, kernel_size=76, stride=4, dilation=1) == []
    status, text = run("solve", "16000", "3981", "--max-kernel", "77", "-s", "4", "-d", "1")
    assert status == 0
    assert "kernel_size=77, stride=4, padding=0, dilation=1" in text
    status, text = run("solve", "16000", "3981")
    assert status == 1
    assert "(--max-kernel 77)" in text


def test_no_solution_can_name_the_stride_bound() -> None:
    """100 -> 2 with a kernel of 1 needs stride >= 50 (at 49: (100 - 1) // 49 + 1 = 3)."""
    reason = unsolved_reason(100, 2, kernel_size=None)
    assert "raise max_stride" in reason
    stride = int(reason.split("--max-stride ")[1].rstrip(")"))
    assert 50 <= stride <= 99
    assert cs.conv_output_size(100, 1, stride, 0) == 2


# -- input_sizes ------------------------------------------------------------------------------


def test_input_sizes_of_one_second_of_audio() -> None:
    """A 1-D network on (1, 16000): fast, and 16000 itself is checked for tiling."""
    net = [Conv(16, 10, stride=5), Conv(16, 3, stride=2), Conv(16, 2, stride=2)]
    start = time.perf_counter()
    sizes = input_sizes(net, (1, 16000))
    assert time.perf_counter() - start < 5
    # 16000 -> (16000 - 10) / 5 + 1 = 3199 -> (3199 - 3) / 2 + 1 = 1599 -> (1599 - 2) / 2 + 1 = 799.5: not exact
    assert (sizes.given, sizes.given_tiles) == (16000, False)
    # backwards from m outputs: (m - 1) * 2 + 2 = 2m, (2m - 1) * 2 + 3 = 4m + 1, 4m * 5 + 10 = 20m + 10
    assert (sizes.smallest, sizes.exact[:3], sizes.period) == (30, (30, 50, 70), 20)
    assert input_sizes(net, (1, 15990)).given_tiles is True  # 15990 = 20 * 799 + 10


def test_input_sizes_huge_limit_is_bounded() -> None:
    """A limit of 10**18 is cut to max_traces before any work; the answer says where it stopped."""
    sizes = input_sizes([MaxPool(2)], (1, 10**6), limit=10**18, max_traces=64)
    assert sizes.limit == 64
    assert sizes.exact == tuple(range(2, 65, 2))
    assert sizes.given_tiles is True  # 10**6 is even


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"input_shape": 8}, TypeError, "input_shape must be a sequence of ints like"),
        ({"input_shape": (1, 8.0)}, TypeError, r"input_shape\[1\] must be an int, got float 8.0"),
        ({"input_shape": (1, 8), "max_traces": 0}, cs.ParameterError, "max_traces must be an integer >= 1"),
        ({"input_shape": (1, 8), "limit": -1}, cs.ParameterError, "limit must be an integer >= 1, got -1"),
    ],
)
def test_input_sizes_argument_errors(kwargs: dict[str, object], error: type[Exception], message: str) -> None:
    """Wrong types name the parameter; bounds are checked before any trace."""
    with pytest.raises(error, match=message):
        input_sizes([MaxPool(2)], **kwargs)  # type: ignore[arg-type]


def test_summary_depth_collapses_blocks_into_their_totals() -> None:
    """--depth 0: one row per top-level layer of ResNet-18, each block's params summed."""
    net = zoo.resnet18()
    status, text = run("summary", "resnet18", "--depth", "0", "--columns", "layer,params", "--width", "100")
    assert status == 0
    rules = [i for i, line in enumerate(text.splitlines()) if line and set(line) == {"-"}]
    lines = text.splitlines()[rules[1] + 1 : rules[2]]  # between the header's rule and the totals'
    assert len(lines) == len(net.layers)
    full = cs.trace(net, (3, 224, 224))
    layer4 = sum(row.params for row in full.rows if row.path.startswith("7."))
    assert lines[7].split()[-1] == f"{layer4:,}"


def test_summary_columns_and_a_bad_column() -> None:
    status, text = run("summary", "seed", "--columns", "layer,input_shape,params")
    assert status == 0
    assert text.splitlines()[2].split() == ["Layer", "Input", "shape", "Params"]
    assert run("summary", "seed", "--columns", "layer,nope")[0] == 2


def test_summary_memory_in_text_and_json() -> None:
    """The seed at batch 8, float16: parameter bytes are params x 2, input bytes 83 x 83 x 8 x 2."""
    status, text = run("summary", "seed", "--memory", "--batch-size", "8", "--dtype", "float16")
    assert status == 0
    assert "Memory (batch 8, float16" in text
    status, out = run(
        "summary", "seed", "--memory", "--batch-size", "8", "--dtype", "float16", "--format", "json"
    )
    memory = json.loads(out)["memory"]
    params = 64 * 81 + 64 + 256 * 16 * 81 + 256 + 256 * 101 + 101
    assert (memory["params"], memory["params_bytes"]) == (params, params * 2)
    assert memory["input_bytes"] == 83 * 83 * 8 * 2
    assert memory["total_bytes"] == memory["input_bytes"] + memory["forward_backward_bytes"] + params * 2
    assert run("summary", "seed", "--memory", "--dtype", "float7")[0] == 2


# -- the given size: accepted or not, and the nearest accepted sizes ----------------------------

#: the identity and a pool-then-upsample branch agree only on even sizes
EVEN_ONLY = cs.Concat(cs.Identity(), cs.Sequential(MaxPool(2), cs.Upsample(scale_factor=2)))


def test_input_sizes_names_the_nearest_accepted_sizes() -> None:
    sizes = input_sizes(EVEN_ONLY, (1, 9), limit=20)
    assert sizes.given_tiles is None
    assert (sizes.nearest_below, sizes.nearest_above) == (8, 10)
    assert sizes.given_text() == "the given size 9 is not accepted; the nearest accepted sizes are 8 and 10"
    one = input_sizes(EVEN_ONLY, (1, 1), limit=20)
    assert (one.nearest_below, one.nearest_above) == (None, 2)
    assert one.given_text().endswith("the nearest accepted size is 2 (none found below)")
    accepted = input_sizes(EVEN_ONLY, (1, 8), limit=20)
    assert (accepted.given_tiles, accepted.nearest_below, accepted.nearest_above) == (True, None, None)


def test_nearest_sizes_beyond_the_scan_are_traced() -> None:
    """A given size far above the limit is searched from itself, not from the scan."""
    sizes = input_sizes(EVEN_ONLY, (1, 10**6 + 1), limit=64, max_traces=64)
    assert sizes.limit == 64
    assert (sizes.nearest_below, sizes.nearest_above) == (10**6, 10**6 + 2)
    # a depth-4 U-Net accepts multiples of 16 on an axis, the other held at 96 (a multiple of 16)
    unet = input_sizes(zoo.unet(), (3, 5000, 96))
    assert (unet.nearest_below, unet.nearest_above) == (16 * 312, 16 * 313)


def test_an_axis_that_cannot_fix_the_input_says_so() -> None:
    sizes = input_sizes(zoo.unet(), (3, 100, 96), axis=1, limit=64)
    assert sizes.smallest is None
    assert sizes.given_text() == (
        "the given input is not accepted, and no size on axis 1 is accepted with the other axes as given"
    )


def test_square_neighbours_vary_every_axis_at_once() -> None:
    from convshape.inverse import square_neighbours

    assert square_neighbours(zoo.unet(), (3, 100, 100)) == (96, 112)
    assert square_neighbours(zoo.unet(), (3, 8, 8)) == (None, 16)
    with pytest.raises(cs.ParameterError, match="spatial axes all of one size"):
        square_neighbours(zoo.unet(), (3, 100, 96))


def test_check_sizes_states_whether_the_given_size_is_accepted() -> None:
    status, text = run("check", "unet", "--input", "3,100,96", "--sizes")
    assert status == 1
    assert "the given size 100 is not accepted; the nearest accepted sizes are 96 and 112" in text
    status, text = run("check", "unet", "--input", "3,100,96", "--sizes", "--format", "json")
    first = json.loads(text)["files"][0]["sizes"][0]
    assert (first["given"], first["given_accepted"], first["nearest_below"], first["nearest_above"]) == (
        100,
        False,
        96,
        112,
    )
    status, text = run("check", "unet", "--input", "3,96,96", "--sizes", "--format", "json")
    entry = json.loads(text)["files"][0]
    assert [s["given_accepted"] for s in entry["sizes"]] == [True, True]
    assert "square" not in entry


def test_failing_summary_with_sizes_names_the_nearest_square_sizes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """At 100x100 no single axis helps; one size on both axes does: 96 or 112."""
    status, text = run("summary", "unet", "--input", "3,100,100", "--sizes")
    assert status == 1
    assert text.rstrip().splitlines()[-1] == (
        "every spatial axis at one size: the given size 100 is not accepted; the nearest accepted sizes are 96 and 112"
    )
    assert "layer cat3 (Cat())" in capsys.readouterr().err
    status, text = run("summary", "unet", "--input", "3,100,100", "--sizes", "--format", "json")
    assert status == 1
    data = json.loads(text)
    assert (data["square"]["nearest_below"], data["square"]["nearest_above"]) == (96, 112)
    assert [s["given_accepted"] for s in data["sizes"]] == [False, False]

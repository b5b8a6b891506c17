"""The convshape command: every subcommand, formats, exit statuses, no tracebacks."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from convshape import dumps, zoo
from convshape.cli import main


def run(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    status = main(list(argv), out=out)
    return status, out.getvalue()


def test_no_arguments_answers_the_seed_question() -> None:
    """`convshape` prints the seed report, the 64 and 4096 kernel reasoning, and points at --help."""
    status, text = run()
    assert status == 0
    assert "(256, 6, 6)" in text
    assert "64 x 256 = 16,384 kernels" in text
    assert "256 x 16 = 4,096 kernels" in text
    assert "convshape --help" in text


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["size", "227", "-k", "11", "-s", "4"], "conv: (227 - 11) / 4 + 1 = 55"),
        (["size", "224", "-k", "7", "-s", "2", "-p", "3"], "conv: (224 - 7 + 2*3) / 2 + 1 = 112.5 -> 112"),
        (["size", "10", "-k", "3", "-s", "2"], "4.5 -> 4: 1 input position is never covered"),
        (["size", "10", "-k", "3", "-s", "2", "-p", "same"], "(padding 'same' adds 0 before, 1 after)"),
        (
            ["size", "112", "-k", "3", "-s", "2", "--pool", "--ceil"],
            "pool: (112 - 3) / 2 + 1 = 55.5 -> 56 (ceil)",
        ),
        (["size", "75", "-k", "10", "--pool", "-s", "5"], "pool: (75 - 10) / 5 + 1 = 14"),
        (
            ["size", "5", "-k", "3", "-s", "2", "-p", "1", "--transpose", "--output-padding", "1"],
            "transposed conv: (5 - 1) x 2 - 1 - 1 + 3 + 1 = 10",
        ),
    ],
)
def test_size_shows_the_arithmetic(argv: list[str], expected: str) -> None:
    """`convshape size` prints the output size with the numbers substituted."""
    status, text = run(*argv)
    assert status == 0
    assert expected in text


def test_summary_formats() -> None:
    """summary prints text, markdown, JSON, HTML and SVG for a zoo name."""
    assert "Total params:  25,557,032" in run("summary", "resnet50")[1]
    assert run("summary", "seed", "--format", "markdown")[1].count("\n|") >= 7
    data = json.loads(run("summary", "seed", "--format", "json")[1])
    assert data["total_kernels"] == 4160
    assert run("summary", "seed", "--format", "html")[1].startswith('<div class="convshape-report">')
    assert run("summary", "seed", "--format", "svg")[1].startswith("<svg")
    explained = run("summary", "seed", "--explain")[1]
    assert "256 output maps x 16 input maps each (groups=4) = 4,096 kernels of 9x9" in explained


def test_summary_and_check_read_spec_files(tmp_path: Path) -> None:
    """A spec file's own input shape is used unless --input overrides it; check exits 1 on problems."""
    path = tmp_path / "net.toml"
    path.write_text(dumps(zoo.unet(), (3, 64, 64), format="toml"))
    assert "(2, 64, 64)" in run("summary", str(path))[1]
    assert run("check", str(path)) == (0, "ok: no problems for input (3, 64, 64)\n")
    status, text = run("check", str(path), "--input", "3,100,100")
    assert status == 1
    assert "channel concatenation needs equal spatial sizes" in text
    assert text.rstrip().endswith("1 problem for input (3, 100, 100)")


def test_sizes_flag_reports_the_tiling() -> None:
    """--sizes adds the smallest accepted input and the exact tiling period."""
    text = run("check", "unet", "--input", "3,64,64", "--sizes")[1]
    assert "spatial axis 0: smallest accepted size 16; every layer tiles exactly at 16 + 16k" in text


def test_solve_and_zoo() -> None:
    """solve lists solutions best first; zoo lists every reference network."""
    status, text = run("solve", "224", "112", "-k", "3")
    assert status == 0
    assert text.splitlines()[1].strip() == "kernel_size=3, stride=2, padding=1, dilation=1"
    assert run("solve", "5", "50", "-k", "1", "-s", "1")[0] == 1
    listing = run("zoo")[1]
    assert [line.split()[0] for line in listing.splitlines()] == list(zoo.NETWORKS)


def test_failing_network_prints_the_rows_up_to_the_failure(capsys: pytest.CaptureFixture[str]) -> None:
    """summary of a network that does not fit exits 1 with the partial table and the error."""
    status, text = run("summary", "seed", "--input", "1,64,64")
    assert status == 1
    assert "(64, 10, 10)" in text
    assert "layer 3 'layer4' (MaxPool(6, stride=4))" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary", "nosuchnet"], "'nosuchnet' is neither a .json/.toml file nor a zoo network"),
        (["summary", "missing.json"], "cannot read 'missing.json'"),
        (["summary", "seed", "--input", "1,x"], "--input must look like 3,224,224"),
        (["size", "4", "-k", "5"], "the kernel extent 5"),
        (["size", "10", "-k", "3", "--output-padding", "1"], "--output-padding goes with --transpose"),
        (["size", "10"], "the following arguments are required: -k/--kernel-size"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_usage_exits_2_with_one_clear_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad arguments and files give a message on stderr and exit status 2, never a traceback."""
    status, _ = run(*argv)
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert "Traceback" not in err


def test_bad_file_contents_are_reported_with_location(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A malformed spec file: exit 2 and the file and place in the message."""
    path = tmp_path / "bad.json"
    path.write_text('{"input": [3, 8, 8], "layers": [{"type": "conv", "out_channels": 4, "kernel_size": 0}]}')
    assert run("summary", str(path))[0] == 2
    assert "layers[0].kernel_size: kernel_size must be an integer >= 1, got 0" in capsys.readouterr().err


def test_python_dash_m_runs_without_traceback() -> None:
    """`python -m convshape` works in a fresh process, and bad usage exits 2 there too."""
    ok = subprocess.run([sys.executable, "-m", "convshape"], capture_output=True, text=True, check=False)
    assert ok.returncode == 0
    assert "4,096 kernels" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "convshape", "size", "x"], capture_output=True, text=True, check=False
    )
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr


def test_console_script_is_installed() -> None:
    """The `convshape` console script exists where the package is installed (skipped when run from source)."""
    exe = shutil.which("convshape", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("the convshape console script is not installed next to this interpreter")
    done = subprocess.run([exe, "zoo"], capture_output=True, text=True, check=False)
    assert done.returncode == 0
    assert "resnet50" in done.stdout


def test_failing_network_with_explain_prints_the_partial_explanation(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--explain on a network that does not fit: the layers before the failure, the failure, exit 1."""
    status, text = run("summary", "seed", "--input", "1,64,64", "--explain")
    assert status == 1
    assert "rows:    (56 - 10) / 5 + 1 = 10.2 -> 10" in text
    assert (
        "failed at layer 3 'layer4' (MaxPool(6, stride=4)), axes 0, 1, kernel_size, which receives (256, 2, 2):"
        in text
    )
    assert text.rstrip().endswith("fix:     use a smaller window, or an input of at least 6")
    assert "layer 3 'layer4'" in capsys.readouterr().err


def test_failing_network_with_explain_in_json_carries_the_explanation() -> None:
    status, text = run("summary", "seed", "--input", "1,64,64", "--explain", "--format", "json")
    assert status == 1
    data = json.loads(text)
    assert data["ok"] is False
    assert data["explanation"].startswith("layer 0 'layer1': Conv(64, 9)  (1, 64, 64) -> (64, 56, 56)")
    assert "failed at layer 3 'layer4'" in data["explanation"]

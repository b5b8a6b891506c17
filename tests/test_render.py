"""Summaries: memory estimates, buffers, and the rendering options shared by text, Markdown and HTML."""

from __future__ import annotations

import dataclasses
import re
import sys
import types

import pytest

import convshape as cs
from convshape import zoo
from convshape.render import COLUMNS, Memory
from convshape.render import lines as render_lines


def _resnet18() -> cs.Report:
    return cs.trace(zoo.resnet18(), (3, 224, 224))


def _unet() -> cs.Report:
    build, shape = zoo.NETWORKS["unet"]
    return cs.trace(build(), shape)


# ---------------------------------------------------------------- memory


def test_memory_of_one_conv_by_hand() -> None:
    """Conv(8, 3) on 1x10x10, batch 2, float32: every field from the arithmetic."""
    m = cs.trace(cs.Conv(8, 3), (1, 10, 10)).memory(batch_size=2)
    assert isinstance(m, Memory)
    assert m.params == 8 * 1 * 9 + 8  # 80 weights and biases
    assert m.params_bytes == 80 * 4
    assert m.input_bytes == 1 * 10 * 10 * 2 * 4  # 800
    assert m.forward_backward_bytes == 2 * (8 * 8 * 8) * 2 * 4  # output 8x8x8, x2 for gradients: 8192
    assert m.activation_bytes == 8 * 8 * 8 * 2 * 4
    assert m.total_bytes == 800 + 8192 + 320
    assert m.buffers == m.buffers_bytes == 0


@pytest.mark.parametrize(
    ("dtype", "size"),
    [("float32", 4), ("float16", 2), ("bfloat16", 2), ("float64", 8), ("int8", 1)],
)
def test_memory_scales_with_the_dtype(dtype: str, size: int) -> None:
    """Each byte count is elements x the dtype's size."""
    m = cs.trace([cs.Conv(8, 3), cs.BatchNorm()], (1, 10, 10)).memory(dtype=dtype)
    assert m.dtype_bytes == size
    assert m.params_bytes == (80 + 16) * size  # conv 80, BatchNorm 2 x 8
    assert m.buffers_bytes == (2 * 8 + 1) * size
    assert m.input_bytes == 100 * size
    assert m.forward_backward_bytes == 2 * (512 + 512) * size  # conv and BatchNorm outputs


def test_memory_counts_only_rows_with_parameters_in_the_pass_size() -> None:
    """A ReLU or pooling output is not in the forward/backward size (torchinfo's rule), but is in activations."""
    m = cs.trace([cs.Conv(4, 3), cs.Activation("relu"), cs.MaxPool(2)], (1, 6, 6)).memory()
    assert m.forward_backward_bytes == 2 * (4 * 4 * 4) * 4  # only the conv's 4x4x4 output
    assert m.activation_bytes == (64 + 64 + 4 * 2 * 2) * 4


def test_memory_is_frozen() -> None:
    """The result cannot be changed after the fact."""
    m = cs.trace(cs.Conv(8, 3), (1, 10, 10)).memory()
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.batch_size = 3  # type: ignore[misc]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"dtype": "float8"}, cs.ConvShapeError, "dtype must be one of bfloat16, float16, float32"),
        ({"dtype": 4}, TypeError, "dtype must be a str"),
        ({"batch_size": 0}, cs.ConvShapeError, "batch_size"),
        ({"batch_size": True}, TypeError, "batch_size must be an int"),
    ],
    ids=["unknown-dtype", "dtype-type", "batch-zero", "batch-bool"],
)
def test_memory_rejects_bad_arguments(
    kwargs: dict[str, object], error: type[Exception], message: str
) -> None:
    """Bad dtypes and batch sizes are refused with a message naming the value."""
    report = cs.trace(cs.Conv(8, 3), (1, 10, 10))
    with pytest.raises(error, match=re.escape(message)):
        report.memory(**kwargs)  # type: ignore[arg-type]


MODELS = {
    "seed": (zoo.seed, (1, 83, 83)),
    "resnet18": (zoo.resnet18, (3, 64, 64)),
    "unet": (lambda: zoo.unet(base=8, depth=2), (3, 32, 32)),
    "mobilenet_v2": (zoo.mobilenet_v2, (3, 64, 64)),
}


@pytest.mark.parametrize("name", sorted(MODELS))
def test_memory_agrees_with_torchinfo(name: str, torch_tools: types.SimpleNamespace) -> None:
    """Input, forward/backward pass and params sizes equal torchinfo.summary's on the PyTorch rebuild."""
    torch = pytest.importorskip("torch")
    torchinfo = pytest.importorskip("torchinfo", reason="torchinfo is not installed (pip install torchinfo)")
    build, shape = MODELS[name]
    network = build()
    model, _ = torch_tools.to_torch(network, len(shape) - 1)
    batch = 3
    with torch.no_grad():
        model.eval()(torch.zeros(1, *shape))  # materialise the lazy layers
    stats = torchinfo.summary(model, input_size=(batch, *shape), verbose=0)
    m = cs.trace(network, shape).memory(batch_size=batch)
    # torchinfo measures the input with sys.getsizeof of the tensor's storage, which adds the
    # storage object's own constant overhead; convshape counts elements x bytes, as tensor.nbytes does
    x = torch.zeros(batch, *shape)
    overhead = sys.getsizeof(torch.zeros(0).untyped_storage())
    assert m.input_bytes is not None
    assert m.input_bytes == x.nbytes
    assert stats.total_input == m.input_bytes + overhead
    assert m.forward_backward_bytes == stats.total_output_bytes
    assert m.params_bytes == stats.total_param_bytes
    assert m.params == stats.total_params
    assert m.total_bytes == stats.total_input - overhead + stats.total_output_bytes + stats.total_param_bytes
    # buffers: BatchNorm's running mean, running variance and num_batches_tracked
    assert m.buffers == sum(b.numel() for b in model.buffers())


# ---------------------------------------------------------------- buffers


def test_batchnorm_buffers_by_hand() -> None:
    """BatchNorm over 64 channels holds 64 means, 64 variances and one batch counter."""
    report = cs.trace([cs.Conv(64, 3), cs.BatchNorm(), cs.BatchNorm(affine=False)], (3, 8, 8))
    assert [row.buffers for row in report.rows] == [0, 129, 129]
    assert report.total_buffers == 258


def test_resnet18_buffers() -> None:
    """ResNet-18 has 20 BatchNorms over 4,800 channels in all: 2 x 4,800 + 20 buffers."""
    # channels: stem 64; layer1 4 x 64; layer2 4 x 128 + 128 (projection); layer3 4 x 256 + 256;
    # layer4 4 x 512 + 512 = 64 + 256 + 640 + 1280 + 2560 = 4,800, over 1 + 4 + 5 + 5 + 5 = 20 layers
    assert _resnet18().total_buffers == 2 * 4800 + 20


def test_to_dict_has_buffers() -> None:
    """The JSON form carries each row's buffers and the total."""
    d = cs.trace([cs.BatchNorm()], (16, 4, 4)).to_dict()
    assert d["total_buffers"] == 33
    assert d["rows"][0]["buffers"] == 33


# ---------------------------------------------------------------- rendering options


def _table_lines(text: str) -> list[str]:
    """The text table's body: the lines between the second and third rules."""
    lines = text.splitlines()
    rules = [i for i, line in enumerate(lines) if line and set(line) == {"-"}]
    return lines[rules[1] + 1 : rules[2]]


def test_str_is_unchanged_and_full_width() -> None:
    """str(report) keeps every full path (no truncation), as before."""
    report = _unet()
    text = str(report)
    assert all(row.path in text for row in report.rows)
    assert "\u2026" not in text


@pytest.mark.parametrize("name", ["resnet18", "unet", "resnet50", "mobilenet_v2"])
def test_text_fits_100_columns(name: str) -> None:
    """With width=100 every line fits, and the table keeps one line per row."""
    build, shape = zoo.NETWORKS[name]
    report = cs.trace(build(), shape)
    text = report.render(width=100)
    assert max(len(line) for line in text.splitlines()) <= 100
    assert len(_table_lines(text)) == len(report.rows)


def _nested_concats(depth: int) -> cs.Sequential:
    """A U-Net written with nested Concat containers: paths grow by three components a level."""
    inner: cs.Layer = cs.Conv(8, 3, padding=1)
    for _ in range(depth):
        down = cs.Sequential(cs.MaxPool(2), inner, cs.ConvTranspose(8, 2, stride=2))
        inner = cs.Sequential(cs.Conv(8, 3, padding=1), cs.Concat(cs.Identity(), down), cs.Conv(8, 1))
    return cs.Sequential(inner)


def test_long_paths_keep_their_end() -> None:
    """Deep paths are shortened from the left, so the last components stay readable."""
    report = cs.trace(_nested_concats(8), (3, 256, 256))
    lines = _table_lines(report.render(width=100))
    deepest = max(report.rows, key=lambda r: len(r.path))
    line = lines[report.rows.index(deepest)]
    assert line.startswith("\u2026")
    assert deepest.path.endswith(line.split()[0][1:])


def test_default_width_follows_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """render() reads the terminal width (COLUMNS here) when width is not given."""
    monkeypatch.setenv("COLUMNS", "80")
    text = _resnet18().render()
    assert max(len(line) for line in text.splitlines()) <= 80


def test_columns_choose_what_is_shown() -> None:
    """An input-shape column, and only the chosen columns, in the given order."""
    report = cs.trace([cs.Conv(4, 3), cs.BatchNorm()], (1, 6, 6))
    text = report.render(columns=["layer", "input_shape", "output_shape", "params", "buffers"], width=200)
    header = text.splitlines()[2]
    first, second = _table_lines(text)
    assert header.split() == ["Layer", "Input", "shape", "Output", "shape", "Params", "Buffers"]
    assert first.split() == ["0", "(1,", "6,", "6)", "(4,", "4,", "4)", "40", "-"]  # 4 x 9 + 4
    assert second.split() == ["1", "(4,", "4,", "4)", "(4,", "4,", "4)", "8", "9"]  # 2 x 4; 2 x 4 + 1


def test_activations_column_in_bytes() -> None:
    """The activations column is output elements x dtype bytes, per sample."""
    report = cs.trace([cs.Conv(4, 3)], (1, 6, 6))
    (line,) = _table_lines(report.render(columns=["layer", "activations"], dtype="float16", width=200))
    assert line.split() == ["0", "128"]  # 4 x 4 x 4 elements x 2 bytes


@pytest.mark.parametrize(
    ("columns", "error"),
    [(["layer", "colour"], cs.ConvShapeError), ([], cs.ConvShapeError), ("params", TypeError)],
    ids=["unknown", "empty", "string"],
)
def test_bad_columns_are_refused(columns: object, error: type[Exception]) -> None:
    """Unknown names, an empty selection or a bare string are errors naming the choices."""
    with pytest.raises(error, match="columns must be"):
        _resnet18().render(columns=columns)  # type: ignore[arg-type]


def test_unknown_format_is_refused() -> None:
    """Only text, markdown and html are renderings."""
    with pytest.raises(cs.ConvShapeError, match="format must be 'text', 'markdown' or 'html', got 'pdf'"):
        _resnet18().render("pdf")


def test_depth_zero_gives_one_line_per_top_level_layer() -> None:
    """ResNet-18 at depth 0: its 11 top-level layers, each stage summed."""
    report = _resnet18()
    lines = _table_lines(report.render(depth=0, width=200))
    assert len(lines) == len(zoo.resnet18().layers) == 11  # stem 4, stages 4, pool, flatten, fc
    stage1 = lines[4].split()
    # layer1: 2 blocks x (2 convs 64x64x3x3 = 36,864 + 2 BatchNorms 128)
    assert stage1[0] == "4"
    assert "147,968" in stage1  # 2 x (2 x 36,864 + 2 x 128)
    assert "(64," in stage1
    assert "56)" in stage1


def test_depth_collapsed_lines_sum_to_the_totals() -> None:
    """At every depth, the lines' params, MACs, kernels and buffers add up to the report's totals."""
    from convshape.render import lines

    report = _resnet18()
    for depth in (0, 1, 2, 3):
        shown = lines(report, depth)
        assert sum(line.params for line in shown) == report.total_params
        assert sum(line.macs for line in shown) == report.total_macs
        assert sum(line.kernels for line in shown) == report.total_kernels
        assert sum(line.buffers for line in shown) == report.total_buffers
        assert shown[-1].output_shape == (1000,)
        assert len(shown) <= len(report.rows)


def test_depth_keeps_the_last_output_shape_and_names() -> None:
    """A collapsed stage shows its last row's output shape and its container's kind."""
    from convshape.render import lines

    shown = {line.path: line for line in lines(_resnet18(), 0)}
    assert shown["5"].output_shape == (128, 28, 28)
    assert shown["7"].output_shape == (512, 7, 7)
    assert shown["5"].kind.startswith("Sequential")
    assert shown["10"].label == "10 fc"


def test_depth_is_the_same_in_every_format() -> None:
    """Text, Markdown and HTML show the same number of lines for the same depth and columns."""
    report = _resnet18()
    options = {"depth": 1, "columns": ["layer", "output_shape", "params"]}
    text = _table_lines(report.render("text", width=200, **options))  # type: ignore[arg-type]
    markdown = [line for line in report.render("markdown", **options).splitlines() if line.startswith("| ")]  # type: ignore[arg-type]
    html = report.render("html", **options)  # type: ignore[arg-type]
    assert len(markdown) - 1 == len(text) == html.count("<tr>") - 1 == 4 + 8 + 3  # stem, 8 blocks, head
    assert markdown[0] == "| Layer | Output shape | Params |"


def test_depth_must_be_a_non_negative_int() -> None:
    """A negative depth is refused."""
    with pytest.raises(cs.ConvShapeError, match="depth"):
        _resnet18().render(depth=-1)


def test_memory_in_every_format() -> None:
    """memory=True adds the trainable/buffer counts and torchinfo's four sizes."""
    report = cs.trace(cs.Conv(8, 3), (1, 10, 10))
    for fmt in ("text", "markdown", "html"):
        out = report.render(fmt, memory=True, batch_size=2)
        # 800 B input, 8,192 B pass, 320 B params = 9,312 B = 0.01 MB
        assert "Input size (MB): 0.00" in out
        assert "Forward/backward pass size (MB): 0.01" in out
        assert "Estimated Total Size (MB): 0.01" in out
        assert "Buffers" in out
    text = report.render(memory=True)
    assert "Trainable params: 80" in text
    assert "Non-trainable params: 0" in text


def test_memory_megabytes_for_resnet18() -> None:
    """ResNet-18 float32, batch 1: params 11,689,512 x 4 B = 46.76 MB, input 3x224x224x4 B = 0.60 MB."""
    text = _resnet18().render(memory=True, width=200)
    assert "Params size (MB): 46.76" in text
    assert "Input size (MB): 0.60" in text


# ---------------------------------------------------------------- HTML


def test_notebook_view_is_the_table_without_a_picture() -> None:
    """_repr_html_ shows the table only; to_html(picture=True) adds the SVG after the table."""
    report = _resnet18()
    assert "<svg" not in report._repr_html_()
    html = report.to_html(picture=True)
    assert html.index("<table>") < html.index("<svg")


def test_html_aligns_text_left_and_numbers_right() -> None:
    """Header and cells of number columns are right-aligned, the others left-aligned."""
    html = cs.trace(cs.Conv(8, 3, name="c"), (1, 10, 10)).to_html()
    cells = re.findall(r'<t[hd] style="text-align:(\w+)[^"]*">([^<]*)</t[hd]>', html)
    assert ("left", "Layer") in cells
    assert ("right", "Params") in cells
    assert ("left", "0 c") in cells
    assert ("right", "80") in cells
    assert ("left", "(8, 8, 8)") in cells


def test_columns_are_documented() -> None:
    """Every column name appears in Report.render's docstring."""
    doc = cs.Report.render.__doc__ or ""
    assert all(name in doc for name in COLUMNS)


@pytest.mark.parametrize("width", [60, 80])
def test_a_narrow_table_leaves_out_columns_instead_of_wrapping_rows(width: int) -> None:
    report = cs.trace(cs.zoo.resnet18(), (3, 224, 224))
    text = report.render(depth=1, width=width)
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= width

    def table_rows(lines: list[str]) -> list[str]:  # between the rule under the header and the next
        rules = [i for i, line in enumerate(lines) if line and set(line) == {"-"}]
        return lines[rules[1] + 1 : rules[2]]

    full = report.render(depth=1, width=1000).splitlines()
    assert len(table_rows(lines)) == len(table_rows(full)) == len(render_lines(report, depth=1))
    assert "RF" not in lines[2].split()
    assert "left out to fit" in text
    # columns the caller chose are all kept, even when wider than the width
    chosen = report.render(depth=1, width=width, columns=["layer", "kind", "output_shape", "kernels", "rf"])
    assert "RF" in chosen.splitlines()[2].split()
    assert "left out" not in chosen

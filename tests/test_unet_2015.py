"""The 2015 U-Net (Ronneberger, Fischer and Brox): the paper's figure, and a PyTorch rebuild."""

from __future__ import annotations

from typing import Any

import pytest

import convshape as cs
from convshape import Node, zoo

#: Figure 1 of the paper: (maps, size) after each 3x3 convolution, top left to top right
PAPER_CONVS = [
    (64, 570), (64, 568), (128, 282), (128, 280), (256, 138), (256, 136), (512, 66), (512, 64),
    (1024, 30), (1024, 28),
    (512, 54), (512, 52), (256, 102), (256, 100), (128, 198), (128, 196), (64, 390), (64, 388),
]  # fmt: skip
#: the paper's copy-and-crop arrows: skip size -> cropped size, and the up-convolution's output
PAPER_CROPS = {"cat4": (64, 56), "cat3": (136, 104), "cat2": (280, 200), "cat1": (568, 392)}


def test_shapes_are_the_papers_figure() -> None:
    """572x572 tile -> 388x388x2: every 3x3 convolution, pooling, up-convolution and crop as drawn."""
    report = cs.trace(zoo.unet_2015(), (1, 572, 572))
    convs = [row.output_shape for row in report.rows if row.kind == "Conv" and row.path != "head"]
    assert convs == [(maps, size, size) for maps, size in PAPER_CONVS]
    pools = [row.output_shape[1] for row in report.rows if row.kind == "MaxPool" and row.output_shape]
    assert pools == [284, 140, 68, 32]
    rows = {row.path: row for row in report.rows}
    for name, (skip, cropped) in PAPER_CROPS.items():
        level = name[-1]
        skip_shape = rows[f"down{level}.3"].output_shape
        up_shape = rows[f"up{level}"].output_shape
        assert skip_shape is not None
        assert skip_shape[1:] == (skip, skip)
        assert up_shape is not None
        assert up_shape[1:] == (cropped, cropped)
        assert up_shape[0] is not None
        assert rows[name].output_shape == (2 * up_shape[0], cropped, cropped)
    assert report.output_shape == (2, 388, 388)


def test_crop_cat_follows_the_input_size() -> None:
    """The same spec on the next tile size whose poolings all see even sizes (572 + 16): the
    crops follow, nothing is hard-coded; 16 more input pixels give 16 more output pixels."""
    report = cs.trace(zoo.unet_2015(), (1, 572 + 16, 572 + 16))
    assert report.output_shape == (2, 388 + 16, 388 + 16)
    rows = {row.path: row for row in report.rows}
    assert rows["cat1"].output_shape == (128, 392 + 16, 392 + 16)


def _torch_unet(torch: Any, widths: tuple[int, ...], classes: int, pool: Any) -> Any:
    nn = torch.nn

    def pair(cin: int, out: int) -> Any:
        return nn.Sequential(nn.Conv2d(cin, out, 3), nn.ReLU(), nn.Conv2d(out, out, 3), nn.ReLU())

    class UNet(nn.Module):  # type: ignore[misc,name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.enc = nn.ModuleList()
            cin = 1
            for width in widths:
                self.enc.append(pair(cin, width))
                cin = width
            self.ups = nn.ModuleList(
                nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(len(widths) - 1)
            )
            self.dec = nn.ModuleList(pair(2 * widths[i], widths[i]) for i in range(len(widths) - 1))
            self.head = nn.Conv2d(widths[0], classes, 1)
            self.pool = pool(2)

        def forward(self, x: Any) -> Any:
            skips = []
            for i, block in enumerate(self.enc):
                x = block(x if i == 0 else self.pool(x))
                skips.append(x)
            for i in range(len(widths) - 2, -1, -1):
                x = self.ups[i](x)
                skip = skips[i]
                cut = (skip.shape[-1] - x.shape[-1]) // 2
                size = x.shape[-1]
                x = torch.cat([skip[..., cut : cut + size, cut : cut + size], x], dim=1)
                x = self.dec[i](x)
            return self.head(x)

    return UNet()


def test_pytorch_rebuild_has_the_same_shapes_parameters_and_macs(torch_tools: Any) -> None:
    """The paper's U-Net written directly in PyTorch (meta device): output shape, parameters and
    FlopCounterMode / 2 equal convshape's; about 31 million parameters, as usually quoted."""
    torch = torch_tools.torch
    from torch.utils.flop_counter import FlopCounterMode

    with torch.device("meta"):
        model = _torch_unet(torch, (64, 128, 256, 512, 1024), 2, torch.nn.MaxPool2d)
        x = torch.zeros(1, 1, 572, 572)
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        out = model(x)
    params = sum(p.numel() for p in model.parameters())
    report = cs.trace(zoo.unet_2015(), (1, 572, 572))
    assert tuple(out.shape[1:]) == report.output_shape == (2, 388, 388)
    assert report.total_params == params
    assert report.total_macs == counter.get_total_flops() // 2
    assert 30_500_000 < params < 31_500_000


def test_receptive_field_matches_autograd(torch_tools: Any) -> None:
    """With one map per layer, weights one and average pooling (max pooling passes gradients to
    one input), the non-zero gradients of output pixels of every phase span exactly the
    field convshape gives for the paper's network."""
    torch = torch_tools.torch
    model = _torch_unet(torch, (1, 1, 1, 1, 1), 1, torch.nn.AvgPool2d)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.fill_(1.0)
    field = cs.trace(zoo.unet_2015(), (1, 572, 572)).receptive_field
    assert field is not None
    rows = field[0]
    assert rows is not None
    assert rows.period == 16  # four 2x2 up-convolutions
    x = torch.rand(1, 1, 572, 572) + 0.5  # every weight and input positive: no gradient cancels
    x.requires_grad_(True)
    positions = range(192, 192 + rows.period)
    picked = model(x)[0, 0, list(positions), list(positions)]
    (grads,) = torch.autograd.grad(picked, x, torch.eye(len(positions), dtype=x.dtype), is_grads_batched=True)
    widths = []
    for position, grad in zip(positions, grads, strict=True):
        hit = torch.nonzero(grad[0, 0])
        first, last = int(hit[:, 0].min()), int(hit[:, 0].max())
        assert (first, last) == rows.span(position)
        assert (int(hit[:, 1].min()), int(hit[:, 1].max())) == (first, last)
        widths.append(last - first + 1)
    assert max(widths) == rows.size


def test_spec_file_round_trip() -> None:
    """The Graph with its CropCat merges survives JSON and TOML exactly (a file's top level is a
    list of layers: the graph comes back as its only item)."""
    network = zoo.unet_2015()
    for fmt in ("json", "toml"):
        again, shape = cs.loads(cs.dumps(network, (1, 572, 572), format=fmt), format=fmt)
        assert isinstance(again, cs.Sequential)
        assert again.layers == (network,)
        assert shape == (1, 572, 572)


@pytest.mark.parametrize("sizes", [((10, 10), (7, 7)), ((9, 12), (9, 5)), ((6, 8), (3, 8))])
def test_crop_cat_is_center_crop_then_cat(sizes: tuple[tuple[int, int], tuple[int, int]]) -> None:
    """CropCat equals a CenterCrop of the larger input to the smaller's size followed by Cat: the
    same shape and the same receptive fields (odd differences remove the extra pixel after)."""
    big, small = sizes
    # two branches of one input: the skip keeps its size, the other is cut to the smaller size
    cut = cs.Crop(tuple((0, b - s) for b, s in zip(big, small, strict=True)))
    ours = cs.Graph(
        [Node("skip", cs.Conv(2, 3, padding=1)), Node("other", [cs.Conv(3, 3, padding=1), cut], ["input"]),
         Node("cat", cs.CropCat(), ["skip", "other"])]
    )  # fmt: skip
    theirs = cs.Graph(
        [Node("skip", cs.Conv(2, 3, padding=1)), Node("other", [cs.Conv(3, 3, padding=1), cut], ["input"]),
         Node("cropped", cs.CenterCrop(small), ["skip"]), Node("cat", cs.Cat(), ["cropped", "other"])]
    )  # fmt: skip
    a, b = cs.trace(ours, (1, *big)), cs.trace(theirs, (1, *big))
    assert a.output_shape == b.output_shape == (5, *small)
    assert a.receptive_field == b.receptive_field

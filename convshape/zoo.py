"""Reference networks, built from convshape's layer specs.

Each function returns a :class:`~convshape.Sequential`; :data:`NETWORKS` maps a name to
the builder and its usual input shape.  The layouts follow torchvision where it has the
network, so parameter counts can be compared with its published figures.  Each network's
first convolution states its input channels (3 for the RGB networks, 1 for the seed and the
LeNets, :func:`unet`'s *in_channels*), as the originals do, so an input written batch-first
or channels-last is named as such instead of traced as something else.

>>> from convshape import trace
>>> report = trace(seed(), (1, 83, 83))
>>> [row.output_shape for row in report.rows]
[(64, 75, 75), (64, 14, 14), (256, 6, 6), (256, 1, 1), (256,), (101,)]
>>> sorted(NETWORKS)
['alexnet', 'lenet5', 'mobilenet_v2', 'resnet18', 'resnet50', 'seed', 'unet', 'vgg16']
"""

from __future__ import annotations

from convshape.containers import (
    Cat,
    CropCat,
    Graph,
    Node,
    Residual,
    Sequential,
)
from convshape.layers import (
    Activation,
    AdaptiveAvgPool,
    AvgPool,
    BatchNorm,
    Conv,
    ConvTranspose,
    Dropout,
    EuclideanRBF,
    Flatten,
    Layer,
    Linear,
    MaxPool,
    Subsample,
)
from convshape.tables import RandomTable

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = [
    "LENET5_C3_TABLE",
    "NETWORKS",
    "alexnet",
    "lenet5",
    "lenet5_1998",
    "mobilenet_v2",
    "resnet18",
    "resnet50",
    "seed",
    "seed_table",
    "unet",
    "unet_2015",
    "vgg16",
]


def seed() -> Sequential:
    """The network of the seed question (LeCun & Ranzato's tutorial, Caltech-101).

    1@83x83 -> 9x9 conv, 64 kernels -> 64@75x75 -> 10x10 pooling, stride 5 -> 64@14x14
    -> 9x9 conv, 4096 kernels (groups=4) -> 256@6x6 -> 6x6 pooling, stride 4 -> 256@1x1 -> 101.

    >>> from convshape import trace
    >>> trace(seed(), (1, 83, 83)).rows[2].kernels
    4096
    """
    return Sequential(
        Conv(64, 9, in_channels=1, name="layer1"),
        MaxPool(10, stride=5, name="layer2"),
        Conv(256, 9, groups=4, name="layer3"),
        MaxPool(6, stride=4, name="layer4"),
        Flatten(),
        Linear(101, name="classifier"),
        name="seed",
    )


def seed_table(seed: int = 0) -> Sequential:
    """The seed network as the tutorial built it: layer 3 connects each of its 256 output maps
    to 16 of the 64 input maps through a random table (Torch7's ``nn.SpatialConvolutionMap``
    with ``nn.tables.random(64, 256, 16)``), 256 x 16 = 4,096 kernels.

    The counts equal those of :func:`seed` (``groups=4``); only which 16 input maps each
    output map sees differs.  *seed* chooses the table (see :class:`~convshape.RandomTable`).

    >>> from convshape import trace
    >>> report = trace(seed_table(), (1, 83, 83))
    >>> report.rows[2].kernels, report.total_params == trace(seed(), (1, 83, 83)).total_params
    (4096, True)
    """
    return Sequential(
        Conv(64, 9, in_channels=1, name="layer1"),
        MaxPool(10, stride=5, name="layer2"),
        Conv(256, 9, connections=RandomTable(fan_in=16, seed=seed), name="layer3"),
        MaxPool(6, stride=4, name="layer4"),
        Flatten(),
        Linear(101, name="classifier"),
        name="seed_table",
    )


#: LeNet-5's C3 connections (LeCun et al. 1998, Table I): per C3 map, the S2 maps it sums.
#: Maps 0-5 see 3 contiguous maps, 6-11 see 4 contiguous maps, 12-14 see 4 maps
#: not all contiguous, map 15 sees all 6 (60 connections in all).
LENET5_C3_TABLE: tuple[tuple[int, ...], ...] = (
    (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 5), (0, 4, 5), (0, 1, 5),
    (0, 1, 2, 3), (1, 2, 3, 4), (2, 3, 4, 5), (0, 3, 4, 5), (0, 1, 4, 5), (0, 1, 2, 5),
    (0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5),
    (0, 1, 2, 3, 4, 5),
)  # fmt: skip


def lenet5_1998() -> Sequential:
    """LeNet-5 as published (LeCun et al. 1998), for a 1x32x32 input.

    Trainable subsampling layers (S2, S4: a coefficient and a bias per map), C3 connected to
    S2 through the paper's Table I, and a Euclidean RBF output whose 840 parameters are fixed:
    60,000 trainable parameters, 340,908 connections as the paper counts them.

    >>> from convshape import trace
    >>> report = trace(lenet5_1998(), (1, 32, 32))
    >>> report.total_trainable_params, report.total_params
    (60000, 60840)
    """
    return Sequential(
        Conv(6, 5, in_channels=1, name="C1"),
        Activation("tanh"),
        Subsample(2, name="S2"),
        Activation("tanh"),
        Conv(16, 5, connections=LENET5_C3_TABLE, name="C3"),
        Activation("tanh"),
        Subsample(2, name="S4"),
        Activation("tanh"),
        Conv(120, 5, name="C5"),
        Activation("tanh"),
        Flatten(),
        Linear(84, name="F6"),
        Activation("tanh"),
        EuclideanRBF(10, name="output"),
        name="lenet5_1998",
    )


def lenet5() -> Sequential:
    """LeNet-5 in its common dense form (tanh, average pooling), for a 1x32x32 input: 61,706 parameters.

    >>> from convshape import trace
    >>> trace(lenet5(), (1, 32, 32)).total_params
    61706
    """
    return Sequential(
        Conv(6, 5, in_channels=1, name="C1"),
        Activation("tanh"),
        AvgPool(2, name="S2"),
        Conv(16, 5, name="C3"),
        Activation("tanh"),
        AvgPool(2, name="S4"),
        Conv(120, 5, name="C5"),
        Activation("tanh"),
        Flatten(),
        Linear(84, name="F6"),
        Activation("tanh"),
        Linear(10, name="output"),
        name="lenet5",
    )


def alexnet(num_classes: int = 1000) -> Sequential:
    """AlexNet as torchvision lays it out (one tower, conv1 padding 2): 61,100,840 parameters.

    >>> from convshape import trace
    >>> trace(alexnet(), (3, 224, 224)).total_params
    61100840
    """
    relu = Activation("relu")
    features = Sequential(
        Conv(64, 11, stride=4, padding=2, in_channels=3), relu, MaxPool(3, stride=2),
        Conv(192, 5, padding=2), relu, MaxPool(3, stride=2),
        Conv(384, 3, padding=1), relu,
        Conv(256, 3, padding=1), relu,
        Conv(256, 3, padding=1), relu, MaxPool(3, stride=2),
        name="features",
    )  # fmt: skip
    classifier = Sequential(
        Dropout(0.5), Linear(4096), relu,
        Dropout(0.5), Linear(4096), relu,
        Linear(num_classes),
        name="classifier",
    )  # fmt: skip
    return Sequential(
        features, AdaptiveAvgPool((6, 6), name="avgpool"), Flatten(), classifier, name="alexnet"
    )


def vgg16(num_classes: int = 1000) -> Sequential:
    """VGG-16 (configuration D, no batch norm), torchvision layout: 138,357,544 parameters.

    >>> from convshape import trace
    >>> trace(vgg16(), (3, 224, 224)).total_params
    138357544
    """
    layers: list[Layer] = []
    channels: int | None = 3  # the first convolution's input: RGB
    for item in (64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"):
        if item == "M":
            layers.append(MaxPool(2, stride=2))
        else:
            assert isinstance(item, int)
            layers += [Conv(item, 3, padding=1, in_channels=channels), Activation("relu")]
            channels = None
    classifier = Sequential(
        Linear(4096), Activation("relu"), Dropout(0.5),
        Linear(4096), Activation("relu"), Dropout(0.5),
        Linear(num_classes),
        name="classifier",
    )  # fmt: skip
    return Sequential(
        Sequential(*layers, name="features"),
        AdaptiveAvgPool((7, 7), name="avgpool"),
        Flatten(),
        classifier,
        name="vgg16",
    )


def _basic_block(channels: int, stride: int, in_channels: int) -> list[Layer]:
    body: list[Layer] = [
        Conv(channels, 3, stride=stride, padding=1, bias=False),
        BatchNorm(),
        Activation("relu"),
        Conv(channels, 3, padding=1, bias=False),
        BatchNorm(),
    ]
    shortcut: list[Layer] | None = None
    if stride != 1 or in_channels != channels:
        shortcut = [Conv(channels, 1, stride=stride, bias=False), BatchNorm()]
    return [Residual(*body, shortcut=shortcut), Activation("relu")]


def _bottleneck(width: int, stride: int, in_channels: int) -> list[Layer]:
    out = width * 4
    body: list[Layer] = [
        Conv(width, 1, bias=False),
        BatchNorm(),
        Activation("relu"),
        Conv(width, 3, stride=stride, padding=1, bias=False),  # stride in the 3x3: "ResNet v1.5"
        BatchNorm(),
        Activation("relu"),
        Conv(out, 1, bias=False),
        BatchNorm(),
    ]
    shortcut: list[Layer] | None = None
    if stride != 1 or in_channels != out:
        shortcut = [Conv(out, 1, stride=stride, bias=False), BatchNorm()]
    return [Residual(*body, shortcut=shortcut), Activation("relu")]


def _resnet(name: str, bottleneck: bool, blocks: tuple[int, int, int, int], num_classes: int) -> Sequential:
    expansion = 4 if bottleneck else 1
    stem: list[Layer] = [
        Conv(64, 7, stride=2, padding=3, bias=False, in_channels=3, name="conv1"),
        BatchNorm(name="bn1"),
        Activation("relu"),
        MaxPool(3, stride=2, padding=1, name="maxpool"),
    ]
    stages: list[Layer] = []
    in_channels = 64
    for stage, (width, count) in enumerate(zip((64, 128, 256, 512), blocks, strict=True)):
        block_layers: list[Layer] = []
        for i in range(count):
            stride = 2 if stage > 0 and i == 0 else 1
            make = _bottleneck if bottleneck else _basic_block
            block_layers.append(Sequential(*make(width, stride, in_channels)))
            in_channels = width * expansion
        stages.append(Sequential(*block_layers, name=f"layer{stage + 1}"))
    head: list[Layer] = [AdaptiveAvgPool((1, 1), name="avgpool"), Flatten(), Linear(num_classes, name="fc")]
    return Sequential(*stem, *stages, *head, name=name)


def resnet18(num_classes: int = 1000) -> Sequential:
    """ResNet-18, torchvision layout: 11,689,512 parameters.

    >>> from convshape import trace
    >>> trace(resnet18(), (3, 224, 224)).total_params
    11689512
    """
    return _resnet("resnet18", False, (2, 2, 2, 2), num_classes)


def resnet50(num_classes: int = 1000) -> Sequential:
    """ResNet-50 (v1.5: stride in the 3x3 convolution), torchvision layout: 25,557,032 parameters.

    >>> from convshape import trace
    >>> trace(resnet50(), (3, 224, 224)).total_params
    25557032
    """
    return _resnet("resnet50", True, (3, 4, 6, 3), num_classes)


def _conv_bn_relu6(
    out: int, kernel: int, stride: int = 1, groups: int = 1, in_channels: int | None = None
) -> Sequential:
    return Sequential(
        Conv(
            out,
            kernel,
            stride=stride,
            padding=(kernel - 1) // 2,
            groups=groups,
            bias=False,
            in_channels=in_channels,
        ),
        BatchNorm(),
        Activation("relu6"),
    )


def mobilenet_v2(num_classes: int = 1000) -> Sequential:
    """MobileNetV2 (width 1.0), torchvision layout: 3,504,872 parameters.

    >>> from convshape import trace
    >>> trace(mobilenet_v2(), (3, 224, 224)).total_params
    3504872
    """
    settings = (
        (1, 16, 1, 1),
        (6, 24, 2, 2),
        (6, 32, 3, 2),
        (6, 64, 4, 2),
        (6, 96, 3, 1),
        (6, 160, 3, 2),
        (6, 320, 1, 1),
    )
    features: list[Layer] = [_conv_bn_relu6(32, 3, stride=2, in_channels=3)]
    channels = 32
    for expand, out, repeats, first_stride in settings:
        for i in range(repeats):
            stride = first_stride if i == 0 else 1
            hidden = channels * expand
            body: list[Layer] = []
            if expand != 1:
                body.append(_conv_bn_relu6(hidden, 1))
            body += [
                _conv_bn_relu6(hidden, 3, stride=stride, groups=hidden),
                Conv(out, 1, bias=False),
                BatchNorm(),
            ]
            block: Layer = Residual(*body) if stride == 1 and channels == out else Sequential(*body)
            features.append(block)
            channels = out
    features.append(_conv_bn_relu6(1280, 1))
    return Sequential(
        Sequential(*features, name="features"),
        AdaptiveAvgPool((1, 1)),
        Flatten(),
        Sequential(Dropout(0.2), Linear(num_classes), name="classifier"),
        name="mobilenet_v2",
    )


def _double_conv(out: int, in_channels: int | None = None) -> Sequential:
    return Sequential(
        Conv(out, 3, padding=1, bias=False, in_channels=in_channels),
        BatchNorm(),
        Activation("relu"),
        Conv(out, 3, padding=1, bias=False),
        BatchNorm(),
        Activation("relu"),
    )


def unet(in_channels: int = 3, num_classes: int = 2, base: int = 64, depth: int = 4) -> Graph:
    """A U-Net of ``depth`` down/up levels (padded 3x3 convolutions, batch norm, 2x2 transposed up-convolutions).

    A :class:`~convshape.Graph` whose rows read as the architecture: ``down1`` to ``down<depth>``
    (the encoder, each after the first starting with a 2x2 max pooling), ``bottom``, then for each
    level from the deepest up ``up<level>`` (the up-convolution), ``cat<level>`` (the skip
    connection: the encoder's features, then the upsampled ones, concatenated on the channels)
    and ``dec<level>``; ``head`` is the 1x1 classifier. Inputs must be multiples of ``2 ** depth``.

    >>> from convshape import trace
    >>> report = trace(unet(), (3, 256, 256))
    >>> report.output_shape
    (2, 256, 256)
    >>> [row.path for row in report.rows if row.layer.__class__.__name__ in ("MaxPool", "Cat")]
    ['down2.0', 'down3.0', 'down4.0', 'bottom.0', 'cat4', 'cat3', 'cat2', 'cat1']
    """
    widths = [base * 2**i for i in range(depth + 1)]
    nodes = [Node("down1", _double_conv(widths[0], in_channels))]
    for level in range(2, depth + 1):
        nodes.append(Node(f"down{level}", Sequential(MaxPool(2), *_double_conv(widths[level - 1]).layers)))
    nodes.append(Node("bottom", Sequential(MaxPool(2), *_double_conv(widths[depth]).layers)))
    below = "bottom"
    for level in range(depth, 0, -1):
        nodes += [
            Node(f"up{level}", ConvTranspose(widths[level - 1], 2, stride=2), [below]),
            Node(f"cat{level}", Cat(), [f"down{level}", f"up{level}"]),
            Node(f"dec{level}", _double_conv(widths[level - 1])),
        ]
        below = f"dec{level}"
    nodes.append(Node("head", Conv(num_classes, 1)))
    return Graph(nodes, name="unet")


def _valid_pair(out: int, in_channels: int | None = None) -> list[Layer]:
    return [Conv(out, 3, in_channels=in_channels), Activation("relu"), Conv(out, 3), Activation("relu")]


def unet_2015(num_classes: int = 2) -> Graph:
    """The U-Net of Ronneberger, Fischer and Brox (2015) as published, for a 1x572x572 tile.

    Unpadded 3x3 convolutions (each followed by a ReLU), 2x2 max pooling, 2x2 up-convolutions
    that halve the channels, and skip connections cropped to the decoder's size and
    concatenated (:class:`~convshape.CropCat`: 568 -> 392, 280 -> 200, 136 -> 104, 64 -> 56);
    a 1x1 convolution gives the *num_classes* maps of the 388x388 output.

    >>> from convshape import trace
    >>> report = trace(unet_2015(), (1, 572, 572))
    >>> report.output_shape, report.total_params
    ((2, 388, 388), 31030658)
    """
    widths = (64, 128, 256, 512)
    nodes = [Node("down1", _valid_pair(64, in_channels=1))]
    for level, width in enumerate(widths[1:], 2):
        nodes.append(Node(f"down{level}", [MaxPool(2), *_valid_pair(width)]))
    nodes.append(Node("bottom", [MaxPool(2), *_valid_pair(1024)]))
    below = "bottom"
    for level in range(4, 0, -1):
        width = widths[level - 1]
        nodes += [
            Node(f"up{level}", ConvTranspose(width, 2, stride=2), [below]),
            Node(f"cat{level}", CropCat(), [f"down{level}", f"up{level}"]),
            Node(f"dec{level}", _valid_pair(width)),
        ]
        below = f"dec{level}"
    nodes.append(Node("head", Conv(num_classes, 1)))
    return Graph(nodes, name="unet_2015")


#: name -> (builder, usual input shape)
NETWORKS: dict[str, tuple[Callable[[], Layer], tuple[int, ...]]] = {
    "seed": (seed, (1, 83, 83)),
    "lenet5": (lenet5, (1, 32, 32)),
    "alexnet": (alexnet, (3, 224, 224)),
    "vgg16": (vgg16, (3, 224, 224)),
    "resnet18": (resnet18, (3, 224, 224)),
    "resnet50": (resnet50, (3, 224, 224)),
    "mobilenet_v2": (mobilenet_v2, (3, 224, 224)),
    "unet": (unet, (3, 256, 256)),
}

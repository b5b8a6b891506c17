"""The pure-Python floor of a first trace: ResNet-50's numbers from the leanest loop we could write.

No convshape here.  The network is a flat list of plain tuples (built fresh for every round,
as a never-seen spec is), and one loop computes what a report's rows hold: each layer's output
shape, parameters, kernels, MACs and receptive field (size, jump, start), appending one tuple per
row.  It validates nothing, explains nothing and handles only what ResNet-50 uses (square maps,
explicit padding); it is what any pure-Python tool must at least do, so its speed against
PyTorch's meta-device forward bounds the ratio a pure-Python tracer can reach on this machine.
Each row links to the one before it (the newest row is returned), as convshape's do: a list
grown row by row is reallocated through the system allocator, which is slow just after a
PyTorch forward has freed many blocks.
"""

from __future__ import annotations

from typing import Any

CONV, BN, RELU, POOL, ADD, GAP, LINEAR = range(7)


def resnet50_ops(num_classes: int = 1000) -> list[tuple[Any, ...]]:
    """ResNet-50 (torchvision layout) as flat steps; a residual block is
    ``(ADD, body_steps, shortcut_steps)``."""
    ops: list[tuple[Any, ...]] = [
        (CONV, 64, 7, 2, 3, False),
        (BN,),
        (RELU,),
        (POOL, 3, 2, 1),
    ]
    cin = 64
    for width, count, stride in ((64, 3, 1), (128, 4, 2), (256, 6, 2), (512, 3, 2)):
        for i in range(count):
            s = stride if i == 0 else 1
            body = [
                (CONV, width, 1, 1, 0, False), (BN,), (RELU,),
                (CONV, width, 3, s, 1, False), (BN,), (RELU,),
                (CONV, width * 4, 1, 1, 0, False), (BN,),
            ]  # fmt: skip
            short = [(CONV, width * 4, 1, s, 0, False), (BN,)] if s != 1 or cin != width * 4 else []
            ops.append((ADD, body, short))
            ops.append((RELU,))
            cin = width * 4
    ops += [(GAP,), (LINEAR, num_classes)]
    return ops


Value = tuple[tuple[int, ...], tuple[int, int, int]]


def _chain(ops: list[tuple[Any, ...]], value: Value, rows: list[Any]) -> Value:
    """Apply *ops*; ``rows[0]`` is the newest row, each row starting with the one before."""
    shape: tuple[int, ...]
    out: tuple[int, ...]
    shape, rf = value
    last = rows[0]
    for op in ops:
        code = op[0]
        if code == CONV:
            _, cout, k, s, p, bias = op
            cin, h, w = shape
            oh, ow = (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
            out = (cout, oh, ow)
            kernels = cout * cin
            weights = kernels * k * k
            size, jump, start = rf
            rf = (size + (k - 1) * jump, jump * s, start - p * jump)
            last = (last, op, shape, out, weights + (cout if bias else 0), kernels, weights * oh * ow, rf)
            shape = out
        elif code == BN:
            last = (last, op, shape, shape, 2 * shape[0], 0, 0, rf)
        elif code == RELU:
            last = (last, op, shape, shape, 0, 0, 0, rf)
        elif code == POOL:
            _, k, s, p = op
            c, h, w = shape
            out = (c, (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1)
            size, jump, start = rf
            rf = (size + (k - 1) * jump, jump * s, start - p * jump)
            last = (last, op, shape, out, 0, 0, 0, rf)
            shape = out
        elif code == ADD:
            rows[0] = last
            a_shape, a_rf = _chain(op[1], (shape, rf), rows)
            b_shape, b_rf = _chain(op[2], (shape, rf), rows) if op[2] else (shape, rf)
            last = rows[0]
            if a_shape != b_shape:
                raise ValueError(f"residual shapes differ: {a_shape} vs {b_shape}")
            start = min(a_rf[2], b_rf[2])
            end = max(a_rf[2] + a_rf[0], b_rf[2] + b_rf[0])
            rf = (end - start, max(a_rf[1], b_rf[1]), start)
            last = (last, op, shape, a_shape, 0, 0, 0, rf)
            shape = a_shape
        elif code == GAP:
            out = (shape[0], 1, 1)
            last = (last, op, shape, out, 0, 0, 0, rf)
            shape = out
        else:  # LINEAR, after flattening
            features = shape[0] * shape[1] * shape[2]
            out = (op[1],)
            last = (last, op, shape, out, features * op[1] + op[1], 0, features * op[1], rf)
            shape = out
    rows[0] = last
    return shape, rf


def trace(ops: list[tuple[Any, ...]], size: int) -> tuple[tuple[int, ...], tuple[Any, ...]]:
    """The output shape and the newest row (linked to the ones before) for a ``(3, size, size)`` input."""
    rows: list[Any] = [None]
    shape, _ = _chain(ops, ((3, size, size), (1, 1, 0)), rows)
    return shape, rows[0]

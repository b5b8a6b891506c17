"""The ``convshape`` command (also ``python -m convshape``).

Run with no arguments it prints the seed network's report and answers the seed question.

>>> main(["size", "227", "-k", "11", "-s", "4"])
conv: (227 - 11) / 4 + 1 = 55
0
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from typing import NoReturn, TextIO

from convshape import zoo
from convshape.errors import ConvShapeError, SpecError

# Each command imports what it needs when it runs, so a cold `convshape summary` stays fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from convshape.arithmetic import Kind
    from convshape.layers import Layer

__all__ = ["main"]

EPILOG = "Docs: docs/formulas.md (rules), docs/cli.md (this command). Exit status: 0 ok, 1 problems found, 2 bad usage."


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in one line and exits 2, never with a traceback."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"convshape: error: {message}\n")


class UsageError(Exception):
    """A bad argument or file: printed as one line, exit status 2."""


def _shape_arg(text: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\s*\d+(\s*[,x@]\s*\d+)*\s*", text):
        raise argparse.ArgumentTypeError(f"--input must look like 3,224,224 (or 3x224x224), got {text!r}")
    values = tuple(int(p) for p in re.split(r"[,x@]", text))
    if any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"--input needs positive sizes like 3,224,224, got {text!r}")
    return values


def _padding_arg(text: str) -> int | tuple[int, int] | str:
    if text.lower() in ("valid", "same", "same_lower", "same_upper", "causal"):
        return text.lower()
    try:
        if "," in text:
            before, after = (int(v) for v in text.split(","))
            return (before, after)
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"padding must be an int, 'before,after', or valid/same/same_lower/causal, got {text!r}"
        ) from None


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="convshape",
        description="Shapes, kernels, parameters, MACs and receptive fields of convolutional networks, "
        "from formulas. With no command: the seed network's report.",
        epilog=EPILOG,
    )
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    size = sub.add_parser("size", help="output size of one layer on one axis, with the arithmetic")
    size.add_argument("size", type=int, help="input size")
    size.add_argument("-k", "--kernel-size", type=int, required=True)
    size.add_argument("-s", "--stride", type=int, default=None, help="default 1 (pooling: the window)")
    size.add_argument("-p", "--padding", type=_padding_arg, default=0, help="int, 'before,after', or a mode")
    size.add_argument("-d", "--dilation", type=int, default=1)
    kind = size.add_mutually_exclusive_group()
    kind.add_argument("--transpose", action="store_true", help="a transposed convolution")
    kind.add_argument("--pool", action="store_true", help="a pooling layer")
    size.add_argument("--output-padding", type=int, default=0, help="with --transpose")
    size.add_argument("--ceil", action="store_true", help="with --pool: ceil mode")

    for name, text in (
        ("summary", "trace a network and print its report"),
        ("check", "list every problem; exit 1 if any"),
    ):
        cmd = sub.add_parser(name, help=text)
        cmd.add_argument("spec", help="a .json/.toml network file, or a zoo name (see 'convshape zoo')")
        cmd.add_argument(
            "--input", type=_shape_arg, help="input shape C,H,W (default: the file's or the zoo's)"
        )
        cmd.add_argument(
            "--sizes", action="store_true", help="also scan which input sizes the network accepts"
        )
        if name == "summary":
            cmd.add_argument(
                "--format",
                choices=("text", "markdown", "json", "html", "svg"),
                default="text",
                help="output format",
            )
            cmd.add_argument("--explain", action="store_true", help="show each layer's arithmetic")

    solve_cmd = sub.add_parser("solve", help="every (kernel, stride, padding, dilation) mapping IN to OUT")
    solve_cmd.add_argument("in_size", type=int, metavar="IN")
    solve_cmd.add_argument("out_size", type=int, metavar="OUT")
    solve_cmd.add_argument("-k", "--kernel-size", type=int)
    solve_cmd.add_argument("-s", "--stride", type=int)
    solve_cmd.add_argument("-p", "--padding", type=int)
    solve_cmd.add_argument("-d", "--dilation", type=int)
    solve_cmd.add_argument("--transpose", action="store_true")
    solve_cmd.add_argument("--limit", type=int, default=20, help="print at most this many (default 20)")

    sub.add_parser("zoo", help="list the reference networks")
    return parser


def _resolve_spec(spec: str, given: tuple[int, ...] | None) -> tuple[Layer, tuple[int, ...]]:
    if spec in zoo.NETWORKS:
        build, default = zoo.NETWORKS[spec]
        return build(), given or default
    if spec.lower().endswith((".json", ".toml")) or "/" in spec or "\\" in spec:
        from convshape.specio import load

        network, shape = load(spec)
        chosen = given or shape
        if chosen is None:
            raise UsageError(f'{spec}: no input shape; give --input C,H,W or add "input" to the file')
        return network, chosen
    raise UsageError(f"{spec!r} is neither a .json/.toml file nor a zoo network ({', '.join(zoo.NETWORKS)})")


def _cmd_size(args: argparse.Namespace, out: TextIO) -> int:
    from convshape.arithmetic import count_uncovered, resolve_axis
    from convshape.explanation import window_line

    if args.output_padding and not args.transpose:
        raise UsageError("--output-padding goes with --transpose")
    if args.ceil and not args.pool:
        raise UsageError("--ceil goes with --pool")
    kind: Kind = "transpose" if args.transpose else "pool" if args.pool else "conv"
    stride = args.stride if args.stride is not None else (args.kernel_size if args.pool else 1)
    w = resolve_axis(
        kind, args.size, args.kernel_size, stride, args.padding, args.dilation, args.output_padding, args.ceil
    )
    uncovered = None if kind == "transpose" else count_uncovered(w)
    label = {"conv": "conv", "pool": "pool", "transpose": "transposed conv"}[kind]
    print(f"{label}: {window_line(w, uncovered, 'positions')}", file=out)
    return 0


def _cmd_summary(args: argparse.Namespace, out: TextIO) -> int:
    from convshape.render import render_html, render_markdown, render_text
    from convshape.tracing import trace

    network, shape = _resolve_spec(args.spec, args.input)
    try:
        report = trace(network, shape)
    except ConvShapeError as err:
        partial = getattr(err, "report", None)
        if partial is not None and partial.rows:
            print(render_text(partial), file=out)
        print(f"convshape: {err}", file=sys.stderr)
        return 1
    if args.format == "text":
        print(report.explain() if args.explain else render_text(report), file=out)
    elif args.format == "markdown":
        print(render_markdown(report), file=out)
    elif args.format == "json":
        print(json.dumps(report.to_dict(), indent=2), file=out)
    elif args.format == "html":
        print(render_html(report), file=out)
    else:
        print(report.to_svg(), file=out)
    if args.sizes:
        _print_sizes(network, shape, out)
    return 0


def _print_sizes(network: Layer, shape: tuple[int, ...], out: TextIO) -> None:
    from convshape.inverse import input_sizes

    for axis in range(len(shape) - 1):
        print(input_sizes(network, shape, axis, limit=max(512, 2 * shape[axis + 1])), file=out)


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    from convshape.tracing import check

    network, shape = _resolve_spec(args.spec, args.input)
    problems = check(network, shape)
    for problem in problems:
        print(problem, file=out)
    if args.sizes:
        _print_sizes(network, shape, out)
    if problems:
        print(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} for input {shape}", file=out)
        return 1
    print(f"ok: no problems for input {shape}", file=out)
    return 0


def _cmd_solve(args: argparse.Namespace, out: TextIO) -> int:
    from convshape.inverse import solve

    found = solve(
        args.in_size,
        args.out_size,
        kernel_size=args.kernel_size,
        stride=args.stride,
        padding=args.padding,
        dilation=args.dilation,
        transpose=args.transpose,
    )
    what = "transposed convolution" if args.transpose else "convolution"
    if not found:
        print(f"no {what} within the search bounds maps {args.in_size} to {args.out_size}", file=out)
        return 1
    verb = " maps" if len(found) == 1 else "s map"
    print(f"{len(found)} {what}{verb} {args.in_size} to {args.out_size}; best first:", file=out)
    for solution in found[: args.limit]:
        print(f"  {solution}", file=out)
    if len(found) > args.limit:
        print(f"  ... {len(found) - args.limit} more (--limit N)", file=out)
    return 0


def _cmd_zoo(out: TextIO) -> int:
    from convshape.tracing import trace

    for name, (build, shape) in zoo.NETWORKS.items():
        report = trace(build(), shape)
        print(
            f"{name:<13} input {','.join(map(str, shape)):<11} {report.total_params:>12,} params "
            f"{report.total_macs:>15,} MACs",
            file=out,
        )
    return 0


def _cmd_default(out: TextIO) -> int:
    from convshape.render import render_text
    from convshape.tracing import trace

    build, shape = zoo.NETWORKS["seed"]
    report = trace(build(), shape)
    print(render_text(report), file=out)
    first, third = report.rows[0], report.rows[2]
    print(
        "\nWhy 64 kernels make 64 maps: layer 1 has one input map, so each output map needs one 2-D kernel "
        f"({first.kernels} kernels).\nWhy 4096 kernels make only 256 maps: each of layer 3's 256 output maps sums "
        "one kernel per input map it sees. Seeing all 64 maps would take 64 x 256 = 16,384 kernels; with "
        f"groups=4 each sees 16, so 256 x 16 = {third.kernels:,} kernels.",
        file=out,
    )
    print("\nRun 'convshape --help' for the commands (size, summary, check, solve, zoo).", file=out)
    return 0


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 problems found, 2 bad usage)."""
    stream = out if out is not None else sys.stdout
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        if args.command is None:
            return _cmd_default(stream)
        if args.command == "size":
            return _cmd_size(args, stream)
        if args.command == "summary":
            return _cmd_summary(args, stream)
        if args.command == "check":
            return _cmd_check(args, stream)
        if args.command == "solve":
            return _cmd_solve(args, stream)
        return _cmd_zoo(stream)
    except (UsageError, SpecError) as err:
        print(f"convshape: error: {err}", file=sys.stderr)
        return 2
    except (ConvShapeError, TypeError) as err:
        print(f"convshape: error: {err}", file=sys.stderr)
        return 2


def run() -> NoReturn:
    """Console-script entry point."""
    raise SystemExit(main())

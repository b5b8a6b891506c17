"""The ``convshape`` command (also ``python -m convshape``).

Run with no arguments it prints the seed network's report and answers the seed question.

>>> main(["size", "227", "-k", "11", "-s", "4"])
conv: (227 - 11) / 4 + 1 = 55
0
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
from _collections_abc import Sequence  # what collections.abc re-exports, without its 2 ms import

from convshape import zoo
from convshape.errors import ConvShapeError

# Each command imports what it needs when it runs, so a cold `convshape summary` stays fast.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, NoReturn, TextIO

    from convshape.arithmetic import Kind
    from convshape.inverse import InputSizes
    from convshape.layers import Layer

__all__ = ["main"]

EPILOG = (
    "Docs: docs/formulas.md (rules), docs/cli.md (this command). "
    "Exit status: 0 ok, 1 problems found, 2 bad usage or unwritable output, 141 output pipe closed."
)

#: exit status when the reader of our output went away (``convshape ... | head -1``): what a
#: shell reports for a process ended by SIGPIPE (128 + 13)
EXIT_BROKEN_PIPE = 141


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


def _columns_arg(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


def _positive_arg(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {value}")
    return value


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
    parser.add_argument("--version", action="store_true", help="print the version and exit")
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
        ("check", "list every problem in one or more networks; exit 1 if any"),
    ):
        cmd = sub.add_parser(name, help=text)
        if name == "summary":
            cmd.add_argument("spec", help="a .json/.toml network file, or a zoo name (see 'convshape zoo')")
        else:
            cmd.add_argument("spec", nargs="+", help="network files or zoo names, each checked")
        cmd.add_argument(
            "--input", type=_shape_arg, help="input shape C,H,W (default: the file's or the zoo's)"
        )
        cmd.add_argument(
            "--sizes", action="store_true", help="also scan which input sizes the network accepts"
        )
        cmd.add_argument(
            "--channels-last", action="store_true", help="--input is H,W,C (Keras' order), not C,H,W"
        )
        formats = ("text", "markdown", "json", "html", "svg") if name == "summary" else ("text", "json")
        cmd.add_argument("--format", choices=formats, default="text", help="output format")
        if name == "summary":
            cmd.add_argument(
                "--explain", action="store_true", help="show each layer's arithmetic (text or json)"
            )
            cmd.add_argument(
                "--depth", type=int, help="collapse rows nested deeper than DEPTH (0: top level)"
            )
            cmd.add_argument(
                "--columns", type=_columns_arg, help="comma-separated columns, e.g. layer,params,macs"
            )
            cmd.add_argument(
                "--width", type=int, help="text: the widest a table line may be (default: terminal)"
            )
            cmd.add_argument(
                "--memory", action="store_true", help="add parameter counts and memory estimates"
            )
            cmd.add_argument(
                "--batch-size",
                type=_positive_arg,
                help="the batch: shown in the header, used by --memory (1)",
            )
            cmd.add_argument("--dtype", default="float32", help="dtype of --memory (float32)")

    solve_cmd = sub.add_parser("solve", help="every (kernel, stride, padding, dilation) mapping IN to OUT")
    solve_cmd.add_argument("in_size", type=_positive_arg, metavar="IN")
    solve_cmd.add_argument("out_size", type=_positive_arg, metavar="OUT")
    solve_cmd.add_argument("-k", "--kernel-size", type=_positive_arg)
    solve_cmd.add_argument("-s", "--stride", type=_positive_arg)
    solve_cmd.add_argument("-p", "--padding", type=int)
    solve_cmd.add_argument("-d", "--dilation", type=_positive_arg)
    solve_cmd.add_argument("--transpose", action="store_true")
    solve_cmd.add_argument("--max-kernel", type=_positive_arg, default=11, help="largest kernel tried (11)")
    solve_cmd.add_argument("--max-stride", type=_positive_arg, default=8, help="largest stride tried (8)")
    solve_cmd.add_argument("--max-dilation", type=_positive_arg, default=4, help="largest dilation tried (4)")
    solve_cmd.add_argument(
        "--limit", type=_positive_arg, default=20, help="print at most this many (default 20)"
    )

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


def _error_dict(err: Exception) -> dict[str, Any]:
    """A problem as JSON: its message, class, and where it happened (with the layer path) if known.

    A ConvShapeError gives all of :meth:`~convshape.ConvShapeError.to_dict` (path, layer,
    parameter, axis, value, hint); anything else its message and class.
    """
    if isinstance(err, ConvShapeError):
        info = err.to_dict()
        info["where"] = info["where"] or None
        info["path"] = info["path"] or None
        return info
    fields = ("layer", "name", "parameter", "axis", "value", "hint")
    info = {"error": type(err).__name__, "message": str(err), "detail": str(err), "where": None, "path": None}
    return info | dict.fromkeys(fields)


def _sizes(network: Layer, shape: tuple[int, ...]) -> list[InputSizes]:
    from convshape.inverse import input_sizes

    return [input_sizes(network, shape, axis) for axis in range(len(shape) - 1)]


def _sizes_dict(sizes: InputSizes) -> dict[str, Any]:
    return {
        "axis": sizes.axis,
        "smallest": sizes.smallest,
        "exact": list(sizes.exact),
        "period": sizes.period,
        "limit": sizes.limit,
        "given": sizes.given,
        "given_accepted": sizes.given_tiles is not None,
        "given_tiles": sizes.given_tiles,
        "nearest_below": sizes.nearest_below,
        "nearest_above": sizes.nearest_above,
        "text": f"{sizes}; {sizes.given_text()}",
    }


def _square(network: Layer, shape: tuple[int, ...], sizes: list[InputSizes]) -> dict[str, Any] | None:
    """For a square input accepted on no axis alone: the nearest sizes accepted on every axis at once."""
    if len(shape) < 3 or len(set(shape[1:])) != 1:
        return None
    if any(s.given_tiles is not None or s.nearest_below or s.nearest_above for s in sizes):
        return None
    from convshape.inverse import square_neighbours

    below, above = square_neighbours(network, shape)
    given = shape[1]
    if below is not None and above is not None:
        near = f"the nearest accepted sizes are {below} and {above}"
    elif below is not None or above is not None:
        near = f"the nearest accepted size is {below if below is not None else above}"
    else:
        near = "no accepted size was found near it"
    text = f"every spatial axis at one size: the given size {given} is not accepted; {near}"
    return {"given": given, "nearest_below": below, "nearest_above": above, "text": text}


def _sizes_lines(network: Layer, shape: tuple[int, ...], sizes: list[InputSizes]) -> list[str]:
    square = _square(network, shape, sizes)
    return [f"{s}; {s.given_text()}" for s in sizes] + ([square["text"]] if square else [])


def _explain_failure(err: ConvShapeError) -> str:
    from convshape.explanation import explain_failure

    return explain_failure(err)


def _add_sizes(
    data: dict[str, Any], network: Layer, shape: tuple[int, ...], sizes: list[InputSizes] | None = None
) -> None:
    """``"sizes"`` (one entry per spatial axis) and, for a square input no axis accepts, ``"square"``."""
    sizes = _sizes(network, shape) if sizes is None else sizes
    data["sizes"] = [_sizes_dict(s) for s in sizes]
    square = _square(network, shape, sizes)
    if square is not None:
        data["square"] = square


def _dump(data: object, out: TextIO) -> None:
    import json  # only JSON output needs it

    print(json.dumps(data, indent=2), file=out)


def _cmd_summary(args: argparse.Namespace, out: TextIO) -> int:
    from convshape.render import render_text
    from convshape.tracing import trace

    if args.explain and args.format not in ("text", "json"):
        raise UsageError(f"--explain works with --format text or json, not {args.format}")
    if args.sizes and args.format in ("html", "svg"):
        raise UsageError(f"--sizes works with --format text, markdown or json, not {args.format}")
    try:
        network, shape = _resolve_spec(args.spec, _channels_first(args))
    except (UsageError, ConvShapeError, TypeError) as err:
        if args.format != "json":
            raise
        _dump({"spec": args.spec, "input": None, "ok": False, "error": _error_dict(err)}, out)
        _say(f"convshape: error: {err}")
        return 2
    try:
        report = trace(network, shape, batch_size=args.batch_size)
    except ConvShapeError as err:
        partial = getattr(err, "report", None)
        if args.format == "json":
            data = {"spec": args.spec, "input": list(shape), "ok": False, "error": _error_dict(err)}
            data["partial"] = partial.to_dict() if partial is not None and partial.rows else None
            if args.explain:
                data["explanation"] = _explain_failure(err)
            if args.sizes:
                _add_sizes(data, network, shape)
            _dump(data, out)
        else:
            if args.explain and args.format == "text":
                print(_explain_failure(err), file=out)
            elif partial is not None and partial.rows:
                print(render_text(partial), file=out)
            if args.sizes:
                for line in _sizes_lines(network, shape, _sizes(network, shape)):
                    print(line, file=out)
        _say(f"convshape: {err}")
        return 1
    options = {"depth": args.depth, "columns": args.columns, "width": args.width, "memory": args.memory}
    options |= {"batch_size": args.batch_size, "dtype": args.dtype}
    try:  # the options are checked once, whatever the format (render names the bad one)
        table = report.render("text" if args.format in ("json", "svg") else args.format, **options)
        estimate = report.memory(None, args.dtype) if args.memory else None
    except ConvShapeError as err:
        raise UsageError(str(err)) from None
    if args.format == "json":
        data = report.to_dict()
        if estimate is not None:
            data["memory"] = _memory_dict(estimate)
        if args.explain:
            data["explanation"] = report.explain()
        if args.sizes:
            _add_sizes(data, network, shape)
        _dump(data, out)
        return 0
    if args.format == "svg":
        print(report.to_svg(), file=out)
    else:
        print(report.explain() if args.explain else table, file=out)
    if args.sizes:
        for line in _sizes_lines(network, shape, _sizes(network, shape)):
            print(line, file=out)
    return 0


def _memory_dict(estimate: Any) -> dict[str, Any]:
    names: tuple[str, ...] = ("batch_size", "dtype", "dtype_bytes", "params", "buffers", "input_bytes")
    names += ("forward_backward_bytes", "params_bytes", "buffers_bytes", "activation_bytes", "total_bytes")
    return {name: getattr(estimate, name) for name in names}


def _channels_first(args: argparse.Namespace) -> tuple[int, ...] | None:
    """--input as (channels, *spatial): with --channels-last, its last entry moves first."""
    shape: tuple[int, ...] | None = args.input
    if shape is not None and args.channels_last and len(shape) >= 2:
        return (shape[-1], *shape[:-1])
    return shape


def _check_one(spec: str, args: argparse.Namespace, out: TextIO, label: str) -> tuple[int, dict[str, Any]]:
    """Check one spec: (status, its JSON entry); a bad spec is status 2 and named on stderr."""
    from convshape.tracing import check

    entry: dict[str, Any] = {"spec": spec, "input": None, "ok": False, "problems": [], "error": None}
    try:
        network, shape = _resolve_spec(spec, _channels_first(args))
        entry["input"] = list(shape)
        problems = check(network, shape)
        sizes = _sizes(network, shape) if args.sizes else []
    except (UsageError, ConvShapeError, TypeError) as err:
        message = str(err) if spec in str(err) else f"{spec}: {err}"
        _say(f"convshape: error: {message}")
        entry["error"] = _error_dict(err) | {"message": message}
        return 2, entry
    entry["ok"] = not problems
    entry["problems"] = [_error_dict(p) for p in problems]
    if args.sizes:
        _add_sizes(entry, network, shape, sizes)
    if args.format == "text":
        for line in [str(p) for p in problems] + (_sizes_lines(network, shape, sizes) if args.sizes else []):
            print(f"{label}{line}", file=out)
        if problems:
            plural = "s" if len(problems) != 1 else ""
            print(f"{label}{len(problems)} problem{plural} for input {shape}", file=out)
        else:
            print(f"{label}ok: no problems for input {shape}", file=out)
    return (1 if problems else 0), entry


def _cmd_check(args: argparse.Namespace, out: TextIO) -> int:
    several = len(args.spec) > 1
    results = [_check_one(spec, args, out, f"{spec}: " if several else "") for spec in args.spec]
    statuses = [status for status, _ in results]
    status = max(statuses)
    if args.format == "json":
        _dump({"ok": status == 0, "status": status, "files": [entry for _, entry in results]}, out)
    elif several:
        bad, failing = statuses.count(2), statuses.count(1)
        print(
            f"{len(statuses)} networks: {statuses.count(0)} ok, {failing} with problems, {bad} unreadable",
            file=out,
        )
    return status


def _cmd_solve(args: argparse.Namespace, out: TextIO) -> int:
    from convshape.inverse import solve, unsolved_reason

    found = solve(
        args.in_size,
        args.out_size,
        kernel_size=args.kernel_size,
        stride=args.stride,
        padding=args.padding,
        dilation=args.dilation,
        transpose=args.transpose,
        max_kernel=args.max_kernel,
        max_stride=args.max_stride,
        max_dilation=args.max_dilation,
    )
    what = "transposed convolution" if args.transpose else "convolution"
    if not found:
        reason = unsolved_reason(
            args.in_size,
            args.out_size,
            kernel_size=args.kernel_size,
            stride=args.stride,
            padding=args.padding,
            dilation=args.dilation,
            transpose=args.transpose,
            max_kernel=args.max_kernel,
            max_stride=args.max_stride,
            max_dilation=args.max_dilation,
        )
        print(reason, file=out)
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


def _maps(maps: tuple[int, ...]) -> str:
    """``16-31`` for a run of consecutive maps, else the list."""
    if maps == tuple(range(maps[0], maps[-1] + 1)):
        return f"{maps[0]}-{maps[-1]}"
    return ", ".join(map(str, maps))


def _cmd_default(out: TextIO) -> int:
    from convshape.render import render_text
    from convshape.tracing import trace

    build, shape = zoo.NETWORKS["seed"]
    report = trace(build(), shape)
    table = trace(zoo.seed_table(), shape)
    print(render_text(report), file=out)
    first, third = report.rows[0], report.rows[2]
    print(
        "\nWhy 64 kernels make 64 maps: layer 1 has one input map, so each output map needs one 2-D kernel "
        f"({first.kernels} kernels).\nWhy 4096 kernels make only 256 maps: each of layer 3's 256 output maps sums "
        "one kernel per input map it sees. Seeing all 64 maps would take 64 x 256 = 16,384 kernels; with "
        f"groups=4 each sees 16, so 256 x 16 = {third.kernels:,} kernels.",
        file=out,
    )
    # the two ways to write layer 3, with what output map 64 sees in each
    in_maps = third.input_shape[0] if third.input_shape and third.input_shape[0] else 64
    print("\nLayer 3 written two ways (the same kernels, parameters and MACs):", file=out)
    for label, traced in (("groups=4 (zoo.seed)", report), ("connection table (zoo.seed_table)", table)):
        row = traced.rows[2]
        maps = row.layer.connection_table(in_maps)[64]  # type: ignore[attr-defined]
        print(
            f"  {label:<34} {row.kernels:,} kernels, {row.params:,} params, {row.macs:,} MACs; "
            f"output map 64 sees input maps {_maps(maps)}",
            file=out,
        )
    print(
        "The tutorial's network used the connection table (Torch7's nn.SpatialConvolutionMap with "
        "nn.tables.random(64, 256, 16)); the report above uses groups=4, which gives the same counts.",
        file=out,
    )
    print("\nRun 'convshape --help' for the commands (size, summary, check, solve, zoo).", file=out)
    return 0


def _say(message: str) -> None:
    """One line on standard error; a closed or full standard error is not worth a traceback."""
    if sys.stderr is None:  # closed: print(file=None) would write to standard output instead
        return
    with contextlib.suppress(OSError, ValueError):
        print(message, file=sys.stderr)


def _silence(stream: TextIO) -> None:
    """Point standard output at the null device so the interpreter's last flush cannot fail again."""
    if stream is not sys.stdout:
        return
    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError, AttributeError):
        pass


def _lenient(stream: TextIO) -> None:
    """Let a standard stream write any text: what its encoding cannot hold (a file name's
    undecodable bytes, which Python keeps as surrogates) is escaped, as on standard error."""
    reconfigure = getattr(stream, "reconfigure", None)
    if reconfigure is not None and getattr(stream, "errors", None) == "strict":
        with contextlib.suppress(AttributeError, OSError, TypeError, ValueError):
            reconfigure(errors="backslashreplace")


def _dispatch(args: argparse.Namespace, stream: TextIO) -> int:
    if args.version:
        from convshape import __version__

        print(f"convshape {__version__}", file=stream)
        return 0
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


def main(argv: Sequence[str] | None = None, out: TextIO | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 problems found, 2 bad usage).

    Never raises: a closed output pipe returns 141 quietly, an output that cannot be written
    (a full disk) is one line on standard error and status 2.
    """
    stream = out if out is not None else sys.stdout
    for standard in (sys.stdout, sys.stderr) if out is None else (sys.stderr,):
        _lenient(standard)
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return exit_.code if isinstance(exit_.code, int) else 2
    if stream is None:  # started with standard output closed (`convshape zoo >&-`): Python gives None
        _say("convshape: error: cannot write the output: standard output is closed")
        return 2
    try:
        status = _dispatch(args, stream)
        stream.flush()
        return status
    except BrokenPipeError:
        _silence(stream)
        return EXIT_BROKEN_PIPE
    except OSError as err:
        _silence(stream)
        _say(f"convshape: error: cannot write the output: {err.strerror or err}")
        return 2
    except (UsageError, ConvShapeError, TypeError) as err:
        _say(f"convshape: error: {err}")
        return 2
    except RecursionError:
        _say("convshape: error: the network is nested too deeply to process")
        return 2
    except MemoryError:
        _say("convshape: error: out of memory")
        return 2
    except KeyboardInterrupt:
        _say("convshape: interrupted")
        return 130


def run() -> NoReturn:
    """Console-script entry point."""
    raise SystemExit(main())

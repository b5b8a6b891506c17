"""convshape's benchmarks: speed and memory against the peers, measured in the same run.

    python benchmarks/run.py            # everything (needs torch==2.13.0 and torchinfo for the peers)
    python benchmarks/run.py --quick    # fewer repetitions

Each figure is a median over repetitions; ratios compare numbers taken in this run on this
machine.  Nothing here is asserted in the test suite: speed is measured, not tested.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGETS = {
    "meta": 300.0,  # trace at least 300x faster than PyTorch's meta-device forward
    "torchinfo": 500.0,  # and 500x faster than torchinfo.summary
    "cold_time": 20.0,  # `convshape summary resnet50` vs a torch + torchinfo script: 20x less wall time
    "cold_memory": 20.0,  # and 20x less peak memory
    "import_ms": 15.0,  # `import convshape` at most 15 ms on top of the bare interpreter
}


def median_time(fn: Callable[[], object], repeat: int, warmup: int = 1) -> float:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def verdict(ratio: float, target: float) -> str:
    return f"target >= {target:g}x: {'met' if ratio >= target else 'NOT met'}"


def bench_trace(repeat: int) -> None:
    """ResNet-50 traced by convshape, by a meta-device forward, by torchinfo.summary.

    Every peer is timed after a warm-up call on a model it has already built, so convshape is
    judged the same way: a spec it has traced before (its compiled plan and per-layer outcomes
    are kept; each trace still runs every step and builds a new report).  The first trace of a
    new spec, with every cache emptied, is printed too.
    """
    import convshape as cs
    from convshape import tracing

    network = cs.zoo.resnet50()
    shape = (3, 224, 224)

    def first() -> None:
        tracing._clear_caches()
        cs.trace(network, shape)

    ours_first = median_time(first, repeat)
    ours = median_time(lambda: cs.trace(network, shape), repeat * 3)
    rows = len(cs.trace(network, shape).rows)
    print(f"convshape trace, ResNet-50 ({rows} rows: shapes, params, MACs, receptive fields):")
    print(f"  spec traced before  {ours * 1e6:9.0f} us   (steady state, as every peer here is timed)")
    print(f"  first trace         {ours_first * 1e6:9.0f} us   (every cache emptied: a spec never seen)")
    try:
        import torch
        from torch_resnet50 import ResNet50
    except ImportError:
        print("  peers skipped: torch is not installed (pip install torch==2.13.0 torchinfo)")
        return
    print(f"torch {torch.__version__}")
    with torch.device("meta"):
        meta_model = ResNet50()
    x = torch.zeros(1, *shape, device="meta")

    def meta() -> None:
        with torch.no_grad():
            meta_model(x)

    t_meta = median_time(meta, max(5, repeat // 4))
    print(f"PyTorch meta-device forward  {t_meta * 1e6:9.0f} us")
    report_ratio(t_meta, ours, ours_first, TARGETS["meta"])
    try:
        import torchinfo
    except ImportError:
        print("torchinfo skipped: not installed (pip install torchinfo)")
        return
    cpu_model = ResNet50()

    def summary() -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            torchinfo.summary(cpu_model, input_size=(1, *shape), verbose=0)

    t_info = median_time(summary, max(3, repeat // 10))
    print(f"torchinfo.summary            {t_info * 1e6:9.0f} us")
    report_ratio(t_info, ours, ours_first, TARGETS["torchinfo"])


def report_ratio(peer: float, ours: float, ours_first: float, target: float) -> None:
    print(f"  ratio: {peer / ours:8.1f}x   {verdict(peer / ours, target)}")
    first = peer / ours_first
    print(
        f"  first trace of a new spec: {first:.1f}x ({'also meets' if first >= target else 'below'} the target)"
    )


def ensure_bytecode() -> None:
    """Compile convshape's bytecode, as ``pip install`` does, so that a process started from a
    source checkout (or with PYTHONDONTWRITEBYTECODE set) does not recompile it on every run."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("convshape")
    if spec is None or spec.origin is None:
        raise SystemExit("convshape is not importable: pip install . first")
    package = Path(spec.origin).parent
    if compileall.compile_dir(str(package), quiet=1):
        print(f"(bytecode of {package} is compiled, as an installed package's is)")


def run_process(argv: list[str]) -> tuple[float, float]:
    """Wall time (s) and peak resident memory (MiB) of a child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise RuntimeError(f"{argv} exited with status {status}")
    return wall, usage.ru_maxrss / 1024


def bench_cold(repeat: int) -> None:
    exe = sys.executable
    ours = [exe, "-m", "convshape", "summary", "resnet50"]
    runs = [run_process(ours) for _ in range(repeat)]
    wall, mem = statistics.median(r[0] for r in runs), max(r[1] for r in runs)
    print("cold process: `convshape summary resnet50`")
    print(f"  {wall * 1e3:8.1f} ms wall, {mem:7.1f} MiB peak")
    script = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import torch, torchinfo; "
        "from torch_resnet50 import ResNet50; torchinfo.summary(ResNet50(), input_size=(1, 3, 224, 224))"
    )
    try:
        peer = [run_process([exe, "-c", script]) for _ in range(max(2, repeat // 2))]
    except RuntimeError:
        print("  peer skipped: torch and torchinfo are needed")
        return
    p_wall, p_mem = statistics.median(r[0] for r in peer), max(r[1] for r in peer)
    print("cold process: python script importing torch + torchinfo, summary of ResNet-50")
    print(f"  {p_wall * 1e3:8.1f} ms wall, {p_mem:7.1f} MiB peak")
    print(
        f"  ratio: {p_wall / wall:6.1f}x time ({verdict(p_wall / wall, TARGETS['cold_time'])}), "
        f"{p_mem / mem:6.1f}x memory ({verdict(p_mem / mem, TARGETS['cold_memory'])})"
    )


def bench_import(repeat: int) -> None:
    exe = sys.executable
    bare = statistics.median(run_process([exe, "-c", "pass"])[0] for _ in range(repeat))
    ours = statistics.median(run_process([exe, "-c", "import convshape"])[0] for _ in range(repeat))
    first = statistics.median(
        run_process([exe, "-c", "import convshape as cs; cs.trace(cs.zoo.seed(), (1, 83, 83))"])[0]
        for _ in range(repeat)
    )
    loaded = subprocess.run(
        [exe, "-c", "import sys, convshape; print(sorted(m for m in ('torch', 'onnx', 'keras', 'numpy', "
                    "'tensorflow', 'jax') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    extra = (ours - bare) * 1e3
    print("import convshape (median wall of fresh interpreters)")
    print(
        f"  bare interpreter {bare * 1e3:6.1f} ms; import convshape {ours * 1e3:6.1f} ms: +{extra:.1f} ms "
        f"(target <= {TARGETS['import_ms']:g} ms: {'met' if extra <= TARGETS['import_ms'] else 'NOT met'})"
    )
    print(
        f"  import + first trace of the seed network: +{(first - bare) * 1e3:.1f} ms; frameworks loaded: {loaded}"
    )


def bench_scaling(quick: bool) -> None:
    import convshape as cs
    from convshape import tracing

    print("scaling (first traces: every cache emptied before each)")
    sizes = (10, 100, 1_000, 10_000)
    for n in sizes:
        chain = cs.Sequential(*[cs.Conv(4, 3, padding=1, name=f"c{i}") for i in range(n)])

        def run_chain(chain: cs.Sequential = chain) -> None:
            tracing._clear_caches()
            cs.trace(chain, (4, 8, 8))

        t = median_time(run_chain, 3 if quick or n >= 1000 else 10)
        print(f"  chain of {n:>6,} convolutions: {t * 1e3:9.2f} ms  ({t / n * 1e6:6.2f} us per layer)")
    for depth in (10, 100, 1_000, 10_000):
        nested: cs.Layer = cs.Conv(4, 3, padding=1)
        for _ in range(depth):
            nested = cs.Sequential(nested)

        def run_nested(nested: cs.Layer = nested) -> None:
            tracing._clear_caches()
            cs.trace(nested, (4, 8, 8))

        t = median_time(run_nested, 3)
        print(
            f"  nesting depth {depth:>6,}:               {t * 1e3:9.2f} ms  ({t / depth * 1e6:6.2f} us per level)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    repeat = 5 if args.quick else 21
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    print()
    # Child processes first: a child's peak memory counts the parent's image it was forked
    # from, so the parent must not have imported torch yet.
    ensure_bytecode()
    bench_cold(max(3, repeat // 3))
    print()
    bench_import(repeat)
    print()
    bench_scaling(args.quick)
    print()
    bench_trace(repeat * 5)


if __name__ == "__main__":
    main()

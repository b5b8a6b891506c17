"""convshape's benchmarks: speed and memory against the peers, measured in the same run.

    python benchmarks/run.py            # everything (needs torch==2.13.0 and torchinfo for the peers)
    python benchmarks/run.py --quick    # fewer repetitions

Every figure is a median; ratios compare numbers taken in this run on this machine, with the
contenders interleaved (one of ours, one of theirs, and again) so that a slow patch of the
machine hits both.  convshape is judged on *first* traces: a spec never traced, at an input
size never traced.  The yardstick is PyTorch's meta-device forward in eval mode under
``no_grad``, on one thread.  Nothing here is asserted in the test suite: speed is measured,
not tested.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

TARGETS = {
    "first_trace": 300.0,  # first trace of ResNet-50 vs the meta-device forward (eval, no_grad)
    "sweep": 100.0,  # build + trace a random CNN vs build on the meta device + forward
    "cold_time": 30.0,  # `convshape summary resnet50` vs a torch + torchinfo script: wall time
    "cold_memory": 20.0,  # and peak memory
    "import_ms": 15.0,  # import convshape + build and trace ResNet-50: CPU ms over a bare interpreter
}


def verdict(ratio: float, target: float) -> str:
    return f"target >= {target:g}x: {'met' if ratio >= target else 'NOT met'}"


def interleaved(
    ours: Callable[[int], object], theirs: Callable[[int], object], rounds: int
) -> tuple[float, float]:
    """Median seconds of each contender, called alternately with the round number."""
    a: list[float] = []
    b: list[float] = []
    for i in range(rounds):
        start = time.perf_counter()
        ours(i)
        a.append(time.perf_counter() - start)
        start = time.perf_counter()
        theirs(i)
        b.append(time.perf_counter() - start)
    return statistics.median(a), statistics.median(b)


def _torch() -> Any:
    try:
        import torch
    except ImportError:
        return None
    torch.set_num_threads(1)
    return torch


def bench_first_trace(rounds: int) -> None:
    """ResNet-50: a spec never traced, at an input size never traced, vs the meta-device forward."""
    import convshape as cs

    specs = [cs.zoo.resnet50() for _ in range(rounds)]  # built beforehand: the trace is timed
    sizes = [224 + i for i in range(rounds)]  # every round a size not traced before
    rows = len(cs.trace(cs.zoo.resnet50(), (3, 224, 224)).rows)
    print(f"first trace of ResNet-50 ({rows} rows: shapes, params, kernels, MACs, receptive fields)")
    torch = _torch()
    if torch is None:
        alone = statistics.median(_timed(cs.trace, specs[i], (3, sizes[i], sizes[i])) for i in range(rounds))
        print(
            f"  convshape {alone * 1e6:8.0f} us; peers skipped: torch is not installed (pip install torch==2.13.0)"
        )
        return
    from torch_resnet50 import ResNet50

    with torch.device("meta"):
        model = ResNet50().eval()

    def ours(i: int) -> None:
        cs.trace(specs[i], (3, sizes[i], sizes[i]))

    def meta(i: int) -> None:
        with torch.no_grad():
            model(torch.empty(1, 3, sizes[i], sizes[i], device="meta"))

    t_ours, t_meta = interleaved(ours, meta, rounds)
    print(f"  convshape trace                            {t_ours * 1e6:10.0f} us")
    print(f"  PyTorch {torch.__version__} meta forward (eval, no_grad) {t_meta * 1e6:10.0f} us")
    print(f"  ratio: {t_meta / t_ours:8.1f}x   {verdict(t_meta / t_ours, TARGETS['first_trace'])}")
    # The same yardstick for the leanest pure-Python loop computing the same numbers (floor.py):
    # what any pure-Python tracer can reach on this machine, measured the same way.
    import floor

    plans = [floor.resnet50_ops() for _ in range(rounds)]
    t_floor, t_meta2 = interleaved(lambda i: floor.trace(plans[i], sizes[i]), meta, rounds)
    print(
        f"  pure-Python floor (benchmarks/floor.py: no validation, no messages) {t_floor * 1e6:6.0f} us, "
        f"ratio {t_meta2 / t_floor:6.1f}x; convshape takes {t_ours / t_floor:.2f}x the floor's time"
    )
    try:
        import torchinfo
    except ImportError:
        print("  torchinfo skipped: not installed (pip install torchinfo)")
        return
    cpu_model = ResNet50().eval()
    count = max(5, rounds // 4)
    specs2 = [cs.zoo.resnet50() for _ in range(count)]
    sizes = [224 + rounds + i for i in range(count)]

    def summary(i: int) -> None:
        with contextlib.redirect_stdout(io.StringIO()):
            torchinfo.summary(cpu_model, input_size=(1, 3, sizes[i], sizes[i]), verbose=0)

    t_ours2, t_info = interleaved(
        lambda i: cs.trace(specs2[i], (3, sizes[i], sizes[i])), summary, len(specs2)
    )
    print(
        f"  torchinfo.summary (eval)                   {t_info * 1e6:10.0f} us   ratio {t_info / t_ours2:8.1f}x"
    )


def _timed(fn: Callable[..., object], *args: object) -> float:
    """Seconds one call ``fn(*args)`` takes."""
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def random_cnn(rng: random.Random) -> list[tuple[Any, ...]]:
    """A random CNN as a list of steps: 8 to 40 layers, groups, strides, residual blocks."""
    steps: list[tuple[Any, ...]] = []
    channels, size, layers = 3, 64, 0
    target = rng.randint(8, 40)
    while layers < target - 3:
        if rng.random() < 0.3 and layers + 5 <= target - 3:  # a residual block keeping the shape
            groups = rng.choice([g for g in (1, 2, 4) if channels % g == 0])
            steps.append(("residual", channels, groups))
            layers += 5
            continue
        out = rng.choice([8, 16, 24, 32, 48, 64])
        groups = rng.choice([g for g in (1, 2, 4, 8) if channels % g == 0 and out % g == 0])
        k = rng.choice([1, 3, 5])
        stride = 2 if size >= 8 and rng.random() < 0.25 else 1
        steps.append(("conv", out, k, stride, k // 2, groups))
        steps.append(("bn",))
        steps.append(("relu",))
        size = (size + 2 * (k // 2) - k) // stride + 1
        channels = out
        layers += 3
    steps.append(("head", 10))
    return steps


def build_ours(cs: Any, steps: list[tuple[Any, ...]]) -> Any:
    layers: list[Any] = []
    for step in steps:
        if step[0] == "conv":
            _, out, k, stride, pad, groups = step
            layers.append(cs.Conv(out, k, stride=stride, padding=pad, groups=groups, bias=False))
        elif step[0] == "bn":
            layers.append(cs.BatchNorm())
        elif step[0] == "relu":
            layers.append(cs.Activation("relu"))
        elif step[0] == "residual":
            _, c, g = step
            body = [cs.Conv(c, 3, padding=1, groups=g, bias=False), cs.BatchNorm(), cs.Activation("relu"),
                    cs.Conv(c, 3, padding=1, groups=g, bias=False), cs.BatchNorm()]  # fmt: skip
            layers.append(cs.Residual(*body))
        else:
            layers += [cs.AdaptiveAvgPool(1), cs.Flatten(), cs.Linear(step[1])]
    return cs.Sequential(*layers)


def torch_residual(torch: Any) -> Any:
    """PyTorch has no residual module: the one a user writes (defined once, as a user would)."""

    class Residual(torch.nn.Module):  # type: ignore[misc]
        def __init__(self, body: Any) -> None:
            super().__init__()
            self.body = body

        def forward(self, x: Any) -> Any:
            return self.body(x) + x

    return Residual


def build_theirs(torch: Any, residual: Any, steps: list[tuple[Any, ...]]) -> Any:
    nn = torch.nn
    modules: list[Any] = []
    channels = 3
    for step in steps:
        if step[0] == "conv":
            _, out, k, stride, pad, groups = step
            modules.append(nn.Conv2d(channels, out, k, stride, pad, groups=groups, bias=False))
            channels = out
        elif step[0] == "bn":
            modules.append(nn.BatchNorm2d(channels))
        elif step[0] == "relu":
            modules.append(nn.ReLU())
        elif step[0] == "residual":
            _, c, g = step
            modules.append(residual(nn.Sequential(
                nn.Conv2d(c, c, 3, 1, 1, groups=g, bias=False), nn.BatchNorm2d(c), nn.ReLU(),
                nn.Conv2d(c, c, 3, 1, 1, groups=g, bias=False), nn.BatchNorm2d(c))))  # fmt: skip
        else:
            modules += [nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(channels, step[1])]
    return nn.Sequential(*modules)


def bench_sweep(count: int) -> None:
    """An architecture sweep: distinct random CNNs, each built and traced once."""
    import convshape as cs

    rng = random.Random(2026)
    nets = [random_cnn(rng) for _ in range(count)]
    layers = statistics.median(len(cs.trace(build_ours(cs, n), (3, 64, 64)).rows) for n in nets[:50])
    print(
        f"architecture sweep: {count:,} distinct random CNNs (8-40 layers, groups, residuals; median {layers:.0f} rows)"
    )
    torch = _torch()

    def ours(i: int) -> None:
        cs.trace(build_ours(cs, nets[i]), (3, 64, 64))

    if torch is None:
        alone = statistics.median(_timed(ours, i) for i in range(count))
        print(f"  convshape build + trace {alone * 1e6:8.0f} us; peer skipped: torch is not installed")
        return

    residual = torch_residual(torch)

    def theirs(i: int) -> None:
        with torch.device("meta"):
            model = build_theirs(torch, residual, nets[i]).eval()
        with torch.no_grad():
            model(torch.empty(1, 3, 64, 64, device="meta"))

    t_ours, t_meta = interleaved(ours, theirs, count)
    print(f"  convshape: build the spec + trace          {t_ours * 1e6:10.0f} us")
    print(f"  PyTorch: build on the meta device + forward {t_meta * 1e6:9.0f} us")
    print(f"  ratio: {t_meta / t_ours:8.1f}x   {verdict(t_meta / t_ours, TARGETS['sweep'])}")


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


def run_process(argv: list[str]) -> tuple[float, float, float]:
    """Wall time (s), CPU time (s) and peak resident memory (MiB) of a child process.

    Linux keeps a process's peak across ``exec``, so a child forked from this (large) process
    would report this process's size as its own peak; GNU time, a small process, forks the
    command instead and reports its true peak.  Without GNU time the peak is an upper bound.
    """
    start = time.perf_counter()
    gnu_time = Path("/usr/bin/time")
    with tempfile.NamedTemporaryFile("r") as report:
        command = [str(gnu_time), "-f", "%M", "-o", report.name, *argv] if gnu_time.exists() else argv
        proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise RuntimeError(f"{argv} exited with status {status}")
        text = report.read().strip().splitlines()
    peak = int(text[-1]) / 1024 if gnu_time.exists() and text else usage.ru_maxrss / 1024
    return wall, usage.ru_utime + usage.ru_stime, peak


def bench_cold(repeat: int) -> None:
    exe = sys.executable
    ours = [exe, "-m", "convshape", "summary", "resnet50"]
    script = (
        f"import sys; sys.path.insert(0, {str(HERE)!r}); import torch, torchinfo; "
        "from torch_resnet50 import ResNet50; torchinfo.summary(ResNet50().eval(), input_size=(1, 3, 224, 224))"
    )
    runs, peer = [], []
    for _ in range(repeat):  # interleaved
        runs.append(run_process(ours))
        with contextlib.suppress(RuntimeError):
            peer.append(run_process([exe, "-c", script]))
    wall, mem = statistics.median(r[0] for r in runs), max(r[2] for r in runs)
    print("cold process: `convshape summary resnet50`")
    print(f"  {wall * 1e3:8.1f} ms wall, {mem:7.1f} MiB peak")
    if not peer:
        print("  peer skipped: torch and torchinfo are needed")
        return
    p_wall, p_mem = statistics.median(r[0] for r in peer), max(r[2] for r in peer)
    print("cold process: python script importing torch + torchinfo, summary of ResNet-50")
    print(f"  {p_wall * 1e3:8.1f} ms wall, {p_mem:7.1f} MiB peak")
    print(
        f"  ratio: {p_wall / wall:6.1f}x time ({verdict(p_wall / wall, TARGETS['cold_time'])}), "
        f"{p_mem / mem:6.1f}x memory ({verdict(p_mem / mem, TARGETS['cold_memory'])})"
    )


def bench_import(repeat: int) -> None:
    exe = sys.executable
    first_trace = "import convshape as cs; cs.trace(cs.zoo.resnet50(), (3, 224, 224))"
    bare, imported, traced = [], [], []
    for _ in range(repeat):  # interleaved; CPU time, as the target is stated
        bare.append(run_process([exe, "-c", "pass"])[1])
        imported.append(run_process([exe, "-c", "import convshape"])[1])
        traced.append(run_process([exe, "-c", first_trace])[1])
    # each round's own difference from its bare interpreter, then the median: a slow patch of the
    # machine (a bare interpreter here takes 13-22 ms from one minute to the next) cancels out
    b = statistics.median(bare) * 1e3
    i = b + statistics.median(x - y for x, y in zip(imported, bare, strict=True)) * 1e3
    t = b + statistics.median(x - y for x, y in zip(traced, bare, strict=True)) * 1e3
    loaded = subprocess.run(
        [exe, "-c", f"import sys; {first_trace}; print(sorted(m for m in ('torch', 'onnx', 'keras', 'numpy', "
                    "'tensorflow', 'jax') if m in sys.modules))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    heavy = subprocess.run(
        [exe, "-c", f"import sys; before = set(sys.modules); {first_trace}; "
                    "print(sorted(m for m in ('typing', 'dataclasses', 'inspect', 'collections') "
                    "if m in sys.modules and m not in before))"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    print("import convshape (median CPU time of fresh interpreters)")
    print(f"  bare interpreter {b:6.1f} ms; import convshape +{i - b:.1f} ms")
    print(
        f"  import + build + first trace of ResNet-50: +{t - b:.1f} ms "
        f"(target <= {TARGETS['import_ms']:g} ms: {'met' if t - b <= TARGETS['import_ms'] else 'NOT met'})"
    )
    print(f"  frameworks loaded: {loaded}; slow standard modules it loaded: {heavy}")


def bench_scaling(quick: bool) -> None:
    import convshape as cs

    print("scaling (first traces of specs never traced)")
    for n in (10, 100, 1_000, 10_000):
        chains = [
            cs.Sequential(*[cs.Conv(4, 3, padding=1, name=f"c{i}") for i in range(n)]) for _ in range(3)
        ]
        t = statistics.median(_timed(cs.trace, c, (4, 8, 8)) for c in chains)
        print(f"  chain of {n:>7,} convolutions: {t * 1e3:9.2f} ms  ({t / n * 1e6:6.2f} us per layer)")
    for depth in (10, 1_000, 100_000):
        nested: cs.Layer = cs.Conv(4, 3, padding=1)
        for _ in range(depth):
            nested = cs.Residual(nested)
        t = _timed(cs.trace, nested, (4, 8, 8))
        print(
            f"  nested Residuals, depth {depth:>7,}: {t * 1e3:9.2f} ms  ({t / depth * 1e6:6.2f} us per level)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )
    print()
    # Child processes first: a child's peak memory counts the parent's image it was forked
    # from, so the parent must not have imported torch yet.
    ensure_bytecode()
    bench_cold(3 if args.quick else 7)
    print()
    bench_import(5 if args.quick else 41)
    print()
    bench_scaling(args.quick)
    print()
    bench_first_trace(40 if args.quick else 101)
    print()
    bench_sweep(200 if args.quick else 2000)


if __name__ == "__main__":
    main()

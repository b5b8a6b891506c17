"""The core's guarantees: specs are frozen dataclasses to their users, every operation on a spec
works at any nesting depth, graphs build in linear time, and traces are safe in threads."""

from __future__ import annotations

import copy
import dataclasses
import gc
import pickle
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import convshape as cs
from convshape import Conv, Identity, Residual, Sequential, trace
from convshape._paths import _display_paths, _fold_path, _Paths
from convshape.render import lines

DEPTH = 100_000


def _nested_sequentials(depth: int) -> cs.Layer:
    net: cs.Layer = Conv(4, 3, padding=1, name="leaf")
    for _ in range(depth):
        net = Sequential(net)
    return net


def _nested_residuals(depth: int) -> cs.Layer:
    net: cs.Layer = Identity()
    for _ in range(depth):
        net = Residual(net)
    return net


# --- the dataclass contract ------------------------------------------------------------


@pytest.mark.parametrize(
    "layer",
    [
        Conv(8, 3, stride=2),
        cs.MaxPool(2),
        cs.Linear(4),
        cs.Activation("gelu"),
        Sequential(Conv(4, 1)),
        Residual(Conv(4, 1)),
        cs.Graph([cs.Node("a", Conv(4, 1))]),
    ],
)
def test_specs_are_frozen_dataclasses(layer: cs.Layer) -> None:
    """fields(), replace(), asdict() and is_dataclass() work; assignment raises FrozenInstanceError."""
    assert dataclasses.is_dataclass(layer)
    names = [f.name for f in dataclasses.fields(layer)]
    assert names == list(type(layer)._fields)
    assert "name" in names
    with pytest.raises(dataclasses.FrozenInstanceError):
        layer.name = "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        del layer.name
    assert not hasattr(layer, "__dict__")
    assert pickle.loads(pickle.dumps(layer)) == layer


def _spec_classes() -> list[type]:
    return sorted(
        {getattr(cs, name) for name in dir(cs) if isinstance(getattr(cs, name), type)}
        & set(_subclasses(cs.Layer)),
        key=lambda cls: cls.__name__,
    )


def _subclasses(cls: type) -> list[type]:
    found = [cls]
    subclasses: list[type] = type.__subclasses__(cls)
    for sub in subclasses:
        found += _subclasses(sub)
    return found


def test_a_spec_is_an_instance_of_its_own_class_once_built_or_refused() -> None:
    """While its fields are stored, a spec is an instance of its class's open twin (fast plain
    stores); it is an instance of its own class again before ``__post_init__`` runs, and when
    ``__init__`` raises."""
    for layer in [*cs.zoo.resnet50().layers, Conv(8, 3, name="c"), cs.ConvTranspose(4, 2), cs.MaxPool(3)]:
        assert "_twin_of" not in type(layer).__dict__
        assert type(layer).__setattr__ is not object.__setattr__
    refused = object.__new__(Conv)
    with pytest.raises(cs.ParameterError, match="groups"):
        refused.__init__(8, 3, groups=3)  # type: ignore[misc]
    assert type(refused) is Conv
    with pytest.raises(dataclasses.FrozenInstanceError):
        refused.groups = 1  # type: ignore[misc]
    for cls in _spec_classes():  # every public spec class's twin adds nothing to its layout
        twin = cls.__dict__.get("_open")
        if twin is not None:
            assert twin.__bases__ == (cls,)
            assert twin.__slots__ == ()
            assert twin._twin_of is cls


class _Checked(cs.Linear):
    """A user's subclass whose ``__post_init__`` reads its class and copies itself."""

    copying = False

    def __post_init__(self) -> None:
        if type(self) is not _Checked:
            raise TypeError(f"built as {type(self)!r}")
        super().__post_init__()
        if not _Checked.copying:  # (a copy runs __post_init__ too)
            _Checked.copying = True
            try:
                object.__setattr__(self, "copies", (copy.copy(self), pickle.loads(pickle.dumps(self))))
            finally:
                _Checked.copying = False


class _Tagged(cs.Dropout):
    """A user's base class with a required class keyword."""

    def __init_subclass__(cls, *, tag: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.tag = tag  # type: ignore[attr-defined]


class _Leaf(_Tagged, tag="leaf"):
    pass


@pytest.mark.parametrize("slots", [False, True])
def test_subclasses_of_a_spec_are_built_frozen_as_themselves(slots: bool) -> None:
    """A subclass defined outside convshape (with a ``__dict__`` or without) stores its fields
    through ``object.__setattr__``: no twin of its own, so its ``__init_subclass__`` is not run
    again; it is frozen, compares by value, and its checks name it."""
    namespace: dict[str, object] = {"__slots__": ()} if slots else {}
    Wide: Any = type("Wide", (Conv,), namespace)
    wide: Any = Wide(8, 3, padding=1)
    assert type(wide) is Wide
    assert wide.out_channels == 8
    assert "_open" not in Wide.__dict__
    with pytest.raises(dataclasses.FrozenInstanceError):
        wide.stride = 2
    assert wide == Wide(8, 3, padding=1)
    assert wide != Conv(8, 3, padding=1)
    assert trace(wide, (3, 8, 8)).total_params == trace(Conv(8, 3, padding=1), (3, 8, 8)).total_params
    assert type(Conv(4, 1)) is Conv
    with pytest.raises(cs.ParameterError, match=r"^Wide: "):
        Wide(8, 3, groups=3)
    Chain: Any = type("Chain", (Sequential,), namespace)
    assert Chain(Conv(4, 1))._flat == 0  # a subclass may trace its own way: never walked in place
    checked: Any = _Checked(4)  # its __post_init__ sees its own class; copies made there are frozen
    for duplicate in checked.copies:
        assert type(duplicate) is _Checked
        assert duplicate == checked
        with pytest.raises(dataclasses.FrozenInstanceError):
            duplicate.bias = False  # type: ignore[misc]
    assert (_Tagged(0.5).p, _Leaf(0.5).p, getattr(_Leaf, "tag", None)) == (0.5, 0.5, "leaf")
    assert [sub.__name__ for sub in type.__subclasses__(_Tagged)] == ["_Leaf"]


def test_a_subclass_of_conv_runs_its_own_checks() -> None:
    """The common case of a Conv is derived in one step only for Conv itself: a subclass's
    own ``_check_common`` runs."""

    class Strict(Conv):
        def _check_common(self) -> None:
            if self.stride > self.kernel_size:  # type: ignore[operator]
                raise cs.ParameterError("stride larger than the kernel", where="Strict")
            super()._check_common()

    with pytest.raises(cs.ParameterError, match="stride larger"):
        Strict(8, 1, stride=2)
    assert Strict(8, 3, stride=2)._op == Conv(8, 3, stride=2)._op


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Conv(8, 0), "Conv: kernel_size must be an integer >= 1, got 0"),
        (lambda: Conv(8, 3, stride=0), "Conv: stride must be an integer >= 1, got 0"),
        (lambda: Conv(8, 0, in_channels=3), "Conv: kernel_size must be an integer >= 1, got 0"),
        (lambda: Conv(8, (3, 0), in_channels=3), "Conv: kernel_size[1] must be an integer >= 1, got 0"),
        (lambda: cs.ConvTranspose(8, 0), "ConvTranspose: kernel_size must be an integer >= 1, got 0"),
        (lambda: cs.ConvTranspose(8, 3, output_padding=-1), "ConvTranspose: output_padding must be"),
        (lambda: Sequential(5, name=3), "Sequential item 0 must be a layer spec"),  # type: ignore[arg-type]
    ],
)
def test_refusals_name_the_layer_and_come_in_order(build: Any, message: str) -> None:
    with pytest.raises((cs.ParameterError, TypeError)) as info:
        build()
    assert str(info.value).startswith(message)


def test_a_pickled_container_holding_a_non_spec_is_refused() -> None:
    from convshape._frozen import _restore

    with pytest.raises(TypeError, match="cannot unpickle a Sequential"):
        _restore(Sequential, (("layers", (Conv(8, 3), 5)), ("name", None)))


def test_a_pickled_program_holding_a_non_spec_is_refused() -> None:
    from convshape._frozen import _CONSTANT, unpack

    program = [_CONSTANT, _CONSTANT, 2, _CONSTANT, Sequential]
    with pytest.raises(TypeError, match="cannot unpickle a Sequential"):
        unpack(program, [Conv(8, 3), 5, None])


def test_pickle_and_deepcopy_keep_shared_specs_shared() -> None:
    """A spec held twice in a network is pickled once and comes back as one object."""
    conv = Conv(4, 3, padding=1)
    block = Sequential(conv, cs.BatchNorm())
    graph = cs.Graph([cs.Node("a", block), cs.Node("b", block, ["a"]), cs.Node("sum", cs.Add(), ["a", "b"])])
    network = Sequential(block, Residual(block), graph, conv)
    for copied in (pickle.loads(pickle.dumps(network)), copy.deepcopy(network)):
        assert copied == network
        assert trace(copied, (4, 8, 8)).rows == trace(network, (4, 8, 8)).rows
        first, residual, copied_graph, last = copied.layers
        assert isinstance(residual, Residual)
        assert isinstance(copied_graph, cs.Graph)
        assert residual.body.layers[0] is first
        assert copied_graph.nodes[0].op is first
        assert isinstance(first, Sequential)
        assert first.layers[0] is last


def test_a_pickled_residual_whose_body_is_not_a_spec_is_refused() -> None:
    from convshape._frozen import _restore

    with pytest.raises(TypeError, match="cannot unpickle a Residual"):
        _restore(Residual, (("body", 5), ("shortcut", None), ("name", None)))


class _Block(Sequential):
    """A user's container that pickles its own way (its constructor's arguments)."""

    def __init__(self, channels: int, name: str | None = None) -> None:
        super().__init__(Conv(channels, 3, padding=1), cs.BatchNorm(), name=name)
        object.__setattr__(self, "channels", channels)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Block, (self.__dict__["channels"], self.name))


@pytest.mark.parametrize("levels", [1, 100])
def test_a_container_that_pickles_its_own_way_is_left_to_do_so(levels: int) -> None:
    """Inside a shallow or a deep network, a subclass's own __reduce__ is what pickle uses."""
    network: cs.Layer = _Block(4)
    for _ in range(levels):
        network = Sequential(network)
    for copied in (pickle.loads(pickle.dumps(network)), copy.deepcopy(network)):
        for _ in range(levels):
            assert isinstance(copied, Sequential)
            (copied,) = copied.layers
        assert type(copied) is _Block
        assert getattr(copied, "channels", None) == 4


def test_containers_stay_shared_with_what_is_pickled_beside_them() -> None:
    """pickle's and deepcopy's own memo keep a container shared between a network and other
    references: a list, a report, an error's layer; in a deep network too (its shallow parts)."""
    residual = Residual(Conv(5, 1))
    network = Sequential(Conv(5, 1), residual, Conv(4, 1))
    loaded = pickle.loads(pickle.dumps([network, residual]))
    assert loaded[0].layers[1] is loaded[1]
    copied: dict[str, Any] = copy.deepcopy({"network": network, "block": residual})
    assert copied["network"].layers[1] is copied["block"]
    report = trace(network, (4, 6, 6))
    again, again_report = pickle.loads(pickle.dumps((network, report)))
    assert again_report.network is again
    with pytest.raises(cs.ShapeError) as info:
        trace(Sequential(Conv(4, 1), Residual(Conv(5, 1))), (4, 6, 6))
    error = pickle.loads(pickle.dumps(info.value))
    assert error.layer is error.report.network.layers[1]
    deep: cs.Layer = residual
    for _ in range(100):
        deep = Sequential(deep)
    loaded = pickle.loads(pickle.dumps([deep, residual]))
    inner = loaded[0]
    for _ in range(100):
        assert isinstance(inner, Sequential)
        (inner,) = inner.layers
    assert inner is loaded[1]
    assert copy.copy(network).layers[1] is residual  # a shallow copy holds the same children


def test_a_first_build_racing_another_thread_compiles_once_and_succeeds() -> None:
    """A thread that looked up a class's lazy ``__init__`` before another thread replaced it
    still builds its spec."""
    code = (
        "import convshape as cs\n"
        "stub = cs.Dropout.__init__\n"
        "cs.Dropout(0.1)\n"
        "spec = object.__new__(cs.Dropout)\n"
        "stub(spec, 0.2)\n"
        "print(spec)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "Dropout(p=0.2, name=None)"


def test_a_generated_init_is_named_for_its_class_in_tracebacks() -> None:
    """The generated ``__init__`` keeps the fields' signature and a file name that says whose it is."""
    code = (
        "import convshape as cs, traceback\n"
        "try:\n"
        "    cs.Conv(8, 3, stride=0)\n"
        "except cs.ParameterError as err:\n"
        "    print([frame.filename for frame in traceback.extract_tb(err.__traceback__)][-3:])\n"
        "init = cs.Conv.__init__\n"
        "print(init.__qualname__, init.__code__.co_filename, init.__code__.co_varnames[:3])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    frames, names = out.splitlines()
    assert "<convshape Conv.__init__>" in frames
    assert names == "Conv.__init__ <convshape Conv.__init__> ('self', 'out_channels', 'kernel_size')"


def test_the_compiled_inits_match_the_classes() -> None:
    """convshape/_inits.py holds every generated ``__init__`` compiled ahead; it must be what the
    classes would generate now (after changing a class's fields or the template, write it again
    with ``python -m convshape._frozen``), and a class whose fields differ from it compiles its own."""
    from convshape import _frozen, _inits

    written = Path(_inits.__file__).read_text()
    assert written == _frozen._inits_text(), "convshape/_inits.py is stale: run python -m convshape._frozen"
    assert "convshape.layers.Conv" in _inits.INITS
    # the same name with other fields: not the compiled code
    init = _frozen._make_init("convshape.layers.Conv", ("x",), (), {}, False)
    spec = object.__new__(cs.Identity)
    with pytest.raises(TypeError, match="required positional argument: 'x'"):
        init(spec)


def test_the_decorator_takes_no_fields_and_refuses_names_its_init_holds() -> None:
    """A class without fields builds; a field that would hide a name of the generated
    ``__init__`` is refused when the class is made, not misread when an object is."""
    from convshape._frozen import frozen

    @frozen
    class Empty:
        pass

    assert Empty() == Empty()
    for name in ("cls", "_names", "err"):
        with pytest.raises(TypeError, match=f"may not be named '{name}'"):
            frozen(type("Clash", (), {"__annotations__": {name: "int"}}))


def test_replace_revalidates_and_asdict_reads_the_fields() -> None:
    conv = Conv(8, 3, stride=2, name="c")
    wider = dataclasses.replace(conv, out_channels=16)
    assert (wider.out_channels, wider.stride, wider.name) == (16, 2, "c")
    assert trace(wider, (3, 9, 9)).output_shape == (16, 4, 4)
    with pytest.raises(cs.ParameterError, match="groups"):
        dataclasses.replace(conv, groups=3)
    assert dataclasses.asdict(cs.MaxPool(2, stride=1)) == {
        "kernel_size": 2, "stride": 1, "padding": 0, "dilation": 1, "ceil_mode": False, "convention": "pytorch",
        "name": None,
    }  # fmt: skip
    assert [f.kw_only for f in dataclasses.fields(Conv)][:3] == [False, False, True]


def test_equal_specs_hash_alike_and_unequal_ones_differ() -> None:
    a = Sequential(Conv(4, 3), Residual(Conv(4, 1)), name="n")
    b = Sequential(Conv(4, 3), Residual(Conv(4, 1)), name="n")
    c = Sequential(Conv(4, 3), Residual(Conv(4, 2)), name="n")
    assert a == b
    assert hash(a) == hash(b)
    assert a != c
    assert len({a, b, c}) == 2
    assert Sequential(Conv(4, 3)) != Sequential(Conv(4, 3), name="other")
    assert repr(a) == repr(b) != repr(c)
    assert repr(Sequential(Identity())) == "Sequential(layers=(Identity(name=None),), name=None)"


# --- depth -------------------------------------------------------------------------------


def test_hash_eq_repr_trace_and_to_dict_at_depth_100000() -> None:
    """Every operation on a spec nested 100,000 levels deep works, with no RecursionError."""
    a, b = _nested_sequentials(DEPTH), _nested_sequentials(DEPTH)
    assert hash(a) == hash(b)
    assert a == b
    assert a != _nested_sequentials(DEPTH - 1)
    text = repr(a)
    assert text.startswith("Sequential(layers=(Sequential(layers=(")
    assert text.count("Sequential(") == DEPTH
    assert "Conv(out_channels=4" in text
    report = trace(a, (4, 8, 8))
    assert report.output_shape == (4, 8, 8)
    assert report.rows[0].path == "0" + ".0" * (DEPTH - 1)  # the outermost Sequential is the root
    assert [p.detail.split(";")[0] for p in cs.check(a, (4,))] == [
        "expects an input (channels, *spatial) with at least one spatial axis, got (4,)"
    ]
    tree = cs.to_dict(a)  # the outermost Sequential is the document itself
    (tree,) = tree["layers"]
    depth = 1
    while tree.get("type") == "sequential":  # walk the nested dicts without recursion
        (tree,) = tree["layers"]
        depth += 1
    assert depth == DEPTH
    assert tree["type"] == "conv"


def test_pickle_and_deepcopy_at_depth_100000() -> None:
    """Nested specs are pickled as one flat program: no RecursionError (it used to come at 300
    levels).  A deep copy goes the same way (checked 10,000 deep, to keep the suite quick)."""
    network = _nested_residuals(DEPTH)
    copied = pickle.loads(pickle.dumps(network))
    assert copied == network
    assert copied is not network
    shallower = _nested_sequentials(DEPTH // 10)
    assert copy.deepcopy(shallower) == shallower


def test_a_report_pickles_at_depth_and_keeps_its_layers_the_networks_own() -> None:
    """A report pickles its rows' paths as a flat table and their layers within the network's
    program: any depth, and each row's layer is the unpickled network's object."""
    network = _nested_residuals(DEPTH // 10)
    report = trace(network, (2, 4))
    copied = pickle.loads(pickle.dumps(report))
    assert copied.network == network
    assert len(copied.rows) == len(report.rows) == DEPTH // 10 + 1
    assert [row.path for row in copied.rows[-3:]] == [row.path for row in report.rows[-3:]]
    assert copied.rows[-1].layer is copied.network
    assert copied.rows[-2].layer is copied.network.body.layers[0]
    resnet = trace(cs.zoo.resnet50(), (3, 224, 224))
    again = pickle.loads(pickle.dumps(resnet))
    assert again.rows == resnet.rows
    assert str(again) == str(resnet)
    owned = set()  # every container object inside the unpickled network
    todo: list[object] = [again.network]
    while todo:
        item = todo.pop()
        owned.add(id(item))
        todo += getattr(item, "layers", ())
        todo += [getattr(item, "body", None)] if isinstance(item, Residual) else []
    merges = [row for row in again.rows if row.kind == "Residual"]
    assert len(merges) == 16
    assert all(id(row.layer) in owned for row in merges)


def test_nested_residuals_are_linear_in_depth() -> None:
    """Paths are joined only when a row is read: a trace of deep nesting stays linear."""
    small, large = _nested_residuals(1_000), _nested_residuals(DEPTH)
    start = time.perf_counter()
    trace(small, (2, 4))
    t_small = time.perf_counter() - start
    start = time.perf_counter()
    report = trace(large, (2, 4))
    t_large = time.perf_counter() - start
    assert report.output_shape == (2, 4)
    assert len(report.rows) == DEPTH + 1
    assert report.rows[-1].path == "0"
    assert report.rows[-2].path == "0.body.0"
    # 100x the levels: a quadratic trace would take ~10,000x as long; allow a noisy 1,000x
    assert t_large < max(t_small, 1e-3) * 1_000


def test_graph_construction_is_linear_in_nodes() -> None:
    def chain(n: int) -> cs.Graph:
        nodes = [cs.Node(f"n{i}", Identity()) for i in range(n)]
        nodes.append(cs.Node("sum", cs.Add(), [f"n{i}" for i in range(0, n, 97)]))
        return cs.Graph(nodes)

    start = time.perf_counter()
    chain(400)
    t_small = time.perf_counter() - start
    start = time.perf_counter()
    graph = chain(40_000)
    t_large = time.perf_counter() - start
    assert trace(graph, (3, 4, 4)).output_shape == (3, 4, 4)
    assert t_large < max(t_small, 1e-3) * 1_000  # quadratic would be ~10,000x


# --- threads -------------------------------------------------------------------------------


@pytest.mark.parametrize("gc_enabled", [True, False])
def test_sixteen_threads_trace_alike_and_leave_gc_alone(gc_enabled: bool) -> None:
    """Concurrent traces of shared and distinct networks give the single-threaded results,
    and the garbage collector stays exactly as the caller set it."""
    shared = cs.zoo.resnet18()
    shapes = [(3, 64 + 8 * i, 64 + 8 * i) for i in range(6)] + [(3, 5, 5)]

    def outcome(network: cs.Layer, shape: tuple[int, ...]) -> tuple[object, ...]:
        report = cs.tracing._run(network, shape, None, False, collect=True)
        return (report.output_shape, report.total_params, report.total_macs,
                report.receptive_field, [str(p) for p in report.problems], [r.path for r in report.rows])  # fmt: skip

    expected = {shape: outcome(shared, shape) for shape in shapes}
    errors: list[BaseException] = []
    start = threading.Barrier(16)

    def worker(k: int) -> None:
        try:
            start.wait()
            for i in range(30):
                shape = shapes[(i + k) % len(shapes)]
                network = shared if (i + k) % 2 else cs.zoo.resnet18()
                assert outcome(network, shape) == expected[shape]
        except BaseException as err:  # reported below, in the main thread
            errors.append(err)

    was = gc.isenabled()
    try:
        gc.enable() if gc_enabled else gc.disable()
        threads = [threading.Thread(target=worker, args=(k,)) for k in range(16)]
        interval = sys.getswitchinterval()
        sys.setswitchinterval(1e-6)  # switch threads as often as possible
        try:
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            sys.setswitchinterval(interval)
        assert gc.isenabled() is gc_enabled
    finally:
        gc.enable() if was else gc.disable()
    assert not errors, errors[0]


def test_tracing_module_keeps_no_state_between_traces() -> None:
    """No module-level mutable containers on the trace path (no caches to grow or go stale)."""
    from convshape import layers, receptive, tracing

    for module in (tracing, layers, receptive):
        for name, value in vars(module).items():
            if name.startswith("__"):
                continue
            assert not isinstance(value, (dict, list, set)) or name in ("_FRAMES",), (
                f"{module.__name__}.{name}"
            )


def test_import_and_first_trace_load_no_heavy_module() -> None:
    """import convshape, building ResNet-50 and tracing it load neither typing, dataclasses
    nor inspect (each costs milliseconds), nor any framework."""
    code = (
        "import sys; import convshape as cs; cs.trace(cs.zoo.resnet50(), (3, 224, 224)); "
        "print(sorted(m for m in ('typing', 'dataclasses', 'inspect', 'torch', 'numpy') if m in sys.modules))"
    )
    before = subprocess.run([sys.executable, "-S", "-c", "import sys; print(sorted(sys.modules))"],
                            capture_output=True, text=True, check=True).stdout  # fmt: skip
    if "'typing'" in before:
        pytest.skip("this interpreter loads typing at startup")
    env_path = str(__import__("pathlib").Path(cs.__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-S", "-c", f"import sys; sys.path.insert(0, {env_path!r}); {code}"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    assert out == "[]"


@pytest.mark.parametrize("levels", [11, 12, 13, 40])
def test_display_paths_are_the_paths_cut_in_the_middle_past_24_segments(levels: int) -> None:
    """Tables and explanations show a path deeper than 24 segments by its first and last 12."""
    report = trace(_nested_residuals(levels), (2, 4))
    shown = _display_paths(report.rows, level=5)
    assert [view.row for view in shown] == list(report.rows)
    for view in shown:
        parts = view.row.path.split(".")
        assert (view.parts, view.head) == (len(parts), tuple(parts[:12]))
        if len(parts) <= 24:
            assert view.path == view.row.path
        else:
            assert view.path == ".".join(parts[:12]) + f".[{len(parts) - 24:,} more]." + ".".join(parts[-12:])
        if len(parts) > 5:  # the ancestor a view folds the row into at depth=4
            assert _fold_path(view, 5) == (".".join(parts[:5]),) * 2


def test_display_paths_count_the_parts_of_dotted_node_names() -> None:
    """A Graph node named after its module (``layer1.0.conv1``) has the parts of the module's
    path, so ``depth=0`` folds a converted model by its top-level modules; equal paths have
    equal keys however they are split into segments."""
    graph = cs.Graph(
        [
            cs.Node("a.x", Conv(4, 3, padding=1)),
            cs.Node("a.y", Conv(4, 3, padding=1)),
            cs.Node("b", cs.Add(), ["a.y", "input"]),
        ]
    )
    report = trace(graph, (4, 8, 8))
    assert [(line.path, line.rows) for line in lines(report, depth=0)] == [("a", 2), ("b", 0)]
    split, joined = (
        trace(Sequential(Sequential(Identity())), (2, 4)),
        trace(cs.Graph([cs.Node("0.0", Identity())]), (2, 4)),
    )
    paths = _Paths(keyed=True)
    (one,), (other,) = paths.views(split.rows), paths.views(joined.rows)
    assert (one.path, one.parts, one.first) == ("0.0", 2, "0")
    assert (other.path, other.parts, other.first) == ("0.0", 2, "0.0")
    assert one.key == other.key


def test_every_view_of_100000_nested_residuals_is_linear_in_size() -> None:
    """Full paths of n nested Residuals hold n * n segments: every view shows them cut, so the
    table, the explanation, the HTML and the picture grow with the rows, not their square."""
    network = _nested_residuals(DEPTH)
    report = trace(network, (2, 4))
    rows = len(report.rows)
    assert rows == DEPTH + 1
    text = str(report)
    assert len(text) < 400 * rows
    deepest = 1 + 2 * DEPTH  # "0", then ".body.0" per Residual
    assert f"0.body.0.body.0.body.0.body.0.body.0.body.[{deepest - 24:,} more].body.0" in text
    assert len(report.explain()) < 400 * rows
    assert len(report._repr_html_()) < 1_000 * rows
    assert len(report.render(depth=3)) < 2_000
    collapsed = lines(report, depth=30_000)  # a deep collapse is linear too
    parts = ["0", *["body", "0"] * 15_000]  # the ancestor with 30,001 segments
    assert collapsed[0].path == ".".join(parts[:12]) + f".[{30_001 - 24:,} more]." + ".".join(parts[-12:])
    assert (collapsed[0].rows, len(collapsed)) == (DEPTH - 15_000, 15_002)  # then the merges above
    assert len(report.to_svg()) < 1_000 * rows
    assert cs.verify(network, network, (2, 4)).ok

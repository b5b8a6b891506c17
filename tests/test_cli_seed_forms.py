"""The bare ``convshape`` command shows layer 3 of the seed network both ways and names the tutorial's."""

from __future__ import annotations

import io

import convshape as cs
from convshape.cli import main


def test_bare_command_shows_groups_and_table_forms() -> None:
    """Both forms' kernels, parameters and MACs (from their own traces) and which maps output map 64
    sees in each; the tutorial's form is named."""
    out = io.StringIO()
    assert main([], out=out) == 0
    text = out.getvalue()
    groups, table = cs.trace(cs.zoo.seed(), (1, 83, 83)), cs.trace(cs.zoo.seed_table(), (1, 83, 83))
    lines = {line.split("(zoo.")[1].split(")")[0]: line for line in text.splitlines() if "(zoo." in line}
    assert set(lines) == {"seed", "seed_table"}
    for name, report in (("seed", groups), ("seed_table", table)):
        row = report.rows[2]
        assert f"{row.kernels:,} kernels, {row.params:,} params, {row.macs:,} MACs" in lines[name]
        maps = row.layer.connection_table(64)[64]  # type: ignore[attr-defined]
        assert lines[name].endswith(
            ", ".join(map(str, maps)) if name == "seed_table" else f"{maps[0]}-{maps[-1]}"
        )
    assert "The tutorial's network used the connection table" in text
    assert "the report above uses groups=4" in text

"""A small TOML writer for network documents (the standard library only reads TOML)."""

from __future__ import annotations

import json
from typing import Any


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def dump_toml(doc: dict[str, Any]) -> str:
    """Top-level scalars, then ``[[layers]]`` tables; nested containers as inline tables."""
    lines = [f"{key} = {_value(doc[key])}" for key in ("name", "input") if key in doc]
    if lines:
        lines.append("")
    for layer in doc["layers"]:
        lines.append("[[layers]]")
        lines += [f"{key} = {_value(value)}" for key, value in layer.items()]
        lines.append("")
    return "\n".join(lines)

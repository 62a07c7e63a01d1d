"""Loads abi/errors.yaml: Gunyah's hypervisor error_t and RM rm_error_t values.

The same IR generates the C enums and gives Python tests their enums (HypError, RmError).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from bothy.paths import REPO_ROOT
from bothy.validation import InputFileError, load_yaml_mapping, schema_problems

SPEC_PATH = REPO_ROOT / "abi" / "errors.yaml"

_ENTRY = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "value", "doc"],
    "properties": {
        "name": {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"},
        "value": {"type": "integer"},
        "doc": {"type": "string"},
    },
}
_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["hypervisor", "rm"],
    "properties": {
        "hypervisor": {"type": "array", "items": _ENTRY},
        "rm": {"type": "array", "items": _ENTRY},
    },
}


@dataclass(frozen=True)
class ErrorCode:
    name: str
    value: int
    doc: str


@dataclass(frozen=True)
class ErrorSpec:
    path: Path
    hypervisor: tuple[ErrorCode, ...]
    rm: tuple[ErrorCode, ...]


def load_error_spec(path: Path = SPEC_PATH) -> ErrorSpec:
    raw = load_yaml_mapping(path, "error spec")
    problems = schema_problems(raw, _SCHEMA)
    if not problems:
        for group in ("hypervisor", "rm"):
            for key in ("name", "value"):
                seen = [e[key] for e in raw[group]]
                problems += [
                    f"{group}[{i}].{key}: expected a unique {key}, found {v!r} twice"
                    for i, v in enumerate(seen)
                    if v in seen[:i]
                ]
    if problems:
        raise InputFileError(path, problems, "error spec")

    def codes(group: str) -> tuple[ErrorCode, ...]:
        return tuple(ErrorCode(**e) for e in raw[group])

    return ErrorSpec(path=path, hypervisor=codes("hypervisor"), rm=codes("rm"))


@cache
def _enums() -> tuple[type[enum.IntEnum], type[enum.IntEnum]]:
    spec = load_error_spec()
    hyp = enum.IntEnum("HypError", [(e.name, e.value) for e in spec.hypervisor])  # type: ignore[misc]
    rm = enum.IntEnum("RmError", [(e.name, e.value) for e in spec.rm])  # type: ignore[misc]
    return hyp, rm


def hyp_error(value: int) -> enum.IntEnum:
    """The HypError member for a value (sign-extended 64-bit register values accepted)."""
    if value >= 1 << 63:
        value -= 1 << 64
    return _enums()[0](value)


def hyp_error_value(name: str) -> int:
    return int(_enums()[0][name])


def rm_error_value(name: str) -> int:
    return int(_enums()[1][name])

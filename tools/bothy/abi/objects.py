"""Loads abi/objects.yaml: the first-class object types, their rights and lifecycle hooks.

The IR drives the object type enum, rights constants, lifecycle dispatch and the
partition_create_<type> handlers; it is checked against the hypercall spec it refers to.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bothy.abi.hypercalls import HypercallSpec
from bothy.paths import REPO_ROOT
from bothy.validation import InputFileError, load_yaml_mapping, schema_problems

SPEC_PATH = REPO_ROOT / "abi" / "objects.yaml"
OPS = ("activate", "deactivate", "cleanup")

_IDENT = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_RIGHTS = {
    "type": "object",
    "propertyNames": _IDENT,
    "additionalProperties": {"type": "integer", "minimum": 1, "maximum": 0xFFFFFFFF},
}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["generic_rights", "types"],
    "properties": {
        "generic_rights": _RIGHTS,
        "types": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["name", "rights", "ops"],
                "properties": {
                    "name": _IDENT,
                    "create": _IDENT,
                    "rights": _RIGHTS,
                    "ops": {"type": "array", "items": {"enum": list(OPS)}, "uniqueItems": True},
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Right:
    name: str
    value: int


@dataclass(frozen=True)
class ObjectType:
    name: str
    index: int  # object_type_t value; 0 is reserved for "any type"
    create: str | None
    rights: tuple[Right, ...]
    all_rights: int
    ops: tuple[str, ...]


@dataclass(frozen=True)
class ObjectSpec:
    path: Path
    generic_rights: tuple[Right, ...]
    types: tuple[ObjectType, ...]


def _rights(raw: Mapping[str, int]) -> tuple[Right, ...]:
    return tuple(Right(n, v) for n, v in sorted(raw.items(), key=lambda kv: kv[1]))


def _problems(raw: Mapping[str, Any], hypercalls: HypercallSpec) -> Iterator[str]:
    generic = raw["generic_rights"]
    generic_bits = 0
    for value in generic.values():
        generic_bits |= value
    calls = {c.name for c in hypercalls.calls}
    names: list[str] = []
    for i, t in enumerate(raw["types"]):
        key = f"types[{i}]"
        if t["name"] in names:
            yield f"{key}.name: expected a unique type name, found {t['name']!r} twice"
        names.append(t["name"])
        if "create" in t and t["create"] not in calls:
            yield (
                f"{key}.create: expected a hypercall in {hypercalls.path.name}, "
                f"found {t['create']!r}"
            )
        seen = 0
        for right, value in t["rights"].items():
            if value & (value - 1):
                yield f"{key}.rights.{right}: expected a single bit, found {value:#x}"
            if value & (seen | generic_bits):
                yield f"{key}.rights.{right}: expected a bit no other right uses, found {value:#x}"
            seen |= value


def load_object_spec(hypercalls: HypercallSpec, path: Path = SPEC_PATH) -> ObjectSpec:
    raw = load_yaml_mapping(path, "object spec")
    problems = schema_problems(raw, _SCHEMA) or list(_problems(raw, hypercalls))
    if problems:
        raise InputFileError(path, problems, "object spec")
    generic = _rights(raw["generic_rights"])
    generic_bits = sum(r.value for r in generic)
    types = tuple(
        ObjectType(
            name=t["name"],
            index=i + 1,
            create=t.get("create"),
            rights=_rights(t["rights"]),
            all_rights=generic_bits | sum(t["rights"].values()),
            ops=tuple(op for op in OPS if op in t["ops"]),
        )
        for i, t in enumerate(raw["types"])
    )
    return ObjectSpec(path=path, generic_rights=generic, types=types)

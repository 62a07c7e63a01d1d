"""Loads abi/types.yaml: Gunyah's bitfield and enumeration argument types, and the other fixed
values of the ABI (PSCI function IDs, fixed VMIDs, bothy's exit reasons).

One IR generates bothy_types.h (field shifts and masks, constructors, getters, enum values)
for the hypervisor, the RM and the test guests.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bothy.paths import REPO_ROOT
from bothy.validation import InputFileError, load_yaml_mapping, schema_problems

SPEC_PATH = REPO_ROOT / "abi" / "types.yaml"

_IDENT = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["bitfields", "enums"],
    "properties": {
        "bitfields": {
            "type": "object",
            "propertyNames": _IDENT,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["width", "doc", "fields"],
                "properties": {
                    "width": {"enum": [32, 64]},
                    "doc": {"type": "string"},
                    "fields": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["name", "bits"],
                            "properties": {
                                "name": _IDENT,
                                "bits": {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": 2,
                                    "items": {"type": "integer", "minimum": 0, "maximum": 63},
                                },
                                "enum": _IDENT,
                            },
                        },
                    },
                },
            },
        },
        "enums": {
            "type": "object",
            "propertyNames": _IDENT,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["doc", "values"],
                "properties": {
                    "doc": {"type": "string"},
                    "signed": {"type": "boolean"},
                    "values": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": {"pattern": "^[A-Z][A-Z0-9_]*$"},
                        "additionalProperties": {"type": "integer"},
                    },
                },
            },
        },
    },
}


@dataclass(frozen=True)
class Field:
    name: str
    high: int
    low: int
    enum: str | None

    @property
    def width(self) -> int:
        return self.high - self.low + 1

    @property
    def mask(self) -> int:
        """The field's bits in place."""
        return ((1 << self.width) - 1) << self.low


@dataclass(frozen=True)
class Bitfield:
    name: str
    width: int
    doc: str
    fields: tuple[Field, ...]

    @property
    def c_type(self) -> str:
        return f"uint{self.width}_t"

    @property
    def valid_mask(self) -> int:
        """Every bit some field names; the rest are reserved (must be zero)."""
        mask = 0
        for f in self.fields:
            mask |= f.mask
        return mask


@dataclass(frozen=True)
class Enum:
    name: str
    doc: str
    signed: bool
    values: tuple[tuple[str, int], ...]


@dataclass(frozen=True)
class TypeSpec:
    path: Path
    bitfields: tuple[Bitfield, ...]
    enums: tuple[Enum, ...]


def _field(raw: Mapping[str, Any]) -> Field:
    bits = raw["bits"]
    return Field(name=raw["name"], high=bits[0], low=bits[-1], enum=raw.get("enum"))


def _cross_problems(raw: Mapping[str, Any]) -> Iterator[str]:
    enums = raw["enums"]
    c_names: dict[str, str] = {}

    def claim(c_name: str, where: str) -> Iterator[str]:
        # Every generated name is global in C: two keys must never make the same one.
        if c_name in c_names:
            other = c_names[c_name]
            yield f"{where}: expected a unique C name, found {c_name} also made by {other}"
        c_names[c_name] = where

    for name, bf in raw["bitfields"].items():
        taken = 0
        for i, raw_field in enumerate(bf["fields"]):
            key = f"bitfields.{name}.fields[{i}]"
            f = _field(raw_field)
            if f.high < f.low:
                found = raw_field["bits"]
                yield f"{key}.bits: expected [high, low] with high >= low, found {found}"
                continue
            if f.high >= bf["width"]:
                yield f"{key}.bits: expected bits below the width {bf['width']}, found {f.high}"
            if taken & f.mask:
                yield f"{key}.bits: expected bits no other field of {name} uses, found overlap"
            taken |= f.mask
            yield from claim(f"{name}_{f.name}".upper(), key)
            if f.enum is not None:
                if f.enum not in enums:
                    yield f"{key}.enum: expected an enum under 'enums', found {f.enum!r}"
                    continue
                too_big = [v for v, n in enums[f.enum]["values"].items() if n >> f.width or n < 0]
                if too_big:
                    yield (
                        f"{key}.enum: expected {f.enum}'s values to fit {f.width} bits, "
                        f"found {', '.join(sorted(too_big))}"
                    )
    for name, en in enums.items():
        for value_name in en["values"]:
            yield from claim(f"{name}_{value_name}".upper(), f"enums.{name}.values.{value_name}")


def load_type_spec(path: Path = SPEC_PATH) -> TypeSpec:
    raw = load_yaml_mapping(path, "type spec")
    problems = schema_problems(raw, _SCHEMA) or list(_cross_problems(raw))
    if problems:
        raise InputFileError(path, problems, "type spec")
    bitfields = tuple(
        Bitfield(
            name=name,
            width=bf["width"],
            doc=" ".join(bf["doc"].split()),
            fields=tuple(_field(f) for f in bf["fields"]),
        )
        for name, bf in raw["bitfields"].items()
    )
    enums = tuple(
        Enum(
            name=name,
            doc=" ".join(en["doc"].split()),
            signed=en.get("signed", False),
            values=tuple(en["values"].items()),
        )
        for name, en in raw["enums"].items()
    )
    return TypeSpec(path=path, bitfields=bitfields, enums=enums)

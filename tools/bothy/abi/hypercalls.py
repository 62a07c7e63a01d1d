"""Loads abi/hypercalls.yaml into the hypercall IR that every generated consumer is made from.

The IR is plain data: ranges (Gunyah's and bothy's), and calls with typed register arguments.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bothy.paths import REPO_ROOT
from bothy.validation import InputFileError, load_schema, load_yaml_mapping, schema_problems

SPEC_PATH = REPO_ROOT / "abi" / "hypercalls.yaml"
RESERVED = {"res0": 0, "res1": 0xFFFF_FFFF_FFFF_FFFF}
# C types narrower than the 64-bit register an argument travels in, by value bits. The bits
# above are undefined for such an argument, so the native path rejects a value that sets them.
NARROW_BITS = {"uint32_t": 32, "uint16_t": 16, "uint8_t": 8, "bool": 1}


@dataclass(frozen=True)
class Range:
    name: str
    native_base: int
    smccc_base: int
    count: int


@dataclass(frozen=True)
class Arg:
    name: str
    type: str
    c_type: str
    register: int  # x<register> on the native path

    @property
    def reserved_value(self) -> int | None:
        return RESERVED.get(self.name)

    @property
    def value_bits(self) -> int | None:
        """Bits of the register the argument's C type holds, if fewer than 64."""
        return NARROW_BITS.get(self.c_type)


@dataclass(frozen=True)
class Call:
    name: str
    range: Range
    number: int
    implemented: bool
    doc: str
    inputs: tuple[Arg, ...]
    outputs: tuple[Arg, ...]

    @property
    def native_imm(self) -> int:
        return self.range.native_base + self.number

    @property
    def smccc_id(self) -> int:
        return self.range.smccc_base + self.number

    @property
    def params(self) -> tuple[Arg, ...]:
        """Inputs a caller supplies (reserved inputs are filled in by the wrapper)."""
        return tuple(a for a in self.inputs if a.reserved_value is None)

    @property
    def returns_error(self) -> bool:
        return bool(self.outputs) and self.outputs[0].type == "error"

    @property
    def narrow_params(self) -> tuple[Arg, ...]:
        """Parameters narrower than a register that the native path range-checks: those of
        a call that can return an error (others cannot reject, and keep the low bits)."""
        if not self.returns_error:
            return ()
        return tuple(a for a in self.params if a.value_bits is not None)


@dataclass(frozen=True)
class HypercallSpec:
    path: Path
    ranges: tuple[Range, ...]
    calls: tuple[Call, ...]

    def in_range(self, name: str) -> tuple[Call, ...]:
        return tuple(
            sorted((c for c in self.calls if c.range.name == name), key=lambda c: c.number)
        )


@cache
def _schema() -> dict[str, Any]:
    return load_schema(Path(__file__).with_name("hypercall_schema.yaml"))


def _args(raw: list[Mapping[str, str]], types: Mapping[str, str]) -> tuple[Arg, ...]:
    return tuple(
        Arg(name=a["name"], type=a["type"], c_type=types.get(a["type"], "?"), register=i)
        for i, a in enumerate(raw)
    )


def _range_problems(ranges: Mapping[str, Mapping[str, int]]) -> Iterator[str]:
    names = sorted(ranges)
    for name in names:
        r = ranges[name]
        if r["native_base"] + r["count"] > 0x10000:
            yield (
                f"ranges.{name}.count: expected native_base + count <= 0x10000 (the hvc "
                f"immediate is 16 bits), found {r['native_base'] + r['count']:#x}"
            )
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ra, rb = ranges[a], ranges[b]
            for base in ("native_base", "smccc_base"):
                if ra[base] < rb[base] + rb["count"] and rb[base] < ra[base] + ra["count"]:
                    yield (
                        f"ranges.{b}.{base}: expected no overlap with range {a}, "
                        f"found {rb[base]:#x}+{rb['count']:#x} against "
                        f"{ra[base]:#x}+{ra['count']:#x}"
                    )


def _cross_problems(raw: Mapping[str, Any]) -> Iterator[str]:
    ranges, types = raw["ranges"], raw["types"]
    yield from _range_problems(ranges)
    seen: dict[tuple[str, int], str] = {}
    names: set[str] = set()
    for i, call in enumerate(raw["calls"]):
        key = f"calls[{i}]"
        if call["name"] in names:
            yield f"{key}.name: expected a unique name, found duplicate {call['name']!r}"
        names.add(call["name"])
        if call["range"] not in ranges:
            yield (
                f"{key}.range: expected one of {', '.join(sorted(ranges))}, found {call['range']!r}"
            )
            continue
        if call["number"] >= ranges[call["range"]]["count"]:
            yield (
                f"{key}.number: expected < {ranges[call['range']]['count']:#x}, "
                f"found {call['number']:#x}"
            )
        slot = (call["range"], call["number"])
        if slot in seen:
            yield (
                f"{key}.number: expected a free number, "
                f"found {call['number']:#x} used by {seen[slot]}"
            )
        seen[slot] = call["name"]
        for kind in ("inputs", "outputs"):
            arg_names = [a["name"] for a in call[kind]]
            for j, arg in enumerate(call[kind]):
                if arg["type"] not in types:
                    yield (
                        f"{key}.{kind}[{j}].type: expected a type declared under 'types', "
                        f"found {arg['type']!r}"
                    )
                if arg["name"] not in RESERVED and arg["name"] in arg_names[:j]:
                    yield f"{key}.{kind}[{j}].name: expected a unique name, found {arg['name']!r}"
        has_reserved = any(a["name"] in RESERVED for a in call["inputs"])
        if has_reserved and not any(o["type"] == "error" for o in call["outputs"]):
            yield (
                f"{key}.outputs: expected an error output (reserved inputs are rejected "
                f"with ERROR_ARGUMENT_INVALID), found none"
            )
        for j, arg in enumerate(call["outputs"][1:], start=1):
            if arg["type"] == "error":
                yield (
                    f"{key}.outputs[{j}].type: expected the error output first (x0), "
                    f"found it in x{j}"
                )


def load_hypercall_spec(path: Path = SPEC_PATH) -> HypercallSpec:
    raw = load_yaml_mapping(path, "hypercall spec")
    problems = schema_problems(raw, _schema()) or list(_cross_problems(raw))
    if problems:
        raise InputFileError(path, problems, "hypercall spec")
    ranges = {name: Range(name=name, **r) for name, r in raw["ranges"].items()}
    calls = tuple(
        Call(
            name=c["name"],
            range=ranges[c["range"]],
            number=c["number"],
            implemented=c["implemented"],
            doc=" ".join(c["doc"].split()),
            inputs=_args(c["inputs"], raw["types"]),
            outputs=_args(c["outputs"], raw["types"]),
        )
        for c in raw["calls"]
    )
    # Ranges keep the spec's order: dispatch tries them in that order, so the busiest
    # (Gunyah's) comes first.
    return HypercallSpec(path=path, ranges=tuple(ranges.values()), calls=calls)

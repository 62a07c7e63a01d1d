"""Loads abi/rm_rpc.yaml: Gunyah's resource-manager RPC ABI (fragment header, message types and
IDs, payload layouts, enums) into plain IR, and encodes/decodes RPC messages from it.

The same IR generates rm_rpc_abi.h for the RM; Python tests use `fragments`, `parse_fragment`,
`pack` and `unpack` so that both sides speak from the one spec.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bothy.paths import REPO_ROOT
from bothy.validation import InputFileError, load_yaml_mapping, schema_problems

SPEC_PATH = REPO_ROOT / "abi" / "rm_rpc.yaml"
FIELD_SIZES = {"u8": 1, "u16": 2, "u32": 4, "u64": 8}
# Gunyah's message-ID convention: bit 20 marks a notification (0x..1.....).
NOTIFICATION_BIT = 1 << 20
EMPTY = "empty"

_UPPER = {"type": "string", "pattern": "^[A-Z][A-Z0-9_]*$"}
_LOWER = {"type": "string", "pattern": "^[a-z][a-z0-9_]*$"}
_U32 = {"type": "integer", "minimum": 0, "maximum": 0xFFFF_FFFF}
_NAMED_VALUE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "value", "doc"],
    "properties": {"name": _UPPER, "value": _U32, "doc": {"type": "string"}},
}
_MESSAGE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "id", "doc"],
    "properties": {
        "name": _UPPER,
        "id": _U32,
        "doc": {"type": "string"},
        "implemented": {"type": "boolean"},
        "request": _LOWER,
        "payload": _LOWER,
    },
}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "header",
        "message_types",
        "requests",
        "notifications",
        "layouts",
        "enums",
        "constants",
    ],
    "properties": {
        "header": {
            "type": "object",
            "additionalProperties": False,
            "required": [
                "api_version",
                "header_words",
                "message_size",
                "max_continuations",
                "type_bits",
            ],
            "properties": {
                "api_version": {"type": "integer", "minimum": 0, "maximum": 15},
                "header_words": {"type": "integer", "minimum": 1, "maximum": 15},
                "message_size": {"type": "integer", "minimum": 1, "maximum": 1024},
                "max_continuations": {"type": "integer", "minimum": 0},
                "type_bits": {"type": "integer", "minimum": 1, "maximum": 7},
            },
        },
        "message_types": {"type": "array", "minItems": 1, "items": _NAMED_VALUE},
        "requests": {"type": "array", "items": _MESSAGE},
        "notifications": {"type": "array", "items": _MESSAGE},
        "layouts": {
            "type": "object",
            "propertyNames": _LOWER,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["size", "fields"],
                "properties": {
                    "size": {"type": "integer", "minimum": 1},
                    "fields": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "minProperties": 1,
                            "maxProperties": 1,
                            "propertyNames": _LOWER,
                            "additionalProperties": {"enum": list(FIELD_SIZES)},
                        },
                    },
                },
            },
        },
        "enums": {
            "type": "object",
            "propertyNames": _LOWER,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "required": ["doc", "values"],
                "properties": {
                    "doc": {"type": "string"},
                    "values": {
                        "type": "object",
                        "minProperties": 1,
                        "propertyNames": _UPPER,
                        "additionalProperties": _U32,
                    },
                },
            },
        },
        "constants": {"type": "array", "items": _NAMED_VALUE},
    },
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # u8, u16, u32, u64 (little-endian)
    offset: int

    @property
    def size(self) -> int:
        return FIELD_SIZES[self.type]


@dataclass(frozen=True)
class Layout:
    name: str
    size: int
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field:
        return next(f for f in self.fields if f.name == name)


@dataclass(frozen=True)
class NamedValue:
    name: str
    value: int
    doc: str


@dataclass(frozen=True)
class Message:
    name: str
    id: int
    doc: str
    implemented: bool
    layout: str | None  # request or notification payload layout; None: not described


@dataclass(frozen=True)
class Enum:
    name: str
    doc: str
    values: tuple[NamedValue, ...]

    def __getitem__(self, name: str) -> int:
        return next(v.value for v in self.values if v.name == name)


@dataclass(frozen=True)
class RmRpcSpec:
    path: Path
    api_version: int
    header_words: int
    message_size: int
    max_continuations: int
    type_bits: int
    message_types: tuple[NamedValue, ...]
    requests: tuple[Message, ...]
    notifications: tuple[Message, ...]
    layouts: tuple[Layout, ...]
    enums: tuple[Enum, ...]
    constants: tuple[NamedValue, ...]

    @property
    def api_byte(self) -> int:
        return self.api_version | self.header_words << 4

    @property
    def header_size(self) -> int:
        return self.header_words * 4

    @property
    def fragment_payload(self) -> int:
        return self.message_size - self.header_size

    @property
    def max_fragments(self) -> int:
        return self.max_continuations + 1

    @property
    def max_payload(self) -> int:
        return self.max_fragments * self.fragment_payload

    @property
    def type_mask(self) -> int:
        return (1 << self.type_bits) - 1

    def layout(self, name: str) -> Layout:
        return next(x for x in self.layouts if x.name == name)

    def enum(self, name: str) -> Enum:
        return next(e for e in self.enums if e.name == name)

    def message_type(self, name: str) -> int:
        return next(t.value for t in self.message_types if t.name == name)

    def message_id(self, name: str) -> int:
        return next(m.id for m in (*self.requests, *self.notifications) if m.name == name)

    def constant(self, name: str) -> int:
        return next(c.value for c in self.constants if c.name == name)


def _unique(items: Sequence[Mapping[str, Any]], group: str, key: str) -> Iterator[str]:
    seen: list[Any] = []
    for i, item in enumerate(items):
        if item[key] in seen:
            yield f"{group}[{i}].{key}: expected a unique {key}, found {item[key]!r} twice"
        seen.append(item[key])


def _layout_size(raw: Mapping[str, Any]) -> int:
    return sum(FIELD_SIZES[t] for f in raw["fields"] for t in f.values())


def _problems(raw: Mapping[str, Any]) -> Iterator[str]:
    header = raw["header"]
    layouts = raw["layouts"]
    for name, layout in layouts.items():
        names = [next(iter(f)) for f in layout["fields"]]
        for i, field in enumerate(names):
            if field in names[:i]:
                yield f"layouts.{name}.fields[{i}]: expected a unique field, found {field!r} twice"
        if _layout_size(layout) != layout["size"]:
            yield (
                f"layouts.{name}.size: expected the sum of its fields ({_layout_size(layout)}), "
                f"found {layout['size']}"
            )
    if "header" not in layouts:
        yield "layouts: missing required layout 'header'"
    elif layouts["header"]["size"] != header["header_words"] * 4:
        yield (
            f"layouts.header.size: expected header_words * 4 ({header['header_words'] * 4}), "
            f"found {layouts['header']['size']}"
        )
    if header["message_size"] <= header["header_words"] * 4:
        yield f"header.message_size: expected more than the header, found {header['message_size']}"
    if header["max_continuations"] >= 1 << (8 - header["type_bits"]):
        yield (
            f"header.max_continuations: expected a count that fits in "
            f"{8 - header['type_bits']} bits, found {header['max_continuations']}"
        )
    yield from _unique(raw["message_types"], "message_types", "name")
    yield from _unique(raw["message_types"], "message_types", "value")
    for i, t in enumerate(raw["message_types"]):
        if t["value"] >= 1 << header["type_bits"]:
            yield (
                f"message_types[{i}].value: expected a value below {1 << header['type_bits']}, "
                f"found {t['value']}"
            )
    messages = [*raw["requests"], *raw["notifications"]]
    yield from _unique(messages, "requests+notifications", "name")
    yield from _unique(messages, "requests+notifications", "id")
    for group, key, is_notification in (
        ("requests", "request", False),
        ("notifications", "payload", True),
    ):
        for i, m in enumerate(raw[group]):
            if bool(m["id"] & NOTIFICATION_BIT) != is_notification:
                want = "set" if is_notification else "clear"
                yield f"{group}[{i}].id: expected bit 20 {want}, found {m['id']:#x}"
            other = "payload" if key == "request" else "request"
            if other in m:
                yield f"{group}[{i}]: unknown key {other!r}; expected {key}"
            if key in m and m[key] != EMPTY and m[key] not in layouts:
                yield f"{group}[{i}].{key}: expected a layout name or {EMPTY!r}, found {m[key]!r}"
            if m.get("implemented") and key not in m:
                yield f"{group}[{i}]: missing required key {key!r} (implemented messages need it)"
            if is_notification and "implemented" in m:
                yield f"{group}[{i}]: unknown key 'implemented'; notifications are only sent"
    yield from _unique(raw["constants"], "constants", "name")


def load_rm_rpc_spec(path: Path = SPEC_PATH) -> RmRpcSpec:
    raw = load_yaml_mapping(path, "RM RPC spec")
    problems = schema_problems(raw, _SCHEMA) or list(_problems(raw))
    if problems:
        raise InputFileError(path, problems, "RM RPC spec")

    def layout(name: str, body: Mapping[str, Any]) -> Layout:
        fields, offset = [], 0
        for f in body["fields"]:
            ((fname, ftype),) = f.items()
            fields.append(Field(fname, ftype, offset))
            offset += FIELD_SIZES[ftype]
        return Layout(name, body["size"], tuple(fields))

    def messages(group: str, key: str) -> tuple[Message, ...]:
        return tuple(
            Message(
                name=m["name"],
                id=m["id"],
                doc=m["doc"],
                implemented=bool(m.get("implemented", False)),
                layout=None if m.get(key, EMPTY) == EMPTY else m[key],
            )
            for m in raw[group]
        )

    header = raw["header"]
    return RmRpcSpec(
        path=path,
        api_version=header["api_version"],
        header_words=header["header_words"],
        message_size=header["message_size"],
        max_continuations=header["max_continuations"],
        type_bits=header["type_bits"],
        message_types=tuple(NamedValue(**t) for t in raw["message_types"]),
        requests=messages("requests", "request"),
        notifications=messages("notifications", "payload"),
        layouts=tuple(layout(n, b) for n, b in raw["layouts"].items()),
        enums=tuple(
            Enum(n, e["doc"], tuple(NamedValue(k, v, "") for k, v in e["values"].items()))
            for n, e in raw["enums"].items()
        ),
        constants=tuple(NamedValue(**c) for c in raw["constants"]),
    )


@cache
def rm_rpc_spec() -> RmRpcSpec:
    """The repository's spec, loaded once (for tests)."""
    return load_rm_rpc_spec()


# --- encoding and decoding -------------------------------------------------------------------


def pack(layout: str, spec: RmRpcSpec | None = None, **values: int) -> bytes:
    """The little-endian bytes of `layout` with the given field values (missing fields are 0)."""
    lay = (spec or rm_rpc_spec()).layout(layout)
    unknown = set(values) - {f.name for f in lay.fields}
    if unknown:
        raise KeyError(f"layout {layout} has no field(s) {', '.join(sorted(unknown))}")
    return b"".join(values.get(f.name, 0).to_bytes(f.size, "little") for f in lay.fields)


def unpack(layout: str, data: bytes, spec: RmRpcSpec | None = None) -> dict[str, int]:
    """The fields of `layout` read from the start of `data` (which must be long enough)."""
    lay = (spec or rm_rpc_spec()).layout(layout)
    if len(data) < lay.size:
        raise ValueError(f"{layout} needs {lay.size} bytes, got {len(data)}")
    return {
        f.name: int.from_bytes(data[f.offset : f.offset + f.size], "little") for f in lay.fields
    }


@dataclass(frozen=True)
class Fragment:
    api: int
    type: int
    continuations: int
    seq: int
    msg_id: int
    payload: bytes


def fragments(
    msg_type: str, seq: int, msg_id: int, payload: bytes, spec: RmRpcSpec | None = None
) -> list[bytes]:
    """A message as Gunyah's sender fragments it: full fragments, the first with the message's
    type and the rest CONTINUED, every header carrying the continuation count, seq and ID."""
    s = spec or rm_rpc_spec()
    chunk = s.fragment_payload
    count = max(1, -(-len(payload) // chunk))
    if count > s.max_fragments:
        raise ValueError(f"{len(payload)} bytes need {count} fragments; at most {s.max_fragments}")
    first, cont = s.message_type(msg_type), s.message_type("CONTINUED")
    out = []
    for i in range(count):
        kind = first if i == 0 else cont
        header = pack(
            "header",
            s,
            api=s.api_byte,
            type=kind | (count - 1) << s.type_bits,
            seq=seq,
            msg_id=msg_id,
        )
        out.append(header + payload[i * chunk : (i + 1) * chunk])
    return out


def parse_fragment(frag: bytes, spec: RmRpcSpec | None = None) -> Fragment:
    s = spec or rm_rpc_spec()
    h = unpack("header", frag, s)
    return Fragment(
        api=h["api"],
        type=h["type"] & s.type_mask,
        continuations=h["type"] >> s.type_bits,
        seq=h["seq"],
        msg_id=h["msg_id"],
        payload=frag[s.header_size :],
    )


def reassemble(frags: Sequence[bytes], spec: RmRpcSpec | None = None) -> tuple[Fragment, bytes]:
    """The first fragment's header and the whole payload of one complete message; raises
    ValueError when the fragments do not form exactly one well-formed message."""
    s = spec or rm_rpc_spec()
    parsed = [parse_fragment(f, s) for f in frags]
    if not parsed:
        raise ValueError("no fragments")
    first = parsed[0]
    if len(parsed) != first.continuations + 1:
        raise ValueError(f"{len(parsed)} fragments, header says {first.continuations + 1}")
    for i, p in enumerate(parsed):
        if p.api != s.api_byte:
            raise ValueError(f"fragment {i}: API byte {p.api:#x}")
        want = first.type if i == 0 else s.message_type("CONTINUED")
        if (p.type, p.continuations, p.seq, p.msg_id) != (
            want,
            first.continuations,
            first.seq,
            first.msg_id,
        ):
            raise ValueError(f"fragment {i} does not continue the message")
    return first, b"".join(p.payload for p in parsed)

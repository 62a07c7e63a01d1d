"""Turns JSON-schema violations into one-line problems a person can act on.

Shared by the system-description loader and the ABI spec loaders, so every input file
reports errors the same way: "<file>: <key.path>: expected ..., found ...".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from bothy.errors import BothyError


class InputFileError(BothyError):
    """An input file (config or spec) that cannot be used; lists every problem, sorted."""

    def __init__(self, path: Path, problems: Iterable[str], what: str) -> None:
        self.path = path
        self.problems = sorted(set(problems))
        lines = [f"{path}: {p}" for p in self.problems]
        super().__init__(f"invalid {what}:\n  " + "\n  ".join(lines))


def key_path(parts: Iterable[object]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def show(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        return f"{value!r} ({type(value).__name__})"
    return f"{value:#x}" if value >= 0x10000 else str(value)


def _expected(kind: str, want: Any) -> str | None:
    match kind:
        case "type":
            return f"a value of type {want}"
        case "enum":
            return f"one of {', '.join(map(str, want))}"
        case "minimum":
            return f"a number >= {show(want)}"
        case "maximum":
            return f"a number <= {show(want)}"
        case "pattern":
            return f"a string matching {want}"
        case "minItems":
            return f"at least {want} item(s)"
        case "maxItems":
            return f"at most {want} item(s)"
    return None


def describe(error: jsonschema.ValidationError) -> str:
    """One line: key path, expected, found."""
    where = key_path(error.absolute_path)
    kind, want, got = str(error.validator), error.validator_value, error.instance
    if kind == "required" and isinstance(want, list):
        missing = [k for k in want if isinstance(got, Mapping) and k not in got]
        return f"{where}: missing required key {', '.join(map(repr, missing))}"
    if kind == "additionalProperties" and isinstance(got, Mapping):
        schema = error.schema if isinstance(error.schema, Mapping) else {}
        allowed = sorted(schema.get("properties", {}))
        extra = sorted((k for k in got if k not in allowed), key=str)
        return (
            f"{where}: unknown key {', '.join(map(repr, extra))}; "
            f"expected one of {', '.join(allowed)}"
        )
    found = (
        f"{len(got)} items"
        if kind in ("maxItems", "minItems") and isinstance(got, list)
        else show(got)
    )
    return f"{where}: expected {_expected(kind, want) or error.message}, found {found}"


def _strict_integer(checker: object, instance: object) -> bool:
    # JSON Schema counts 2.0 as an integer; C headers and QEMU flags must never see "2.0".
    return isinstance(instance, int) and not isinstance(instance, bool)


_Validator = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
    jsonschema.Draft202012Validator,
    type_checker=jsonschema.Draft202012Validator.TYPE_CHECKER.redefine("integer", _strict_integer),
)


def schema_problems(instance: object, schema: Mapping[str, Any]) -> list[str]:
    validator = _Validator(schema)
    return [describe(e) for e in validator.iter_errors(instance)]


def load_yaml_mapping(path: Path, what: str) -> dict[str, Any]:
    """Read a YAML file whose top level must be a mapping, or raise InputFileError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise InputFileError(path, [f"cannot read file: {e.strerror}"], what) from None
    except UnicodeDecodeError as e:
        raise InputFileError(path, [f"not UTF-8 text (byte {e.start})"], what) from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(e, "problem", e)
        raise InputFileError(path, [f"{where}not valid YAML ({problem})"], what) from None
    if not isinstance(raw, dict):
        raise InputFileError(path, [f"(top level): expected a mapping, found {show(raw)}"], what)
    return raw


def load_schema(path: Path) -> dict[str, Any]:
    with path.open() as f:
        schema: dict[str, Any] = yaml.safe_load(f)
    return schema

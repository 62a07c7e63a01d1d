"""Reads a system description file, validates it and returns the SystemConfig IR.

Every problem is reported together, each naming the file, the key path, what was expected
and what was found, and nothing is built from a config that has any problem.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from bothy.config.model import Gic, Machine, Region, SystemConfig, Timer, Uart, Vm
from bothy.config.validate import semantic_problems
from bothy.validation import InputFileError, load_schema, load_yaml_mapping, schema_problems

SCHEMA_PATH = Path(__file__).with_name("schema.yaml")


class ConfigError(InputFileError):
    """A system description that cannot be used; the message lists every problem."""

    def __init__(self, path: Path, problems: Iterable[str]) -> None:
        super().__init__(path, problems, "system description")


@cache
def _schema() -> dict[str, Any]:
    return load_schema(SCHEMA_PATH)


def _region(raw: Mapping[str, Any]) -> Region:
    return Region(base=int(raw["base"]), size=int(raw["size"]))


def _build(path: Path, raw: Mapping[str, Any]) -> SystemConfig:
    m = raw["machine"]
    machine = Machine(
        cpus=m["cpus"],
        cpu_model=m["cpu_model"],
        cpu_features=tuple(m.get("cpu_features", ())),
        ram=_region(m["ram"]),
        uart=Uart(region=_region(m["uart"]), irq=m["uart"]["irq"]),
        gic=Gic(
            version=m["gic"]["version"],
            distributor=_region(m["gic"]["distributor"]),
            redistributor=_region(m["gic"]["redistributor"]),
        ),
        timer=Timer(**m["timer"]),
        psci_conduit=m["psci_conduit"],
    )
    vms = tuple(
        Vm(
            name=v["name"],
            role=v["role"],
            image=v["image"],
            vcpus=v["vcpus"],
            memory=_region(v["memory"]),
        )
        for v in raw["vms"]
    )
    return SystemConfig(
        name=path.stem,
        path=path,
        platform=raw["platform"],
        machine=machine,
        hypervisor_memory=_region(raw["hypervisor"]["memory"]),
        vms=vms,
        inject=raw.get("debug", {}).get("inject", "none"),
        test_seed=raw.get("debug", {}).get("seed", 1),
        test_iterations=raw.get("debug", {}).get("iterations", 1000),
    )


def load_config(path: Path) -> SystemConfig:
    """Parse, schema-check and semantically check `path`; raise ConfigError on any problem."""
    try:
        raw = load_yaml_mapping(path, "system description")
    except InputFileError as e:
        raise ConfigError(path, e.problems) from None
    problems = schema_problems(raw, _schema())
    if problems:
        raise ConfigError(path, problems)
    config = _build(path, raw)
    problems = list(semantic_problems(config))
    if problems:
        raise ConfigError(path, problems)
    return config

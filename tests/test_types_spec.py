"""abi/types.yaml, the spec of Gunyah's bitfield and enumeration argument types: it loads, a
broken copy is refused with the key and what was expected, and the generated bothy_types.h
compiles and gives the values the ABI defines (checked by _Static_assert in C)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bothy.abi.types import SPEC_PATH, load_type_spec
from bothy.codegen.types import generate_types
from bothy.validation import InputFileError
from conftest import clang_syntax_check
from needs import needs

RAW = yaml.safe_load(SPEC_PATH.read_text())


def broken(tmp_path: Path, change: object) -> Path:
    raw = yaml.safe_load(SPEC_PATH.read_text())
    assert callable(change)
    change(raw)
    path = tmp_path / "types.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_the_spec_loads_with_every_bitfield_and_enum() -> None:
    spec = load_type_spec()
    assert {b.name for b in spec.bitfields} == set(RAW["bitfields"])
    assert {e.name for e in spec.enums} == set(RAW["enums"])
    attrs = next(b for b in spec.bitfields if b.name == "memextent_mapping_attrs")
    assert attrs.valid_mask == 0x00FF0077, f"valid mask {attrs.valid_mask:#x}"


@pytest.mark.parametrize(
    ("what", "change", "message"),
    [
        (
            "overlapping fields",
            lambda raw: raw["bitfields"]["msgqueue_create_info"]["fields"].append(
                {"name": "extra", "bits": [20, 16]}
            ),
            "bitfields.msgqueue_create_info.fields[2].bits: expected bits no other field",
        ),
        (
            "a field past the width",
            lambda raw: raw["bitfields"]["memextent_attrs"]["fields"].append(
                {"name": "huge", "bits": [40, 33]}
            ),
            "expected bits below the width 32, found 40",
        ),
        (
            "an unknown enum",
            lambda raw: raw["bitfields"]["memextent_attrs"]["fields"][0].update(enum="nope"),
            "bitfields.memextent_attrs.fields[0].enum: expected an enum under 'enums'",
        ),
        (
            "an enum too wide for its field",
            lambda raw: raw["enums"]["pgtable_access"]["values"].update(HUGE=8),
            "expected pgtable_access's values to fit 3 bits, found HUGE",
        ),
        (
            "a C name made twice",
            lambda raw: raw["enums"].update(
                memextent_mapping={"doc": "x", "values": {"ATTRS_MEMTYPE": 1}}
            ),
            "expected a unique C name, found MEMEXTENT_MAPPING_ATTRS_MEMTYPE",
        ),
    ],
)
def test_a_broken_spec_names_the_key(
    tmp_path: Path, what: str, change: object, message: str
) -> None:
    with pytest.raises(InputFileError) as info:
        load_type_spec(broken(tmp_path, change))
    assert message in str(info.value), f"{what}: {info.value}"


# The hand-packed values the generated ones replaced, and Gunyah's documented numbers.
CHECKS = """
#include "bothy_types.h"
_Static_assert(MEMEXTENT_MAPPING_ATTRS(PGTABLE_ACCESS_RW, PGTABLE_ACCESS_RW,
               PGTABLE_VM_MEMTYPE_NORMAL_WB) == ((6U << 4) | 6U | (0xfU << 16)), "RW normal");
_Static_assert(MEMEXTENT_MAPPING_ATTRS(7, 7, 1) == 0x10077U, "RWX device");
_Static_assert(MSGQUEUE_CREATE_INFO(8, 240) == (8U | (240UL << 16)), "create info");
_Static_assert(MEMEXTENT_ATTRS(0, MEMEXTENT_MEMTYPE_DEVICE, 0, 0) == (1U << 8), "device");
_Static_assert(MEMEXTENT_ATTRS_VALID_MASK == 0x80030307U, "memextent_attrs fields");
_Static_assert(VCPU_OPTION_FLAGS_HLOS_VM_MASK == (1UL << 63), "hlos_vm");
_Static_assert((PSCI_FUNCTION_CPU_ON | PSCI_FUNCTION_SMC64) == 0xc4000003U, "CPU_ON64");
_Static_assert(PSCI_RETURN_ALREADY_ON == -4, "ALREADY_ON");
_Static_assert(VMID_RM == 0xff && VMID_HLOS == 3, "VMIDs");
_Static_assert(VCPU_RUN_STATE_PAGE_FAULT == 7, "page fault");
unsigned check_getter(void);
unsigned check_getter(void) {
    return memextent_mapping_attrs_memtype(0x000f0066U) == PGTABLE_VM_MEMTYPE_NORMAL_WB;
}
"""


@pytest.mark.build
@needs("clang")
def test_generated_header_compiles_and_matches_the_abi(tmp_path: Path) -> None:
    generate_types(load_type_spec(), tmp_path)
    source = tmp_path / "checks.c"
    source.write_text(CHECKS)
    clang_syntax_check(source, tmp_path / "include")

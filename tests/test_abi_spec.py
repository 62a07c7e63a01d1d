"""abi/hypercalls.yaml against Gunyah's published hypercall table, and the committed outputs
generated from it (docs/hypercalls.md, tools/bothy/abi/constants.py) against the spec.

The reference table lives outside the repository (../shared/reference/gunyah/hypercalls.md);
the tests that need it skip when it is absent.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from bothy.abi import constants
from bothy.abi.errors import load_error_spec
from bothy.abi.hypercalls import Call, HypercallSpec, load_hypercall_spec
from bothy.abi.objects import load_object_spec
from bothy.abi.types import load_type_spec
from bothy.codegen.hypercalls import generate_hypercalls, hypercall_doc, python_constants
from bothy.codegen.objects import generate_objects
from bothy.codegen.types import generate_types
from conftest import REPO, clang_syntax_check
from needs import needs

REFERENCE = REPO.parent / "shared" / "reference" / "gunyah" / "hypercalls.md"
CONSTANTS_PY = REPO / "tools" / "bothy" / "abi" / "constants.py"
CLANG = shutil.which("clang")
# Calls bothy keeps under its own type names where the reference uses finer-grained ones.
TYPE_ALIASES = {
    ("hypervisor_identify", "hyp_api_flags0"): "hyp_api_flags",
    ("hypervisor_identify", "hyp_api_flags1"): "hyp_api_flags",
    ("hypervisor_identify", "hyp_api_flags2"): "hyp_api_flags",
}


@dataclass(frozen=True)
class RefArg:
    register: int
    name: str
    type: str  # with any bf:/enum:/union: prefix removed


@dataclass(frozen=True)
class RefCall:
    number: int
    native_imm: int
    smccc_id: int
    name: str
    inputs: tuple[RefArg, ...]
    outputs: tuple[RefArg, ...]


_ARG = re.compile(r"x(\d+)=([a-z][a-z0-9_]*):(?:(?:bf|enum|union):)?([a-z][a-z0-9_]*)")


def _ref_args(cell: str) -> tuple[RefArg, ...]:
    args = []
    for part in (p.strip() for p in cell.split(",")):
        if not part:
            continue
        m = _ARG.fullmatch(part)
        assert m, f"unparsable argument {part!r} in the reference table"
        args.append(RefArg(register=int(m[1]), name=m[2], type=m[3]))
    return tuple(args)


def parse_reference(text: str) -> dict[str, RefCall]:
    """The numbered rows of the reference's hypercall table, by call name.

    Columns: number | HVC imm | SMCCC fn-ID | `name` | inputs | outputs | condition | source.
    Rows whose first column is not a number (the vendor_hyp_call entries) are not numbered
    calls and are skipped.
    """
    calls: dict[str, RefCall] = {}
    for line in text.splitlines():
        if not re.match(r"\|\s*0x[0-9a-fA-F]+\s*\|", line):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        assert len(cells) == 8, f"unexpected row shape: {line}"
        # "`prng_get_entropy (sensitive)`": the annotation is not part of the name.
        name = cells[3].strip("`").split()[0]
        calls[name] = RefCall(
            number=int(cells[0], 16),
            native_imm=int(cells[1], 16),
            smccc_id=int(cells[2], 16),
            name=name,
            inputs=_ref_args(cells[4]),
            outputs=_ref_args(cells[5]),
        )
    return calls


@pytest.fixture(scope="module")
def reference() -> dict[str, RefCall]:
    if not REFERENCE.is_file():
        pytest.skip(f"Gunyah reference table not available at {REFERENCE}")
    calls = parse_reference(REFERENCE.read_text())
    assert calls, f"no numbered rows parsed from {REFERENCE}"
    return calls


@pytest.fixture(scope="module")
def spec() -> HypercallSpec:
    return load_hypercall_spec()


def gunyah_calls(spec: HypercallSpec) -> dict[str, Call]:
    return {c.name: c for c in spec.in_range("gunyah")}


# --- the spec against the reference table ---------------------------------------------------


def test_reference_parses_every_numbered_row(reference: dict[str, RefCall]) -> None:
    assert len(reference) == 93
    assert len({c.number for c in reference.values()}) == len(reference)
    for ref in reference.values():
        assert ref.native_imm == 0x6000 + ref.number, ref.name
        assert ref.smccc_id == 0xC600_8000 + ref.number, ref.name


def test_every_reference_call_is_in_the_spec(
    reference: dict[str, RefCall], spec: HypercallSpec
) -> None:
    calls = gunyah_calls(spec)
    missing = sorted(set(reference) - set(calls))
    assert not missing, f"reference calls missing from the spec: {missing}"
    for name, ref in reference.items():
        call = calls[name]
        assert call.number == ref.number, name
        assert call.native_imm == ref.native_imm, name
        assert call.smccc_id == ref.smccc_id, name


def test_no_spec_call_is_missing_from_the_reference(
    reference: dict[str, RefCall], spec: HypercallSpec
) -> None:
    extra = sorted(set(gunyah_calls(spec)) - set(reference))
    assert not extra, f"gunyah-range calls not in the reference table: {extra}"


@pytest.mark.parametrize("kind", ["inputs", "outputs"])
def test_argument_names_and_registers_match_the_reference(
    reference: dict[str, RefCall], spec: HypercallSpec, kind: str
) -> None:
    calls = gunyah_calls(spec)
    for name, ref in reference.items():
        ours = [(a.register, a.name) for a in getattr(calls[name], kind)]
        theirs = [(a.register, a.name) for a in getattr(ref, kind)]
        assert ours == theirs, f"{name} {kind}"


@pytest.mark.parametrize("kind", ["inputs", "outputs"])
def test_argument_types_follow_the_reference(
    reference: dict[str, RefCall], spec: HypercallSpec, kind: str
) -> None:
    calls = gunyah_calls(spec)
    for name, ref in reference.items():
        ours = [a.type for a in getattr(calls[name], kind)]
        theirs = [TYPE_ALIASES.get((name, a.type), a.type) for a in getattr(ref, kind)]
        assert ours == theirs, f"{name} {kind}"


def test_the_reference_parser_reads_a_row() -> None:
    row = (
        "| 0x57 | 0x6057 | 0xc6008057 | `prng_get_entropy (sensitive)` | "
        "x0=num_bytes:count_t, x1=res0:uregister | x0=error:enum:error, x1=data0:uint32 |  | "
        "hyp/interfaces/prng/prng.hvc |\n"
        "| vendor_hyp_call | - | (platform-specific) | `vrtc_configure` | x0=vrtc:cap_id_t | "
        "x0=error:enum:error |  | hyp/interfaces/vrtc/vrtc.hvc |\n"
    )
    calls = parse_reference(row)
    assert list(calls) == ["prng_get_entropy"]
    call = calls["prng_get_entropy"]
    assert (call.number, call.native_imm, call.smccc_id) == (0x57, 0x6057, 0xC600_8057)
    assert call.inputs == (RefArg(0, "num_bytes", "count_t"), RefArg(1, "res0", "uregister"))
    assert call.outputs == (RefArg(0, "error", "error"), RefArg(1, "data0", "uint32"))


# --- committed generated files are current ----------------------------------------------------


def test_hypercall_doc_is_current(spec: HypercallSpec) -> None:
    committed = (REPO / "docs" / "hypercalls.md").read_text()
    assert committed == hypercall_doc(spec), "run `doit docs` and commit"


def test_constants_module_is_current(spec: HypercallSpec) -> None:
    committed = CONSTANTS_PY.read_text()
    assert committed == python_constants(spec, load_error_spec()), "run `doit docs` and commit"


def test_constants_match_the_spec(spec: HypercallSpec) -> None:
    for call in spec.calls:
        key = call.name.upper()
        assert getattr(constants, f"{key}_NATIVE") == call.native_imm, call.name
        assert getattr(constants, f"{key}_SMCCC") == call.smccc_id, call.name
    assert frozenset(c.name for c in spec.calls if c.implemented) == constants.IMPLEMENTED
    errors = load_error_spec()
    for e in (*errors.hypervisor, *errors.rm):
        assert getattr(constants, e.name) == e.value, e.name
    names = [n for n in vars(constants) if n.isupper()]
    expected = 2 * len(spec.calls) + 1 + len(errors.hypervisor) + len(errors.rm)
    assert len(names) == expected, "the constants module holds names the spec does not"


# --- the generated C compiles with every Gunyah argument type -----------------------------------


@pytest.mark.build
@needs("clang")
@pytest.mark.parametrize("all_implemented", [False, True], ids=["as-specified", "all-implemented"])
def test_generated_c_compiles(spec: HypercallSpec, tmp_path: Path, all_implemented: bool) -> None:
    if all_implemented:
        # Every call gets a dispatch stub and a handler prototype, so every type is exercised.
        calls = tuple(dataclasses.replace(c, implemented=True) for c in spec.calls)
        spec = dataclasses.replace(spec, calls=calls)
    out = tmp_path / "gen"
    generate_hypercalls(spec, load_error_spec(), out)
    generate_objects(load_object_spec(spec), spec, out)
    generate_types(load_type_spec(), out)  # bothy_abi.h includes bothy_types.h
    main = tmp_path / "uses_wrappers.c"
    main.write_text('#include "bothy_hypercalls.h"\n')
    clang_syntax_check(main, out / "include")
    clang_syntax_check(out / "hyp" / "hypercall_table.c", out / "include")

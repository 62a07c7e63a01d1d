"""Host-only tests for bothy.codegen and the ABI spec loaders: golden files for every output
of the default config, determinism, the do-not-edit banner, write-if-changed, loud template
failures, rejection of invalid hypercall and error specs, and that the generated C compiles.

Refresh the golden files after an intended change with
    BOTHY_UPDATE_GOLDEN=1 .venv/bin/pytest -q tests/test_codegen.py
and review the diff (git diff tests/golden) before committing it.
"""

from __future__ import annotations

import copy
import difflib
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from bothy.abi import errors as abi_errors
from bothy.abi.errors import ErrorSpec, hyp_error, hyp_error_value, load_error_spec, rm_error_value
from bothy.abi.hypercalls import HypercallSpec, load_hypercall_spec
from bothy.abi.objects import load_object_spec
from bothy.abi.rm_rpc import load_rm_rpc_spec
from bothy.abi.types import load_type_spec
from bothy.codegen import render as render_mod
from bothy.codegen.devicetree import generate_devicetrees, guest_dts, root_dts
from bothy.codegen.hypercalls import generate_hypercalls
from bothy.codegen.objects import generate_objects
from bothy.codegen.platform import generate_platform
from bothy.codegen.render import TemplateError, banner, render, write_if_changed
from bothy.codegen.rm_rpc import generate_rm_rpc
from bothy.codegen.types import generate_types
from bothy.config import SystemConfig, load_config
from bothy.guest.cache import CACHE_ENV
from bothy.paths import DEFAULT_CONFIG, REPO_ROOT
from bothy.staging import staged_vms
from bothy.validation import InputFileError
from conftest import clang_syntax_check, fake_guest_cache
from needs import needs

GOLDEN_DIR = Path(__file__).with_name("golden") / "qemu-virt"
UPDATE_GOLDEN = os.environ.get("BOTHY_UPDATE_GOLDEN") == "1"
REVISION = "0123456789ab"
VERSION = "0.1.0"
DTC = shutil.which("dtc")
CLANG = shutil.which("clang")
needs_dtc = needs("dtc")

# Golden name -> path of the generated file under the output directory.
OUTPUTS = {
    "platform_config.h": "include/platform_config.h",
    "build_info.h": "include/build_info.h",
    "layout.ld": "layout.ld",
    "bothy_abi.h": "include/bothy_abi.h",
    "hypercall_handlers.h": "include/hypercall_handlers.h",
    "bothy_hypercalls.h": "include/bothy_hypercalls.h",
    "hypercall_table.c": "hyp/hypercall_table.c",
    "bothy_objects.h": "include/bothy_objects.h",
    "object_ops.h": "include/object_ops.h",
    "object_table.c": "hyp/object_table.c",
    "rm_rpc_abi.h": "include/rm_rpc_abi.h",
    "bothy_types.h": "include/bothy_types.h",
    "rm.dts": "rm.dts",
    "linux.dts": "linux.dts",
}
CONFIG_OUTPUTS = {"platform_config.h", "build_info.h", "layout.ld", "rm.dts", "linux.dts"}
DTBS = {"rm.dtb", "linux.dtb"} if DTC else set()
OBJECT_OUTPUTS = {"bothy_objects.h", "object_ops.h", "object_table.c"}
RM_RPC_OUTPUTS = {"rm_rpc_abi.h"}
TYPE_OUTPUTS = {"bothy_types.h"}
SPEC_OUTPUTS = set(OUTPUTS) - CONFIG_OUTPUTS
HYPERCALL_SPEC: dict[str, Any] = yaml.safe_load((REPO_ROOT / "abi" / "hypercalls.yaml").read_text())
ERROR_SPEC: dict[str, Any] = yaml.safe_load((REPO_ROOT / "abi" / "errors.yaml").read_text())


def generate_all(
    config: SystemConfig,
    out: Path,
    spec: HypercallSpec | None = None,
    errors: ErrorSpec | None = None,
) -> list[Path]:
    """Every generated output of `config` under `out`, as the build makes them."""
    paths = generate_platform(config, out, revision=REVISION, version=VERSION)
    spec = spec or load_hypercall_spec()
    paths += generate_hypercalls(spec, errors or load_error_spec(), out)
    paths += generate_objects(load_object_spec(spec), spec, out)
    paths += generate_rm_rpc(load_rm_rpc_spec(), out)
    paths += generate_types(load_type_spec(), out)
    if DTC is not None:
        paths += generate_devicetrees(config, out)
    else:
        guests = staged_vms(config, out)
        texts = {config.root_vm.name: root_dts(config, guests)}
        texts.update((g.vm.name, guest_dts(config, g)) for g in guests)
        for name, text in texts.items():
            write_if_changed(out / f"{name}.dts", text)
            paths.append(out / f"{name}.dts")
    return paths


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(autouse=True)
def _fake_guest(fake_cache: Path) -> None:
    """The Linux VM's kernel and initrd come from a fake guest cache of fixed sizes."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(CACHE_ENV, str(fake_guest_cache(tmp_path_factory.mktemp("guest-cache"))))
        generate_all(load_config(DEFAULT_CONFIG), out)
    return out


# --- golden files -------------------------------------------------------------------------


def check_golden(name: str, text: str) -> None:
    golden = GOLDEN_DIR / name
    if UPDATE_GOLDEN:
        if not golden.exists() or golden.read_text() != text:
            golden.parent.mkdir(parents=True, exist_ok=True)
            golden.write_text(text)
        return
    assert golden.exists(), f"no golden file {golden}; create it with BOTHY_UPDATE_GOLDEN=1"
    expected = golden.read_text()
    if text != expected:
        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(keepends=True),
                text.splitlines(keepends=True),
                fromfile=f"golden/{name}",
                tofile=f"generated/{name}",
            )
        )
        pytest.fail(
            f"{name} differs from its golden file (if intended, refresh with "
            f"BOTHY_UPDATE_GOLDEN=1 and review the diff):\n{diff}"
        )


@pytest.mark.parametrize("name", sorted(OUTPUTS))
def test_golden(generated: Path, name: str) -> None:
    check_golden(name, (generated / OUTPUTS[name]).read_text())


def test_outputs_are_exactly_the_golden_set(generated: Path) -> None:
    expected = set(OUTPUTS.values()) | DTBS
    assert set(tree(generated)) == expected
    if not UPDATE_GOLDEN:
        assert {p.name for p in GOLDEN_DIR.iterdir()} == set(OUTPUTS)


def test_generators_return_their_paths(tmp_path: Path) -> None:
    paths = generate_all(load_config(DEFAULT_CONFIG), tmp_path)
    assert sorted(p.relative_to(tmp_path).as_posix() for p in paths) == sorted(tree(tmp_path))


def test_generated_values_follow_the_config(generated: Path) -> None:
    platform = (generated / OUTPUTS["platform_config.h"]).read_text()
    assert "#define PLATFORM_CPU_COUNT BOTHY_U(2)\n" in platform
    assert "#define PLATFORM_RAM_BASE BOTHY_UL(0x40000000)\n" in platform
    # The DTB slot and boot info page sit at the top of the root VM's memory.
    assert "#define ROOT_VM_BOOT_INFO_IPA BOTHY_UL(0x41fff000)\n" in platform
    assert "#define ROOT_VM_DTB_IPA BOTHY_UL(0x41fef000)\n" in platform
    assert "#define BOTHY_INJECT BOTHY_INJECT_NONE\n" in platform
    build_info = (generated / OUTPUTS["build_info.h"]).read_text()
    assert f'#define BOTHY_REVISION "{REVISION}"\n' in build_info
    assert f'#define BOTHY_VERSION "{VERSION}"\n' in build_info
    assert '#define BOTHY_CONFIG_NAME "qemu-virt"\n' in build_info


def test_inject_setting_reaches_platform_header(tmp_path: Path) -> None:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    raw["debug"] = {"inject": "rm-fault"}
    path = tmp_path / "inject.yaml"
    path.write_text(yaml.safe_dump(raw))
    generate_platform(load_config(path), tmp_path / "gen", revision=REVISION, version=VERSION)
    text = (tmp_path / "gen" / "include" / "platform_config.h").read_text()
    assert "#define BOTHY_INJECT BOTHY_INJECT_RM_FAULT\n" in text


@needs_dtc
def test_dtb_decompiles_to_a_tree_with_the_memory_node(generated: Path) -> None:
    assert DTC is not None
    proc = subprocess.run(
        [DTC, "-I", "dtb", "-O", "dts", str(generated / "rm.dtb")],
        capture_output=True,
        text=True,
        check=True,
    )
    dts = proc.stdout
    assert proc.stderr == ""
    node = re.search(r"memory@41000000 \{(.*?)\};", dts, re.DOTALL)
    assert node, dts
    assert 'device_type = "memory";' in node.group(1)
    assert "reg = <0x00 0x41000000 0x00 0x1000000>;" in node.group(1)
    assert dts.count('device_type = "cpu";') == 1
    assert 'bothy,vm-role = "root";' in dts


@needs_dtc
def test_dtb_is_regenerated_when_missing(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    generate_devicetrees(config, tmp_path)
    for dtb in (tmp_path / "rm.dtb", tmp_path / "linux.dtb"):
        first = dtb.read_bytes()
        dtb.unlink()
        generate_devicetrees(config, tmp_path)
        assert dtb.read_bytes() == first


# --- determinism --------------------------------------------------------------------------


def test_generation_is_deterministic(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    generate_all(config, tmp_path / "one")
    generate_all(config, tmp_path / "two" / "deeper")
    one, two = tree(tmp_path / "one"), tree(tmp_path / "two" / "deeper")
    assert len(one) == len(OUTPUTS) + len(DTBS)
    assert one == two


TIMESTAMP = re.compile(rb"\b(19|20)\d\d-\d\d-\d\d\b|\b\d\d:\d\d:\d\d\b")


def test_no_absolute_path_or_timestamp_in_outputs(tmp_path: Path) -> None:
    # A config outside the repository, generated into yet another directory.
    config_dir = tmp_path / "configs"
    config_dir.mkdir()
    config_path = config_dir / "qemu-virt.yaml"
    shutil.copy(DEFAULT_CONFIG, config_path)
    out = tmp_path / "out"
    generate_all(load_config(config_path), out)
    files = tree(out)
    assert files
    forbidden = {str(tmp_path), str(REPO_ROOT), "/work", "/tmp", "/home", str(Path.home())}
    for name, data in files.items():
        for text in forbidden:
            assert text.encode() not in data, f"{name} contains {text}"
        assert not TIMESTAMP.search(data), f"{name} contains a timestamp"


def test_banner_on_first_line(generated: Path) -> None:
    pattern = re.compile(r"/\* Generated by bothy codegen from (.+) - do not edit\. \*/")
    for name, rel in OUTPUTS.items():
        first = (generated / rel).read_text().splitlines()[0]
        match = pattern.fullmatch(first)
        assert match, f"{name}: line 1 is {first!r}"
        if name in CONFIG_OUTPUTS:
            sources = "configs/qemu-virt.yaml"
        elif name in OBJECT_OUTPUTS:
            sources = "abi/hypercalls.yaml, abi/objects.yaml"
        elif name in RM_RPC_OUTPUTS:
            sources = "abi/rm_rpc.yaml"
        elif name in TYPE_OUTPUTS:
            sources = "abi/types.yaml"
        else:
            sources = "abi/errors.yaml, abi/hypercalls.yaml"
        assert match.group(1) == sources, name


def test_banner_styles_and_relative_sources(tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere" / "system.yaml"
    assert (
        banner("x.py", [outside]) == "# Generated by bothy codegen from system.yaml - do not edit."
    )
    assert banner("x.md", [DEFAULT_CONFIG]) == (
        "<!-- Generated by bothy codegen from configs/qemu-virt.yaml - do not edit. -->"
    )
    assert banner("x.S", [REPO_ROOT / "b.yaml", REPO_ROOT / "a.yaml"]) == (
        "/* Generated by bothy codegen from a.yaml, b.yaml - do not edit. */"
    )


def test_outputs_end_with_exactly_one_newline(generated: Path) -> None:
    for name, rel in OUTPUTS.items():
        text = (generated / rel).read_text()
        assert text.endswith("\n") and not text.endswith("\n\n"), name


# --- write_if_changed -------------------------------------------------------------------------


def test_write_if_changed_leaves_identical_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b.h"
    assert write_if_changed(path, "int x;\n") is True
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write_if_changed(path, "int x;\n") is False
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert path.read_text() == "int x;\n"


def test_write_if_changed_rewrites_changed_file(tmp_path: Path) -> None:
    path = tmp_path / "b.h"
    path.write_text("int x;\n")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert write_if_changed(path, "int y;\n") is True
    assert path.read_text() == "int y;\n"
    assert path.stat().st_mtime_ns != 1_000_000_000
    assert [p.name for p in tmp_path.iterdir()] == ["b.h"]  # no temporary file left


def test_regenerating_touches_nothing(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    generate_all(config, tmp_path)
    for path in tmp_path.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    generate_all(config, tmp_path)
    touched = [
        p for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_mtime_ns != 1_000_000_000
    ]
    assert touched == []


def test_new_revision_rewrites_only_build_info(tmp_path: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    generate_all(config, tmp_path)
    for path in tmp_path.rglob("*"):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    generate_platform(config, tmp_path, revision="fedcba987654", version=VERSION)
    touched = [
        p.name for p in tmp_path.rglob("*") if p.is_file() and p.stat().st_mtime_ns != 1_000_000_000
    ]
    assert touched == ["build_info.h"]


# --- loud template failures -------------------------------------------------------------------


@pytest.fixture
def template_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """bothy's own Jinja environment, loading templates from a temporary directory."""
    templates = tmp_path / "templates"
    templates.mkdir()
    monkeypatch.setattr(render_mod, "TEMPLATE_DIR", templates)
    render_mod.environment.cache_clear()
    yield templates
    render_mod.environment.cache_clear()


def render_tmp(template_dir: Path, text: str, **context: Any) -> str:
    (template_dir / "t.h.j2").write_text(text)
    return render("t.h.j2", "t.h", [DEFAULT_CONFIG], context)


def test_tmp_template_renders(template_dir: Path) -> None:
    out = render_tmp(template_dir, "{{ banner }}\n#define X {{ x | hex(4) }}\n\n\n", x=10)
    assert out == (
        "/* Generated by bothy codegen from configs/qemu-virt.yaml - do not edit. */\n"
        "#define X 0x000a\n"
    )


@pytest.mark.parametrize(
    ("source", "missing"),
    [
        ("{{ banner }}\n#define N {{ typo }}\n", "'typo' is undefined"),
        ("{{ config.nmae }}\n", "has no attribute 'nmae'"),
        ("{% if missing %}yes{% endif %}\n", "'missing' is undefined"),
        ("{% for x in missing %}{{ x }}{% endfor %}\n", "'missing' is undefined"),
        ("{{ missing | hex }}\n", "'missing' is undefined"),
        ("{{ config.name ~ missing }}\n", "'missing' is undefined"),
    ],
)
def test_undefined_name_is_an_error(template_dir: Path, source: str, missing: str) -> None:
    config = load_config(DEFAULT_CONFIG)
    with pytest.raises(TemplateError) as info:
        render_tmp(template_dir, source, config=config)
    message = str(info.value)
    assert message.startswith("template t.h.j2: ")
    assert missing in message


def test_template_syntax_error_names_template_and_line(template_dir: Path) -> None:
    with pytest.raises(TemplateError) as info:
        render_tmp(template_dir, "{{ banner }}\nint x;\n{% for x in y %}\n{{ x | }}\n")
    assert str(info.value).startswith("template t.h.j2 line 4: ")


def test_unclosed_block_names_template_and_line(template_dir: Path) -> None:
    with pytest.raises(TemplateError, match=r"^template t\.h\.j2 line \d+: .*endfor"):
        render_tmp(template_dir, "{{ banner }}\n{% for x in y %}\n{{ x }}\n")


def test_missing_template_is_an_error(template_dir: Path) -> None:
    with pytest.raises(TemplateError, match=r"^template absent\.h\.j2: "):
        render("absent.h.j2", "absent.h", [], {})


def test_real_template_with_missing_context_is_an_error() -> None:
    with pytest.raises(TemplateError, match=r"^template layout\.ld\.j2: .*undefined"):
        render("layout.ld.j2", "layout.ld", [DEFAULT_CONFIG], {})


def test_render_uses_the_given_environment(tmp_path: Path) -> None:
    (tmp_path / "u.c.j2").write_text("{{ banner }}\nint {{ name }};\n")
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(tmp_path), undefined=jinja2.StrictUndefined
    )
    assert render("u.c.j2", "u.c", [], {"name": "v"}, env=env).endswith("\nint v;\n")
    with pytest.raises(TemplateError, match="'name' is undefined"):
        render("u.c.j2", "u.c", [], {}, env=env)


# --- invalid hypercall and error specs ---------------------------------------------------------


def write_spec(
    tmp_path: Path, base: dict[str, Any], change: Callable[[dict[str, Any]], object], name: str
) -> Path:
    raw = copy.deepcopy(base)
    change(raw)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def call_index(raw: dict[str, Any], name: str) -> int:
    return next(i for i, c in enumerate(raw["calls"]) if c["name"] == name)


def spec_error(path: Path, load: Callable[[Path], object]) -> InputFileError:
    with pytest.raises(InputFileError) as info:
        load(path)
    return info.value


def test_unchanged_spec_copy_loads(tmp_path: Path) -> None:
    path = write_spec(tmp_path, HYPERCALL_SPEC, lambda raw: None, "hypercalls.yaml")
    spec = load_hypercall_spec(path)
    assert spec.path == path
    assert [c.name for c in spec.calls] == [c["name"] for c in HYPERCALL_SPEC["calls"]]
    assert [r.name for r in spec.ranges] == list(
        HYPERCALL_SPEC["ranges"]
    )  # spec order: dispatch tries them in turn
    errors = load_error_spec(write_spec(tmp_path, ERROR_SPEC, lambda raw: None, "errors.yaml"))
    assert len(errors.hypervisor) == len(ERROR_SPEC["hypervisor"])


def duplicate_number(raw: dict[str, Any]) -> str:
    first = raw["calls"][0]
    dup = copy.deepcopy(first)
    dup["name"] = "duplicate_call"
    raw["calls"].append(dup)
    return (
        f"calls[{len(raw['calls']) - 1}].number: expected a free number, found "
        f"{first['number']:#x} used by {first['name']}"
    )


def beyond_count(raw: dict[str, Any]) -> str:
    count = raw["ranges"]["bothy"]["count"]
    i = next(i for i, c in enumerate(raw["calls"]) if c["range"] == "bothy")
    raw["calls"][i]["number"] = count
    return f"calls[{i}].number: expected < {count:#x}, found {count:#x}"


def unknown_type(raw: dict[str, Any]) -> str:
    i = call_index(raw, "console_write")
    raw["calls"][i]["inputs"][1]["type"] = "pointer"
    return f"calls[{i}].inputs[1].type: expected a type declared under 'types', found 'pointer'"


def unknown_output_type(raw: dict[str, Any]) -> str:
    i = call_index(raw, "hypervisor_identify")
    raw["calls"][i]["outputs"][2]["type"] = "flags128"
    return f"calls[{i}].outputs[2].type: expected a type declared under 'types', found 'flags128'"


def unknown_range(raw: dict[str, Any]) -> str:
    i = call_index(raw, "console_write")
    raw["calls"][i]["range"] = "vendor"
    ranges = ", ".join(sorted(raw["ranges"]))
    return f"calls[{i}].range: expected one of {ranges}, found 'vendor'"


def error_not_first(raw: dict[str, Any]) -> str:
    i = call_index(raw, "console_write")
    raw["calls"][i]["outputs"].reverse()
    return f"calls[{i}].outputs[1].type: expected the error output first (x0), found it in x1"


def missing_doc(raw: dict[str, Any]) -> str:
    del raw["calls"][0]["doc"]
    return "calls[0]: missing required key 'doc'"


def missing_types(raw: dict[str, Any]) -> str:
    del raw["types"]
    return "(top level): missing required key 'types'"


def too_many_inputs(raw: dict[str, Any]) -> str:
    i = call_index(raw, "console_write")
    inputs = raw["calls"][i]["inputs"]
    inputs.extend({"name": f"extra_{n}", "type": "uint64"} for n in range(8 - len(inputs)))
    assert len(inputs) == 8
    return f"calls[{i}].inputs: expected "


def duplicate_call_name(raw: dict[str, Any]) -> str:
    i = call_index(raw, "console_write")
    raw["calls"][i]["name"] = raw["calls"][0]["name"]
    return f"calls[{i}].name: expected a unique name, found duplicate {raw['calls'][0]['name']!r}"


def duplicate_arg_name(raw: dict[str, Any]) -> str:
    i = call_index(raw, "console_write")
    raw["calls"][i]["inputs"][1]["name"] = raw["calls"][i]["inputs"][0]["name"]
    return (
        f"calls[{i}].inputs[1].name: expected a unique name, "
        f"found {raw['calls'][i]['inputs'][0]['name']!r}"
    )


@pytest.mark.parametrize(
    "change",
    [
        duplicate_number,
        beyond_count,
        unknown_type,
        unknown_output_type,
        unknown_range,
        error_not_first,
        missing_doc,
        missing_types,
        too_many_inputs,
        duplicate_call_name,
        duplicate_arg_name,
    ],
)
def test_invalid_hypercall_spec(tmp_path: Path, change: Callable[[dict[str, Any]], str]) -> None:
    expected: list[str] = []
    path = write_spec(
        tmp_path, HYPERCALL_SPEC, lambda raw: expected.append(change(raw)), "hypercalls.yaml"
    )
    error = spec_error(path, load_hypercall_spec)
    message = str(error)
    assert message.startswith("invalid hypercall spec:\n")
    assert error.path == path
    assert f"{path}: {expected[0]}" in message, message
    assert all(line.strip().startswith(f"{path}: ") for line in message.splitlines()[1:])


def test_seven_inputs_are_allowed(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        inputs = raw["calls"][call_index(raw, "console_write")]["inputs"]
        inputs.extend({"name": f"extra_{n}", "type": "uint64"} for n in range(7 - len(inputs)))

    spec = load_hypercall_spec(write_spec(tmp_path, HYPERCALL_SPEC, change, "hypercalls.yaml"))
    call = next(c for c in spec.calls if c.name == "console_write")
    assert [a.register for a in call.inputs] == list(range(7))


def test_several_spec_problems_all_reported(tmp_path: Path) -> None:
    expected: list[str] = []

    def change(raw: dict[str, Any]) -> None:
        expected.extend([unknown_type(raw), error_not_first(raw), duplicate_number(raw)])

    path = write_spec(tmp_path, HYPERCALL_SPEC, change, "hypercalls.yaml")
    error = spec_error(path, load_hypercall_spec)
    assert error.problems == sorted(expected)


def test_invalid_hypercall_yaml(tmp_path: Path) -> None:
    path = tmp_path / "hypercalls.yaml"
    path.write_text("ranges: {gunyah: [\n")
    error = spec_error(path, load_hypercall_spec)
    assert f"{path}: line " in str(error)
    assert "not valid YAML" in str(error)


def test_error_spec_duplicate_value(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["hypervisor"][2]["value"] = raw["hypervisor"][1]["value"]

    path = write_spec(tmp_path, ERROR_SPEC, change, "errors.yaml")
    error = spec_error(path, load_error_spec)
    value = ERROR_SPEC["hypervisor"][1]["value"]
    assert str(error).startswith("invalid error spec:\n")
    assert error.problems == [
        f"hypervisor[2].value: expected a unique value, found {value!r} twice"
    ]
    assert f"{path}: hypervisor[2].value: " in str(error)


def test_error_spec_duplicate_name(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["rm"][3]["name"] = raw["rm"][0]["name"]

    path = write_spec(tmp_path, ERROR_SPEC, change, "errors.yaml")
    error = spec_error(path, load_error_spec)
    assert error.problems == [
        f"rm[3].name: expected a unique name, found {ERROR_SPEC['rm'][0]['name']!r} twice"
    ]


def test_error_spec_bad_name(tmp_path: Path) -> None:
    path = write_spec(
        tmp_path, ERROR_SPEC, lambda raw: raw["rm"][1].update(name="rm_lower"), "errors.yaml"
    )
    error = spec_error(path, load_error_spec)
    assert f"{path}: rm[1].name: expected a string matching" in str(error)


# --- the generated C -----------------------------------------------------------------------------


def table_entries(table_c: str) -> dict[str, dict[int, str]]:
    """range name -> {number: handler stub} parsed from hypercall_table.c."""
    tables = re.findall(
        r"hypercall_stub_t table_(\w+)\[HYPERCALL_\w+_COUNT\] = \{\n(.*?)\};", table_c, re.DOTALL
    )
    return {
        name: {int(n, 16): stub for n, stub in re.findall(r"\[(0x[0-9a-f]+)\] = stub_(\w+),", body)}
        for name, body in tables
    }


def check_dispatch(out: Path, spec: HypercallSpec) -> None:
    table_c = (out / OUTPUTS["hypercall_table.c"]).read_text()
    handlers_h = (out / OUTPUTS["hypercall_handlers.h"]).read_text()
    entries = table_entries(table_c)
    assert sorted(entries) == sorted(r.name for r in spec.ranges)
    implemented = [c for c in spec.calls if c.implemented]
    for call in spec.calls:
        if call.implemented:
            assert entries[call.range.name].get(call.number) == call.name, call.name
            assert f" hypercall_{call.name}(" in handlers_h
        else:
            assert all(call.name not in table.values() for table in entries.values())
            assert f"stub_{call.name}(" not in table_c
            assert f"hypercall_{call.name}(" not in handlers_h
    assert sum(len(t) for t in entries.values()) == len(implemented)


def test_dispatch_table_holds_exactly_the_implemented_calls(generated: Path) -> None:
    spec = load_hypercall_spec()
    assert any(c.implemented for c in spec.calls)
    assert any(not c.implemented for c in spec.calls)
    check_dispatch(generated, spec)


def flipped_spec(tmp_path: Path) -> HypercallSpec:
    """The spec with every call's `implemented` inverted."""

    def change(raw: dict[str, Any]) -> None:
        for call in raw["calls"]:
            call["implemented"] = not call["implemented"]

    return load_hypercall_spec(write_spec(tmp_path, HYPERCALL_SPEC, change, "hypercalls.yaml"))


def test_dispatch_table_follows_implemented_flags(tmp_path: Path) -> None:
    spec = flipped_spec(tmp_path)
    generate_hypercalls(spec, load_error_spec(), tmp_path / "gen")
    generate_objects(load_object_spec(spec), spec, tmp_path / "gen")
    check_dispatch(tmp_path / "gen", spec)


def native_checks(table_c: str, name: str) -> set[str]:
    """The conditions stub_<name> rejects on the native path (empty if it checks none)."""
    body = re.search(rf"stub_{name}\(.*?\n}}\n", table_c, re.DOTALL)
    assert body is not None, name
    found = re.search(r"if \(native && \((.*)\) != 0UL\) \{", body.group(0))
    return set(found.group(1).split(" | ")) if found else set()


def test_native_stubs_reject_reserved_and_over_wide_inputs(generated: Path) -> None:
    """Each stub's native check is made from the spec's types: reserved inputs must be their
    value, and an input narrower than its register must leave the bits above it clear."""
    spec = load_hypercall_spec()
    table_c = (generated / OUTPUTS["hypercall_table.c"]).read_text()
    widths = {"uint32_t": 32, "uint16_t": 16, "uint8_t": 8, "bool": 1}
    for call in (c for c in spec.calls if c.implemented):
        want = {
            f"in[{a.register}]" if a.reserved_value == 0 else
            f"(in[{a.register}] ^ {a.reserved_value:#x}UL)"
            for a in call.inputs if a.reserved_value is not None
        }  # fmt: skip
        if call.returns_error:
            want |= {f"(in[{a.register}] >> {widths[a.c_type]})" for a in call.params
                     if a.c_type in widths}  # fmt: skip
        assert native_checks(table_c, call.name) == want, call.name
    # The two the hardening issue names: msgqueue_send's 32-bit flags, a bind's 32-bit virq.
    assert "(in[3] >> 32)" in native_checks(table_c, "msgqueue_send")
    assert "(in[2] >> 32)" in native_checks(table_c, "hwirq_bind_virq")


def test_every_error_code_is_in_the_abi_header(generated: Path) -> None:
    abi = (generated / OUTPUTS["bothy_abi.h"]).read_text()
    for e in ERROR_SPEC["hypervisor"]:
        assert f"\t{e['name']} = {e['value']}, " in abi
        assert f'\tcase {e["value"]}: return "{e["name"]}";' in abi
    for e in ERROR_SPEC["rm"]:
        assert f"\t{e['name']} = {e['value']:#x}U, " in abi


def compile_c(out: Path, tmp_path: Path) -> None:
    assert CLANG is not None
    main = tmp_path / "all_headers.c"
    headers = [
        "platform_config.h",
        "build_info.h",
        "bothy_abi.h",
        "hypercall_handlers.h",
        "bothy_hypercalls.h",
        "rm_rpc_abi.h",
    ]
    # Twice each: every header must be safe to include more than once.
    main.write_text("".join(f'#include "{h}"\n' for h in headers * 2))
    for source in (main, out / OUTPUTS["hypercall_table.c"]):
        clang_syntax_check(source, out / "include")


@pytest.mark.build
@needs("clang")
def test_generated_c_compiles(generated: Path, tmp_path: Path) -> None:
    compile_c(generated, tmp_path)


@pytest.mark.build
@needs("clang")
def test_generated_c_compiles_with_other_calls_implemented(tmp_path: Path) -> None:
    out = tmp_path / "gen"
    generate_all(load_config(DEFAULT_CONFIG), out, spec=flipped_spec(tmp_path))
    compile_c(out, tmp_path)


# --- Python error enums -------------------------------------------------------------------------


def test_hyp_error_accepts_register_values() -> None:
    unimplemented = hyp_error(0xFFFF_FFFF_FFFF_FFFF)
    assert unimplemented.name == "ERROR_UNIMPLEMENTED"
    assert unimplemented == -1
    assert hyp_error(-1) is unimplemented
    assert hyp_error(0xFFFF_FFFF_FFFF_FFFE).name == "ERROR_RETRY"
    assert hyp_error(0).name == "OK"
    with pytest.raises(ValueError):
        hyp_error(0x7FFF_FFFF_FFFF_FFFF)


def test_error_enums_match_the_spec() -> None:
    for e in ERROR_SPEC["hypervisor"]:
        assert hyp_error_value(e["name"]) == e["value"]
        assert hyp_error(e["value"] & 0xFFFF_FFFF_FFFF_FFFF).name == e["name"]
    for e in ERROR_SPEC["rm"]:
        assert rm_error_value(e["name"]) == e["value"]
    assert rm_error_value("RM_ERROR_UNIMPLEMENTED") == 0xFFFF_FFFF
    with pytest.raises(KeyError):
        hyp_error_value("ERROR_NO_SUCH_THING")


def test_loaded_error_spec_matches_the_file() -> None:
    spec = load_error_spec()
    assert spec.path == abi_errors.SPEC_PATH
    assert [(e.name, e.value, e.doc) for e in spec.hypervisor] == [
        (e["name"], e["value"], e["doc"]) for e in ERROR_SPEC["hypervisor"]
    ]
    assert [(e.name, e.value) for e in spec.rm] == [
        (e["name"], e["value"]) for e in ERROR_SPEC["rm"]
    ]


# --- regressions: spec mistakes that once slipped through ---------------------------------


def test_overlapping_call_ranges_are_rejected(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["ranges"]["bothy"]["native_base"] = 0x6000

    path = write_spec(tmp_path, HYPERCALL_SPEC, change, "hypercalls.yaml")
    error = spec_error(path, load_hypercall_spec)
    assert any(
        "ranges.gunyah.native_base: expected no overlap with range bothy" in p
        for p in error.problems
    ), error.problems


def test_range_beyond_the_hvc_immediate_is_rejected(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["ranges"]["bothy"]["native_base"] = 0xFFF0

    path = write_spec(tmp_path, HYPERCALL_SPEC, change, "hypercalls.yaml")
    error = spec_error(path, load_hypercall_spec)
    assert any("hvc immediate is 16 bits" in p for p in error.problems), error.problems


def test_too_many_inputs_states_the_limit(tmp_path: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        raw["calls"][0]["inputs"] = [{"name": f"a{i}", "type": "uint64"} for i in range(8)]

    path = write_spec(tmp_path, HYPERCALL_SPEC, change, "hypercalls.yaml")
    error = spec_error(path, load_hypercall_spec)
    assert any(
        "calls[0].inputs: expected at most 7 item(s), found 8 items" in p for p in error.problems
    ), error.problems

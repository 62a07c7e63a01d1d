"""doit tasks for bothy: build, boot, test, inspect. Thin by design: every action is a
function of the bothy package (tools/bothy); this file only wires the task graph.

Choose a system description with `config=PATH` (default configs/qemu-virt.yaml), e.g.
    doit build config=configs/qemu-virt.yaml
and replace the primary Linux VM's kernel or initrd with `kernel=PATH` / `initrd=PATH`.
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from doit import get_var
from doit.exceptions import TaskFailed
from doit.tools import config_changed

sys.path.insert(0, str(Path(__file__).parent / "tools"))

from bothy.build.components import components, object_path, program_component
from bothy.build.depfile import DepfileUpToDate
from bothy.build.steps import (
    check_program_vm,
    check_root_vm,
    compile_command,
    compile_source,
    flatten,
    generate,
    generate_vm_devicetrees,
    link,
    package,
)
from bothy.codegen.platform import guest_layout_dir
from bothy.config import SystemConfig, load_config
from bothy.errors import BothyError
from bothy.guest.cache import default_initrd, default_kernel, ensure_guest, guest_is_current
from bothy.paths import DEFAULT_CONFIG, REPO_ROOT, build_dir_for
from bothy.staging import guest_inputs, program_binary
from bothy.toolchain import find_build_tools
from bothy.version import VERSION, source_revision


def _path_var(name: str) -> Path | None:
    """A PATH given as doit's `name=PATH`; relative to doit's working directory, the
    repository root (where ./bothy runs it)."""
    value = get_var(name, "")
    return Path.cwd() / value if value else None


def _load() -> SystemConfig:
    path = _path_var("config") or DEFAULT_CONFIG
    try:
        return load_config(path, kernel=_path_var("kernel"), initrd=_path_var("initrd"))
    except BothyError as e:
        # A bad config stops everything before a single file is written.
        sys.exit(f"bothy: {e}")


CONFIG = _load()
# One dependency database per config: doit keys state by task name, and every config has
# the same task names, so a shared database would make each config's build undo another's.
DEP_DIR = REPO_ROOT / ".doit"
DEP_DIR.mkdir(exist_ok=True)
DOIT_CONFIG = {
    "default_tasks": ["build"],
    "verbosity": 1,
    "dep_file": str(DEP_DIR / f"{CONFIG.name}.db"),
}
BUILD = build_dir_for(CONFIG.path)
GEN = BUILD / "gen"
IMAGE = BUILD / "bothy.elf"
MANIFEST = BUILD / "manifest.json"
COMPONENTS = components(CONFIG)
# Generated from the ABI specs by `doit docs` (and committed), so never an input of codegen.
ABI_CONSTANTS = REPO_ROOT / "tools" / "bothy" / "abi" / "constants.py"
CODEGEN_INPUTS = sorted(
    p
    for p in [
        CONFIG.path,
        *(REPO_ROOT / "abi").glob("*.yaml"),
        *(REPO_ROOT / "tools" / "bothy" / "codegen").rglob("*.j2"),
        *(REPO_ROOT / "tools" / "bothy" / "codegen").glob("*.py"),
        *(REPO_ROOT / "tools" / "bothy" / "abi").glob("*.*"),
        *(REPO_ROOT / "tools" / "bothy" / "config").glob("*.*"),
    ]
    if p != ABI_CONSTANTS
)
GENERATED_C = [GEN / "hyp" / "hypercall_table.c", GEN / "hyp" / "object_table.c"]
# The device trees also depend on where the guest VMs' files go and on the files themselves.
DEVICETREE_INPUTS = [
    *CODEGEN_INPUTS,
    REPO_ROOT / "tools" / "bothy" / "staging.py",
    REPO_ROOT / "tools" / "bothy" / "ipc.py",
    REPO_ROOT / "tools" / "bothy" / "guest" / "arm64_image.py",
    *guest_inputs(CONFIG),
]
VM_DTBS = [GEN / f"{vm.name}.dtb" for vm in CONFIG.vms]


def _tools() -> dict[str, Any]:
    try:
        return find_build_tools()
    except BothyError as e:
        sys.exit(f"bothy: {e}")


TOOLS = _tools()
TOOL_VERSIONS = {name: f"{t.path} {t.version}" for name, t in TOOLS.items()}


def _rel(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix() if path.is_relative_to(REPO_ROOT) else str(path)


def _guest() -> TaskFailed | None:
    try:
        ensure_guest()
    except BothyError as e:
        return TaskFailed(f"bothy: {e}")
    return None


def task_guest() -> dict[str, Any]:
    """Fetch Debian's arm64 kernel + busybox and build the initramfs into the guest cache.

    A no-op once the cache is complete; builds need it only for a Linux VM using the defaults."""
    return {
        "actions": [_guest],
        "targets": [default_kernel(), default_initrd()],
        "uptodate": [guest_is_current],
        "verbosity": 2,
    }


def task_devicetree() -> dict[str, Any]:
    """Generate every VM's device tree (the RM's lists the VMs it starts and where their files are).

    Each Linux VM's addresses follow from the sizes of its kernel and initrd."""
    return {
        "actions": [(generate_vm_devicetrees, [CONFIG, GEN])],
        # A default kernel or initrd is a target of `guest`, which doit then runs first; a
        # config without Linux VMs never touches the guest cache (or the network).
        "file_dep": DEVICETREE_INPUTS,
        "targets": VM_DTBS,
        "uptodate": [config_changed({"dtc": TOOL_VERSIONS["dtc"]})],
        "clean": True,
    }


def task_gen() -> dict[str, Any]:
    """Generate headers, dispatch tables and the linker layout from config + specs."""
    return {
        "actions": [(generate, [CONFIG, GEN], {"revision": source_revision(), "version": VERSION})],
        "file_dep": CODEGEN_INPUTS,
        "targets": [
            GEN / "include" / "platform_config.h",
            GEN / "include" / "build_info.h",
            GEN / "layout.ld",
            *(
                guest_layout_dir(GEN, name) / "guest_layout.ld"
                for name in COMPONENTS
                if name != "hyp"
            ),
            GEN / "include" / "bothy_abi.h",
            GEN / "include" / "bothy_hypercalls.h",
            GEN / "include" / "hypercall_handlers.h",
            GEN / "include" / "bothy_objects.h",
            GEN / "include" / "object_ops.h",
            GEN / "include" / "rm_rpc_abi.h",
            *GENERATED_C,
        ],
        "uptodate": [config_changed({"revision": source_revision(), "version": VERSION})],
        "clean": True,
    }


def _write_docs() -> None:
    from bothy.abi.errors import load_error_spec
    from bothy.abi.hypercalls import load_hypercall_spec
    from bothy.codegen.hypercalls import hypercall_doc, python_constants
    from bothy.codegen.render import write_if_changed

    spec = load_hypercall_spec()
    write_if_changed(REPO_ROOT / "docs" / "hypercalls.md", hypercall_doc(spec))
    write_if_changed(ABI_CONSTANTS, python_constants(spec, load_error_spec()))


def task_docs() -> dict[str, Any]:
    """Regenerate docs/hypercalls.md and tools/bothy/abi/constants.py from the ABI specs
    (both committed; tests check they are current)."""
    return {
        "actions": [_write_docs],
        "file_dep": CODEGEN_INPUTS,
        "targets": [REPO_ROOT / "docs" / "hypercalls.md", ABI_CONSTANTS],
    }


def _objects(name: str) -> list[tuple[Path, Path]]:
    comp = COMPONENTS[name]
    sources = [s for s in comp.sources if s.name != "payload.S"]
    if name == "hyp":
        sources += GENERATED_C
    return [(s, object_path(BUILD, name, s)) for s in sources]


def task_compile() -> Iterator[dict[str, Any]]:
    """Compile every C and assembly source (incremental through compiler depfiles)."""
    clang = TOOLS["clang"].path
    for name, comp in sorted(COMPONENTS.items()):
        for source, obj in _objects(name):
            argv = compile_command(clang, comp, BUILD, source, obj)
            yield {
                "name": f"{name}:{_rel(source)}",
                "actions": [(compile_source, [argv, obj])],
                "file_dep": [source],
                "task_dep": ["gen"],
                "targets": [obj],
                "uptodate": [
                    DepfileUpToDate(Path(f"{obj}.d")),
                    config_changed({"argv": shlex.join(argv[1:]), "clang": TOOL_VERSIONS["clang"]}),
                ],
                "clean": True,
            }


ROOT_VM = CONFIG.root_vm.name
ROOT_VM_ELF, ROOT_VM_BIN = BUILD / f"{ROOT_VM}.elf", BUILD / f"{ROOT_VM}.bin"
ROOT_VM_DTB = GEN / f"{ROOT_VM}.dtb"


def task_root_vm() -> dict[str, Any]:
    """Link the root VM's program (the RM, or a test guest) into the image the hypervisor embeds."""
    objects = [obj for _, obj in _objects("root_vm")]
    layout_dir = guest_layout_dir(GEN, "root_vm")
    return {
        "actions": [
            (link, [TOOLS["ld.lld"].path, COMPONENTS["root_vm"], objects, ROOT_VM_ELF, layout_dir]),
            (check_root_vm, [CONFIG, ROOT_VM_ELF]),
            (flatten, [TOOLS["llvm-objcopy"].path, ROOT_VM_ELF, ROOT_VM_BIN]),
        ],
        "file_dep": [*objects, COMPONENTS["root_vm"].linker_script, layout_dir / "guest_layout.ld"],
        "targets": [ROOT_VM_ELF, ROOT_VM_BIN],
        "uptodate": [config_changed(TOOL_VERSIONS["ld.lld"] + TOOL_VERSIONS["llvm-objcopy"])],
        "clean": True,
    }


def task_program_vm() -> Iterator[dict[str, Any]]:
    """Link each test guest that runs as a VM other than the root into the file QEMU stages."""
    for vm in CONFIG.program_vms:
        name = program_component(vm.name)
        objects = [obj for _, obj in _objects(name)]
        layout_dir = guest_layout_dir(GEN, name)
        elf, binary = BUILD / f"{vm.name}.elf", program_binary(CONFIG, vm)
        yield {
            "name": vm.name,
            "actions": [
                (link, [TOOLS["ld.lld"].path, COMPONENTS[name], objects, elf, layout_dir]),
                (check_program_vm, [CONFIG, vm.name, elf]),
                (flatten, [TOOLS["llvm-objcopy"].path, elf, binary]),
            ],
            "file_dep": [*objects, COMPONENTS[name].linker_script, layout_dir / "guest_layout.ld"],
            "targets": [elf, binary],
            "uptodate": [config_changed(TOOL_VERSIONS["ld.lld"] + TOOL_VERSIONS["llvm-objcopy"])],
            "clean": True,
        }


def task_image() -> dict[str, Any]:
    """Link the hypervisor with the root VM inside into bothy.elf; verify; write manifest.json."""
    hyp = COMPONENTS["hyp"]
    payload_src = REPO_ROOT / "hyp" / "arch" / "aarch64" / "payload.S"
    payload_obj = object_path(BUILD, "hyp", payload_src)
    payload_argv = [
        *compile_command(TOOLS["clang"].path, hyp, BUILD, payload_src, payload_obj),
        f"-I{BUILD}",
        f"-I{GEN}",
        f'-DROOT_VM_BIN="{ROOT_VM_BIN.name}"',
        f'-DROOT_VM_DTB="{ROOT_VM_DTB.name}"',
    ]
    objects = [obj for _, obj in _objects("hyp")] + [payload_obj]
    components = {"hyp": IMAGE, ROOT_VM: ROOT_VM_BIN, f"{ROOT_VM}_dtb": ROOT_VM_DTB}
    return {
        "actions": [
            (compile_source, [payload_argv, payload_obj]),
            (link, [TOOLS["ld.lld"].path, hyp, objects, IMAGE, GEN]),
            (package, [CONFIG, IMAGE, MANIFEST, components]),
        ],
        "file_dep": [
            *objects[:-1],
            payload_src,
            ROOT_VM_BIN,
            ROOT_VM_DTB,
            hyp.linker_script,
            GEN / "layout.ld",
        ],
        "targets": [payload_obj, IMAGE, MANIFEST],
        "uptodate": [config_changed(TOOL_VERSIONS["ld.lld"] + shlex.join(payload_argv[1:]))],
        "clean": True,
    }


def _remove_build_dir() -> None:
    shutil.rmtree(BUILD, ignore_errors=True)


def task_build() -> dict[str, Any]:
    """Build every image of the config into build/<config>/ (bothy.elf + manifest.json)."""
    return {
        "actions": None,
        "task_dep": ["image", "devicetree", "program_vm"],
        "clean": [_remove_build_dir],
    }


def _qemu_argv() -> list[str]:
    from bothy.qemu import qemu_command

    return qemu_command(CONFIG, IMAGE)


def _boot() -> TaskFailed | None:
    from bothy.runner import run_interactive

    status = run_interactive(_qemu_argv())
    return TaskFailed(f"QEMU exited with status {status}") if status != 0 else None


def task_boot() -> dict[str, Any]:
    """Build, then boot in QEMU with the serial console on this terminal (Ctrl-A X quits)."""
    return {"actions": [_boot], "task_dep": ["build"], "uptodate": [False], "verbosity": 2}


def _pytest(pytest: str) -> TaskFailed | None:
    import subprocess

    argv = [sys.executable, "-m", "pytest", "-m", "not slow", *shlex.split(pytest)]
    status = subprocess.run(argv, cwd=REPO_ROOT, check=False).returncode
    return TaskFailed(f"pytest exited with status {status}") if status != 0 else None


def task_test() -> dict[str, Any]:
    """Run the test suite (pytest). Extra pytest arguments: doit test --pytest "-m qemu"."""
    return {
        "actions": [_pytest],
        "params": [
            {
                "name": "pytest",
                "long": "pytest",
                "type": str,
                "default": "",
                "help": "extra pytest arguments, e.g. \"-m 'not qemu' -k boot\"",
            }
        ],
        "uptodate": [False],
        "verbosity": 2,
    }


def _inspect() -> None:
    from bothy.image import describe_image

    print(describe_image(IMAGE))


def task_inspect() -> dict[str, Any]:
    """Print the image's sections, segments and largest symbols (via LIEF)."""
    return {"actions": [_inspect], "task_dep": ["build"], "uptodate": [False], "verbosity": 2}


def _bench() -> TaskFailed | None:
    import time

    from bothy.bench import BenchIncomplete, format_table, results_path, run_bench

    started = time.monotonic()
    try:
        results = run_bench(CONFIG, report=lambda line: print(line, flush=True))
    except BenchIncomplete as e:
        print(format_table(e.results))
        print(
            f"results (incomplete): {_rel(results_path(CONFIG))} "
            f"({time.monotonic() - started:.0f} s in all)"
        )
        return TaskFailed(f"bothy: {e}")
    except BothyError as e:
        return TaskFailed(f"bothy: {e}")
    print(format_table(results))
    print(f"results: {_rel(results_path(CONFIG))} ({time.monotonic() - started:.0f} s in all)")
    return None


def task_bench() -> dict[str, Any]:
    """Run the benchmarks (the bench guest under QEMU -icount; Linux boot under bothy and on
    bare QEMU) and write build/<config>/bench/results.json."""
    return {"actions": [_bench], "uptodate": [False], "verbosity": 2}

"""Host-only tests of the Linux guest tooling: where a Linux VM's files go (layout and staging),
the device trees that describe them (the Linux VM's own, and the RM's /vms node), the QEMU
command lines that load them, the busybox initramfs, and the guest cache (complete: no work,
no output, no network; incomplete: rebuilt from the cached packages, or fetched).

Nothing here touches the network or boots QEMU: the guest cache is a fake, and apt is faked
where a fetch is exercised.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import stat
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from bothy.codegen.devicetree import generate_devicetrees
from bothy.config import ConfigError, Region, SystemConfig, load_config
from bothy.config.layout import RM_RX_INTID, RM_TX_INTID, LayoutError, linux_layout
from bothy.guest import cache as guest_cache
from bothy.guest import debian, initramfs
from bothy.guest.arm64_image import KernelImage, KernelImageError, read_kernel_image
from bothy.guest.cache import ensure_guest, guest_is_current
from bothy.guest.initramfs import (
    BENCH_PARAMETER,
    LINUX_READY_MARKER,
    CpioEntry,
    build_initramfs,
)
from bothy.paths import DEFAULT_CONFIG, build_dir_for
from bothy.qemu import bare_linux_command, qemu_command
from bothy.staging import staged_vms
from conftest import (
    FAKE_INITRD_SIZE,
    FAKE_KERNEL_FILE_SIZE,
    FAKE_KERNEL_IMAGE_SIZE,
    fake_kernel,
)
from needs import needs, require

DTC = shutil.which("dtc")
FDTGET = shutil.which("fdtget")
DPKG_DEB = shutil.which("dpkg-deb")
needs_dtc = needs("dtc", "fdtget")
needs_dpkg_deb = needs("dpkg-deb")
MIB = 1 << 20
LINUX_BASE = 0x4800_0000


def kernel(image_size: int, file_size: int, text_offset: int = 0) -> KernelImage:
    return KernelImage(Path("Image"), text_offset, image_size, file_size)


def derived(tmp_path: Path, change: Callable[[dict[str, Any]], object]) -> SystemConfig:
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    change(raw)
    path = tmp_path / "system.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_config(path)


# --- the arm64 Image header ---------------------------------------------------------------------


def test_kernel_header_fields(tmp_path: Path) -> None:
    path = fake_kernel(tmp_path / "Image", image_size=0x201_0000, text_offset=0x8_0000)
    assert read_kernel_image(path) == KernelImage(path, 0x8_0000, 0x201_0000, 0x1_0000)


def test_truncated_kernel_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "Image"
    path.write_bytes(b"MZ" + b"\0" * 30)
    with pytest.raises(KernelImageError, match=r"not an arm64 Linux Image .* in a 32-byte file"):
        read_kernel_image(path)


# --- layout -------------------------------------------------------------------------------------


def test_layout_of_the_debian_kernel_in_the_default_vm() -> None:
    # Debian 6.1's Image: 0x1f6d800 bytes on disk, image_size 0x2010000 (with BSS).
    layout = linux_layout(Region(LINUX_BASE, 0x2000_0000), kernel(0x201_0000, 0x1F6_D800), 0xF_11B0)
    assert layout.entry == LINUX_BASE
    assert layout.kernel == Region(LINUX_BASE, 0x1F6_D800)
    assert layout.dtb == Region(0x4A20_0000, 0x1_0000)  # align_up(base + image_size, 2 MiB)
    assert layout.initrd == Region(0x4A40_0000, 0xF_11B0)  # DTB + 2 MiB


def test_layout_adds_text_offset_and_uses_the_larger_of_file_and_image_size() -> None:
    layout = linux_layout(Region(LINUX_BASE, 0x400_0000), kernel(0, 0x30_0001, 0x8_0000), 0x1000)
    assert layout.kernel == Region(LINUX_BASE + 0x8_0000, 0x30_0001)
    assert layout.dtb.base == LINUX_BASE + 0x40_0000
    assert layout.initrd.base == LINUX_BASE + 0x60_0000


def test_layout_needs_32_mib_free_after_the_initrd() -> None:
    image = kernel(0x100_0000, 0x1000)
    # Kernel 16 MiB, DTB block 2 MiB, initrd one page: 18 MiB + 1 page + 32 MiB.
    needed = 0x120_0000 + 0x1000 + 32 * MIB
    memory = Region(LINUX_BASE, needed)
    assert linux_layout(memory, image, 0x1000).initrd.end == LINUX_BASE + 0x120_1000
    # One more byte of initrd rounds up to another page.
    with pytest.raises(LayoutError, match=rf"at least {needed + 0x1000:#x} bytes .* {needed:#x}$"):
        linux_layout(memory, image, 0x1001)


# The default config's RAM above its last VM (linux, 0x48000000 + 512 MiB).
STAGING_BASE = 0x6800_0000


def test_staged_default_vm_uses_the_guest_cache(fake_cache: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    (staged,) = staged_vms(config)
    gen = build_dir_for(DEFAULT_CONFIG) / "gen"
    dtb = LINUX_BASE + FAKE_KERNEL_IMAGE_SIZE  # 24 MiB: already 2 MiB aligned
    assert staged.layout.dtb.base == dtb
    assert staged.layout.initrd.base == dtb + 2 * MIB
    # QEMU loads into the staging mirror above every VM's memory, at the same offsets, and
    # the kernel and initramfs (not the DTB, which the RM completes) into the VM's memory.
    mirror = STAGING_BASE - LINUX_BASE
    assert staged.staging.base == STAGING_BASE
    assert staged.loads() == [
        (fake_cache / "Image", LINUX_BASE + mirror),
        (gen / "linux.dtb", dtb + mirror),
        (fake_cache / "initramfs.cpio.gz", dtb + 2 * MIB + mirror),
        (fake_cache / "Image", LINUX_BASE),
        (fake_cache / "initramfs.cpio.gz", dtb + 2 * MIB),
    ]
    assert staged.layout.kernel.size == FAKE_KERNEL_FILE_SIZE
    assert staged.layout.initrd.size == FAKE_INITRD_SIZE


def test_staging_without_the_guest_cache_names_the_missing_file(
    tmp_path: Path, fake_cache: Path
) -> None:
    (fake_cache / "Image").unlink()
    with pytest.raises(ConfigError) as info:
        staged_vms(load_config(DEFAULT_CONFIG), tmp_path)
    assert info.value.problems == [
        f"vms[1].kernel: {fake_cache / 'Image'}: cannot read the kernel Image: "
        "No such file or directory"
    ]


def test_default_kernel_too_big_for_its_vm_is_a_config_error(fake_cache: Path) -> None:
    fake_kernel(fake_cache / "Image", image_size=0x1F00_0000)
    with pytest.raises(ConfigError) as info:
        staged_vms(load_config(DEFAULT_CONFIG))
    (problem,) = info.value.problems
    assert problem.startswith("vms[1].memory.size: expected at least 0x")
    assert problem.endswith("and 32 MiB free, found 0x20000000")


# --- device trees -------------------------------------------------------------------------------


def fdtget(dtb: Path, node: str, prop: str, kind: str = "x") -> str:
    assert FDTGET is not None
    argv = [FDTGET, "-t", kind, str(dtb), node, prop]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()


def subnodes(dtb: Path, node: str) -> list[str]:
    assert FDTGET is not None
    argv = [FDTGET, "-l", str(dtb), node]
    return subprocess.run(argv, capture_output=True, text=True, check=True).stdout.split()


def words(*values: int) -> str:
    """64-bit values as fdtget -t x prints their cells."""
    return " ".join(f"{v >> 32:x} {v & 0xFFFF_FFFF:x}" for v in values)


@pytest.fixture
def dtbs(tmp_path: Path, fake_cache: Path) -> Path:
    generate_devicetrees(load_config(DEFAULT_CONFIG), tmp_path)
    return tmp_path


@needs_dtc
def test_rm_tree_lists_the_linux_vm_with_its_staged_files(dtbs: Path) -> None:
    rm = dtbs / "rm.dtb"
    (staged,) = staged_vms(load_config(DEFAULT_CONFIG), dtbs)
    layout = staged.layout
    assert subnodes(rm, "/vms") == ["vm@3"]
    assert fdtget(rm, "/vms", "#address-cells") == "1"
    assert fdtget(rm, "/vms", "#size-cells") == "0"
    vm = "/vms/vm@3"
    assert fdtget(rm, vm, "reg") == "3"
    assert fdtget(rm, vm, "bothy,name", "s") == "linux"
    assert fdtget(rm, vm, "bothy,role", "s") == "primary"
    assert fdtget(rm, vm, "bothy,vcpus") == "2"
    assert fdtget(rm, vm, "bothy,memory") == words(LINUX_BASE, 0x2000_0000)
    assert fdtget(rm, vm, "bothy,entry") == words(LINUX_BASE)
    assert fdtget(rm, vm, "bothy,image") == words(LINUX_BASE, FAKE_KERNEL_FILE_SIZE)
    assert fdtget(rm, vm, "bothy,dtb") == words(layout.dtb.base, 0x1_0000)
    assert fdtget(rm, vm, "bothy,initrd") == words(layout.initrd.base, FAKE_INITRD_SIZE)


@needs_dtc
def test_rm_tree_gives_secondaries_their_vmids(tmp_path: Path, fake_cache: Path) -> None:
    def change(raw: dict[str, Any]) -> None:
        memory = {"base": 0x7000_0000, "size": 0x400_0000}
        raw["vms"].append({"name": "sec", "role": "secondary", "image": "linux", "vcpus": 1})
        raw["vms"][-1]["memory"] = memory

    generate_devicetrees(derived(tmp_path, change), tmp_path / "gen")
    rm = tmp_path / "gen" / "rm.dtb"
    assert subnodes(rm, "/vms") == ["vm@3", "vm@80"]
    assert fdtget(rm, "/vms/vm@80", "reg") == "80"
    assert fdtget(rm, "/vms/vm@80", "bothy,role", "s") == "secondary"
    assert fdtget(tmp_path / "gen" / "sec.dtb", "/cpus/cpu@0", "reg") == "0"


@needs_dtc
def test_root_only_system_has_an_empty_vms_node(tmp_path: Path) -> None:
    config = derived(tmp_path, lambda raw: raw["vms"].pop())
    assert generate_devicetrees(config, tmp_path / "gen") == [
        tmp_path / "gen" / "rm.dtb",
        tmp_path / "gen" / "rm.dts",
    ]
    assert subnodes(tmp_path / "gen" / "rm.dtb", "/vms") == []


@needs_dtc
def test_linux_tree_boots_the_staged_initrd_on_the_uart(dtbs: Path) -> None:
    dtb = dtbs / "linux.dtb"
    (staged,) = staged_vms(load_config(DEFAULT_CONFIG), dtbs)
    initrd = staged.layout.initrd
    assert fdtget(dtb, "/", "compatible", "s") == "linux,dummy-virt"
    assert fdtget(dtb, "/", "model", "s") == "bothy VM linux"
    assert fdtget(dtb, "/chosen", "bootargs", "s") == (
        "console=ttyAMA0 earlycon=pl011,0x09000000 rdinit=/init"
    )
    assert fdtget(dtb, "/chosen", "stdout-path", "s") == "/pl011@9000000"
    assert fdtget(dtb, "/chosen", "linux,initrd-start") == words(initrd.base)
    assert fdtget(dtb, "/chosen", "linux,initrd-end") == words(initrd.end)
    assert fdtget(dtb, "/memory@48000000", "reg") == words(LINUX_BASE, 0x2000_0000)
    assert fdtget(dtb, "/pl011@9000000", "interrupts") == "0 1 4"  # SPI 33 - 32, level high


@needs_dtc
def test_linux_tree_cpus_psci_gic_and_timer(dtbs: Path) -> None:
    dtb = dtbs / "linux.dtb"
    assert subnodes(dtb, "/cpus") == ["cpu@0", "cpu@1"]
    assert fdtget(dtb, "/cpus/cpu@1", "enable-method", "s") == "psci"
    assert fdtget(dtb, "/cpus/cpu@1", "compatible", "s") == "arm,arm-v8"
    assert fdtget(dtb, "/psci", "method", "s") == "hvc"
    assert fdtget(dtb, "/psci", "compatible", "s") == "arm,psci-1.0 arm,psci-0.2"
    gic = "/interrupt-controller@8000000"
    assert fdtget(dtb, gic, "compatible", "s") == "arm,gic-v3"
    # Distributor, then one 128 KiB redistributor frame per vCPU; no ITS child.
    assert fdtget(dtb, gic, "reg") == words(0x800_0000, 0x1_0000, 0x80A_0000, 2 * 0x2_0000)
    assert subnodes(dtb, gic) == []
    phandle = fdtget(dtb, gic, "phandle")
    assert fdtget(dtb, "/", "interrupt-parent") == phandle
    # PPIs 29, 30, 27, 26 as INTID - 16, CPU mask for 2 vCPUs, level high.
    assert fdtget(dtb, "/timer", "interrupts") == "1 d 304 1 e 304 1 b 304 1 a 304"


@needs_dtc
def test_linux_tree_has_the_gunyah_resource_manager_node(dtbs: Path) -> None:
    dtb = dtbs / "linux.dtb"
    assert fdtget(dtb, "/hypervisor", "compatible", "s") == "gunyah-hypervisor"
    rm = "/hypervisor/gunyah-resource-mgr@0"
    assert fdtget(dtb, rm, "compatible", "s") == "gunyah-resource-manager"
    # Two 64-bit placeholders of exactly this shape: the RM overwrites them in place.
    assert fdtget(dtb, rm, "reg") == "ffffffff ffffffff ffffffff ffffffff"
    assert fdtget(dtb, rm, "qcom,tx-queue-depth", "u") == "8"
    assert fdtget(dtb, rm, "qcom,rx-message-size", "u") == "240"
    assert fdtget(dtb, "/hypervisor/qcom,gunyah-vm", "qcom,vmid", "u") == "3"
    tx, rx = RM_TX_INTID - 32, RM_RX_INTID - 32
    assert (tx, rx) == (0x1C, 0x1D)
    assert fdtget(dtb, rm, "interrupts") == f"0 {tx:x} 1 0 {rx:x} 1"  # SPIs, rising edge


@needs_dtc
def test_bootargs_are_escaped_for_the_tree(tmp_path: Path, fake_cache: Path) -> None:
    args = 'console=ttyAMA0 init=/bin/sh -- "quoted \\ arg"'
    config = derived(tmp_path, lambda raw: raw["vms"][1].update(bootargs=args))
    generate_devicetrees(config, tmp_path / "gen")
    assert fdtget(tmp_path / "gen" / "linux.dtb", "/chosen", "bootargs", "s") == args


# --- QEMU command lines ---------------------------------------------------------------------


def loaders(argv: Sequence[str]) -> list[str]:
    return [argv[i + 1] for i, a in enumerate(argv) if a == "-device"]


def test_qemu_command_loads_kernel_dtb_and_initrd(fake_cache: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    (staged,) = staged_vms(config)
    dtb, initrd = (
        staged.staged_at(staged.layout.dtb.base),
        staged.staged_at(staged.layout.initrd.base),
    )
    assert loaders(qemu_command(config, Path("bothy.elf"))) == [
        f"loader,file={fake_cache / 'Image'},addr={STAGING_BASE:#x},force-raw=on",
        f"loader,file={build_dir_for(DEFAULT_CONFIG) / 'gen' / 'linux.dtb'},addr={dtb:#x},"
        "force-raw=on",
        f"loader,file={fake_cache / 'initramfs.cpio.gz'},addr={initrd:#x},force-raw=on",
        f"loader,file={fake_cache / 'Image'},addr={staged.layout.kernel.base:#x},force-raw=on",
        f"loader,file={fake_cache / 'initramfs.cpio.gz'},"
        f"addr={staged.layout.initrd.base:#x},force-raw=on",
    ]


def test_qemu_command_uses_the_kernel_override(tmp_path: Path, fake_cache: Path) -> None:
    kernel_path = fake_kernel(tmp_path / "my" / "Image", image_size=0x400_0000)
    config = load_config(DEFAULT_CONFIG, kernel=kernel_path)
    first, dtb, *_ = loaders(qemu_command(config, Path("bothy.elf")))
    assert first == f"loader,file={kernel_path},addr={STAGING_BASE:#x},force-raw=on"
    assert f"addr={STAGING_BASE + 0x400_0000:#x}," in dtb


def test_qemu_command_for_a_root_only_system_loads_nothing(tmp_path: Path) -> None:
    config = derived(tmp_path, lambda raw: raw["vms"].pop())
    assert loaders(qemu_command(config, Path("bothy.elf"))) == []


def test_bare_linux_command_boots_the_same_kernel_without_a_hypervisor(fake_cache: Path) -> None:
    config = load_config(DEFAULT_CONFIG)
    argv = bare_linux_command(config, config.vms[1], icount=True)
    flags = {"-nodefaults", "-no-reboot"}
    assert flags <= set(argv), f"bare QEMU lacks {flags - set(argv)}"
    valued = [a for a in argv[1:] if a not in flags]
    options = dict(zip(valued[0::2], valued[1::2], strict=True))
    assert options["-machine"] == "virt,gic-version=3"  # no virtualization: Linux at EL1
    assert options["-cpu"] == "max,pauth=off"
    assert options["-smp"] == "2"
    assert options["-m"] == "512M"
    assert options["-kernel"] == str(fake_cache / "Image")
    assert options["-initrd"] == str(fake_cache / "initramfs.cpio.gz")
    assert options["-append"] == "console=ttyAMA0 earlycon=pl011,0x09000000 rdinit=/init"
    assert argv[-2:] == ["-icount", "shift=0"]
    assert options["-serial"] == "mon:stdio" and options["-display"] == "none"


# --- the initramfs ------------------------------------------------------------------------------


def read_newc(archive: bytes) -> list[tuple[CpioEntry, dict[str, int]]]:
    """(entry, other header fields) for each member of a newc archive, trailer excluded."""
    names = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize", "devmajor", "devminor")
    names += ("rdevmajor", "rdevminor", "namesize", "check")
    members = []
    offset = 0
    while True:
        assert archive[offset : offset + 6] == b"070701", f"bad magic at {offset:#x}"
        raw = archive[offset + 6 : offset + 110]
        fields = {n: int(raw[8 * i : 8 * i + 8], 16) for i, n in enumerate(names)}
        name_end = offset + 110 + fields["namesize"]
        name = archive[offset + 110 : name_end - 1].decode()
        data_start = name_end + (-(110 + fields["namesize"]) % 4)
        data = archive[data_start : data_start + fields["filesize"]]
        offset = data_start + fields["filesize"] + (-fields["filesize"] % 4)
        if name == "TRAILER!!!":
            assert offset == len(archive)
            return members
        rdev = (fields["rdevmajor"], fields["rdevminor"])
        members.append((CpioEntry(name, fields["mode"], data, rdev), fields))


@pytest.fixture(scope="module")
def initramfs_members() -> dict[str, tuple[CpioEntry, dict[str, int]]]:
    archive = gzip.decompress(build_initramfs(b"\x7fELF fake busybox"))
    return {entry.name: (entry, fields) for entry, fields in read_newc(archive)}


def test_initramfs_holds_busybox_init_and_the_directories(
    initramfs_members: dict[str, tuple[CpioEntry, dict[str, int]]],
) -> None:
    assert list(initramfs_members) == sorted(initramfs_members)
    for d in ("bin", "dev", "etc", "proc", "sbin", "sys", "tmp", "usr/bin", "usr/sbin"):
        assert stat.S_ISDIR(initramfs_members[d][0].mode), d
    busybox = initramfs_members["bin/busybox"][0]
    assert busybox.data == b"\x7fELF fake busybox"
    assert busybox.mode == stat.S_IFREG | 0o755
    console = initramfs_members["dev/console"][0]
    assert stat.S_ISCHR(console.mode) and console.rdev == (5, 1)
    for _, fields in initramfs_members.values():
        assert (fields["uid"], fields["gid"], fields["mtime"]) == (0, 0, 0)


def test_init_is_an_executable_script_that_prints_the_marker(
    initramfs_members: dict[str, tuple[CpioEntry, dict[str, int]]],
) -> None:
    init = initramfs_members["init"][0]
    assert init.mode == stat.S_IFREG | 0o755
    lines = init.data.decode().splitlines()
    assert lines[0] == "#!/bin/busybox sh"
    assert "/bin/busybox --install -s" in lines
    assert "mount -t devtmpfs devtmpfs /dev" in lines
    marker = lines.index(f'echo "{LINUX_READY_MARKER}, $(nproc) CPUs"')
    # doit bench's end point: power off right after the marker, only when asked to.
    assert lines[marker + 1] == f"grep -qwF {BENCH_PARAMETER} /proc/cmdline && poweroff -f"
    assert lines[-1] == "exec setsid cttyhack sh"


def test_initramfs_is_reproducible() -> None:
    first = build_initramfs(b"busybox")
    assert build_initramfs(b"busybox") == first
    assert first[4:8] == b"\0\0\0\0"  # gzip header mtime


@needs("cpio")
def test_system_cpio_reads_the_initramfs() -> None:
    archive = gzip.decompress(build_initramfs(b"busybox"))
    proc = subprocess.run(
        ["cpio", "-it", "--quiet"], input=archive, capture_output=True, check=True
    )
    assert proc.stdout.decode().split() == [e.name for e in initramfs.initramfs_entries(b"")]


def test_recipe_follows_the_init_script(monkeypatch: pytest.MonkeyPatch) -> None:
    before = initramfs.recipe_digest()
    monkeypatch.setattr(initramfs, "INIT_SCRIPT", initramfs.INIT_SCRIPT + "# changed\n")
    assert initramfs.recipe_digest() != before


# --- Debian packages -----------------------------------------------------------------------------


def test_apt_options_keep_apt_state_private(tmp_path: Path) -> None:
    assert debian.apt_options(tmp_path) == [
        *("-o", "APT::Architecture=arm64", "-o", "APT::Architectures=arm64"),
        *("-o", f"Dir::State::Lists={tmp_path / 'lists'}"),
        *("-o", f"Dir::Cache={tmp_path / 'cache'}"),
        *("-o", "Dir::State::status=/dev/null"),
    ]


def fake_apt(monkeypatch: pytest.MonkeyPatch, candidates: dict[str, str]) -> list[list[str]]:
    """Answer apt-cache depends/policy from `candidates` (package → version); record calls."""
    calls: list[list[str]] = []

    def run(argv: Sequence[str], cwd: Path | None = None) -> str:
        calls.append(list(argv))
        command, name = argv[-2], argv[-1]
        if command == "depends":
            return f"{name}\n  Depends: linux-image-6.1.0-56-arm64\n"
        if command == "policy" and name in candidates:
            return f"{name}:\n  Installed: (none)\n  Candidate: {candidates[name]}\n"
        return ""

    monkeypatch.setattr(debian, "_run", run)
    return calls


def test_kernel_package_prefers_the_unsigned_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_apt(monkeypatch, {"linux-image-6.1.0-56-arm64-unsigned": "6.1.192-2"})
    assert debian.kernel_package(tmp_path) == "linux-image-6.1.0-56-arm64-unsigned"


def test_kernel_package_falls_back_to_the_signed_image(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = fake_apt(monkeypatch, {})
    assert debian.kernel_package(tmp_path) == "linux-image-6.1.0-56-arm64"
    assert [c[0] for c in calls] == ["apt-cache", "apt-cache"]
    assert calls[0][-2:] == ["depends", "linux-image-arm64"]


def build_deb(dest: Path, package: str, version: str, files: dict[str, bytes]) -> Path:
    """A minimal arm64 .deb holding `files` (paths relative to /)."""
    root = dest / f"{package}-root"
    (root / "DEBIAN").mkdir(parents=True)
    (root / "DEBIAN" / "control").write_text(
        f"Package: {package}\nVersion: {version}\nArchitecture: arm64\n"
        "Maintainer: bothy tests <tests@example.org>\nDescription: test package\n"
    )
    for name, data in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(data)
    deb = dest / f"{package}_{version}_arm64.deb"
    argv = ["dpkg-deb", "--root-owner-group", "-Zgzip", "--build", str(root), str(deb)]
    subprocess.run(argv, capture_output=True, check=True)
    shutil.rmtree(root)
    return deb


@needs_dpkg_deb
def test_kernel_and_busybox_are_extracted_from_their_packages(tmp_path: Path) -> None:
    image = fake_kernel(tmp_path / "Image").read_bytes()
    kernel_deb = build_deb(
        tmp_path, "linux-image-9.9.9-arm64", "9.9.9-1", {"boot/vmlinuz-9.9.9-arm64": image}
    )
    gzipped_deb = build_deb(
        tmp_path, "linux-image-gz", "1", {"boot/vmlinuz-gz": gzip.compress(image)}
    )
    busybox_deb = build_deb(tmp_path, "busybox-static", "1:1.35", {"bin/busybox": b"bb"})
    assert debian.extract_kernel(kernel_deb) == image
    assert debian.extract_kernel(gzipped_deb) == image
    assert debian.extract_busybox(busybox_deb) == b"bb"
    with pytest.raises(KernelImageError, match="not an arm64 Linux Image"):
        debian.extract_kernel(build_deb(tmp_path, "linux-image-bad", "1", {"boot/vmlinuz-x": b"x"}))
    with pytest.raises(debian.GuestFetchError, match=r"no file \./bin/busybox"):
        debian.extract_busybox(kernel_deb)


# --- the guest cache ----------------------------------------------------------------------------


def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise AssertionError("the network was used")

    for name in ("update_lists", "kernel_package", "download"):
        monkeypatch.setattr(debian, name, refuse)


@pytest.fixture
def debs(tmp_path: Path) -> dict[str, Path]:
    require("dpkg-deb")
    image = fake_kernel(tmp_path / "src" / "Image").read_bytes()
    out = tmp_path / "debs-src"
    out.mkdir()
    return {
        "kernel": build_deb(
            out, "linux-image-9.9-arm64-unsigned", "9.9-1", {"boot/vmlinuz-9.9": image}
        ),
        "busybox": build_deb(out, "busybox-static", "1:1.35-4", {"bin/busybox": b"busybox!"}),
    }


def fake_download(monkeypatch: pytest.MonkeyPatch, debs: dict[str, Path]) -> list[str]:
    """apt faked: update_lists, kernel_package and download hand out `debs`."""
    fetched: list[str] = []

    def download(apt_dir: Path, names: Sequence[str], dest: Path) -> list[debian.Package]:
        fetched.extend(names)
        packages = []
        for deb in (debs["kernel"], debs["busybox"]):
            name, version = deb.name.split("_")[:2]
            packages.append(debian.Package(name, version, Path(shutil.copy(deb, dest))))
        return packages

    monkeypatch.setattr(debian, "update_lists", lambda apt_dir: None)
    monkeypatch.setattr(debian, "kernel_package", lambda apt_dir: "linux-image-9.9-arm64-unsigned")
    monkeypatch.setattr(debian, "download", download)
    return fetched


def test_empty_cache_is_not_current(tmp_path: Path) -> None:
    assert not guest_is_current(tmp_path)
    assert not guest_is_current(tmp_path / "absent")


def test_fetch_fills_the_cache_and_records_it(
    tmp_path: Path, debs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    fetched = fake_download(monkeypatch, debs)
    reports: list[str] = []
    ensure_guest(cache, reports.append)
    assert fetched == ["linux-image-9.9-arm64-unsigned", "busybox-static"]
    assert guest_is_current(cache)
    (report,) = reports
    assert "linux-image-9.9-arm64-unsigned 9.9-1" in report and "busybox-static" in report
    lock = json.loads((cache / "guest.lock.json").read_text())
    kernel_pkg = lock["packages"]["kernel"]
    assert (kernel_pkg["name"], kernel_pkg["version"]) == (
        "linux-image-9.9-arm64-unsigned",
        "9.9-1",
    )
    deb = cache / kernel_pkg["deb"]["path"]
    assert kernel_pkg["deb"]["sha256"] == hashlib.sha256(deb.read_bytes()).hexdigest()
    for key, name in (
        ("kernel", "Image"),
        ("busybox", "busybox"),
        ("initramfs", "initramfs.cpio.gz"),
    ):
        assert (
            lock["files"][key]["sha256"] == hashlib.sha256((cache / name).read_bytes()).hexdigest()
        )
    assert (cache / "Image").read_bytes() == fake_kernel(tmp_path / "again").read_bytes()
    assert (cache / "initramfs.cpio.gz").read_bytes() == build_initramfs(b"busybox!")


def test_complete_cache_is_a_silent_no_op_without_network(
    tmp_path: Path, debs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    fake_download(monkeypatch, debs)
    ensure_guest(cache, lambda line: None)
    no_network(monkeypatch)
    before = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    reports: list[str] = []
    ensure_guest(cache, reports.append)
    assert reports == []
    assert {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()} == before


@pytest.mark.parametrize("damage", ["delete-image", "edit-busybox", "new-recipe"])
def test_incomplete_cache_is_rebuilt_from_its_packages_offline(
    tmp_path: Path, debs: dict[str, Path], monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    cache = tmp_path / "cache"
    fake_download(monkeypatch, debs)
    ensure_guest(cache, lambda line: None)
    if damage == "delete-image":
        (cache / "Image").unlink()
    elif damage == "edit-busybox":
        (cache / "busybox").write_bytes(b"tampered")
    else:
        monkeypatch.setattr(initramfs, "INIT_SCRIPT", initramfs.INIT_SCRIPT + "# v2\n")
    assert not guest_is_current(cache)
    no_network(monkeypatch)
    ensure_guest(cache, lambda line: None)
    assert guest_is_current(cache)
    assert (cache / "busybox").read_bytes() == b"busybox!"


def test_damaged_package_is_fetched_again(
    tmp_path: Path, debs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    cache = tmp_path / "cache"
    fetched = fake_download(monkeypatch, debs)
    ensure_guest(cache, lambda line: None)
    next((cache / "debs").glob("busybox*.deb")).write_bytes(b"truncated")
    ensure_guest(cache, lambda line: None)
    assert len(fetched) == 4
    assert guest_is_current(cache)
    assert len(list((cache / "debs").iterdir())) == 2


def test_cache_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BOTHY_CACHE", str(tmp_path))
    assert guest_cache.default_kernel() == tmp_path / "Image"
    assert guest_cache.default_initrd() == tmp_path / "initramfs.cpio.gz"
    monkeypatch.delenv("BOTHY_CACHE")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert guest_cache.cache_dir() == tmp_path / "home" / ".cache" / "bothy" / "guest"

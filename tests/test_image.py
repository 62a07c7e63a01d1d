"""Tests for bothy.image: post-link verification, the manifest and describe_image.

Real ELFs are built with clang + ld.lld from tiny linker scripts so every layout is one
a linker actually produced, not a hand-patched header.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from bothy.image import (
    ImageError,
    ImageReport,
    MemoryRegion,
    describe_image,
    verify_image,
    write_manifest,
)
from needs import require

RAM = MemoryRegion(0x4000_0000, 0x0800_0000)  # QEMU virt: 128 MiB at 1 GiB
TEXT_BASE = 0x4008_0000
DATA_BASE = 0x4010_0000
REQUIRED = ("_start", "hyp_main", "counter")

AARCH64_ASM = """
    .section .text._start, "ax"
    .global _start
    .type _start, %function
_start:
    adrp x0, counter
    add x0, x0, :lo12:counter
    b hyp_main
    .size _start, . - _start

    .global hyp_main
    .type hyp_main, %function
hyp_main:
    nop
    nop
    b hyp_main
    .size hyp_main, . - hyp_main

    .section .data, "aw"
    .global counter
    .type counter, %object
counter:
    .quad 42
    .quad 7
    .size counter, . - counter

    .section .bss, "aw", %nobits
    .global stack
    .type stack, %object
stack:
    .space 0x1000
    .size stack, . - stack
"""

X86_64_ASM = """
    .text
    .global _start
    .type _start, %function
_start:
    jmp hyp_main
    .size _start, . - _start
    .global hyp_main
    .type hyp_main, %function
hyp_main:
    jmp hyp_main
    .size hyp_main, . - hyp_main

    .data
    .global counter
    .type counter, %object
counter:
    .quad 42
    .size counter, . - counter
"""


def script(
    *,
    entry: str = "_start",
    text_flags: int = 5,
    data_flags: int = 6,
    text: str = f"{TEXT_BASE:#x}",
    data: str = f"{DATA_BASE:#x}",
    data_at: str | None = None,
) -> str:
    """A two-PT_LOAD linker script; each argument bends one aspect of the good layout."""
    at = f" AT({data_at})" if data_at else ""
    return f"""
ENTRY({entry})
PHDRS {{ text PT_LOAD FLAGS({text_flags}); data PT_LOAD FLAGS({data_flags}); }}
SECTIONS {{
  . = {text};
  .text : {{ *(.text*) }} :text
  . = {data};
  .data :{at} {{ *(.data*) }} :data
  .bss : {{ *(.bss*) }} :data
  /DISCARD/ : {{ *(.note*) }}
}}
"""


GOOD_SCRIPT = script()

Builder = Callable[..., Path]


@pytest.fixture
def build_elf(tmp_path: Path) -> Builder:
    """Assemble and link an image; needs the LLVM tools (tests/needs.py)."""
    require("clang", "ld.lld")

    def build(
        name: str,
        linker_script: str,
        *,
        asm: str = AARCH64_ASM,
        target: str = "aarch64-none-elf",
        lld_args: Sequence[str] = (),
    ) -> Path:
        workdir = tmp_path / name
        workdir.mkdir()
        (workdir / "image.S").write_text(asm)
        (workdir / "image.ld").write_text(linker_script)
        obj, elf = workdir / "image.o", workdir / "image.elf"
        run(["clang", f"--target={target}", "-c", "image.S", "-o", obj.name], workdir)
        run(["ld.lld", *lld_args, "-T", "image.ld", obj.name, "-o", elf.name], workdir)
        return elf

    return build


def run(argv: list[str], cwd: Path) -> None:
    result = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{' '.join(argv)} failed:\n{result.stderr}"


def problems_of(
    elf: Path,
    *,
    required_symbols: Sequence[str] = (),
    regions: Mapping[str, MemoryRegion] | None = None,
) -> tuple[str, ...]:
    """Run verify_image expecting failure; return the problem lines without the file prefix."""
    with pytest.raises(ImageError) as info:
        verify_image(elf, ram=RAM, required_symbols=required_symbols, regions=regions)
    lines = str(info.value).splitlines()
    assert all(line.startswith(f"{elf}: ") for line in lines), lines
    assert len(lines) == len(info.value.problems)
    return info.value.problems


def has(problems: Sequence[str], *fragments: str) -> bool:
    """True if one problem line contains every fragment."""
    return any(all(fragment in line for fragment in fragments) for line in problems)


# --------------------------------------------------------------------------------------
# MemoryRegion and failures that need no toolchain
# --------------------------------------------------------------------------------------


def test_memory_region_bounds() -> None:
    region = MemoryRegion(0x1000, 0x100)
    assert region.end == 0x1100
    assert region.contains(0x1000)
    assert region.contains(0x10FF)
    assert not region.contains(0x1100)
    assert not region.contains(0xFFF)
    assert region.contains(0x1000, 0x100)
    assert not region.contains(0x1000, 0x101)
    assert not region.contains(0x10F0, 0x20)  # starts inside, runs off the end


def test_memory_region_rejects_negative_size() -> None:
    with pytest.raises(ValueError):
        MemoryRegion(0x1000, -1)


def test_not_an_elf_file(tmp_path: Path) -> None:
    bogus = tmp_path / "hyp.elf"
    bogus.write_bytes(b"#!/bin/sh\necho not an image\n")
    assert has(problems_of(bogus), "not a valid ELF file")


def test_missing_file(tmp_path: Path) -> None:
    assert has(problems_of(tmp_path / "absent.elf"), "cannot read image")


def test_importing_module_does_not_import_lief() -> None:
    code = "import sys, bothy.image; assert 'lief' not in sys.modules, 'lief imported eagerly'"
    subprocess.run([sys.executable, "-c", code], check=True)


# --------------------------------------------------------------------------------------
# verify_image on real images
# --------------------------------------------------------------------------------------


@pytest.mark.build
def test_good_image_passes(build_elf: Builder) -> None:
    elf = build_elf("good", GOOD_SCRIPT)
    report = verify_image(elf, ram=RAM, required_symbols=REQUIRED)

    assert report.path == elf
    assert report.entry == TEXT_BASE
    assert report.symbols == {
        "_start": TEXT_BASE,
        "hyp_main": TEXT_BASE + 12,
        "counter": DATA_BASE,
    }
    text, data = report.segments
    assert (text.vaddr, text.paddr, text.flags) == (TEXT_BASE, TEXT_BASE, "R-X")
    assert (data.vaddr, data.paddr, data.flags) == (DATA_BASE, DATA_BASE, "RW-")
    assert text.filesz == text.memsz == 24
    assert data.filesz == 16
    assert data.memsz == 16 + 0x1000  # .bss occupies memory but not the file
    # Each segment holds exactly one PROGBITS section, so their bytes must hash the same.
    assert text.sha256 == hashlib.sha256(section_bytes(elf, ".text")).hexdigest()
    assert data.sha256 == hashlib.sha256(section_bytes(elf, ".data")).hexdigest()


def section_bytes(elf: Path, name: str) -> bytes:
    with elf.open("rb") as stream:
        section = ELFFile(stream).get_section_by_name(name)
        assert section is not None, name
        return section.data()


@pytest.mark.build
def test_good_image_inside_regions_passes(build_elf: Builder) -> None:
    elf = build_elf("good", GOOD_SCRIPT)
    regions = {
        "hyp": MemoryRegion(TEXT_BASE, 0x8_0000),
        "rm": MemoryRegion(DATA_BASE, 0x10_0000),
    }
    verify_image(elf, ram=RAM, regions=regions)


@pytest.mark.build
def test_segment_outside_every_region(build_elf: Builder) -> None:
    elf = build_elf("good", GOOD_SCRIPT)
    regions = {"hyp": MemoryRegion(TEXT_BASE, 0x8_0000), "rm": MemoryRegion(0x4800_0000, 0x1000)}
    problems = problems_of(elf, regions=regions)
    assert problems == (problems[0],)
    assert has(problems, "segment 1", "outside every allowed region", "hyp", "rm")


@pytest.mark.build
def test_overlapping_physical_addresses(build_elf: Builder) -> None:
    # Distinct virtual addresses but .data loaded (AT) on top of .text: lld would refuse it.
    layout = script(data_at=f"{TEXT_BASE + 0x10:#x}")
    elf = build_elf("overlap_phys", layout, lld_args=["--no-check-sections"])
    problems = problems_of(elf)
    assert problems == (problems[0],)
    assert has(problems, "segments 0 and 1 overlap in physical address space")


@pytest.mark.build
def test_overlapping_virtual_addresses(build_elf: Builder) -> None:
    # Distinct load addresses but the same virtual range: still one image fighting itself.
    layout = script(data=f"{TEXT_BASE + 0x10:#x}", data_at=f"{DATA_BASE:#x}")
    elf = build_elf("overlap_virt", layout, lld_args=["--no-check-sections"])
    problems = problems_of(elf)
    assert problems == (problems[0],)
    assert has(problems, "segments 0 and 1 overlap in virtual address space")


@pytest.mark.build
@pytest.mark.parametrize(
    "data_base",
    [0x5000_0000, RAM.end - 8],  # wholly beyond RAM; straddling the end of RAM
    ids=["beyond", "straddling"],
)
def test_segment_outside_ram(build_elf: Builder, data_base: int) -> None:
    elf = build_elf("outside_ram", script(data=f"{data_base:#x}"))
    problems = problems_of(elf)
    assert problems == (problems[0],)
    assert has(problems, "segment 1", "not entirely inside RAM", f"{data_base:#x}")


@pytest.mark.build
def test_writable_and_executable_segment(build_elf: Builder) -> None:
    elf = build_elf("wx", script(text_flags=7))
    problems = problems_of(elf)
    assert problems == (problems[0],)
    assert has(problems, "segment 0 (RWX", "W^X")


@pytest.mark.build
def test_entry_in_non_executable_segment(build_elf: Builder) -> None:
    elf = build_elf("entry_data", script(entry="counter"))
    problems = problems_of(elf)
    assert problems == (problems[0],)
    assert has(problems, f"entry point {DATA_BASE:#x}", "non-executable segment 1")


@pytest.mark.build
def test_entry_outside_every_segment(build_elf: Builder) -> None:
    elf = build_elf("entry_nowhere", script(entry="0x40000000"))
    assert problems_of(elf) == ("entry point 0x40000000 is not inside any PT_LOAD segment",)


@pytest.mark.build
def test_missing_required_symbols(build_elf: Builder) -> None:
    elf = build_elf("good", GOOD_SCRIPT)
    problems = problems_of(elf, required_symbols=[*REQUIRED, "rm_image_start", "vectors"])
    assert problems == (
        "required symbol 'rm_image_start' not found in .symtab",
        "required symbol 'vectors' not found in .symtab",
    )


@pytest.mark.build
def test_several_violations_reported_together(build_elf: Builder) -> None:
    layout = script(entry="counter", text_flags=7, data="0x50000000")
    elf = build_elf("many", layout)
    problems = problems_of(elf, required_symbols=["_start", "missing_one", "missing_two"])
    assert len(problems) == 5, problems
    assert has(problems, "segment 0", "W^X")
    assert has(problems, "segment 1", "not entirely inside RAM")
    assert has(problems, "entry point 0x50000000", "non-executable")
    assert has(problems, "'missing_one'")
    assert has(problems, "'missing_two'")


@pytest.mark.build
def test_wrong_architecture(build_elf: Builder) -> None:
    elf = build_elf("x86", GOOD_SCRIPT, asm=X86_64_ASM, target="x86_64-none-elf")
    problems = problems_of(elf, required_symbols=REQUIRED)
    assert problems == ("ELF machine is EM_X86_64, expected EM_AARCH64",)


@pytest.mark.build
def test_relocatable_object_is_not_an_image(build_elf: Builder) -> None:
    obj = build_elf("good", GOOD_SCRIPT).with_name("image.o")
    assert has(problems_of(obj), "ELF type is ET_REL, expected ET_EXEC")


# --------------------------------------------------------------------------------------
# write_manifest
# --------------------------------------------------------------------------------------


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def make_components(directory: Path) -> dict[str, Path]:
    rm = directory / "rm.elf"
    rm.write_bytes(b"resource manager image\n")
    dtb = directory / "virt.dtb"
    dtb.write_bytes(b"\xd0\x0d\xfe\xed fake dtb")
    return {"rm": rm, "dtb": dtb}


@pytest.fixture
def good_report(build_elf: Builder) -> ImageReport:
    return verify_image(build_elf("good", GOOD_SCRIPT), ram=RAM, required_symbols=REQUIRED)


@pytest.mark.build
def test_manifest_contents_match_files(tmp_path: Path, good_report: ImageReport) -> None:
    image = good_report.path
    components = make_components(tmp_path)
    out = tmp_path / "out" / "manifest.json"
    returned = write_manifest(out, image=image, report=good_report, components=components)

    text = out.read_text()
    assert text.endswith("}\n")
    assert json.loads(text) == returned
    assert returned["format"] == 1
    assert returned["image"] == {
        "file": "image.elf",
        "sha256": sha256_of(image),
        "size": image.stat().st_size,
        "entry": "0x40080000",
    }
    assert returned["components"] == {
        name: {"file": path.name, "sha256": sha256_of(path), "size": path.stat().st_size}
        for name, path in components.items()
    }
    text_seg, data_seg = good_report.segments
    assert returned["segments"] == [
        {
            "vaddr": "0x40080000",
            "paddr": "0x40080000",
            "filesz": text_seg.filesz,
            "memsz": text_seg.memsz,
            "flags": "R-X",
            "sha256": text_seg.sha256,
        },
        {
            "vaddr": "0x40100000",
            "paddr": "0x40100000",
            "filesz": data_seg.filesz,
            "memsz": data_seg.memsz,
            "flags": "RW-",
            "sha256": data_seg.sha256,
        },
    ]


@pytest.mark.build
def test_manifest_is_deterministic(tmp_path: Path, good_report: ImageReport) -> None:
    components = make_components(tmp_path)
    out = tmp_path / "manifest.json"
    write_manifest(out, image=good_report.path, report=good_report, components=components)
    first = out.read_bytes()

    # Identical content must not be rewritten: backdate it and check the mtime survives.
    os.utime(out, ns=(1_000_000_000, 1_000_000_000))
    write_manifest(out, image=good_report.path, report=good_report, components=components)
    assert out.read_bytes() == first
    assert out.stat().st_mtime_ns == 1_000_000_000

    assert str(tmp_path).encode() not in first
    assert first == json.dumps(json.loads(first), sort_keys=True, indent=2).encode() + b"\n"

    # The same files in another directory give the same bytes: no paths leak in.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    image_copy = Path(shutil.copy(good_report.path, elsewhere))
    moved = {name: Path(shutil.copy(path, elsewhere)) for name, path in components.items()}
    out2 = elsewhere / "manifest.json"
    write_manifest(out2, image=image_copy, report=good_report, components=moved)
    assert out2.read_bytes() == first


@pytest.mark.build
def test_manifest_rewritten_when_inputs_change(tmp_path: Path, good_report: ImageReport) -> None:
    components = make_components(tmp_path)
    out = tmp_path / "manifest.json"
    write_manifest(out, image=good_report.path, report=good_report, components=components)
    components["rm"].write_bytes(b"a different resource manager\n")
    returned = write_manifest(
        out, image=good_report.path, report=good_report, components=components
    )
    assert json.loads(out.read_text()) == returned
    assert returned["components"]["rm"]["sha256"] == sha256_of(components["rm"])  # type: ignore[index]


def test_manifest_missing_component(tmp_path: Path) -> None:
    image = tmp_path / "hyp.elf"
    image.write_bytes(b"stand-in")
    report = ImageReport(path=image, entry=TEXT_BASE, segments=(), symbols={})
    with pytest.raises(ImageError, match=r"rm\.elf"):
        write_manifest(
            tmp_path / "manifest.json",
            image=image,
            report=report,
            components={"rm": tmp_path / "rm.elf"},
        )
    assert not (tmp_path / "manifest.json").exists()


# --------------------------------------------------------------------------------------
# describe_image
# --------------------------------------------------------------------------------------


@pytest.mark.build
def test_describe_image_lists_sections_entry_and_symbols(build_elf: Builder) -> None:
    text = describe_image(build_elf("good", GOOD_SCRIPT))
    assert "entry: 0x40080000" in text
    for section in (".text", ".data", ".bss", ".symtab"):
        assert section in text
    assert "AARCH64" in text
    assert "R-X" in text and "RW-" in text
    lines = text.splitlines()
    top = lines.index(next(line for line in lines if line.startswith("largest symbols")))
    # Largest first: the 4 KiB stack, then the 16-byte counter.
    assert "stack" in lines[top + 2]
    assert "counter" in lines[top + 3]


@pytest.mark.build
def test_describe_image_limits_symbols(build_elf: Builder) -> None:
    text = describe_image(build_elf("good", GOOD_SCRIPT), top_symbols=1)
    assert "stack" in text
    assert "hyp_main" not in text


def test_describe_image_rejects_non_elf(tmp_path: Path) -> None:
    bogus = tmp_path / "hyp.elf"
    bogus.write_text("not an ELF")
    with pytest.raises(ImageError, match="could not parse"):
        describe_image(bogus)

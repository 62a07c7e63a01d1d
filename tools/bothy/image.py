"""Post-link checks, JSON manifest and human-readable inspection of the bootable image.

Owns everything the build asserts about hyp.elf after linking and before QEMU loads it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from elftools.common.exceptions import ELFError
from elftools.elf.elffile import ELFFile
from elftools.elf.sections import SymbolTableSection

from bothy.errors import BothyError
from bothy.files import write_if_changed

if TYPE_CHECKING:
    import lief

__all__ = [
    "ImageError",
    "ImageReport",
    "MemoryRegion",
    "Segment",
    "describe_image",
    "verify_image",
    "write_manifest",
]

MANIFEST_FORMAT = 1

# Program-header flag bits (ELF gABI); pyelftools exposes them only as raw ints.
_PF_X = 0x1
_PF_W = 0x2
_PF_R = 0x4


@dataclass(frozen=True)
class MemoryRegion:
    """A half-open physical address range [base, base + size)."""

    base: int
    size: int

    def __post_init__(self) -> None:
        if self.base < 0 or self.size < 0:
            raise ValueError(f"memory region needs base >= 0 and size >= 0, got {self}")

    @property
    def end(self) -> int:
        """First address past the region."""
        return self.base + self.size

    def contains(self, addr: int, size: int = 1) -> bool:
        """True if the whole range [addr, addr + size) lies inside this region."""
        return self.base <= addr and addr + size <= self.end

    def __str__(self) -> str:
        return f"[{self.base:#x}, {self.end:#x})"


class ImageError(BothyError):
    """The image (or a file the manifest needs) is unusable; lists every problem found."""

    def __init__(self, path: Path, problems: Sequence[str]) -> None:
        self.path = path
        self.problems = tuple(problems)
        # One "file: problem" line each, so the output reads like compiler diagnostics.
        super().__init__("\n".join(f"{path}: {problem}" for problem in self.problems))


@dataclass(frozen=True)
class Segment:
    """One PT_LOAD program header; index is its position in the program header table."""

    index: int
    vaddr: int
    paddr: int
    filesz: int
    memsz: int
    flags: str
    sha256: str

    @property
    def physical(self) -> MemoryRegion:
        return MemoryRegion(self.paddr, self.memsz)

    @property
    def virtual(self) -> MemoryRegion:
        return MemoryRegion(self.vaddr, self.memsz)

    @property
    def writable(self) -> bool:
        return "W" in self.flags

    @property
    def executable(self) -> bool:
        return "X" in self.flags

    def describe(self) -> str:
        return f"segment {self.index} ({self.flags}, vaddr {self.virtual}, paddr {self.physical})"


@dataclass(frozen=True)
class ImageReport:
    """What verify_image learned about an image that passed every check."""

    path: Path
    entry: int
    segments: tuple[Segment, ...]
    # A dict keeps lookups natural for callers; excluded from hashing since dicts can't hash.
    symbols: dict[str, int] = field(hash=False)


# --------------------------------------------------------------------------------------
# verify_image
# --------------------------------------------------------------------------------------


def verify_image(
    elf_path: Path,
    *,
    ram: MemoryRegion,
    required_symbols: Sequence[str] = (),
    regions: Mapping[str, MemoryRegion] | None = None,
) -> ImageReport:
    """Check hyp.elf is something QEMU will load and the hypervisor can boot from.

    Physical addresses are what QEMU loads at, so RAM and region checks use p_paddr;
    overlap is checked in both address spaces. Empty (p_memsz 0) segments load nothing, so
    they are exempt from the checks but still listed in the report. All problems are
    collected and raised together as one ImageError rather than stopping at the first.
    """
    try:
        with elf_path.open("rb") as stream:
            elf = ELFFile(stream)
            entry = int(elf.header["e_entry"])
            problems = _header_problems(elf)
            segments = tuple(_load_segments(elf))
            symbols, symbol_problems = _find_symbols(elf, required_symbols)
    except OSError as exc:
        raise ImageError(elf_path, [f"cannot read image: {exc.strerror or exc}"]) from exc
    except ELFError as exc:
        raise ImageError(elf_path, [f"not a valid ELF file: {exc}"]) from exc

    loaded = [seg for seg in segments if seg.memsz > 0]
    problems += _overlap_problems(loaded)
    problems += _ram_problems(loaded, ram)
    problems += _wx_problems(loaded)
    problems += _entry_problems(loaded, entry)
    problems += symbol_problems
    if regions is not None:
        problems += _region_problems(loaded, regions)
    if problems:
        raise ImageError(elf_path, problems)
    return ImageReport(path=elf_path, entry=entry, segments=segments, symbols=symbols)


def _header_problems(elf: ELFFile) -> list[str]:
    """The image must be the only kind this hypervisor can be: a 64-bit LE AArch64 exec."""
    header = elf.header
    problems = []
    if elf.elfclass != 64:
        problems.append(f"ELF class is ELF{elf.elfclass}, expected ELF64")
    if not elf.little_endian:
        problems.append("ELF data encoding is big-endian, expected little-endian")
    if header["e_machine"] != "EM_AARCH64":
        problems.append(f"ELF machine is {header['e_machine']}, expected EM_AARCH64")
    if header["e_type"] != "ET_EXEC":
        problems.append(f"ELF type is {header['e_type']}, expected ET_EXEC")
    return problems


def _load_segments(elf: ELFFile) -> Iterator[Segment]:
    for index, phdr in enumerate(elf.iter_segments()):
        if phdr["p_type"] != "PT_LOAD":
            continue
        yield Segment(
            index=index,
            vaddr=int(phdr["p_vaddr"]),
            paddr=int(phdr["p_paddr"]),
            filesz=int(phdr["p_filesz"]),
            memsz=int(phdr["p_memsz"]),
            flags=_flags_text(int(phdr["p_flags"])),
            sha256=hashlib.sha256(phdr.data()).hexdigest(),
        )


def _flags_text(p_flags: int) -> str:
    """readelf-style fixed-width flags, e.g. "R-X"."""
    return "".join(
        letter if p_flags & bit else "-"
        for letter, bit in (("R", _PF_R), ("W", _PF_W), ("X", _PF_X))
    )


def _find_symbols(elf: ELFFile, required: Sequence[str]) -> tuple[dict[str, int], list[str]]:
    """Look the required names up in .symtab; return (found values, problems)."""
    if not required:
        return {}, []
    table = elf.get_section_by_name(".symtab")
    if not isinstance(table, SymbolTableSection):
        return {}, [f"no .symtab (stripped?); cannot find required symbols: {', '.join(required)}"]
    wanted = set(required)
    found: dict[str, int] = {}
    for sym in table.iter_symbols():
        if sym.name not in wanted or sym["st_shndx"] == "SHN_UNDEF":
            continue
        # A global definition wins over a same-named local one (e.g. a static in another file).
        if sym.name not in found or sym["st_info"]["bind"] != "STB_LOCAL":
            found[sym.name] = int(sym["st_value"])
    missing = [name for name in required if name not in found]
    problems = [f"required symbol {name!r} not found in .symtab" for name in missing]
    return {name: found[name] for name in required if name in found}, problems


def _overlap_problems(segments: Sequence[Segment]) -> list[str]:
    problems = []
    for i, first in enumerate(segments):
        for second in segments[i + 1 :]:
            for space, a, b in (
                ("physical", first.physical, second.physical),
                ("virtual", first.virtual, second.virtual),
            ):
                if a.base < b.end and b.base < a.end:
                    problems.append(
                        f"segments {first.index} and {second.index} overlap in {space} "
                        f"address space: {a} and {b}"
                    )
    return problems


def _ram_problems(segments: Sequence[Segment], ram: MemoryRegion) -> list[str]:
    return [
        f"{seg.describe()} is not entirely inside RAM {ram}"
        for seg in segments
        if not ram.contains(seg.paddr, seg.memsz)
    ]


def _wx_problems(segments: Sequence[Segment]) -> list[str]:
    return [
        f"{seg.describe()} is both writable and executable (W^X)"
        for seg in segments
        if seg.writable and seg.executable
    ]


def _entry_problems(segments: Sequence[Segment], entry: int) -> list[str]:
    if not segments:
        return [f"no non-empty PT_LOAD segment, so entry point {entry:#x} cannot be loaded"]
    # e_entry is a virtual address, so it is matched against p_vaddr ranges.
    holder = next((seg for seg in segments if seg.virtual.contains(entry)), None)
    if holder is None:
        return [f"entry point {entry:#x} is not inside any PT_LOAD segment"]
    if not holder.executable:
        return [f"entry point {entry:#x} is in non-executable {holder.describe()}"]
    return []


def _region_problems(segments: Sequence[Segment], regions: Mapping[str, MemoryRegion]) -> list[str]:
    allowed = ", ".join(f"{name} {region}" for name, region in sorted(regions.items())) or "none"
    return [
        f"{seg.describe()} is outside every allowed region ({allowed})"
        for seg in segments
        if not any(region.contains(seg.paddr, seg.memsz) for region in regions.values())
    ]


# --------------------------------------------------------------------------------------
# write_manifest
# --------------------------------------------------------------------------------------


def write_manifest(
    out_path: Path,
    *,
    image: Path,
    report: ImageReport,
    components: Mapping[str, Path],
) -> dict[str, object]:
    """Write the build manifest for image (which report must describe) and return it.

    Only file names are recorded, never directories, and nothing time-dependent, so the
    same inputs always give the same bytes. An unchanged manifest is not rewritten, which
    keeps its mtime stable for anything that depends on it.
    """
    manifest: dict[str, object] = {
        "format": MANIFEST_FORMAT,
        "image": {**_file_entry(image), "entry": f"{report.entry:#x}"},
        "components": {name: _file_entry(path) for name, path in components.items()},
        "segments": [_segment_entry(seg) for seg in report.segments],
    }
    text = json.dumps(manifest, sort_keys=True, indent=2) + "\n"
    write_if_changed(out_path, text)
    return manifest


def _file_entry(path: Path) -> dict[str, object]:
    try:
        with path.open("rb") as stream:
            digest = hashlib.file_digest(stream, "sha256").hexdigest()
        size = path.stat().st_size
    except OSError as exc:
        raise ImageError(path, [f"cannot read file for manifest: {exc.strerror or exc}"]) from exc
    return {"file": path.name, "sha256": digest, "size": size}


def _segment_entry(seg: Segment) -> dict[str, object]:
    return {
        "vaddr": f"{seg.vaddr:#x}",
        "paddr": f"{seg.paddr:#x}",
        "filesz": seg.filesz,
        "memsz": seg.memsz,
        "flags": seg.flags,
        "sha256": seg.sha256,
    }


# --------------------------------------------------------------------------------------
# describe_image
# --------------------------------------------------------------------------------------


def describe_image(elf_path: Path, *, top_symbols: int = 10) -> str:
    """A readelf-like text report of entry, sections, segments and the largest symbols."""
    # Imported here: lief takes a noticeable fraction of a second to load and dodo.py,
    # which imports this module, must start fast.
    import lief

    binary = lief.ELF.parse(str(elf_path))
    if binary is None:
        raise ImageError(elf_path, ["LIEF could not parse the file as ELF"])
    header = binary.header
    lines = [
        f"{elf_path.name}: {header.identity_class.name} {header.machine_type.name} "
        f"{header.file_type.name}",
        f"entry: {binary.entrypoint:#x}",
        "",
        *_describe_sections(binary),
        "",
        *_describe_segments(binary),
        "",
        *_describe_symbols(binary, top_symbols),
    ]
    return "\n".join(lines) + "\n"


def _describe_sections(binary: lief.ELF.Binary) -> list[str]:
    lines = ["sections:", f"  {'name':<20} {'address':>18} {'size':>10}  flags"]
    for section in binary.sections:
        if not section.name:  # the SHT_NULL entry at index 0 says nothing useful
            continue
        name = _text(section.name)
        flags = ",".join(str(flag.name) for flag in section.flags_list) or "-"
        lines.append(f"  {name:<20} {section.virtual_address:#18x} {section.size:#10x}  {flags}")
    return lines


def _describe_segments(binary: lief.ELF.Binary) -> list[str]:
    lines = [
        "segments:",
        f"  {'type':<14} {'vaddr':>18} {'paddr':>18} {'filesz':>10} {'memsz':>10}  flags",
    ]
    for seg in binary.segments:
        lines.append(
            f"  {seg.type.name:<14} {seg.virtual_address:#18x} {seg.physical_address:#18x} "
            f"{seg.physical_size:#10x} {seg.virtual_size:#10x}  {_flags_text(seg.raw_flags)}"
        )
    return lines


def _describe_symbols(binary: lief.ELF.Binary, top: int) -> list[str]:
    sized = [
        sym
        for sym in binary.symtab_symbols
        if (sym.is_function or sym.is_variable) and sym.size > 0
    ]
    sized.sort(key=lambda sym: (-sym.size, _text(sym.name)))
    lines = [f"largest symbols (top {min(max(top, 0), len(sized))} of {len(sized)}):"]
    lines.append(f"  {'size':>10} {'address':>18}  {'kind':<8} name")
    for sym in sized[: max(top, 0)]:
        kind = "function" if sym.is_function else "object"
        lines.append(f"  {sym.size:#10x} {sym.value:#18x}  {kind:<8} {_text(sym.name)}")
    return lines


def _text(name: str | bytes) -> str:
    """LIEF hands back bytes for names that are not valid UTF-8; show them escaped."""
    return name if isinstance(name, str) else name.decode("utf-8", "backslashreplace")

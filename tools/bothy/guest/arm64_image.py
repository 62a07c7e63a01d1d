"""The header of an arm64 Linux `Image` (Documentation/arch/arm64/booting.rst): reading it,
checking its magic, and the two numbers the boot protocol needs (text_offset, image_size).

The header is 64 bytes: text_offset (u64 at 8), image_size (u64 at 16), magic "ARM\\x64" at 0x38,
all little-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

from bothy.errors import BothyError

HEADER_SIZE = 64
MAGIC = b"ARM\x64"
MAGIC_OFFSET = 0x38
GZIP_MAGIC = b"\x1f\x8b"


class KernelImageError(BothyError):
    """A file that is not a usable arm64 Linux Image; the message names the file."""


@dataclass(frozen=True)
class KernelImage:
    """What the loader needs from an Image: where in a 2 MiB block it goes and how much
    memory it occupies once running (image_size includes BSS; 0 only on pre-3.17 kernels)."""

    path: Path
    text_offset: int
    image_size: int
    file_size: int

    @property
    def footprint(self) -> int:
        """Bytes the kernel occupies from its load address: never less than the file."""
        return max(self.image_size, self.file_size)


def parse_header(path: Path, data: bytes, file_size: int) -> KernelImage:
    """The KernelImage described by `data` (the file's first bytes); KernelImageError if
    they are not an arm64 Image header."""
    if data[:2] == GZIP_MAGIC:
        raise KernelImageError(
            f"{path}: a gzip-compressed kernel; expected a raw arm64 Image (decompress it first)"
        )
    if len(data) < HEADER_SIZE or data[MAGIC_OFFSET : MAGIC_OFFSET + 4] != MAGIC:
        found = data[MAGIC_OFFSET : MAGIC_OFFSET + 4]
        raise KernelImageError(
            f"{path}: not an arm64 Linux Image (expected magic 'ARM\\x64' at offset "
            f"{MAGIC_OFFSET:#x}, found {found!r} in a {file_size}-byte file)"
        )
    text_offset, image_size = struct.unpack_from("<QQ", data, 8)
    return KernelImage(path, text_offset, image_size, file_size)


def read_kernel_image(path: Path) -> KernelImage:
    """Read and check the header of the Image at `path`; KernelImageError names the file."""
    try:
        with path.open("rb") as f:
            data = f.read(HEADER_SIZE)
        size = path.stat().st_size
    except OSError as e:
        raise KernelImageError(f"{path}: cannot read the kernel Image: {e.strerror}") from None
    return parse_header(path, data, size)

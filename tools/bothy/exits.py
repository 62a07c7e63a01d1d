"""Exceptions a guest took to EL2, read from QEMU's interrupt log (`-d int -D FILE`): what the
hypervisor was asked to handle, one record per exception, and a summary by kind. The Linux
boot's wall time under bothy is dominated by QEMU's cost per exception, so these counts say
where it goes (docs/benchmarks.md); tests use them to check which accesses trap.

QEMU logs each exception as
    Taking exception 4 [Data Abort] on CPU 0
    ...from EL1 to EL2
    ...with ESR 0x24/0x93880005
    ...with FAR 0x800ffe8
    ...with ELR 0x41002e50
    ...to EL2 PC 0x40200c00 PSTATE 0x3c9
(no ESR or FAR for interrupts). FAR is the guest's virtual address: only its page offset says
which device register was accessed, as guests map devices where they like.

Usable by hand: `python -m bothy.exits FILE` prints the summary.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ESR_EC_DABT_LOWER", "El2Entry", "el2_entries", "summary"]

ESR_EC_DABT_LOWER = 0x24
_EC_NAMES = {
    0x01: "WFI/WFE",
    0x07: "FP/SIMD",
    0x16: "HVC",
    0x17: "SMC",
    0x18: "system register",
    0x24: "data abort",
}
_DFSC_PERMISSION = range(0x0C, 0x10)
_TAKING = re.compile(r"Taking exception \d+ \[([^\]]+)\] on CPU (\d+)")
_FROM = re.compile(r"\.\.\.from EL(\d) to EL(\d)")
_ESR = re.compile(r"\.\.\.with ESR (0x[0-9a-f]+)/(0x[0-9a-f]+)")
_FAR = re.compile(r"\.\.\.with FAR (0x[0-9a-f]+)")


@dataclass(frozen=True)
class El2Entry:
    """One exception taken from a lower EL to EL2."""

    name: str  # QEMU's name for it: "Data Abort", "IRQ", "Hypervisor Call", ...
    cpu: int
    from_el: int
    ec: int | None = None  # ESR_EL2.EC (None for interrupts)
    iss: int = 0
    far: int | None = None

    @property
    def is_data_abort(self) -> bool:
        return self.ec == ESR_EC_DABT_LOWER

    @property
    def write(self) -> bool:
        """A data abort on a store (ISS.WnR)."""
        return bool(self.iss & (1 << 6))

    @property
    def permission_fault(self) -> bool:
        """A data abort on a page mapped without the access's permission (ISS.DFSC)."""
        return (self.iss & 0x3F) in _DFSC_PERMISSION

    @property
    def page_offset(self) -> int | None:
        return None if self.far is None else self.far & 0xFFF

    def kind(self) -> str:
        """A short label: the exception class, and for data aborts the access and the page
        offset (the device register), e.g. "data abort read +0x018"."""
        if self.ec is None or self.name in ("IRQ", "FIQ"):
            return self.name
        label = _EC_NAMES.get(self.ec, f"EC {self.ec:#04x}")
        if self.is_data_abort and self.page_offset is not None:
            return f"{label} {'write' if self.write else 'read'} +{self.page_offset:#05x}"
        return label


def el2_entries(lines: Iterable[str]) -> Iterator[El2Entry]:
    """Every exception in the log taken from EL0 or EL1 to EL2, in order."""
    fields: dict[str, str | int] | None = None
    for line in lines:
        if match := _TAKING.match(line):
            fields = {"name": match.group(1), "cpu": int(match.group(2))}
        elif fields is None:
            continue
        elif match := _FROM.match(line):
            if match.group(2) != "2" or match.group(1) == "2":
                fields = None  # taken to EL1 (the guest's own) or within EL2
            else:
                fields["from_el"] = int(match.group(1))
        elif match := _ESR.match(line):
            fields["ec"] = int(match.group(1), 16)
            fields["iss"] = int(match.group(2), 16)
        elif match := _FAR.match(line):
            fields["far"] = int(match.group(1), 16)
        elif line.startswith("...to EL"):
            if "from_el" in fields:
                yield El2Entry(**fields)  # type: ignore[arg-type]
            fields = None


def summary(entries: Iterable[El2Entry]) -> list[tuple[str, int]]:
    """(kind, count) for every kind of entry, most frequent first."""
    return Counter(entry.kind() for entry in entries).most_common()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m bothy.exits QEMU_INT_LOG", file=sys.stderr)
        return 2
    with Path(argv[0]).open(encoding="utf-8", errors="replace") as log:
        counts = summary(el2_entries(log))
    total = sum(n for _, n in counts)
    print(f"{total} exceptions taken to EL2")
    for kind, n in counts:
        print(f"{n:9d} {100 * n / total:5.1f}%  {kind}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

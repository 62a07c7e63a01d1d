"""bothy.exits: reading the exceptions guests took to EL2 from QEMU's `-d int` log."""

from __future__ import annotations

from bothy.exits import el2_entries, main, summary

SAMPLE_LOG = """\
Taking exception 4 [Data Abort] on CPU 0
...from EL1 to EL2
...with ESR 0x24/0x9388004f
...with FAR 0xfffffbfffdbff000
...with ELR 0xffff800080001000
...to EL2 PC 0x40200c00 PSTATE 0x3c9
Exception return from AArch64 EL2 to AArch64 EL1 PC 0xffff800080001004
Taking exception 5 [IRQ] on CPU 1
...from EL1 to EL2
...with ELR 0xffff800080002000
...to EL2 PC 0x40200c80 PSTATE 0x3c9
Taking exception 4 [Data Abort] on CPU 1
...from EL0 to EL1
...with ESR 0x24/0x92000007
...with FAR 0x1000
...to EL1 PC 0xffff800080010000 PSTATE 0x3c5
Taking exception 5 [IRQ] on CPU 0
...from EL2 to EL2
...to EL2 PC 0x40200a80 PSTATE 0x3c9
Taking exception 4 [Data Abort] on CPU 0
...from EL1 to EL2
...with ESR 0x24/0x93800005
...with FAR 0xfffffbfffdbff018
...to EL2 PC 0x40200c00 PSTATE 0x3c9
"""


def test_exit_log_keeps_only_exceptions_from_a_guest_to_el2() -> None:
    entries = list(el2_entries(SAMPLE_LOG.splitlines()))
    assert [e.name for e in entries] == ["Data Abort", "IRQ", "Data Abort"]
    write, irq, read = entries
    assert write.write and write.permission_fault and write.page_offset == 0x000
    assert (write.cpu, write.from_el, write.ec) == (0, 1, 0x24)
    assert irq.ec is None and irq.cpu == 1
    assert not read.write and not read.permission_fault and read.page_offset == 0x018
    assert summary(entries) == [
        ("data abort write +0x000", 1),
        ("IRQ", 1),
        ("data abort read +0x018", 1),
    ]


def test_summary_cli_prints_counts_and_shares(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "int.log"
    log.write_text(SAMPLE_LOG, encoding="utf-8")
    assert main([str(log)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "3 exceptions taken to EL2"
    assert out[1].split() == ["1", "33.3%", "data", "abort", "write", "+0x000"]

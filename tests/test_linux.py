"""Debian's arm64 Linux as bothy's primary VM, driven over the serial console.

One QEMU boot per test: the shell works, sees every configured vCPU and its memory, the
timer ticks, its /hypervisor node carries the RM's queue caps and interrupts, poweroff ends
QEMU with status 0, and reboot brings the VM back to the shell.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from bothy.config import load_config
from bothy.guest.initramfs import LINUX_READY_MARKER
from bothy.guest.shell import COMMAND_TIMEOUT, PROMPT, run, settle
from bothy.paths import DEFAULT_CONFIG
from bothy.runner import QemuSession
from conftest import log_path, qemu_argv

pytestmark = pytest.mark.qemu

BOOT_TIMEOUT = 90.0
CONFIG = load_config(DEFAULT_CONFIG)
LINUX = next(vm for vm in CONFIG.vms if vm.role == "primary")


@pytest.fixture
def linux(default_image, request) -> Iterator[QemuSession]:  # type: ignore[no-untyped-def]
    with QemuSession(
        qemu_argv(DEFAULT_CONFIG, default_image), log_path=log_path(f"linux-{request.node.name}")
    ) as session:
        session.expect(LINUX_READY_MARKER, BOOT_TIMEOUT)
        session.expect(PROMPT, COMMAND_TIMEOUT)
        settle()
        yield session


def timer_count(session: QemuSession) -> int:
    line = run(session, "grep arch_timer /proc/interrupts")
    counts = re.findall(r"\s(\d+)", line.split(":", 1)[1])
    assert len(counts) >= LINUX.vcpus, line
    return sum(int(c) for c in counts[: LINUX.vcpus])


def test_shell_sees_every_vcpu(linux: QemuSession) -> None:
    assert run(linux, "nproc") == str(LINUX.vcpus)
    assert f"init started, {LINUX.vcpus} CPUs" in linux.output


def test_memory_matches_the_config(linux: QemuSession) -> None:
    # The kernel reports all RAM it was given as ".../<total>K available".
    match = re.search(r"Memory: \d+K/(\d+)K available", linux.output)
    assert match is not None
    assert int(match.group(1)) * 1024 == LINUX.memory.size
    assert f"[mem {LINUX.memory.base:#018x}-{LINUX.memory.end - 1:#018x}]" in linux.output


def test_timer_ticks(linux: QemuSession) -> None:
    before = timer_count(linux)
    run(linux, "sleep 1")
    after = timer_count(linux)
    assert after > before


def test_input_reaches_linux(linux: QemuSession) -> None:
    assert run(linux, "echo $((6 * 7))") == "42"


def device_tree_words(session: QemuSession, node: str, prop: str) -> list[int]:
    """A property of the VM's live device tree as big-endian 32-bit words."""
    out = run(session, f"od -An -v -tx1 {node}/{prop}")
    data = bytes(int(b, 16) for b in out.split())
    return [int.from_bytes(data[i : i + 4], "big") for i in range(0, len(data), 4)]


def test_hypervisor_node_has_the_rm_queue_caps_and_irqs(linux: QemuSession) -> None:
    # Short command lines (and prompt): a line the terminal wraps comes back in the output.
    run(linux, "PS1='# '; cd /proc/device-tree/hypervisor")
    node = "gunyah-resource-mgr@0"
    compatible = run(linux, f"tr '\\000' '\\n' < {node}/compatible")
    assert compatible == "gunyah-resource-manager"
    reg = device_tree_words(linux, node, "reg")
    tx, rx = reg[0] << 32 | reg[1], reg[2] << 32 | reg[3]
    # The caps the RM created and gave this VM, not the build's placeholders.
    logged = re.search(
        r"VM 'linux': RM RPC queues: TX cap (0x[0-9a-f]+) \(INTID (\d+)\), "
        r"RX cap (0x[0-9a-f]+) \(INTID (\d+)\)",
        linux.output,
    )
    assert logged is not None
    assert (tx, rx) == (int(logged.group(1), 16), int(logged.group(3), 16))
    assert tx != rx and 0xFFFF_FFFF_FFFF_FFFF not in (tx, rx)
    # GIC specifiers: SPI, INTID - 32, rising edge; the INTIDs the RM bound.
    tx_irq, rx_irq = int(logged.group(2)), int(logged.group(4))
    assert device_tree_words(linux, node, "interrupts") == [0, tx_irq - 32, 1, 0, rx_irq - 32, 1]
    assert device_tree_words(linux, "qcom,gunyah-vm", "qcom,vmid") == [3]


def test_poweroff_ends_qemu_with_status_zero(linux: QemuSession) -> None:
    linux.sendline("poweroff -f")
    assert linux.wait_exit(COMMAND_TIMEOUT) == 0
    assert re.search(r"VM '\w+' requested PSCI SYSTEM_OFF", linux.output)


def test_reboot_restarts_the_vm(linux: QemuSession) -> None:
    linux.sendline("reboot -f")
    linux.expect("[rm] VM 'linux' restarted", COMMAND_TIMEOUT)
    linux.expect(LINUX_READY_MARKER, BOOT_TIMEOUT)
    linux.expect(PROMPT, COMMAND_TIMEOUT)
    settle()
    assert linux.output.count(LINUX_READY_MARKER) == 2
    assert run(linux, "nproc") == str(LINUX.vcpus)

"""The guest VMs' ends of their links to the RM and to each other: what each VM's device tree
describes under /hypervisor and what the RM's tree tells it to create, bind and patch.

Policy lives here, once: which INTIDs a VM's ends interrupt on and the device-tree node of
each end. Cap IDs are the RM's to choose at run time; the trees carry placeholders that the RM
overwrites in place (the same number of bytes), so a tree's size never changes.
"""

from __future__ import annotations

from dataclasses import dataclass

from bothy.abi.rm_rpc import rm_rpc_spec
from bothy.config import IpcLink, SystemConfig, Vm
from bothy.config.layout import FIRST_LINK_INTID, link_irq_count

RM_RPC_NODE = "/hypervisor/gunyah-resource-mgr@0"
RM_RPC_QUEUE_DEPTH = rm_rpc_spec().constant("QUEUE_DEPTH")
RM_RPC_MESSAGE_SIZE = rm_rpc_spec().message_size
CAP_PLACEHOLDER = 0xFFFF_FFFF_FFFF_FFFF  # what the RM overwrites with a cap ID
# Gunyah's access bits (memparcel ACLs, rm-rpc.md §4): what shared memory grants each VM.
ACCESS_BITS = {"r": 0x4, "rw": 0x6}


@dataclass(frozen=True)
class Endpoint:
    """One VM's end of a link. `irqs` are INTIDs in that VM: (tx, rx) for a queue pair, (rx,)
    for a doorbell's receiver, () for a doorbell's sender and for shared memory."""

    link: IpcLink
    index: int  # the link's position in the config: its label in both VMs' trees
    vm: Vm
    peer: Vm
    irqs: tuple[int, ...]

    @property
    def is_sender(self) -> bool:
        return self.link.kind == "doorbell" and self.vm.name == self.link.vms[0]

    @property
    def node(self) -> str:
        """The end's node under /hypervisor; nodes with a reg (caps) carry a unit address."""
        has_caps = self.link.kind != "shared_memory"
        # Unit addresses are unique under /hypervisor: the RM link has @0, links count from 1.
        return f"{self.link.name}@{self.index + 1:x}" if has_caps else self.link.name

    @property
    def path(self) -> str:
        return f"/hypervisor/{self.node}"


def endpoints(config: SystemConfig) -> dict[str, list[Endpoint]]:
    """Every guest VM's ends of its links, by VM name, in config order."""
    ends: dict[str, list[Endpoint]] = {vm.name: [] for vm in config.guest_vms}
    next_intid = dict.fromkeys(ends, FIRST_LINK_INTID)
    for index, link in enumerate(config.ipc):
        for me, other in ((0, 1), (1, 0)):
            vm, peer = config.vm_named(link.vms[me]), config.vm_named(link.vms[other])
            count = link_irq_count(link, receiver=me == 1)
            first = next_intid[vm.name]
            next_intid[vm.name] += count
            irqs = tuple(range(first, first + count))
            ends[vm.name].append(Endpoint(link, index, vm, peer, irqs))
    return ends

"""abi/rm_rpc.yaml against the Gunyah RM RPC reference (every message ID, with its name), the
spec loader's validation (file and key in every problem), and the Python encoder/decoder the
tests use to speak RM RPC from the same spec.

The reference lives outside the repository (../shared/reference/gunyah/rm-rpc.md); the test
that needs it skips when it is absent.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bothy.abi.rm_rpc import (
    SPEC_PATH,
    fragments,
    load_rm_rpc_spec,
    pack,
    parse_fragment,
    reassemble,
    rm_rpc_spec,
    unpack,
)
from bothy.validation import InputFileError
from conftest import REPO

REFERENCE = REPO.parent / "shared" / "reference" / "gunyah" / "rm-rpc.md"
RAW: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text())
# Where bothy's spec names a message differently from the reference's RM table.
NAME_ALIASES = {"VM_SET_CONTEXT": "VM_SET_BOOT_CONTEXT"}


def reference_ids(text: str) -> dict[int, str]:
    """Message ID -> name from the reference's tables and its list of Linux-only IDs; rows in
    parentheses (commented out in Gunyah's RM) are not messages."""
    ids = {int(i, 16): n for i, n in re.findall(r"^\| (0x5[0-9A-Fa-f]{7}) \| (\w+) \|", text, re.M)}
    ids.update({int(i, 16): n for i, n in re.findall(r"(0x5600003[34]) (VM_\w+) \{", text)})
    return ids


@pytest.mark.skipif(not REFERENCE.exists(), reason="Gunyah reference not available")
def test_every_reference_message_is_in_the_spec() -> None:
    ref = reference_ids(REFERENCE.read_text())
    assert len(ref) >= 60
    spec = rm_rpc_spec()
    ours = {m.id: m.name for m in (*spec.requests, *spec.notifications)}
    assert set(ours) == set(ref)
    for msg_id, name in ref.items():
        want = NAME_ALIASES.get(name, name)
        assert ours[msg_id] in (want, f"NOTIFY_{want}"), (hex(msg_id), name, ours[msg_id])


def test_header_and_limits() -> None:
    spec = rm_rpc_spec()
    assert spec.api_byte == 0x21
    assert spec.header_size == 8
    assert spec.fragment_payload == 232
    assert spec.max_fragments == 63
    assert spec.max_payload == 232 * 63 == 14616
    assert [(t.name, t.value) for t in spec.message_types] == [
        ("CONTINUED", 0),
        ("REQUEST", 1),
        ("REPLY", 2),
        ("NOTIFICATION", 3),
    ]


def test_layouts_and_enums() -> None:
    spec = rm_rpc_spec()
    res = spec.layout("hyp_resource")
    assert res.size == 44
    assert [(f.name, f.offset) for f in res.fields][-3:] == [
        ("virq", 24),
        ("base", 28),
        ("size", 36),
    ]
    assert spec.enum("hyp_resource_type")["MEM_EXTENT"] == 9
    assert spec.enum("hyp_resource_type")["ADDR_SPACE"] == 10
    assert spec.enum("vm_state")["RESET"] == 11
    assert spec.constant("HOST_TYPE") == 0x01000164
    assert spec.message_id("VM_HOST_GET_TYPE") == 0x560000A0
    assert {m.name for m in spec.requests if m.implemented} == {
        "VM_ALLOCATE",
        "VM_DEALLOCATE",
        "VM_GET_VMID",
        "VM_GET_STATE",
        "VM_HOST_GET_TYPE",
        "VM_SET_STATUS",
        "VM_GET_HYP_RESOURCES",
        "VM_CONSOLE_OPEN",
        "VM_CONSOLE_CLOSE",
        "VM_CONSOLE_WRITE",
        "VM_CONSOLE_FLUSH",
    }


def test_pack_and_unpack() -> None:
    data = pack("hyp_resource", type=9, partner_vmid=3, cap_id=0x1122334455667788, size=0x1000)
    assert len(data) == 44
    assert data[12:20] == bytes.fromhex("8877665544332211")
    assert unpack("hyp_resource", data)["cap_id"] == 0x1122334455667788
    assert unpack("notify_vm_status", pack("notify_vm_status", vmid=3, vm_status=9)) == {
        "vmid": 3,
        "res0": 0,
        "vm_status": 9,
        "os_status": 0,
        "app_status": 0,
    }
    with pytest.raises(KeyError):
        pack("vmid_request", nope=1)
    with pytest.raises(ValueError):
        unpack("hyp_resource", bytes(43))


def test_fragments_follow_gunyah_framing() -> None:
    # 6 resources: 4 + 6 * 44 = 268 data bytes after the 4-byte error = 272 -> 232 + 40.
    payload = bytes(range(256)) + bytes(16)
    frags = fragments("REPLY", 0x1234, 0x56000020, payload)
    assert [len(f) for f in frags] == [240, 48]
    assert frags[0][:8] == bytes.fromhex("21 06 3412 20000056".replace(" ", ""))
    assert frags[1][:8] == bytes.fromhex("21 04 3412 20000056".replace(" ", ""))
    head, whole = reassemble(frags)
    assert (head.type, head.seq, head.msg_id, whole) == (2, 0x1234, 0x56000020, payload)
    assert parse_fragment(frags[1]).continuations == 1
    assert fragments("REQUEST", 1, 0x56000024, b"") == [bytes.fromhex("2101010024000056")]
    assert len(fragments("NOTIFICATION", 0, 0x56100001, bytes(14616))) == 63
    with pytest.raises(ValueError):
        fragments("REQUEST", 0, 0x56000024, bytes(14617))


def test_reassemble_rejects_broken_messages() -> None:
    frags = fragments("REQUEST", 7, 0x56000083, bytes(300))
    with pytest.raises(ValueError):
        reassemble(frags[:1])
    other = fragments("REQUEST", 8, 0x56000083, bytes(300))
    with pytest.raises(ValueError):
        reassemble([frags[0], other[1]])


# --- validation --------------------------------------------------------------------------------


def spec_error(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> InputFileError:
    raw = copy.deepcopy(RAW)
    change(raw)
    path = tmp_path / "rm_rpc.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(InputFileError) as info:
        load_rm_rpc_spec(path)
    assert str(info.value).startswith("invalid RM RPC spec:\n")
    return info.value


def test_unchanged_copy_loads(tmp_path: Path) -> None:
    path = tmp_path / "rm_rpc.yaml"
    path.write_text(yaml.safe_dump(RAW))
    assert load_rm_rpc_spec(path).requests == rm_rpc_spec().requests


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            lambda r: r["requests"][1].update(id=r["requests"][0]["id"]),
            "requests+notifications[1].id: expected a unique id, found 1358954512 twice",
        ),
        (
            lambda r: r["layouts"]["hyp_resource"].update(size=48),
            "layouts.hyp_resource.size: expected the sum of its fields (44), found 48",
        ),
        (
            lambda r: r["header"].update(header_words=3),
            "layouts.header.size: expected header_words * 4 (12), found 8",
        ),
        (
            lambda r: r["header"].update(max_continuations=64),
            "header.max_continuations: expected a count that fits in 6 bits, found 64",
        ),
        (
            lambda r: r["requests"][0].update(id=0x51100010),
            "requests[0].id: expected bit 20 clear, found 0x51100010",
        ),
        (
            lambda r: r["requests"][0].update(implemented=True),
            "requests[0]: missing required key 'request' (implemented messages need it)",
        ),
        (
            lambda r: r["requests"][0].update(request="no_such_layout"),
            "requests[0].request: expected a layout name or 'empty', found 'no_such_layout'",
        ),
        (
            lambda r: r["message_types"][3].update(value=4),
            "message_types[3].value: expected a value below 4, found 4",
        ),
        (
            lambda r: r["layouts"]["reply"]["fields"].append({"error": "u8"}),
            "layouts.reply.fields[1]: expected a unique field, found 'error' twice",
        ),
    ],
)
def test_invalid_spec(
    tmp_path: Path, change: Callable[[dict[str, Any]], None], problem: str
) -> None:
    error = spec_error(tmp_path, change)
    assert problem in error.problems, error.problems
    assert f"{tmp_path / 'rm_rpc.yaml'}: {problem}" in str(error)


def test_schema_problem_names_the_key(tmp_path: Path) -> None:
    error = spec_error(tmp_path, lambda r: r["layouts"]["reply"]["fields"].append({"x": "u24"}))
    assert any(p.startswith("layouts.reply.fields[1].x: expected one of") for p in error.problems)

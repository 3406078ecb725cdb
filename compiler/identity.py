"""Deterministic UUIDs and MAC addresses for guests that do not pin them.

UUIDs are name-based (RFC 4122 version 5): guest names are unique across the fleet,
so the UUID is unique and never changes while the name stays the same.

MACs hash the guest name and NIC index into the hypervisor's range: Xen's OUI 00:16:3e
with the fourth byte below 0x80 (as the guide's macgen.py does), KVM's 52:54:00. A clash
with a pinned MAC or an earlier automatic one moves to the next hash ("probe"). Requests
are served in (guest, NIC) order, so adding a guest changes an existing guest's MAC only
if the new guest's address clashes with it *and* its name sorts first: odds of about
n / 2^23 per added NIC. Pin `mac` where even that is too much.
"""
from __future__ import annotations

import hashlib
import uuid

NAMESPACE = uuid.UUID("6c3f0b7e-5d0a-4f0e-9a57-7669727463a1")  # virtc's own namespace
XEN_OUI = (0x00, 0x16, 0x3E)
KVM_OUI = (0x52, 0x54, 0x00)


def guest_uuid(name: str) -> str:
    """str(uuid.uuid5(NAMESPACE, "guest/" + name)), without building a UUID object (one
    per guest of the fleet): SHA-1 of namespace and name, version 5 and the RFC 4122
    variant set in the bits uuid.UUID sets them."""
    digest = bytearray(hashlib.sha1(NAMESPACE.bytes + f"guest/{name}".encode()).digest()[:16])
    digest[6] = (digest[6] & 0x0F) | 0x50
    digest[8] = (digest[8] & 0x3F) | 0x80
    x = digest.hex()
    return f"{x[:8]}-{x[8:12]}-{x[12:16]}-{x[16:20]}-{x[20:]}"


def _candidate(name: str, index: int, probe: int, xen: bool) -> str:
    digest = hashlib.sha256(f"{name}/{index}/{probe}".encode()).digest()
    oui = XEN_OUI if xen else KVM_OUI
    tail = (digest[0] & 0x7F if xen else digest[0], digest[1], digest[2])
    return bytes((*oui, *tail)).hex(":")


def assign_macs(requests: list[tuple[str, int, bool]], taken: set[str]) -> dict[tuple[str, int], str]:
    """requests: (guest name, NIC index, is_xen). taken: pinned MACs (lower case)."""
    used = set(taken)
    out: dict[tuple[str, int], str] = {}
    for name, index, xen in sorted(requests):
        probe = 0
        while (mac := _candidate(name, index, probe, xen)) in used:
            probe += 1
        used.add(mac)
        out[(name, index)] = mac
    return out

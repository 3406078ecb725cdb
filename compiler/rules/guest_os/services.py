"""Applications and services in guests: kdump, dump servers, hardware monitoring."""
from __future__ import annotations

from ...diagnostics import Severity
from ...model import Guest
from ..base import Rule
from .common import span_of


class KdumpInPvGuest(Rule):
    """kdump is not supported in para-virtualized guests.

    What it checks: a `xen-pv` guest with `services on kdump`.

    Why: "Disable kdump. The use of kdump is unsupported on para-virtualized guests"
    (§8.1, line 967).

    Example:
        type xen-pv; services on kdump

    Fix: `services off kdump` in the guest; take crash dumps of PV guests from dom0
    (xm dump-core).
    """

    code, name, severity = "VG125", "kdump-in-pv-guest", Severity.WARNING
    when = ("services_on",)
    guest_types = ("xen-pv",)
    checklist, section, lines = ("GOS-36",), "§8.1", "967"

    def guest(self, g: Guest):
        if g.type == "xen-pv" and "kdump" in g.services_on:
            yield self.report(f"PV guest {g.name} enables kdump, which is not supported in para-virtualized "
                              "guests", span_of(g, "services"), g.owner, hint="services off kdump")


class DumpServerInGuest(Rule):
    """kdump and netdump servers do not belong in guests.

    What it checks: a guest with `role kdump-server` or `role netdump-server`.

    Why: "Avoid running the following applications with high I/O requirements: kdump
    servers, netdump servers" (§5.4, lines 554-556): a crash-dump server writes whole
    memory images at once, which emulated I/O does not sustain.

    Example:
        role netdump-server

    Fix: run dump servers on physical hosts.
    """

    code, name, severity = "VG126", "dump-server-in-guest", Severity.WARNING
    when = ("roles",)
    checklist, section, lines = ("GOS-37",), "§5.4", "552-556"

    def guest(self, g: Guest):
        for role in g.roles:
            if role in ("kdump-server", "netdump-server"):
                yield self.report(f"guest {g.name} has the role {role}; the guide advises against running "
                                  "dump servers in guests (high I/O)", span_of(g, "role"), g.owner,
                                  hint="run the dump server on a physical machine")


class GuestHardwareServices(Rule):
    """Guests do not need the microcode update and SMART monitoring services.

    What it checks: a guest with `services on microcode_ctl` or `services on smartd`
    (information).

    Why: "As the virtual machine is running on virtual CPUs there is no point updating
    the microcode"; the service fails with "FATAL: Module microcode not found" (§35.10,
    lines 6140-6147). "SMART disk monitoring can be disabled, because we are working on
    virtual disks and the physical storage is managed by the host" (§32.15, lines
    5536-5540).

    Example:
        services on microcode_ctl

    Fix: `services off microcode_ctl smartd` in the guest.
    """

    code, name, severity = "VG128", "guest-hardware-services", Severity.INFO
    when = ("services_on",)
    checklist, section, lines = ("GOS-40", "GOS-41"), "§35.10", "5536-5540, 6140-6147"

    def guest(self, g: Guest):
        why = {"microcode_ctl": "virtual CPUs take no microcode updates",
               "smartd": "virtual disks have no SMART data; the host watches the physical disks"}
        found = [s for s in g.services_on if s in why]
        if found:
            yield self.report(f"guest {g.name} enables {' and '.join(found)}: "
                              f"{'; '.join(why[s] for s in found)}", span_of(g, "services"), g.owner,
                              hint=f"services off {' '.join(found)}")

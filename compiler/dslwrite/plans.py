"""A plan: what one guest (or one range of guests) needs written, statement slot by
statement slot, each as its interpolation forms. Guests are grouped by comparing plans
(virtc.dslwrite.grouping) and printed from them (virtc.dslwrite.printing)."""
from __future__ import annotations

from dataclasses import dataclass, field

# Statement slots in the order they are written. A scalar slot holds one statement that a
# later one replaces; a list slot ("dev", "nic" ...) holds devices that accumulate.
SLOTS = ("type", "os", "arch", "os-kernel", "memory", "maxmem", "vcpus", "cpuset", "uuid",
         "bootloader", "kernel", "kernel-args", "boot", "clock", "features", "pv-drivers",
         "pvclock", "hpet", "on-poweroff", "on-reboot", "on-crash", "dev", "nic", "pci", "gfx", "serial",
         "parallel", "sound", "usb", "install", "services-on", "services-off", "role", "selinux",
         "firewall", "hostname", "created-on", "migratable", "autostart", "description")
LIST_SLOTS = frozenset(("dev", "nic", "pci", "gfx", "serial", "usb"))
# A guest may restate these to override its template: one statement sets the whole slot.
# (`bootloader` without args keeps inherited args, `kernel` without initrd keeps the
# initrd, `os-kernel` without a variant keeps the variant, services and roles accumulate.)
OVERRIDABLE = frozenset(("type", "os", "arch", "memory", "maxmem", "vcpus", "cpuset", "uuid",
                         "kernel-args", "boot", "clock", "features", "pv-drivers", "pvclock", "hpet",
                         "parallel", "on-poweroff", "on-reboot", "on-crash", "sound", "install", "selinux",
                         "firewall", "hostname", "created-on", "migratable", "autostart",
                         "description"))


@dataclass
class Plan:
    """What one guest (or one range of guests) needs written: slot -> forms (text ->
    variables used), list slot -> one forms dict per device, and for overridable slots
    left at their default, the statement that states the default explicitly."""

    scalars: dict[str, dict[str, int]] = field(default_factory=dict)
    lists: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)

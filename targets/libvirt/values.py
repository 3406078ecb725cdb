"""What libvirt's domain XML accepts: the elements under <domain> and <devices>, and
how libvirt reads memory units and PCI address numbers. The reader (read.py) and the
format rules (rules.py) both use these."""
from __future__ import annotations

import re

from virtc.limits import limits
from virtc.values import is_number

# Elements libvirt's domain schema (domain.rng, libvirt 11.3) accepts directly under
# <domain> and under <devices>; anything else is a typo or an invention (rule VF705).
DOMAIN_ELEMENTS = frozenset("""
name uuid genid title description metadata maxMemory memory currentMemory memoryBacking
memtune numatune vcpu vcpus iothreads iothreadids defaultiothread cputune resource sysinfo
bootloader bootloader_args os idmap features cpu clock on_poweroff on_reboot on_crash
on_lockfailure pm perf blkiotune devices seclabel keywrap launchSecurity throttlegroups
""".split())
DEVICE_ELEMENTS = frozenset("""
emulator disk controller lease filesystem interface input sound audio hostdev graphics video
console serial parallel channel smartcard hub redirdev redirfilter rng tpm shmem memory iommu
vsock watchdog memballoon panic nvram crypto pstore
""".split())
ROOTS = ("domain", "network", "pool", "capabilities")

_PCI_NUMBER = re.compile(r"^(0x[0-9a-f]{1,8}|[0-9]{1,10})$")

# libvirt's memory units (virScaleInteger): bytes, then decimal (KB) and binary (k, KiB) multiples.
_SCALE = {"k": 1, "m": 2, "g": 3, "t": 4, "p": 5, "e": 6}


def memory_unit_bytes(unit: str | None) -> int | None:
    """How many bytes one `unit` is, as libvirt reads the unit= attribute; None if unknown."""
    if unit is None or unit == "":
        return 1024
    u = unit.lower()
    if u in ("b", "bytes"):
        return 1
    power = _SCALE.get(u[:1])
    if power is None:
        return None
    rest = u[1:]
    if rest in ("", "ib"):
        return 1024 ** power
    if rest == "b":
        return 1000 ** power
    return None


def memory_kib(text: str | None, unit: str | None) -> int | None:
    """A memory element's value in KiB (rounded up, as libvirt does), or None."""
    if text is None or not is_number(text.strip()):
        return None
    per = memory_unit_bytes(unit)
    if per is None:
        return None
    return -(-int(text.strip()) * per // 1024)


def pci_number(text: str | None) -> int | None:
    """A PCI address field as libvirt reads it (strtol base 0: 0x hex, 0 octal, decimal)."""
    if text is None:
        return None
    t = text.strip().lower()
    if not _PCI_NUMBER.match(t):  # no sign, ASCII digits, a sane length
        return None
    try:
        if t.startswith("0x"):
            return int(t[2:], 16)
        if len(t) > 1 and t.startswith("0"):
            return int(t[1:], 8)
        return int(t, 10)
    except ValueError:  # 08, 09: not octal
        return None


def pci_bounds() -> dict[str, int]:
    """The first value past each PCI address field: a 16-bit domain, an 8-bit bus, the 32
    slots of a bus, the 8 functions of a device (the limits kvm.pci_slots_total and
    pci.functions_per_device)."""
    return {"domain": int("ffff", 16) + 1, "bus": int("ff", 16) + 1, "slot": limits()["kvm.pci_slots_total"].value,
            "function": limits()["pci.functions_per_device"].value}

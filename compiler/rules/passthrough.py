"""PCI passthrough and SR-IOV rules (checklist areas PCI, SRIOV): the KVM PCI slot budget,
the IOMMU and boot-line prerequisites, platform and release support, pciback, one owner
per device, and what passthrough rules out (migration)."""
from __future__ import annotations

import re

from ..diagnostics import Related, Severity
from ..model import Guest, Host, PciDevice
from .base import Rule, Scope
from ..numbers import version
from ..values import is_number

# Checklist items of this area that no rule implements, and why (see compiler/coverage.py).
NOT_CHECKABLE: dict[str, str] = {
    "PCI-11": "operational: PCI devices are added only to shut-off guests; virtc describes "
              "configuration, not live attach",
    "PCI-14": "no field: devices are named by PCI address; nodedev names (pci_8086_****) would need "
              "a `nodedev NAME` field on the pci statement",
    "PCI-15": "emitter: virt-install --host-device lines; virtc writes the <hostdev> XML directly",
    "PCI-24": "no field: the model has no guest-side PCI address (<address type='pci' slot=...> of a "
              "disk, interface or hostdev); the libvirt target writes none, so libvirt assigns slots "
              "after the fixed ones itself",
    "SRIOV-05": "no field: the model does not record which driver a host device or the guest OS "
                "uses (igb for the Physical Function, igbvf in the guest)",
    "SRIOV-08": "no field: the model has no PCI vendor:device IDs (8086:10c9 PF, 8086:10ca VF); a "
                "device catalogue (`pci ADDR id 8086:10ca`) would be needed",
}

# Emulated sound cards that are PCI devices (es1370, AC'97); sb16 is an ISA card.
# Derived (not from the guide): PCI-02's "other PCI devices".
_PCI_SOUND = ("es1370", "ac97")


def _boot_param(args: str | None, name: str) -> str | None:
    """The value of `name=value` on a kernel or hypervisor command line (the last one wins)."""
    found = None
    for token in (args or "").split():
        key, eq, value = token.partition("=")
        if key == name:
            found = value if eq else ""
    return found


def _release(text: str | None) -> tuple[int, ...] | None:
    return version(text)


def _passthrough(guests: list[Guest]) -> list[tuple[Guest, PciDevice]]:
    return [(g, p) for g in guests for p in g.pci]


def _others(uses: list[tuple[Guest, PciDevice]], note: str) -> list[Related]:
    """Related spans: the first device of every other guest in `uses`."""
    seen, out = set(), []
    for g, p in uses[1:]:
        if g.name not in seen and g.name != uses[0][0].name:
            seen.add(g.name)
            out.append(Related(p.span, f"{note}: guest {g.name} pci {p.address}"))
    return out


def _unique(related: list[Related]) -> list[Related]:
    """Related spans without repeats (two notes about one device keep the first)."""
    seen: dict = {}
    for r in related:
        seen.setdefault(r.span, r)
    return list(seen.values())


def _host_span(h: Host, *keys: str) -> list[Related]:
    for key in keys:
        span = h.fields.get(key)
        if span:
            return [Related(span, f"host {h.name}: `{key}` statement")]
    return [Related(h.span, f"host {h.name} declared here")]


class KvmPciSlots(Rule):
    """A KVM guest has 28 PCI slots for its own devices (32 minus 4 fixed ones).

    What it checks: the devices of a KVM guest that each take a PCI slot: every virtio
    disk or CD-ROM, every NIC (virtio and the emulated rtl8139, e1000, ne2k_pci and pcnet
    models alike), every passed-through PCI device or Virtual Function, and a PCI sound
    card (es1370, ac97; derived). IDE disks and CD-ROMs share the IDE controller of the
    ISA/USB bridge, floppies hang off the ISA bus, and the host bridge, the ISA/USB bridge,
    the video card and the memory balloon are the 4 fixed devices, outside the count.

    Why: "Para-virtualized devices are all PCI devices using the virtio driver. At present a
    guest can use at most 32 PCI devices. Some PCI devices are essential to the guest and
    cannot be removed: the host bridge, the ISA and USB bridge (one device), the video card
    (Cirrus or qxl driver) and the memory balloon device. Of the 32 PCI devices a guest
    uses, four cannot be removed, which leaves each guest 28 PCI slots. Each para-virtualized
    network or block device uses one slot. Each guest can use at most 28 additional devices,
    including para-virtualized network and disk devices and other PCI devices using VT-d"
    (§5.2, lines 492-497; the same in English at lines 2344 and 2499, which add that a
    multi-function device uses one slot for all its functions).

    Contradiction C-68: the note at line 2344 ends "Each guest can use up to 32 PCI
    devices", which read alone would allow 32 devices of the guest's own; the same note,
    §5.2 (line 497) and §14 (line 2499) say 4 of the 32 are fixed and 28 remain. The
    unambiguous reading is applied as the error: more than 28 slot-taking devices (more
    than 32 in all with the fixed four).

    Example:
        guest big on kvm1 {
          type kvm; memory 2G
          disk vda virtio "/var/lib/libvirt/images/big.img"
          # ... 28 `nic bridge br0 model virtio` lines: 29 slots
        }

    Fix: fewer devices: put several file systems on one virtio disk with LVM, use VLANs or
    bonding instead of one NIC per network, or split the work over two guests.
    """

    code, name, severity = "VD101", "kvm-pci-slots", Severity.ERROR
    guest_types = ("kvm",)
    checklist, section, lines = ("PCI-01", "PCI-02", "PCI-03"), "§5.2", "492-497, 2344, 2499"
    uses = ("kvm.pci_slots_total", "kvm.pci_slots_fixed")

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        total = self.limit("kvm.pci_slots_total")
        fixed = self.limit("kvm.pci_slots_fixed")
        usable = total.value - fixed.value
        devices = [(d.span, f"virtio {d.device} {d.target}", d.owner) for d in g.disks if d.bus == "virtio"]
        devices += [(n.span, f"NIC {n.index} ({n.model or 'default model'})", n.owner) for n in g.nics]
        devices += [(p.span, f"{'VF' if p.vf else 'PCI device'} {p.address}", p.owner) for p in g.pci]
        sound = g.fields.get("sound")
        if g.sound in _PCI_SOUND:
            devices.append((sound or g.span, f"sound card {g.sound}", g.owner))
        if len(devices) <= usable:
            return
        devices.sort(key=lambda x: (x[0].file != g.span.file, x[0].start))
        span, what, path = devices[usable]
        counts = {"virtio disk": sum(1 for d in g.disks if d.bus == "virtio"), "NIC": len(g.nics),
                  "passthrough device": len(g.pci), "sound card": int(g.sound in _PCI_SOUND)}
        parts = ", ".join(f"{n} {k}{'' if n == 1 else 's'}" for k, n in counts.items() if n)
        yield self.report(
            f"KVM guest {g.name} needs {len(devices)} PCI slots ({parts}); a KVM guest has {usable} "
            f"for its own devices ({total.value} minus {fixed.value} fixed); {what} is number "
            f"{usable + 1}", span, path, limit=fixed,
            hint="drop devices: combine disks with LVM, networks with VLANs, or split the guest")


class PassthroughNeedsIommu(Rule):
    """PCI passthrough needs VT-d or AMD IOMMU, enabled in the BIOS: `iommu on` on the host.

    What it checks: a host with a guest that has a `pci` device (passthrough or an SR-IOV
    Virtual Function) but that does not say `iommu on`. `iommu on` declares that VT-d or
    the AMD IOMMU is enabled in the BIOS and on the boot line (the boot parameters are
    VD103's subject).

    Why: "The VT-d or AMD IOMMU extensions must be enabled in BIOS" (§14, lines 2500, 2547),
    "The VT-d extensions are required for PCI passthrough ... Some system manufacturers
    disable these extensions by default" (lines 2505, 2525), and "SR-IOV requires Intel
    VT-d support", enabled in the BIOS and the kernel (§15.2, lines 2725, 2740-2742; §35.12,
    line 6181). Without it the guest does not start. The requirement opens the chapter and
    covers para-virtualized Xen guests too (§14.4 lifts nothing of it).

    Example:
        host kvm2 { hypervisor kvm; cpu intel flags vmx }
        guest g on kvm2 { type kvm; memory 1G; pci 0000:09:00.0 }

    Fix: enable VT-d / AMD IOMMU in the BIOS setup and add `iommu on` to the host.
    """

    code, name, severity = "VD102", "passthrough-needs-iommu", Severity.ERROR
    facts = ("grub",)
    checklist, section, lines = ("PCI-06", "SRIOV-01"), "§14", "2500, 2505, 2525, 2547, 2725, 2740-2742, 6181"
    scope = Scope.HOST
    when = ("guests",)
    uses = ("passthrough.iommu_boot_args",)

    def host(self, h, guests):
        if h.iommu:
            return
        uses = _passthrough(guests)
        if not uses or h.fields.get("kernel_kind") is not None:
            # a host read from its files: a missing boot switch is VD103's, at its line;
            # the BIOS setting (all KVM on AMD needs) is in no file
            return
        g, p = uses[0]
        off = h.fields.get("iommu")
        related = [Related(off, f"host {h.name} turns the IOMMU off here")] if off else \
            [Related(h.span, f"host {h.name} has no `iommu on`")]
        kind = "Virtual Function" if p.vf else "PCI device"
        yield self.report(
            f"guest {g.name} is given {kind} {p.address} but host {h.name} does not declare the IOMMU "
            f"(VT-d / AMD IOMMU) enabled; {len(uses)} device(s) on this host need it", p.span,
            p.owner, related=related + _others(uses, "also needs it"),
            hint=f"enable VT-d or AMD IOMMU in the BIOS and write `iommu on` in host {h.name}")


def missing_switch(h, table: dict) -> dict | None:
    """The IOMMU switch a host's boot entry, read from its boot loader's file, lacks: the
    table row (intel_iommu=on for KVM on Intel, iommu=on for Xen); None when the entry is
    virtc's to write (a .virt host: `iommu on` adds it) or needs none (KVM on AMD: the
    BIOS alone, line 2526)."""
    if h.iommu or h.fields.get("kernel_kind") is None:
        return None
    if h.hypervisor == "xen":
        return table["xen"]
    if h.hypervisor == "kvm" and h.cpu.vendor == "intel":
        return table["kvm_intel"]
    return None


class IommuBootArgs(Rule):
    """The boot line keeps what passthrough needs: intel_iommu=on, iommu=on|1, pci_pt_e820_access=on.

    What it checks: on a host with passthrough guests, the boot parameters written in
    `grub args` (the KVM kernel line, or the dom0 `module /vmlinuz` line on Xen) and
    `grub xen-args` (the `kernel /xen.gz` line):
    a host whose boot entry, read from its grub.conf or elilo.conf, lacks the switch
    (intel_iommu=on on an Intel KVM host's kernel line, iommu=on on Xen's xen.gz line);
    an Intel KVM host whose args set intel_iommu to anything but on; a Xen host whose
    xen-args set iommu to anything but on or 1; a Xen host on Intel with SR-IOV Virtual
    Functions whose args set pci_pt_e820_access to anything but on. virtc's GRUB output
    adds these parameters itself when the host has `iommu on` and passthrough guests, so
    only a value the user wrote can contradict them.

    Why: KVM on Intel: "Activate Intel VT-d in the kernel by appending the intel_iommu=on
    parameter to the kernel line" (§14, lines 2507-2518); AMD hosts "only require that the
    IOMMU is enabled in the BIOS" (line 2526), so nothing is checked there. Xen: "For both
    AMD and Intel systems, PCI passthrough on Xen requires the iommu=on parameter to the
    hypervisor command line" (lines 2530-2539). SR-IOV with Xen on Intel: "append the
    pci_pt_e820_access=on parameter to the kernel" (§15.2, lines 2727-2738).

    Contradiction C-12: §14 writes the Xen switch as `iommu=on` (line 2537), §15.2 as
    `iommu=1` (line 2736). Both are accepted.

    Example:
        host xen2 { hypervisor xen; iommu on; grub xen-args "iommu=off" }
        guest g on xen2 { type xen-pv; memory 1G; pci 0000:09:00.0 }

    Fix: remove the parameter (virtc writes the right one) or write intel_iommu=on,
    iommu=on or pci_pt_e820_access=on.
    """

    code, name, severity = "VD103", "iommu-boot-args", Severity.ERROR
    checklist, section, lines = ("PCI-07", "PCI-08", "PCI-09", "SRIOV-02"), "§14", "2507-2518, 2526, 2530-2539, 2727-2738"
    scope = Scope.HOST
    when = ("guests",)
    uses = ("passthrough.iommu_boot_args",)

    def host(self, h, guests):
        uses = _passthrough(guests)
        if not uses:
            return
        table = self.limit("passthrough.iommu_boot_args")
        absent = missing_switch(h, table.value)
        if absent is not None:
            g, p = uses[0]
            line = "hypervisor (xen.gz) line" if absent["line"] == "xen_args" else "kernel line"
            switch = f"{absent['param']}={absent['values'][0]}"
            yield self.report(
                f"host {h.name}'s boot entry has no {switch} on its {line}, but guest {g.name} is given "
                f"{'Virtual Function' if p.vf else 'PCI device'} {p.address}; without it the IOMMU stays off",
                h.fields.get("grub") or h.span, h.owner, limit=table,
                related=_unique([Related(p.span, f"guest {g.name} passes through {p.address}")]
                                + _others(uses, "also passed through")),
                hint=f"append {switch} to the {line} of the default entry (and enable VT-d / AMD IOMMU in the BIOS)")
            return
        vfs = [(g, p) for g, p in uses if p.vf]
        wanted = []
        if h.hypervisor == "kvm" and h.cpu.vendor != "amd":  # (unknown: a written value is judged)
            wanted.append(("kvm_intel", uses))
        if h.hypervisor == "xen":
            wanted.append(("xen", uses))
            if vfs and h.cpu.vendor != "amd":
                wanted.append(("xen_sriov_intel", vfs))
        problems, needs, related = [], [], []
        for key, needing in wanted:
            spec = table.value[key]
            value = _boot_param(getattr(h.grub, spec["line"]), spec["param"])
            if value is None or value in spec["values"]:
                continue
            line = "hypervisor (xen.gz) line" if spec["line"] == "xen_args" else \
                ("dom0 kernel line" if h.hypervisor == "xen" else "kernel line")
            g, p = needing[0]
            problems.append(f"{spec['param']}={value} on its {line}")
            needs.append(" or ".join(f"{spec['param']}={v}" for v in spec["values"]))
            related.append(Related(p.span, f"guest {g.name} passes through {'VF' if p.vf else 'device'} "
                                           f"{p.address}"))
        if problems:
            yield self.report(
                f"host {h.name} sets {' and '.join(problems)}, but its passthrough guests need "
                f"{' and '.join(needs)}", h.fields.get("grub") or h.span, h.owner, limit=table,
                related=_unique(related + _others(uses, "also passed through")),
                hint="remove the parameter from `grub args` / `grub xen-args` (virtc writes the right "
                     f"one) or write {' and '.join(needs)}")


class XenPassthroughPlatform(Rule):
    """Xen PCI passthrough is listed for 32-bit x86, Intel 64 and Itanium 2 hosts only.

    What it checks: a Xen host with passthrough guests whose architecture and CPU vendor
    are not in the list: in practice an x86_64 host with an AMD CPU (AMD64).

    Why: "PCI passthrough (attaching PCI devices to guests) is presently only supported on
    the following architectures: 32 bit (x86) systems, Intel 64 systems, Intel Itanium 2
    systems" (§5.3, lines 544-548).

    Contradiction C-11: the list leaves AMD64 out, but §14 explains how to prepare an AMD
    system (line 2526) and says "For both AMD and Intel systems, PCI passthrough on Xen
    requires the iommu=on parameter" (line 2530). Read strictly, §5.3 makes Xen passthrough
    on AMD64 unsupported (an error); §14 makes it work. The stricter reading is reported as
    a warning.

    Example:
        host xen3 { hypervisor xen; arch x86_64; cpu amd flags svm; iommu on }
        guest g on xen3 { type xen-hvm; memory 1G; pci 0000:09:00.0 }

    Fix: use an Intel 64 host for Xen guests with passthrough, or accept that Red Hat's
    limitation list does not cover AMD64 (suppress VD104 for this host).
    """

    code, name, severity = "VD104", "xen-passthrough-platform", Severity.WARNING
    facts = ("cpu",)
    checklist, section, lines = ("PCI-05",), "§5.3", "544-548, 2526, 2530"
    scope = Scope.HOST
    when = ("guests",)
    hypervisors = ("xen",)
    uses = ("xen.pci_passthrough_platforms",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or not h.cpu.vendor:
            return
        uses = _passthrough(guests)
        if not uses:
            return
        table = self.limit("xen.pci_passthrough_platforms")
        if h.arch in table.value and table.value[h.arch] in (None, h.cpu.vendor):
            return
        g, p = uses[0]
        yield self.report(
            f"guest {g.name} uses Xen PCI passthrough on host {h.name} ({h.arch}, CPU vendor "
            f"{h.cpu.vendor}); the guide lists 32-bit x86, Intel 64 and Itanium 2 only",
            p.span, p.owner, limit=table,
            related=_host_span(h, "cpu", "arch") + _others(uses, "also passed through"),
            hint="run passthrough guests on an Intel 64 Xen host (§14 does describe AMD IOMMU setup, C-11)")


class XenHvmPassthroughRelease(Rule):
    """PCI passthrough to a fully virtualized Xen guest needs RHEL 5.4 or newer on the host.

    What it checks: a Xen HVM guest with a `pci` device on a host whose `release` is older
    than 5.4.

    Why: "PCI passthrough for para-virtualized Xen guests is supported on all Red Hat
    Enterprise Linux 5 systems, however PCI passthrough with fully virtualized guests is
    only supported on Red Hat Enterprise Linux 5.4 and newer" (§14.4, line 2686).

    Example:
        host xen4 { hypervisor xen; release 5.3; iommu on }
        guest w on xen4 { type xen-hvm; memory 1G; pci 0000:09:00.0 }

    Fix: update the host to RHEL 5.4 or newer, or run the guest para-virtualized.
    """

    code, name, severity = "VD105", "xen-hvm-passthrough-release", Severity.ERROR
    when = ("pci",)
    guest_types = ("xen-hvm",)
    facts = ("release",)
    checklist, section, lines = ("PCI-16",), "§14.4", "2686"
    uses = ("xen.hvm_passthrough_min_release",)

    def guest(self, g: Guest):
        if g.type != "xen-hvm" or not g.pci:
            return
        h = self.ctx.host_of(g)
        limit = self.limit("xen.hvm_passthrough_min_release")
        have = _release(h.release)
        if have is None or have >= _release(limit.value):
            return
        p = g.pci[0]
        yield self.report(
            f"fully virtualized guest {g.name} uses PCI passthrough ({p.address}) on host {h.name}, "
            f"which runs RHEL {h.release}; HVM passthrough needs {limit.value} or newer",
            p.span, p.owner, limit=limit, related=_host_span(h, "release"),
            hint=f"update host {h.name} to RHEL {limit.value} or newer, or make the guest xen-pv")


def _pv_unsupported(g: Guest, table: dict) -> bool:
    if not g.os or g.os.family not in table:
        return False
    rel = _release(g.os.release)
    return rel is not None and rel[0] >= table[g.os.family]


class PvPassthroughRhel6(Rule):
    """RHEL 6 para-virtualized guests do not support PCI passthrough.

    What it checks: a Xen PV guest whose OS is RHEL 6 (or newer) with a `pci` device.

    Why: "PCI passthrough to para-virtualized guests is considered insecure and is not
    supported for Red Hat Enterprise Linux 6 guests" (§14.4, lines 2688-2690).

    Example:
        guest r6 on xen1 { type xen-pv; os rhel6.1 x86_64; memory 1G; pci 0000:09:00.0 }

    Fix: run the guest fully virtualized (xen-hvm, host RHEL 5.4 or newer, VD105) or give it
    a para-virtualized NIC instead of the device.
    """

    code, name, severity = "VD106", "pv-passthrough-rhel6", Severity.ERROR
    when = ("pci",)
    guest_types = ("xen-pv",)
    checklist, section, lines = ("PCI-17",), "§14.4", "2688-2690"
    uses = ("xen.pv_passthrough_unsupported_os",)

    def guest(self, g: Guest):
        if g.type != "xen-pv" or not g.pci:
            return
        table = self.limit("xen.pv_passthrough_unsupported_os")
        if _pv_unsupported(g, table.value):
            p = g.pci[0]
            yield self.report(f"para-virtualized guest {g.name} runs {g.os.name}, which does not support "
                              f"PCI passthrough ({p.address})", p.span, p.owner, limit=table,
                              related=[Related(g.fields.get("os") or g.span, f"guest {g.name} OS")],
                              hint="make the guest xen-hvm, or drop the pci device")


class PvPassthroughInsecure(Rule):
    """PCI passthrough to a Xen guest, PV or HVM, can expose dom0's DMA address space.

    What it checks: every Xen guest with a `pci` device: para-virtualized guests (RHEL 6
    PV guests get VD106 instead) and fully virtualized ones alike. One finding per guest,
    at its first device.

    Why: the guide's "Limitations of Xen PCI passthrough" (§14.4) apply to every Xen
    guest with a passed-through device: "A guest which has access to a non-virtualized PCI
    device via PCI passthrough also has the potential to access the DMA address space of
    dom0, which is a potential security concern" (line 2693; checklist PCI-19: any Xen
    passthrough). For PV guests the guide adds that passthrough "is considered insecure"
    (line 2688, PCI-17). The checklist is followed for HVM guests too: VT-d / the AMD
    IOMMU that HVM passthrough needs (§14.1) remaps the device's DMA, but the guide lists
    the DMA exposure among the limitations of all Xen passthrough, without an exception
    for fully virtualized guests. (The rule keeps its name, pv-passthrough-insecure, so
    that configurations and suppressions that name it still apply.)

    Example:
        guest g on xen1 { type xen-pv; memory 1G; pci 0000:09:00.0 }
        guest w on xen1 { type xen-hvm; memory 1G; pci 0000:0a:04.1 }

    Fix: give passthrough devices only to guests you trust with dom0's memory; prefer a
    fully virtualized guest (RHEL 5.4 or newer, IOMMU on) to a PV one; suppress the
    finding for a guest you have accepted the risk for.
    """

    code, name, severity = "VD107", "pv-passthrough-insecure", Severity.WARNING
    when = ("pci",)
    guest_types = ("xen-pv", "xen-hvm")
    checklist, section, lines = ("PCI-19", "PCI-17"), "§14.4", "2688, 2693"
    uses = ("xen.pv_passthrough_unsupported_os",)

    def guest(self, g: Guest):
        if not g.is_xen or not g.pci:
            return
        p = g.pci[0]
        if g.type == "xen-pv":
            if _pv_unsupported(g, self.limit("xen.pv_passthrough_unsupported_os").value):
                return
            yield self.report(f"para-virtualized guest {g.name} is given PCI device {p.address}; passthrough to PV "
                              "guests is insecure: the device can reach dom0's DMA address space", p.span, p.owner,
                              hint="prefer a fully virtualized guest (RHEL 5.4 or newer, IOMMU on) for passthrough, "
                                   "and pass devices only to guests trusted with dom0's memory")
        else:
            yield self.report(f"fully virtualized guest {g.name} is given PCI device {p.address}; a Xen guest with "
                              "passthrough can potentially reach dom0's DMA address space", p.span, p.owner,
                              hint="pass devices only to guests trusted with dom0's memory")


class PassthroughNotMigratable(Rule):
    """A guest with PCI passthrough or an SR-IOV VF cannot be saved, restored or migrated.

    What it checks: a guest with a `pci` device that is migratable (`migratable on`, or by
    default because its host has `migration peers`).

    Why: "Any guest using PCI passthrough will no longer be available for save, restore, or
    migration capabilities, as it will be tied to a particular non-virtualized hardware
    configuration" (§14.4, line 2692). For SR-IOV: "Live migration is presently
    unsupported. As with PCI passthrough, identical device configurations are required for
    live (and offline) migrations" (§15.1, lines 2719-2720).

    Example:
        host xen5 { hypervisor xen; iommu on; migration peers xen1 }
        guest g on xen5 { type xen-pv; memory 1G; pci 0000:09:00.0 }   # migratable by default

    Fix: `migratable off` on the guest (it stays on its host), or drop the device.
    """

    code, name, severity = "VD108", "passthrough-not-migratable", Severity.ERROR
    when = ("pci",)
    checklist, section, lines = ("PCI-18", "SRIOV-06", "MIG-28"), "§14.4", "2692, 2719-2720"

    def guest(self, g: Guest):
        if not g.pci or not g.migratable:
            return
        p = g.pci[0]
        h = self.ctx.host_of(g)
        stated = g.fields.get("migratable")
        if stated:
            related = [Related(stated, f"guest {g.name} is made migratable here")]
        elif h.migration:
            related = [Related(h.migration.span, f"host {h.name} migrates its guests (peers)")]
        else:
            related = []
        kind = "SR-IOV Virtual Function" if p.vf else "PCI device"
        yield self.report(f"guest {g.name} is migratable but has {kind} {p.address}; a guest with "
                          "passthrough cannot be saved, restored or migrated", p.span, p.owner,
                          related=related, hint=f"write `migratable off` in guest {g.name}")


_HIDE = re.compile(r"(?:^|\s)hide=(\S*)")
_HIDE_ENTRY = re.compile(r"\((?:([0-9a-fA-F]{1,4}):)?([0-9a-fA-F]{1,2}):([0-9a-fA-F]{1,2})\.([0-7])\)")


def _hidden_address(entry: tuple[str, str, str, str]) -> str:
    """A hide= entry's (domain, bus, slot, function) as PciDevice.address writes it."""
    dom, bus, slot, fn = (int("0x" + (x or "0"), 0) for x in entry)
    return f"{dom:04x}:{bus:02x}:{slot:02x}.{fn:x}"


class PcibackHideList(Rule):
    """A pciback hide list the user wrote hides every device of the host's PV guests.

    What it checks: on a Xen host with `modprobe pciback "hide=..."`: the list has the form
    `(DDDD:BB:SS.F)(DDDD:BB:SS.F)...`, and every `pci` device of a para-virtualized guest on
    the host is in it. Without a `modprobe pciback` statement virtc writes the hide list
    itself from the guests' `pci` statements; a list the user writes is taken as given.

    Why: "To link a PCI device to a guest the device must first be hidden from the host. If
    the host is using the device the device cannot be assigned to the guest" (§14.4, line
    2694); the lines `install bnx2 /sbin/modprobe pciback; ...` and `options pciback
    hide=(0000:09:00.0)` in /etc/modprobe.conf hide it from dom0, and several devices are
    written one after the other, `hide=(0000:09:00.0)(0000:0a:04.1)` (lines 2695-2700).
    "Attached devices cannot be used and may cause various errors if connected to a guest
    without detaching first" (§14.1, line 2577).

    Example:
        host xen6 { hypervisor xen; iommu on; modprobe pciback "hide=(0000:09:00.0)" }
        guest g on xen6 { type xen-pv; memory 1G; pci 0000:0a:04.1 }

    Fix: add the device: `modprobe pciback "hide=(0000:09:00.0)(0000:0a:04.1)"`, or drop
    the statement and let virtc write the list.
    """

    code, name, severity = "VD109", "pciback-hide-list", Severity.ERROR
    checklist, section, lines = ("PCI-20", "PCI-10"), "§14.4", "2577, 2694-2700"
    scope = Scope.HOST
    when = ("modprobe",)
    hypervisors = ("xen",)

    def host(self, h, guests):
        if h.hypervisor != "xen":
            return
        setting = h.setting("modprobe", "pciback")
        if setting is None:
            return
        m = _HIDE.search(setting.value)
        if m is None:
            hidden: set[str] = set()
        else:
            text = m.group(1)
            entries = _HIDE_ENTRY.findall(text)
            if _HIDE_ENTRY.sub("", text):
                yield self.report(f"pciback hide list '{text}' of host {h.name} is not a series of "
                                  "(DDDD:BB:SS.F) entries", setting.span, h.owner,
                                  hint="write hide=(0000:09:00.0)(0000:0a:04.1), hex, function 0-7")
                return
            hidden = {_hidden_address(e) for e in entries}
        for g in guests:
            if g.type != "xen-pv":
                continue
            for p in g.pci:
                if p.address not in hidden:
                    yield self.report(
                        f"PCI device {p.address} of para-virtualized guest {g.name} is not in the "
                        f"pciback hide list of host {h.name}, so dom0 keeps it", p.span, p.owner,
                        related=[Related(setting.span, "pciback options written here")],
                        hint=f"add ({p.address}) to hide=, or drop `modprobe pciback` and let virtc write it")


class DuplicatePciDevice(Rule):
    """A host PCI device or Virtual Function is given to one guest only.

    What it checks: the same PCI address in the `pci` statements of two guests of one host
    (or twice in one guest). Addresses on different hosts are different devices.

    Why: "Each Virtual Function can only be mapped once as Virtual Functions require real
    hardware" (§15.1, line 2713); passthrough gives a guest exclusive access (§14, line
    2498); a guest whose device is taken does not start: "Couldn't get real device ...
    This error is often caused by a device which is already assigned to another guest or
    to the host itself" (§15.3, lines 2855-2864).

    Example:
        guest a on kvm1 { type kvm; memory 1G; pci 03:10.0 vf }
        guest b on kvm1 { type kvm; memory 1G; pci 03:10.0 vf }

    Fix: give each guest its own device or VF (the 82576 has VFs 03:10.0, 03:10.1, ...:
    raise max_vfs for more).
    """

    code, name, severity = "VD110", "duplicate-pci-device", Severity.ERROR
    checklist, section, lines = ("PCI-23", "SRIOV-04"), "§15.1", "2498, 2713, 2855-2864"
    scope = Scope.HOST
    when = ("guests",)

    def host(self, h, guests):
        first: dict[str, tuple[Guest, PciDevice]] = {}
        for g in guests:
            for p in g.pci:
                if p.address not in first:
                    first[p.address] = (g, p)
                    continue
                og, op = first[p.address]
                where = "twice in guest " + g.name if og.name == g.name else f"to guests {og.name} and {g.name}"
                yield self.report(f"{'VF' if p.vf else 'PCI device'} {p.address} of host {h.name} is given "
                                  f"{where}; a device has one owner at a time", p.span, p.owner,
                                  related=[Related(op.span, f"first given to {og.name}")],
                                  hint="give each guest its own device or Virtual Function")


class SriovNeedsIntelVtd(Rule):
    """SR-IOV Virtual Functions need an Intel host with VT-d.

    What it checks: a guest with a `pci ... vf` device on a host whose CPU is AMD.

    Why: "SR-IOV requires Intel VT-d support" (§15.2, line 2725); the procedure enables
    Intel VT-d in the BIOS and in the kernel (lines 2740-2742), and the Xen parameters are
    given "for Intel systems" (line 2729). The guide names no AMD procedure for SR-IOV.

    Example:
        host kvm4 { hypervisor kvm; cpu amd flags svm; iommu on }
        guest g on kvm4 { type kvm; memory 1G; pci 03:10.0 vf }

    Fix: assign Virtual Functions on an Intel VT-d host, or pass the whole device through.
    """

    code, name, severity = "VD111", "sriov-needs-intel-vtd", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("SRIOV-01",), "§15.2", "2725, 2729, 2740-2742"
    scope = Scope.HOST
    when = ("guests",)

    def host(self, h, guests):
        if h.cpu.vendor != "amd":
            return
        vfs = [(g, p) for g, p in _passthrough(guests) if p.vf]
        if not vfs:
            return
        g, p = vfs[0]
        yield self.report(f"guest {g.name} is given Virtual Function {p.address} on host {h.name}, which "
                          "has an AMD CPU; SR-IOV needs Intel VT-d", p.span, p.owner,
                          related=_host_span(h, "cpu") + _others(vfs, "also a VF"),
                          hint="move the guests with VFs to an Intel VT-d host")


class IgbMaxVfs(Rule):
    """The igb driver's max_vfs is 0 to 7.

    What it checks: `modprobe igb "max_vfs=N[,N...]"` on a host: every value (one per port)
    is between 0 and 7.

    Why: "The max_vfs parameter of the igb module allocates the maximum number of Virtual
    Functions ... For this particular card [the Intel 82576] the valid range is 0 to 7"
    (§15.2, lines 2762-2768); "The number of Virtual Functions a device may have is limited
    by the device hardware" (§15.1, line 2711).

    Example:
        host kvm5 { hypervisor kvm; iommu on; modprobe igb "max_vfs=8" }

    Fix: `modprobe igb "max_vfs=7"` or fewer.
    """

    code, name, severity = "VD112", "igb-max-vfs", Severity.ERROR
    checklist, section, lines = ("SRIOV-03",), "§15.2", "2711, 2762-2768"
    scope = Scope.HOST
    when = ("modprobe",)
    uses = ("sriov.igb_max_vfs",)

    def host(self, h, guests):
        setting = h.setting("modprobe", "igb")
        if setting is None:
            return
        m = re.search(r"(?:^|\s)max_vfs=(\S*)", setting.value)
        if m is None:
            return
        limit = self.limit("sriov.igb_max_vfs")
        bad = [v for v in m.group(1).split(",") if not is_number(v) or int(v) > limit.value]
        if bad:
            yield self.report(f"host {h.name} sets igb max_vfs={m.group(1)}; each value must be 0 to "
                              f"{limit.value}", setting.span, h.owner, limit=limit,
                              hint=f'write `modprobe igb "max_vfs={limit.value}"` or fewer')


"""KVM's virtio drivers: virtio-win for Windows guests (host release, Windows versions),
and RHEL guests too old for virtio."""
from __future__ import annotations

from ...diagnostics import Related, Severity
from ...model import Guest
from ...source import Span
from ..base import Rule
from ..storage import boot_disk
from .common import below, host_related, major, rhel_release, span_of, virtio_devices


def _windows_virtio(g: Guest) -> list[tuple[Span, str, str]]:
    """The virtio devices of a Windows KVM guest (or its pv-drivers statement)."""
    if g.type != "kvm" or not g.os or g.os.family != "windows":
        return []
    devices = virtio_devices(g)
    if not devices and g.pv_drivers:
        devices = [(span_of(g, "pv-drivers"), g.owner, "pv-drivers")]
    return devices


class VirtioWinHostRelease(Rule):
    """The virtio-win drivers for Windows guests need a RHEL 5.4 or newer KVM host.

    What it checks: a Windows KVM guest with virtio disks or NICs (or `pv-drivers`) on a
    host whose `release` is older than 5.4.

    Why: "As with the KVM module, the virtio-win drivers package is only available on
    hosts running Red Hat Enterprise Linux 5.4 and newer" (§13, line 2334).

    Example:
        host k53 { hypervisor kvm; release 5.3 ... }
        guest w on k53 { os win2003; disk hda "/var/lib/libvirt/images/w.img"; nic bridge br0 model virtio }

    Fix: update the host, or give the guest emulated devices (IDE disks, e1000 or rtl8139
    NICs).
    """

    code, name, severity = "VG122", "virtio-win-host-release", Severity.ERROR
    guest_types = ("kvm",)
    facts = ("release",)
    checklist, section, lines = ("GOS-31",), "§13", "2333-2334"
    uses = ("kvm.virtio_win_min_host_release",)

    def guest(self, g: Guest):
        devices = _windows_virtio(g)
        if not devices:
            return
        h = self.ctx.host_of(g)
        minimum = self.limit("kvm.virtio_win_min_host_release")
        if below(h.release, minimum.value):
            span, path, label = devices[0]
            yield self.report(f"Windows guest {g.name} uses virtio ({label}) on host {h.name} (RHEL {h.release}); "
                              f"virtio-win is available on RHEL {minimum.value} and newer hosts", span, path,
                              limit=minimum,
                              related=host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
                              hint="update the host, or use emulated devices (IDE disk, e1000 NIC)")


class VirtioWinWindowsVersion(Rule):
    """The virtio-win drivers support Windows XP (32-bit), Server 2003, Server 2008 and 7.

    What it checks: a Windows KVM guest with virtio disks or NICs (or `pv-drivers`)
    whose release and architecture are not in the list: e.g. Windows XP x86_64 or
    Windows Vista.

    Why: "The following Microsoft Windows versions are supported by the KVM
    para-virtualized drivers: Windows XP (32-bit only), Windows Server 2003 (32-bit and
    64-bit versions), Windows Server 2008 (32-bit and 64-bit versions), Windows 7 (32-bit
    and 64-bit versions)" (§13, lines 2345-2349).

    Example:
        os winvista x86_64; disk vda virtio "/var/lib/libvirt/images/v.img"

    Fix: use emulated devices (IDE disks, e1000 NICs) for this Windows version.
    """

    code, name, severity = "VG123", "virtio-win-windows-version", Severity.ERROR
    guest_types = ("kvm",)
    checklist, section, lines = ("GOS-32",), "§13", "2345-2349"
    uses = ("kvm.virtio_win_windows",)

    def guest(self, g: Guest):
        devices = _windows_virtio(g)
        if not devices or not g.os.release:
            return
        table = self.limit("kvm.virtio_win_windows")
        arches = table.value.get(g.os.release)
        if arches is not None and g.arch in arches:
            return
        what = f"{g.os.name} {g.arch}" if arches else g.os.name
        span, path, label = devices[0]
        yield self.report(f"guest {g.name} uses virtio ({label}) but the virtio-win drivers do not support "
                          f"{what}", span, path, limit=table,
                          related=(Related(span_of(g, "os"), f"guest OS {g.os.name} {g.arch}"),),
                          hint="use emulated devices: an IDE disk (hda) and an e1000 or rtl8139 NIC")


class VirtioOldRhel(Rule):
    """RHEL guests older than 4.8 / 5.3 have no virtio drivers.

    What it checks: virtio disks and NICs of a KVM RHEL guest whose release does not load
    the virtio drivers by itself (RHEL 4 before 4.8, RHEL 5 before 5.3, anything before
    RHEL 4). A virtio boot disk is an error (the guest cannot find its root file
    system); other virtio devices are warnings.

    Why: "The KVM para-virtualized drivers are automatically loaded and installed on the
    following versions of Red Hat Enterprise Linux: Red Hat Enterprise Linux 4.8 and
    newer, Red Hat Enterprise Linux 5.3 and newer, Red Hat Enterprise Linux 6" (§13, lines
    2336-2340).

    Example:
        type kvm; os rhel5.2 x86_64; disk vda virtio "/var/lib/libvirt/images/r.img"

    Fix: use IDE disks (hda) and e1000 or rtl8139 NICs, or update the guest to 5.3+ / 4.8+.
    """

    code, name, severity = "VG124", "virtio-old-rhel", Severity.WARNING
    guest_types = ("kvm",)
    checklist, section, lines = ("GOS-33",), "§13", "2336-2340"
    uses = ("kvm.virtio_auto_rhel_release",)

    def guest(self, g: Guest):
        rel = rhel_release(g)
        if g.type != "kvm" or rel is None:
            return
        table = self.limit("kvm.virtio_auto_rhel_release")
        m = major(rel)
        if m is None:
            return
        minimum = table.value.get(str(m))
        if m < min(int(k) for k in table.value):
            lacking = True
        elif minimum is not None:
            lacking = below(rel, minimum) is True
        else:
            lacking = False
        if not lacking:
            return
        boot = boot_disk(g)
        for d in g.disks:
            if d.bus == "virtio":
                is_boot = d is boot
                yield self.report(f"{'boot ' if is_boot else ''}disk {d.target} of RHEL {rel} guest {g.name} is "
                                  f"virtio; RHEL {rel} has no virtio drivers" +
                                  (" and cannot find its root file system" if is_boot else ""),
                                  d.span, d.owner, limit=table,
                                  severity=Severity.ERROR if is_boot else None,
                                  hint=f"use an IDE disk (hd{d.target[len('vd'):]}), or update the guest")
        for n in g.nics:
            if n.model == "virtio":
                yield self.report(f"NIC {n.index} of RHEL {rel} guest {g.name} is virtio; RHEL {rel} has no "
                                  "virtio drivers", n.span, n.owner, limit=table,
                                  hint="use model e1000 or rtl8139, or update the guest")

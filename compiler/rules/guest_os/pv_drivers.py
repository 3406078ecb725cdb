"""The Xen para-virtualized drivers on fully virtualized guests: guest and host
releases, architectures, kernel variants, RHEL 3 kernels, noapic, RHEL 6's default;
and I/O-heavy guests without para-virtualized I/O."""
from __future__ import annotations

from ...diagnostics import Related, Severity
from ...model import Guest
from ..base import Rule
from .common import (below, cmdline_tokens, has_arg, host_related, kernel_flavour, kernel_tuple, major,
                     rhel_release, span_of, uses_pv_io)


def _xen_pv_drivers(g: Guest) -> bool:
    return g.type == "xen-hvm" and g.pv_drivers


class PvDriversGuestRelease(Rule):
    """The Xen PV drivers need RHEL 5.1+, RHEL 4.6+ or RHEL 3.9+ guests.

    What it checks: a `xen-hvm` RHEL guest with `pv-drivers` whose release is older than
    the minimum for its major release, or older than RHEL 3. Non-RHEL guests are not
    judged (Windows has its own PV drivers, line 1779).

    Why: "Minimum guest operating system version: Red Hat Enterprise Linux 5.1 or newer,
    Red Hat Enterprise Linux 4 Update 6 or newer, Red Hat Enterprise Linux 3 Update 9 or
    newer" (§12.1, lines 1810-1815; §12.2, lines 1829-1833); "these drivers are not
    supported on RHEL guests older than RHEL 3" (§12, line 1790). For RHEL 4: "this
    package is not supported on RHEL 4-GA through RHEL 4 update 2 systems and kernels"
    (§12.3.3, line 2145). RHEL 4.7+ and 5.3+ kernels already include the PV modules
    (§12.1, lines 1806-1808), so updating the guest is the easy fix.

    Example:
        type xen-hvm; pv-drivers; os rhel4.5 i686

    Fix: update the guest (RHEL 4.7+ or 5.3+ ship the drivers in the kernel), or turn
    `pv-drivers` off.
    """

    code, name, severity = "VG114", "pv-drivers-guest-release", Severity.ERROR
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("GOS-16", "GOS-21", "GOS-26"), "§12.1", "1790, 1806-1815, 1829-1833, 2143-2145"
    uses = ("xen.pv_drivers_min_guest_release", "xen.pv_drivers_rhel4_unsupported_through",
            "xen.pv_drivers_in_kernel_release")

    def guest(self, g: Guest):
        rel = rhel_release(g)
        if not _xen_pv_drivers(g) or rel is None:
            return
        table = self.limit("xen.pv_drivers_min_guest_release")
        through = self.limit("xen.pv_drivers_rhel4_unsupported_through")
        shipped = self.limit("xen.pv_drivers_in_kernel_release").value
        hint = (f"update the guest (RHEL {' / '.join(v + '+' for v in shipped.values())} have the PV modules in "
                "the kernel), or turn pv-drivers off")
        m = major(rel)
        if m is None:
            return
        oldest = min(int(k) for k in table.value)
        span = span_of(g, "os", "pv-drivers")
        if m < oldest:
            yield self.report(f"guest {g.name} (RHEL {rel}) uses the Xen PV drivers, which support no RHEL "
                              f"before RHEL {oldest}", span, g.owner, limit=table, hint=hint)
            return
        minimum = table.value.get(str(m))
        if minimum is None or not below(rel, minimum):
            return
        if major(through.value) == m and below(through.value, rel) is False:
            yield self.report(f"guest {g.name} (RHEL {rel}) uses the Xen PV drivers; the package is not "
                              f"supported on RHEL {m} GA to {through.value}, and needs {minimum} or newer",
                              span, g.owner, limit=through, hint=hint)
        else:
            yield self.report(f"guest {g.name} (RHEL {rel}) uses the Xen PV drivers, which need RHEL {minimum} "
                              "or newer", span, g.owner, limit=table, hint=hint)


class PvDriversHostRelease(Rule):
    """Guests with the Xen PV drivers need a RHEL 5.1 or newer host.

    What it checks: a `xen-hvm` guest with `pv-drivers` on a host whose `release` is
    older than 5.1.

    Why: "Minimum host operating system version: Red Hat Enterprise Linux 5.1 or newer"
    (§12.1, lines 1810-1811); "The host system requires Red Hat Enterprise Linux 5.1 or
    newer" (§12.2, line 1855; also §12, line 1781).

    Example:
        host old { hypervisor xen; release 5.0 ... }
        guest r on old { type xen-hvm; pv-drivers; memory 1G }

    Fix: update the host to 5.1 or newer, or turn `pv-drivers` off.
    """

    code, name, severity = "VG115", "pv-drivers-host-release", Severity.ERROR
    guest_types = ("xen-hvm",)
    facts = ("release",)
    checklist, section, lines = ("GOS-17",), "§12.1", "1781, 1810-1811, 1853-1855"
    uses = ("xen.pv_drivers_min_host_release",)

    def guest(self, g: Guest):
        if not _xen_pv_drivers(g):
            return
        h = self.ctx.host_of(g)
        minimum = self.limit("xen.pv_drivers_min_host_release")
        if below(h.release, minimum.value):
            yield self.report(f"guest {g.name} uses the Xen PV drivers but host {h.name} is RHEL {h.release}; "
                              f"they need a RHEL {minimum.value} or newer host", span_of(g, "pv-drivers"),
                              g.owner, limit=minimum,
                              related=host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
                              hint=f"update host {h.name}, or turn pv-drivers off")


class PvDriversIa64(Rule):
    """The Xen PV drivers exist for x86 and x86_64 guests only.

    What it checks: an ia64 `xen-hvm` guest with `pv-drivers`.

    Why: "Currently only x86 and x86-64 guests are supported" (§12, line 1789);
    "binary RPM packages and builds for Itanium (ia64) are not available yet" (§12.3.2,
    line 2063; §12.3.3, line 2149).

    Contradiction C-07: table 12.1 marks Itanium (IA64) as supported for RHEL 5 (line
    1851). Without packages there is nothing to install, so the "x86 and x86-64 only"
    reading is enforced as an error.

    Example:
        type xen-hvm; arch ia64; pv-drivers

    Fix: turn `pv-drivers` off for Itanium guests.
    """

    code, name, severity = "VG116", "pv-drivers-ia64", Severity.ERROR
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("GOS-18",), "§12", "1787-1789, 1851, 2061-2063, 2147-2149"

    def guest(self, g: Guest):
        if _xen_pv_drivers(g) and g.arch == "ia64":
            yield self.report(f"Itanium guest {g.name} uses the Xen PV drivers, which exist only for x86 and "
                              "x86_64 guests", span_of(g, "pv-drivers"), g.owner,
                              related=(Related(span_of(g, "arch", "os"), "the guest is ia64"),),
                              hint="turn pv-drivers off")


class PvDriversKernelVariant(Rule):
    """A guest with the Xen PV drivers runs a kernel variant table 12.1 lists.

    What it checks: a `xen-hvm` RHEL 3, 4 or 5 guest with `pv-drivers` and a stated
    kernel variant (`os-kernel VERSION variant V`, combined with the guest arch:
    `variant smp` on i686 is i686-SMP): the variant must be in the table for its RHEL
    major release.

    Why: table 12.1, "guest kernel architectures supported with the para-virtualized
    drivers" (§12.2, lines 1839-1851): RHEL 3 athlon, athlon-SMP, i32e, i686, i686-SMP,
    i686-HUGEMEM, x86_64, x86_64-SMP; RHEL 4 i686, i686-SMP, i686-HUGEMEM, x86_64,
    x86_64-SMP, x86_64-LARGESMP; RHEL 5 i686, i686-PAE, x86_64, IA64 (RHEL 5 kernels
    include SMP, line 1837).

    Contradiction C-59: the Intel 64 variant is spelled i32e in table 12.1 (line 1843) and
    ia32e in table 12.2 (line 1875, "UP and SMP"); both spellings, and ia32e-SMP, are
    accepted. IA64 is listed here but has no packages (C-07, VG116).

    Example:
        type xen-hvm; pv-drivers; os rhel4.8 x86_64; os-kernel 2.6.9-89.EL variant hugemem

    Fix: boot a listed kernel variant (x86_64-LARGESMP instead of hugemem on x86_64), or
    turn `pv-drivers` off.
    """

    code, name, severity = "VG117", "pv-drivers-kernel-variant", Severity.ERROR
    when = ("kernel_variant",)
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("GOS-23",), "§12.2", "1837-1851, 1875"
    uses = ("xen.pv_drivers_kernel_variants",)

    def guest(self, g: Guest):
        rel = rhel_release(g)
        if not _xen_pv_drivers(g) or rel is None or not g.kernel_variant:
            return
        table = self.limit("xen.pv_drivers_kernel_variants")
        listed = table.value.get(str(major(rel)))
        if listed is None:
            return
        flavour = kernel_flavour(g)
        if flavour.lower() not in {v.lower() for v in listed}:
            yield self.report(f"guest {g.name} (RHEL {rel}) runs the {flavour} kernel, which the PV drivers do "
                              f"not support on RHEL {major(rel)}", span_of(g, "os-kernel"), g.owner,
                              limit=table, hint=f"supported variants: {', '.join(listed)}")


class Rhel3PvDriversHostKernel(Rule):
    """A RHEL 3 guest with the PV drivers runs on the host kernel its kernel type needs.

    What it checks: a `xen-hvm` RHEL 3 guest with `pv-drivers`: its kernel (the stated
    variant, else the guest arch) against tables 12.2 and 12.3: ia32e needs an x86_64
    host, i686 / i686-SMP / i686-HUGEMEM and athlon / athlon-SMP need an i686 host,
    x86_64 / x86_64-SMP an x86_64 host. With a stated variant, its CPU vendor (ia32e and
    i686 for Intel, athlon and x86_64 for AMD) must match the host's `cpu` vendor.

    Why: "On RHEL 3 based guest operating systems you must use the processor-specific
    kernel and para-virtualized driver RPM as shown in the tables below. If you do not
    install the matching package, loading the xen-pci-platform module fails" (§12.2,
    lines 1870-1886; §36.2, lines 6274-6287).

    Example:
        host xen1 { hypervisor xen; arch x86_64; cpu intel ... }
        guest r3 on xen1 { type xen-hvm; pv-drivers; os rhel3.9 i686; memory 1G }

    Fix: run the guest on a host with the listed kernel architecture, or install the
    guest kernel and PV driver RPM built for the host's processor.
    """

    code, name, severity = "VG118", "rhel3-pv-drivers-host-kernel", Severity.ERROR
    guest_types = ("xen-hvm",)
    facts = ("cpu",)
    checklist, section, lines = ("GOS-24",), "§12.2", "1870-1886, 6274-6287"
    uses = ("xen.pv_drivers_rhel3_host_kernel",)

    def guest(self, g: Guest):
        table = self.limit("xen.pv_drivers_rhel3_host_kernel")
        rel = rhel_release(g)
        if not _xen_pv_drivers(g) or rel is None or str(major(rel)) != table.value["rhel_release"]:
            return
        kernels = {k.lower(): v for k, v in table.value["kernels"].items()}
        flavour = kernel_flavour(g)
        need = kernels.get(flavour.lower())
        if need is None:
            return  # not in table 12.1 at all: VG117
        h = self.ctx.host_of(g)
        span = span_of(g, "os-kernel", "arch", "os")
        if h.arch != need["host"]:
            yield self.report(f"RHEL 3 guest {g.name} runs the {flavour} kernel, which with the PV drivers needs "
                              f"an {need['host']} host kernel; host {h.name} is {h.arch}", span, g.owner,
                              limit=table, related=host_related(h, "arch", f"host {h.name} is {h.arch}"),
                              hint=f"run the guest on an {need['host']} host, or install its {h.arch} kernel "
                                   "and matching PV driver RPM")
        elif g.kernel_variant and h.cpu.vendor and h.cpu.vendor != need["vendor"]:
            yield self.report(f"RHEL 3 guest {g.name} runs the {flavour} kernel, built for {need['vendor']} "
                              f"processors, on the {h.cpu.vendor} host {h.name}", span, g.owner,
                              limit=table, related=host_related(h, "cpu", f"host {h.name} has {h.cpu.vendor} CPUs"),
                              hint="install the guest kernel and PV driver RPM built for the host's processor")


class Rhel3PvDriversMinKernel(Rule):
    """RHEL 3 guests with the PV drivers run kernel 2.4.21-60.EL (RHEL 3.9) or newer.

    What it checks: a `xen-hvm` RHEL 3 guest with `pv-drivers` whose `os-kernel` release
    is older than 2.4.21-60.EL.

    Why: "The para-virtualized drivers require at least Red Hat Enterprise Linux 3.9
    kernel version kernel-2.4.21-60.EL for all the required headers" (§12.3.2, line
    1947).

    Contradiction C-08: the install example copies modules built for 2.4.21-52.EL (line
    1954) and §36.3 (lines 6291-6295) says the "kernel-module version mismatch" warning on
    kernels older than 2.4.21-52 can be ignored. That warning is harmless, but the headers
    the drivers need arrive with -60.EL, so older kernels are an error.

    Example:
        type xen-hvm; pv-drivers; os rhel3.9 x86_64; os-kernel 2.4.21-50.EL

    Fix: update the guest kernel (RHEL 3.9, 2.4.21-60.EL or newer).
    """

    code, name, severity = "VG119", "rhel3-pv-drivers-min-kernel", Severity.ERROR
    when = ("kernel_release",)
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("GOS-25",), "§12.3.2", "1947, 1954, 6291-6295"
    uses = ("xen.pv_drivers_rhel3_min_kernel",)

    def guest(self, g: Guest):
        table = self.limit("xen.pv_drivers_rhel3_min_kernel")
        rel = rhel_release(g)
        if not _xen_pv_drivers(g) or rel is None or str(major(rel)) != table.value["rhel_release"] \
                or not g.kernel_release:
            return
        minimum = table.value["kernel"]
        if kernel_tuple(g.kernel_release) < kernel_tuple(minimum):
            yield self.report(f"RHEL 3 guest {g.name} runs kernel {g.kernel_release}; the PV drivers need "
                              f"{minimum} or newer for their headers (the module-version warning on older "
                              "kernels is harmless, the missing headers are not)", span_of(g, "os-kernel"),
                              g.owner, limit=table, hint=f"update the guest kernel to {minimum} or newer")


class PvDriversNoapic(Rule):
    """On a RHEL 5.1 dom0, guests with the PV drivers boot with noapic.

    What it checks: a Linux `xen-hvm` guest with `pv-drivers` on a RHEL 5.1 host (new
    enough for the PV drivers, older than 5.2) whose kernel arguments (`kernel-args`)
    lack noapic.

    Why: "Using a Red Hat Enterprise Linux 5.1 host (dom0), the noapic parameter should
    be added to the kernel boot line in your virtual guest's /boot/grub/grub.conf entry";
    "guests of a RHEL 5.2 dom0 do not need this kernel parameter" (§12.3.2, lines
    2055-2059; §12.3.3, lines 2106-2110; §12.3.4, lines 2216-2220).

    Example:
        host h51 { hypervisor xen; release 5.1 ... }
        guest r on h51 { type xen-hvm; pv-drivers; os rhel4.8; kernel-args "ro root=LABEL=/ rhgb" }

    Fix: `kernel-args "... noapic"` (and add it to the guest's grub.conf), or update the
    host to 5.2.
    """

    code, name, severity = "VG120", "pv-drivers-noapic", Severity.WARNING
    guest_types = ("xen-hvm",)
    facts = ("release",)
    checklist, section, lines = ("GOS-28",), "§12.3.2", "2055-2059, 2106-2110, 2216-2220"
    uses = ("xen.pv_drivers_noapic", "xen.pv_drivers_min_host_release")

    def guest(self, g: Guest):
        if not _xen_pv_drivers(g) or (g.os and g.os.family == "windows"):
            return
        table = self.limit("xen.pv_drivers_noapic")
        h = self.ctx.host_of(g)
        if below(h.release, self.limit("xen.pv_drivers_min_host_release").value) is not False:
            return  # unknown, or too old for the PV drivers at all (VG115)
        if not below(h.release, table.value["host_release_below"]):
            return
        tokens = cmdline_tokens(g)
        missing = [a for a in table.value["guest_args"] if not has_arg(tokens, a)]
        if missing:
            yield self.report(f"guest {g.name} uses the PV drivers on the RHEL {h.release} dom0 {h.name} but its "
                              f"kernel line lacks {' '.join(missing)}", span_of(g, "kernel-args", "pv-drivers"),
                              g.owner, limit=table,
                              related=host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
                              hint=f"add {' '.join(missing)} to the guest's kernel line and to `kernel-args`")


class PvDriversDefaultOn(Rule):
    """RHEL 6 HVM guests use the Xen PV drivers unless told not to.

    What it checks: a `xen-hvm` guest running RHEL 6 or newer with `pv-drivers` off and
    no xen_emul_unplug=never in its kernel arguments. Reported as information: the
    configuration works, but not as described.

    Why: "The para-virtualized drivers are enabled by default for a Red Hat Enterprise
    Linux 6 guest. The guest will automatically unplug any emulated devices that are
    presented to it, and will use the para-virtualized drivers instead"; to disable them
    add xen_emul_unplug=never to the guest kernel command line (§12.3.5, lines
    2231-2236).

    Example:
        type xen-hvm; os rhel6.1 x86_64      # pv-drivers off

    Fix: `pv-drivers on` (what the guest will do anyway), or
    `kernel-args "... xen_emul_unplug=never"` to keep the emulated devices.
    """

    code, name, severity = "VG121", "pv-drivers-default-on", Severity.INFO
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("GOS-29",), "§12.3.5", "2231-2236"
    uses = ("xen.pv_drivers_default_on",)

    def guest(self, g: Guest):
        rel = rhel_release(g)
        if g.type != "xen-hvm" or g.pv_drivers or rel is None:
            return
        table = self.limit("xen.pv_drivers_default_on")
        if below(rel, table.value["rhel_release"]) is not False:
            return
        tokens = cmdline_tokens(g)
        args = table.value["disable_args"]
        if not all(has_arg(tokens, a) for a in args):
            yield self.report(f"RHEL {rel} guest {g.name} will unplug its emulated disks and NICs and use the "
                              "Xen PV drivers, although pv-drivers is off", span_of(g, "os"), g.owner,
                              limit=table,
                              hint=f"write `pv-drivers on`, or `kernel-args \"{' '.join(args)}\"` to keep the "
                                   "emulated devices")


class IoHeavyWithoutPvDrivers(Rule):
    """I/O-heavy guests and databases use para-virtualized I/O.

    What it checks: a fully virtualized guest with `role io-heavy` (warning) or
    `role database` (information) that has no para-virtualized I/O: a Xen HVM guest
    without `pv-drivers`, a KVM guest without virtio disks or NICs.

    Why: "Applications with high I/O requirements should use the para-virtualized
    drivers for fully virtualized guests. Without them some applications become unstable
    under high I/O load" (§5.4, line 553). "You should carefully evaluate database
    applications before running them on a virtualized guest ... Consider
    para-virtualization or para-virtualized drivers in these cases" (lines 557-558).

    Example:
        type xen-hvm; role io-heavy      # no pv-drivers

    Fix: `pv-drivers on` with xvd / tap:aio data disks (Xen), virtio disks and NICs
    (KVM), or a para-virtualized guest.
    """

    code, name, severity = "VG127", "io-heavy-without-pv-drivers", Severity.WARNING
    when = ("roles",)
    guest_types = ("xen-hvm", "kvm")
    checklist, section, lines = ("GOS-37", "GOS-38"), "§5.4", "553, 557-558"

    def guest(self, g: Guest):
        if not g.is_hvm or uses_pv_io(g):
            return
        hint = "turn pv-drivers on (Xen) or use virtio disks and NICs (KVM)"
        if "io-heavy" in g.roles:
            yield self.report(f"I/O-heavy guest {g.name} is fully virtualized without para-virtualized drivers",
                              span_of(g, "role"), g.owner, hint=hint)
        elif "database" in g.roles:
            yield self.report(f"database guest {g.name} uses emulated disks and NICs; evaluate it carefully or "
                              "use para-virtualized drivers", span_of(g, "role"), g.owner,
                              severity=Severity.INFO, hint=hint)

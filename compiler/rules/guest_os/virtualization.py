"""Para-virtualization and architectures: KVM runs fully virtualized guests only; a
para-virtualized guest boots kernel-xen, with PAE, on its host's architecture; a 64-bit
fully virtualized guest needs a 64-bit host, and its pae feature on."""
from __future__ import annotations

from ... import kernels
from ...diagnostics import Severity
from ...model import Guest
from ..base import Rule, rhel5_defaults
from .common import host_related, is_xen_kernel, span_of


class KvmNoParavirt(Rule):
    """KVM runs fully virtualized guests only; para-virtualization needs Xen.

    What it checks: a guest on a KVM host declared `type xen-pv`, and a KVM guest that
    boots like a Xen PV guest: through a PV boot loader (pygrub), a kernel-xen
    (`os-kernel ... variant xen`, or a `kernel` path naming xen).

    Why: "Para-virtualization only works with the Xen hypervisor. Para-virtualization
    does not work with the KVM hypervisor" (§8.1, lines 900-902); with KVM "only full
    virtualization can be chosen" (§7.2, line 729).

    Example:
        guest web on kvm1 { type xen-pv; memory 1G }

    Fix: `type kvm` with the guest's normal (non-xen) kernel, or place the guest on a Xen
    host.
    """

    code, name, severity = "VG101", "kvm-no-paravirt", Severity.ERROR
    checklist, section, lines = ("GOS-01",), "§8.1", "729, 900-902"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        if h.hypervisor != "kvm":
            return
        related = host_related(h, "hypervisor", f"host {h.name} runs KVM")
        if g.type == "xen-pv":
            yield self.report(f"guest {g.name} is para-virtualized (xen-pv) but host {h.name} runs KVM, "
                              "which only runs fully virtualized guests", span_of(g, "type"), g.owner,
                              related=related, hint="write `type kvm` (with a normal kernel), or move the "
                                                    "guest to a Xen host")
            return
        if g.type != "kvm":
            return  # xen-hvm on a KVM host: VG112
        if g.boot.bootloader:
            yield self.report(f"KVM guest {g.name} boots through the Xen PV boot loader {g.boot.bootloader}",
                              span_of(g, "bootloader"), g.owner, related=related,
                              hint="drop `bootloader`: a KVM guest boots from its disk (boot hd)")
        if g.kernel_variant and g.kernel_variant.lower() == "xen":
            yield self.report(f"KVM guest {g.name} runs a kernel-xen ({g.kernel_release or ''} variant "
                              f"{g.kernel_variant}), a para-virtualized kernel", span_of(g, "os-kernel"),
                              g.owner, related=related, hint="boot the guest's normal kernel on KVM")
        if g.boot.kernel and is_xen_kernel(g.boot.kernel):
            yield self.report(f"KVM guest {g.name} boots the Xen kernel {g.boot.kernel}", span_of(g, "kernel"),
                              g.owner, related=related, hint="boot the guest's normal kernel on KVM")


class PvKernelXen(Rule):
    """A para-virtualized guest boots the kernel-xen package's kernel.

    What it checks: a `xen-pv` guest whose kernel (`os-kernel ... variant V`) is another
    variant than xen, or whose directly booted `kernel` file is a Linux kernel but not a
    xen one (vmlinuz-...xen, or an install tree's images/xen/vmlinuz). A kernel that is not
    Linux by its name (Xen's Mini-OS, mini-os.elf) is not judged, nor one of Linux 2.6.27
    or later by its name (vmlinuz-2.6.32-431.el6.x86_64, vmlinuz-3.2.0-4-amd64): those
    run as PV guests with no xen variant (pv_ops), as RHEL 6 guests do on RHEL 5's Xen.
    Nor is a file whose name says nothing of its kernel (a plain `vmlinuz`, often a link
    to the guest's versioned kernel), but for an install tree's PXE or CD boot kernel
    (images/pxeboot/vmlinuz, isolinux/vmlinuz), which is never the xen one.

    Why: "You must install the kernel-xen package to use para-virtualization" (§8.1,
    line 946; also 898). "Attempting to boot any kernel other than the Xen kernel as a
    para-virtualized guest" fails with Error: (22, 'Invalid argument') (§35.6, lines
    6090-6098); the fix is to make kernel-xen the guest's default grub entry.

    Contradiction C-22: the Chinese sentence at line 6089 says the opposite ("a
    para-virtualized guest cannot use the kernel-xen kernel; use the standard kernel"),
    but the English text right after it (6090, 6097: the correct entry is
    vmlinuz-...el5xen) and §8.1 require kernel-xen. virtc follows the English text and
    §8.1.

    Example:
        type xen-pv; os-kernel 2.6.18-308.el5 variant PAE

    Fix: install kernel-xen in the guest, make it the default entry, and write
    `os-kernel 2.6.18-308.el5 variant xen`.
    """

    code, name, severity = "VG102", "pv-kernel-xen", Severity.ERROR
    guest_types = ("xen-pv",)
    checklist, section, lines = ("GOS-02",), "§35.6", "898, 946, 6089-6098"

    def guest(self, g: Guest):
        if g.type != "xen-pv":
            return
        if g.kernel_variant and g.kernel_variant.lower() != "xen":
            yield self.report(f"PV guest {g.name} runs the {g.kernel_variant} kernel variant; a "
                              "para-virtualized guest must boot kernel-xen", span_of(g, "os-kernel"),
                              g.owner, hint="install kernel-xen in the guest, make it grub's default "
                                                 "and write `variant xen`")
        if (g.boot.kernel and kernels.is_linux_image(g.boot.kernel) and not is_xen_kernel(g.boot.kernel)
                and not kernels.runs_pv_on_its_own(g.boot.kernel) and kernels.named_for_its_kernel(g.boot.kernel)):
            yield self.report(f"PV guest {g.name} boots {g.boot.kernel}, which is not a kernel-xen kernel "
                              "(Error: (22, 'Invalid argument'))", span_of(g, "kernel"), g.owner,
                              hint="boot the guest's vmlinuz-...xen, or use `bootloader pygrub`")


class PvNeedsPae(Rule):
    """A 32-bit para-virtualized guest runs a PAE kernel; non-PAE guests must be HVM.

    What it checks: a `xen-pv` guest with `arch i686` (or the arch of an i686 host)
    without `pae`.

    Why: "The Xen hypervisor presently only supports PAE and 64 bit para-virtualized
    guest kernels" (§35.7, line 6105; error "wrong kernel image: non-PAE kernel on a PAE",
    lines 5959-5960). "If you need to run a 32 bit or non-PAE kernel you will need to run
    your guest as a fully-virtualized virtual machine" (line 6118; also 5977).

    Example:
        type xen-pv; arch i686

    Fix: `arch i686 pae` (a PAE kernel-xen), or `type xen-hvm` for a non-PAE kernel.
    """

    code, name, severity = "VG103", "pv-needs-pae", Severity.ERROR
    guest_types = ("xen-pv",)
    checklist, section, lines = ("GOS-03", "GOS-04"), "§35.7", "5959-5960, 5977, 6105, 6118"

    def guest(self, g: Guest):
        if g.type == "xen-pv" and g.arch == "i686" and not g.pae:
            yield self.report(f"PV guest {g.name} is 32-bit without PAE; the Xen hypervisor runs only PAE "
                              "and 64-bit PV kernels", span_of(g, "arch", "os", "type"), g.owner,
                              hint="write `arch i686 pae`, or make it fully virtualized (type xen-hvm)")


class PvArchMatchesHost(Rule):
    """A para-virtualized guest has the same architecture as its hypervisor.

    What it checks: a `xen-pv` guest whose arch differs from its host's: a 32-bit (PAE)
    guest on an x86_64 host, or a 64-bit guest on an i686 host.

    Why: "A para-virtualized guest must match the architecture type of your hypervisor.
    To run a 32-bit PAE guest you need a 32-bit PAE hypervisor. To run a 64-bit
    para-virtualized guest your hypervisor must be 64-bit too" (§35.7, lines 6119-6120);
    "a 64-bit hypervisor only supports 64-bit para-virtualized guests" (§34.13, line 5977).

    Contradiction C-67 (not a real one, easily confused): a 64-bit host does run 32-bit
    guests with the PV drivers (§12, lines 1795-1798, 1834), but those are fully
    virtualized guests. This rule keys on the guest type: only `xen-pv` guests must
    match.

    Example:
        host xen1 { hypervisor xen; arch x86_64 ... }
        guest old on xen1 { type xen-pv; arch i686 pae; memory 1G }

    Fix: install the guest's x86_64 kernel-xen, or run it fully virtualized
    (`type xen-hvm`, with `pv-drivers` for speed).
    """

    code, name, severity = "VG104", "pv-arch-matches-host", Severity.ERROR
    facts = ("arch",)  # a host whose files do not say is only taken for x86_64
    guest_types = ("xen-pv",)
    checklist, section, lines = ("GOS-05", "GOS-22"), "§35.7", "1795-1798, 1834, 5977, 6119-6120"

    def guest(self, g: Guest):
        if g.type != "xen-pv":
            return
        h = self.ctx.host_of(g)
        if g.arch == h.arch:
            return
        if h.arch == "x86_64":
            why = "a 64-bit hypervisor runs only 64-bit PV guests"
            hint = "use the guest's x86_64 kernel-xen, or `type xen-hvm` (32-bit HVM guests run on 64-bit hosts)"
        else:
            why = "a para-virtualized guest must match its hypervisor's architecture"
            hint = f"run the guest on an {g.arch} Xen host, or install its {h.arch} kernel-xen"
        yield self.report(f"PV guest {g.name} is {g.arch} but host {h.name} is {h.arch}; {why}",
                          span_of(g, "arch", "os", "type"), g.owner, hint=hint,
                          related=host_related(h, "arch", f"host {h.name} is {h.arch}"))


class HvmNeeds64BitHost(Rule):
    """A 64-bit fully virtualized guest needs a 64-bit hypervisor.

    What it checks: an x86_64 `xen-hvm` or `kvm` guest on an i686 host.

    Why: "To run a 64-bit fully virtualized guest your hypervisor must also be 64-bit"
    (§35.7, line 6122; §34.13, line 5977). 32-bit guests, PAE or not, run on 32-bit and
    64-bit hypervisors alike (line 6121), so those pass. The guide states this for Xen;
    a 32-bit host cannot run 64-bit KVM guests either.

    Example:
        host x32 { hypervisor xen; arch i686 ... }
        guest w on x32 { type xen-hvm; os win2008 x86_64; memory 2G }

    Fix: run the guest on an x86_64 host, or install the guest's 32-bit release.
    """

    code, name, severity = "VG105", "hvm-64bit-needs-64bit-host", Severity.ERROR
    guest_types = ("xen-hvm", "kvm")
    checklist, section, lines = ("GOS-06", "GOS-07"), "§35.7", "5977, 6121-6122"

    def guest(self, g: Guest):
        if not g.is_hvm or g.arch != "x86_64":
            return
        h = self.ctx.host_of(g)
        if h.arch == "i686":
            yield self.report(f"guest {g.name} is a 64-bit fully virtualized guest on the 32-bit host {h.name}",
                              span_of(g, "arch", "os"), g.owner,
                              related=host_related(h, "arch", f"host {h.name} is i686"),
                              hint="place it on an x86_64 host, or use the guest's 32-bit (i686) release")


class HvmPaeFeature(Rule):
    """A fully virtualized Xen guest with a PAE or 64-bit OS has the pae feature on.

    What it checks: a `xen-hvm` guest that is x86_64 or `i686 pae` but whose `features`
    leave out pae (xm `pae=0`, no libvirt `<pae/>`).

    Why: a 64-bit HVM guest moved to a RHEL 5 host fails with "Your CPU does not support
    long mode. Use a 32 bit distribution"; "This problem is caused by a missing or
    incorrect pae setting. Ensure you have an entry pae=1 in your guest's configuration
    file" (§35.8, line 6126; §34.13, line 5978).

    Example:
        type xen-hvm; os rhel5.8 x86_64; features acpi apic

    Fix: `features acpi apic pae` (or leave `features` out: pae is on by default).
    """

    code, name, severity = "VG106", "hvm-pae-feature", Severity.WARNING
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("GOS-08",), "§35.8", "5978, 6124-6126"

    def guest(self, g: Guest):
        if g.type == "xen-hvm" and g.pae and g.arch in ("i686", "x86_64") and "pae" not in g.features \
                and rhel5_defaults(self.ctx, g):
            stated = g.fields.get("arch") is not None or g.os is not None
            kind = ("64-bit" if g.arch == "x86_64" else "PAE") if stated else "a 64-bit or PAE OS in"
            yield self.report(f"{kind} HVM guest {g.name} has pae off (pae=0, xend's default); it fails with "
                              "\"Your CPU does not support long mode\"", span_of(g, "features"), g.owner,
                              hint=f"features {' '.join(g.features + ('pae',))} (xm: pae = 1)")

"""Guest OS, architecture and driver rules (checklist area GOS).

Release numbers ("5.8", "4.6") are compared as tuples of integers (`below`); a release
written without its update level ("rhel5") cannot be compared with "5.1" and is not
judged. Every release threshold comes from schemas/limits.json.
"""
from __future__ import annotations

import posixpath
import re
from collections import defaultdict

from ..diagnostics import Related, Severity
from ..model import Guest, Host
from ..source import Span
from .base import Rule, Scope
from .storage import boot_disk

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "GOS-11": "operational: choosing the HAL (F5 during Windows XP / 2003 setup) is a step of the installation",
    "GOS-19": "no field: the packages installed inside a guest (kmod-xenpv, modules-init-tools, modversions); "
              "would need a guest `packages NAME...` statement",
    "GOS-20": "no field: free space in the guest's /lib file system; would need a guest `free-disk /lib SIZE` statement",
    "GOS-27": "no field: which kmod-xenpv package (UP, SMP, hugemem, arch) is installed in the guest; would need "
              "a guest `packages` statement to compare with `os-kernel ... variant`",
    "GOS-30": "operational: the PV drivers are installed after the guest OS, inside the running guest",
    "GOS-34": "emitter: which virtio-win files (RHEV-Block.msi, viostor.vfd) to attach during a Windows install",
    "GOS-35": "no field: the virtio-win network driver's TCP option (0-3); would need a NIC `tcp-option N` setting",
    "GOS-39": "emitter: virtc always writes <domain type='kvm'> (hardware-assisted), never type='qemu'; a KVM "
              "host without vmx/svm is the host area's rule (HOST-04)",
    "GOS-43": "explain: Hyper-V certification of RHEL 5 guests; virtc describes Xen and KVM hosts only",
    "GOS-44": "emitter: the guest-side check that the four PV modules loaded (lsmod, /var/log/messages)",
    "GOS-45": "no field: the Xen ABI a PV guest kernel was built for (Xen 3.0 vs 2.0); would need an "
              "`os-kernel ... xen-abi 3.0` attribute",
}

_NUMERIC = re.compile(r"^[0-9]+(\.[0-9]+)*$")
# Words that start an RHEL 3 / 4 / 5 kernel variant name that already names the CPU
# family (table 12.1): `variant athlon-SMP` is complete, `variant smp` needs the arch.
_ARCH_WORDS = ("athlon", "i32e", "ia32e", "i386", "i686", "x86_64", "ia64")


# -- helpers shared with timekeeping.py ------------------------------------------------

def release_tuple(text: str | None) -> tuple[int, ...] | None:
    """'5.8' -> (5, 8); 'xp', '2008r2' or None -> None."""
    if not text or not _NUMERIC.match(text):
        return None
    return tuple(int(x) for x in text.split("."))


def below(release: str | None, minimum: str) -> bool | None:
    """release < minimum; None when either is not a number or the release lacks the
    update level the comparison needs ('5' against '5.1')."""
    r, m = release_tuple(release), release_tuple(minimum)
    if r is None or m is None:
        return None
    if len(r) < len(m) and r == m[:len(r)]:
        return None
    return r < m


def major(release: str | None) -> int | None:
    r = release_tuple(release)
    return r[0] if r else None


def rhel_release(g: Guest) -> str | None:
    """The RHEL release of a RHEL guest ('5.8'), else None."""
    if g.os and g.os.family == "rhel" and g.os.release:
        return g.os.release
    return None


def kernel_tuple(text: str) -> tuple[int, ...]:
    """'2.4.21-60.EL' -> (2, 4, 21, 60)."""
    return tuple(int(x) for x in re.findall(r"[0-9]+", text))


def span_of(g: Guest, *keys: str) -> Span:
    """The span of the first of these guest statements that was written, else the guest."""
    for k in keys:
        s = g.fields.get(k)
        if s is not None:
            return s
    return g.span


def host_span(h: Host, *keys: str) -> Span:
    for k in keys:
        s = h.fields.get(k)
        if s is not None:
            return s
    return h.span


def cmdline_tokens(g: Guest) -> list[str]:
    return (g.boot.cmdline or "").split()


def has_arg(tokens: list[str], wanted: str) -> bool:
    """Whether a kernel argument is present; 'lpj=n' (the guide's placeholder) matches
    lpj= with any number."""
    key, eq, value = wanted.partition("=")
    if eq and value == "n":
        return any(t.startswith(key + "=") and t[len(key) + 1:].isdigit() for t in tokens)
    return wanted in tokens


def kernel_flavour(g: Guest) -> str:
    """The kernel name of table 12.1: 'i686-SMP', 'athlon', 'x86_64-LARGESMP' ..."""
    v = g.kernel_variant
    if not v:
        return g.arch
    if v.lower().split("-")[0] in _ARCH_WORDS:
        return v
    return f"{g.arch}-{v}"


def is_xen_kernel(path: str) -> bool:
    """A kernel-xen image: vmlinuz-2.6.18-308.el5xen, or an install tree's images/xen/vmlinuz."""
    path = path.lower()
    return "xen" in posixpath.basename(path) or posixpath.basename(posixpath.dirname(path)) == "xen"


def virtio_devices(g: Guest) -> list[tuple[Span, str, str]]:
    """(span, path, label) of each virtio disk and NIC of a guest."""
    out = [(d.span, d.owner, f"disk {d.target}") for d in g.disks if d.bus == "virtio"]
    out += [(n.span, n.owner, f"NIC {n.index}") for n in g.nics if n.model == "virtio"]
    return out


def uses_pv_io(g: Guest) -> bool:
    """Para-virtualized I/O: a PV guest, an HVM guest with PV drivers, a KVM guest with virtio."""
    if g.type == "xen-pv" or g.pv_drivers:
        return True
    return g.type == "kvm" and bool(virtio_devices(g))


def _host_related(h: Host, key: str, text: str) -> tuple[Related, ...]:
    return (Related(host_span(h, key), text),)


_HYPERVISOR_NAMES = {"xen": "Xen", "kvm": "KVM"}


# -- para-virtualization and architectures ---------------------------------------------

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
        related = _host_related(h, "hypervisor", f"host {h.name} runs KVM")
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
    variant than xen, or whose directly booted `kernel` file is not a xen kernel
    (vmlinuz-...xen, or an install tree's images/xen/vmlinuz).

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
    checklist, section, lines = ("GOS-02",), "§35.6", "898, 946, 6089-6098"

    def guest(self, g: Guest):
        if g.type != "xen-pv":
            return
        if g.kernel_variant and g.kernel_variant.lower() != "xen":
            yield self.report(f"PV guest {g.name} runs the {g.kernel_variant} kernel variant; a "
                              "para-virtualized guest must boot kernel-xen", span_of(g, "os-kernel"),
                              g.owner, hint="install kernel-xen in the guest, make it grub's default "
                                                 "and write `variant xen`")
        if g.boot.kernel and not is_xen_kernel(g.boot.kernel):
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
                          related=_host_related(h, "arch", f"host {h.name} is {h.arch}"))


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
    checklist, section, lines = ("GOS-06", "GOS-07"), "§35.7", "5977, 6121-6122"

    def guest(self, g: Guest):
        if not g.is_hvm or g.arch != "x86_64":
            return
        h = self.ctx.host_of(g)
        if h.arch == "i686":
            yield self.report(f"guest {g.name} is a 64-bit fully virtualized guest on the 32-bit host {h.name}",
                              span_of(g, "arch", "os"), g.owner,
                              related=_host_related(h, "arch", f"host {h.name} is i686"),
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
    checklist, section, lines = ("GOS-08",), "§35.8", "5978, 6124-6126"

    def guest(self, g: Guest):
        if g.type == "xen-hvm" and g.pae and g.arch in ("i686", "x86_64") and "pae" not in g.features:
            kind = "64-bit" if g.arch == "x86_64" else "PAE"
            yield self.report(f"{kind} HVM guest {g.name} has pae off (pae=0); it fails with \"Your CPU does "
                              "not support long mode\"", span_of(g, "features"), g.owner,
                              hint=f"features {' '.join(g.features + ('pae',))}")


# -- Windows -------------------------------------------------------------------------

class WindowsFullyVirtualized(Rule):
    """Windows guests are fully virtualized.

    What it checks: a guest whose OS is Windows declared `type xen-pv`.

    Why: "Windows can only be installed using full virtualization" (§8.3, line 1077):
    Windows has no Xen para-virtualized kernel.

    Example:
        type xen-pv; os win2003

    Fix: `type xen-hvm` (the host needs vmx or svm), or `type kvm` on a KVM host.
    """

    code, name, severity = "VG107", "windows-fully-virtualized", Severity.ERROR
    checklist, section, lines = ("GOS-09",), "§8.3", "1077"

    def guest(self, g: Guest):
        if g.type == "xen-pv" and g.os and g.os.family == "windows":
            yield self.report(f"Windows guest {g.name} is declared para-virtualized; Windows only runs fully "
                              "virtualized", span_of(g, "type"), g.owner,
                              related=(Related(span_of(g, "os"), f"guest OS {g.os.name}"),),
                              hint="write `type xen-hvm`")


class WindowsOnItanium(Rule):
    """Itanium hosts do not run fully virtualized Windows guests.

    What it checks: a Windows guest on an ia64 host (or declared ia64).

    Why: §8.4: "Red Hat Enterprise Linux hosts on the Itanium architecture do not
    support fully virtualized Windows guests. This section applies to x86 and x86-64
    hosts only" (lines 1128-1130). §8.3 says the same of Windows XP, then: "only Windows
    Server 2003 built for Itanium systems can run on this architecture" (lines
    1065-1067).

    Contradiction C-10: 1067 allows Windows Server 2003 for Itanium, 1130 allows no
    Windows at all. The unambiguous part (no other Windows) is an error; Windows Server
    2003 on Itanium gets the stricter reading as a warning.

    Example:
        host ipf { hypervisor xen; arch ia64 ... }
        guest w on ipf { type xen-hvm; os winxp; memory 1G }

    Fix: run Windows guests on an x86 or x86_64 host.
    """

    code, name, severity = "VG108", "windows-on-itanium", Severity.ERROR
    checklist, section, lines = ("GOS-10",), "§8.4", "1065-1067, 1128-1130"
    uses = ("windows.itanium_exception",)

    def guest(self, g: Guest):
        if not g.os or g.os.family != "windows":
            return
        h = self.ctx.host_of(g)
        if h.arch != "ia64" and g.arch != "ia64":
            return
        exceptions = self.limit("windows.itanium_exception")
        related = _host_related(h, "arch", f"host {h.name} is {h.arch}")
        if g.os.release in exceptions.value:
            yield self.report(f"Windows {g.os.release} guest {g.name} on the Itanium host {h.name}: only Windows "
                              "Server 2003 for Itanium may run there, and §8.4 says no Windows at all",
                              span_of(g, "os"), g.owner, severity=Severity.WARNING, related=related,
                              limit=exceptions, hint="prefer an x86_64 host for Windows guests")
        else:
            yield self.report(f"Windows guest {g.name} ({g.os.name}) on the Itanium host {h.name}; Itanium hosts "
                              "do not run fully virtualized Windows", span_of(g, "os"), g.owner,
                              related=related, hint="run Windows guests on an x86 or x86_64 host")


class WindowsLocalInstall(Rule):
    """Windows is installed from local media (an ISO image or a disc).

    What it checks: a Windows guest with `install url` (a network installation tree:
    error, Windows has none) or `install pxe` (warning: works only with a Windows network
    install service).

    Why: "For all Windows versions you must use local installation media, that is an ISO
    image or a physical disc. If you have a PXE server with Windows network installation
    set up, PXE can work" (§8.5, lines 1181-1182).

    Example:
        os win2008; install url "http://server/win2008/"

    Fix: `install cdrom` with the ISO attached as `cdrom hdc "/var/lib/libvirt/images/win.iso"`.
    """

    code, name, severity = "VG109", "windows-local-install", Severity.WARNING
    checklist, section, lines = ("GOS-12",), "§8.5", "1181-1182"

    def guest(self, g: Guest):
        if not g.os or g.os.family != "windows" or not g.install:
            return
        hint = "install from the ISO: `install cdrom` and `cdrom hdc \"/var/lib/libvirt/images/win.iso\"`"
        if g.install.method == "url":
            yield self.report(f"Windows guest {g.name} is installed from a network tree; Windows is installed "
                              "from local media (ISO or disc)", span_of(g, "install"), g.owner,
                              severity=Severity.ERROR, hint=hint)
        elif g.install.method == "pxe":
            yield self.report(f"Windows guest {g.name} is installed over PXE, which needs a Windows network "
                              "installation service", span_of(g, "install"), g.owner, hint=hint)


# -- installation ----------------------------------------------------------------------

class PvNetworkInstall(Rule):
    """A para-virtualized guest is installed from a network installation tree.

    What it checks: a `xen-pv` guest installed from a CD-ROM/ISO or over PXE, or from an
    `install url` that is not an HTTP, FTP or NFS address.

    Why: "Para-virtualized installation must be installed with a network installation
    tree. The installation tree must be accessible using one of the following network
    protocols: HTTP, FTP or NFS" (§7.2, lines 745-747; §1, line 412).

    Example:
        type xen-pv; install cdrom

    Fix: `install url "http://server/trees/RHEL5.8/os/"` (or ftp://, nfs:server:/path).
    """

    code, name, severity = "VG110", "pv-network-install", Severity.ERROR
    checklist, section, lines = ("GOS-13",), "§7.2", "412, 745-747"
    uses = ("xen.pv_install_protocols",)

    def guest(self, g: Guest):
        if g.type != "xen-pv" or not g.install:
            return
        protocols = self.limit("xen.pv_install_protocols")
        shown = ", ".join(p.upper() for p in protocols.value)
        hint = 'install url "http://server/trees/RHEL5/os/" (or ftp:// or nfs:server:/path)'
        if g.install.method in ("cdrom", "pxe"):
            yield self.report(f"PV guest {g.name} is installed from {g.install.method}; para-virtualized guests "
                              f"are installed from a network tree ({shown})", span_of(g, "install"),
                              g.owner, limit=protocols, hint=hint)
        elif g.install.method == "url" and g.install.source:
            m = re.match(r"^([a-z]+):", g.install.source.lower())
            if not m or m.group(1) not in protocols.value:
                yield self.report(f"PV guest {g.name} installs from {g.install.source}, which is not an "
                                  f"{shown} address", span_of(g, "install"), g.owner, limit=protocols,
                                  hint=hint)


class PxeInstallHostRelease(Rule):
    """Installing guests over PXE needs a RHEL 5.2 or newer host.

    What it checks: a guest with `install pxe` on a host whose `release` is older than
    5.2.

    Why: "Since Red Hat Enterprise Linux 5.2, installing guests with PXE is supported"
    (§8.3, line 1082).

    Example:
        host old { hypervisor xen; release 5.1 ... }
        guest n on old { type xen-hvm; install pxe; memory 1G }

    Fix: install from a network tree or an ISO, or update the host.
    """

    code, name, severity = "VG111", "pxe-install-host-release", Severity.WARNING
    facts = ("release",)
    checklist, section, lines = ("GOS-42",), "§8.3", "1082"
    uses = ("guest.pxe_install_min_host_release",)

    def guest(self, g: Guest):
        if not g.install or g.install.method != "pxe":
            return
        h = self.ctx.host_of(g)
        minimum = self.limit("guest.pxe_install_min_host_release")
        if below(h.release, minimum.value):
            yield self.report(f"guest {g.name} installs over PXE on host {h.name} (RHEL {h.release}); PXE "
                              f"installs are supported from RHEL {minimum.value}", span_of(g, "install"),
                              g.owner, limit=minimum,
                              related=_host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
                              hint="install from a network tree (install url) or an ISO, or update the host")


# -- hypervisors -----------------------------------------------------------------------

class CreatedOnOtherHypervisor(Rule):
    """A guest runs on the hypervisor it was created on.

    What it checks: a guest with `created-on xen|kvm` placed on a host that runs the
    other hypervisor.

    Why: "There is presently no support for converting Xen-based guests to KVM or
    KVM-based guests to Xen. Guests can only be supported on the hypervisor type on which
    they were created" (§5.1, lines 470-471; §32.2, line 4908).

    Example:
        guest old on kvm1 { created-on xen; memory 1G }

    Fix: reinstall the guest on the new hypervisor, or keep it on a host of the
    hypervisor it was created on.
    """

    code, name, severity = "VG112", "created-on-other-hypervisor", Severity.ERROR
    checklist, section, lines = ("GOS-14",), "§5.1", "470-471, 4906-4908"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        if g.created_on and g.created_on != h.hypervisor:
            yield self.report(f"guest {g.name} was created on {_HYPERVISOR_NAMES[g.created_on]} but runs on the "
                              f"{_HYPERVISOR_NAMES[h.hypervisor]} host {h.name}; converting guests between Xen "
                              "and KVM is not supported",
                              span_of(g, "created-on"), g.owner,
                              related=_host_related(h, "hypervisor", f"host {h.name} runs {h.hypervisor}"),
                              hint=f"reinstall the guest on {h.hypervisor}, or place it on a {g.created_on} host")


class OneHypervisorPerHost(Rule):
    """A host runs the guests of one hypervisor: the one it boots.

    What it checks: guests whose type belongs to the other hypervisor than their host's
    (`type xen-hvm` on a KVM host, `type kvm` on a Xen host), with the host's other
    guests as related places. (`xen-pv` on a KVM host is VG101.)

    Why: "Both hypervisors can be installed on one system ... Because each hypervisor
    uses a different kernel, only one hypervisor can run at any time. Red Hat recommends
    installing only the hypervisor you intend to use" (§6, line 569; §32.2, line 4904).

    Example:
        guest w on kvm1 { type xen-hvm; memory 1G }

    Fix: move the guest to a host of its hypervisor, or change its type.
    """

    code, name, severity = "VG113", "one-hypervisor-per-host", Severity.ERROR
    checklist, section, lines = ("GOS-15",), "§6", "569, 4904"
    scope = Scope.HOST

    def host(self, h: Host, guests: list[Guest]):
        by_family: dict[str, list[Guest]] = defaultdict(list)
        for g in guests:
            by_family["xen" if g.is_xen else "kvm"].append(g)
        own = by_family.get(h.hypervisor, [])
        for family, members in by_family.items():
            if family == h.hypervisor:
                continue
            for g in members:
                if g.type == "xen-pv" and h.hypervisor == "kvm":
                    continue  # VG101
                related = list(_host_related(h, "hypervisor", f"host {h.name} boots {h.hypervisor}"))
                if own:
                    related.append(Related(own[0].span, f"{own[0].name} is a {h.hypervisor} guest of the same host"))
                yield self.report(f"guest {g.name} is a {_HYPERVISOR_NAMES[family]} guest ({g.type}) but host "
                                  f"{h.name} boots {_HYPERVISOR_NAMES[h.hypervisor]}; only one hypervisor runs at "
                                  "a time",
                                  span_of(g, "type"), g.owner, related=related,
                                  hint=f"move {g.name} to a {family} host, or change its type")


# -- Xen para-virtualized drivers on HVM guests ------------------------------------------

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
                              related=_host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
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
                              limit=table, related=_host_related(h, "arch", f"host {h.name} is {h.arch}"),
                              hint=f"run the guest on an {need['host']} host, or install its {h.arch} kernel "
                                   "and matching PV driver RPM")
        elif g.kernel_variant and h.cpu.vendor and h.cpu.vendor != need["vendor"]:
            yield self.report(f"RHEL 3 guest {g.name} runs the {flavour} kernel, built for {need['vendor']} "
                              f"processors, on the {h.cpu.vendor} host {h.name}", span, g.owner,
                              limit=table, related=_host_related(h, "cpu", f"host {h.name} has {h.cpu.vendor} CPUs"),
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
                              related=_host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
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


# -- KVM virtio drivers -------------------------------------------------------------------

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
                              related=_host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
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


# -- applications and services ----------------------------------------------------------

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
    checklist, section, lines = ("GOS-37",), "§5.4", "552-556"

    def guest(self, g: Guest):
        for role in g.roles:
            if role in ("kdump-server", "netdump-server"):
                yield self.report(f"guest {g.name} has the role {role}; the guide advises against running "
                                  "dump servers in guests (high I/O)", span_of(g, "role"), g.owner,
                                  hint="run the dump server on a physical machine")


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
    checklist, section, lines = ("GOS-40", "GOS-41"), "§35.10", "5536-5540, 6140-6147"

    def guest(self, g: Guest):
        why = {"microcode_ctl": "virtual CPUs take no microcode updates",
               "smartd": "virtual disks have no SMART data; the host watches the physical disks"}
        found = [s for s in g.services_on if s in why]
        if found:
            yield self.report(f"guest {g.name} enables {' and '.join(found)}: "
                              f"{'; '.join(why[s] for s in found)}", span_of(g, "services"), g.owner,
                              hint=f"services off {' '.join(found)}")

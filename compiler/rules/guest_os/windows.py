"""Windows guests: fully virtualized, not on Itanium, installed from local media."""
from __future__ import annotations

from ...diagnostics import Related, Severity
from ...model import Guest
from ..base import Rule
from .common import host_related, span_of


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
    guest_types = ("xen-pv",)
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
        related = host_related(h, "arch", f"host {h.name} is {h.arch}")
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
    when = ("install",)
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

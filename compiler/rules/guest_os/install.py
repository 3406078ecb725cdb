"""Installing guests: para-virtualized guests from a network tree, PXE from RHEL 5.2 hosts on."""
from __future__ import annotations

import re

from ...diagnostics import Severity
from ...model import Guest
from ..base import Rule
from .common import below, host_related, span_of


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
    when = ("install",)
    guest_types = ("xen-pv",)
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
    when = ("install",)
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
                              related=host_related(h, "release", f"host {h.name} is RHEL {h.release}"),
                              hint="install from a network tree (install url) or an ISO, or update the host")

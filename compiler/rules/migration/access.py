"""How peers reach each other: the firewall lets migrations in, NFS exports of guest
images, and KVM's migration URI."""
from __future__ import annotations

from typing import Iterable
from urllib.parse import urlparse

from ...diagnostics import Related, Severity
from ...numbers import port_range
from ..base import Rule, Scope
from .common import anchor, cached, field_span, group_members, relocation_on, under
from .relocation import relocation_port


def _tcp_ranges(opened: Iterable[str]) -> list[tuple[int, int]]:
    out = []
    for item in opened:
        ports, _, proto = item.partition("/")
        if proto != "tcp":
            continue
        span = port_range(ports)  # None past bounds.py's port: it opens nothing
        if span is not None:
            out.append(span)
    return out


def _covered(ranges: list[tuple[int, int]], first: int, last: int) -> bool:
    """Whether the union of ranges covers first..last."""
    at = first
    for a, b in sorted(ranges):
        if a > at:
            break
        at = max(at, b + 1)
    return at > last


class MigrationFirewallClosed(Rule):
    """The host firewall lets migrations in: 8002/tcp for Xen, 49152-49216/tcp for KVM.

    What it checks: a host of a migration group with a declared `firewall` that is on,
    whose policy is not accept, and that does not open the migration ports: the Xen
    relocation port (8002 unless changed, see VL115), or the whole KVM range
    49152-49216/tcp.

    Why: "Both systems must have the correct ports open" (§21.1, line 3430); "Port 8002
    is used by Xen for live migration. Ports 49152 to 49216 are used for migrations with
    KVM. Migration may use any port in this range depending on the number of concurrent
    migrations occurring" (§18.4, lines 3016-3017).

    Example:
        host kvm1 { hypervisor kvm; migration peers kvm2; firewall open 22/tcp policy drop }

    Fix: `firewall open 22/tcp 49152-49216/tcp ...` (KVM) or `... 8002/tcp` (Xen).
    """

    code, name, severity = "VL119", "migration-firewall-closed", Severity.ERROR
    checklist, section, lines = ("MIG-10",), "§18.4", "3016-3017, 3430"
    scope = Scope.FLEET
    uses = ("migration.kvm_ports", "migration.xen_relocation_port")

    def fleet(self):
        kvm = self.limit("migration.kvm_ports")
        xen = self.limit("migration.xen_relocation_port")
        first, last = kvm.value[0], kvm.value[-1]
        for h in group_members(self.ctx):
            fw = h.firewall
            if fw is None or fw.enabled is False or fw.policy == "accept":
                continue
            ranges = _tcp_ranges(fw.open)
            if h.hypervisor == "kvm":
                if not _covered(ranges, first, last):
                    yield self.report(f"the firewall of KVM host {h.name} does not open {first}-{last}/tcp, "
                                      "the ports KVM migrations arrive on", fw.span, h.owner, limit=kvm,
                                      related=(Related(anchor(h), "migration set up here"),),
                                      hint=f"add `open {first}-{last}/tcp` to the firewall statement")
            elif relocation_on(h):
                port, _ = relocation_port(h, xen.value)
                if port is not None and not _covered(ranges, port, port):
                    yield self.report(f"the firewall of Xen host {h.name} does not open {port}/tcp, its "
                                      "relocation port", fw.span, h.owner, limit=xen,
                                      related=(Related(anchor(h), "migration set up here"),),
                                      hint=f"add `open {port}/tcp` to the firewall statement")


class NfsExportVarLibXen(Rule):
    """/var/lib/xen is never exported over NFS.

    What it checks: an `export` of /var/lib/xen or of a directory that contains it (/,
    /var, /var/lib), an error; an export of a directory inside it, a warning.

    Why: "If you export the default /var/lib/libvirt/images/ directory, make sure you
    export ONLY /var/lib/libvirt/images/ and NOT /var/lib/xen/, because that directory is
    used by the xend daemon and other tools. Sharing /var/lib/xen/ may cause unpredictable
    problems" (§20.1, lines 3128-3132).

    Example:
        export "/var/lib" to "*.example.com" options "rw,no_root_squash,async"

    Fix: export /var/lib/libvirt/images (or another image directory) only.
    """

    code, name, severity = "VL120", "nfs-export-var-lib-xen", Severity.ERROR
    checklist, section, lines = ("MIG-21",), "§20.1", "3128-3132"
    scope = Scope.HOST
    when = ("exports",)
    uses = ("migration.export_forbidden_dirs",)

    def host(self, h, guests):
        forbidden = self.limit("migration.export_forbidden_dirs")
        for e in h.exports:
            for d in forbidden.value:
                if under(d, e.path):
                    yield self.report(f"host {h.name} exports {e.path}, which shares {d}, the directory xend "
                                      "uses", e.span, h.owner, limit=forbidden,
                                      hint="export only the image directory (/var/lib/libvirt/images)")
                elif under(e.path, d):
                    yield self.report(f"host {h.name} exports {e.path}, inside {d}, the directory xend uses",
                                      e.span, h.owner, limit=forbidden, severity=Severity.WARNING,
                                      hint="keep shared images in /var/lib/libvirt/images")


def _nfs_source(source: str) -> tuple[str, str]:
    """"nfs1.example.com:/images" -> ("nfs1", "/images"): the server's short name and the path."""
    server, _, path = source.partition(":")
    return server.split(".")[0], path.rstrip("/")


class NfsExportOptions(Rule):
    """An NFS export of guest images is read-write, keeps root, and is limited to the peers.

    What it checks: an `export` of an image directory (the host's `images` directories,
    /var/lib/libvirt/images, or a directory another host mounts with `shared ... from
    "HOST:DIR"`): its options must include rw and no_root_squash; its clients should not
    be `*` (every host); and the host should not turn the `nfs` service off.

    Why: the guide exports "/var/lib/libvirt/images *.example.com(rw,no_root_squash,async)"
    and says "change the host parameter to suit your environment" (§21.2, lines
    3440-3445; §20.1, lines 3131-3132); "open the NFS ports in iptables and add NFS to
    /etc/hosts.allow", then "service nfs start" (lines 3451-3453). Without rw the
    destination cannot write the image; with root squashing qemu and xend (running as
    root) lose access to it.

    Example:
        export "/var/lib/libvirt/images" to "*" options "ro"

    Fix: `export "/var/lib/libvirt/images" to "*.example.com" options
    "rw,no_root_squash,async"`.
    """

    code, name, severity = "VL121", "nfs-export-options", Severity.WARNING
    checklist, section, lines = ("MIG-22",), "§21.2", "3131-3132, 3440-3453"
    scope = Scope.HOST
    when = ("exports",)
    uses = ("migration.nfs_export_options",)

    def host(self, h, guests):
        table = self.limit("migration.nfs_export_options")
        mounted = cached(self.ctx, "nfs_sources", lambda: {_nfs_source(s.source) for x in self.ctx.model.hosts
                                                            for s in x.shared})
        image_dirs = [i.path for i in h.image_dirs] + [table.value["images"]]
        nfs_off_reported = False
        for e in h.exports:
            if not (any(under(i, e.path) for i in image_dirs) or (h.name, e.path.rstrip("/")) in mounted):
                continue
                continue
            opts = {o.strip() for o in (e.options or "").split(",") if o.strip()}
            missing = [o for o in table.value["required"] if o not in opts]
            if missing:
                yield self.report(f"NFS export {e.path} of host {h.name} lacks {', '.join(missing)}; shared "
                                  "guest images need read-write access for root", e.span, h.owner,
                                  limit=table, hint=f'options "{",".join(sorted(opts | set(missing)))}"')
            if e.clients.strip() == "*":
                yield self.report(f"NFS export {e.path} of host {h.name} is open to every host ('*')", e.span,
                                  h.owner, limit=table,
                                  hint="restrict it to the migration hosts, e.g. \"*.example.com\"")
            if "nfs" in h.services_off and not nfs_off_reported:
                nfs_off_reported = True
                yield self.report(f"host {h.name} exports {e.path} but turns the nfs service off", e.span,
                                  h.owner, related=(Related(field_span(h, "services"), "services"),),
                                  hint="`services on nfs`")


class KvmMigrationUri(Rule):
    """A KVM migration destination is addressed with the /system URI.

    What it checks: a KVM host of a migration group whose `uri` is a qemu URI without the
    /system path (a /session URI or none).

    Why: "Append /system to the end of the destination URL to tell libvirt that you need
    full access", as in `virsh migrate --live RHEL4test qemu+ssh://test2.example.com/system`
    (§21.3, lines 3485-3486; §25, lines 4250-4253).

    Example:
        host kvm2 { hypervisor kvm; uri "qemu+ssh://kvm2.example.com/" }

    Fix: `uri "qemu+ssh://kvm2.example.com/system"`.
    """

    code, name, severity = "VL122", "kvm-migration-uri", Severity.WARNING
    checklist, section, lines = ("MIG-23",), "§21.3", "3465-3470, 3485-3486, 4250-4253"
    scope = Scope.FLEET

    def fleet(self):
        for h in group_members(self.ctx):
            if h.hypervisor != "kvm" or not h.uri:
                continue
            u = urlparse(h.uri)
            if u.scheme.startswith("qemu") and u.path.rstrip("/") != "/system":
                fixed = f"{u.scheme}://{u.netloc}/system"
                yield self.report(f"KVM host {h.name} is reached as {h.uri}; migrations to it need the /system "
                                  "URI for full access", field_span(h, "uri"), h.owner,
                                  hint=f'uri "{fixed}"')

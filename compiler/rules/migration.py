"""Migration rules (checklist area MIG): migration groups, shared storage, relocation.

A *migration group* is a host with a `migration` statement and its `peers`, taken
transitively (a guest that can go from a to b and from b to c needs all three to agree),
found with a union-find over the peer lists. Guests of a host with peers are migratable
unless they say `migratable off`. Fleet rules index each group by the value that must
agree (release, hypervisor, bridge names, mount points ...) and report the hosts that
differ from the group's most common value, with the other host's statement as a related
span.

Which disks count as shared storage (MIG-01) is decided here once, in `disk_storage()`:
a path at or under a `shared` mount point of the guest's host; a SAN LUN by its
persistent name (`/dev/mpath/ALIAS` of a `multipath` alias, `/dev/NAME` of a udev `lun`,
any `/dev/mpath/...` name, which VU105 checks against the aliases); an iSCSI or Fibre
Channel LUN under `/dev/disk/by-path/` (the guide's §23.1.2 form), or a `/dev/disk/by-id/`
name on a host that uses SAN storage; a path under the target path of a
netfs, iscsi or scsi pool; and, on a host that uses SAN storage, a `/dev/sdX` device
(which VU101 warns about, since that name is not stable). Everything else (image files
in local directories, local logical volumes, local disks) is local.
"""
from __future__ import annotations

import ipaddress
import re
from collections import Counter, defaultdict
from typing import Callable, Iterable
from urllib.parse import urlparse

from ..diagnostics import Related, Severity
from ..model import Disk, Guest, Host, SharedStorage
from ..source import Span
from .base import Context, Rule, Scope
from ..values import is_number

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "MIG-20": "operational: restart xend (`service xend restart`, or reboot as §20.2 says) after "
              "changing the relocation settings",
    "MIG-24": "explain: a live migration that cannot converge under extreme load falls back to an "
              "offline migration (pause, copy, resume)",
    "MIG-25": "explain: offline migration time depends on bandwidth and latency (about ten seconds "
              "for a 2 GB guest over 1 Gbit Ethernet; the glossary says a few seconds, C-26)",
    "MIG-29": "operational: in the guide's Xen example the source host needs SSH access to the "
              "destination; that is a property of the hosts' accounts and keys",
}


# ---------------------------------------------------------------- shared helpers

def _cached(ctx: Context, key: str, build: Callable[[], object]):
    """A per-check index kept on the context (built once, shared by the rules)."""
    name = f"_migration_{key}"
    if not hasattr(ctx, name):
        setattr(ctx, name, build())
    return getattr(ctx, name)


def migration_groups(ctx: Context) -> dict[str, tuple[Host, ...]]:
    """Host name -> the hosts of its migration group (model order), for every host that
    has a `migration` statement or is named as a peer."""

    def build():
        parent: dict[str, str] = {}

        def find(x: str) -> str:
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for h in ctx.model.hosts:
            if h.migration:
                parent.setdefault(h.name, h.name)
                for p in h.migration.peers:
                    if p in ctx.hosts and p != h.name:
                        parent.setdefault(p, p)
                        parent[find(p)] = find(h.name)
        members: dict[str, list[Host]] = defaultdict(list)
        for h in ctx.model.hosts:
            if h.name in parent:
                members[find(h.name)].append(h)
        return {h.name: tuple(group) for group in members.values() for h in group}

    return _cached(ctx, "groups", build)


def group_list(ctx: Context) -> list[tuple[Host, ...]]:
    """Each migration group once, in model order of its first host."""
    seen, out = set(), []
    for group in migration_groups(ctx).values():
        if group[0].name not in seen:
            seen.add(group[0].name)
            out.append(group)
    return out


def peers_of(ctx: Context, h: Host) -> tuple[Host, ...]:
    """The other hosts of h's migration group."""
    return tuple(x for x in migration_groups(ctx).get(h.name, ()) if x.name != h.name)


def named_as_peer_by(ctx: Context) -> dict[str, Host]:
    """Host name -> the first host that lists it as a peer."""

    def build():
        out: dict[str, Host] = {}
        for h in ctx.model.hosts:
            if h.migration:
                for p in h.migration.peers:
                    out.setdefault(p, h)
        return out

    return _cached(ctx, "named_by", build)


def anchor(h: Host) -> Span:
    """Where a host takes part in migration: its `migration` statement, else the host."""
    return h.migration.span if h.migration else h.span


def field_span(h: Host, name: str) -> Span:
    return h.fields.get(name) or h.span


def differing(hosts: Iterable[Host], value: Callable[[Host], object]):
    """Hosts whose value differs from the group's most common one (ties: the first host's).

    Yields (host, its value, reference host, reference value); hosts whose value is None
    (not stated) are left out."""
    known = [(h, value(h)) for h in hosts]
    known = [(h, v) for h, v in known if v is not None]
    if len({v for _, v in known}) <= 1:
        return
    counts = Counter(v for _, v in known)
    first_at = {}
    for i, (_, v) in enumerate(known):
        first_at.setdefault(v, i)
    ref_value = max(counts, key=lambda v: (counts[v], -first_at[v]))
    ref_host = known[first_at[ref_value]][0]
    for h, v in known:
        if v != ref_value:
            yield h, v, ref_host, ref_value


def under(path: str, directory: str) -> bool:
    directory = directory.rstrip("/") or "/"
    return path == directory or path.startswith(directory if directory == "/" else directory + "/")


def xend_value(h: Host, name: str):
    """A setting for xend-config.sxp, written `xend xend-NAME VALUE` (or `xend NAME VALUE`)."""
    return h.setting("xend", f"xend-{name}") or h.setting("xend", name)


def uses_san(h: Host) -> bool:
    """The host uses external or network storage (FC or iSCSI LUNs)."""
    return bool(h.luns) or any(s.kind in ("iscsi", "fc") for s in h.shared) \
        or any(p.type in ("iscsi", "scsi") for p in h.pools)


_SD = re.compile(r"^/dev/sd[a-z]+[0-9]*$")


def disk_storage(h: Host, d: Disk, pool_types: Iterable[str] = ()) -> tuple[str, object]:
    """Where a disk lives: ("shared", SharedStorage), ("lun", Lun, alias name or by-id path),
    ("iscsi", path), ("pool", Pool), ("san-sd", path) or ("local", None). See the module
    docstring."""
    path = d.path or ""
    for s in h.shared:
        if under(path, s.path):
            return "shared", s
    if path.startswith("/dev/mpath/"):
        alias = path.removeprefix("/dev/mpath/")
        for lun in h.luns:
            if lun.kind == "multipath" and (alias == lun.name or re.fullmatch(re.escape(lun.name) + r"p[0-9]+", alias)):
                return "lun", lun
        return "lun", alias
    for lun in h.luns:
        if lun.kind == "udev" and (path == f"/dev/{lun.name}" or re.fullmatch(re.escape(f"/dev/{lun.name}") + r"[0-9]+", path)):
            return "lun", lun
    if path.startswith("/dev/disk/by-path/") and ("-iscsi-" in path or "-fc-" in path):
        return "iscsi", path
    if path.startswith("/dev/disk/by-id/") and uses_san(h):
        return "lun", path
    for p in h.pools:
        if p.type in pool_types and p.path and under(path, p.path):
            return "pool", p
    if _SD.match(path) and uses_san(h):
        return "san-sd", path
    return "local", None


def _release(text: str) -> tuple[int, ...]:
    return tuple(int(x) for x in text.split("."))


def _relocation_on(h: Host) -> bool:
    """Xen: the relocation server is on (a `migration` statement, unless xend says no)."""
    s = xend_value(h, "relocation-server")
    if s is not None:
        return s.value.lower() in ("yes", "on", "true", "1")
    return h.migration is not None


def _members(ctx: Context) -> Iterable[Host]:
    groups = migration_groups(ctx)
    return (h for h in ctx.model.hosts if h.name in groups)


# ---------------------------------------------------------------- host agreement

class MigrationReleaseMismatch(Rule):
    """Hosts that migrate guests between them run the same RHEL update level.

    What it checks: the `release` of every host of a migration group (a host, its
    `migration peers`, and theirs). Hosts that differ from the group's most common
    release are reported, with the other host's `release` as a related span.

    Why: migration needs "two (or more) systems with the same version and the same update
    of Red Hat Enterprise Linux" (§21.1, line 3429); the destination "must run the same
    version of Red Hat Enterprise Linux" (§21.3, line 3470; §25, lines 4255-4256).

    Example:
        host kvm1 { hypervisor kvm; release 5.8; migration peers kvm2 }
        host kvm2 { hypervisor kvm; release 5.4 }

    Fix: update the hosts to the same release before enabling migration between them.
    """

    code, name, severity = "VL101", "migration-release-mismatch", Severity.ERROR
    facts = ("release",)
    checklist, section, lines = ("MIG-05",), "§21.1", "3429, 3470, 4255-4256"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            for h, v, ref, rv in differing(group, lambda x: x.release):
                yield self.report(f"host {h.name} runs RHEL {v} but its migration peer {ref.name} runs "
                                  f"{rv}; migrating hosts run the same update level",
                                  field_span(h, "release"), h.owner,
                                  related=(Related(field_span(ref, "release"), f"{ref.name}: release {rv}"),),
                                  hint=f"update host {h.name} to RHEL {rv} (or all hosts of the group to one release)")


class MigrationHypervisorMismatch(Rule):
    """Hosts that migrate guests between them run the same hypervisor, in the same version.

    What it checks: the `hypervisor` of every host of a migration group (an error when
    they differ), and the host `kernel` version, which carries the hypervisor (kernel-xen
    or the kvm module), when it is stated on several hosts (a warning when it differs).

    Why: the destination needs "the same version of the hypervisor (KVM or Xen)" (§25,
    line 4257; §21.3, line 3470). A different hypervisor cannot take the guest at all; a
    different kernel errata level is a different hypervisor version, which the guide
    also excludes, but within one update level (VL101) it is the softer case, hence the
    warning.

    Example:
        host a { hypervisor xen; migration peers b }
        host b { hypervisor kvm }

    Fix: migrate only between hosts running the same hypervisor and kernel; split the
    peers into one group per hypervisor.
    """

    code, name, severity = "VL102", "migration-hypervisor-mismatch", Severity.ERROR
    checklist, section, lines = ("MIG-06",), "§25", "3470, 4257"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            for h, v, ref, rv in differing(group, lambda x: x.hypervisor):
                yield self.report(f"host {h.name} runs {v} but its migration peer {ref.name} runs {rv}; "
                                  "a guest migrates only to the same hypervisor", field_span(h, "hypervisor"),
                                  h.owner,
                                  related=(Related(field_span(ref, "hypervisor"), f"{ref.name}: hypervisor {rv}"),),
                                  hint=f"remove {h.name} from the migration peers of {ref.name}")
            hyper = Counter(x.hypervisor for x in group).most_common(1)[0][0]
            same = [x for x in group if x.hypervisor == hyper]
            for h, v, ref, rv in differing(same, lambda x: x.kernel):
                yield self.report(f"host {h.name} runs kernel {v} but its migration peer {ref.name} runs "
                                  f"{rv}; the hypervisor version should be the same",
                                  field_span(h, "kernel"), h.owner, severity=Severity.WARNING,
                                  related=(Related(field_span(ref, "kernel"), f"{ref.name}: kernel {rv}"),),
                                  hint=f"install kernel {rv} on host {h.name}")


class MigrationCpuVendorMismatch(Rule):
    """KVM live migration only works between processors of the same vendor.

    What it checks: the CPU vendor (`cpu intel|amd`) of the KVM hosts of a migration
    group, where stated.

    Why: "Live migration is only possible between processors of the same vendor (that is,
    Intel to Intel, AMD to AMD)" (§5.2, KVM limitations, lines 498-499).

    Example:
        host kvm1 { hypervisor kvm; cpu intel; migration peers kvm2 }
        host kvm2 { hypervisor kvm; cpu amd }

    Fix: keep Intel and AMD hosts in separate migration groups.
    """

    code, name, severity = "VL103", "migration-cpu-vendor-mismatch", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("MIG-11",), "§5.2", "498-499"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            kvm = [h for h in group if h.hypervisor == "kvm"]
            for h, v, ref, rv in differing(kvm, lambda x: x.cpu.vendor):
                yield self.report(f"KVM host {h.name} has an {v} CPU but its migration peer {ref.name} has "
                                  f"{rv}; live migration needs the same CPU vendor", field_span(h, "cpu"),
                                  h.owner, related=(Related(field_span(ref, "cpu"), f"{ref.name}: {rv}"),),
                                  hint="migrate only between hosts of one CPU vendor")


class MigrationNxMismatch(Rule):
    """The NX bit is on (or off) on every KVM host of a migration group.

    What it checks: the `nx` flag in `cpu ... flags` of the KVM hosts of a migration group
    that list their CPU flags (a host without `flags` is not judged).

    Why: "For live migration, the NX (No eXecute) bit of both processors must be set the
    same way, both on or both off" (§5.2, line 500). A guest that started with NX cannot
    continue on a CPU without it.

    Example:
        host kvm1 { hypervisor kvm; cpu intel flags vmx nx; migration peers kvm2 }
        host kvm2 { hypervisor kvm; cpu intel flags vmx }

    Fix: enable NX / Execute Disable in the BIOS of every host of the group (or disable it
    on all of them).
    """

    code, name, severity = "VL104", "migration-nx-mismatch", Severity.ERROR
    facts = ("cpu",)
    checklist, section, lines = ("MIG-12",), "§5.2", "500"
    scope = Scope.FLEET

    def fleet(self):
        for group in group_list(self.ctx):
            kvm = [h for h in group if h.hypervisor == "kvm"]
            for h, v, ref, rv in differing(kvm, lambda x: ("nx" in x.cpu.flags) if x.cpu.flags else None):
                yield self.report(f"KVM host {h.name} has the NX bit {'on' if v else 'off'}, its migration "
                                  f"peer {ref.name} has it {'on' if rv else 'off'}; both must match",
                                  field_span(h, "cpu"), h.owner,
                                  related=(Related(field_span(ref, "cpu"), f"{ref.name}: NX {'on' if rv else 'off'}"),),
                                  hint="set the NX (Execute Disable) BIOS option the same way on every host of the group")


class XenMigrationRelease(Rule):
    """Xen migration needs RHEL 5.1 or newer.

    What it checks: the `release` of Xen hosts that take part in migration (a `migration`
    statement, or named as a peer).

    Why: "Migration is only supported on Red Hat Enterprise Linux 5.1 and newer systems"
    (§20, line 3082).

    Example:
        host xen0 { hypervisor xen; release 5.0; migration peers xen1 }

    Fix: update the host to 5.1 or later (the current update level is best, VL101).
    """

    code, name, severity = "VL105", "xen-migration-release", Severity.ERROR
    facts = ("release",)
    checklist, section, lines = ("MIG-13",), "§20", "3082"
    scope = Scope.FLEET
    uses = ("migration.xen_min_release",)

    def fleet(self):
        limit = self.limit("migration.xen_min_release")
        for h in _members(self.ctx):
            if h.hypervisor == "xen" and h.release and _release(h.release) < _release(limit.value):
                yield self.report(f"Xen host {h.name} takes part in migration on RHEL {h.release}; Xen "
                                  f"migration needs {limit.value} or newer", field_span(h, "release"),
                                  h.owner, limit=limit, related=(Related(anchor(h), "migration set up here"),),
                                  hint=f"update host {h.name} to RHEL {limit.value} or later")


class MigrationItanium(Rule):
    """Migration is not supported on Itanium.

    What it checks: a host with `arch ia64` that has a `migration` statement or is named
    as a peer.

    Why: "Migration is not yet supported on the Itanium® architecture" (§20, lines
    3089-3091).

    Example:
        host ia1 { hypervisor xen; arch ia64; migration peers ia2 }

    Fix: remove the migration setup from Itanium hosts; move guests by shutting them down
    and starting them elsewhere.
    """

    code, name, severity = "VL106", "migration-itanium", Severity.ERROR
    checklist, section, lines = ("MIG-14",), "§20", "3089-3091"
    scope = Scope.FLEET

    def fleet(self):
        for h in _members(self.ctx):
            if h.arch == "ia64":
                yield self.report(f"host {h.name} is an Itanium (ia64) host in a migration group; migration "
                                  "is not supported on Itanium", field_span(h, "arch"), h.owner,
                                  related=(Related(anchor(h), "migration set up here"),),
                                  hint=f"remove host {h.name} from the migration peers")


class MigrationLibvirtdOff(Rule):
    """libvirtd runs on every host guests migrate to.

    What it checks: a host of a migration group that turns libvirtd off
    (`services off libvirtd`).

    Why: the destination of `virsh migrate` needs the same release, the same hypervisor,
    "and the libvirt service must be running" (§25, line 4258; §21.3, line 3470).

    Example:
        host kvm2 { hypervisor kvm; services off libvirtd }     # a peer of kvm1

    Fix: `services on libvirtd` on every host of the group.
    """

    code, name, severity = "VL107", "migration-libvirtd-off", Severity.ERROR
    checklist, section, lines = ("MIG-07",), "§25", "3470, 4258"
    scope = Scope.FLEET

    def fleet(self):
        for h in _members(self.ctx):
            if "libvirtd" in h.services_off:
                yield self.report(f"host {h.name} takes part in migration but turns libvirtd off; the "
                                  "destination of a migration must run libvirtd", field_span(h, "services"),
                                  h.owner, related=(Related(anchor(h), "migration set up here"),),
                                  hint=f"`services on libvirtd` on host {h.name}")


# ---------------------------------------------------------------- network and storage

class MigrationBridgeMissing(Rule):
    """Every bridge and network a migratable guest uses exists on all hosts of its group.

    What it checks: each NIC of a migratable guest: its bridge (`nic bridge BR`) or libvirt
    network (`nic network NET`; `default` exists everywhere) must be declared with the same
    name on every other host of the migration group.

    Why: "Both systems must have the same network configuration. All bridging and network
    configuration on both hosts must be identical" (§21.1, line 3431); the Xen example
    checks "that the virtual network bridges are configured correctly and both hosts have
    the same names" (§20.1, line 3144). A guest arriving on a host without its bridge
    cannot attach its interface.

    Example:
        host xen1 { ... bridge xenbr1 on eth1; migration peers xen2 }
        host xen2 { ... bridge xenbr0 on eth0 }
        guest web on xen1 { nic bridge xenbr1 }

    Fix: declare the bridge with the same name on every host of the group (or give the
    guest `migratable off`).
    """

    code, name, severity = "VL108", "migration-bridge-missing", Severity.ERROR
    facts = ("bridges",)
    checklist, section, lines = ("MIG-08",), "§21.1", "3144, 3431"
    scope = Scope.FLEET

    def fleet(self):
        bridges = {h.name: {b.name for b in h.bridges} for h in self.ctx.model.hosts}
        networks = {h.name: {n.name for n in h.networks} | {"default"} for h in self.ctx.model.hosts}
        for g in self.ctx.model.guests:
            if not g.migratable:
                continue
            peers = peers_of(self.ctx, self.ctx.host_of(g))
            for nic in g.nics:
                have = bridges if nic.kind == "bridge" else networks
                missing = [p for p in peers if nic.source not in have[p.name]]
                if missing:
                    names = ", ".join(p.name for p in missing)
                    yield self.report(f"migratable guest {g.name} uses {nic.kind} {nic.source}, which its "
                                      f"migration peer{'s' if len(missing) > 1 else ''} {names} "
                                      f"{'do' if len(missing) > 1 else 'does'} not have", nic.span,
                                      nic.owner,
                                      related=[Related(anchor(p), f"{p.name} has no {nic.kind} {nic.source}")
                                               for p in missing],
                                      hint=f"declare `{nic.kind} {nic.source}` on {names}, or `migratable off`")


class MigratableDiskNotShared(Rule):
    """A migratable guest's disks are on shared storage.

    What it checks: every disk (not CD-ROMs or floppies) of a migratable guest: its path
    must be on shared storage, meaning at or under a `shared` mount point of its host, a SAN
    LUN by persistent name (`/dev/mpath/ALIAS`, a udev `lun` name, `/dev/disk/by-id/` on a
    host with SAN storage), an iSCSI or Fibre Channel LUN under `/dev/disk/by-path/`, under
    the path of a netfs, iscsi or scsi pool, or a /dev/sdX device of a host with SAN
    storage (VU101 warns about that name). An image in a local directory, a local logical
    volume or a local disk is not.

    Why: "Live and offline migrations require guests to be installed on shared network
    storage" (§8.2, lines 1034-1036); "To migrate guests the storage must be shared ...
    The file system image is not sent over the network" (§21, line 3414); "You cannot
    migrate guests without shared storage" (Part V, line 3680; §20.1, line 3171; glossary,
    line 6415).

    Example:
        host kvm1 { ...; migration peers kvm2 }
        guest db on kvm1 { disk vda virtio "/srv/local/db.img" }

    Fix: put the image on the shared mount (`shared "/var/lib/libvirt/images" from ...`)
    or a SAN LUN, or mark the guest `migratable off`.
    """

    code, name, severity = "VL109", "migratable-disk-not-shared", Severity.ERROR
    checklist, section, lines = ("MIG-01",), "§21", "1034-1036, 3171, 3414, 3680, 6415"
    uses = ("migration.pool_types",)

    def guest(self, g: Guest):
        if not g.migratable:
            return
        h = self.ctx.host_of(g)
        pool_types = self.limit("migration.pool_types").value
        for d in g.disks:
            if d.device != "disk" or not d.path:
                continue
            kind, _ = disk_storage(h, d, pool_types)
            if kind == "local":
                stated = g.fields.get("migratable")
                related = [Related(stated, "made migratable here")] if stated else \
                    [Related(anchor(h), f"host {h.name} migrates its guests")] if h.migration else []
                mounts = ", ".join(s.path for s in h.shared)
                yield self.report(f"disk {d.target} of migratable guest {g.name} is {d.path}, which is not "
                                  "on shared storage; migration does not copy disks", d.span, d.owner,
                                  related=related,
                                  hint=(f"move it under a shared mount of host {h.name} ({mounts})" if mounts
                                        else f"declare shared storage on host {h.name} (`shared \"DIR\" from \"SRC\" nfs`)")
                                       + ", use a SAN LUN, or write `migratable off`")


class SharedMountPathMismatch(Rule):
    """The shared storage of migratable guests is mounted at the same path on every peer.

    What it checks: for each `shared` mount holding a disk of a migratable guest, every
    other host of the migration group must mount storage at the same path, from the same
    source. Reported at the mount statement, once per mount, naming the peers that lack
    it (or mount the source elsewhere, or another source there).

    Why: "The shared storage must be mounted at the same location on the source and
    destination systems. The mounted directory name must be identical" (§21.1, line
    3432); "Whatever directory is chosen for the guests must be the same on the hosts ...
    for all types of shared storage. The directory must be the same or the migration
    fails" (§21.2, lines 3461-3463).

    Example:
        host kvm1 { shared "/var/lib/libvirt/images" from "nfs1:/images" nfs; migration peers kvm2 }
        host kvm2 { shared "/mnt/images" from "nfs1:/images" nfs }
        guest g on kvm1 { disk vda virtio "/var/lib/libvirt/images/g.img" }

    Fix: mount the share at the same directory on every host of the group.
    """

    code, name, severity = "VL110", "shared-mount-path-mismatch", Severity.ERROR
    checklist, section, lines = ("MIG-09",), "§21.1", "3432, 3461-3463"
    scope = Scope.FLEET

    def fleet(self):
        by_path = {h.name: {s.path.rstrip("/"): s for s in h.shared} for h in self.ctx.model.hosts}
        by_source = {h.name: {s.source: s for s in h.shared} for h in self.ctx.model.hosts}
        used: dict[tuple[str, str], dict[str, Guest]] = defaultdict(dict)  # (host, mount) -> guests
        mounts: dict[tuple[str, str], SharedStorage] = {}
        for g in self.ctx.model.guests:
            if not g.migratable:
                continue
            h = self.ctx.host_of(g)
            for d in g.disks:
                kind, where = disk_storage(h, d) if d.path else ("local", None)
                if kind == "shared":
                    key = (h.name, where.path)
                    mounts[key] = where
                    used[key][g.name] = g
        for (hname, _), s in mounts.items():
            h = self.ctx.hosts[hname]
            problems, related = [], []
            for p in peers_of(self.ctx, h):
                there = by_path[p.name].get(s.path.rstrip("/"))
                if there is not None and there.source == s.source:
                    continue
                elsewhere = by_source[p.name].get(s.source)
                if there is not None:
                    problems.append(f"{p.name} mounts {there.source} there")
                    related.append(Related(there.span, f"{p.name} mounts another source at {s.path}"))
                elif elsewhere is not None:
                    problems.append(f"{p.name} mounts it at {elsewhere.path}")
                    related.append(Related(elsewhere.span, f"{p.name} mounts {s.source} at {elsewhere.path}"))
                else:
                    problems.append(f"{p.name} does not mount it")
                    related.append(Related(anchor(p), f"{p.name} has no shared storage at {s.path}"))
            if problems:
                guests = ", ".join(used[(hname, s.path)])
                yield self.report(f"shared storage {s.source} is mounted at {s.path} on host {h.name} for "
                                  f"migratable guests ({guests}), but {'; '.join(problems)}", s.span,
                                  h.owner, related=related,
                                  hint=f"mount {s.source} at {s.path} on every host of the migration group")


class MigrationPoolType(Rule):
    """Migratable guests' disks live in a pool of a shared type (netfs, iscsi, scsi).

    What it checks: a disk of a migratable guest under the target path of a libvirt `pool`
    whose type is not one of netfs (NFS), iscsi, or scsi (a Fibre Channel HBA): dir, fs,
    logical or disk pools are local to the host.

    Why: the supported shared storage is "Fibre Channel, iSCSI, NFS, GFS2" (§21.1, lines
    3422-3428; Part V, lines 3675-3679); with virt-manager the shared pool's type is
    "netfs: Network Exported Directory" and "for live migration [the format] must be NFS
    or iSCSI" (§21.4, lines 3521-3524). Fibre Channel comes from the first list, which the
    virt-manager steps do not contradict; it is accepted as a scsi pool.

    Example:
        pool images dir path "/var/lib/libvirt/images"
        guest g { disk vda virtio "/var/lib/libvirt/images/g.img" }     # migratable

    Fix: define the pool as `netfs` (NFS) or `iscsi`, or keep the guest `migratable off`.
    """

    code, name, severity = "VL111", "migration-pool-type", Severity.WARNING
    checklist, section, lines = ("MIG-02", "MIG-26"), "§21.4", "3422-3428, 3521-3524, 3675-3679"
    uses = ("migration.pool_types",)

    def guest(self, g: Guest):
        if not g.migratable:
            return
        ok = self.limit("migration.pool_types")
        h = self.ctx.host_of(g)
        for d in g.disks:
            if d.device != "disk" or not d.path:
                continue
            for p in h.pools:
                if p.path and p.type not in ok.value and under(d.path, p.path):
                    yield self.report(f"disk {d.target} of migratable guest {g.name} is in pool {p.name} "
                                      f"of type {p.type}, which is not shared storage", d.span, d.owner,
                                      related=(Related(p.span, f"pool {p.name} ({p.type})"),), limit=ok,
                                      hint=f"use a pool of type {' or '.join(ok.value)}")
                    break


class MigrationNfsOnly(Rule):
    """A migration group that rests on NFS alone is a demonstration setup.

    What it checks: a migration group whose migratable guests keep disks on NFS shared
    storage while no host of the group has any other shared storage: no iSCSI, Fibre
    Channel or GFS2 mount, no SAN LUN (`multipath`, `lun`), no iscsi or scsi pool.
    Reported once per group at the first NFS mount.

    Why: "NFS is suitable for demonstration environments, but for production we recommend
    a more robust shared storage configuration using Fibre Channel or iSCSI and GFS"
    (§20.1, line 3121); "this example is not suitable for large installations, only for
    demonstrating migration and small deployments; do not use it to migrate or run many
    guests" (§21.2, line 3438). The guide gives no number for "many", so the check looks
    at the whole group: one that has SAN storage as well (for instance NFS for small
    system images, LUNs for the databases' data) is taken to follow the advice.

    Example:
        host kvm1 { shared "/var/lib/libvirt/images" from "nfs1:/images" nfs; migration peers kvm2 }
        host kvm2 { shared "/var/lib/libvirt/images" from "nfs1:/images" nfs }
        guest g on kvm1 { disk vda virtio "/var/lib/libvirt/images/g.img" }

    Fix: for production, put the guests on Fibre Channel or iSCSI storage (with GFS2
    for file images), or accept NFS for a small setup and suppress the warning with a
    reason.
    """

    code, name, severity = "VL112", "migration-nfs-only", Severity.WARNING
    checklist, section, lines = ("MIG-03",), "§20.1", "3121, 3438"
    scope = Scope.FLEET

    def fleet(self):
        guests = self.ctx.guests_by_host
        for group in group_list(self.ctx):
            if any(uses_san(h) or any(s.kind != "nfs" for s in h.shared) for h in group):
                continue
            on_nfs: list[tuple[Guest, SharedStorage]] = []
            for h in group:
                for g in guests.get(h.name, []):
                    if g.migratable:
                        for d in g.disks:
                            kind, where = disk_storage(h, d) if d.path else ("local", None)
                            if kind == "shared":
                                on_nfs.append((g, where))
                                break
            if not on_nfs:
                continue
            first = on_nfs[0][1]
            others = {id(s): s for _, s in on_nfs if s is not first}
            names = sorted({g.name for g, _ in on_nfs})
            yield self.report(f"the migration group {', '.join(h.name for h in group)} keeps its migratable "
                              f"guests ({', '.join(names)}) on NFS only; the guide recommends NFS for "
                              "demonstrations and small setups", first.span,
                              related=[Related(s.span, "NFS") for s in others.values()],
                              hint="use Fibre Channel or iSCSI (with GFS2) shared storage for production")


class NfsSvirtIsolation(Rule):
    """KVM guests sharing an NFS store are not fully separated by sVirt.

    What it checks: two or more KVM guests (on any hosts) whose disks are on the same NFS
    shared storage (same source). Reported once per NFS source, at the second guest's disk.

    Why: "Although NFS is often used for this purpose, the lack of SELinux labelling for
    NFS means there is limited sVirt protection between guests. This lack of sVirt support
    could allow one guest to use another guest's disks" (§23.1.2, line 3945); "Using iSCSI
    provides full sVirt isolation between guests" (line 3946).

    Example:
        host kvm1 { hypervisor kvm; shared "/var/lib/libvirt/images" from "nfs1:/images" nfs }
        guest a on kvm1 { disk vda virtio "/var/lib/libvirt/images/a.img" }
        guest b on kvm1 { disk vda virtio "/var/lib/libvirt/images/b.img" }

    Fix: give each guest an iSCSI LUN (an iscsi pool), or accept the weaker isolation for
    guests that trust each other.
    """

    code, name, severity = "VL113", "nfs-svirt-isolation", Severity.WARNING
    checklist, section, lines = ("MIG-04",), "§23.1.2", "3945-3946"
    scope = Scope.FLEET

    def fleet(self):
        users: dict[str, list[tuple[Guest, Disk, SharedStorage]]] = defaultdict(list)
        for g in self.ctx.model.guests:
            h = self.ctx.host_of(g)
            if h.hypervisor != "kvm":
                continue
            for d in g.disks:
                kind, where = disk_storage(h, d) if d.path else ("local", None)
                if kind == "shared" and where.kind == "nfs":
                    users[where.source].append((g, d, where))  # each guest once: its first disk there
                    break
        for source, uses in users.items():
            if len(uses) > 1:
                (g0, d0, s0), (g1, d1, _) = uses[0], uses[1]
                names = ", ".join(g.name for g, _, _ in uses)
                yield self.report(f"KVM guests {names} keep their disks on the NFS share {source}; NFS has no "
                                  "per-file SELinux labels, so sVirt cannot stop one guest from opening "
                                  "another's disks", d1.span, d1.owner,
                                  related=(Related(d0.span, f"{g0.name} on the same share"),
                                           Related(s0.span, "the NFS mount")),
                                  hint="use iSCSI LUNs (an iscsi pool) for full sVirt isolation")


# ---------------------------------------------------------------- Xen relocation server

class XenRelocationServerOff(Rule):
    """Every Xen host of a migration group runs the relocation server.

    What it checks: a Xen host named as a migration peer that has no `migration` statement
    of its own (so its relocation server keeps the default, off), or a Xen host whose
    `xend xend-relocation-server` says no.

    Why: "The default is no, which disables migration. Set xend-relocation-server to yes
    to enable migration" (§20, lines 3097-3100; §20.2, lines 3394-3395). Migration is off by
    default because it is a risk to the host (line 3092).

    Example:
        host xen1 { hypervisor xen; migration peers xen2 }
        host xen2 { hypervisor xen }        # no relocation server

    Fix: give the peer its own `migration peers ... address ... allow ...` statement
    (virtc then writes `(xend-relocation-server yes)`).
    """

    code, name, severity = "VL114", "xen-relocation-server-off", Severity.ERROR
    checklist, section, lines = ("MIG-15",), "§20", "3092, 3097-3100, 3394-3395"
    scope = Scope.FLEET

    def fleet(self):
        named_by = named_as_peer_by(self.ctx)
        for h in _members(self.ctx):
            if h.hypervisor != "xen" or _relocation_on(h):
                continue
            s = xend_value(h, "relocation-server")
            if s is not None:
                yield self.report(f"Xen host {h.name} turns the relocation server off "
                                  f"(xend-relocation-server {s.value}) but takes part in migration", s.span,
                                  h.owner, related=(Related(anchor(h), "migration set up here"),),
                                  hint="remove the xend setting or make it yes")
            else:
                by = named_by.get(h.name)
                yield self.report(f"Xen host {h.name} is a migration peer of {by.name} but has no `migration` "
                                  "statement, so its relocation server stays off (the default)", h.span,
                                  h.owner, related=(Related(by.migration.span, f"{by.name} names {h.name} as a peer"),),
                                  hint=f"add `migration peers {by.name} address ADDR allow \"REGEX\"` to host {h.name}")


def _relocation_port(h: Host, default: int) -> tuple[int | None, Span]:
    s = xend_value(h, "relocation-port")
    if s is not None:
        return (int(s.value) if is_number(s.value) else None), s.span
    if h.migration and h.migration.port is not None:
        return h.migration.port, h.migration.span
    return default, anchor(h)


class RelocationPortMismatch(Rule):
    """The Xen relocation port is the same on all hosts of a group and is not xend's own port.

    What it checks: the relocation port of each Xen host with migration on (`xend
    xend-relocation-port N` if stated, else `migration port N`, else the default 8002):
    the same on every host of the group; different from xend's HTTP port (`xend
    xend-port`, default 8000); and not stated twice with different values.

    Why: "The port set by xend-relocation-port must be set on both systems" (§20, line
    3104); "if you change it, make sure you use a port that is unused on the relocation
    server" (line 3103). xend-port "sets the port of the HTTP management server (default
    8000)" and xend-relocation-port "the port of the relocation server (default 8002)"
    (§19, lines 3053-3056).

    Example:
        host xen1 { hypervisor xen; migration peers xen2 port 8002 }
        host xen2 { hypervisor xen; migration peers xen1 port 8003 }

    Fix: use one port on every host (8002 unless the network needs another).
    """

    code, name, severity = "VL115", "relocation-port-mismatch", Severity.ERROR
    checklist, section, lines = ("MIG-16",), "§20", "3053-3056, 3101-3104, 3396-3397"
    scope = Scope.FLEET
    uses = ("migration.xen_relocation_port", "migration.xend_port")

    def fleet(self):
        default = self.limit("migration.xen_relocation_port")
        xend_default = self.limit("migration.xend_port")
        ports: dict[str, tuple[int | None, Span]] = {}
        for h in _members(self.ctx):
            if h.hypervisor != "xen" or not _relocation_on(h):
                continue
            port, span = _relocation_port(h, default.value)
            ports[h.name] = (port, span)
            stated = xend_value(h, "relocation-port")
            if stated and h.migration and h.migration.port is not None and port != h.migration.port:
                yield self.report(f"host {h.name} states its relocation port twice: migration port "
                                  f"{h.migration.port} and xend-relocation-port {stated.value}", stated.span,
                                  h.owner, related=(Related(h.migration.span, "migration port"),),
                                  hint="state the port once, in `migration ... port N`")
            xs = xend_value(h, "port")
            xend_port = int(xs.value) if xs and is_number(xs.value) else xend_default.value
            if port == xend_port:
                yield self.report(f"the relocation port of host {h.name} is {port}, the port of xend's HTTP "
                                  "server", span, h.owner, limit=xend_default,
                                  related=(Related(xs.span, "xend-port"),) if xs else (),
                                  hint=f"use another, unused port (the default is {default.value})")
        for group in group_list(self.ctx):
            xen = [h for h in group if h.name in ports]
            for h, v, ref, rv in differing(xen, lambda x: ports[x.name][0]):
                yield self.report(f"host {h.name} relocates on port {v} but its migration peer {ref.name} "
                                  f"uses {rv}; the port must be the same on both systems", ports[h.name][1],
                                  h.owner, limit=default,
                                  related=(Related(ports[ref.name][1], f"{ref.name}: port {rv}"),),
                                  hint=f"use port {rv} on host {h.name}")


class RelocationAddressUnset(Rule):
    """The Xen relocation server listens on one address, not on every interface.

    What it checks: a Xen host with migration on and no relocation address (`migration
    ... address A` or `xend xend-relocation-address "A"`); an address set through `xend`
    that is not a valid IP address is an error.

    Why: "The default is to listen on all active interfaces ... The default value in
    /etc/xen/xend-config.sxp is an empty string (''). This value should be replaced with a
    single, valid IP address" (§20, lines 3105-3108; §20.2, lines 3398-3399).

    Example:
        host xen1 { hypervisor xen; migration peers xen2 }     # no address

    Fix: `migration peers xen2 address 10.0.0.1` with the host's address on the
    migration network.
    """

    code, name, severity = "VL116", "relocation-address-unset", Severity.WARNING
    checklist, section, lines = ("MIG-17",), "§20", "3105-3108, 3398-3399"
    scope = Scope.HOST

    def host(self, h, guests):
        if h.hypervisor != "xen" or not _relocation_on(h):
            return
        s = xend_value(h, "relocation-address")
        value = s.value.strip() if s else (h.migration.address if h.migration else None)
        if s and value:
            try:
                ipaddress.ip_address(value)
            except ValueError:
                yield self.report(f"xend-relocation-address of host {h.name} is '{value}', not an IP address",
                                  s.span, h.owner, severity=Severity.ERROR,
                                  hint="write one IP address of the host's migration interface")
            return
        if not value:
            yield self.report(f"the relocation server of Xen host {h.name} listens on every interface "
                              "(no relocation address)", s.span if s else anchor(h), h.owner,
                              hint="add `address A` (an IP of the migration network) to the migration statement")


class RelocationHostsAllowUnset(Rule):
    """The Xen relocation server only accepts the hosts it should.

    What it checks: a Xen host with migration on and no hosts-allow list (`migration ...
    allow "REGEX ..."` or `xend xend-relocation-hosts-allow "..."`, empty means
    everyone); each pattern of an `xend` setting must be a valid regular expression.

    Why: "If the value is empty ... all connections are allowed. Otherwise
    (xend-relocation-hosts-allow) should be a space-separated list of regular
    expressions; a host whose fully qualified domain name or IP address matches one of
    them is accepted" (§20, lines 3109-3115); "Modify the xend-relocation-hosts-allow
    option to restrict access to the migration server" (line 3111; §20.2, lines
    3400-3403).

    Example:
        host xen1 { hypervisor xen; migration peers xen2 address 10.0.0.1 }

    Fix: `migration ... allow "^xen2\\.example\\.com$"` (one pattern per peer).
    """

    code, name, severity = "VL117", "relocation-hosts-allow-unset", Severity.WARNING
    checklist, section, lines = ("MIG-18",), "§20", "3109-3115, 3400-3403"
    scope = Scope.HOST

    def host(self, h, guests):
        if h.hypervisor != "xen" or not _relocation_on(h):
            return
        s = xend_value(h, "relocation-hosts-allow")
        value = s.value.strip() if s else ((h.migration.allow or "").strip() if h.migration else "")
        if s:
            for pattern in value.split():
                try:
                    re.compile(pattern)
                except re.error as exc:
                    yield self.report(f"xend-relocation-hosts-allow pattern '{pattern}' of host {h.name} is not "
                                      f"a regular expression ({exc})", s.span, h.owner,
                                      severity=Severity.ERROR)
        if not value:
            peers = " ".join(f"^{re.escape(p.name)}$" for p in peers_of(self.ctx, h)) or "^peer\\.example\\.com$"
            yield self.report(f"the relocation server of Xen host {h.name} accepts migrations from any host "
                              "(empty hosts-allow)", s.span if s else anchor(h), h.owner,
                              hint=f'add `allow "{peers}"` to the migration statement')


class RelocationOnRoutedNetwork(Rule):
    """Xen migration traffic stays on an isolated network.

    What it checks: a Xen relocation address that lies in the subnet of a host bridge
    with a gateway, i.e. on a routed, externally reachable network rather than a
    dedicated migration network.

    Why: "IP address and host name filters give only a little security ... The best way
    to secure migration is to isolate the network from external and unauthorised internal
    connections" (§20, line 3096); "Unless you are using SSH or TLS, the guest's virtual
    memory is transferred in raw form without encryption" (lines 3094-3095, 3111; §20.2,
    line 3395).

    Example:
        bridge xenbr0 on eth0 ip 192.168.50.11/24 gateway 192.168.50.1
        migration peers xen2 address 192.168.50.11

    Fix: put the relocation address on a separate, unrouted network (a bridge or NIC
    without a gateway, e.g. `bridge xenbr1 on eth1 ip 10.0.0.1/24`).
    """

    code, name, severity = "VL118", "relocation-on-routed-network", Severity.WARNING
    checklist, section, lines = ("MIG-19",), "§20", "3094-3096, 3111, 3395"
    scope = Scope.HOST

    def host(self, h, guests):
        if h.hypervisor != "xen" or not _relocation_on(h):
            return
        s = xend_value(h, "relocation-address")
        text = s.value.strip() if s else (h.migration.address if h.migration else None)
        try:
            address = ipaddress.ip_address(text) if text else None
        except ValueError:
            return
        if address is None:
            return
        for b in h.bridges:
            if b.ip and b.gateway and address in ipaddress.ip_interface(b.ip).network:
                yield self.report(f"host {h.name} relocates guests on {address}, on the routed network of "
                                  f"bridge {b.name} (gateway {b.gateway}); guest memory crosses it "
                                  "unencrypted", s.span if s else anchor(h), h.owner,
                                  related=(Related(b.span, f"bridge {b.name} has a gateway"),),
                                  hint="use an address on a dedicated migration network without a gateway")
                return


# ---------------------------------------------------------------- firewall, NFS exports, URIs

def _tcp_ranges(opened: Iterable[str]) -> list[tuple[int, int]]:
    out = []
    for item in opened:
        ports, _, proto = item.partition("/")
        if proto != "tcp":
            continue
        first, _, last = ports.partition("-")
        out.append((int(first), int(last or first)))
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
        for h in _members(self.ctx):
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
            elif _relocation_on(h):
                port, _ = _relocation_port(h, xen.value)
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
    uses = ("migration.nfs_export_options",)

    def host(self, h, guests):
        table = self.limit("migration.nfs_export_options")
        mounted = _cached(self.ctx, "nfs_sources", lambda: {_nfs_source(s.source) for x in self.ctx.model.hosts
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
        for h in _members(self.ctx):
            if h.hypervisor != "kvm" or not h.uri:
                continue
            u = urlparse(h.uri)
            if u.scheme.startswith("qemu") and u.path.rstrip("/") != "/system":
                fixed = f"{u.scheme}://{u.netloc}/system"
                yield self.report(f"KVM host {h.name} is reached as {h.uri}; migrations to it need the /system "
                                  "URI for full access", field_span(h, "uri"), h.owner,
                                  hint=f'uri "{fixed}"')

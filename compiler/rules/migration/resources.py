"""What a migratable guest uses, on every host of its group: its bridges and networks,
and shared storage (disks, mount points, pools, NFS, sVirt isolation)."""
from __future__ import annotations

from collections import defaultdict

from ...diagnostics import Related, Severity
from ...model import Disk, Guest, SharedStorage
from ..base import Rule, Scope
from .common import anchor, disk_storage, group_list, peers_of, under, uses_san


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
        if not any(g.migratable for g in self.ctx.model.guests):
            return  # (a fleet of hosts alone): no index of every host's bridges
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
    facts = ("shared",)
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
                                  "on shared storage; migration does not copy disks", d.at("source"), d.owner,
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
    facts = ("shared",)
    scope = Scope.FLEET

    def fleet(self):
        if not any(g.migratable for g in self.ctx.model.guests):
            return  # (a fleet of hosts alone): no index of every host's mounts
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
                (g0, d0, s0), (_, d1, _) = uses[0], uses[1]
                names = ", ".join(g.name for g, _, _ in uses)
                yield self.report(f"KVM guests {names} keep their disks on the NFS share {source}; NFS has no "
                                  "per-file SELinux labels, so sVirt cannot stop one guest from opening "
                                  "another's disks", d1.span, d1.owner,
                                  related=(Related(d0.span, f"{g0.name} on the same share"),
                                           Related(s0.span, "the NFS mount")),
                                  hint="use iSCSI LUNs (an iscsi pool) for full sVirt isolation")

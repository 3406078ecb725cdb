"""LUN persistence rules (checklist area MPIO): multipath aliases, udev names, iSCSI.

A host's `multipath ALIAS wwid W` gives the device /dev/mpath/ALIAS, its `lun NAME wwid W`
the udev name /dev/NAME (the single-path procedure). `iscsi-target` describes a tgtd
target the host serves, `pool NAME iscsi ...` a libvirt pool that logs in to one.
"""
from __future__ import annotations

import re
from collections import defaultdict

from ..diagnostics import Related, Severity
from ..model import Guest, Lun
from ..suggest import did_you_mean
from .base import Rule, Scope
from .migration.common import disk_storage, group_list, migration_groups, peers_of, under, uses_san

# Checklist items of this area that no rule implements, and why.
NOT_CHECKABLE: dict[str, str] = {
    "MPIO-12": "explain: multipath is for hosts with more than one physical path to the storage",
    "MPIO-13": "operational: configure multipath on the host when attaching physical block devices",
    "MPIO-19": "no field: the host model has no /etc/rc.local commands, so it cannot say whether the "
               "tgtadm commands of an `iscsi-target` survive a reboot; a host `rc-local` statement (or "
               "virtc writing rc.local for iscsi-target) would make it checkable",
    "MPIO-21": "explain: libvirt pool types; the language accepts dir, fs, netfs, iscsi, scsi, "
               "logical and disk (VR012 for others)",
    "MPIO-25": "emitter: virt-install's perms=sh is the disk's `shareable` flag (<shareable/>), "
               "checked by VS120",
}


def _alias(path: str) -> str | None:
    return path.removeprefix("/dev/mpath/") if path.startswith("/dev/mpath/") else None


_UNALIASED = re.compile(r"^/dev/(dm-[0-9]+|mapper/mpath[0-9]+(p[0-9]+)?)$")


_HEX = re.compile(r"^[0-9a-f]+$")


class SanDiskUnstableName(Rule):
    """On hosts with SAN storage, guests use persistent LUN names, not /dev/sdX.

    What it checks: a guest disk whose source is a /dev/sdX device on a host that uses
    external storage (a `multipath` or `lun` statement, iSCSI or Fibre Channel `shared`
    storage, an iscsi or scsi pool). The message says when the guest is migratable.

    Why: "This section is for systems using external or networked storage (Fibre Channel,
    iSCSI). We recommend configuring persistent device names on your hosts. This helps
    live migration and gives consistent device names and storage to several virtualized
    systems" (§9.3, line 1422); UUIDs stay the same across reboots, disconnections and
    device swaps (line 1423), sdX names do not. With persistent names "you can migrate
    guests between hosts with shared storage" (line 1454).

    Example:
        host kvm1 { hypervisor kvm; multipath data wwid 3600805f30015987000000000768a0019 }
        guest g on kvm1 { disk vdb virtio "/dev/sdc" }

    Fix: use the LUN's persistent name: `disk vdb virtio "/dev/mpath/data"` (multipath) or
    a udev `lun` name.
    """

    code, name, severity = "VU101", "san-disk-unstable-name", Severity.WARNING
    checklist, section, lines = ("MPIO-01", "MIG-27"), "§9.3", "1422-1423, 1454"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        if not uses_san(h):
            return
        for d in g.disks:
            if d.path and disk_storage(h, d)[0] == "san-sd":
                mig = "; it is migratable, and the name can differ on the destination" if g.migratable else ""
                yield self.report(f"disk {d.target} of guest {g.name} is {d.path} on host {h.name}, which uses "
                                  f"SAN storage; sd names follow probe order and change across reboots{mig}",
                                  d.span, d.owner,
                                  hint="give the LUN a `multipath ALIAS wwid ...` (then /dev/mpath/ALIAS) "
                                       "or a udev `lun NAME wwid ...`")


class UdevOnMultipathHost(Rule):
    """The udev naming procedure is for hosts without multipath.

    What it checks: one WWID declared both as a `multipath` alias and as a udev `lun` on
    the same host (an error); a host that uses both mechanisms for different LUNs (a
    warning).

    Why: "Systems which are not running multipath must use the single path configuration.
    Systems running multipath can use the multipath configuration" (§9.3, line 1424);
    "This procedure implements LUN device persistence using udev. Only use this procedure
    for hosts which are not using multipath" (line 1426; §32.14, lines 5502-5503). A LUN
    named by both ends up with two device nodes for one disk, one of them bypassing
    multipath.

    Example:
        multipath data wwid 3600805f30015987000000000768a0019
        lun data2 wwid 3600805f30015987000000000768a0019

    Fix: on a multipath host use only `multipath` aliases.
    """

    code, name, severity = "VU102", "udev-on-multipath-host", Severity.ERROR
    checklist, section, lines = ("MPIO-02",), "§9.3", "1424-1426, 5502-5503"
    scope = Scope.HOST
    when = ("luns",)

    def host(self, h, guests):
        first_mp: dict[str, Lun] = {}
        for lun in h.luns:
            if lun.kind == "multipath":
                first_mp.setdefault(lun.wwid, lun)
        if not first_mp:
            return
        mixed = None
        for lun in h.luns:
            if lun.kind != "udev":
                continue
            if lun.wwid in first_mp:
                mp = first_mp[lun.wwid]
                yield self.report(f"WWID {lun.wwid} has the udev name {lun.name} and the multipath alias "
                                  f"{mp.name} on host {h.name}; udev naming is only for hosts without multipath",
                                  lun.span, lun.owner, related=(Related(mp.span, f"multipath alias {mp.name}"),),
                                  hint=f"remove `lun {lun.name}` and use /dev/mpath/{mp.name}")
            elif mixed is None:
                mixed = lun
        if mixed is not None:
            mp = next(iter(first_mp.values()))
            yield self.report(f"host {h.name} runs multipath but also names LUN {mixed.name} with udev; the udev "
                              "procedure is only for hosts without multipath", mixed.span, mixed.owner,
                              severity=Severity.WARNING, related=(Related(mp.span, "multipath in use"),),
                              hint=f"declare it as `multipath {mixed.name} wwid {mixed.wwid}`")


class WwidLength(Rule):
    """A WWID is complete: 33 characters for the guide's NAA 6 identifiers, as scsi_id prints it.

    What it checks: the WWID of each `multipath` and `lun` statement that is an NAA
    identifier (a 3, the designator type, then hex digits) has the length its NAA field
    (the next digit) gives: 33 characters for NAA 6, the guide's, 17 for the 8-byte NAA
    5, 3 and 2 forms. T10 vendor identifiers (a 1, then vendor, product and serial) have
    no fixed length and are not checked.

    Why: the identifiers `scsi_id -g -s` prints in §9.3 are all 33 characters, a 3 (the
    NAA designator type) and 32 hex digits: 3600a0b800013275100000015427b625e (line 1437),
    3600805f30015987000000000768a0019 ... (lines 1462-1474). Contradiction C-20: §32.14
    copies the first as 3600a0b80001327510000015427b625e (32 characters, lines 5509, 5519)
    and truncates another to 3600a0b80001327510000015427b6 (29, line 5523). The complete
    33-character form is the unambiguous reading and enforced as an error; a WWID that
    is one character short is almost always a copy error like those. An NAA 5 array
    reports 8 bytes (17 characters), which is complete as it is.

    Example:
        multipath oramp2 wwid 3600a0b80001327510000015427b6

    Fix: copy the whole WWID from `scsi_id -g -s /block/sdX`.
    """

    code, name, severity = "VU103", "wwid-length", Severity.ERROR
    checklist, section, lines = ("MPIO-11",), "§9.3", "1437, 1462-1474, 5509, 5519-5531"
    scope = Scope.HOST
    when = ("luns",)
    uses = ("mpio.wwid_length",)

    def host(self, h, guests):
        limit = self.limit("mpio.wwid_length")
        for lun in h.luns:
            wanted = naa_length(lun.wwid, limit.value)
            naa = lun.wwid[1:][:1]
            if wanted is not None and len(lun.wwid) != wanted:
                yield self.report(f"WWID {lun.wwid} of {lun.kind} {lun.name} has {len(lun.wwid)} characters; a "
                                  f"complete NAA {naa} WWID has {wanted}", lun.wwid_span or lun.span, lun.owner,
                                  limit=limit,
                                  hint="copy the whole output of `scsi_id -g -s /block/sdX`")


def naa_length(wwid: str, lengths: dict) -> int | None:
    """How long an NAA identifier (designator type 3) is, by its NAA field (the digit after
    the type); None for other identifiers."""
    return lengths.get(wwid[1:][:1]) if wwid[:1] == "3" and _HEX.match(wwid) else None


def cut_short(wwid: str, lengths: dict) -> bool:
    wanted = naa_length(wwid, lengths)
    return wanted is not None and len(wwid) != wanted


class DuplicateWwid(Rule):
    """Each WWID has one alias (and one udev name) per host.

    What it checks: two `multipath` aliases (or two udev `lun` names) for the same WWID on
    one host. (Two names for one alias are VR004; a WWID both multipathed and udev-named
    is VU102.)

    Why: an alias is keyed by the WWID: "Each storage device has a UUID which acts as a
    key for the aliased names" (§9.3, line 1457). Contradiction C-20: §32.14 gives one
    WWID to oramp1, oramp3 and oramp4 (lines 5518-5533), which multipathd resolves to a
    single device with one of the names; the §9.3 example, with four distinct WWIDs, is
    the reading followed.

    Example:
        multipath oramp1 wwid 3600a0b800013275100000015427b625e
        multipath oramp3 wwid 3600a0b800013275100000015427b625e

    Fix: look up the right WWID of each LUN, or use one alias for the device.
    """

    code, name, severity = "VU104", "duplicate-wwid", Severity.ERROR
    checklist, section, lines = ("MPIO-11",), "§9.3", "1457, 5518-5533"
    scope = Scope.HOST
    when = ("luns",)

    def host(self, h, guests):
        first: dict[tuple[str, str], Lun] = {}
        for lun in h.luns:
            key = (lun.kind, lun.wwid)
            if key in first:
                other = first[key]
                yield self.report(f"{lun.kind} {lun.name} of host {h.name} has WWID {lun.wwid}, already given "
                                  f"to {other.name}", lun.wwid_span or lun.span, lun.owner,
                                  related=(Related(other.wwid_span or other.span, f"{other.name} has the same WWID"),),
                                  hint="each LUN has its own WWID; check `scsi_id -g -s /block/sdX`")
            else:
                first[key] = lun


class MpathAliasUndeclared(Rule):
    """A guest's multipath device is a declared alias of its host.

    What it checks: guest disks on /dev/mpath/NAME (or a partition NAMEpN) where NAME is
    not a `multipath` alias of the guest's host, and disks on unaliased multipath nodes
    (/dev/dm-N, /dev/mapper/mpathN), whose names are not persistent.

    Why: "Implementing LUN persistence in a multipath environment requires defined alias
    names for your multipath devices" (§9.3, line 1457; §32.14, line 5517). "Multipath
    devices are created in the /dev/mpath directory" (line 1459), e.g.
    /dev/mpath/oramp1, and the names "are persistent after rebooting" (line 1478, 5534).

    Example:
        host xen1 { multipath oramp1 wwid 3600805f30015987000000000768a0019 }
        guest db on xen1 { disk xvdb phy "/dev/mpath/oramp2" }

    Fix: declare the alias on the host (`multipath oramp2 wwid ...`) or fix the path.
    """

    code, name, severity = "VU105", "mpath-alias-undeclared", Severity.ERROR
    facts = ("luns",)
    checklist, section, lines = ("MPIO-08", "MPIO-10"), "§9.3", "1457-1459, 1478, 5517, 5534"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        aliases = [lun.name for lun in h.luns if lun.kind == "multipath"]
        for d in g.disks:
            if not d.path:
                continue
            if _UNALIASED.match(d.path):
                yield self.report(f"disk {d.target} of guest {g.name} uses {d.path}, a multipath device "
                                  "without an alias, whose name is not persistent", d.span, d.owner,
                                  hint="define `multipath ALIAS wwid ...` on the host and use /dev/mpath/ALIAS")
                continue
            if _alias(d.path) is None:
                continue  # not /dev/mpath/...: where the disk lives does not matter here
            kind, found = disk_storage(h, d)
            if kind == "lun" and isinstance(found, str):
                alias = found
                yield self.report(f"disk {d.target} of guest {g.name} uses /dev/mpath/{alias}, but host {h.name} "
                                  f"has no multipath alias {alias}", d.span, d.owner,
                                  related=[Related(lun.span, f"alias {lun.name}") for lun in h.luns
                                           if lun.kind == "multipath"][:1],
                                  hint=did_you_mean(alias, aliases)
                                  or f"add `multipath {alias} wwid WWID` to host {h.name}")


class LunNamesDifferInGroup(Rule):
    """Hosts that migrate guests between them give each LUN the same name.

    What it checks: across a migration group, (a) one name (`multipath` alias or udev
    `lun`) bound to different WWIDs; (b) one WWID under different names; (c) a LUN name
    that a migratable guest uses but a peer host does not declare.

    Why: "Verify that the UUID printed by scsi_id -g -s /block/sd* is the same on every
    computer that accesses the device" (§9.3, line 1440); "copy the changes to
    /etc/scsi_id.config, /etc/udev/rules.d/20-names.rules and /etc/rc.local to all
    relevant hosts" (line 1451), so that networked storage "has consistent names on all
    hosts ... you can migrate guests between hosts using shared storage, and the guests can
    access the storage in their configuration files" (line 1454). Multipath aliases serve
    the same purpose (line 1422).

    Example:
        host xen1 { multipath data wwid 3600805f30015987000000000768a0019; migration peers xen2 }
        host xen2 { multipath data wwid 3600805f30015987000000000768a001a }

    Fix: declare the same `multipath` / `lun` statements on every host of the group.
    """

    code, name, severity = "VU106", "lun-names-differ-in-group", Severity.ERROR
    checklist, section, lines = ("MPIO-07", "MPIO-04"), "§9.3", "1422, 1440, 1451-1454"
    scope = Scope.FLEET
    uses = ("mpio.wwid_length",)

    def fleet(self):
        for group in group_list(self.ctx):
            by_name: dict[tuple[str, str], dict[str, list[Lun]]] = defaultdict(lambda: defaultdict(list))
            by_wwid: dict[str, dict[tuple[str, str], list[Lun]]] = defaultdict(lambda: defaultdict(list))
            owner: dict[int, str] = {}
            reported: set[int] = set()  # a LUN reported under (a) is not reported again under (b)
            for h in group:
                for lun in h.luns:
                    by_name[(lun.kind, lun.name)][lun.wwid].append(lun)
                    by_wwid[lun.wwid][(lun.kind, lun.name)].append(lun)
                    owner[id(lun)] = h.name
            lengths = self.limit("mpio.wwid_length").value
            for (kind, name), wwids in by_name.items():
                if len(wwids) > 1:
                    ref = max(wwids.values(), key=len)[0]
                    for wwid, luns in wwids.items():
                        # a WWID cut short is VU103's finding, on the line to fix
                        if wwid != ref.wwid and not cut_short(wwid, lengths):
                            for lun in luns:
                                reported.add(id(lun))
                                yield self.report(f"{kind} {name} is WWID {wwid} on host {owner[id(lun)]} but "
                                                  f"{ref.wwid} on {owner[id(ref)]}", lun.span, lun.owner,
                                                  related=(Related(ref.span, f"{owner[id(ref)]}: {ref.wwid}"),),
                                                  hint="compare `scsi_id -g -s` on both hosts; one name, one LUN")
            for wwid, names in by_wwid.items():
                if len(names) > 1:
                    ref = max(names.values(), key=len)[0]
                    for (kind, name), luns in names.items():
                        if (kind, name) != (ref.kind, ref.name):
                            for lun in luns:
                                if id(lun) in reported:
                                    continue
                                yield self.report(f"WWID {wwid} is {kind} {name} on host {owner[id(lun)]} but "
                                                  f"{ref.kind} {ref.name} on {owner[id(ref)]}; guests see "
                                                  "different device names", lun.span, lun.owner,
                                                  related=(Related(ref.span, f"{owner[id(ref)]}: {ref.name}"),),
                                                  hint=f"name it {ref.name} on every host of the group")
        if not any(g.migratable for g in self.ctx.model.guests):
            return  # (a fleet of hosts alone): no index of every host's LUNs
        names_of = {h.name: {(lun.kind, lun.name) for lun in h.luns} for h in self.ctx.model.hosts}
        groups = migration_groups(self.ctx)
        for g in self.ctx.model.guests:
            if not g.migratable or g.host not in groups:
                continue
            h = self.ctx.host_of(g)
            for d in g.disks:
                if not d.path:
                    continue
                kind, lun = disk_storage(h, d)
                if kind != "lun" or not isinstance(lun, Lun):
                    continue
                missing = [p for p in peers_of(self.ctx, h) if (lun.kind, lun.name) not in names_of[p.name]]
                if missing:
                    names = ", ".join(p.name for p in missing)
                    yield self.report(f"migratable guest {g.name} uses {d.path}, but {lun.kind} {lun.name} is "
                                      f"not declared on its migration peer{'s' if len(missing) > 1 else ''} "
                                      f"{names}", d.span, d.owner,
                                      related=[Related(lun.span, f"declared on {h.name}")]
                                      + [Related(p.span, f"{p.name} lacks it") for p in missing],
                                      hint=f"add `{'multipath' if lun.kind == 'multipath' else 'lun'} {lun.name} "
                                           f"wwid {lun.wwid}` to {names}")


# ---------------------------------------------------------------- iSCSI targets and pools

class IqnSyntax(Rule):
    """iSCSI targets are named by a well-formed IQN.

    What it checks: the name of each `iscsi-target` and the `device` of each iscsi pool
    against iqn.YYYY-MM.reversed.domain[:identifier].

    Why: the target is added "using an iSCSI Qualified Name (IQN)",
    iqn.2004-04.rhel:rhel5:iscsi.kvmguest (§23.1.1, lines 3718-3720); the pool's source
    path "is the iSCSI qualified name (IQN) seen in the previous setup procedure" (§23.1.2,
    line 3795). The date is the year and month the naming authority registered the
    domain.

    Example:
        iscsi-target "rhel5:iscsi.kvmguest" lun 1 "/dev/VolGroup00/lun1"

    Fix: `iscsi-target "iqn.2004-04.com.example:rhel5:kvmguest" ...`.
    """

    code, name, severity = "VU107", "iqn-syntax", Severity.ERROR
    checklist, section, lines = ("MPIO-17",), "§23.1.1", "3718-3720, 3795"
    scope = Scope.HOST
    when = ("iscsi_targets", "pools")
    uses = ("mpio.iqn_pattern",)

    def host(self, h, guests):
        pattern = self.limit("mpio.iqn_pattern")
        iqn = re.compile(pattern.value)
        for t in h.iscsi_targets:
            if not iqn.match(t.iqn):
                yield self.report(f"iSCSI target name '{t.iqn}' of host {h.name} is not an IQN", t.span,
                                  h.owner, limit=pattern,
                                  hint="iqn.YYYY-MM.reversed-domain:identifier, e.g. iqn.2004-04.com.example:disk1")
        for p in h.pools:
            if p.type == "iscsi" and p.device and not iqn.match(p.device):
                yield self.report(f"iscsi pool {p.name} of host {h.name} names the target '{p.device}', not an "
                                  "IQN", p.span, h.owner, limit=pattern,
                                  hint="device \"iqn.YYYY-MM.reversed-domain:identifier\"")


class IscsiPoolSource(Rule):
    """An iSCSI pool names its server and its target.

    What it checks: a `pool NAME iscsi` without `host` (the iSCSI server) or without
    `device` (the target's IQN).

    Why: "For an iSCSI storage pool there are three important pieces of information to
    provide": the target path, "the host name - this is simply the fully-qualified DNS
    name of the iSCSI server", and "the source path - this is the iSCSI qualified name
    (IQN)" (§23.1.2, lines 3792-3806). Without them libvirt cannot log in.

    Example:
        pool kvmguest iscsi path "/dev/disk/by-path"

    Fix: `pool kvmguest iscsi host "myiscsi.example.com" device
    "iqn.2004-04.rhel:rhel5:iscsi.kvmguest" path "/dev/disk/by-path"`.
    """

    code, name, severity = "VU108", "iscsi-pool-source", Severity.ERROR
    checklist, section, lines = ("MPIO-23",), "§23.1.2", "3792-3806"
    scope = Scope.HOST
    when = ("pools",)

    def host(self, h, guests):
        for p in h.pools:
            if p.type != "iscsi":
                continue
            missing = [w for w, v in (("host (the iSCSI server)", p.source_host), ("device (the target IQN)", p.device))
                       if not v]
            if missing:
                yield self.report(f"iscsi pool {p.name} of host {h.name} has no {' and no '.join(missing)}",
                                  p.span, h.owner,
                                  hint='add host "iscsi.example.com" device "iqn.YYYY-MM.domain:target"')


class IscsiLunZero(Rule):
    """LUN 0 of a tgtd target is its controller; data LUNs start at 1.

    What it checks: an `iscsi-target ... lun 0 "..."`, and a guest disk on an iSCSI
    by-path name ending in -lun-0.

    Why: the guide adds its volumes as --lun 1 and --lun 2 (§23.1.1, lines 3723-3727),
    and tgtadm then shows "LUN: 0, Type: controller, Backing store type: null" before
    them (lines 3741-3752): tgtd creates LUN 0 itself.

    Example:
        iscsi-target "iqn.2004-04.rhel:rhel5:iscsi.kvmguest" lun 0 "/var/lib/tgtd/kvmguest/a.img"

    Fix: number data LUNs from 1.
    """

    code, name, severity = "VU109", "iscsi-lun-zero", Severity.WARNING
    checklist, section, lines = ("MPIO-18",), "§23.1.1", "3723-3727, 3741-3752"
    scope = Scope.HOST
    when = ("iscsi_targets", "guests")
    uses = ("mpio.iscsi_controller_lun",)

    def host(self, h, guests):
        limit = self.limit("mpio.iscsi_controller_lun")
        for t in h.iscsi_targets:
            for n, store in t.luns:
                if n == limit.value:
                    yield self.report(f"iSCSI target {t.iqn} of host {h.name} puts {store} on LUN {n}, the "
                                      "target's controller", t.span, h.owner, limit=limit,
                                      hint="use lun 1 and up for data")
        suffix = f"-lun-{limit.value}"
        for g in guests:
            for d in g.disks:
                if d.path and d.path.startswith("/dev/disk/by-path/") and d.path.endswith(suffix):
                    yield self.report(f"disk {d.target} of guest {g.name} is LUN {limit.value} of an iSCSI target, "
                                      "the controller, not a disk", d.span, d.owner, limit=limit,
                                      hint="use the data LUN (-lun-1 or higher)")


class IscsiAllowAll(Rule):
    """An iSCSI target does not accept every initiator.

    What it checks: an `iscsi-target ... allow ALL`.

    Why: "this example command allows access to all clients without any authentication:
    tgtadm ... --initiator-address ALL" (§23.1.1, lines 3777-3780). Any host that reaches
    the portal can then read and write the guests' disks.

    Example:
        iscsi-target "iqn.2004-04.rhel:rhel5:iscsi.kvmguest" lun 1 "/dev/vg/lun1" allow ALL

    Fix: `allow "192.168.122.0/24"` (the initiators' addresses), plus CHAP if possible.
    """

    code, name, severity = "VU110", "iscsi-allow-all", Severity.WARNING
    checklist, section, lines = ("MPIO-20",), "§23.1.1", "3777-3780"
    scope = Scope.HOST
    when = ("iscsi_targets",)

    def host(self, h, guests):
        for t in h.iscsi_targets:
            if t.allow and t.allow.strip().upper() == "ALL":
                yield self.report(f"iSCSI target {t.iqn} of host {h.name} accepts every initiator without "
                                  "authentication", t.span, h.owner,
                                  hint="allow only the virtualization hosts' addresses")


class IscsiTargetNotProduction(Rule):
    """A RHEL 5 server as an iSCSI target is for testing only.

    What it checks: a host with an `iscsi-target` statement (once per host).

    Why: "Setting up a Red Hat Enterprise Linux server as an iSCSI target is not
    recommended. The example used in this section should not be used in production, and
    is provided as an example which should only be referred to for basic shared storage
    testing and educational purposes" (§23.1, lines 3690-3692).

    Example:
        host store1 { hypervisor kvm; iscsi-target "iqn.2004-04.rhel:rhel5:x" lun 1 "/dev/vg/l1" }

    Fix: use a dedicated storage array for production; keep a RHEL target for tests and
    suppress this warning there with a reason.
    """

    code, name, severity = "VU111", "iscsi-target-not-production", Severity.WARNING
    checklist, section, lines = ("MPIO-14",), "§23.1", "3690-3692"
    scope = Scope.HOST
    when = ("iscsi_targets",)

    def host(self, h, guests):
        if h.iscsi_targets:
            t = h.iscsi_targets[0]
            yield self.report(f"host {h.name} serves iSCSI target {t.iqn}; a RHEL 5 server as an iSCSI target is "
                              "for testing, not production", t.span, h.owner,
                              hint="serve production LUNs from a storage array")


class IscsiPoolPath(Rule):
    """An iSCSI pool exposes its LUNs under /dev/disk/by-path.

    What it checks: the `path` of each `pool NAME iscsi` (missing, or anything other than
    /dev/disk/by-path).

    Why: "Paths like /dev/sda and /dev/sdb are not an ideal choice as they can change
    between reboots, and can change across machines within a cluster ... It is strongly
    recommended to use the /dev/disk/by-path format. This results in a consistent naming
    scheme across all machines" (§23.1.2, lines 3793, 3804, 3943). Contradiction C-40: the
    guide's own listing shows the LUNs under portal 192.168.122.2 (line 3827) while the
    guest's XML uses 192.168.122.170 (line 3898), and vol-dumpxml's key is lun-1 while its
    path is lun-2 (lines 3844, 3850). By-path names embed the portal address and LUN
    number, so they are stable only while those are; virtc does not compare guests'
    by-path names with the pools (an example inconsistency, no rule reading to choose).

    Example:
        pool kvmguest iscsi host "myiscsi.example.com" device "iqn.2004-04.rhel:rhel5:x" path "/dev"

    Fix: `path "/dev/disk/by-path"`.
    """

    code, name, severity = "VU112", "iscsi-pool-path", Severity.WARNING
    checklist, section, lines = ("MPIO-22",), "§23.1.2", "3793, 3804, 3943"
    scope = Scope.HOST
    when = ("pools",)
    uses = ("mpio.iscsi_pool_target_path",)

    def host(self, h, guests):
        want = self.limit("mpio.iscsi_pool_target_path")
        for p in h.pools:
            if p.type == "iscsi" and (p.path or "").rstrip("/") != want.value:
                shown = f"target path {p.path}" if p.path else "no target path"
                yield self.report(f"iscsi pool {p.name} of host {h.name} has {shown}; use {want.value} for names "
                                  "that stay the same across reboots and hosts", p.span, h.owner, limit=want,
                                  hint=f'path "{want.value}"')


class PoolAutostart(Rule):
    """A pool holding an autostarted guest's disk is autostarted too.

    What it checks: a guest with `autostart` whose disk lies in a declared pool (under its
    target path; for an iscsi pool, a by-path name of its target's IQN) that lacks
    `autostart`.

    Why: "If everything is configured properly, the pool can be set to start
    automatically upon booting of the host: virsh pool-autostart kvmguest" (§23.1.2, lines
    3861-3865); until the pool starts, "no LUNs will be visible on the host" (line 3820), so
    the guest cannot start at boot.

    Example:
        pool kvmguest iscsi host "s.example.com" device "iqn.2004-04.rhel:rhel5:x" path "/dev/disk/by-path"
        guest g { autostart; disk vda virtio "/dev/disk/by-path/ip-192.168.122.2:3260-iscsi-iqn.2004-04.rhel:rhel5:x-lun-1" }

    Fix: add `autostart` to the pool.
    """

    code, name, severity = "VU113", "pool-autostart", Severity.WARNING
    checklist, section, lines = ("MPIO-24",), "§23.1.2", "3820, 3861-3865"
    scope = Scope.HOST
    when = ("pools",)

    def host(self, h, guests):
        pools = [p for p in h.pools if not p.autostart and p.path]
        if not pools:
            return
        for g in guests:
            if not g.autostart:
                continue
            for d in g.disks:
                if not d.path:
                    continue
                for p in pools:
                    inside = under(d.path, p.path) and \
                        (p.type != "iscsi" or not p.device or f"-iscsi-{p.device}-" in d.path)
                    if inside:
                        yield self.report(f"guest {g.name} starts with the host but its disk {d.target} is in pool "
                                          f"{p.name}, which does not", d.span, d.owner,
                                          related=(Related(p.span, f"pool {p.name} without autostart"),),
                                          hint=f"add `autostart` to pool {p.name}")
                        break


class IscsiFileLun(Rule):
    """File-backed iSCSI LUNs are slower than block devices.

    What it checks: LUNs of an `iscsi-target` whose backing store is a file (not a /dev
    device). An informational note.

    Why: "The LUNs can be plain files, LVM volumes, or block devices. There is however a
    performance overhead if using the LVM and/or file system layers as compared to block
    devices" (§23.1.1, line 3709).

    Example:
        iscsi-target "iqn.2004-04.rhel:rhel5:x" lun 1 "/var/lib/tgtd/kvmguest/rhelx86_64.img"

    Fix: back LUNs with block devices where performance matters.
    """

    code, name, severity = "VU114", "iscsi-file-lun", Severity.INFO
    checklist, section, lines = ("MPIO-16",), "§23.1.1", "3709"
    scope = Scope.HOST
    when = ("iscsi_targets",)

    def host(self, h, guests):
        for t in h.iscsi_targets:
            files = [store for _, store in t.luns if not store.startswith("/dev/")]
            if files:
                yield self.report(f"iSCSI target {t.iqn} of host {h.name} is backed by file{'s' if len(files) > 1 else ''} "
                                  f"{', '.join(files)}; block devices avoid the file system's overhead", t.span,
                                  h.owner, hint="use a logical volume or a block device as the backing store")


class IscsiTargetTgtd(Rule):
    """An iSCSI target host runs tgtd, from scsi-target-utils.

    What it checks: a host with an `iscsi-target` whose `services` do not turn tgtd on, or
    whose `packages` list lacks scsi-target-utils. An informational note.

    Why: "yum install scsi-target-utils; chkconfig tgtd on; service tgtd start" (§23.1.1,
    lines 3696-3701); "The scsi-target-utils package required for this example is
    provided only in the Cluster Storage add-on for Red Hat Enterprise Linux 5" (line 3706).

    Example:
        host store1 { iscsi-target "iqn.2004-04.rhel:rhel5:x" lun 1 "/dev/vg/l1" }     # no tgtd

    Fix: `services on tgtd` and `packages scsi-target-utils` (Cluster Storage add-on).
    """

    code, name, severity = "VU115", "iscsi-target-tgtd", Severity.INFO
    checklist, section, lines = ("MPIO-15",), "§23.1.1", "3696-3706"
    scope = Scope.HOST
    when = ("iscsi_targets",)

    def host(self, h, guests):
        if not h.iscsi_targets:
            return
        problems = []
        if "tgtd" not in h.services_on:
            problems.append("does not turn tgtd on")
        if h.packages and "scsi-target-utils" not in h.packages:
            problems.append("does not install scsi-target-utils")
        if problems:
            yield self.report(f"host {h.name} serves iSCSI targets but {' and '.join(problems)}",
                              h.iscsi_targets[0].span, h.owner,
                              hint="`services on tgtd` and `packages scsi-target-utils` (from the Cluster Storage "
                                   "add-on)")

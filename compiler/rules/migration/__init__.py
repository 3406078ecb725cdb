"""Migration rules (checklist area MIG): migration groups, shared storage, relocation.

A *migration group* is a host with a `migration` statement and its `peers`, taken
transitively (a guest that can go from a to b and from b to c needs all three to agree),
found with a union-find over the peer lists. Guests of a host with peers are migratable
unless they say `migratable off`. Fleet rules index each group by the value that must
agree (release, hypervisor, bridge names, mount points ...) and report the hosts that
differ from the group's most common value, with the other host's statement as a related
span.

Which disks count as shared storage (MIG-01) is decided once, in `common.disk_storage()`:
a path at or under a `shared` mount point of the guest's host; a SAN LUN by its
persistent name (`/dev/mpath/ALIAS` of a `multipath` alias, `/dev/NAME` of a udev `lun`,
any `/dev/mpath/...` name, which VU105 checks against the aliases); an iSCSI or Fibre
Channel LUN under `/dev/disk/by-path/` (the guide's §23.1.2 form), or a `/dev/disk/by-id/`
name on a host that uses SAN storage; a path under the target path of a
netfs, iscsi or scsi pool; a path under a directory the host itself exports over NFS
(the server's copy of what its peers mount); and, on a host that uses SAN storage, a
`/dev/sdX` device (which VU101 warns about, since that name is not stable). In linted
host trees, `shared` mounts come from /etc/fstab and peers from xend's hosts-allow
patterns (compiler/peers.py). Everything else (image files
in local directories, local logical volumes, local disks) is local.

The modules: agreement (what the hosts of a group agree on), resources (bridges and
shared storage), relocation (Xen's relocation server), access (firewall, NFS exports,
URIs), and common (groups, disk_storage and the other helpers; luns and management use
them too). virtc.ruleset lists each of them.
"""
from __future__ import annotations

from . import access, agreement, common, relocation, resources  # noqa: F401  (virtc.ruleset)

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

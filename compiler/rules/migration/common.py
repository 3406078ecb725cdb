"""What the migration rules share: migration groups (found once per check and kept on
the context), the hosts and fields to point at, values that differ within a group,
which disks count as shared storage (disk_storage), and whether Xen's relocation
server is on. luns and management use them too."""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Callable, Iterable

from ...model import Disk, Host
from ...source import Span
from ..base import Context


def cached(ctx: Context, key: str, build: Callable[[], object]):
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

    return cached(ctx, "groups", build)


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

    return cached(ctx, "named_by", build)


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
    """Where a disk lives: ("shared", SharedStorage), ("export", Export: a directory this host
    exports to its peers), ("lun", Lun, alias name or by-id path), ("iscsi", path),
    ("pool", Pool), ("san-sd", path) or ("local", None). See the module
    docstring."""
    path = d.path or ""
    for s in h.shared:
        if under(path, s.path):
            return "shared", s
    for e in h.exports:
        if under(path, e.path):
            return "export", e  # the NFS server's own copy of what its peers mount
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


def relocation_on(h: Host) -> bool:
    """Xen: the relocation server is on (a `migration` statement, unless xend says no)."""
    s = xend_value(h, "relocation-server")
    if s is not None:
        return s.value.lower() in ("yes", "on", "true", "1")
    return h.migration is not None


def group_members(ctx: Context) -> Iterable[Host]:
    groups = migration_groups(ctx)
    return (h for h in ctx.model.hosts if h.name in groups)

"""Migration peers of linted host trees, from what their files say.

xend's relocation server accepts a connection when one of the regular expressions of
`xend-relocation-hosts-allow` matches the peer's IP address or its fully qualified name
(xend matches each pattern from the start). A tree's xend-config.sxp therefore names its
peers by pattern; the hosts linted with it that a pattern matches are its peers, and the
guests of a host with peers are migratable, as a `.virt` host with `migration peers`
makes them. The fleet's migration rules then compare the hosts as they compare .virt
hosts.

What a host is known by: its name (the tree's), the addresses of its bridges, of its
other interfaces (ifcfg IPADDR) and of its relocation server, and the names every linted /etc/hosts gives those addresses or the
host's name. Loopback lines are left out: anaconda writes the host name on the 127.0.0.1
line, and `^localhost$` (RHEL 5's default pattern) allows no other host.

An empty or missing hosts-allow allows every host, which says nothing about which hosts
are meant to be peers: such a host gets no peers here.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import replace

from .model import Host, Model
from .regexes import compiled


def _loopback(address: str) -> bool:
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


def host_lines(documents) -> list[tuple[str, tuple[str, ...]]]:
    """(address, names) of each non-loopback line of every linted /etc/hosts."""
    out = []
    for doc in documents:
        if getattr(doc, "format", None) != "hosts":
            continue
        for e in doc.entries:
            names = tuple(n for n in str(e.value).split() if not n.lower().startswith("localhost"))
            if names and not _loopback(e.key):
                out.append((e.key, names))
    return out


def interface_addresses(documents) -> dict[str, set[str]]:
    """Host name -> the IPADDR of each of its ifcfg files (bridged or not: a migration
    network is often a NIC of its own)."""
    out: dict[str, set[str]] = {}
    for doc in documents:
        if getattr(doc, "format", None) == "ifcfg" and doc.host is not None:
            out.setdefault(doc.host, set()).update(str(e.value) for e in doc.entries if e.key == "IPADDR" and e.value)
    return out


def known_as(h: Host, lines: list[tuple[str, tuple[str, ...]]], interfaces: set[str] = frozenset()) -> set[str]:
    """The addresses and names a peer's relocation server sees this host by."""
    addresses = {b.ip.split("/")[0] for b in h.bridges if b.ip} | set(interfaces)
    if h.migration and h.migration.address:
        addresses.add(h.migration.address)
    written = h.setting("xend", "xend-relocation-address")  # also while the server is off
    if written is not None and written.value.strip():
        addresses.add(written.value.strip())
    ids = {h.name} | addresses
    for address, names in lines:
        short = {n.split(".")[0] for n in names}
        if address in addresses or h.name in names or h.name in short:
            ids.add(address)
            ids.update(names)
    return ids


def _patterns(allow: str | None) -> list[re.Pattern]:
    out = []
    for text in (allow or "").split():
        pattern = compiled(text)  # the user's text: re.error, OverflowError, RecursionError
        if pattern is not None:  # VF504 reports a pattern xend cannot compile
            out.append(pattern)
    return out


def with_peers(model: Model, documents) -> Model:
    """The model with each Xen host's peers from its hosts-allow patterns, and the guests
    of hosts with peers migratable. Hosts with stated peers are left as they are."""
    lines = host_lines(documents)
    nics = interface_addresses(documents)
    ids = {h.name: known_as(h, lines, nics.get(h.name, set())) for h in model.hosts}
    hosts = []
    for h in model.hosts:
        m = h.migration
        patterns = _patterns(m.allow) if m is not None and not m.peers else []
        peers = tuple(o.name for o in model.hosts
                      if o.name != h.name and o.hypervisor == h.hypervisor
                      and any(p.match(i) for p in patterns for i in sorted(ids[o.name])))
        hosts.append(replace(h, migration=replace(m, peers=peers)) if peers else h)
    migrating = {h.name for h in hosts if h.migration is not None and h.migration.peers}
    # a host named as a peer by another takes part in the group too (union of peer lists)
    migrating |= {p for h in hosts if h.migration is not None for p in h.migration.peers}
    guests = tuple(replace(g, migratable=True) if g.host in migrating and not g.migratable else g
                   for g in model.guests)
    return replace(model, hosts=tuple(hosts), guests=guests)

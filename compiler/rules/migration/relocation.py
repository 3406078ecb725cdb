"""Xen's relocation server: on in every host of a group, one port, a listening address,
the hosts allowed, and an isolated network."""
from __future__ import annotations

import ipaddress
import re

from ...diagnostics import Related, Severity, excerpt
from ...model import Host
from ...source import Span
from ... import peers
from ...regexes import compiled, regex_error
from ...values import is_number
from ..base import Rule, Scope
from .common import (anchor, differing, group_list, group_members, named_as_peer_by, peers_of, relocation_on,
                     xend_value)


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
        for h in group_members(self.ctx):
            if h.hypervisor != "xen" or relocation_on(h):
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


def relocation_port(h: Host, default: int) -> tuple[int | None, Span]:
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
        for h in group_members(self.ctx):
            if h.hypervisor != "xen" or not relocation_on(h):
                continue
            port, span = relocation_port(h, default.value)
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


_LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "localhost4", "localhost4.localdomain4")


class RelocationAddressUnset(Rule):
    """The Xen relocation server listens on one address, not on every interface.

    What it checks: a Xen host with migration on and no relocation address (`migration
    ... address A` or `xend xend-relocation-address "A"`); an address on the loopback
    interface (127.0.0.1, localhost), where only the host itself can reach the server, is
    an error. A host name is bound as xend resolves it and is not judged.

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
    when = ("xend", "migration")
    hypervisors = ("xen",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or not relocation_on(h):
            return
        s = xend_value(h, "relocation-address")
        value = s.value.strip() if s else (h.migration.address if h.migration else None)
        if value:
            try:
                loopback = ipaddress.ip_address(value).is_loopback
            except ValueError:  # xend binds to a host name too; only the loopback names are wrong
                loopback = value.lower() in _LOOPBACK_NAMES
            if loopback:
                what = "xend-relocation-address" if s else "the migration address"
                yield self.report(f"{what} of host {h.name} is '{value}', the loopback "
                                  "interface: no other host can migrate a guest to it", s.span if s else anchor(h),
                                  h.owner, severity=Severity.ERROR,
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
    everyone); each pattern of an `xend` setting must be a valid regular expression; and,
    for hosts read from their files, a peer of the host's migration group that no pattern
    lets in (its addresses and the names the linted /etc/hosts files give them).

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
    when = ("xend", "migration")
    hypervisors = ("xen",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or not relocation_on(h):
            return
        s = xend_value(h, "relocation-hosts-allow")
        value = s.value.strip() if s else ((h.migration.allow or "").strip() if h.migration else "")
        if s:
            for pattern in value.split():
                why = regex_error(pattern)
                if why:  # a long pattern is named by its start (a thousand '(' or a count of 5,000 digits)
                    yield self.report(f"xend-relocation-hosts-allow pattern '{excerpt(pattern)}' of host {h.name} is not "
                                      f"a regular expression ({why})", s.span, h.owner,
                                      severity=Severity.ERROR)
        if s and value:
            yield from self.shut_out(h, s, value)
        if not value:
            peers = " ".join(f"^{re.escape(p.name)}$" for p in peers_of(self.ctx, h)) or "^peer\\.example\\.com$"
            yield self.report(f"the relocation server of Xen host {h.name} accepts migrations from any host "
                              "(empty hosts-allow)", s.span if s else anchor(h), h.owner,
                              hint=f'add `allow "{peers}"` to the migration statement')


    def shut_out(self, h, s, value: str):
        """Peers of h's group that no pattern of h's list matches: their migrations to h
        are refused. Judged only for peers whose names a linted /etc/hosts gives (xend
        matches the connecting host's address or the name it resolves to)."""
        patterns = []
        for text in value.split():
            pattern = compiled(text)  # the user's text: re.error, OverflowError, RecursionError
            if pattern is None:
                return  # reported above
            patterns.append(pattern)
        lines = peers.host_lines(self.ctx.documents)
        nics = peers.interface_addresses(self.ctx.documents)
        for p in peers_of(self.ctx, h):
            if p.hypervisor != "xen":
                continue
            ids = peers.known_as(p, lines, nics.get(p.name, set()))
            named = {n for _, names in lines for n in names} & ids
            if not named or any(rx.match(i) for rx in patterns for i in ids):
                continue
            shown = ", ".join(sorted(ids - {p.name}))
            address = xend_value(p, "relocation-address")
            fqdns = sorted(n for n in named if "." in n)
            chosen = address.value.strip() if address is not None and address.value.strip() else \
                (fqdns or sorted(named))[0]
            # as xend-config.sxp writes it: a quoted string, where a backslash is doubled
            pattern = "^" + chosen.replace(".", "\\\\.") + "$"
            yield self.report(f"the relocation server of Xen host {h.name} does not let its migration peer {p.name} "
                              f"in: no pattern of xend-relocation-hosts-allow matches {shown}", s.span, h.owner,
                              hint=f"add {pattern} (the address or name {p.name} migrates from) to the list")


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
    when = ("xend", "migration")
    hypervisors = ("xen",)

    def host(self, h, guests):
        if h.hypervisor != "xen" or not relocation_on(h):
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

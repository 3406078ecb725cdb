"""Virtual networks and the bridges guests' NICs name: the network or bridge exists on
the guest's host, libvirt's bridges are libvirt's alone, NAT needs IP forwarding, and
a DHCP range fits its subnet."""
from __future__ import annotations

from ...diagnostics import Related, Severity
from ...model import Guest, Host, Network
from ...suggest import did_you_mean
from ..base import Rule, Scope
from .common import NetRule, address_of, interface_of, libvirtd_off


class GuestNetworkMissing(NetRule):
    """The virtual network a NIC joins exists and runs on the guest's host.

    What it checks: a NIC on a libvirt virtual network (`nic network NAME`) whose network is
    not defined on the host (libvirt's `default` always is), or whose host has libvirtd
    turned off (`services off libvirtd`), so that no network, not even `default`, is
    started.

    Why: "a guest can be connected to the virtual network based on its name" with
    `<source network='default'/>` (§10.1, lines 1516-1520); the name must be a network the
    host defines. The default network is defined by /usr/share/libvirt/networks/default.xml
    and must be active and autostarted (lines 1494-1509): libvirtd starts it. The compiler
    already refuses unknown names in the DSL (VR003); this rule also covers models read
    from existing configurations.

    Example:
        host h { hypervisor kvm; services off libvirtd }
        guest g on h { memory 1G; nic network default }

    Fix: turn libvirtd on (`services on libvirtd`), or put the NIC on a host bridge.
    """

    code, name, severity = "VN105", "guest-network-missing", Severity.ERROR
    facts = ("networks",)
    checklist, section, lines = ("NET-09", "NET-06"), "§10.1", "1494-1520"
    uses = ("libvirt.default_network",)

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        known = self.networks(h)
        for n in g.nics:
            if n.kind != "network":
                continue
            if n.source not in known:
                yield self.report(f"NIC {n.index} of guest {g.name} joins network '{n.source}', which host "
                                  f"{h.name} does not define", n.at("source"), n.owner,
                                  hint=did_you_mean(n.source, known)
                                  or f"networks on {h.name}: {', '.join(sorted(known))}")
            elif libvirtd_off(h):
                yield self.report(f"NIC {n.index} of guest {g.name} joins virtual network '{n.source}', but "
                                  f"libvirtd is off on host {h.name}, so the network is never started",
                                  n.at("source"), n.owner,
                                  related=(Related(h.fields.get("services") or h.span, "libvirtd turned off here"),),
                                  hint="turn libvirtd on (`services on libvirtd`) or use a host bridge")


class LibvirtBridgeConflict(NetRule):
    """The bridge of a libvirt virtual network (virbr0) is libvirt's alone: no physical NIC, no ifcfg.

    What it checks: a host `bridge` statement whose name is the bridge of one of the host's
    virtual networks (virbr0 for `default` when it is not redeclared): with `on NIC` it
    attaches a physical interface to the NAT bridge; without, it defines the bridge a
    second time.

    Why: "the virbr0 bridge is completely separate from your bridges. Do NOT try to attach
    a physical device to virbr0; the virbr0 bridge is only for NAT connectivity" (§10.2,
    line 1599); the default network is "an isolated bridge device with no physical
    interface added, because it uses NAT and IP forwarding ... do not add interfaces"
    (§10.1, line 1510). libvirt creates the bridge itself and cannot start the network when
    an ifcfg file already made it.

    Example:
        bridge virbr0 on eth0

    Fix: give the physical bridge its own name (`bridge br0 on eth0`). To put a Xen guest on
    the NAT network, declare `network default` and use `nic bridge virbr0`.
    """

    code, name, severity = "VN106", "libvirt-bridge-conflict", Severity.ERROR
    checklist, section, lines = ("NET-07",), "§10.2", "1510, 1599"
    scope = Scope.HOST
    when = ("bridges",)
    uses = ("libvirt.default_network",)

    def host(self, h: Host, guests):
        owned = self.network_bridges(h)
        declared = {n.name: n for n in h.networks}
        for b in h.bridges:
            net = owned.get(b.name)
            if net is None:
                continue
            related = (Related(declared[net].span, f"network {net} owns bridge {b.name}"),) if net in declared else ()
            if b.nic:
                yield self.report(f"bridge {b.name} on host {h.name} enslaves {b.nic}, but {b.name} is the "
                                  f"NAT bridge of virtual network '{net}'; physical interfaces never join it",
                                  b.at("nic"), b.owner, related=related,
                                  hint=f"name the physical bridge differently, e.g. `bridge br0 on {b.nic}`")
            else:
                yield self.report(f"bridge {b.name} on host {h.name} is also the bridge of virtual network "
                                  f"'{net}', which libvirt creates itself", b.span, b.owner, related=related,
                                  hint=f"drop the bridge statement; declare `network {net}` and use "
                                       f"`nic bridge {b.name}` or `nic network {net}`")


class NatNeedsIpForward(NetRule):
    """NAT and routed virtual networks need net.ipv4.ip_forward = 1.

    What it checks: a host that turns IP forwarding off (`sysctl net.ipv4.ip_forward 0`)
    while it runs a NAT or routed virtual network (declared, autostarted, or used by a
    guest; a network XML defined on a host but neither autostarted nor used is not running).

    Why: "Enabling IP forwarding (net.ipv4.ip_forward = 1) is required for virtual bridge
    devices" (§18.4, line 3018); libvirt tries to turn it on, but "some applications may
    disable ip_forward, so it is best to add net.ipv4.ip_forward = 1 to /etc/sysctl.conf"
    (§10.1, lines 1514-1515). Physical bridges do not need it (line 3022). A warning, as
    the checklist rates it: libvirtd turns forwarding on when it starts a NAT network
    (line 1514), so RHEL 5's stock `net.ipv4.ip_forward = 0` is overridden at boot, and
    the guests lose their route out only when something applies sysctl.conf again
    (`sysctl -p`, `service network restart`) while the network runs. A missing line is
    left to libvirt, which sets it when installed (line 3018).

    Example:
        network lab forward nat ip 192.168.100.1/24
        sysctl net.ipv4.ip_forward 0

    Fix: `sysctl net.ipv4.ip_forward 1`.
    """

    code, name, severity = "VN107", "nat-needs-ip-forward", Severity.WARNING
    facts = ("sysctl",)
    checklist, section, lines = ("NET-08",), "§10.1", "1514-1515, 3018, 3022"
    scope = Scope.HOST
    when = ("sysctl",)
    uses = ("network.ip_forward_sysctl", "libvirt.default_network")

    def host(self, h: Host, guests):
        (key, want), = self.limit("network.ip_forward_sysctl").value.items()
        s = h.setting("sysctl", key)
        if s is None or s.value.strip() == want:
            return
        # a network that runs: autostarted with libvirtd, or started by a guest that uses it
        used = {n.source for g in guests for n in g.nics if n.kind == "network"}
        users: list[tuple[str, object]] = [(f"{n.forward} network {n.name}", n.span) for n in h.networks
                                           if n.forward in ("nat", "route") and (n.autostart or n.name in used)]
        dflt = self.default_network()
        if dflt["network"] not in {n.name for n in h.networks}:
            for g in guests:
                nic = next((n for n in g.nics if n.kind == "network" and n.source == dflt["network"]), None)
                if nic is not None:
                    users.append((f"guest {g.name} on NAT network {dflt['network']}", nic.span))
                    break
        if users:
            yield self.report(f"host {h.name} sets {key} = {s.value}, but its {users[0][0]} needs IP forwarding",
                              s.span, h.owner, limit=self.limit("network.ip_forward_sysctl"),
                              related=[Related(span, what) for what, span in users[:1]],
                              hint=f"`sysctl {key} {want}`")


# ----------------------------------------------------------------------------- bridges of guests


class GuestBridgeMissing(NetRule):
    """The bridge a NIC names exists on the guest's host when the guest starts.

    What it checks: a NIC on a bridge (`nic bridge NAME`, vif bridge=) that is neither a
    host bridge (an ifcfg bridge, or, on a host read from its files, one that xend's
    network-script makes: network-bridge's xenbr0, or the bridges its arguments or a
    wrapper script in /etc/xen/scripts name) nor the bridge of one of the host's virtual
    networks, and a NIC on a virtual network's bridge (virbr0, ...) of a host whose
    libvirtd is off, so that libvirt never creates the bridge.

    Why: "Bridge xenbr1 does not exist!" ... "This happens when the guest's bridge is
    incorrectly configured and this forces the Xen hotplug scripts to timeout"; xm create
    then fails with "Device 0 (vif) could not be connected. Hotplug scripts not working"
    (§34.13, lines 5990-5999). When a configuration moves to another host, "you must update
    the xenbr entry to match your local networking configuration" (§32.18-19, lines 5572,
    5587). The compiler refuses unknown bridges in the DSL (VR003); this rule also covers
    models read from existing configurations.

    Example:
        host h { hypervisor xen; network default; services off libvirtd }
        guest g on h { type xen-pv; memory 1G; nic bridge virbr0 }

    Fix: turn libvirtd on, or use a host bridge that exists (`bridge xenbr0 on eth0`).
    """

    code, name, severity = "VN130", "guest-bridge-missing", Severity.ERROR
    facts = ("bridges",)
    checklist, section, lines = ("NET-38",), "§34.13", "5572, 5587, 5990-5999"
    uses = ("libvirt.default_network",)

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        physical = {b.name for b in h.bridges}
        owned = self.network_bridges(h)
        for n in g.nics:
            if n.kind != "bridge" or not n.source or n.source in physical:
                continue
            if n.source not in owned:
                known = physical | set(owned)
                yield self.report(f"bridge {n.source} of guest {g.name} (NIC {n.index}) does not exist on host "
                                  f"{h.name}", n.at("source"), n.owner,
                                  hint=did_you_mean(n.source, known)
                                  or f"bridges on {h.name}: {', '.join(sorted(known))}")
            elif libvirtd_off(h):
                yield self.report(f"bridge {n.source} of guest {g.name} (NIC {n.index}) belongs to virtual network "
                                  f"'{owned[n.source]}', but libvirtd is off on host {h.name}, so it is never created",
                                  n.at("source"), n.owner,
                                  related=(Related(h.fields.get("services") or h.span, "libvirtd turned off here"),),
                                  hint="turn libvirtd on (`services on libvirtd`) or use a host bridge")


class NetworkDhcpRange(Rule):
    """A virtual network's DHCP range lies inside its subnet and leaves out the host's address.

    What it checks: for each `network ... dhcp START - END`: the network has an address,
    START is not after END, both lie inside the network's subnet (not its network or
    broadcast address), and the range does not contain the host side's own address.

    Why: the guide's network XML gives `<ip address='192.168.100.1'
    netmask='255.255.255.0'>` with `<dhcp><range start='192.168.100.128'
    end='192.168.100.254' /></dhcp>` (§25, lines 4273-4284): the range is part of that
    subnet and excludes the host's .1. libvirt hands the range to dnsmasq as its
    dhcp-range, whose form is "dhcp-range=10.1.1.10,10.1.1.50,255.255.255.0,12h" inside
    the interface's network (§11.2, lines 1756-1758). libvirt refuses a range outside the
    subnet, and a range holding the host's address hands it out to a guest.

    Example:
        network lab ip 192.168.100.1/24 dhcp 192.168.100.1 - 192.168.100.254

    Fix: `dhcp 192.168.100.128 - 192.168.100.254`.
    """

    code, name, severity = "VN131", "network-dhcp-range", Severity.ERROR
    checklist, section, lines = ("NET-39", "NET-29"), "§25", "1756-1758, 4273-4284"
    scope = Scope.HOST
    when = ("networks",)

    def host(self, h: Host, guests):
        for net in h.networks:
            if not net.dhcp_start and not net.dhcp_end:
                continue
            found = self.problem(net)
            if found:
                problem, field = found
                yield self.report(f"DHCP range {net.dhcp_start} - {net.dhcp_end} of network {net.name} on host "
                                  f"{h.name} {problem}", net.at(field, "dhcp_start"), net.owner,
                                  hint="keep the range inside the network's subnet, after the host's address")

    @staticmethod
    def problem(net: Network) -> tuple[str, str] | None:
        """What is wrong with the range, and which field the finding points at."""
        iface = interface_of(net.ip)
        start, end = address_of(net.dhcp_start), address_of(net.dhcp_end)
        if iface is None:
            return "belongs to a network without an address (`ip A/P`), so there is nothing to serve", "dhcp_start"
        if start is None or end is None:
            return "is not a pair of addresses", "dhcp_start" if start is None else "dhcp_end"
        if start > end:
            return "starts after it ends", "dhcp_start"
        subnet = iface.network
        outside = [(str(a), f) for a, f in ((start, "dhcp_start"), (end, "dhcp_end")) if a not in subnet]
        if outside:
            return f"has {' and '.join(a for a, _ in outside)} outside {subnet}", outside[0][1]
        special = [(str(a), f) for a, f in ((start, "dhcp_start"), (end, "dhcp_end"))
                   if a in (subnet.network_address, subnet.broadcast_address)]
        if special:
            return (f"includes {' and '.join(a for a, _ in special)}, the network or broadcast address of {subnet}",
                    special[0][1])
        if start <= iface.ip <= end:
            return f"includes {iface.ip}, the host's own address on the network", "dhcp_start"
        return None

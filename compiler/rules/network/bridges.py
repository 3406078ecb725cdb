"""Host bridges: xend's network script, NetworkManager, what a bridge enslaves, bridged
traffic and iptables, services behind NAT, wireless NICs, PXE, and bridge names."""
from __future__ import annotations

import re

from ...diagnostics import Related, Severity
from ...model import Bridge, Guest, Host, Nic
from ...netscript import XENBR, is_network_bridge, network_bridge, split
from ...suggest import did_you_mean
from ..base import Rule, Scope
from .common import NetRule, mac_octets, prefix_octets, service_state

# Interface names of wireless cards (RHEL 5 drivers: ipw, iwl, ath, madwifi, rt2x00, b43).
# Not from the guide, which only says "wireless network cards" (line 1682).
_WIRELESS = re.compile(r"^(wlan|wifi|ath|wl|ra|rausb)[0-9]+$")


# Guest services that are clients rather than servers (NET-21 looks for the rest).
_CLIENT_SERVICES = ("ntpd", "network", "syslog", "rsyslog", "kudzu", "irqbalance", "cpuspeed",
                    "auditd", "crond", "atd", "xend", "libvirtd", "xendomains")


def _has_ip_config(b: Bridge) -> bool:
    return b.bootproto in ("dhcp", "static") or bool(b.ip)


def _xen_script(rule: Rule, h: Host):
    """(script, key=value arguments, the xend setting or None) of a Xen host's network-script."""
    setting = h.setting("xend", "network-script")
    default = rule.limit("xen.network_script_default").value
    script, args = split(setting.value if setting else default["script"])
    return script, args, setting


def _script_name(script: str) -> str:
    return script.removeprefix("/etc/xen/scripts/")


class XenScriptWithIfcfgBridges(Rule):
    """A Xen host whose bridges come from ifcfg files sets (network-script /bin/true).

    What it checks: on a Xen host, bridges that xend's network script does not make
    itself, while xend-config.sxp still runs a script. The default `network-bridge` makes
    one bridge (xenbr0 on eth0, or what its `bridge=` and `netdev=` arguments say) with no
    address of its own; a custom script such as network-xen-multi-bridge is taken to make
    the xenbrN bridges. Every other bridge, and any bridge with an address, DHCP, STP, an
    MTU or a hardware address, is an initscripts (ifcfg) bridge. On a host read from its
    files the bridges xend's script makes are known (xend-config.sxp, /etc/xen/scripts)
    and are never taken for ifcfg bridges.

    Why: "if your system uses Xen bridging, we recommend disabling the default Xen network
    bridge by editing /etc/xen/xend-config.sxp and changing (network-script
    network-bridge) to (network-script /bin/true)" (§10.2, lines 1533-1537). Otherwise
    network-bridge renames and re-bridges the NIC at xend start, under the ifcfg bridge.

    Example:
        host xen1 { hypervisor xen; bridge br0 on eth0 ip 10.0.0.5/24 }   # no xend line

    Fix: `xend network-script "/bin/true"` on the host.
    """

    code, name, severity = "VN108", "xen-script-with-ifcfg-bridges", Severity.WARNING
    facts = ("xend",)
    checklist, section, lines = ("NET-10",), "§10.2", "1533-1537"
    scope = Scope.HOST
    when = ("bridges",)
    hypervisors = ("xen",)
    uses = ("xen.network_script_default", "xen.network_script_off")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen" or not h.bridges:
            return
        off = self.limit("xen.network_script_off").value
        script, args, setting = _xen_script(self, h)
        if script == off:
            return
        name = _script_name(script)

        def made_by_script(b: Bridge) -> bool:
            if b.xend_script is not None:
                return True  # read from the host: xend's script makes it, not an ifcfg file
            if _has_ip_config(b) or b.mtu or b.stp or b.hwaddr:
                return False
            if is_network_bridge(name):
                made = network_bridge(args)
                return made is not None and b.name == made[0] and b.nic in (None, made[1])
            return bool(XENBR.match(b.name))

        ifcfg = [b for b in h.bridges if not made_by_script(b)]
        if not ifcfg:
            return
        b = ifcfg[0]
        runs = f"xend runs {script}" if setting else f"xend runs its default {script}"
        # at the network-script line to change, when written; else at the first bridge
        related = [Related(x.span, f"ifcfg bridge {x.name}") for x in (ifcfg if setting else ifcfg[1:])]
        yield self.report(f"host {h.name} has initscripts (ifcfg) bridges ({', '.join(x.name for x in ifcfg)}) "
                          f"but {runs}, which sets up bridging itself", setting.span if setting else b.span,
                          h.owner if setting else b.owner,
                          limit=self.limit("xen.network_script_off"), related=related,
                          hint=f'add `xend network-script "{off}"` to host {h.name}')


class NetworkManagerWithBridges(Rule):
    """NetworkManager is off on a host with bridges.

    What it checks: a host with `services on NetworkManager` and at least one initscripts
    (ifcfg) bridge, the manual configuration NetworkManager overwrites.

    Why: "NetworkManager does not support bridging. Running NetworkManager will overwrite
    any manual bridge configuration", so it "should be disabled in order to use networking
    via the network scripts" (chkconfig NetworkManager off; chkconfig network on), or every
    ifcfg file involved gets NM_CONTROLLED=no (§10.2, lines 1538-1547).

    Example:
        host kvm1 { hypervisor kvm; bridge br0 on eth0; services on NetworkManager }

    Fix: `services off NetworkManager` and `services on network`.
    """

    code, name, severity = "VN109", "networkmanager-with-bridges", Severity.ERROR
    checklist, section, lines = ("NET-11",), "§10.2", "1538-1547"
    scope = Scope.HOST
    when = ("bridges",)

    def host(self, h: Host, guests):
        bridges = [b for b in h.bridges if b.xend_script is None]  # the initscripts bridges
        if not bridges or service_state(h.services_on, h.services_off, "NetworkManager") is not True:
            return
        b = bridges[0]
        yield self.report(f"NetworkManager is on on host {h.name}, which has bridges "
                          f"({', '.join(x.name for x in bridges)}); NetworkManager overwrites them",
                          b.span, b.owner,
                          related=(Related(h.fields.get("services") or h.span, "services of the host"),),
                          hint="`services off NetworkManager` and `services on network`")


class HwaddrNotPhysical(Rule):
    """A bridged NIC's hwaddr is the NIC's own address, not a virtual machine's.

    What it checks: `bridge ... hwaddr MAC` (HWADDR= of the enslaved NIC) in the Xen
    (00:16:3e) or libvirt/KVM (52:54:00) ranges, which no physical card carries.

    Why: the NIC's ifcfg file gets HWADDR=, and "change the hardware address to match the
    hardware address your NIC uses" (§10.2, lines 1554-1555). A virtual address there was
    copied from a guest (cloned configurations, §32.18, line 5574): initscripts then find
    no card with that address and leave the NIC down.

    Example:
        bridge br0 on eth0 hwaddr 00:16:3e:12:34:56

    Fix: copy the address from `ip link show eth0` on the host.
    """

    code, name, severity = "VN110", "hwaddr-not-physical", Severity.WARNING
    checklist, section, lines = ("NET-13",), "§10.2", "1554-1555, 5574"
    scope = Scope.HOST
    when = ("bridges",)
    uses = ("xen.mac_range", "kvm.mac_prefix")

    def host(self, h: Host, guests):
        ranges = {"Xen": self.limit("xen.mac_range").value["prefix"], "KVM": self.limit("kvm.mac_prefix").value}
        for b in h.bridges:
            raw = mac_octets(b.hwaddr or "")
            if not raw:
                continue
            for who, prefix in ranges.items():
                if raw.startswith(prefix_octets(prefix)):
                    yield self.report(f"hwaddr {b.hwaddr} of {b.nic or b.name} on host {h.name} is a {who} "
                                      f"guest address ({prefix}), not a physical NIC's", b.at("hwaddr"), b.owner,
                                      hint=f"use the address `ip link show {b.nic or b.name}` prints")


class IpOnEnslavedInterface(NetRule):
    """A bridge enslaves a plain interface, never one that carries its own address.

    What it checks: a `bridge NAME on IF` whose IF is itself a bridge of the host, either
    another `bridge` statement (with an address or DHCP, or without) or the bridge of a
    libvirt virtual network, which always has the network's address.

    Why: "IP address configuration, be it dynamic or static, should be configured on the
    bridge itself (for example, in the ifcfg-br0 file). Network access will not function as
    expected if IP address details are configured on the physical interface that the
    bridge is connected to" (§10.2, lines 1570-1572). In the DSL the address always goes on
    the bridge, so an enslaved interface with an address is another bridge; Linux also
    refuses to put a bridge inside a bridge. Contradiction C-36: the guide's PXE example
    puts BOOTPROTO=dhcp on the enslaved eth1 (lines 822-828); the explicit rule of lines
    1570-1572 is followed, and that example is written `bridge installation on eth1 dhcp`.

    Example:
        bridge br0 on eth0 ip 10.0.0.5/24
        bridge br1 on br0

    Fix: enslave the physical NIC (`bridge br1 on eth1`), or use one bridge.
    """

    code, name, severity = "VN111", "ip-on-enslaved-interface", Severity.ERROR
    checklist, section, lines = ("NET-18",), "§10.2", "822-828, 1570-1572"
    scope = Scope.HOST
    when = ("bridges",)
    uses = ("libvirt.default_network",)

    def host(self, h: Host, guests):
        bridges = {b.name: b for b in h.bridges}
        owned = self.network_bridges(h)
        nets = {n.name: n for n in h.networks}
        for b in h.bridges:
            if not b.nic:
                continue
            inner = bridges.get(b.nic)
            if inner is not None:
                what = (f"which has its own address ({inner.ip or inner.bootproto})" if _has_ip_config(inner)
                        else "and a bridge cannot be enslaved to another bridge")
                yield self.report(f"bridge {b.name} on host {h.name} enslaves {b.nic}, itself a bridge {what}",
                                  b.at("nic"), b.owner, related=(Related(inner.span, f"bridge {inner.name}"),),
                                  hint="enslave the physical NIC and keep the address on the outer bridge")
            elif b.nic in owned:
                net = nets.get(owned[b.nic])
                addr = net.ip if net else "its NAT address"
                yield self.report(f"bridge {b.name} on host {h.name} enslaves {b.nic}, the bridge of virtual "
                                  f"network '{owned[b.nic]}', which carries {addr}", b.at("nic"), b.owner,
                                  related=(Related(net.span, f"network {net.name}"),) if net else (),
                                  hint="enslave a physical NIC; guests join the network with `nic network`")


class BridgedTrafficBlocked(Rule):
    """With iptables on, bridged guest traffic is let through the FORWARD chain.

    What it checks: a host whose firewall is on (a `firewall` statement that is not `off`,
    or `services on iptables`) and whose guests use a host bridge, without either the
    FORWARD rule (`firewall ... bridged`) or all three bridge-nf sysctls set to 0.

    Why: "Configure iptables to allow all traffic to be forwarded across the bridge:
    iptables -I FORWARD -m physdev --physdev-is-bridged -j ACCEPT", or "prevent bridged
    traffic from being processed by iptables rules" with
    net.bridge.bridge-nf-call-ip6tables/iptables/arptables = 0 in /etc/sysctl.conf (§7.3,
    lines 839-855; §10.2, lines 1579-1591). RHEL 5's default FORWARD chain rejects what it
    does not know, so bridged guests are cut off.

    Example:
        bridge br0 on eth0; firewall open 22/tcp icmp
        guest g { nic bridge br0 }

    Fix: `firewall ... bridged`, or the three `sysctl net.bridge.bridge-nf-call-* 0`.
    """

    code, name, severity = "VN112", "bridged-traffic-blocked", Severity.WARNING
    checklist, section, lines = ("NET-19",), "§10.2", "839-855, 1579-1591"
    scope = Scope.HOST
    when = ("guests",)
    uses = ("network.bridge_nf_sysctls",)

    def host(self, h: Host, guests):
        fw = h.firewall
        svc = service_state(h.services_on, h.services_off, "iptables")
        active = svc is True or (fw is not None and fw.enabled is not False and svc is not False)
        if not active or (fw is not None and fw.bridged):
            return
        names = {b.name: b for b in h.bridges}
        used = next(((g, n) for g in guests for n in g.nics if n.kind == "bridge" and n.source in names), None)
        if used is None:
            return
        limit = self.limit("network.bridge_nf_sysctls")
        missing = [k for k, v in limit.value.items()
                   if (s := h.setting("sysctl", k)) is None or s.value.strip() != v]
        if not missing:
            return
        g, n = used
        span = fw.span if fw is not None else (h.fields.get("services") or h.span)
        yield self.report(f"iptables is on on host {h.name} but bridged traffic is not let through "
                          f"(no FORWARD physdev rule; not set to 0: {', '.join(missing)})", span, h.owner,
                          limit=limit, related=(Related(n.span, f"guest {g.name} is bridged on {n.source}"),),
                          hint="add `bridged` to the firewall statement, or set the bridge-nf sysctls to 0")


class NatOnlyServices(NetRule):
    """A guest that offers services only on a NAT network is unreachable from other hosts.

    What it checks: a guest that turns on server services (`services on httpd sshd ...`)
    and whose NICs are all on NAT or isolated virtual networks.

    Why: "network services on virtualized guests are not accessible by default from
    external hosts. You must enable either NAT or a network bridge" (§10, line 1490); NAT
    gives the guest a way out but nothing in, unless a port is forwarded by hand.

    Example:
        guest web on kvm1 { memory 1G; nic network default; services on httpd }

    Fix: put the guest on a host bridge (`nic bridge br0`), or forward the ports on the host.
    """

    code, name, severity = "VN113", "nat-only-services", Severity.INFO
    when = ("services_on",)
    checklist, section, lines = ("NET-21",), "§10", "1490"
    uses = ("libvirt.default_network",)

    def guest(self, g: Guest):
        servers = [s for s in g.services_on if s.lower() not in _CLIENT_SERVICES]
        if not servers or not g.nics:
            return
        h = self.ctx.host_of(g)
        if all(n.kind == "network" and self.forward(h, n.source) in ("nat", "none") for n in g.nics):
            n = g.nics[0]
            yield self.report(f"guest {g.name} runs {', '.join(servers)} but is only on NAT or isolated "
                              f"networks ({', '.join(sorted({x.source for x in g.nics}))}); other hosts "
                              "cannot reach them", n.span, n.owner,
                              related=(Related(g.fields.get("services") or g.span, "services of the guest"),),
                              hint="add a NIC on a host bridge, or forward the ports on the host")


class BridgeOnWireless(Rule):
    """Bridges are not built on wireless NICs; wireless hosts use the NAT virtual network.

    What it checks: a bridge whose enslaved interface is a wireless card (wlan*, ath*,
    wifi*, ...), and a Xen network script bridging one (`netdev=wlan0`).

    Why: "use the virtual network option for wireless networks" (§7.2, line 778; §8.2,
    line 1040), because "wireless network cards do not work well in a virtualization
    environment due to Xen's (default) bridged network usage" (§11.2, line 1682): most
    wireless cards cannot put several MAC addresses on the air.

    Example:
        bridge br0 on wlan0

    Fix: put the guests on a NAT virtual network (`nic network default`).
    """

    code, name, severity = "VN114", "bridge-on-wireless", Severity.WARNING
    checklist, section, lines = ("NET-22",), "§11.2", "778, 1040, 1682"
    scope = Scope.HOST
    when = ("bridges", "xend")
    uses = ("xen.network_script_default",)

    def host(self, h: Host, guests):
        users: dict[str, tuple[Guest, Nic]] = {}
        for g in guests:
            for n in g.nics:
                if n.kind == "bridge":
                    users.setdefault(n.source, (g, n))
        for b in h.bridges:
            if b.nic and _WIRELESS.match(b.nic):
                user = users.get(b.name)
                yield self.report(f"bridge {b.name} on host {h.name} is built on wireless interface {b.nic}",
                                  b.at("nic"), b.owner, hint="use a NAT virtual network for wireless hosts",
                                  related=(Related(user[1].span, f"guest {user[0].name} is bridged here"),)
                                  if user else ())
        if h.hypervisor == "xen" and not any(b.xend_script is not None for b in h.bridges):
            # (a host read from its files has xend's bridges among its own: checked above)
            script, args, setting = _xen_script(self, h)
            dev = args.get("netdev", "")
            if setting is not None and _WIRELESS.match(dev):
                yield self.report(f"xend's {script} on host {h.name} bridges wireless interface {dev}",
                                  setting.span, h.owner, hint="use a NAT virtual network for wireless hosts")


class PxeNeedsBridge(NetRule):
    """A guest installed over PXE needs a NIC on a shared (bridged) or routed network.

    What it checks: a guest with `install pxe` (or an HVM guest that boots from the network
    first) whose NICs are all on NAT or isolated virtual networks, or that has no NIC.

    Why: "installing a PXE guest needs a shared network device, also called a network
    bridge" (§7.3, line 795); the method "requires a guest with a routable IP address or
    shared network device" (§7.2, line 741); virt-install takes
    --network=bridge:installation --pxe (line 864). The PXE server is on the LAN, which a
    NAT network does not reach.

    Example:
        guest g on kvm1 { memory 1G; install pxe; nic network default }

    Fix: `nic bridge br0` (a host bridge on the LAN of the PXE server).
    """

    code, name, severity = "VN115", "pxe-needs-bridge", Severity.WARNING
    checklist, section, lines = ("NET-23",), "§7.3", "741, 795, 864"
    uses = ("libvirt.default_network",)

    def guest(self, g: Guest):
        pxe = (g.install is not None and g.install.method == "pxe") or \
            (g.is_hvm and g.boot.order[:1] == ("network",))
        if not pxe:
            return
        h = self.ctx.host_of(g)
        if any(n.kind == "bridge" or self.forward(h, n.source) == "route" for n in g.nics):
            return
        span = g.fields.get("install") or g.fields.get("boot") or g.span
        if not g.nics:
            yield self.report(f"guest {g.name} installs over PXE but has no NIC", span, g.owner,
                              hint="add `nic bridge BRIDGE` on the PXE server's LAN")
            return
        n = g.nics[0]
        yield self.report(f"guest {g.name} installs over PXE but its NICs are only on NAT or isolated "
                          f"networks ({', '.join(sorted({x.source for x in g.nics}))})", n.span, n.owner,
                          related=(Related(span, "PXE installation"),),
                          hint="put a NIC on a host bridge (`nic bridge br0`)")


class XenNetworkScriptUnknown(Rule):
    """xend's network-script names a script that exists in /etc/xen/scripts.

    What it checks: the script of `xend network-script` (its first word) against the
    scripts the guide names (network-bridge, /bin/true, network-xen-multi-bridge) and the
    others xen ships (network-route, network-nat).

    Why: the multi-bridge procedure replaces network-bridge with "network-script
    network-xen-multi-bridge" and creates the script in /etc/xen/scripts, made executable
    (§11.1, lines 1629-1664); xend cannot start networking with a script that is not there.
    Contradiction C-28: the guide references network-xen-multi-bridge (line 1634) but
    creates network-xen-multi-bridge.sh (lines 1635, 1664), and line 1629 writes
    "(network-xen-multi-bridge)" without network-script. Both names are accepted; the
    file's name must equal the reference exactly. Any other name is reported, because
    virtc cannot see /etc/xen/scripts: a typo stops all guest networking. A host read
    from a tree that holds /etc/xen/scripts is VX111's instead, which checks the name
    against the files there.

    Example:
        xend network-script "network-brigde"

    Fix: `xend network-script network-bridge` (or the exact name of your script).
    """

    code, name, severity = "VN116", "xen-network-script-unknown", Severity.WARNING
    checklist, section, lines = ("NET-24", "XEN-08"), "§11.1", "1611-1667"
    scope = Scope.HOST
    when = ("xend",)
    hypervisors = ("xen",)
    uses = ("xen.network_scripts", "xen.network_script_default")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen" or h.xen_scripts is not None:
            return  # a host tree with /etc/xen/scripts says which scripts exist (VX111)
        script, _, setting = _xen_script(self, h)
        if setting is None:
            return
        known = self.limit("xen.network_scripts")
        name = _script_name(script)
        if script.startswith("/") and script not in known.value:
            return  # a path outside /etc/xen/scripts is VX106's
        if name not in known.value:
            yield self.report(f"xend network-script '{script}' on host {h.name} is not a script xen ships or "
                              f"the guide describes; xend needs /etc/xen/scripts/{name}, executable",
                              setting.span, h.owner, limit=known,
                              hint=did_you_mean(name, known.value) or
                              "check that the file exists under exactly this name (chmod +x)")


class InterfaceInTwoBridges(Rule):
    """A physical interface is enslaved to one bridge only.

    What it checks: two `bridge` statements of one host on the same interface.

    Why: a NIC's ifcfg file names its bridge with one BRIDGE= line (§10.2, lines
    1552-1557), and each ifcfg-ethX uses "any number X not already in use" (§11.1, line
    1614): two bridges on eth0 need two ifcfg-eth0 files. In the multi-bridge script each
    xenbrN has its own ethN (lines 1646-1647). Linux adds an interface to one bridge.

    The bridges xend's network-script makes (read from an existing host) are compared with
    each other: a wrapper that calls network-bridge twice with one netdev; an ifcfg bridge
    on the NIC the script bridges is VN108's finding.

    Example:
        bridge br0 on eth0
        bridge br1 on eth0

    Fix: enslave another NIC (`bridge br1 on eth1`), or use VLAN interfaces (eth0.10).
    """

    code, name, severity = "VN117", "interface-in-two-bridges", Severity.ERROR
    checklist, section, lines = ("NET-25",), "§11.1", "1552-1557, 1614, 1646-1647"
    scope = Scope.HOST
    when = ("bridges",)

    def host(self, h: Host, guests):
        # An ifcfg bridge and one of xend's network-script on the same NIC is VN108's case
        # (turn the script off): each origin is compared with itself.
        for origin in (False, True):
            yield from self._twice([b for b in h.bridges if (b.xend_script is not None) is origin], h)

    def _twice(self, bridges: list[Bridge], h: Host):
        first: dict[str, Bridge] = {}
        for b in bridges:
            if not b.nic:
                continue
            if b.nic in first:
                other = first[b.nic]
                yield self.report(f"interface {b.nic} of host {h.name} is enslaved to both {other.name} and "
                                  f"{b.name}", b.at("nic"), b.owner,
                                  related=(Related(other.span, f"{b.nic} first enslaved to {other.name}"),),
                                  hint="give each bridge its own NIC, or use VLAN interfaces (eth0.10)")
            else:
                first[b.nic] = b


class VnetBridgeName(Rule):
    """Bridges are not named like libvirt's guest tap devices (vnetN).

    What it checks: host bridges and virtual network bridges named vnet0, vnet1, ...

    Why: libvirt names the tap devices of guest NICs vnet0, vnet1, ... (`<target
    dev='vnet0'/>`, §11.2, line 1678; `<target dev='vnet1'/>`, §23.1.2, line 3918), while
    one of the guide's networks uses a bridge called 'vnet0' (§25, line 4278). A bridge
    with such a name collides with the first guest's tap device. (Derived from the
    examples.)

    Example:
        network lab bridge vnet0 ip 192.168.100.1/24

    Fix: name bridges br0, virbr1, ...
    """

    code, name, severity = "VN135", "vnet-bridge-name", Severity.WARNING
    checklist, section, lines = ("NET-49",), "§11.2", "1678, 3918, 4278"
    scope = Scope.HOST
    when = ("bridges", "networks")
    uses = ("libvirt.tap_device_pattern",)

    def host(self, h: Host, guests):
        limit = self.limit("libvirt.tap_device_pattern")
        items = [(b.name, b.span, b.owner) for b in h.bridges]
        items += [(n.bridge, n.at("bridge"), n.owner) for n in h.networks]
        for name, span, path in items:
            if re.fullmatch(limit.value, name):
                yield self.report(f"bridge {name} on host {h.name} has the name of a libvirt tap device",
                                  span, path, limit=limit, hint="name it br0, virbr1, ...")

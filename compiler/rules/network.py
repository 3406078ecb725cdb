"""Network rules (checklist area NET): NICs, MACs, bridges, virtual networks, firewall."""
from __future__ import annotations

import ipaddress
import re

from ..diagnostics import Related, Severity
from ..model import Bridge, Guest, Host, Network, Nic
from ..suggest import did_you_mean
from .base import Rule, Scope

# Checklist items of this area that no rule implements, and why (see compiler/coverage.py).
NOT_CHECKABLE: dict[str, str] = {
    "NET-05": "emitter: a NIC without `mac` gets a stable generated MAC (`mac auto`, the default), "
              "so no MAC is ever left for libvirt or xm to draw at random",
    "NET-14": "emitter: `bridge ... mtu N` is written as MTU= to both the bridge and the enslaved "
              "NIC's ifcfg file, so the two cannot disagree",
    "NET-20": "operational: `service libvirtd reload` after changing bridges",
    "NET-33": "no field: the guest's own /etc/modprobe.conf (`alias ethN xen-vnif` per PV NIC) is "
              "not described; a guest `modprobe`/`alias` statement would be needed",
    "NET-42": "no field: the model has no RHEV Manager registration (vdsm-reg); a host "
              "`management rhev` statement would be needed to require ports 80/443",
    "NET-43": "no field: graphics are vnc or sdl only; a `spice` graphics kind would be needed "
              "to require ports 5634-6166 in the host firewall",
    "NET-44": "emitter: Xen bridged NICs are written with <script path='vif-bridge'/>",
}

# Interface names of wireless cards (RHEL 5 drivers: ipw, iwl, ath, madwifi, rt2x00, b43).
# Not from the guide, which only says "wireless network cards" (line 1682).
_WIRELESS = re.compile(r"^(wlan|wifi|ath|wl|ra|rausb)[0-9]+$")
_DUMMY = re.compile(r"^dummy([0-9]+)$")
_XENBR = re.compile(r"^xenbr[0-9]+$")
# Guest services that are clients rather than servers (NET-21 looks for the rest).
_CLIENT_SERVICES = ("ntpd", "network", "syslog", "rsyslog", "kudzu", "irqbalance", "cpuspeed",
                    "auditd", "crond", "atd", "xend", "libvirtd", "xendomains")


# ----------------------------------------------------------------------------- helpers


def _service(on: tuple[str, ...], off: tuple[str, ...], name: str) -> bool | None:
    """True when a service is turned on, False when off, None when not stated."""
    want = name.lower()
    if any(s.lower() == want for s in on):
        return True
    if any(s.lower() == want for s in off):
        return False
    return None


def _octets(mac: str) -> bytes | None:
    try:
        return bytes.fromhex(mac.replace(":", ""))
    except ValueError:
        return None


def _prefix_octets(prefix: str) -> bytes:
    return bytes.fromhex(prefix.replace(":", ""))


# Bit 1 of the first octet: a locally administered address (AA:AA:AA:AA:AA:AA).
_LOCAL_BIT = 1 << 1


def _release(text: str | None) -> tuple[int, ...] | None:
    if not text or not re.fullmatch(r"[0-9]+(\.[0-9]+)*", text):
        return None
    return tuple(int(x) for x in text.split("."))


def _iface(cidr: str | None):
    if not cidr:
        return None
    try:
        return ipaddress.ip_interface(cidr)
    except ValueError:
        return None


def _addr(text: str | None):
    if not text:
        return None
    try:
        return ipaddress.ip_interface(text).ip
    except ValueError:
        return None


def _has_ip_config(b: Bridge) -> bool:
    return b.bootproto in ("dhcp", "static") or bool(b.ip)


class _NetRule(Rule):
    """Shared look-ups of the host's virtual networks and xend network script."""

    def default_network(self) -> dict:
        return self.limit("libvirt.default_network").value

    def networks(self, h: Host) -> dict[str, Network | None]:
        """Virtual networks by name; libvirt's `default` is there even when not declared (None)."""
        out: dict[str, Network | None] = {n.name: n for n in h.networks}
        out.setdefault(self.default_network()["network"], None)
        return out

    def network_bridges(self, h: Host) -> dict[str, str]:
        """Bridge name -> the virtual network that owns it (libvirt creates these bridges)."""
        dflt = self.default_network()
        out = {n.bridge: n.name for n in h.networks}
        if dflt["network"] not in {n.name for n in h.networks}:
            out.setdefault(dflt["bridge"], dflt["network"])
        return out

    def forward(self, h: Host, name: str) -> str | None:
        """The forward mode of a network on the host (libvirt's default network is NAT)."""
        n = self.networks(h).get(name)
        if n is not None:
            return n.forward
        dflt = self.default_network()
        return dflt["forward"] if name == dflt["network"] else None


def _libvirtd_off(h: Host) -> bool:
    return _service(h.services_on, h.services_off, "libvirtd") is False


def _xen_script(rule: Rule, h: Host):
    """(script, key=value arguments, the xend setting or None) of a Xen host's network-script."""
    setting = h.setting("xend", "network-script")
    default = rule.limit("xen.network_script_default").value
    text = setting.value.strip().strip("'\"") if setting else default["script"]
    words = text.split()
    script = words[0] if words else ""
    args = dict(w.split("=", 1) for w in words[1:] if "=" in w)
    return script, args, setting


def _script_name(script: str) -> str:
    return script.removeprefix("/etc/xen/scripts/")


# ----------------------------------------------------------------------------- NICs and MACs


class XenNicsPerGuest(Rule):
    """A Xen guest has at most 15 network interfaces.

    What it checks: the NICs of each Xen guest, para-virtualized or fully virtualized.

    Why: the guide lists under both the para-virtualized and the fully virtualized Xen
    limits: "each virtualized guest can use at most 15 network cards" (§5.3, lines 522
    and 542). xend refuses the sixteenth vif.

    Example:
        guest router on xen1 { type xen-pv; ... 16 x `nic bridge xenbr0` }

    Fix: combine networks with VLANs on fewer NICs (tagged traffic over one bridge), or
    split the guest's roles over two guests.
    """

    code, name, severity = "VN101", "xen-nics-per-guest", Severity.ERROR
    checklist, section, lines = ("NET-01",), "§5.3", "522, 542"
    uses = ("xen.nics_per_guest",)

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        limit = self.limit("xen.nics_per_guest")
        if len(g.nics) > limit.value:
            n = g.nics[limit.value]
            yield self.report(f"Xen guest {g.name} has {len(g.nics)} network interfaces; at most "
                              f"{limit.value}", n.span, n.owner, limit=limit,
                              related=(Related(g.nics[0].span, "first NIC"),),
                              hint="carry several networks as VLANs over one NIC, or split the guest")


class XenMacRange(Rule):
    """A Xen guest's MAC address uses the Xen prefix 00:16:3e with a fourth byte below 0x80.

    What it checks: MAC addresses written out (not `mac auto`) on Xen guests: the first
    three bytes must be 00:16:3e and the fourth 0x00-0x7f.

    Why: the guide's generator for Xen guests, macgen.py, builds "mac = [ 0x00, 0x16,
    0x3e, random.randint(0x00, 0x7f), random.randint(0x00, 0xff), random.randint(0x00,
    0xff) ]" (§32.9, lines 5386-5400), the range xend draws from too. An address outside
    the Xen prefix can clash with real hardware on the LAN; the guide gives no reason for
    the fourth-byte bound, which is its generator's, so both are warnings.
    Contradiction C-69: the guide's libvirt example uses the placeholder
    AA:AA:AA:AA:AA:AA (line 1676), a locally administered address that belongs to
    neither range; it is an example to replace, so it is flagged here.

    Example:
        nic bridge xenbr0 mac AA:AA:AA:AA:AA:AA

    Fix: `mac auto` (virtc derives a stable address in the range), or run macgen.py.
    """

    code, name, severity = "VN102", "xen-mac-range", Severity.WARNING
    checklist, section, lines = ("NET-02",), "§32.9", "1676, 5386-5400"
    uses = ("xen.mac_range", "kvm.mac_prefix")

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        limit = self.limit("xen.mac_range")
        prefix = _prefix_octets(limit.value["prefix"])
        for n in g.nics:
            raw = _octets(n.mac)
            if n.mac_auto or raw is None:
                continue
            if not raw.startswith(prefix):
                kvm = self.limit("kvm.mac_prefix").value
                local = (f" (libvirt's KVM range {kvm})" if raw.startswith(_prefix_octets(kvm)) else
                         " (a locally administered address, like the guide's placeholder AA:AA:AA:AA:AA:AA)"
                         if raw[0] & _LOCAL_BIT else "")
                yield self.report(f"MAC {n.mac} of Xen guest {g.name} is outside the Xen prefix "
                                  f"{limit.value['prefix']}{local}", n.span, n.owner, limit=limit,
                                  hint="write `mac auto`, or generate one with macgen.py (00:16:3e:00-7f:xx:xx)")
            elif raw[len(prefix)] > limit.value["fourth_octet_max"]:
                yield self.report(f"MAC {n.mac} of Xen guest {g.name} has a fourth byte above "
                                  f"{limit.value['fourth_octet_max']:#04x}", n.span, n.owner, limit=limit,
                                  hint="keep the fourth byte in 00-7f, as macgen.py and xend do")


class KvmMacPrefix(Rule):
    """KVM guests' MAC addresses normally use libvirt's prefix 52:54:00.

    What it checks: MAC addresses written out (not `mac auto`) on KVM guests that do not
    start with 52:54:00.

    Why: the only KVM domain the guide dumps has "<mac address='52:54:00:0a:ca:84'/>"
    (§23.1.2, line 3916), the prefix libvirt and qemu generate. The guide does not state
    it as a rule, so this is information only. Contradiction C-69: the guide's libvirt
    example uses the placeholder AA:AA:AA:AA:AA:AA (line 1676); copying it gives several
    guests the same address (VN104).

    Example:
        nic network default mac AA:AA:AA:AA:AA:AA

    Fix: `mac auto` (virtc derives a stable 52:54:00 address) or a 52:54:00 address.
    """

    code, name, severity = "VN103", "kvm-mac-prefix", Severity.INFO
    checklist, section, lines = ("NET-03",), "§23.1.2", "1676, 3916"
    uses = ("kvm.mac_prefix",)

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        limit = self.limit("kvm.mac_prefix")
        prefix = _prefix_octets(limit.value)
        for n in g.nics:
            raw = _octets(n.mac)
            if n.mac_auto or raw is None or raw.startswith(prefix):
                continue
            yield self.report(f"MAC {n.mac} of KVM guest {g.name} is not in libvirt's {limit.value} range",
                              n.span, n.owner, limit=limit, hint="write `mac auto` or a 52:54:00 address")


class DuplicateMac(Rule):
    """Every MAC address is unique across the fleet.

    What it checks: the MAC of every guest NIC on every host, and the hardware addresses
    of the hosts' bridged NICs (`bridge ... hwaddr`), indexed by address.

    Why: "a virtual network interface card must have a MAC address, and each MAC on your
    local network must be unique" (Glossary, line 6363; §12.5.1, line 2285). When a guest
    is copied, "you must define a unique MAC address for each guest" (§32.18-19, lines
    5572, 5586). Two NICs with one address on one LAN steal each other's traffic; hosts
    of one fleet share LANs (and migrate guests between them), so the whole fleet counts.

    Example:
        guest a on xen1 { ...; nic bridge xenbr0 mac 00:16:3e:00:00:01 }
        guest b on xen2 { ...; nic bridge xenbr0 mac 00:16:3e:00:00:01 }

    Fix: `mac auto` (virtc derives a distinct address per guest and NIC) or a fresh address
    from macgen.py.
    """

    code, name, severity = "VN104", "duplicate-mac", Severity.ERROR
    checklist, section, lines = ("NET-04",), "Glossary", "2285, 5572, 5586, 6363"
    scope = Scope.FLEET

    def fleet(self):
        first: dict[str, tuple[str, object]] = {}
        for h in self.ctx.model.hosts:
            for b in h.bridges:
                if not b.hwaddr:
                    continue
                me = f"NIC {b.nic or b.name} of host {h.name}"
                if b.hwaddr.lower() in first:
                    owner, span = first[b.hwaddr.lower()]
                    yield self.report(f"hardware address {b.hwaddr} of {me} is already used by {owner}", b.span,
                                      b.owner, related=(Related(span, f"{owner} has {b.hwaddr}"),),
                                      hint="copy each NIC's own address from `ip link`")
                else:
                    first[b.hwaddr.lower()] = (me, b.span)
        for g in self.ctx.model.guests:
            for n in g.nics:
                if not n.mac:
                    continue
                key = n.mac.lower()
                if key in first:
                    owner, span = first[key]
                    yield self.report(f"MAC {n.mac} of guest {g.name} (NIC {n.index}) is already used by "
                                      f"{owner}", n.span, n.owner,
                                      related=(Related(span, f"{owner} has {n.mac}"),),
                                      hint="write `mac auto`, or generate a new address")
                else:
                    first[key] = (f"guest {g.name} (NIC {n.index})", n.span)


# ----------------------------------------------------------------------------- virtual networks


class GuestNetworkMissing(_NetRule):
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
                                  f"{h.name} does not define", n.span, n.owner,
                                  hint=did_you_mean(n.source, known)
                                  or f"networks on {h.name}: {', '.join(sorted(known))}")
            elif _libvirtd_off(h):
                yield self.report(f"NIC {n.index} of guest {g.name} joins virtual network '{n.source}', but "
                                  f"libvirtd is off on host {h.name}, so the network is never started",
                                  n.span, n.owner,
                                  related=(Related(h.fields.get("services") or h.span, "libvirtd turned off here"),),
                                  hint="turn libvirtd on (`services on libvirtd`) or use a host bridge")


class LibvirtBridgeConflict(_NetRule):
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
                                  b.span, b.owner, related=related,
                                  hint=f"name the physical bridge differently, e.g. `bridge br0 on {b.nic}`")
            else:
                yield self.report(f"bridge {b.name} on host {h.name} is also the bridge of virtual network "
                                  f"'{net}', which libvirt creates itself", b.span, b.owner, related=related,
                                  hint=f"drop the bridge statement; declare `network {net}` and use "
                                       f"`nic bridge {b.name}` or `nic network {net}`")


class NatNeedsIpForward(_NetRule):
    """NAT and routed virtual networks need net.ipv4.ip_forward = 1.

    What it checks: a host that turns IP forwarding off (`sysctl net.ipv4.ip_forward 0`)
    while it has a NAT or routed virtual network (declared, or libvirt's `default` used by
    a guest).

    Why: "Enabling IP forwarding (net.ipv4.ip_forward = 1) is required for virtual bridge
    devices" (§18.4, line 3018); libvirt tries to turn it on, but "some applications may
    disable ip_forward, so it is best to add net.ipv4.ip_forward = 1 to /etc/sysctl.conf"
    (§10.1, lines 1514-1515). Physical bridges do not need it (line 3022). The checklist
    calls a missing line a warning; a host that states the opposite has guests without a
    route out, so the stated 0 is an error and a missing line is left to libvirt, which
    sets it when installed (line 3018).

    Example:
        network lab forward nat ip 192.168.100.1/24
        sysctl net.ipv4.ip_forward 0

    Fix: `sysctl net.ipv4.ip_forward 1`.
    """

    code, name, severity = "VN107", "nat-needs-ip-forward", Severity.ERROR
    facts = ("sysctl",)
    checklist, section, lines = ("NET-08",), "§10.1", "1514-1515, 3018, 3022"
    scope = Scope.HOST
    uses = ("network.ip_forward_sysctl", "libvirt.default_network")

    def host(self, h: Host, guests):
        (key, want), = self.limit("network.ip_forward_sysctl").value.items()
        s = h.setting("sysctl", key)
        if s is None or s.value.strip() == want:
            return
        users: list[tuple[str, object]] = [(f"{n.forward} network {n.name}", n.span) for n in h.networks
                                           if n.forward in ("nat", "route")]
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


# ----------------------------------------------------------------------------- host bridges


class XenScriptWithIfcfgBridges(Rule):
    """A Xen host whose bridges come from ifcfg files sets (network-script /bin/true).

    What it checks: on a Xen host, bridges that xend's network script does not make
    itself, while xend-config.sxp still runs a script. The default `network-bridge` makes
    one bridge (xenbr0 on eth0, or what its `bridge=` and `netdev=` arguments say) with no
    address of its own; a custom script such as network-xen-multi-bridge is taken to make
    the xenbrN bridges. Every other bridge, and any bridge with an address, DHCP, STP, an
    MTU or a hardware address, is an initscripts (ifcfg) bridge.

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
    uses = ("xen.network_script_default", "xen.network_script_off")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen" or not h.bridges:
            return
        off = self.limit("xen.network_script_off").value
        script, args, setting = _xen_script(self, h)
        if script == off:
            return
        name = _script_name(script)
        default = self.limit("xen.network_script_default").value

        def made_by_script(b: Bridge) -> bool:
            if _has_ip_config(b) or b.mtu or b.stp or b.hwaddr:
                return False
            if name == default["script"]:
                return b.name == args.get("bridge", default["bridge"]) and \
                    b.nic in (None, args.get("netdev", default["netdev"]))
            return bool(_XENBR.match(b.name))

        ifcfg = [b for b in h.bridges if not made_by_script(b)]
        if not ifcfg:
            return
        b = ifcfg[0]
        runs = f"xend runs {script}" if setting else f"xend runs its default {script}"
        related = [Related(setting.span, "network-script set here")] if setting else []
        related += [Related(x.span, f"ifcfg bridge {x.name}") for x in ifcfg[1:]]
        yield self.report(f"host {h.name} has initscripts (ifcfg) bridges ({', '.join(x.name for x in ifcfg)}) "
                          f"but {runs}, which sets up bridging itself", b.span, b.owner,
                          limit=self.limit("xen.network_script_off"), related=related,
                          hint=f'add `xend network-script "{off}"` to host {h.name}')


class NetworkManagerWithBridges(Rule):
    """NetworkManager is off on a host with bridges.

    What it checks: a host with `services on NetworkManager` and at least one bridge.

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

    def host(self, h: Host, guests):
        if not h.bridges or _service(h.services_on, h.services_off, "NetworkManager") is not True:
            return
        b = h.bridges[0]
        yield self.report(f"NetworkManager is on on host {h.name}, which has bridges "
                          f"({', '.join(x.name for x in h.bridges)}); NetworkManager overwrites them",
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
    uses = ("xen.mac_range", "kvm.mac_prefix")

    def host(self, h: Host, guests):
        ranges = {"Xen": self.limit("xen.mac_range").value["prefix"], "KVM": self.limit("kvm.mac_prefix").value}
        for b in h.bridges:
            raw = _octets(b.hwaddr or "")
            if not raw:
                continue
            for who, prefix in ranges.items():
                if raw.startswith(_prefix_octets(prefix)):
                    yield self.report(f"hwaddr {b.hwaddr} of {b.nic or b.name} on host {h.name} is a {who} "
                                      f"guest address ({prefix}), not a physical NIC's", b.span, b.owner,
                                      hint=f"use the address `ip link show {b.nic or b.name}` prints")


class IpOnEnslavedInterface(_NetRule):
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
                                  b.span, b.owner, related=(Related(inner.span, f"bridge {inner.name}"),),
                                  hint="enslave the physical NIC and keep the address on the outer bridge")
            elif b.nic in owned:
                net = nets.get(owned[b.nic])
                addr = net.ip if net else "its NAT address"
                yield self.report(f"bridge {b.name} on host {h.name} enslaves {b.nic}, the bridge of virtual "
                                  f"network '{owned[b.nic]}', which carries {addr}", b.span, b.owner,
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
    uses = ("network.bridge_nf_sysctls",)

    def host(self, h: Host, guests):
        fw = h.firewall
        svc = _service(h.services_on, h.services_off, "iptables")
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


class NatOnlyServices(_NetRule):
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
                                  b.span, b.owner, hint="use a NAT virtual network for wireless hosts",
                                  related=(Related(user[1].span, f"guest {user[0].name} is bridged here"),)
                                  if user else ())
        if h.hypervisor == "xen":
            script, args, setting = _xen_script(self, h)
            dev = args.get("netdev", "")
            if setting is not None and _WIRELESS.match(dev):
                yield self.report(f"xend's {script} on host {h.name} bridges wireless interface {dev}",
                                  setting.span, h.owner, hint="use a NAT virtual network for wireless hosts")


class PxeNeedsBridge(_NetRule):
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
    virtc cannot see /etc/xen/scripts: a typo stops all guest networking.

    Example:
        xend network-script "network-brigde"

    Fix: `xend network-script network-bridge` (or the exact name of your script).
    """

    code, name, severity = "VN116", "xen-network-script-unknown", Severity.WARNING
    checklist, section, lines = ("NET-24", "XEN-08"), "§11.1", "1611-1667"
    scope = Scope.HOST
    uses = ("xen.network_scripts", "xen.network_script_default")

    def host(self, h: Host, guests):
        if h.hypervisor != "xen":
            return
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

    Example:
        bridge br0 on eth0
        bridge br1 on eth0

    Fix: enslave another NIC (`bridge br1 on eth1`), or use VLAN interfaces (eth0.10).
    """

    code, name, severity = "VN117", "interface-in-two-bridges", Severity.ERROR
    checklist, section, lines = ("NET-25",), "§11.1", "1552-1557, 1614, 1646-1647"
    scope = Scope.HOST

    def host(self, h: Host, guests):
        first: dict[str, Bridge] = {}
        for b in h.bridges:
            if not b.nic:
                continue
            if b.nic in first:
                other = first[b.nic]
                yield self.report(f"interface {b.nic} of host {h.name} is enslaved to both {other.name} and "
                                  f"{b.name}", b.span, b.owner,
                                  related=(Related(other.span, f"{b.nic} first enslaved to {other.name}"),),
                                  hint="give each bridge its own NIC, or use VLAN interfaces (eth0.10)")
            else:
                first[b.nic] = b


# ----------------------------------------------------------------------------- dummy (laptop) bridges


def _dummy_bridges(h: Host) -> list[tuple[Bridge, int]]:
    out = []
    for b in h.bridges:
        m = _DUMMY.match(b.nic or "")
        if m:
            out.append((b, int(m.group(1))))
    return out


class DummyModule(Rule):
    """A bridge on dummyN needs the dummy module with enough interfaces.

    What it checks: a bridge on a dummy interface when the host has no `modprobe dummy`
    line, or one whose numdummies does not reach that interface.

    Why: the offline Xen procedure adds "alias dummy0 dummy" and "options dummy
    numdummies=1" to /etc/modprobe.conf before giving dummy0 an address and binding xenbr0
    to it (§11.2, lines 1689-1706). Information: the module loads with one interface
    anyway, but dummy1 and up exist only with a larger numdummies (that case is a warning).

    Example:
        bridge xenbr0 on dummy0 ip 10.1.1.1/24     # no modprobe dummy line

    Fix: `modprobe dummy "numdummies=1"` (N+1 for dummyN).
    """

    code, name, severity = "VN118", "dummy-module", Severity.INFO
    facts = ("modprobe",)
    checklist, section, lines = ("NET-26",), "§11.2", "1689-1706"
    scope = Scope.HOST
    uses = ("network.dummy_numdummies",)

    def host(self, h: Host, guests):
        limit = self.limit("network.dummy_numdummies")
        setting = h.setting("modprobe", "dummy")
        have = None
        if setting is not None:
            m = re.search(r"numdummies=([0-9]+)", setting.value)
            have = int(m.group(1)) if m else limit.value
        for b, index in _dummy_bridges(h):
            need = index + 1
            if have is None:
                yield self.report(f"bridge {b.name} on host {h.name} uses {b.nic}, but the host has no "
                                  "`modprobe dummy` options", b.span, b.owner, limit=limit,
                                  hint=f'add `modprobe dummy "numdummies={max(need, limit.value)}"`')
            elif have < need:
                yield self.report(f"bridge {b.name} on host {h.name} uses {b.nic}, but numdummies={have} "
                                  f"creates only {', '.join(f'dummy{i}' for i in range(have))}",
                                  b.span, b.owner, limit=limit,
                                  severity=Severity.WARNING,
                                  related=(Related(setting.span, "dummy options"),),
                                  hint=f'`modprobe dummy "numdummies={need}"`')


class DummyNeedsStaticIp(Rule):
    """A bridge on a dummy interface has a static address, not DHCP.

    What it checks: a bridge on dummyN with `dhcp`, or with no address at all.

    Why: "you will need to use a static IP address, because DHCP does not listen for DHCP
    requests on dummy interfaces" (§11.2, line 1685); the guests then use that address as
    their gateway (lines 1708-1713). A dummy interface has no wire, so a DHCP request from
    it reaches no server.

    Example:
        bridge xenbr0 on dummy0 dhcp

    Fix: `bridge xenbr0 on dummy0 ip 10.1.1.1/24`.
    """

    code, name, severity = "VN119", "dummy-needs-static-ip", Severity.WARNING
    checklist, section, lines = ("NET-27",), "§11.2", "1685, 1708-1713"
    scope = Scope.HOST

    def host(self, h: Host, guests):
        for b, _ in _dummy_bridges(h):
            if b.bootproto == "dhcp":
                yield self.report(f"bridge {b.name} on dummy interface {b.nic} (host {h.name}) asks for DHCP, "
                                  "which no server answers on a dummy interface", b.span, b.owner,
                                  hint=f"give it a static address: `bridge {b.name} on {b.nic} ip 10.1.1.1/24`")
            elif not b.ip:
                yield self.report(f"bridge {b.name} on dummy interface {b.nic} (host {h.name}) has no address; "
                                  "its guests need it as their gateway", b.span, b.owner,
                                  hint=f"`bridge {b.name} on {b.nic} ip 10.1.1.1/24`")


class DummyGuestSubnet(Rule):
    """Guests behind a dummy bridge have addresses in the bridge's subnet.

    What it checks: a guest NIC with an address (`nic bridge xenbr0 ip A`) on a bridge
    built on a dummy interface, where A is outside the bridge's subnet or is the bridge's
    own address.

    Why: "modify the default gateway to point to dummy0. If you are using a static IP, set
    the guest's IP address to exist on the same subnet as dummy0" (§11.2, lines
    1708-1713): there is no other router on a dummy network.

    Example:
        bridge xenbr0 on dummy0 ip 10.1.1.1/24
        guest g { nic bridge xenbr0 ip 192.168.0.10 }

    Fix: an address in 10.1.1.0/24 (other than 10.1.1.1), e.g. `ip 10.1.1.10`.
    """

    code, name, severity = "VN120", "dummy-guest-subnet", Severity.WARNING
    checklist, section, lines = ("NET-28",), "§11.2", "1708-1713"
    scope = Scope.HOST

    def host(self, h: Host, guests):
        dummies = {b.name: b for b, _ in _dummy_bridges(h)}
        for g in guests:
            for n in g.nics:
                b = dummies.get(n.source) if n.kind == "bridge" else None
                net, ip = _iface(b.ip if b else None), _addr(n.ip)
                if net is None or ip is None:
                    continue
                if ip not in net.network or ip == net.ip:
                    why = "is the bridge's own address" if ip == net.ip else f"is outside {net.network}"
                    yield self.report(f"address {n.ip} of guest {g.name} on {b.name} (dummy {b.nic}) {why}",
                                      n.span, n.owner, related=(Related(b.span, f"{b.name} has {b.ip}"),),
                                      hint=f"use a free address in {net.network} and {net.ip} as the gateway")


class LaptopNatNetworkManager(Rule):
    """The xenLaptopNAT init script is not run at boot together with NetworkManager.

    What it checks: a host with both `services on xenLaptopNAT` and NetworkManager on.

    Why: "because of delays at start-up, the following script is not suitable for wireless
    networks or NetworkManager. In that case run the script by hand once the machine has
    started" (§11.2, lines 1719-1721): the NAT rules are set before the connection exists.

    Example:
        services on xenLaptopNAT NetworkManager

    Fix: `services off xenLaptopNAT` and run /etc/init.d/xenLaptopNAT start after login.
    """

    code, name, severity = "VN121", "laptop-nat-networkmanager", Severity.INFO
    checklist, section, lines = ("NET-30",), "§11.2", "1719-1721"
    scope = Scope.HOST

    def host(self, h: Host, guests):
        if _service(h.services_on, h.services_off, "xenLaptopNAT") is True and \
                _service(h.services_on, h.services_off, "NetworkManager") is True:
            yield self.report(f"host {h.name} starts xenLaptopNAT at boot together with NetworkManager",
                              h.fields.get("services") or h.span, h.owner,
                              hint="turn xenLaptopNAT off and run it by hand once the network is up")


# ----------------------------------------------------------------------------- vif entries


class VifWithoutBridge(_NetRule):
    """A Xen guest's vif names its bridge; xm has no notion of libvirt networks.

    What it checks: a Xen guest NIC on a libvirt virtual network (`nic network NAME`) or
    with no bridge at all (models read from existing xm files).

    Why: "if no bridge is specified, the first bridge found is used" (§31, line 4747;
    §12.5.1, lines 2280-2284). The xm config written for `nic network NAME` can only leave
    bridge= out, so `xm create` puts the guest on whichever bridge xend finds first, not on
    the network; only the libvirt XML says `<source network=.../>`.

    Example:
        guest g on xen1 { type xen-pv; memory 1G; nic network default }

    Fix: name the network's bridge: `nic bridge virbr0` (declare `network default` on the
    host), which both the xm and the libvirt files express.
    """

    code, name, severity = "VN122", "vif-without-bridge", Severity.WARNING
    checklist, section, lines = ("NET-31",), "§31", "2280-2284, 4745-4747"
    uses = ("libvirt.default_network",)

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        h = self.ctx.host_of(g)
        bridges = {net: br for br, net in self.network_bridges(h).items()}
        for n in g.nics:
            if n.kind == "network":
                br = bridges.get(n.source)
                yield self.report(f"NIC {n.index} of Xen guest {g.name} joins network '{n.source}', but its "
                                  "xm vif has no bridge=, so xm attaches it to the first bridge xend finds",
                                  n.span, n.owner,
                                  hint=f"write `nic bridge {br}`" if br
                                  else "name the network's bridge: `nic bridge BR`")
            elif not n.source:
                yield self.report(f"NIC {n.index} of Xen guest {g.name} names no bridge; xend uses the first "
                                  "bridge it finds", n.span, n.owner, hint="name the bridge")


class NicModelForGuestType(Rule):
    """A NIC's model exists for the guest's type.

    What it checks: para-virtualized Xen guests only have netfront (no emulated NICs);
    Xen HVM guests have no virtio; KVM guests have neither netfront nor ioemu (Xen terms).

    Why: the vif "type" defaults to "netfront, not ioemu" (§31, line 4747); ioemu is qemu's
    emulated NIC of fully virtualized guests, which a PV guest does not have (contradiction
    C-52: the guide's PV example writes type=ioemu, line 5918, and is wrong). The
    para-virtualized NIC model of KVM is `<model type='virtio'/>` (§11.2, line 1679;
    §13.4, line 2491), a KVM device.

    Example:
        type xen-pv
        nic bridge xenbr0 model ioemu

    Fix: PV guests: leave the model out (netfront). Xen HVM: ioemu/rtl8139/e1000, or
    `pv-drivers` for netfront. KVM: virtio, e1000 or rtl8139.
    """

    code, name, severity = "VN123", "nic-model-for-guest-type", Severity.ERROR
    checklist, section, lines = ("NET-31", "NET-45"), "§31", "1679, 2491, 4747, 5918"

    def guest(self, g: Guest):
        for n in g.nics:
            model = n.model or ""
            if g.type == "xen-pv" and model not in ("", "netfront"):
                problem = f"para-virtualized Xen guests have only netfront NICs, not {model}"
                fix = "leave the model out"
            elif g.type == "xen-hvm" and model == "virtio":
                problem = "virtio is a KVM device; Xen HVM guests use ioemu models or netfront"
                fix = "use model e1000 or rtl8139, or `pv-drivers` for netfront"
            elif g.type == "kvm" and model in ("netfront", "ioemu"):
                problem = f"{model} is a Xen NIC type; KVM has virtio, e1000, rtl8139, ne2k_pci and pcnet"
                fix = "use model virtio (or e1000)"
            else:
                continue
            yield self.report(f"NIC {n.index} of guest {g.name}: {problem}", n.span, n.owner, hint=fix)


class DuplicateVifname(Rule):
    """Backend interface names (vifname) are unique on a host.

    What it checks: `nic ... vifname NAME` used twice on one host (by one guest or two), or
    equal to one of the host's bridges or bridged NICs.

    Why: vifname names the backend interface in dom0; without it the name is "vifD.N
    (D the domain id, N the interface id)" (§31, line 4747), unique by construction. Two
    interfaces of one host cannot share a name: the second guest's NIC fails to come up.

    Example:
        guest a on xen1 { ...; nic bridge xenbr0 vifname web }
        guest b on xen1 { ...; nic bridge xenbr0 vifname web }

    Fix: give each NIC its own vifname (e.g. the guest's name and the NIC number), or drop
    vifname.
    """

    code, name, severity = "VN124", "duplicate-vifname", Severity.ERROR
    checklist, section, lines = ("NET-31",), "§31", "4745-4747"
    scope = Scope.HOST

    def host(self, h: Host, guests):
        taken: dict[str, tuple[str, object]] = {}
        for b in h.bridges:
            taken.setdefault(b.name, (f"bridge {b.name}", b.span))
            if b.nic:
                taken.setdefault(b.nic, (f"interface {b.nic} (bridged on {b.name})", b.span))
        for g in guests:
            for n in g.nics:
                if not n.vifname:
                    continue
                if n.vifname in taken:
                    what, span = taken[n.vifname]
                    yield self.report(f"vifname {n.vifname} of guest {g.name} (NIC {n.index}) is already "
                                      f"{what} on host {h.name}", n.span, n.owner,
                                      related=(Related(span, what),), hint="choose a unique vifname, or drop it")
                else:
                    taken[n.vifname] = (f"the vifname of guest {g.name} (NIC {n.index})", n.span)


class PvDriverNicConsistency(Rule):
    """An HVM guest with PV drivers uses netfront NICs; one without them uses emulated NICs.

    What it checks: a Xen HVM guest with `pv-drivers` whose NIC has an emulated model
    (ioemu, rtl8139, e1000, ne2k_pci, pcnet), and one without `pv-drivers` whose NIC is
    netfront.

    Why: to use the para-virtualized network driver, "remove the type=ioemu entry" of the
    vif (§12.3.1, line 1915; §12.3.2-4, lines 1976, 2089, 2167); "if network throughput is
    still limited even after installing the para-virtualized drivers ... remove the
    'type=ioemu' part of 'vif=' line" (§36.6, line 6334). Without the drivers the guest has
    no netfront driver and no network.

    Example:
        type xen-hvm; pv-drivers on
        nic bridge xenbr0 model ioemu

    Fix: leave the model out (netfront) once the PV drivers are installed; without them keep
    an emulated model.
    """

    code, name, severity = "VN125", "pv-driver-nic-consistency", Severity.WARNING
    checklist, section, lines = ("NET-32",), "§36.6", "1915, 1976, 2089, 2167, 6334"

    def guest(self, g: Guest):
        if g.type != "xen-hvm":
            return
        for n in g.nics:
            if g.pv_drivers and n.model not in ("netfront", "virtio"):
                yield self.report(f"NIC {n.index} of guest {g.name} is an emulated {n.model} (type=ioemu) "
                                  "although the guest has the PV drivers: throughput stays limited",
                                  n.span, n.owner, hint="drop the model so the vif is netfront")
            elif not g.pv_drivers and n.model == "netfront":
                yield self.report(f"NIC {n.index} of guest {g.name} is netfront, but the guest has no PV "
                                  "drivers to drive it", n.span, n.owner,
                                  hint="add `pv-drivers on` once they are installed, or use an emulated model")


class KvmRtl8139(Rule):
    """KVM NICs use e1000 or virtio rather than the default rtl8139.

    What it checks: KVM guest NICs whose model is rtl8139, which is also what a NIC without
    `model` gets.

    Why: "by default, KVM virtual machines are given a virtual Realtek 8139 (rtl8139) NIC",
    which "works fine in most environments" but "can suffer from performance degradation
    on some networks, for example a 10 Gigabit Ethernet network"; "use e1000 or virtio for
    better network performance" (§35.13, lines 6186-6190, 6228).

    Example:
        nic bridge br0          # on a KVM guest, no model

    Fix: `model virtio` (guests with virtio drivers, RHEL 5.3+) or `model e1000`.
    """

    code, name, severity = "VN126", "kvm-rtl8139", Severity.WARNING
    checklist, section, lines = ("NET-35",), "§35.13", "6186-6205, 6228"

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        for n in g.nics:
            if n.model in (None, "rtl8139"):
                yield self.report(f"NIC {n.index} of KVM guest {g.name} is an rtl8139, KVM's slow default",
                                  n.span, n.owner, hint="add `model virtio` (or `model e1000`)")


# ----------------------------------------------------------------------------- bandwidth


def _rate(rule: Rule, text: str):
    """(amount, prefix, unit, window, window_unit) of a vif rate, or None when malformed."""
    m = re.fullmatch(rule.limit("xen.rate_pattern").value, text)
    if not m:
        return None
    amount, prefix, unit, _, window, wunit = m.groups()
    return int(amount), prefix, unit, int(window) if window else None, wunit


_SIZE_PREFIXES = ("", "K", "M", "G")
_TIME_UNITS = ("us", "ms", "s")


def _credit(amount: int, prefix: str, unit: str, window: int, wunit: str) -> str | None:
    """What one time window allows, e.g. 10MB/s@50ms -> '500 KB' (decimal prefixes, as xm)."""
    shift = _TIME_UNITS.index(wunit) - (len(_TIME_UNITS) - 1)
    pos = _SIZE_PREFIXES.index(prefix) + shift
    if pos < 0:
        return None
    return f"{amount * window} {_SIZE_PREFIXES[pos]}{'B' if unit == 'B' else 'bit'}"


class VifRate(Rule):
    """A vif rate limit is well-formed and lets traffic through.

    What it checks: the rate of each Xen NIC: an amount per second with K, M or G and b
    (bits) or B (bytes), and an optional time window in us, ms or s; neither may be zero.

    Why: "The rate= option can be added to the VIF= entry ... to limit a virtual machine's
    network bandwidth", written like rate=10Mb/s, rate=250KB/s or rate=10MB/s@50ms (§32.10,
    lines 5423, 5430-5438). xm ignores a rate it cannot parse and the guest runs unlimited
    (the DSL refuses such values; models read from xm files may hold them); a zero rate
    stops all outgoing traffic.

    Example:
        nic bridge xenbr0 rate 0MB/s

    Fix: a positive amount, e.g. `rate 10MB/s`, or no rate.
    """

    code, name, severity = "VN127", "vif-rate", Severity.ERROR
    checklist, section, lines = ("NET-36",), "§32.10", "5423, 5430-5438"
    uses = ("xen.rate_pattern",)

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        for n in g.nics:
            if not n.rate:
                continue
            parsed = _rate(self, n.rate)
            if parsed is None:
                yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) is not an amount per second; "
                                  "xm ignores it and the guest runs unlimited", n.span, n.owner,
                                  limit=self.limit("xen.rate_pattern"),
                                  hint="e.g. 10MB/s (bytes), 10Mb/s (bits), optionally @50ms")
            else:
                amount, _, _, window, _ = parsed
                if amount == 0:
                    yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) lets no traffic out",
                                      n.span, n.owner, hint="give a positive amount, or drop the rate")
                elif window == 0:
                    yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) has a zero time window",
                                      n.span, n.owner, hint="leave the window out (xm's default applies)")


class RateOnKvm(Rule):
    """A NIC rate limit only works on Xen.

    What it checks: `rate` on a KVM guest's NIC.

    Why: rate is a parameter "of the VIF entries" with which "Xen can throttle virtualized
    guests" (§32.10, lines 5420-5423); the guide documents no bandwidth limit for KVM, and
    RHEL 5's libvirt (0.8.2) has no element for one, so virtc cannot write it anywhere and
    the guest runs at the full speed of the physical NIC ("by default, the guest can use
    any bandwidth", line 5420).

    Example:
        guest g on kvm1 { memory 1G; nic bridge br0 model virtio rate 10MB/s }

    Fix: drop the rate, or shape the guest's tap device on the host with tc.
    """

    code, name, severity = "VN128", "rate-on-kvm", Severity.WARNING
    checklist, section, lines = ("NET-36",), "§32.10", "5420-5423"

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        for n in g.nics:
            if n.rate:
                yield self.report(f"rate {n.rate} on NIC {n.index} of KVM guest {g.name} has no effect: only Xen "
                                  "vifs take a rate", n.span, n.owner,
                                  hint="drop it, or shape the tap device with tc on the host")


class RateUnits(Rule):
    """What a vif rate means: bits or bytes, and how much one time window lets through.

    What it checks: Xen NIC rates written in bits (b) and rates with a time window shorter
    than the default 50 ms; the message states the amount per window.

    Why: contradiction C-27: the guide describes "rate=10Mb/s" as limiting outgoing traffic
    "to 10MB/s" (lines 5430-5431) and "rate=10MB/s@50ms" as giving the guest "50KB every
    50ms" (lines 5434-5435), which would be 1 MB/s. xm reads b as bits and B as bytes: 10Mb/s
    is an eighth of 10MB/s, and 10MB/s@50ms is 500KB per window. virtc follows xm and states
    the amounts. "The default time window is 50ms. A smaller time window gives less burst
    transmission, but the replenishment rate and latency increase. The default 50ms window
    is a good balance and rarely needs changing" (lines 5425-5428).

    Example:
        nic bridge xenbr0 rate 10Mb/s

    Fix: write bytes (MB/s) if that is what you mean; keep the default window.
    """

    code, name, severity = "VN129", "rate-units", Severity.INFO
    checklist, section, lines = ("NET-37",), "§32.10", "5425-5435"
    uses = ("xen.rate_window_default", "xen.rate_pattern")

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        default = self.limit("xen.rate_window_default")
        for n in g.nics:
            parsed = _rate(self, n.rate) if n.rate else None
            if parsed is None or parsed[0] == 0:
                continue
            amount, prefix, unit, window, wunit = parsed
            win, wu = (window, wunit) if window else (default.value, "ms")
            credit = _credit(amount, prefix, unit, win, wu)
            per = f" ({credit} per {win}{wu} window)" if credit else ""
            if unit == "b":
                yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) is in bits: {amount} "
                                  f"{prefix or ''}bit/s, an eighth of {amount}{prefix}B/s{per}", n.span,
                                  n.owner, limit=default,
                                  hint=f"write {amount}{prefix}B/s if you mean bytes (C-27)")
            if window and wunit == "ms" and window < default.value:
                yield self.report(f"rate {n.rate} of guest {g.name} (NIC {n.index}) uses a {window}ms window, "
                                  f"shorter than the default {default.value}ms{per}: less burst, more overhead",
                                  n.span, n.owner, limit=default,
                                  hint=f"leave the window out ({default.value}ms) unless latency matters more")


# ----------------------------------------------------------------------------- bridges of guests


class GuestBridgeMissing(_NetRule):
    """The bridge a NIC names exists on the guest's host when the guest starts.

    What it checks: a NIC on a bridge (`nic bridge NAME`, vif bridge=) that is neither a
    host bridge nor the bridge of one of the host's virtual networks, and a NIC on a
    virtual network's bridge (virbr0, ...) of a host whose libvirtd is off, so that libvirt
    never creates the bridge.

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
                                  f"{h.name}", n.span, n.owner,
                                  hint=did_you_mean(n.source, known)
                                  or f"bridges on {h.name}: {', '.join(sorted(known))}")
            elif _libvirtd_off(h):
                yield self.report(f"bridge {n.source} of guest {g.name} (NIC {n.index}) belongs to virtual network "
                                  f"'{owned[n.source]}', but libvirtd is off on host {h.name}, so it is never created",
                                  n.span, n.owner,
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

    def host(self, h: Host, guests):
        for net in h.networks:
            if not net.dhcp_start and not net.dhcp_end:
                continue
            problem = self.problem(net)
            if problem:
                yield self.report(f"DHCP range {net.dhcp_start} - {net.dhcp_end} of network {net.name} on host "
                                  f"{h.name} {problem}", net.span, net.owner,
                                  hint="keep the range inside the network's subnet, after the host's address")

    @staticmethod
    def problem(net: Network) -> str | None:
        iface = _iface(net.ip)
        start, end = _addr(net.dhcp_start), _addr(net.dhcp_end)
        if iface is None:
            return "belongs to a network without an address (`ip A/P`), so there is nothing to serve"
        if start is None or end is None:
            return "is not a pair of addresses"
        if start > end:
            return "starts after it ends"
        subnet = iface.network
        outside = [str(a) for a in (start, end) if a not in subnet]
        if outside:
            return f"has {' and '.join(outside)} outside {subnet}"
        special = [str(a) for a in (start, end) if a in (subnet.network_address, subnet.broadcast_address)]
        if special:
            return f"includes {' and '.join(special)}, the network or broadcast address of {subnet}"
        if start <= iface.ip <= end:
            return f"includes {iface.ip}, the host's own address on the network"
        return None


# ----------------------------------------------------------------------------- host firewall


def _blocking_firewall(h: Host):
    """The host's firewall statement when it is on and drops what it does not open."""
    fw = h.firewall
    if fw is None or fw.enabled is False or fw.policy == "accept":
        return None
    if _service(h.services_on, h.services_off, "iptables") is False:
        return None
    return fw


def _port_open(opened: tuple[str, ...], port: int, proto: str) -> bool:
    for item in opened:
        ports, _, p = item.partition("/")
        if p != proto:
            continue
        first, _, last = ports.partition("-")
        if int(first) <= port <= int(last or first):
            return True
    return False


class FirewallIcmp(Rule):
    """A host firewall accepts ICMP.

    What it checks: a host firewall that is on, drops by default and does not `open icmp`.

    Why: "ICMP requests must be accepted. ICMP packets are used for network testing. You
    cannot ping guests if ICMP packets are blocked" (§18.4, lines 3011-3012).

    Example:
        firewall open 22/tcp policy drop

    Fix: `firewall open 22/tcp icmp policy drop`.
    """

    code, name, severity = "VN132", "firewall-icmp", Severity.WARNING
    checklist, section, lines = ("NET-40",), "§18.4", "3011-3012"
    scope = Scope.HOST

    def host(self, h: Host, guests):
        fw = _blocking_firewall(h)
        if fw is not None and "icmp" not in (x.lower() for x in fw.open):
            yield self.report(f"the firewall of host {h.name} does not accept ICMP", fw.span, h.owner,
                              hint="add `icmp` to `firewall open`")


class FirewallSsh(Rule):
    """A host firewall leaves port 22 open.

    What it checks: a host firewall that is on, drops by default and does not open
    22/tcp.

    Why: "Port 22 should be open for SSH access and the initial installation" (§18.4, line
    3013); the remote management tools (virsh and virt-manager over qemu+ssh or xen+ssh)
    use it too.

    Example:
        firewall open icmp policy drop

    Fix: `firewall open 22/tcp icmp ...`.
    """

    code, name, severity = "VN133", "firewall-ssh", Severity.WARNING
    checklist, section, lines = ("NET-41",), "§18.4", "3013"
    scope = Scope.HOST
    uses = ("firewall.ssh_port",)

    def host(self, h: Host, guests):
        fw = _blocking_firewall(h)
        limit = self.limit("firewall.ssh_port")
        if fw is not None and not _port_open(fw.open, limit.value, "tcp"):
            yield self.report(f"the firewall of host {h.name} does not open {limit.value}/tcp (SSH)", fw.span,
                              h.owner, limit=limit, hint=f"add `{limit.value}/tcp` to `firewall open`")


# ----------------------------------------------------------------------------- naming


class LaptopProcedure(Rule):
    """The dummy-bridge laptop procedure is not needed on RHEL 5.1 and later.

    What it checks: a host of release 5.1 or later with a bridge on a dummy interface.

    Why: "this procedure is not recommended (or needed) on Red Hat Enterprise Linux 5.0 or
    newer. Newer versions use the 'virtual network' adapter when creating guests with
    virt-manager; by default NetworkManager works with virtual network devices on 5.1 and
    newer" (§11.2, lines 1671-1673). Contradiction C-56: the same section is headed "for
    Red Hat Enterprise Linux 5.1 or newer" (line 1671) yet calls itself the 5.0 laptop
    configuration; the reading that libvirt's NAT network replaces it from 5.1 is taken,
    as information only.

    Example:
        release 5.8
        bridge xenbr0 on dummy0 ip 10.1.1.1/24

    Fix: put the guests on the `default` virtual network (`nic network default`).
    """

    code, name, severity = "VN134", "laptop-procedure", Severity.INFO
    facts = ("release",)
    checklist, section, lines = ("NET-48",), "§11.2", "1671-1673"
    scope = Scope.HOST
    uses = ("network.laptop_procedure_release",)

    def host(self, h: Host, guests):
        limit = self.limit("network.laptop_procedure_release")
        release, since = _release(h.release), _release(limit.value)
        if release is None or release < since:
            return
        for b, _ in _dummy_bridges(h):
            yield self.report(f"bridge {b.name} on {b.nic} is the RHEL 5.0 laptop procedure; host {h.name} runs "
                              f"{h.release}, where the NAT virtual network does this", b.span, b.owner,
                              limit=limit, hint="use `nic network default` for the guests")


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
    uses = ("libvirt.tap_device_pattern",)

    def host(self, h: Host, guests):
        limit = self.limit("libvirt.tap_device_pattern")
        items = [(b.name, b.span, b.owner) for b in h.bridges]
        items += [(n.bridge, n.span, n.owner) for n in h.networks]
        for name, span, path in items:
            if re.fullmatch(limit.value, name):
                yield self.report(f"bridge {name} on host {h.name} has the name of a libvirt tap device",
                                  span, path, limit=limit, hint="name it br0, virbr1, ...")

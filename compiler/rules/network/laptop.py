"""Dummy bridges: the guide's procedure for a host without a wired network (a laptop),
and the releases that no longer need it."""
from __future__ import annotations

import re

from ...bounds import bound
from ...diagnostics import Related, Severity
from ...model import Bridge, Host
from ...numbers import digits_or_cap
from ..base import Rule, Scope
from ..host import release_key
from .common import address_of, interface_of, service_state

_DUMMY = re.compile(r"^dummy([0-9]+)$")


def _release(text: str | None) -> tuple[int, ...] | None:
    if not text or not re.fullmatch(r"[0-9]+(\.[0-9]+)*", text):
        return None
    return release_key(text)


def _dummy_bridges(h: Host) -> list[tuple[Bridge, int]]:
    out = []
    for b in h.bridges:
        m = _DUMMY.match(b.nic or "")
        if m:
            out.append((b, digits_or_cap(m.group(1), bound("count"))))
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
    when = ("bridges",)
    uses = ("network.dummy_numdummies",)

    def host(self, h: Host, guests):
        limit = self.limit("network.dummy_numdummies")
        setting = h.setting("modprobe", "dummy")
        have = None
        if setting is not None:
            m = re.search(r"numdummies=([0-9]+)", setting.value)
            # past bounds.py's count, any number means "plenty": capped, never converted whole
            have = digits_or_cap(m.group(1), bound("count")) if m else limit.value
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
    when = ("bridges",)

    def host(self, h: Host, guests):
        for b, _ in _dummy_bridges(h):
            if b.bootproto == "dhcp":
                yield self.report(f"bridge {b.name} on dummy interface {b.nic} (host {h.name}) asks for DHCP, "
                                  "which no server answers on a dummy interface", b.at("bootproto"), b.owner,
                                  hint=f"give it a static address: `bridge {b.name} on {b.nic} ip 10.1.1.1/24`")
            elif not b.ip and b.xend_script is None:  # xend's: the address is on dummyN's ifcfg file, if read
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
    when = ("guests",)

    def host(self, h: Host, guests):
        dummies = {b.name: b for b, _ in _dummy_bridges(h)}
        for g in guests:
            for n in g.nics:
                b = dummies.get(n.source) if n.kind == "bridge" else None
                net, ip = interface_of(b.ip if b else None), address_of(n.ip)
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
    when = ("services_on",)

    def host(self, h: Host, guests):
        if service_state(h.services_on, h.services_off, "xenLaptopNAT") is True and \
                service_state(h.services_on, h.services_off, "NetworkManager") is True:
            yield self.report(f"host {h.name} starts xenLaptopNAT at boot together with NetworkManager",
                              h.fields.get("services") or h.span, h.owner,
                              hint="turn xenLaptopNAT off and run it by hand once the network is up")


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
    when = ("release",)
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

"""Format-level rules for existing ifcfg-* files (read by targets/ifcfg.py): the bridge
and the interface enslaved to it, as initscripts read them."""
from __future__ import annotations

import re
from collections import defaultdict

from ..diagnostics import Related, Severity
from ..documents import Document
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}
_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
IP_KEYS = ("IPADDR", "NETMASK", "GATEWAY", "PREFIX", "NETWORK", "BROADCAST")


def _device_name(doc: Document) -> str:
    name = doc.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit("ifcfg-", 1)[-1]


class IfcfgRule(Rule):
    scope = Scope.DOCUMENT
    formats = ("ifcfg",)


class IfcfgSyntax(Rule):
    """ifcfg files are plain KEY=value lines that bash can source without running anything.

    What it checks: lines that are not assignments, unbalanced quotes, and values that
    would run a command (`$(...)`, backticks, `;`) when initscripts source the file.

    Why: the guide's ifcfg files are `KEY=value` lines, one per line, no spaces around
    '=' (§10.2, lines 1553-1568); initscripts source them with bash, so anything else is
    either an error at boot or a command run as root.

    Example:
        DEVICE = br0

    Fix: DEVICE=br0.
    """

    code, name, severity = "VF301", "ifcfg-syntax", Severity.ERROR
    checklist, section, lines = ("NET-16",), "§10.2", "1553-1568"
    scope = Scope.READER


class IfcfgDeviceName(IfcfgRule):
    """An ifcfg file's DEVICE matches its file name.

    What it checks: DEVICE= in /etc/sysconfig/network-scripts/ifcfg-NAME equals NAME.

    Why: "br0 ... can be any name as long as the file name matches the DEVICE parameter"
    (§10.2, line 1563).

    Example: ifcfg-br0 with DEVICE=br1.

    Fix: rename the file or change DEVICE.
    """

    code, name, severity = "VF302", "ifcfg-device-name", Severity.ERROR
    checklist, section, lines = ("NET-15",), "§10.2", "1563"

    def document(self, doc: Document):
        d = doc.get("DEVICE")
        name = _device_name(doc)
        if d is None:
            yield self.report(f"ifcfg-{name} has no DEVICE=", doc.entries[0].span if doc.entries else None, hint=f"add DEVICE={name}")
        elif d.value != name:
            yield self.report(f"DEVICE={d.value} in ifcfg-{name}", d.value_span,
                              hint=f"DEVICE={name}, or rename the file to ifcfg-{d.value}")


class IfcfgBridgeType(IfcfgRule):
    """A bridge's ifcfg says TYPE=Bridge, exactly so.

    What it checks: TYPE values that spell bridge in another case (bridge, BRIDGE).

    Why: "The line, TYPE=Bridge, is case-sensitive. It must have uppercase 'B' and lower
    case 'ridge'" (§7.3, lines 807-809; §10.2, lines 1574-1576); otherwise initscripts do
    not create a bridge and the guests' vifs have nothing to join.

    Example: TYPE=bridge

    Fix: TYPE=Bridge.
    """

    code, name, severity = "VF303", "ifcfg-bridge-type", Severity.ERROR
    checklist, section, lines = ("NET-17",), "§10.2", "807-809, 1574-1576"

    def document(self, doc: Document):
        t = doc.get("TYPE")
        if t is not None and t.value.lower() == "bridge" and t.value != "Bridge":
            yield self.report(f"TYPE={t.value} is not TYPE=Bridge (the value is case-sensitive)", t.value_span, hint="TYPE=Bridge")


class IfcfgEnslavedIp(IfcfgRule):
    """The interface enslaved to a bridge has no IP configuration of its own.

    What it checks: an ifcfg with BRIDGE= that also has IPADDR, NETMASK, GATEWAY or
    BOOTPROTO=dhcp|static; and BRIDGE=virbr0, libvirt's NAT bridge.

    Why: "Network access will not function as expected if IP address details are
    configured on the physical interface that the bridge is connected to" (§10.2, lines
    1570-1572); the guide's PXE example puts BOOTPROTO=dhcp on the enslaved eth1 (line 826,
    contradiction C-36). virbr0 is for NAT only: "Do not attempt to connect a physical
    device to virbr0" (§10.1, line 1510).

    Example:
        DEVICE=eth1
        BRIDGE=installation
        BOOTPROTO=dhcp

    Fix: move the address settings to ifcfg-BRIDGE; leave the NIC with DEVICE, HWADDR,
    ONBOOT and BRIDGE.
    """

    code, name, severity = "VF304", "ifcfg-enslaved-ip", Severity.ERROR
    checklist, section, lines = ("NET-18", "NET-07"), "§10.2", "826, 1510, 1570-1572"

    def document(self, doc: Document):
        b = doc.get("BRIDGE")
        if b is None:
            return
        if b.value == "virbr0":
            yield self.report("a physical interface joins virbr0, libvirt's NAT-only bridge", b.value_span,
                              hint="create a bridge of your own (ifcfg-br0) instead")
        for e in doc.entries:
            if e.key in IP_KEYS or (e.key == "BOOTPROTO" and e.value in ("dhcp", "static", "bootp")):
                yield self.report(f"{e.key}={e.value} on {_device_name(doc)}, which is enslaved to {b.value}",
                                  e.span, hint=f"put the address settings in ifcfg-{b.value}",
                                  related=(Related(b.span, "enslaved here"),))


class IfcfgBridgeReference(IfcfgRule):
    """BRIDGE= names a bridge that an ifcfg file with TYPE=Bridge defines; DEVICE names are unique.

    What it checks: across the ifcfg files read together, each BRIDGE=X has an ifcfg-X with
    TYPE=Bridge, and no two files configure the same DEVICE.

    Why: the NIC's file names "the bridge device created in the previous step" (§10.2,
    line 1557; §7.3, lines 820-828); a second file for the same device fights the first
    (§11.1, line 1614: pick an unused number).

    Example: ifcfg-eth0 with BRIDGE=br0 and no ifcfg-br0.

    Fix: create ifcfg-br0 with TYPE=Bridge, or correct BRIDGE.
    """

    code, name, severity = "VF305", "ifcfg-bridge-reference", Severity.ERROR
    checklist, section, lines = ("NET-12", "NET-25"), "§10.2", "820-828, 1552-1557, 1614"
    scope = Scope.FLEET
    formats = ("ifcfg",)

    def fleet(self):
        docs = [d for d in self.ctx.documents if d.format == "ifcfg"]
        bridges = {(d.value("DEVICE") or _device_name(d)) for d in docs if d.value("TYPE") == "Bridge"}
        by_dir = defaultdict(list)
        for d in docs:
            by_dir[d.path.rsplit("/", 1)[0]].append(d)
        for folder in by_dir.values():
            seen = {}
            for d in folder:
                dev = d.get("DEVICE")
                if dev is not None:
                    if dev.value in seen:
                        yield self.report(f"two ifcfg files configure DEVICE={dev.value}", dev.span,
                                          related=(Related(seen[dev.value].span, "also configured here"),))
                    else:
                        seen[dev.value] = dev
                b = d.get("BRIDGE")
                if b is not None and b.value != "virbr0" and b.value not in bridges:
                    yield self.report(f"BRIDGE={b.value} but no ifcfg file defines a bridge {b.value} "
                                      f"(DEVICE={b.value} with TYPE=Bridge)", b.value_span,
                                      hint=f"create ifcfg-{b.value} with TYPE=Bridge")


class IfcfgHwaddr(IfcfgRule):
    """HWADDR is a MAC address.

    What it checks: HWADDR values are six hex pairs separated by colons.

    Why: "change the hardware address to match the hardware address your NIC uses"
    (§10.2, lines 1554-1555); initscripts compare it with the NIC's address and refuse to
    configure a device whose address does not match.

    Example: HWADDR=00:16:76:D6:C9

    Fix: copy the address from `ip link show eth0`.
    """

    code, name, severity = "VF306", "ifcfg-hwaddr", Severity.WARNING
    checklist, section, lines = ("NET-13",), "§10.2", "1554-1555"

    def document(self, doc: Document):
        h = doc.get("HWADDR")
        if h is not None and not _MAC.match(h.value):
            yield self.report(f"HWADDR={h.value} is not a MAC address", h.value_span)

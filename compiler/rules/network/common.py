"""What several network rules share: whether a service is turned on or off, MAC
addresses as bytes, interface addresses, a host's virtual networks (NetRule) and
whether libvirtd runs."""
from __future__ import annotations

import ipaddress

from ...model import Host, Network
from ..base import Rule


def service_state(on: tuple[str, ...], off: tuple[str, ...], name: str) -> bool | None:
    """True when a service is turned on, False when off, None when not stated."""
    want = name.lower()
    if any(s.lower() == want for s in on):
        return True
    if any(s.lower() == want for s in off):
        return False
    return None


def mac_octets(mac: str) -> bytes | None:
    try:
        return bytes.fromhex(mac.replace(":", ""))
    except ValueError:
        return None


def prefix_octets(prefix: str) -> bytes:
    return bytes.fromhex(prefix.replace(":", ""))


def interface_of(cidr: str | None):
    if not cidr:
        return None
    try:
        return ipaddress.ip_interface(cidr)
    except ValueError:
        return None


def address_of(text: str | None):
    if not text:
        return None
    try:
        return ipaddress.ip_interface(text).ip
    except ValueError:
        return None


class NetRule(Rule):
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


def libvirtd_off(h: Host) -> bool:
    return service_state(h.services_on, h.services_off, "libvirtd") is False

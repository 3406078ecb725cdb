"""Network rules (checklist area NET): NICs, MACs, bridges, virtual networks, firewall.

The modules: macs (NICs and MAC addresses), networks (virtual networks and the bridges
guests name), bridges (host bridges), laptop (dummy bridges), vifs (Xen vif entries and
NIC models), rates (bandwidth limits), firewall (the host firewall), and common (what
several of them share). virtc.ruleset lists each of them.
"""
from __future__ import annotations

from . import bridges, common, firewall, laptop, macs, networks, rates, vifs  # noqa: F401  (virtc.ruleset)

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

"""xend's network script as RHEL 5 runs it, shared by the scripts format
(targets/xenscripts.py), lint's assembly of a host (compiler/lint.py) and the network rules.

xend splits (network-script 'NAME ARGS') on blanks and runs /etc/xen/scripts/NAME start
ARGS when it starts (nothing at all without the setting). network-bridge takes its
settings as VAR=VAL arguments: vifnum (default 0), bridge (default xenbr${vifnum}) and
netdev (default eth${vifnum}), and makes that one bridge on that interface; the guide
passes them in one quoted string, `(network-script 'network-bridge bridge=xenbr0
netdev=dummy0')` (line 1706). The multi-bridge procedure copies network-bridge to
network-bridge.xen and calls the copy once per bridge from a wrapper script (lines
1628-1664). Nothing here runs a script: the words are only read.
"""
from __future__ import annotations

import re

from .limits import limits

SCRIPTS_DIR = "/etc/xen/scripts/"
# network-bridge itself, or a copy of it under another suffix (the guide's network-bridge.xen)
_NETWORK_BRIDGE = re.compile(r"^network-bridge(\.[A-Za-z0-9_]+)?\Z")
_LITERAL = re.compile(r"^[A-Za-z0-9_.:@+-]+\Z")  # no expansion, quoting or globbing left in it
_TRAILING_NUMBER = re.compile(r"[0-9]+\Z")
XENBR = re.compile(r"^xenbr[0-9]+\Z")  # the bridges xen's scripts name (xenbr0, xenbr1 ...)
# Scripts xen ships that route or NAT the guests' traffic instead of bridging it.
NO_BRIDGE = ("network-route", "network-nat")


def split(value: str) -> tuple[str, dict[str, str]]:
    """(script, its VAR=VAL arguments) of a network-script or vif-script value."""
    words = value.strip().strip("'\"").split()
    script = words[0] if words else ""
    return script, dict(w.split("=", 1) for w in words[1:] if "=" in w)


def script_name(script: str) -> str | None:
    """The file of /etc/xen/scripts a script names (xend joins a bare name to that folder);
    None for a path elsewhere."""
    if script.startswith(SCRIPTS_DIR):
        return script[len(SCRIPTS_DIR):] or None
    if script.startswith("/"):
        return None
    return script or None


def is_network_bridge(name: str | None) -> bool:
    """network-bridge, or a copy of it (network-bridge.xen)."""
    return bool(name) and bool(_NETWORK_BRIDGE.match(name.rsplit("/", 1)[-1]))


def network_bridge(args: dict[str, str]) -> tuple[str, str] | None:
    """(bridge, netdev) that network-bridge makes with these arguments; None when a value
    is not written out (a shell variable) or there is no bridge (bridge=null)."""
    default = limits()["xen.network_script_default"].value
    first = _TRAILING_NUMBER.search(default["bridge"])
    vifnum = args.get("vifnum", first.group(0) if first else "")
    if not vifnum.isdigit():
        return None
    bridge = args.get("bridge") or _TRAILING_NUMBER.sub("", default["bridge"]) + vifnum
    netdev = args.get("netdev") or _TRAILING_NUMBER.sub("", default["netdev"]) + vifnum
    if bridge == "null" or not _LITERAL.match(bridge) or not _LITERAL.match(netdev):
        return None
    return bridge, netdev

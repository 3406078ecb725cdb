"""The host firewall: ICMP and SSH are let in."""
from __future__ import annotations

from ...diagnostics import Severity
from ...model import Host
from ...numbers import port_range
from ..base import Rule, Scope
from .common import service_state


def _blocking_firewall(h: Host):
    """The host's firewall statement when it is on and drops what it does not open."""
    fw = h.firewall
    if fw is None or fw.enabled is False or fw.policy == "accept":
        return None
    if service_state(h.services_on, h.services_off, "iptables") is False:
        return None
    return fw


def _port_open(opened: tuple[str, ...], port: int, proto: str) -> bool:
    for item in opened:
        ports, _, p = item.partition("/")
        if p != proto:
            continue
        span = port_range(ports)  # None past bounds.py's port: it opens nothing
        if span is not None and span[0] <= port <= span[1]:
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
    when = ("firewall",)

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
    when = ("firewall",)
    uses = ("firewall.ssh_port",)

    def host(self, h: Host, guests):
        fw = _blocking_firewall(h)
        limit = self.limit("firewall.ssh_port")
        if fw is not None and not _port_open(fw.open, limit.value, "tcp"):
            yield self.report(f"the firewall of host {h.name} does not open {limit.value}/tcp (SSH)", fw.span,
                              h.owner, limit=limit, hint=f"add `{limit.value}/tcp` to `firewall open`")

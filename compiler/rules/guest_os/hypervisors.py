"""Hypervisors: a guest runs on the hypervisor it was created on, and a host runs the
guests of the one it boots."""
from __future__ import annotations

from collections import defaultdict

from ...diagnostics import Related, Severity
from ...model import Guest, Host
from ..base import Rule, Scope
from .common import HYPERVISOR_NAMES, host_related, span_of


class CreatedOnOtherHypervisor(Rule):
    """A guest runs on the hypervisor it was created on.

    What it checks: a guest with `created-on xen|kvm` placed on a host that runs the
    other hypervisor.

    Why: "There is presently no support for converting Xen-based guests to KVM or
    KVM-based guests to Xen. Guests can only be supported on the hypervisor type on which
    they were created" (§5.1, lines 470-471; §32.2, line 4908).

    Example:
        guest old on kvm1 { created-on xen; memory 1G }

    Fix: reinstall the guest on the new hypervisor, or keep it on a host of the
    hypervisor it was created on.
    """

    code, name, severity = "VG112", "created-on-other-hypervisor", Severity.ERROR
    when = ("created_on",)
    checklist, section, lines = ("GOS-14",), "§5.1", "470-471, 4906-4908"

    def guest(self, g: Guest):
        h = self.ctx.host_of(g)
        if g.created_on and g.created_on != h.hypervisor:
            yield self.report(f"guest {g.name} was created on {HYPERVISOR_NAMES[g.created_on]} but runs on the "
                              f"{HYPERVISOR_NAMES[h.hypervisor]} host {h.name}; converting guests between Xen "
                              "and KVM is not supported",
                              span_of(g, "created-on"), g.owner,
                              related=host_related(h, "hypervisor", f"host {h.name} runs {h.hypervisor}"),
                              hint=f"reinstall the guest on {h.hypervisor}, or place it on a {g.created_on} host")


class OneHypervisorPerHost(Rule):
    """A host runs the guests of one hypervisor: the one it boots.

    What it checks: guests whose type belongs to the other hypervisor than their host's
    (`type xen-hvm` on a KVM host, `type kvm` on a Xen host), with the host's other
    guests as related places. (`xen-pv` on a KVM host is VG101.)

    Why: "Both hypervisors can be installed on one system ... Because each hypervisor
    uses a different kernel, only one hypervisor can run at any time. Red Hat recommends
    installing only the hypervisor you intend to use" (§6, line 569; §32.2, line 4904).

    Example:
        guest w on kvm1 { type xen-hvm; memory 1G }

    Fix: move the guest to a host of its hypervisor, or change its type.
    """

    code, name, severity = "VG113", "one-hypervisor-per-host", Severity.ERROR
    checklist, section, lines = ("GOS-15",), "§6", "569, 4904"
    scope = Scope.HOST
    when = ("guests",)

    def host(self, h: Host, guests: list[Guest]):
        by_family: dict[str, list[Guest]] = defaultdict(list)
        for g in guests:
            by_family["xen" if g.is_xen else "kvm"].append(g)
        own = by_family.get(h.hypervisor, [])
        for family, members in by_family.items():
            if family == h.hypervisor:
                continue
            for g in members:
                if g.type == "xen-pv" and h.hypervisor == "kvm":
                    continue  # VG101
                related = list(host_related(h, "hypervisor", f"host {h.name} boots {h.hypervisor}"))
                if own:
                    related.append(Related(own[0].span, f"{own[0].name} is a {h.hypervisor} guest of the same host"))
                yield self.report(f"guest {g.name} is a {HYPERVISOR_NAMES[family]} guest ({g.type}) but host "
                                  f"{h.name} boots {HYPERVISOR_NAMES[h.hypervisor]}; only one hypervisor runs at "
                                  "a time",
                                  span_of(g, "type"), g.owner, related=related,
                                  hint=f"move {g.name} to a {family} host, or change its type")

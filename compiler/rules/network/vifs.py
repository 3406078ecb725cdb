"""Xen vif entries and NIC models: a vif names its bridge, the NIC models of each guest
type, unique vifnames, PV drivers and netfront, KVM's rtl8139."""
from __future__ import annotations

import re

from ...diagnostics import Related, Severity
from ...model import Guest, Host
from ..base import Rule, Scope, rhel5_defaults
from .common import NetRule


class VifWithoutBridge(NetRule):
    """A Xen guest's vif names its bridge; xm has no notion of libvirt networks.

    What it checks: a Xen guest NIC on a libvirt virtual network (`nic network NAME`) or
    with no bridge at all (models read from existing xm files) on a host that has more
    than one bridge, or whose bridges are not known (a host with one bridge leaves xend
    no choice).

    Why: "if no bridge is specified, the first bridge found is used" (§31, line 4747;
    §12.5.1, lines 2280-2284). The xm config written for `nic network NAME` can only leave
    bridge= out, so `xm create` puts the guest on whichever bridge xend finds first, not on
    the network; only the libvirt XML says `<source network=.../>`.

    Example:
        guest g on xen1 { type xen-pv; memory 1G; nic network default }

    A NIC that xend routes or masquerades (`vif-route`, `vif-nat`, as the NIC's script= or
    xend's vif-script) joins no bridge, so it needs none.

    Fix: name the network's bridge: `nic bridge virbr0` (declare `network default` on the
    host), which both the xm and the libvirt files express.
    """

    code, name, severity = "VN122", "vif-without-bridge", Severity.WARNING
    guest_types = ("xen-pv", "xen-hvm")
    checklist, section, lines = ("NET-31",), "§31", "2280-2284, 4745-4747"
    uses = ("libvirt.default_network",)

    def guest(self, g: Guest):
        if not g.is_xen:
            return
        h = self.ctx.host_of(g)
        for n in g.nics:
            if n.kind == "network":
                br = {net: br for br, net in self.network_bridges(h).items()}.get(n.source)
                yield self.report(f"NIC {n.index} of Xen guest {g.name} joins network '{n.source}', but its "
                                  "xm vif has no bridge=, so xm attaches it to the first bridge xend finds",
                                  n.span, n.owner,
                                  hint=f"write `nic bridge {br}`" if br
                                  else "name the network's bridge: `nic bridge BR`")
            elif not n.source and not self.one_bridge(h) and not routed(h, n.script):
                yield self.report(f"NIC {n.index} of Xen guest {g.name} names no bridge; xend uses the first "
                                  "bridge it finds", n.span, n.owner, hint="name the bridge")


    @staticmethod
    def one_bridge(h) -> bool:
        """The host is known to have a single bridge (its ifcfg or xend-made bridges, and the
        bridges of the libvirt networks it starts), so "the first bridge found" is that one."""
        names = {b.name for b in h.bridges} | {n.bridge for n in h.networks if n.bridge and n.autostart}
        return len(names) == 1


def routed(h: Host, script: str | None) -> bool:
    """Whether xend routes or masquerades a NIC with `script` (its vif's script=, or else
    xend's vif-script): vif-route and vif-nat put it on no bridge, nor do scripts a site
    writes after them (vif-eyroute)."""
    if not script:
        stated = h.setting("xend", "vif-script")
        script = stated.value if stated else None
    name = str(script or "").split()[0].rsplit("/", 1)[-1] if script and str(script).split() else ""
    # vif-route, vif-nat, and sites' own after them (vif-eyroute)
    return any(word.endswith(("route", "nat")) for word in re.split(r"[-_.]", name))


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
            if g.type == "xen-pv" and model not in ("", "netfront") and rhel5_defaults(self.ctx, g):
                # (a later Xen's stub domain, a PV domain, hands its ioemu NICs to its qemu)
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
    when = ("guests",)

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
                                      f"{what} on host {h.name}", n.at("vifname"), n.owner,
                                      related=(Related(span, what),), hint="choose a unique vifname, or drop it")
                else:
                    taken[n.vifname] = (f"the vifname of guest {g.name} (NIC {n.index})", n.at("vifname"))


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
    guest_types = ("xen-hvm",)
    checklist, section, lines = ("NET-32",), "§36.6", "1915, 1976, 2089, 2167, 6334"

    def guest(self, g: Guest):
        if g.type != "xen-hvm":
            return
        pv = g.pv_drivers and (g.fields.get("pv-drivers") is not None or rhel5_defaults(self.ctx, g))
        for n in g.nics:
            if pv and n.model not in ("netfront", "virtio"):
                yield self.report(f"NIC {n.index} of guest {g.name} is an emulated {n.model} (type=ioemu) "
                                  "although the guest has the PV drivers: throughput stays limited",
                                  n.at("model"), n.owner, hint="drop the model so the vif is netfront")
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
    guest_types = ("kvm",)
    checklist, section, lines = ("NET-35",), "§35.13", "6186-6205, 6228"

    def guest(self, g: Guest):
        if g.type != "kvm":
            return
        for n in g.nics:
            if n.model in (None, "rtl8139"):
                yield self.report(f"NIC {n.index} of KVM guest {g.name} is an rtl8139, KVM's slow default",
                                  n.at("model"), n.owner, hint="add `model virtio` (or `model e1000`)")

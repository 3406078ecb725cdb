"""What virtc itself adds to a host's and a guest's configuration, put into the model.

The guide prescribes settings that follow from the rest of a host: the IOMMU switch on the
boot line when devices are passed through, processor.max_cstate=1 on a KVM host without a
constant TSC, loop devices for file-backed disks, pciback hiding for Xen PV passthrough,
the bridge netfilter sysctls, IP forwarding for NAT networks, a guest kernel's clock
arguments. virtc writes them, so the model carries them: the rules then check what the
host will really have, and the emitters print the model. A setting the user states is
never overridden: a derived value is added only when the same key is not already there.
"""
from __future__ import annotations

from functools import partial

from .cpu import lacks_constant_tsc
from .frozen import replace
from .limits import Limits, limits as default_limits
from .model import Guest, Host, Model, Setting


def _has_key(args: str | None, key: str) -> bool:
    return any(tok.split("=", 1)[0] == key for tok in (args or "").split())


def _add_args(args: str | None, extra: list[str]) -> str | None:
    add = [a for a in extra if not _has_key(args, a.split("=", 1)[0])]
    if not add:
        return args
    return " ".join(((args or "").split()) + add)


def _add_settings(settings: tuple[Setting, ...], wanted: dict[str, str], span) -> tuple[Setting, ...]:
    present = {s.key for s in settings}
    return settings + tuple(Setting(k, v, span) for k, v in wanted.items() if k not in present)


def derive(model: Model, lim: Limits | None = None, memo=None) -> Model:
    """`memo` (virtc.resolve.memo.CompileMemo) keeps what was derived from the same objects."""
    lim = lim or default_limits()
    by_host: dict[str, list[Guest]] = {h.name: [] for h in model.hosts}
    for g in model.guests:
        by_host.setdefault(g.host, []).append(g)
    if memo is None:
        hosts = tuple(_host(h, by_host.get(h.name, []), lim) for h in model.hosts)
    else:
        hosts = tuple(memo.derived_host(h, by_host.get(h.name, []), partial(_host, h, by_host.get(h.name, []), lim))
                      for h in model.hosts)
    index = {h.name: h for h in hosts}
    if memo is None:
        guests = tuple(_guest(g, index[g.host], lim) for g in model.guests)
    else:
        guests = tuple(memo.derived_guest(g, index[g.host], partial(_guest, g, index[g.host], lim))
                       for g in model.guests)
    return replace(model, hosts=hosts, guests=guests)


def _host(h: Host, guests: list[Guest], lim: Limits) -> Host:
    grub = h.grub
    passthrough = [p for g in guests for p in g.pci]
    iommu = lim["passthrough.iommu_boot_args"].value
    if passthrough:
        if h.hypervisor == "kvm" and h.cpu.vendor == "intel":
            spec = iommu["kvm_intel"]
            grub = replace(grub, args=_add_args(grub.args, [f"{spec['param']}={spec['values'][0]}"]))
        elif h.hypervisor == "xen":
            spec = iommu["xen"]
            # iommu=1 (guide §15.2) rather than iommu=on (§14): both switch VT-d on (C-12).
            grub = replace(grub, xen_args=_add_args(grub.xen_args, [f"{spec['param']}={spec['values'][-1]}"]))
            if any(p.vf for p in passthrough) and h.cpu.vendor == "intel":
                spec = iommu["xen_sriov_intel"]
                grub = replace(grub, args=_add_args(grub.args, [f"{spec['param']}={spec['values'][0]}"]))
    if h.hypervisor == "kvm" and lacks_constant_tsc(h):
        grub = replace(grub, args=_add_args(grub.args, list(lim["kvm.no_constant_tsc_host_args"].value)))

    modprobe = h.modprobe
    if h.hypervisor == "xen":
        files = [d for g in guests for d in g.disks if d.driver == "file" and d.path]
        default = lim["xen.loop_devices_default"].value
        if len(files) > default and not h.setting("modprobe", "loop"):
            n = max(len(files), lim["xen.loop_devices_suggested"].value)
            modprobe += (Setting("loop", f"max_loop={n}", files[default].span),)
        pv_devices = [p for g in guests if g.type == "xen-pv" for p in g.pci]
        if pv_devices and not h.setting("modprobe", "pciback"):
            hide = "".join(f"({p.address})" for p in sorted(pv_devices, key=lambda p: p.address))
            modprobe += (Setting("pciback", f"hide={hide}", pv_devices[0].span),)

    sysctl = h.sysctl
    if h.bridges and not (h.firewall and h.firewall.bridged):
        sysctl = _add_settings(sysctl, dict(lim["network.bridge_nf_sysctls"].value), h.bridges[0].span)
    if any(n.forward in ("nat", "route") for n in h.networks):
        sysctl = _add_settings(sysctl, dict(lim["network.ip_forward_sysctl"].value), h.networks[0].span)
    if grub is h.grub and modprobe is h.modprobe and sysctl == h.sysctl:
        return h  # nothing derived: no copy
    return replace(h, grub=grub, modprobe=modprobe, sysctl=sysctl)


def _guest(g: Guest, h: Host, lim: Limits) -> Guest:
    """A KVM guest on a host without a constant TSC gets the clock arguments of the guide's
    table (§16) on its kernel line, except a placeholder such as lpj=n, which only the
    guest can compute (VK104 asks for it)."""
    if g.type == "hyperv" and g.os and g.os.family == "rhel":
        cmdline = _add_args(g.boot.cmdline, list(lim["hyperv.guest_args"].value))
        return replace(g, boot=replace(g.boot, cmdline=cmdline))
    if g.type != "kvm" or not lacks_constant_tsc(h):
        return g
    if not g.os or g.os.family != "rhel":
        return g
    from .rules.timekeeping import clock_row

    row = clock_row(g, lim)
    if not row or not row["params"]:
        return g
    params = [p for p in row["params"] if not p.endswith("=n")]
    cmdline = _add_args(g.boot.cmdline, params)
    return g if cmdline == g.boot.cmdline else replace(g, boot=replace(g.boot, cmdline=cmdline))

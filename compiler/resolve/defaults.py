"""Finishing guests: the defaults a statement left open (drivers, buses, NIC models,
boot loader, features ...), references to the host's bridges and networks, MAC
addresses and UUIDs; then each GuestBuilder is frozen into the model's Guest."""
from __future__ import annotations

from dataclasses import replace
from functools import partial

from .. import identity
from ..conventions import XEN_VIF_SCRIPT
from ..model import Boot, Disk, FieldSpans, Guest, Host, Nic
from ..owner import Owner
from ..suggest import did_you_mean
from .drafts import GuestBuilder
from .scalars import ValueReader


def finish(c: ValueReader, builders: list[GuestBuilder], hosts: dict[str, Host], memo=None) -> list[Guest]:
    """Apply defaults, check references, assign MACs and UUIDs, freeze. Consumes
    `builders` (the list is empty afterwards). `memo`, a virtc.resolve.memo.CompileMemo,
    keeps the guests frozen from unchanged builders (the language server)."""
    taken = {n.mac for b in builders for n in b.nics if n.mac}
    requests = []
    for b in builders:
        host = hosts[b.host]
        if b.incomplete:
            b.type = b.type or ("kvm" if host.hypervisor == "kvm" else "xen-pv")
            b.memory_kib = b.memory_kib or 1024 * 1024
        if b.type is None and "type" in b.spans:
            continue  # the type statement was rejected; that error is enough
        if b.memory_kib is None and "memory" in b.spans:
            continue
        if b.type is None:
            if host.hypervisor in ("kvm", "hyperv"):
                b.type = host.hypervisor
            else:
                c.err("VR013", f"guest {b.name} does not say whether it is xen-pv or xen-hvm",
                      b.expansion.span if b.expansion else b.span,
                      hint="add `type xen-pv` (para-virtualized) or `type xen-hvm` (fully virtualized)")
                continue
        if b.memory_kib is None:
            c.err("VR013", f"guest {b.name} has no memory size",
                  b.expansion.span if b.expansion else b.span, hint="add e.g. `memory 1G`")
            continue
        for n in b.nics:
            if not n.mac:
                requests.append((b.name, n.index, b.type != "kvm"))
    macs = identity.assign_macs(requests, taken)
    out = []
    interned: dict = {}
    # Each builder is dropped once frozen: the fleet is never held twice, as drafts and as
    # the model, at once (a third of the peak memory of a check of 20,000 guests).
    for i, b in enumerate(builders):
        builders[i] = None
        if b.type is None or b.memory_kib is None:
            continue
        host = hosts[b.host]
        if memo is None:
            out.append(_freeze(c, b, host, macs, interned))
        else:
            mine = tuple(macs.get((b.name, n.index)) for n in b.nics)
            out.append(memo.frozen(c, b, host, mine, partial(_freeze, c, b, host, macs, interned)))
    builders.clear()
    return out


def _freeze(c: ValueReader, b: GuestBuilder, host: Host, macs, interned: dict) -> Guest:
    label = Owner(b.host, b.name)
    xen = b.type in ("xen-pv", "xen-hvm")
    hvm = b.type in ("xen-hvm", "kvm")
    arch = b.arch or host.arch
    pae = b.pae or arch in ("x86_64", "ia64")
    disks = []
    for d in b.disks:
        driver = d.driver
        bus = d.bus
        if driver == "virtio":
            if xen:
                c.err("VR019", "virtio is a KVM driver; Xen guests use tap:aio, phy or file", d.driver_span,
                      owner=label.of(d.label), hint="for a para-virtualized Xen disk write tap:aio and an xvd target")
                continue
            driver, bus = "qemu", "virtio"
        if driver is None:
            if not xen:
                driver = "qemu"
            elif d.path and d.path.startswith("/dev/"):
                driver = "phy"
            elif b.type == "xen-pv" or bus == "xen":
                driver = "tap:aio"
            else:
                driver = "file"
        elif driver == "qemu" and xen:
            c.err("VR019", "the qemu driver is for KVM guests", d.driver_span, owner=label.of(d.label))
            continue
        elif driver in ("phy", "file", "tap:aio", "tap2:aio", "tap:qcow") and not xen:
            # KVM names its only driver qemu; phy/file just tell block from file.
            driver = "qemu"
        if b.type == "xen-pv":
            bus = "xen"
        source_type = "block" if (driver == "phy" or (driver == "qemu" and d.path and d.path.startswith("/dev/"))) else "file"
        fmt = d.format or ("qcow" if driver == "tap:qcow" else "raw")
        disks.append(Disk(d.target, d.device, driver, source_type, d.path, bus, d.readonly, d.shareable,
                          fmt, d.size, d.span, label.of(d.label), d.sparse, d.encrypted,
                          d.compressed, d.boot))
    known = interned.get(id(host))  # per host, not per guest: the host outlives finish()
    if known is None:
        known = interned[id(host)] = ({br.name for br in host.bridges} | {n.bridge for n in host.networks},
                                      {n.name for n in host.networks} | {"default"})
    bridges, networks = known
    nics = []
    for n in b.nics:
        if n.kind == "bridge" and n.source and n.source not in bridges:
            hint = did_you_mean(n.source, bridges) or (
                f"bridges on {host.name}: {', '.join(sorted(bridges))}" if bridges else
                f"declare it in host {host.name}: `bridge {n.source} on eth0`")
            c.err("VR003", f"bridge '{n.source}' does not exist on host {host.name}", n.source_value.span,
                  owner=label.of(f"nic {n.index}"), hint=hint)
        elif n.kind == "network" and n.source and n.source not in networks:
            hint = did_you_mean(n.source, networks) or f"declare it in host {host.name}: `network {n.source}`"
            c.err("VR003", f"network '{n.source}' does not exist on host {host.name}", n.source_value.span,
                  owner=label.of(f"nic {n.index}"), hint=hint)
        model = n.model
        if model is None:
            model = "netfront" if b.type == "xen-pv" else (
                ("netfront" if b.pv_drivers else "ioemu") if b.type == "xen-hvm" else "rtl8139")
        mac = n.mac or macs.get((b.name, n.index), "")
        script = n.script if n.script else (XEN_VIF_SCRIPT if xen and n.kind == "bridge" else None)
        nics.append(Nic(n.index, n.kind, n.source, mac, n.mac is None, model, n.rate, n.vifname,
                        script, n.ip, n.span, label.of(f"nic {n.index}")))
    bootloader = b.bootloader
    if b.type == "xen-pv" and bootloader is None and b.kernel is None:
        bootloader = "/usr/bin/pygrub"
    order = b.boot_order or (("hd",) if hvm and not b.kernel else ())
    features = b.features if b.features is not None else (
        ("acpi", "apic", "pae") if hvm and pae else (("acpi", "apic") if hvm else ()))
    memory = b.memory_kib
    maxmem = b.maxmem_kib if b.maxmem_kib is not None else memory
    vcpus = b.vcpus or 1
    max_vcpus = b.max_vcpus if b.max_vcpus is not None else vcpus
    # The guests of one range and template set their fields in the same statements: they
    # share one FieldSpans (the spans are the statements', alive as long as the syntax).
    # Most share the very dict too (resolve.compiler._stamp), kept here so its id stays its.
    same = interned.get(("spans", id(b.spans)))
    if same is not None and same[0] is b.spans:
        fields = same[1]
    else:
        key = (*b.spans, *map(id, b.spans.values()))  # the field names, then their spans' ids
        fields = interned.get(key)
        if fields is None:
            fields = interned[key] = FieldSpans(tuple(b.spans.items()))
        interned[("spans", id(b.spans))] = (b.spans, fields)
    return Guest(
        name=b.name, host=b.host, type=b.type, arch=arch, pae=pae, os=b.os,
        memory_kib=memory, maxmem_kib=maxmem, vcpus=vcpus, max_vcpus=max_vcpus, cpuset=b.cpuset,
        disks=tuple(disks), nics=tuple(nics),
        pci=tuple(replace(p, owner=label.of(p.owner.part)) for p in b.pci),
        graphics=tuple(b.graphics), serials=tuple(b.serials), parallel=b.parallel,
        boot=Boot(bootloader, b.bootloader_args, b.kernel, b.initrd, b.cmdline, order),
        clock=b.clock or "utc", on_poweroff=b.on_poweroff, on_reboot=b.on_reboot,
        on_crash=b.on_crash, uuid=b.uuid or identity.guest_uuid(b.name), uuid_auto=b.uuid is None,
        autostart=b.autostart, pv_drivers=b.pv_drivers, features=tuple(features), sound=b.sound,
        usb=tuple(b.usb), description=b.description, span=b.span, expansion=b.expansion,
        fields=fields, install=b.install, kernel_release=b.kernel_release,
        kernel_variant=b.kernel_variant, pvclock=b.pvclock, hpet=b.hpet, services_on=tuple(b.services_on),
        services_off=tuple(b.services_off), roles=tuple(b.roles), selinux=b.selinux,
        firewall=b.firewall, hostname=b.hostname, created_on=b.created_on,
        migratable=b.migratable if b.migratable is not None else bool(host.migration and host.migration.peers))



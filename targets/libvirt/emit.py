"""libvirt domain XML, written the way RHEL 5's libvirt (0.x, xend and qemu-kvm) expects.

Conventions (guide §23, §25 and formats.md §2): memory in KiB without a unit attribute,
<vcpu> (not <vcpus>) with cpuset for pinning, Xen PV guests boot through <bootloader>
with machine 'xenpv', Xen HVM guests use hvmloader and qemu-dm with machine 'xenfv',
KVM guests use /usr/libexec/qemu-kvm, file disks on Xen PV use <driver name='tap'
type='aio'/>, and Xen NICs carry <script path='vif-bridge'/>.

Output: KVM definitions go where libvirtd keeps them, HOST/etc/libvirt/qemu/NAME.xml
(autostart links in .../qemu/autostart/), and so do virtual networks declared on a host,
HOST/etc/libvirt/qemu/networks/NAME.xml (autostarted, as the guide's `default` is). RHEL 5's libvirt keeps Xen definitions inside
xend, so Xen guests' XML goes to HOST/etc/libvirt/xen/NAME.xml, ready for `virsh define`.
"""
from __future__ import annotations

import ipaddress

from virtc.model import Disk, Guest, Host, Model, Network, Nic, Serial

from ..format import Artifact
from ..paths import HVMLOADER, QEMU_KVM, qemu_dm


XEN_DRIVERS = {"tap:aio": ("tap", "aio"), "tap2:aio": ("tap2", "aio"), "tap:qcow": ("tap", "qcow"),
               "file": ("file", None), "phy": ("phy", None)}


def emit(model: Model) -> list[Artifact]:
    out = []
    for host in model.hosts:
        for net in host.networks:
            out.append(Artifact(f"{host.name}/etc/libvirt/qemu/networks/{net.name}.xml",
                                network_xml(net), source=net.owner))
            out.append(Artifact(f"{host.name}/etc/libvirt/qemu/networks/autostart/{net.name}.xml",
                                link=f"../{net.name}.xml", source=net.owner))
    hosts = _hosts(model)
    for guest in model.guests:
        if guest.type == "hyperv":
            continue  # Hyper-V guests are configured in Hyper-V; virtc writes their grub entry
        host = hosts.get(guest.host)
        folder = "xen" if guest.is_xen else "qemu"
        path = f"{guest.host}/etc/libvirt/{folder}/{guest.name}.xml"
        out.append(Artifact(path, domain_xml(guest, host), source=guest.owner))
        if guest.autostart and not guest.is_xen:
            out.append(Artifact(f"{guest.host}/etc/libvirt/qemu/autostart/{guest.name}.xml",
                                link=f"../{guest.name}.xml", source=guest.owner))
    return out


def _hosts(model: Model) -> dict[str, Host]:
    """Host by name, the first of a name as model.host() finds it (not a scan per guest)."""
    out: dict[str, Host] = {}
    for h in model.hosts:
        out.setdefault(h.name, h)
    return out


def network_xml(net: Network) -> str:
    """A libvirt virtual network (guide §25 net-dumpxml), with its NAT or routed forward."""
    from lxml import etree  # here: lxml is loaded by build, not by check

    root = etree.Element("network")
    _sub(root, "name", net.name)
    if net.forward != "none":
        _sub(root, "forward", mode=net.forward, dev=net.forward_dev)
    _sub(root, "bridge", name=net.bridge, stp="on", delay="0")
    if net.ip:
        iface = ipaddress.ip_interface(net.ip)
        ip = _sub(root, "ip", address=str(iface.ip), netmask=str(iface.network.netmask))
        if net.dhcp_start and net.dhcp_end:
            dhcp = _sub(ip, "dhcp")
            _sub(dhcp, "range", start=net.dhcp_start, end=net.dhcp_end)
    return etree.tostring(root, pretty_print=True, encoding="unicode")


def _sub(parent, tag, text=None, **attrs):
    # etree.SubElement without an import per element (600,000 of them in a big fleet)
    el = parent.makeelement(tag, {k.rstrip("_"): str(v) for k, v in attrs.items() if v is not None})
    parent.append(el)
    if text is not None:
        el.text = str(text)
    return el


def domain_xml(g: Guest, host: Host) -> str:
    from lxml import etree

    dom = etree.Element("domain", type="xen" if g.is_xen else "kvm")
    _sub(dom, "name", g.name)
    _sub(dom, "uuid", g.uuid)
    if g.description:
        _sub(dom, "description", g.description)
    _sub(dom, "memory", g.maxmem_kib)
    _sub(dom, "currentMemory", g.memory_kib)
    vcpu = _sub(dom, "vcpu", g.max_vcpus, cpuset=g.cpuset)
    if g.vcpus != g.max_vcpus:
        vcpu.set("current", str(g.vcpus))
    if g.type == "xen-pv" and g.boot.bootloader:
        _sub(dom, "bootloader", g.boot.bootloader)
        if g.boot.bootloader_args:
            _sub(dom, "bootloader_args", g.boot.bootloader_args)
    os_el = _sub(dom, "os")
    if g.type == "xen-pv":
        _sub(os_el, "type", "linux", arch=g.arch, machine="xenpv")
    elif g.type == "xen-hvm":
        _sub(os_el, "type", "hvm", arch=g.arch, machine="xenfv")
        _sub(os_el, "loader", HVMLOADER)
    else:
        _sub(os_el, "type", "hvm", arch=g.arch)
    if g.boot.kernel:
        _sub(os_el, "kernel", g.boot.kernel)
        if g.boot.initrd:
            _sub(os_el, "initrd", g.boot.initrd)
    if g.boot.cmdline and (g.boot.kernel or g.type == "xen-pv"):
        # A PV guest's extra kernel arguments reach the kernel pygrub loads too; an HVM
        # guest's `kernel-args` describe its own grub.conf and have no element here.
        _sub(os_el, "cmdline", g.boot.cmdline)
    for dev in g.boot.order:
        _sub(os_el, "boot", dev=dev)
    if g.is_hvm and g.features:
        feats = _sub(dom, "features")
        for f in g.features:
            _sub(feats, f)
    clock = _sub(dom, "clock", offset=g.clock)
    if g.hpet is not None and g.is_hvm:  # xm hpet = 1|0, as libvirt's Xen driver writes it
        _sub(clock, "timer", name="hpet", present="yes" if g.hpet else "no")
    _sub(dom, "on_poweroff", g.on_poweroff)
    _sub(dom, "on_reboot", g.on_reboot)
    _sub(dom, "on_crash", g.on_crash)
    devices = _sub(dom, "devices")
    if g.type == "xen-hvm":
        _sub(devices, "emulator", qemu_dm(host.arch))
    elif g.type == "kvm":
        _sub(devices, "emulator", QEMU_KVM)
    for d in g.disks:
        _disk(devices, d, g)
    for n in g.nics:
        _nic(devices, n, g)
    for p in g.pci:
        hd = _sub(devices, "hostdev", mode="subsystem", type="pci", managed="yes")
        src = _sub(hd, "source")
        _sub(src, "address", domain=f"0x{p.domain:04x}", bus=f"0x{p.bus:02x}",
             slot=f"0x{p.slot:02x}", function=f"0x{p.function:x}")
    if g.type == "xen-pv":
        # The PV console is always there (xenconsoled); `serial` on a PV guest means it.
        _sub(devices, "console", type="pty")
    else:
        if g.parallel is not None:
            _serial(devices, "parallel", g.parallel, 0)
        for i, s in enumerate(g.serials):
            _serial(devices, "serial", s, i)
        if g.serials:
            _serial(devices, "console", g.serials[0], 0)
    for dev in g.usb:
        _sub(devices, "input", type=dev, bus="usb")
    if g.type == "xen-pv" and g.graphics:
        # The PV framebuffer's pointer (xenfb), which RHEL 5's libvirt writes with a vfb
        _sub(devices, "input", type="mouse", bus="xen")
    for gr in g.graphics:
        if gr.kind == "sdl":
            _sub(devices, "graphics", type="sdl")
        else:
            _sub(devices, "graphics", type="vnc", port=gr.port if gr.port else "-1",
                 autoport="no" if gr.port else "yes", listen=gr.listen, passwd=gr.password,
                 keymap=gr.keymap)
    if g.sound and g.is_hvm:
        _sub(devices, "sound", model=g.sound)
    return etree.tostring(dom, pretty_print=True, encoding="unicode")


def _disk(devices, d: Disk, g: Guest) -> None:
    el = _sub(devices, "disk", type=d.source_type, device=d.device)
    if g.is_xen:
        name, dtype = XEN_DRIVERS[d.driver]
        if d.driver == "tap:aio" or d.driver == "tap2:aio":
            dtype = "aio"
        _sub(el, "driver", name=name, type=dtype)
    else:
        _sub(el, "driver", name="qemu", type=d.format)
    if d.path:
        if d.source_type == "block":
            _sub(el, "source", dev=d.path)
        else:
            _sub(el, "source", file=d.path)
    _sub(el, "target", dev=d.target, bus=d.bus)
    if d.readonly:
        _sub(el, "readonly")
    if d.shareable:
        _sub(el, "shareable")


def _nic(devices, n: Nic, g: Guest) -> None:
    el = _sub(devices, "interface", type=n.kind)
    _sub(el, "mac", address=n.mac)
    if n.kind == "bridge":
        _sub(el, "source", bridge=n.source)
    else:
        _sub(el, "source", network=n.source)
    if n.script and g.is_xen:
        _sub(el, "script", path=n.script)
    if n.ip and g.is_xen:
        _sub(el, "ip", address=n.ip)
    if n.vifname:
        _sub(el, "target", dev=n.vifname)
    # Xen's defaults (netfront for PV, the emulated ioemu NIC for HVM) are written by
    # leaving the model out, as RHEL 5's libvirt does. A PV NIC of an HVM guest (PV drivers)
    # is not the default there: without <model type='netfront'/> libvirt makes it ioemu.
    if not (n.model == "ioemu" or (n.model == "netfront" and g.type != "xen-hvm")):
        _sub(el, "model", type=n.model)
    # A vif rate limit (guide §32.10) has no element in RHEL 5's libvirt (0.8.2; <bandwidth>
    # came with 0.9.4), so it is written to the xm config only.


def _serial(devices, tag: str, s: Serial, port: int) -> None:
    kind = {"telnet": "tcp"}.get(s.kind, s.kind)
    el = _sub(devices, tag, type=kind)
    if s.kind in ("file", "pipe", "dev"):
        _sub(el, "source", path=s.path)
    elif s.kind == "unix":
        _sub(el, "source", mode="bind" if s.server else "connect", path=s.path)
    elif s.kind in ("tcp", "telnet"):
        _sub(el, "source", mode="bind" if s.server else "connect", host=s.host, service=s.port)
        _sub(el, "protocol", type="telnet" if s.kind == "telnet" else "raw")
    elif s.kind == "udp":
        _sub(el, "source", mode="connect", host=s.host, service=s.port)
    _sub(el, "target", port=port)

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
import re

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
    out = ["<network>", _leaf("  ", "name", net.name)]
    if net.forward != "none":
        out.append(_leaf("  ", "forward", None, mode=net.forward, dev=net.forward_dev))
    out.append(_leaf("  ", "bridge", None, name=net.bridge, stp="on", delay="0"))
    if net.ip:
        iface = ipaddress.ip_interface(net.ip)
        ip = _attrs(address=str(iface.ip), netmask=str(iface.network.netmask))
        if net.dhcp_start and net.dhcp_end:
            out += [f"  <ip{ip}>", "    <dhcp>", _leaf("      ", "range", None, start=net.dhcp_start, end=net.dhcp_end),
                    "    </dhcp>", "  </ip>"]
        else:
            out.append(f"  <ip{ip}/>")
    out.append("</network>\n")
    return "\n".join(out)


# The XML is written as text, exactly as lxml's etree.tostring(pretty_print=True,
# encoding="unicode") wrote the trees this module used to build (two spaces a level, an
# element with neither text nor children as <tag/>, the same escaping, the same refusal of
# characters XML cannot carry): building a tree of ~35 elements per guest and serialising
# it cost more than the rest of a guest's files, and loading lxml cost a build 25 ms.
# tests/test_libvirt_emit.py compares it with that lxml writer over generated guests.

# what needs no escaping in text or attributes, and is a character XML allows
_PLAIN = re.compile(r"[^&<>\"\x00-\x1f\ud800-\udfff\ufffe\uffff]*")
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_LXML_REFUSAL = "All strings must be XML compatible: Unicode or ASCII, no NULL bytes or control characters"


def _escape(value, attribute: bool) -> str:
    s = value if value.__class__ is str else str(value)
    if _PLAIN.fullmatch(s):
        return s
    s.encode("utf-8")  # a lone surrogate: lxml's UnicodeEncodeError (lxml encodes first)
    if _NOT_XML.search(s):
        raise ValueError(_LXML_REFUSAL)
    s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    if attribute:
        s = s.replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;")
    return s


def _attrs(**attrs) -> str:
    """ name="value" for each attribute that is not None, in order."""
    return "".join(f' {k}="{_escape(v, True)}"' for k, v in attrs.items() if v is not None)


def _leaf(indent: str, tag: str, text=None, **attrs) -> str:
    """An element without children: <tag a="v">text</tag>, or <tag a="v"/> without text."""
    if text is None:
        return f"{indent}<{tag}{_attrs(**attrs)}/>"
    return f"{indent}<{tag}{_attrs(**attrs)}>{_escape(text, False)}</{tag}>"


def domain_xml(g: Guest, host: Host) -> str:
    out = [f"<domain{_attrs(type='xen' if g.is_xen else 'kvm')}>", _leaf("  ", "name", g.name),
           _leaf("  ", "uuid", g.uuid)]
    if g.description:
        out.append(_leaf("  ", "description", g.description))
    out += [_leaf("  ", "memory", g.maxmem_kib), _leaf("  ", "currentMemory", g.memory_kib),
            _leaf("  ", "vcpu", g.max_vcpus, cpuset=g.cpuset,
                  current=str(g.vcpus) if g.vcpus != g.max_vcpus else None)]
    if g.type == "xen-pv" and g.boot.bootloader:
        out.append(_leaf("  ", "bootloader", g.boot.bootloader))
        if g.boot.bootloader_args:
            out.append(_leaf("  ", "bootloader_args", g.boot.bootloader_args))
    out.append("  <os>")
    if g.type == "xen-pv":
        out.append(_leaf("    ", "type", "linux", arch=g.arch, machine="xenpv"))
    elif g.type == "xen-hvm":
        out += [_leaf("    ", "type", "hvm", arch=g.arch, machine="xenfv"), _leaf("    ", "loader", HVMLOADER)]
    else:
        out.append(_leaf("    ", "type", "hvm", arch=g.arch))
    if g.boot.kernel:
        out.append(_leaf("    ", "kernel", g.boot.kernel))
        if g.boot.initrd:
            out.append(_leaf("    ", "initrd", g.boot.initrd))
    if g.boot.cmdline and (g.boot.kernel or g.type == "xen-pv"):
        # A PV guest's extra kernel arguments reach the kernel pygrub loads too; an HVM
        # guest's `kernel-args` describe its own grub.conf and have no element here.
        out.append(_leaf("    ", "cmdline", g.boot.cmdline))
    for dev in g.boot.order:
        out.append(_leaf("    ", "boot", dev=dev))
    out.append("  </os>")
    if g.is_hvm and g.features:
        out += ["  <features>", *(_leaf("    ", f) for f in g.features), "  </features>"]
    if g.hpet is not None and g.is_hvm:  # xm hpet = 1|0, as libvirt's Xen driver writes it
        out += [f"  <clock{_attrs(offset=g.clock)}>", _leaf("    ", "timer", name="hpet", present="yes" if g.hpet else "no"),
                "  </clock>"]
    else:
        out.append(_leaf("  ", "clock", offset=g.clock))
    out += [_leaf("  ", "on_poweroff", g.on_poweroff), _leaf("  ", "on_reboot", g.on_reboot),
            _leaf("  ", "on_crash", g.on_crash), "  <devices>"]
    if g.type == "xen-hvm":
        out.append(_leaf("    ", "emulator", qemu_dm(host.arch)))
    elif g.type == "kvm":
        out.append(_leaf("    ", "emulator", QEMU_KVM))
    for d in g.disks:
        _disk(out, d, g)
    for n in g.nics:
        _nic(out, n, g)
    for p in g.pci:
        out += ['    <hostdev mode="subsystem" type="pci" managed="yes">', "      <source>",
                _leaf("        ", "address", domain=f"0x{p.domain:04x}", bus=f"0x{p.bus:02x}",
                      slot=f"0x{p.slot:02x}", function=f"0x{p.function:x}"),
                "      </source>", "    </hostdev>"]
    if g.type == "xen-pv":
        # The PV console is always there (xenconsoled); `serial` on a PV guest means it.
        out.append('    <console type="pty"/>')
    else:
        if g.parallel is not None:
            _serial(out, "parallel", g.parallel, 0)
        for i, s in enumerate(g.serials):
            _serial(out, "serial", s, i)
        if g.serials:
            _serial(out, "console", g.serials[0], 0)
    for dev in g.usb:
        out.append(_leaf("    ", "input", type=dev, bus="usb"))
    if g.type == "xen-pv" and g.graphics:
        # The PV framebuffer's pointer (xenfb), which RHEL 5's libvirt writes with a vfb
        out.append('    <input type="mouse" bus="xen"/>')
    for gr in g.graphics:
        if gr.kind == "sdl":
            out.append('    <graphics type="sdl"/>')
        else:
            out.append(_leaf("    ", "graphics", type="vnc", port=gr.port if gr.port else "-1",
                             autoport="no" if gr.port else "yes", listen=gr.listen, passwd=gr.password,
                             keymap=gr.keymap))
    if g.sound and g.is_hvm:
        out.append(_leaf("    ", "sound", model=g.sound))
    out += ["  </devices>", "</domain>\n"]
    return "\n".join(out)


def _disk(out: list[str], d: Disk, g: Guest) -> None:
    out.append(f"    <disk{_attrs(type=d.source_type, device=d.device)}>")
    if g.is_xen:
        name, dtype = XEN_DRIVERS[d.driver]
        if d.driver == "tap:aio" or d.driver == "tap2:aio":
            dtype = "aio"
        out.append(_leaf("      ", "driver", name=name, type=dtype))
    else:
        out.append(_leaf("      ", "driver", name="qemu", type=d.format))
    if d.path:
        if d.source_type == "block":
            out.append(_leaf("      ", "source", dev=d.path))
        else:
            out.append(_leaf("      ", "source", file=d.path))
    out.append(_leaf("      ", "target", dev=d.target, bus=d.bus))
    if d.readonly:
        out.append("      <readonly/>")
    if d.shareable:
        out.append("      <shareable/>")
    out.append("    </disk>")


def _nic(out: list[str], n: Nic, g: Guest) -> None:
    out += [f"    <interface{_attrs(type=n.kind)}>", _leaf("      ", "mac", address=n.mac)]
    if n.kind == "bridge":
        out.append(_leaf("      ", "source", bridge=n.source))
    else:
        out.append(_leaf("      ", "source", network=n.source))
    if n.script and g.is_xen:
        out.append(_leaf("      ", "script", path=n.script))
    if n.ip and g.is_xen:
        out.append(_leaf("      ", "ip", address=n.ip))
    if n.vifname:
        out.append(_leaf("      ", "target", dev=n.vifname))
    # Xen's defaults (netfront for PV, the emulated ioemu NIC for HVM) are written by
    # leaving the model out, as RHEL 5's libvirt does. A PV NIC of an HVM guest (PV drivers)
    # is not the default there: without <model type='netfront'/> libvirt makes it ioemu.
    if not (n.model == "ioemu" or (n.model == "netfront" and g.type != "xen-hvm")):
        out.append(_leaf("      ", "model", type=n.model))
    # A vif rate limit (guide §32.10) has no element in RHEL 5's libvirt (0.8.2; <bandwidth>
    # came with 0.9.4), so it is written to the xm config only.
    out.append("    </interface>")


def _serial(out: list[str], tag: str, s: Serial, port: int) -> None:
    kind = {"telnet": "tcp"}.get(s.kind, s.kind)
    out.append(f"    <{tag}{_attrs(type=kind)}>")
    if s.kind in ("file", "pipe", "dev"):
        out.append(_leaf("      ", "source", path=s.path))
    elif s.kind == "unix":
        out.append(_leaf("      ", "source", mode="bind" if s.server else "connect", path=s.path))
    elif s.kind in ("tcp", "telnet"):
        out += [_leaf("      ", "source", mode="bind" if s.server else "connect", host=s.host, service=s.port),
                _leaf("      ", "protocol", type="telnet" if s.kind == "telnet" else "raw")]
    elif s.kind == "udp":
        out.append(_leaf("      ", "source", mode="connect", host=s.host, service=s.port))
    out += [_leaf("      ", "target", port=port), f"    </{tag}>"]

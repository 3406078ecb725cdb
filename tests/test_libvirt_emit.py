"""The domain and network XML that targets/libvirt/emit.py writes as text are the bytes
lxml's pretty printer wrote from the element trees the emitter built before (kept below,
as it was, as the reference): for every guest and network of the examples and of the
corpus's xm configs and domain XMLs read back, and for guests whose text fields hold
arbitrary characters (escaping, and the same ValueError where XML cannot carry one)."""
from __future__ import annotations

import ipaddress
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from virtc.model import Disk, Guest, Host, Network, Nic, Serial
from virtc.resolve import compile_sources
from virtc.targets import libvirt, xm
from virtc.targets.libvirt.emit import XEN_DRIVERS
from virtc.targets.paths import HVMLOADER, QEMU_KVM, qemu_dm

from conftest import CORPUS, EXAMPLES


def _models():
    for f in sorted(EXAMPLES.glob("*.virt")):
        model = compile_sources([str(f)]).model
        assert model is not None, f
        yield f.stem, model


GUESTS = [pytest.param(g, m.host(g.host), id=f"{stem}:{g.name}") for stem, m in _models() for g in m.guests
          if g.type != "hyperv"]
NETWORKS = [pytest.param(n, id=f"{stem}:{h.name}:{n.name}") for stem, m in _models() for h in m.hosts
            for n in h.networks]


def _same(new, old, *args):
    """Both give the same text, or both raise the same exception."""
    try:
        expected = old(*args)
    except ValueError as exc:
        with pytest.raises(type(exc)) as got:
            new(*args)
        assert str(got.value) == str(exc)
        return
    assert new(*args) == expected


@pytest.mark.parametrize("guest, host", GUESTS)
def test_domain_xml_is_lxmls(guest, host):
    _same(libvirt.domain_xml, lxml_domain_xml, guest, host)


@pytest.mark.parametrize("net", NETWORKS)
def test_network_xml_is_lxmls(net):
    _same(libvirt.network_xml, lxml_network_xml, net)
    for forward, ip, dhcp in (("none", None, None), ("route", "10.1.0.1/24", None), ("nat", "10.1.0.1/24", "x")):
        other = replace(net, forward=forward, forward_dev=None, ip=ip, dhcp_start=dhcp and "10.1.0.2",
                        dhcp_end=dhcp and "10.1.0.9")
        _same(libvirt.network_xml, lxml_network_xml, other)


def _corpus_guests():
    files = sorted(p for d in ("libvirt-domainxml", "libvirt-xmconfig", "libvirt-xmconfig-historic",
                               "virt-manager-xen") if (CORPUS / d).is_dir() for p in (CORPUS / d).rglob("*")
                   if p.is_file())
    out = []
    for p in files:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        found = libvirt.read(text, p.name) if text.lstrip().startswith("<") else xm.read(text, p.name)
        out += [pytest.param(g, id=f"{p.parent.name}/{p.name}:{i}") for i, g in enumerate(found.guests)]
    return out


CORPUS_GUESTS = _corpus_guests()


@pytest.mark.skipif(not CORPUS_GUESTS, reason="../shared/corpus is absent")
@pytest.mark.parametrize("guest", CORPUS_GUESTS)
def test_corpus_guests_domain_xml_is_lxmls(guest):
    host = GUESTS[0].values[1]
    _same(libvirt.domain_xml, lxml_domain_xml, guest, host)


# any character, the ones XML escapes or refuses more often
_TEXT = st.text(alphabet=st.one_of(st.sampled_from("&<>\"'\n\r\t\x00\x01\x1f\x7f\x85\ufffe\uffff\ud800é]"),
                                   st.characters()), max_size=12)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(GUESTS), _TEXT, st.sampled_from(["description", "name", "cpuset", "disk", "nic", "boot",
                                                        "vnc", "serial", "clock"]))
def test_any_text_is_written_as_lxml_writes_it(param, text, where):
    guest, host = param.values
    if where == "disk" and guest.disks:
        guest = replace(guest, disks=(replace(guest.disks[0], path=text, target=text),) + guest.disks[1:])
    elif where == "nic" and guest.nics:
        guest = replace(guest, nics=(replace(guest.nics[0], source=text, mac=text, vifname=text),) + guest.nics[1:])
    elif where == "boot":
        guest = replace(guest, boot=replace(guest.boot, bootloader=text, bootloader_args=text, kernel=text,
                                            cmdline=text))
    elif where == "vnc" and guest.graphics:
        guest = replace(guest, graphics=(replace(guest.graphics[0], kind="vnc", password=text, keymap=text,
                                                 listen=text),))
    elif where == "serial":
        guest = replace(guest, serials=(Serial("tcp", None, text, 4555, True, guest.span),
                                        Serial("file", text, None, None, False, guest.span)))
    elif where in ("description", "name", "cpuset", "clock"):
        guest = replace(guest, **{where: text})
    _same(libvirt.domain_xml, lxml_domain_xml, guest, host)


def test_a_control_character_before_a_lone_surrogate_is_refused_as_lxml_refuses_it():
    # lxml encodes to UTF-8 before it looks for control characters (found by hypothesis)
    guest, host = GUESTS[0].values
    _same(libvirt.domain_xml, lxml_domain_xml, replace(guest, description="\x1f\ud800"), host)


# ---------------------------------------------------------------- the reference: the emitter as it was

def lxml_network_xml(net: Network) -> str:
    """A libvirt virtual network (guide §25 net-dumpxml), with its NAT or routed forward."""

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


def lxml_domain_xml(g: Guest, host: Host) -> str:

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

"""A host's statements (its guests aside), in the order of the language reference, with
what the resolver and derive.py add taken out (the `stated` host of
virtc.dslwrite.derived)."""
from __future__ import annotations

from ..cpu import CONSTANT_TSC
from ..model import Host
from ..values import CPU_FLAG_RE, check_hostname
from .tokens import (ADDRESS_TOKEN, CPUSET_TOKEN, GRUBDEV_TOKEN, INT_TOKEN, MAC_TOKEN, NAME_TOKEN, PORTS_TOKEN,
                     VERSION_TOKEN, WWID_TOKEN, Where, bare, bare_name, kib_text, memory_text,
                     name_or_string, quote, scalar, switch)


def host_lines(h: Host, stated: Host) -> list[str]:
    """The host's statements (guests excluded), in the order of the language reference."""
    w = Where(f"host {h.name}")
    for what, names in (("bridge", [b.name for b in h.bridges]), ("network", [n.name for n in h.networks]),
                        ("LUN name", [lun.name for lun in h.luns])):
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # the compiler refuses a second declaration (VR004)
            w.fail(what, twice[0], f"the host has two {what}s of this name")
    out: list[str] = []
    if h.hypervisor not in ("xen", "kvm", "hyperv"):
        w.fail("hypervisor", h.hypervisor, "not a hypervisor")
    out.append(f"hypervisor {h.hypervisor}")
    if h.arch != "x86_64":
        out.append(f"arch {bare_name(h.arch, w, 'arch')}")
    if h.release is not None:
        out.append(f"release {bare(h.release, VERSION_TOKEN, w, 'release')}")
    if h.kernel is not None:
        k = h.kernel
        out.append(f"kernel {k if VERSION_TOKEN.match(k) or INT_TOKEN.match(k) else quote(k, f'{w.label}: kernel')}")
    cpu = []
    c = h.cpu
    if c.vendor is not None:
        cpu.append(bare_name(c.vendor, w, "cpu vendor"))
    for attr in ("sockets", "cores", "threads", "mhz"):
        v = getattr(c, attr)
        if v is not None:
            cpu.append(f"{attr} {v}")
    # a CPU known to keep a constant TSC (capabilities name its model, never the flag) says
    # so in its flags, as /proc/cpuinfo does
    flags = sorted({f.lower() for f in c.flags} | ({CONSTANT_TSC} if c.flags and c.constant_tsc else set()))
    if flags:
        # a flag that starts with a digit (AMD's 3dnow, 3dnowext) is not a NAME: quoted
        cpu.append("flags " + " ".join(f if NAME_TOKEN.match(f) else
                                       quote(bare(f, CPU_FLAG_RE, w, "cpu flag"), "cpu flag") for f in flags))
    if cpu:
        out.append("cpu " + " ".join(cpu))
    if h.memory_kib is not None:
        out.append(f"memory {memory_text(h.memory_kib, w, 'memory')}")
    if h.swap_kib is not None:
        out.append(f"swap {kib_text(h.swap_kib, w, 'swap')}")
    dom0 = []
    if h.dom0_memory_kib is not None:
        dom0.append(f"memory {memory_text(h.dom0_memory_kib, w, 'dom0 memory')}")
    if h.dom0_vcpus is not None:
        dom0.append(f"vcpus {h.dom0_vcpus}")
    if h.dom0_pin is not None:
        dom0.append(f"pin {bare(h.dom0_pin, CPUSET_TOKEN, w, 'dom0 pin')}")
    if dom0:
        out.append("dom0 " + " ".join(dom0))
    for cell in h.numa:
        opts = []
        if cell.cpus is not None:
            opts.append(f"cpus {bare(cell.cpus, CPUSET_TOKEN, w, 'numa cpus')}")
        if cell.memory_kib is not None:
            opts.append(f"memory {kib_text(cell.memory_kib, w, 'numa memory')}")
        if cell.free_kib is not None:
            opts.append(f"free {kib_text(cell.free_kib, w, 'numa free')}")
        if not opts:
            w.fail(f"numa {cell.id}", cell, "a NUMA cell states its CPUs or memory")
        out.append(f"numa {cell.id} " + " ".join(opts))
    if h.iommu:
        out.append("iommu")
    if h.ksm:
        out.append("ksm")
    if h.selinux is not None:
        out.append(f"selinux {bare_name(h.selinux, w, 'selinux')}")
    if h.edition is not None:
        out.append(f"edition {bare_name(h.edition, w, 'edition')}")
    if h.free_disk_kib is not None:
        out.append(f"free-disk {kib_text(h.free_disk_kib, w, 'free-disk')}")
    out += _grub(stated, w)
    default_label = "xen_image_t" if h.hypervisor == "xen" else "virt_image_t"
    for d in h.image_dirs:
        line = f"images {quote(d.path, f'{w.label}: images')}"
        if d.label and d.label != default_label:
            line += f" label {bare_name(d.label, w, 'images label')}"
        out.append(line)
    for s in h.shared:
        line = f"shared {quote(s.path, f'{w.label}: shared')} from {quote(s.source, f'{w.label}: shared source')}"
        if s.kind != "nfs":
            line += f" {bare_name(s.kind, w, 'shared kind')}"
        out.append(line)
    out += [_bridge(b, w) for b in h.bridges]
    out += [_network(n, w) for n in h.networks]
    for lun in h.luns:
        kind = {"multipath": "multipath", "udev": "lun"}.get(lun.kind)
        if kind is None:
            w.fail("lun kind", lun.kind, "a LUN is a multipath alias or a udev name")
        out.append(f"{kind} {bare_name(lun.name, w, kind)} wwid {bare(lun.wwid, WWID_TOKEN, w, 'wwid')}")
    for kind, value in h.multipath_blacklist:
        if kind == "wwid":
            out.append(f"blacklist wwid {bare(value, WWID_TOKEN, w, 'blacklist wwid')}")
        elif kind == "devnode":
            out.append(f"blacklist devnode {quote(value, f'{w.label}: blacklist devnode')}")
        else:
            w.fail("blacklist", kind, "the multipath blacklist takes devnode and wwid")
    if h.migration is not None:
        out.append(_migration(h.migration, w))
    for group, names in (("on", h.services_on), ("off", h.services_off)):
        if names:
            out.append(f"services {group} " + " ".join(bare_name(s, w, "service") for s in names))
    if h.firewall is not None:
        line = _firewall(h.firewall, w)
        if line:
            out.append(line)
    out += [f"sysctl {bare_name(s.key, w, 'sysctl key')} {scalar(s.value, f'{w.label}: sysctl {s.key}')}"
            for s in stated.sysctl]
    out += [f"xend {bare_name(s.key, w, 'xend key')} {scalar(s.value, f'{w.label}: xend {s.key}')}"
            for s in stated.xend]
    out += [f"modprobe {bare_name(s.key, w, 'modprobe module')} {quote(s.value, f'{w.label}: modprobe {s.key}')}"
            for s in stated.modprobe]
    for s in h.sebools:
        if s.value not in ("on", "off"):
            w.fail(f"sebool {s.key}", s.value, "a boolean is on or off")
        out.append(f"sebool {bare_name(s.key, w, 'sebool')} {s.value}")
    if h.packages:
        out.append("packages " + " ".join(name_or_string(p, f"{w.label}: package") for p in h.packages))
    for e in h.exports:
        line = f"export {quote(e.path, f'{w.label}: export')} to {quote(e.clients, f'{w.label}: export clients')}"
        if e.options is not None:
            line += f" options {quote(e.options, f'{w.label}: export options')}"
        out.append(line)
    for p in h.pools:
        line = f"pool {bare_name(p.name, w, 'pool')} {bare_name(p.type, w, 'pool type')}"
        if p.source_host is not None:
            line += f" host {name_or_string(p.source_host, f'{w.label}: pool host')}"
        if p.device is not None:
            line += f" device {quote(p.device, f'{w.label}: pool device')}"
        if p.path is not None:
            line += f" path {quote(p.path, f'{w.label}: pool path')}"
        if p.autostart:
            line += " autostart"
        out.append(line)
    for t in h.iscsi_targets:
        line = f"iscsi-target {quote(t.iqn, f'{w.label}: iscsi-target')}"
        for n, path in t.luns:
            line += f" lun {n} {quote(path, f'{w.label}: iscsi-target lun')}"
        if t.allow is not None:
            line += f" allow {name_or_string(t.allow, f'{w.label}: iscsi-target allow')}"
        if not t.luns and t.allow is None:
            w.fail("iscsi-target", t.iqn, "a target states a LUN or who may connect")
        out.append(line)
    if h.uri is not None:
        out.append(f"uri {quote(h.uri, f'{w.label}: uri')}")
    return out


def _grub(h: Host, w: Where) -> list[str]:
    g = h.grub
    opts = []
    if g.root is not None:
        opts.append(f"root {bare(g.root, GRUBDEV_TOKEN, w, 'grub root')}")
    if g.rootfs is not None:
        opts.append(f"rootfs {quote(g.rootfs, f'{w.label}: grub rootfs')}")
    if g.args is not None:
        opts.append(f"args {quote(g.args, f'{w.label}: grub args')}")
    if g.xen_args is not None:
        opts.append(f"xen-args {quote(g.xen_args, f'{w.label}: grub xen-args')}")
    if g.serial is not None:
        opts.append(f"serial {bare_name(g.serial, w, 'grub serial')}" +
                    (f" speed {g.serial_speed}" if g.serial_speed is not None else ""))
    elif g.serial_speed is not None:
        w.fail("grub serial speed", g.serial_speed, "a speed needs the serial port")
    return ["grub " + " ".join(opts)] if opts else []


def _bridge(b, w: Where) -> str:
    line = f"bridge {bare_name(b.name, w, 'bridge')}"
    if b.nic is not None:
        line += f" on {bare_name(b.nic, w, f'bridge {b.name} interface')}"
    if b.hwaddr is not None:
        line += f" hwaddr {bare(b.hwaddr.lower(), MAC_TOKEN, w, f'bridge {b.name} hwaddr')}"
    if b.bootproto == "static":
        if b.ip is None:
            w.fail(f"bridge {b.name} address", None, "a static bridge has an address")
        line += f" ip {bare(b.ip, ADDRESS_TOKEN, w, f'bridge {b.name} ip')}"
    elif b.bootproto == "dhcp":
        if b.ip is not None:  # `ip` then `dhcp`: the address is kept, the protocol is dhcp
            line += f" ip {bare(b.ip, ADDRESS_TOKEN, w, f'bridge {b.name} ip')}"
        line += " dhcp"
    elif b.bootproto != "none" or b.ip is not None:
        w.fail(f"bridge {b.name} bootproto", b.bootproto, "a bridge has an address (static), dhcp, or none")
    if b.gateway is not None:
        line += f" gateway {bare(b.gateway, ADDRESS_TOKEN, w, f'bridge {b.name} gateway')}"
    if b.mtu is not None:
        line += f" mtu {b.mtu}"
    if b.stp:
        line += " stp on"
    if b.delay:
        line += f" delay {b.delay}"
    return line


def _network(n, w: Where) -> str:
    line = f"network {bare_name(n.name, w, 'network')}"
    default_bridge = "virbr0" if n.name == "default" else f"virbr-{n.name}"[:15]
    if n.bridge != default_bridge:
        line += f" bridge {bare_name(n.bridge, w, f'network {n.name} bridge')}"
    if n.forward != "nat" or n.forward_dev is not None:
        line += f" forward {bare_name(n.forward, w, f'network {n.name} forward')}"
        if n.forward_dev is not None:
            line += f" via {bare_name(n.forward_dev, w, f'network {n.name} forward device')}"
    libvirt_default = ("192.168.122.1/24", "192.168.122.2", "192.168.122.254")
    if n.name == "default" and (n.ip, n.dhcp_start, n.dhcp_end) == libvirt_default:
        return line
    if n.ip is None and (n.name == "default" or n.forward != "none"):
        w.fail(f"network {n.name} address", None,
               "libvirt's default network and a NAT or routed network always have an address")
    if n.ip is not None:
        line += f" ip {bare(n.ip, ADDRESS_TOKEN, w, f'network {n.name} ip')}"
    if (n.dhcp_start is None) != (n.dhcp_end is None):
        w.fail(f"network {n.name} dhcp", (n.dhcp_start, n.dhcp_end), "a DHCP range has a start and an end")
    if n.dhcp_start is not None:
        line += (f" dhcp {bare(n.dhcp_start, ADDRESS_TOKEN, w, 'dhcp start')}"
                 f" - {bare(n.dhcp_end, ADDRESS_TOKEN, w, 'dhcp end')}")
    return line


def _migration(m, w: Where) -> str:
    opts = []
    if m.peers:
        opts.append("peers " + " ".join(bare_name(p, w, "migration peer") for p in m.peers))
    if m.port is not None:
        opts.append(f"port {m.port}")
    if m.address is not None:
        # an IPv4 address, or a host name xend resolves (xend-config.sxp's 'localhost')
        named = isinstance(m.address, str) and NAME_TOKEN.match(m.address) and check_hostname(m.address) is None
        opts.append(f"address {bare(m.address, NAME_TOKEN if named else ADDRESS_TOKEN, w, 'migration address')}")
    if m.allow is not None:
        opts.append(f"allow {quote(m.allow, f'{w.label}: migration allow')}")
    if not opts:
        w.fail("migration", m, "a migration statement states a peer, port, address or allow pattern")
    return "migration " + " ".join(opts)


def _firewall(f, w: Where) -> str | None:
    opts = []
    # the switch comes first: after `open`, a bare `on` would be read as one more port
    if f.enabled is not None:
        opts.append(switch(f.enabled))
    if f.policy is not None:
        opts.append(f"policy {bare_name(f.policy, w, 'firewall policy')}")
    if f.bridged:
        opts.append("bridged")
    if f.open:
        for port in f.open:
            if port != "icmp" and not PORTS_TOKEN.match(port):
                w.fail("firewall open", port, "ports are PORT/tcp, FIRST-LAST/udp or icmp")
        opts.append("open " + " ".join(f.open))
    return "firewall " + " ".join(opts) if opts else None  # an empty firewall says nothing

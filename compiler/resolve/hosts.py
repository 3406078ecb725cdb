"""Host statements -> the model's Host: hardware, hypervisor, bridges and networks,
storage, migration, and the host's other configuration files (host_extra)."""
from __future__ import annotations

import re
from dataclasses import replace

from .. import conventions, values
from ..diagnostics import Related
from ..model import (ARCHES, CPU_VENDORS, HYPERVISORS, Bridge, Cpu, Export, FieldSpans, Firewall,
                     GrubSettings, Host, ImageDir, IscsiTarget, Lun, Migration, Network, NumaCell,
                     Pool, Setting, SharedStorage)
from ..cpu import CONSTANT_TSC
from ..numbers import NumberError, port_range_problem, whole
from ..owner import Owner
from ..regexes import regex_error
from ..source import Span
from ..syntax import HostDecl, Stmt
from .scalars import ValueReader, clip


class HostStatements(ValueReader):
    """A host declaration's statements -> Host (its guests are compiled apart)."""

    def host(self, decl: HostDecl) -> Host:
        name = decl.name.text
        label = Owner(name)
        f: dict = {"hypervisor": None, "arch": None, "release": None, "memory_kib": None,
                   "swap_kib": None, "dom0_memory_kib": None, "dom0_vcpus": None, "kernel": None,
                   "iommu": False, "selinux": None, "migration": None}
        cpu = {"vendor": None, "sockets": None, "cores": None, "threads": None, "flags": (), "mhz": None,
               "constant_tsc": None}
        grub = {"root": None, "rootfs": None, "args": None, "serial": None, "serial_speed": None,
                "xen_args": None}
        extra: dict = {"numa": [], "services_on": [], "services_off": [], "sysctl": [], "packages": [],
                       "xend": [], "exports": [], "sebools": [], "modprobe": [], "pools": [],
                       "iscsi_targets": [], "firewall": None, "uri": None, "ksm": False,
                       "edition": None, "free_disk_kib": None, "dom0_pin": None,
                       "multipath_blacklist": []}
        bridges: list[Bridge] = []
        networks: list[Network] = []
        luns: list[Lun] = []
        images: list[ImageDir] = []
        shared: list[SharedStorage] = []
        spans: dict[str, Span] = {}
        for st in decl.stmts:
            k, a = st.keyword, st.args
            spans.setdefault(k, st.span)
            if k == "hypervisor":
                f["hypervisor"] = self.enum(a[0], HYPERVISORS, "hypervisor")
            elif k == "arch":
                f["arch"] = self.enum(a[0], ARCHES, "architecture", {"i386": "i686", "amd64": "x86_64"})
            elif k == "release":
                if re.match(r"^5\.[0-9]+\Z", a[0].text):
                    try:  # the update level is a number: bounded like every other
                        whole(a[0].text[2:], "the release's update level")
                        f["release"] = a[0].text
                    except NumberError as exc:
                        self.err("VR012", str(exc), a[0].span, hint=exc.hint)
                else:
                    self.err("VR012", f"release '{a[0].text}' is not a RHEL 5 release", a[0].span,
                             hint="write the update level, e.g. release 5.8")
            elif k == "cpu":
                if a:
                    cpu["vendor"] = self.enum(a[0], CPU_VENDORS, "CPU vendor")
                for o in st.opts:
                    if o.name == "flags":
                        flags = set()
                        for v in o.values:  # one that starts with a digit (AMD's 3dnow) is a string
                            if v.kind != "STRING" or self.checked(values.check_cpu_flag, v, v.text, "CPU flag"):
                                flags.add(v.text.lower())
                        cpu["flags"] = tuple(sorted(flags))
                        cpu["constant_tsc"] = CONSTANT_TSC in cpu["flags"]  # /proc/cpuinfo's flags
                    else:
                        cpu[o.name] = self.integer(o.values[0], f"cpu {o.name}", 1, 100000)
            elif k == "memory":
                f["memory_kib"] = self.memory_kib(a[0], "host memory")
            elif k == "swap":
                b = self.size(a[0], "swap")
                f["swap_kib"] = None if b is None else b // 1024
            elif k == "dom0":
                for o in st.opts:
                    if o.name == "memory":
                        f["dom0_memory_kib"] = self.memory_kib(o.values[0], "dom0 memory")
                    elif o.name == "pin":
                        extra["dom0_pin"] = self.cpuset(o.values[0])
                    else:
                        f["dom0_vcpus"] = self.integer(o.values[0], "dom0 vcpus", 1, 4096)
                    spans[f"dom0_{o.name}"] = o.span
            elif k == "kernel-version":
                if re.match(r"^[0-9][0-9A-Za-z._-]*\Z", a[0].text):
                    f["kernel"] = a[0].text
                else:
                    self.err("VR012", f"'{a[0].text}' is not a kernel version", a[0].span,
                             hint="the version of the kernel-xen / kernel package, e.g. 2.6.18-308.el5")
            elif k == "bridge":
                bridges.append(self.bridge(st, label))
            elif k == "network":
                networks.append(self.network(st, label))
            elif k in ("multipath", "lun"):
                lname = self.checked(values.check_name, a[0], a[0].text, f"{k} name")
                wwid = conventions.wwid(a[1].text) or a[1].text
                if conventions.wwid(a[1].text) is None:
                    self.err("VR012", f"WWID '{a[1].text}' is neither 16 to 64 hex digits nor a T10 vendor "
                                      "identifier (1VENDOR_PRODUCT_SERIAL)", a[1].span,
                             hint="copy it from `scsi_id -g -s /block/sdX`")
                luns.append(Lun(lname or a[0].text, wwid, "multipath" if k == "multipath" else "udev",
                                st.span, label.of(f"{k} {a[0].text}"), a[1].span))
            elif k == "images":
                path = self.checked(values.check_path, a[0], a[0].text, "image directory")
                labelv = a[1].text if len(a) > 1 else None
                if labelv is not None and not re.match(r"^[a-z_]+_t\Z", labelv):
                    self.err("VR012", f"'{labelv}' is not an SELinux type", a[1].span,
                             hint="e.g. virt_image_t or xen_image_t")
                images.append(ImageDir(path or a[0].text, labelv or "", st.span))
            elif k == "iommu":
                f["iommu"] = bool(self.switch(a[0] if a else None))
            elif k == "selinux":
                f["selinux"] = self.enum(a[0], ("enforcing", "permissive", "disabled"), "SELinux mode")
            elif k == "migration":
                f["migration"] = self.migration(st)
            elif k == "shared":
                path = self.checked(values.check_path, a[0], a[0].text, "shared storage mount point")
                src = self.checked(values.check_text, a[1], a[1].text, "shared storage source")
                kind = self.enum(a[2], ("nfs", "iscsi", "fc", "gfs2"), "shared storage kind") if len(a) > 2 else "nfs"
                shared.append(SharedStorage(path or a[0].text, src or a[1].text, kind or "nfs", st.span))
            elif k == "grub":
                for o in st.opts:
                    v = o.values[0]
                    if o.name == "root":
                        grub["root"] = v.text
                    elif o.name == "rootfs":
                        grub["rootfs"] = self.checked(values.check_rootfs, v, v.text, "root file system")
                    elif o.name == "args":
                        grub["args"] = self.checked(values.check_text, v, v.text, "kernel arguments")
                    elif o.name == "xen_args":
                        grub["xen_args"] = self.checked(values.check_text, v, v.text, "hypervisor arguments")
                    elif o.name == "serial":
                        grub["serial"] = self.enum(v, ("com1", "com2"), "serial port")
                        if len(o.values) > 1:
                            grub["serial_speed"] = self.integer(o.values[1], "serial speed", 50, 921600)
            else:
                self.host_extra(st, extra, f)
        hyper = f["hypervisor"]
        # A Xen host's bridges are written as ifcfg files, so xend must not build its own:
        # virtc writes (network-script /bin/true) unless told otherwise (guide §10.2, NET-10).
        if hyper == "xen" and bridges and not any(s.key == "network-script" for s in extra["xend"]):
            extra["xend"].append(Setting("network-script", "/bin/true", bridges[0].span))
        # Unlabelled image directories get the hypervisor's type (guide §18.2, C-04).
        default_label = "xen_image_t" if hyper == "xen" else "virt_image_t"
        images = [i if i.label else replace(i, label=default_label) for i in images]
        if hyper is None and "hypervisor" not in spans:
            self.err("VR013", f"host {name} does not say which hypervisor it runs", decl.header,
                     hint="add `hypervisor xen` or `hypervisor kvm`")
        for b_ in bridges:
            self.check_dup(bridges, b_, lambda x: x.name, "bridge")
        for lun in luns:
            self.check_dup(luns, lun, lambda x: x.name, f"{lun.kind} name")
        for n_ in networks:
            self.check_dup(networks, n_, lambda x: x.name, "network")
        return Host(
            name=name, hypervisor=hyper or "xen", arch=f["arch"] or "x86_64", release=f["release"],
            cpu=Cpu(**cpu), memory_kib=f["memory_kib"], swap_kib=f["swap_kib"],
            dom0_memory_kib=f["dom0_memory_kib"], dom0_vcpus=f["dom0_vcpus"], kernel=f["kernel"],
            iommu=f["iommu"], selinux=f["selinux"], bridges=tuple(bridges),
            networks=tuple(networks), luns=tuple(luns), image_dirs=tuple(images),
            shared=tuple(shared), migration=f["migration"], grub=GrubSettings(**grub),
            span=decl.span, fields=FieldSpans(tuple(spans.items())),
            **{k: tuple(v) if isinstance(v, list) else v for k, v in extra.items()})

    def host_extra(self, st: Stmt, extra: dict, f: dict) -> None:
        """Host statements that describe its other configuration files."""
        k, a = st.keyword, st.args
        if k == "edition":
            extra["edition"] = self.enum(a[0], ("server", "client", "desktop", "workstation"), "RHEL edition")
        elif k == "free-disk":
            b = self.size(a[0], "free disk space")
            extra["free_disk_kib"] = None if b is None else b // 1024
        elif k == "numa":
            cell = {"cpus": None, "memory_kib": None, "free_kib": None}
            for o in st.opts:
                v = o.values[0]
                if o.name == "cpus":
                    cell["cpus"] = self.cpuset(v)
                else:
                    b = self.size(v, f"NUMA cell {o.name}")
                    cell["memory_kib" if o.name == "memory" else "free_kib"] = None if b is None else b // 1024
            cid = self.integer(a[0], "NUMA cell", 0, 1024)
            extra["numa"].append(NumaCell(cid if cid is not None else 0, span=st.span, **cell))
        elif k == "services":
            state = self.switch(a[0])
            for v in a[1:]:  # the last statement about a service wins
                for group in ("services_on", "services_off"):
                    if v.text in extra[group]:
                        extra[group].remove(v.text)
                extra["services_on" if state else "services_off"].append(v.text)
        elif k == "firewall":
            opened, policy, bridged, enabled = [], None, False, None
            for o in st.opts:
                if o.name == "open":
                    for v in o.values:
                        if v.kind == "PORTS" and port_range_problem(v.text):
                            self.err("VR012", f"'{clip(v.text)}': {port_range_problem(v.text)}", v.span,
                                     hint="ports run from 1 to 65535")
                        elif v.kind == "PORTS" or v.text == "icmp":
                            opened.append(v.text)
                        else:
                            self.err("VR012", f"'{v.text}' is not a port", v.span,
                                     hint="write PORT/tcp, FIRST-LAST/udp or icmp")
                elif o.name == "policy":
                    policy = self.enum(o.values[0], ("accept", "drop", "reject"), "firewall policy")
                elif o.name == "bridged":
                    bridged = True
                else:
                    enabled = self.switch(o.values[0])
            extra["firewall"] = Firewall(tuple(opened), policy, bridged, enabled, st.span)
        elif k in ("sysctl", "xend", "sebool", "modprobe"):
            group = {"sysctl": "sysctl", "xend": "xend", "sebool": "sebools", "modprobe": "modprobe"}[k]
            value = a[1]
            if k == "sebool":
                on = self.switch(value)
                text = "on" if on else "off"
            else:
                # xend values may be regular expressions (hosts-allow); modprobe.conf reads a
                # backslash as a line continuation, sysctl.conf values are plain text.
                check = values.check_pattern if k == "xend" else values.check_text
                text = self.checked(check, value, value.text, f"{k} value")
            if text is not None:
                extra[group].append(Setting(a[0].text, text, st.span))
        elif k == "packages":
            extra["packages"].extend(v.text for v in a)
        elif k == "export":
            path = self.checked(values.check_path, a[0], a[0].text, "exported directory")
            clients = self.checked(values.check_text, a[1], a[1].text, "export clients")
            if clients == "":
                self.err("VR015", "export names no clients", a[1].span, hint='e.g. to "*.example.com"')
            opts = self.checked(values.check_text, a[2], a[2].text, "export options") if len(a) > 2 else None
            if path and clients:
                extra["exports"].append(Export(path, clients, opts, st.span))
        elif k == "pool":
            ptype = self.enum(a[1], ("dir", "fs", "netfs", "iscsi", "scsi", "logical", "disk"), "pool type")
            pool = {"source_host": None, "device": None, "path": None, "autostart": False}
            for o in st.opts:
                if o.name == "autostart":
                    pool["autostart"] = True
                else:
                    v = o.values[0]
                    key = {"host": "source_host"}.get(o.name, o.name)
                    pool[key] = self.checked(values.check_text, v, v.text, f"pool {o.name}")
            extra["pools"].append(Pool(a[0].text, ptype or a[1].text, span=st.span, **pool))
        elif k == "iscsi-target":
            # The IQN and the initiators go onto tgtadm command lines in rc.local: only
            # the characters an IQN (RFC 3720) or an address can have.
            iqn = a[0].text if re.match(r"^[A-Za-z0-9.:_-]+\Z", a[0].text) else None
            if iqn is None:
                self.err("VR011", f"IQN '{clip(a[0].text)}' may only contain letters, digits, '.', ':', '-' and '_'",
                         a[0].span, hint="e.g. iqn.2004-04.rhel:rhel5:iscsi.kvmguest")
            luns, allow = [], None
            for o in st.opts:
                if o.name == "lun":
                    n = self.integer(o.values[0], "LUN", 0, 16383)
                    p = self.checked(values.check_path, o.values[1], o.values[1].text, "LUN backing store")
                    if n is not None and p:
                        luns.append((n, p))
                else:
                    v = o.values[0]
                    allow = v.text if v.text == "ALL" else self.address(v, "initiator address", cidr=True)
            if iqn:
                extra["iscsi_targets"].append(IscsiTarget(iqn, tuple(luns), allow, st.span))
        elif k == "uri":
            extra["uri"] = self.checked(values.check_pattern, a[0], a[0].text, "URI")
        elif k == "ksm":
            extra["ksm"] = bool(self.switch(a[0] if a else None))
        elif k == "blacklist":
            kind = self.enum(a[0], ("devnode", "wwid"), "multipath blacklist kind")
            value = (conventions.wwid(a[1].text) or a[1].text) if kind == "wwid" else a[1].text
            if kind == "wwid" and conventions.wwid(a[1].text) is None:
                self.err("VR012", f"WWID '{a[1].text}' is neither 16 to 64 hex digits nor a T10 vendor "
                                  "identifier (1VENDOR_PRODUCT_SERIAL)", a[1].span)
            elif kind == "devnode":
                value = self.checked(values.check_pattern, a[1], value, "devnode pattern")
                if value is not None and (not value or value[0] in "!# \t"):
                    self.err("VR011", f"devnode pattern '{clip(value)}' is empty or starts with a blank, '!' or '#', "
                                      "which multipath.conf reads as a comment", a[1].span)
                    value = None
                if value and (why := regex_error(value)) is not None:  # no warning on stderr either
                    self.err("VR012", f"'{value}' is not a regular expression ({why})", a[1].span)
            if kind and value:
                extra["multipath_blacklist"].append((kind, value))

    def check_dup(self, items, item, key, what) -> None:
        first = next(x for x in items if key(x) == key(item))
        if first is not item:
            self.err("VR004", f"{what} '{key(item)}' is declared twice", item.span,
                     related=(Related(first.span, "first declared here"),))

    def bridge(self, st: Stmt, host_label: Owner) -> Bridge:
        name = st.args[0]
        self.checked(values.check_ifname, name, name.text, "bridge name")
        nic = hwaddr = ip = gateway = mtu = None
        bootproto, stp, delay = "none", False, 0
        for o in st.opts:
            v = o.values[0] if o.values else None
            if o.name == "nic":
                nic = self.checked(values.check_ifname, v, v.text, "interface name")
            elif o.name == "hwaddr":
                hwaddr = self.mac(v)
            elif o.name == "dhcp":
                bootproto = "dhcp"
            elif o.name == "ip":
                ip = self.address(v, "bridge address", cidr=True)
                if ip and "/" not in ip:
                    self.err("VR012", f"bridge address '{ip}' needs a prefix length", v.span,
                             hint=f"write {ip}/24 (or the right prefix)")
                bootproto = "static"
            elif o.name == "gateway":
                gateway = self.address(v, "gateway")
            elif o.name == "mtu":
                mtu = self.integer(v, "MTU", 68, 65535)
            elif o.name == "stp":
                stp = bool(self.switch(v))
            elif o.name == "delay":
                delay = self.integer(v, "forward delay", 0, 30) or 0
        return Bridge(name.text, nic, hwaddr, bootproto, ip, gateway, mtu, stp, delay, st.span,
                      host_label.of(f"bridge {name.text}"))

    def network(self, st: Stmt, host_label: Owner) -> Network:
        name = st.args[0].text
        self.checked(values.check_name, st.args[0], name, "network name")
        bridge, forward, fdev, ip, d0, d1 = None, "nat", None, None, None, None
        for o in st.opts:
            if o.name == "bridge":
                bridge = self.checked(values.check_ifname, o.values[0], o.values[0].text, "bridge name")
            elif o.name == "forward":
                forward = self.enum(o.values[0], ("nat", "route", "none"), "forward mode") or "nat"
                if len(o.values) > 1:
                    fdev = self.checked(values.check_ifname, o.values[1], o.values[1].text, "interface name")
            elif o.name == "ip":
                ip = self.address(o.values[0], "network address", cidr=True)
            elif o.name == "dhcp":
                d0 = self.address(o.values[0], "DHCP range start")
                d1 = self.address(o.values[1], "DHCP range end")
        if bridge is None:
            bridge = "virbr0" if name == "default" else f"virbr-{name}"[:15]
        if ip is None and name == "default" and not any(o.name == "ip" for o in st.opts):
            # libvirt's own default network (guide §10.1: virbr0, NAT, DHCP).
            ip, d0, d1 = "192.168.122.1/24", "192.168.122.2", "192.168.122.254"
        elif ip is None and forward != "none" and not any(o.name == "ip" for o in st.opts):
            self.err("VR013", f"network {name} forwards ({forward}) but has no address", st.span,
                     hint="add the host side of the network, e.g. `ip 192.168.100.1/24`; "
                          "libvirt refuses NAT or routing without one")
        return Network(name, bridge, forward, fdev, ip, d0, d1, st.span, host_label.of(f"network {name}"))

    def migration(self, st: Stmt) -> Migration:
        peers, port, address, allow = (), None, None, None
        for o in st.opts:
            if o.name == "peers":
                peers = tuple(v.text for v in o.values)
            elif o.name == "port":
                port = self.integer(o.values[0], "relocation port", 1, 65535)
            elif o.name == "address":
                v = o.values[0]
                # xend binds the relocation socket to an IP address or to what a host name
                # resolves to (xend-config.sxp's own examples: 'localhost', a FQDN)
                address = self.checked(values.check_hostname, v, v.text, "relocation host name") \
                    if v.kind == "NAME" else self.address(v, "relocation address")
            elif o.name == "allow":
                v = o.values[0]
                allow = self.checked(values.check_pattern, v, v.text, "hosts-allow pattern")
                if allow:
                    for pattern in allow.split():
                        why = regex_error(pattern)
                        if why:
                            self.err("VR012", f"'{pattern}' is not a regular expression ({why})", v.span)
        return Migration(peers, port, address, allow, st.span)


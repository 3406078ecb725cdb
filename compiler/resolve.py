"""Syntax trees (read with their includes by virtc.loading) -> resolved model: templates,
ranges, interpolation, units, defaults.

Semantic errors (unknown names, duplicates, malformed values) are reported here with the
span of the statement or value at fault. Limits from the guide are not checked here;
they are rules that run on the finished model.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace

from . import conventions, identity, values
from .diagnostics import Diagnostic, Related, error, warning
from .owner import Owner
from .model import (ACTIONS, ARCHES, BOOT_DEVICES, BUSES, CLOCKS, CPU_VENDORS, GUEST_TYPES,
                    HYPERVISORS, SERIAL_KINDS, SOUND_MODELS, USB_DEVICES, Boot, Bridge, Cpu,
                    Disk, Expansion, Export, FieldSpans, Firewall, Graphics, GrubSettings, Guest,
                    GuestOS, Host, ImageDir, Install, IscsiTarget, Lun, Migration, Model, Network,
                    Nic, NumaCell, PciDevice, Pool, Serial, Setting, SharedStorage)
from .loading import Loaded, Loader, Parser, load, read_source
from .parse import parse
from .source import SourceFile, Span
from .suggest import did_you_mean, one_of
from .syntax import FileSyntax, GuestDecl, HostDecl, Stmt, TemplateDecl, Value
from .units import UnitError, parse_size
from .conventions import (BOOT_ALIASES, CPUSET_RE, INTERP_RE, OS_RE, PCI_RE, PREFIX_BUS, RATE_RE,  # noqa: F401
                          SWITCH_OFF, SWITCH_ON, TARGET_RE, UUID_RE, WWID_RE, XEN_RESERVED)

MAX_RANGE = 10000


@dataclass
class Result:
    model: Model | None
    diagnostics: list[Diagnostic]
    sources: dict[str, SourceFile]
    syntax: dict[str, FileSyntax] = field(default_factory=dict)


# ---------------------------------------------------------------- the compiler

class Compiler:
    def __init__(self):
        self.diags: list[Diagnostic] = []
        self._seen: set[tuple] = set()
        self.cycles: set[frozenset] = set()  # template cycles already reported

    def report(self, diag: Diagnostic) -> None:
        # A template's statement is interpreted once per guest: report its problems once.
        key = (diag.code, diag.span, diag.message)
        if key not in self._seen:
            self._seen.add(key)
            self.diags.append(diag)

    def err(self, code: str, message: str, span: Span | None, **kw) -> None:
        self.report(error(code, message, span, **kw))

    # -- value helpers -------------------------------------------------

    def enum(self, v: Value, choices, what: str, aliases: dict | None = None) -> str | None:
        text = v.text
        if aliases and text in aliases:
            return aliases[text]
        if text in choices:
            return text
        hint = did_you_mean(text, list(choices) + list(aliases or {})) or f"use {one_of(choices)}"
        self.err("VR012", f"unknown {what} '{text}'", v.span, hint=hint)
        return None

    def switch(self, v: Value | None) -> bool | None:
        if v is None:
            return True
        if v.text.lower() in SWITCH_ON:
            return True
        if v.text.lower() in SWITCH_OFF:
            return False
        self.err("VR012", f"'{v.text}' is not on or off", v.span, hint="write on or off")
        return None

    def size(self, v: Value, what: str) -> int | None:
        try:
            return parse_size(v.text)
        except UnitError as exc:
            self.err("VR005", f"{what}: {exc}", v.span, hint=exc.hint)
            return None

    def memory_kib(self, v: Value, what: str) -> int | None:
        b = self.size(v, what)
        if b is None:
            return None
        if b % (1024 * 1024):
            self.err("VR005", f"{what} {v.text} is not a whole number of MiB", v.span,
                     hint="xm configs count memory in MiB; round to a multiple of 1M")
            return None
        if b == 0:
            self.err("VR005", f"{what} must be more than 0", v.span)
            return None
        return b // 1024

    def integer(self, v: Value, what: str, low: int = 0, high: int | None = None) -> int | None:
        try:
            n = int(v.text)
        except ValueError:
            self.err("VR012", f"{what} '{v.text}' is not a whole number", v.span)
            return None
        if n < low or (high is not None and n > high):
            bound = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.err("VR012", f"{what} {n} must be {bound}", v.span)
            return None
        return n

    def checked(self, check, v: Value, text: str, what: str) -> str | None:
        problem = check(text)
        if problem:
            self.err("VR011", f"{what} '{_clip(text)}' {problem}", v.span,
                     hint="generated files cannot carry this safely; choose another value")
            return None
        return text

    def address(self, v: Value, what: str, cidr: bool = False) -> str | None:
        text = v.text
        try:
            if "/" in text:
                if not cidr:
                    raise ValueError("a prefix length is not allowed here")
                ipaddress.ip_interface(text)
            else:
                ipaddress.ip_address(text)
        except ValueError as exc:
            self.err("VR012", f"{what} '{text}' is not a valid IPv4 address ({exc})", v.span)
            return None
        return text

    def interpolate(self, v: Value, env: dict[str, str]) -> str | None:
        """Replace {name}, {host}, {index}; {{ and }} are literal braces."""
        ok = True

        def sub(m: re.Match) -> str:
            nonlocal ok
            tok = m.group(0)
            if tok == "{{":
                return "{"
            if tok == "}}":
                return "}"
            var = m.group(1)
            if var is None:
                ok = False
                self.err("VR008", f"unmatched '{tok}' in string", v.span,
                         hint="write {{ or }} for a literal brace")
                return tok
            if var in env:
                return env[var]
            ok = False
            col = v.span.col + 1 + m.start()
            span = Span(v.span.file, v.span.line, col, v.span.line, col + len(tok),
                        v.span.start + 1 + m.start(), v.span.start + 1 + m.end())
            known = sorted(env) or ["name", "host"]
            hint = did_you_mean(var, known) or f"known variables: {', '.join('{' + k + '}' for k in known)}"
            if var == "index":
                hint = "{index} is defined only for guests stamped from a range such as web[01..12]"
            self.err("VR008", f"unknown variable '{{{var}}}' in string", span, hint=hint)
            return tok

        out = INTERP_RE.sub(sub, v.text)
        return out if ok else None

    # -- hosts ---------------------------------------------------------

    def host(self, decl: HostDecl) -> Host:
        name = decl.name.text
        label = Owner(name)
        f: dict = {"hypervisor": None, "arch": None, "release": None, "memory_kib": None,
                   "swap_kib": None, "dom0_memory_kib": None, "dom0_vcpus": None, "kernel": None,
                   "iommu": False, "selinux": None, "migration": None}
        cpu = {"vendor": None, "sockets": None, "cores": None, "threads": None, "flags": (), "mhz": None}
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
                    f["release"] = a[0].text
                else:
                    self.err("VR012", f"release '{a[0].text}' is not a RHEL 5 release", a[0].span,
                             hint="write the update level, e.g. release 5.8")
            elif k == "cpu":
                if a:
                    cpu["vendor"] = self.enum(a[0], CPU_VENDORS, "CPU vendor")
                for o in st.opts:
                    if o.name == "flags":
                        cpu["flags"] = tuple(sorted({v.text.lower() for v in o.values}))
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
                        grub["rootfs"] = self.checked(values.check_path, v, v.text, "root file system")
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

    def cpuset(self, v: Value) -> str | None:
        if CPUSET_RE.match(v.text):
            return v.text
        self.err("VR012", f"'{v.text}' is not a CPU list", v.span,
                 hint="write CPU numbers and ranges: 0-3,6 (^N excludes N)")
        return None

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
                        if v.kind == "PORTS" or v.text == "icmp":
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
                self.err("VR011", f"IQN '{_clip(a[0].text)}' may only contain letters, digits, '.', ':', '-' and '_'",
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
                    self.err("VR011", f"devnode pattern '{_clip(value)}' is empty or starts with a blank, '!' or '#', "
                                      "which multipath.conf reads as a comment", a[1].span)
                    value = None
                if value:
                    try:
                        re.compile(value)
                    except re.error as exc:
                        self.err("VR012", f"'{value}' is not a regular expression ({exc})", a[1].span)
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
                     hint=f"add the host side of the network, e.g. `ip 192.168.100.1/24`; "
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
                address = self.address(o.values[0], "relocation address")
            elif o.name == "allow":
                v = o.values[0]
                allow = self.checked(values.check_pattern, v, v.text, "hosts-allow pattern")
                if allow:
                    for pattern in allow.split():
                        try:
                            re.compile(pattern)
                        except re.error as exc:
                            self.err("VR012", f"'{pattern}' is not a regular expression ({exc})", v.span)
        return Migration(peers, port, address, allow, st.span)

    def mac(self, v: Value) -> str | None:
        if v.kind != "MAC":
            self.err("VR006", f"'{v.text}' is not a MAC address", v.span,
                     hint="write six hex pairs such as 00:16:3e:12:34:56, or `mac auto`")
            return None
        mac = v.text.lower()
        if int(mac[:2], 16) & 1:
            self.err("VR006", f"MAC address {v.text} is a multicast address", v.span,
                     hint="the first byte must be even; Xen guests use 00:16:3e:xx:xx:xx")
            return None
        return mac

    # -- guests --------------------------------------------------------

    def guest(self, b: "_GuestBuilder", st: Stmt, env: dict[str, str]) -> None:
        """Apply one statement to a guest being built."""
        k, a = st.keyword, st.args
        b.spans[k] = st.span
        if k == "type":
            b.type = self.enum(a[0], GUEST_TYPES, "guest type", {"pv": "xen-pv", "hvm": "xen-hvm"})
        elif k == "arch":
            b.arch = self.enum(a[0], ARCHES, "architecture", {"i386": "i686", "amd64": "x86_64"})
            b.pae = len(a) > 1 or b.arch in ("x86_64", "ia64")
        elif k == "os":
            self.guest_os(b, st)
        elif k == "memory":
            b.memory_kib = self.memory_kib(a[0], "memory")
        elif k == "maxmem":
            b.maxmem_kib = self.memory_kib(a[0], "maxmem")
        elif k == "vcpus":
            b.vcpus = self.integer(a[0], "vcpus", 1, 4096)
            b.max_vcpus = self.integer(a[1], "maximum vcpus", 1, 4096) if len(a) > 1 else None
        elif k == "cpuset":
            if CPUSET_RE.match(a[0].text):
                b.cpuset = a[0].text
            else:
                self.err("VR012", f"'{a[0].text}' is not a CPU list", a[0].span,
                         hint="write CPU numbers and ranges: 0-3,6 (^N excludes N)")
        elif k in ("disk", "cdrom", "floppy"):
            self.disk(b, st, env)
        elif k == "nic":
            self.nic(b, st, env)
        elif k == "pci":
            self.pci(b, st)
        elif k == "vnc":
            self.vnc(b, st)
        elif k == "sdl":
            b.graphics.append(Graphics("sdl", None, None, None, None, st.span))
        elif k == "serial":
            self.serial(b, st, env)
        elif k == "bootloader":
            v = a[0]
            if v.kind == "NAME":
                if v.text != "pygrub":
                    self.err("VR012", f"unknown boot loader '{v.text}'", v.span,
                             hint="write pygrub, or the full path in quotes")
                b.bootloader = "/usr/bin/pygrub"
            else:
                b.bootloader = self.checked(values.check_path, v, v.text, "boot loader")
            if len(a) > 1:
                t = self.interpolate(a[1], env)
                b.bootloader_args = None if t is None else self.checked(values.check_text, a[1], t, "boot loader arguments")
        elif k == "kernel":
            t = self.interpolate(a[0], env)
            b.kernel = None if t is None else self.checked(values.check_path, a[0], t, "kernel")
            for o in st.opts:
                t = self.interpolate(o.values[0], env)
                if o.name == "initrd":
                    b.initrd = None if t is None else self.checked(values.check_path, o.values[0], t, "initrd")
                else:
                    b.cmdline = None if t is None else self.checked(values.check_text, o.values[0], t, "kernel arguments")
        elif k == "boot":
            order = []
            for v in a:
                dev = self.enum(v, BOOT_DEVICES, "boot device", BOOT_ALIASES)
                if dev and dev not in order:
                    order.append(dev)
            b.boot_order = tuple(order)
        elif k == "clock":
            b.clock = self.enum(a[0], CLOCKS, "clock offset", {"local": "localtime"})
        elif k == "on":
            event = self.enum(a[0], ("poweroff", "reboot", "crash"), "event")
            action = self.enum(a[1], ACTIONS, "action")
            if event and action:
                setattr(b, f"on_{event}", action)
                b.spans[f"on_{event}"] = st.span
        elif k == "uuid":
            text = a[0].text.lower()
            if UUID_RE.match(text):
                hexs = text.replace("-", "")
                b.uuid = f"{hexs[:8]}-{hexs[8:12]}-{hexs[12:16]}-{hexs[16:20]}-{hexs[20:]}"
            else:
                self.err("VR012", f"'{a[0].text}' is not a UUID", a[0].span,
                         hint="32 hex digits, dashed as 8-4-4-4-12; leave it out to generate one")
        elif k == "autostart":
            b.autostart = bool(self.switch(a[0] if a else None))
        elif k == "pv-drivers":
            b.pv_drivers = bool(self.switch(a[0] if a else None))
        elif k == "features":
            feats = []
            for v in a:
                feat = self.enum(v, ("acpi", "apic", "pae"), "feature")
                if feat and feat not in feats:
                    feats.append(feat)
            b.features = tuple(feats)
        elif k == "sound":
            b.sound = self.enum(a[0], SOUND_MODELS, "sound card")
        elif k == "usb":
            dev = self.enum(a[0], USB_DEVICES, "USB input device")
            if dev and dev not in b.usb:
                b.usb.append(dev)
        elif k == "description":
            t = self.interpolate(a[0], env)
            b.description = None if t is None else self.checked(values.check_text, a[0], t, "description")
        elif k == "install":
            method = self.enum(a[0], ("url", "cdrom", "pxe", "import"), "install method",
                               {"tree": "url", "iso": "cdrom", "network": "pxe"})
            source = None
            if len(a) > 1:
                t = self.interpolate(a[1], env)
                source = None if t is None else self.checked(values.check_pattern, a[1], t, "install source")
            elif method == "url":
                self.err("VR015", "install url needs the installation tree's address", st.span,
                         hint='install url "http://server/trees/RHEL5/os/"')
            if method:
                b.install = Install(method, source)
        elif k == "os-kernel":
            if re.match(r"^[0-9][0-9A-Za-z._-]*\Z", a[0].text):
                b.kernel_release = a[0].text
            else:
                self.err("VR012", f"'{a[0].text}' is not a kernel version", a[0].span,
                         hint="e.g. os-kernel 2.6.18-308.el5 variant xen")
            if len(a) > 1:
                b.kernel_variant = a[1].text
        elif k == "kernel-args":
            t = self.interpolate(a[0], env)
            b.cmdline = None if t is None else self.checked(values.check_text, a[0], t, "kernel arguments")
        elif k == "pvclock":
            b.pvclock = self.switch(a[0] if a else None)
        elif k == "services":
            state = self.switch(a[0])
            for v in a[1:]:
                for group in (b.services_on, b.services_off):
                    if v.text in group:
                        group.remove(v.text)
                (b.services_on if state else b.services_off).append(v.text)
        elif k == "role":
            b.roles.extend(v.text for v in a)
        elif k == "selinux":
            b.selinux = self.enum(a[0], ("enforcing", "permissive", "disabled"), "SELinux mode")
        elif k == "guest-firewall":
            b.firewall = self.switch(a[0])
        elif k == "hostname":
            t = self.interpolate(a[0], env) if a[0].kind == "STRING" else a[0].text
            b.hostname = None if t is None else self.checked(values.check_pattern, a[0], t, "host name")
        elif k == "created-on":
            b.created_on = self.enum(a[0], ("xen", "kvm"), "hypervisor")
        elif k == "migratable":
            b.migratable = self.switch(a[0] if a else None)

    def guest_os(self, b: "_GuestBuilder", st: Stmt) -> None:
        a = list(st.args)
        name = a.pop(0)
        release = None
        if a and a[0].kind in ("VERSION", "INT"):
            release = a.pop(0).text
        m = OS_RE.match(name.text)
        if not m:
            self.err("VR012", f"unknown guest OS '{name.text}'", name.span,
                     hint="write rhel5.8, rhel4.8, rhel3.9, fedora11, win2003, winxp, win2008, "
                          "win7 or other")
            return
        family = m.group(1).lower()
        family = {"centos": "rhel", "win": "windows"}.get(family, family)
        release = release or m.group(2)
        b.os = GuestOS(family, release.lower() if release else None, name.text)
        if a:
            arch_v = a.pop(0)
            b.arch = self.enum(arch_v, ARCHES, "architecture", {"i386": "i686", "amd64": "x86_64"})
            b.pae = bool(a) or b.arch in ("x86_64", "ia64")
            b.spans["arch"] = st.span

    def disk(self, b: "_GuestBuilder", st: Stmt, env) -> None:
        device = st.keyword
        args = list(st.args)
        target_v = args.pop(0)
        target = target_v.text
        label = f"disk {target}"
        m = TARGET_RE.match(target)
        if not m:
            self.err("VR014", f"'{target}' is not a disk target name", target_v.span,
                     hint="targets are a prefix (hd, sd, xvd, vd, fd), lower-case letters and an "
                          "optional partition number: hda, sdb, xvda, vdb, fda")
            return
        prefix = m.group(1)
        driver_v = args.pop(0) if args and args[0].kind == "DRIVER" else None
        path_v = args.pop(0) if args and args[0].kind == "STRING" else None
        path = None
        if path_v is not None:
            t = self.interpolate(path_v, env)
            path = None if t is None else self.checked(values.check_path, path_v, t, "disk path")
            if t and not path:
                return
        elif device != "cdrom":
            self.err("VR015", f"{device} {target} has no source path", st.span,
                     hint=f'add the image or device path: {device} {target} "/var/lib/libvirt/images/NAME.img"')
            return
        bus = PREFIX_BUS[prefix]
        readonly = device == "cdrom"
        shareable = False
        size = None
        fmt = None
        flags = {"sparse": False, "encrypted": False, "compressed": False, "boot": False}
        for o in st.opts:
            v = o.values[0] if o.values else None
            if o.name == "size":
                size = self.size(v, "disk size")
            elif o.name == "bus":
                bus = self.enum(v, BUSES, "disk bus") or bus
            elif o.name == "readonly":
                readonly = True
            elif o.name == "shareable":
                shareable = True
            elif o.name == "format":
                fmt = v.text  # the rule VS121 checks it against the guide's list
            elif o.name in flags:
                flags[o.name] = True
        driver = driver_v.text if driver_v else None
        if device == "floppy":
            bus = "fdc"
        b.disks.append(_DiskDraft(target, device, driver, path, bus, readonly, shareable, fmt, size,
                                  st.span, driver_v.span if driver_v else None, label, **flags))

    def nic(self, b: "_GuestBuilder", st: Stmt, env) -> None:
        kind_v, source_v = st.args
        index = len(b.nics)
        kind = self.enum(kind_v, ("bridge", "network"), "NIC kind")
        source = self.interpolate(source_v, env) if source_v.kind == "STRING" else source_v.text
        if source:
            check = values.check_ifname if kind == "bridge" else values.check_name
            source = self.checked(check, source_v, source, f"{kind or 'NIC'} name")
        draft = _NicDraft(index, kind or "bridge", source or "", None, None, None, None, None, None,
                          st.span, source_v)
        for o in st.opts:
            v = o.values[0]
            if o.name == "mac":
                if v.kind == "NAME" and v.text == "auto":
                    draft.mac = None
                else:
                    draft.mac = self.mac(v)
            elif o.name == "model":
                draft.model = self.enum(v, ("netfront", "ioemu", "rtl8139", "e1000", "virtio",
                                            "ne2k_pci", "pcnet"), "NIC model")
            elif o.name == "rate":
                if RATE_RE.match(v.text):
                    draft.rate = v.text
                else:
                    self.err("VR012", f"'{v.text}' is not a rate", v.span,
                             hint="write an amount per second with an optional window: 10MB/s, "
                                  "250KB/s, 10MB/s@50ms (B = bytes, b = bits)")
            elif o.name == "vifname":
                draft.vifname = self.checked(values.check_ifname, v, v.text, "vifname")
            elif o.name == "script":
                t = self.interpolate(v, env) if v.kind == "STRING" else v.text
                if t:
                    check = values.check_path if t.startswith("/") else values.check_name
                    draft.script = self.checked(check, v, t, "vif script")
            elif o.name == "ip":
                draft.ip = self.address(v, "NIC address")
        b.nics.append(draft)

    def pci(self, b: "_GuestBuilder", st: Stmt) -> None:
        v = st.args[0]
        m = PCI_RE.match(v.text.lower())
        if not m:
            self.err("VR007", f"'{v.text}' is not a PCI address", v.span,
                     hint="write [domain:]bus:slot.function in hex, e.g. 0000:09:00.0")
            return
        dom, bus, slot, fn = m.groups()
        problems = []
        if int(slot, 16) > 0x1F:
            problems.append(f"slot 0x{slot} is above 0x1f")
        if len(fn) > 1 or int(fn, 16) > 7:
            problems.append(f"function {fn} is above 7 (a PCI device has functions 0 to 7)")
        if problems:
            self.err("VR007", f"PCI address {v.text}: " + "; ".join(problems), v.span,
                     hint="copy the address from `lspci` or `virsh nodedev-dumpxml` (converted to hex)")
            return
        b.pci.append(PciDevice(int(dom or "0", 16), int(bus, 16), int(slot, 16), int(fn, 16),
                               st.span, Owner(part=f"pci {v.text.lower()}"), vf=any(o.name == "vf" for o in st.opts)))

    def vnc(self, b: "_GuestBuilder", st: Stmt) -> None:
        listen = port = password = keymap = None
        for o in st.opts:
            v = o.values[0]
            if o.name == "listen":
                listen = self.address(v, "VNC listen address")
            elif o.name == "port":
                if v.kind == "NAME":
                    if v.text != "auto":
                        self.err("VR012", f"VNC port '{v.text}' is not a number or auto", v.span)
                else:
                    port = self.integer(v, "VNC port", 5900, 65535)
            elif o.name == "password":
                password = self.checked(values.check_password, v, v.text, "VNC password")
            elif o.name == "keymap":
                keymap = v.text if re.match(r"^[a-z]{2}(-[a-z]{2,3})?\Z", v.text) else None
                if keymap is None:
                    self.err("VR012", f"'{v.text}' is not a keymap", v.span, hint="e.g. en-us, de, fr-ch")
        b.graphics.append(Graphics("vnc", listen, port, password, keymap, st.span))

    def serial(self, b: "_GuestBuilder", st: Stmt, env) -> None:
        a = list(st.args)
        kind = self.enum(a.pop(0), SERIAL_KINDS, "serial type")
        if kind is None:
            return
        target = a.pop(0) if a and a[0].kind in ("STRING", "ENDPOINT") else None
        flags = [v.text for v in a]
        for v in a:
            if v.text not in ("server", "nowait"):
                self.err("VR012", f"unknown serial option '{v.text}'", v.span, hint="use server or nowait")
        path = host = port = None
        if kind in ("file", "pipe", "dev", "unix"):
            if target is None or target.kind != "STRING":
                self.err("VR015", f"serial {kind} needs a path", st.span,
                         hint=f'serial {kind} "/var/log/guest-serial.log"')
                return
            t = self.interpolate(target, env)
            path = None if t is None else self.checked(values.check_path, target, t, "serial path")
        elif kind in ("tcp", "udp", "telnet"):
            if target is None:
                self.err("VR015", f"serial {kind} needs host:port", st.span, hint=f"serial {kind} 0.0.0.0:4555")
                return
            text = target.text
            h, _, p = text.rpartition(":")
            port = self.integer(Value("INT", p, target.span), "serial port", 1, 65535) if p.isdigit() else None
            if port is None and not p.isdigit():
                self.err("VR012", f"'{text}' is not host:port", target.span)
            host = h or None
            if host and values.check_ifname(host.replace(".", "a")) and not re.match(r"^[A-Za-z0-9.\-]+\Z", host):
                self.err("VR011", f"serial host '{host}' is not a host name or address", target.span)
        elif target is not None:
            self.err("VR012", f"serial {kind} takes no path or address", target.span)
        b.serials.append(Serial(kind, path, host, port, "server" in flags, st.span))


def _clip(text: str) -> str:
    shown = "".join(ch if ch.isprintable() and ch.isascii() else ch.encode("unicode_escape").decode("ascii")
                    for ch in text)
    return shown if len(shown) <= 60 else shown[:57] + "..."


@dataclass
class _DiskDraft:
    target: str
    device: str
    driver: str | None
    path: str | None
    bus: str
    readonly: bool
    shareable: bool
    format: str | None
    size: int | None
    span: Span
    driver_span: Span | None
    label: str
    sparse: bool = False
    encrypted: bool = False
    compressed: bool = False
    boot: bool = False


@dataclass
class _NicDraft:
    index: int
    kind: str
    source: str
    mac: str | None
    model: str | None
    rate: str | None
    vifname: str | None
    script: str | None
    ip: str | None
    span: Span
    source_value: Value


@dataclass
class _GuestBuilder:
    name: str
    host: str
    span: Span
    expansion: Expansion | None
    type: str | None = None
    arch: str | None = None
    pae: bool = False
    os: GuestOS | None = None
    memory_kib: int | None = None
    maxmem_kib: int | None = None
    vcpus: int | None = None
    max_vcpus: int | None = None
    cpuset: str | None = None
    disks: list = field(default_factory=list)
    nics: list = field(default_factory=list)
    pci: list = field(default_factory=list)
    graphics: list = field(default_factory=list)
    serials: list = field(default_factory=list)
    bootloader: str | None = None
    bootloader_args: str | None = None
    kernel: str | None = None
    initrd: str | None = None
    cmdline: str | None = None
    boot_order: tuple = ()
    clock: str | None = None
    on_poweroff: str = "destroy"
    on_reboot: str = "restart"
    on_crash: str = "restart"
    uuid: str | None = None
    autostart: bool = False
    pv_drivers: bool = False
    features: tuple | None = None
    sound: str | None = None
    usb: list = field(default_factory=list)
    description: str | None = None
    install: Install | None = None
    kernel_release: str | None = None
    kernel_variant: str | None = None
    pvclock: bool | None = None
    services_on: list = field(default_factory=list)
    services_off: list = field(default_factory=list)
    roles: list = field(default_factory=list)
    selinux: str | None = None
    firewall: bool | None = None
    hostname: str | None = None
    created_on: str | None = None
    migratable: bool | None = None
    spans: dict = field(default_factory=dict)
    incomplete: bool = False  # its template is missing: skip "no type/memory" errors


def _range_names(c: Compiler, decl: GuestDecl) -> list[tuple[str, int | None]]:
    base = decl.name.text
    if decl.range is None:
        return [(base, None)]
    start_t, end_t = decl.range.start.text, decl.range.end.text
    start, end = int(start_t), int(end_t)
    if end < start:
        c.err("VR016", f"range [{start_t}..{end_t}] is empty: it counts down", decl.range.span,
              hint=f"write [{end_t}..{start_t}]")
        return []
    if end - start + 1 > MAX_RANGE:
        c.err("VR016", f"range [{start_t}..{end_t}] stamps out {end - start + 1} guests "
                       f"(at most {MAX_RANGE})", decl.range.span)
        return []
    width = len(start_t) if start_t.startswith("0") and len(start_t) > 1 else 0
    return [(f"{base}{i:0{width}d}", i) for i in range(start, end + 1)]


def _template_chain(c: Compiler, templates: dict[str, TemplateDecl], name: Value,
                    ) -> list[TemplateDecl] | None:
    chain: list[TemplateDecl] = []
    current: Value | None = name
    while current is not None:
        decl = templates.get(current.text)
        if decl is None:
            hint = did_you_mean(current.text, templates) or (
                f"declare `template {current.text} {{ ... }}`" if not templates else
                f"known templates: {', '.join(sorted(templates))}")
            c.err("VR001", f"unknown template '{current.text}'", current.span, hint=hint)
            return None
        if decl in chain:
            cycle = chain[chain.index(decl):]
            key = frozenset(t.name.text for t in cycle)
            if key in c.cycles:
                return None
            c.cycles.add(key)
            names = " -> ".join(t.name.text for t in cycle + [decl])
            c.err("VR017", f"template inheritance cycle: {names}", decl.header,
                  related=tuple(Related(t.header, f"template {t.name.text}") for t in cycle if t is not decl))
            return None
        chain.append(decl)
        current = decl.parent
    return chain


def _peer_spans(decl: HostDecl) -> list[Span]:
    for st in decl.stmts:
        if st.keyword == "migration":
            for o in st.opts:
                if o.name == "peers":
                    return [v.span for v in o.values]
    return []


def _check_unused_templates(c: Compiler, templates: dict[str, TemplateDecl], used: set[str]) -> None:
    """Templates no guest uses still get their inheritance and statements checked."""
    placeholder = {"name": "template", "host": "host", "index": "1"}
    for name, decl in templates.items():
        if name in used:
            continue
        chain = _template_chain(c, templates, decl.name)
        b = _GuestBuilder(name, "", decl.span, None)
        for t in reversed(chain or [decl]):
            for st in t.stmts:
                if st.keyword != "nic":  # bridges are checked against a host, which a template lacks
                    c.guest(b, st, placeholder)


def compile_sources(paths: list[str], texts: dict[str, str] | None = None, *,
                    loader: Loader = read_source, parser: Parser = parse) -> Result:
    """Compile .virt files. `texts` may supply the contents of some of `paths`; every other
    file, included ones too, is read by `loader` and parsed by `parser` (the editor server
    passes its open buffers and its parse cache)."""
    loaded = load(paths, texts, loader, parser)
    c = Compiler()
    for d in loaded.diags:
        c.report(d)
    if any(d.code.startswith("VP") for d in loaded.diags):
        return Result(None, sorted(c.diags, key=Diagnostic.sort_key), loaded.sources, _trees(loaded))

    hosts: dict[str, HostDecl] = {}
    templates: dict[str, TemplateDecl] = {}
    guest_decls: list[tuple[GuestDecl, Value | None]] = []
    for fs in loaded.files:
        for item in fs.items:
            if isinstance(item, HostDecl):
                if item.name.text in hosts:
                    c.err("VR004", f"host '{item.name.text}' is declared twice", item.header,
                          related=(Related(hosts[item.name.text].header, "first declared here"),))
                    continue
                hosts[item.name.text] = item
                for g in item.guests:
                    if g.host is not None and g.host.text != item.name.text:
                        c.err("VR018", f"guest {g.name.text} is inside host {item.name.text} but says "
                                       f"`on {g.host.text}`", g.host.span,
                              hint="remove `on ...` or move the guest out of the host block")
                    guest_decls.append((g, item.name))
            elif isinstance(item, TemplateDecl):
                if item.name.text in templates:
                    c.err("VR004", f"template '{item.name.text}' is declared twice", item.header,
                          related=(Related(templates[item.name.text].header, "first declared here"),))
                    continue
                templates[item.name.text] = item
            elif isinstance(item, GuestDecl):
                guest_decls.append((item, item.host))

    host_models: dict[str, Host] = {}
    for name, decl in hosts.items():
        if (problem := values.check_name(name)):
            c.err("VR011", f"host name '{_clip(name)}' {problem}", decl.name.span,
                  hint="host names become folders in the output; use letters, digits, '-', '_', '.'")
            continue
        host_models[name] = c.host(decl)

    for h in host_models.values():
        if h.migration:
            for peer, span in zip(h.migration.peers, _peer_spans(hosts[h.name])):
                if peer not in hosts:
                    c.err("VR002", f"migration peer '{peer}' is not a host in this fleet", span,
                          hint=did_you_mean(peer, hosts) or "declare the peer host, or remove it")
                elif peer == h.name:
                    c.err("VR012", f"host {h.name} lists itself as a migration peer", span)

    builders: list[_GuestBuilder] = []
    first_decl: dict[str, Span] = {}
    for decl, host_v in guest_decls:
        if host_v is None:
            c.err("VR002", f"guest {decl.name.text} is not placed on a host", decl.header,
                  hint="add `on HOST` after the guest name, or declare the guest inside a host block")
            continue
        if host_v.text not in hosts:
            hint = did_you_mean(host_v.text, hosts) or (
                f"known hosts: {', '.join(sorted(hosts))}" if hosts else "declare `host NAME { ... }`")
            c.err("VR002", f"unknown host '{host_v.text}'", host_v.span, hint=hint)
            continue
        if host_v.text not in host_models:
            continue
        chain: list[TemplateDecl] = []
        template_failed = False
        if decl.template is not None:
            found = _template_chain(c, templates, decl.template)
            # Still check the guest's own statements, but do not complain about what
            # the missing template would have supplied.
            template_failed = found is None
            chain = found or []
        declared = decl.name.text + (f"[{decl.range.start.text}..{decl.range.end.text}]" if decl.range else "")
        for name, index in _range_names(c, decl):
            if (problem := values.check_name(name)):
                c.err("VR011", f"guest name '{_clip(name)}' {problem}", decl.name.span,
                      hint="guest names become file names (/etc/xen/NAME); use letters, digits, "
                           "'-', '_' and '.'")
                break
            if name in XEN_RESERVED and hosts[host_v.text] and host_models[host_v.text].hypervisor == "xen":
                c.err("VR011", f"guest name '{name}' is taken by /etc/xen/{name} on a Xen host", decl.name.span,
                      hint="xm configs live in /etc/xen/NAME beside xend's own files; choose another name")
                continue
            if name in first_decl:
                c.err("VR004", f"guest '{name}' is declared twice", decl.header,
                      related=(Related(first_decl[name], "first declared here"),),
                      hint="guest names must be unique across all hosts")
                continue
            first_decl[name] = decl.header
            expansion = None
            if decl.range is not None or chain:
                expansion = Expansion(declared, decl.header, index,
                                      tuple((t.name.text, t.header) for t in chain))
            b = _GuestBuilder(name, host_v.text, decl.span, expansion, incomplete=template_failed)
            env = {"name": name, "host": host_v.text}
            if index is not None:
                env["index"] = str(index)
            for t in reversed(chain):
                for st in t.stmts:
                    c.guest(b, st, env)
            for st in decl.stmts:
                c.guest(b, st, env)
            builders.append(b)

    _check_unused_templates(c, templates, {d.template.text for d, _ in guest_decls if d.template})
    guests = _finish(c, builders, host_models)
    diags = sorted(c.diags, key=Diagnostic.sort_key)
    if any(d.severity.name == "ERROR" for d in diags):
        return Result(None, diags, loaded.sources, _trees(loaded))
    from .derive import derive

    model = derive(Model(tuple(host_models.values()), tuple(guests), tuple(loaded.sources)))
    return Result(model, diags, loaded.sources, _trees(loaded))


def _trees(loaded: Loaded) -> dict[str, FileSyntax]:
    return {fs.path: fs for fs in loaded.files}


def _finish(c: Compiler, builders: list[_GuestBuilder], hosts: dict[str, Host]) -> list[Guest]:
    """Apply defaults, check references, assign MACs and UUIDs, freeze."""
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
    for b in builders:
        if b.type is None or b.memory_kib is None:
            continue
        host = hosts[b.host]
        out.append(_freeze(c, b, host, macs))
    return out


def _freeze(c: Compiler, b: _GuestBuilder, host: Host, macs) -> Guest:
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
    bridges = {br.name for br in host.bridges} | {n.bridge for n in host.networks}
    networks = {n.name for n in host.networks} | {"default"}
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
        script = n.script if n.script else ("vif-bridge" if xen and n.kind == "bridge" else None)
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
    fields = dict(b.spans)
    return Guest(
        name=b.name, host=b.host, type=b.type, arch=arch, pae=pae, os=b.os,
        memory_kib=memory, maxmem_kib=maxmem, vcpus=vcpus, max_vcpus=max_vcpus, cpuset=b.cpuset,
        disks=tuple(disks), nics=tuple(nics),
        pci=tuple(replace(p, owner=label.of(p.owner.part)) for p in b.pci),
        graphics=tuple(b.graphics), serials=tuple(b.serials),
        boot=Boot(bootloader, b.bootloader_args, b.kernel, b.initrd, b.cmdline, order),
        clock=b.clock or "utc", on_poweroff=b.on_poweroff, on_reboot=b.on_reboot,
        on_crash=b.on_crash, uuid=b.uuid or identity.guest_uuid(b.name), uuid_auto=b.uuid is None,
        autostart=b.autostart, pv_drivers=b.pv_drivers, features=tuple(features), sound=b.sound,
        usb=tuple(b.usb), description=b.description, span=b.span, expansion=b.expansion,
        fields=FieldSpans(tuple(fields.items())), install=b.install, kernel_release=b.kernel_release,
        kernel_variant=b.kernel_variant, pvclock=b.pvclock, services_on=tuple(b.services_on),
        services_off=tuple(b.services_off), roles=tuple(b.roles), selinux=b.selinux,
        firewall=b.firewall, hostname=b.hostname, created_on=b.created_on,
        migratable=b.migratable if b.migratable is not None else bool(host.migration and host.migration.peers))


def compile_text(text: str, path: str = "<input>.virt") -> Result:
    return compile_sources([path], {path: text})

"""A guest's settings as statements (GuestWriter.plan): only what differs from what the
compiler would put there by itself, each string in the forms it may be written in."""
from __future__ import annotations

import re

from .. import identity
from ..conventions import OS_RE, PREFIX_BUS, TARGET_RE, XEN_VIF_SCRIPT
from ..model import Disk, Guest, Host, Nic
from .forms import Interp, statement_forms
from .plans import OVERRIDABLE, Plan
from .tokens import (ADDRESS_TOKEN, CPUSET_TOKEN, ENDPOINT_TOKEN, INT_TOKEN, MAC_TOKEN, NAME_TOKEN,
                     PCI_TOKEN, RATE_TOKEN, UUID_CANON, VERSION_TOKEN, Where, bare, bare_name,
                     memory_text, quote, size_text, switch)

PYGRUB = "/usr/bin/pygrub"
XEN_TYPES = ("xen-pv", "xen-hvm")


class GuestWriter:
    """Statements for one guest; `auto_macs` says which NICs may be written `mac auto`."""

    def __init__(self, g: Guest, host: Host, auto_macs: set[tuple[str, int]], cmdline: str | None):
        self.g, self.h = g, host
        self.where = Where(f"host {g.host} / guest {g.name}")
        self.auto_macs = auto_macs
        self.cmdline = cmdline  # the stated kernel arguments (derived ones taken out)
        self.xen = g.type in XEN_TYPES
        self.hvm = g.type in ("xen-hvm", "kvm")

    def plan(self, index: int | None) -> Plan:
        g = self.g
        env = {"name": g.name, "host": g.host}
        if index is not None:
            env["index"] = str(index)
        p = Plan()

        def put(slot: str, parts, default: str | None = None) -> None:
            if parts is not None:
                p.scalars[slot] = statement_forms(parts if isinstance(parts, list) else [parts], env)
            elif default is not None and slot in OVERRIDABLE:
                p.defaults[slot] = default

        for slot, (parts, default) in self.scalars().items():
            put(slot, parts, default)
        for slot, items in self.lists().items():
            if items:
                p.lists[slot] = [statement_forms(parts, env) for parts in items]
        return p

    # -- scalar settings ---------------------------------------------------------

    def scalars(self) -> dict[str, tuple[object, str | None]]:
        """slot -> (statement parts or None when the default applies, the default stated)."""
        g, h, w = self.g, self.h, self.where
        out: dict[str, tuple[object, str | None]] = {}
        if g.type not in ("xen-pv", "xen-hvm", "kvm", "hyperv"):
            w.fail("type", g.type, "not a guest type")
        host_type = h.hypervisor if h.hypervisor in ("kvm", "hyperv") else None
        out["type"] = (None if g.type == host_type else f"type {g.type}", f"type {g.type}")
        # arch: without a statement the host's, with PAE on 64-bit (PAE is implied there)
        pae = g.pae or g.arch in ("x86_64", "ia64")
        if g.arch not in ("i686", "x86_64", "ia64"):
            w.fail("arch", g.arch, "not an architecture")
        arch_text = f"arch {g.arch}" + (" pae" if g.arch == "i686" and pae else "")
        host_pae = h.arch in ("x86_64", "ia64")
        out["arch"] = (None if (g.arch, pae) == (h.arch, host_pae) else arch_text, f"arch {h.arch}")
        out["os"] = (self.os_stmt(), None)
        out["os-kernel"] = (self.os_kernel_stmt(), None)
        out["memory"] = (f"memory {memory_text(g.memory_kib, w, 'memory')}", None)
        out["maxmem"] = (None if g.maxmem_kib == g.memory_kib else
                         f"maxmem {memory_text(g.maxmem_kib, w, 'maxmem')}",
                         f"maxmem {memory_text(g.memory_kib, w, 'memory')}")
        if not (isinstance(g.vcpus, int) and isinstance(g.max_vcpus, int) and g.vcpus >= 1 and g.max_vcpus >= 1):
            w.fail("vcpus", (g.vcpus, g.max_vcpus), "vCPU counts are whole numbers from 1")
        vcpus = f"vcpus {g.vcpus}" + (f" max {g.max_vcpus}" if g.max_vcpus != g.vcpus else "")
        out["vcpus"] = (None if (g.vcpus, g.max_vcpus) == (1, 1) else vcpus, "vcpus 1")
        if g.cpuset is not None:
            out["cpuset"] = (f"cpuset {g.cpuset if CPUSET_TOKEN.match(g.cpuset) else quote(g.cpuset, 'cpuset')}", None)
        out["uuid"] = (self.uuid_stmt(), None)
        out["bootloader"] = (self.bootloader_stmt(), None)
        out["kernel"] = (self.kernel_stmt(), None)
        out["kernel-args"] = (None if self.cmdline is None else
                              ["kernel-args ", Interp(self.cmdline, f"{w.label}: kernel arguments")], None)
        out["boot"] = self.boot_stmt()
        out["clock"] = self.choice("clock", g.clock, ("utc", "localtime"), "utc")
        out["features"] = self.features_stmt(pae)
        out["pv-drivers"] = ("pv-drivers" if g.pv_drivers else None, "pv-drivers off")
        if g.pvclock is not None:
            out["pvclock"] = (f"pvclock {switch(g.pvclock)}", None)
        if g.hpet is not None:
            out["hpet"] = (f"hpet {switch(g.hpet)}", None)
        actions = ("destroy", "restart", "preserve", "rename-restart")
        for event, default in (("poweroff", "destroy"), ("reboot", "restart"), ("crash", "restart")):
            value = getattr(g, f"on_{event}")
            if value not in actions:
                w.fail(f"on {event}", value, f"the actions are {', '.join(actions)}")
            out[f"on-{event}"] = (None if value == default else f"on {event} {value}", f"on {event} {default}")
        if g.parallel is not None:
            out["parallel"] = (self.chardev(g.parallel, "parallel"), None)
        if g.sound is not None:
            out["sound"] = (f"sound {bare_name(g.sound, w, 'sound')}", None)
        if g.install is not None:
            method = bare_name(g.install.method, w, "install method")
            if g.install.source is None:
                if method == "url":
                    w.fail("install url", None, "an install url needs its address")
                out["install"] = (f"install {method}", None)
            else:
                out["install"] = ([f"install {method} ", Interp(g.install.source, f"{w.label}: install source")], None)
        self.services(out, g.services_on, g.services_off)
        if g.roles:
            out["role"] = ("role " + " ".join(bare_name(r, w, "role") for r in g.roles), None)
        if g.selinux is not None:
            out["selinux"] = (f"selinux {bare_name(g.selinux, w, 'selinux')}", None)
        if g.firewall is not None:
            out["firewall"] = (f"firewall {switch(g.firewall)}", None)
        if g.hostname is not None:
            out["hostname"] = (self.hostname_stmt(), None)
        if g.created_on is not None:
            out["created-on"] = (f"created-on {bare_name(g.created_on, w, 'created-on')}", None)
        default_mig = bool(h.migration and h.migration.peers)
        out["migratable"] = (None if g.migratable == default_mig else f"migratable {switch(g.migratable)}",
                             f"migratable {switch(default_mig)}")
        out["autostart"] = ("autostart" if g.autostart else None, "autostart off")
        if g.description is not None:
            out["description"] = (["description ", Interp(g.description, f"{w.label}: description")], None)
        return out

    def choice(self, what: str, value: str, allowed, default: str):
        if value not in allowed:
            self.where.fail(what, value, f"one of {', '.join(allowed)}")
        return (None if value == default else f"{what} {value}", f"{what} {default}")

    def os_stmt(self):
        g, w = self.g, self.where
        if g.os is None:
            return None

        def reads_as(name: str, release: str | None):
            m = OS_RE.match(name)
            if not m or not NAME_TOKEN.match(name):
                return None
            fam = {"centos": "rhel", "win": "windows"}.get(m.group(1).lower(), m.group(1).lower())
            rel = release or m.group(2)
            return fam, rel.lower() if rel else None

        want = (g.os.family, g.os.release)
        if reads_as(g.os.name, None) == want:
            return f"os {g.os.name}"
        if g.os.release and (VERSION_TOKEN.match(g.os.release) or INT_TOKEN.match(g.os.release)) \
                and reads_as(g.os.name, g.os.release) == want:
            return f"os {g.os.name} {g.os.release}"
        # The name as read from a file is not one the language knows: the family and
        # release are the facts (the name only appears in messages).
        prefix = {"rhel": "rhel", "fedora": "fedora", "windows": "win", "other": "other"}.get(g.os.family)
        for name in ([f"{prefix}{g.os.release or ''}", prefix] if prefix else []):
            if reads_as(name, None) == want:
                return f"os {name}"
        w.fail("os", g.os, "no `os` statement reads back as this family and release")

    def os_kernel_stmt(self):
        g, w = self.g, self.where
        if g.kernel_release is None:
            if g.kernel_variant is not None:
                w.fail("os-kernel variant", g.kernel_variant, "a variant needs the kernel's version")
            return None
        rel = g.kernel_release
        text = rel if (VERSION_TOKEN.match(rel) or INT_TOKEN.match(rel)) else quote(rel, f"{w.label}: os-kernel")
        if g.kernel_variant is not None:
            text += f" variant {bare_name(g.kernel_variant, w, 'os-kernel variant')}"
        return f"os-kernel {text}"

    def uuid_stmt(self):
        g = self.g
        if not g.uuid or g.uuid == identity.guest_uuid(g.name):
            return None
        u = g.uuid.lower()
        if not UUID_CANON.match(u):
            hexs = u.replace("-", "")
            if not re.fullmatch(r"[0-9a-f]{32}", hexs):
                self.where.fail("uuid", g.uuid, "a UUID is 32 hex digits")
            u = f"{hexs[:8]}-{hexs[8:12]}-{hexs[12:16]}-{hexs[16:20]}-{hexs[20:]}"
        return f"uuid {u}"

    def bootloader_stmt(self):
        g, w = self.g, self.where
        b = g.boot
        default = PYGRUB if g.type == "xen-pv" and b.kernel is None else None
        if b.bootloader is None:
            if default:
                w.fail("bootloader", None, "a PV guest without a kernel always boots through pygrub")
            if b.bootloader_args is not None:
                w.fail("bootloader args", b.bootloader_args, "arguments need a boot loader")
            return None
        if b.bootloader == default and b.bootloader_args is None:
            return None
        head = "bootloader pygrub" if b.bootloader == PYGRUB else f"bootloader {quote(b.bootloader, f'{w.label}: bootloader')}"
        if b.bootloader_args is None:
            return head
        return [head + " args ", Interp(b.bootloader_args, f"{w.label}: bootloader args")]

    def kernel_stmt(self):
        b, w = self.g.boot, self.where
        if b.kernel is None:
            if b.initrd is not None:
                w.fail("initrd", b.initrd, "an initrd needs a kernel")
            return None
        parts = ["kernel ", Interp(b.kernel, f"{w.label}: kernel")]
        if b.initrd is not None:
            parts += [" initrd ", Interp(b.initrd, f"{w.label}: initrd")]
        return parts

    def boot_stmt(self):
        g, w = self.g, self.where
        order = tuple(g.boot.order)
        default = ("hd",) if self.hvm and not g.boot.kernel else ()
        for dev in order:
            if dev not in ("hd", "cdrom", "network", "fd"):
                w.fail("boot", dev, "boot devices are hd, cdrom, network and fd")
        if len(set(order)) != len(order):
            w.fail("boot", order, "a boot device is listed twice")
        if order == default:
            return (None, "boot " + " ".join(default) if default else None)
        if not order:
            w.fail("boot", order, "an HVM guest that boots no kernel boots from hd unless told otherwise")
        return ("boot " + " ".join(order), "boot " + " ".join(default) if default else None)

    def features_stmt(self, pae: bool):
        g, w = self.g, self.where
        feats = tuple(g.features)
        default = (("acpi", "apic", "pae") if pae else ("acpi", "apic")) if self.hvm else ()
        for f in feats:
            if f not in ("acpi", "apic", "pae"):
                w.fail("features", f, "the features are acpi, apic and pae")
        if len(set(feats)) != len(feats):
            w.fail("features", feats, "a feature is listed twice")
        explicit = "features " + " ".join(default) if default else None
        if feats == default:
            return (None, explicit)
        if not feats:  # xend's own defaults (0) for an xm config of an HVM guest without the keys
            return ("features none", explicit)
        return ("features " + " ".join(feats), explicit)

    def services(self, out: dict, on: tuple, off: tuple) -> None:
        w = self.where
        for group, names in (("on", on), ("off", off)):
            if not names:
                continue
            if len(set(names)) != len(names):
                w.fail(f"services {group}", names, "a service is listed twice")
            out[f"services-{group}"] = (f"services {group} " + " ".join(bare_name(s, w, "service") for s in names), None)
        if set(on) & set(off):
            w.fail("services", sorted(set(on) & set(off)), "a service cannot be both on and off")

    def hostname_stmt(self):
        return ["hostname ", Interp(self.g.hostname, f"{self.where.label}: hostname", bare=True)]

    # -- devices -------------------------------------------------------------------

    def lists(self) -> dict[str, list[list]]:
        g, w = self.g, self.where
        out: dict[str, list[list]] = {"dev": [self.disk(d) for d in g.disks],
                                      "nic": [], "pci": [], "gfx": [], "serial": [], "usb": []}
        for i, n in enumerate(g.nics):
            if n.index != i:
                w.fail(f"nic {i} index", n.index, "NICs are numbered by their position")
            out["nic"].append(self.nic(n))
        for p in g.pci:
            addr = p.address
            if not PCI_TOKEN.match(addr):
                w.fail("pci", addr, "not a PCI address ([dddd:]bb:ss.f)")
            out["pci"].append([f"pci {addr}" + (" vf" if p.vf else "")])
        for gr in g.graphics:
            out["gfx"].append([self.graphics(gr)])
        for s in g.serials:
            out["serial"].append(self.chardev(s, "serial"))
        if len(set(g.usb)) != len(g.usb):
            w.fail("usb", g.usb, "a USB device is listed twice")
        for dev in g.usb:
            out["usb"].append([f"usb {bare_name(dev, w, 'usb')}"])
        return out

    def disk(self, d: Disk) -> list:
        g, w = self.g, self.where
        label = f"{d.device} {d.target}"
        if d.device not in ("disk", "cdrom", "floppy"):
            w.fail(f"{label} device", d.device, "devices are disk, cdrom and floppy")
        m = TARGET_RE.match(d.target)
        if not m:
            w.fail(f"{label} target", d.target, "not a disk target name (hda, sdb, xvda, vda, fda)")
        prefix_bus = PREFIX_BUS[m.group(1)]
        if d.path is None and d.device != "cdrom":
            w.fail(f"{label} path", None, "only a CD-ROM drive may be empty")
        opts = []
        # The bus: a PV guest's disks are on xen, an HVM or KVM floppy on fdc; otherwise
        # the target's prefix, unless `bus` says another.
        draft_bus = prefix_bus
        if g.type == "xen-pv":  # floppies included
            if d.bus != "xen":
                w.fail(f"{label} bus", d.bus, "every disk of a PV guest is on the xen bus")
        elif d.device == "floppy":
            if d.bus != "fdc":
                w.fail(f"{label} bus", d.bus, "a floppy is on the fdc bus")
        elif d.bus != prefix_bus:
            if d.bus not in ("ide", "scsi", "xen", "virtio", "fdc"):
                w.fail(f"{label} bus", d.bus, "not a bus")
            draft_bus = d.bus
            opts.append(f"bus {d.bus}")
        if self.xen:
            if d.driver not in ("file", "phy", "tap:aio", "tap2:aio", "tap:qcow"):
                w.fail(f"{label} driver", d.driver, "not a Xen disk driver")
            if d.path and d.path.startswith("/dev/"):
                default = "phy"
            elif g.type == "xen-pv" or draft_bus == "xen":
                default = "tap:aio"
            else:
                default = "file"
            driver = None if d.driver == default else d.driver
        else:
            if d.driver != "qemu":
                w.fail(f"{label} driver", d.driver, "KVM disks have the qemu driver")
            driver = None
        block = d.driver == "phy" or (d.driver == "qemu" and bool(d.path) and d.path.startswith("/dev/"))
        if d.source_type != ("block" if block else "file"):
            w.fail(f"{label} source type", d.source_type,
                   "the source type follows from the driver and path (phy or /dev/...: block)")
        if d.device == "cdrom":
            if not d.readonly:
                w.fail(f"{label} readonly", d.readonly, "a CD-ROM is read-only")
        elif d.readonly:
            opts.insert(0, "ro")
        if d.size_bytes is not None:
            opts.insert(0, f"size {size_text(d.size_bytes, w, f'{label} size')}")
        if d.shareable:
            opts.append("shareable")
        if d.format != ("qcow" if d.driver == "tap:qcow" else "raw"):
            opts.append(f"format {bare_name(d.format, w, f'{label} format')}")
        opts += [flag for flag in ("sparse", "encrypted", "compressed", "boot") if getattr(d, flag)]
        parts: list = [f"{d.device} {bare_name(d.target, w, f'{label} target')}" + (f" {driver}" if driver else "")]
        if d.path is not None:
            parts += [" ", Interp(d.path, f"{w.label}: {label} path")]
        if opts:
            parts.append(" " + " ".join(opts))
        return parts

    def nic(self, n: Nic) -> list:
        g, w = self.g, self.where
        label = f"nic {n.index}"
        if n.kind not in ("bridge", "network"):
            w.fail(f"{label} kind", n.kind, "a NIC is on a bridge or a network")
        parts: list = [f"nic {n.kind} ", Interp(n.source, f"{w.label}: {label} {n.kind}", bare=True)]
        opts = []
        if n.mac and (g.name, n.index) not in self.auto_macs:
            mac = n.mac.lower()  # the language keeps MACs in lower case
            if not MAC_TOKEN.match(mac):
                w.fail(f"{label} mac", n.mac, "not a MAC address")
            opts.append(f"mac {mac}")
        default_model = "netfront" if g.type == "xen-pv" else (
            ("netfront" if g.pv_drivers else "ioemu") if g.type == "xen-hvm" else "rtl8139")
        if n.model is not None and n.model != default_model:
            opts.append(f"model {bare_name(n.model, w, f'{label} model')}")
        if n.rate is not None:
            opts.append(f"rate {bare(n.rate, RATE_TOKEN, w, f'{label} rate')}")
        if n.vifname is not None:
            opts.append(f"vifname {bare_name(n.vifname, w, f'{label} vifname')}")
        if n.ip is not None:
            opts.append(f"ip {bare(n.ip, ADDRESS_TOKEN, w, f'{label} ip')}")
        default_script = XEN_VIF_SCRIPT if self.xen and n.kind == "bridge" else None
        script = []
        if n.script is not None and n.script != default_script:
            script = [" script ", Interp(n.script, f"{w.label}: {label} script", bare=True)]
        if opts:
            parts.append(" " + " ".join(opts))
        return parts + script

    def graphics(self, gr) -> str:
        w = self.where
        if gr.kind == "sdl":
            if (gr.listen, gr.port, gr.password, gr.keymap) != (None, None, None, None):
                w.fail("sdl", gr, "an SDL console has no address, port, password or keymap")
            return "sdl"
        if gr.kind != "vnc":
            w.fail("graphics", gr.kind, "consoles are vnc and sdl")
        text = "vnc"
        if gr.listen is not None:
            text += f" listen {bare(gr.listen, ADDRESS_TOKEN, w, 'vnc listen')}"
        if gr.port is not None:
            text += f" port {gr.port}"
        if gr.password is not None:
            text += f" password {quote(gr.password, f'{w.label}: vnc password')}"
        if gr.keymap is not None:
            text += f" keymap {bare_name(gr.keymap, w, 'vnc keymap')}"
        return text

    def chardev(self, s, what: str) -> list:
        """A `serial` or `parallel` statement (the same character devices)."""
        w = self.where
        flags = " server nowait" if s.server else ""
        if s.kind in ("file", "pipe", "dev", "unix"):
            if s.path is None or s.host is not None or s.port is not None:
                w.fail(f"{what} {s.kind}", s, f"a {what} file, pipe, device or socket has a path only")
            return [f"{what} {s.kind} ", Interp(s.path, f"{w.label}: {what} path"), flags]
        if s.kind in ("tcp", "udp", "telnet"):
            endpoint = f"{s.host or ''}:{s.port}"
            if s.path is not None or not isinstance(s.port, int) or not ENDPOINT_TOKEN.match(endpoint):
                w.fail(f"{what} {s.kind}", s, f"a network {what} port is host:port")
            return [f"{what} {s.kind} {endpoint}{flags}"]
        if s.kind not in ("pty", "null", "stdio", "vc"):
            w.fail(what, s.kind, f"not a {what} type")
        if (s.path, s.host, s.port) != (None, None, None):
            w.fail(f"{what} {s.kind}", s, f"this {what} type has no path or address")
        return [f"{what} {s.kind}{flags}"]

"""Guest statements, applied one at a time to a GuestBuilder: a template's statements
and the guest's own go through the same code, in order, so a later statement replaces
an earlier one (devices accumulate)."""
from __future__ import annotations

import re

from .. import values
from ..bounds import bound
from ..conventions import BOOT_ALIASES, OS_RE, PCI_RE, PREFIX_BUS, RATE_RE, TARGET_RE, UUID_RE
from ..diagnostics import Fix
from ..model import (ACTIONS, ARCHES, BOOT_DEVICES, BUSES, CLOCKS, GUEST_TYPES, SERIAL_KINDS,
                     SOUND_MODELS, USB_DEVICES, Graphics, GuestOS, Install, PciDevice, Serial)
from ..numbers import rate_problem
from ..owner import Owner
from ..syntax import Stmt, Value
from .drafts import DiskDraft, GuestBuilder, NicDraft
from .scalars import clip
from .templates import Interpolation


# The statements whose result can differ between the guests of one declaration: those
# that interpolate {name}, {host} or {index} into a string, and `nic`, which numbers its
# NICs. They alone write PER_GUEST_FIELDS, and they read no other field of the builder;
# every other statement writes only other fields and reads none of these. So a range's
# other statements give every guest the same fields, and are applied once per
# declaration (virtc.resolve.compiler); tests/test_resolve.py compares the two ways.
PER_GUEST = frozenset({"bootloader", "kernel", "kernel-args", "disk", "cdrom", "floppy", "nic", "serial",
                       "parallel", "description", "install", "hostname"})
PER_GUEST_FIELDS = frozenset({"bootloader", "bootloader_args", "kernel", "initrd", "cmdline", "disks", "nics",
                              "serials", "parallel", "description", "install", "hostname"})


class GuestStatements(Interpolation):
    """Each statement of a guest (or of a template it uses) applied to its GuestBuilder."""

    def __init__(self):
        super().__init__()
        # id(disk statement) -> (its path's Value, its other fields) once read: the
        # statement (in the syntax) outlives the compile, so its id stays its own
        self._disks: dict[int, tuple] = {}

    def guest(self, b: GuestBuilder, st: Stmt, env: dict[str, str]) -> None:
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
            b.cpuset = self.cpuset(a[0])
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
            s = self.chardev(st, env, "serial")
            if s is not None:
                b.serials.append(s)
        elif k == "parallel":
            p = self.chardev(st, env, "parallel")
            if p is not None:
                b.parallel = p  # xm's `parallel` holds one port: a later statement replaces it
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
            if len(a) == 1 and a[0].text == "none":  # an HVM guest without acpi, apic and pae
                a = []
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
        elif k == "hpet":
            b.hpet = self.switch(a[0] if a else None)
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

    def guest_os(self, b: GuestBuilder, st: Stmt) -> None:
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
        longest = max((len(x) for x in re.findall(r"[0-9]+", release or "")), default=0)
        if longest > bound("digits"):  # the rules compare releases as numbers
            self.err("VR012", f"guest OS release has a number of {longest} digits; virtc reads numbers of at most "
                     f"{bound('digits')} digits", name.span, hint="write the release, e.g. rhel5.8")
            release = None
        b.os = GuestOS(family, release.lower() if release else None, name.text)
        if a:
            arch_v = a.pop(0)
            b.arch = self.enum(arch_v, ARCHES, "architecture", {"i386": "i686", "amd64": "x86_64"})
            b.pae = bool(a) or b.arch in ("x86_64", "ia64")
            b.spans["arch"] = st.span

    def disk(self, b: GuestBuilder, st: Stmt, env) -> None:
        # Only the path can differ between the guests a statement stamps: the rest is read
        # once per statement (its problems are reported once anyway). Not while the
        # editor's memo records what each guest reported (resolve.memo).
        known = self._disks.get(id(st))
        if known is not None and self.recording is None:
            path_v, args = known
            path, refused = self.disk_path(path_v, env)
            if not refused:
                b.disks.append(DiskDraft(args[0], args[1], args[2], path, *args[3:]))
            return
        device = st.keyword
        args = list(st.args)
        target_v = args.pop(0)
        target = target_v.text
        label = f"disk {target}"
        m = TARGET_RE.match(target)
        if not m:
            lower = target.lower()
            fix = Fix.replace(f"write {lower}", target_v.span, lower) \
                if TARGET_RE.match(lower) and target_v.span.end - target_v.span.start == len(target) else None
            self.err("VR014", f"'{target}' is not a disk target name", target_v.span,
                     hint="targets are a prefix (hd, sd, xvd, vd, fd), lower-case letters and an "
                          "optional partition number: hda, sdb, xvda, vdb, fda", fix=fix)
            return
        prefix = m.group(1)
        driver_v = args.pop(0) if args and args[0].kind == "DRIVER" else None
        path_v = args.pop(0) if args and args[0].kind == "STRING" else None
        path = None
        if path_v is not None:
            path, refused = self.disk_path(path_v, env)
            if refused:
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
        draft = DiskDraft(target, device, driver, path, bus, readonly, shareable, fmt, size,
                          st.span, driver_v.span if driver_v else None, label, **flags)
        b.disks.append(draft)
        self._disks[id(st)] = (path_v, (target, device, driver, bus, readonly, shareable, fmt, size, st.span,
                                        draft.driver_span, label, *flags.values()))

    def disk_path(self, path_v: Value | None, env) -> tuple[str | None, bool]:
        """A disk's path as this guest reads it (None: none, or reported), and whether the
        disk is left out for it (a path that interpolates but is refused)."""
        if path_v is None:
            return None, False
        t = self.interpolate(path_v, env)
        path = None if t is None else self.checked(values.check_path, path_v, t, "disk path")
        return path, bool(t and not path)

    def nic(self, b: GuestBuilder, st: Stmt, env) -> None:
        kind_v, source_v = st.args
        index = len(b.nics)
        kind = self.enum(kind_v, ("bridge", "network"), "NIC kind")
        source = self.interpolate(source_v, env) if source_v.kind == "STRING" else source_v.text
        if source:
            check = values.check_ifname if kind == "bridge" else values.check_name
            source = self.checked(check, source_v, source, f"{kind or 'NIC'} name")
        draft = NicDraft(index, kind or "bridge", source or "", None, None, None, None, None, None,
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
                if RATE_RE.match(v.text) and rate_problem(v.text):
                    self.err("VR012", f"'{clip(v.text)}': {rate_problem(v.text)}", v.span)
                elif RATE_RE.match(v.text):
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

    def pci(self, b: GuestBuilder, st: Stmt) -> None:
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

    def vnc(self, b: GuestBuilder, st: Stmt) -> None:
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

    def chardev(self, st: Stmt, env, what: str) -> Serial | None:
        """A `serial` or `parallel` statement: the kind, its path or host:port, and the
        flags (qemu-dm takes the same character devices for both ports)."""
        a = list(st.args)
        kind = self.enum(a.pop(0), SERIAL_KINDS, f"{what} type")
        if kind is None:
            return None
        target = a.pop(0) if a and a[0].kind in ("STRING", "ENDPOINT") else None
        flags = [v.text for v in a]
        for v in a:
            if v.text not in ("server", "nowait"):
                self.err("VR012", f"unknown {what} option '{v.text}'", v.span, hint="use server or nowait")
        path = host = port = None
        if kind in ("file", "pipe", "dev", "unix"):
            if target is None or target.kind != "STRING":
                example = "/dev/parport0" if what == "parallel" and kind == "dev" else f"/var/log/guest-{what}.log"
                self.err("VR015", f"{what} {kind} needs a path", st.span, hint=f'{what} {kind} "{example}"')
                return None
            t = self.interpolate(target, env)
            path = None if t is None else self.checked(values.check_path, target, t, f"{what} path")
        elif kind in ("tcp", "udp", "telnet"):
            if target is None:
                self.err("VR015", f"{what} {kind} needs host:port", st.span, hint=f"{what} {kind} 0.0.0.0:4555")
                return None
            text = target.text
            h, _, p = text.rpartition(":")
            port = self.integer(Value("INT", p, target.span), f"{what} port", 1, 65535) if p.isdigit() else None
            if port is None and not p.isdigit():
                self.err("VR012", f"'{text}' is not host:port", target.span)
            host = h or None
            if host and values.check_ifname(host.replace(".", "a")) and not re.match(r"^[A-Za-z0-9.\-]+\Z", host):
                self.err("VR011", f"{what} host '{host}' is not a host name or address", target.span)
        elif target is not None:
            self.err("VR012", f"{what} {kind} takes no path or address", target.span)
        return Serial(kind, path, host, port, "server" in flags, st.span)

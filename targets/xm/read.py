"""Reading Xen xm domain configs: an existing /etc/xen/NAME, parsed with Python's `ast`
and never executed, becomes one Guest with spans into the file, mapped exactly back from
what emit.config() writes and from the language's defaults. The specs inside values
(disk, vif, vfb, pci, serial) are parsed by spec.py, which the format rules (rules.py)
share.
"""
from __future__ import annotations

import re
from bisect import bisect_right

from virtc import kernels
from virtc.conventions import CPUSET_RE, PREFIX_BUS  # the language's conventions, which reading inverts
from virtc.diagnostics import error, info, warning
from virtc.identity import assign_macs, guest_uuid
from virtc.limits import limits
from virtc.model import (SOUND_MODELS, USB_DEVICES, Boot, Disk, FieldSpans, Graphics, Nic, PciDevice, Serial)
from virtc.owner import Owner
from virtc.readback import Found, field_spans, new_guest, whole_file
from virtc.schemas import load
from virtc.source import SourceFile, Span

from .document import parse_document
from .spec import (MAC, RATE, VFB_OPTIONS, entry_items, normal_uuid, parse_disk, parse_pairs, parse_parallel, parse_pci,
                   parse_serial, parse_vif)

NAME = "xm"
_UNNAMED = re.compile(r"[^A-Za-z0-9_.-]+")
# blank lines and comments only (each line ends at its own \n: one way to match, linear time)
_NOTHING = re.compile(r"(?:[ \t\f\r]*(?:#[^\n]*)?\n)*[ \t\f\r]*(?:#[^\n]*)?")

# ---------------------------------------------------------------- reading into the model

# The first lines config() writes: a file that starts with them was written by virtc, and
# its third comment line, if any, is the guest's description.
HEADER = ("# Xen domain configuration written by virtc.",
          "# Change the .virt file and rebuild rather than editing this one.")
LETTER_BOOT = {"a": "fd", "c": "hd", "d": "cdrom", "n": "network"}
# HVM device models xend ships (lib64 on 64-bit hosts); the model derives the path from the
# host's architecture, so any of these reads as "the device model".
DEVICE_MODELS = ("/usr/lib64/xen/bin/qemu-dm", "/usr/lib/xen/bin/qemu-dm", "/usr/lib/xen/bin/qemu-system-i386")
_TRUE, _FALSE = ("1", "yes", "y", "true", "on"), ("0", "no", "n", "false", "off", "")

# Keys the reader turns into the model (everything else that xend knows is reported as
# not modelled, unless it holds the value that means "nothing"; keys xend does not know
# at all are VF103's).
READ_KEYS = {"name", "uuid", "memory", "maxmem", "vcpus", "vcpu_avail", "cpus", "builder", "kernel",
             "ramdisk", "extra", "root", "bootloader", "bootargs", "boot", "pae", "acpi", "apic",
             "localtime", "on_poweroff", "on_reboot", "on_crash", "vnc", "vncunused", "vncdisplay",
             "vnclisten", "vncpasswd", "keymap", "sdl", "vfb", "serial", "parallel", "hpet", "soundhw", "usb",
             "usbdevice", "vif", "disk", "cdrom", "fda", "fdb", "pci", "device_model", "device_model_override"}
# Keys whose value here means "not used": nothing to report when a file spells them out.
NOTHING = {"viridian": "0", "rtc_timeoffset": "0", "stdvga": "0", "isa": "0", "nographic": "0", "hap": "1",
           "shadow_memory": "0", "nics": "-1", "vncviewer": "0", "vncconsole": "0", "blkif": "0",
           "netif": "0", "tpmif": "0", "dhcp": "off", "interface": "eth0", "features": "", "ip": "",
           "gateway": "", "netmask": "", "hostname": "", "ioports": "[]", "irq": "[]", "usbport": "[]",
           "vtpm": "[]", "access_control": "[]", "cpu_weight": "256", "cpu_cap": "0",
           "guest_os_type": "default", "monitor": "0", "opengl": "0"}


def _int(v) -> int | None:
    """An integer as xend's set_int takes it (a number or a string of digits)."""
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*-?[0-9]{1,18}\s*", v):
        return int(v)
    return None


def _flag(v) -> bool | None:
    """A set_bool value (yes/y/no/n/1/0; ints by their truth)."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return v != 0
    if isinstance(v, str):
        low = v.strip().lower()
        return True if low in _TRUE else (False if low in _FALSE else None)
    return None


def _str(v) -> str | None:
    return v if isinstance(v, str) else None


def _nothing(key: str, value) -> bool:
    want = NOTHING.get(key)
    if want is None:
        return False
    if isinstance(value, (list, tuple)):
        return want == "[]" and not value
    shown = str(value).strip().lower()
    return shown == want or (want in ("0", "1") and _flag(value) is (want == "1"))


def _default_driver(path: str | None, pv: bool, bus: str) -> str:
    """The driver compiler/resolve/defaults.py gives a Xen disk that names none."""
    if path and path.startswith("/dev/"):
        return "phy"
    return "tap:aio" if pv or bus == "xen" else "file"


def read(text: str, path: str):
    """An xm config as model pieces: one guest (never executed; read with `ast`)."""
    src = SourceFile(path, text)
    found = Found(src, NAME)
    if text.startswith("#!"):
        # A script kept in /etc/xen (xend's are in scripts/): no one runs `xm create` on it
        found.diagnostics.append(info("VF002", f"{path}: a script (it starts with #!), not an xm config; skipped",
                                      whole_file(src)))
        return found
    doc, diags = parse_document(src)
    found.document = doc
    found.diagnostics.extend(diags)
    if doc is not None and _NOTHING.fullmatch(text):
        # Blank or only comments: no guest. libvirt's xen driver skips it (it names no
        # guest) and `xm create` refuses it (no kernel); a guest made of xend's defaults
        # would be findings about values the file never states.
        found.diagnostics.append(info("VF002", f"{path}: an xm config with no setting (empty, or only comments); "
                                               "not a guest, skipped", whole_file(src)))
    elif doc is not None:
        try:
            reader = _Reader(doc, src, found)
            found.guests.append(reader.guest())
            found.later = reader.later()
        except Exception as exc:  # a reader bug must reach the user as a finding, not a traceback
            found.diagnostics.append(error("VF001", f"internal error while reading this xm config ({exc!r}); "
                                                    "please report it", whole_file(src)))
    return found


class _Reader:
    """Turns one xm document into one Guest. Values a format rule reports as wrong are
    left at the model's default here (the rule says what is wrong); values that are right
    but have no place in the model are reported once each as not modelled (VF003)."""

    def __init__(self, doc, src, found):
        self.doc, self.src, self.found = doc, src, found
        self.last = {e.key: e for e in doc.entries}  # doc.get(key) for every key, found once
        self.fields: dict = {}
        self.name = ""
        self.maxvcpus_read = ""  # what became of a Xen 4 maxvcpus key, for its VF009
        self.later_marks: list[tuple[str, object, bool]] = []  # (what, span, alone enough): Xen 4's, from the VF009s

    def entry(self, key: str, field: str | None = None):
        e = self.last.get(key)
        if e is not None and field:
            self.fields.setdefault(field, e.span)
        return e

    def value(self, key: str, field: str | None = None):
        e = self.entry(key, field)
        return None if e is None else e.value

    def ignored(self, what: str, span, hint: str | None = None) -> None:
        self.found.ignored(what, span, hint)

    # ------------------------------------------------------------------ the guest

    def guest(self):
        name_e = self.entry("name", "name")
        # No literal name: the guest goes by its file's name, made a valid name, so that no
        # rule judges a name the file never stated.
        self.name = _str(name_e.value) if name_e is not None and _str(name_e.value) else (
            _UNNAMED.sub("-", self.src.path.replace("\\", "/").rsplit("/", 1)[-1]).strip("-.") or "guest")
        builder = _str(self.value("builder", "type"))
        # 'vmx' is Xen 3.0.0's name for hvm (VF109 says RHEL 5 refuses it); the guest is still
        # read as the HVM guest it describes, so no rule judges it as a PV guest it is not.
        hvm = builder in ("hvm", "vmx")
        kind = "xen-hvm" if hvm else "xen-pv"
        memory = self.memory("memory")
        maxmem = self.memory("maxmem") or 0
        vcpus, max_vcpus = self.vcpus()
        uuid, uuid_auto = self.uuid()
        disks = self.disks(hvm)
        nics = self.nics(hvm)
        features = self.features(hvm)
        boot = self.boot(hvm)
        kw = dict(memory_kib=(memory or 128) * 1024, maxmem_kib=maxmem * 1024, vcpus=vcpus,
                  max_vcpus=max_vcpus, cpuset=self.cpuset(), disks=disks, nics=nics, pci=self.pci(),
                  graphics=self.graphics(hvm), serials=self.serials(hvm), parallel=self.parallel(hvm),
                  hpet=self.hpet(hvm), boot=Boot(*boot),
                  clock="localtime" if _flag(self.value("localtime", "clock")) else "utc",
                  uuid=uuid, uuid_auto=uuid_auto, features=features,
                  # PV drivers in an HVM guest: a netfront NIC, or a disk on the Xen bus (xvd*)
                  pv_drivers=hvm and (any(n.model == "netfront" for n in nics) or any(d.bus == "xen" for d in disks)),
                  sound=self.sound(hvm), usb=self.usb(hvm), description=self.description())
        for event in ("on_poweroff", "on_reboot", "on_crash"):
            action = self.value(event, event)
            if action in ("destroy", "restart", "preserve", "rename-restart"):
                kw[event] = action
        # The file names no architecture: the model's default (x86_64) has PAE, as for a
        # .virt guest; convert.place() sets both from the host the guest runs on. An HVM
        # guest with `pae = 0` written says it is a 32-bit OS without PAE (long mode needs
        # PAE), as virtc writes an i686 guest; one with no pae key at all gets xend's
        # default, off, without saying anything of its OS: a 64-bit or PAE OS then fails
        # to boot (VG106, the guide's §35.8 case, a config copied from an older host).
        kw["pae"] = True
        pae = self.entry("pae")
        if hvm and pae is not None and _flag(pae.value) is False:
            kw.update(arch="i686", pae=False)
        loader = self.entry("kernel")
        if hvm and loader is not None and str(loader.value).endswith("/guest_firmware.bin"):
            # the VT-i firmware (Xen's xmexample.vti): an Itanium guest, where PAE means nothing
            kw.update(arch="ia64")
            self.fields["arch"] = loader.span
        named = self.entry("name")
        if hvm and "pae" not in features and "features" not in self.fields and named is not None:
            self.fields["features"] = named.span  # no acpi, apic or pae key: at the guest's name
        if not hvm and pae is not None and _flag(pae.value) is False:
            # xend ignores pae for a PV guest, but pae = 0 says its kernel is not PAE: a
            # 32-bit non-PAE kernel, which a PV guest cannot run (guide §35.7)
            kw.update(arch="i686", pae=False)
            self.fields["arch"] = pae.span  # what the findings about its architecture point at
        image = kernels.image_release(boot[2]) if not hvm else None
        if image is not None:  # the guest's kernel says which RHEL it runs
            kw.update(kernel_release=image[0], kernel_variant=image[1], os=kernels.guest_os(image[0]))
        self.unmodelled(hvm)
        span = name_e.span if name_e is not None else whole_file(self.src)
        return new_guest(self.name, kind, span, fields=field_spans(self.fields), **kw)

    def description(self) -> str | None:
        lines = self.src.text.split("\n", 3)
        if tuple(x.rstrip("\r") for x in lines[:2]) == HEADER and len(lines) > 2 and lines[2].startswith("# "):
            return lines[2].rstrip("\r")[2:] or None
        return None

    def memory(self, key: str) -> int | None:
        v = _int(self.value(key, key))
        return v if v is not None and v > 0 else None  # VF105 reports anything else

    def vcpus(self) -> tuple[int, int]:
        """(online at start, maximum). xend's spelling: vcpus = maximum, vcpu_avail = the
        bitmask of the vCPUs online at start (as config() writes them). Xen 4's spelling,
        vcpus = online and maxvcpus = maximum, is read as Xen 4 means it (VF009 names it, and
        says so); a maxvcpus that is no count, or below vcpus (which xl and libvirt refuse),
        is not read (VF009 says why)."""
        top = _int(self.value("vcpus", "vcpus"))
        top = top if top is not None and top > 0 else 1
        later = self.entry("maxvcpus", "vcpus")
        most = _int(later.value) if later is not None else None
        if later is not None:
            self.maxvcpus_read = ("read as the maximum vCPUs" if most is not None and most >= top else
                                  f"not read: {later.value!r} is no count of vCPUs" if most is None or most <= 0 else
                                  f"not read: it is below vcpus = {top}, which Xen 4 refuses")
        e = self.entry("vcpu_avail", "vcpus")
        if most is not None and most >= top:
            if e is not None:
                self.ignored(f"vcpu_avail = {e.value!r} beside maxvcpus (read: vcpus = {top} online of "
                             f"maxvcpus = {most})", e.key_span, hint="keep one spelling: RHEL 5's is vcpus = "
                             "MAXIMUM and vcpu_avail = ONLINE-MASK")
            return top, most
        if e is None:
            return top, top
        mask = _int(e.value)
        if mask is None or mask <= 0:
            self.ignored(f"vcpu_avail = {e.value!r} (not a bitmask of online vCPUs)", e.value_span)
            return top, top
        mask &= (1 << min(top, mask.bit_length())) - 1  # bits beyond vcpus name no vCPU
        online = bin(mask).count("1") or top
        if mask and mask != (1 << online) - 1:
            self.ignored(f"which vCPUs vcpu_avail = {e.value!r} starts (virtc keeps how many: {online})",
                         e.value_span)
        return online, top

    def uuid(self) -> tuple[str, bool]:
        v = self.value("uuid", "uuid")
        if v is None:
            return guest_uuid(self.name), True  # xend would make a random one
        return normal_uuid(v) or str(v), False  # VF112 reports one that is not a UUID

    def cpuset(self) -> str | None:
        e = self.entry("cpus", "cpuset")
        if e is None:
            return None
        if isinstance(e.value, str) and CPUSET_RE.match(e.value.strip()):
            return e.value.strip()
        self.ignored(f"cpus = {e.value!r} (virtc models one CPU list such as \"0-3,6\")", e.value_span)
        return None

    def features(self, hvm: bool) -> tuple[str, ...]:
        out = []
        for key in ("acpi", "apic", "pae"):  # the model's order
            e = self.entry(key)
            if e is None:
                continue
            self.fields.setdefault("features", e.span)
            if not hvm:
                if _flag(e.value):
                    self.ignored(f"{key} on a para-virtualized guest (an HVM platform feature)", e.key_span)
            elif _flag(e.value):
                out.append(key)
        # Absent keys are off: xend's defaults for pae, acpi and apic are 0 (guide Table
        # 31.3, lines 4806-4877), whatever newer xl and libvirt assume.
        return tuple(out)

    def boot(self, hvm: bool) -> tuple:
        """(bootloader, bootloader args, kernel, initrd, cmdline, boot order)."""
        bootloader = _str(self.value("bootloader", "bootloader"))
        bootargs = _str(self.value("bootargs", "bootloader"))
        order: list[str] = []
        e = self.entry("boot", "boot")
        if hvm:
            letters = _str(e.value) if e is not None else "c"  # xend's default: the disk
            for letter in letters or "":
                dev = LETTER_BOOT.get(letter)
                if dev and dev not in order:
                    order.append(dev)
            for key in ("ramdisk", "extra", "root"):
                k = self.entry(key)
                if k is not None and k.value not in ("", None):
                    self.ignored(f"{key} on an HVM guest (hvmloader boots the guest's own boot loader)", k.key_span)
            if bootloader is not None:
                self.ignored("bootloader on an HVM guest", self.entry("bootloader").key_span)
            return None, None, None, None, None, tuple(order)
        if e is not None:
            self.ignored("boot on a para-virtualized guest (the boot order is an HVM setting)", e.key_span)
        kernel = _str(self.value("kernel", "kernel"))
        initrd = _str(self.value("ramdisk", "kernel")) or None
        extra = _str(self.value("extra", "kernel-args")) or ""
        root = _str(self.value("root", "kernel-args"))
        # xend puts root=DEV in front of extra on the kernel command line.
        cmdline = (f"root={root} {extra}" if root else extra).strip() or None
        return bootloader, bootargs, kernel or None, initrd if kernel else None, cmdline, ()

    # ------------------------------------------------------------------ devices

    def disks(self, hvm: bool) -> tuple:
        out = []
        e = self.entry("disk", "disk")
        for text, span in (entry_items(e) if e is not None else []):
            spec = parse_disk(text)
            if spec.later:
                self.later_marks.append(("a disk in xl's syntax (Xen 3.3 and later)", span, True))
                self.found.diagnostics.append(warning(
                    "VF009", f"disk {text!r} is written in xl's syntax (Xen 4), which RHEL 5's xend "
                             "cannot split into source, target and mode", span,
                    hint=f'write "{spec.driver or "phy"}:{spec.path},{spec.target},{spec.mode}"'
                    if spec.usable else 'write "phy:DEVICE,xvda,w"'))
            if not spec.usable:
                continue  # VF106 says why
            if spec.prefix is not None and spec.driver is None:
                self.ignored(f"disk driver {spec.prefix}: ({text!r})", span)
                continue
            if spec.backend:
                self.ignored(f"the backend domain of disk {spec.target} ({spec.backend!r})", span)
            out.append(self.disk(spec.target, spec.device, spec.driver, spec.path, spec.target_prefix,
                                 spec.readonly, spec.shareable, hvm, span, self.within(span, text, **_disk_parts(text))))
        targets = {d.target for d in out}
        c = self.entry("cdrom", "cdrom")
        if c is not None and _str(c.value):
            if not hvm:
                self.ignored("cdrom on a para-virtualized guest (an HVM device model setting)", c.key_span)
            elif "hdc" in targets:
                self.ignored(f"cdrom = {c.value!r}: hdc is already in disk", c.key_span)
            else:
                # RHEL 5's HVM `cdrom = PATH`: qemu-dm's -cdrom, which is hdc.
                path = c.value
                out.append(self.disk("hdc", "cdrom", "phy" if path.startswith("/dev/") else "file", path,
                                     "hd", True, False, hvm, c.value_span))
        for key in ("fda", "fdb"):
            f = self.entry(key, "floppy")
            if f is not None and _str(f.value):
                out.append(self.disk(key, "floppy", None, f.value, "fd", False, False, hvm, f.value_span))
        return tuple(out)

    def disk(self, target, device, driver, path, prefix, readonly, shareable, hvm, span, fields=FieldSpans()):
        bus = "fdc" if device == "floppy" else PREFIX_BUS.get(prefix, "ide")
        if driver is None or path is None:  # an empty drive names no driver: resolve/defaults.py's default
            driver = _default_driver(path, not hvm, bus)
        if not hvm:
            bus = "xen"  # every disk of a PV guest is on the Xen bus
        return Disk(target, device, driver, "block" if driver == "phy" else "file", path, bus, readonly,
                    shareable, "qcow" if driver == "tap:qcow" else "raw", None, span,
                    Owner(None, self.name, f"disk {target}"), fields=fields)

    def within(self, span: Span, text: str, **parts: tuple[int, int]) -> FieldSpans:
        """Field spans inside one string of the file: name=(start, end) offsets in `text`,
        placed when the file spells the string literally (no escapes); else none."""
        src = self.src
        at = src.text.find(text, span.start, span.end) if text else -1
        if at < 0:
            return FieldSpans()
        if "\n" in text:
            return field_spans({name: src.span(at + b, at + e) for name, (b, e) in parts.items() if 0 <= b < e <= len(text)})
        # one line: src.span()'s spans, counted from the line's start
        line = bisect_right(src.line_starts, at)
        col = at - src.line_starts[line - 1] + 1
        return field_spans({name: Span(src.path, line, col + b, line, col + e, at + b, at + e)
                            for name, (b, e) in parts.items() if 0 <= b < e <= len(text)})

    def nics(self, hvm: bool) -> tuple:
        e = self.entry("vif", "nic")
        items = entry_items(e) if e is not None else []
        specs = [(parse_vif(text), span) for text, span in items]
        pinned = {spec.get("mac").lower() for spec, _ in specs if MAC.match(spec.get("mac") or "")}
        auto = assign_macs([(self.name, i, True) for i, (spec, _) in enumerate(specs)
                            if not MAC.match(spec.get("mac") or "")], pinned)
        out = []
        for i, (spec, span) in enumerate(specs):
            mac = spec.get("mac") or ""
            vif_type = spec.get("type")
            model = spec.get("model")  # passed on as written, as libvirt does (rules judge it)
            if vif_type == "netfront":
                model = "netfront"
            elif not model:
                # "the default is netfront, not an ioemu device" (guide line 4747): RHEL 5's
                # xend emulates only type=ioemu vifs, and an HVM guest's vif without it is
                # its PV-driver NIC (as config() writes one). A model= implies emulation.
                model = "ioemu" if vif_type == "ioemu" else "netfront"
            if spec.get("backend"):
                self.ignored(f"the backend domain of vif {i} ({spec.get('backend')!r})", span)
            rate = spec.get("rate")
            out.append(Nic(i, "bridge", spec.get("bridge") or "", mac.lower() if MAC.match(mac) else auto[(self.name, i)],
                           not MAC.match(mac), model, rate if rate and RATE.match(rate) else None,
                           spec.get("vifname") or None, spec.get("script") or None, spec.get("ip") or None,
                           span, Owner(None, self.name, f"nic {i}"), fields=self.within(span, items[i][0], **_vif_parts(items[i][0]))))
        return tuple(out)

    def pci(self) -> tuple:
        e = self.entry("pci", "pci")
        out = []
        functions = limits()["pci.functions_per_device"].value
        for text, span in (entry_items(e) if e is not None else []):
            spec = parse_pci(text, functions)
            if spec.problem:
                continue  # VF108 says why
            if spec.options:
                self.ignored(f"PCI options {spec.options!r}", span)
            dev = PciDevice(spec.domain, spec.bus, spec.slot, spec.function, span, Owner())
            out.append(PciDevice(dev.domain, dev.bus, dev.slot, dev.function, span,
                                 Owner(None, self.name, f"pci {dev.address}")))
        return tuple(out)

    def graphics(self, hvm: bool) -> tuple:
        """The guest's display. HVM: the device model's, from the top-level keys (vnc = 1,
        vncunused, vncdisplay, vnclisten, vncpasswd, keymap, sdl = 1). PV: a framebuffer
        device, from `vfb = [ "type=vnc,..." ]`, or, when there is no vfb entry, from the
        same top-level keys: RHEL 5.0's xend took the PV framebuffer that way, later
        releases turn them into a vfb device still (the guide's PV example, §34.12 lines
        5914-5926, has vnc = 1 and vncunused = 1; libvirt reads them so for xend's config
        format 2), and a top-level keymap applies to a vfb that names none."""
        if hvm:
            return self.top_level_graphics()
        e = self.entry("vfb")
        items = entry_items(e) if e is not None else []
        if not items:
            return self.top_level_graphics()
        self.fields.setdefault("vnc", e.span)
        for key in ("vnc", "sdl"):
            x = self.entry(key)
            if x is not None and _flag(x.value):
                self.ignored(f"{key} = {x.value!r} beside vfb (xend makes the framebuffer from the vfb entry)",
                             x.key_span, hint=f"remove {key} = {x.value!r}; the vfb entry gives the display")
        keymap = _str(self.value("keymap")) or None
        out = []
        for text, span in items:
            spec = parse_pairs(text)
            kind = spec.get("type")
            if kind not in ("vnc", "sdl"):
                continue  # VF109 says why
            for p in spec.pairs:
                if p.key not in ("type", "vncunused", "vncdisplay", "vnclisten", "vncpasswd", "keymap") \
                        and p.key in VFB_OPTIONS:  # (one xm does not take is VF109's)
                    self.ignored(f"vfb option {p.key}", span)
            if kind == "sdl":
                out.append(Graphics("sdl", None, None, None, None, span))
                continue
            port = None
            display = _int(spec.get("vncdisplay"))
            if _flag(spec.get("vncunused", "1")) is False and display is not None and display >= 0:
                port = 5900 + display
            out.append(Graphics("vnc", spec.get("vnclisten") or None, port, spec.get("vncpasswd") or None,
                                spec.get("keymap") or keymap, span))
        return tuple(out)

    def top_level_graphics(self) -> tuple:
        out = []
        vnc = self.entry("vnc", "vnc")
        if vnc is not None and _flag(vnc.value):
            port = None
            display = _int(self.value("vncdisplay"))
            unused = _flag(self.value("vncunused"))
            if unused is False:
                if display is not None and display >= 0:
                    port = 5900 + display
                else:
                    self.ignored("vncunused = 0 without vncdisplay (the port is 5900 + the domain id)",
                                 self.entry("vncunused").key_span)
            out.append(Graphics("vnc", _str(self.value("vnclisten")) or None, port,
                                _str(self.value("vncpasswd")) or None, _str(self.value("keymap")) or None,
                                vnc.span))
        sdl = self.entry("sdl", "sdl")
        if sdl is not None and _flag(sdl.value):
            out.append(Graphics("sdl", None, None, None, None, sdl.span))
        return tuple(out)

    def serials(self, hvm: bool) -> tuple:
        e = self.entry("serial", "serial")
        if e is None:
            return ()
        items = entry_items(e)
        if not hvm:
            if any(parse_serial(t).kind for t, _ in items):
                self.ignored("serial on a para-virtualized guest (its console is the Xen console)", e.key_span)
            return ()
        out = []
        for text, span in items:
            spec = parse_serial(text)
            if spec.problem:
                self.ignored(f"serial {text!r} ({spec.problem})", span)
            if spec.kind is None:
                continue
            if spec.extra:
                self.ignored(f"the {spec.extra} of serial {text!r}", span)
            out.append(Serial(spec.kind, spec.path, spec.host, spec.port, spec.server, span))
        return tuple(out)

    def parallel(self, hvm: bool):
        """The parallel port: one value, as qemu-dm's -parallel takes it ("none": no port)."""
        e = self.entry("parallel", "parallel")
        if e is None:
            return None
        items = entry_items(e)
        specs = [(parse_parallel(text), text, span) for text, span in items]
        if not hvm:
            if any(spec.kind for spec, _, _ in specs):
                self.ignored("parallel on a para-virtualized guest (an HVM device model setting)", e.key_span)
            return None
        out = None
        for spec, text, span in specs:
            if spec.problem:
                self.ignored(f"parallel {text!r} ({spec.problem})", span)
            if spec.kind is None:
                continue
            if out is not None:
                self.ignored(f"parallel {text!r} (virtc models one parallel port, as xm's `parallel` holds one)",
                             span)
                continue
            if spec.extra:
                self.ignored(f"the {spec.extra} of parallel {text!r}", span)
            out = Serial(spec.kind, spec.path, spec.host, spec.port, spec.server, span)
        return out

    def hpet(self, hvm: bool) -> bool | None:
        """hpet = 1|0: whether an HVM guest has the virtual HPET. xend reads it from RHEL 5.7
        on (RHEL 5.11 Technical Notes §2.46: "if running under Red Hat Enterprise Linux 5.7
        or newer, ... add the hpet=0 option" against time drift of RHEL 6 HVM guests);
        without the key the hypervisor's default stands, which virtc leaves unsaid. libvirt
        maps it to <clock><timer name='hpet' present='yes|no'/> (xen_common.c, a tristate)."""
        e = self.entry("hpet", "hpet")
        if e is None:
            return None
        value = _int(e.value)
        if not hvm:
            if value:
                self.ignored("hpet on a para-virtualized guest (an HVM timer)", e.key_span)
            return None
        if value is None:
            self.ignored(f"hpet = {e.value!r} (xend's set_int takes 0 or 1)", e.value_span)
            return None
        return value != 0

    def sound(self, hvm: bool) -> str | None:
        e = self.entry("soundhw", "sound")
        if e is None or not _str(e.value):
            return None
        cards = [c.strip() for c in e.value.split(",") if c.strip()]
        if not hvm:
            self.ignored("soundhw on a para-virtualized guest", e.key_span)
            return None
        known = [c for c in cards if c in SOUND_MODELS]
        for c in cards:
            if c not in known[:1]:
                self.ignored(f"sound card {c!r}" + (" (virtc models one card)" if c in known else ""), e.value_span)
        return known[0] if known else None

    def usb(self, hvm: bool) -> tuple:
        e = self.entry("usbdevice", "usb")
        usb = self.entry("usb", "usb")
        if not hvm:
            for x in (e, usb):
                if x is not None and x.value not in (0, "", None, "0"):
                    self.ignored(f"{x.key} on a para-virtualized guest", x.key_span)
            return ()
        dev = _str(e.value) if e is not None else None
        if dev in USB_DEVICES:
            return (dev,)
        if dev:
            self.ignored(f"USB device {dev!r}", e.value_span, hint=f"virtc knows {', '.join(USB_DEVICES)}")
        elif usb is not None and _flag(usb.value):
            self.ignored("usb = 1 without a usbdevice (the USB controller alone)", usb.key_span)
        return ()

    # ------------------------------------------------------------------ the rest

    def later(self) -> tuple[str, object] | None:
        """What says the file was written for a later Xen than RHEL 5's 3.1 (Found.later):
        xl's disk syntax, its `type = "hvm"` or a PV-GRUB kernel, which RHEL 5's xend
        cannot use at all, or two of Xen 4's keys (one alone may be a RHEL 5 admin's copy
        from later documentation: VF009 reports it there)."""
        strong = [m for m in self.later_marks if m[2]]
        if strong:
            return strong[0][0], strong[0][1]
        if len(self.later_marks) >= 2:
            (a, where, _), (b, _, _) = self.later_marks[:2]
            return f"{a} and {b}, Xen 4's keys", where
        return None

    def unmodelled(self, hvm: bool) -> None:
        table = load("xm-keys.json")
        known = set(table["keys"]) | set(table["other_xen3_keys"]["keys"])
        later = set(table["later_xen_keys"]["keys"])
        for key in sorted({e.key for e in self.doc.entries}):
            e = self.doc.get(key)
            folder = _XEN_LIB.search(e.value) if key in ("kernel", "device_model", "bootloader") \
                and isinstance(e.value, str) else None
            if folder is not None and tuple(map(int, folder.groups())) >= (3, 3):
                # Debian's and Ubuntu's layout of a later Xen (/usr/lib/xen-4.1/boot/hvmloader,
                # /usr/lib/xen-4.4/bin/pygrub; RHEL 5's is /usr/lib/xen): the file is that system's
                self.later_marks.append((f"{key} = {e.value!r}, in a later Xen's folder (Xen 3.3 and later)",
                                         e.value_span, True))
            elif key == "bootloader" and isinstance(e.value, str) and e.value.endswith("/domUloader.py"):
                # SUSE's own boot loader for PV guests (SLES 10 and 11): RHEL 5 boots them with pygrub
                self.later_marks.append((f"bootloader = {e.value!r}, SUSE's, which RHEL 5 has not",
                                         e.value_span, True))
            if key in later:
                # xl's guest type (Xen 4.10): xm never had the key; a person writes builder
                xl_type = key == "type" and e.value in ("pv", "hvm", "pvh")
                self.later_marks.append((f"{key}= (Xen 3.3 and later)" if xl_type else f"{key}=", e.key_span, xl_type))
                read = f" ({self.maxvcpus_read})" if key == "maxvcpus" and self.maxvcpus_read else ""
                self.found.diagnostics.append(warning(
                    "VF009", f"{key} is Xen 4's key (xl, or Xen 4's xm), not RHEL 5's: Xen 3.1's xend ignores "
                             f"it{read}", e.key_span,
                    hint="RHEL 5 says vcpus = MAXIMUM and vcpu_avail = ONLINE-MASK" if key == "maxvcpus"
                    else "remove it, or write what RHEL 5's xm has for it (guide §31)"))
            elif key in ("device_model", "device_model_override"):
                if not hvm:
                    self.ignored(f"{key} on a para-virtualized guest", e.key_span)
                elif e.value not in DEVICE_MODELS:
                    self.ignored(f"{key} = {e.value!r} (virtc writes the host's qemu-dm)", e.value_span)
            elif key == "kernel" and hvm:
                continue  # hvmloader; VF111 checks it
            elif key == "kernel" and isinstance(e.value, str) and _STUB_KERNEL.search(e.value):
                self.later_marks.append(("a PV-GRUB or stub domain kernel (Xen 3.3 and later)", e.value_span, True))
                self.found.diagnostics.append(warning(
                    "VF009", f"kernel = {e.value!r} is a stub domain or PV-GRUB image (Xen 3.3 and later); "
                             "RHEL 5's Xen 3.1 has neither", e.value_span,
                    hint="boot a PV guest with bootloader = \"/usr/bin/pygrub\" (guide §31)"))
            elif key in READ_KEYS or key not in known or _nothing(key, e.value):
                continue  # read above, or VF103's (a key xend does not know)
            else:
                self.ignored(f"xm key {key}", e.key_span)


# A Xen installed in a folder of its version (Debian, Ubuntu): /usr/lib/xen-4.1/, /usr/lib64/xen-3.3/
_XEN_LIB = re.compile(r"/lib(?:64)?/xen-([0-9]+)\.([0-9]+)(?:[./-]|$)")

# Xen 3.3+'s boot images for stub domains (ioemu-stubdom.gz) and PV-GRUB (pv-grub-x86_64.gz).
_STUB_KERNEL = re.compile(r"(?:^|/)(?:pv-grub[^/]*|ioemu-stubdom[^/]*|[a-z]*-stubdom[^/]*)\.gz$")

_VIF_FIELDS = {"mac": "mac", "bridge": "source", "model": "model", "type": "model", "script": "script",
               "ip": "ip", "vifname": "vifname", "rate": "rate"}


def _pieces(text: str):
    """(start, end) of each comma-separated piece of an xm device string."""
    at = 0
    for piece in text.split(","):
        yield at, at + len(piece)
        at += len(piece) + 1


def _vif_parts(text: str) -> dict[str, tuple[int, int]]:
    """Where each vif key's value is: `mac=00:16:3e:..` -> mac, `bridge=xenbr0` -> source."""
    out: dict[str, tuple[int, int]] = {}
    for b, e in _pieces(text):
        key, eq, _ = text[b:e].partition("=")
        name = _VIF_FIELDS.get(key.strip())
        if eq and name and name not in out:
            out[name] = (b + len(key) + 1, e)
    return out


def _disk_parts(text: str) -> dict[str, tuple[int, int]]:
    """`phy:/dev/vg/lv,xvda,w`: the driver prefix, the source, the target and the mode."""
    pieces = list(_pieces(text))
    out: dict[str, tuple[int, int]] = {}
    if len(pieces) == 3:
        (sb, se), (tb, te), (mb, me) = pieces
        head = text[sb:se]
        colon = head.rfind(":", 0, head.find("/") if "/" in head else len(head))
        if colon > 0:
            out["driver"] = (sb, sb + colon)
        out["source"] = (sb + colon + 1, se)
        target = text[tb:te]
        lead = len(target) - len(target.split(":", 1)[-1]) if target.startswith("ioemu:") else 0
        out["target"] = (tb + lead, tb + lead + len(target[lead:].split(":", 1)[0]))
        out["bus"] = out["target"]
        out["mode"] = (mb, me)
    return out


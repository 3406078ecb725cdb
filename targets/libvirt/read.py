"""Reading libvirt XML: an existing file becomes model pieces, a <domain> one Guest, a
<network> a host Network, a <pool> a Pool, `virsh capabilities` output host facts
(hypervisor, arch, CPU, RAM, NUMA cells). Values are mapped exactly back from what
emit.domain_xml() writes, so read(domain_xml(g)) is g again as far as the files can say.
Every element the reader does not use is named once per kind in a VF003 info; elements
libvirt itself does not know are left to the format rules (VF704, VF705), which say so
with a did-you-mean. Files are parsed by xmlsafe.py: no entities, no DTD, no network.
"""
from __future__ import annotations

import ipaddress
import re

from virtc import identity, kernels
from virtc.cpu import tsc_of_model
from virtc.diagnostics import error
from virtc.model import (ACTIONS, Boot, Cpu, Disk, FieldSpans, Graphics, Network, Nic, NumaCell,
                         PciDevice, Pool, Serial)
from virtc.owner import Owner
from virtc.readback import Found, field_spans, new_guest, whole_file
from virtc.source import SourceFile
from virtc.suggest import did_you_mean
from virtc.values import is_number

from . import era, xmlsafe
from .values import DEVICE_ELEMENTS, DOMAIN_ELEMENTS, ROOTS, memory_kib, pci_bounds, pci_number  # noqa: F401
from .xmlsafe import qname

NAME = "libvirt"
# Input devices a guest has whatever its file says: the PV framebuffer's pointer and
# keyboard (bus xen), the HVM device model's PS/2 mouse and keyboard. libvirt writes them
# (RHEL 5's the PV mouse, today's all four); reading them is no finding.
_PS2 = (("mouse", "ps2"), ("keyboard", "ps2"))
_IMPLIED_INPUTS = {"xen-pv": (("mouse", "xen"), ("keyboard", "xen")), "xen-hvm": _PS2, "kvm": _PS2}


def read(text: str, path: str) -> Found:
    """What one libvirt XML file says, for `virtc lint` and `virtc import`. Never raises."""
    return _guarded(SourceFile(path, text), None)


def inventory(text: str, path: str) -> tuple[Found, list]:
    """What the reader made of each element of a file, for tests and debugging: the Found,
    and (element name, line, col, status) in document order, where status is 'read',
    'ignored <kind>' (named by one VF003, with every element inside it), 'rule' (left to
    the format rules VF704/VF705, with every element inside it) or 'passed over' (what a
    capabilities XML holds beyond the host's facts)."""
    sink: list = []
    return _guarded(SourceFile(path, text), sink), sink


def _guarded(src: SourceFile, sink: list | None) -> Found:
    try:
        return _read(src, sink)
    except Exception as exc:  # a reader bug must not become a traceback for the user
        found = Found(src, NAME)
        found.diagnostics.append(error("VF701", f"internal error while reading this XML file ({exc!r}); "
                                                "please report it", whole_file(src)))
        return found


def _read(src: SourceFile, sink: list | None) -> Found:
    root, diags = xmlsafe.parse(src)
    if root is None:
        found = Found(src, NAME)
        found.diagnostics.extend(diags)
        return found
    loc = xmlsafe.Locator(src, root)
    tag = xmlsafe.qname(root)
    fmt = {"domain": NAME, "network": "libvirt-network", "pool": "libvirt-pool",
           "capabilities": "libvirt-capabilities"}.get(tag, NAME)
    found = Found(src, fmt, document=xmlsafe.to_document(src, root, "libvirt-xml", loc))
    if tag not in ROOTS:
        found.diagnostics.append(error(
            "VF702", f"<{tag}> is not a libvirt document virtc reads (domain, network, pool or "
                     "capabilities)", loc.span(root),
            hint=did_you_mean(tag, ROOTS) or "lint `virsh dumpxml`, `net-dumpxml`, `pool-dumpxml` "
                                             "or `virsh capabilities` output"))
        return found
    reader = _Reader(src, loc, found)
    getattr(reader, tag)(root)
    later = era.later_writer(root, reader.kids)
    found.later = (later[0], reader.span(later[1])) if later else None
    if tag == "capabilities":  # a fact sheet libvirt prints: nothing in it is dropped or to fix
        reader.pass_over(root)
    else:
        reader.report_unread(root)
    if sink is not None:
        sink.extend(reader.inventory(root))
    return found


class _Reader:
    """Walks one tree, marking each element it uses; report_unread() names the rest."""

    def __init__(self, src, loc, found):
        self.src, self.loc, self.found = src, loc, found
        self.used: set = set()
        self.reported: set[str] = set()
        self.skip: set = set()  # elements a format rule reports instead of VF003
        self.status: dict = {}  # element -> 'ignored <kind>' / 'rule'

    # -- walking --------------------------------------------------------

    def use(self, el):
        if el is not None:
            self.used.add(el)
        return el

    def kids(self, el, tag: str | None = None) -> list:
        if el is None:
            return []
        kids = self.loc.children.get(el)
        if kids is None:  # not an element of this file's tree
            return []
        return list(kids) if tag is None else list(self.loc.named(el, tag))

    def child(self, el, tag: str):
        found = self.kids(el, tag)
        return self.use(found[0]) if found else None

    def text(self, el, tag: str) -> str | None:
        c = self.child(el, tag)
        if c is None or c.text is None:
            return None
        return c.text.strip()

    def span(self, el):
        return self.loc.span(el)

    def places(self, **where) -> FieldSpans:
        """A model element's field spans: name=(element, attribute) for each field whose
        element is present (the attribute's value, or the tag when it has no such attribute)."""
        spans = {name: self.loc.attr_span(el, attr) for name, (el, attr) in where.items() if el is not None}
        return field_spans(spans)

    def ignore(self, el, kind: str | None = None, hint: str | None = None) -> None:
        """Name a construct virtc does not model (once per kind in this file)."""
        self.use(el)
        self._mark_subtree(el)
        if kind is None:
            kind = self.kind(el)
        for d in el.iter():
            self.status[d] = f"ignored {kind}"
        if kind in self.reported:
            return
        self.reported.add(kind)
        self.found.ignored(f"{kind} (element)", self.span(el), hint)

    def _mark_subtree(self, el) -> None:
        for d in el.iter():
            if isinstance(d.tag, str):
                self.used.add(d)

    def kind(self, el) -> str:
        tag = qname(el)
        qual = {"graphics": ("type",), "input": ("type", "bus"), "interface": ("type",),
                "hostdev": ("mode", "type"), "disk": ("type", "device"), "serial": ("type",), "parallel": ("type",),
                "console": ("type",), "sound": ("model",), "forward": ("mode",), "clock": ("offset",),
                "ip": ("family",), "memory": ("model",), "timer": ("name",)}.get(tag, ())
        attrs = "".join(f" {a}='{el.get(a)}'" for a in qual if el.get(a) is not None)
        parent = el.getparent()
        where = ""
        if parent is not None and parent.getparent() is not None and qname(parent) != "devices":
            where = f" in <{qname(parent)}>"
        return f"<{tag}{attrs}>{where}"

    def report_unread(self, root) -> None:
        """VF003 for every top-most element nobody used (format-rule findings excepted)."""
        stack = [root] if root in self.used else []
        if root not in self.used:
            self.ignore(root)
        while stack:
            el = stack.pop()
            for c in self.kids(el):
                if c in self.skip:
                    for d in c.iter():
                        self.status[d] = "rule"
                    continue
                if c in self.used:
                    stack.append(c)
                else:
                    self.ignore(c)

    def pass_over(self, root) -> None:
        """Mark what nobody used as passed over on purpose (no finding)."""
        for el in xmlsafe.elements(root):
            if el not in self.used:
                self.status[el] = "passed over"

    def inventory(self, root) -> list:
        out = []
        for el in xmlsafe.elements(root):
            span = self.loc.span(el)
            status = self.status.get(el) or ("read" if el in self.used else "unaccounted")
            out.append((qname(el), span.line, span.col, status))
        return out

    # -- <domain> -------------------------------------------------------

    def domain(self, root) -> None:
        self.use(root)
        for c in self.kids(root):
            t = qname(c)
            if (t not in DOMAIN_ELEMENTS and ":" not in t) or (t == "vcpus" and (c.text or "").strip()
                                                                and not self.kids(c)):
                self.skip.add(c)  # VF704 / VF705 report these
        spans: dict = {}
        dtype = root.get("type")
        os_el = self.child(root, "os")
        type_el = self.child(os_el, "type")
        os_type = (type_el.text or "").strip() if type_el is not None else ""
        if dtype == "xen":
            gtype = "xen-hvm" if os_type == "hvm" else "xen-pv"
        elif dtype in ("kvm", "qemu", "kqemu"):
            gtype = "kvm"
        elif dtype == "hyperv":
            gtype = "hyperv"
        elif dtype is None:
            self.found.diagnostics.append(error("VF702", "the domain has no type= (xen or kvm)", self.span(root),
                                                hint="write <domain type='xen'> or <domain type='kvm'>"))
            self._mark_subtree(root)
            return
        else:
            self.ignore(root, f"<domain type='{dtype}'>",
                        hint="virtc models Xen and KVM guests (domain type 'xen' or 'kvm')")
            return
        spans["type"] = self.span(type_el if type_el is not None else root)
        if os_type == "xenpvh":
            self.found.ignored("<type>xenpvh</type> in <os> (PVH guest, read as para-virtualized)",
                               self.loc.text_span(type_el))
        name_el = self.child(root, "name")
        name = (name_el.text or "").strip() if name_el is not None else ""
        if name:
            spans["name"] = self.span(name_el)
        else:
            self.found.diagnostics.append(error("VF702", "the domain has no <name>", self.span(name_el if name_el is not None else root),
                                                hint="add <name>GUEST</name>; libvirt refuses a domain without one"))
            name = re.sub(r"[^A-Za-z0-9_.-]+", "-", self.src.path.replace("\\", "/").rsplit("/", 1)[-1]
                          .rsplit(".", 1)[0]).strip("-.") or "unnamed"  # a valid name no rule judges
        kw: dict = {}
        uuid_el = self.child(root, "uuid")
        uuid = (uuid_el.text or "").strip() if uuid_el is not None else ""
        # No <uuid>: libvirt makes a random one at define time; the model takes virtc's
        # stable one for the name, as for a .virt guest without `uuid`.
        kw["uuid"] = _dashed_uuid(uuid) if uuid else identity.guest_uuid(name)
        kw["uuid_auto"] = not uuid
        if uuid_el is not None:
            spans["uuid"] = self.span(uuid_el)
        desc = self.child(root, "description")
        if desc is not None and desc.text:
            kw["description"] = desc.text
            spans["description"] = self.span(desc)
        kw.update(self.memory(root, spans))
        kw.update(self.vcpu(root, spans))
        arch = type_el.get("arch") if type_el is not None else None
        if arch in ("i386", "i486", "i586"):
            arch = "i686"
        kw["arch"] = arch or "x86_64"
        if arch:
            spans["arch"] = self.span(type_el)
        features = []
        feats = self.child(root, "features")
        for f in self.kids(feats):
            t = qname(f)
            if t in ("acpi", "apic", "pae") and t not in features:
                self.use(f)
                features.append(t)
        if feats is not None:
            spans["features"] = self.span(feats)
        kw["features"] = tuple(features)
        # A PV guest's PAE is its kernel's: libvirt writes no <pae/> for one (RHEL 5's xenpv
        # i686 guests are all PAE, its capabilities offer nothing else), so none says nothing.
        kw["pae"] = gtype == "xen-pv" or "pae" in features or kw["arch"] in ("x86_64", "ia64")
        kw["boot"] = self.boot(root, os_el, gtype, spans)
        clock = self.child(root, "clock")
        if clock is not None:
            kw["clock"] = self.clock(clock)
            spans["clock"] = self.span(clock)
            hpet = self.hpet(clock, gtype)
            if hpet is not None:
                kw["hpet"], spans["hpet"] = hpet
        for event in ("poweroff", "reboot", "crash"):
            el = self.child(root, f"on_{event}")
            if el is not None:
                spans[f"on_{event}"] = self.span(el)
                value = (el.text or "").strip()
                if value in ACTIONS:  # anything else is VF709's to report
                    kw[f"on_{event}"] = value
        devices = self.child(root, "devices")
        if devices is not None:
            kw.update(self.devices(devices, gtype, name, spans))
        if gtype == "xen-hvm":
            kw["pv_drivers"] = (any(n.model == "netfront" for n in kw.get("nics", ()))
                                or any(d.bus == "xen" for d in kw.get("disks", ())))
        image = kernels.image_release(kw["boot"].kernel) if gtype != "xen-hvm" else None
        if image is not None:  # <os><kernel> says which RHEL the guest runs
            kw.update(kernel_release=image[0], kernel_variant=image[1], os=kernels.guest_os(image[0]))
        guest = new_guest(name, gtype, self.span(root), fields=field_spans(spans), **kw)
        self.found.guests.append(guest)

    def memory(self, root, spans: dict) -> dict:
        out = {}
        mem = self.child(root, "memory")
        cur = self.child(root, "currentMemory")
        maxmem = memory_kib(mem.text, mem.get("unit")) if mem is not None else None
        current = memory_kib(cur.text, cur.get("unit")) if cur is not None else None
        if maxmem is not None:
            out["maxmem_kib"] = maxmem
            spans["maxmem"] = self.span(mem)
        if current is not None:
            out["memory_kib"] = current
            spans["memory"] = self.span(cur)
        elif maxmem is not None:
            out["memory_kib"] = maxmem
            spans["memory"] = self.span(mem)
        return out

    def vcpu(self, root, spans: dict) -> dict:
        el = self.child(root, "vcpu")
        if el is None:
            return {}
        spans["vcpus"] = self.span(el)
        out = {}
        text = (el.text or "").strip()
        if is_number(text) and int(text) > 0:
            out["max_vcpus"] = out["vcpus"] = int(text)
            cur = el.get("current")
            if cur and is_number(cur) and 0 < int(cur) <= int(text):
                out["vcpus"] = int(cur)
        if el.get("cpuset"):
            out["cpuset"] = el.get("cpuset")
            spans["cpuset"] = self.loc.attr_span(el, "cpuset")
        return out

    def boot(self, root, os_el, gtype: str, spans: dict):
        loader = self.child(root, "bootloader")
        bootloader = (loader.text or "").strip() or None if loader is not None else None
        if loader is not None:
            spans["bootloader"] = self.span(loader)
        args = self.text(root, "bootloader_args") or None
        kernel = self.text(os_el, "kernel") or None
        if kernel:
            spans["kernel"] = self.span(self.child(os_el, "kernel"))
        initrd = self.text(os_el, "initrd") or None
        cmdline_el = self.child(os_el, "cmdline")
        cmdline = (cmdline_el.text or "").strip() or None if cmdline_el is not None else None
        if cmdline_el is not None:
            spans["kernel-args"] = self.span(cmdline_el)
        for ld in self.kids(os_el, "loader"):
            if gtype == "xen-hvm" and (ld.text or "").strip().endswith("/hvmloader"):
                self.use(ld)  # hvmloader: implied by the guest type; other firmware is not modelled
        order = []
        for b in self.kids(os_el, "boot"):
            dev = b.get("dev")
            if dev in ("hd", "cdrom", "network", "fd"):
                self.use(b)
                spans.setdefault("boot", self.span(b))
                if dev not in order:
                    order.append(dev)
        return Boot(bootloader, args, kernel, initrd, cmdline, tuple(order))

    def clock(self, el) -> str:
        offset = el.get("offset")
        if offset in ("utc", "localtime"):
            return offset
        if offset == "variable" and el.get("basis") in (None, "utc", "localtime"):
            if el.get("adjustment") not in (None, "0", "reset"):
                self.found.ignored(f"<clock adjustment='{el.get('adjustment')}'>", self.span(el))
            return el.get("basis") or "utc"
        self.found.ignored(f"<clock offset='{offset}'> (read as utc)", self.span(el))
        return "utc"

    def hpet(self, clock, gtype: str):
        """(present, span) from <timer name='hpet' present='yes|no'/> of an HVM guest, as
        libvirt's Xen driver writes xm's hpet = 1|0; other timers are not modelled."""
        for t in self.kids(clock, "timer"):
            if t.get("name") == "hpet" and t.get("present") in ("yes", "no") and gtype != "xen-pv" \
                    and len(t.attrib) == 2 and not len(t):
                self.use(t)
                return t.get("present") == "yes", self.span(t)
        return None

    # -- <devices> ------------------------------------------------------

    def devices(self, devices, gtype: str, name: str, spans: dict) -> dict:
        self.child(devices, "emulator")  # derived from the guest type and host arch
        disks, nics, pci, graphics, serials, usb = [], [], [], [], [], []
        sound = parallel = None
        label = Owner(None, name)
        for c in self.kids(devices):
            t = qname(c)
            if t not in DEVICE_ELEMENTS and ":" not in t:
                self.skip.add(c)  # VF705
            elif t == "disk":
                d = self.disk(c, gtype, label)
                if d is not None:
                    disks.append(d)
            elif t == "interface":
                n = self.nic(c, gtype, label, len(nics))
                if n is not None:
                    nics.append(n)
            elif t == "hostdev":
                p = self.hostdev(c, label)
                if p is not None:
                    pci.append(p)
            elif t == "graphics":
                gr = self.graphic(c)
                if gr is not None:
                    graphics.append(gr)
            elif t == "serial":
                s = self.serial(c)
                if s is not None:
                    serials.append(s)
            elif t == "parallel" and gtype != "xen-pv":
                if parallel is not None:
                    self.ignore(c, "a second <parallel>", hint="virtc models one parallel port, as xm's "
                                                               "`parallel` holds one")
                    continue
                parallel = self.serial(c)  # the same character devices as a serial port
                if parallel is not None:
                    spans["parallel"] = self.span(c)
            elif t == "input":
                kind, bus = c.get("type"), c.get("bus")
                if kind == "tablet" and bus is None:
                    bus = "usb"  # libvirt's default bus for a tablet
                if kind in ("mouse", "tablet") and bus == "usb":
                    self.use(c)
                    spans.setdefault("usb", self.span(c))
                    if kind not in usb:
                        usb.append(kind)
                elif (kind, bus) in _IMPLIED_INPUTS.get(gtype, ()) and not len(c):
                    self._mark_subtree(c)  # comes with the display; nothing to choose
            elif t == "sound":
                if c.get("model") in ("es1370", "sb16", "ac97") and sound is None:
                    self.use(c)
                    sound = c.get("model")
                    spans["sound"] = self.span(c)
        # The console: a PV guest always has one (xenconsoled); on HVM and KVM it repeats
        # the first serial port, or stands for it when there is no <serial>.
        for c in self.kids(devices, "console"):
            target = self.kids(c, "target")
            ttype = target[0].get("type") if target else None
            if gtype == "xen-pv" and c.get("type") in (None, "pty") and ttype in (None, "xen"):
                self._mark_subtree(c)
            elif gtype != "xen-pv" and ttype in (None, "serial"):
                if serials:
                    self._mark_subtree(c)
                else:
                    s = self.serial(c)
                    if s is not None:
                        serials.append(s)
        return dict(disks=tuple(disks), nics=tuple(nics), pci=tuple(pci), graphics=tuple(graphics),
                    serials=tuple(serials), parallel=parallel, usb=tuple(usb), sound=sound)

    def disk(self, el, gtype: str, label: Owner):
        stype, device = el.get("type") or "file", el.get("device") or "disk"
        if stype not in ("file", "block") or device not in ("disk", "cdrom", "floppy"):
            self.ignore(el)
            return None
        target_el = self.child(el, "target")
        target = target_el.get("dev") if target_el is not None else None
        if not target:
            self.ignore(el, "<disk> without <target dev=...>")
            return None
        self.use(el)
        drv = self.child(el, "driver")
        dname = drv.get("name") if drv is not None else None
        dtype = drv.get("type") if drv is not None else None
        src = self.child(el, "source")
        path = None
        if src is not None:
            path = src.get("dev") if stype == "block" else src.get("file")
            path = path or src.get("file") or src.get("dev")
        xen = gtype in ("xen-pv", "xen-hvm")
        if xen:
            driver = _xen_driver(dname, dtype, stype)
            fmt = "qcow" if driver == "tap:qcow" else (dtype if dtype not in (None, "aio") else "raw")
        else:
            driver, fmt = "qemu", dtype or "raw"
        m = _TARGET.match(target)
        if target_el.get("bus"):
            bus = target_el.get("bus")
        elif device == "floppy":
            bus = "fdc"
        elif gtype == "xen-pv":
            bus = "xen"
        else:
            bus = _PREFIX_BUS.get(m.group(1), "ide") if m else "ide"
        readonly = self.child(el, "readonly") is not None
        shareable = self.child(el, "shareable") is not None
        fields = self.places(target=(target_el, "dev"), bus=(target_el, "bus" if target_el.get("bus") else "dev"),
                             source=(src, "dev" if src is not None and src.get("dev") else "file"),
                             driver=(drv, "name"), format=(drv, "type"))
        return Disk(target, device, driver, stype, path, bus, readonly, shareable, fmt, None,
                    self.span(el), label.of(f"disk {target}"), fields=fields)

    def nic(self, el, gtype: str, label: Owner, index: int):
        kind = el.get("type")
        src = self.kids(el, "source")
        source = src[0].get(kind) if src and kind in ("bridge", "network") else None
        if kind not in ("bridge", "network") or not source:
            self.ignore(el)
            return None
        self.use(el)
        self.use(src[0])
        mac_el = self.child(el, "mac")
        mac = (mac_el.get("address") or "").strip().lower() if mac_el is not None else ""
        model_el = self.child(el, "model")
        model = model_el.get("type") if model_el is not None else None
        if not model:
            model = {"xen-pv": "netfront", "xen-hvm": "ioemu"}.get(gtype, "rtl8139")
        script_el = self.child(el, "script")
        script = script_el.get("path") if script_el is not None else None
        ip_el = self.child(el, "ip")
        ip = ip_el.get("address") if ip_el is not None else None
        target = self.child(el, "target")
        vifname = target.get("dev") if target is not None else None
        fields = self.places(source=(src[0], kind), mac=(mac_el, "address"), model=(model_el, "type"),
                             script=(script_el, "path"), ip=(ip_el, "address"), vifname=(target, "dev"))
        return Nic(index, kind, source, mac, not mac, model, None, vifname, script, ip,
                   self.span(el), label.of(f"nic {index}"), fields=fields)

    def hostdev(self, el, label: Owner):
        if el.get("mode", "subsystem") != "subsystem" or el.get("type") != "pci":
            self.ignore(el)
            return None
        src = self.kids(el, "source")
        addr = self.kids(src[0], "address") if src else []
        if not addr:
            self.ignore(el, "<hostdev type='pci'> without <source><address>")
            return None
        self.use(el)
        self.use(src[0])
        a = self.use(addr[0])
        fields = ("domain", "bus", "slot", "function")
        nums = [pci_number(a.get(k, "0")) for k in fields]
        bound = pci_bounds()
        if any(n is None or n >= bound[k] for k, n in zip(fields, nums)):
            return None  # no such device: VF706 reports the value; the guest's other checks still run
        dom, bus, slot, fn = nums
        return PciDevice(dom, bus, slot, fn, self.span(el),
                         label.of(f"pci {dom:04x}:{bus:02x}:{slot:02x}.{fn:x}"), fields=self.places(address=(a, "bus")))

    def graphic(self, el):
        kind = el.get("type")
        if kind == "sdl":
            self.use(el)
            return Graphics("sdl", None, None, None, None, self.span(el))
        if kind != "vnc":
            self.ignore(el)
            return None
        self.use(el)
        port = el.get("port")
        autoport = el.get("autoport") == "yes"
        number = int(port) if port and is_number(port) else -1
        listen = el.get("listen")
        for lst in self.kids(el, "listen"):
            self.use(lst)
            listen = listen or lst.get("address")
        return Graphics("vnc", listen, None if autoport or number < 0 else number, el.get("passwd"),
                        el.get("keymap"), self.span(el))

    def serial(self, el):
        kind = el.get("type") or "pty"
        if kind not in ("pty", "null", "stdio", "vc", "file", "pipe", "dev", "tcp", "udp", "unix"):
            self.ignore(el)
            return None
        self.use(el)
        self.child(el, "target")
        sources = self.kids(el, "source")
        for s in sources:
            self.use(s)
        src = sources[0] if sources else None
        if kind == "udp":
            src = next((s for s in sources if s.get("mode") in (None, "connect")), src)
        path = host = port = None
        server = False
        if src is not None:
            if kind in ("file", "pipe", "dev", "unix"):
                path = src.get("path")
            if kind in ("tcp", "udp"):
                host = src.get("host")
                service = src.get("service") or ""
                port = int(service) if is_number(service) else None
            server = src.get("mode") == "bind"
        if kind == "pty":
            path = None  # a live dump's /dev/pts/N is not configuration
        proto = self.child(el, "protocol")
        if kind == "tcp" and proto is not None and proto.get("type") == "telnet":
            kind = "telnet"
        return Serial(kind, path, host, port, server, self.span(el))

    # -- <network>, <pool> ---------------------------------------------

    def network(self, root) -> None:
        self.use(root)
        name = self.text(root, "name") or ""
        self.child(root, "uuid")  # identity; VF707 checks its form
        fwd = self.child(root, "forward")
        forward, fdev = "none", None
        if fwd is not None:
            mode = fwd.get("mode") or "nat"
            if mode in ("nat", "route"):
                forward, fdev = mode, fwd.get("dev")
            else:
                self.ignore(fwd)
        br = self.child(root, "bridge")
        bridge = br.get("name") if br is not None else None
        ip = d0 = d1 = None
        where = dict(name=(self.child(root, "name"), ""), forward=(fwd, "mode"), forward_dev=(fwd, "dev"),
                     bridge=(br, "name"))
        for ip_el in self.kids(root, "ip"):
            if ip_el.get("family") not in (None, "ipv4") or ip is not None:
                continue
            addr, mask, prefix = ip_el.get("address"), ip_el.get("netmask"), ip_el.get("prefix")
            try:
                ip = str(ipaddress.ip_interface(f"{addr}/{mask or prefix or 24}"))
            except ValueError:
                continue
            self.use(ip_el)
            dhcp = self.child(ip_el, "dhcp")
            rng = self.child(dhcp, "range")
            where["ip"] = (ip_el, "address")
            if rng is not None:
                d0, d1 = rng.get("start"), rng.get("end")
                where.update(dhcp_start=(rng, "start"), dhcp_end=(rng, "end"))
        if not name:
            self.found.diagnostics.append(error("VF702", "the network has no <name>", self.span(root),
                                                hint="add <name>NETWORK</name>"))
            return
        if bridge is None:
            bridge = "virbr0" if name == "default" else f"virbr-{name}"[:15]
        self.found.add("networks", Network(name, bridge, forward, fdev, ip, d0, d1, self.span(root),
                                           Owner(part=f"network {name}"), fields=self.places(**where)))
        self.found.spans.setdefault("networks", self.span(root))

    def pool(self, root) -> None:
        self.use(root)
        name = self.text(root, "name") or ""
        self.child(root, "uuid")
        src = self.child(root, "source")
        host_el = self.child(src, "host")
        dev_el = self.child(src, "device")
        dir_el = self.child(src, "dir") if dev_el is None else None
        target = self.child(root, "target")
        path = self.text(target, "path")
        if not name:
            self.found.diagnostics.append(error("VF702", "the pool has no <name>", self.span(root),
                                                hint="add <name>POOL</name>"))
            return
        device = (dev_el if dev_el is not None else dir_el)
        self.found.add("pools", Pool(name, root.get("type") or "dir",
                                     host_el.get("name") if host_el is not None else None,
                                     device.get("path") if device is not None else None,
                                     path or None, False, self.span(root)))

    # -- <capabilities> -------------------------------------------------

    def capabilities(self, root) -> None:
        self.use(root)
        host = self.child(root, "host")
        cpu = self.child(host, "cpu")
        arch_el = self.child(cpu, "arch")
        arch = (arch_el.text or "").strip() if arch_el is not None else ""
        arch = "i686" if arch in ("i386", "i486", "i586") else arch
        if arch in ("i686", "x86_64", "ia64"):
            self.found.set("arch", arch, self.span(arch_el))
        flags = set()
        for feats in self.kids(cpu, "features"):  # old form: <features><vmx/><svm/></features>
            self.use(feats)
            for f in self.kids(feats):
                self.use(f)
                flags.add(qname(f).lower())
        for f in self.kids(cpu, "feature"):  # newer form: <feature name='vmx'/>
            self.use(f)
            if f.get("name"):
                flags.add(f.get("name").lower())
        features = set(flags)  # what the <cpu> element lists (guests' <pae/> come later)
        # The vendor: <vendor> (libvirt 0.7.5 on), else the CPU model's family, else the
        # virtualization extension (vmx is Intel VT, svm is AMD-V).
        vendor_text = (self.text(cpu, "vendor") or "").lower()
        model_el = self.kids(cpu, "model")
        model = (model_el[0].text or "").strip().lower() if model_el else ""
        if model_el and not vendor_text:
            self.use(model_el[0])
        vendor = ("intel" if "intel" in vendor_text else "amd" if "amd" in vendor_text else
                  "amd" if model.startswith(_AMD_MODELS) else "intel" if model.startswith(_INTEL_MODELS) else
                  "intel" if "vmx" in flags else "amd" if "svm" in flags else None)
        cells_el = self.child(self.child(host, "topology"), "cells")
        cells, cpu_ids, cores = [], set(), set()
        total_mem = 0
        for cell in self.kids(cells_el, "cell"):
            self.use(cell)
            mem_el = self.child(cell, "memory")
            mem = memory_kib(mem_el.text, mem_el.get("unit")) if mem_el is not None else None
            total_mem = None if mem is None or total_mem is None else total_mem + mem
            ids = []
            for c in self.kids(self.child(cell, "cpus"), "cpu"):
                self.use(c)
                if is_number((c.get("id") or "")):
                    ids.append(int(c.get("id")))
                    if c.get("core_id") is not None:
                        cores.add((c.get("socket_id"), c.get("die_id"), c.get("core_id")))
            cpu_ids.update(ids)
            cid = cell.get("id") or "0"
            cells.append(NumaCell(int(cid) if is_number(cid) else 0, _cpu_list(ids) or None, mem, None,
                                  self.span(cell)))
        topo = self.child(cpu, "topology")
        sockets = n_cores = threads = None
        if topo is not None and all(is_number((topo.get(k) or "")) for k in ("sockets", "cores", "threads")):
            # RHEL 5's libvirt (nodes hard-coded to 1) prints the host's total sockets, as
            # `virsh nodeinfo` does; sockets per NUMA node is libvirt 0.9.13's reading.
            sockets = int(topo.get("sockets"))
            n_cores = sockets * int(topo.get("cores")) * int(topo.get("dies") or 1)
            threads = n_cores * int(topo.get("threads"))
        if cpu_ids:
            threads = len(cpu_ids)
            n_cores = len(cores) or n_cores
        # Guests the host offers: the hypervisor, and PAE support (a guest <pae/> feature).
        kinds = []
        for g in self.kids(root, "guest"):
            self.use(g)
            self.child(g, "os_type")
            for a in self.kids(g, "arch"):
                self.use(a)
                for d in self.kids(a, "domain"):
                    self.use(d)
                    kinds.append((d.get("type"), d))
            for f in self.kids(self.child(g, "features"), "pae"):
                self.use(f)
                flags.add("pae")
        # A host offering Xen domains runs xend; one offering kvm (or only qemu's emulation)
        # is a KVM host. The span is the first <domain type> that says so.
        for want, hyper in (("xen", "xen"), ("kvm", "kvm"), ("qemu", "kvm")):
            offered = [d for t, d in kinds if t == want]
            if offered:
                self.found.set("hypervisor", hyper, self.span(offered[0]))
                break
        if cpu is not None:
            # No <feature> at all (RHEL 5.4's libvirt 0.6.3 prints only <arch>, as the
            # guide's example at line 5247 does) says nothing about the CPU's flags.
            tsc = tsc_of_model(model, features)
            self.found.set("cpu", Cpu(vendor, sockets, n_cores, threads, tuple(sorted(flags)) if features else (),
                                      constant_tsc=tsc), self.span(cpu))
        if cells:
            self.found.add("numa", *cells)
            self.found.spans["numa"] = self.span(cells_el)
            if total_mem:
                self.found.host["memory_kib"] = total_mem
                self.found.spans["memory"] = self.span(cells_el)


# libvirt's CPU model names (cpu_map) by vendor, as prefixes.
_AMD_MODELS = ("opteron", "athlon", "phenom", "epyc", "amd", "k6", "k7", "k8")
_INTEL_MODELS = ("pentium", "core", "conroe", "penryn", "nehalem", "westmere", "sandybridge", "ivybridge",
                 "haswell", "broadwell", "skylake", "cascadelake", "icelake", "n270", "coreduo", "core2duo")
_TARGET = re.compile(r"^(hd|sd|xvd|vd|fd|ubd)[a-z]+[0-9]*$")
_PREFIX_BUS = {"hd": "ide", "sd": "scsi", "xvd": "xen", "vd": "virtio", "fd": "fdc", "ubd": "uml"}
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")


def _dashed_uuid(text: str) -> str:
    """A UUID in the model's form (lower-case, 8-4-4-4-12); a malformed one as written."""
    if not _UUID.match(text):
        return text
    h = text.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _xen_driver(name: str | None, dtype: str | None, stype: str) -> str:
    """The model's driver for a Xen disk's <driver name type>: the inverse of XEN_DRIVERS."""
    if name in ("tap", "tap2"):
        if dtype == "qcow" and name == "tap":
            return "tap:qcow"
        return f"{name}:aio"
    if name in ("file", "phy"):
        return name
    # No driver, or modern libxl's qemu (qdisk): a block device is phy, a file is read by
    # a user-space back end, which on RHEL 5 is blktap's aio.
    if stype == "block":
        return "phy"
    return "file" if name is None else "tap:aio"


def _cpu_list(ids: list[int]) -> str:
    """[0, 1, 2, 3, 6] -> '0-3,6'."""
    out, run = [], []
    for i in sorted(set(ids)):
        if run and i == run[-1] + 1:
            run.append(i)
            continue
        if run:
            out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
        run = [i]
    if run:
        out.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else str(run[0]))
    return ",".join(out)

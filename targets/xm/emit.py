"""Writing Xen xm domain configs, /etc/xen/NAME: the Python-syntax files xend executes.

Written as xend on RHEL 5 expects (guide §31, §34.12): memory and maxmem in MiB, disk
specs `driver:path,target[:cdrom],mode`, vif specs `key=value,...` with `type=ioemu`
only for emulated NICs of HVM guests, `builder = "hvm"` with hvmloader and qemu-dm for
HVM, `bootloader = "/usr/bin/pygrub"` for PV. Key order follows libvirt's xm writer, so
files diff cleanly against libvirt's own output. Autostarted guests get a link in
/etc/xen/auto (read by the xendomains service).

Every value is a string, an integer or a list of strings. A string is read by two parsers:
xend executes the file as Python, and libvirt reads /etc/xen with its own parser (virConf),
which knows '...', "..." and triple-quoted strings but no escapes. _q() writes what both read alike:
"..." as a rule, '...' for a value that holds a double quote (a disk path converted from
domain XML, kernel arguments such as a="b c"), a triple-quoted one for both quotes, as
libvirt's writer does; a value no such string carries (a backslash, a line break,
non-ASCII) is refused (Unwritable, with the reason). The compiler has already refused
these for .virt files; values converted from domain XML meet the same checks here.

Inside the comma-separated specs (disk, vif, vfb; a unix serial socket, which qemu-dm
reads) entries are split at commas, so a field that holds one would end early and the rest would be read as other
fields (`bridge=br0,script=/tmp/x`): _field() refuses it instead.
"""
from __future__ import annotations

import re

from virtc.model import Guest, Host, Model

from ..format import Artifact
from ..paths import HVMLOADER, qemu_dm

NAME = "xm"
BOOT_LETTERS = {"fd": "a", "hd": "c", "cdrom": "d", "network": "n"}
# The names xend starts a guest under (XendDomainInfo._checkName, Xen 3.x): anything else is
# "Invalid VM Name". A .virt name is one already; a name converted from XML may not be.
XEND_NAME = re.compile(r"[A-Za-z0-9_.:/+\-]+\Z")


def emit(model: Model) -> list[Artifact]:
    out = []
    hosts: dict[str, object] = {}  # by name, the first of a name as model.host() finds it
    for h in model.hosts:
        hosts.setdefault(h.name, h)
    for guest in model.guests:
        if not guest.is_xen:
            continue
        host = hosts.get(guest.host)
        out.append(Artifact(f"{guest.host}/etc/xen/{guest.name}", config(guest, host),
                            source=guest.owner))
        if guest.autostart:
            out.append(Artifact(f"{guest.host}/etc/xen/auto/{guest.name}", link=f"../{guest.name}",
                                source=guest.owner))
    return out


class Unwritable(ValueError):
    """A value an xm config cannot hold: the message says why; span is where the value came
    from (None: the guest as a whole)."""

    def __init__(self, message: str, span=None):
        super().__init__(message)
        self.span = span


def unquotable(value: str) -> str | None:
    """Why no xm string carries `value` (None: one does)."""
    why = _unsafe(value)
    if why is None and '"' in value and "'" in value and ('"""' in value or value.endswith('"')):
        return "holds both kinds of quote in a way no string without escapes can carry"
    return why


def _unsafe(value: str) -> str | None:
    """Why `value` can be in no xm string, whatever its quotes."""
    if "\n" in value or "\r" in value:
        return "holds a line break, which ends the assignment"
    if "\\" in value:
        return ("holds a backslash, which xend's Python reads as an escape and libvirt's reader of "
                "/etc/xen as itself: the two would read different values")
    if not value.isascii() or not value.isprintable():
        return "holds a character other than printable ASCII (xend reads the file as ASCII)"
    return None


def _q(value: str, what: str = "", span=None) -> str:
    why = unquotable(value)
    if why is not None:
        raise Unwritable(f"{what or 'the value'} {value!r} {why}", span)
    if '"' not in value:
        return f'"{value}"'
    if "'" not in value:
        return f"'{value}'"  # Python and virConf both read it as written
    return f'"""{value}"""'


def _field(value: str, what: str, splitter: str, span=None) -> str:
    """A field of a comma-separated spec: no comma (`splitter` splits the entry there), and
    nothing no string carries (the entry becomes one string, which _q() quotes)."""
    if "," in value:
        raise Unwritable(f"{what} {value!r} holds a comma, and {splitter} at commas: the rest would be "
                         "read as other fields", span)
    why = _unsafe(value)
    if why is not None:
        raise Unwritable(f"{what} {value!r} {why}", span)
    return value


def _list(items: list[str]) -> str:
    return "[ " + ", ".join(_q(i) for i in items) + " ]"


def disk_spec(d, hvm: bool) -> str:
    mode = "r" if d.readonly else ("w!" if d.shareable else "w")
    target = f"{d.target}:cdrom" if d.device == "cdrom" else d.target
    source = ""
    if d.path:
        path = _field(d.path, f"the path of disk {d.target}", "xend splits a disk entry (SOURCE,TARGET,MODE)",
                      d.fields.get("source") or d.span)
        source = f"{d.driver}:{path}"
    return f"{source},{target},{mode}"


def vif_spec(n, g: Guest) -> str:
    for name, value in (("bridge", n.source if n.kind == "bridge" else None), ("script", n.script),
                        ("model", n.model), ("vifname", n.vifname), ("ip", n.ip), ("rate", n.rate)):
        if value:
            _field(value, f"the {name} of NIC {n.index}", "xend splits a vif entry (KEY=VALUE,...)",
                   n.fields.get("source" if name == "bridge" else name) or n.span)
    parts = []
    if g.type == "xen-hvm" and n.model != "netfront":
        parts.append("type=ioemu")
    parts.append(f"mac={n.mac}")
    if n.kind == "bridge" and n.source:  # no bridge (read from a file that had none): xend picks one
        parts.append(f"bridge={n.source}")
    if n.script:
        parts.append(f"script={n.script}")
    if n.model not in ("netfront", "ioemu"):
        parts.append(f"model={n.model}")
    if n.vifname:
        parts.append(f"vifname={n.vifname}")
    if n.ip:
        parts.append(f"ip={n.ip}")
    if n.rate:
        parts.append(f"rate={n.rate}")
    return ",".join(parts)


def serial_value(s) -> str:
    if s.kind in ("file", "pipe", "dev", "unix") and not s.path:  # a domain XML without <source path=...>
        raise Unwritable(f"a {s.kind} serial port names no path, and qemu-dm needs one", s.span)
    if s.kind in ("tcp", "telnet", "udp") and s.port is None:  # ... or without <source service=...>
        raise Unwritable(f"a {s.kind} serial port names no port, and qemu-dm needs one", s.span)
    if s.kind == "unix":  # qemu-dm reads options after a comma (unix:PATH,server,nowait)
        path = _field(s.path, "the socket path", "qemu-dm splits unix:PATH,server,nowait", s.span)
        return f"unix:{path}" + (",server,nowait" if s.server else "")
    if s.kind in ("file", "pipe"):  # qemu-dm takes the rest of the value as the path
        return f"{s.kind}:{s.path}"
    if s.kind == "dev":
        return s.path
    if s.kind in ("tcp", "telnet", "udp"):
        return f"{s.kind}:{s.host or ''}:{s.port}" + (",server,nowait" if s.server else "")
    return s.kind


def config(g: Guest, host: Host) -> str:
    lines: list[tuple[str, str]] = []
    add = lambda k, v: lines.append((k, v))  # noqa: E731
    # Two fixed lines first: Python reads a comment on line 1 or 2 as the file's encoding
    # (PEP 263), so no user text may stand there.
    lines.append(("#", "Xen domain configuration written by virtc."))
    lines.append(("#", "Change the .virt file and rebuild rather than editing this one."))
    if g.description:
        # A comment ends at a line break: each line of the text is its own comment line, so a
        # description read from an existing file (not checked by the compiler) cannot put
        # code on a line of its own. Other control characters are dropped.
        for part in g.description.splitlines() or [""]:
            lines.append(("#", "".join(c for c in part if c.isprintable() or c == "\t")))
    if not XEND_NAME.match(g.name):
        raise Unwritable(f"the guest name {g.name!r} holds a character xend refuses in a name (it takes letters, "
                         "digits and _-.:/+, else 'Invalid VM Name')", g.fields.get("name") or g.span)
    add("name", _q(g.name))
    add("uuid", _q(g.uuid))
    add("maxmem", str(g.maxmem_kib // 1024))
    add("memory", str(g.memory_kib // 1024))
    add("vcpus", str(g.max_vcpus))
    if g.vcpus != g.max_vcpus:
        add("vcpu_avail", str((1 << g.vcpus) - 1))
    if g.cpuset:
        add("cpus", _q(g.cpuset))
    hvm = g.type == "xen-hvm"
    if hvm:
        add("builder", _q("hvm"))
        add("kernel", _q(HVMLOADER))
        add("device_model", _q(qemu_dm(host.arch)))
        if g.boot.order:
            add("boot", _q("".join(BOOT_LETTERS[d] for d in g.boot.order)))
        for feat in ("pae", "acpi", "apic"):
            add(feat, "1" if feat in g.features else "0")
        if g.hpet is not None:  # RHEL 5.7's xend; unsaid, the hypervisor's default stands
            add("hpet", "1" if g.hpet else "0")
    else:
        if g.boot.bootloader:
            add("bootloader", _q(g.boot.bootloader))
            if g.boot.bootloader_args:
                add("bootargs", _q(g.boot.bootloader_args))
        if g.boot.kernel:
            add("kernel", _q(g.boot.kernel))
            if g.boot.initrd:
                add("ramdisk", _q(g.boot.initrd))
        if g.boot.cmdline:  # appended to the kernel pygrub picks, or to `kernel`
            add("extra", _q(g.boot.cmdline))
    add("localtime", "1" if g.clock == "localtime" else "0")
    add("on_poweroff", _q(g.on_poweroff))
    add("on_reboot", _q(g.on_reboot))
    add("on_crash", _q(g.on_crash))
    for gr in g.graphics[:1]:
        if hvm:
            if gr.kind == "sdl":
                add("sdl", "1")
            else:
                add("vnc", "1")
                add("vncunused", "0" if gr.port else "1")
                if gr.port:
                    add("vncdisplay", str(gr.port - 5900))
                if gr.listen:
                    add("vnclisten", _q(gr.listen))
                if gr.password:
                    add("vncpasswd", _q(gr.password))
                if gr.keymap:
                    add("keymap", _q(gr.keymap))
        else:
            parts = ["type=" + gr.kind]
            if gr.kind == "vnc":
                parts.append("vncunused=0" if gr.port else "vncunused=1")
                if gr.port:
                    parts.append(f"vncdisplay={gr.port - 5900}")
                spec = "xend splits a vfb entry (KEY=VALUE,...)"
                if gr.listen:
                    parts.append(f"vnclisten={_field(gr.listen, 'the VNC listen address', spec, gr.span)}")
                if gr.password:
                    parts.append(f"vncpasswd={_field(gr.password, 'the VNC password', spec, gr.span)}")
                if gr.keymap:
                    parts.append(f"keymap={_field(gr.keymap, 'the VNC keymap', spec, gr.span)}")
            add("vfb", _list([",".join(parts)]))
    if hvm and g.parallel is not None:  # one port: xend hands the value to qemu-dm's -parallel
        add("parallel", _q(serial_value(g.parallel)))
    if hvm and len(g.serials) == 1:
        add("serial", _q(serial_value(g.serials[0])))
    elif hvm and g.serials:  # RHEL 5's xm takes a list for several ports (ttyS0, ttyS1, ...)
        add("serial", _list([serial_value(s) for s in g.serials]))
    if hvm and g.sound:
        add("soundhw", _q(g.sound))
    if hvm and g.usb:
        add("usb", "1")
        add("usbdevice", _q(g.usb[0]))
    if g.nics:
        add("vif", _list([vif_spec(n, g) for n in g.nics]))
    disks = [d for d in g.disks if d.device != "floppy"]
    floppies = [d for d in g.disks if d.device == "floppy"]
    if disks:
        add("disk", _list([disk_spec(d, hvm) for d in disks]))
    for f in floppies:
        add(f.target, _q(f.path))
    if g.pci:
        add("pci", _list([p.address for p in g.pci]))
    text = []
    for key, value in lines:
        text.append(f"# {value}" if key == "#" else f"{key} = {value}")
    return "\n".join(text) + "\n"

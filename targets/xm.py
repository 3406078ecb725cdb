"""Xen xm domain configs, /etc/xen/NAME: the Python-syntax files xend executes.

Written as xend on RHEL 5 expects (guide §31, §34.12): memory and maxmem in MiB, disk
specs `driver:path,target[:cdrom],mode`, vif specs `key=value,...` with `type=ioemu`
only for emulated NICs of HVM guests, `builder = "hvm"` with hvmloader and qemu-dm for
HVM, `bootloader = "/usr/bin/pygrub"` for PV. Key order follows libvirt's xm writer, so
files diff cleanly against libvirt's own output. Autostarted guests get a link in
/etc/xen/auto (read by the xendomains service).

Every value is a double-quoted string, an integer or a list of strings. The compiler has
already refused characters that a string here could not carry (quotes, backslashes,
line breaks, non-ASCII); _q() checks again so nothing unsafe can slip through.
"""
from __future__ import annotations

import ast
import re

from virtc.model import Guest, Host, Model

from . import Artifact
from .libvirt import HVMLOADER, qemu_dm

NAME = "xm"
BOOT_LETTERS = {"fd": "a", "hd": "c", "cdrom": "d", "network": "n"}


def emit(model: Model) -> list[Artifact]:
    out = []
    for guest in model.guests:
        if not guest.is_xen:
            continue
        host = model.host(guest.host)
        out.append(Artifact(f"{guest.host}/etc/xen/{guest.name}", config(guest, host),
                            source=guest.path_label))
        if guest.autostart:
            out.append(Artifact(f"{guest.host}/etc/xen/auto/{guest.name}", link=f"../{guest.name}",
                                source=guest.path_label))
    return out


def _q(value: str) -> str:
    if any(c in value for c in "\"\\\n\r") or not value.isascii() or not value.isprintable():
        raise ValueError(f"value cannot be written to an xm file: {value!r}")
    return f'"{value}"'


def _list(items: list[str]) -> str:
    return "[ " + ", ".join(_q(i) for i in items) + " ]"


def disk_spec(d, hvm: bool) -> str:
    mode = "r" if d.readonly else ("w!" if d.shareable else "w")
    target = f"{d.target}:cdrom" if d.device == "cdrom" else d.target
    source = f"{d.driver}:{d.path}" if d.path else ""
    return f"{source},{target},{mode}"


def vif_spec(n, g: Guest) -> str:
    parts = []
    if g.type == "xen-hvm" and n.model != "netfront":
        parts.append("type=ioemu")
    parts.append(f"mac={n.mac}")
    if n.kind == "bridge":
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
    if s.kind in ("file", "pipe", "unix"):
        return f"{s.kind}:{s.path}" + (",server,nowait" if s.kind == "unix" and s.server else "")
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
        lines.append(("#", g.description))
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
                if gr.listen:
                    parts.append(f"vnclisten={gr.listen}")
                if gr.password:
                    parts.append(f"vncpasswd={gr.password}")
                if gr.keymap:
                    parts.append(f"keymap={gr.keymap}")
            add("vfb", _list([",".join(parts)]))
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


# ---------------------------------------------------------------- reading

_CODING = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)")


def parse_document(src) -> tuple["Document | None", list]:
    """An xm config as a document: literal assignments only, read with Python's `ast` and
    never executed. Diagnostics: VF101 (not valid Python for xend), VF102 (a statement
    other than `name = literal`)."""
    from virtc.diagnostics import error
    from virtc.documents import Document, Entry

    text = src.text
    diags = []
    lines = text.splitlines()
    if not text.isascii() and not any(_CODING.match(line) for line in lines[:2]):
        pos = next(i for i, ch in enumerate(text) if not ch.isascii())
        diags.append(error("VF101", "non-ASCII character in an xm config without an encoding "
                                    "declaration; xend's Python stops here", src.span(pos, pos + 1),
                           hint="write the file in ASCII (guide §35.11, lines 6149-6160)"))
    try:
        # Bytes, as xend's execfile() reads them: a coding cookie on line 1 or 2 then
        # changes how the rest is decoded, for virtc too.
        tree = ast.parse(text.encode("utf-8"), filename=src.path)
    except SyntaxError as exc:
        line = exc.lineno or 1
        col = max(1, exc.offset or 1)
        start = _offset(src, line, col - 1, chars=True)
        diags.append(error("VF101", f"not valid Python, which xend executes: {exc.msg}",
                           src.span(start, start + 1),
                           hint="check quotes, commas and brackets on this line and the one before"))
        return None, diags
    entries = []
    for node in tree.body:
        if (isinstance(node, ast.Assign) and len(node.targets) == 1
                and isinstance(node.targets[0], ast.Name)):
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
                diags.append(error("VF102", f"the value of {node.targets[0].id} is not a literal; "
                                            "virtc does not run code from configs", _node_span(src, node.value),
                                   hint="write a string, a number or a list of them"))
                continue
            items = ()
            if isinstance(node.value, (ast.List, ast.Tuple)):
                items = tuple(_node_span(src, e) for e in node.value.elts)
            entries.append(Entry(node.targets[0].id, value, _node_span(src, node),
                                 _node_span(src, node.targets[0]), _node_span(src, node.value), items))
        elif isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            continue  # a docstring-like string: harmless
        else:
            diags.append(error("VF102", "only `name = value` assignments belong in an xm config; "
                                        "this statement would run code", _node_span(src, node),
                               hint="remove it; virtc reads configs without executing them"))
    return Document("xm", src.path, tuple(entries)), diags


def _offset(src, line: int, col: int, chars: bool = False) -> int:
    starts = src.line_starts
    if line - 1 >= len(starts):
        return len(src.text)
    base = starts[line - 1]
    if chars:
        return min(base + col, len(src.text))
    # ast columns count UTF-8 bytes; convert to characters on that line
    raw = src.line(line).encode("utf-8")[:col]
    return base + len(raw.decode("utf-8", errors="ignore"))


def _node_span(src, node):
    start = _offset(src, node.lineno, node.col_offset)
    end = _offset(src, getattr(node, "end_lineno", node.lineno), getattr(node, "end_col_offset", node.col_offset))
    return src.span(start, max(end, start + 1))

"""Writing Xen xm domain configs, /etc/xen/NAME: the Python-syntax files xend executes.

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

from virtc.model import Guest, Host, Model

from ..format import Artifact
from ..paths import HVMLOADER, qemu_dm

NAME = "xm"
BOOT_LETTERS = {"fd": "a", "hd": "c", "cdrom": "d", "network": "n"}


def emit(model: Model) -> list[Artifact]:
    out = []
    for guest in model.guests:
        if not guest.is_xen:
            continue
        host = model.host(guest.host)
        out.append(Artifact(f"{guest.host}/etc/xen/{guest.name}", config(guest, host),
                            source=guest.owner))
        if guest.autostart:
            out.append(Artifact(f"{guest.host}/etc/xen/auto/{guest.name}", link=f"../{guest.name}",
                                source=guest.owner))
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
        # A comment ends at a line break: each line of the text is its own comment line, so a
        # description read from an existing file (not checked by the compiler) cannot put
        # code on a line of its own. Other control characters are dropped.
        for part in g.description.splitlines() or [""]:
            lines.append(("#", "".join(c for c in part if c.isprintable() or c == "\t")))
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
                if gr.listen:
                    parts.append(f"vnclisten={gr.listen}")
                if gr.password:
                    parts.append(f"vncpasswd={gr.password}")
                if gr.keymap:
                    parts.append(f"keymap={gr.keymap}")
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

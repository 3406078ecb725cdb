"""Reading GRUB legacy files: the inverse of emit.host_grub_conf() and guest_grub_conf().
The default entry's kernel, root and arguments become host facts (or, in a guest's own
grub.conf, its kernel and command line), and the words virtc writes from a fact
(dom0_mem=, com1=, console=, ro, root=) are taken out of the argument strings again, so
that reading virtc's own file and writing it anew gives the same bytes. What is left is
`grub args` / `xen-args`, as written.
"""
from __future__ import annotations

import re
from dataclasses import replace

from virtc.kernels import split_release
from virtc.model import GrubSettings
from virtc.readback import Found
from virtc.source import SourceFile

from ..bootline import (
    DEFAULT_ROOT,
    DEFAULT_ROOTFS,
    Words,
    _count,
    take_hypervisor_facts,
    take_linux_derived,
)
from .document import parse_document
from .rules import COMMANDS, boot_chain, image_name

_GUEST_PATH = re.compile(r"(?:^|/)guests/(?P<name>[^/]+)/boot/grub/(?:grub\.conf|menu\.lst)$")
_GUEST_HEADER = re.compile(r"# Written by virtc: the entry for /boot/grub/grub\.conf inside guest (?P<name>\S+)\.")
_SERIAL_XEN = re.compile(r"^com(?P<port>[12])=(?P<speed>[0-9]{1,7}),8n1$")
_SERIAL_TTY = re.compile(r"^console=ttyS(?P<unit>[01]),(?P<speed>[0-9]{1,7})$")
TERMINAL = "--timeout=10 serial console"


def _entry_words(src, e) -> Words:
    """The arguments of a grub.conf command (its value starts at value_span)."""
    return Words.of(src, e.value, e.value_span.start)


def _line(src, e, limit: int = 60) -> str:
    text = src.text[e.span.start:e.span.end].strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _take_root_args(words: Words):
    """`ro` and `root=DEV`, which virtc writes first on every Linux kernel line."""
    words.take(lambda w: w == "ro")
    root = words.take(lambda w: w.startswith("root=") and len(w) > len("root="))
    return (root[0][len("root="):], root[1]) if root else (None, None)


def _guest_name(path: str, text: str) -> str | None:
    m = _GUEST_HEADER.match(text)
    if m:
        return m.group("name")
    m = _GUEST_PATH.search(path.replace("\\", "/"))
    return m.group("name") if m else None


def read(text: str, path: str):
    """A grub.conf as host facts (kernel, kernel_kind, dom0, iommu, grub) or, for
    guests/NAME/boot/grub/grub.conf, as that guest's kernel and command line
    (found.host["guest_boot"], see compiler/readback.py)."""
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    guest = _guest_name(path, text)
    if guest:  # a guest's own entry: checked as grub.conf, except for what only a host needs
        doc = replace(doc, format="guest-grub")
    found = Found(src, "guest-grub" if guest else "grub", doc, diagnostics=list(problems))
    header = [e for e in doc.entries if e.group < 0]
    blocks: dict[int, list] = {}
    for e in doc.entries:
        if e.group >= 0:
            blocks.setdefault(e.group, []).append(e)
    chosen = _default_entry(found, header, blocks)
    for n, block in blocks.items():
        if n != chosen:
            found.ignored(f"GRUB entry {n} `{_line(src, block[0])}`", block[0].span,
                          hint="only the default entry is read into the model; point default= at the "
                               "entry the host boots")
    root = kernel = None
    modules = []
    for e in blocks.get(chosen, [])[1:]:
        if e.key == "root" and root is None:
            root = e
        elif e.key == "kernel" and kernel is None:
            kernel = e
        elif e.key in ("module", "modulenounzip"):
            modules.append(e)
        elif e.key != "initrd" and e.key in COMMANDS:
            found.ignored(f"GRUB command `{_line(src, e)}` in the default entry", e.span)
    serial = None
    if kernel is not None:
        # `kernel /tboot.gz` (Intel TXT) boots the next module: on a Xen entry the xen.gz
        # module is the hypervisor's line, then dom0's kernel and initrd, then tboot's SINIT
        loaders, kernel, modules = boot_chain(kernel, modules)
        payload = "hypervisor" if image_name(kernel).startswith("xen") else "kernel"
        for loader in loaders:
            found.ignored(f"the multiboot loader `{_line(src, loader)}` before the entry's {payload} "
                          "(Intel TXT's tboot; virtc writes no loader line)", loader.span)
        if guest:
            _guest_entry(found, src, guest, root, kernel)
        else:
            serial = _host_entry(found, src, root, kernel, modules, bool(loaders))
    _header(found, src, header, serial, root.value if root is not None else None, bool(guest), COMMANDS)
    return found


def _default_entry(found, header, blocks) -> int | None:
    if not blocks:
        return None
    d = None
    for e in header:
        if e.key == "default":
            d = e
    n = 0
    if d is not None:
        found.spans["default"] = d.span
    if d is not None and _count(d.value) is not None:
        n = _count(d.value)
    elif d is not None and d.value == "saved":
        found.ignored("GRUB `default=saved` (the entry savedefault stored; the first entry is read)", d.span)
    return n if n in blocks else 0  # past the last entry (VF203): GRUB falls back to the first


def _image(found, src, word: str, span):
    """'/xen.gz-2.6.18-308.el5' -> 'xen.gz-2.6.18-308.el5'; a folder virtc does not write
    (/boot/ when /boot is not its own partition) is noted."""
    folder, _, name = word.rpartition("/")
    if folder:
        found.ignored(f"the boot files' folder `{folder}/` (virtc writes /vmlinuz-..., for a separate /boot "
                      "partition)", span)
    return name


def _host_entry(found, src, root, kernel, modules, loaded: bool = False):
    """The default entry of a host grub.conf -> host facts. Returns (port, speed) of the
    serial console when the entry has one, for the header lines. `kernel` is the line that
    boots (the xen.gz module after tboot when `loaded`), `modules` the ones after it."""
    words = _entry_words(src, kernel)
    if not words.items:
        return None
    path_word, path_span = words.pop(0)
    name = _image(found, src, path_word, path_span)
    xen = name.startswith("xen")
    found.set("kernel_kind", "xen" if xen else "linux", path_span)
    derived_args: list[str] = []
    derived_xen: list[str] = []
    serial = speed = None
    xen_args = None
    if xen:
        dom0_entry = modules[0] if modules and "vmlinuz" in modules[0].value.split(" ", 1)[0] else None
        dom0 = _entry_words(src, dom0_entry) if dom0_entry is not None else Words(src, [])
        dom0_name = _image(found, src, *dom0.pop(0)) if dom0.items else ""
        version = name[len("xen.gz-"):] if name.startswith("xen.gz-") else None
        if not version and dom0_name.startswith("vmlinuz-"):
            version = dom0_name[len("vmlinuz-"):]
        take_hypervisor_facts(found, words, derived_xen, unsuffixed_note=True)
        at = words.find(lambda w: _SERIAL_XEN.match(w) is not None)
        m = _SERIAL_XEN.match(words.items[at][0]) if at is not None else None
        # `grub serial comN speed S` stands for the whole set virtc writes: comN=S,8n1 on the
        # xen line and console=ttyS0,S on dom0's (dom0 sees the port as ttyS0 whichever COM
        # port Xen uses, see _serial above). A port without dom0's console stays in xen-args,
        # where VB106 says dom0's messages do not follow it.
        if m is not None and dom0.find(lambda w: w == f"console=ttyS0,{m.group('speed')}") is not None:
            words.pop(at)
            serial, speed = f"com{m.group('port')}", int(m.group("speed"))
            if serial == "com2":
                words.take(lambda w: w == "console=com2L")
            dom0.take(lambda w: w == "console=tty0")
            dom0.take(lambda w: w == f"console=ttyS0,{speed}")
        rootfs, _ = _take_root_args(dom0)
        xen_args, args = words.rest(), dom0.rest()
        found.spans.update({**words.spans("xen-args"), **dom0.spans("args")})
        for extra in modules[2:] if dom0_entry is not None else ():
            found.ignored(f"GRUB module `{_line(src, extra)}` ("
                          + ("a module for tboot, such as its SINIT; " if loaded else "")
                          + "a Xen entry has the dom0 kernel and its initrd)", extra.span)
    else:
        version = name[len("vmlinuz-"):] if name.startswith("vmlinuz-") else None
        tty = words.take(lambda w: _SERIAL_TTY.match(w) is not None)
        if tty is not None:
            m = _SERIAL_TTY.match(tty[0])
            serial, speed = f"com{int(m.group('unit')) + 1}", int(m.group("speed"))
            words.take(lambda w: w == "console=tty0")
        take_linux_derived(found, words, derived_args)
        rootfs, _ = _take_root_args(words)
        args = words.rest()
        found.spans.update(words.spans("args"))
        for extra in modules[1:] if loaded else ():  # after tboot: the initrd, then tboot's own
            found.ignored(f"GRUB module `{_line(src, extra)}` (a module for tboot, such as its SINIT)", extra.span)
    if version:
        found.set("kernel", version[:-len("xen")] if xen and version.endswith("xen") else version, path_span)
    else:
        found.ignored(f"kernel image `{name}` (virtc names it {'xen.gz' if xen else 'vmlinuz'}-VERSION)", path_span)
    if derived_args or derived_xen:
        found.host["boot_derived"] = {"args": tuple(derived_args), "xen_args": tuple(derived_xen)}
    grub = GrubSettings(root.value if root is not None and root.value else None, rootfs, args, serial, speed,
                        xen_args)
    found.set("grub", grub, kernel.span)
    return (serial, speed) if serial else None


def _guest_entry(found, src, guest, root, kernel):
    words = _entry_words(src, kernel)
    if not words.items:
        return
    path_word, path_span = words.pop(0)
    name = _image(found, src, path_word, path_span)
    if name.startswith("xen"):
        found.ignored(f"a Xen hypervisor entry in guest {guest}'s grub.conf", kernel.span)
        return
    if not name.startswith("vmlinuz-") or len(name) == len("vmlinuz-"):
        found.ignored(f"kernel image `{name}` (virtc names it vmlinuz-VERSION)", path_span)
        return
    release, variant = split_release(name[len("vmlinuz-"):])
    rootfs, _ = _take_root_args(words)
    cmdline = words.rest()
    if rootfs is not None and rootfs != DEFAULT_ROOTFS:
        # the guest's own root (anaconda's root=LABEL=/, root=UUID=...) stays on its command
        # line, where guest_grub_conf() writes it in place of the default
        cmdline = f"root={rootfs} {cmdline or ''}".strip()
    if root is not None and root.value != DEFAULT_ROOT:
        found.ignored(f"guest GRUB root `{root.value}` (virtc writes {DEFAULT_ROOT})", root.value_span)
    found.host["guest_boot"] = {guest: (release, cmdline, kernel.span)}
    if variant:
        found.host["guest_variant"] = {guest: variant}


def _header(found, src, header, serial, root, guest: bool, commands) -> None:
    """Lines before the first title. virtc writes default=0 and timeout=5, then either
    the splash image and hiddenmenu or the serial and terminal lines of the serial
    console; anything else there is noted."""
    expected = {}
    if not guest:
        if serial:
            port, speed = serial
            expected = {"serial": f"--unit={int(port[-1]) - 1} --speed={speed} --word=8 --parity=no --stop=1",
                        "terminal": TERMINAL}
        else:
            expected = {"splashimage": f"{root or DEFAULT_ROOT}/grub/splash.xpm.gz", "hiddenmenu": ""}
    expected["timeout"] = "5"
    for e in header:
        if e.key == "default" or e.key not in commands:
            continue  # default chose the entry; unknown commands are VF201
        if expected.get(e.key) == e.value:
            del expected[e.key]  # once: a second copy is noted
            continue
        found.ignored(f"GRUB `{_line(src, e)}`", e.span)

"""GRUB legacy (grub.conf / menu.lst): reading existing files into documents.

Writing host boot entries is the host-files issue; this module already owns the format's
other direction. A document entry is one command line: key = command, value = its
arguments, group = the number of the `title` block it belongs to (-1 before the first).
"""
from __future__ import annotations

import re

from virtc.documents import Document, Entry

# Commands written `name=value` in grub.conf (anaconda writes default=0, timeout=5 ...).
_ASSIGNABLE = frozenset(("default", "timeout", "fallback", "splashimage", "password", "color",
                         "hiddenmenu", "gfxmenu"))
_LINE = re.compile(r"^(?P<indent>[ \t]*)(?P<cmd>[^\s=]+)(?P<sep>[ \t]*=?[ \t]*)(?P<args>.*?)[ \t]*$")


def parse_document(src) -> tuple[Document, list]:
    entries = []
    group = -1
    for start, body in src.lines():
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _LINE.match(body)
        if m is None:  # starts with '=' or an unusual blank: an unknown command (VF201)
            k0 = start + len(body) - len(body.lstrip())
            word = stripped.split()[0]
            entries.append(Entry(word, "", src.span(k0, start + len(body.rstrip())), src.span(k0, k0 + len(word)),
                                 src.span(k0 + len(word), k0 + len(word) + 1), group=group))
            continue
        cmd = m.group("cmd")
        if "=" in m.group("sep") and cmd not in _ASSIGNABLE:
            cmd = stripped.split()[0]  # "console=ttyS0,115200": an argument, not a command
        if cmd == "title":
            group += 1
        cmd_start = start + len(m.group("indent"))
        args_start = cmd_start + len(m.group("cmd")) + len(m.group("sep"))
        span = src.span(cmd_start, start + len(body.rstrip()))
        entries.append(Entry(cmd, m.group("args") if cmd == m.group("cmd") else "", span,
                             src.span(cmd_start, cmd_start + len(cmd)),
                             src.span(args_start, max(args_start + 1, start + len(body.rstrip()))),
                             group=group))
    return Document("grub", src.path, tuple(entries)), []


# ---------------------------------------------------------------- writing

NAME = "grub"
DEFAULT_ROOT = "(hd0,0)"
DEFAULT_ROOTFS = "/dev/VolGroup00/LogVol00"
HEADER = ("# Written by virtc. The `title` entry below is the one to copy into /boot/grub/grub.conf\n"
          "# (/etc/grub.conf links to it); keep your other entries and make `default=` point at\n"
          "# this one (entries count from 0).\n")


def emit(model) -> list:
    from virtc.targets import Artifact

    out = []
    for h in model.hosts:
        if not h.kernel:
            continue
        if h.arch == "ia64":
            out.append(Artifact(f"{h.name}/boot/efi/efi/redhat/elilo.conf", elilo_conf(h), source=h.owner))
        else:
            out.append(Artifact(f"{h.name}/boot/grub/grub.conf", host_grub_conf(h), source=h.owner))
    for g in model.guests:
        text = guest_grub_conf(g)
        if text:
            out.append(Artifact(f"guests/{g.name}/boot/grub/grub.conf", text, source=g.owner))
    return out


def _size(kib: int) -> str:
    from virtc.units import format_kib

    return format_kib(kib)


def _serial(h):
    """(grub header lines, hypervisor args, kernel console args) for the host's serial console."""
    if not h.grub.serial:
        return [], [], []
    speed = h.grub.serial_speed or 115200
    unit = int(h.grub.serial[-1]) - 1
    header = [f"serial --unit={unit} --speed={speed} --word=8 --parity=no --stop=1",
              "terminal --timeout=10 serial console"]
    xen = [f"{h.grub.serial}={speed},8n1"] + (["console=com2L"] if h.grub.serial == "com2" else [])
    # dom0 sees the port as ttyS0 whichever COM port Xen uses (guide §34.11.1, line 5860).
    tty = "ttyS0" if h.hypervisor == "xen" else f"ttyS{unit}"
    return header, xen, ["console=tty0", f"console={tty},{speed}"]


def host_grub_conf(h) -> str:
    header, xen_serial, console = _serial(h)
    v = h.kernel
    root = h.grub.root or DEFAULT_ROOT
    rootfs = h.grub.rootfs or DEFAULT_ROOTFS
    lines = [HEADER.rstrip("\n"), "default=0", "timeout=5"]
    if not header:
        lines += ["splashimage=" + root + "/grub/splash.xpm.gz", "hiddenmenu"]
    lines += header
    if h.hypervisor == "xen":
        base = v[: -len("xen")] if v.endswith("xen") else v
        xen_args = []
        if h.dom0_memory_kib:
            xen_args.append(f"dom0_mem={_size(h.dom0_memory_kib)}")
        if h.dom0_vcpus:
            xen_args.append(f"dom0_max_vcpus={h.dom0_vcpus}")
        xen_args += xen_serial + (h.grub.xen_args or "").split()
        dom0 = ["ro", f"root={rootfs}"] + console + (h.grub.args or "").split()
        lines += [f"title Red Hat Enterprise Linux Server ({base}xen)",
                  f"\troot {root}",
                  " ".join([f"\tkernel /xen.gz-{base}"] + xen_args),
                  " ".join([f"\tmodule /vmlinuz-{base}xen"] + dom0),
                  f"\tmodule /initrd-{base}xen.img"]
    else:
        args = ["ro", f"root={rootfs}"] + console + (h.grub.args or "").split()
        lines += [f"title Red Hat Enterprise Linux Server ({v})",
                  f"\troot {root}",
                  " ".join([f"\tkernel /vmlinuz-{v}"] + args),
                  f"\tinitrd /initrd-{v}.img"]
    return "\n".join(lines) + "\n"


def elilo_conf(h) -> str:
    """An Itanium host's ELILO stanza (guide §29): hypervisor options before `--`."""
    v = h.kernel
    base = v[: -len("xen")] if v.endswith("xen") else v
    rootfs = h.grub.rootfs or DEFAULT_ROOTFS
    hyp = []
    if h.dom0_memory_kib:
        hyp.append(f"dom0_mem={_size(h.dom0_memory_kib)}")
    if h.dom0_vcpus:
        hyp.append(f"dom0_max_vcpus={h.dom0_vcpus}")
    hyp += (h.grub.xen_args or "").split()
    kernel = (h.grub.args or "").split()
    append = " ".join(hyp + ["--"] + kernel)
    return ("# Written by virtc: the image stanza for elilo.conf on the EFI boot partition\n"
            "# (/etc/elilo.conf links to it).\n"
            f"image=vmlinuz-{base}xen\n"
            f"\tvmm=xen.gz-{base}\n"
            "\tlabel=linux\n"
            f"\tinitrd=initrd-{base}xen.img\n"
            "\tread-only\n"
            f"\troot={rootfs}\n"
            f'\tappend="{append}"\n')


def guest_grub_conf(g) -> str | None:
    """The entry of a Linux guest's own grub.conf, with the arguments its kernel needs
    (clock arguments of §16, serial console of §34.11), for guests that boot their own
    kernel and state its version (`os-kernel`)."""
    if g.boot.kernel or not g.kernel_release or not g.os or g.os.family not in ("rhel", "fedora"):
        return None
    v = g.kernel_release
    if g.kernel_variant and not v.endswith(g.kernel_variant):
        v += g.kernel_variant
    elif g.type == "xen-pv" and not v.endswith("xen"):
        v += "xen"
    console = []
    if g.serials:
        console = ["console=xvc0"] if g.type == "xen-pv" else ["console=tty0", "console=ttyS0,115200"]
    args = ["ro", f"root={DEFAULT_ROOTFS}"] + console + [a for a in (g.boot.cmdline or "").split()
                                                          if a not in console]
    return ("# Written by virtc: the entry for /boot/grub/grub.conf inside guest "
            f"{g.name}.\n"
            "default=0\n"
            "timeout=5\n"
            f"title Red Hat Enterprise Linux ({v})\n"
            f"\troot {DEFAULT_ROOT}\n"
            f"\tkernel /vmlinuz-{v} {' '.join(args)}\n"
            f"\tinitrd /initrd-{v}.img\n")


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of host_grub_conf() and guest_grub_conf(): the default entry's
# kernel, root and arguments become host facts (or a guest's kernel and command line),
# and the words virtc writes from a fact (dom0_mem=, com1=, console=, ro, root=) are taken
# out of the argument strings again, so that reading virtc's own file and writing it anew
# gives the same bytes. What is left is `grub args` / `xen-args`, as written.

_GUEST_PATH = re.compile(r"(?:^|/)guests/(?P<name>[^/]+)/boot/grub/(?:grub\.conf|menu\.lst)$")
_GUEST_HEADER = re.compile(r"# Written by virtc: the entry for /boot/grub/grub\.conf inside guest (?P<name>\S+)\.")
_SERIAL_XEN = re.compile(r"^com(?P<port>[12])=(?P<speed>[0-9]{1,7}),8n1$")
_SERIAL_TTY = re.compile(r"^console=ttyS(?P<unit>[01]),(?P<speed>[0-9]{1,7})$")
# A kernel release and its variant, as RHEL names kernel packages: 2.6.18-308.el5 + xen,
# 2.6.18-128.el5 + PAE, 2.6.9-67.EL + smp.
_RELEASE = re.compile(r"^(?P<release>.+?\.(?:el[0-9]+|EL))(?P<variant>[A-Za-z][A-Za-z0-9]*)?$")
TERMINAL = "--timeout=10 serial console"


class Words:
    """The words of one boot line and where each is. The reader takes out the words that
    are model facts; the rest, in order, become `grub args` or `xen-args`."""

    def __init__(self, src, words):
        self.src = src
        self.items: list[tuple[str, int]] = list(words)

    @classmethod
    def of(cls, src, text: str, offset: int) -> "Words":
        return cls(src, [(m.group(0), offset + m.start()) for m in re.finditer(r"\S+", text)])

    def find(self, pred, last: bool = False) -> int | None:
        hits = [i for i, (w, _) in enumerate(self.items) if pred(w)]
        return (hits[-1] if last else hits[0]) if hits else None

    def pop(self, i: int):
        word, start = self.items.pop(i)
        return word, self.src.span(start, start + len(word))

    def take(self, pred, last: bool = False):
        i = self.find(pred, last)
        return None if i is None else self.pop(i)

    def rest(self) -> str | None:
        return " ".join(w for w, _ in self.items) or None


def _count(text: str, digits: int = 6) -> int | None:
    """A whole number written in ASCII digits (str.isdigit also takes '²', which int() refuses)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


def _entry_words(src, e) -> Words:
    """The arguments of a grub.conf command (its value starts at value_span)."""
    return Words.of(src, e.value, e.value_span.start)


def _line(src, e, limit: int = 60) -> str:
    text = src.text[e.span.start:e.span.end].strip()
    return text if len(text) <= limit else text[:limit - 3] + "..."


def split_release(version: str) -> tuple[str, str | None]:
    """'2.6.18-308.el5xen' -> ('2.6.18-308.el5', 'xen'): what `os-kernel R variant V` says."""
    m = _RELEASE.match(version)
    return (m.group("release"), m.group("variant")) if m else (version, None)


def _iommu_value(word: str, names: dict) -> bool | None:
    """names: parameter -> (values meaning on, values meaning off, bare word means on)."""
    name, eq, value = word.partition("=")
    if name not in names:
        return None
    on, off, bare = names[name]
    if not eq:
        return True if bare else None
    return True if value in on else False if value in off else None


def take_iommu(found, words: Words, names: dict, derived: list) -> None:
    """IOMMU switches -> the host's `iommu` fact. The last one counts (the kernel and the
    hypervisor read their command line left to right)."""
    hits = []
    while True:
        i = words.find(lambda w: _iommu_value(w, names) is not None)
        if i is None:
            break
        hits.append(words.pop(i))
    if hits:
        word, span = hits[-1]
        found.set("iommu", _iommu_value(word, names), span)
        derived.extend(w for w, _ in hits)


def _xen_iommu_names() -> dict:
    from virtc.limits import limits

    on = tuple(limits()["passthrough.iommu_boot_args"].value["xen"]["values"])
    return {"iommu": (on, ("off", "0"), True)}


def _linux_iommu_names() -> dict:
    from virtc.limits import limits

    on = tuple(limits()["passthrough.iommu_boot_args"].value["kvm_intel"]["values"])
    return {"intel_iommu": (on, ("off",), False), "amd_iommu": (("on",), ("off",), False)}


def take_hypervisor_facts(found, words: Words, derived: list, *, unsuffixed_note: bool) -> None:
    """dom0_mem=, dom0_max_vcpus= and iommu= of the hypervisor's command line (the xen.gz
    line, or ELILO's append before `--`) -> dom0_memory_kib, dom0_vcpus, iommu. A value the
    hypervisor would not read stays in xen-args, where the boot rules report it."""
    from virtc.diagnostics import Severity
    from virtc.limits import limits
    from virtc.rules.boot import HypervisorOptionValue, UnsuffixedHypervisorMemory, hypervisor_size
    from virtc.units import format_kib

    suffixes = limits()["boot.memory_suffixes"]
    i = words.find(lambda w: w.startswith("dom0_mem="), last=True)
    if i is not None:
        value = words.items[i][0][len("dom0_mem="):]
        state, kib = hypervisor_size(value, suffixes.value) if len(value) <= 18 else ("bad", None)
        if state != "bad" and kib:
            word, span = words.pop(i)
            found.set("dom0_memory_kib", kib, None)
            found.spans["dom0_memory"] = span
            found.spans.setdefault("dom0", span)
            # The hypervisor reads these forms too, but the guide warns about them; the
            # host rules cannot see them once they are a fact, so say it here.
            if state == "decimal":
                found.diagnostics.append(HypervisorOptionValue().report(
                    f"{word}: '{value}' ends in B after the unit (contradiction C-29): the hypervisor reads "
                    f"{format_kib(kib)} and ignores the B", span, severity=Severity.WARNING, limit=suffixes,
                    hint=f"write dom0_mem={value[:-1]}"))
            elif state == "unsuffixed" and unsuffixed_note:
                found.diagnostics.append(UnsuffixedHypervisorMemory().report(
                    f"{word} has no unit, so the hypervisor reads it in KiB: {format_kib(kib)}", span,
                    limit=suffixes, hint=f"write dom0_mem={value}M if MiB were meant"))
    i = words.find(lambda w: w.startswith("dom0_max_vcpus="), last=True)
    if i is not None:
        count = _count(words.items[i][0][len("dom0_max_vcpus="):])
        if count:
            word, span = words.pop(i)
            found.set("dom0_vcpus", count, span)
            found.spans.setdefault("dom0", span)
    take_iommu(found, words, _xen_iommu_names(), derived)


def take_linux_derived(found, words: Words, derived: list) -> None:
    """What virtc derives onto a KVM (or bare-metal) host's kernel line: intel_iommu=on
    from `iommu on` (amd_iommu likewise), processor.max_cstate=1 from a CPU without
    constant_tsc (compiler/derive.py)."""
    from virtc.limits import limits

    take_iommu(found, words, _linux_iommu_names(), derived)
    for wanted in limits()["kvm.no_constant_tsc_host_args"].value:
        hit = words.take(lambda w: w == wanted)
        if hit is not None:
            derived.append(hit[0])


def _take_root_args(words: Words):
    """`ro` and `root=DEV`, which virtc writes first on every Linux kernel line."""
    words.take(lambda w: w == "ro")
    root = words.take(lambda w: w.startswith("root=") and len(w) > len("root="))
    return (root[0][len("root="):], root[1]) if root else (None, None)


def restore_derived(host, founds):
    """After assembling a host (and after derive(), for `virtc import`): put back the boot
    arguments a reader took out as facts (iommu switches, processor.max_cstate=1) wherever
    the host's arguments do not already set that parameter, so nothing the file says is
    lost when derive() would not write it again (e.g. iommu without passthrough guests)."""
    from dataclasses import replace

    def add(args, words):
        have = {w.split("=", 1)[0] for w in (args or "").split()}
        extra = [w for w in words if w.split("=", 1)[0] not in have]
        return " ".join((args or "").split() + extra) or None

    args, xen_args = host.grub.args, host.grub.xen_args
    for f in founds:
        d = f.host.get("boot_derived") or {}
        args = add(args, d.get("args", ()))
        xen_args = add(xen_args, d.get("xen_args", ()))
    return replace(host, grub=replace(host.grub, args=args, xen_args=xen_args))


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
    from virtc.readback import Found
    from virtc.rules.grubfile import COMMANDS
    from virtc.source import SourceFile

    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    guest = _guest_name(path, text)
    if guest:  # a guest's own entry: checked as grub.conf, except for what only a host needs
        from dataclasses import replace

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
        if guest:
            _guest_entry(found, src, guest, root, kernel)
        else:
            serial = _host_entry(found, src, root, kernel, modules)
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


def _host_entry(found, src, root, kernel, modules):
    """The default entry of a host grub.conf -> host facts. Returns (port, speed) of the
    serial console when the entry has one, for the header lines."""
    from virtc.model import GrubSettings

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
        port = words.take(lambda w: _SERIAL_XEN.match(w) is not None)
        if port is not None:
            m = _SERIAL_XEN.match(port[0])
            serial, speed = f"com{m.group('port')}", int(m.group("speed"))
            if serial == "com2":
                words.take(lambda w: w == "console=com2L")
            dom0.take(lambda w: w == "console=tty0")
            # dom0 sees the port as ttyS0 whichever COM port Xen uses (see _serial above).
            dom0.take(lambda w: w == f"console=ttyS0,{speed}")
        rootfs, _ = _take_root_args(dom0)
        xen_args, args = words.rest(), dom0.rest()
        for extra in modules[2:] if dom0_entry is not None else ():
            found.ignored(f"GRUB module `{_line(src, extra)}` (a Xen entry has the dom0 kernel and its initrd)",
                          extra.span)
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
    rootfs, rootfs_span = _take_root_args(words)
    if rootfs is not None and rootfs != DEFAULT_ROOTFS:
        found.ignored(f"guest root file system `root={rootfs}` (virtc writes root={DEFAULT_ROOTFS})", rootfs_span)
    if root is not None and root.value != DEFAULT_ROOT:
        found.ignored(f"guest GRUB root `{root.value}` (virtc writes {DEFAULT_ROOT})", root.value_span)
    found.host["guest_boot"] = {guest: (release, words.rest(), kernel.span)}
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

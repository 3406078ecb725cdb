"""ELILO, the Itanium boot loader (guide §29): elilo.conf on the EFI boot partition,
/etc/elilo.conf linking to it. An elilo.conf means an Itanium host.

A document entry is one option of a stanza: key = option (image, vmm, label, initrd,
read-only, root, append, ...), value = its value without quotes, group = the image
stanza's number (-1 for global options).
"""
from __future__ import annotations

import re

from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import GrubSettings
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile
from virtc.units import format_kib

from .bootline import DEFAULT_ROOTFS, Words, take_hypervisor_facts, take_linux_derived
from .format import Artifact, Format

_OPTION = re.compile(r'^(?P<indent>[ \t]*)(?P<key>[A-Za-z_-]+)(?:[ \t]*=[ \t]*(?P<value>"[^"]*"|\S*))?[ \t]*$')


def parse_document(src) -> tuple[Document, list]:
    entries, group = [], -1
    for start, body in src.lines():
        s = body.strip()
        if not s or s.startswith("#"):
            continue
        m = _OPTION.match(body)
        if not m:
            k0 = start + len(body) - len(body.lstrip())
            entries.append(Entry(s.split()[0], s, src.span(k0, start + len(body.rstrip())),
                                 src.span(k0, k0 + len(s.split()[0])), src.span(k0, start + len(body.rstrip())),
                                 group=group))
            continue
        key = m.group("key")
        if key == "image":
            group += 1
        raw = m.group("value") or ""
        k0 = start + len(m.group("indent"))
        v0 = start + m.start("value") if m.group("value") is not None else k0
        entries.append(Entry(key, raw.strip('"'), src.span(k0, start + len(body.rstrip())),
                             src.span(k0, k0 + len(key)), src.span(v0, max(v0 + 1, start + len(body.rstrip()))),
                             group=group))
    return Document("elilo", src.path, tuple(entries), src), []


# ---------------------------------------------------------------- writing

def emit(model) -> list[Artifact]:
    return [Artifact(f"{h.name}/boot/efi/efi/redhat/elilo.conf", elilo_conf(h), source=h.owner)
            for h in model.hosts if h.kernel and h.arch == "ia64"]


def elilo_conf(h) -> str:
    """An Itanium host's ELILO stanza (guide §29): hypervisor options before `--`."""
    v = h.kernel
    base = v[: -len("xen")] if v.endswith("xen") else v
    rootfs = h.grub.rootfs or DEFAULT_ROOTFS
    hyp = []
    if h.dom0_memory_kib:
        hyp.append(f"dom0_mem={format_kib(h.dom0_memory_kib)}")
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


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of elilo_conf(): the default image stanza gives the kernel,
# the root file system and the append line, whose words before `--` are the hypervisor's
# (dom0_mem=, dom0_max_vcpus=, iommu= become facts; the rest `xen-args`) and after it the
# dom0 kernel's (`grub args`). An elilo.conf means an Itanium host.

# What virtc writes in a stanza: these options are the model (label is always linux).
_STANZA = ("image", "vmm", "label", "initrd", "read-only", "root", "append")


def _unreadable(e) -> bool:
    """A line the option pattern did not match (the parser keeps it whole as the value)."""
    return bool(e.value) and e.value_span.start == e.span.start


def _append_words(src, e):
    raw = src.text[e.value_span.start:e.value_span.end]
    quote = len(raw) - len(raw.lstrip('"'))
    return Words.of(src, e.value, e.value_span.start + quote)


def read(text: str, path: str):
    """elilo.conf as host facts: arch ia64, kernel, kernel_kind, dom0, iommu, grub."""
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "elilo", doc, diagnostics=list(problems))
    stanzas: dict[int, list] = {}
    default = None
    for e in doc.entries:
        if e.group >= 0:
            stanzas.setdefault(e.group, []).append(e)
        elif e.key == "default" and not _unreadable(e):
            default = e.value
        elif _unreadable(e):
            found.ignored(f"ELILO line `{e.value[:60]}` (not option=value)", e.span)
        else:
            found.ignored(f"ELILO global option `{e.key}`", e.span)
    chosen = None
    for n, stanza in stanzas.items():
        labels = [e.value for e in stanza if e.key == "label"]
        if chosen is None and (default is None or default in labels):
            chosen = n
    if chosen is None and stanzas:
        chosen = min(stanzas)  # no stanza carries the default label: ELILO boots the first
    for n, stanza in stanzas.items():
        if n != chosen:
            found.ignored(f"ELILO image stanza `{stanza[0].value}` (only the default stanza is read)",
                          stanza[0].span)
    if chosen is None:
        return found
    keys: dict[str, object] = {}
    for e in stanzas[chosen]:
        if _unreadable(e):
            found.ignored(f"ELILO line `{e.value[:60]}` (not option=value)", e.span)
        elif e.key not in _STANZA or e.key in keys:
            found.ignored(f"ELILO option `{e.key}` in the default stanza", e.span)
        elif e.key == "label" and e.value != "linux":
            found.ignored(f"ELILO label `{e.value}` (virtc writes label=linux)", e.value_span)
            keys[e.key] = e
        else:
            keys[e.key] = e
    image, vmm = keys["image"], keys.get("vmm")
    found.set("arch", "ia64", image.span)
    found.set("kernel_kind", "xen" if vmm is not None else "linux", (vmm or image).span)
    image_name = image.value.rsplit("/", 1)[-1]
    vmm_name = vmm.value.rsplit("/", 1)[-1] if vmm is not None else ""
    for e, name in ((image, image_name), (vmm, vmm_name)):
        if e is not None and name != e.value:
            found.ignored(f"the boot files' folder of `{e.value}` (virtc writes file names only)", e.value_span)
    version = None
    if vmm_name.startswith("xen.gz-"):
        version = vmm_name[len("xen.gz-"):]
    elif image_name.startswith("vmlinuz-"):
        version = image_name[len("vmlinuz-"):]
    if version and vmm is not None and version.endswith("xen"):
        version = version[:-len("xen")]
    if version:
        found.set("kernel", version, (vmm or image).value_span)
    else:
        found.ignored(f"kernel image `{image.value}` (virtc names it vmlinuz-VERSION)", image.value_span)
    words = _append_words(src, keys["append"]) if "append" in keys else Words(src, [])
    derived_args: list[str] = []
    derived_xen: list[str] = []
    if vmm is not None:
        sep = words.find(lambda w: w == "--")
        # Without `--` ELILO hands the whole line to the hypervisor (VF602 says so).
        hyp = Words(src, words.items[:sep] if sep is not None else words.items)
        kernel = Words(src, words.items[sep + 1:] if sep is not None else [])
        # VF602 already warns about a dom0_mem without a unit in elilo.conf.
        take_hypervisor_facts(found, hyp, derived_xen, unsuffixed_note=False)
        xen_args, args = hyp.rest(), kernel.rest()
        found.spans.update({**hyp.spans("xen-args"), **kernel.spans("args")})
    else:
        take_linux_derived(found, words, derived_args)
        xen_args, args = None, words.rest()
        found.spans.update(words.spans("args"))
    if derived_args or derived_xen:
        found.host["boot_derived"] = {"args": tuple(derived_args), "xen_args": tuple(derived_xen)}
    rootfs = keys["root"].value if "root" in keys and keys["root"].value else None
    found.set("grub", GrubSettings(None, rootfs, args, None, None, xen_args), image.span)
    return found


# ---------------------------------------------------------------- format-level rules

_COM = re.compile(r"^com[12]=(auto|[0-9]+)(,[0-9][noeNOE][0-9](,0x[0-9a-fA-F]+(,[0-9]+)?)?)?$")
_MEM = re.compile(r"^(?P<key>dom0_mem|mem)=(?P<amount>[0-9]+)(?P<unit>[BKMG]?)$")


def _xen_console(value: str, devices) -> bool:
    """console=vga,com1 / console=com2L: every item of the list is one of Xen's consoles."""
    items = value.split(",")
    return bool(value) and all((i[:-1] if i.startswith("com") and i[-1:] in ("H", "L") else i) in devices
                               for i in items)


def _stanzas(doc: Document) -> dict[int, list]:
    out: dict[int, list] = {}
    for e in doc.entries:
        if e.group >= 0:
            out.setdefault(e.group, []).append(e)
    return out


class EliloRule(Rule):
    scope = Scope.DOCUMENT
    formats = ("elilo",)


class EliloXenStanza(EliloRule):
    """An ELILO stanza that boots Xen names the hypervisor (vmm=) and the xen kernel.

    What it checks: stanzas whose image or vmm mentions xen: both `vmm=xen.gz-V` and
    `image=vmlinuz-Vxen` are present, with an initrd.

    Why: the Xen stanza "defines a hypervisor (vmm), initrd, and command line arguments
    (read-only, root and append) to the hypervisor and kernel" (§29, lines 4620-4638).

    Example:
        image=vmlinuz-2.6.18-92.el5xen
            label=linux
            initrd=initrd-2.6.18-92.el5xen.img

    Fix: add vmm=xen.gz-2.6.18-92.el5.
    """

    code, name, severity = "VF601", "elilo-xen-stanza", Severity.ERROR
    checklist, section, lines = ("BOOT-14",), "§29", "4620-4638"

    def document(self, doc: Document):
        for stanza in _stanzas(doc).values():
            keys = {e.key: e for e in stanza}
            image = keys.get("image")
            vmm = keys.get("vmm")
            if image is None or ("xen" not in image.value and vmm is None):
                continue
            if vmm is None:
                yield self.report(f"stanza {image.value} boots a xen kernel without vmm=", image.span,
                                  hint="add vmm=xen.gz-VERSION")
            elif not image.value.endswith("xen"):
                yield self.report(f"vmm= is set but image {image.value} is not a xen kernel", image.value_span, hint="image=vmlinuz-VERSIONxen")
            if "initrd" not in keys:
                yield self.report(f"Xen stanza {image.value} has no initrd=", image.span)


class EliloAppend(EliloRule):
    """ELILO's append line puts hypervisor options before `--` and kernel options after it.

    What it checks: in a Xen stanza, an append without `--`; hypervisor options (dom0_mem,
    dom0_max_vcpus, com1, com2, and console= naming vga/com1/com2) after `--`, where the
    dom0 kernel gets them; mem= after `--` as a warning (Linux reads mem= too, so there it
    limits dom0's kernel, not the hypervisor); `console=` before `--` at all (it should be
    left out); memory values without a suffix (taken as KB); com1/com2 values that are not
    `<baud>,DPS[,<io_base>[,<irq>]]`. A Linux console after `--` (console=tty0,
    console=ttyS0,115200, console=xvc0) is dom0's own and is not reported.

    Why: "hypervisor arguments before '--', kernel arguments after it"; "the '--' remains
    so that the appended line is correctly treated as hypervisor arguments" (§29, lines
    4638-4647, 4660-4668); mem= and dom0_mem= "take the suffixes B, K, M, G; without a
    suffix the value is in KB" (line 4650); com1 is "com1=<baud>,DPS,<io_base>,<irq>"
    (line 4653); console= "should be omitted: the hypervisor inherits the EFI console
    settings" (line 4655).

    Example:
        append="dom0_mem=2048 console=vga -- quiet"

    Fix: append="dom0_mem=2G --" followed by the kernel options.
    """

    code, name, severity = "VF602", "elilo-append", Severity.ERROR
    checklist, section, lines = ("BOOT-15", "BOOT-16", "BOOT-17", "BOOT-18"), "§29", "4638-4668"
    HYPERVISOR = ("dom0_mem", "dom0_max_vcpus", "mem", "com1", "com2", "console")
    uses = ("boot.hypervisor_options", "boot.xen_console_values")

    def document(self, doc: Document):
        for stanza in _stanzas(doc).values():
            keys = {e.key: e for e in stanza}
            if "vmm" not in keys or "append" not in keys:
                continue
            a = keys["append"]
            # `--` as a word, as ELILO and read() split the line (not inside another word)
            words = a.value.split()
            sep = words.index("--") if "--" in words else None
            before, after = (words, []) if sep is None else (words[:sep], words[sep + 1:])
            if sep is None:
                yield self.report("append has no '--': ELILO passes it all to the hypervisor", a.value_span, hint='end the hypervisor options with " --"')
            for tok in after:
                finding = self._misplaced(tok)
                if finding is not None:
                    message, severity, hint = finding
                    yield self.report(message, a.value_span, severity=severity, hint=hint)
            for tok in before:
                name = tok.split("=", 1)[0]
                if name == "console":
                    yield self.report(f"{tok}: leave console= out; the hypervisor inherits the EFI console",
                                      a.value_span, severity=Severity.WARNING)
                m = _MEM.match(tok)
                if m and not m.group("unit"):
                    yield self.report(f"{tok} has no unit, so it means {m.group('amount')} KB", a.value_span, severity=Severity.WARNING,
                                      hint=f"write {m.group('key')}={m.group('amount')}M or G")
                if name in ("com1", "com2") and not _COM.match(tok):
                    yield self.report(f"{tok} is not {name}=<baud>,DPS[,<io_base>[,<irq>]]", a.value_span,
                                      hint=f"e.g. {name}=9600,8n1,0x408,5")

    def _misplaced(self, tok: str):
        """(message, severity, hint) for a kernel option after `--` that is the hypervisor's,
        else None. Everything after `--` goes to dom0's Linux kernel: console= is misplaced
        only with Xen's values (vga, com1, com2: Linux's are tty0, ttyS0, xvc0, ...), and mem=,
        which Linux reads as well, is a warning (it limits dom0's kernel instead)."""
        name, eq, value = tok.partition("=")
        if name not in self.HYPERVISOR:
            return None
        if name == "console":
            devices = self.limit("boot.xen_console_values").value
            if not (eq and _xen_console(value, devices)):
                return None  # console=tty0, console=ttyS0,115200: dom0's own console
        spec = self.limit("boot.hypervisor_options").value.get(name) or {}
        if spec.get("also_linux"):
            return (f"{tok} comes after '--', among the kernel options: Linux reads it too, so it limits "
                    "dom0's kernel, not the hypervisor", Severity.WARNING,
                    "move it before -- if the hypervisor is meant")
        return (f"hypervisor option {tok} comes after '--', among the kernel options", None, "move it before --")


def recognise(text: str, name: str = "") -> bool:
    """An image stanza: `image=` with `append=` or `vmm=` options."""
    return bool(re.search(r"^[ \t]*image[ \t]*=", text, re.M) and re.search(r"^[ \t]*(append|vmm|initrd)[ \t]*=", text, re.M))


FORMAT = Format(
    "elilo", "ELILO boot configuration of an Itanium host (elilo.conf)",
    paths=("boot/efi/efi/redhat/elilo.conf", "etc/elilo.conf"), names=("*elilo.conf",), recognise=recognise,
    read=read, emit=emit, target="grub", rules=rules_in(globals()), facts=("grub",), single=True)

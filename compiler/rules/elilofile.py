"""Format-level rules for existing ELILO configurations (elilo.conf on Itanium hosts),
read by targets/elilo.py."""
from __future__ import annotations

import re

from ..diagnostics import Severity
from ..documents import Document
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}
_COM = re.compile(r"^com[12]=(auto|[0-9]+)(,[0-9][noeNOE][0-9](,0x[0-9a-fA-F]+(,[0-9]+)?)?)?$")
_MEM = re.compile(r"^(?P<key>dom0_mem|mem)=(?P<amount>[0-9]+)(?P<unit>[BKMG]?)$")


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
    dom0_max_vcpus, mem, com1, com2, console) after `--`; `console=` at all (it should be
    left out); memory values without a suffix (taken as KB); com1/com2 values that are not
    `<baud>,DPS[,<io_base>[,<irq>]]`.

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

    def document(self, doc: Document):
        for stanza in _stanzas(doc).values():
            keys = {e.key: e for e in stanza}
            if "vmm" not in keys or "append" not in keys:
                continue
            a = keys["append"]
            before, sep, after = a.value.partition("--")
            if not sep:
                yield self.report("append has no '--': ELILO passes it all to the hypervisor", a.value_span, hint='end the hypervisor options with " --"')
            for tok in after.split():
                if tok.split("=", 1)[0] in self.HYPERVISOR:
                    yield self.report(f"hypervisor option {tok} comes after '--', among the kernel options",
                                      a.value_span, hint="move it before --")
            for tok in before.split():
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

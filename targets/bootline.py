"""The words of a kernel command line, shared by the boot loaders' readers (grub.conf's
kernel and module lines, elilo.conf's append): which words are model facts (dom0_mem=,
dom0_max_vcpus=, the IOMMU switches, processor.max_cstate=1), taken out so that what is
left is `grub args` / `xen-args` as written, and put back after the host is assembled.
"""
from __future__ import annotations

import re
from dataclasses import replace

from virtc.diagnostics import Severity, warning
from virtc.limits import limits
from virtc.rules.base import cited
from virtc.units import format_kib, hypervisor_size

# What virtc writes when a host or guest does not say: the first partition of the first
# disk holds /boot, the root file system is anaconda's default logical volume.
DEFAULT_ROOT = "(hd0,0)"
DEFAULT_ROOTFS = "/dev/VolGroup00/LogVol00"

# Codes of the boot rules (compiler/rules/boot.py) a reader reports while it still sees
# the raw value: once read, `dom0_mem=256MB` and `dom0_mem=256M` are the same fact.
HYPERVISOR_OPTION_VALUE = "VB103"
UNSUFFIXED_HYPERVISOR_MEMORY = "VB104"



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

    def take_all(self, pred) -> list:
        """Every word `pred` holds for taken out, in order, with its span: in one pass (a
        find per word taken read a line of a thousand of them a thousand times)."""
        taken, kept = [], []
        for word, start in self.items:
            if pred(word):
                taken.append((word, self.src.span(start, start + len(word))))
            else:
                kept.append((word, start))
        self.items = kept
        return taken

    def rest(self) -> str | None:
        return " ".join(w for w, _ in self.items) or None

    def spans(self, field: str) -> dict:
        """Where each remaining word is, as field spans named "FIELD WORD" (the first of
        repeated words), so that a finding about one option points at it."""
        out: dict = {}
        for w, start in self.items:
            out.setdefault(f"{field} {w}", self.src.span(start, start + len(w)))
        return out


def _count(text: str, digits: int = 6) -> int | None:
    """A whole number written in ASCII digits (str.isdigit also takes '²', which int() refuses)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= digits else None


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
    hits = words.take_all(lambda w: _iommu_value(w, names) is not None)
    if hits:
        word, span = hits[-1]
        found.set("iommu", _iommu_value(word, names), span)
        derived.extend(w for w, _ in hits)


def _xen_iommu_names() -> dict:
    on = tuple(limits()["passthrough.iommu_boot_args"].value["xen"]["values"])
    return {"iommu": (on, ("off", "0"), True)}


def _linux_iommu_names() -> dict:
    on = tuple(limits()["passthrough.iommu_boot_args"].value["kvm_intel"]["values"])
    return {"intel_iommu": (on, ("off",), False), "amd_iommu": (("on",), ("off",), False)}


def take_hypervisor_facts(found, words: Words, derived: list, *, unsuffixed_note: bool) -> None:
    """dom0_mem=, dom0_max_vcpus= and iommu= of the hypervisor's command line (the xen.gz
    line, or ELILO's append before `--`) -> dom0_memory_kib, dom0_vcpus, iommu. A value the
    hypervisor would not read stays in xen-args, where the boot rules report it."""
    suffixes = limits()["boot.memory_suffixes"]
    i = words.find(lambda w: w.startswith("dom0_mem="), last=True)
    if i is not None:
        value = words.items[i][0][len("dom0_mem="):]
        if "," in value or value.startswith(("min:", "max:")):
            value = _later_dom0_mem(found, words, i, value)
        state, kib = hypervisor_size(value, suffixes.value) if len(value) <= 18 else ("bad", None)
        if state != "bad" and kib:
            word, span = words.pop(i)
            found.set("dom0_memory_kib", kib, None)
            found.spans["dom0_memory"] = span
            found.spans.setdefault("dom0", span)
            # The hypervisor reads these forms too, but the guide warns about them; the
            # host rules cannot see them once they are a fact, so say it here.
            if state == "decimal":
                found.diagnostics.append(cited(
                    HYPERVISOR_OPTION_VALUE, Severity.WARNING,
                    f"{word}: '{value}' ends in B after the unit (contradiction C-29): the hypervisor reads "
                    f"{format_kib(kib)} and ignores the B", span, suffixes, hint=f"write dom0_mem={value[:-1]}"))
            elif state == "unsuffixed" and unsuffixed_note:
                found.diagnostics.append(cited(
                    UNSUFFIXED_HYPERVISOR_MEMORY, Severity.WARNING,
                    f"{word} has no unit, so the hypervisor reads it in KiB: {format_kib(kib)}", span,
                    suffixes, hint=f"write dom0_mem={value}M if MiB were meant"))
    i = words.find(lambda w: w.startswith("dom0_max_vcpus="), last=True)
    if i is not None:
        count = _count(words.items[i][0][len("dom0_max_vcpus="):])
        if count:
            word, span = words.pop(i)
            found.set("dom0_vcpus", count, span)
            found.spans.setdefault("dom0", span)
    take_iommu(found, words, _xen_iommu_names(), derived)


def _later_dom0_mem(found, words: Words, i: int, value: str) -> str:
    """Xen 3.3's `dom0_mem=[min:A,][max:B,][C]`: RHEL 5's hypervisor (Xen 3.1) reads the
    amount up to the first comma. Say so (VF009), and read the amount (C, else the first
    part) as the fact."""
    parts = value.split(",")
    plain = [p for p in parts if not p.startswith(("min:", "max:"))]
    amount = plain[0] if plain else parts[0].split(":", 1)[-1]
    word, start = words.items[i]
    found.diagnostics.append(warning(
        "VF009", f"{word} is the syntax of Xen 3.3 and later (min:/max:), not of RHEL 5's Xen 3.1, which "
                 f"reads {parts[0]!r} and stops at the comma", words.src.span(start, start + len(word)),
        hint=f"dom0_mem={amount}"))
    return amount


def take_linux_derived(found, words: Words, derived: list) -> None:
    """What virtc derives onto a KVM (or bare-metal) host's kernel line: intel_iommu=on
    from `iommu on` (amd_iommu likewise), processor.max_cstate=1 from a CPU without
    constant_tsc (compiler/derive.py)."""
    take_iommu(found, words, _linux_iommu_names(), derived)
    for wanted in limits()["kvm.no_constant_tsc_host_args"].value:
        hit = words.take(lambda w: w == wanted)
        if hit is not None:
            derived.append(hit[0])


def restore_derived(host, founds):
    """After assembling a host (and after derive(), for `virtc import`): put back the boot
    arguments a reader took out as facts (iommu switches, processor.max_cstate=1) wherever
    the host's arguments do not already set that parameter, so nothing the file says is
    lost when derive() would not write it again (e.g. iommu without passthrough guests)."""
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

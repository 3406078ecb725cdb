"""Format-level rules for existing GRUB legacy files (grub.conf, menu.lst), read by
targets/grub.py: commands, entry layout, the default entry, serial options."""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Related, Severity
from virtc.documents import Document
from virtc.rules.base import Rule, Scope, rules_in
from virtc.suggest import closest, did_you_mean
from virtc.values import is_number

# GRUB 0.97's menu and general commands (grub(8) info manual, "Commands").
COMMANDS = frozenset("""
title root rootnoverify kernel module modulenounzip initrd default timeout fallback hiddenmenu
splashimage serial terminal password color makeactive chainloader savedefault lock boot map
setkey uppermem configfile foreground background gfxmenu ifconfig bootp dhcp rarp tftpserver
partnew parttype hide unhide find geometry halt reboot pause cat embed install setup impsprobe
debug displayapm displaymem help cmp blocklist device ioprobe testload testvbe vbeprobe
""".split())


# Multiboot loaders that run before the kernel line's real payload and hand over to the
# next module: Intel TXT's trusted boot (tboot.gz) starts the measured launch, then boots
# the module after it (xen.gz, or a Linux kernel); its SINIT ACM (and policy data) come as
# further modules after the payload's own.
PRELOADERS = ("tboot",)
# An initrd's file name (initrd-2.6.18-308.el5xen.img, initramfs-...): never the dom0 kernel.
_INITRD = re.compile(r"(?:initrd|initramfs)", re.IGNORECASE)


def image_name(e) -> str:
    """'/boot/xen.gz-2.6.18-308.el5 dom0_mem=1G' -> 'xen.gz-2.6.18-308.el5'."""
    return e.value.split(" ", 1)[0].rsplit("/", 1)[-1]


def boot_chain(kernel, modules: list):
    """An entry's kernel line and modules as (loaders, payload, its modules): the kernel
    line of a `kernel /tboot.gz` entry is a loader, and the module after it is what boots
    (the hypervisor's line on a Xen entry). Without a loader: ([], kernel, modules)."""
    loaders, payload, rest = [], kernel, list(modules)
    while image_name(payload).startswith(PRELOADERS) and rest:
        loaders.append(payload)
        payload = rest.pop(0)
    return loaders, payload, rest


def _entries(doc: Document):
    """{entry number: [document entries]} for the title blocks."""
    blocks: dict[int, list] = {}
    for e in doc.entries:
        if e.group >= 0:
            blocks.setdefault(e.group, []).append(e)
    return blocks


class GrubRule(Rule):
    scope = Scope.DOCUMENT
    formats = ("grub", "guest-grub")


class GrubUnknownCommand(GrubRule):
    """Every line of grub.conf starts with a GRUB command; a wrapped line is an error.

    What it checks: lines whose first word is not a GRUB legacy command. A line that
    starts with an argument (`root=/dev/...`, `console=ttyS0,115200`) is a kernel line
    that was wrapped: GRUB reads it as a new, unknown command and the kernel never gets
    those arguments.

    Why: every entry starts with `title` (the guide prints `term` at line 2894 and leaves
    the keyword out at line 5868); its examples wrap `root=/dev/VolGroup00/LogVol00`
    (lines 5123-5124) and `console=ttyS0,115200` (lines 5849-5850, 5897-5898) onto a line
    of their own.

    Example:
        term Red Hat Enterprise Linux Server (2.6.18-159.el5)

    Fix: `title ...`, and keep each kernel or module line on one physical line.
    """

    code, name, severity = "VF201", "grub-unknown-command", Severity.ERROR
    checklist, section, lines = ("BOOT-22", "BOOT-23"), "§32.5", "2894, 5123-5124, 5849-5850, 5868, 5897-5898"

    def document(self, doc: Document):
        # the entry after each one, and one spelling suggestion per word: a file of many
        # unknown lines costs time in proportion to its length
        entries = doc.entries  # in the file's order
        spelled: dict[str, str] = {}
        for i, e in enumerate(entries):
            if e.key in COMMANDS:
                continue
            if "=" in e.key or e.key.startswith(("/", "(")) or not e.key[:1].isalpha():
                yield self.report(f"'{e.key}' starts a line but is not a GRUB command: it looks like the "
                                  "rest of the previous kernel or module line", e.key_span,
                                  hint="join it to the line above; GRUB commands are one physical line")
            else:
                j = i + 1
                while j < len(entries) and entries[j].span.line <= e.span.line:
                    j += 1
                following = entries[j].key if j < len(entries) else None
                yield self.report(f"unknown GRUB command '{e.key}'", e.key_span,
                                  hint=self._suggest(e.key, following, spelled))

    @staticmethod
    def _suggest(key: str, following: str | None, spelled: dict[str, str]) -> str:
        """An unknown word that is followed by an entry's lines (root, kernel) is where the
        title was meant (the guide writes `term` for `title`, line 2894); otherwise the nearest
        command by spelling."""
        if following in ("root", "kernel") and key != "title":
            return "did you mean 'title'? (the lines after it are an entry's root and kernel)"
        if key not in spelled:
            spelled[key] = did_you_mean(key, COMMANDS) or "see the GRUB legacy manual"
        return spelled[key]


class GrubEntryLayout(GrubRule):
    """A Xen entry is kernel /xen.gz + module vmlinuz + module initrd; others kernel + initrd.

    What it checks: each title block: a `root` line; one `kernel` line; for a Xen entry
    (kernel /xen.gz-...) two `module` lines, the dom0 kernel (vmlinuz) then the initrd; for
    any other entry no `module` line; and GRUB devices written without spaces, `(hd0,0)`.
    A `kernel /tboot.gz` line (Intel TXT's trusted boot) is a multiboot loader that boots
    the module after it: with `module /xen.gz...` next, that module is the Xen entry's
    hypervisor line, followed by dom0's kernel and initrd and then tboot's SINIT module(s);
    with `module /vmlinuz...` next, a Linux kernel whose initrd and SINIT are modules.

    Why: "ensure you include all five lines in the Virtualization entry (or this will create
    system errors)" (§32.12, line 5451); a Xen entry without its initrd module panics at
    boot ("initrd will have a length of 0", line 5093). The guide writes `(hd0, 0)` with a
    space in several examples (lines 5461, 5847, 5869), which GRUB does not read.

    Example:
        title RHEL (2.6.18-92.el5xen)
            root (hd0, 0)
            kernel /xen.gz-2.6.18-92.el5
            module /vmlinuz-2.6.18-92.el5xen ro root=/dev/VolGroup00/LogVol00

    Fix: `root (hd0,0)` and add `module /initrd-2.6.18-92.el5xen.img`.
    """

    code, name, severity = "VF202", "grub-entry-layout", Severity.ERROR
    checklist, section, lines = ("BOOT-02",), "§32.12", "4588-4594, 5093, 5449-5451"

    def document(self, doc: Document):
        for number, block in _entries(doc).items():
            title = block[0]
            for e in block:
                if e.key == "root" and re.match(r"^\((hd|fd)[0-9]+,\s+[0-9]+\)", e.value):
                    yield self.report(f"GRUB device {e.value.split(')')[0]}) has a space after the comma",
                                      e.value_span, hint="write (hd0,0)")
            kernels = [e for e in block if e.key == "kernel"]
            modules = [e for e in block if e.key in ("module", "modulenounzip")]
            if not kernels:
                if not any(e.key in ("chainloader", "configfile") for e in block):  # another OS's loader
                    yield self.report(f"entry {number} has no kernel line", title.span)
                continue
            loaders, payload, modules = boot_chain(kernels[0], modules)
            if image_name(payload).startswith(PRELOADERS):  # tboot.gz with no module to hand over to
                yield self.report(f"entry {number} boots {image_name(payload)}, a loader that hands over to the "
                                  "next module, but has no module line", payload.span,
                                  hint="add module /xen.gz-VERSION, the dom0 kernel and initrd, then the SINIT module")
                continue
            xen = image_name(payload).startswith("xen")
            if xen:
                if len(modules) < len(("vmlinuz", "initrd")):
                    yield self.report(f"Xen entry {number} has {len(modules)} module line(s); it needs the "
                                      "dom0 kernel (vmlinuz) and the initrd", payload.span,
                                      hint="copy all five lines of a Xen entry")
                elif _INITRD.match(image_name(modules[0])):  # the initrd first: the kernel's name may be any
                    # (Ubuntu's xen0-linux-2.6.17-6-generic-xen0, upstream's vmlinuz-2.6-xen)
                    yield self.report("the first module of a Xen entry must be the dom0 kernel (vmlinuz)"
                                      + (" (after the hypervisor's module)" if loaders else ""),
                                      modules[0].span)
            elif modules and not loaders:  # after tboot, a Linux kernel's initrd and SINIT are modules
                yield self.report(f"entry {number} boots a Linux kernel but has module lines, which only a "
                                  "Xen (xen.gz) entry uses", modules[0].span,
                                  hint="use initrd for a non-Xen entry")
            elif doc.format == "grub":  # a PV guest's own grub.conf boots kernel-xen, rightly
                image = image_name(payload)
                if image.startswith("vmlinuz-") and image.endswith("xen"):
                    # kernel-xen is dom0's kernel: booted directly it runs without the hypervisor
                    version = image.removeprefix("vmlinuz-").removesuffix("xen")
                    yield self.report(f"entry {number} boots the Xen dom0 kernel {image} as its kernel; it "
                                      "only runs under the hypervisor", payload.value_span,
                                      hint=f"kernel /xen.gz-{version}, then module /{image} ... and "
                                           f"module /initrd-{version}xen.img")


class GrubDefault(GrubRule):
    """grub.conf's `default` names an entry that exists (counting from 0).

    What it checks: `default=N` against the number of title entries.

    Why: "The numbering starts at '0' so if your kernel-xen entry is the second entry you
    would enter '1' as the default" (§35.6, line 6101; §32.2.1, line 4946). A default past
    the last entry boots something else.

    Example:
        default=2      # with two entries

    Fix: count the entries from 0.
    """

    code, name, severity = "VF203", "grub-default", Severity.ERROR
    checklist, section, lines = ("BOOT-04",), "§35.6", "4946, 6101"

    def document(self, doc: Document):
        d = doc.get("default")
        if d is None:
            return
        count = len(_entries(doc))
        if not is_number(d.value):
            if d.value != "saved":
                yield self.report(f"default={d.value} is not an entry number", d.value_span)
        elif int(d.value) >= count:
            entries = "entry" if count == 1 else "entries"
            yield self.report(f"default={d.value} but there {'is' if count == 1 else 'are'} {count} {entries} "
                              "(numbered from 0)",
                              d.value_span, hint=f"use a number from 0 to {count - 1}" if count else None)


_VERSION = re.compile(r"(?:xen\.gz|vmlinuz|initrd)-([0-9][0-9A-Za-z._-]*?)[-.]?(?:xen0?)?(?:\.img|\.gz)?$")
# A version to compare has three numbers at least (2.6.18-308.el5, 2.6.18.8): upstream Xen's
# `make install` names links after two (vmlinuz-2.6-xen), whatever 2.6 kernel they lead to.
_FULL_VERSION = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+")


class GrubVersionMismatch(GrubRule):
    """The hypervisor, kernel and initrd of one Xen entry carry the same version.

    What it checks: the versions in /xen.gz-V, /vmlinuz-Vxen and /initrd-Vxen.img of one
    entry.

    Why: the guide's own examples mix them (kernel 192 with initrd 190 at lines 2538-2539,
    contradiction C-13; `4.21el5xen` against `4.21.el5` at lines 5462-5463); a kernel booted
    with another version's initrd cannot load its modules.

    Example:
        kernel /xen.gz-2.6.18-192.el5 iommu=on
        module /vmlinuz-2.6.18-192.el5xen ro root=/dev/VolGroup00/LogVol00
        module /initrd-2.6.18-190.el5xen.img

    Fix: use the files of one installed kernel-xen package.
    """

    code, name, severity = "VF204", "grub-version-mismatch", Severity.WARNING
    checklist, section, lines = ("BOOT-21",), "§14", "2537-2539, 5462-5463"

    def document(self, doc: Document):
        for block in _entries(doc).values():
            found = []
            for e in block:
                if e.key in ("kernel", "module", "initrd") and e.value:
                    path = e.value.split(" ", 1)[0].rsplit("/", 1)[-1]
                    m = _VERSION.search(path)
                    if m and _FULL_VERSION.match(m.group(1)):
                        # mkdumprd names kdump's initrd initrd-VERSIONkdump.img: not another version
                        version = m.group(1).removesuffix("kdump") if e.key == "initrd" else m.group(1)
                        found.append((version, e))
            versions = {v for v, _ in found}
            if len(versions) > 1:
                first_v, first = found[0]
                for v, e in found[1:]:
                    if v != first_v:
                        yield self.report(f"version {v} differs from {first_v} in the same entry", e.value_span, related=(Related(first.value_span, f"version {first_v}"),))
                        break


class GrubSerialOptions(GrubRule):
    """grub.conf's serial and terminal lines use GRUB's option syntax.

    What it checks: `serial` options are `--unit=N --speed=N --word=N --parity=no|odd|even
    --stop=N` with no space around '='; `terminal` takes `--timeout=N` and device names.

    Why: the guide's serial console setup is `serial --unit=0 --speed=115200 --word=8
    --parity=no --stop=1` and `terminal --timeout=10 serial console` (§32.5, lines
    5095-5100); one of its examples writes `--speed =115200` (line 5471), which GRUB does not
    read as a speed.

    Example:
        serial --unit=0 --speed =115200 --word=8 --parity=no --stop=1

    Fix: --speed=115200.
    """

    code, name, severity = "VF205", "grub-serial-options", Severity.ERROR
    checklist, section, lines = ("BOOT-09",), "§32.5", "5095-5100, 5117-5118, 5471"
    SERIAL = ("unit", "port", "speed", "word", "parity", "stop", "device")
    TERMINAL = ("timeout", "dumb", "no-echo", "no-edit", "lines", "silent")
    fix, fix_title = "unsafe", "remove the space before '=' (safe); an unknown option becomes the closest one (unsafe)"

    def document(self, doc: Document):
        for e in doc.entries:
            if e.key not in ("serial", "terminal"):
                continue
            tokens = e.value.split()
            at = _token_offsets(doc, e, tokens)
            allowed = self.SERIAL if e.key == "serial" else self.TERMINAL
            for i, (tok, following) in enumerate(zip(tokens, tokens[1:] + [""])):
                if tok.startswith("--"):
                    name = tok[len("--"):].split("=", 1)[0]
                    if name not in allowed:
                        guess = closest(name, allowed)
                        fix = None
                        if guess and at:  # the option's name, up to its '=' if it has one
                            fix = _fix(doc, at[i], at[i] + len("--") + len(name), f"--{guess}", safe=False)
                        yield self.report(f"unknown {e.key} option {tok}", e.value_span,
                                          hint=did_you_mean(name, allowed), fix=fix)
                    elif following.startswith("="):
                        yield self.report(f"a space before '=' in '{tok} {following}'", e.value_span,
                                          hint=f"write --{name}{following}",
                                          fix=_fix(doc, at[i] + len(tok), at[i + 1], "") if at else None)
                    elif "=" not in tok and name not in ("dumb", "no-echo", "no-edit", "silent"):
                        yield self.report(f"{e.key} option {tok} has no value", e.value_span,
                                          hint=f"write --{name}=VALUE with no spaces")
                elif e.key == "serial" and not tok.startswith("="):
                    yield self.report(f"stray '{tok}' in the serial line", e.value_span)


def _token_offsets(doc: Document, e, tokens: list[str]) -> list[int] | None:
    """Where each of the value's tokens starts in the file, found in one pass (searching the
    line again for each bad token was quadratic on long lines). None when the file's text
    under the value is not those tokens, and then no fix is offered."""
    src = doc.source
    if src is None:
        return None
    found = list(re.finditer(r"\S+", src.text[e.value_span.start:e.value_span.end]))
    if [m.group() for m in found] != tokens:
        return None
    return [e.value_span.start + m.start() for m in found]


def _fix(doc: Document, start: int, end: int, new: str, safe: bool = True):
    """Replace the file's characters [start, end) with `new`."""
    return fixes.Fix(f"write '{new}'" if new else "remove the blank", doc.source.path,
                     (fixes.Edit(start, end, new),),
                     fixes.Applicability.SAFE if safe else fixes.Applicability.UNSAFE)


class GrubHostLabel(GrubRule):
    """The host's kernel line does not find its root file system by label.

    What it checks: `root=LABEL=...` on a kernel or module line of a grub.conf.

    Why: "The host should not use disk labels to identify file systems in the fstab file,
    the initrd file or used by the kernel command line": a guest with write access to a
    disk can write a label the host then mounts (§5.2, line 502; §9.2, line 1406; §18.1,
    line 2954). The guide's own serial console example uses root=LABEL=/ (line 5788,
    contradiction C-31).

    Example:
        module /vmlinuz-2.6.18-8.el5xen ro root=LABEL=/

    Fix: root=/dev/VolGroup00/LogVol00 (or another device path).
    """

    code, name, severity = "VF206", "grub-host-label", Severity.WARNING
    checklist, section, lines = ("STO-21",), "§5.2", "502, 1406, 2954, 5788"
    formats = ("grub",)  # a host's boot entry; inside a guest, labels are the guest's own

    def document(self, doc: Document):
        for e in doc.entries:
            if e.key in ("kernel", "module") and re.search(r"(^|\s)root=LABEL=", e.value):
                yield self.report("the kernel finds its root file system by label", e.value_span,
                                  hint="name the device: root=/dev/VolGroup00/LogVol00")


RULES = rules_in(globals())

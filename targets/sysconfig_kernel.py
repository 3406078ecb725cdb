"""/etc/sysconfig/kernel: which kernel package a `yum update` makes the boot default
(UPDATEDEFAULT=yes, DEFAULTKERNEL=kernel or kernel-xen). On a Xen host a kernel update
that makes the bare-metal kernel the default boots the host without the hypervisor, and
no guest starts (guide §34.10, BOOT-05). Read only: virtc does not write it.
"""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Format
from .lines import comment_stripped

_ASSIGN = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


def read(text: str, path: str) -> Found:
    """KEY=value lines (never sourced); the document is what the rule checks."""
    src = SourceFile(path, text)
    entries = []
    for _, start, line in comment_stripped(src):
        m = _ASSIGN.match(line)
        if not m:
            continue
        value = m.group("value").strip().strip("\"'")
        v0 = start + m.start("value")
        entries.append(Entry(m.group("key"), value, src.span(start, start + len(line)),
                             src.span(start, start + len(m.group("key"))),
                             src.span(v0, max(v0 + 1, start + len(line)))))
    return Found(src, "sysconfig-kernel", Document("sysconfig-kernel", path, tuple(entries), src))


class DefaultKernelXen(Rule):
    """On a Xen host, a kernel update keeps kernel-xen the boot default.

    What it checks: /etc/sysconfig/kernel of a Xen host: with UPDATEDEFAULT=yes (what
    anaconda writes), DEFAULTKERNEL names kernel-xen. A host whose file is read alone is
    judged when its grub.conf or xend files say it runs Xen.

    Why: "To correct this problem you must modify the default kernel RPM that resides in
    the /etc/sysconfig/kernel/ directory. You must ensure that kernel-xen parameter is set
    as the default option in your grub.conf file" (§34.10, lines 5834-5835; the guide
    calls the file a directory, formats.md's erratum). With DEFAULTKERNEL=kernel, the next
    `yum update` of the kernel makes the bare-metal kernel grub's default, and after the
    reboot no Xen guest starts.

    Example:
        UPDATEDEFAULT=yes
        DEFAULTKERNEL=kernel

    Fix: DEFAULTKERNEL=kernel-xen.
    """

    code, name, severity = "VF871", "default-kernel-xen", Severity.WARNING
    checklist, section, lines = ("BOOT-05",), "§34.10", "5834-5835"
    scope = Scope.DOCUMENT
    formats = ("sysconfig-kernel",)
    fix, fix_title = "unsafe", 'write DEFAULTKERNEL=kernel-xen (the next kernel update then boots the hypervisor)'

    def document(self, doc: Document):
        host = self.ctx.hosts.get(doc.host) if doc.host else None
        if host is None or host.hypervisor != "xen":
            return
        update, default = doc.get("UPDATEDEFAULT"), doc.get("DEFAULTKERNEL")
        if update is not None and update.value.lower() != "yes":
            return  # updates do not change the default at all
        if default is None:
            where = doc.commented(re.compile(r"DEFAULTKERNEL\s*=")) or (update.span if update else None)
            fix = fixes.insert_line("add DEFAULTKERNEL=kernel-xen", doc.source, update.span, "DEFAULTKERNEL=kernel-xen",
                                    safe=False, after=True) if update is not None and doc.source else None
            yield self.report(f"Xen host {host.name} does not say which kernel updates make the default",
                              where, host.owner, hint="add DEFAULTKERNEL=kernel-xen", fix=fix)
        elif default.value != "kernel-xen":
            yield self.report(f"DEFAULTKERNEL={default.value} on Xen host {host.name}: the next kernel update makes "
                              "a kernel without the hypervisor grub's default, and no guest starts after the "
                              "reboot", default.value_span, host.owner, hint="DEFAULTKERNEL=kernel-xen",
                              fix=fixes.replace_value("write kernel-xen", doc.source, default.value_span, "kernel-xen",
                                                      safe=False) if doc.source else None)


FORMAT = Format(
    "sysconfig-kernel", "the kernel package updates make the default (/etc/sysconfig/kernel)",
    paths=("etc/sysconfig/kernel",), names=("*sysconfig-kernel",), read=read, rules=rules_in(globals()),
    single=True, trailing=True)

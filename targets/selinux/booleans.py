"""Persistent SELinux booleans, /etc/selinux/POLICY/modules/active/booleans.local (which
`setsebool -P` writes): NAME=1 or NAME=0 lines. A boolean becomes Setting(NAME, "on" |
"off"), as the language's `sebool NAME on|off` makes it."""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import Setting
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile
from virtc.suggest import close_match

from ..lines import line_span, logical_lines, report
from .common import (
    BOOLEANS,
    CLOSE_BOOLEAN,
    FALSE,
    TRUE,
)


def read(text: str, path: str) -> Found:
    """booleans.local: NAME=VALUE lines (libselinux reads 0, 1, true and false)."""
    found = Found(SourceFile(path, text), "sebool")
    src = found.source
    settings, entries = [], []
    for offset, line in logical_lines(text, continuation=False):
        body = line.strip()
        if body.startswith("#"):
            continue
        span = line_span(found, offset, line)
        if body.split()[0] in ("setsebool", "/usr/sbin/setsebool"):
            report(found, SeboolSyntax, "setsebool is a command; booleans.local holds its result, NAME=1 or NAME=0",
                   span, hint="run `setsebool -P NAME on` instead of writing it here")
            continue
        name, eq, value = body.partition("=")
        name, value = name.strip(), value.strip()
        if not eq or not name or not value:
            report(found, SeboolSyntax, "a boolean line is NAME=1 or NAME=0", span, hint="virt_use_sysfs=1")
            continue
        # libselinux reads digits as a number (any but 0 is on) and true/false as words.
        state = ("on" if value.strip("0") else "off") if value.isdigit() else \
            {"true": "on", "false": "off"}.get(value.lower())
        if state is None:
            digit = "1" if value.lower() in TRUE else "0" if value.lower() in FALSE else None
            fix = fixes.replace(f"write {digit}", found.source.span(span.end - len(value), span.end), digit) \
                if digit and found.source.text[span.start:span.end].endswith(value) else None
            report(found, SeboolSyntax, f"'{value}' is not a value libselinux reads here (1, 0, true or false)", span,
                   hint=f"{name}={'1' if value.lower() in TRUE else '0'}", fix=fix)
            continue
        name_span = src.span(span.start, span.start + len(name))
        if not _boolean_name(found, name, name_span):
            continue
        setting = Setting(name, state, span)
        settings.append(setting)
        entries.append(Entry(name, state, span, name_span, span))
    found.document = Document("sebool", path, tuple(entries))
    if settings:
        found.add("sebools", *settings)
    return found


def _boolean_name(found: Found, name: str, span) -> bool:
    if not re.match(r"^[A-Za-z0-9_]+$", name):
        report(found, SeboolSyntax, f"'{name}' is not a boolean name", span, hint="names are letters, digits and _")
        return False
    if name not in BOOLEANS:
        close = close_match(name, tuple(BOOLEANS), CLOSE_BOOLEAN)
        if close:
            where = found.source.span(span.start, span.start + len(name))
            fix = fixes.replace(f"write {close}", where, close, safe=False) \
                if found.source.text[where.start:where.end] == name else None
            report(found, SeboolUnknown, f"unknown SELinux boolean '{name}'", span, hint=f"did you mean '{close}'?",
                   fix=fix)
    return True


# ---------------------------------------------------------------- format-level rules

class SeboolSyntax(Rule):
    """SELinux booleans are set as NAME=1|0 in booleans.local and NAME on|off with setsebool.

    What it checks: booleans.local lines that are not NAME=VALUE with 1, 0, true or false
    (libselinux reads no other value there), a setsebool command written into that file,
    and setsebool commands without NAME VALUE or with a value other than on, off, 1, 0,
    true, false.

    Why: "setsebool -P virt_use_sysfs 1" (§14.1, lines 2607-2608) and the KVM booleans
    with their defaults (§18.3, lines 2994-3003). A boolean that is not set stays at its
    default: qemu_use_comm off, virt_use_sysfs off.

    Example:
        virt_use_sysfs=on

    Fix: `virt_use_sysfs=1` (booleans.local) or `setsebool -P virt_use_sysfs on`.
    """

    code, name, severity = "VF851", "sebool-syntax", Severity.ERROR
    checklist, section, lines = ("SEC-10", "PCI-13"), "§18.3", "2607-2608, 2994-3003"
    scope = Scope.READER
    fix, fix_title = "safe", 'on/off, yes/no in booleans.local become 1/0'


class SeboolNotPersistent(Rule):
    """setsebool in a setup script uses -P.

    What it checks: `setsebool` without -P.

    Why: the guide sets booleans with -P, "setsebool -P virt_use_sysfs 1" (§14.1, line
    2608), which writes them to the policy; without it the boolean is back at its default
    after the next reboot and PCI passthrough or serial devices fail then.

    Example:
        setsebool virt_use_sysfs 1

    Fix: `setsebool -P virt_use_sysfs 1`.
    """

    code, name, severity = "VF852", "sebool-not-persistent", Severity.WARNING
    checklist, section, lines = ("PCI-13",), "§14.1", "2607-2608"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'add -P (the boolean then stays set after a reboot)'


class SeboolUnknown(Rule):
    """SELinux boolean names are spelt as the policy spells them.

    What it checks: a boolean a letter or two away from one the guide names
    (virt_use_sysfs, qemu_use_comm, qemu_use_nfs, qemu_full_network, xend_disable_t ...).

    Why: the KVM booleans of §18.3 (lines 2994-3003) and virt_use_sysfs for PCI
    assignment (§14.1, line 2608); setsebool refuses an unknown name and a hand-written
    booleans.local line with one is ignored, so the boolean keeps its default.

    Example:
        setsebool -P virt_use_sysf 1

    Fix: `setsebool -P virt_use_sysfs 1`.
    """

    code, name, severity = "VF853", "sebool-unknown", Severity.WARNING
    checklist, section, lines = ("SEC-10", "PCI-13"), "§18.3", "2608, 2994-3003"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'replace the name with the known boolean it is closest to'

RULES = rules_in(globals())

"""/etc/sysconfig/cpuspeed, the settings of RHEL 5's CPU frequency scaling service. Read
only.

What the guide asks of it: on a KVM host whose CPUs lack constant_tsc, "disable cpufreq
by editing /etc/sysconfig/cpuspeed and set MIN_SPEED and MAX_SPEED to the highest
frequency", found in /sys/devices/system/cpu/cpu*/cpufreq/scaling_available_frequencies
(§16, line 2897). That is a pinned frequency, not the service turned off, so the file does
not become `services off cpuspeed` (whether the service runs is chkconfig's business, not
this file's); and the model has no field for the frequencies. So nothing here becomes a
host fact: the settings are named once as not modelled, and VF862 checks the guide's
condition on the file itself.
"""
from __future__ import annotations

import re

from virtc import fixes
from virtc.cpu import lacks_constant_tsc
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Format
from .lines import line_span, logical_lines, report

_ASSIGN = re.compile(r"^(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")
_SUBST = re.compile(r"\$\(|`|\$\{|;|&&|\|\|")


def _unquote(raw: str) -> str | None:
    """A plain shell word's value: one quoted or bare word, else None."""
    raw = raw.strip()
    if len(raw) >= len('""') and raw[0] == raw[-1] and raw[0] in "'\"":
        inner = raw[1:-1]
        return inner if raw[0] not in inner else None
    if any(c in raw for c in " \t'\"\\"):
        return None
    return raw


def read(text: str, path: str) -> Found:
    found = Found(SourceFile(path, text), "cpuspeed")
    src = found.source
    entries = []
    for offset, line in logical_lines(text, continuation=False):
        body = line.strip()
        if body.startswith("#"):
            continue
        span = line_span(found, offset, line)
        lead = offset + len(line) - len(line.lstrip())
        m = _ASSIGN.match(body.split("#", 1)[0].rstrip() if " #" in body else body)
        if not m:
            spaced = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)(\s*=\s*)[^\s=#]+", body)
            fix = fixes.replace("remove the blanks around '='", src.span(
                lead + spaced.start(2), lead + spaced.end(2)), "=") if spaced and spaced.group(2) != "=" else None
            report(found, CpuspeedSyntax, "not a KEY=value assignment; the cpuspeed service sources this file with "
                                   "bash", span,
                   hint="write KEY=value with no spaces around '=', e.g. MAX_SPEED=2400000", fix=fix)
            continue
        raw = m.group("value")
        value = None if _SUBST.search(raw) else _unquote(raw)
        if value is None:
            report(found, CpuspeedSyntax, f"the value of {m.group('key')} is not one plain word; bash would run or "
                                   "split it when the service sources the file", span,
                   hint=f"{m.group('key')}=VALUE, quoted if it has spaces")
            continue
        key = m.group("key")
        entries.append(Entry(key, value, span, src.span(lead, lead + len(key)),
                             src.span(lead + len(key) + 1, lead + max(len(key) + len("=x"), len(body)))))
    doc = Document("cpuspeed", path, tuple(entries), src)
    found.document = doc
    if entries:
        found.ignored("what /etc/sysconfig/cpuspeed sets (" + ", ".join(e.key for e in entries) + ")",
                      entries[0].span, hint="the host's CPU frequency is not in the model; VF862 checks "
                                            "MIN_SPEED and MAX_SPEED against the guide")
    return found


# ---------------------------------------------------------------- format-level rules

class CpuspeedSyntax(Rule):
    """/etc/sysconfig/cpuspeed is KEY=value shell assignments.

    What it checks: lines that are not KEY=value, and values that are not one plain word
    (unquoted spaces, command substitution).

    Why: the cpuspeed service sources the file with bash; the guide edits MIN_SPEED and
    MAX_SPEED in it (§16, line 2897). A line bash cannot read as an assignment is a
    command, and the frequencies keep their defaults.

    Example:
        MAX_SPEED = 2400000

    Fix: `MAX_SPEED=2400000`.
    """

    code, name, severity = "VF861", "cpuspeed-syntax", Severity.ERROR
    checklist, section, lines = ("TIME-04",), "§16", "2897"
    scope = Scope.READER
    fix, fix_title = "safe", "remove the blanks around '=' (bash runs `KEY = value` as a command)"


class CpuspeedFrequencyPinned(Rule):
    """On a KVM host without constant_tsc, cpuspeed pins the CPU at its highest frequency.

    What it checks: /etc/sysconfig/cpuspeed whose MIN_SPEED and MAX_SPEED are not both
    set to the same value. A warning when the file's host is a KVM host known to lack
    constant_tsc (its `cpu flags`, the CPU model its capabilities name, or the guide's
    processor.max_cstate=1 on its kernel line say so); when that is not known, a note;
    nothing when the TSC is constant or the host is not a KVM host.

    Why: "disable cpufreq by editing /etc/sysconfig/cpuspeed (only needed on hosts without
    constant_tsc) and set MIN_SPEED and MAX_SPEED to the highest frequency; the valid
    values are in /sys/devices/system/cpu/cpu*/cpufreq/scaling_available_frequencies"
    (§16, line 2897). A TSC that changes with the CPU frequency makes KVM guest clocks
    drift (lines 2887-2891).

    Example:
        MIN_SPEED=1000000
        MAX_SPEED=2400000

    Fix: `MIN_SPEED=2400000` and `MAX_SPEED=2400000` (the highest available frequency).
    """

    code, name, severity = "VF862", "cpuspeed-frequency-pinned", Severity.WARNING
    checklist, section, lines = ("TIME-04",), "§16", "2887-2897"
    scope = Scope.DOCUMENT
    formats = ("cpuspeed",)

    def document(self, doc: Document):
        # the file's own host (all of them for a loose file)
        hosts = [h for h in (self.ctx.model.hosts if self.ctx else ()) if doc.host in (None, h.name)]
        if any(h.hypervisor == "kvm" and lacks_constant_tsc(h) for h in hosts):
            severity = None
        elif any(h.cpu.constant_tsc or h.hypervisor not in ("kvm", None) for h in hosts):
            return  # the host's CPUs keep a constant TSC, or it is not a KVM host
        else:
            severity = Severity.INFO
        low, high = doc.get("MIN_SPEED"), doc.get("MAX_SPEED")
        if not doc.entries or low is not None and high is not None and low.value and low.value == high.value:
            return  # (a file with no settings at all has nothing to point at)
        where = (low or high or doc.entries[0]).span
        now = f"MIN_SPEED={low.value if low else ''} and MAX_SPEED={high.value if high else ''}"
        yield self.report(f"{now}: the CPU frequency is not pinned, so a host without constant_tsc changes its "
                          "TSC rate and KVM guests' clocks drift"
                          + ("" if severity is None else " (whether this host lacks constant_tsc is not known: "
                             "give its capabilities)"), where, severity=severity,
                          hint="set both to the highest value in /sys/devices/system/cpu/cpu0/cpufreq/"
                               "scaling_available_frequencies")


FORMAT = Format(
    "cpuspeed", "the cpuspeed service's settings (/etc/sysconfig/cpuspeed)",
    paths=("etc/sysconfig/cpuspeed",), names=("*cpuspeed",), read=read, rules=rules_in(globals()), trailing=True,
    single=True)

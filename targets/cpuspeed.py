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

from virtc.documents import Document, Entry
from virtc.readback import Found
from virtc.source import SourceFile

from .hostread import line_span, logical_lines, report

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
            report(found, "VF861", "not a KEY=value assignment; the cpuspeed service sources this file with "
                                   "bash", span,
                   hint="write KEY=value with no spaces around '=', e.g. MAX_SPEED=2400000")
            continue
        raw = m.group("value")
        value = None if _SUBST.search(raw) else _unquote(raw)
        if value is None:
            report(found, "VF861", f"the value of {m.group('key')} is not one plain word; bash would run or "
                                   "split it when the service sources the file", span,
                   hint=f"{m.group('key')}=VALUE, quoted if it has spaces")
            continue
        key = m.group("key")
        entries.append(Entry(key, value, span, src.span(lead, lead + len(key)),
                             src.span(lead + len(key) + 1, lead + max(len(key) + len("=x"), len(body)))))
    doc = Document("cpuspeed", path, tuple(entries))
    found.document = doc
    if entries:
        found.ignored("what /etc/sysconfig/cpuspeed sets (" + ", ".join(e.key for e in entries) + ")",
                      entries[0].span, hint="the host's CPU frequency is not in the model; VF862 checks "
                                            "MIN_SPEED and MAX_SPEED against the guide")
    return found

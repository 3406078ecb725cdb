"""/etc/selinux/config: the mode the host boots in (SELINUX=), as `selinux MODE` says."""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile
from virtc.suggest import closest

from ..lines import report

_MODE = re.compile(r"^[ \t]*SELINUX[ \t]*=[ \t]*(?P<mode>\S*)[ \t]*$", re.M)
MODES = ("enforcing", "permissive", "disabled")


def read(text: str, path: str) -> Found:
    """/etc/selinux/config: the mode the host boots in (SELINUX=), as `selinux MODE` says."""
    found = Found(SourceFile(path, text), "selinux-config")
    for m in _MODE.finditer(text):
        mode = m.group("mode").strip("\"'").lower()
        span = found.source.span(m.start("mode"), max(m.end("mode"), m.start("mode") + 1))
        if mode in MODES:
            found.set("selinux", mode, span)
        else:
            guess = closest(mode, MODES) if mode else None
            raw = m.group("mode")
            fix = fixes.replace(f"write {guess}", span, guess, safe=False) \
                if guess and found.source.text[span.start:span.end] == raw and raw.isalpha() else None
            report(found, SelinuxMode, f"SELINUX={mode or '(empty)'} is not a mode; the host boots with "
                                   "SELinux enforcing", span, hint="write SELINUX=enforcing, permissive or disabled",
                   fix=fix)
    return found


# ---------------------------------------------------------------- format-level rules

class SelinuxMode(Rule):
    """/etc/selinux/config names one of the three SELinux modes.

    What it checks: the SELINUX= line of /etc/selinux/config: enforcing, permissive or
    disabled.

    Why: the guide keeps SELinux enforcing on virtualization hosts and labels images for
    it (§17, §18.2, lines 2933-2935, 2947); the host's mode decides whether the image
    label rules apply. An unknown value is ignored at boot, so the host is not in the mode
    the file seems to say.

    Example:
        SELINUX=enforced

    Fix: write SELINUX=enforcing (or permissive, disabled).
    """

    code, name, severity = "VF854", "selinux-mode", Severity.ERROR
    checklist, section, lines = ("SEC-11",), "§18.2", "2933-2935, 2947, 2959"
    scope = Scope.READER
    fix, fix_title = "unsafe", 'write the mode the value is closest to (enforced becomes enforcing)'

RULES = rules_in(globals())

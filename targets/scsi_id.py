"""/etc/scsi_id.config: `options=-g` makes every SCSI device return a UUID, which the
udev LUN names of guide §9.3 match. A document entry is one `key=value` line."""
from __future__ import annotations

import re

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Artifact, Format


def parse_document(src) -> tuple[Document, list]:
    """scsi_id.config: `key=value` lines; commented lines are kept out."""
    entries = []
    for start, body in src.lines():
        s = body.strip()
        if not s or s.startswith("#") or "=" not in s:
            continue
        key, value = (x.strip() for x in s.split("=", 1))
        k0 = start + body.index(key)
        entries.append(Entry(key, value, src.span(k0, start + len(body.rstrip())), src.span(k0, k0 + len(key)),
                             src.span(k0, start + len(body.rstrip()))))
    return Document("scsi_id", src.path, tuple(entries), src), []


def emit(model) -> list[Artifact]:
    """scsi_id.config with -g for hosts with udev LUN names: every SCSI device returns a
    UUID (guide §9.3)."""
    return [Artifact(f"{h.name}/etc/scsi_id.config",
                     "# Written by virtc: every SCSI device returns a UUID (guide §9.3).\n"
                     "# options=-b\noptions=-g\n", source=h.owner)
            for h in model.hosts if any(lun.kind == "udev" for lun in h.luns)]


# Later udev's scsi_id (getopt_long) takes long options in scsi_id.config as on its
# command line: --whitelisted is -g, --blacklisted -b. RHEL 5's (udev 095) takes neither.
_LONG = {"--whitelisted": "-g", "--blacklisted": "-b", "--replace-whitespace": "-u"}


def option_words(value: str) -> list[str]:
    """The words of an options= value, long options written as the short ones."""
    return [_LONG.get(w, w) for w in value.split()]


def read(text: str, path: str):
    """/etc/scsi_id.config: no model facts (virtc always writes options=-g; VF403 checks
    it); any other line is noted. A long option (`options=--whitelisted`) says the file is
    a later udev's (Found.later): RHEL 5's scsi_id refuses it and then every call fails."""
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "scsi_id", doc, diagnostics=list(problems))
    for e in doc.entries:
        long = next((w for w in e.value.split() if w.split("=", 1)[0] in _LONG), None) \
            if e.key == "options" else None
        if long is not None and found.later is None:
            at = e.span.start + src.text[e.span.start:e.span.end].index(long)
            found.later = (f"scsi_id's long option {long}, which RHEL 5's scsi_id (udev 095, short options "
                           "only) refuses", src.span(at, at + len(long)))
        if e.key == "options" and option_words(e.value) in (["-g"], ["-b"]):
            continue  # -g is what virtc writes; an active -b is VF403's
        found.ignored(f"scsi_id.config line `{src.text[e.span.start:e.span.end][:60]}`", e.span)
    for start, body in src.lines():  # lines the parser skips that are neither comments nor blank
        s = body.strip()
        if s and not s.startswith("#") and "=" not in s:
            lead = start + len(body) - len(body.lstrip())
            found.ignored(f"scsi_id.config line `{s[:60]}`", src.span(lead, lead + len(s)))
    return found


# ---------------------------------------------------------------- format-level rules

class ScsiIdOptions(Rule):
    """On a host that names LUNs with udev, /etc/scsi_id.config has an active `options=-g`.

    What it checks: the uncommented lines of scsi_id.config, when the host's udev rules
    name LUNs by scsi_id's answer (RESULT==WWID): an active `options=-b` instead (one
    finding, at that line), or no `options=-g` at all (at the commented-out line, if the
    file has one). A host without such rules does not need -g: the stock -b is fine.
    Later udev's long forms count as the short ones (`options=--whitelisted` is -g).

    Why: "comment out the options=-b line and add options=-g: this configures udev to
    assume all attached SCSI devices return a UUID" (§9.3, lines 1427-1434). §32.14 shows
    the new line commented out as well (line 5506, contradiction C-19), which changes
    nothing; the active form is required.

    Example:
        # options=-b
        # options=-g

    Fix: options=-g (uncommented).
    """

    code, name, severity = "VF403", "scsi-id-options", Severity.ERROR
    checklist, section, lines = ("MPIO-03",), "§9.3", "1427-1434, 5503-5507"
    scope = Scope.DOCUMENT
    formats = ("scsi_id",)
    fix, fix_title = "unsafe", 'uncomment options=-g (safe), or write options=-g for options=-b (unsafe)'

    def document(self, doc: Document):
        host = self.ctx.hosts.get(doc.host) if doc.host else None
        if host is None or not any(lun.kind == "udev" for lun in host.luns):
            return  # scsi_id's options matter to a host that names LUNs with udev
        opts = [e for e in doc.entries if e.key == "options"]
        if any("-g" in option_words(e.value) for e in opts):  # or --whitelisted, later udev's
            return
        blacklist = next((e for e in opts if "-b" in option_words(e.value)), None)
        if blacklist is not None:  # one finding for the one fact: -b instead of -g
            yield self.report("options=-b is active, not options=-g: scsi_id will not return UUIDs for all "
                              "devices", blacklist.span, hint="write options=-g",
                              fix=fixes.replace("write options=-g", blacklist.span, "options=-g", safe=False)
                              if doc.source and doc.source.text[blacklist.span.start:blacklist.span.end].strip() == "options=-b" else None)
            return
        where = doc.commented(_OPTIONS_G) or (doc.entries[-1].span if doc.entries else None)
        yield self.report("scsi_id.config has no active options=-g" + (" (it is commented out here)"
                                                                        if doc.commented(_OPTIONS_G) else ""),
                          where, hint="add the line options=-g",
                          fix=fixes.replace("uncomment options=-g", where, "options=-g") if doc.commented(_OPTIONS_G)
                          and doc.source.text[where.start:where.end].lstrip("#; ") == "options=-g" else None)


_OPTIONS_G = re.compile(r"options\s*=.*(-g|--whitelisted)")


FORMAT = Format(
    "scsi_id", "scsi_id's configuration (/etc/scsi_id.config)",
    paths=("etc/scsi_id.config",), names=("*scsi_id.config",), read=read, emit=emit, target="udev",
    rules=rules_in(globals()), single=True)

"""/etc/scsi_id.config: `options=-g` makes every SCSI device return a UUID, which the
udev LUN names of guide §9.3 match. A document entry is one `key=value` line."""
from __future__ import annotations

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
    return Document("scsi_id", src.path, tuple(entries)), []


def emit(model) -> list[Artifact]:
    """scsi_id.config with -g for hosts with udev LUN names: every SCSI device returns a
    UUID (guide §9.3)."""
    return [Artifact(f"{h.name}/etc/scsi_id.config",
                     "# Written by virtc: every SCSI device returns a UUID (guide §9.3).\n"
                     "# options=-b\noptions=-g\n", source=h.owner)
            for h in model.hosts if any(lun.kind == "udev" for lun in h.luns)]


def read(text: str, path: str):
    """/etc/scsi_id.config: no model facts (virtc always writes options=-g; VF403 checks
    it); any other line is noted."""
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "scsi_id", doc, diagnostics=list(problems))
    for e in doc.entries:
        if e.key == "options" and e.value.split() in (["-g"], ["-b"]):
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
    """/etc/scsi_id.config has an active `options=-g` and no active `options=-b`.

    What it checks: the uncommented lines of scsi_id.config.

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

    def document(self, doc: Document):
        opts = [e for e in doc.entries if e.key == "options"]
        for e in opts:
            if "-b" in e.value.split():
                yield self.report("options=-b is active: scsi_id will not return UUIDs for all devices",
                                  e.span, hint="comment it out and add options=-g")
        if not any("-g" in e.value.split() for e in opts):
            first = doc.entries[0].span if doc.entries else None
            yield self.report("scsi_id.config has no active options=-g", first,
                              hint="add the line options=-g")


FORMAT = Format(
    "scsi_id", "scsi_id's configuration (/etc/scsi_id.config)",
    paths=("etc/scsi_id.config",), names=("*scsi_id.config",), read=read, emit=emit, target="udev",
    rules=rules_in(globals()), single=True)

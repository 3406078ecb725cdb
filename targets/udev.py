"""udev rules (/etc/udev/rules.d/20-names.rules) and /etc/scsi_id.config, the single-path
persistent LUN names of guide §9.3. Read side here; writing them is the host-files issue.

A rules document has one entry per `KEY{attr}OP"value"` pair: key = KEY, value =
(operator, value), group = the rule's number.
"""
from __future__ import annotations

import re

from virtc.owner import Owner
from virtc.diagnostics import error
from virtc.documents import Document, Entry

_PAIR = re.compile(r'\s*(?P<key>[A-Z_]+(?:\{[^}]*\})?)\s*(?P<op>==|!=|\+=|:=|=)\s*"(?P<value>[^"]*)"')
_SEP = re.compile(r"\s*(,|$)")


def _logical_lines(src):
    """(start offset, text) of each rule, joining lines that end with a backslash."""
    pending, pending_start = "", None
    for start, body in src.lines():
        if pending_start is None:
            pending_start = start
        if body.endswith("\\"):
            pending += body[:-1] + " "
            continue
        yield pending_start, pending + body
        pending, pending_start = "", None
    if pending_start is not None:
        yield pending_start, pending


def parse_rules(src) -> tuple[Document, list]:
    entries, diags = [], []
    rule_no = -1
    for start, text in _logical_lines(src):
        stripped = text.strip()
        if not stripped or stripped.startswith("#"):
            continue
        rule_no += 1
        lead = start + len(text) - len(text.lstrip())
        pos = len(text) - len(text.lstrip())
        while pos < len(text.rstrip()):
            m = _PAIR.match(text, pos)
            if not m:
                here = pos + len(text[pos:]) - len(text[pos:].lstrip())
                diags.append(error("VF401", f"cannot read the rule from here: {text[here:].strip()[:40]!r}",
                                   src.span(start + here, start + len(text.rstrip())),
                                   hint='write KEY=="value" pairs separated by commas'))
                break
            if not _SEP.match(text, m.end()):
                diags.append(error("VF401", f"missing comma after {m.group('key')}{m.group('op')}\"{m.group('value')}\"",
                                   src.span(start + m.end(), start + m.end() + 1),
                                   hint="separate the KEY=\"value\" pairs with commas"))
                break
            k0 = start + m.start("key")
            entries.append(Entry(m.group("key"), (m.group("op"), m.group("value")),
                                 src.span(k0, start + m.end("value") + 1), src.span(k0, start + m.end("key")),
                                 src.span(start + m.start("value") - 1, start + m.end("value") + 1), group=rule_no))
            pos = _SEP.match(text, m.end()).end()
        del lead
    return Document("udev", src.path, tuple(entries)), diags


def parse_scsi_id_config(src) -> tuple[Document, list]:
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


# ---------------------------------------------------------------- writing

NAME = "udev"


def emit(model) -> list:
    """Persistent single-path LUN names (guide §9.3): one udev rule per `lun`, RHEL 5 syntax
    (match with ==, assign with =, scsi_id by its full path), and scsi_id.config with -g."""
    from virtc.targets import Artifact

    out = []
    for h in model.hosts:
        luns = [lun for lun in h.luns if lun.kind == "udev"]
        if not luns:
            continue
        rules = ["# Written by virtc: persistent names for single-path LUNs (guide §9.3).\n"]
        for lun in luns:
            rules.append(f'KERNEL=="sd*", BUS=="scsi", PROGRAM="/sbin/scsi_id -g -s /block/%k", '
                         f'RESULT=="{lun.wwid}", NAME="{lun.name}"\n')
        out.append(Artifact(f"{h.name}/etc/udev/rules.d/20-names.rules", "".join(rules), source=h.owner))
        out.append(Artifact(f"{h.name}/etc/scsi_id.config",
                            "# Written by virtc: every SCSI device returns a UUID (guide §9.3).\n"
                            "# options=-b\noptions=-g\n", source=h.owner))
    return out


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of emit(): each rule that names a device (NAME=) after matching
# scsi_id's output (RESULT==WWID) is a `lun NAME wwid WWID`. The other pairs of such a
# rule are the template virtc writes; other rules are noted as not modelled.

_TEMPLATE = {"KERNEL": "sd*", "BUS": "scsi", "PROGRAM": "/sbin/scsi_id -g -s /block/%k"}
_WWID = re.compile(r"^[0-9a-f]{16,64}$")


def read(text: str, path: str):
    """A udev rules file -> luns (kind udev). A rule written with RESULT="..." (one '=',
    as the guide prints it) or NAME=="..." is read for what it means to say; VF402
    reports the operator."""
    from virtc.model import Lun
    from virtc.readback import Found
    from virtc.source import SourceFile

    src = SourceFile(path, text)
    doc, problems = parse_rules(src)
    found = Found(src, "udev", doc, diagnostics=list(problems))
    rules: dict[int, list] = {}
    for e in doc.entries:
        rules.setdefault(e.group, []).append(e)
    for rule in rules.values():
        pairs = {e.key: e for e in rule}
        name, result = pairs.get("NAME"), pairs.get("RESULT")
        if name is None or result is None or name.value[0] in ("!=", "+=") or result.value[0] not in ("==", "="):
            text_ = src.text[rule[0].span.start:rule[-1].span.end]
            found.ignored(f"udev rule `{text_[:60]}{'...' if len(text_) > 60 else ''}` (virtc models rules "
                          "that name a LUN: RESULT==WWID, NAME=name)", rule[0].span)
            continue
        wwid = result.value[1].lower()
        if not _WWID.match(wwid) or not name.value[1]:
            found.ignored(f'udev rule matching RESULT=="{result.value[1][:40]}" (not a WWID)', result.value_span)
            continue
        for e in rule:
            if e.key in ("NAME", "RESULT"):
                continue
            op, value = e.value
            wanted = _TEMPLATE.get(e.key)
            if wanted is None:
                found.ignored(f'udev pair {e.key}{op}"{value[:40]}" in the rule for {name.value[1]}', e.span)
            elif value != wanted and not (e.key == "PROGRAM" and "scsi_id" in value):
                # a scsi_id PROGRAM written otherwise is VF402's
                found.ignored(f'udev pair {e.key}{op}"{value[:40]}" (virtc writes {e.key}=="{wanted}")'
                              if e.key != "PROGRAM" else f'udev PROGRAM="{value[:40]}"', e.span)
        found.add("luns", Lun(name.value[1], wwid, "udev", name.span, Owner(part=f"lun {name.value[1]}")))
    return found


def read_scsi_id(text: str, path: str):
    """/etc/scsi_id.config: no model facts (virtc always writes options=-g; VF403 checks
    it); any other line is noted."""
    from virtc.readback import Found
    from virtc.source import SourceFile

    src = SourceFile(path, text)
    doc, problems = parse_scsi_id_config(src)
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

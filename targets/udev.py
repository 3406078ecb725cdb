"""udev rules (/etc/udev/rules.d/20-names.rules) and /etc/scsi_id.config, the single-path
persistent LUN names of guide §9.3. Read side here; writing them is the host-files issue.

A rules document has one entry per `KEY{attr}OP"value"` pair: key = KEY, value =
(operator, value), group = the rule's number.
"""
from __future__ import annotations

import re

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
        out.append(Artifact(f"{h.name}/etc/udev/rules.d/20-names.rules", "".join(rules), source=h.path_label))
        out.append(Artifact(f"{h.name}/etc/scsi_id.config",
                            "# Written by virtc: every SCSI device returns a UUID (guide §9.3).\n"
                            "# options=-b\noptions=-g\n", source=h.path_label))
    return out

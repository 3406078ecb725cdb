"""/etc/rc.d/rc.local (and its link /etc/rc.local): commands run at the end of boot.
The guide's procedures add /sbin/start_udev for LUN names (§9.3) and tgtadm commands
for an iSCSI target (§23.1.1). A document entry is one command line."""
from __future__ import annotations

import shlex

from virtc.documents import Document, Entry
from virtc.model import IscsiTarget
from virtc.readback import Found
from virtc.source import SourceFile

from .format import Artifact, Format
from .lines import Unmodelled, comment_stripped


def parse_lines(src, fmt: str = "rc.local") -> tuple[Document, list]:
    """One entry per command line: key = line number, value = the line."""
    entries = []
    for n, s, text in comment_stripped(src):
        span = src.span(s, s + len(text))  # the key, the value and the line are all the line
        entries.append(Entry(str(n), text, span, span, span))
    return Document(fmt, src.path, tuple(entries), src), []


# ---------------------------------------------------------------- writing

def emit(model) -> list[Artifact]:
    """Lines for /etc/rc.local, written only when the host needs them: start_udev for LUN
    names (guide §9.3) and the tgtadm commands of an iSCSI target (§23.1.1)."""
    out = []
    for h in model.hosts:
        rc = []
        if any(lun.kind == "udev" for lun in h.luns):
            rc.append("/sbin/start_udev")
        for tid, t in enumerate(h.iscsi_targets, start=1):
            rc.append(f"tgtadm --lld iscsi --op new --mode target --tid {tid} --targetname {t.iqn}")
            for lun, path in t.luns:
                rc.append(f"tgtadm --lld iscsi --op new --mode logicalunit --tid {tid} --lun {lun} "
                          f"--backing-store {path}")
            if t.allow:
                rc.append(f"tgtadm --lld iscsi --op bind --mode target --tid {tid} --initiator-address {t.allow}")
        if rc:
            out.append(Artifact(f"{h.name}/etc/rc.local",
                                "# Written by virtc: append to /etc/rc.local.\n" + "\n".join(rc) + "\n",
                                source=h.owner))
    return out


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of emit(): the tgtadm commands of an iSCSI target (guide §23.1.1)
# become the host's iscsi_targets; /sbin/start_udev is what virtc writes for udev LUN
# names; any other command is noted as not modelled.

# tgtadm's options as virtc writes them (long) and their short forms.
_TGTADM = {"--lld": "lld", "-L": "lld", "--op": "op", "-o": "op", "--mode": "mode", "-m": "mode",
           "--tid": "tid", "-t": "tid", "--targetname": "targetname", "-T": "targetname",
           "--lun": "lun", "-l": "lun", "--backing-store": "backing", "-b": "backing",
           "--initiator-address": "address", "-I": "address"}


def _rc_commands(src, doc):
    """(command, span): the document's lines, a line ending in a backslash joined to the next."""
    parts, first = [], None
    for e in doc.entries:
        first = first or e
        if e.value.endswith("\\"):
            parts.append(e.value[:-1])
            continue
        if first is e:  # one line: its span is the command's
            yield e.value.strip(), e.span
        else:
            parts.append(e.value)
            yield " ".join(p.strip() for p in parts), src.span(first.span.start, e.span.end)
        parts, first = [], None
    if first is not None:
        yield " ".join(p.strip() for p in parts), src.span(first.span.start, doc.entries[-1].span.end)


def _number(text: str) -> bool:
    """tgtadm's tid and lun: ASCII digits (str.isdigit also takes '²', which int() refuses)."""
    return text.isascii() and text.isdigit() and len(text) <= 9


def _tgtadm(command: str) -> dict | None:
    """A tgtadm command's options, or None if it is not one virtc reads."""
    if "tgtadm" not in command:  # shlex is slow; most boot commands are something else
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    if not words or words[0].rsplit("/", 1)[-1] != "tgtadm":
        return None
    opts, i = {}, 1
    while i < len(words):
        key, eq, value = words[i].partition("=")
        if key not in _TGTADM or (not eq and i + 1 >= len(words)):
            return None
        opts[_TGTADM[key]] = value if eq else words[i + 1]
        i += 1 if eq else 2
    return opts


def read(text: str, path: str):
    src = SourceFile(path, text)
    doc, problems = parse_lines(src)
    found = Found(src, "rc.local", doc, diagnostics=list(problems))
    targets: dict[str, dict] = {}
    other = Unmodelled()  # commands virtc does not model, one VF003 per program
    for command, span in _rc_commands(src, doc):
        if not command or command in ("/sbin/start_udev", "start_udev"):
            continue  # a lone backslash; or start_udev, which virtc writes for udev LUN names
        o = _tgtadm(command)
        what = (o or {}).get("op"), (o or {}).get("mode")
        tid, lun = (o or {}).get("tid", ""), (o or {}).get("lun", "")
        if o is None:
            program = (command.split(None, 1) or [""])[0][:60]
            other.add(f"rc.local command `{program}`", span)
        elif o.get("lld") != "iscsi" or not _number(tid):
            found.ignored(f"rc.local command `{command[:60]}{'...' if len(command) > 60 else ''}`", span)
        elif what == ("new", "target") and o.get("targetname") and tid not in targets:
            targets[tid] = {"iqn": o["targetname"], "luns": [], "allow": None, "span": span}
        elif what == ("new", "logicalunit") and tid in targets and _number(lun) and o.get("backing"):
            targets[tid]["luns"].append((int(lun), o["backing"]))
        elif what == ("bind", "target") and tid in targets and o.get("address") and targets[tid]["allow"] is None:
            targets[tid]["allow"] = o["address"]
        else:
            found.ignored(f"tgtadm command `{command[:60]}{'...' if len(command) > 60 else ''}` (virtc models "
                          "one new target, its logical units and one initiator-address bind per tid)", span)
    other.flush(found)
    for t in targets.values():
        found.add("iscsi_targets", IscsiTarget(t["iqn"], tuple(t["luns"]), t["allow"], t["span"]))
    return found


def recognise(text: str, name: str = "") -> bool:
    """A boot script that starts udev or an iSCSI target: what virtc writes there."""
    return any(line.strip().split(" ", 1)[0].rsplit("/", 1)[-1] in ("start_udev", "tgtadm")
               for line in text.splitlines())


FORMAT = Format(
    "rc.local", "boot-time commands (/etc/rc.d/rc.local)",
    paths=("etc/rc.d/rc.local", "etc/rc.local"), names=("*rc.local",), recognise=recognise, read=read,
    emit=emit, target="hostfiles", trailing=True, single=True)

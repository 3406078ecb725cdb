"""Small host files the guide's procedures touch (/etc/rc.local, /etc/hosts), read into
documents. Writing them is the host-files issue."""
from __future__ import annotations

from virtc.documents import Document, Entry


def _lines(src):
    for number, (start, body) in enumerate(src.lines()):
        text = body.split("#", 1)[0].rstrip()
        if text.strip():
            lead = len(text) - len(text.lstrip())
            yield number, start + lead, text.strip()


def parse_lines(src, fmt: str = "rc.local") -> tuple[Document, list]:
    """One entry per command line: key = line number, value = the line."""
    entries = [Entry(str(n), text, src.span(s, s + len(text)), src.span(s, s + len(text)),
                     src.span(s, s + len(text))) for n, s, text in _lines(src)]
    return Document(fmt, src.path, tuple(entries)), []


def parse_hosts(src) -> tuple[Document, list]:
    """/etc/hosts: key = the first field (an address), value = the names."""
    entries = []
    for _, s, text in _lines(src):
        first, _, rest = text.partition(" ") if " " in text else text.partition("\t")
        rest = rest.strip()
        entries.append(Entry(first, rest, src.span(s, s + len(text)), src.span(s, s + len(first)),
                             src.span(s, s + len(text))))
    return Document("hosts", src.path, tuple(entries)), []


# ---------------------------------------------------------------- writing

NAME = "hostfiles"


def emit(model) -> list:
    """Lines for /etc/modprobe.conf, /etc/sysctl.conf and /etc/rc.local, each written only
    when the host needs them: loop devices, pciback hiding and module options (guide §5.3,
    §14.4, §15.2); bridge netfilter and IP forwarding (§7.3, §10); start_udev for LUN names
    and the tgtadm commands of an iSCSI target (§9.3, §23.1.1)."""
    from virtc.targets import Artifact

    out = []
    for h in model.hosts:
        if h.modprobe:
            lines = ["# Written by virtc: append to /etc/modprobe.conf; takes effect when the",
                     "# module is next loaded (or at reboot)."]
            lines += [f"options {s.key} {s.value}" for s in h.modprobe]
            out.append(Artifact(f"{h.name}/etc/modprobe.conf", "\n".join(lines) + "\n", source=h.owner))
        if h.sysctl:
            lines = ["# Written by virtc: append to /etc/sysctl.conf, then run sysctl -p."]
            lines += [f"{s.key} = {s.value}" for s in h.sysctl]
            out.append(Artifact(f"{h.name}/etc/sysctl.conf", "\n".join(lines) + "\n", source=h.owner))
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


# ---------------------------------------------------------------- reading rc.local into the model
#
# read_rc_local() is the inverse of the rc.local part of emit(): the tgtadm commands of an
# iSCSI target (guide §23.1.1) become the host's iscsi_targets; /sbin/start_udev is what
# virtc writes for udev LUN names; any other command is noted as not modelled.

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
    import shlex

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


def read_rc_local(text: str, path: str):
    from virtc.model import IscsiTarget
    from virtc.readback import Found
    from virtc.source import SourceFile

    src = SourceFile(path, text)
    doc, problems = parse_lines(src)
    found = Found(src, "rc.local", doc, diagnostics=list(problems))
    targets: dict[str, dict] = {}
    for command, span in _rc_commands(src, doc):
        if command in ("/sbin/start_udev", "start_udev"):
            continue  # virtc writes it when the host has udev LUN names
        o = _tgtadm(command)
        what = (o or {}).get("op"), (o or {}).get("mode")
        tid, lun = (o or {}).get("tid", ""), (o or {}).get("lun", "")
        if o is None or o.get("lld") != "iscsi" or not _number(tid):
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
    for t in targets.values():
        found.add("iscsi_targets", IscsiTarget(t["iqn"], tuple(t["luns"]), t["allow"], t["span"]))
    return found

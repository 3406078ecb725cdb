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
            out.append(Artifact(f"{h.name}/etc/modprobe.conf", "\n".join(lines) + "\n", source=h.path_label))
        if h.sysctl:
            lines = ["# Written by virtc: append to /etc/sysctl.conf, then run sysctl -p."]
            lines += [f"{s.key} = {s.value}" for s in h.sysctl]
            out.append(Artifact(f"{h.name}/etc/sysctl.conf", "\n".join(lines) + "\n", source=h.path_label))
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
                                source=h.path_label))
    return out

"""device-mapper multipath configuration (/etc/multipath.conf), read into a document of
`section/.../keyword value` entries. Writing it is the host-files issue."""
from __future__ import annotations

import re

from virtc.owner import Owner
from virtc.diagnostics import error
from virtc.documents import Document, Entry

_TOKEN = re.compile(r'"[^"]*"|\{|\}|[^\s{}"#]+|#.*')


def parse_document(src) -> tuple[Document, list]:
    entries, diags = [], []
    stack: list[tuple[str, object]] = []  # (section name, span)
    block_no = -1
    for start, line in src.lines():
        tokens = [(m.group(0), start + m.start()) for m in _TOKEN.finditer(line)
                  if not m.group(0).startswith("#")]
        i = 0
        while i < len(tokens):
            tok, pos = tokens[i]
            if tok == "}":
                if not stack:
                    diags.append(error("VF411", "'}' closes no section", src.span(pos, pos + 1)))
                else:
                    stack.pop()
                i += 1
            elif i + 1 < len(tokens) and tokens[i + 1][0] == "{":
                block_no += 1
                path = "/".join([s for s, _ in stack] + [tok])
                entries.append(Entry(path, None, src.span(pos, tokens[i + 1][1] + 1), src.span(pos, pos + len(tok)),
                                     src.span(pos, pos + len(tok)), group=block_no))
                stack.append((tok, src.span(pos, pos + len(tok))))
                i += 2
            else:
                rest = tokens[i + 1:]
                value = " ".join(t.strip('"') for t, _ in rest)
                end = rest[-1][1] + len(rest[-1][0]) if rest else pos + len(tok)
                path = "/".join([s for s, _ in stack] + [tok])
                vstart = rest[0][1] if rest else pos
                entries.append(Entry(path, value, src.span(pos, end), src.span(pos, pos + len(tok)),
                                     src.span(vstart, max(end, vstart + 1)), group=block_no))
                i = len(tokens)
    for name, span in stack:
        diags.append(error("VF411", f"section '{name}' is not closed", span, hint="add the missing '}'"))
    return Document("multipath", src.path, tuple(entries)), diags


# ---------------------------------------------------------------- writing

NAME = "multipath"

# device-mapper-multipath 0.4.7's defaults on RHEL 5 (its shipped multipath.conf): udev_dir,
# selector, getuid_callout and prio_callout are RHEL 5 keywords that today's tools reject.
DEFAULTS = (("udev_dir", "/dev"), ("polling_interval", "10"), ("selector", '"round-robin 0"'),
            ("path_grouping_policy", "failover"), ("getuid_callout", '"/sbin/scsi_id -g -u -s /block/%n"'),
            ("prio_callout", "/bin/true"), ("path_checker", "readsector0"), ("rr_min_io", "100"),
            ("failback", "immediate"), ("no_path_retry", "fail"), ("user_friendly_names", "yes"))


def emit(model) -> list:
    """/etc/multipath.conf for hosts with `multipath` LUNs (guide §9.3): defaults, the
    blacklist where given, and one multipath block (wwid, alias) per LUN."""
    from virtc.targets import Artifact

    out = []
    for h in model.hosts:
        luns = [lun for lun in h.luns if lun.kind == "multipath"]
        if not luns:
            continue
        lines = ["# Written by virtc: aliases appear as /dev/mpath/ALIAS (guide §9.3).", "defaults {"]
        lines += [f"\t{k}\t{v}" for k, v in DEFAULTS]
        lines.append("}")
        if h.multipath_blacklist:
            lines.append("blacklist {")
            for kind, value in h.multipath_blacklist:
                lines.append(f'\t{kind}\t"{value}"' if kind == "devnode" else f"\t{kind}\t{value}")
            lines.append("}")
        lines.append("multipaths {")
        for lun in luns:
            lines += ["\tmultipath {", f"\t\twwid\t{lun.wwid}", f"\t\talias\t{lun.name}", "\t}"]
        lines.append("}")
        out.append(Artifact(f"{h.name}/etc/multipath.conf", "\n".join(lines) + "\n", source=h.owner))
    return out


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of emit(): each multipaths/multipath block (wwid + alias) is a
# `multipath ALIAS wwid WWID` LUN, blacklist devnode/wwid lines are the host's
# multipath_blacklist, and defaults equal to DEFAULTS are what virtc writes anyway.
# Blocks multipathd ignores (misspelt, or outside multipaths) are VF411's and give no LUN.

_BLOCK_KEYS = ("wwid", "alias")
_SECTIONS = ("devices", "device", "blacklist_exceptions")  # known to multipathd, not modelled


def read(text: str, path: str):
    from virtc.model import Lun
    from virtc.readback import Found
    from virtc.source import SourceFile

    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "multipath", doc, diagnostics=list(problems))
    defaults = {k: v.strip('"') for k, v in DEFAULTS}
    blocks: dict[int, dict] = {}
    order: list[int] = []
    for e in doc.entries:
        parts = e.key.split("/")
        if e.value is None:  # a section opener
            where = "/".join(parts)
            if where in ("defaults", "blacklist", "multipaths"):
                continue
            if where == "multipaths/multipath":
                blocks[e.group] = {"_": e}
                order.append(e.group)
            elif "/".join(parts[:-1]) in ("", "blacklist") and parts[-1] in _SECTIONS:
                # devices, blacklist_exceptions, blacklist/device: one note for the whole section
                found.ignored(f"multipath.conf section `{where}`", e.key_span)
            continue  # unknown or misplaced sections (and what they hold) are VF411's
        section, key = parts[:-1], parts[-1]
        where = "/".join(section)
        if where == "defaults":
            if defaults.get(key) != e.value:
                found.ignored(f"multipath default `{key} {e.value[:40]}`"
                              + (f" (virtc writes {key} {defaults[key]})" if key in defaults else ""), e.span)
        elif where == "blacklist" and key in ("devnode", "wwid") and e.value:
            value = e.value.lower() if key == "wwid" else e.value
            found.add("multipath_blacklist", (key, value))
        elif where == "multipaths/multipath" and key in _BLOCK_KEYS and e.group in blocks:
            blocks[e.group].setdefault(key, e)
        elif not where:
            found.ignored(f"multipath.conf keyword `{key}` outside any section", e.span)
        elif where in ("blacklist", "multipaths", "multipaths/multipath"):
            found.ignored(f"multipath.conf `{key} {e.value[:40]}` in {where}", e.span)
        # keywords inside sections noted above, or inside sections VF411 reports: nothing more
    for n in order:
        block = blocks[n]
        wwid, alias = block.get("wwid"), block.get("alias")
        if wwid is None or alias is None or not wwid.value or not alias.value:
            continue  # VF411: a multipath block without wwid or alias
        found.add("luns", Lun(alias.value, wwid.value.lower(), "multipath", alias.span, Owner(part=f"multipath {alias.value}")))
    return found

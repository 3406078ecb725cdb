"""device-mapper multipath configuration, /etc/multipath.conf (guide §9.3): aliases for
multipath LUNs by WWID, read into a document of `section/.../keyword value` entries."""
from __future__ import annotations

import re
from collections import defaultdict
from functools import partial

from virtc import conventions, regexes
from virtc.diagnostics import Related, Severity, error, info, warning
from virtc.documents import Document, Entry
from virtc.model import Lun
from virtc.owner import Owner
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile
from virtc.suggest import did_you_mean

from .format import Artifact, Format

_TOKEN = re.compile(r'"[^"]*"|\{|\}|[^\s{}"#]+|#.*')


# multipath.conf nests two levels (multipaths { multipath { } }). Sections deeper than this
# are a broken file: reported once and read as if at this depth, so an entry's key (the
# path of its sections) stays short; a file of unclosed sections made keys grow with the
# file, and the reader quadratic in it.
MAX_DEPTH = 16


def parse_document(src) -> tuple[Document, list]:
    entries, diags = [], []
    stack: list[tuple[str, object]] = []  # (section name, span)
    deeper = 0  # open sections past MAX_DEPTH, not on the stack
    block_no = -1
    # a word alone on its line (`device`), held until the next line with tokens says whether
    # it opens a section: multipath-tools' parser enters a section on the keyword's line
    # alone, whatever follows it; a `{` on the next line is then a line of its own, which it
    # logs as an invalid keyword and skips. (tok, pos, key span)
    pending = None

    def open_section(tok, pos, key, whole):
        nonlocal deeper, block_no
        if len(stack) >= MAX_DEPTH:
            if not deeper:
                diags.append(error("VF411", f"section '{tok}' is nested more than {MAX_DEPTH} sections deep; "
                                   "multipath.conf has two levels", key,
                                   hint="close each section with '}' before the next one opens"))
            deeper += 1
            return
        block_no += 1
        path = "/".join([s for s, _ in stack] + [tok])
        entries.append(Entry(path, None, whole, key, key, group=block_no))
        stack.append((tok, key))

    def keyword(tok, key, value="", whole=None, value_span=None):
        path = "/".join([s for s, _ in stack] + [tok])
        entries.append(Entry(path, value, whole or key, key, value_span or key, group=block_no))

    row, base, start = 0, 0, 0
    for piece in src.text.splitlines(keepends=True):  # src.lines(), counting its rows as it goes
        line = piece.rstrip("\r\n")
        if start == base:  # the line before ended with "\n" (src.line_starts' line break)
            row += 1
        span = partial(src.span_in, row, base)  # every span below is on this line
        start, at = start + len(piece), start
        if piece.endswith("\n"):
            base = start
        tokens = [(m.group(0), at + m.start()) for m in _TOKEN.finditer(line)
                  if not m.group(0).startswith("#")]
        if not tokens:
            continue  # blank or comment: multipath skips it, and so does a held keyword
        i = 0
        if pending is not None:
            tok, pos, key = pending
            pending = None
            if tokens[0][0] == "{":
                open_section(tok, pos, key, key)
                if tok in MULTIPATH_SECTIONS:  # (a misspelt one is VF411's unknown section)
                    diags.append(info("VF411", f"'{{' on a line of its own: multipath opens section '{tok}' at "
                                               "its keyword's line and skips this one as an invalid keyword",
                                      span(tokens[0][1], tokens[0][1] + 1),
                                      hint=f"write '{{' at the end of the line of '{tok}'"))
                i = 1
            else:
                keyword(tok, key)
        if i == 0 and len(tokens) == 1 and tokens[0][0] not in ("{", "}") and not tokens[0][0].startswith('"'):
            tok, pos = tokens[0]
            pending = (tok, pos, span(pos, pos + len(tok)))
            continue
        while i < len(tokens):
            tok, pos = tokens[i]
            if tok == "}" and deeper:
                deeper -= 1
                i += 1
            elif tok == "}":
                if not stack:
                    diags.append(error("VF411", "'}' closes no section", span(pos, pos + 1)))
                else:
                    stack.pop()
                i += 1
            elif i + 1 < len(tokens) and tokens[i + 1][0] == "{":
                key = span(pos, pos + len(tok))
                open_section(tok, pos, key, span(pos, tokens[i + 1][1] + 1))
                i += 2
            else:
                rest = tokens[i + 1:]
                value = " ".join(t.strip('"') for t, _ in rest)
                end = rest[-1][1] + len(rest[-1][0]) if rest else pos + len(tok)
                key = span(pos, pos + len(tok))
                keyword(tok, key, value, span(pos, end) if rest else key, span(rest[0][1], end) if rest else key)
                i = len(tokens)
    if pending is not None:
        keyword(pending[0], pending[2])
    # multipath reads an open section to the end of the file (today's multipath-tools with a
    # "missing '}'" note), so its settings take effect: a warning, for what a later addition
    # at the end of the file would land in
    for name, span in stack:
        diags.append(warning("VF411", f"section '{name}' is not closed; multipath reads it to the end of the file, "
                                      "so whatever is added after it lands inside it", span,
                             hint="add the missing '}'"))
    return Document("multipath", src.path, tuple(entries), src), diags


# ---------------------------------------------------------------- writing

# device-mapper-multipath 0.4.7's defaults on RHEL 5 (its shipped multipath.conf): udev_dir,
# selector, getuid_callout and prio_callout are RHEL 5 keywords that today's tools reject.
DEFAULTS = (("udev_dir", "/dev"), ("polling_interval", "10"), ("selector", '"round-robin 0"'),
            ("path_grouping_policy", "failover"), ("getuid_callout", '"/sbin/scsi_id -g -u -s /block/%n"'),
            ("prio_callout", "/bin/true"), ("path_checker", "readsector0"), ("rr_min_io", "100"),
            ("failback", "immediate"), ("no_path_retry", "fail"), ("user_friendly_names", "yes"))


def emit(model) -> list:
    """/etc/multipath.conf for hosts with `multipath` LUNs (guide §9.3): defaults, the
    blacklist where given, and one multipath block (wwid, alias) per LUN."""
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
_SECTIONS = ("devices", "device", "blacklist_exceptions", "overrides")  # known to multipathd, not modelled


def read(text: str, path: str):
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "multipath", doc, diagnostics=list(problems))
    defaults = {k: v.strip('"') for k, v in DEFAULTS}
    blocks: dict[int, dict] = {}
    order: list[int] = []
    blacklist, luns = [], []
    for e in doc.entries:
        parts = e.key.split("/")
        if e.value is None:  # a section opener
            where = "/".join(parts)
            if where in ("defaults", "blacklist", "devnode_blacklist", "multipaths"):
                continue  # devnode_blacklist: multipath-tools 0.4.7's older name of blacklist
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
        elif where in ("blacklist", "devnode_blacklist") and key in ("devnode", "wwid") and e.value:
            value = (conventions.wwid(e.value) or e.value) if key == "wwid" else e.value
            blacklist.append((key, value))
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
        luns.append(Lun(alias.value, conventions.wwid(wwid.value) or wwid.value, "multipath", alias.span,
                        Owner(part=f"multipath {alias.value}"), wwid.value_span))
    # each added once: adding one at a time copied the tuple each time
    if blacklist:
        found.add("multipath_blacklist", *blacklist)
    if luns:
        found.add("luns", *luns)
    return found


# ---------------------------------------------------------------- format-level rules

# `overrides` is later multipath-tools' (0.4.9 on): RHEL 5's 0.4.7 logs it as an invalid
# keyword and reads on, so it changes nothing there and is no error anywhere.
MULTIPATH_SECTIONS = ("defaults", "blacklist", "devnode_blacklist", "blacklist_exceptions", "devices", "device",
                      "multipaths", "multipath", "overrides")


class MultipathSections(Rule):
    """multipath.conf sections are spelt right and each multipath block is inside multipaths.

    What it checks: section names (defaults, blacklist, devices, device, multipaths,
    multipath, ...), a `multipath` block outside `multipaths { }`, a multipath block
    without wwid or alias, and unbalanced braces (reported by the reader). A `{` on the
    line after its section's keyword opens that section, as multipath reads it (an info:
    multipath skips the lone `{` as an invalid keyword).

    Why: the persistent names are `multipaths { multipath { wwid ... alias ... } }` (§9.3,
    lines 1459-1477); the guide's example spells two blocks `mulitpath` (lines 1469, 1473)
    and its §32.14 copy leaves out the enclosing multipaths (lines 5518-5533,
    contradiction C-20): multipathd ignores both, so the aliases never appear.

    Example:
        multipaths {
            mulitpath { wwid 3600805f3001598700000000086fc001b; alias oramp3 }
        }

    Fix: multipath { wwid 3600805f3001598700000000086fc001b alias oramp3 } inside multipaths.
    """

    code, name, severity = "VF411", "multipath-sections", Severity.ERROR
    checklist, section, lines = ("MPIO-09", "MPIO-08"), "§9.3", "1459-1477, 5518-5533"
    scope = Scope.DOCUMENT
    formats = ("multipath",)

    def document(self, doc: Document):
        blocks = defaultdict(dict)
        for e in doc.entries:
            parts = e.key.split("/")
            if e.value is None:  # a section opener
                name = parts[-1]
                if name not in MULTIPATH_SECTIONS:
                    yield self.report(f"unknown section '{name}'", e.key_span,
                                      hint=did_you_mean(name, MULTIPATH_SECTIONS))
                elif name == "multipath" and parts[:-1] != ["multipaths"]:
                    yield self.report("a multipath block outside multipaths { }", e.key_span,
                                      hint="put every multipath block inside one multipaths { } section")
                if name == "multipath":
                    blocks[e.group]["_"] = e
            elif parts[:-1] and parts[:-1][-1] == "multipath":
                blocks[e.group][parts[-1]] = e
        for block in blocks.values():
            head = block.get("_")
            if head is None:
                continue
            for needed in ("wwid", "alias"):
                if needed not in block:
                    yield self.report(f"multipath block without {needed}", head.key_span)


class MultipathIdentity(Rule):
    """Each multipath alias names one block.

    What it checks: an alias given by two multipath blocks of multipath.conf. (A WWID
    given twice, or cut short, is a fact of the LUNs the file defines: VU104 and VU103
    report it, once, for multipath.conf and for .virt files alike.)

    Why: §32.14's example gives three aliases one WWID (lines 5518-5533, contradiction
    C-20); the reverse, one alias on two blocks, makes multipathd name one device and
    leave the other under its WWID, so /dev/mpath/ALIAS is whichever came first.

    Example:
        multipath { wwid 3600a0b800013275100000015427b625e  alias oramp1 }
        multipath { wwid 3600a0b800013275100000015427b6261  alias oramp1 }

    Fix: give each block its own alias.
    """

    code, name, severity = "VF412", "multipath-identity", Severity.ERROR
    checklist, section, lines = ("MPIO-11",), "§32.14", "1437, 1462-1474, 5518-5533"
    scope = Scope.DOCUMENT
    formats = ("multipath",)

    def document(self, doc: Document):
        seen = {}
        for e in doc.entries:
            *section, kind = e.key.split("/")
            if not section or section[-1] != "multipath" or kind != "alias":
                continue
            if e.value in seen:
                yield self.report(f"alias {e.value} is used twice", e.value_span,
                                  related=(Related(seen[e.value].value_span, "first used here"),))
            else:
                seen[e.value] = e


# SCSI path names multipathd meets for a LUN (sdb, sdz, sdaa ...): a devnode pattern of
# the blacklist that matches them all takes every path of every LUN
_SCSI_PATHS = ("sdb", "sdz", "sdaa", "sdbz")


def _takes_every_path(pattern: str) -> bool:
    """Whether a blacklist devnode pattern (a POSIX extended regex multipathd searches each
    device name with) matches every SCSI path. RHEL 5's shipped `devnode "*"` does: its
    C library reads a lone `*` as matching everything (the file says so: "Blacklist all
    devices by default"); a pattern Python cannot read is left alone."""
    if pattern.strip() in ("*", ".*", "^.*", ".*$", "^.*$"):
        return True
    compiled = regexes.compiled(pattern)
    return compiled is not None and all(compiled.search(name) for name in _SCSI_PATHS)


class MultipathBlacklisted(Rule):
    """multipath.conf's blacklist leaves the devices of its multipath aliases.

    What it checks: each `multipath { wwid ... alias ... }` block of multipath.conf whose
    wwid the blacklist names, or all of them when a blacklist `devnode` pattern takes
    every SCSI path (RHEL 5's shipped file has `blacklist { devnode "*" }`). A file with
    a `blacklist_exceptions` section is left alone: its exceptions may let the devices
    back in.

    Why: the aliases "will create 4 LUNs named /dev/mpath/oramp1 ..." (§9.3, lines
    1459-1477) only for devices multipathd manages, and it manages none it blacklists. The
    blacklist of every device is what device-mapper-multipath installs ("Blacklist all
    devices by default. Remove this to enable multipathing"): left in place, no
    /dev/mpath/ALIAS appears, and a guest given one finds no disk.

    Example:
        blacklist { devnode "*" }
        multipaths { multipath { wwid 3600805f30015987000000000768a0019  alias oramp1 } }

    Fix: remove the blacklist of every device (keep the local disks': `devnode
    "^(ram|raw|loop|fd|md|dm-|sr|scd|st)[0-9]*"`, the local disk's wwid), or add a
    blacklist_exceptions section with the aliases' wwids.
    """

    code, name, severity = "VF414", "multipath-blacklisted", Severity.ERROR
    checklist, section, lines = ("MPIO-10", "MPIO-08"), "§9.3", "1459-1477"
    scope = Scope.DOCUMENT
    formats = ("multipath",)

    def document(self, doc: Document):
        every, wwids, blocks = None, {}, defaultdict(dict)  # blocks: group -> {"wwid": Entry, "alias": Entry}
        for e in doc.entries:
            parts = e.key.split("/")
            if parts[0] == "blacklist_exceptions":
                return
            if len(parts) == 2 and parts[0] in ("blacklist", "devnode_blacklist") and e.value:
                if parts[1] == "devnode" and every is None and _takes_every_path(e.value):
                    every = e
                elif parts[1] == "wwid":
                    wwids.setdefault(conventions.wwid(e.value) or e.value, e)
            elif parts == ["multipaths", "multipath", "wwid"] or parts == ["multipaths", "multipath", "alias"]:
                blocks[e.group].setdefault(parts[-1], e)
        named = [(b["wwid"], b["alias"]) for b in blocks.values()
                 if b.get("wwid") is not None and b.get("alias") is not None and b["wwid"].value and b["alias"].value]
        if every is not None and named:  # one fact: one finding, at the blacklist entry
            aliases = [alias.value for _, alias in named]
            shown = ", ".join(aliases[:5]) + (f" and {len(aliases) - 5} more" if len(aliases) > 5 else "")
            yield self.report(f'blacklist devnode "{every.value}" takes every device: multipathd makes none of '
                              f"the {len(aliases)} multipath alias(es) ({shown})", every.value_span,
                              related=(Related(named[0][1].value_span, f"alias {aliases[0]}"),),
                              hint="remove it (keep the local disks' entries), or list the aliases' wwids in "
                                   "blacklist_exceptions")
            return
        for wwid, alias in named:
            listed = wwids.get(conventions.wwid(wwid.value) or wwid.value)
            if listed is not None:
                yield self.report(f"multipath alias {alias.value} never appears: the blacklist names its wwid "
                                  f"{wwid.value}", alias.value_span, related=(Related(listed.span, "blacklisted here"),),
                                  hint="remove the wwid from the blacklist, or give the alias the LUN it means")


_SECTION = re.compile(r"^[ \t]*([A-Za-z_]+)[ \t]*\{", re.M)


def recognise(text: str, name: str = "") -> bool:
    """Sections opened with `{` (on the keyword's line or the next), every top-level one a
    multipath section (lvm.conf also has `devices {`, but beside `log {`, `global {` ...)."""
    body = "\n".join(line.split("#", 1)[0] for line in text.splitlines())
    sections, depth = [], 0
    for m in re.finditer(r"[{}]|^[ \t]*([A-Za-z_]+)\s*(?=\{)", body, re.M):  # its `{` may be on the next line
        if m.group(0) == "{":
            depth += 1
        elif m.group(0) == "}":
            depth = max(0, depth - 1)
        elif depth == 0:
            sections.append(m.group(1))
    return bool(sections) and all(s in ("defaults", "blacklist", "devnode_blacklist", "blacklist_exceptions", "devices",
                                        "multipaths")
                                  for s in sections)


FORMAT = Format(
    "multipath", "device-mapper multipath configuration (/etc/multipath.conf)",
    paths=("etc/multipath.conf",), names=("*multipath.conf",), recognise=recognise, read=read, emit=emit,
    target="multipath", rules=rules_in(globals()), comments="#!", trailing=True, facts=("luns",), single=True)

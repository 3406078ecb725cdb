"""udev rules, /etc/udev/rules.d/*.rules: the single-path persistent LUN names of guide
§9.3 (`KERNEL=="sd*", BUS=="scsi", PROGRAM="/sbin/scsi_id ...", RESULT=="WWID", NAME="name"`).

A rules document has one entry per `KEY{attr}OP"value"` pair: key = KEY, value =
(operator, value), group = the rule's number.
"""
from __future__ import annotations

import re

from virtc import conventions, fixes
from virtc.diagnostics import Related, Severity, error
from virtc.documents import Document, Entry
from virtc.model import Lun
from virtc.owner import Owner
from virtc.readback import Found
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile
from virtc.suggest import did_you_mean

from .format import Artifact, Format
from .lines import Unmodelled

_PAIR = re.compile(r'\s*(?P<key>[A-Z_]+(?:\{[^}]*\})?)\s*(?P<op>==|!=|\+=|:=|=)\s*"(?P<value>[^"]*)"')
# udev 095's get_key() skips blanks and commas alike before each key, so `A="x" B="y"`
# (a comma left out, as RHEL 5's own 50-udev.rules has twice) is two keys to udev too.
_SEP = re.compile(r"[\s,]*")


def _logical_lines(src):
    """(start offset, text) of each rule, joining lines that end with a backslash."""
    pending, pending_start = "", None
    for start, body in src.lines():
        if pending_start is None:
            pending_start = start
        if body.endswith("\\"):
            pending += body[:-1] + "  "  # the backslash and the newline: offsets stay the file's
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
            k0 = start + m.start("key")
            entries.append(Entry(m.group("key"), (m.group("op"), m.group("value")),
                                 src.span(k0, start + m.end("value") + 1), src.span(k0, start + m.end("key")),
                                 src.span(start + m.start("value") - 1, start + m.end("value") + 1), group=rule_no))
            pos = _SEP.match(text, m.end()).end()
        del lead
    return Document("udev", src.path, tuple(entries), src), diags


# ---------------------------------------------------------------- writing

def emit(model) -> list[Artifact]:
    """Persistent single-path LUN names (guide §9.3): one udev rule per `lun`, RHEL 5 syntax
    (match with ==, assign with =, scsi_id by its full path)."""
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
    return out


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of emit(): each rule that names a device (NAME=) after matching
# scsi_id's output (RESULT==WWID) is a `lun NAME wwid WWID`. The other pairs of such a
# rule are the template virtc writes; other rules are noted as not modelled.

_TEMPLATE = {"KERNEL": "sd*", "BUS": "scsi", "PROGRAM": "/sbin/scsi_id -g -s /block/%k"}


def read(text: str, path: str):
    """A udev rules file -> luns (kind udev). A rule written with RESULT="..." (one '=',
    as the guide prints it) or NAME=="..." is read for what it means to say; VF402
    reports the operator."""
    src = SourceFile(path, text)
    doc, problems = parse_rules(src)
    found = Found(src, "udev", doc, diagnostics=list(problems))
    rules: dict[int, list] = {}
    for e in doc.entries:
        rules.setdefault(e.group, []).append(e)
    other = Unmodelled()  # the stock rules: one note for all of them, not one per rule
    luns = []
    for rule in rules.values():
        pairs = {e.key: e for e in rule}
        name, result = pairs.get("NAME"), pairs.get("RESULT")
        if name is None or result is None or name.value[0] in ("!=", "+=") or result.value[0] not in ("==", "="):
            other.add("udev rules that name no LUN (virtc models RESULT==WWID, NAME=name)", rule[0].span)
            continue
        wwid = conventions.wwid(result.value[1])
        if wwid is None or not name.value[1]:
            other.add("udev rules that match RESULT on something other than a WWID", result.value_span)
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
        luns.append(Lun(name.value[1], wwid, "udev", name.span, Owner(part=f"lun {name.value[1]}"),
                        result.value_span))
    if luns:
        found.add("luns", *luns)  # once: adding one at a time copied the tuple each time
    other.flush(found)
    if found.later is None:
        found.later = _later_scsi_id(doc)
    return found


def _later_scsi_id(doc: Document):
    """The first scsi_id long option (`--whitelisted`, `--device=`) of a rule, as Found.later:
    RHEL 5's scsi_id (udev 095) reads short options only and exits on any other, so the
    rule gives no name there; the file was written for a later udev's scsi_id. (`-d` and a
    device given as an argument are no mark: RHEL 5's scsi_id has -d and skips arguments.)"""
    for e in doc.entries:
        value = e.value[1]
        words = value.split()
        if not words or not _runs_scsi_id(words[0]):
            continue
        for word in words[1:]:
            if word.split("=", 1)[0] in SCSI_ID_LONG:
                at = e.value_span.start + 1 + value.index(word)
                return (f"scsi_id's long option {word.split('=', 1)[0]}, which RHEL 5's scsi_id "
                        "(udev 095, short options only) refuses", doc.source.span(at, at + len(word)))
    return None


# ---------------------------------------------------------------- format-level rules

# udev 095 (RHEL 5): keys that match (== or !=) and keys that assign (=, +=, :=). ATTR{file}
# does both: `ATTR{queue/scheduler}="none"` writes the value to the device's sysfs file.
MATCH_KEYS = ("ACTION", "KERNEL", "DEVPATH", "SUBSYSTEM", "BUS", "DRIVER", "ID", "SUBSYSTEMS", "PROGRAM", "IMPORT",
              "DRIVERS", "KERNELS", "RESULT", "ENV", "ATTR", "ATTRS", "SYSFS", "PROGRAM_RESULT")
ASSIGN_KEYS = ("NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "OPTIONS", "RUN", "LABEL", "GOTO",
               "IMPORT", "WAIT_FOR_SYSFS", "PROGRAM", "ENV", "ATTR")
# Keys of later udev than RHEL 5's 095, known on a host that says it is a later system
# (Document.later_system): TAG (udev 154), TEST, SYSCTL, CONST, SECLABEL, WAIT_FOR.
LATER_MATCH_KEYS = ("TAG", "TAGS", "TEST", "SYSCTL", "CONST")
LATER_ASSIGN_KEYS = ("TAG", "SYSCTL", "SECLABEL", "WAIT_FOR")


class UdevRuleSyntax(Rule):
    """A udev rule line is a list of `KEY=="value"` and `KEY="value"` pairs.

    What it checks: the reader reports text it cannot read as a pair (a value without its
    quotes, an operator missing). A comma left out between two pairs is not reported:
    udev 095 skips blanks and commas alike between keys, so the rule still works.

    Why: a rule is "one line, comma-separated KEY op "value" pairs" (§9.3, lines
    1441-1447); udev skips a rule it cannot parse and the LUN gets no name.

    Example:
        KERNEL=="sd*", BUS==scsi

    Fix: KERNEL=="sd*", BUS=="scsi".
    """

    code, name, severity = "VF401", "udev-rule-syntax", Severity.ERROR
    checklist, section, lines = ("MPIO-05",), "§9.3", "1441-1447"
    scope = Scope.READER


class UdevOperators(Rule):
    """udev rules match with `==` and assign with `=`, and call /sbin/scsi_id by its full path.

    What it checks: match keys (KERNEL, BUS, SUBSYSTEM, RESULT, ...) written with a single
    '='; assignment keys (NAME, SYMLINK, PROGRAM, ...) written with '=='; PROGRAM running
    scsi_id by a relative path or without the device (`-s /block/%k`, `-s %p`; or its node,
    as later udev's scsi_id takes it: `-d /dev/$name`, `--device=/dev/$name`, `/dev/$name`;
    `--whitelisted` is read as -g); two rules creating the same NAME.

    Why: the template is `KERNEL=="sd[a-z]", BUS=="scsi", PROGRAM="/sbin/scsi_id -g -s
    /block/%k", RESULT="UUID", NAME="devicename"` (§9.3, line 1442), but the guide's own
    examples write `KERNEL="sd*"`, `PROGRAM="/sbin/scsi_id -g -s"` and the relative
    `sbin/scsi_id` (lines 1445, 5511, 5513; contradiction C-18), and every example writes
    RESULT with one '='. udev 095 refuses '=' on a match key ("invalid KERNEL operation")
    and drops the whole rule; a relative PROGRAM path is not found.

    Example:
        KERNEL="sd*", BUS="scsi", PROGRAM="sbin/scsi_id", RESULT="3600a0b80001327510000015427b625e", NAME="mydevicename"

    Fix: KERNEL=="sd*", BUS=="scsi", PROGRAM="/sbin/scsi_id -g -s /block/%k",
    RESULT=="3600a0b800013275100000015427b625e", NAME="mydevicename".
    """

    code, name, severity = "VF402", "udev-operators", Severity.ERROR
    checklist, section, lines = ("MPIO-05",), "§9.3", "1441-1447, 5510-5514"
    scope = Scope.DOCUMENT
    formats = ("udev",)
    fix, fix_title = "safe", 'a match written with "=" is written with "=="; an assignment written with "==" with "="'

    def document(self, doc: Document):
        names: dict[str, object] = {}
        # rules that name a LUN by what scsi_id returned: a name given twice is a clash
        # (NAME="%k" in the stock rules names each device after itself, and is no clash)
        lun_rules = {e.group for e in doc.entries if e.key == "RESULT"}
        match, assign = MATCH_KEYS, ASSIGN_KEYS
        if doc.later_system is not None:
            match, assign = match + LATER_MATCH_KEYS, assign + LATER_ASSIGN_KEYS
        for e in doc.entries:
            key = e.key.split("{", 1)[0]
            op, value = e.value
            if key in match and key not in assign and op not in ("==", "!="):
                yield self.report(f'{e.key}{op}"{value}" matches with a single "="; udev needs "=="', e.span,
                                  hint=f'{e.key}=="{value}"', fix=_operator_fix(doc, e, op, "=="))
            elif key in assign and key not in match and op in ("==", "!="):
                yield self.report(f"{key} is assigned, not compared: write {key}=", e.span,
                                  fix=_operator_fix(doc, e, op, "=") if op == "==" else None)
            elif key not in match and key not in assign:
                yield self.report(f"unknown udev key {key}", e.key_span,
                                  hint=did_you_mean(key, match + assign))
            if key == "PROGRAM" and "scsi_id" in value:
                words = value.split()
                exe = words[0]
                if not exe.startswith("/"):
                    yield self.report(f"PROGRAM runs {exe} by a relative path", e.value_span,
                                      hint='PROGRAM="/sbin/scsi_id -g -s /block/%k"')
                elif not _names_device(words[1:]):
                    if doc.later_system is None:
                        yield self.report("scsi_id is called without the device (-s /block/%k or -s %p)",
                                          e.value_span, hint='PROGRAM="/sbin/scsi_id -g -s /block/%k"')
                    else:  # a later udev's scsi_id has no -s: it takes the device node
                        yield self.report("scsi_id is called without the device (--device=/dev/$name, "
                                          "-d /dev/$name or /dev/$name)", e.value_span,
                                          hint=f'PROGRAM="{exe} --whitelisted --device=/dev/$name"')
            if key == "NAME" and e.group in lun_rules and "%" not in value and "$" not in value:
                if value in names:
                    yield self.report(f"two rules name a device {value}", e.span,
                                      related=(Related(names[value].span, "first named here"),))
                else:
                    names[value] = e


# scsi_id's long options (later udev's, getopt_long; RHEL 5's udev 095 has none) as the
# short ones they stand for. --sg-version is later udev's -s, which is no sysfs path there.
SCSI_ID_LONG = {"--device": "-d", "--config": "-f", "--page": "-p", "--sg-version": "--sg-version",
                "--blacklisted": "-b", "--whitelisted": "-g", "--replace-whitespace": "-u",
                "--export": "-x", "--verbose": "-v", "--version": "-V", "--help": "-h"}
# options that take an argument: RHEL 5's -d device node, -f config file, -p page, -s sysfs path
_SCSI_ID_ARG = ("-d", "-f", "-p", "-s", "--sg-version")


def _runs_scsi_id(exe: str) -> bool:
    return exe.rsplit("/", 1)[-1] == "scsi_id"


def scsi_id_options(args: list[str]) -> list[tuple[str, str | None]]:
    """scsi_id's arguments as getopt reads them: (short option, its argument or None), long
    options as their short ones, clusters split (`-gu`, `-s%p`), and ("", word) for each
    argument that is no option's."""
    out: list[tuple[str, str | None]] = []
    rest = iter(args)
    for word in rest:
        if word.startswith("--"):
            name, eq, arg = word.partition("=")
            opt = SCSI_ID_LONG.get(name, name)
            if opt in _SCSI_ID_ARG and not eq:
                arg = next(rest, "")
            out.append((opt, arg if opt in _SCSI_ID_ARG or eq else None))
        elif word.startswith("-") and len(word) > 1:
            for i, letter in enumerate(word[1:], start=2):
                opt = "-" + letter
                if opt in _SCSI_ID_ARG:
                    out.append((opt, word[i:] or next(rest, "")))
                    break
                out.append((opt, None))
        else:
            out.append(("", word))
    return out


def _names_device(args: list[str]) -> bool:
    """scsi_id's arguments name the device by a udev substitution: `-s /block/%k` or `-s %p`
    (its sysfs path: RHEL 5's udev 095, as the stock 50-udev.rules writes it), or its node
    as later udev's scsi_id takes it (`-d /dev/$name`, `--device=/dev/$name`, or an
    argument: `/dev/$name`, `$devnode`, `/dev/%k`), which RHEL 5's -d takes too."""
    return any(opt in ("-s", "-d", "") and arg and ("%" in arg or "$" in arg)
               for opt, arg in scsi_id_options(args))


def names_luns(doc: Document) -> bool:
    """Some rule of the file gives a LUN a fixed name from scsi_id's answer (RESULT matched
    against what PROGRAM's scsi_id printed, NAME or SYMLINK without a % substitution)."""
    groups: dict[object, list] = {}
    for e in doc.entries:
        groups.setdefault(e.group, []).append(e)
    for entries in groups.values():
        keys = {e.key: e.value[1] for e in entries}
        if "RESULT" in keys and "scsi_id" in keys.get("PROGRAM", "") and \
                any(k in keys and "%" not in keys[k] for k in ("NAME", "SYMLINK")):
            return True
    return False


class RcLocalStartUdev(Rule):
    """With udev names for LUNs, /etc/rc.local runs /sbin/start_udev.

    What it checks: on a host whose udev rules name LUNs from scsi_id's answer (RESULT
    and a fixed NAME or SYMLINK, the guide's 20-names.rules), that rc.local contains
    /sbin/start_udev. The stock rules (xen-backend.rules, 40-multipath.rules) name devices
    after themselves and need nothing.

    Why: "Add /sbin/start_udev to /etc/rc.local" (§9.3, lines 1448-1449; §32.14, lines
    5514-5515), so the names exist after the storage comes up.

    Example: an rc.local without start_udev beside 20-names.rules.

    Fix: append the line /sbin/start_udev.
    """

    code, name, severity = "VF413", "rc-local-start-udev", Severity.WARNING
    checklist, section, lines = ("MPIO-06",), "§9.3", "1448-1449, 5514-5515"
    scope = Scope.FLEET
    formats = ("rc.local", "udev")

    def fleet(self):
        docs = self.ctx.documents
        # Per host, and only for rules that name LUNs by scsi_id's answer (the guide's
        # 20-names.rules): the stock rules' NAME="%k" (xen-backend, 40-multipath) need nothing.
        naming = {d.host for d in docs if d.format == "udev" and names_luns(d)}
        for d in docs:
            if d.format == "rc.local" and d.host in naming \
                    and not any("/sbin/start_udev" in e.value for e in d.entries):
                first = d.entries[0].span if d.entries else None
                yield self.report("rc.local does not run /sbin/start_udev, which the LUN names need", first,
                                  hint="append /sbin/start_udev")


def recognise(text: str, name: str = "") -> bool:
    """Rule lines made of udev pairs (KERNEL=="sd*", NAME="x" ...) that match on a udev key
    (written with `=` too, as the guide's own example does)."""
    rules = [line for line in (x.strip() for x in text.splitlines()) if line and not line.startswith("#")]
    keys = {m.group("key").split("{")[0] for line in rules for m in _PAIR.finditer(line)}
    return bool(rules) and all(_PAIR.match(line) for line in rules) and bool(keys & set(MATCH_KEYS))


def _operator_fix(doc: Document, e, op: str, want: str):
    """The rule's operator, written right: KEY then the operator, as the file has them."""
    if doc.source is None or op != op.strip() or op not in ("=", "=="):
        return None
    at = e.span.start + len(e.key)
    if doc.source.text[e.span.start:at + len(op)] != e.key + op or doc.source.text[at + len(op):at + len(op) + 1] == "=":
        return None
    return fixes.Fix(f"write {want}", doc.source.path, (fixes.Edit(at, at + len(op), want),))


FORMAT = Format(
    "udev", "udev rules (persistent names for single-path LUNs)",
    paths=("etc/udev/rules.d/*.rules",), names=("*.rules",), recognise=recognise, read=read, emit=emit,
    target="udev", rules=rules_in(globals()), facts=("luns",))

"""Format-level rules for the LUN persistence files: udev rules, /etc/scsi_id.config,
/etc/rc.local and /etc/multipath.conf (read by targets/udev.py and targets/multipath.py)."""
from __future__ import annotations

import ipaddress
from collections import defaultdict

from ..diagnostics import Related, Severity
from ..documents import Document
from ..suggest import did_you_mean
from .base import Rule, Scope

NOT_CHECKABLE: dict[str, str] = {}

# udev 095 (RHEL 5): keys that match (== or !=) and keys that assign (=, +=, :=).
MATCH_KEYS = ("ACTION", "KERNEL", "DEVPATH", "SUBSYSTEM", "BUS", "DRIVER", "ID", "SUBSYSTEMS",
              "DRIVERS", "KERNELS", "RESULT", "ENV", "ATTR", "ATTRS", "SYSFS", "PROGRAM_RESULT")
ASSIGN_KEYS = ("NAME", "SYMLINK", "OWNER", "GROUP", "MODE", "OPTIONS", "RUN", "LABEL", "GOTO",
               "IMPORT", "WAIT_FOR_SYSFS", "PROGRAM", "ENV")
MULTIPATH_SECTIONS = ("defaults", "blacklist", "blacklist_exceptions", "devices", "device",
                      "multipaths", "multipath")


class UdevRuleSyntax(Rule):
    """A udev rule line is a list of `KEY=="value"` and `KEY="value"` pairs.

    What it checks: the reader reports text it cannot read as a pair (a missing comma or
    quote).

    Why: a rule is "one line, comma-separated KEY op "value" pairs" (§9.3, lines
    1441-1447); udev skips a rule it cannot parse and the LUN gets no name.

    Example:
        KERNEL=="sd*" BUS=="scsi"

    Fix: KERNEL=="sd*", BUS=="scsi".
    """

    code, name, severity = "VF401", "udev-rule-syntax", Severity.ERROR
    checklist, section, lines = ("MPIO-05",), "§9.3", "1441-1447"
    scope = Scope.READER


class UdevOperators(Rule):
    """udev rules match with `==` and assign with `=`, and call /sbin/scsi_id by its full path.

    What it checks: match keys (KERNEL, BUS, SUBSYSTEM, RESULT, ...) written with a single
    '='; assignment keys (NAME, SYMLINK, PROGRAM, ...) written with '=='; PROGRAM running
    scsi_id by a relative path or without `-g -s /block/%k`; two rules creating the same
    NAME.

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

    def document(self, doc: Document):
        names: dict[str, object] = {}
        for e in doc.entries:
            key = e.key.split("{", 1)[0]
            op, value = e.value
            if key in MATCH_KEYS and key not in ASSIGN_KEYS and op not in ("==", "!="):
                yield self.report(f'{key}{op}"{value}" matches with a single "="; udev needs "=="', e.span,
                                  hint=f'{key}=="{value}"')
            elif key in ASSIGN_KEYS and key not in MATCH_KEYS and op in ("==", "!="):
                yield self.report(f"{key} is assigned, not compared: write {key}=", e.span)
            elif key not in MATCH_KEYS and key not in ASSIGN_KEYS:
                yield self.report(f"unknown udev key {key}", e.key_span,
                                  hint=did_you_mean(key, MATCH_KEYS + ASSIGN_KEYS))
            if key == "PROGRAM" and "scsi_id" in value:
                exe = value.split()[0]
                if not exe.startswith("/"):
                    yield self.report(f"PROGRAM runs {exe} by a relative path", e.value_span,
                                      hint='PROGRAM="/sbin/scsi_id -g -s /block/%k"')
                elif "/block/%k" not in value:
                    yield self.report("scsi_id is called without the device (/block/%k)", e.value_span,
                                      hint='PROGRAM="/sbin/scsi_id -g -s /block/%k"')
            if key == "NAME":
                if value in names:
                    yield self.report(f"two rules name a device {value}", e.span,
                                      related=(Related(names[value].span, "first named here"),))
                else:
                    names[value] = e


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


class MultipathSections(Rule):
    """multipath.conf sections are spelt right and each multipath block is inside multipaths.

    What it checks: section names (defaults, blacklist, devices, device, multipaths,
    multipath, ...), a `multipath` block outside `multipaths { }`, a multipath block
    without wwid or alias, and unbalanced braces (reported by the reader).

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
    """Each multipath WWID and alias appears once, and WWIDs are complete.

    What it checks: a WWID or alias used by two multipath blocks, and a WWID whose length
    is not the full length scsi_id prints.

    Why: §32.14's example gives three aliases the same WWID and cuts another short
    (lines 5518-5533, contradiction C-20); the complete form in §9.3 is '3' + 32 hex digits
    (lines 1437, 1462-1474). Two aliases cannot name one device, and a truncated WWID
    matches none.

    Example:
        multipath { wwid 3600a0b80001327510000015427b6  alias oramp2 }

    Fix: copy the WWID from `scsi_id -g -s /block/sdX`.
    """

    code, name, severity = "VF412", "multipath-identity", Severity.ERROR
    checklist, section, lines = ("MPIO-11",), "§32.14", "1437, 1462-1474, 5518-5533"
    scope = Scope.DOCUMENT
    formats = ("multipath",)
    uses = ("mpio.wwid_length",)

    def document(self, doc: Document):
        length = self.limit("mpio.wwid_length")
        seen = {"wwid": {}, "alias": {}}
        for e in doc.entries:
            *section, kind = e.key.split("/")
            if not section or section[-1] != "multipath" or kind not in seen:
                continue
            if e.value in seen[kind]:
                yield self.report(f"{kind} {e.value} is used twice", e.value_span,
                                  related=(Related(seen[kind][e.value].value_span, "first used here"),))
            else:
                seen[kind][e.value] = e
            if kind == "wwid" and len(e.value) != length.value:
                yield self.report(f"WWID {e.value} has {len(e.value)} characters, not {length.value}",
                                  e.value_span, limit=length,
                                  hint="copy it whole from scsi_id -g -s /block/sdX")


class RcLocalStartUdev(Rule):
    """With udev names for LUNs, /etc/rc.local runs /sbin/start_udev.

    What it checks: when udev rules are read together with an rc.local, that rc.local
    contains /sbin/start_udev.

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
        if not any(d.format == "udev" and any(e.key == "NAME" for e in d.entries) for d in docs):
            return
        for d in docs:
            if d.format == "rc.local" and not any("/sbin/start_udev" in e.value for e in d.entries):
                first = d.entries[0].span if d.entries else None
                yield self.report("rc.local does not run /sbin/start_udev, which the LUN names need", first,
                                  hint="append /sbin/start_udev")


class EtcHostsLocalhost(Rule):
    """/etc/hosts maps 127.0.0.1 to localhost, and every line starts with an address.

    What it checks: a hosts file without `127.0.0.1 ... localhost`, and lines whose first
    field is not an IP address.

    Why: without the entry virt-manager fails with "Unable to open a connection to the Xen
    hypervisor/daemon" (§34.13, lines 5979-5988; §35.9, lines 6128-6138). The guide's
    "correct" examples end with a line that has no address (lines 5989, 6138).

    Example:
        localhost.localdomain localhost

    Fix: 127.0.0.1 localhost.localdomain localhost
    """

    code, name, severity = "VF421", "etc-hosts-localhost", Severity.ERROR
    checklist, section, lines = ("HOST-12",), "§35.9", "5979-5989, 6128-6138"
    scope = Scope.DOCUMENT
    formats = ("hosts",)

    def document(self, doc: Document):
        ok = False
        for e in doc.entries:
            names = e.value.split()
            try:
                ipaddress.ip_address(e.key)
                address = True
            except ValueError:
                address = False
            if not address:
                yield self.report(f"'{e.key}' is not an address: each line is ADDRESS NAME...", e.span,
                                  hint=f"127.0.0.1 {e.key} {e.value}".strip())
            elif e.key == "127.0.0.1" and "localhost" in names:
                ok = True
        if not ok:
            first = doc.entries[0].span if doc.entries else None
            yield self.report("no line maps 127.0.0.1 to localhost", first,
                              hint="127.0.0.1 localhost.localdomain localhost")

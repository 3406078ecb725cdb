"""Format-level rules for existing xm configs (/etc/xen/NAME): what xend would choke on, or
silently ignore, in the file itself. They check documents read by read.py."""
from __future__ import annotations

import ipaddress
import re

from virtc.schemas import load

from virtc.diagnostics import Severity, excerpt
from virtc.documents import Document
from virtc.limits import limits
from virtc import fixes
from virtc.suggest import closest, did_you_mean
from .spec import VFB_OPTIONS, VIF_KEYS, entry_items, normal_uuid, parse_disk, parse_pci, parse_vif
from virtc.rules.base import Rule, Scope, rules_in
from virtc.values import is_number


_BOOL = {"yes", "y", "no", "n", "0", "1", "true", "false"}
_IOPORTS = re.compile(r"^(?P<first>[0-9a-fA-F]+)(-(?P<last>[0-9a-fA-F]+))?$")
# set_int keys that count something: xend takes 0 or less, and the guest cannot start.
_POSITIVE = ("memory", "maxmem", "vcpus")


def _below_one(v: int | str) -> bool:
    """Whether an integer setting (an int, or digits in quotes) is 0 or negative, without
    int() on the text: a quoted 5,000-digit number is past Python's int-string limit."""
    if isinstance(v, int):
        return v < 1
    text = v.strip()
    return text.startswith("-") or not text.lstrip("0")


def _keys() -> dict:
    return load("xm-keys.json")


class XmDocumentRule(Rule):
    scope = Scope.DOCUMENT
    formats = ("xm",)


class XmSyntax(Rule):
    """An xm config is valid Python that xend can read, in ASCII.

    What it checks: the reader parses the file with Python's `ast` (it never runs it); a
    syntax error, or a non-ASCII byte without an encoding declaration, is reported here.

    Why: "Python generates these messages when the configuration file is invalid" and a
    non-ASCII character gives "Non-ASCII character '\\xc0' ... but no encoding declared"
    followed by "Error: invalid syntax" (§35.11, lines 6149-6160; §34.13, lines 6016-6028).
    The guide's own HVM example (lines 5928-5943) has mismatched quotes.

    Example:
        uuid = "b10372f9-91d7-a05f-12ff-372100c99af5'

    Fix: balance the quotes and brackets; keep the file ASCII.
    """

    code, name, severity = "VF101", "xm-syntax", Severity.ERROR
    checklist, section, lines = ("XEN-15",), "§35.11", "6016-6028, 6149-6160"
    scope = Scope.READER


class XmNotLiteral(Rule):
    """An xm config holds `name = value` assignments of literals, nothing else.

    What it checks: statements that are not a plain assignment of a string, number or list
    (imports, calls, expressions), and values computed by code. A key set by code still
    counts as set (device_model = "/usr/" + arch_libdir + "/xen/bin/qemu-dm", as Xen's own
    xmexample.hvm writes it), with a value virtc does not know.

    Why: xend executes the file as Python (§31, "Python parser function", line 4783), so a
    statement in it runs with root privileges when the guest starts, and a setter may drop
    a value it does not like without a word (XEN-15). virtc never runs the code, so what it
    computes goes unchecked; valid for xend, hence a warning, not an error.

    Example:
        import os; os.system("...")

    Fix: keep only assignments such as `memory = 512`.
    """

    code, name, severity = "VF102", "xm-not-literal", Severity.WARNING
    checklist, section, lines = ("XEN-26",), "§31", "4783-4804"
    scope = Scope.READER


class XmUnknownKey(XmDocumentRule):
    """Every key of an xm config is one xend knows.

    What it checks: keys that are neither in the guide's configuration table (§31, Tables
    31.1 and 31.3) nor among the other options Xen 3.x's xm accepts.

    Why: xm "reads these as Python values"; a variable it does not know is stored and then
    ignored without a word, so a misspelt key silently does nothing. The guide's own
    example writes `on_boot = 'restart'` (line 5943), which xend ignores, and the virsh
    chapter refers to an `on_shutdown` parameter (line 4151, contradiction C-46) that does
    not exist: the lifecycle keys are on_poweroff, on_reboot and on_crash (lines 4729-4731).

    Example:
        on_boot = "restart"

    Fix: use the documented key (on_reboot).
    """

    code, name, severity = "VF103", "xm-unknown-key", Severity.ERROR
    checklist, section, lines = ("XEN-21",), "§31", "4705-4781, 4806-4877, 5943"
    fix, fix_title = "unsafe", "rename the key to the one it is closest to (a guess: check it)"

    def document(self, doc: Document):
        table = _keys()
        # Xen 4's keys are not unknown: the reader names them as a later Xen's (VF009)
        known = set(table["keys"]) | set(table["other_xen3_keys"]["keys"]) | set(table["later_xen_keys"]["keys"])
        for e in doc.entries:
            if e.key not in known and e.key not in doc.helpers:  # a variable the file's own code uses
                hint = did_you_mean(e.key, known) or "see the guide's Table 31.1 (xm create --help_config)"
                guess = closest(e.key, known)
                if e.key in ("on_boot", "on_shutdown"):
                    hint, guess = "did you mean 'on_reboot' (or on_poweroff)?", None
                fix = fixes.replace(f"rename to {guess}", e.key_span, guess, safe=False) \
                    if guess and not doc.states(guess) else None
                yield self.report(f"unknown xm key '{e.key}': xend ignores it", e.key_span, hint=hint, fix=fix)


class XmDeprecatedKey(XmDocumentRule):
    """Deprecated xm keys: bootentry, restart, nics.

    What it checks: `bootentry` (use bootargs), `restart` (use on_poweroff / on_reboot /
    on_crash) and `nics` (use one vif entry per NIC).

    Why: "bootentry=NAME: deprecated ... use bootargs" (line 4713), "restart=onreboot |
    always | never: deprecated. Use on_poweroff, on_reboot and on_crash" (line 4728),
    "nics=NUM: deprecated. Use empty vif entries instead" (line 4750).

    Example:
        restart = "onreboot"

    Fix: on_reboot = "restart".
    """

    code, name, severity = "VF104", "xm-deprecated-key", Severity.WARNING
    checklist, section, lines = ("XEN-19", "XEN-20", "NET-46"), "§31", "4713, 4728, 4750"
    REPLACEMENT = {"bootentry": "bootargs", "restart": "on_poweroff, on_reboot and on_crash",
                   "nics": "one vif entry per NIC"}
    fix, fix_title = "safe", "bootentry becomes bootargs; restart = 'onreboot' becomes on_reboot = 'restart'"

    def document(self, doc: Document):
        for e in doc.entries:
            if e.key in self.REPLACEMENT:
                yield self.report(f"xm key '{e.key}' is deprecated", e.key_span,
                                  hint=f"use {self.REPLACEMENT[e.key]}", fix=self._fix(doc, e))

    @staticmethod
    def _fix(doc: Document, e):
        # only where the new key is not set already (two settings would disagree)
        if e.key == "bootentry" and not doc.states("bootargs"):
            return fixes.replace("rename to bootargs", e.key_span, "bootargs")
        if e.key == "restart" and e.value == "onreboot" and not doc.states("on_reboot"):
            return fixes.replace("write on_reboot = \"restart\"", e.span, 'on_reboot = "restart"')
        return None


class XmValueType(XmDocumentRule):
    """Each xm value has the type its key's parser takes.

    What it checks: set_int keys (memory, maxmem, vcpus, pae, acpi, apic, ...) hold
    integers; set_float keys (cpu_weight) numbers; set_bool keys (localtime, usb, stdvga,
    vncunused, ...) one of yes, y, no, n, 0, 1; append_value keys (disk, vif, pci, vfb,
    ...) a list or a string. A number written as a string (`memory = "2048"`, the guide's
    own example at line 5916, and what virt-install writes) is no finding: set_int and
    libvirt's xm reader both read it as the number.

    Why: Table 31.2 (lines 4784-4804) gives the parsers: set_int "accepts an integer with
    Python's int()", set_float "with Python's float()", set_bool accepts yes, y, no and n
    (the table prints 'yes' twice, contradiction C-34), and the defaults table (lines
    4806-4877) assigns a parser to each key. memory, maxmem and vcpus count something and
    must be at least 1. The guide says values must be quoted with
    single quotes (line 4702); its own examples disagree, and numbers are written bare
    (XEN-14).

    Example:
        vcpus = "two"

    Fix: write numbers as numbers (vcpus = 2) and booleans as 0/1 or yes/no.
    """

    code, name, severity = "VF105", "xm-value-type", Severity.ERROR
    checklist, section, lines = ("XEN-25", "XEN-26", "XEN-14", "MEM-14", "CPU-15"), "§31", "4702, 4784-4877"

    def document(self, doc: Document):
        keys = _keys()["keys"]
        for e in doc.entries:
            parser = keys.get(e.key, {}).get("parser")
            v = e.value
            if parser == "set_int":
                if isinstance(v, bool) or not isinstance(v, (int, str)) or (
                        isinstance(v, str) and not re.fullmatch(r"-?[0-9]+", v.strip())):
                    yield self.report(f"{e.key} must be an integer, not {v!r}", e.value_span,
                                      hint=f"write {e.key} = <number>")
                elif e.key in _POSITIVE and _below_one(v):
                    yield self.report(f"{e.key} = {v!r}: it must be at least 1", e.value_span,
                                      hint="memory and maxmem are MiB, vcpus a count")
                # a number in quotes (virt-install writes memory = "512") is what set_int
                # reads anyway: no finding
            elif parser == "set_float":
                try:
                    float(v)
                except (TypeError, ValueError):
                    yield self.report(f"{e.key} must be a number, not {v!r}", e.value_span)
            elif parser == "set_bool":
                if str(v).lower() not in _BOOL:
                    yield self.report(f"{e.key} must be yes/no or 1/0, not {v!r}", e.value_span)
            elif parser == "append_value" and e.key != "tpmif":
                # xend appends a bare value as one entry; IRQs are numbers (irq = [ 7 ]).
                kinds = (str, int) if e.key == "irq" else (str,)
                what = "a string or a number" if e.key == "irq" else "a string"
                if not isinstance(v, (list, tuple, *kinds)) or isinstance(v, bool):
                    yield self.report(f"{e.key} must be a list of strings, not {v!r}", e.value_span,
                                      hint=f'write {e.key} = [ "..." ]')
                elif isinstance(v, (list, tuple)):
                    for item, span in zip(v, e.item_spans or [e.value_span] * len(v)):
                        if not isinstance(item, kinds) or isinstance(item, bool):
                            yield self.report(f"each {e.key} entry must be {what}, not {item!r}", span)


class XmDiskSpec(XmDocumentRule):
    """Each xm disk entry is `prefix:source,target[:cdrom],mode`.

    What it checks: every entry of `disk = [...]` has 3 fields (or 4 with a backend
    domain), a known driver prefix (phy:, file:, tap:aio:, tap:qcow:, tap2:aio:) followed
    by a path, a target name, and a mode of r, w or w! (an empty source is an empty
    CD-ROM); no field has spaces around it (xend splits on commas and strips nothing, so
    " hda" is not a device name).

    Why: "disk=phy:DEV,VDEV,MODE[,DOM]: add a disk device to a domain ... MODE is r for
    read-only, w for read-write" (§31, line 4735). xm splits the entry on commas and
    rejects any other count ("Invalid disk specifier"). The guide's own HVM example
    `'/var/lib/libvirt/images/rhel5u5-x86_64.dsk.hda,w'` (line 5931) has no prefix and a
    dot where a comma belongs.

    Example:
        disk = [ "/var/lib/libvirt/images/g.dsk.hda,w" ]

    Fix: disk = [ "file:/var/lib/libvirt/images/g.dsk,hda,w" ].

    On a later system (Host.later_system) the modes rw and ro are xl's (Xen 4.2 on), which
    takes them in this positional form too, and are not reported.
    """

    code, name, severity = "VF106", "xm-disk-spec", Severity.ERROR
    checklist, section, lines = ("STO-25",), "§31", "4735, 5931"

    def document(self, doc: Document):
        e = doc.get("disk")
        if e is None:
            return
        for text, span in entry_items(e):
            problem = self.problem(text)
            if problem and doc.later_system and _XL_MODE.search(problem):
                continue  # xl (Xen 4.2 on) takes rw and ro in xm's positional form too
            if problem:
                yield self.report(f"disk entry {text!r}: {problem}", span,
                                  hint='write "driver:path,target,mode", e.g. "tap:aio:/var/lib/libvirt/images/g.img,xvda,w"')

    @staticmethod
    def problem(text: str) -> str | None:
        spec = parse_disk(text)
        return None if spec.later else spec.problem  # xl's syntax: the reader says so (VF009)


_XL_MODE = re.compile(r"^mode '(?:rw|ro)' ")


class XmVifSpec(XmDocumentRule):
    """Each xm vif entry is a comma-separated list of known `key=value` pairs.

    What it checks: every `vif` entry: each part is key=value with a key xm knows (type,
    mac, bridge, ip, script, backend, vifname, rate, model), a value, and no key twice;
    `type` is ioemu or netfront; `mac` is six hex pairs; `rate` is an amount per second
    with an optional window. (An entry with no `bridge` is VN122's: the NIC it reads
    has no bridge.)

    Why: "vif=type=TYPE, mac=MAC, bridge=BRIDGE, ip=IPADDR, script=SCRIPT, backend=DOM,
    vifname=NAME" (§31, lines 4745-4747) and "rate=10MB/s" ... "@50ms" (§32.10, lines
    5420-5438). The guide's PV example writes `type=ieomu` and `mac=... bridge=...`
    without a comma (line 5918): xend takes "ieomu" as an unknown type and the MAC value
    swallows the bridge. Rate units: B is bytes and b is bits; the guide describes
    `rate=10Mb/s` as 10 MB/s (contradiction C-27), so the message states what a value
    means.

    Example:
        vif = [ "type=ieomu, mac=00:16:3e:09:f0:12 bridge=xenbr0" ]

    Fix: vif = [ "type=ioemu, mac=00:16:3e:09:f0:12, bridge=xenbr0" ].
    """

    code, name, severity = "VF107", "xm-vif-spec", Severity.ERROR
    checklist, section, lines = ("NET-31", "NET-36", "NET-37"), "§31", "4745-4747, 5420-5438, 5918"
    KEYS = VIF_KEYS
    fix, fix_title = "unsafe", 'add the commas missing between keys, and write a misspelt type as ioemu or netfront'

    def document(self, doc: Document):
        e = doc.get("vif")
        if e is None:
            return
        for text, span in entry_items(e):
            spec = parse_vif(text)
            fixed = _vif_fixed(text) if spec.problems and doc.source else None
            fix = fixes.replace_value("write the entry as xm reads it", doc.source, span, fixed, safe=False) \
                if fixed and doc.source.text[span.start:span.end].strip("'\"") == text else None
            # a long entry is named by its start: in full, its text repeated in each of its
            # problems' messages (44 KB of a thousand broken parts: 0.35 s)
            shown = excerpt(text)
            for problem, hint in spec.problems:
                yield self.report(f"vif entry {shown!r}: {problem}", span, hint=hint, fix=fix)

    def problems(self, text: str):
        return iter(parse_vif(text).problems)


def _vif_fixed(text: str) -> str | None:
    """The vif entry with the commas it lacks between keys and its type spelt right, when
    that leaves nothing wrong with it; else None (a judgment for a person)."""
    keys = "|".join(VIF_KEYS)
    fixed = re.sub(rf"(?<=[^,\s])\s+(?=(?:{keys})=)", ", ", text)
    m = re.search(r"(?:^|,)\s*type=([^,]*)", fixed)
    if m and m.group(1).strip() not in ("ioemu", "netfront"):
        guess = closest(m.group(1).strip(), ("ioemu", "netfront"))
        if guess is None:
            return None
        fixed = fixed[:m.start(1)] + guess + fixed[m.end(1):]
    return fixed if fixed != text and not parse_vif(fixed).problems else None


class XmPciSpec(XmDocumentRule):
    """xm pci, ioports and irq entries are well-formed hexadecimal addresses.

    What it checks: `pci` entries `[DDDD:]BB:SS.F` in hex with slot 00-1f and function
    0-7 (options after a comma allowed); `ioports` entries `FROM[-TO]` in hex with FROM <= TO; `irq`
    entries are integers.

    Why: "pci=BUS:DEV.FUNC: add a PCI device to the domain, using given params (in hex)"
    with the example `pci=c0:02.1a` (line 4736), whose function 1a is impossible: "each PCI
    device can have up to 8 functions" (lines 2344, 2499; contradiction C-15).
    "ioports=FROM[-TO]" in hex and "irq=IRQ" (lines 4737-4738).

    An entry that is not an address is reported at the entry, saying which field is wrong
    (a bus `zz` that is not hex, `01:00` without a function): xm create reads each entry
    with a pattern and passes over one it does not match, so the guest would start without
    the device and nothing would say so. The reader leaves such an entry out of the guest,
    and the guest's other checks still run. The field widths are xend's: 1-4 hex digits of
    domain, 1-2 of bus and slot (`9:0.0` is bus 09, slot 00). An entry that is not a
    string is VF105's.

    Example:
        pci = [ "c0:02.1a" ]
        pci = [ "0000:zz:1.0", "01:00" ]

    Fix: copy the address from lspci -D: pci = [ "0000:09:00.0" ].
    """

    code, name, severity = "VF108", "xm-pci-spec", Severity.ERROR
    checklist, section, lines = ("PCI-21", "PCI-22", "PCI-04"), "§31", "2344, 4736-4738"
    uses = ("pci.functions_per_device",)

    def document(self, doc: Document):
        for key in ("pci", "ioports", "irq"):
            e = doc.get(key)
            if e is None:
                continue
            values = e.value if isinstance(e.value, (list, tuple)) else [e.value]
            spans = e.item_spans or (e.value_span,) * len(values)
            for v, span in zip(values, spans):
                problem = self.problem(key, v)
                if problem:
                    yield self.report(f"{key} entry {v!r}: {problem}", span, hint=self.HINTS[key])

    HINTS = {"pci": "xend skips an entry it cannot read, and the guest starts without the device: copy the "
                    "address from `lspci -D`, e.g. pci = [ \"0000:09:00.0\" ]",
             "ioports": "write the range in hex, first port first: ioports = [ \"02f8-02ff\" ]",
             "irq": "write the interrupt number: irq = [ 7 ]"}

    @staticmethod
    def problem(key: str, v) -> str | None:
        if isinstance(v, bool) or not isinstance(v, (str, int)) or (isinstance(v, int) and key != "irq"):
            return None  # not a string (nor an IRQ number): VF105 says so
        if key == "irq":
            return None if isinstance(v, int) or is_number(v) else "is not an IRQ number"
        if key == "pci":
            return parse_pci(v, limits()["pci.functions_per_device"].value).problem
        m = _IOPORTS.match(v.strip())
        if not m:
            return "is not FROM[-TO] in hex"
        if m.group("last") and int(m.group("last"), 16) < int(m.group("first"), 16):
            return "ends before it starts"
        return None


class XmEnumValue(XmDocumentRule):
    """xm keys with a fixed set of values hold one of them.

    What it checks: on_poweroff / on_reboot / on_crash (destroy, restart, preserve,
    rename-restart), builder (linux, hvm), boot (letters a, b, c, d, n), vfb type (vnc,
    sdl), dhcp (off, dhcp).

    Why: lifecycle actions: "destroy | restart | preserve | rename-restart" (lines
    4729-4731; the table's first line prints destroy twice, contradiction C-35); "boot=a|b|c|d"
    (line 4771); "The backend type should be either sdl or vnc" (line 4740); "dhcp=off|dhcp"
    (line 4758). A vfb entry's options are those xm's create.py takes (type, vnclisten,
    vncunused, vncdisplay, vncpasswd, display, xauthority, keymap, opengl, videoram): it
    stops at any other ("configuration option key unknown to vfbs").

    Example:
        on_crash = "reboot"

    Fix: on_crash = "restart".
    """

    code, name, severity = "VF109", "xm-enum-value", Severity.ERROR
    checklist, section, lines = ("XEN-21", "BOOT-25", "XEN-23", "NET-47"), "§31", "4729-4731, 4740, 4758, 4771"
    fix, fix_title = "unsafe", "builder 'vmx' becomes 'hvm' (safe); a misspelt action the closest one (unsafe)"
    CHOICES = {"on_poweroff": ("destroy", "restart", "preserve", "rename-restart"),
               "on_reboot": ("destroy", "restart", "preserve", "rename-restart"),
               "on_crash": ("destroy", "restart", "preserve", "rename-restart"),
               "builder": ("linux", "hvm"), "dhcp": ("off", "dhcp")}

    def document(self, doc: Document):
        for key, choices in self.CHOICES.items():
            e = doc.get(key)
            if e is not None and key == "builder" and e.value == "vmx":
                yield self.report("builder = 'vmx' is Xen 3.0's name for hvm; RHEL 5's xend knows linux and hvm "
                                  "and refuses the domain", e.value_span, hint="write builder = 'hvm'",
                                  fix=fixes.replace_value("write hvm", doc.source, e.value_span, "hvm"))
            elif e is not None and e.value not in choices:
                guess = closest(str(e.value), choices)
                fix = fixes.replace_value(f"write {guess}", doc.source, e.value_span, guess,
                                          safe=str(e.value).lower() == guess) if guess and doc.source else None
                yield self.report(f"{key} = {e.value!r} is not one of {', '.join(choices)}", e.value_span,
                                  hint=did_you_mean(str(e.value), choices), fix=fix)
        e = doc.get("boot")
        if e is not None and not re.fullmatch(r"[abcdn]+", str(e.value)):
            yield self.report(f"boot = {e.value!r}: boot devices are the letters a, b, c, d (and n)",
                              e.value_span, hint='e.g. boot = "c" (disk) or "dc" (CD-ROM, then disk)')
        e = doc.get("vfb")
        if e is not None and doc.later_system is None:  # Xen 3.3 and later also take vnc=1 / sdl=1
            for text, span in entry_items(e):
                m = re.search(r"(?:^|,)\s*type\s*=\s*([^,]*)", text)
                if not m or m.group(1).strip() not in ("vnc", "sdl"):
                    yield self.report(f"vfb entry {text!r} needs type=vnc or type=sdl", span)
                for key in re.findall(r"(?:^|,)\s*([^=,]*?)\s*=", text):
                    if key not in VFB_OPTIONS and key not in ("vnc", "sdl"):  # those two: the type's finding
                        yield self.report(f"vfb option {key!r} is unknown to xm: `xm create` stops with "
                                          f"\"configuration option {key} unknown to vfbs\"", span,
                                          hint=did_you_mean(key, VFB_OPTIONS) or f"xm's vfb options: {', '.join(VFB_OPTIONS)}")
        for key in ("ip", "gateway", "netmask"):
            e = doc.get(key)
            if e is not None and e.value not in ("", None):
                try:
                    ipaddress.IPv4Address(str(e.value))
                except ValueError:
                    yield self.report(f"{key} = {e.value!r} is not an IPv4 address", e.value_span)


class XmVncOptions(XmDocumentRule):
    """vncunused, vncdisplay, vnclisten and the vncviewer options need vnc = 1.

    What it checks: VNC options of an HVM config without `vnc = 1` (or with `vnc = 0`).

    Why: "vncunused: try to find an unused port for the VNC server. Only valid when
    vnc=1", and likewise vncviewer and vncconsole (§31, lines 4707-4709, 4774-4777).

    Example:
        vncunused = 1      # and no vnc = 1

    Fix: add vnc = 1, or remove the VNC options.
    """

    code, name, severity = "VF110", "xm-vnc-options", Severity.WARNING
    checklist, section, lines = ("XEN-22",), "§31", "4707-4709, 4774-4777"
    OPTIONS = ("vncunused", "vncdisplay", "vnclisten", "vncpasswd", "vncviewer", "vncconsole")
    fix, fix_title = "unsafe", "add vnc = 1 (it turns the guest's VNC console on)"

    def document(self, doc: Document):
        if str(doc.value("vnc", "0")).lower() in ("1", "yes", "y", "true"):
            return
        for key in self.OPTIONS:
            e = doc.get(key)
            if e is None or str(e.value).strip() == "" or key == "vncunused" or (
                    key in ("vncviewer", "vncconsole") and str(e.value).lower() in ("0", "no", "n")):
                continue  # not set, or set to what xend does anyway (Xen's examples spell the defaults out)
            vnc = doc.get("vnc")
            fix = (fixes.replace_value("write vnc = 1", doc.source, vnc.value_span, "1", safe=False) if vnc else
                   fixes.insert_line("add vnc = 1", doc.source, e.span, "vnc = 1", safe=False)) if doc.source else None
            yield self.report(f"{key} is set but vnc is not 1", e.key_span, hint="add vnc = 1", fix=fix)


# What an HVM guest boots first: hvmloader on x86; on Itanium, Xen 3's EFI firmware for
# VT-i guests (/usr/lib/xen/boot/guest_firmware.bin, as Xen's xmexample.vti names it).
HVM_FIRMWARE = ("hvmloader", "guest_firmware.bin")


class XmHvmBuilder(XmDocumentRule):
    """A fully virtualized xm config names hvmloader and the device model.

    What it checks: `builder = "hvm"` configs have `kernel` set to the hvmloader path
    (without a trailing slash) and a `device_model`.

    Why: the guide's fully virtualized configuration (§34.12, lines 5927-5935) uses
    builder = "hvm", kernel = "/usr/lib/xen/boot/hvmloader" and device_model =
    "/usr/lib64/xen/bin/qemu-dm"; its own example writes the hvmloader path with a
    trailing "/" (line 5935), which is a directory that does not exist.

    Example:
        builder = "hvm"
        kernel = "/usr/lib/xen/boot/hvmloader/"

    Fix: kernel = "/usr/lib/xen/boot/hvmloader" and device_model = "/usr/lib64/xen/bin/qemu-dm".
    """

    code, name, severity = "VF111", "xm-hvm-builder", Severity.ERROR
    checklist, section, lines = ("XEN-28",), "§34.12", "5927-5935"

    def document(self, doc: Document):
        b = doc.get("builder")
        if b is None or b.value != "hvm" or doc.later_system is not None:
            return  # a later Xen's xend and xl find hvmloader and the device model themselves
        k = doc.get("kernel")
        loader = str(k.value).rstrip("/") if k is not None else ""
        if k is None and "kernel" in doc.computed:
            pass  # set by code: its value is not known
        elif k is None or not loader.endswith(HVM_FIRMWARE):
            yield self.report("builder is hvm but kernel is not hvmloader (guest_firmware.bin on Itanium)",
                              (k or b).value_span, hint='kernel = "/usr/lib/xen/boot/hvmloader"')
        elif str(k.value).endswith("/"):
            yield self.report(f"the {loader.rsplit('/', 1)[-1]} path ends with '/'", k.value_span,
                              hint=f'kernel = "{loader}"')
        if not doc.states("device_model") and not doc.states("device_model_override"):
            where = doc.commented(re.compile(r"device_model\s*=")) or b.key_span
            yield self.report("builder is hvm but device_model is not set", where,
                              hint='device_model = "/usr/lib64/xen/bin/qemu-dm" on a 64-bit host')


class XmUuid(XmDocumentRule):
    """An xm uuid is 32 hex digits.

    What it checks: the `uuid` value (dashed 8-4-4-4-12 or plain).

    Why: the UUID is "a unique identifier for the domain"; xend and libvirt refuse a
    malformed one. The guide's HVM example has the non-hex "ao5f" (line 5933).

    Example:
        uuid = "b10372f9-91d7-ao5f-12ff-372100c99af5"

    Fix: generate a new one with uuidgen (§32.19, line 5583).
    """

    code, name, severity = "VF112", "xm-uuid", Severity.ERROR
    checklist, section, lines = ("XEN-18",), "§31", "4781, 5583, 5933"

    def document(self, doc: Document):
        e = doc.get("uuid")
        if e is not None and normal_uuid(e.value) is None:
            yield self.report(f"uuid {e.value!r} is not 32 hex digits", e.value_span,
                              hint="generate one with uuidgen")


class XmHandEdited(XmDocumentRule):
    """Hand-edited xm configs are unsupported; libvirt's tools are preferred.

    What it checks: reported once per linted xm config, as information.

    Why: "Red Hat advises users not to manually edit Xen configuration files" (§34.12,
    lines 5911-5913; also lines 4523-4528, 5760): they get little error checking. virtc's
    own checks are that error checking; `virtc import` turns the file into a .virt.

    Example: any /etc/xen/NAME.

    Fix: keep the guest in a .virt file and let virtc write the config.
    """

    code, name, severity = "VF113", "xm-hand-edited", Severity.INFO
    checklist, section, lines = ("XEN-16",), "§34.12", "4523-4528, 5760, 5911-5913"

    def document(self, doc: Document):
        first = doc.entries[0] if doc.entries else None
        if first is not None:
            yield self.report("xm configs edited by hand get little checking from xend", first.span,
                              hint="manage the guest with virtc (or virsh/virt-manager)")


RULES = rules_in(globals())

"""Format-level rules for existing libvirt XML (domain, network and pool definitions, and
`virsh capabilities` output), read by targets/libvirt.py through compiler/xmlsafe.py.

They check a document of one entry per element (key: the element's path from the root,
"domain/devices/hostdev/source/address"; value: an XmlNode with its text and attributes):
what RHEL 5's libvirt (0.8) would refuse, or would silently read differently from what the
file seems to say. The guide's own XML examples contain several of these (formats.md §2).
"""
from __future__ import annotations

import re

from .values import DEVICE_ELEMENTS, DOMAIN_ELEMENTS, memory_kib, memory_unit_bytes, pci_bounds, pci_number

from virtc import fixes
from virtc.diagnostics import Severity
from virtc.documents import Document, Entry
from virtc.model import ACTIONS
from virtc.suggest import closest, did_you_mean
from virtc.units import UNITS
from virtc.rules.base import Rule, Scope, rules_in
from virtc.values import is_number


FORMAT = "libvirt-xml"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$")
_MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}$")
_KIB_UNITS = ("k", "kib")  # units RHEL 5's libvirt, which ignores unit=, reads the same way
_KIB_PER_MIB = UNITS["M"] // UNITS["K"]
_KIB_PER_GIB = UNITS["G"] // UNITS["K"]


def _children(doc: Document) -> dict[int, list[Entry]]:
    """Entry index -> the entries of its child elements."""
    out: dict[int, list[Entry]] = {}
    for e in doc.entries:
        out.setdefault(e.group, []).append(e)
    return out


def _node(e: Entry):
    return e.value


class XmlNotWellFormed(Rule):
    """An XML file is well-formed and declares no entities.

    What it checks: while reading a libvirt XML file: markup errors (an unclosed tag or
    quote, a stray '<' or '&', two root elements, an empty file), reported at the line and
    column where libxml2 stopped; and a DOCTYPE that declares entities, which virtc refuses
    to read at all.

    Why: `virsh define` and `virsh create` refuse a file that is not well-formed XML (guide
    §33.1, lines 5603-5612, and §25's dumpxml/define, lines 4094-4096). The guide's own
    nodedev example at line 2573 opens `<id='0x3a6c'>` and closes `</product>` (C-70).
    Entities are refused for safety: an external entity (`<!ENTITY x SYSTEM
    "file:///etc/passwd">`) would pull a local file into the result, and nested entities
    ("billion laughs") expand a few hundred bytes into gigabytes. libvirt's own files never
    have a DOCTYPE, so virtc neither loads DTDs nor expands entities.

    Example:
        <!DOCTYPE domain [ <!ENTITY x SYSTEM "file:///etc/passwd"> ]>

    Fix: correct the markup at the position shown; remove the DOCTYPE.
    """

    code, name, severity = "VF701", "xml-not-well-formed", Severity.ERROR
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class XmlUnknownRoot(Rule):
    """A libvirt XML file is a domain, network, pool or capabilities document with a name.

    What it checks: the root element (`<domain>`, `<network>`, `<pool>` or
    `<capabilities>`), and that a domain, network or pool has a `<name>`.

    Why: virtc reads the files `virsh dumpxml`, `net-dumpxml`, `pool-dumpxml` and `virsh
    capabilities` write (guide §25, lines 4094-4096, 4273-4284; §23.1.2, lines 3797-3806;
    §32.8, lines 5248-5287). Another root (a volume, a nodedev, a fragment for `virsh
    attach-device`) is not a definition; a definition without a name cannot be defined.

    Example:
        <domian type='xen'>...</domian>

    Fix: correct the root element's name, or do not lint that file as a definition.
    """

    code, name, severity = "VF702", "xml-unknown-root", Severity.ERROR
    checklist, section, lines = (), "virtc", "-"
    scope = Scope.READER


class XmlRule(Rule):
    scope = Scope.DOCUMENT
    formats = (FORMAT,)


class XmlMemoryUnit(XmlRule):
    """libvirt `<memory>` and `<currentMemory>` are KiB, written without a unit.

    What it checks: `<memory>`, `<currentMemory>` and `<maxMemory>` of a domain: the value
    is a whole number; a `unit=` is one libvirt knows; a unit other than KiB is flagged
    because RHEL 5's libvirt (0.8) ignores the attribute (it came with libvirt 0.9.11) and
    reads the number as KiB; a value without a unit below the guide's 64 MiB minimum is
    probably MiB written by mistake, and one above the largest guest the guide documents is
    probably bytes. A unit is not judged on a later system (Document.later_system), whose
    libvirt reads it.

    Why: every XML example of the guide is in KiB (819200 for `--ram 800`, 512000 for 500
    MiB: lines 3878, 4110) although the libvirt reference table says megabytes (line 4680,
    contradiction C-16). `<memory>512</memory>` starts a guest with half a megabyte.

    Example:
        <memory>512</memory>

    Fix: <memory>524288</memory> (512 MiB in KiB).
    """

    code, name, severity = "VF703", "xml-memory-unit", Severity.WARNING
    checklist, section, lines = ("MEM-15",), "§25", "3878, 4110, 4184, 4680"
    uses = ("guest.memory_minimum", "xen.pv_guest_memory_x86_64")
    KEYS = ("domain/memory", "domain/currentMemory", "domain/maxMemory")
    fix, fix_title = "unsafe", 'write the size in KiB (from the unit=, or from the MiB or bytes it looks like)'

    def document(self, doc: Document):
        minimum = self.limit("guest.memory_minimum")
        largest = self.limit("xen.pv_guest_memory_x86_64")
        for e in doc.entries:
            if e.key not in self.KEYS:
                continue
            n = _node(e)
            tag, unit, text = n.tag, n.attr("unit"), n.text or ""
            if not is_number(text):
                yield self.report(f"<{tag}> {text!r} is not a whole number libvirt can read", e.value_span,
                                  severity=Severity.ERROR, hint=f"write the size in KiB: <{tag}>524288</{tag}>")
                continue
            if unit is not None and memory_unit_bytes(unit) is None:
                yield self.report(f"<{tag} unit='{unit}'> is not a unit libvirt knows", n.attr_span("unit") or e.span, severity=Severity.ERROR,
                                  hint="drop unit= and write KiB (RHEL 5's libvirt ignores it); later libvirt "
                                       "takes b, KiB, MiB, GiB, TiB (and KB, MB, GB for powers of 1000)")
                continue
            kib = memory_kib(text, unit)
            if unit is not None and unit.lower() not in _KIB_UNITS and doc.later_system is None:
                yield self.report(f"<{tag} unit='{unit}'>{text}</{tag}>: RHEL 5's libvirt ignores unit= and "
                                  f"reads {text} KiB", n.attr_span("unit") or e.span,
                                  hint=f"write <{tag}>{kib}</{tag}> ({text} {unit} in KiB, without unit=)",
                                  fix=_kib_fix(doc, e, n, kib))
            elif unit is None and 0 < kib < minimum.kib:
                yield self.report(f"<{tag}>{text}</{tag}> is {text} KiB, below the {minimum.shown} most guests "
                                  f"need: the value looks like MiB", e.value_span,
                                  hint=f"libvirt reads KiB: for {text} MiB write <{tag}>{kib * _KIB_PER_MIB}</{tag}>",
                                  fix=_kib_fix(doc, e, None, kib * _KIB_PER_MIB))
            elif unit is None and kib > largest.kib and kib % _KIB_PER_MIB == 0:
                yield self.report(f"<{tag}>{text}</{tag}> is {kib // _KIB_PER_GIB} GiB, above the largest guest "
                                  f"the guide documents ({largest.shown}): the value looks like bytes",
                                  e.value_span,
                                  hint=f"libvirt reads KiB: for {text} bytes write <{tag}>{kib // _KIB_PER_MIB}</{tag}>",
                                  fix=_kib_fix(doc, e, None, kib // _KIB_PER_MIB))


def _kib_fix(doc: Document, e: Entry, n, kib: int):
    """<memory unit='MiB'>512</memory> becomes <memory>524288</memory>: the number in KiB,
    and the unit= (with the blank before it) gone when `n` has one."""
    src = doc.source
    if src is None or src.text[e.value_span.start:e.value_span.end] != (n.text if n else src.text[
            e.value_span.start:e.value_span.end]):
        return None
    edits = [fixes.Edit(e.value_span.start, e.value_span.end, str(kib))]
    unit = n.attr_span("unit") if n is not None else None
    # the attribute's span is its value's: the name, the = and the quotes go too
    whole = re.compile(r"""unit\s*=\s*(['"])[^'"]*\1""").match(src.text, src.text.rfind("unit", 0, unit.start)) \
        if unit is not None else None
    if unit is not None and (whole is None or whole.end() < unit.end):
        return None
    if whole is not None:
        start = whole.start()
        while start > 0 and src.text[start - 1] in " \t":
            start -= 1
        edits.insert(0, fixes.Edit(start, whole.end(), ""))
    return fixes.Fix(f"write {kib} (KiB)", src.path, tuple(edits), fixes.Applicability.UNSAFE)


def _attr_value_fix(doc: Document, span, old: str, new: str, safe: bool):
    """Replace an attribute's value, the one place it is written in the attribute's span."""
    src = doc.source
    text = src.text[span.start:span.end] if src else ""
    if text.count(old) != 1:
        return None
    at = span.start + text.index(old)
    return fixes.Fix(f"write {new}", src.path, (fixes.Edit(at, at + len(old), new),),
                     fixes.Applicability.SAFE if safe else fixes.Applicability.UNSAFE)


class XmlVcpusElement(XmlRule):
    """The number of virtual CPUs is `<vcpu>`, not `<vcpus>`.

    What it checks: a `<vcpus>` element directly under `<domain>` holding a number (later
    libvirt has a `<vcpus>` list of `<vcpu id=.../>` elements, which is not flagged).

    Why: the guide's NUMA procedure says "Find the vcpus element" and shows
    `<vcpus cpuset='4-7'>4</vcpus>` (§32.8, lines 5323, 5326), while every dumpxml output
    uses `<vcpu>` (lines 3880, 4111; contradiction C-17). libvirt ignores the unknown
    element: the guest gets one vCPU and no pinning.

    Example:
        <vcpus cpuset='4-7'>4</vcpus>

    Fix: <vcpu cpuset='4-7'>4</vcpu>.
    """

    code, name, severity = "VF704", "xml-vcpus-element", Severity.ERROR
    checklist, section, lines = ("CPU-13",), "§32.8", "3880, 4111, 5320-5328"

    def document(self, doc: Document):
        for e in doc.entries:
            n = _node(e)
            if e.key == "domain/vcpus" and n.text and not n.children:
                attrs = "".join(f" {k}='{v}'" for k, v in n.attrs)
                yield self.report("<vcpus> is not a libvirt element: libvirt ignores it and gives the guest "
                                  "one vCPU", e.key_span,
                                  hint=f"did you mean <vcpu>? write <vcpu{attrs}>{n.text}</vcpu>")


class XmlUnknownElement(XmlRule):
    """Every element directly under `<domain>` and `<devices>` is one libvirt knows.

    What it checks: child elements of `<domain>` and of `<devices>` that libvirt's domain
    schema does not have (namespaced extensions such as `<qemu:commandline>` excepted),
    with a did-you-mean; an element that belongs in the other of the two is named so.

    Why: libvirt's parser looks elements up by name and ignores the rest, so a misspelt
    element does nothing: the guide's NUMA example writes `<vcpus>` (line 5323, see
    VF704), and its virsh chapter names an `on_shutdown` setting (lines 4151, 4155;
    contradiction C-46) where the element is `<on_poweroff>` (line 4112).

    Example:
        <on_shutdown>destroy</on_shutdown>

    Fix: <on_poweroff>destroy</on_poweroff>.
    """

    code, name, severity = "VF705", "xml-unknown-element", Severity.ERROR
    checklist, section, lines = ("XEN-21",), "§25", "4112, 4151, 4155, 4673-4698, 5323"
    # The guide's wrong names (C-46, C-17) and the xm-style names of its libvirt reference
    # table (§30, lines 4673-4698), which are not XML elements.
    RENAMED = {"on_shutdown": "on_poweroff", "on_boot": "on_reboot", "vcpus": "vcpu", "nic": "interface",
               "vif": "interface", "currentmemory": "currentMemory", "maxmem": "memory"}
    fix, fix_title = "unsafe", 'rename the element (both tags) to the one it is closest to, or its libvirt name (on_shutdown: on_poweroff)'

    def document(self, doc: Document):
        for e in doc.entries:
            parent, _, tag = e.key.rpartition("/")
            if ":" in tag or parent not in ("domain", "domain/devices"):
                continue
            here, there = ((DOMAIN_ELEMENTS, DEVICE_ELEMENTS) if parent == "domain"
                           else (DEVICE_ELEMENTS, DOMAIN_ELEMENTS))
            if tag in here or (tag == "vcpus" and parent == "domain"):
                continue  # <vcpus> is VF704's, or later libvirt's list of vCPUs
            where = "<domain>" if parent == "domain" else "<devices>"
            if tag in there:
                other = "<devices>" if parent == "domain" else "<domain>"
                hint = f"<{tag}> belongs directly inside {other}, not {where}"
            else:
                guess = self.RENAMED.get(tag) or self.RENAMED.get(tag.lower())
                hint = (f"did you mean '{guess}'?" if guess else did_you_mean(tag, here)) or \
                    f"see libvirt's domain format for the elements {where} takes"
                new = guess or closest(tag, here)
                fix = _rename_fix(doc, e.key_span, tag, new) if new and new not in ("interface",) else None
            yield self.report(f"<{tag}> is not an element libvirt knows inside {where}; libvirt ignores it",
                              e.key_span, hint=hint, fix=None if tag in there else fix)


def _rename_fix(doc: Document, span, old: str, new: str):
    """<old ...>...</old> becomes <new ...>...</new> (an empty element has one tag to
    rename); None when an element of the same name is nested inside (whose end is which?)."""
    src = doc.source
    if src is None or src.text[span.start:span.start + 1 + len(old)] != f"<{old}":
        return None
    start_tag = re.compile(r"[^>]*>").match(src.text, span.start)
    if start_tag is None:
        return None
    edits = [fixes.Edit(span.start + 1, span.start + 1 + len(old), new)]
    if not start_tag.group().endswith("/>"):
        close = re.compile(rf"</{re.escape(old)}\s*>").search(src.text, start_tag.end())
        inner = src.text[start_tag.end():close.start()] if close else ""
        if close is None or re.search(rf"<{re.escape(old)}[\s/>]", inner):
            return None
        edits.append(fixes.Edit(close.start() + 2, close.start() + 2 + len(old), new))
    return fixes.Fix(f"rename to <{new}>", src.path, tuple(edits), fixes.Applicability.UNSAFE)


class XmlPciAddress(XmlRule):
    """PCI `<address>` attributes are 0x-prefixed hex within the PCI ranges.

    What it checks: every `<address>` of a `<hostdev>` source, and every guest-side
    `<address type='pci'>`: domain, bus, slot and function must be numbers libvirt reads
    (it reads 0x.. as hex and anything else as decimal or octal), within 16 bits (domain),
    8 bits (bus), the 32 slots of a PCI bus and the 8 functions of a device (0-7). A value
    of two or more digits without 0x is a warning: libvirt reads it as decimal, which is
    not what a value copied from lspci means.

    Why: "Append 0x to the beginning of the output to tell the computer that the value is
    a hexadecimal number" (§14.1, lines 2580-2598; the SR-IOV example, lines 2831-2842);
    "each PCI device can have up to 8 functions" (lines 2344, 2499). The xm reference's own
    example uses function 1a (line 4736, contradiction C-15).

    Example:
        <address domain='0x0000' bus='0x00' slot='0x1a' function='0x1a'/>

    Fix: <address domain='0x0000' bus='0x00' slot='0x1a' function='0x7'/>.
    """

    code, name, severity = "VF706", "xml-pci-address", Severity.ERROR
    checklist, section, lines = ("PCI-04", "PCI-12", "SRIOV-07"), "§14.1", "2344, 2499, 2580-2598, 2818-2842"
    uses = ("pci.functions_per_device", "kvm.pci_slots_total")

    def document(self, doc: Document):
        bound = pci_bounds()
        functions, slots = bound["function"], bound["slot"]
        what = {"domain": "a 16-bit PCI domain", "bus": "a bus number (0x00-0xff)",
                "slot": f"a slot of a PCI bus (0x00-0x{slots - 1:02x})",
                "function": f"a function of a PCI device (0-{functions - 1})"}
        for e in doc.entries:
            n = _node(e)
            if not e.key.endswith("/address") or not self.is_pci(doc, e):
                continue
            for field in ("domain", "bus", "slot", "function"):
                raw = n.attr(field)
                if raw is None:
                    continue
                span = n.attr_span(field) or e.span
                value = pci_number(raw)
                if value is None:
                    hexish = re.fullmatch(r"[0-9a-fA-F]+", raw) is not None
                    yield self.report(f"PCI {field} '{raw}' is not a number libvirt reads", span,
                                      hint=f"hexadecimal needs 0x: {field}='0x{raw.lower()}'" if hexish else
                                      f"write {field} in hexadecimal with 0x, e.g. {field}='0x0'")
                elif value >= bound[field]:
                    yield self.report(f"PCI {field} {raw} is not {what[field]}", span,
                                      hint="copy the address from `virsh nodedev-dumpxml` (decimal) converted "
                                           "with printf %x, or from lspci (hex)")
                elif not raw.lower().startswith("0x") and len(raw.lstrip("0")) > 1:
                    yield self.report(f"PCI {field} '{raw}' has no 0x: libvirt reads it as decimal {value} "
                                      f"(0x{value:x})", span, severity=Severity.WARNING,
                                      hint=f"write {field}='0x{value:x}' if that is the device; "
                                           f"if '{raw}' was hex, write {field}='0x{raw}'")


    @staticmethod
    def is_pci(doc: Document, e: Entry) -> bool:
        """A guest-side <address type='pci'>, or the host address of a PCI <hostdev>
        (a USB hostdev's source address is a USB bus and device, in decimal)."""
        if _node(e).attr("type") == "pci":
            return True
        if not e.key.endswith("hostdev/source/address") or e.group < 0:
            return False
        source = doc.entries[e.group]
        hostdev = doc.entries[source.group] if source.group >= 0 else None
        return hostdev is not None and _node(hostdev).attr("type") == "pci"


class XmlUuid(XmlRule):
    """A libvirt `<uuid>` is 32 hex digits, dashed 8-4-4-4-12 or undashed.

    What it checks: the `<uuid>` of a domain, network or pool.

    Why: the guide shows both forms (`ad8961e9-156f-746f-5a4e-f220bfafd08d`, line 3877;
    `4a4c59a7ee3fc78196e4288f2862f011`, line 4102); a UUID must be unique across the
    cluster and is generated with uuidgen (§31, line 4781; §32.19, lines 5581-5584).
    libvirt refuses anything else ("malformed uuid element"). The guide's HVM example has
    the non-hex 'ao5f' (line 5933).

    Example:
        <uuid>b10372f9-91d7-ao5f-12ff-372100c99af5</uuid>

    Fix: generate one with uuidgen, or leave <uuid> out and libvirt generates it.
    """

    code, name, severity = "VF707", "xml-uuid", Severity.ERROR
    checklist, section, lines = ("XEN-18",), "§31", "3877, 4102, 4781, 5581-5584, 5933"
    KEYS = ("domain/uuid", "network/uuid", "pool/uuid")

    def document(self, doc: Document):
        for e in doc.entries:
            if e.key in self.KEYS and not _UUID.match(_node(e).text or ""):
                text = _node(e).text or ""
                bad = next((c for c in text if c not in "0123456789abcdefABCDEF-"), None)
                why = f"'{bad}' is not a hex digit" if bad else "it is not 32 hex digits (8-4-4-4-12)"
                yield self.report(f"<uuid>{text}</uuid> is not a UUID: {why}", e.value_span,
                                  hint="generate one with uuidgen, or leave <uuid> out and libvirt generates it")


class XmlMac(XmlRule):
    """A `<mac address=...>` is six hex pairs separated by colons, and unicast.

    What it checks: the MAC of every `<interface>` of a domain and of a network's bridge.

    Why: each NIC needs a MAC unique on the network (§32.18-§32.19, lines 5572-5594);
    when `<mac>` is left out, libvirt generates one (§10.1, line 1524). libvirt refuses a
    MAC that is not six colon-separated hex pairs, and one whose first byte is odd (a
    multicast address, which no NIC may have).

    Example:
        <mac address='00:16:3e:1a:b3'/>

    Fix: <mac address='00:16:3e:1a:b3:4a'/>, or no <mac> at all.
    """

    code, name, severity = "VF708", "xml-mac", Severity.ERROR
    checklist, section, lines = ("NET-04",), "§10.1", "1524-1528, 1676, 5572-5594"
    fix, fix_title = "unsafe", "write the address with ':' (safe), or keep its address part only (unsafe)"

    def document(self, doc: Document):
        for e in doc.entries:
            if not e.key.endswith("/mac"):
                continue
            n = _node(e)
            mac = n.attr("address")
            if mac is None:
                continue
            span = n.attr_span("address") or e.span
            if not _MAC.match(mac):
                fix = None
                if _MAC.match(mac.replace("-", ":")):
                    fix = _attr_value_fix(doc, span, mac, mac.replace("-", ":"), safe=True)
                elif mac.split() and _MAC.match(mac.split()[0]):
                    fix = _attr_value_fix(doc, span, mac, mac.split()[0], safe=False)
                yield self.report(f"MAC address '{mac}' is not six hex pairs separated by ':'", span,
                                  hint="e.g. 00:16:3e:1a:b3:4a (Xen) or 52:54:00:0a:ca:84 (KVM), or leave "
                                       "<mac> out and libvirt generates one", fix=fix)
            elif int(mac.split(":")[0], 16) & 1:
                yield self.report(f"MAC address '{mac}' is a multicast address; libvirt refuses it", span, hint="the first byte must be even; Xen guests use 00:16:3e:xx:xx:xx")


class XmlLifecycleAction(XmlRule):
    """`<on_poweroff>`, `<on_reboot>` and `<on_crash>` hold destroy, restart, preserve or
    rename-restart.

    What it checks: the text of the three lifecycle elements of a domain.

    Why: the guide's lifecycle actions are "destroy | restart | preserve | rename-restart"
    (§31, lines 4729-4731, whose first line prints destroy twice, contradiction C-35), as
    in its dumpxml outputs (lines 3891-3893, 4112-4114). RHEL 5's libvirt refuses any
    other value; coredump-destroy and coredump-restart came with later releases.

    Example:
        <on_crash>reboot</on_crash>

    Fix: <on_crash>restart</on_crash>.
    """

    code, name, severity = "VF709", "xml-lifecycle-action", Severity.ERROR
    checklist, section, lines = ("XEN-21",), "§31", "3891-3893, 4112-4114, 4729-4731"
    KEYS = ("domain/on_poweroff", "domain/on_reboot", "domain/on_crash")
    MEANT = {"reboot": "restart", "shutdown": "destroy", "poweroff": "destroy", "coredump-destroy": "destroy",
             "coredump-restart": "restart"}
    fix, fix_title = "unsafe", 'write the action meant (reboot becomes restart: safe), or the closest one (unsafe)'

    def document(self, doc: Document):
        for e in doc.entries:
            if e.key not in self.KEYS:
                continue
            n = _node(e)
            value = n.text or ""
            if value not in ACTIONS:
                later = value.startswith("coredump-")
                guess = self.MEANT.get(value) or closest(value, ACTIONS)
                fix = fixes.replace(f"write {guess}", e.value_span, guess, safe=value in self.MEANT) \
                    if guess and doc.source and doc.source.text[e.value_span.start:e.value_span.end] == value else None
                yield self.report(f"<{n.tag}>{value}</{n.tag}> is not one of {', '.join(ACTIONS)}"
                                  + (" (it is a later libvirt's)" if later else ""),
                                  e.value_span, fix=fix,
                                  hint=(f"did you mean '{self.MEANT[value]}'?" if value in self.MEANT else
                                        did_you_mean(value, ACTIONS) or f"write one of {', '.join(ACTIONS)}"))


class XmlDiskSource(XmlRule):
    """A disk's type, source and device agree: block devices are type='block', ISO images
    are read-only CD-ROMs.

    What it checks: `<disk type='file'>` whose `<source file=...>` is a /dev path (a block
    device driven as a file); a `<source>` attribute that does not match the disk type
    (type='block' reads only dev=, type='file' only file=, so the path is ignored); an
    ISO image attached with device='disk'; a CD-ROM without `<readonly/>`.

    Why: the guide's "typical disk entry" is `<disk type='file'>` with `<source
    file='/dev/hda6'/>` (§12.3.1, lines 1919-1923), where a block device should be
    type='block' with `<source dev=...>` (xm phy:). Its attach-device example attaches an
    ISO as `device="disk"` without a CD-ROM drive (§33.1, lines 5605-5610); CD-ROM and ISO
    devices are attached read-only (§9.2, lines 1412-1413).

    Example:
        <disk type='file' device='disk'><source file='/dev/hda6'/><target dev='hda'/></disk>

    Fix: <disk type='block' device='disk'><source dev='/dev/hda6'/>...; ISO images as
    <disk type='file' device='cdrom'> with <readonly/>.
    """

    code, name, severity = "VF710", "xml-disk-source", Severity.WARNING
    checklist, section, lines = ("STO-33",), "§12.3.1", "1412-1413, 1919-1923, 5605-5610"

    def document(self, doc: Document):
        kids = _children(doc)
        for i, e in enumerate(doc.entries):
            if e.key != "domain/devices/disk":
                continue
            disk = _node(e)
            dtype, device = disk.attr("type", "file"), disk.attr("device", "disk")
            parts = {c.key.rsplit("/", 1)[-1]: c for c in kids.get(i, [])}
            src = parts.get("source")
            if src is not None and dtype in ("file", "block"):
                s = _node(src)
                want, other = ("file", "dev") if dtype == "file" else ("dev", "file")
                if s.attr(want) is None and s.attr(other) is not None:
                    yield self.report(f"<disk type='{dtype}'> with <source {other}=...>: libvirt reads only "
                                      f"{want}= for this type and ignores the path", s.attr_span(other) or src.span, severity=Severity.ERROR,
                                      hint=f"write <disk type='{'block' if other == 'dev' else 'file'}'> or "
                                           f"<source {want}='{s.attr(other)}'/>")
                elif dtype == "file" and (s.attr("file") or "").startswith("/dev/"):
                    yield self.report(f"<disk type='file'> is given the block device {s.attr('file')}",
                                      s.attr_span("file") or src.span,
                                      hint=f"write <disk type='block'> with <source dev='{s.attr('file')}'/> "
                                           "(xm phy:)")
                path = s.attr("file") or s.attr("dev") or ""
                if device == "disk" and path.lower().endswith(".iso"):
                    yield self.report(f"the ISO image {path} is attached as a disk", e.key_span,
                                      hint="attach it as device='cdrom' with <readonly/>")
            if device == "cdrom" and "readonly" not in parts:
                yield self.report("a CD-ROM without <readonly/>", e.key_span,
                                  hint="add <readonly/> inside the <disk>")


class XmlSoftwareEmulation(XmlRule):
    """A domain runs with the CPU's virtualization extensions, not in QEMU's emulation.

    What it checks: a domain of `type='qemu'`: QEMU emulating the CPU in software, with
    no hardware assistance (not even on a KVM host, where `type='kvm'` is the accelerated
    form of the same guest).

    Why: Red Hat Enterprise Linux does not support software virtualization as QEMU does it
    (Glossary, lines 6400-6405); it supports full virtualization with the processor's
    extensions (KVM, Xen HVM) and Xen para-virtualization. Such a guest runs, many times
    slower, and outside that support.

    Not on a later system (Host.later_system), which may not be RHEL at all.

    Example:
        <domain type='qemu'> ... <emulator>/usr/libexec/qemu-kvm</emulator>

    Fix: <domain type='kvm'>, on a host whose CPU has vmx or svm (HOST-04), with the kvm
    module loaded.
    """

    code, name, severity = "VF712", "xml-software-emulation", Severity.ERROR
    checklist, section, lines = ("GOS-39",), "Glossary", "6400-6405"

    def document(self, doc: Document):
        if doc.later_system or not doc.entries or doc.entries[0].key != "domain":
            return
        root = _node(doc.entries[0])
        if root.attr("type") == "qemu":
            yield self.report("domain type 'qemu' runs the guest in QEMU's software emulation, which RHEL "
                              "does not support", root.attr_span("type") or doc.entries[0].span,
                              hint="write <domain type='kvm'> (the CPU needs vmx or svm, and the kvm module)")


RULES = rules_in(globals())

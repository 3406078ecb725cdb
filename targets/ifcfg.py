"""initscripts interface files, /etc/sysconfig/network-scripts/ifcfg-DEVICE.

Read side: shell variable assignments are parsed, never sourced (quotes and escapes are
undone the way bash would for plain assignments; anything that would run a command is
reported instead of evaluated). Writing bridges is the host-files issue.
"""
from __future__ import annotations

import ipaddress
import re
import shlex
from collections import defaultdict
from dataclasses import dataclass

from virtc import fixes
from virtc.diagnostics import Related, Severity, error, info
from virtc.documents import Document, Entry
from virtc.model import Bridge
from virtc.owner import Owner
from virtc.readback import Found, field_spans, whole_file
from virtc.rules.base import Rule, Scope, rules_in
from virtc.source import SourceFile

from .format import Artifact, Format

# the value greedy, its trailing blanks stripped after: a lazy group before [ \t]*$ tried
# every split of each run of blanks (quadratic on a long line of blank runs)
_ASSIGN = re.compile(r"^(?P<indent>[ \t]*)(?:export[ \t]+)?(?P<key>[A-Za-z_][A-Za-z0-9_]*)=(?P<value>.*)$")


def _runs_a_command(raw: str) -> bool:
    """Whether bash, sourcing `KEY=raw`, would run something: a command substitution ($(...)
    or `...`, also inside double quotes), or, outside quotes, a ';', '&', '|', '<' or '>'
    that ends the assignment or redirects it. A parameter expansion (`${DEVICE}`, $DEVICE)
    only reads a variable: `ETHTOOL_OPTS="-s ${DEVICE} speed 1000"` is a plain setting."""
    quote, i = None, 0
    while i < len(raw):
        c = raw[i]
        if quote == "'":
            quote = None if c == "'" else quote
        elif c == "\\":
            i += 1  # the next character is literal
        elif c == "`" or raw.startswith("$(", i):
            return True
        elif quote == '"':
            quote = None if c == '"' else quote
        elif c in "'\"":
            quote = c
        elif c == "#" and (i == 0 or raw[i - 1] in " \t"):
            return False  # a comment: bash reads no further
        elif c in ";&|<>":
            return True
        i += 1
    return False


def parse_document(src) -> tuple[Document, list]:
    entries, diags, unassigned = [], [], []
    text, cr = src.text, False
    for start, body in src.lines():
        end = start + len(body)
        if not cr and text.startswith("\r", end) and body.strip() and not body.lstrip().startswith("#"):
            # DOS line ends: bash keeps the CR in each value (ONBOOT is "yes\r", not yes;
            # DEVICE "eth0\r" names no device), so initscripts act on none of them. Once a file.
            cr = True
            diags.append(error("VF301", "the line ends with a carriage return (DOS line ends): bash keeps it "
                                        "in the value it sources, which then matches nothing initscripts test",
                               src.span(end, end + 1), hint="convert the file to Unix line ends (dos2unix)"))
        stripped = body.strip()
        if not stripped or stripped.startswith("#"):
            continue
        m = _ASSIGN.match(body)
        line_span = src.span(start + len(body) - len(body.lstrip()), start + len(body))
        if not m:
            spaced = re.fullmatch(r"[ \t]*([A-Za-z_][A-Za-z0-9_]*)([ \t]*=[ \t]*)[^\s=#$`;&|]+", body)
            fix = fixes.replace("remove the blanks around '='", src.span(
                start + spaced.start(2), start + spaced.end(2)), "=") if spaced and spaced.group(2) != "=" else None
            diags.append(error("VF301", "not a KEY=value assignment; initscripts source this file with bash",
                               line_span, hint="write KEY=value with no spaces around '='", fix=fix))
            unassigned.append(diags[-1])
            continue
        raw = m.group("value").rstrip(" \t")
        if _runs_a_command(raw):
            diags.append(error("VF301", f"the value of {m.group('key')} would run a command when the file is sourced",
                               line_span, hint="write a plain value"))
            continue
        try:
            parts = shlex.split(raw, comments=True, posix=True)
        except ValueError as exc:
            diags.append(error("VF301", f"{m.group('key')}: {exc} (bash would fail to source the file)", line_span))
            continue
        value = " ".join(parts)
        key_start = start + len(m.group("indent"))
        value_start = start + m.start("value")
        entries.append(Entry(m.group("key"), value, line_span,
                             src.span(key_start, key_start + len(m.group("key"))),
                             src.span(value_start, max(value_start + 1, value_start + len(raw)))))
    return Document("ifcfg", src.path, tuple(entries), src), _no_assignment(src, entries, diags, unassigned)


def _no_assignment(src, entries: list, diags: list, lines: list) -> list:
    """A file in which no line is an assignment (`lines`: their VF301s) is not an ifcfg
    file at all (a Debian interfaces(5) stanza saved as ifcfg-bond0): one VF301 says so,
    not one per line."""
    if entries or len(lines) < 2:
        return diags
    debian = any(re.match(r"[ \t]*(?:iface|auto|allow-hotplug)[ \t]", body) for _, body in src.lines())
    first = lines[0]
    per_line = {id(d) for d in lines}  # (not `in lines`: a file of 10,000 such lines)
    return [d for d in diags if id(d) not in per_line] + [error(
        "VF301", f"no line of this file is a KEY=value assignment ({len(lines)} lines): it is not an ifcfg file"
                 + (", but Debian's /etc/network/interfaces syntax (iface, auto)" if debian else ""),
        first.span, hint="initscripts source ifcfg files with bash and read only KEY=value lines: "
                         "write DEVICE=, BOOTPROTO=, ONBOOT= ..., or move the file out of network-scripts")]


# ---------------------------------------------------------------- writing

NAME = "ifcfg"
_BARE = re.compile(r"^[A-Za-z0-9_.:/@%+,=-]*$")


def shell_value(value: str) -> str:
    """A value bash reads back unchanged when it sources the file: bare when it holds no
    shell syntax, else single-quoted (a quote inside becomes '\\'')."""
    if "\n" in value or "\r" in value or "\0" in value:
        raise ValueError(f"a line break cannot be written to an ifcfg file: {value!r}")
    if _BARE.match(value):
        return value
    return "'" + value.replace("'", "'\\''") + "'"


def _file(settings: list[tuple[str, str]]) -> str:
    return "".join(f"{k}={shell_value(str(v))}\n" for k, v in settings)


def emit(model) -> list:
    """ifcfg-BRIDGE and ifcfg-NIC for every host bridge (guide §10.2): the bridge carries
    the IP settings; the enslaved NIC only DEVICE, HWADDR, ONBOOT and BRIDGE."""
    out = []
    for h in model.hosts:
        network_bridges = {n.bridge for n in h.networks}
        folder = f"{h.name}/etc/sysconfig/network-scripts"
        for b in h.bridges:
            if b.name in network_bridges:
                continue  # libvirt's own bridge (virbr0): no ifcfg (guide §10.1)
            if b.xend_script is not None:
                continue  # xend's network-script makes it when xend starts: no ifcfg either
            s = [("DEVICE", b.name), ("TYPE", "Bridge"), ("BOOTPROTO", b.bootproto), ("ONBOOT", "yes")]
            if b.ip:
                iface = ipaddress.ip_interface(b.ip)
                s += [("IPADDR", str(iface.ip)), ("NETMASK", str(iface.network.netmask))]
                if b.gateway:
                    s.append(("GATEWAY", b.gateway))
            s += [("DELAY", b.delay), ("STP", "on" if b.stp else "off"), ("NM_CONTROLLED", "no")]
            if b.mtu:
                s.append(("MTU", b.mtu))
            out.append(Artifact(f"{folder}/ifcfg-{b.name}", _file(s), source=b.owner))
            if b.nic:
                n = [("DEVICE", b.nic)]
                if b.hwaddr:
                    n.append(("HWADDR", b.hwaddr.upper()))
                n += [("ONBOOT", "yes"), ("BRIDGE", b.name), ("NM_CONTROLLED", "no")]
                if b.mtu:
                    n.append(("MTU", b.mtu))
                out.append(Artifact(f"{folder}/ifcfg-{b.nic}", _file(n), source=b.owner))
    return out


# ---------------------------------------------------------------- reading into the model
#
# read() is the inverse of emit(): a bridge is two files, ifcfg-BRIDGE (TYPE=Bridge, the
# addresses, DELAY, STP, MTU) and ifcfg-NIC (BRIDGE=, HWADDR). Each file gives one
# IfcfgFile record (found.host["ifcfg"]); bridges() pairs the records of one host.

# Keys emit() writes, per kind of file; other keys are noted as not modelled.
_BRIDGE_KEYS = frozenset(("DEVICE", "TYPE", "BOOTPROTO", "ONBOOT", "IPADDR", "NETMASK", "PREFIX", "GATEWAY",
                          "DELAY", "STP", "NM_CONTROLLED", "MTU"))
_NIC_KEYS = frozenset(("DEVICE", "HWADDR", "ONBOOT", "BRIDGE", "NM_CONTROLLED", "MTU"))
# Reported on an enslaved NIC by VF304 already.
_ENSLAVED_IP = frozenset(("IPADDR", "NETMASK", "GATEWAY", "PREFIX", "NETWORK", "BROADCAST"))
# Linux's bridge forward delay when initscripts do not set one (no DELAY=): 15 seconds.
KERNEL_FORWARD_DELAY = 15
# Which model field each key sets (a Bridge's field spans; a NIC's HWADDR is the bridge's).
_PLACES = {"IPADDR": "ip", "GATEWAY": "gateway", "MTU": "mtu", "STP": "stp", "DELAY": "delay",
           "BOOTPROTO": "bootproto", "HWADDR": "hwaddr", "BRIDGE": "nic"}
_STP = {"on": True, "yes": True, "1": True, "off": False, "no": False, "0": False}  # brctl stp


@dataclass(frozen=True)
class IfcfgFile:
    """What one ifcfg file says, in the terms of a Bridge (see bridges())."""

    path: str
    device: str
    bridge_type: bool  # TYPE=Bridge (any case; VF303 reports the wrong case)
    bridge: str | None  # BRIDGE=: the bridge this interface is enslaved to
    hwaddr: str | None
    bootproto: str
    ip: str | None  # CIDR
    gateway: str | None
    mtu: int | None
    stp: bool
    delay: int
    span: object  # the DEVICE= line (or the file's first line)
    places: tuple = ()  # (field, span of its value): where findings about one setting point


def _number(text: str | None, digits: int = 6) -> int | None:
    return int(text) if text and text.isascii() and text.isdigit() and len(text) <= digits else None


def _address(found, doc) -> str | None:
    """IPADDR with NETMASK or PREFIX as CIDR; without either, the class's prefix, as
    initscripts' ipcalc gives it."""
    ip = doc.get("IPADDR")
    if ip is None or not ip.value:
        return None
    mask, prefix = doc.get("NETMASK"), doc.get("PREFIX")
    try:
        addr = ipaddress.IPv4Address(ip.value)
    except ValueError:
        found.ignored(f"IPADDR={ip.value[:40]} (not an IPv4 address)", ip.span)
        return None
    if prefix is not None:
        suffix, where = prefix.value, prefix
    elif mask is not None:
        suffix, where = mask.value, mask
    else:
        first = int(str(addr).split(".")[0])
        return f"{addr}/{8 if first < 128 else 16 if first < 192 else 24}"
    try:
        return ipaddress.IPv4Interface(f"{addr}/{suffix}").with_prefixlen
    except ValueError:
        found.ignored(f"{where.key}={where.value[:40]} (not a netmask or prefix length)", where.span)
        return None


# Keys only NetworkManager's ifcfg-rh plugin writes (0.8, RHEL 6, and later): a file with
# one was saved by a later system's NetworkManager, not written for RHEL 5's initscripts.
# (NAME= and DEFROUTE= are left out: RHEL 5's system-config-network and people write them.)
_NM_KEYS = frozenset(("UUID", "IPV4_FAILURE_FATAL", "LAST_CONNECT", "IPV6_ADDR_GEN_MODE",
                      "PROXY_METHOD", "BROWSER_ONLY", "IPV6_FAILURE_FATAL", "IPV6_DEFROUTE"))
# Team devices (RHEL 7's teamd, which its initscripts and NetworkManager set up): RHEL 5
# has no team driver, and its initscripts read none of these.
_TEAM_KEYS = frozenset(("TEAM_MASTER", "TEAM_CONFIG", "TEAM_PORT_CONFIG"))
_TEAM_TYPES = frozenset(("Team", "TeamPort"))
# Numbered addresses (IPADDR0, PREFIX0, GATEWAY0 as NetworkManager writes the first one):
# RHEL 6's and later initscripts read them; RHEL 5's read IPADDR, PREFIX and GATEWAY only.
_NUMBERED_KEYS = frozenset(("IPADDR0", "PREFIX0", "GATEWAY0"))


def _later_key(e: Entry) -> str | None:
    """What an assignment says of the program that wrote the file, when only a later
    system's (NetworkManager, RHEL 6's or 7's initscripts) writes it; None for any other.
    Only keys RHEL 5's initscripts never read and an admin there has no cause to add."""
    if e.key in _NM_KEYS:
        return f"{e.key}=, which NetworkManager 0.8 (RHEL 6) and later write"
    if e.key in _TEAM_KEYS or (e.key == "DEVICETYPE" and e.value in _TEAM_TYPES):
        shown = f"{e.key}={e.value[:20]}" if e.key == "DEVICETYPE" else f"{e.key}="
        return f"{shown}, a team device's setting, which only RHEL 7 and later know"
    if e.key in _NUMBERED_KEYS:
        return f"{e.key}=, a numbered address that RHEL 6's and later initscripts and NetworkManager read"
    return None


def read(text: str, path: str):
    """One ifcfg file -> found.host["ifcfg"], an IfcfgFile. Files that are neither a
    bridge nor enslaved to one (a plain interface) are noted as not modelled."""
    src = SourceFile(path, text)
    doc, problems = parse_document(src)
    found = Found(src, "ifcfg", doc, diagnostics=list(problems))
    written = next(((what, e.span) for e in doc.entries if (what := _later_key(e)) is not None), None)
    if written is not None:
        found.later = written
    dev = doc.get("DEVICE")
    file_name = path.replace("\\", "/").rsplit("/", 1)[-1]
    name = dev.value if dev is not None and dev.value else file_name.rsplit("ifcfg-", 1)[-1]
    span = dev.span if dev is not None else (doc.entries[0].span if doc.entries else whole_file(src))
    kind = doc.get("TYPE")
    is_bridge = kind is not None and kind.value.lower() == "bridge"
    enslaved = doc.get("BRIDGE")
    if not is_bridge and enslaved is None:
        found.ignored(f"interface {name} (neither a bridge nor enslaved to one)", span,
                      hint="virtc models bridges and the NIC each one enslaves")
    # one note per key virtc does not write; the last assignment counts, as in bash
    last = {e.key: e for e in doc.entries}
    for key, e in last.items():
        if is_bridge:
            if key not in _BRIDGE_KEYS:
                found.ignored(f"{key}={e.value[:40]} in bridge {name}", e.span)
        elif enslaved is not None:
            quiet = key in _ENSLAVED_IP or (key == "BOOTPROTO" and e.value in ("dhcp", "static", "bootp"))
            fine = key in _NIC_KEYS or (key == "TYPE" and e.value == "Ethernet") or \
                (key == "BOOTPROTO" and e.value == "none")
            if not (quiet or fine):
                found.ignored(f"{key}={e.value[:40]} on {name}, enslaved to {enslaved.value}", e.span)
    for key, wanted in (("ONBOOT", "yes"), ("NM_CONTROLLED", "no")):
        e = last.get(key)
        if e is not None and e.value != wanted and (is_bridge or enslaved is not None):
            found.ignored(f"{key}={e.value[:40]} (virtc writes {key}={wanted})", e.span)
    bootproto = "none"
    bp = last.get("BOOTPROTO")
    if bp is not None and is_bridge:
        if bp.value in ("none", "dhcp", "static"):
            bootproto = bp.value
        elif bp.value == "bootp":
            bootproto = "dhcp"  # dhclient serves both
        else:  # initscripts compare it case-sensitively: anything else is a static setup
            found.ignored(f"BOOTPROTO={bp.value[:40]} (initscripts know none, static, dhcp and bootp)", bp.span)
    numbers = {}
    for key in ("MTU", "DELAY"):
        e = last.get(key)
        numbers[key] = _number(e.value) if e is not None else None
        if e is not None and numbers[key] is None:
            found.ignored(f"{key}={e.value[:40]} (not a number)", e.span)
    stp = False
    e = last.get("STP")
    if e is not None:
        if e.value in _STP:
            stp = _STP[e.value]
        else:
            found.ignored(f"STP={e.value[:40]} (brctl takes on or off)", e.span)
    delay = numbers["DELAY"] if numbers["DELAY"] is not None else KERNEL_FORWARD_DELAY
    hw = last.get("HWADDR")
    record = IfcfgFile(path, name, is_bridge, enslaved.value if enslaved is not None else None,
                       hw.value.lower() if hw is not None and hw.value else None, bootproto,
                       _address(found, doc) if is_bridge else None,
                       last["GATEWAY"].value or None if is_bridge and "GATEWAY" in last else None,
                       numbers["MTU"], stp, delay, span,
                       tuple((field, last[key].value_span) for key, field in _PLACES.items() if key in last))
    found.host["ifcfg"] = record
    return found


def assemble_bridges(founds, host: str = ""):
    """(bridges, notes): each TYPE=Bridge file with the first interface that names it in
    BRIDGE= (its HWADDR is the bridge's). A second interface on one bridge is noted: the
    model has one NIC per bridge."""
    records = [f.host["ifcfg"] for f in founds if isinstance(f.host.get("ifcfg"), IfcfgFile)]
    label = Owner(host or None)
    out, notes, seen = [], [], set()
    for b in records:
        if not b.bridge_type or b.device in seen:
            continue  # a second file for one device is VF305
        seen.add(b.device)
        nics = [r for r in records if r.bridge == b.device and not r.bridge_type]
        nic = nics[0] if nics else None
        for other in nics[1:]:
            notes.append(info("VF003", f"interface {other.device}, a second NIC enslaved to {b.device}, is not "
                                       "modelled by virtc; ignored", other.span,
                              hint="virtc models one NIC per bridge; rules do not check the others"))
        mtu = b.mtu if b.mtu is not None else (nic.mtu if nic else None)
        if nic is not None and nic.mtu is not None and b.mtu is not None and nic.mtu != b.mtu:
            notes.append(info("VF003", f"MTU={nic.mtu} on {nic.device} differs from the bridge's MTU={b.mtu}; "
                                       "the NIC's value is not modelled by virtc; ignored", nic.span,
                              hint="virtc writes the bridge's MTU on both files"))
        places = dict(b.places)
        places.pop("hwaddr", None)  # the bridge's address is its NIC's
        places.pop("nic", None)
        if nic is not None:
            places.update((k, v) for k, v in nic.places if k in ("hwaddr", "nic"))
        out.append(Bridge(b.device, nic.device if nic else None, nic.hwaddr if nic else None, b.bootproto, b.ip,
                          b.gateway, mtu, b.stp, b.delay, b.span, label.of(f"bridge {b.device}"),
                          fields=field_spans(places)))
    return tuple(out), notes


def bridges(founds, host: str = "") -> tuple:
    """The host's bridges from the ifcfg files read for it (see assemble_bridges)."""
    return assemble_bridges(founds, host)[0]


# ---------------------------------------------------------------- format-level rules

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
IP_KEYS = ("IPADDR", "NETMASK", "GATEWAY", "PREFIX", "NETWORK", "BROADCAST")


def _device_name(doc: Document) -> str:
    name = doc.path.replace("\\", "/").rsplit("/", 1)[-1]
    return name.rsplit("ifcfg-", 1)[-1]


class IfcfgRule(Rule):
    scope = Scope.DOCUMENT
    formats = ("ifcfg",)


class IfcfgSyntax(Rule):
    """ifcfg files are plain KEY=value lines that bash can source without running anything.

    What it checks: lines that are not assignments, unbalanced quotes, values that would
    run a command (`$(...)`, backticks, `;`) when initscripts source the file, and DOS
    line ends (once a file, at the first assignment that ends in a carriage return).

    Why: the guide's ifcfg files are `KEY=value` lines, one per line, no spaces around
    '=' (§10.2, lines 1553-1568); initscripts source them with bash, so anything else is
    either an error at boot or a command run as root. bash keeps a line's carriage return
    in the value: ONBOOT is then "yes\r", which is not yes, and DEVICE names no device.

    Example:
        DEVICE = br0

    Fix: DEVICE=br0.
    """

    code, name, severity = "VF301", "ifcfg-syntax", Severity.ERROR
    checklist, section, lines = ("NET-16",), "§10.2", "1553-1568"
    scope = Scope.READER
    fix, fix_title = "safe", "remove the blanks around '=' (bash runs `KEY = value` as a command)"


class IfcfgDeviceName(IfcfgRule):
    """An ifcfg file's DEVICE matches its file name.

    What it checks: DEVICE= in /etc/sysconfig/network-scripts/ifcfg-NAME equals NAME.
    Not a bonding or team port's file (MASTER=, TEAM_MASTER=): the master's ifup finds its
    ports' files by MASTER=, whatever their names, and brings up the DEVICE each names
    (ifcfg-bond0-port1 with DEVICE=eth1 enslaves eth1 on RHEL 5 too); the guide's rule is
    about the bridge's own script.

    Why: "br0 ... can be any name as long as the file name matches the DEVICE parameter"
    (§10.2, line 1563).

    Example: ifcfg-br0 with DEVICE=br1.

    Fix: rename the file or change DEVICE.

    Not on a host of a later system (Host.later_system): RHEL 6's and later initscripts
    find the device by HWADDR, and NetworkManager names its files after the connection
    (ifcfg-Wired_connection_1, ifcfg-System_eth0, ifcfg-team0-eth0). Besides NetworkManager's
    own keys (UUID=, PROXY_METHOD= ...), a team device's (DEVICETYPE=Team or TeamPort,
    TEAM_MASTER=, TEAM_CONFIG=) and a numbered address (IPADDR0=, PREFIX0=, GATEWAY0=) say a
    later system wrote the file.
    """

    code, name, severity = "VF302", "ifcfg-device-name", Severity.ERROR
    checklist, section, lines = ("NET-15",), "§10.2", "1563"

    def document(self, doc: Document):
        if doc.later_system or not doc.entries:
            return  # (a file with no assignment at all is VF301's: it is no ifcfg file)
        if doc.get("MASTER") is not None or doc.get("TEAM_MASTER") is not None:
            return  # a port: found by its master's name, not by its own file name
        d = doc.get("DEVICE")
        name = _device_name(doc)
        if d is None:
            yield self.report(f"ifcfg-{name} has no DEVICE=", doc.entries[0].span if doc.entries else None, hint=f"add DEVICE={name}")
        elif d.value != name:
            yield self.report(f"DEVICE={d.value} in ifcfg-{name}", d.value_span,
                              hint=f"DEVICE={name}, or rename the file to ifcfg-{d.value}")


class IfcfgBridgeType(IfcfgRule):
    """A bridge's ifcfg says TYPE=Bridge, exactly so.

    What it checks: TYPE values that spell bridge in another case (bridge, BRIDGE).

    Why: "The line, TYPE=Bridge, is case-sensitive. It must have uppercase 'B' and lower
    case 'ridge'" (§7.3, lines 807-809; §10.2, lines 1574-1576); otherwise initscripts do
    not create a bridge and the guests' vifs have nothing to join.

    Example: TYPE=bridge

    Fix: TYPE=Bridge.
    """

    code, name, severity = "VF303", "ifcfg-bridge-type", Severity.ERROR
    checklist, section, lines = ("NET-17",), "§10.2", "807-809, 1574-1576"
    fix, fix_title = "safe", 'write TYPE=Bridge'

    def document(self, doc: Document):
        t = doc.get("TYPE")
        if t is not None and t.value.lower() == "bridge" and t.value != "Bridge":
            yield self.report(f"TYPE={t.value} is not TYPE=Bridge (the value is case-sensitive)", t.value_span,
                              hint="TYPE=Bridge", fix=fixes.replace_value("write Bridge", doc.source, t.value_span, "Bridge")
                              if doc.source else None)


class IfcfgEnslavedIp(IfcfgRule):
    """The interface enslaved to a bridge has no IP configuration of its own.

    What it checks: an ifcfg with BRIDGE= that also has an address (IPADDR, or
    BOOTPROTO=dhcp), and then each setting of it (NETMASK, GATEWAY, BOOTPROTO=static ...);
    without an address those configure nothing (a NIC enslaved after it had an address of
    its own often keeps its `BOOTPROTO=static` or GATEWAY, harmlessly); and BRIDGE=virbr0,
    libvirt's NAT bridge.

    Why: "Network access will not function as expected if IP address details are
    configured on the physical interface that the bridge is connected to" (§10.2, lines
    1570-1572); the guide's PXE example puts BOOTPROTO=dhcp on the enslaved eth1 (line 826,
    contradiction C-36). virbr0 is for NAT only: "Do not attempt to connect a physical
    device to virbr0" (§10.1, line 1510).

    Example:
        DEVICE=eth1
        BRIDGE=installation
        BOOTPROTO=dhcp

    Fix: move the address settings to ifcfg-BRIDGE; leave the NIC with DEVICE, HWADDR,
    ONBOOT and BRIDGE.
    """

    code, name, severity = "VF304", "ifcfg-enslaved-ip", Severity.ERROR
    checklist, section, lines = ("NET-18", "NET-07"), "§10.2", "826, 1510, 1570-1572"

    def document(self, doc: Document):
        b = doc.get("BRIDGE")
        if b is None:
            return
        if b.value == "virbr0":
            yield self.report("a physical interface joins virbr0, libvirt's NAT-only bridge", b.value_span,
                              hint="create a bridge of your own (ifcfg-br0) instead")
        # An address is IPADDR, or one asked of DHCP. BOOTPROTO=static, NETMASK, PREFIX,
        # GATEWAY and the rest only qualify an address: without one they configure nothing
        # (initscripts add the enslaved device to the bridge and stop there), as a NIC
        # enslaved after it had its own address often keeps them.
        dynamic = any(e.key == "BOOTPROTO" and e.value in ("dhcp", "bootp") for e in doc.entries)
        if not dynamic and not any(e.key.startswith("IPADDR") for e in doc.entries):  # IPADDR, IPADDR0, ...
            return
        for e in doc.entries:
            if e.key in IP_KEYS or e.key.startswith("IPADDR") or (e.key == "BOOTPROTO" and e.value in ("dhcp", "bootp", "static")):
                yield self.report(f"{e.key}={e.value} on {_device_name(doc)}, which is enslaved to {b.value}",
                                  e.span, hint=f"put the address settings in ifcfg-{b.value}",
                                  related=(Related(b.span, "enslaved here"),))


class IfcfgBridgeReference(IfcfgRule):
    """BRIDGE= names a bridge that an ifcfg file with TYPE=Bridge defines; DEVICE names are unique.

    What it checks: across the ifcfg files read together, each BRIDGE=X has an ifcfg-X with
    TYPE=Bridge, and no two files configure the same DEVICE. Files named one by one (no
    host tree, no folder), none of them a bridge, are not judged for the bridge they name:
    its file may be beside them, unread.

    Why: the NIC's file names "the bridge device created in the previous step" (§10.2,
    line 1557; §7.3, lines 820-828); a second file for the same device fights the first
    (§11.1, line 1614: pick an unused number).

    Example: ifcfg-eth0 with BRIDGE=br0 and no ifcfg-br0.

    Fix: create ifcfg-br0 with TYPE=Bridge, or correct BRIDGE.
    """

    code, name, severity = "VF305", "ifcfg-bridge-reference", Severity.ERROR
    checklist, section, lines = ("NET-12", "NET-25"), "§10.2", "820-828, 1552-1557, 1614"
    scope = Scope.FLEET
    formats = ("ifcfg",)

    def fleet(self):
        docs = [d for d in self.ctx.documents if d.format == "ifcfg"]
        # each host's bridges: a bridge of another host makes none here. (TYPE=bridge in
        # the wrong case makes no bridge either: initscripts bring the device up as
        # Ethernet, so the NIC joins nothing; VF303 reports the case.)
        bridges = defaultdict(set)
        miscased: dict[tuple, Document] = {}  # (host, device) -> its file with TYPE=bridge (VF303)
        for d in docs:
            kind = d.value("TYPE")
            if kind == "Bridge":
                bridges[d.host].add(d.value("DEVICE") or _device_name(d))
            elif kind is not None and kind.lower() == "bridge":
                miscased[(d.host, d.value("DEVICE") or _device_name(d))] = d
        by_dir = defaultdict(list)
        for d in docs:
            by_dir[d.path.rsplit("/", 1)[0]].append(d)
        for folder in by_dir.values():
            seen = {}
            for d in folder:
                dev = d.get("DEVICE")
                if dev is not None:
                    if dev.value in seen:
                        yield self.report(f"two ifcfg files configure DEVICE={dev.value}", dev.span,
                                          related=(Related(seen[dev.value].span, "also configured here"),))
                    else:
                        seen[dev.value] = dev
                b = d.get("BRIDGE")
                # files named one by one with no bridge among them (`virtc lint ifcfg-eth0`):
                # the bridge's file was not given, not shown missing
                if (b is not None and b.value != "virbr0" and b.value not in bridges[d.host]
                        and (bridges[d.host] or not d.alone)):
                    wrong = miscased.get((d.host, b.value))
                    if wrong is not None:  # the cause is the bridge's own file: say so, point there
                        t = wrong.get("TYPE")
                        yield self.report(f"BRIDGE={b.value}, but ifcfg-{_device_name(wrong)} says TYPE={t.value}, "
                                          "which makes no bridge (the value is case-sensitive, VF303)",
                                          b.value_span, hint=f"write TYPE=Bridge in ifcfg-{_device_name(wrong)}",
                                          related=(Related(t.value_span, "TYPE in the wrong case"),))
                        continue
                    yield self.report(f"BRIDGE={b.value} but no ifcfg file defines a bridge {b.value} "
                                      f"(DEVICE={b.value} with TYPE=Bridge)", b.value_span,
                                      hint=f"create ifcfg-{b.value} with TYPE=Bridge")


class IfcfgHwaddr(IfcfgRule):
    """HWADDR is a MAC address.

    What it checks: HWADDR values are six hex pairs separated by colons.

    Why: "change the hardware address to match the hardware address your NIC uses"
    (§10.2, lines 1554-1555); initscripts compare it with the NIC's address and refuse to
    configure a device whose address does not match.

    Example: HWADDR=00:16:76:D6:C9

    Fix: copy the address from `ip link show eth0`.
    """

    code, name, severity = "VF306", "ifcfg-hwaddr", Severity.WARNING
    checklist, section, lines = ("NET-13",), "§10.2", "1554-1555"

    def document(self, doc: Document):
        h = doc.get("HWADDR")
        if h is not None and not _MAC.match(h.value):
            yield self.report(f"HWADDR={h.value} is not a MAC address", h.value_span)


# Settings only an interface file has beside DEVICE=: another program's shell settings
# may name a DEVICE too (Debian's initramfs.conf does), never these.
_INTERFACE_KEYS = ("ONBOOT", "BOOTPROTO", "TYPE", "BRIDGE", "HWADDR", "MASTER", "SLAVE", "IPADDR", "NETMASK")


def recognise(text: str, name: str = "") -> bool:
    """An interface file: DEVICE= and a setting only interface files have, among plain
    shell assignments."""
    return (bool(re.search(r"^[ \t]*DEVICE=", text, re.M))
            and bool(re.search(rf"^[ \t]*(?:{'|'.join(_INTERFACE_KEYS)})=", text, re.M))
            and not re.search(r"^[ \t]*\[", text, re.M))


FORMAT = Format(
    "ifcfg", "initscripts interface file (bridges and the NICs enslaved to them)",
    paths=("etc/sysconfig/network-scripts/ifcfg-*",), exclude=("ifcfg-lo",), names=("ifcfg-*",),
    recognise=recognise, read=read, emit=emit, target="ifcfg", rules=rules_in(globals()), trailing=True, facts=("bridges",))

"""The resolved model as .virt text: the writer behind `virtc import`.

`write(model)` turns hosts and guests (compiled from .virt files or read from existing
configs) into the language of grammar/README.md, so that compiling the text gives back a
model that emits the same files. The text is written the way a person would write it:

* A setting equal to what the compiler would put there by itself is left out: defaults
  (`vcpus 1`, `clock utc`, `on crash restart`, a disk's driver and bus from its target and
  path, `bootloader pygrub` for PV guests, a NIC's model and vif script), automatic MACs
  and UUIDs (compared with exactly what identity.py would assign in this fleet), and what
  derive.py or the resolver adds (xend `network-script /bin/true`, bridge sysctls, IOMMU
  and clock arguments on kernel lines, loop and pciback module options).
* Guests on one host whose names are a base and consecutive numbers, and whose settings
  differ only in what `{name}`, `{host}` and `{index}` express, become one ranged guest
  (`guest web[01..12] { disk xvda "/var/lib/libvirt/images/{name}.img" }`).
* Settings shared by several guests (or ranges) go into a template; see _choose_templates.
* Guests are written inside their host's block (a host name that is not a plain name can
  still carry guests that way), hosts and guests sorted by name.

Every string goes through quote(); a value the language cannot carry raises ValueError
naming the host or guest and the field. A missing value (a NIC without a MAC or model, a
guest without a UUID, an image directory without a label) is written as the language's
default, since there is nothing to lose.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal

from . import identity
from .model import Disk, Guest, Host, Model, Nic
from .conventions import OS_RE
from .units import UNITS, UnitError, parse_size

# ---------------------------------------------------------------- tokens of the grammar

NAME_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
INT_TOKEN = re.compile(r"[0-9]+\Z")
VERSION_TOKEN = re.compile(r"[0-9]+(\.[0-9]+)+[A-Za-z0-9_.\-]*\Z")
ADDRESS_TOKEN = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+(/[0-9]+)?\Z")
MAC_TOKEN = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}\Z")
PCI_TOKEN = re.compile(r"([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-9a-f]+\Z")
WWID_TOKEN = re.compile(r"[0-9A-Za-z]+\Z")
UUID_CANON = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
RATE_TOKEN = re.compile(r"[0-9]+[A-Za-z]*/s(@[0-9]+[a-z]*)?\Z")
CPUSET_TOKEN = re.compile(r"\^?[0-9]+(-[0-9]+)?(,\^?[0-9]+(-[0-9]+)?)*\Z")
GRUBDEV_TOKEN = re.compile(r"\(hd[0-9]+,[0-9]+\)\Z")
ENDPOINT_TOKEN = re.compile(r"[A-Za-z0-9_.\-]*:[0-9]+\Z")
PORTS_TOKEN = re.compile(r"[0-9]+(-[0-9]+)?/(tcp|udp)\Z")
TARGET = re.compile(r"(hd|sd|xvd|vd|fd)([a-z]+)([1-9][0-9]*)?\Z")  # as resolve.TARGET_RE
PREFIX_BUS = {"hd": "ide", "sd": "scsi", "xvd": "xen", "vd": "virtio", "fd": "fdc"}
PYGRUB = "/usr/bin/pygrub"
XEN_TYPES = ("xen-pv", "xen-hvm")


def _keywords() -> frozenset[str]:
    """Every keyword of the grammar, and the words statements give a meaning (switches):
    such a host or guest name is written in quotes, where the grammar allows a string."""
    from virtc.grammar import grammar_text

    words = set(re.findall(r'"([A-Za-z][A-Za-z0-9_:-]*)"', grammar_text()))
    return frozenset(words | {"on", "off", "yes", "no", "true", "false", "auto", "pae"})


KEYWORDS = _keywords()


class Unwritable(ValueError):
    """A value the language cannot carry, with the host or guest it belongs to."""

    def __init__(self, owner, message: str):
        super().__init__(message)
        self.owner = owner


class _Where:
    """Names the host or guest (and field) a ValueError is about."""

    def __init__(self, label: str):
        self.label = label

    def fail(self, what: str, value, reason: str):
        raise ValueError(f"{self.label}: {what} {value!r} cannot be written in the virtc language: {reason}")


# ---------------------------------------------------------------- quoting

def _check_chars(value: str, what: str) -> None:
    for ch in value:
        if ch in "\n\t" or ch.isprintable():
            continue
        raise ValueError(f"{what}: the character U+{ord(ch):04X} in {value!r} cannot be written in a "
                         "virtc string (only \\n and \\t have escapes)")


def _escape(text: str, interpolated: bool) -> str:
    out = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", "\\t")
    if interpolated:  # {name} would be a variable there: a literal brace is doubled
        out = out.replace("{", "{{").replace("}", "}}")
    return out


def quote(value: str, what: str = "value", interpolated: bool = False) -> str:
    """A .virt string literal that reads back as exactly `value`: `\\"`, `\\\\`, `\\n`, `\\t`,
    and in strings the compiler interpolates (`interpolated`), `{{` and `}}`. Other control
    characters have no escape: ValueError naming `what`."""
    _check_chars(value, what)
    return '"' + _escape(value, interpolated) + '"'


def name_or_string(value: str, what: str, interpolated: bool = False) -> str:
    """A bare name where the grammar takes NAME or STRING, quoted when it is not a plain name."""
    if NAME_TOKEN.match(value) and value not in KEYWORDS:
        return value
    return quote(value, what, interpolated)


def _bare(value: str, pattern: re.Pattern, where: _Where, what: str) -> str:
    if not isinstance(value, str) or not pattern.match(value):
        where.fail(what, value, "it is not a token the grammar has a place for here")
    return value


def _name(value: str, where: _Where, what: str) -> str:
    """A NAME-only position (bridges, keymaps, formats ...)."""
    if not isinstance(value, str) or not NAME_TOKEN.match(value):
        where.fail(what, value, "only a plain name (a letter or '_', then letters, digits, '_', '.', '-') "
                                "fits this position")
    return value


def _scalar(value: str, what: str) -> str:
    """A value position taking INT, NAME or STRING (sysctl, xend): the contextual lexer
    reads even a keyword as a plain name there (`xend xend-unix-server yes`)."""
    if INT_TOKEN.match(value) or NAME_TOKEN.match(value):
        return value
    return quote(value, what)


# ---------------------------------------------------------------- sizes

def size_text(n_bytes: int, where: _Where, what: str) -> str:
    """The shortest exact size: 10G, 1536M, 0.5K."""
    if not isinstance(n_bytes, int) or n_bytes < 0:
        where.fail(what, n_bytes, "not a size in bytes")
    for unit in ("T", "G", "M", "K"):
        if n_bytes % UNITS[unit] == 0:
            return f"{n_bytes // UNITS[unit]}{unit}"
    text = f"{Decimal(n_bytes) / 1024}K"
    try:
        if parse_size(text) == n_bytes:
            return text
    except UnitError:
        pass
    where.fail(what, n_bytes, "no size with a unit reads back as exactly this many bytes")


def memory_text(kib: int, where: _Where, what: str) -> str:
    if not isinstance(kib, int) or kib <= 0 or kib % 1024:
        where.fail(what, kib, "memory is a whole number of MiB, more than 0")
    return size_text(kib * 1024, where, what)


def kib_text(kib: int, where: _Where, what: str) -> str:
    return size_text(kib * 1024, where, what)


# ---------------------------------------------------------------- interpolation forms

@dataclass(frozen=True)
class Interp:
    """A string the compiler interpolates: it may be written with {name}, {host}, {index}.
    `bare`: the position also takes a plain name, which is not interpolated."""

    value: str
    what: str
    bare: bool = False


def _candidates(value: str, env: dict[str, str]) -> list[tuple[int, int, str]]:
    """(start, end, variable) where a variable's value stands as a whole word."""
    out = []
    for var, text in env.items():
        if not text:
            continue
        digits = var == "index"
        start = value.find(text)
        while start >= 0:
            end = start + len(text)
            before = value[start - 1] if start else ""
            after = value[end] if end < len(value) else ""
            joined = (lambda c: c.isdigit()) if digits else (lambda c: c.isalnum())
            if not (before and joined(before)) and not (after and joined(after)):
                out.append((start, end, var))
            start = value.find(text, start + 1)
    return sorted(out)


def _choices(cands: list[tuple[int, int, str]]) -> list[list[tuple[int, int, str]]]:
    """Non-overlapping subsets of the candidates (all of them when few)."""
    if len(cands) > 6:  # too many to try every subset: none, or every name greedily
        chosen, end = [], -1
        for c in cands:
            if c[0] >= end and c[2] == "name":
                chosen.append(c)
                end = c[1]
        return [[], chosen] if chosen else [[]]
    out: list[list] = []

    def rec(i: int, end: int, acc: list) -> None:
        if i == len(cands):
            out.append(list(acc))
            return
        rec(i + 1, end, acc)
        if cands[i][0] >= end:
            acc.append(cands[i])
            rec(i + 1, cands[i][1], acc)
            acc.pop()

    rec(0, 0, [])
    return out


def interp_forms(value: str, env: dict[str, str], what: str) -> dict[str, int]:
    """Every way to write `value` as an interpolated string for this guest: quoted text ->
    how many variables it uses. Each expands to exactly `value` for the guest's env."""
    _check_chars(value, what)
    forms: dict[str, int] = {}
    for chosen in _choices(_candidates(value, env)):
        parts, pos = [], 0
        for start, end, var in chosen:
            parts.append(_escape(value[pos:start], True))
            parts.append("{" + var + "}")
            pos = end
        parts.append(_escape(value[pos:], True))
        forms['"' + "".join(parts) + '"'] = len(chosen)
    return forms


def _forms(parts: list, env: dict[str, str]) -> dict[str, int]:
    """A statement made of fixed text and Interp values -> its forms."""
    forms = {"": 0}
    for p in parts:
        if isinstance(p, str):
            alts = {p: 0}
        else:
            alts = interp_forms(p.value, env, p.what)
            if p.bare and NAME_TOKEN.match(p.value) and p.value not in KEYWORDS:
                alts[p.value] = 0
        forms = {a + b: n + m for a, n in forms.items() for b, m in alts.items()}
    return forms


def _best(forms) -> str:
    """The form a person would write: the fewest variables, then the shortest."""
    return min(forms.items(), key=lambda kv: (kv[1], len(kv[0]), kv[0]))[0]


# ---------------------------------------------------------------- guest statements

# Statement slots in the order they are written. A scalar slot holds one statement that a
# later one replaces; a list slot ("dev", "nic" ...) holds devices that accumulate.
SLOTS = ("type", "os", "arch", "os-kernel", "memory", "maxmem", "vcpus", "cpuset", "uuid",
         "bootloader", "kernel", "kernel-args", "boot", "clock", "features", "pv-drivers",
         "pvclock", "on-poweroff", "on-reboot", "on-crash", "dev", "nic", "pci", "gfx", "serial",
         "sound", "usb", "install", "services-on", "services-off", "role", "selinux",
         "firewall", "hostname", "created-on", "migratable", "autostart", "description")
LIST_SLOTS = frozenset(("dev", "nic", "pci", "gfx", "serial", "usb"))
# A guest may restate these to override its template: one statement sets the whole slot.
# (`bootloader` without args keeps inherited args, `kernel` without initrd keeps the
# initrd, `os-kernel` without a variant keeps the variant, services and roles accumulate.)
OVERRIDABLE = frozenset(("type", "os", "arch", "memory", "maxmem", "vcpus", "cpuset", "uuid",
                         "kernel-args", "boot", "clock", "features", "pv-drivers", "pvclock",
                         "on-poweroff", "on-reboot", "on-crash", "sound", "install", "selinux",
                         "firewall", "hostname", "created-on", "migratable", "autostart",
                         "description"))


@dataclass
class Plan:
    """What one guest (or one range of guests) needs written: slot -> forms (text ->
    variables used), list slot -> one forms dict per device, and for overridable slots
    left at their default, the statement that states the default explicitly."""

    scalars: dict[str, dict[str, int]] = field(default_factory=dict)
    lists: dict[str, list[dict[str, int]]] = field(default_factory=dict)
    defaults: dict[str, str] = field(default_factory=dict)


def _switch(on: bool) -> str:
    return "on" if on else "off"


class _GuestWriter:
    """Statements for one guest; `auto_macs` says which NICs may be written `mac auto`."""

    def __init__(self, g: Guest, host: Host, auto_macs: set[tuple[str, int]], cmdline: str | None):
        self.g, self.h = g, host
        self.where = _Where(f"host {g.host} / guest {g.name}")
        self.auto_macs = auto_macs
        self.cmdline = cmdline  # the stated kernel arguments (derived ones taken out)
        self.xen = g.type in XEN_TYPES
        self.hvm = g.type in ("xen-hvm", "kvm")

    def plan(self, index: int | None) -> Plan:
        g = self.g
        env = {"name": g.name, "host": g.host}
        if index is not None:
            env["index"] = str(index)
        p = Plan()

        def put(slot: str, parts, default: str | None = None) -> None:
            if parts is not None:
                p.scalars[slot] = _forms(parts if isinstance(parts, list) else [parts], env)
            elif default is not None and slot in OVERRIDABLE:
                p.defaults[slot] = default

        for slot, (parts, default) in self.scalars().items():
            put(slot, parts, default)
        for slot, items in self.lists().items():
            if items:
                p.lists[slot] = [_forms(parts, env) for parts in items]
        return p

    # -- scalar settings ---------------------------------------------------------

    def scalars(self) -> dict[str, tuple[object, str | None]]:
        """slot -> (statement parts or None when the default applies, the default stated)."""
        g, h, w = self.g, self.h, self.where
        out: dict[str, tuple[object, str | None]] = {}
        if g.type not in ("xen-pv", "xen-hvm", "kvm", "hyperv"):
            w.fail("type", g.type, "not a guest type")
        host_type = h.hypervisor if h.hypervisor in ("kvm", "hyperv") else None
        out["type"] = (None if g.type == host_type else f"type {g.type}", f"type {g.type}")
        # arch: without a statement the host's, with PAE on 64-bit (PAE is implied there)
        pae = g.pae or g.arch in ("x86_64", "ia64")
        if g.arch not in ("i686", "x86_64", "ia64"):
            w.fail("arch", g.arch, "not an architecture")
        arch_text = f"arch {g.arch}" + (" pae" if g.arch == "i686" and pae else "")
        host_pae = h.arch in ("x86_64", "ia64")
        out["arch"] = (None if (g.arch, pae) == (h.arch, host_pae) else arch_text, f"arch {h.arch}")
        out["os"] = (self.os_stmt(), None)
        out["os-kernel"] = (self.os_kernel_stmt(), None)
        out["memory"] = (f"memory {memory_text(g.memory_kib, w, 'memory')}", None)
        out["maxmem"] = (None if g.maxmem_kib == g.memory_kib else
                         f"maxmem {memory_text(g.maxmem_kib, w, 'maxmem')}",
                         f"maxmem {memory_text(g.memory_kib, w, 'memory')}")
        if not (isinstance(g.vcpus, int) and isinstance(g.max_vcpus, int) and g.vcpus >= 1 and g.max_vcpus >= 1):
            w.fail("vcpus", (g.vcpus, g.max_vcpus), "vCPU counts are whole numbers from 1")
        vcpus = f"vcpus {g.vcpus}" + (f" max {g.max_vcpus}" if g.max_vcpus != g.vcpus else "")
        out["vcpus"] = (None if (g.vcpus, g.max_vcpus) == (1, 1) else vcpus, "vcpus 1")
        if g.cpuset is not None:
            out["cpuset"] = (f"cpuset {g.cpuset if CPUSET_TOKEN.match(g.cpuset) else quote(g.cpuset, 'cpuset')}", None)
        out["uuid"] = (self.uuid_stmt(), None)
        out["bootloader"] = (self.bootloader_stmt(), None)
        out["kernel"] = (self.kernel_stmt(), None)
        out["kernel-args"] = (None if self.cmdline is None else
                              ["kernel-args ", Interp(self.cmdline, f"{w.label}: kernel arguments")], None)
        out["boot"] = self.boot_stmt()
        out["clock"] = self.choice("clock", g.clock, ("utc", "localtime"), "utc")
        out["features"] = self.features_stmt(pae)
        out["pv-drivers"] = ("pv-drivers" if g.pv_drivers else None, "pv-drivers off")
        if g.pvclock is not None:
            out["pvclock"] = (f"pvclock {_switch(g.pvclock)}", None)
        actions = ("destroy", "restart", "preserve", "rename-restart")
        for event, default in (("poweroff", "destroy"), ("reboot", "restart"), ("crash", "restart")):
            value = getattr(g, f"on_{event}")
            if value not in actions:
                w.fail(f"on {event}", value, f"the actions are {', '.join(actions)}")
            out[f"on-{event}"] = (None if value == default else f"on {event} {value}", f"on {event} {default}")
        if g.sound is not None:
            out["sound"] = (f"sound {_name(g.sound, w, 'sound')}", None)
        if g.install is not None:
            method = _name(g.install.method, w, "install method")
            if g.install.source is None:
                if method == "url":
                    w.fail("install url", None, "an install url needs its address")
                out["install"] = (f"install {method}", None)
            else:
                out["install"] = ([f"install {method} ", Interp(g.install.source, f"{w.label}: install source")], None)
        self.services(out, g.services_on, g.services_off)
        if g.roles:
            out["role"] = ("role " + " ".join(_name(r, w, "role") for r in g.roles), None)
        if g.selinux is not None:
            out["selinux"] = (f"selinux {_name(g.selinux, w, 'selinux')}", None)
        if g.firewall is not None:
            out["firewall"] = (f"firewall {_switch(g.firewall)}", None)
        if g.hostname is not None:
            out["hostname"] = (self.hostname_stmt(), None)
        if g.created_on is not None:
            out["created-on"] = (f"created-on {_name(g.created_on, w, 'created-on')}", None)
        default_mig = bool(h.migration and h.migration.peers)
        out["migratable"] = (None if g.migratable == default_mig else f"migratable {_switch(g.migratable)}",
                             f"migratable {_switch(default_mig)}")
        out["autostart"] = ("autostart" if g.autostart else None, "autostart off")
        if g.description is not None:
            out["description"] = (["description ", Interp(g.description, f"{w.label}: description")], None)
        return out

    def choice(self, what: str, value: str, allowed, default: str):
        if value not in allowed:
            self.where.fail(what, value, f"one of {', '.join(allowed)}")
        return (None if value == default else f"{what} {value}", f"{what} {default}")

    def os_stmt(self):
        g, w = self.g, self.where
        if g.os is None:
            return None

        def reads_as(name: str, release: str | None):
            m = OS_RE.match(name)
            if not m or not NAME_TOKEN.match(name):
                return None
            fam = {"centos": "rhel", "win": "windows"}.get(m.group(1).lower(), m.group(1).lower())
            rel = release or m.group(2)
            return fam, rel.lower() if rel else None

        want = (g.os.family, g.os.release)
        if reads_as(g.os.name, None) == want:
            return f"os {g.os.name}"
        if g.os.release and (VERSION_TOKEN.match(g.os.release) or INT_TOKEN.match(g.os.release)) \
                and reads_as(g.os.name, g.os.release) == want:
            return f"os {g.os.name} {g.os.release}"
        # The name as read from a file is not one the language knows: the family and
        # release are the facts (the name only appears in messages).
        prefix = {"rhel": "rhel", "fedora": "fedora", "windows": "win", "other": "other"}.get(g.os.family)
        for name in ([f"{prefix}{g.os.release or ''}", prefix] if prefix else []):
            if reads_as(name, None) == want:
                return f"os {name}"
        w.fail("os", g.os, "no `os` statement reads back as this family and release")

    def os_kernel_stmt(self):
        g, w = self.g, self.where
        if g.kernel_release is None:
            if g.kernel_variant is not None:
                w.fail("os-kernel variant", g.kernel_variant, "a variant needs the kernel's version")
            return None
        rel = g.kernel_release
        text = rel if (VERSION_TOKEN.match(rel) or INT_TOKEN.match(rel)) else quote(rel, f"{w.label}: os-kernel")
        if g.kernel_variant is not None:
            text += f" variant {_name(g.kernel_variant, w, 'os-kernel variant')}"
        return f"os-kernel {text}"

    def uuid_stmt(self):
        g = self.g
        if not g.uuid or g.uuid == identity.guest_uuid(g.name):
            return None
        u = g.uuid.lower()
        if not UUID_CANON.match(u):
            hexs = u.replace("-", "")
            if not re.fullmatch(r"[0-9a-f]{32}", hexs):
                self.where.fail("uuid", g.uuid, "a UUID is 32 hex digits")
            u = f"{hexs[:8]}-{hexs[8:12]}-{hexs[12:16]}-{hexs[16:20]}-{hexs[20:]}"
        return f"uuid {u}"

    def bootloader_stmt(self):
        g, w = self.g, self.where
        b = g.boot
        default = PYGRUB if g.type == "xen-pv" and b.kernel is None else None
        if b.bootloader is None:
            if default:
                w.fail("bootloader", None, "a PV guest without a kernel always boots through pygrub")
            if b.bootloader_args is not None:
                w.fail("bootloader args", b.bootloader_args, "arguments need a boot loader")
            return None
        if b.bootloader == default and b.bootloader_args is None:
            return None
        head = "bootloader pygrub" if b.bootloader == PYGRUB else f"bootloader {quote(b.bootloader, f'{w.label}: bootloader')}"
        if b.bootloader_args is None:
            return head
        return [head + " args ", Interp(b.bootloader_args, f"{w.label}: bootloader args")]

    def kernel_stmt(self):
        b, w = self.g.boot, self.where
        if b.kernel is None:
            if b.initrd is not None:
                w.fail("initrd", b.initrd, "an initrd needs a kernel")
            return None
        parts = ["kernel ", Interp(b.kernel, f"{w.label}: kernel")]
        if b.initrd is not None:
            parts += [" initrd ", Interp(b.initrd, f"{w.label}: initrd")]
        return parts

    def boot_stmt(self):
        g, w = self.g, self.where
        order = tuple(g.boot.order)
        default = ("hd",) if self.hvm and not g.boot.kernel else ()
        for dev in order:
            if dev not in ("hd", "cdrom", "network", "fd"):
                w.fail("boot", dev, "boot devices are hd, cdrom, network and fd")
        if len(set(order)) != len(order):
            w.fail("boot", order, "a boot device is listed twice")
        if order == default:
            return (None, "boot " + " ".join(default) if default else None)
        if not order:
            w.fail("boot", order, "an HVM guest that boots no kernel boots from hd unless told otherwise")
        return ("boot " + " ".join(order), "boot " + " ".join(default) if default else None)

    def features_stmt(self, pae: bool):
        g, w = self.g, self.where
        feats = tuple(g.features)
        default = (("acpi", "apic", "pae") if pae else ("acpi", "apic")) if self.hvm else ()
        for f in feats:
            if f not in ("acpi", "apic", "pae"):
                w.fail("features", f, "the features are acpi, apic and pae")
        if len(set(feats)) != len(feats):
            w.fail("features", feats, "a feature is listed twice")
        explicit = "features " + " ".join(default) if default else None
        if feats == default:
            return (None, explicit)
        if not feats:
            w.fail("features", feats, "`features` lists at least one; an HVM guest has acpi and apic by default")
        return ("features " + " ".join(feats), explicit)

    def services(self, out: dict, on: tuple, off: tuple) -> None:
        w = self.where
        for group, names in (("on", on), ("off", off)):
            if not names:
                continue
            if len(set(names)) != len(names):
                w.fail(f"services {group}", names, "a service is listed twice")
            out[f"services-{group}"] = (f"services {group} " + " ".join(_name(s, w, "service") for s in names), None)
        if set(on) & set(off):
            w.fail("services", sorted(set(on) & set(off)), "a service cannot be both on and off")

    def hostname_stmt(self):
        return ["hostname ", Interp(self.g.hostname, f"{self.where.label}: hostname", bare=True)]

    # -- devices -------------------------------------------------------------------

    def lists(self) -> dict[str, list[list]]:
        g, w = self.g, self.where
        out: dict[str, list[list]] = {"dev": [self.disk(d) for d in g.disks],
                                      "nic": [], "pci": [], "gfx": [], "serial": [], "usb": []}
        for i, n in enumerate(g.nics):
            if n.index != i:
                w.fail(f"nic {i} index", n.index, "NICs are numbered by their position")
            out["nic"].append(self.nic(n))
        for p in g.pci:
            addr = p.address
            if not PCI_TOKEN.match(addr):
                w.fail("pci", addr, "not a PCI address ([dddd:]bb:ss.f)")
            out["pci"].append([f"pci {addr}" + (" vf" if p.vf else "")])
        for gr in g.graphics:
            out["gfx"].append([self.graphics(gr)])
        for s in g.serials:
            out["serial"].append(self.serial(s))
        if len(set(g.usb)) != len(g.usb):
            w.fail("usb", g.usb, "a USB device is listed twice")
        for dev in g.usb:
            out["usb"].append([f"usb {_name(dev, w, 'usb')}"])
        return out

    def disk(self, d: Disk) -> list:
        g, w = self.g, self.where
        label = f"{d.device} {d.target}"
        if d.device not in ("disk", "cdrom", "floppy"):
            w.fail(f"{label} device", d.device, "devices are disk, cdrom and floppy")
        m = TARGET.match(d.target)
        if not m:
            w.fail(f"{label} target", d.target, "not a disk target name (hda, sdb, xvda, vda, fda)")
        prefix_bus = PREFIX_BUS[m.group(1)]
        if d.path is None and d.device != "cdrom":
            w.fail(f"{label} path", None, "only a CD-ROM drive may be empty")
        opts = []
        # The bus: a PV guest's disks are on xen, an HVM or KVM floppy on fdc; otherwise
        # the target's prefix, unless `bus` says another.
        draft_bus = prefix_bus
        if g.type == "xen-pv":  # floppies included
            if d.bus != "xen":
                w.fail(f"{label} bus", d.bus, "every disk of a PV guest is on the xen bus")
        elif d.device == "floppy":
            if d.bus != "fdc":
                w.fail(f"{label} bus", d.bus, "a floppy is on the fdc bus")
        elif d.bus != prefix_bus:
            if d.bus not in ("ide", "scsi", "xen", "virtio", "fdc"):
                w.fail(f"{label} bus", d.bus, "not a bus")
            draft_bus = d.bus
            opts.append(f"bus {d.bus}")
        if self.xen:
            if d.driver not in ("file", "phy", "tap:aio", "tap2:aio", "tap:qcow"):
                w.fail(f"{label} driver", d.driver, "not a Xen disk driver")
            if d.path and d.path.startswith("/dev/"):
                default = "phy"
            elif g.type == "xen-pv" or draft_bus == "xen":
                default = "tap:aio"
            else:
                default = "file"
            driver = None if d.driver == default else d.driver
        else:
            if d.driver != "qemu":
                w.fail(f"{label} driver", d.driver, "KVM disks have the qemu driver")
            driver = None
        block = d.driver == "phy" or (d.driver == "qemu" and bool(d.path) and d.path.startswith("/dev/"))
        if d.source_type != ("block" if block else "file"):
            w.fail(f"{label} source type", d.source_type,
                   "the source type follows from the driver and path (phy or /dev/...: block)")
        if d.device == "cdrom":
            if not d.readonly:
                w.fail(f"{label} readonly", d.readonly, "a CD-ROM is read-only")
        elif d.readonly:
            opts.insert(0, "ro")
        if d.size_bytes is not None:
            opts.insert(0, f"size {size_text(d.size_bytes, w, f'{label} size')}")
        if d.shareable:
            opts.append("shareable")
        if d.format != ("qcow" if d.driver == "tap:qcow" else "raw"):
            opts.append(f"format {_name(d.format, w, f'{label} format')}")
        opts += [flag for flag in ("sparse", "encrypted", "compressed", "boot") if getattr(d, flag)]
        parts: list = [f"{d.device} {_name(d.target, w, f'{label} target')}" + (f" {driver}" if driver else "")]
        if d.path is not None:
            parts += [" ", Interp(d.path, f"{w.label}: {label} path")]
        if opts:
            parts.append(" " + " ".join(opts))
        return parts

    def nic(self, n: Nic) -> list:
        g, w = self.g, self.where
        label = f"nic {n.index}"
        if n.kind not in ("bridge", "network"):
            w.fail(f"{label} kind", n.kind, "a NIC is on a bridge or a network")
        parts: list = [f"nic {n.kind} ", Interp(n.source, f"{w.label}: {label} {n.kind}", bare=True)]
        opts = []
        if n.mac and (g.name, n.index) not in self.auto_macs:
            mac = n.mac.lower()  # the language keeps MACs in lower case
            if not MAC_TOKEN.match(mac):
                w.fail(f"{label} mac", n.mac, "not a MAC address")
            opts.append(f"mac {mac}")
        default_model = "netfront" if g.type == "xen-pv" else (
            ("netfront" if g.pv_drivers else "ioemu") if g.type == "xen-hvm" else "rtl8139")
        if n.model is not None and n.model != default_model:
            opts.append(f"model {_name(n.model, w, f'{label} model')}")
        if n.rate is not None:
            opts.append(f"rate {_bare(n.rate, RATE_TOKEN, w, f'{label} rate')}")
        if n.vifname is not None:
            opts.append(f"vifname {_name(n.vifname, w, f'{label} vifname')}")
        if n.ip is not None:
            opts.append(f"ip {_bare(n.ip, ADDRESS_TOKEN, w, f'{label} ip')}")
        default_script = "vif-bridge" if self.xen and n.kind == "bridge" else None
        script = []
        if n.script is not None and n.script != default_script:
            script = [" script ", Interp(n.script, f"{w.label}: {label} script", bare=True)]
        if opts:
            parts.append(" " + " ".join(opts))
        return parts + script

    def graphics(self, gr) -> str:
        w = self.where
        if gr.kind == "sdl":
            if (gr.listen, gr.port, gr.password, gr.keymap) != (None, None, None, None):
                w.fail("sdl", gr, "an SDL console has no address, port, password or keymap")
            return "sdl"
        if gr.kind != "vnc":
            w.fail("graphics", gr.kind, "consoles are vnc and sdl")
        text = "vnc"
        if gr.listen is not None:
            text += f" listen {_bare(gr.listen, ADDRESS_TOKEN, w, 'vnc listen')}"
        if gr.port is not None:
            text += f" port {gr.port}"
        if gr.password is not None:
            text += f" password {quote(gr.password, f'{w.label}: vnc password')}"
        if gr.keymap is not None:
            text += f" keymap {_name(gr.keymap, w, 'vnc keymap')}"
        return text

    def serial(self, s) -> list:
        w = self.where
        flags = " server nowait" if s.server else ""
        if s.kind in ("file", "pipe", "dev", "unix"):
            if s.path is None or s.host is not None or s.port is not None:
                w.fail(f"serial {s.kind}", s, "a serial file, pipe, device or socket has a path only")
            return [f"serial {s.kind} ", Interp(s.path, f"{w.label}: serial path"), flags]
        if s.kind in ("tcp", "udp", "telnet"):
            endpoint = f"{s.host or ''}:{s.port}"
            if s.path is not None or not isinstance(s.port, int) or not ENDPOINT_TOKEN.match(endpoint):
                w.fail(f"serial {s.kind}", s, "a network serial port is host:port")
            return [f"serial {s.kind} {endpoint}{flags}"]
        if s.kind not in ("pty", "null", "stdio", "vc"):
            w.fail("serial", s.kind, "not a serial type")
        if (s.path, s.host, s.port) != (None, None, None):
            w.fail(f"serial {s.kind}", s, "this serial type has no path or address")
        return [f"serial {s.kind}{flags}"]


# ---------------------------------------------------------------- what virtc derives

def _host_guests(model: Model, host: str) -> tuple[Guest, ...]:
    return tuple(g for g in model.guests if g.host == host)


def _pairs(settings) -> list[tuple[str, str]]:
    return [(s.key, s.value) for s in settings]


def _args_candidates(args: str | None) -> list[str | None]:
    """args, then args without its last 1, 2, ... words (shortest last)."""
    if args is None:
        return [None]
    words = args.split()
    return [args] + [" ".join(words[:k]) or None for k in range(len(words) - 1, -1, -1)]


def stated_host(h: Host, guests: tuple[Guest, ...]) -> Host:
    """The host as it has to be written: without what the resolver and derive.py add by
    themselves (checked by running them), so the written file does not state it twice."""
    from .derive import derive

    def derived(candidate: Host) -> Host:
        return derive(Model((candidate,), guests, ())).hosts[0]

    def same(a: Host, b: Host) -> bool:
        return (a.grub == b.grub and _pairs(a.modprobe) == _pairs(b.modprobe)
                and _pairs(a.sysctl) == _pairs(b.sysctl))

    best = h
    # each derived field on its own: the shortest stated value that derives to the model's
    for attr in ("args", "xen_args"):
        for cand in reversed(_args_candidates(getattr(h.grub, attr))):
            trial = replace(best, grub=replace(best.grub, **{attr: cand}))
            if derived(trial).grub == h.grub:
                best = trial
                break
    for attr in ("modprobe", "sysctl"):
        items = getattr(h, attr)
        for k in range(len(items) + 1):
            trial = replace(best, **{attr: items[:k]})
            if _pairs(getattr(derived(trial), attr)) == _pairs(items):
                best = trial
                break
    if not same(derived(best), h):  # the fields interact: state everything (derive adds nothing then)
        best = h
    # The resolver adds (network-script /bin/true) to a Xen host with bridges that states none.
    xend = list(best.xend)
    if (h.hypervisor == "xen" and h.bridges and xend and _pairs(xend[-1:]) == [("network-script", "/bin/true")]
            and not any(s.key == "network-script" for s in xend[:-1])):
        best = replace(best, xend=tuple(xend[:-1]))
    return best


def stated_cmdline(g: Guest, host: Host) -> str | None:
    """The guest's kernel arguments without those derive.py adds (clock, divider=10)."""
    from .derive import derive

    for cand in reversed(_args_candidates(g.boot.cmdline)):
        trial = replace(g, boot=replace(g.boot, cmdline=cand))
        if derive(Model((host,), (trial,), ())).guests[0].boot.cmdline == g.boot.cmdline:
            return cand
    return g.boot.cmdline


MAC_PROBES = 16  # a NIC's automatic MAC is one of its first candidates (clashes are rare)


def auto_macs(model: Model) -> set[tuple[str, int]]:
    """The NICs whose MAC is exactly what `mac auto` gives in this fleet. resolve._finish
    takes the pinned MACs and serves the automatic ones in (guest, NIC) order, each taking
    its first candidate not yet used. A MAC that is none of its NIC's first candidates is
    pinned at once; then, run identity.assign_macs as the compiler will and pin the first
    NIC (in that order) that gets another MAC. Pinning it cannot change what the NICs
    before it get (their MACs differ from it), so repeat until all agree."""
    nics = {(g.name, n.index): (g.type != "kvm", n.mac.lower()) for g in model.guests for n in g.nics}
    auto = {key for key, (xen, mac) in nics.items()
            if not mac or mac in {identity._candidate(key[0], key[1], p, xen) for p in range(MAC_PROBES)}}
    while True:
        requests = [(key[0], key[1], nics[key][0]) for key in auto]
        taken = {mac for key, (_, mac) in nics.items() if key not in auto and mac}
        got = identity.assign_macs(requests, taken)
        wrong = next((key for key in sorted(auto) if nics[key][1] and got[key] != nics[key][1]), None)
        if wrong is None:
            return auto
        auto.discard(wrong)


# ---------------------------------------------------------------- ranges and templates

@dataclass
class Unit:
    """One guest declaration: a single guest, or a range of guests with a common plan."""

    host: str
    guests: list[Guest]
    plan: Plan
    base: str | None = None
    width: int = 0
    template: "Template | None" = None

    @property
    def key(self):
        return _natural(self.guests[0].name)


@dataclass
class Template:
    name: str
    scalars: dict[str, str]
    lists: dict[str, list[str]]


def _natural(name: str):
    return tuple((0, int(t), t) if t.isdigit() else (1, 0, t) for t in re.findall(r"\d+|\D+", name))


def _split(name: str) -> tuple[str, str] | None:
    m = re.fullmatch(r"(.*?)([0-9]+)", name)
    return (m.group(1), m.group(2)) if m and m.group(1) else None


def _number_text(n: int, width: int) -> str:
    return f"{n:0{width}d}" if width else str(n)


_VARIABLE = re.compile(r"\{\{|\}\}|\{([a-z]+)\}")


def _uses_index(text: str) -> bool:
    return any(m.group(1) == "index" for m in _VARIABLE.finditer(text))


def _no_index(forms: dict[str, int]) -> dict[str, int]:
    return {t: n for t, n in forms.items() if not _uses_index(t)}


def _single(plan: Plan) -> Plan:
    """A plan for a guest declared alone: {index} exists only in ranges."""
    return Plan({s: _no_index(f) for s, f in plan.scalars.items()},
                {k: [_no_index(f) for f in items] for k, items in plan.lists.items()},
                dict(plan.defaults))


def _meet(a: Plan, b: Plan) -> Plan | None:
    """The plan both guests can share, or None when a statement differs."""
    if a.scalars.keys() != b.scalars.keys() or a.lists.keys() != b.lists.keys():
        return None
    out = Plan()
    for slot, forms in a.scalars.items():
        common = {t: n for t, n in forms.items() if t in b.scalars[slot]}
        if not common:
            return None
        out.scalars[slot] = common
    for kind, items in a.lists.items():
        other = b.lists[kind]
        if len(items) != len(other):
            return None
        out.lists[kind] = []
        for fa, fb in zip(items, other):
            common = {t: n for t, n in fa.items() if t in fb}
            if not common:
                return None
            out.lists[kind].append(common)
    out.defaults = {s: t for s, t in a.defaults.items() if b.defaults.get(s) == t}
    return out


def _ranges(host: str, guests: list[Guest], plans: dict[str, Plan]) -> list[Unit]:
    """Guests named BASE + consecutive numbers with one shared plan become ranges."""
    units: list[Unit] = []
    by_base: dict[str, list[tuple[int, str, Guest]]] = {}
    for g in guests:
        parts = _split(g.name)
        if parts is None:
            units.append(Unit(host, [g], _single(plans[g.name])))
            continue
        by_base.setdefault(parts[0], []).append((int(parts[1]), parts[1], g))
    for base, members in by_base.items():
        members.sort(key=lambda m: (m[0], m[1]))
        run: list[tuple[int, str, Guest]] = []
        shared: Plan | None = None
        width = 0

        def close():
            if len(run) >= 2:
                units.append(Unit(host, [m[2] for m in run], shared, base, width))
            else:
                units.extend(Unit(host, [m[2]], _single(plans[m[2].name])) for m in run)

        for number, text, g in members:
            plan = plans[g.name]
            if run and number == run[-1][0] + 1 and text == _number_text(number, width) \
                    and len(run) < 10000:
                merged = _meet(shared, plan)
                if merged is not None:
                    run.append((number, text, g))
                    shared = merged
                    continue
            close()
            run, shared = [(number, text, g)], plan
            width = len(text) if text.startswith("0") and len(text) > 1 else 0
        close()
    return units


def _template_of(units: list[Unit]) -> tuple[Template, int]:
    """The template these units share, and the lines it saves (negative: not worth it).
    It holds every statement all of them state the same way, the common first devices,
    and for slots every unit states (or may restate at its default), the most frequent
    statement when that saves lines; units with another value restate theirs."""
    plans = [u.plan for u in units]
    scalars: dict[str, str] = {}
    saved = 0
    for slot in SLOTS:
        if slot in LIST_SLOTS or not all(slot in p.scalars for p in plans):
            continue
        common = dict(plans[0].scalars[slot])
        for p in plans[1:]:
            common = {t: n for t, n in common.items() if t in p.scalars[slot]}
        if common:
            scalars[slot] = _best(common)
            saved += len(plans) - 1
    # A template's statements are interpolated for every guest using it, also those that
    # override one: {index} there needs every user to be a range.
    ranges_only = all(u.base is not None for u in units)
    for slot in sorted(OVERRIDABLE - scalars.keys()):
        if not all(slot in p.scalars or slot in p.defaults for p in plans):
            continue
        counts: dict[str, int] = {}
        for p in plans:
            for t in p.scalars.get(slot, ()):
                if ranges_only or not _uses_index(t):
                    counts[t] = counts.get(t, 0) + 1
        if not counts:
            continue
        text = min(counts, key=lambda t: (-counts[t], len(t), t))
        restate = sum(1 for p in plans if slot not in p.scalars and p.defaults[slot] != text)
        gain = counts[text] - 1 - restate
        if gain > 0:
            scalars[slot] = text
            saved += gain
    lists: dict[str, list[str]] = {}
    for kind in sorted(LIST_SLOTS):
        seqs = [p.lists.get(kind, []) for p in plans]
        prefix = []
        for i in range(min(len(s) for s in seqs)):
            common = dict(seqs[0][i])
            for s in seqs[1:]:
                common = {t: n for t, n in common.items() if t in s[i]}
            if not common:
                break
            prefix.append(_best(common))
        if prefix:
            lists[kind] = prefix
            saved += len(prefix) * (len(plans) - 1)  # each unit drops it; the template says it once
    saved -= 2  # `template NAME {` and `}`
    return Template("", scalars, lists), saved


MIN_SAVED = 2  # a template that saves a single line only makes the reader look elsewhere


def _choose_templates(units: list[Unit]) -> list[Template]:
    """Per guest type (a template mixing Xen PV, HVM and KVM guests is not one a person
    writes), greedily: among the groups of units that share some statement, every unit
    stating it the same way, take the one whose template saves the most lines; repeat on
    the rest. Each unit uses at most one template."""
    chosen: list[Template] = []
    by_type: dict[str, list[Unit]] = {}
    for u in units:
        by_type.setdefault(u.guests[0].type, []).append(u)
    for kind in sorted(by_type):
        remaining = sorted(by_type[kind], key=lambda u: u.key)
        while len(remaining) >= 2:
            index: dict[tuple, list[int]] = {}
            for i, u in enumerate(remaining):
                keys = {(s, t) for s, forms in u.plan.scalars.items() for t in forms}
                keys |= {(k, 0, t) for k, items in u.plan.lists.items() for t in items[0]}
                for key in keys:
                    index.setdefault(key, []).append(i)
            groups = {tuple(range(len(remaining)))}
            groups |= {tuple(m) for m in index.values() if len(m) >= 2}
            best = None
            for members in sorted(groups):
                tpl, saved = _template_of([remaining[i] for i in members])
                rank = (saved, len(members))
                if saved >= MIN_SAVED and (best is None or rank > best[0]):
                    best = (rank, members, tpl)
            if best is None:
                break
            _, members, tpl = best
            for i in members:
                remaining[i].template = tpl
            chosen.append(tpl)
            remaining = [u for i, u in enumerate(remaining) if i not in set(members)]
    return chosen


def _template_name(tpl: Template, members: list[Unit], taken: set[str]) -> str:
    guests = [g for u in members for g in u.guests]
    oses = {g.os.name if g.os else None for g in guests}
    families = {g.os.family if g.os else None for g in guests}
    types = {g.type for g in guests}
    parts = []
    if len(oses) == 1 and None not in oses and NAME_TOKEN.match(next(iter(oses))):
        parts.append(next(iter(oses)))
    elif len(families) == 1 and None not in families:
        parts.append(next(iter(families)))
    if len(types) == 1:
        parts.append({"xen-pv": "pv", "xen-hvm": "hvm"}.get(next(iter(types)), next(iter(types))))
    base = "-".join(parts) or "common"
    name, n = base, 1
    while name in taken or name in KEYWORDS:
        n += 1
        name = f"{base}-{n}"
    taken.add(name)
    return name


# ---------------------------------------------------------------- rendering

def _block_lines(scalars: dict[str, str], lists: dict[str, list[str]]) -> list[str]:
    """One block's statements in slot order; `os` and `arch` in one block become
    `os NAME ARCH` (the os statement's own arch sets the same two fields)."""
    lines = []
    for slot in SLOTS:
        if slot in LIST_SLOTS:
            lines.extend(lists.get(slot, []))
        elif slot == "os" and slot in scalars and "arch" in scalars:
            lines.append(scalars["os"] + " " + scalars["arch"][len("arch "):])
        elif slot in scalars and not (slot == "arch" and "os" in scalars):
            lines.append(scalars[slot])
    return lines


def _body(lines: list[str], indent: str) -> str:
    if not lines:
        return "{}"
    one = "{ " + "; ".join(lines) + " }"
    if len(lines) <= 2 and len(indent) + len(one) <= 90:
        return one
    return "{\n" + "".join(f"{indent}  {line}\n" for line in lines) + indent + "}"


def _unit_text(u: Unit, indent: str) -> str:
    g0 = u.guests[0]
    if u.base is not None:
        first, last = _split(g0.name)[1], _split(u.guests[-1].name)[1]
        head = f"guest {name_or_string(u.base, f'guest {g0.name}: name')}[{first}..{last}]"
    else:
        head = f"guest {name_or_string(g0.name, f'guest {g0.name}: name')}"
    tpl = u.template
    scalars: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    for slot, forms in u.plan.scalars.items():
        if tpl and tpl.scalars.get(slot) in forms:
            continue
        scalars[slot] = _best(forms)
    if tpl:
        head += f" from {tpl.name}"
        for slot, text in tpl.scalars.items():
            if slot not in u.plan.scalars and u.plan.defaults.get(slot) != text:
                scalars[slot] = u.plan.defaults[slot]  # the template's value is not this guest's
    for kind, items in u.plan.lists.items():
        skip = len(tpl.lists.get(kind, [])) if tpl else 0
        lists[kind] = [_best(f) for f in items[skip:]]
    return f"{indent}{head} {_body(_block_lines(scalars, lists), indent)}"


def _header(model: Model) -> list[str]:
    def shown(path: str) -> str:
        return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in path)

    if not model.files:
        return ["# Written by `virtc import`."]
    return ["# Written by `virtc import` from:"] + [f"#   {shown(p)}" for p in model.files]


# ---------------------------------------------------------------- hosts

def host_lines(h: Host, stated: Host) -> list[str]:
    """The host's statements (guests excluded), in the order of the language reference."""
    w = _Where(f"host {h.name}")
    for what, names in (("bridge", [b.name for b in h.bridges]), ("network", [n.name for n in h.networks]),
                        ("LUN name", [lun.name for lun in h.luns])):
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:  # the compiler refuses a second declaration (VR004)
            w.fail(what, twice[0], f"the host has two {what}s of this name")
    out: list[str] = []
    if h.hypervisor not in ("xen", "kvm", "hyperv"):
        w.fail("hypervisor", h.hypervisor, "not a hypervisor")
    out.append(f"hypervisor {h.hypervisor}")
    if h.arch != "x86_64":
        out.append(f"arch {_name(h.arch, w, 'arch')}")
    if h.release is not None:
        out.append(f"release {_bare(h.release, VERSION_TOKEN, w, 'release')}")
    if h.kernel is not None:
        k = h.kernel
        out.append(f"kernel {k if VERSION_TOKEN.match(k) or INT_TOKEN.match(k) else quote(k, f'{w.label}: kernel')}")
    cpu = []
    c = h.cpu
    if c.vendor is not None:
        cpu.append(_name(c.vendor, w, "cpu vendor"))
    for attr in ("sockets", "cores", "threads", "mhz"):
        v = getattr(c, attr)
        if v is not None:
            cpu.append(f"{attr} {v}")
    if c.flags:
        flags = sorted({f.lower() for f in c.flags})
        cpu.append("flags " + " ".join(_name(f, w, "cpu flag") for f in flags))
    if cpu:
        out.append("cpu " + " ".join(cpu))
    if h.memory_kib is not None:
        out.append(f"memory {memory_text(h.memory_kib, w, 'memory')}")
    if h.swap_kib is not None:
        out.append(f"swap {kib_text(h.swap_kib, w, 'swap')}")
    dom0 = []
    if h.dom0_memory_kib is not None:
        dom0.append(f"memory {memory_text(h.dom0_memory_kib, w, 'dom0 memory')}")
    if h.dom0_vcpus is not None:
        dom0.append(f"vcpus {h.dom0_vcpus}")
    if h.dom0_pin is not None:
        dom0.append(f"pin {_bare(h.dom0_pin, CPUSET_TOKEN, w, 'dom0 pin')}")
    if dom0:
        out.append("dom0 " + " ".join(dom0))
    for cell in h.numa:
        opts = []
        if cell.cpus is not None:
            opts.append(f"cpus {_bare(cell.cpus, CPUSET_TOKEN, w, 'numa cpus')}")
        if cell.memory_kib is not None:
            opts.append(f"memory {kib_text(cell.memory_kib, w, 'numa memory')}")
        if cell.free_kib is not None:
            opts.append(f"free {kib_text(cell.free_kib, w, 'numa free')}")
        if not opts:
            w.fail(f"numa {cell.id}", cell, "a NUMA cell states its CPUs or memory")
        out.append(f"numa {cell.id} " + " ".join(opts))
    if h.iommu:
        out.append("iommu")
    if h.ksm:
        out.append("ksm")
    if h.selinux is not None:
        out.append(f"selinux {_name(h.selinux, w, 'selinux')}")
    if h.edition is not None:
        out.append(f"edition {_name(h.edition, w, 'edition')}")
    if h.free_disk_kib is not None:
        out.append(f"free-disk {kib_text(h.free_disk_kib, w, 'free-disk')}")
    out += _grub(stated, w)
    default_label = "xen_image_t" if h.hypervisor == "xen" else "virt_image_t"
    for d in h.image_dirs:
        line = f"images {quote(d.path, f'{w.label}: images')}"
        if d.label and d.label != default_label:
            line += f" label {_name(d.label, w, 'images label')}"
        out.append(line)
    for s in h.shared:
        line = f"shared {quote(s.path, f'{w.label}: shared')} from {quote(s.source, f'{w.label}: shared source')}"
        if s.kind != "nfs":
            line += f" {_name(s.kind, w, 'shared kind')}"
        out.append(line)
    out += [_bridge(b, w) for b in h.bridges]
    out += [_network(n, w) for n in h.networks]
    for lun in h.luns:
        kind = {"multipath": "multipath", "udev": "lun"}.get(lun.kind)
        if kind is None:
            w.fail("lun kind", lun.kind, "a LUN is a multipath alias or a udev name")
        out.append(f"{kind} {_name(lun.name, w, kind)} wwid {_bare(lun.wwid.lower(), WWID_TOKEN, w, 'wwid')}")
    for kind, value in h.multipath_blacklist:
        if kind == "wwid":
            out.append(f"blacklist wwid {_bare(value.lower(), WWID_TOKEN, w, 'blacklist wwid')}")
        elif kind == "devnode":
            out.append(f"blacklist devnode {quote(value, f'{w.label}: blacklist devnode')}")
        else:
            w.fail("blacklist", kind, "the multipath blacklist takes devnode and wwid")
    if h.migration is not None:
        out.append(_migration(h.migration, w))
    for group, names in (("on", h.services_on), ("off", h.services_off)):
        if names:
            out.append(f"services {group} " + " ".join(_name(s, w, "service") for s in names))
    if h.firewall is not None:
        line = _firewall(h.firewall, w)
        if line:
            out.append(line)
    out += [f"sysctl {_name(s.key, w, 'sysctl key')} {_scalar(s.value, f'{w.label}: sysctl {s.key}')}"
            for s in stated.sysctl]
    out += [f"xend {_name(s.key, w, 'xend key')} {_scalar(s.value, f'{w.label}: xend {s.key}')}"
            for s in stated.xend]
    out += [f"modprobe {_name(s.key, w, 'modprobe module')} {quote(s.value, f'{w.label}: modprobe {s.key}')}"
            for s in stated.modprobe]
    for s in h.sebools:
        if s.value not in ("on", "off"):
            w.fail(f"sebool {s.key}", s.value, "a boolean is on or off")
        out.append(f"sebool {_name(s.key, w, 'sebool')} {s.value}")
    if h.packages:
        out.append("packages " + " ".join(name_or_string(p, f"{w.label}: package") for p in h.packages))
    for e in h.exports:
        line = f"export {quote(e.path, f'{w.label}: export')} to {quote(e.clients, f'{w.label}: export clients')}"
        if e.options is not None:
            line += f" options {quote(e.options, f'{w.label}: export options')}"
        out.append(line)
    for p in h.pools:
        line = f"pool {_name(p.name, w, 'pool')} {_name(p.type, w, 'pool type')}"
        if p.source_host is not None:
            line += f" host {name_or_string(p.source_host, f'{w.label}: pool host')}"
        if p.device is not None:
            line += f" device {quote(p.device, f'{w.label}: pool device')}"
        if p.path is not None:
            line += f" path {quote(p.path, f'{w.label}: pool path')}"
        if p.autostart:
            line += " autostart"
        out.append(line)
    for t in h.iscsi_targets:
        line = f"iscsi-target {quote(t.iqn, f'{w.label}: iscsi-target')}"
        for n, path in t.luns:
            line += f" lun {n} {quote(path, f'{w.label}: iscsi-target lun')}"
        if t.allow is not None:
            line += f" allow {name_or_string(t.allow, f'{w.label}: iscsi-target allow')}"
        if not t.luns and t.allow is None:
            w.fail("iscsi-target", t.iqn, "a target states a LUN or who may connect")
        out.append(line)
    if h.uri is not None:
        out.append(f"uri {quote(h.uri, f'{w.label}: uri')}")
    return out


def _grub(h: Host, w: _Where) -> list[str]:
    g = h.grub
    opts = []
    if g.root is not None:
        opts.append(f"root {_bare(g.root, GRUBDEV_TOKEN, w, 'grub root')}")
    if g.rootfs is not None:
        opts.append(f"rootfs {quote(g.rootfs, f'{w.label}: grub rootfs')}")
    if g.args is not None:
        opts.append(f"args {quote(g.args, f'{w.label}: grub args')}")
    if g.xen_args is not None:
        opts.append(f"xen-args {quote(g.xen_args, f'{w.label}: grub xen-args')}")
    if g.serial is not None:
        opts.append(f"serial {_name(g.serial, w, 'grub serial')}" +
                    (f" speed {g.serial_speed}" if g.serial_speed is not None else ""))
    elif g.serial_speed is not None:
        w.fail("grub serial speed", g.serial_speed, "a speed needs the serial port")
    return ["grub " + " ".join(opts)] if opts else []


def _bridge(b, w: _Where) -> str:
    line = f"bridge {_name(b.name, w, 'bridge')}"
    if b.nic is not None:
        line += f" on {_name(b.nic, w, f'bridge {b.name} interface')}"
    if b.hwaddr is not None:
        line += f" hwaddr {_bare(b.hwaddr.lower(), MAC_TOKEN, w, f'bridge {b.name} hwaddr')}"
    if b.bootproto == "static":
        if b.ip is None:
            w.fail(f"bridge {b.name} address", None, "a static bridge has an address")
        line += f" ip {_bare(b.ip, ADDRESS_TOKEN, w, f'bridge {b.name} ip')}"
    elif b.bootproto == "dhcp":
        if b.ip is not None:  # `ip` then `dhcp`: the address is kept, the protocol is dhcp
            line += f" ip {_bare(b.ip, ADDRESS_TOKEN, w, f'bridge {b.name} ip')}"
        line += " dhcp"
    elif b.bootproto != "none" or b.ip is not None:
        w.fail(f"bridge {b.name} bootproto", b.bootproto, "a bridge has an address (static), dhcp, or none")
    if b.gateway is not None:
        line += f" gateway {_bare(b.gateway, ADDRESS_TOKEN, w, f'bridge {b.name} gateway')}"
    if b.mtu is not None:
        line += f" mtu {b.mtu}"
    if b.stp:
        line += " stp on"
    if b.delay:
        line += f" delay {b.delay}"
    return line


def _network(n, w: _Where) -> str:
    line = f"network {_name(n.name, w, 'network')}"
    default_bridge = "virbr0" if n.name == "default" else f"virbr-{n.name}"[:15]
    if n.bridge != default_bridge:
        line += f" bridge {_name(n.bridge, w, f'network {n.name} bridge')}"
    if n.forward != "nat" or n.forward_dev is not None:
        line += f" forward {_name(n.forward, w, f'network {n.name} forward')}"
        if n.forward_dev is not None:
            line += f" via {_name(n.forward_dev, w, f'network {n.name} forward device')}"
    libvirt_default = ("192.168.122.1/24", "192.168.122.2", "192.168.122.254")
    if n.name == "default" and (n.ip, n.dhcp_start, n.dhcp_end) == libvirt_default:
        return line
    if n.ip is None and (n.name == "default" or n.forward != "none"):
        w.fail(f"network {n.name} address", None,
               "libvirt's default network and a NAT or routed network always have an address")
    if n.ip is not None:
        line += f" ip {_bare(n.ip, ADDRESS_TOKEN, w, f'network {n.name} ip')}"
    if (n.dhcp_start is None) != (n.dhcp_end is None):
        w.fail(f"network {n.name} dhcp", (n.dhcp_start, n.dhcp_end), "a DHCP range has a start and an end")
    if n.dhcp_start is not None:
        line += (f" dhcp {_bare(n.dhcp_start, ADDRESS_TOKEN, w, 'dhcp start')}"
                 f" - {_bare(n.dhcp_end, ADDRESS_TOKEN, w, 'dhcp end')}")
    return line


def _migration(m, w: _Where) -> str:
    opts = []
    if m.peers:
        opts.append("peers " + " ".join(_name(p, w, "migration peer") for p in m.peers))
    if m.port is not None:
        opts.append(f"port {m.port}")
    if m.address is not None:
        opts.append(f"address {_bare(m.address, ADDRESS_TOKEN, w, 'migration address')}")
    if m.allow is not None:
        opts.append(f"allow {quote(m.allow, f'{w.label}: migration allow')}")
    if not opts:
        w.fail("migration", m, "a migration statement states a peer, port, address or allow pattern")
    return "migration " + " ".join(opts)


def _firewall(f, w: _Where) -> str | None:
    opts = []
    # the switch comes first: after `open`, a bare `on` would be read as one more port
    if f.enabled is not None:
        opts.append(_switch(f.enabled))
    if f.policy is not None:
        opts.append(f"policy {_name(f.policy, w, 'firewall policy')}")
    if f.bridged:
        opts.append("bridged")
    if f.open:
        for port in f.open:
            if port != "icmp" and not PORTS_TOKEN.match(port):
                w.fail("firewall open", port, "ports are PORT/tcp, FIRST-LAST/udp or icmp")
        opts.append("open " + " ".join(f.open))
    return "firewall " + " ".join(opts) if opts else None  # an empty firewall says nothing


# ---------------------------------------------------------------- the writer

def write(model: Model) -> str:
    """The model as .virt text that compiles to a model emitting the same files."""
    hosts = {h.name: h for h in model.hosts}
    if len(hosts) != len(model.hosts):
        raise ValueError("two hosts have the same name; names are unique in a virtc fleet")
    seen: dict[str, str] = {}
    for g in model.guests:
        if g.host not in hosts:
            raise ValueError(f"guest {g.name}: its host {g.host!r} is not in the model")
        if g.name in seen:
            raise ValueError(f"guest {g.name} is on host {seen[g.name]} and on host {g.host}; "
                             "guest names are unique across a virtc fleet")
        seen[g.name] = g.host
    macs = auto_macs(model)
    plans: dict[str, Plan] = {}
    units: list[Unit] = []
    for h in sorted(model.hosts, key=lambda h: _natural(h.name)):
        guests = sorted(_host_guests(model, h.name), key=lambda g: _natural(g.name))
        for g in guests:
            try:
                writer = _GuestWriter(g, h, macs, stated_cmdline(g, h))
                parts = _split(g.name)
                plans[g.name] = writer.plan(int(parts[1]) if parts else None)
            except Unwritable:
                raise
            except ValueError as exc:
                raise Unwritable(g.owner, str(exc)) from exc
        units += _ranges(h.name, guests, plans)
    templates = _choose_templates(units)
    taken: set[str] = set()
    for tpl in templates:
        tpl.name = _template_name(tpl, [u for u in units if u.template is tpl], taken)

    out = _header(model)
    for tpl in sorted(templates, key=lambda t: _natural(t.name)):
        out.append("")
        out.append(f"template {tpl.name} {_body(_block_lines(tpl.scalars, tpl.lists), '')}")
    for h in sorted(model.hosts, key=lambda h: _natural(h.name)):
        out.append("")
        stated = stated_host(h, _host_guests(model, h.name))
        out.append(f"host {name_or_string(h.name, f'host {h.name}: name')} {{")
        try:
            out += [f"  {line}" for line in host_lines(h, stated)]
        except Unwritable:
            raise
        except ValueError as exc:
            raise Unwritable(h.owner, str(exc)) from exc
        after_block = True  # a blank line after the host's statements and around guest blocks
        for u in sorted((u for u in units if u.host == h.name), key=lambda u: u.key):
            text = _unit_text(u, "  ")
            block = "\n" in text
            if block or after_block:
                out.append("")
            out.append(text)
            after_block = block
        out.append("}")
    return "\n".join(out) + "\n"

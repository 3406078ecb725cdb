"""The small formats inside xm config values: disk, vif, vfb, pci, serial and parallel
specs, and the uuid. One parser, used by the format rules (compiler/rules/xmfile.py),
which report what is wrong with a spec, and by the xm reader (targets/xm.py), which turns
a good spec into model values. Nothing here raises on any input: a spec that cannot be
read comes back with a `problem` instead.

The grammar is xend's (Xen 3.x on RHEL 5, guide §31) with libvirt's readings where xend
is silent: a disk is `SOURCE,TARGET[:cdrom|:disk],MODE[,BACKEND]` split on commas with no
stripping of spaces; a vif or vfb is `key=value` pairs split on commas, each stripped.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from virtc.suggest import did_you_mean

# Disk source prefixes, longest first, and the model driver each means. None: a driver
# xend knows but the model has no value for: other blktap image types, and the block
# scripts Xen 3 ships in /etc/xen/scripts (block-nbd, block-enbd ...), which xend runs for
# a `NAME:` prefix.
DISK_PREFIXES = (("tap:tapdisk:aio:", "tap:aio"), ("tap2:aio:", "tap2:aio"), ("tap:aio:", "tap:aio"),
                 ("tap:qcow:", "tap:qcow"), ("tap:vmdk:", None), ("tap:sync:", None), ("tap:ioemu:", None),
                 ("phy:", "phy"), ("file:", "file"), ("nbd:", None), ("enbd:", None), ("iscsi:", None),
                 ("drbd:", None))
DISK_FIELDS = ("source", "target", "mode")  # disk=phy:DEV,VDEV,MODE[,DOM] (guide line 4735)
DISK_MODES = ("r", "ro", "w", "w!", "!")  # r/ro read-only, w!/! shared writable (libvirt's reading)
DISK_TARGET = re.compile(r"^(?:ioemu:)?(?P<name>(?P<prefix>hd|sd|xvd|vd|fd)[a-z]+[0-9]*)"
                         r"(?::(?P<device>cdrom|disk))?\Z")

VIF_KEYS = ("type", "mac", "bridge", "ip", "script", "backend", "vifname", "rate", "model")
VIF_TYPES = ("ioemu", "netfront")
MAC = re.compile(r"^[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}\Z")
RATE = re.compile(r"^[0-9]+[KMG]?[bB]/s(@[0-9]+(us|ms|s))?\Z")

# [DDDD:]BB:SS.F in hex, options after a comma. xend reads the fields with 1-4, 1-2 and 1-2
# hex digits (xm create's preprocess_pci); the slot is five bits: 00-1f.
PCI = re.compile(r"^(?:(?P<domain>[0-9a-fA-F]{1,4}):)?(?P<bus>[0-9a-fA-F]{1,2}):(?P<slot>[0-9a-fA-F]{1,2})"
                 r"\.(?P<function>[0-9a-fA-F]+)(?:,(?P<options>.*))?\Z", re.S)
PCI_SLOTS = 32  # a PCI bus has 32 slots: the slot number is 5 bits

UUID = re.compile(r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}\Z")


def entry_items(e) -> list[tuple[str, object]]:
    """(text, span) of each string of an xm entry's list value, or of a string value (xend
    appends a bare string as one item)."""
    if isinstance(e.value, str):
        return [(e.value, e.value_span)]
    if isinstance(e.value, (list, tuple)):
        spans = e.item_spans or (e.value_span,) * len(e.value)
        return [(v, sp) for v, sp in zip(e.value, spans) if isinstance(v, str)]
    return []


@dataclass(frozen=True, slots=True)
class DiskSpec:
    text: str
    driver: str | None = None  # model driver (phy, file, tap:aio, ...); None: no prefix or unknown
    prefix: str | None = None  # the prefix as written, without its colon ("tap:aio")
    path: str | None = None  # None: an empty source (a CD-ROM drive with no medium)
    target: str = ""  # hda, xvdb (without ioemu: and :cdrom)
    target_prefix: str = ""  # hd, sd, xvd, vd, fd
    device: str = "disk"  # disk | cdrom
    mode: str = "w"
    backend: str | None = None  # the fourth field: the backend domain
    problem: str | None = None
    later: bool = False  # written in xl's disk syntax (Xen 4), read as xl means it

    @property
    def usable(self) -> bool:
        """Enough to make a disk of: a target and a mode xend takes, and a source that
        is empty or names something."""
        return bool(self.target) and self.mode in DISK_MODES and (self.path is not None or self.prefix is None)

    @property
    def readonly(self) -> bool:
        return self.mode in ("r", "ro")

    @property
    def shareable(self) -> bool:
        return self.mode in ("w!", "!")


def parse_disk(text: str) -> DiskSpec:
    """A disk spec. The first problem found is kept; the fields that could be read are
    filled in all the same (a source without a prefix reads as phy:, as libvirt does),
    and `usable` says whether they make a disk."""
    if XL_DISK.search(text):
        return parse_xl_disk(text)
    fields = text.split(",")
    if len(fields) == 4 and fields[1].strip() in _XL_FORMATS and DISK_TARGET.match(fields[2].strip()) \
            and fields[3].strip() in _XL_ACCESS:
        # xl's positional form, target,format,vdev,access ('/dev/vg/g,raw,xvda,rw'): a disk
        # format where xm has the target is not xm's (whose fourth field is a domain)
        target, fmt, vdev, access = (f.strip() for f in fields)
        spec = parse_xl_disk(f"format={fmt}, vdev={vdev}, access={access}, target={target}")
        return replace(spec, text=text)
    if len(fields) not in (len(DISK_FIELDS), len(DISK_FIELDS) + 1):  # + the backend domain
        named = ", ".join(DISK_FIELDS)
        what = "source, target and mode"
        if len(fields) == len(DISK_FIELDS) - 1:
            what = ("the mode (r or w) is missing, or a comma" if DISK_TARGET.match(fields[1])
                    else "a field is missing, or a comma")
        return DiskSpec(text, problem=f"has {len(fields)} comma-separated fields ({named} needed): {what}")
    source, target, mode = fields[:len(DISK_FIELDS)]
    backend = fields[len(DISK_FIELDS)] if len(fields) > len(DISK_FIELDS) else None
    problems = []
    spaced = [f for f in fields if f != f.strip()]
    if spaced:
        problems.append(f"field {spaced[0]!r} has spaces around it, and xend does not strip them")
    driver = prefix = path = None
    if source:
        for pre, drv in DISK_PREFIXES:
            if source.startswith(pre):
                prefix, driver, path = pre[:-1], drv, source[len(pre):]
                break
        else:
            driver, path = "phy", source
            problems.append(f"source {source!r} has no driver prefix (phy:, file:, tap:aio:)")
        if not path:
            problems.append(f"source {source!r} names no file or device")
        elif prefix == "phy" and not path.startswith("/"):
            # xend's block script (expand_dev) puts a device named without a folder under
            # /dev: "phy:hda1" is /dev/hda1 (xmexample's `disk = [ 'phy:hda1,hda1,r' ]`)
            path = "/dev/" + path
    m = DISK_TARGET.match(target)
    if not m:
        problems.append(f"target {target!r} is not a device name such as xvda, hda or hdc:cdrom")
    if mode not in DISK_MODES:
        problems.append(f"mode {mode!r} is not r, w or w!")
    return DiskSpec(text, driver, prefix, path or None, m.group("name") if m else "",
                    m.group("prefix") if m else "", (m.group("device") if m else None) or "disk", mode,
                    backend, problems[0] if problems else None)


# xl's disk syntax (Xen 4): KEY=VALUE fields, target= last (xl-disk-configuration)
XL_DISK = re.compile(r"(^|,)\s*(vdev|target|format|access|devtype|backendtype|script)=")
_XL_FORMATS = {"raw": "file", "qcow": "tap:qcow", "qcow2": "file", "vhd": "file"}
_XL_ACCESS = {"rw": "w", "w": "w", "ro": "r", "r": "r"}


def parse_xl_disk(text: str) -> DiskSpec:
    """An xl disk spec, as Xen 4 reads it: `format=raw, vdev=xvda, access=rw,
    target=/dev/vg/g` (target takes the rest of the line). parse_disk reads xl's
    positional form, target,format,vdev,access, through it."""
    head, sep, target = text.partition("target=")
    pairs = {}
    for part in head.split(","):
        key, eq, value = part.strip().partition("=")
        if eq:
            pairs[key.strip()] = value.strip()
    path = target.strip() if sep else pairs.get("target")
    vdev = pairs.get("vdev", "")
    m = DISK_TARGET.match(vdev)
    device = "cdrom" if pairs.get("devtype") == "cdrom" else "disk"
    access = _XL_ACCESS.get(pairs.get("access", "rw"), "")
    driver = "phy" if path and path.startswith("/dev/") else _XL_FORMATS.get(pairs.get("format", "raw"))
    problem = None if m and access else f"xl disk spec {text!r} names no device (vdev=) or an unknown access"
    return DiskSpec(text, driver, None, path or None, m.group("name") if m else "",
                    m.group("prefix") if m else "", device, access or "w", None, problem, later=True)


@dataclass(frozen=True, slots=True)
class Pair:
    key: str
    value: str


@dataclass(slots=True)
class PairSpec:
    """A vif or vfb spec: its key=value pairs (the last of a repeated key wins, as in
    xend's dict) and what is wrong with it, as (problem, hint)."""

    text: str
    pairs: list[Pair] = field(default_factory=list)
    problems: list[tuple[str, str | None]] = field(default_factory=list)

    def get(self, key: str, default: str | None = None) -> str | None:
        value = default
        for p in self.pairs:
            if p.key == key:
                value = p.value
        return value

    def keys(self) -> list[str]:
        return [p.key for p in self.pairs]


def parse_pairs(text: str) -> PairSpec:
    spec = PairSpec(text)
    seen: set[str] = set()
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        if "=" not in part:
            spec.problems.append((f"{part!r} is not key=value", "separate the pairs with commas"))
            continue
        key, value = (x.strip() for x in part.split("=", 1))
        if key in seen:
            spec.problems.append((f"{key} is given twice; xend keeps the last", f"remove one {key}="))
        seen.add(key)
        spec.pairs.append(Pair(key, value))
    return spec


def parse_vif(text: str) -> PairSpec:
    spec = parse_pairs(text)
    for p in spec.pairs:
        key, value = p.key, p.value
        if key not in VIF_KEYS:
            spec.problems.append((f"unknown vif key {key!r}",
                                  did_you_mean(key, VIF_KEYS) or f"known keys: {', '.join(VIF_KEYS)}"))
        elif not value:
            spec.problems.append((f"{key}= has no value", f"give {key} a value or remove it"))
        elif key == "type" and value not in VIF_TYPES:
            spec.problems.append((f"type {value!r} is neither ioemu nor netfront",
                                  did_you_mean(value, VIF_TYPES)))
        elif key == "mac" and not MAC.match(value):
            spec.problems.append((f"mac {value!r} is not six hex pairs",
                                  "a space is not a separator: put a comma before the next key"
                                  if " " in value else None))
        elif key == "rate" and not RATE.match(value):
            spec.problems.append((f"rate {value!r} is not an amount per second",
                                  "e.g. rate=10MB/s (bytes) or 10Mb/s (bits), optional @50ms"))
    return spec


@dataclass(frozen=True, slots=True)
class PciSpec:
    text: str
    domain: int = 0
    bus: int = 0
    slot: int = 0
    function: int = 0
    options: str | None = None
    problem: str | None = None


def parse_pci(text: str, functions: int) -> PciSpec:
    """functions: how many functions a device has (the limit pci.functions_per_device)."""
    m = PCI.match(text.strip())
    if not m:
        return PciSpec(text, problem=_pci_problem(text.strip()))
    slot = int(m.group("slot"), 16)
    if slot >= PCI_SLOTS:
        return PciSpec(text, problem=f"slot {m.group('slot')} is above 1f (a PCI bus has slots 00-1f)")
    function = int(m.group("function"), 16)
    if function >= functions:
        return PciSpec(text, problem=f"function {m.group('function')} is not below {functions} "
                                     f"(a PCI device has functions 0-{functions - 1})")
    return PciSpec(text, int(m.group("domain") or "0", 16), int(m.group("bus"), 16), slot, function,
                   m.group("options"))


def _pci_problem(text: str) -> str:
    """What is wrong with an address PCI does not match, as precisely as it can be said."""
    what = "is not [domain:]bus:slot.function in hex"
    address = text.split(",", 1)[0]
    parts = address.split(":")
    if len(parts) not in (2, 3):
        return what
    slot, dot, function = parts[-1].partition(".")
    if not dot:
        return f"{what}: it has no function (.F after the slot)"
    fields = (("domain", parts[0], 4),) if len(parts) == 3 else ()
    fields += (("bus", parts[-2], 2), ("slot", slot, 2), ("function", function, 1))
    for name, value, digits in fields:
        if not value:
            return f"{what}: the {name} is empty"
        if not re.fullmatch(r"[0-9a-fA-F]+", value):
            return f"{what}: the {name} {value!r} is not hexadecimal"
        if len(value) > digits and name != "function":
            return f"{what}: the {name} {value!r} has more than {digits} hex digits"
    return what


def normal_uuid(text) -> str | None:
    """A uuid as the model keeps it (lower case, dashed 8-4-4-4-12), or None if it is not one."""
    if not isinstance(text, str) or not UUID.match(text):
        return None
    h = text.replace("-", "").lower()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


@dataclass(frozen=True, slots=True)
class SerialSpec:
    kind: str | None  # one of model.SERIAL_KINDS; None: no serial port ("none")
    path: str | None = None
    host: str | None = None
    port: int | None = None
    server: bool = False
    extra: str | None = None  # what the model has no place for (a UDP bind side)
    problem: str | None = None


_ENDPOINT = re.compile(r"^(?P<host>[^:@,]*):(?P<port>[0-9]{1,5})\Z")


def parse_serial(text: str) -> SerialSpec:
    """An HVM serial value, as qemu-dm takes it: pty, null, stdio, vc, none, file:PATH,
    pipe:PATH, unix:PATH[,server,nowait], tcp|telnet:HOST:PORT[,server,nowait],
    udp:HOST:PORT[@BINDHOST:PORT], or a host device path (/dev/ttyS0)."""
    return parse_chardev(text, "serial")


def parse_parallel(text: str) -> SerialSpec:
    """An HVM parallel value: qemu-dm's -parallel takes the same character devices as
    -serial (none, pty, a host device such as /dev/parport0, file:PATH, tcp:HOST:PORT ...),
    and libvirt's Xen driver reads both with one parser."""
    return parse_chardev(text, "parallel")


def parse_chardev(text: str, what: str) -> SerialSpec:
    value = text.strip()
    if value in ("pty", "null", "stdio", "vc"):
        return SerialSpec(value)
    if value == "none" or value == "":
        return SerialSpec(None)
    if value.startswith("/"):
        return SerialSpec("dev", path=value)
    kind, sep, rest = value.partition(":")
    if not sep:
        return SerialSpec(None, problem=f"{what} {value!r} is not pty, null, stdio, vc, a device path "
                                        "or KIND:ADDRESS")
    if kind in ("file", "pipe"):
        return SerialSpec(kind, path=rest) if rest else SerialSpec(None, problem=f"{what} {kind}: has no path")
    options = rest.split(",")
    flags = [o.strip() for o in options[1:]]
    unknown = [f for f in flags if f not in ("server", "nowait")]
    if unknown:
        return SerialSpec(None, problem=f"unknown {what} option {unknown[0]!r}")
    server = "server" in flags
    if kind == "unix":
        return SerialSpec(kind, path=options[0], server=server) if options[0] else SerialSpec(
            None, problem=f"{what} unix: has no path")
    if kind in ("tcp", "telnet", "udp"):
        address, extra = options[0], None
        if kind == "udp" and "@" in address:
            address, _, bind = address.partition("@")
            extra = f"UDP bind side {bind}"
        m = _ENDPOINT.match(address)
        if not m or not 0 < int(m.group("port")) <= 65535:
            return SerialSpec(None, problem=f"{what} {kind}: {address!r} is not HOST:PORT with a port 1-65535")
        return SerialSpec(kind, host=m.group("host") or None, port=int(m.group("port")), server=server,
                          extra=extra)
    return SerialSpec(None, problem=f"unknown {what} type {kind!r}")


# The options xm's create.py (configure_vfbs) takes in a vfb entry, over Xen 3's releases;
# any other stops `xm create` (err "configuration option ... unknown to vfbs": VF109).
VFB_OPTIONS = ("type", "vnclisten", "vncunused", "vncdisplay", "vncpasswd", "display", "xauthority",
               "keymap", "opengl", "videoram")

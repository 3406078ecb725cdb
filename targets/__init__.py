"""The registry of file formats: every file virtc writes or reads, one entry each.

Each format is one module (or a package for the big ones: xm, libvirt, grub, selinux)
holding everything about it: where it lives on a RHEL 5 host, how a loose copy is
recognised, its reader, its emitter (or none: read only), its format-level rules, the
host facts it states and its schema (format.py says what each field means). Adding a
format is one module, one line below and its cases under tests/cases.

`virtc build` runs the emitters by target (`--emit libvirt` writes domains and
networks), `virtc lint` places and reads files through the formats, `virtc formats`
prints this table, and the rule registry (virtc.ruleset) takes each format's rules.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from virtc.suggest import did_you_mean

from . import (certificates, cpuspeed, elilo, exports, fstab, grub, hostinfo, hosts, ifcfg, iptables, libvirt, libvirtd, modprobe,
               multipath, rclocal, release, scsi_id, selinux, sysconfig_kernel, sysctl, udev, xend, xenscripts, xm)
from .format import Artifact, Format  # noqa: F401  (the formats' shared types)

# Where paths could overlap, the first format that matches a file reads it.
FORMATS: tuple[Format, ...] = (
    xend.FORMAT, xenscripts.FORMAT, xm.FORMAT, xm.AUTOSTART,
    libvirt.DOMAIN, libvirt.NETWORK, libvirt.POOL, libvirt.CAPABILITIES, libvirt.DOMAIN_AUTOSTART,
    libvirt.NETWORK_AUTOSTART, libvirt.POOL_AUTOSTART, libvirt.UNKNOWN_XML,
    grub.GRUB, grub.GUEST_GRUB, elilo.FORMAT,
    ifcfg.FORMAT, udev.FORMAT, scsi_id.FORMAT, multipath.FORMAT, rclocal.FORMAT, hosts.FORMAT,
    modprobe.FORMAT, sysctl.FORMAT, iptables.FORMAT, exports.FORMAT, fstab.FORMAT,
    selinux.FCONTEXT, selinux.BOOLEANS, selinux.CONFIG, selinux.COMMANDS,
    cpuspeed.FORMAT, sysconfig_kernel.FORMAT, libvirtd.CONF, libvirtd.SYSCONFIG,
    certificates.FORMAT, release.FORMAT, hostinfo.XM_INFO, hostinfo.NODEINFO,
)

# A loose file's content is tried against these in order: the most particular first (an
# XML root, an S-expression, a setup script's commands), the most general last.
RECOGNISE_ORDER: tuple[Format, ...] = (
    libvirt.DOMAIN, libvirt.NETWORK, libvirt.POOL, libvirt.CAPABILITIES, libvirt.UNKNOWN_XML,
    selinux.COMMANDS, xend.FORMAT, grub.GRUB, elilo.FORMAT, multipath.FORMAT, iptables.FORMAT, ifcfg.FORMAT,
    udev.FORMAT, xm.FORMAT, sysctl.FORMAT, modprobe.FORMAT, selinux.CONFIG, rclocal.FORMAT,
    hostinfo.XM_INFO, hostinfo.NODEINFO,
)


class UnknownFormat(KeyError):
    def __str__(self) -> str:
        name = self.args[0]
        hint = did_you_mean(name, [f.name for f in FORMATS])
        return f"no format named {name!r}" + (f"; {hint}" if hint else "")


def by_name(name: str) -> Format:
    for f in FORMATS:
        if f.name == name:
            return f
    raise UnknownFormat(name)


def placed(rel: str) -> Format | None:
    """The format of the file at `rel` in a host's tree (a path relative to its root), or
    None: a file at no place the registry names is not a configuration virtc reads."""
    for f in FORMATS:
        if f.at(rel):
            return f
    return None


def xml_format(text: str) -> Format | None:
    """An XML file's libvirt format, by its root element."""
    root = libvirt.root_element(text)
    return next((f for f in libvirt.XML_FORMATS if f.xml_root == root), None) if root else None


def expected(path: str) -> Format | None:
    """The format a loose file's path or name alone says it is (a host place its path ends
    with, or a name of its own), before its text is read; None: only its content can tell."""
    return next((f for f in FORMATS if (f.paths and f.ends_at(path)) or f.named_alone(path)), None)


def recognised(path: str, text: str) -> Format | None:
    """The format of a loose file (given by name, outside a host tree): by the host place
    its path ends with, then by its name, then by its content. An XML file is always told
    apart by its root element (a network XML in the domain folder is a network)."""
    by_path = next((f for f in FORMATS if f.paths and f.ends_at(path)), None)
    if by_path is not None and by_path.link:
        return by_path
    by_root = xml_format(text)
    if by_root is not None:
        return by_root
    if by_path is not None:
        return by_path
    name = path.replace("\\", "/").rsplit("/", 1)[-1]
    named = next((f for f in FORMATS if f.named(name, text)), None)
    if named is not None:
        return named
    return next((f for f in RECOGNISE_ORDER if f.recognise is not None and f.recognise(text, name)), None)


@dataclass(frozen=True)
class Target:
    """What `virtc build --emit NAME` writes: the files of every format with that target."""

    name: str
    emitters: tuple[Callable, ...]

    def emit(self, model) -> list[Artifact]:
        return [a for e in self.emitters for a in e(model)]


# `virtc build --emit` names, in the order builds run them.
TARGETS = ("libvirt", "xm", "grub", "ifcfg", "udev", "multipath", "xend", "hostfiles")


def registry() -> dict[str, Target]:
    """Build targets by name."""
    emitters: dict[str, list[Callable]] = {name: [] for name in TARGETS}
    for f in FORMATS:
        if f.emit is not None and f.emit not in emitters[f.target]:
            emitters[f.target].append(f.emit)
    return {name: Target(name, tuple(fns)) for name, fns in emitters.items()}


def facts() -> dict[str, tuple[str, ...]]:
    """Host fact -> the formats whose files state it."""
    out: dict[str, tuple[str, ...]] = {}
    for f in FORMATS:
        for fact in f.facts:
            out[fact] = out.get(fact, ()) + (f.name,)
    return out


def rules() -> tuple[type, ...]:
    """Every format's rules, once each."""
    out: list[type] = []
    for f in FORMATS:
        out += [r for r in f.rules if r not in out]
    return tuple(out)

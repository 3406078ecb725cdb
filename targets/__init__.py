"""Output formats. Each module owns one format: emit(model) -> artifacts (and, for the
formats virtc lints, read(text, path) -> model elements).

The registry is explicit: a target listed here is built by `virtc build`.
"""
from __future__ import annotations

from dataclasses import dataclass

from virtc.owner import Owner


@dataclass(frozen=True, slots=True)
class Artifact:
    """One file of the output tree: 'HOST/etc/xen/web01'. A link points at another file."""

    path: str
    text: str = ""
    link: str | None = None  # relative symlink target, e.g. "../web01"
    source: Owner | None = None  # the host or guest that produced it


def registry():
    from . import grub, hostfiles, ifcfg, libvirt, multipath, udev, xend, xm

    return {"libvirt": libvirt, "xm": xm, "grub": grub, "ifcfg": ifcfg, "udev": udev,
            "multipath": multipath, "xend": xend, "hostfiles": hostfiles}

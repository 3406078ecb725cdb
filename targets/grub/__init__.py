"""GRUB legacy (grub.conf, menu.lst): a host's boot entry, and the entry inside a Linux
guest's own grub.conf.

emit.py writes both, read.py reads them back into host facts (kernel, dom0 memory and
vCPUs, IOMMU, serial console) or a guest's kernel and command line, document.py parses a
file into command lines, rules.py holds the format-level rules (VF2xx).
"""
from __future__ import annotations

import re

from virtc.kernels import split_release  # noqa: F401  (the format's API)

from ..bootline import DEFAULT_ROOT, DEFAULT_ROOTFS, restore_derived  # noqa: F401
from ..format import Format
from . import rules
from .document import parse_document  # noqa: F401
from .emit import emit, emit_guests, guest_grub_conf, host_grub_conf  # noqa: F401
from .read import read

_TITLE = re.compile(r"^[ \t]*title[ \t]", re.M)
_KERNEL = re.compile(r"^[ \t]*(kernel|root|module|chainloader)[ \t]", re.M)


def recognise(text: str, name: str = "") -> bool:
    """A boot menu: `title` entries with kernel (or root) lines."""
    return bool(_TITLE.search(text) and _KERNEL.search(text))


GRUB = Format(
    "grub", "GRUB legacy boot menu of the host (/boot/grub/grub.conf)",
    paths=("boot/grub/grub.conf", "boot/grub/menu.lst", "etc/grub.conf"), names=("*grub.conf", "menu.lst"),
    recognise=recognise, read=read, emit=emit, target="grub", rules=rules.RULES, facts=("grub",), single=True)
GUEST_GRUB = Format(
    "guest-grub", "a guest's own grub.conf, as virtc writes it beside the hosts (guests/NAME/...)",
    paths=("guests/*/boot/grub/grub.conf", "guests/*/boot/grub/menu.lst"), read=read, emit=emit_guests,
    target="grub")

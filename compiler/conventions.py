"""The language's value forms and conventions: disk target names and their buses, CPU
lists, rates, UUIDs, PCI addresses, WWIDs, guest OS names, switches, boot device
aliases, and the names xend keeps in /etc/xen. The resolver checks .virt values against
them; the readers of existing files and `virtc import` invert them, so both directions
share one definition."""
from __future__ import annotations

import re

# Names in /etc/xen that are not guest configs (xendomains' folder, scripts, xend's files).
XEN_RESERVED = frozenset(("auto", "scripts", "xend-config.sxp", "xend-pci-permissive.sxp",
                          "xend-pci-quirks.sxp", "xmexample1", "xmexample2", "xmexample.hvm",
                          "qemu-ifup", "vtpm.db"))
SWITCH_ON = {"on", "yes", "true", "1"}
SWITCH_OFF = {"off", "no", "false", "0"}
BOOT_ALIASES = {"c": "hd", "disk": "hd", "d": "cdrom", "cd": "cdrom", "n": "network",
                "pxe": "network", "net": "network", "a": "fd", "floppy": "fd"}
TARGET_RE = re.compile(r"^(hd|sd|xvd|vd|fd)([a-z]+)([1-9][0-9]*)?\Z")
PREFIX_BUS = {"hd": "ide", "sd": "scsi", "xvd": "xen", "vd": "virtio", "fd": "fdc"}
CPUSET_RE = re.compile(r"^\^?[0-9]+(-[0-9]+)?(,\^?[0-9]+(-[0-9]+)?)*\Z")
RATE_RE = re.compile(r"^[0-9]+[KMG]?[bB]/s(@[0-9]+(us|ms|s))?\Z")
UUID_RE = re.compile(r"^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}\Z")
PCI_RE = re.compile(r"^(?:([0-9a-f]{4}):)?([0-9a-f]{2}):([0-9a-f]{2})\.([0-9a-f]+)\Z")
WWID_RE = re.compile(r"^[0-9a-f]{16,64}\Z")
INTERP_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
OS_RE = re.compile(r"^(rhel|centos|fedora|win|windows|other)[-_]?([0-9][0-9a-z.]*|xp|vista|7)?\Z",
                   re.IGNORECASE)

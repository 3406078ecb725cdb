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
# The vif script of a Xen guest's bridged NIC that names none: what the language assumes
# (xend runs xend-config.sxp's vif-script, vif-bridge as shipped; RHEL 5's libvirt shows
# it as <script path='vif-bridge'/>, guide line 4119).
XEN_VIF_SCRIPT = "vif-bridge"
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
WWID_RE = re.compile(r"^[0-9a-f]{16,64}\Z")  # an NAA or EUI-64 identifier, as scsi_id prints it (lowercase hex)
# A T10 vendor identifier: '1', then vendor, product and serial, blanks written as '_'
# (scsi_id -u): 1DEC_____RZ1CB-CS_______... It keeps its case.
T10_WWID_RE = re.compile(r"^1[A-Za-z0-9_.:-]{8,250}\Z")
INTERP_RE = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
OS_RE = re.compile(r"^(rhel|centos|fedora|win|windows|other)[-_]?([0-9][0-9a-z.]*|xp|vista|7)?\Z",
                   re.IGNORECASE)


def wwid(text: str) -> str | None:
    """A WWID as the model keeps it: hex identifiers in lowercase, T10 vendor identifiers
    as written; None for anything else."""
    if WWID_RE.match(text.lower()):
        return text.lower()
    if T10_WWID_RE.match(text):
        return text
    return None

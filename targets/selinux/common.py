"""What the SELinux readers share: matchpathcon's file types, the context form, the image
types of the guide's policy, the virtualization booleans, and how libselinux spells
true and false."""
from __future__ import annotations

import re

from virtc.limits import limits

# matchpathcon file types: -- regular file, -d directory, -b block and -c character
# device, -l link, -p pipe, -s socket.
FILE_TYPES = ("--", "-d", "-b", "-c", "-l", "-p", "-s")
CONTEXT = re.compile(r"^[A-Za-z0-9_.]+:[A-Za-z0-9_.]+:(?P<type>[A-Za-z0-9_]+)(:[A-Za-z0-9_.,:-]+)?$")
# The suffix that labels a directory and everything in it, as the guide writes it.
TREE = "(/.*)?"
REGEX_CHARS = set("*+?[](){}|^$")
# SELinux booleans the guide names (§14.1, §18.3) and RHEL 5's other virtualization
# booleans: a name this close to one of them, but not it, is taken for a misspelling.
BOOLEANS = ("allow_unconfined_qemu_transition", "qemu_full_network", "qemu_use_cifs", "qemu_use_comm",
            "qemu_use_nfs", "qemu_use_usb", "xend_disable_t", "xend_disable_trans", "virt_use_sysfs",
            "virt_use_nfs", "virt_use_samba", "virt_use_comm", "virt_use_usb", "xen_use_nfs")
CLOSE_BOOLEAN = 0.85
CLOSE_TYPE = 0.8
TRUE = ("1", "true", "on")
FALSE = ("0", "false", "off")


def image_types() -> tuple[str, ...]:
    """The labels image directories carry: the hypervisors' image types and the iSCSI
    target's LUN files (guide §23.1.1)."""
    lim = limits()
    return tuple(lim["security.image_types"].value.values()) + (lim["security.iscsi_lun_label"].value["type"],)


def is_image_type(label: str) -> bool:
    return label in image_types() or label.endswith("_image_t")

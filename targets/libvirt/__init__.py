"""libvirt's XML: domain definitions, virtual networks, storage pools, `virsh
capabilities` output, and the autostart links beside them.

emit.py writes domains and networks the way RHEL 5's libvirt (0.x) expects, read.py
reads all four kinds back (through xmlsafe.py: no entities, no DTD, no network),
schema.py checks them against virtc's grammar of RHEL 5's libvirt (schemas/libvirt-0.8,
VF711), rules.py holds the format-level rules (VF7xx), values.py what libvirt accepts.
"""
from __future__ import annotations

import re

from virtc.readback import Found
from virtc.source import SourceFile
from virtc.suggest import did_you_mean

from ..format import Format
from . import rules
from .emit import domain_xml, emit, network_xml  # noqa: F401
from .read import inventory, read  # noqa: F401
from .values import DEVICE_ELEMENTS, DOMAIN_ELEMENTS, ROOTS  # noqa: F401

_PROLOG = re.compile(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", re.S)
_FIRST_TAG = re.compile(r"<([A-Za-z_][\w.:-]*)")


def root_element(text: str) -> str | None:
    """The name of an XML file's first element (its root), from the first 8 KiB; None
    when the text is not XML or has no element there."""
    head = text[:8192].lstrip("\ufeff \t\r\n")
    if not head.startswith("<"):
        return None
    m = _FIRST_TAG.search(_PROLOG.sub("", head))
    return m.group(1) if m else None


def _rooted(root: str):
    return lambda text, name="": root_element(text) == root


def _misspelt(text: str, name: str = "") -> bool:
    """An XML file whose root element is close to a libvirt one (<domian>), or an .xml
    file with no element at all: worth the reader's error (VF701/VF702). Other XML (a
    RelaxNG schema, an XHTML page) is not a configuration."""
    head = text[:8192].lstrip("\ufeff \t\r\n")
    if not (name.endswith(".xml") or head.startswith("<?xml")):
        return False
    root = root_element(text)
    if root is None:
        return name.endswith(".xml")
    return root not in ROOTS and did_you_mean(root, list(ROOTS)) is not None


def _autostart(kind: str):
    def read_link(text: str, path: str) -> Found:
        found = Found(SourceFile(path, ""), f"{kind}-autostart")
        found.host["autostart"] = ((kind, path.replace("\\", "/").rsplit("/", 1)[-1].removesuffix(".xml")),)
        return found
    return read_link


DOMAIN = Format(
    "domain-xml", "libvirt domain XML (`virsh define`)",
    paths=("etc/libvirt/qemu/*.xml", "etc/libvirt/xen/*.xml"), recognise=_rooted("domain"), read=read,
    emit=emit, target="libvirt", rules=rules.RULES, schema="domain.rng", comments="xml", xml_root="domain")
NETWORK = Format(
    "network-xml", "libvirt virtual network XML",
    paths=("etc/libvirt/qemu/networks/*.xml", "etc/libvirt/xen/networks/*.xml"), recognise=_rooted("network"),
    read=read, emit=emit, target="libvirt", rules=rules.RULES, facts=("networks",), schema="network.rng", comments="xml",
    xml_root="network")
POOL = Format(
    "pool-xml", "libvirt storage pool XML",
    paths=("etc/libvirt/storage/*.xml",), recognise=_rooted("pool"), read=read, rules=rules.RULES, schema="storagepool.rng",
    comments="xml", xml_root="pool")
CAPABILITIES = Format(
    "capabilities", "`virsh capabilities` output saved with the host's files (CPU, memory, NUMA)",
    paths=("capabilities.xml", "virsh-capabilities.xml"), names=("*capabilities.xml",),
    recognise=_rooted("capabilities"), read=read, rules=rules.RULES, single=True, comments="xml", xml_root="capabilities")
UNKNOWN_XML = Format(
    "xml-unknown", "an XML file whose root is close to a libvirt one (the reader says which)",
    recognise=_misspelt, read=read, rules=rules.RULES, comments="xml")

DOMAIN_AUTOSTART = Format(
    "domain-autostart", "libvirt autostart link of a domain",
    paths=("etc/libvirt/qemu/autostart/*.xml", "etc/libvirt/xen/autostart/*.xml"), read=_autostart("guest"),
    emit=emit, target="libvirt", link=True, comments="")
NETWORK_AUTOSTART = Format(
    "network-autostart", "libvirt autostart link of a network",
    paths=("etc/libvirt/qemu/networks/autostart/*.xml", "etc/libvirt/xen/networks/autostart/*.xml"),
    read=_autostart("network"), emit=emit, target="libvirt", link=True, comments="")
POOL_AUTOSTART = Format(
    "pool-autostart", "libvirt autostart link of a storage pool",
    paths=("etc/libvirt/storage/autostart/*.xml",), read=_autostart("pool"), link=True, comments="")

# The XML formats, told apart by their root element wherever the file is.
XML_FORMATS = (DOMAIN, NETWORK, POOL, CAPABILITIES)

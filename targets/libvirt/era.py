"""Which libvirt wrote an XML file: the marks that say a later one than RHEL 5's (0.8.2)
did, so that `virtc lint` of such a file on its own judges it as a later system's
(virtc.lint._not_rhel5), not as a RHEL 5 file full of what RHEL 5 lacks.

Only what libvirt's own writer puts in a file counts, never what a person might copy from
later documentation into a RHEL 5 file (`<memory unit='GiB'>`, `<cpu mode=...>`,
`<forward mode='bridge'>`): that is a defect to report there (VF703, VF711)."""
from __future__ import annotations

import re

# The comment libvirt (0.9.13 and later) heads every file it saves under /etc/libvirt with.
_HEADER = "THIS IS AN AUTO-GENERATED FILE. CHANGES TO IT ARE LIKELY TO BE"
# Machine types of KVMs later than RHEL 5's (whose are pc, isapc and rhel5.*): upstream
# QEMU's versioned ones (pc-0.12, pc-i440fx-*, pc-q35-*), RHEL 6's and later, other
# architectures' boards.
_LATER_MACHINE = re.compile(r"^(?:pc-|q35$|rhel[6-9]|virt(?:-|$)|pseries|s390-ccw)")
# Elements of a domain (with the attribute that marks them, or None) libvirt 0.9.10 and
# later write.
_LATER_ELEMENTS = (("metadata", None), ("cpu", "mode"), ("vcpu", "placement"), ("pm", None), ("resource", None))


def later_writer(root, kids) -> tuple[str, object] | None:
    """What in a libvirt XML file says a later libvirt wrote it, and the element that
    says it; None: nothing does. `kids(el, tag)`: the reader's children of el named tag.

    - any file: libvirt's "auto-generated file" header;
    - a domain: SUSE's PV boot loader (domUloader.py: its host is no RHEL 5 either), a
      later machine type, or two marks of a later libvirt's writer (memory
      and currentMemory in unit='KiB', `<vcpu placement>`, `<cpu mode>`, `<metadata>`,
      `<pm>`, `<resource>`, SPICE graphics, since 0.9.11; `<memballoon>`, since 0.8.3;
      a graphics `<listen>`, since 0.9.4): one alone may be a person's;
    - a network: the `<mac>` of its bridge, which libvirt adds when it saves one;
    - a pool: `<capacity unit='bytes'>`, as `virsh pool-dumpxml` prints it."""
    for before in root.itersiblings(preceding=True):
        if callable(before.tag) and _HEADER in (before.text or ""):  # a comment (lxml's tag is a function)
            return "libvirt's \"auto-generated file\" header (libvirt 0.9.13 and later)", root
    tag = root.tag
    if tag == "network":
        mac = kids(root, "mac")[:1]
        return ("a <mac> for its bridge, as libvirt 0.9.x and later save a network", mac[0]) if mac else None
    if tag == "pool":
        for el in kids(root, "capacity")[:1]:
            if el.get("unit") == "bytes":
                return "<capacity unit='bytes'> (libvirt 0.9.11 and later)", el
        return None
    if tag != "domain":
        return None
    for loader in kids(root, "bootloader")[:1]:
        if (loader.text or "").strip().endswith("/domUloader.py"):  # SUSE's, for its PV guests
            return "SUSE's boot loader domUloader.py, which RHEL 5 has not", loader
    for os_el in kids(root, "os")[:1]:
        for type_el in kids(os_el, "type")[:1]:
            machine = type_el.get("machine")
            if machine and _LATER_MACHINE.match(machine):
                return f"machine type '{machine}' (a KVM later than RHEL 5's)", type_el
    marks = []  # (what, element)
    for name in ("memory", "currentMemory"):
        for el in kids(root, name)[:1]:
            if el.get("unit") == "KiB":  # what libvirt writes; a person writes MiB or GiB
                marks.append((f"<{name} unit='KiB'>", el))
    for name, attr in _LATER_ELEMENTS:
        for el in kids(root, name)[:1]:
            if attr is None or el.get(attr) is not None:
                marks.append((f"<{name} {attr}='{el.get(attr)}'>" if attr else f"<{name}>", el))
    for devices in kids(root, "devices")[:1]:
        marks += [("<graphics type='spice'>", el) for el in kids(devices, "graphics") if el.get("type") == "spice"][:1]
        # written by libvirt itself: a KVM domain's <memballoon> (0.8.3 on, every save) and
        # a graphics <listen> child (0.9.4 on)
        marks += [("<memballoon>", el) for el in kids(devices, "memballoon")][:1]
        marks += [("<graphics><listen>", el) for g in kids(devices, "graphics") for el in kids(g, "listen")][:1]
    if len(marks) < 2:
        return None
    return f"{marks[0][0]} and {marks[1][0]}, as libvirts later than RHEL 5's 0.8.2 write", marks[0][1]

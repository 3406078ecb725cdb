"""Which libvirt wrote a domain XML: the marks that say a later one than RHEL 5's (0.8.2)
did, so that `virtc lint` of such a file on its own judges it as a later system's
(virtc.lint._not_rhel5), not as a RHEL 5 file full of what RHEL 5 lacks."""
from __future__ import annotations

import re

# Machine types of KVMs later than RHEL 5's (whose are pc, isapc and rhel5.*): upstream
# QEMU's versioned ones (pc-0.12, pc-i440fx-*, pc-q35-*), RHEL 6's and later, other
# architectures' boards.
_LATER_MACHINE = re.compile(r"^(?:pc-|q35$|rhel[6-9]|virt(?:-|$)|pseries|s390-ccw)")
# Elements (with the attribute that marks them, or None) libvirt 0.9.10 and later write.
_LATER_ELEMENTS = (("metadata", None), ("cpu", "mode"), ("vcpu", "placement"), ("pm", None), ("resource", None))


def later_writer(root, type_el, kids) -> tuple[str, object] | None:
    """What in a domain XML says a later libvirt wrote it, and the element that says it:
    the form `virsh dumpxml` and virt-install of RHEL 6 and later give every file. One
    mark alone is not enough, except a later machine type: a person on RHEL 5 may copy
    `<memory unit='GiB'>` or `<cpu mode=...>` from later documentation, and that is a
    defect to report there (VF703, VF711), not a sign of another system. None: nothing
    says so. `kids(el, tag)`: the reader's children of el named tag."""
    machine = type_el.get("machine") if type_el is not None else None
    if machine and _LATER_MACHINE.match(machine):
        return f"machine type '{machine}' (a KVM later than RHEL 5's)", type_el
    marks = []  # (what, element)
    for tag in ("memory", "currentMemory"):
        for el in kids(root, tag)[:1]:
            if el.get("unit") == "KiB":  # what libvirt writes; a person writes MiB or GiB
                marks.append((f"<{tag} unit='KiB'>", el))
    for tag, attr in _LATER_ELEMENTS:
        for el in kids(root, tag)[:1]:
            if attr is None or el.get(attr) is not None:
                marks.append((f"<{tag} {attr}='{el.get(attr)}'>" if attr else f"<{tag}>", el))
    for devices in kids(root, "devices"):
        marks += [("<graphics type='spice'>", el) for el in kids(devices, "graphics") if el.get("type") == "spice"][:1]
    if len(marks) < 2:
        return None
    return f"{marks[0][0]} and {marks[1][0]}, as libvirt 0.9.11 and later write", marks[0][1]

"""Storage rules about image formats (checklist area STO, the guide's qemu-img list in
§32.3): which formats exist, which suit Windows, which can be encrypted or compressed."""
from __future__ import annotations

from ..diagnostics import Severity
from ..model import Guest
from ..suggest import did_you_mean
from .base import Rule


class ImageFormat(Rule):
    """Disk images are in a format qemu-img supports.

    What it checks: the `format` of each disk against the guide's list: raw, qcow2, qcow,
    cow, vmdk, cloop.

    Why: "The format of the image is usually detected automatically. The following formats
    are supported" (§32.3, lines 5045-5058).

    Example:
        disk vda virtio "/var/lib/libvirt/images/k.img" format vdi

    Fix: convert the image (qemu-img convert -O qcow2) and declare that format.
    """

    code, name, severity = "VS121", "image-format", Severity.ERROR
    checklist, section, lines = ("STO-37",), "§32.3", "5045-5058"
    uses = ("storage.image_formats",)

    def guest(self, g: Guest):
        formats = self.limit("storage.image_formats")
        for d in g.disks:
            if d.format not in formats.value:
                yield self.report(f"disk {d.target} of guest {g.name} has image format '{d.format}'",
                                  d.at("format"), d.owner, limit=formats,
                                  hint=did_you_mean(d.format, formats.value) or f"use one of {', '.join(formats.value)}")


class CowOnWindows(Rule):
    """The cow image format does not work with Windows.

    What it checks: a disk in `cow` format on a Windows guest.

    Why: for cow, "this format does not work with Windows" (§32.3, lines 5053-5054).

    Example:
        os win2003; disk hda "/var/lib/libvirt/images/w.img" format cow

    Fix: use raw or qcow2.
    """

    code, name, severity = "VS122", "cow-on-windows", Severity.WARNING
    checklist, section, lines = ("STO-38",), "§32.3", "5053-5054"

    def guest(self, g: Guest):
        if g.os and g.os.family == "windows":
            for d in g.disks:
                if d.format == "cow":
                    yield self.report(f"Windows guest {g.name} has a cow image ({d.target})", d.at("format"),
                                      d.owner, hint="use raw or qcow2")


class EncryptionNeedsQcow(Rule):
    """Only qcow and qcow2 images can be encrypted or compressed.

    What it checks: a disk marked `encrypted` or `compressed` in another format.

    Why: "Only the qcow format supports encryption or compression. Compression is
    read-only" (§32.3, lines 5037-5039); qcow2 also offers AES and zlib (line 5050,
    contradiction C-47), so both are accepted. Compressed sectors are rewritten
    uncompressed.

    Example:
        disk xvdb tap:aio "/var/lib/libvirt/images/s.img" encrypted     # raw

    Fix: `format qcow2` (with tap:qcow on Xen), or drop the flag.
    """

    code, name, severity = "VS123", "encryption-needs-qcow", Severity.WARNING
    checklist, section, lines = ("STO-39",), "§32.3", "5037-5039, 5050"
    uses = ("storage.encryptable_formats",)

    def guest(self, g: Guest):
        ok = self.limit("storage.encryptable_formats")
        for d in g.disks:
            wanted = [w for w, on in (("encryption", d.encrypted), ("compression", d.compressed)) if on]
            if wanted and d.format not in ok.value:
                yield self.report(f"disk {d.target} of guest {g.name} asks for {' and '.join(wanted)} "
                                  f"but is {d.format}", d.at("format"), d.owner, limit=ok,
                                  hint="use format qcow2")
